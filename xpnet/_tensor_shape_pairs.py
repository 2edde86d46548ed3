"""The forward/backward pairs behind :mod:`xpnet._tensor_shape_ops`: ``flip``, ``roll``,
``rot90``, ``tril``/``triu``, ``diagonal``, ``diag_embed``, ``repeat_interleave`` (an int
count) and ``unfold``.

Each follows :mod:`xpnet._tensor_ops`' convention (``<op>(*args)`` on arrays,
``<op>_backward(grad_output, *args)``) and gives PyTorch's gradients: every one of these
moves or copies elements, so its backward moves the gradient back (and adds up the copies).
Arguments arrive checked and normalised (dims in ``[0, ndim)``, tuples) from the public
functions.

Example:
    >>> import numpy as np
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> roll(x, (1,), (1,)).tolist(), diagonal(x, 1, 0, 1).tolist()
    ([[2.0, 0.0, 1.0], [5.0, 3.0, 4.0]], [1.0, 5.0])
"""

from __future__ import annotations

from ._tensor_ops import check_grad
from .backends import backend_of


def _check(name: str, grad_output, shape, a):
    check_grad(f"{name}_backward", grad_output, tuple(shape), a.dtype, a)


def flip(a, dims):
    return backend_of(a).xp.flip(a, dims).copy()  # a copy, as PyTorch's


def flip_backward(grad_output, a, dims):
    _check("flip", grad_output, a.shape, a)
    return backend_of(grad_output).xp.flip(grad_output, dims)


def roll(a, shifts, dims):
    """``a`` rolled by ``shifts`` along ``dims``; ``dims=None``: as one flat line."""
    return backend_of(a).xp.roll(a, shifts, axis=dims)


def roll_backward(grad_output, a, shifts, dims):
    _check("roll", grad_output, a.shape, a)
    back = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
    return backend_of(grad_output).xp.roll(grad_output, back, axis=dims)


def rot90(a, k, dims):
    return backend_of(a).xp.rot90(a, k, axes=dims).copy()


def rot90_backward(grad_output, a, k, dims):
    shape = a.shape if k % 2 == 0 else _swapped(a.shape, dims)
    _check("rot90", grad_output, shape, a)
    return backend_of(grad_output).xp.rot90(grad_output, -k, axes=dims)


def _swapped(shape, dims):
    listed = list(shape)
    listed[dims[0]], listed[dims[1]] = shape[dims[1]], shape[dims[0]]
    return tuple(listed)


def triangle(a, diagonal, upper):
    """The lower (``upper`` false) or upper triangle of the last two dims, the rest zeros."""
    xp = backend_of(a).xp
    return xp.triu(a, diagonal) if upper else xp.tril(a, diagonal)


def triangle_backward(grad_output, a, diagonal, upper):
    _check("triangle", grad_output, a.shape, a)
    return triangle(grad_output, diagonal, upper)


def diagonal(a, offset, dim1, dim2):
    """The diagonal ``offset`` of the planes ``(dim1, dim2)``, as a new last dimension: a
    writable view of ``a``, as PyTorch's (NumPy's own is read-only)."""
    start = [slice(None)] * a.ndim  # the view starts at the diagonal's first element
    start[dim1], start[dim2] = slice(max(-offset, 0), None), slice(max(offset, 0), None)
    first = a[tuple(start)]
    rest = tuple(step for d, step in enumerate(a.strides) if d not in (dim1, dim2))
    steps = (*rest, a.strides[dim1] + a.strides[dim2])
    return backend_of(a).as_strided(
        first, _diagonal_shape(a.shape, offset, dim1, dim2), steps, writeable=True
    )


def _diagonal_shape(shape, offset, dim1, dim2):
    rest = tuple(n for d, n in enumerate(shape) if d not in (dim1, dim2))
    rows, columns = shape[dim1], shape[dim2]
    length = min(rows + min(offset, 0), columns - max(offset, 0))
    return rest + (max(length, 0),)


def embed(values, shape, offset, dim1, dim2):
    """Zeros of ``shape`` holding ``values`` on their diagonal ``offset`` of ``(dim1, dim2)``:
    the inverse of :func:`diagonal`."""
    xp = backend_of(values).xp
    out = xp.zeros(shape, dtype=values.dtype)
    plane = xp.moveaxis(out, (dim1, dim2), (-2, -1))  # a view: writing fills ``out``
    steps = xp.arange(values.shape[-1])
    plane[..., steps + max(-offset, 0), steps + max(offset, 0)] = values
    return out


def diagonal_backward(grad_output, a, offset, dim1, dim2):
    _check("diagonal", grad_output, _diagonal_shape(a.shape, offset, dim1, dim2), a)
    return embed(grad_output, a.shape, offset, dim1, dim2)


def embedded_shape(shape, offset, dim1, dim2):
    """The shape of ``diag_embed`` of an array of ``shape``: two dimensions of size
    ``shape[-1] + |offset|`` at ``dim1`` and ``dim2`` (of the result) in place of the last."""
    size = shape[-1] + abs(offset) if shape else 1 + abs(offset)
    result = list(shape[:-1])
    for d in sorted((dim1, dim2)):
        result.insert(d, size)
    return tuple(result)


def diag_embed(a, offset, dim1, dim2):
    return embed(a, embedded_shape(a.shape, offset, dim1, dim2), offset, dim1, dim2)


def diag_embed_backward(grad_output, a, offset, dim1, dim2):
    _check("diag_embed", grad_output, embedded_shape(a.shape, offset, dim1, dim2), a)
    return diagonal(grad_output, offset, dim1, dim2)


def repeat_each(a, repeats, dim):
    """Each element ``repeats`` times in a row along ``dim``: ``repeat_interleave``."""
    return backend_of(a).xp.repeat(a, repeats, axis=dim)


def repeat_each_backward(grad_output, a, repeats, dim):
    """The copies of each element summed: a reshape, then a sum (no scatter, deterministic)."""
    shape = a.shape[:dim] + (a.shape[dim] * repeats,) + a.shape[dim + 1 :]
    _check("repeat_each", grad_output, shape, a)
    split = a.shape[:dim] + (a.shape[dim], repeats) + a.shape[dim + 1 :]
    return grad_output.reshape(split).sum(axis=dim + 1)


def windows(a, dim, size, step):
    """The windows of ``size`` elements every ``step`` along ``dim``, as a new last
    dimension (``Tensor.unfold``): a view of ``a``, as PyTorch's, writable where the windows
    do not overlap (``step >= size``), read-only where an element is in several."""
    count = (a.shape[dim] - size) // step + 1
    shape = (*a.shape[:dim], count, *a.shape[dim + 1 :], size)
    strides = (*a.strides[:dim], a.strides[dim] * step, *a.strides[dim + 1 :], a.strides[dim])
    disjoint = step >= size or count <= 1
    return backend_of(a).as_strided(a, shape, strides, writeable=disjoint)


def windows_backward(grad_output, a, dim, size, step):
    """Each window's gradient added back where it was read: one strided add per position in
    the window (overlapping windows add up, in a fixed order)."""
    count = (a.shape[dim] - size) // step + 1
    shape = a.shape[:dim] + (count,) + a.shape[dim + 1 :] + (size,)
    _check("windows", grad_output, shape, a)
    xp = backend_of(grad_output).xp
    grad = xp.zeros(a.shape, dtype=grad_output.dtype)
    before = (slice(None),) * dim
    for j in range(size):
        grad[before + (slice(j, j + step * (count - 1) + 1, step),)] += grad_output[..., j]
    return grad
