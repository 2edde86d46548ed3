"""``Flatten`` and ``Unflatten``: the layers around :meth:`xpnet.Tensor.flatten` and its inverse.

Reshapes, so no kernel: its forward and backward are those of :mod:`xpnet._tensor_ops`.
The other layers are the neighbouring files of :mod:`xpnet.nn`.
"""

from __future__ import annotations

import math

from ..autograd import as_tensor
from ..kernels import ArgumentError
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dimensions ``start_dim`` to ``end_dim`` into one, as :class:`torch.nn.Flatten`.

    Args:
        start_dim: first dimension to merge. Default: 1 (keep the batch dimension).
        end_dim: last dimension to merge. Default: -1.

    Example:
        >>> import xpnet
        >>> xpnet.nn.Flatten()(np.ones((32, 1, 5, 5))).shape
        (32, 25)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return as_tensor(input).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``, as :class:`torch.nn.Unflatten`: the
    inverse of :class:`Flatten`.

    Args:
        dim: the dimension to split.
        unflattened_size: a tuple (or list) of ints, the new dimensions; one may be -1, inferred.

    Shape:
        - Input: (*, S, *), with S the size of dimension ``dim``.
        - Output: (*, U_1, ..., U_n, *), where U_1 * ... * U_n = S.

    Raises:
        TypeError: if ``unflattened_size`` is not a tuple or list of ints (when built).
        IndexError: if ``dim`` is not a dimension of the input (when called).
        ValueError: if the sizes do not multiply up to S, are empty, hold more than one -1 or
            another negative number (also a ``RuntimeError``, as PyTorch's).

    Example:
        >>> import xpnet
        >>> xpnet.nn.Unflatten(1, (2, 5, 5))(np.ones((32, 50))).shape
        (32, 2, 5, 5)
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        _require_tuple_int(unflattened_size)
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input):
        tensor = as_tensor(input)
        return tensor.reshape(_unflattened_shape(tensor.shape, self.dim, self.unflattened_size))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _require_tuple_int(sizes) -> None:
    """PyTorch's check, with its messages: a tuple or list whose elements are all ints."""
    if not isinstance(sizes, tuple | list):
        msg = f"unflattened_size must be a tuple of ints, but found type {type(sizes).__name__}"
        raise TypeError(msg)
    for position, size in enumerate(sizes):
        if not isinstance(size, int):
            msg = (
                "unflattened_size must be tuple of ints, "
                f"but found element of type {type(size).__name__} at pos {position}"
            )
            raise TypeError(msg)


def _unflattened_shape(shape: tuple, dim, sizes) -> tuple:
    """``shape`` with dimension ``dim`` replaced by ``sizes``, a -1 among them inferred."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        msg = f"unflatten: dim must be an int, got {type(dim).__name__} {dim!r}"
        raise TypeError(msg)
    if not -len(shape) <= dim < len(shape):  # a 0-d input has no dimension to split
        msg = f"unflatten: dim must be in [{-len(shape)}, {len(shape) - 1}] for shape {shape}"
        raise IndexError(f"{msg}, got {dim}")
    dim %= len(shape)
    sizes = tuple(sizes)
    if not sizes:
        raise ArgumentError("unflatten: unflattened_size must be non-empty")
    if sizes.count(-1) > 1 or any(size < -1 for size in sizes):
        msg = f"unflatten: unflattened_size must be sizes >= 0 and at most one -1, got {sizes}"
        raise ArgumentError(msg)
    known = math.prod(size for size in sizes if size != -1)
    if -1 in sizes and known != 0 and shape[dim] % known == 0:
        sizes = tuple(shape[dim] // known if size == -1 else size for size in sizes)
    if math.prod(sizes) != shape[dim] or -1 in sizes:  # -1 left: 0 elements make it ambiguous
        msg = (
            f"unflatten: unflattened_size {sizes} must multiply up to the size of dim {dim} "
            f"({shape[dim]}) of the input of shape {shape}"
        )
        raise ArgumentError(msg)
    return shape[:dim] + sizes + shape[dim + 1 :]
