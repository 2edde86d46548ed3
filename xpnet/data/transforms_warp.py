"""The tensor path of torchvision's ``rotate``, ``affine`` and ``perspective``.

As torchvision's ``_functional_tensor.py``: a sampling grid built from the (inverse) affine
matrix or the perspective coefficients, in torchvision's own normalisation (which, unlike
``affine_grid``, can normalise by the input's size for an output of another size, for
``expand``), read by :func:`xpnet.kernels.grid_sample` (``padding_mode="zeros"``,
``align_corners=False``); a ``fill`` is applied through an extra all-ones channel sampled
with the image, as torchvision does. Integer images are computed in float32 and rounded
back; float images in their own dtype. Arguments are checked by the public functions in
:mod:`xpnet.data.transforms_geometry`.
"""

from __future__ import annotations

import warnings

import numpy

from ..kernels import grid_sample

__all__ = [
    "affine_grid",
    "affine_output_size",
    "apply_grid",
    "check_grid_inputs",
    "grid_dtype",
    "perspective_grid",
]


def check_grid_inputs(array, fill, interpolation: str) -> None:
    """torchvision's ``_assert_grid_transform_inputs``: ``fill``'s kind and length, and the
    two modes the tensor path has."""
    if fill is not None and not isinstance(fill, (int, float, tuple, list)):
        warnings.warn("Argument fill should be either int, float, tuple or list", stacklevel=3)
    channels = 1 if array.ndim == 2 else array.shape[-3]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        msg = (
            "The number of elements in 'fill' cannot broadcast to match the number of "
            f"channels of the image ({len(fill)} != {channels})"
        )
        raise ValueError(msg)
    if interpolation not in ("nearest", "bilinear"):
        msg = f"Interpolation mode '{interpolation}' is unsupported with Tensor input"
        raise ValueError(msg)


def grid_dtype(array):
    """torchvision's: the image's dtype if floating, else float32."""
    return array.dtype if array.dtype.kind == "f" else numpy.dtype(numpy.float32)


def _centred_steps(count: int, offset: float, dtype):
    """``torch.linspace(offset, offset + count - 1, count)`` in float32: exact half-integers."""
    return (numpy.arange(count, dtype=numpy.float32) + numpy.float32(offset)).astype(dtype)


def _base_grid(ow: int, oh: int, x_offset: float, y_offset: float, dtype):
    """(oh * ow, 3): ``(x, y, 1)`` of every output pixel, row-major."""
    x = _centred_steps(ow, x_offset, dtype)
    y = _centred_steps(oh, y_offset, dtype)
    base = numpy.ones((oh, ow, 3), dtype)
    base[..., 0] = x
    base[..., 1] = y[:, None]
    return base.reshape(oh * ow, 3)


def _times(base, matrix):
    """``base @ matrix`` ((M, 3) @ (3, 2)) summed left to right without fused multiply-adds,
    as PyTorch's ``bmm`` sums it: a grid point on a pixel boundary then rounds as in
    torchvision, which decides ties of nearest-neighbour sampling (BLAS's ``@`` may not)."""
    return base[:, :1] * matrix[0] + base[:, 1:2] * matrix[1] + base[:, 2:] * matrix[2]


def affine_grid(matrix, w: int, h: int, ow: int, oh: int, dtype):
    """torchvision's ``_gen_affine_grid``: (1, oh, ow, 2), the output pixels (centred on the
    output's middle) mapped by ``matrix`` (6 numbers) and normalised by the input's size."""
    theta = numpy.asarray(matrix, dtype).reshape(2, 3)
    base = _base_grid(ow, oh, -ow * 0.5 + 0.5, -oh * 0.5 + 0.5, dtype)
    rescaled = theta.T / numpy.asarray([0.5 * w, 0.5 * h], dtype)  # (3, 2)
    return _times(base, rescaled).reshape(1, oh, ow, 2)


def perspective_grid(coeffs, ow: int, oh: int, dtype):
    """torchvision's ``_perspective_grid``: (1, oh, ow, 2), Pillow's perspective map
    ``((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))`` of the
    pixel centres, normalised."""
    a, b, c, d, e, f, g, h = coeffs
    theta1 = numpy.asarray([[a, b, c], [d, e, f]], dtype)
    theta2 = numpy.asarray([[g, h, 1.0], [g, h, 1.0]], dtype)
    base = _base_grid(ow, oh, 0.5, 0.5, dtype)
    rescaled = theta1.T / numpy.asarray([0.5 * ow, 0.5 * oh], dtype)
    grid = _times(base, rescaled) / _times(base, theta2.T) - dtype.type(1.0)
    return grid.reshape(1, oh, ow, 2)


def affine_output_size(matrix, w: int, h: int) -> tuple[int, int]:
    """torchvision's ``_compute_affine_output_size`` (in float32, as there): the ``(width,
    height)`` that holds the corners mapped by ``matrix``, for ``rotate(expand=True)``."""
    f32 = numpy.float32
    corners = numpy.asarray(
        [[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0]]
        + [[0.5 * w, -0.5 * h, 1.0]],
        f32,
    )
    moved = corners @ numpy.asarray(matrix, f32).reshape(2, 3).T  # (4, 2)
    shift = numpy.asarray((w * 0.5, h * 0.5), f32)
    low, high = moved.min(axis=0) + shift, moved.max(axis=0) + shift
    tol = f32(1e-4)  # drop digits past 1e-4 so that 1e-15 does not ceil to 1
    size = numpy.ceil(numpy.trunc(high / tol) * tol) - numpy.floor(numpy.trunc(low / tol) * tol)
    return int(size[0]), int(size[1])


def apply_grid(image, grid, interpolation: str, fill):
    """torchvision's ``_apply_grid_transform``: sample every (C, H, W) image of ``image``
    (..., C, H, W) at ``grid`` (1, H_out, W_out, 2); where the grid leaves the image,
    zeros, or ``fill`` (a number or one per channel) weighed by the sampled mask."""
    dtype = grid.dtype
    shape = image.shape if image.ndim > 2 else (1, *image.shape)
    batch = image.reshape(-1, *shape[-3:]).astype(dtype)  # (N, C, H, W)
    N, C = batch.shape[:2]
    if fill is not None:
        batch = numpy.concatenate([batch, numpy.ones((N, 1, *shape[-2:]), dtype)], axis=1)
    grid = numpy.broadcast_to(grid, (N, *grid.shape[1:]))
    result = grid_sample(batch, grid, interpolation, "zeros", align_corners=False)
    if fill is not None:
        mask, result = result[:, -1:], result[:, :-1]
        values = numpy.asarray(fill if isinstance(fill, (tuple, list)) else [float(fill)], dtype)
        fill_image = numpy.broadcast_to(values.reshape(1, -1, 1, 1), result.shape)
        if interpolation == "nearest":
            result = numpy.where(mask < 0.5, fill_image, result)
        else:
            result = result * mask + (dtype.type(1.0) - mask) * fill_image
    result = result.reshape(*shape[:-3], C, *result.shape[-2:])
    if image.ndim == 2:
        result = result[0]
    if image.dtype != dtype:
        if image.dtype.kind in "iu":
            result = numpy.round(result)
        result = result.astype(image.dtype)
    return numpy.ascontiguousarray(result)
