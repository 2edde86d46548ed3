"""Padding layers: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad`` and
``CircularPad`` in 1, 2 and 3 dimensions, as ``torch.nn``'s.

Each holds its ``padding`` (an int for every side, or a tuple ``(left, right, top, bottom,
front, back)`` from the last dimension backwards) and calls
:func:`xpnet.nn.functional.pad`, whose numerics live in :mod:`xpnet.kernels.padding`.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import functional as F
from .module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]


class _PadNd(Module):
    """Pads the last ``dims`` dimensions with ``F.pad(input, padding, mode)``.

    ``padding``: an int (every side) or an iterable, kept as a tuple without a length check,
    as PyTorch's ``_ntuple`` (``ZeroPad2d((1, 2))`` pads the last dimension only).
    """

    mode = "constant"
    dims = 1

    def __init__(self, padding):
        super().__init__()
        count = 2 * self.dims
        self.padding = tuple(padding) if isinstance(padding, Iterable) else (padding,) * count

    def _check_input_dim(self, input) -> None:
        """The ranks PyTorch's non-constant modes accept: ``k + 1`` (unbatched) or ``k + 2``.
        ValueError for circular padding (its module's check, ``k = dims``);
        NotImplementedError for reflection and replication, with ``k = len(padding) // 2``
        (what ``F.pad`` raises in PyTorch: ``ReflectionPad2d((1, 2))`` pads a 2-D input)."""
        ndim = input.ndim
        k = self.dims if self.mode == "circular" else len(self.padding) // 2
        if self.mode == "constant" or ndim in (k + 1, k + 2):
            return
        low, high = k + 1, k + 2
        msg = f"{type(self).__name__}: expected {low}D or {high}D input (got {ndim}D input)"
        raise (ValueError if self.mode == "circular" else NotImplementedError)(msg)

    def forward(self, input):
        self._check_input_dim(input)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """Fills with ``value``; prints ``padding=..., value=...`` (the ``ZeroPad`` s print only
    the padding)."""

    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ReflectionPadNd(_PadNd):
    """Mirrors without repeating the edge (``F.pad``'s ``'reflect'``)."""

    mode = "reflect"


class _ReplicationPadNd(_PadNd):
    """Repeats the edge values (``F.pad``'s ``'replicate'``)."""

    mode = "replicate"


class _CircularPadNd(_PadNd):
    """Wraps around (``F.pad``'s ``'circular'``)."""

    mode = "circular"


class ConstantPad1d(_ConstantPadNd):
    r"""Pads the last dimension with ``value``, as :class:`torch.nn.ConstantPad1d`.

    Args:
        padding: an int for both sides, or ``(left, right)``; negative entries crop.
        value: the fill value.

    Shape:
        - Input: (C, W_in) or (N, C, W_in) (or any shape: the last dimension is padded).
        - Output: W_out = W_in + left + right.

    Example:
        >>> import xpnet
        >>> xpnet.nn.ConstantPad1d((1, 2), 3.5)(np.ones((1, 2))).array
        array([[3.5, 1. , 1. , 3.5, 3.5]])
    """

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ConstantPad2d(_ConstantPadNd):
    r"""Pads the last two dimensions with ``value``, as :class:`torch.nn.ConstantPad2d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom)``.
        value: the fill value.

    Example:
        >>> import xpnet
        >>> xpnet.nn.ConstantPad2d(1, 2.0)
        ConstantPad2d(padding=(1, 1, 1, 1), value=2.0)
    """

    dims = 2

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ConstantPad3d(_ConstantPadNd):
    r"""Pads the last three dimensions with ``value``, as :class:`torch.nn.ConstantPad3d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom, front, back)``.
        value: the fill value.
    """

    dims = 3

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ZeroPad1d(ConstantPad1d):
    r"""Pads the last dimension with zeros, as :class:`torch.nn.ZeroPad1d`.

    Args:
        padding: an int for both sides, or ``(left, right)``.

    Example:
        >>> import xpnet
        >>> xpnet.nn.ZeroPad1d((2, 1))(np.ones((1, 2))).array
        array([[0., 0., 1., 1., 0.]])
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    r"""Pads the last two dimensions with zeros, as :class:`torch.nn.ZeroPad2d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom)``.

    Example:
        >>> import xpnet
        >>> xpnet.nn.ZeroPad2d(2)
        ZeroPad2d((2, 2, 2, 2))
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    r"""Pads the last three dimensions with zeros, as :class:`torch.nn.ZeroPad3d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom, front, back)``.
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_ReflectionPadNd):
    r"""Pads the last dimension with its mirror image (the edge not repeated), as
    :class:`torch.nn.ReflectionPad1d`; each side at most the dimension's size - 1.

    Args:
        padding: an int for both sides, or ``(left, right)``.

    Shape:
        - Input: (C, W_in) or (N, C, W_in). Output: W_out = W_in + left + right.

    Example:
        >>> import xpnet
        >>> xpnet.nn.ReflectionPad1d(2)(np.array([[1.0, 2.0, 3.0]])).array
        array([[3., 2., 1., 2., 3., 2., 1.]])
    """

    dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    r"""Reflection padding of the last two dimensions, as :class:`torch.nn.ReflectionPad2d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom)``.

    Shape:
        - Input: (C, H_in, W_in) or (N, C, H_in, W_in).
    """

    dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    r"""Reflection padding of the last three dimensions, as :class:`torch.nn.ReflectionPad3d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom, front, back)``.

    Shape:
        - Input: (C, D_in, H_in, W_in) or (N, C, D_in, H_in, W_in).
    """

    dims = 3


class ReplicationPad1d(_ReplicationPadNd):
    r"""Pads the last dimension by repeating its edge values, as
    :class:`torch.nn.ReplicationPad1d`.

    Args:
        padding: an int for both sides, or ``(left, right)``.

    Example:
        >>> import xpnet
        >>> xpnet.nn.ReplicationPad1d((1, 2))(np.array([[1.0, 2.0]])).array
        array([[1., 1., 2., 2., 2.]])
    """

    dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    r"""Replication padding of the last two dimensions, as :class:`torch.nn.ReplicationPad2d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom)``.
    """

    dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    r"""Replication padding of the last three dimensions, as
    :class:`torch.nn.ReplicationPad3d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom, front, back)``.
    """

    dims = 3


class CircularPad1d(_CircularPadNd):
    r"""Pads the last dimension by wrapping around (the left pad from the end), as
    :class:`torch.nn.CircularPad1d`.

    Args:
        padding: an int for both sides, or ``(left, right)``.

    Raises:
        ValueError: an input of neither 2 nor 3 dimensions (at the call).

    Example:
        >>> import xpnet
        >>> xpnet.nn.CircularPad1d(1)(np.array([[1.0, 2.0, 3.0]])).array
        array([[3., 1., 2., 3., 1.]])
    """

    dims = 1


class CircularPad2d(_CircularPadNd):
    r"""Circular padding of the last two dimensions, as :class:`torch.nn.CircularPad2d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom)``.
    """

    dims = 2


class CircularPad3d(_CircularPadNd):
    r"""Circular padding of the last three dimensions, as :class:`torch.nn.CircularPad3d`.

    Args:
        padding: an int for every side, or ``(left, right, top, bottom, front, back)``.
    """

    dims = 3
