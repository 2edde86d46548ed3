"""``torch.as_strided`` (also the Tensor method), the ``*_copy`` forms of the view functions
(``expand_copy``, ``permute_copy``, ..., ``as_strided_copy``: the view, then a copy, built
from one table, :data:`COPIES`) and the ``unsafe_`` splits (``unsafe_chunk``,
``unsafe_split``, ``unsafe_split_with_sizes``), as ``xpnet.<name>`` (:data:`__all__`).
Values, gradients and errors are the views'. Neighbours: the views themselves
(:mod:`xpnet._tensor_shape_ops`, :mod:`xpnet._tensor_views`), the out-of-place writes into a
view (:mod:`xpnet._tensor_slices`, whose positions ``as_strided`` reads).

Example:
    >>> import xpnet
    >>> x = xpnet.arange(6.0)
    >>> xpnet.as_strided(x, (2, 2), (1, 2), 1).tolist()
    [[1.0, 3.0], [2.0, 4.0]]
    >>> [p.tolist() for p in xpnet.unsafe_chunk(x, 2)]
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
"""

from __future__ import annotations

from ._node_names import named_nodes
from ._tensor_math import check_dim
from ._tensor_slices import strided_positions
from ._torch_functions import as_input
from .autograd import Tensor
from .kernels._checks import check_int

COPIES = {
    "expand_copy": "expand",
    "permute_copy": "permute",
    "squeeze_copy": "squeeze",
    "t_copy": "t",
    "transpose_copy": "transpose",
    "unsqueeze_copy": "unsqueeze",
    "view_copy": "view",
    "diagonal_copy": "diagonal",
    "select_copy": "select",
    "split_copy": "split",
    "split_with_sizes_copy": "split_with_sizes",
    "unbind_copy": "unbind",
    "unfold_copy": "unfold",
    "narrow_copy": "narrow",
    "detach_copy": "detach",
    "alias_copy": "alias",
    "as_strided_copy": "as_strided",
    "slice_copy": "slice",
}
__all__ = ["as_strided", *COPIES, "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes"]


def as_strided(input, size, stride, storage_offset=None) -> Tensor:
    """The elements of ``input`` at ``storage_offset + sum(i_k * stride[k])`` for each index
    ``i`` of shape ``size``, as ``torch.as_strided`` (also ``Tensor.as_strided``); its
    gradient adds the upstream gradient back at those positions (repeated ones add up).

    Args:
        input: the tensor to read.
        size: the result's shape, a tuple of ints.
        stride: the step along each dimension, in elements, a tuple of non-negative ints.
        storage_offset: the first element read. Default: ``None`` (0).

    Returns:
        A new Tensor of shape ``size`` and ``input``'s dtype.

    Raises:
        TypeError: a non-Tensor, ``size``/``stride`` not tuples of ints.
        ArgumentError: ``size`` and ``stride`` of different lengths, a negative entry, a view
            reaching past ``input``'s last element.

    Note:
        PyTorch returns a view of ``input``'s storage; this reads ``input``'s elements in
        row-major order (the same for a contiguous ``input``) into a new tensor, so in-place
        changes of the result do not reach ``input``.
    """
    tensor = as_input("as_strided", input)
    # GPU: the positions are built on the device, as as_strided_scatter's
    positions = strided_positions("as_strided", tensor, size, stride, storage_offset)
    return tensor.reshape(-1)[positions]


def _slice(self, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """``input[start:end:step]`` along ``dim`` (``torch.slice_copy``'s view)."""
    dim = check_dim("slice_copy", dim, self.ndim)
    step = check_int("slice_copy", "step", step)
    if step < 1:
        raise ValueError(f"slice_copy: step must be at least 1, got {step}")
    return self[(slice(None),) * dim + (slice(start, end, step),)]


_LOCAL_VIEWS = {"slice": _slice, "alias": lambda self: self}


def _copied(result):
    if isinstance(result, Tensor):
        return result.clone()
    return tuple(piece.clone() for piece in result)


def _copy_form(name: str, view: str):
    def function(input, *args, **kwargs):
        tensor = as_input(name, input)
        if view == "expand":
            kwargs.pop("implicit", None)  # torch's flag for its tracer; no effect on values
        method = _LOCAL_VIEWS.get(view) or getattr(Tensor, view)
        return _copied(method(tensor, *args, **kwargs))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"``input.{view}(...)`` copied (a new tensor, a list of them for the splits), as "
        f"``torch.{name}``: the view's values, gradient and errors."
    )
    return function


(
    expand_copy, permute_copy, squeeze_copy, t_copy, transpose_copy, unsqueeze_copy, view_copy,
    diagonal_copy, select_copy, split_copy, split_with_sizes_copy, unbind_copy, unfold_copy,
    narrow_copy, detach_copy, alias_copy, as_strided_copy, slice_copy,
) = (_copy_form(name, view) for name, view in COPIES.items())  # fmt: skip


def _narrowed(tensor: Tensor, pieces: tuple | list, dim: int) -> tuple[Tensor, ...]:
    """The pieces as ``narrow`` views of ``tensor``, which in-place changes may write."""
    dim = check_dim("unsafe_split", dim, tensor.ndim)
    starts, start = [], 0
    for piece in pieces:
        starts.append(start)
        start += piece.shape[dim]
    return tuple(tensor.narrow(dim, s, p.shape[dim]) for s, p in zip(starts, pieces, strict=True))


@named_nodes("UnsafeSplitBackward0")
def unsafe_chunk(input, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """:func:`xpnet.chunk`'s pieces, as ``torch.unsafe_chunk``: views that in-place changes
    may write (through to ``input``), where ``chunk``'s refuse them."""
    tensor = as_input("unsafe_chunk", input)
    return _narrowed(tensor, tensor.chunk(chunks, dim), dim)


@named_nodes("UnsafeSplitBackward0")
def unsafe_split(tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """:func:`xpnet.split`'s pieces, as ``torch.unsafe_split``: views that in-place changes
    may write."""
    tensor = as_input("unsafe_split", tensor, "tensor")
    return _narrowed(tensor, tensor.split(split_size_or_sections, dim), dim)


@named_nodes("UnsafeSplitWithSizesBackward0")
def unsafe_split_with_sizes(input, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    """``input.split_with_sizes(split_sizes, dim)``'s pieces, as
    ``torch.unsafe_split_with_sizes``: views that in-place changes may write."""
    tensor = as_input("unsafe_split_with_sizes", input)
    return _narrowed(tensor, tensor.split_with_sizes(split_sizes, dim), dim)


METHODS = {"as_strided": as_strided}
