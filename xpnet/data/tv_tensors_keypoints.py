"""torchvision v2's keypoint kernels: :class:`~xpnet.data.tv_tensors.KeyPoints` through the
geometric functions (``*_keypoints``), :func:`clamp_keypoints` and :func:`sanitize_keypoints`.

A kernel takes plain points ``(..., 2)`` (an array or a Tensor) with their ``canvas_size``
and returns the same kind, with the new ``canvas_size`` where torchvision's returns one.
Points are pixel indices: a flip maps ``x`` to ``width - 1 - x`` (boxes: ``width - x``),
:func:`clamp_keypoints` keeps them in ``[0, width - 1] x [0, height - 1]``. Crop, pad and
resize move points without clamping, as torchvision's; :func:`keypoints_dispatch` puts a
kernel in front of a geometric function of :mod:`xpnet.data.tv_tensors_geometry` or
:mod:`xpnet.data.transforms_v2_warp`.

Example:
    >>> horizontal_flip_keypoints(np.array([[0, 1], [3, 2]]), (4, 5)).tolist()
    [[4, 1], [1, 2]]
"""

from __future__ import annotations

import functools

import numpy

from ..autograd import Tensor
from ..backends import backend_of
from . import transforms_functional as F
from . import transforms_warp as fw
from .transforms_geometry import get_inverse_affine_matrix
from .tv_tensors import KeyPoints, wrap
from .tv_tensors_warp import (
    affine_parse_args,
    check_displacement,
    homogeneous,
    identity_grid,
    perspective_coefficients,
    perspective_points,
)

__all__ = [
    "affine_keypoints",
    "center_crop_keypoints",
    "clamp_keypoints",
    "crop_keypoints",
    "elastic_keypoints",
    "get_size_keypoints",
    "horizontal_flip_keypoints",
    "keypoints_dispatch",
    "pad_keypoints",
    "perspective_keypoints",
    "resize_keypoints",
    "resized_crop_keypoints",
    "rotate_keypoints",
    "sanitize_keypoints",
    "vertical_flip_keypoints",
]


def points_of(keypoints):
    """The backend array of plain points (an array, or a Tensor's array)."""
    return keypoints.array if isinstance(keypoints, Tensor) else keypoints


def like_points(keypoints, array):
    """``array`` as the kind the points came as: a Tensor, or an array."""
    return Tensor(array) if isinstance(keypoints, Tensor) else array


def float_dtype(array):
    """The dtype torchvision computes ``array``'s points in: its own float, else float32."""
    return array.dtype if array.dtype.kind == "f" else numpy.dtype(numpy.float32)


def shifted(keypoints, dx, dy):
    """Points moved by ``(dx, dy)`` in their own dtype."""
    array = points_of(keypoints)
    xp = backend_of(array).xp
    return like_points(keypoints, array + xp.asarray([dx, dy], dtype=array.dtype))


def flipped(keypoints, length: int, axis: int):
    """Points mirrored along ``axis`` (0: x, 1: y) of a canvas ``length`` pixels long."""
    array = points_of(keypoints).copy()
    array[..., axis] = (length - 1) - array[..., axis]
    return like_points(keypoints, array)


def horizontal_flip_keypoints(keypoints, canvas_size):
    """torchvision's ``horizontal_flip_keypoints``: ``x`` to ``width - 1 - x``."""
    return flipped(keypoints, canvas_size[1], 0)


def vertical_flip_keypoints(keypoints, canvas_size):
    """torchvision's ``vertical_flip_keypoints``: ``y`` to ``height - 1 - y``.

    Example:
        >>> vertical_flip_keypoints(np.array([[0, 1]]), (4, 5)).tolist()
        [[0, 2]]
    """
    return flipped(keypoints, canvas_size[0], 1)


def crop_keypoints(keypoints, top: int, left: int, height: int, width: int):
    """torchvision's ``crop_keypoints``: ``(points - (left, top), (height, width))``.

    Example:
        >>> crop_keypoints(np.array([[3, 3]]), 1, 2, 2, 2)[0].tolist()
        [[1, 2]]
    """
    return shifted(keypoints, -left, -top), (height, width)


def center_crop_keypoints(keypoints, canvas_size, output_size):
    """torchvision's ``center_crop_keypoints``: :func:`crop_keypoints` of the centre."""
    crop_height, crop_width = F.center_crop_size(output_size)
    top, left = F.center_crop_anchor(crop_height, crop_width, *canvas_size)
    return crop_keypoints(keypoints, top, left, crop_height, crop_width)


def pad_keypoints(keypoints, canvas_size, padding, padding_mode: str = "constant"):
    """torchvision's ``pad_keypoints``: points moved by ``(left, top)``, the larger canvas.

    Raises:
        ValueError: for a ``padding_mode`` other than ``"constant"``.
    """
    if padding_mode != "constant":
        msg = (
            f"Padding mode '{padding_mode}' is not supported with KeyPoints "
            "(supported modes are constant)"
        )
        raise ValueError(msg)
    left, right, top, bottom = F.padding_lrtb(padding)
    canvas_size = (canvas_size[0] + top + bottom, canvas_size[1] + left + right)
    return shifted(keypoints, left, top), canvas_size


def resize_keypoints(keypoints, size, canvas_size, max_size=None):
    """torchvision's ``resize_keypoints``: points times the float32 ratios of the sizes
    (integer points truncated back), with the new canvas."""
    height, width = canvas_size
    new_height, new_width = F.resized_output_size(canvas_size, size, max_size)
    if (new_height, new_width) == (height, width):
        return keypoints, tuple(canvas_size)
    array = points_of(keypoints)
    xp = backend_of(array).xp
    ratios = numpy.asarray([new_width / width, new_height / height], numpy.float32)
    dtype = float_dtype(array)  # torch: float64 * float32 is float64, int64 * float32 float32
    out = array.astype(dtype) * xp.asarray(ratios.astype(dtype))
    return like_points(keypoints, out.astype(array.dtype)), (new_height, new_width)


def resized_crop_keypoints(keypoints, top, left, height, width, size):
    """torchvision's ``resized_crop_keypoints``: :func:`crop_keypoints`, then resize."""
    keypoints, canvas_size = crop_keypoints(keypoints, top, left, height, width)
    return resize_keypoints(keypoints, size, canvas_size)


def affine_with_expand(keypoints, canvas_size, angle, translate, scale, shear, center, expand):
    """torchvision's ``_affine_keypoints_with_expand``: the points through the forward
    affine map (float32 for integers, truncated back), the canvas larger with ``expand``."""
    array = points_of(keypoints)
    if array.size == 0:
        return keypoints, tuple(canvas_size)
    xp, dtype = backend_of(array).xp, float_dtype(array)
    angle, translate, shear, center = affine_parse_args(angle, translate, scale, shear, center)
    height, width = canvas_size
    center = [width * 0.5, height * 0.5] if center is None else center
    forward = get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=False)
    matrix = xp.asarray(forward, dtype=dtype).reshape(2, 3).T
    out = homogeneous(array.reshape(-1, 2), dtype) @ matrix
    if expand:  # the canvas's corners move too: shift the points onto the new canvas
        frame = [[0.0, 0.0], [0.0, height], [width, height], [width, 0.0]]
        out = out - (homogeneous(xp.asarray(frame, dtype=dtype), dtype) @ matrix).min(axis=0)
        inverse = get_inverse_affine_matrix(center, angle, translate, scale, shear)
        new_width, new_height = fw.affine_output_size(inverse, width, height)
        canvas_size = (new_height, new_width)
    out = out.reshape(array.shape).astype(array.dtype)
    return like_points(keypoints, out), tuple(canvas_size)


def affine_keypoints(keypoints, canvas_size, angle, translate, scale, shear, center=None):
    """torchvision's ``affine_keypoints``: ``(points, canvas_size)`` through ``affine``'s map.

    Example:
        >>> affine_keypoints(np.array([[1.0, 2.0]]), (4, 4), 0.0, [1, 0], 1.0, 0.0)[0].tolist()
        [[2.0, 2.0]]
    """
    args = (angle, translate, scale, shear, center, False)
    return affine_with_expand(keypoints, canvas_size, *args)


def rotate_keypoints(keypoints, canvas_size, angle, expand=False, center=None):
    """torchvision's ``rotate_keypoints``: ``(points, canvas_size)`` rotated by ``angle``
    degrees counter-clockwise (the canvas of the rotated image with ``expand``)."""
    args = (-angle, [0.0, 0.0], 1.0, [0.0, 0.0], center, expand)
    return affine_with_expand(keypoints, canvas_size, *args)


def perspective_keypoints(keypoints, canvas_size, startpoints, endpoints, coefficients=None):
    """torchvision's ``perspective_keypoints``: the points through the inverse of the
    image's perspective map.

    Raises:
        RuntimeError: if the coefficients cannot be inverted.
        ValueError: as :func:`~xpnet.data.tv_tensors_warp.perspective_coefficients`.
    """
    array = points_of(keypoints)
    if array.size == 0:
        return keypoints
    dtype = float_dtype(array)
    coeffs = perspective_coefficients(startpoints, endpoints, coefficients)
    # torch.cat of the points with float32 ones: integers become float32, floats stay
    points = homogeneous(array.reshape(-1, 2), numpy.result_type(dtype, numpy.float32))
    out = perspective_points(points, coeffs, dtype, "keypoints")
    return like_points(keypoints, out.astype(array.dtype).reshape(array.shape))


def elastic_keypoints(keypoints, canvas_size, displacement):
    """torchvision's ``elastic_keypoints``: each point moves by the inverse displacement
    (approximated as ``-displacement``) read at its pixel (coordinates truncated).

    Raises:
        TypeError: if ``displacement`` is not a Tensor or an array.
        ValueError: for a ``displacement`` of another shape than (1, H, W, 2).
    """
    height, width = canvas_size
    displacement = check_displacement(displacement, height, width)
    array = points_of(keypoints)
    if array.size == 0:
        return keypoints
    backend, dtype = backend_of(array), float_dtype(array)
    inverse = identity_grid(height, width, dtype) - displacement.astype(dtype)
    index = backend.to_host(array.reshape(-1, 2)).astype(numpy.int64)  # torch's .to(long)
    index_x, index_y = index[:, 0].clip(0, width - 1), index[:, 1].clip(0, height - 1)
    size = numpy.asarray([width, height], dtype=dtype)
    moved = (inverse[0, index_y, index_x, :] + dtype.type(1)) * (dtype.type(0.5) * size)
    out = (moved - dtype.type(0.5)).astype(array.dtype).reshape(array.shape)
    return like_points(keypoints, backend.asarray(out))


def get_size_keypoints(keypoints) -> list[int]:
    """torchvision's ``get_size_keypoints``: ``[height, width]`` of the canvas."""
    return list(keypoints.canvas_size)


def clamp_keypoints(inpt, canvas_size=None):
    """Points clamped to ``[0, width - 1] x [0, height - 1]`` (torchvision's
    ``clamp_keypoints``), in float32 for integer points, back to their dtype.

    Args:
        inpt: :class:`~xpnet.data.tv_tensors.KeyPoints`, or an ``(..., 2)`` array or Tensor.
        canvas_size: ``(height, width)`` of a plain input; not passed for KeyPoints.

    Raises:
        ValueError: ``canvas_size`` passed with KeyPoints or missing without.

    Example:
        >>> clamp_keypoints(np.array([[-1, 2], [7, 9]]), (4, 5)).tolist()
        [[0, 2], [4, 3]]
    """
    if isinstance(inpt, KeyPoints):
        if canvas_size is not None:
            msg = "For keypoints tv_tensor inputs, `canvas_size` must not be passed."
            raise ValueError(msg)
        return wrap(clamp_keypoints(inpt.array, inpt.canvas_size), like=inpt)
    if canvas_size is None:
        msg = "For pure tensor inputs, `canvas_size` has to be passed."
        raise ValueError(msg)
    array = points_of(inpt)
    xp = backend_of(array).xp
    points = array.astype(float_dtype(array))
    x = xp.clip(points[..., 0], 0, canvas_size[1] - 1)
    y = xp.clip(points[..., 1], 0, canvas_size[0] - 1)
    return like_points(inpt, xp.stack([x, y], axis=-1).astype(array.dtype))


def sanitize_mask(array, canvas_size):
    """Which points (or, for ``(N, ..., 2)``, which groups of points) lie on the canvas."""
    height, width = canvas_size
    x, y = array[..., 0], array[..., 1]
    valid = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    return valid.reshape(valid.shape[0], -1).all(axis=1) if valid.ndim > 1 else valid


def sanitize_keypoints(key_points, canvas_size=None):
    """``(points, valid)``: the points (or groups of points) on the canvas and the mask of
    them (torchvision's ``sanitize_keypoints``), to index labels with.

    Raises:
        ValueError: ``canvas_size`` passed with KeyPoints or missing without.

    Example:
        >>> points, valid = sanitize_keypoints(np.array([[1, 1], [5, 1]]), (4, 4))
        >>> points.tolist(), valid.tolist()
        ([[1, 1]], [True, False])
    """
    if not isinstance(key_points, KeyPoints):
        if canvas_size is None:
            msg = (
                "canvas_size cannot be None if key_points is a pure tensor. Set it to an "
                "appropriate value or pass key_points as a tv_tensors.KeyPoints object."
            )
            raise ValueError(msg)
        valid = sanitize_mask(points_of(key_points), canvas_size)
        return like_points(key_points, points_of(key_points)[valid]), like_points(key_points, valid)
    if canvas_size is not None:
        msg = (
            "canvas_size must be None when key_points is a tv_tensors.KeyPoints instance. "
            f"Got canvas_size={canvas_size}. Leave it to None or pass key_points as a pure tensor."
        )
        raise ValueError(msg)
    valid = sanitize_mask(key_points.array, key_points.canvas_size)
    return wrap(key_points.array[valid], like=key_points), Tensor(valid)


def rewrap(inpt: KeyPoints, result):
    """A kernel's ``points`` or ``(points, canvas_size)`` as KeyPoints like ``inpt``."""
    if isinstance(result, tuple):
        return wrap(result[0], like=inpt, canvas_size=result[1])
    return wrap(result, like=inpt)


def argument(args: tuple, kwargs: dict, index: int):
    """The last argument of ``affine`` (``center``) or ``perspective`` (``coefficients``),
    after ``interpolation`` and ``fill``: ``args[index]``, or the one keyword left."""
    names = set(kwargs) - {"interpolation", "fill"}
    return args[index] if len(args) > index else (kwargs[names.pop()] if names else None)


# each geometric function's KeyPoints branch, with that function's signature
DISPATCH = {
    "horizontal_flip": lambda inpt: horizontal_flip_keypoints(inpt.array, inpt.canvas_size),
    "vertical_flip": lambda inpt: vertical_flip_keypoints(inpt.array, inpt.canvas_size),
    "crop": lambda inpt, top, left, height, width: crop_keypoints(
        inpt.array, top, left, height, width
    ),
    "center_crop": lambda inpt, output_size: center_crop_keypoints(
        inpt.array, inpt.canvas_size, output_size
    ),
    "pad": lambda inpt, padding, fill=0, padding_mode="constant": pad_keypoints(
        inpt.array, inpt.canvas_size, padding, padding_mode
    ),
    "resize": lambda inpt, size, interpolation=None, max_size=None, antialias=True: (
        resize_keypoints(inpt.array, size, inpt.canvas_size, max_size)
    ),
    "resized_crop": lambda inpt, top, left, height, width, size, *_, **__: resized_crop_keypoints(
        inpt.array, top, left, height, width, size
    ),
    "affine": lambda inpt, angle, translate, scale, shear, *args, **kwargs: affine_keypoints(
        inpt.array, inpt.canvas_size, angle, translate, scale, shear, argument(args, kwargs, 2)
    ),
    "rotate": lambda inpt, angle, interpolation=None, expand=False, center=None, fill=None: (
        rotate_keypoints(inpt.array, inpt.canvas_size, angle, expand, center)
    ),
    "perspective": lambda inpt, startpoints, endpoints, *args, **kwargs: perspective_keypoints(
        inpt.array, inpt.canvas_size, startpoints, endpoints, argument(args, kwargs, 2)
    ),
    "elastic": lambda inpt, displacement, *_, **__: elastic_keypoints(
        inpt.array, inpt.canvas_size, displacement
    ),
}


def keypoints_dispatch(function):
    """``function`` (a geometric v2 function) with torchvision's KeyPoints kernel in front:
    KeyPoints go to the ``*_keypoints`` kernel and come back KeyPoints (with their new
    ``canvas_size``), everything else to ``function``."""
    kernel = DISPATCH[function.__name__]

    @functools.wraps(function)
    def dispatcher(inpt, *args, **kwargs):
        if isinstance(inpt, KeyPoints):
            return rewrap(inpt, kernel(inpt, *args, **kwargs))
        return function(inpt, *args, **kwargs)

    return dispatcher
