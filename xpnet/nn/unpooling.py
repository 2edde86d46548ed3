"""Max-unpooling layers: ``MaxUnpool1d/2d/3d``, the partial inverses of ``MaxPool1d/2d/3d``.

As ``torch/nn/modules/pooling.py``'s; they call :mod:`xpnet.nn.functional`, whose numerics live
in :mod:`xpnet.kernels.unpooling`. The pools themselves are in :mod:`xpnet.nn.pooling`.
"""

from __future__ import annotations

from ..kernels._checks import to_tuple
from . import functional as F
from .module import Module

__all__ = ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


class _MaxUnpoolNd(Module):
    """What the three unpooling layers share: the options as ``nd``-tuples (PyTorch's
    ``_single``/``_pair``/``_triple``), the forward and the repr."""

    nd = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        where, nd = type(self).__name__, self.nd
        self.kernel_size = to_tuple(where, "kernel_size", kernel_size, nd, minimum=None)
        given = stride if stride is not None else kernel_size
        self.stride = to_tuple(where, "stride", given, nd, minimum=None)
        self.padding = to_tuple(where, "padding", padding, nd, minimum=None)

    def forward(self, input, indices, output_size=None):
        function = getattr(F, f"max_unpool{self.nd}d")
        return function(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    r"""Partial inverse of :class:`xpnet.nn.MaxPool1d`, as :class:`torch.nn.MaxUnpool1d`.

    Args:
        kernel_size, stride, padding: the pool's, ints or 1-tuples; ``stride`` defaults to
            ``kernel_size``, ``padding`` to 0.

    Shape:
        - Input and indices: (N, C, L) or (C, L). Output: (N, C, L_out), where
          L_out = (L - 1) * stride + kernel_size - 2 * padding, or ``output_size`` as given
          to ``forward(input, indices, output_size=None)``.

    Example:
        >>> import xpnet
        >>> unpool = xpnet.nn.MaxUnpool1d(2)
        >>> output, indices = xpnet.nn.MaxPool1d(2, return_indices=True)(np.ones((1, 1, 4)))
        >>> unpool, unpool(output, indices).shape
        (MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,)), (1, 1, 4))
    """

    nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    r"""Partial inverse of :class:`xpnet.nn.MaxPool2d`, as :class:`torch.nn.MaxUnpool2d`:
    each value goes to its index in a zero output (:func:`xpnet.kernels.max_unpool2d`).

    Args:
        kernel_size: the pool's window size, int or pair.
        stride: the pool's step, int or pair. Default: ``kernel_size``.
        padding: the pool's padding, int or pair. Default: 0.

    Shape:
        - Input and indices: (N, C, H, W) or (C, H, W). Output: (N, C, H_out, W_out), where
          H_out = (H - 1) * stride[0] + kernel_size[0] - 2 * padding[0] (and so for W), or
          ``output_size`` as given to ``forward(input, indices, output_size=None)``.

    Example:
        >>> import xpnet
        >>> pool, unpool = xpnet.nn.MaxPool2d(2, return_indices=True), xpnet.nn.MaxUnpool2d(2)
        >>> unpool, unpool(*pool(np.ones((1, 1, 5, 5))), output_size=(5, 5)).shape
        (MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)), (1, 1, 5, 5))
    """

    nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    r"""Partial inverse of :class:`xpnet.nn.MaxPool3d`, as :class:`torch.nn.MaxUnpool3d`.

    Args:
        kernel_size, stride, padding: the pool's, ints or triples; ``stride`` defaults to
            ``kernel_size``, ``padding`` to 0.

    Shape:
        - Input and indices: (N, C, D, H, W) or (C, D, H, W). Output: (N, C, D_out, H_out,
          W_out), each as :class:`MaxUnpool2d`'s H_out, or ``output_size``.

    Example:
        >>> import xpnet
        >>> unpool = xpnet.nn.MaxUnpool3d(2)
        >>> unpool(*xpnet.nn.MaxPool3d(2, return_indices=True)(np.ones((1, 2, 2, 2)))).shape
        (1, 2, 2, 2)
    """

    nd = 3
