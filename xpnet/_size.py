"""``xpnet.Size``, the shape of a Tensor: a tuple of ints, as ``torch.Size``.

``Tensor.shape``, ``Tensor.size()`` and :func:`xpnet.broadcast_shapes` return one. It is a
tuple (``==``, hashing, unpacking, NumPy and CuPy take it as a shape), with PyTorch's extras:
``numel()``, and slicing, ``+`` and ``*`` that keep the type. Inside xpnet, hot paths read the
array's ``.shape`` (a plain tuple) rather than the Tensor's, so the wrapper costs them nothing.

Example:
    >>> import xpnet
    >>> shape = xpnet.zeros(2, 3, 4).shape
    >>> isinstance(shape, xpnet.Size), shape[1:], shape.numel(), shape == (2, 3, 4)
    (True, (3, 4), 24, True)
"""

from __future__ import annotations

import math
import operator

__all__ = ["Size", "as_size"]


class Size(tuple):
    """The sizes of a Tensor's dimensions, a tuple of ints, as ``torch.Size``.

    Args:
        sizes: an iterable of ints (or objects with ``__index__``). Default: ``()``.

    Raises:
        TypeError: an item that is not an int, as PyTorch.

    Note:
        It prints as a tuple, ``(3, 4)``, not as PyTorch's ``torch.Size([3, 4])``: xpnet's
        error messages show shapes as tuples (the style guide's rule) and so do its examples
        (84 doctests in 45 modules print a shape), which a Size need not change.

    Example:
        >>> import xpnet
        >>> size = xpnet.Size([2, 3])
        >>> size, type(size[1:]).__name__, size + (4,), size.numel()
        ((2, 3), 'Size', (2, 3, 4), 6)
    """

    __slots__ = ()

    def __new__(cls, sizes=()):
        items = list(sizes) if hasattr(sizes, "__iter__") else None
        if items is None:
            msg = f"xpnet.Size: takes an iterable of ints, got {type(sizes).__name__} {sizes!r}"
            raise TypeError(msg)
        for position, item in enumerate(items):
            if not hasattr(type(item), "__index__"):
                msg = (
                    f"xpnet.Size: takes an iterable of ints, item {position} is "
                    f"{type(item).__name__} {item!r}"
                )
                raise TypeError(msg)
        return super().__new__(cls, [operator.index(item) for item in items])

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds (1 for ``Size([])``)."""
        return math.prod(self)

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return as_size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented  # tuple's TypeError: Size + list is refused, as PyTorch
        return as_size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return as_size(tuple.__add__(other, self))

    def __mul__(self, times):
        return as_size(tuple.__mul__(self, times))

    __rmul__ = __mul__


def as_size(shape: tuple) -> Size:
    """``shape`` (a tuple of ints, e.g. an array's ``.shape``) as a :class:`Size`, unchecked:
    the fast path of ``Tensor.shape``, read on every access.

    Example:
        >>> as_size(np.zeros((2, 3)).shape).numel()
        6
    """
    return tuple.__new__(Size, shape)
