"""The geometric v2 functions on every kind of leaf: images, :class:`Mask` and
:class:`BoundingBoxes` (torchvision v2's kernels of ``functional/_geometry.py``).

Each function dispatches on its input's type as torchvision's ``_get_kernel`` does: a PIL
image, a plain tensor or an :class:`Image` goes to v1's function of
:mod:`xpnet.data.transforms_functional` (an Image comes back an Image); a :class:`Mask` too,
resized with ``NEAREST`` and without antialias; :class:`BoundingBoxes` get torchvision's box
formulas and a new ``canvas_size``. Crop and pad clamp the boxes to the new canvas (as
torchvision's ``"hard"`` clamping; a box that leaves the canvas becomes degenerate, which
:class:`~xpnet.data.transforms_v2_boxes.SanitizeBoundingBoxes` removes).

Example:
    >>> from xpnet.data.tv_tensors import BoundingBoxes
    >>> boxes = BoundingBoxes([1, 1, 3, 2], format="XYXY", canvas_size=(4, 6))
    >>> horizontal_flip(boxes).tolist(), crop(boxes, 0, 2, 4, 4).canvas_size
    ([[3, 1, 5, 2]], (4, 4))
"""

from __future__ import annotations

import numbers

from ..backends import backend_of
from . import transforms_functional as F
from .transforms_modes import InterpolationMode
from .transforms_v2_resize import resize_image, resized_crop_image
from .tv_tensors import (
    BoundingBoxes,
    BoundingBoxFormat,
    KeyPoints,
    Mask,
    TVTensor,
    box_format,
    clamp_array,
    wrap,
)
from .tv_tensors_keypoints import keypoints_dispatch
from .tv_tensors_warp import box_array, like_boxes

__all__ = [
    "center_crop",
    "center_crop_bounding_boxes",
    "crop",
    "crop_bounding_boxes",
    "get_size",
    "horizontal_flip",
    "horizontal_flip_bounding_boxes",
    "pad",
    "pad_bounding_boxes",
    "query_size",
    "resize",
    "resize_bounding_boxes",
    "resize_mask",
    "resized_crop",
    "resized_crop_bounding_boxes",
    "vertical_flip",
    "vertical_flip_bounding_boxes",
]


def get_size(inpt) -> list[int]:
    """``[height, width]`` of an image, a mask, or the canvas of bounding boxes or keypoints.

    Example:
        >>> get_size(BoundingBoxes([0, 0, 1, 1], format="XYXY", canvas_size=(3, 4)))
        [3, 4]
    """
    if isinstance(inpt, (BoundingBoxes, KeyPoints)):
        return list(inpt.canvas_size)
    return F.get_dimensions(inpt)[1:]


def query_size(flat_inputs) -> tuple[int, int]:
    """``(height, width)`` of a sample's leaves (torchvision's ``query_size``): its images,
    masks and boxes must agree.

    Raises:
        ValueError: if they do not.
        TypeError: if the sample has none of them.

    Example:
        >>> query_size([np.zeros((3, 4, 5)), Mask(np.zeros((4, 5)))])
        (4, 5)
    """
    sizes = {tuple(get_size(inpt)) for inpt in flat_inputs}
    if len(sizes) > 1:
        msg = f"Found multiple HxW dimensions in the sample: {sorted(sizes)}"
        raise ValueError(msg)
    if not sizes:
        msg = "No image, video, mask or bounding box was found in the sample"
        raise TypeError(msg)
    return sizes.pop()


def rewrapped(inpt, output):
    """v1's output for ``inpt`` as the tv_tensor ``inpt`` is (an Image stays an Image)."""
    return wrap(output, like=inpt) if isinstance(inpt, TVTensor) else output


def flip_array(array, format, canvas_size, axis: int):
    """Boxes mirrored along x (``axis=0``) or y (1) on their canvas."""
    xp = backend_of(array).xp
    length = canvas_size[1 - axis]
    columns = [array[..., i] for i in range(4)]
    low, high = axis, axis + 2
    if format is BoundingBoxFormat.XYXY:
        columns[low], columns[high] = length - array[..., high], length - array[..., low]
    elif format is BoundingBoxFormat.XYWH:
        columns[low] = length - (array[..., low] + array[..., high])
    else:
        columns[low] = length - array[..., low]
    return xp.stack([xp.asarray(column, dtype=array.dtype) for column in columns], axis=-1)


def horizontal_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    """torchvision's ``horizontal_flip_bounding_boxes``: plain boxes (an array or a Tensor)
    of ``format`` mirrored left to right on ``canvas_size``.

    Example:
        >>> horizontal_flip_bounding_boxes(np.array([[1, 1, 3, 2]]), "XYXY", (4, 6)).tolist()
        [[3, 1, 5, 2]]
    """
    array = flip_array(box_array(bounding_boxes), box_format(format), canvas_size, 0)
    return like_boxes(bounding_boxes, array)


def vertical_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    """torchvision's ``vertical_flip_bounding_boxes``: mirrored top to bottom.

    Example:
        >>> vertical_flip_bounding_boxes(np.array([[0, 1, 2, 3]]), "XYWH", (8, 8)).tolist()
        [[0, 4, 2, 3]]
    """
    array = flip_array(box_array(bounding_boxes), box_format(format), canvas_size, 1)
    return like_boxes(bounding_boxes, array)


@keypoints_dispatch
def horizontal_flip(inpt):
    """Mirror left to right (torchvision v2's ``horizontal_flip``).

    Example:
        >>> horizontal_flip(np.array([[[1, 2, 3]]])).tolist()
        [[[3, 2, 1]]]
    """
    if isinstance(inpt, BoundingBoxes):
        return wrap(
            horizontal_flip_bounding_boxes(inpt.array, inpt.format, inpt.canvas_size), like=inpt
        )
    return rewrapped(inpt, F.hflip(inpt))


@keypoints_dispatch
def vertical_flip(inpt):
    """Mirror top to bottom (torchvision v2's ``vertical_flip``).

    Example:
        >>> vertical_flip(BoundingBoxes([0, 1, 2, 3], format="XYWH", canvas_size=(8, 8))).tolist()
        [[0, 4, 2, 3]]
    """
    if isinstance(inpt, BoundingBoxes):
        return wrap(
            vertical_flip_bounding_boxes(inpt.array, inpt.format, inpt.canvas_size), like=inpt
        )
    return rewrapped(inpt, F.vflip(inpt))


def shift_array(array, format, dx: int, dy: int, canvas_size, clamping_mode="soft"):
    """Boxes moved by ``(dx, dy)`` onto a canvas of ``canvas_size``, clamped to it."""
    xp = backend_of(array).xp
    shift = [dx, dy, dx, dy] if format is BoundingBoxFormat.XYXY else [dx, dy, 0, 0]
    return clamp_array(
        array + xp.asarray(shift, dtype=array.dtype), format, canvas_size, clamping_mode
    )


def crop_bounding_boxes(bounding_boxes, format, top, left, height, width, clamping_mode="soft"):
    """torchvision's ``crop_bounding_boxes``: ``(boxes, (height, width))``, the boxes moved
    by ``(-left, -top)`` and clamped to the crop.

    Example:
        >>> out, canvas = crop_bounding_boxes(np.array([[1, 1, 3, 2]]), "XYXY", 0, 2, 4, 4)
        >>> out.tolist(), canvas
        ([[0, 1, 1, 2]], (4, 4))
    """
    format, canvas_size = box_format(format), (height, width)
    array = shift_array(box_array(bounding_boxes), format, -left, -top, canvas_size, clamping_mode)
    return like_boxes(bounding_boxes, array), canvas_size


def center_crop_bounding_boxes(
    bounding_boxes, format, canvas_size, output_size, clamping_mode="soft"
):
    """torchvision's ``center_crop_bounding_boxes``: :func:`crop_bounding_boxes` of the
    centre ``output_size`` region.

    Example:
        >>> center_crop_bounding_boxes(np.array([[2, 2, 6, 6]]), "XYXY", (8, 8), 4)[0].tolist()
        [[0, 0, 4, 4]]
    """
    crop_height, crop_width = F.center_crop_size(output_size)
    top, left = F.center_crop_anchor(crop_height, crop_width, *canvas_size)
    box = (top, left, crop_height, crop_width)
    return crop_bounding_boxes(bounding_boxes, format, *box, clamping_mode=clamping_mode)


def pad_bounding_boxes(
    bounding_boxes, format, canvas_size, padding, padding_mode="constant", clamping_mode="soft"
):
    """torchvision's ``pad_bounding_boxes``: ``(boxes, canvas_size)``, the boxes moved by
    ``(left, top)`` onto the larger canvas.

    Raises:
        ValueError: for a ``padding_mode`` other than ``"constant"``.

    Example:
        >>> out, canvas = pad_bounding_boxes(np.array([[0, 0, 2, 2]]), "XYXY", (4, 4), [1, 2])
        >>> out.tolist(), canvas
        ([[1, 2, 3, 4]], (8, 6))
    """
    if padding_mode != "constant":
        msg = f"Padding mode '{padding_mode}' is not supported with bounding boxes"
        raise ValueError(msg)
    left, right, top, bottom = F.padding_lrtb(padding)
    height, width = canvas_size
    canvas_size = (height + top + bottom, width + left + right)
    format, array = box_format(format), box_array(bounding_boxes)
    array = shift_array(array, format, left, top, canvas_size, clamping_mode)
    return like_boxes(bounding_boxes, array), canvas_size


@keypoints_dispatch
def crop(inpt, top: int, left: int, height: int, width: int):
    """The ``height x width`` region at ``(top, left)`` (torchvision v2's ``crop``); boxes
    move by ``(-left, -top)`` onto the crop and are clamped to it.

    Example:
        >>> crop(Mask(np.arange(9).reshape(3, 3)), 1, 1, 2, 2).tolist()
        [[4, 5], [7, 8]]
    """
    if isinstance(inpt, BoundingBoxes):
        box, mode = (top, left, height, width), inpt.clamping_mode
        output, canvas_size = crop_bounding_boxes(inpt.array, inpt.format, *box, clamping_mode=mode)
        return wrap(output, like=inpt, canvas_size=canvas_size)
    return rewrapped(inpt, F.crop(inpt, top, left, height, width))


@keypoints_dispatch
def center_crop(inpt, output_size):
    """The centre ``output_size`` region (torchvision v2's ``center_crop``).

    Example:
        >>> boxes = BoundingBoxes([2, 2, 6, 6], format="XYXY", canvas_size=(8, 8))
        >>> center_crop(boxes, 4).tolist()
        [[0, 0, 4, 4]]
    """
    if not isinstance(inpt, BoundingBoxes):
        return rewrapped(inpt, F.center_crop(inpt, output_size))
    output, canvas_size = center_crop_bounding_boxes(
        inpt.array, inpt.format, inpt.canvas_size, output_size, inpt.clamping_mode
    )
    return wrap(output, like=inpt, canvas_size=canvas_size)


@keypoints_dispatch
def pad(inpt, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders (torchvision v2's ``pad``); boxes move by ``(left, top)`` onto the
    larger canvas.

    Raises:
        ValueError: for boxes with a ``padding_mode`` other than ``"constant"``.

    Example:
        >>> boxes = BoundingBoxes([0, 0, 2, 2], format="XYXY", canvas_size=(4, 4))
        >>> out = pad(boxes, [1, 2])
        >>> out.tolist(), out.canvas_size
        ([[1, 2, 3, 4]], (8, 6))
    """
    if not isinstance(inpt, BoundingBoxes):
        return rewrapped(inpt, F.pad(inpt, padding, fill, padding_mode))
    output, canvas_size = pad_bounding_boxes(
        inpt.array, inpt.format, inpt.canvas_size, padding, padding_mode, inpt.clamping_mode
    )
    return wrap(output, like=inpt, canvas_size=canvas_size)


def resize_bounding_boxes(bounding_boxes, canvas_size, size, max_size=None, format="XYXY"):
    """torchvision's ``resize_bounding_boxes``: ``(boxes, new canvas_size)``, every
    coordinate times its axis's ratio (float32 ratios, as torch's ``tensor`` of Python
    floats), back to the boxes' dtype; ``format`` does not matter for these boxes.

    Example:
        >>> out, canvas = resize_bounding_boxes(np.array([[1.0, 1, 2, 3]]), (4, 4), [8, 2])
        >>> out.tolist(), canvas
        ([[0.5, 2.0, 1.0, 6.0]], (8, 2))
    """
    array = box_array(bounding_boxes)
    size = [size] if isinstance(size, numbers.Number) else list(size)
    old_height, old_width = canvas_size
    new_height, new_width = F.resized_output_size(canvas_size, size, max_size)
    if (new_height, new_width) == (old_height, old_width):
        return bounding_boxes, tuple(canvas_size)
    xp = backend_of(array).xp
    w_ratio, h_ratio = new_width / old_width, new_height / old_height
    ratios = xp.asarray([w_ratio, h_ratio, w_ratio, h_ratio], dtype="float32")
    floats = array if array.dtype.kind == "f" else array.astype("float32")
    return like_boxes(bounding_boxes, (floats * ratios).astype(array.dtype)), (
        new_height,
        new_width,
    )


def resized_crop_bounding_boxes(
    bounding_boxes, format, top, left, height, width, size, clamping_mode="soft"
):
    """torchvision's ``resized_crop_bounding_boxes``: :func:`crop_bounding_boxes`, then
    :func:`resize_bounding_boxes` to ``size``.

    Example:
        >>> out, canvas = resized_crop_bounding_boxes(
        ...     np.array([[2, 2, 4, 4]]), "XYXY", 2, 2, 4, 4, [8, 8])
        >>> out.tolist(), canvas
        ([[0, 0, 4, 4]], (8, 8))
    """
    box = (top, left, height, width)
    cropped, canvas_size = crop_bounding_boxes(bounding_boxes, format, *box, clamping_mode)
    return resize_bounding_boxes(cropped, canvas_size, size)


@keypoints_dispatch
def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` (torchvision v2's ``resize``); masks with ``NEAREST``, uint8
    images with ``BILINEAR``/``BICUBIC`` by PyTorch's integer kernel
    (:func:`~xpnet.data.transforms_v2_resize.resize_image`).

    Example:
        >>> boxes = BoundingBoxes([1.0, 1, 2, 3], format="XYWH", canvas_size=(4, 4))
        >>> resize(boxes, [8, 2]).tolist()
        [[0.5, 2.0, 1.0, 6.0]]
    """
    if isinstance(inpt, BoundingBoxes):
        output, canvas_size = resize_bounding_boxes(inpt.array, inpt.canvas_size, size, max_size)
        return wrap(output, like=inpt, canvas_size=canvas_size)
    if isinstance(inpt, Mask):
        return wrap(resize_mask(inpt, size, max_size), like=inpt)
    return rewrapped(inpt, resize_image(inpt, size, interpolation, max_size, antialias))


def resize_mask(mask, size, max_size=None):
    """torchvision's ``resize_mask``: v1's ``resize`` with ``NEAREST``, no antialias.

    Example:
        >>> resize_mask(np.eye(2, dtype=np.uint8), [4, 4]).shape
        (4, 4)
    """
    return F.resize(mask, size, InterpolationMode.NEAREST, max_size, antialias=False)


@keypoints_dispatch
def resized_crop(
    inpt, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True
):
    """:func:`crop`, then :func:`resize` to ``size`` (torchvision v2's ``resized_crop``).

    Example:
        >>> boxes = BoundingBoxes([2, 2, 4, 4], format="XYXY", canvas_size=(8, 8))
        >>> resized_crop(boxes, 2, 2, 4, 4, [8, 8]).tolist()
        [[0, 0, 4, 4]]
    """
    if isinstance(inpt, BoundingBoxes):
        output, canvas_size = resized_crop_bounding_boxes(
            inpt.array, inpt.format, top, left, height, width, size, inpt.clamping_mode
        )
        return wrap(output, like=inpt, canvas_size=canvas_size)
    if isinstance(inpt, Mask):
        return resize(
            crop(inpt, top, left, height, width), size, interpolation, antialias=antialias
        )
    output = resized_crop_image(inpt, top, left, height, width, size, interpolation, antialias)
    return rewrapped(inpt, output)
