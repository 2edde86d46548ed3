"""``FractionalMaxPool2d`` and ``FractionalMaxPool3d``, as ``torch/nn/modules/pooling.py``;
the numerics live in :mod:`xpnet.kernels.fractional_max_pooling`, the other pools in
:mod:`.pooling`."""

from __future__ import annotations

import numbers

from . import functional as F
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


def _repeat(value, n):
    """PyTorch's ``_pair``/``_triple``: a number repeated ``n`` times, a sequence as a tuple."""
    return (value,) * n if isinstance(value, numbers.Number) else tuple(value)


class _FractionalMaxPoolNd(Module):
    """What the 2-D and 3-D layers share: PyTorch's argument checks and attributes."""

    nd = 2

    def __init__(self, kernel_size, output_size, output_ratio, return_indices, _random_samples):
        super().__init__()
        name = type(self).__name__
        kernel = _repeat(kernel_size, self.nd)
        if not all(isinstance(k, numbers.Integral) and k > 0 for k in kernel):
            msg = f"{name}: kernel_size must be greater than 0, but got {kernel_size}"
            raise ValueError(msg)
        self.kernel_size = kernel
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = None if output_size is None else _repeat(output_size, self.nd)
        self.output_ratio = None if output_ratio is None else _repeat(output_ratio, self.nd)
        if output_size is None and output_ratio is None:
            msg = f"{name} requires specifying either an output size, or a pooling ratio"
            raise ValueError(msg)
        if output_size is not None and output_ratio is not None:
            msg = f"{name}: only one of output_size and output_ratio may be specified"
            raise ValueError(msg)
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            msg = f"{name}: output_ratio must be between 0 and 1 (got {output_ratio})"
            raise ValueError(msg)

    def forward(self, input):
        pool = F.fractional_max_pool2d if self.nd == 2 else F.fractional_max_pool3d
        return pool(
            input,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            _random_samples=self._random_samples,
        )


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    r"""Fractional max pooling over (N, C, H, W), as :class:`torch.nn.FractionalMaxPool2d`
    (Graham 2014): ``kH x kW`` windows whose starts step by pseudo-random fractional strides,
    ``H_out = output_size[0]`` or ``int(H * output_ratio[0])``; each window's max (its last
    NaN if it holds one).

    Args:
        kernel_size: window size, an int or a pair (kH, kW), each > 0.
        output_size: (H_out, W_out), an int or a pair; or give ``output_ratio``.
        output_ratio: a number or a pair in (0, 1), H_out = int(H * ratio).
        return_indices: also return the flat in-plane index of each maximum (for
            :func:`xpnet.nn.functional.max_unpool2d`). Default: ``False``.
        _random_samples: fixed (N, C, 2) samples in [0, 1) ([..., 0] for W, [..., 1] for H),
            a buffer; default: drawn per call from the device generator (:func:`xpnet.manual_seed`).

    Shape:
        - Input: (N, C, H, W) or (C, H, W). Output: (N, C, H_out, W_out) or (C, H_out, W_out),
          where each ``H_out + kH - 1 <= H``.

    Raises:
        ValueError: a kernel_size below 1, neither or both of output_size and output_ratio,
            a ratio outside (0, 1).

    Example:
        >>> import xpnet
        >>> pool = xpnet.nn.FractionalMaxPool2d(3, output_ratio=0.5)
        >>> pool, pool(xpnet.ones(1, 2, 8, 8)).shape
        (FractionalMaxPool2d(), (1, 2, 4, 4))
    """

    nd = 2

    def __init__(
        self,
        kernel_size,
        output_size=None,
        output_ratio=None,
        return_indices: bool = False,
        _random_samples=None,
    ) -> None:
        super().__init__(kernel_size, output_size, output_ratio, return_indices, _random_samples)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    r"""Fractional max pooling over (N, C, T, H, W), as :class:`torch.nn.FractionalMaxPool3d`:
    :class:`FractionalMaxPool2d` with a time axis (``kernel_size``, ``output_size`` and
    ``output_ratio`` triples; samples (N, C, 3) for (T, H, W)). As PyTorch's, each window
    must end before the input's edge: ``T_out + kT - 1 < T`` (likewise H and W).

    Example:
        >>> import xpnet
        >>> pool = xpnet.nn.FractionalMaxPool3d(2, output_size=(2, 3, 3), return_indices=True)
        >>> output, indices = pool(xpnet.ones(1, 4, 5, 5))
        >>> output.shape, indices.shape
        ((1, 2, 3, 3), (1, 2, 3, 3))
    """

    nd = 3

    def __init__(
        self,
        kernel_size,
        output_size=None,
        output_ratio=None,
        return_indices: bool = False,
        _random_samples=None,
    ) -> None:
        super().__init__(kernel_size, output_size, output_ratio, return_indices, _random_samples)
