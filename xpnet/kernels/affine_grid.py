"""Sampling grids of affine maps: ``affine_grid`` and its backward function, the grids that
:mod:`.grid_sample` reads.

As ATen's ``AffineGridGenerator.cpp``: a base grid of the output pixels' normalized
coordinates ``(x, y[, z], 1)`` (built on the host from the sizes alone), multiplied by each
``theta``'s transpose; the gradient of ``theta`` is the base grid's transpose times the
gradient of the grid.
"""

from __future__ import annotations

import math
import numbers

import numpy

from ._blocks import check_fits, compute_dtype
from ._checks import (
    ArgumentError,
    UnsupportedDtypeError,
    array_backend,
    check_grad_output,
    kernel,
    require_arrays,
)

__all__ = ["affine_grid", "affine_grid_backward"]


class ThetaDtypeError(UnsupportedDtypeError, ValueError):
    """A non-float ``theta``: xpnet's TypeError for a dtype, and PyTorch's ValueError."""


def _check_call(where, theta, size, align_corners):
    """The backend and the spatial sizes, after PyTorch's checks and in its order."""
    require_arrays(where, theta=theta)
    if align_corners is not None and not isinstance(align_corners, bool):
        msg = (
            f"{where}: align_corners must be None or a bool, got "
            f"{type(align_corners).__name__} {align_corners!r}"
        )
        raise TypeError(msg)
    if getattr(theta, "dtype", numpy.dtype(float)).kind != "f":  # first, as PyTorch's
        msg = f"{where}: theta must be a floating-point array, got dtype {theta.dtype}"
        raise ThetaDtypeError(msg)
    backend = array_backend(where, theta=theta)
    items = list(size) if isinstance(size, (tuple, list)) else None
    if items is None or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in items
    ):
        msg = f"{where}: size must be a tuple of ints, got {size!r}"
        raise TypeError(msg)
    if len(items) not in (4, 5):
        msg = (
            f"{where}: only 4-D and 5-D sizes are supported, for 2-D and 3-D affine "
            f"transforms, got size {size!r}"
        )
        raise NotImplementedError(msg)
    dim = len(items) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (dim, dim + 1):
        msg = (
            f"{where}: expected a batch of {dim}D affine matrices of shape "
            f"Nx{dim}x{dim + 1} for size {size!r}, got shape {theta.shape}"
        )
        raise ArgumentError(msg)
    spatial = [int(s) for s in items[2:]]
    # PyTorch skips the size check for unit grids with align_corners (warning instead)
    if not (align_corners and min(spatial) == 1) and min(items) <= 0:
        msg = f"{where}: expected non-zero, positive output size, got {size!r}"
        raise ArgumentError(msg)
    if theta.shape[0] != items[0]:
        msg = f"{where}: size[0] must be theta's batch {theta.shape[0]}, got {size!r}"
        raise ArgumentError(msg)
    return backend, spatial


def _steps(count, align_corners):
    """``linspace_from_neg_one``: -1 to 1 in ``count`` steps, scaled by ``(count - 1) /
    count`` without ``align_corners`` (pixel centres), ``[0]`` for one step."""
    if count <= 1:
        return numpy.zeros(count)
    steps = numpy.linspace(-1.0, 1.0, count)
    return steps if align_corners else steps * (count - 1) / count


def _base_grid(spatial, align_corners):
    """(points, dim + 1) on the host: ``(x, y[, z], 1)`` of every output pixel, row-major
    over ``(D,) H, W``."""
    axes = [_steps(n, bool(align_corners)) for n in spatial]
    mesh = numpy.meshgrid(*axes, indexing="ij")  # one array per spatial axis, (D,) H, W
    columns = [m.reshape(-1) for m in reversed(mesh)]  # x first
    return numpy.stack([*columns, numpy.ones(math.prod(spatial))], axis=1)


@kernel
def affine_grid(theta, size, align_corners: bool | None = None):
    r"""The sampling grid of affine maps, as ``torch.nn.functional.affine_grid``: the point
    ``theta[n] @ (x, y[, z], 1)`` for every output pixel, in :func:`grid_sample`'s
    normalized coordinates.

    Args:
        theta: array of shape (N, 2, 3) (2-D maps) or (N, 3, 4) (3-D maps).
        size: the output's size, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        align_corners: whether -1 and 1 are the corner pixels' centres rather than their
            outer edges; use the same value with :func:`grid_sample`. Default: ``None``,
            which is ``False`` (without PyTorch's warning).

    Shape:
        - Output: (N, H, W, 2) or (N, D, H, W, 3).

    Returns:
        Array in the dtype of ``theta``.

    Raises:
        ValueError: a ``theta`` shape that does not match ``size``, a size below 1
            (except unit spatial sizes with ``align_corners``, as PyTorch), a batch that
            differs from ``theta``'s.
        TypeError: a ``size`` that is not ints, a non-float ``theta`` (also PyTorch's
            ValueError), an ``align_corners`` that is not a bool.
        NotImplementedError: a ``size`` of another length.

    Example:
        >>> theta = xp.asarray([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> affine_grid(theta, (1, 1, 1, 2), align_corners=True)[0, 0]
        array([[-1.,  0.],
               [ 1.,  0.]])
    """
    backend, spatial = _check_call("affine_grid", theta, size, align_corners)
    xp, dtype = backend.xp, compute_dtype(backend.xp, theta.dtype)
    N, dim = theta.shape[0], len(spatial)
    check_fits(
        "affine_grid",
        backend,
        f"a grid of {N * math.prod(spatial)} points",
        2 * N * math.prod(spatial) * dim * theta.dtype.itemsize,
    )
    base = backend.asarray(_base_grid(spatial, align_corners).astype(dtype))  # (P, dim + 1)
    grid = xp.matmul(base, xp.swapaxes(theta.astype(dtype, copy=False), 1, 2))  # (N, P, dim)
    return grid.reshape(N, *spatial, dim).astype(theta.dtype, copy=False)


@kernel
def affine_grid_backward(grad_output, theta, size, align_corners: bool | None = None):
    """Gradient of :func:`affine_grid` with respect to ``theta``: ``grad_output``'s points
    times the base grid, ``(N, dim, dim + 1)``."""
    where = "affine_grid_backward"
    backend, spatial = _check_call(where, theta, size, align_corners)
    N, dim = theta.shape[0], len(spatial)
    array_backend(where, theta=theta, grad_output=grad_output)
    check_grad_output(where, grad_output, (N, *spatial, dim), theta.dtype)
    xp, dtype = backend.xp, compute_dtype(backend.xp, theta.dtype)
    base = backend.asarray(_base_grid(spatial, align_corners).astype(dtype))  # (P, dim + 1)
    grad = grad_output.astype(dtype, copy=False).reshape(N, -1, dim)  # (N, P, dim)
    grad_theta = xp.matmul(xp.swapaxes(grad, 1, 2), base)  # (N, dim, dim + 1)
    return grad_theta.astype(theta.dtype, copy=False)
