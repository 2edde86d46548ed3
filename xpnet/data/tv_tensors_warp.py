"""torchvision v2's warping kernels for bounding boxes (``affine_bounding_boxes``,
``rotate_bounding_boxes``, ``perspective_bounding_boxes``, ``elastic_bounding_boxes``) and
the elastic image kernel (:func:`elastic_image`, with its identity grid).

A warped box is the smallest axis-aligned box around its four warped corners, clamped to
the canvas (torchvision's ``"soft"`` and ``"hard"`` clamping agree on these boxes), as
torchvision's ``_geometry.py`` computes it: integer boxes in float32, float boxes in their
own dtype, back to the boxes' dtype (integers truncated). The kernels take the boxes as a
backend array or a Tensor with their ``format`` and ``canvas_size``, as torchvision's take
a plain tensor; :mod:`xpnet.data.transforms_v2_warp` dispatches tv_tensors to them.

Example:
    >>> boxes = np.array([[1.0, 1.0, 3.0, 2.0]])
    >>> out, canvas = rotate_bounding_boxes(boxes, "XYXY", (4, 4), 90.0)
    >>> out.tolist(), canvas
    ([[1.0, 1.0, 2.0, 3.0]], (4, 4))
"""

from __future__ import annotations

import numpy

from ..autograd import Tensor
from ..backends import backend_of
from . import transforms_functional as F
from . import transforms_pil as fp
from . import transforms_warp as fw
from .transforms_geometry import (
    affine_parse_args,
    get_inverse_affine_matrix,
    get_perspective_coeffs,
)
from .transforms_modes import InterpolationMode, checked_interpolation
from .tv_tensors import BoundingBoxFormat, box_format, clamp_array, from_xyxy, to_xyxy

__all__ = [
    "affine_bounding_boxes",
    "affine_parse_args",
    "elastic_bounding_boxes",
    "elastic_image",
    "identity_grid",
    "perspective_bounding_boxes",
    "perspective_coefficients",
    "perspective_points",
    "rotate_bounding_boxes",
]

XYXY = BoundingBoxFormat.XYXY


def box_array(bounding_boxes):
    """The backend array of plain boxes (an array, or a Tensor's array)."""
    return bounding_boxes.array if isinstance(bounding_boxes, Tensor) else bounding_boxes


def like_boxes(bounding_boxes, array):
    """``array`` as the kind the boxes came as: a Tensor, or an array."""
    return Tensor(array) if isinstance(bounding_boxes, Tensor) else array


def corners(xyxy):
    """The four corners ``(N * 4, 2)`` of XYXY boxes ``(N, 4)``: TL, TR, BR, BL."""
    xp = backend_of(xyxy).xp
    x1, y1, x2, y2 = (xyxy[:, i] for i in range(4))
    return xp.stack([x1, y1, x2, y1, x2, y2, x1, y2], axis=-1).reshape(-1, 2)


def enclosing(points):
    """The XYXY box ``(N, 4)`` around each four points of ``points`` ``(N * 4, 2)``."""
    xp = backend_of(points).xp
    points = points.reshape(-1, 4, 2)
    return xp.concatenate([points.min(axis=1), points.max(axis=1)], axis=1)


def homogeneous(points, dtype):
    """``points`` ``(M, 2)`` with a column of ones, as ``dtype``."""
    xp = backend_of(points).xp
    ones = xp.ones((points.shape[0], 1), dtype=dtype)
    return xp.concatenate([points.astype(dtype), ones], axis=1)


def affine_boxes_with_expand(
    array, format, canvas_size, angle, translate, scale, shear, center, expand, clamping_mode="soft"
):
    """torchvision's ``_affine_bounding_boxes_with_expand`` on a backend array: the boxes
    and the canvas (larger with ``expand``, as the rotated image's)."""
    format = box_format(format)
    if array.size == 0:
        return array, tuple(canvas_size)
    xp = backend_of(array).xp
    boxes = array.astype(numpy.float32) if array.dtype.kind != "f" else array
    xyxy = to_xyxy(boxes, format).reshape(-1, 4)
    angle, translate, shear, center = affine_parse_args(angle, translate, scale, shear, center)
    height, width = canvas_size
    center = [width * 0.5, height * 0.5] if center is None else center
    forward = get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=False)
    matrix = xp.asarray(forward, dtype=boxes.dtype).reshape(2, 3).T  # (3, 2)
    out = enclosing(homogeneous(corners(xyxy), boxes.dtype) @ matrix)
    if expand:  # the canvas's corners move too: shift the boxes onto the new canvas
        frame = [[0.0, 0.0], [0.0, height], [width, height], [width, 0.0]]
        moved = homogeneous(xp.asarray(frame, dtype=boxes.dtype), boxes.dtype) @ matrix
        out = out - xp.tile(moved.min(axis=0), 2)
        inverse = get_inverse_affine_matrix(center, angle, translate, scale, shear)
        new_width, new_height = fw.affine_output_size(inverse, width, height)
        canvas_size = (new_height, new_width)
    out = from_xyxy(clamp_array(out, XYXY, canvas_size, clamping_mode), format)
    return out.reshape(array.shape).astype(array.dtype), tuple(canvas_size)


def affine_bounding_boxes(
    bounding_boxes,
    format,
    canvas_size,
    angle,
    translate,
    scale,
    shear,
    center=None,
    clamping_mode="soft",
):
    """Boxes through ``affine``'s map (torchvision's ``affine_bounding_boxes``): each box
    becomes the box around its four mapped corners, clamped to the same canvas.

    Args:
        bounding_boxes: ``(N, 4)`` boxes, a backend array or a Tensor.
        format: their :class:`~xpnet.data.tv_tensors.BoundingBoxFormat` (or its name).
        canvas_size: ``(height, width)`` of their image.
        angle, translate, scale, shear, center: as
            :func:`~xpnet.data.transforms_functional.affine`'s (``center`` in pixels;
            default: the canvas's middle).

    Returns:
        The boxes, of the input's kind and dtype.

    Example:
        >>> boxes = np.array([[0, 0, 2, 2]])
        >>> affine_bounding_boxes(boxes, "XYXY", (4, 4), 0.0, [1, 1], 1.0, 0.0).tolist()
        [[1, 1, 3, 3]]
    """
    array = box_array(bounding_boxes)
    args = (angle, translate, scale, shear, center, False, clamping_mode)
    out, _ = affine_boxes_with_expand(array, format, canvas_size, *args)
    return like_boxes(bounding_boxes, out)


def rotate_bounding_boxes(
    bounding_boxes, format, canvas_size, angle, expand=False, center=None, clamping_mode="soft"
):
    """Boxes through ``rotate`` by ``angle`` degrees counter-clockwise (torchvision's
    ``rotate_bounding_boxes``); returns ``(boxes, canvas_size)``, the canvas larger with
    ``expand``.

    Example:
        >>> boxes = np.array([[0.0, 0.0, 4.0, 2.0]])
        >>> out, canvas = rotate_bounding_boxes(boxes, "XYXY", (2, 4), 90.0, expand=True)
        >>> out.tolist(), canvas
        ([[0.0, 0.0, 2.0, 4.0]], (4, 2))
    """
    array = box_array(bounding_boxes)
    args = (-angle, [0.0, 0.0], 1.0, [0.0, 0.0], center, expand, clamping_mode)
    out, canvas = affine_boxes_with_expand(array, format, canvas_size, *args)
    return like_boxes(bounding_boxes, out), canvas


def perspective_coefficients(startpoints, endpoints, coefficients=None) -> list[float]:
    """torchvision's ``_perspective_coefficients``: ``coefficients``, or those of the
    corners (:func:`~xpnet.data.transforms_geometry.get_perspective_coeffs`).

    Raises:
        ValueError: both or neither given, or not 8 coefficients.
    """
    if coefficients is not None:
        if startpoints is not None and endpoints is not None:
            msg = (
                "The startpoints/endpoints and the coefficients shouldn't be defined concurrently."
            )
            raise ValueError(msg)
        if len(coefficients) != 8:
            msg = "Argument coefficients should have 8 float values"
            raise ValueError(msg)
        return list(coefficients)
    if startpoints is not None and endpoints is not None:
        return get_perspective_coeffs(startpoints, endpoints)
    msg = "Either the startpoints/endpoints or the coefficients must have non `None` values."
    raise ValueError(msg)


def inverse_perspective(c: list[float], denom: float) -> list[float]:
    """torchvision's ``_compute_perspective_thetas``' inverse of the 8 coefficients ``c``."""
    return [
        (c[4] - c[5] * c[7]) / denom,
        (-c[1] + c[2] * c[7]) / denom,
        (c[1] * c[5] - c[2] * c[4]) / denom,
        (-c[3] + c[5] * c[6]) / denom,
        (c[0] - c[2] * c[6]) / denom,
        (-c[0] * c[5] + c[2] * c[3]) / denom,
        (-c[4] * c[6] + c[3] * c[7]) / denom,
        (-c[0] * c[7] + c[1] * c[6]) / denom,
    ]


def perspective_points(points, coeffs: list[float], dtype, what: str):
    """Homogeneous ``(N, 3)`` points through the inverse of the perspective ``coeffs``, the
    map in ``dtype``: ``(N, 2)``, as torchvision's box and keypoint kernels compute them.

    Raises:
        RuntimeError: torchvision's message naming ``what`` if ``coeffs`` cannot be inverted.
    """
    denom = coeffs[0] * coeffs[4] - coeffs[1] * coeffs[3]
    if denom == 0:
        msg = (
            f"Provided perspective_coeffs {coeffs} can not be inverted to transform {what}. "
            f"Denominator is zero, denom={denom}"
        )
        raise RuntimeError(msg)
    inv = inverse_perspective(coeffs, denom)
    xp = backend_of(points).xp
    theta1 = xp.asarray([inv[0:3], inv[3:6]], dtype=dtype)
    theta2 = xp.asarray([[inv[6], inv[7], 1.0]] * 2, dtype=dtype)
    return (points @ theta1.T) / (points @ theta2.T)


def perspective_bounding_boxes(
    bounding_boxes,
    format,
    canvas_size,
    startpoints,
    endpoints,
    coefficients=None,
    clamping_mode="soft",
):
    """Boxes through ``perspective``'s map (torchvision's ``perspective_bounding_boxes``).

    Raises:
        RuntimeError: if the coefficients cannot be inverted.
        ValueError: as :func:`perspective_coefficients`.

    Example:
        >>> corners4 = [[0, 0], [4, 0], [4, 4], [0, 4]]
        >>> moved = [[x + 1, y] for x, y in corners4]
        >>> boxes = np.array([[0.0, 0.0, 2.0, 2.0]])
        >>> perspective_bounding_boxes(boxes, "XYXY", (4, 4), corners4, moved).tolist()
        [[1.0, 0.0, 3.0, 2.0]]
    """
    array = box_array(bounding_boxes)
    coeffs = perspective_coefficients(startpoints, endpoints, coefficients)
    if array.size == 0:
        return bounding_boxes
    format = box_format(format)
    # as torchvision's: integer boxes go to XYXY as integers, then to float32
    xyxy = to_xyxy(array, format).reshape(-1, 4)
    dtype = array.dtype if array.dtype.kind == "f" else numpy.dtype(numpy.float32)
    points = homogeneous(corners(xyxy), dtype)
    out = enclosing(perspective_points(points, coeffs, dtype, "bounding boxes"))
    out = from_xyxy(clamp_array(out, XYXY, canvas_size, clamping_mode), format)
    out = out.reshape(array.shape)
    return like_boxes(bounding_boxes, out.astype(array.dtype))


def torch_linspace(start: float, end: float, steps: int, dtype):
    """``torch.linspace`` in ``dtype``, as its CPU kernel: the first half stepped from
    ``start``, the second from ``end``, so that both ends are exact."""
    start, end = dtype.type(start), dtype.type(end)
    step = (end - start) / dtype.type(max(steps - 1, 1))
    index = numpy.arange(steps)
    return numpy.where(
        index < steps / 2,
        start + step * index.astype(dtype),
        end - step * (steps - 1 - index).astype(dtype),
    ).astype(dtype)


def identity_grid(height: int, width: int, dtype):
    """torchvision's ``_create_identity_grid``: (1, height, width, 2), the ``(x, y)`` of each
    pixel centre in ``grid_sample``'s [-1, 1] coordinates (``align_corners=False``)."""
    dtype = numpy.dtype(dtype)
    grid = numpy.empty((1, height, width, 2), dtype)
    grid[..., 0] = torch_linspace((1 - width) / width, (width - 1) / width, width, dtype)
    ys = torch_linspace((1 - height) / height, (height - 1) / height, height, dtype)
    grid[..., 1] = ys[:, None]
    return grid


def check_displacement(displacement, height: int, width: int):
    """torchvision's checks of ``elastic``'s ``displacement``; its host array."""
    if not F.is_tensor_image(displacement):
        msg = "Argument displacement should be a Tensor"
        raise TypeError(msg)
    displacement = F.host_array(displacement)
    if displacement.shape != (1, height, width, 2):
        msg = (
            f"Argument displacement shape should be {(1, height, width, 2)}, "
            f"but given {tuple(displacement.shape)}"
        )
        raise ValueError(msg)
    return displacement


def elastic_image(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Sample ``inpt`` at its pixel centres moved by ``displacement``, as torchvision v2's
    ``elastic_image``: ``grid_sample(image, identity_grid + displacement)``.

    Args:
        inpt: a PIL image (warped as a tensor, then converted back) or a tensor image.
        displacement: (1, H, W, 2), the ``(x, y)`` moves in [-1, 1] grid units.
        interpolation: ``NEAREST`` or ``BILINEAR``. Default: ``InterpolationMode.BILINEAR``.
        fill: the value where the grid leaves the image (a number or one per channel);
            ``None`` leaves zeros. Default: ``None``.

    Raises:
        TypeError: if ``displacement`` is not a Tensor or an array.
        ValueError: for a ``displacement`` of another shape, or another interpolation.

    Example:
        >>> image = np.arange(4.0).reshape(1, 2, 2)
        >>> elastic_image(image, np.zeros((1, 2, 2, 2))).tolist()
        [[[0.0, 1.0], [2.0, 3.0]]]
    """
    if fp.is_pil_image(inpt):
        output = elastic_image(F.pil_to_tensor(inpt), displacement, interpolation, fill)
        return F.to_pil_image(output, mode=inpt.mode)
    if not F.is_tensor_image(displacement):
        msg = "Argument displacement should be a Tensor"
        raise TypeError(msg)
    interpolation = checked_interpolation(interpolation)
    array = F.host_array(inpt)
    fw.check_grid_inputs(array, fill, interpolation.value)
    displacement = check_displacement(displacement, *array.shape[-2:])
    # torchvision computes float16 on the CPU in float32
    dtype = numpy.dtype(numpy.float32) if array.dtype == numpy.float16 else fw.grid_dtype(array)
    grid = identity_grid(*array.shape[-2:], dtype) + displacement.astype(dtype)
    return F.like_input(inpt, fw.apply_grid(array, grid, interpolation.value, fill))


def elastic_bounding_boxes(bounding_boxes, format, canvas_size, displacement, clamping_mode="soft"):
    """Boxes through ``elastic``'s ``displacement`` (torchvision's
    ``elastic_bounding_boxes``): each corner moves by the inverse displacement (approximated
    as ``-displacement``) read at its pixel (coordinates rounded up).

    Raises:
        TypeError: if ``displacement`` is not a Tensor or an array.
        ValueError: for a ``displacement`` of another shape than (1, H, W, 2).

    Example:
        >>> boxes = np.array([[1, 1, 3, 3]])
        >>> elastic_bounding_boxes(boxes, "XYXY", (4, 4), np.zeros((1, 4, 4, 2))).tolist()
        [[1, 1, 3, 3]]
    """
    height, width = canvas_size
    displacement = check_displacement(displacement, height, width)
    array = box_array(bounding_boxes)
    if array.size == 0:
        return bounding_boxes
    format, backend = box_format(format), backend_of(array)
    dtype = array.dtype if array.dtype.kind == "f" else numpy.dtype(numpy.float32)
    inverse = identity_grid(height, width, dtype) - displacement.astype(dtype)
    xyxy = to_xyxy(array, format).reshape(-1, 4)  # integers stay integers, as there
    points = backend.to_host(corners(xyxy))
    index = (numpy.ceil(points) if points.dtype.kind == "f" else points).astype(numpy.int64)
    index_x, index_y = index[:, 0].clip(0, width - 1), index[:, 1].clip(0, height - 1)
    size = numpy.asarray([width, height], dtype=dtype)
    moved = (inverse[0, index_y, index_x, :] + dtype.type(1)) * (dtype.type(0.5) * size)
    out = enclosing(backend.asarray(moved - dtype.type(0.5))).astype(xyxy.dtype)
    out = from_xyxy(clamp_array(out, XYXY, canvas_size, clamping_mode), format)
    out = out.reshape(array.shape)
    return like_boxes(bounding_boxes, out)
