"""The geometric functions of :mod:`xpnet.data.transforms.functional`: ``rotate``,
``affine`` and ``perspective``, with torchvision's checks, messages and matrices.

Split from :mod:`xpnet.data.transforms_functional` (which re-exports them, with
torchvision's private ``_get_inverse_affine_matrix`` and ``_get_perspective_coeffs``) for
length. PIL images go through Pillow's ``Image.rotate`` and ``Image.transform``, as
torchvision's PIL path does; tensor images through torchvision's grids and
:func:`xpnet.kernels.grid_sample` (:mod:`xpnet.data.transforms_warp`).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy

from . import transforms_pil as fp
from . import transforms_warp as fw
from .transforms_functional import (
    check_pil_image,
    get_dimensions,
    hflip,
    host_array,
    is_tensor_image,
    like_input,
    vflip,
)
from .transforms_modes import (
    PIL_MODES,
    InterpolationMode,
    checked_interpolation,
    interpolation_from_int,
)

__all__ = [
    "affine",
    "elastic_transform",
    "five_crop",
    "get_inverse_affine_matrix",
    "get_perspective_coeffs",
    "perspective",
    "rotate",
    "ten_crop",
]


def get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=True):
    r"""torchvision's ``_get_inverse_affine_matrix``: the 2 x 3 map, as 6 numbers, from
    output to input pixels (``inverted=True``, what Pillow and the grids want) or back.

    The forward map is ``M = T C RSS C^{-1}``, with ``T`` the translation, ``C`` the move
    to ``center`` and ``RSS = R(angle) S(scale) SHy(shear[1]) SHx(shear[0])`` (angles in
    degrees, clockwise in image coordinates); the inverse ``C RSS^{-1} C^{-1} T^{-1}``.

    Example:
        >>> get_inverse_affine_matrix([0.0, 0.0], 0.0, [2.0, 0.0], 2.0, [0.0, 0.0])
        [0.5, -0.0, -1.0, -0.0, 0.5, -0.0]
    """
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:  # det([[a, b], [c, d]]) == 1: rotations and shears keep areas
        matrix = [x / scale for x in [d, -b, 0.0, -c, a, 0.0]]
        matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
        matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
        matrix[2] += cx
        matrix[5] += cy
    else:
        matrix = [x * scale for x in [a, b, 0.0, c, d, 0.0]]
        matrix[2] += matrix[0] * (-cx) + matrix[1] * (-cy)
        matrix[5] += matrix[3] * (-cx) + matrix[4] * (-cy)
        matrix[2] += cx + tx
        matrix[5] += cy + ty
    return matrix


def get_perspective_coeffs(startpoints, endpoints) -> list[float]:
    r"""torchvision's ``_get_perspective_coeffs``: the 8 coefficients ``(a, ..., h)`` of
    Pillow's perspective map ``(x, y) -> ((a x + b y + c) / (g x + h y + 1), (d x + e y +
    f) / (g x + h y + 1))``, which sends each of the 4 ``endpoints`` to its
    ``startpoints``; least squares in float64, rounded to float32 as there.

    Raises:
        ValueError: unless there are exactly four of each.

    Example:
        >>> corners = [[0, 0], [3, 0], [3, 3], [0, 3]]
        >>> get_perspective_coeffs(corners, [[x + 1, y] for x, y in corners])
        [1.0, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    """
    if len(startpoints) != 4 or len(endpoints) != 4:
        msg = (
            f"Please provide exactly four corners, got {len(startpoints)} startpoints and "
            f"{len(endpoints)} endpoints."
        )
        raise ValueError(msg)
    rows = []
    for (x, y), (u, v) in zip(endpoints, startpoints, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
    a_matrix = numpy.asarray(rows, numpy.float64)  # (8, 8)
    b_matrix = numpy.asarray(startpoints, numpy.float64).reshape(8)
    solution = numpy.linalg.lstsq(a_matrix, b_matrix, rcond=None)[0]
    return [float(x) + 0.0 for x in solution.astype(numpy.float32)]


def _check_angle_center(interpolation, angle, center) -> InterpolationMode:
    interpolation = checked_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        msg = "Argument angle should be int or float"
        raise TypeError(msg)
    if center is not None and not isinstance(center, (list, tuple)):
        msg = "Argument center should be a sequence"
        raise TypeError(msg)
    return interpolation


def _centred(img, center) -> list[float]:
    """The tensor path's centre: pixels from the image's middle (``[0, 0]`` by default)."""
    if center is None:
        return [0.0, 0.0]
    _, height, width = get_dimensions(img)
    return [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height], strict=True)]


def _warp(img, grid_of, interpolation, fill, expand_matrix=None):
    """A tensor image sampled at ``grid_of(dtype, w, h, ow, oh)``; the output is ``w x h``
    or, given ``expand_matrix``, what holds the whole image mapped by it."""
    array = host_array(img)
    fw.check_grid_inputs(array, fill, interpolation.value)
    h, w = array.shape[-2:]
    ow, oh = (w, h) if expand_matrix is None else fw.affine_output_size(expand_matrix, w, h)
    grid = grid_of(fw.grid_dtype(array), w, h, ow, oh)
    return like_input(img, fw.apply_grid(array, grid, interpolation.value, fill))


def rotate(
    img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None
):
    r"""Rotate by ``angle`` degrees counter-clockwise, as torchvision's ``rotate``.

    Args:
        img: a PIL image or a tensor image (..., C, H, W) (a Tensor or a NumPy array).
        angle: degrees, counter-clockwise (an int or a float).
        interpolation: an :class:`InterpolationMode` or a Pillow constant; tensor images
            take ``NEAREST`` and ``BILINEAR``. Default: ``InterpolationMode.NEAREST``.
        expand: make the output large enough for the whole rotated image (assumes the
            default centre). Default: ``False``.
        center: ``(x, y)`` of the rotation, from the top-left corner. Default: the centre.
        fill: the value outside the image (a number, or one per channel). Default: ``None``,
            zeros.

    Returns:
        The image's kind (PIL, Tensor or array), ``(..., C, H, W)`` (larger with
        ``expand``), in the image's dtype (integers rounded).

    Raises:
        TypeError: a bad ``interpolation``, ``angle`` or ``center`` kind, or ``img``.
        ValueError: a ``fill`` of another length than the channels, a mode the tensor path
            lacks.

    Example:
        >>> from xpnet.data.transforms import functional as F
        >>> image = np.arange(9, dtype=np.uint8).reshape(1, 3, 3)
        >>> F.rotate(image, 90.0)[0].tolist()
        [[2, 5, 8], [1, 4, 7], [0, 3, 6]]
    """
    interpolation = _check_angle_center(interpolation, angle, center)
    if not is_tensor_image(img):
        check_pil_image(img)
        mode = PIL_MODES[interpolation.value]
        return fp.rotate(img, angle, mode, expand, center, fill)
    # torchvision's affine turns clockwise, its rotate counter-clockwise: hence -angle
    matrix = get_inverse_affine_matrix(_centred(img, center), -angle, [0.0, 0.0], 1.0, [0.0, 0.0])

    def grid_of(dtype, w, h, ow, oh):
        return fw.affine_grid(matrix, w, h, ow, oh, dtype)

    return _warp(img, grid_of, interpolation, fill, matrix if expand else None)


def affine_parse_args(angle, translate, scale, shear, center=None):
    """torchvision's ``_affine_parse_args``: checked ``(angle, translate, shear, center)``.

    Raises:
        TypeError: an ``angle`` that is no number, ``translate``/``center`` no sequence, a
            ``shear`` neither.
        ValueError: ``translate`` not of 2, ``scale <= 0``, a ``shear`` not of 1 or 2.
    """
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        msg = "Argument translate should be a sequence of length 2"
        raise ValueError(msg)
    if scale <= 0.0:
        msg = "Argument scale should be positive"
        raise ValueError(msg)
    if not isinstance(shear, (numbers.Number, list, tuple)):
        msg = "Shear should be either a single value or a sequence of two values"
        raise TypeError(msg)
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    shear = shear * 2 if len(shear) == 1 else shear
    if len(shear) != 2:
        msg = f"Shear should be a sequence containing two values. Got {shear}"
        raise ValueError(msg)
    if center is not None and not isinstance(center, (list, tuple)):
        msg = "Argument center should be a sequence"
        raise TypeError(msg)
    center = None if center is None else [float(c) for c in center]
    return float(angle), list(translate), shear, center


def affine(
    img,
    angle,
    translate,
    scale,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    r"""Rotate, scale, shear and translate, keeping the centre, as torchvision's ``affine``.

    The map is :func:`get_inverse_affine_matrix`'s; PIL images are centred at ``(W / 2, H
    / 2)`` (without the half-pixel offset), tensor images at the middle of the grid, as in
    torchvision.

    Args:
        img: a PIL image or a tensor image (..., C, H, W).
        angle: degrees, clockwise.
        translate: ``(dx, dy)`` in pixels, after the rotation (a sequence of 2).
        scale: the overall scale, positive.
        shear: degrees: a number (parallel to the x-axis) or ``(sx, sy)`` (one value: both).
        interpolation: as :func:`rotate`. Default: ``InterpolationMode.NEAREST``.
        fill: as :func:`rotate`. Default: ``None``.
        center: ``(x, y)`` from the top-left corner. Default: the centre.

    Returns:
        The image's kind, shape and dtype.

    Raises:
        TypeError: a bad ``interpolation``, ``angle``, ``translate``, ``shear`` or
            ``center`` kind, or ``img``.
        ValueError: ``translate`` not of length 2, ``scale <= 0``, a ``shear`` sequence not
            of 1 or 2 values, a bad ``fill`` length or tensor mode.

    Example:
        >>> from xpnet.data.transforms import functional as F
        >>> image = np.arange(9.0).reshape(1, 3, 3)
        >>> F.affine(image, 0.0, [1, 0], 1.0, 0.0)[0].tolist()
        [[0.0, 0.0, 1.0], [0.0, 3.0, 4.0], [0.0, 6.0, 7.0]]
    """
    interpolation = checked_interpolation(interpolation)
    angle, translate, shear, _ = affine_parse_args(angle, translate, scale, shear)
    if center is not None and not isinstance(center, (list, tuple)):
        msg = "Argument center should be a sequence"
        raise TypeError(msg)
    _, height, width = get_dimensions(img)
    if not is_tensor_image(img):
        # torchvision: (W / 2, H / 2), no half-pixel offset, so that 90 degrees matches rot90
        center = [width * 0.5, height * 0.5] if center is None else center
        matrix = get_inverse_affine_matrix(center, angle, translate, scale, shear)
        return fp.transform(img, "AFFINE", matrix, PIL_MODES[interpolation.value], fill)
    translate_f = [1.0 * t for t in translate]
    matrix = get_inverse_affine_matrix(_centred(img, center), angle, translate_f, scale, shear)

    def grid_of(dtype, w, h, ow, oh):
        return fw.affine_grid(matrix, w, h, ow, oh, dtype)

    return _warp(img, grid_of, interpolation, fill)


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    r"""Warp the four ``startpoints`` onto the ``endpoints``, as torchvision's
    ``perspective`` (coefficients from :func:`get_perspective_coeffs`).

    Args:
        img: a PIL image or a tensor image (..., C, H, W).
        startpoints: ``[top-left, top-right, bottom-right, bottom-left]`` ``[x, y]`` corners
            in the original image.
        endpoints: where they go in the output, in the same order.
        interpolation: as :func:`rotate`. Default: ``InterpolationMode.BILINEAR``.
        fill: as :func:`rotate`. Default: ``None``.

    Returns:
        The image's kind, shape and dtype.

    Raises:
        ValueError: not four corners each; a bad ``fill`` length or tensor mode.
        TypeError: a bad ``interpolation`` or ``img``.

    Example:
        >>> from xpnet.data.transforms import functional as F
        >>> image = np.arange(9.0).reshape(1, 3, 3)
        >>> corners = [[0, 0], [2, 0], [2, 2], [0, 2]]
        >>> F.perspective(image, corners, [[x, y + 1] for x, y in corners])[0].tolist()
        [[0.0, 0.0, 0.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """
    coeffs = get_perspective_coeffs(startpoints, endpoints)
    interpolation = checked_interpolation(interpolation)
    if not is_tensor_image(img):
        check_pil_image(img)
        return fp.transform(img, "PERSPECTIVE", coeffs, PIL_MODES[interpolation.value], fill)

    def grid_of(dtype, w, h, ow, oh):
        return fw.perspective_grid(coeffs, ow, oh, dtype)

    return _warp(img, grid_of, interpolation, fill)


def five_crop(img, size) -> tuple:
    """The four corner crops and the central crop of ``size`` (an int for a square):
    ``(top_left, top_right, bottom_left, bottom_right, center)``, torchvision v1's.

    The crops are :func:`xpnet.data.transforms_v2_functional.five_crop`'s; v1 quotes an int or
    one-element ``size`` as the pair in its message.

    Raises:
        ValueError: for a ``size`` of more than two numbers, or a crop larger than the image.

    Example:
        >>> [int(crop[0, 0, 0]) for crop in five_crop(np.arange(9).reshape(1, 3, 3), 2)]
        [0, 1, 3, 4, 0]
    """
    from . import transforms_v2_functional as F2  # here: v2's modules import this one

    if isinstance(size, numbers.Number) or len(size) == 1:
        size = tuple(F2.five_crop_size(size))
    return F2.five_crop(img, size)


def ten_crop(img, size, vertical_flip: bool = False) -> tuple:
    """:func:`five_crop` of ``img``, then of its horizontal (with ``vertical_flip``,
    vertical) flip: ten images, torchvision v1's.

    Example:
        >>> len(ten_crop(np.zeros((1, 4, 4)), 2, vertical_flip=True))
        10
    """
    from . import transforms_v2_functional as F2  # here: v2's modules import this one

    if isinstance(size, numbers.Number) or len(size) == 1:
        size = tuple(F2.five_crop_size(size))
    return five_crop(img, size) + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def elastic_transform(img, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Sample ``img`` at its pixel centres moved by ``displacement`` (1, H, W, 2), as
    torchvision v1's ``elastic_transform``; the sampling is
    :func:`xpnet.data.tv_tensors_warp.elastic_image`'s.

    Args:
        img: a PIL image (warped as a tensor, then converted back) or a tensor image.
        displacement: a Tensor or array (1, H, W, 2), the ``(x, y)`` moves in [-1, 1] units.
        interpolation: ``NEAREST`` or ``BILINEAR`` (or Pillow's integer, with a warning).
            Default: ``InterpolationMode.BILINEAR``.
        fill: the value outside the image, a number or one per channel. Default: ``None``.

    Note:
        v1 samples a float64 image on a float32 grid (for a float32 ``displacement``); here
        the grid is float64, so results agree to float32 rounding.

    Raises:
        TypeError: if ``displacement`` is not a Tensor or an array, or ``img`` not an image.
        ValueError: for a ``displacement`` of another shape.

    Example:
        >>> elastic_transform(np.arange(4.0).reshape(1, 2, 2), np.zeros((1, 2, 2, 2))).tolist()
        [[[0.0, 1.0], [2.0, 3.0]]]
    """
    from . import tv_tensors_warp as warp  # here: tv_tensors_warp imports this module

    if isinstance(interpolation, int):
        warnings.warn(
            "Argument interpolation should be of type InterpolationMode instead of int. "
            "Please, use InterpolationMode enum.",
            stacklevel=2,
        )
        interpolation = interpolation_from_int(interpolation)
    if not is_tensor_image(displacement):
        msg = "Argument displacement should be a Tensor"
        raise TypeError(msg)
    if not (is_tensor_image(img) or fp.is_pil_image(img)):
        msg = f"img should be PIL Image or Tensor. Got {type(img)}"
        raise TypeError(msg)
    warp.check_displacement(displacement, *get_dimensions(img)[1:])
    return warp.elastic_image(img, displacement, interpolation, fill)
