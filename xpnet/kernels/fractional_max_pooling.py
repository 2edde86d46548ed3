"""Fractional max pooling: ``fractional_max_pool2d``/``3d`` and their backward functions.

Graham 2014, "Fractional Max-Pooling": ``kernel_size`` windows whose starts step by a
random, non-integer stride so that ``output_size`` windows span the input. The starts are
PyTorch's ``generate_intervals`` (aten/src/ATen/native/FractionalMaxPool2d.cpp), computed in
the input's dtype as there, so that the same ``_random_samples`` give PyTorch's outputs and
indices: for ``i < out - 1``, ``int((i + u) * alpha) - int(u * alpha)`` with
``alpha = (in - k) / (out - 1)``, and ``in - k`` for the last window. One sample ``u`` per
plane and axis, in PyTorch's order: (W, H) in 2-D, (T, H, W) in 3-D. Without
``_random_samples`` they are drawn from xpnet's device generator (the dropout generator of
:mod:`xpnet._random`: no host round trip). Each window keeps its first largest value, or its
last NaN (PyTorch's ``val > max || isnan(val)``). The backward adds each window's gradient at
its index (the backend's ``scatter_add``: windows may overlap; on a GPU an atomic add, so
not bit-reproducible there).
"""

from __future__ import annotations

import math

from .. import _random
from ._blocks import check_fits
from ._checks import ArgumentError, array_backend, check_number, kernel, to_tuple
from ._pooling import batched, check_index_range, check_pool_grad, check_saved_indices

__all__ = [
    "fractional_max_pool2d",
    "fractional_max_pool2d_backward",
    "fractional_max_pool3d",
    "fractional_max_pool3d_backward",
]

_AXES = {2: ("height", "width"), 3: ("time", "height", "width")}
_SAMPLE_OF_AXIS = {2: (1, 0), 3: (0, 1, 2)}  # which of a plane's samples each axis uses


def _output_size(where, nd, size, kernel, output_size, output_ratio):
    """The output's spatial size, from ``output_size`` or ``int(size * output_ratio)``; each
    window must fit: ``out + k - 1 <= in`` (``< in`` in 3-D, as PyTorch)."""
    if output_size is None and output_ratio is None:
        msg = f"{where}: requires specifying either an output_size or an output_ratio"
        raise ArgumentError(msg)
    if output_size is not None:
        out = to_tuple(where, "output_size", output_size, nd, minimum=0)
    else:
        ratios = (
            (output_ratio,) * nd if not isinstance(output_ratio, tuple | list) else output_ratio
        )
        if len(ratios) != nd:
            msg = f"{where}: output_ratio must be a number or a tuple of {nd}, got {output_ratio!r}"
            raise ArgumentError(msg)
        for ratio in ratios:
            check_number(where, "output_ratio", ratio)
        out = tuple(int(s * r) for s, r in zip(size, ratios, strict=True))
    for name, n_in, n_out, k in zip(_AXES[nd], size, out, kernel, strict=True):
        # PyTorch's 3-D check is strict (aten FractionalMaxPool3d.cpp), its 2-D one is not
        if n_out + k - 1 > n_in - (nd == 3):
            msg = (
                f"{where}: pool {name} {k} too large relative to input {name} {n_in} "
                f"(output_size {n_out}, kernel_size {k})"
            )
            raise ArgumentError(msg)
    return out


def _samples(where, backend, x, nd, samples):
    """(N, C, nd) samples in ``x``'s dtype: checked, or drawn in [0, 1) on the device."""
    N, C = x.shape[:2]
    if samples is None:
        drawn = _random.dropout_generator(backend).random((N, C, nd)).astype(x.dtype)
        # a draw just below 1 may round to 1 in float16/float32: keep it inside [0, 1)
        return backend.xp.minimum(drawn, 1 - backend.xp.finfo(x.dtype).epsneg)
    array_backend(where, input=x, _random_samples=samples)
    if samples.ndim != 3 or samples.shape[0] < N or samples.shape[1:] != (C, nd):
        msg = (
            f"{where}: _random_samples must have shape (N, C, {nd}) (at least N rows) "
            f"for input of {N} x {C} planes, got {tuple(samples.shape)}"
        )
        raise ArgumentError(msg)
    return samples[:N]


def _window_indices(xp, samples, size, out, kernel, dtype):
    """(N, C, *out, K) int64: the flat in-plane index of each window's elements."""
    nd, total = len(size), None
    for axis, (n_in, n_out, k) in enumerate(zip(size, out, kernel, strict=True)):
        u = samples[:, :, _SAMPLE_OF_AXIS[nd][axis], None]  # (N, C, 1)
        starts = xp.zeros((*samples.shape[:2], n_out), dtype=xp.int64)
        if n_out > 1:  # PyTorch's generate_intervals, in the input's dtype
            alpha = xp.asarray(n_in - k, dtype=dtype) / xp.asarray(n_out - 1, dtype=dtype)
            steps = (xp.arange(n_out - 1, dtype=dtype) + u) * alpha
            starts[..., :-1] = steps.astype(xp.int64) - (u * alpha).astype(xp.int64)
        # clipped: samples outside [0, 1) must not read outside the plane
        starts = xp.clip(starts, 0, n_in - k)
        if n_out:
            starts[..., -1] = n_in - k
        shape = [*samples.shape[:2]] + [1] * (2 * nd)
        shape[2 + axis] = n_out
        offsets = [1] * (2 + 2 * nd)
        offsets[2 + nd + axis] = k
        stride = math.prod(size[axis + 1 :])
        term = (starts.reshape(shape) + xp.arange(k).reshape(offsets)) * stride
        total = term if total is None else total + term  # (N, C, *out, *kernel)
    return total.reshape(*samples.shape[:2], *out, math.prod(kernel))


def _pool(where, nd, input, kernel_size, output_size, output_ratio, samples):
    """``(output, indices, unbatched)`` of a fractional max pool over ``nd`` axes."""
    backend, x, unbatched = batched(where, input, nd, nonempty_from=-(nd + 1))
    xp = backend.xp
    kernel = to_tuple(where, "kernel_size", kernel_size, nd)
    size = x.shape[2:]
    out = _output_size(where, nd, size, kernel, output_size, output_ratio)
    N, C = x.shape[:2]
    count = N * C * math.prod(out) * math.prod(kernel)
    check_fits(where, backend, f"windows of {count} elements", count * (8 + x.itemsize))
    samples = _samples(where, backend, x, nd, samples)
    flat = _window_indices(xp, samples, size, out, kernel, x.dtype)  # (N, C, *out, K)
    values = xp.take_along_axis(
        x.reshape(N, C, math.prod(size)), flat.reshape(N, C, math.prod(flat.shape[2:])), axis=2
    ).reshape(flat.shape)
    nan = xp.isnan(values)
    K = flat.shape[-1]
    last_nan = K - 1 - xp.argmax(nan[..., ::-1], axis=-1)
    first_max = xp.argmax(xp.where(nan, -xp.inf, values), axis=-1)  # the first of ties
    pick = xp.where(xp.any(nan, axis=-1), last_nan, first_max)[..., None]
    output = xp.take_along_axis(values, pick, axis=-1)[..., 0]
    indices = xp.take_along_axis(flat, pick, axis=-1)[..., 0]
    if unbatched:
        return output[0], indices[0]
    return output, indices


def _pool_backward(where, nd, grad_output, input, args, indices):
    """The gradient of :func:`_pool` for ``input``; ``args`` are the forward's options."""
    kernel_size, output_size, output_ratio, samples = args
    backend, x, unbatched = batched(where, input, nd, nonempty_from=-(nd + 1))
    xp = backend.xp
    kernel = to_tuple(where, "kernel_size", kernel_size, nd)
    size = x.shape[2:]
    out = _output_size(where, nd, size, kernel, output_size, output_ratio)
    shape = (*x.shape[:2], *out)
    grad = check_pool_grad(where, backend, grad_output, input, shape, unbatched)
    if indices is None and samples is None:
        msg = f"{where}: needs the forward's indices or its _random_samples, got neither"
        raise ArgumentError(msg)
    if indices is None:
        indices = _pool(where, nd, input, kernel_size, output_size, output_ratio, samples)[1]
    check_saved_indices(where, backend, indices, input, shape, unbatched)
    indices = check_index_range(where, backend, indices[None] if unbatched else indices, size)
    N, C, plane = *x.shape[:2], math.prod(size)
    dtype = xp.float32 if x.dtype == xp.float16 else x.dtype
    grad_input = xp.zeros(N * C * plane, dtype=dtype)
    planes = xp.arange(0, N * C * plane, plane, dtype=xp.int64).reshape(N, C, *[1] * nd)
    targets = (indices + planes).reshape(-1)
    backend.scatter_add(grad_input, targets, grad.astype(dtype).reshape(-1))
    grad_input = grad_input.reshape(x.shape).astype(x.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input


@kernel
def fractional_max_pool2d(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples=None,
):
    r"""Max over ``kH x kW`` windows placed at pseudo-random fractional strides. See
    :class:`xpnet.nn.FractionalMaxPool2d`.

    Args:
        input: float array of shape (N, C, H, W) or (C, H, W).
        kernel_size: window size, an int or a pair (kH, kW).
        output_size: (H_out, W_out), an int or a pair; or give ``output_ratio``.
        output_ratio: H_out = int(H * ratio), a number or a pair (used when ``output_size``
            is ``None``).
        return_indices: also return the flat in-plane index ``h * W + w`` of each maximum.
            Default: ``False``.
        _random_samples: (N, C, 2) samples in [0, 1) of ``input``'s dtype, ``[..., 0]`` for W
            and ``[..., 1]`` for H ((1, C, 2) unbatched). Default: drawn from the device
            generator (:func:`xpnet.manual_seed` seeds it).

    Returns:
        Array (N, C, H_out, W_out), or ``(output, indices)`` (int64) with ``return_indices``.

    Raises:
        TypeError: a non-float input, samples of another dtype, non-int sizes.
        ValueError: bad shapes, neither ``output_size`` nor ``output_ratio``, a window that
            does not fit (``H_out + kH - 1 > H``), samples of the wrong shape.

    Note:
        A number ``output_ratio`` is accepted (PyTorch's function needs a pair); a
        ``kernel_size`` below 1 is refused.

    Example:
        >>> x = xp.arange(16.0).reshape(1, 1, 4, 4)
        >>> u = xp.full((1, 1, 2), 0.5)
        >>> fractional_max_pool2d(x, 2, output_size=2, _random_samples=u)[0, 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """
    where = "fractional_max_pool2d"
    output, indices = _pool(
        where, 2, input, kernel_size, output_size, output_ratio, _random_samples
    )
    return (output, indices) if return_indices else output


@kernel
def fractional_max_pool2d_backward(
    grad_output,
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples=None,
    *,
    indices=None,
):
    """Gradient of :func:`fractional_max_pool2d`: each window's gradient added at its
    maximum. Needs the forward's ``indices`` or its ``_random_samples``."""
    args = (kernel_size, output_size, output_ratio, _random_samples)
    where = "fractional_max_pool2d_backward"
    return _pool_backward(where, 2, grad_output, input, args, indices)


@kernel
def fractional_max_pool3d(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples=None,
):
    r"""Max over ``kT x kH x kW`` windows placed at pseudo-random fractional strides. See
    :class:`xpnet.nn.FractionalMaxPool3d`; as :func:`fractional_max_pool2d` with a time axis:
    input (N, C, T, H, W) or (C, T, H, W), samples (N, C, 3) for (T, H, W), indices
    ``(t * H + h) * W + w``. As PyTorch's, it refuses ``T_out + kT - 1 == T`` (and for H, W),
    which the 2-D pool accepts.

    Example:
        >>> x = xp.arange(8.0).reshape(1, 1, 2, 2, 2)
        >>> fractional_max_pool3d(x, 1, output_size=1, _random_samples=xp.zeros((1, 1, 3)))
        array([[[[[7.]]]]])
    """
    where = "fractional_max_pool3d"
    output, indices = _pool(
        where, 3, input, kernel_size, output_size, output_ratio, _random_samples
    )
    return (output, indices) if return_indices else output


@kernel
def fractional_max_pool3d_backward(
    grad_output,
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples=None,
    *,
    indices=None,
):
    """Gradient of :func:`fractional_max_pool3d` (as :func:`fractional_max_pool2d_backward`)."""
    args = (kernel_size, output_size, output_ratio, _random_samples)
    where = "fractional_max_pool3d_backward"
    return _pool_backward(where, 3, grad_output, input, args, indices)
