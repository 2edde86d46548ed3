"""PyTorch's legacy layers, kept for ported code: ``CrossMapLRN2d`` (Lua Torch's cross-channel
response normalisation, ``torch/nn/modules/_functions.py``) and ``NLLLoss2d`` (the deprecated
alias of :class:`~xpnet.nn.NLLLoss`).

``CrossMapLRN2d`` is composed of xpnet's differentiable Tensor operations; its modern
counterpart is :class:`~xpnet.nn.LocalResponseNorm` in :mod:`xpnet.nn.normalization`, and
``NLLLoss`` lives in :mod:`xpnet.nn.loss`.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor_index import where
from ..autograd import Tensor, as_tensor
from ..backends import backend_of
from ..kernels import ArgumentError
from . import functional as F
from .loss import NLLLoss
from .module import Module

__all__ = ["CrossMapLRN2d", "NLLLoss2d"]


class CrossMapLRN2d(Module):
    r"""Cross-channel local response normalisation of 4-D input, as
    :class:`torch.nn.CrossMapLRN2d`: ``y_c = x_c * (k + alpha / size * S_c) ** -beta``, where
    ``S_c`` sums ``x_c' ** 2`` over the channels ``c' in [c - P + 1, c + P - 1]``,
    ``P = int((size - 1) / 2 + 1)``, and, from channel ``c = P`` on, channel 0 once more.

    Args:
        size: the width of the channel window (``2 P - 1`` channels: ``size`` when it is
            odd, ``size - 1`` when it is even), at least 1.
        alpha: multiplier. Default: 1e-4.
        beta: exponent. Default: 0.75.
        k: additive constant. Default: 1.

    Shape:
        - Input: (N, C, H, W). Output: the same shape.

    Raises:
        ValueError: input not 4-D (PyTorch's message); ``size`` below 1.

    Note:
        The channel-0 term is PyTorch 2.13's: its port of Lua Torch's running window sum
        never takes channel 0 out again, so for ``C > P`` the values differ from
        :class:`LocalResponseNorm` (and from Lua Torch); xpnet computes the values PyTorch
        computes. PyTorch's hand-written backward is not the gradient of that forward (it
        fails ``gradcheck`` once ``C > P``, and raises for ``size=1``); xpnet's gradient is
        the exact one of the forward, which equals PyTorch's for ``C <= P - 1``, e.g. for
        one channel.

    Example:
        >>> import xpnet
        >>> lrn = xpnet.nn.CrossMapLRN2d(3, alpha=1.0, beta=1.0, k=1)
        >>> lrn, lrn(np.ones((1, 2, 1, 1))).flatten().tolist()
        (CrossMapLRN2d(3, alpha=1.0, beta=1.0, k=1), [0.6, 0.6])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input) -> Tensor:
        input = as_tensor(input)
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        if self.size < 1:
            msg = f"CrossMapLRN2d: size must be at least 1, got {self.size}"
            raise ArgumentError(msg)
        C = input.shape[1]
        pre_pad = int((self.size - 1) / 2 + 1)
        square = input * input
        padded = F.pad(square, (0, 0, 0, 0, pre_pad - 1, pre_pad - 1))  # (N, C + 2 P - 2, H, W)
        window = sum(padded[:, i : i + C] for i in range(2 * pre_pad - 1))
        # PyTorch's running sum removes channel c - P only for c > P: channel 0 stays in
        stays = (np.arange(C) >= pre_pad).reshape(1, C, 1, 1)
        window = window + where(backend_of(input.array).asarray(stays), square[:, :1], 0.0)
        scale = window * (self.alpha / self.size) + self.k
        return input * scale ** (-self.beta)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class NLLLoss2d(NLLLoss):
    r"""The deprecated alias of :class:`~xpnet.nn.NLLLoss` (same arguments, same loss), as
    :class:`torch.nn.NLLLoss2d`: constructing one warns, as PyTorch 2.13's.

    Warns:
        FutureWarning: on construction, PyTorch's message.

    Example:
        >>> import warnings, xpnet
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     loss = xpnet.nn.NLLLoss2d()
        >>> loss, loss(np.log(np.full((1, 4, 2, 2), 0.25)), np.zeros((1, 2, 2), int)).item()
        (NLLLoss2d(), 1.3862943611198906)
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        msg = (
            "`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in "
            "replacement and see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for "
            "more details."
        )
        warnings.warn(msg, FutureWarning, stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
