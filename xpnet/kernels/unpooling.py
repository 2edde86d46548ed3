"""Max unpooling, the partial inverse of max pooling, and its backward function:
``max_unpool1d/2d/3d``.

Each value of ``input`` goes to its flat index (``indices``, max pooling's
``return_indices`` output: an index into each L, H x W or D x H x W plane, PyTorch's
convention, see :mod:`.max_pooling` and :mod:`.pooling_nd`) in a zero output; the backward
gathers ``grad_output`` at the same indices. Where several values share an index, the last
one in row-major order wins, as on PyTorch's CPU, on every backend: a scatter-max of the
positions (deterministic, unlike a plain scatter on a GPU) picks each target's last writer,
and one gather fills the output.
"""

from __future__ import annotations

import math
import numbers

from ..backends import backend_of
from ._checks import check_saved, kernel, to_tuple
from ._pooling import batched, check_index_range, check_pool_grad, stride_omitted

__all__ = [
    "max_unpool1d",
    "max_unpool1d_backward",
    "max_unpool2d",
    "max_unpool2d_backward",
    "max_unpool3d",
    "max_unpool3d_backward",
]


def _output_size(where, nd, x, kernel_size, stride, padding, output_size):
    """The output's spatial size, PyTorch's ``_unpool_output_size``: by default
    ``(size - 1) * stride + kernel_size - 2 * padding`` per axis; a given ``output_size``
    (``nd`` or ``nd + 2`` ints) must lie strictly within ``stride`` of that."""
    kernel_size = to_tuple(where, "kernel_size", kernel_size, nd, minimum=None)
    if stride_omitted(stride):
        stride = kernel_size
    else:
        stride = to_tuple(where, "stride", stride, nd, minimum=None)
    padding = to_tuple(where, "padding", padding, nd, minimum=None)
    size = x.shape[2:]
    default = [
        (s - 1) * d + k - 2 * p
        for s, d, k, p in zip(size, stride, kernel_size, padding, strict=True)
    ]
    if output_size is None:
        result = default
    else:
        given = _given_size(where, nd, output_size)
        for axis in range(nd):
            low, high = default[axis] - stride[axis], default[axis] + stride[axis]
            if not low < given[axis] < high:
                msg = (
                    f'{where}: invalid output_size "{output_size}" (dim {axis} must be between '
                    f"{low} and {high})"
                )
                raise ValueError(msg)
        result = given
    for axis, length in enumerate(result):
        if length < 0:
            msg = (
                f"{where}: output_size must contain non-negative spatial dimensions, but got "
                f"output_size[{axis}]={length}"
            )
            raise ValueError(msg)
    return tuple(result)


def _given_size(where, nd, output_size):
    """``output_size``'s spatial part: ``nd`` ints, or ``nd + 2`` whose last ``nd`` count."""
    try:
        given = list(output_size)
    except TypeError:
        given = None
    if given is not None and len(given) == nd + 2:
        given = given[2:]
    if given is None or len(given) != nd:
        length = "no" if given is None else len(given)
        msg = (
            f"{where}: output_size should be a sequence containing {nd} or {nd + 2} elements, "
            f"but it has a length of '{length}'"
        )
        raise ValueError(msg)
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in given):
        msg = f"{where}: output_size must hold ints, got {output_size!r}"
        raise TypeError(msg)
    return [int(v) for v in given]


def _prepare(where, nd, input, indices, kernel_size, stride, padding, output_size):
    """(backend, x as (N, C, *size), unbatched, output spatial size, indices as (N, C, M)
    checked and clipped into the output planes)."""
    backend, x, unbatched = batched(where, input, nd)
    backend_of(input, indices, names=("input", "indices"), where=where)
    check_saved(where, "indices", indices, input.shape, (backend.xp.dtype("int64"),), "input")
    size = _output_size(where, nd, x, kernel_size, stride, padding, output_size)
    M = math.prod(x.shape[2:])
    flat = (indices[None] if unbatched else indices).reshape(*x.shape[:2], M)
    if math.prod(size) == 0:
        return backend, x, unbatched, size, None  # an empty output: PyTorch reads no index
    return backend, x, unbatched, size, check_index_range(where, backend, flat, size)


def max_unpool(where, nd, input, indices, kernel_size, stride, padding, output_size):
    """The body of ``max_unpool{nd}d``, reporting errors as ``where``."""
    options = (kernel_size, stride, padding, output_size)
    backend, x, unbatched, size, flat = _prepare(where, nd, input, indices, *options)
    xp, (N, C), plane = backend.xp, x.shape[:2], math.prod(size)
    M = math.prod(x.shape[2:])
    values = x.reshape(N, C, M)
    if N == 0 or plane == 0:
        output = xp.zeros((N, C, *size), dtype=input.dtype)
        return output[0] if unbatched else output
    # each target's last writer: positions counted from 1 (0: no writer), maximum-scattered
    planes = xp.arange(0, N * C * plane, plane, dtype=xp.int64).reshape(N, C, 1)
    targets = (flat + planes).reshape(-1)
    writer = xp.zeros(N * C * plane, dtype=xp.uint64)
    positions = xp.arange(1, N * C * M + 1, dtype=xp.uint64)
    xp.maximum.at(writer, targets, positions)
    written = writer > 0
    source = xp.where(written, writer - 1, 0).astype(xp.int64)
    output = xp.where(written, values.reshape(-1)[source], 0).astype(input.dtype, copy=False)
    output = output.reshape(N, C, *size)
    return output[0] if unbatched else output


def max_unpool_backward(where, nd, grad_output, input, indices, *options):
    """The body of ``max_unpool{nd}d_backward``: ``grad_output`` gathered at ``indices``."""
    backend, x, unbatched, size, flat = _prepare(where, nd, input, indices, *options)
    grad = check_pool_grad(where, backend, grad_output, input, (*x.shape[:2], *size), unbatched)
    xp, plane = backend.xp, math.prod(size)
    if flat is None or flat.size == 0:
        return xp.zeros(input.shape, dtype=input.dtype)
    gathered = xp.take_along_axis(grad.reshape(*x.shape[:2], plane), flat, axis=2)
    return gathered.reshape(input.shape)


@kernel
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""Partial inverse of :func:`max_pool1d`, as ``torch.nn.functional.max_unpool1d``.

    Args:
        input: array (N, C, L) or (C, L), and ``indices``, int64 of its shape (flat indices
            into each output row): ``max_pool1d(..., return_indices=True)``'s outputs.
        kernel_size, stride, padding, output_size: as :func:`max_unpool2d`, in 1-D.

    Returns:
        Array (N, C, L_out), L_out = (L - 1) * stride + kernel_size - 2 * padding or
        ``output_size``, as :func:`max_unpool2d`.

    Raises:
        As :func:`max_unpool2d`.

    Example:
        >>> from xpnet.kernels import max_pool1d
        >>> x = xp.asarray([[[1.0, 3.0, 2.0, 0.0]]])
        >>> output, indices = max_pool1d(x, 2, return_indices=True)
        >>> max_unpool1d(output, indices, 2)
        array([[[0., 3., 2., 0.]]])
    """
    return max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


@kernel
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""Partial inverse of :func:`max_pool2d`, as ``torch.nn.functional.max_unpool2d``.

    Args:
        input: array of shape (N, C, H, W) or (C, H, W): the pooled values.
        indices: int64 array of ``input``'s shape, flat indices into each H_out x W_out
            output plane, as ``max_pool2d(..., return_indices=True)`` returns them.
        kernel_size: the pool's window size, int or pair.
        stride: the pool's step, int or pair. Default: ``kernel_size``.
        padding: the pool's padding, int or pair. Default: 0.
        output_size: the output's spatial size, 2 ints (or 4, N and C first, ignored).
            Default: ``(H - 1) * stride[0] + kH - 2 * padding[0]`` (and so for W); a given
            size must lie strictly within ``stride`` of that default.

    Shape:
        - Output: (N, C, H_out, W_out), from ``output_size`` or its default.

    Returns:
        Array of ``input``'s dtype: zeros but at ``indices``, which hold ``input``'s values
        (where an index repeats, the last value in row-major order, as PyTorch on a CPU).

    Raises:
        TypeError: a non-float input, non-int64 indices, ``output_size`` of non-ints.
        ValueError: wrong ndim, indices of another shape, an empty C or spatial axis, an
        ``output_size`` of the wrong length, out of range or negative. IndexError: an index
        outside its output plane (on strict and CuPy at the next host read; until then the
        index is clipped into the plane).

    Example:
        >>> from xpnet.kernels import max_pool2d
        >>> x = xp.asarray([[[[1.0, 3.0], [4.0, 2.0]]]])
        >>> max_unpool2d(*max_pool2d(x, 2, return_indices=True), 2)[0, 0]
        array([[0., 0.],
               [4., 0.]])
    """
    return max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


@kernel
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""Partial inverse of :func:`max_pool3d`, as ``torch.nn.functional.max_unpool3d``.

    Args:
        input: array (N, C, D, H, W) or (C, D, H, W), and ``indices``, int64 of its shape (flat
            indices into each output volume): ``max_pool3d(..., return_indices=True)``'s.
        kernel_size, stride, padding, output_size: as :func:`max_unpool2d`, in 3-D.

    Returns:
        Array (N, C, D_out, H_out, W_out), as :func:`max_unpool2d`.

    Raises:
        As :func:`max_unpool2d`.

    Example:
        >>> from xpnet.kernels import max_pool3d
        >>> x = xp.asarray([[[[[1.0], [3.0]]]]])
        >>> max_unpool3d(*max_pool3d(x, (1, 2, 1), return_indices=True), (1, 2, 1)).shape
        (1, 1, 1, 2, 1)
    """
    return max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


@kernel
def max_unpool1d_backward(
    grad_output, input, indices, kernel_size, stride=None, padding=0, output_size=None
):
    r"""Gradient of :func:`max_unpool1d` with respect to ``input``: ``grad_output`` at
    ``indices`` (every repeat of an index gets it, as in PyTorch).

    Example:
        >>> g = xp.asarray([[[5.0, 6.0, 7.0, 8.0]]])
        >>> max_unpool1d_backward(g, xp.ones((1, 1, 2)), xp.asarray([[[1, 2]]]), 2)
        array([[[6., 7.]]])
    """
    options = (kernel_size, stride, padding, output_size)
    return max_unpool_backward("max_unpool1d_backward", 1, grad_output, input, indices, *options)


@kernel
def max_unpool2d_backward(
    grad_output, input, indices, kernel_size, stride=None, padding=0, output_size=None
):
    r"""Gradient of :func:`max_unpool2d` with respect to ``input``: ``grad_output`` at
    ``indices`` (flat in each H x W plane).

    Example:
        >>> g = xp.arange(4.0).reshape(1, 1, 2, 2)
        >>> max_unpool2d_backward(g, xp.ones((1, 1, 1, 1)), xp.asarray([[[[2]]]]), 2)
        array([[[[2.]]]])
    """
    options = (kernel_size, stride, padding, output_size)
    return max_unpool_backward("max_unpool2d_backward", 2, grad_output, input, indices, *options)


@kernel
def max_unpool3d_backward(
    grad_output, input, indices, kernel_size, stride=None, padding=0, output_size=None
):
    r"""Gradient of :func:`max_unpool3d` with respect to ``input``: ``grad_output`` at
    ``indices`` (flat in each D x H x W volume).

    Example:
        >>> g = xp.arange(8.0).reshape(1, 1, 2, 2, 2)
        >>> max_unpool3d_backward(g, xp.ones((1, 1, 1, 1, 1)), xp.asarray([[[[[7]]]]]), 2)
        array([[[[[7.]]]]])
    """
    options = (kernel_size, stride, padding, output_size)
    return max_unpool_backward("max_unpool3d_backward", 3, grad_output, input, indices, *options)
