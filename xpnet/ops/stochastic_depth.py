"""torchvision's ``torchvision/ops/stochastic_depth.py``: stochastic depth (Huang et al.,
"Deep Networks with Stochastic Depth", 2016), which drops residual branches at random in
training (EfficientNet's and ConvNeXt's blocks use it).
"""

from __future__ import annotations

from .. import nn
from ..autograd import Tensor
from ..nn.parameter import new_array

__all__ = ["StochasticDepth", "stochastic_depth"]


def stochastic_depth(input, p: float, mode: str, training: bool = True):
    """``input`` with the whole batch (``mode="batch"``) or each row (``mode="row"``) zeroed
    with probability ``p`` and the rest scaled by ``1 / (1 - p)``, in training; ``input``
    itself otherwise or when ``p`` is 0, as torchvision's.

    Args:
        input: a Tensor whose first dimension is the batch.
        p: the probability of zeroing.
        mode: ``"batch"`` or ``"row"``.
        training: apply it. Default: ``True``.

    Raises:
        ValueError: ``p`` outside [0, 1] or ``mode`` neither (torchvision's messages).

    Example:
        >>> import xpnet
        >>> x = xpnet.ones(4, 2)
        >>> stochastic_depth(x, 0.5, "row", training=False) is x
        True
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ["batch", "row"]:
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = Tensor(new_array(tuple(size), dtype=input.array.dtype)).bernoulli(survival_rate)
    if survival_rate > 0.0:
        noise = noise / survival_rate
    return input * noise


class StochasticDepth(nn.Module):
    """torchvision's ``ops.StochasticDepth``: :func:`stochastic_depth` with the module's
    ``training`` flag.

    Example:
        >>> StochasticDepth(0.2, "row")
        StochasticDepth(p=0.2, mode=row)
    """

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p}, mode={self.mode})"
