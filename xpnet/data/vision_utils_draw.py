"""torchvision's drawing utilities (``draw_bounding_boxes``, ``draw_segmentation_masks``,
``draw_keypoints``), re-exported by :mod:`xpnet.data.vision_utils`.

Boxes, labels and keypoints are drawn by Pillow's ``ImageDraw`` with torchvision's calls, so
the pixels are torchvision's; a float image is drawn as uint8 (v2's ``to_dtype`` with
``scale``) and converted back, as torchvision does.

Example:
    >>> from xpnet.data.vision_utils import draw_segmentation_masks
    >>> image = np.zeros((3, 1, 2), dtype=np.uint8)
    >>> mask = np.array([[True, False]])
    >>> draw_segmentation_masks(image, mask, alpha=1.0, colors="red").numpy()[:, 0, 0]
    array([255,   0,   0], dtype=uint8)
"""

from __future__ import annotations

import math
import warnings

import numpy
from PIL import Image, ImageColor, ImageDraw, ImageFont

from ..autograd import Tensor
from .transforms_v2_functional import to_dtype
from .vision_utils import host, is_tensor

__all__ = ["draw_bounding_boxes", "draw_keypoints", "draw_segmentation_masks"]


class OrientedDraw(ImageDraw.ImageDraw):
    """Pillow's ImageDraw with torchvision's oriented (8-coordinate) boxes, first side dashed."""

    def oriented_rectangle(self, xy, fill=None, outline=None, width=1):
        """The polygon ``xy`` (x1, y1, ..., x4, y4), its first side dashed, as torchvision."""
        self.dashed_line(((xy[0], xy[1]), (xy[2], xy[3])), width=width, fill=outline)
        for i in range(2, len(xy), 2):
            ends = ((xy[i], xy[i + 1]), (xy[(i + 2) % len(xy)], xy[(i + 3) % len(xy)]))
            self.line(ends, width=width, fill=outline)
        self.polygon(xy, fill=fill, outline=None, width=0)

    def dashed_line(self, xy, fill=None, width=0, joint=None, dash_length=5, space_length=5):
        """A polyline in dashes and spaces of the given lengths, as torchvision's."""
        dash = True
        for (x1, y1), (x2, y2) in zip(xy[:-1], xy[1:], strict=True):
            remaining = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
            angle = math.atan2(y2 - y1, x2 - x1)  # the segment's, as x1, y1 move along it
            while remaining > 0:
                step = min(remaining, dash_length if dash else space_length)
                end_x, end_y = x1 + math.cos(angle) * step, y1 + math.sin(angle) * step
                if dash:
                    self.line([(x1, y1), (end_x, end_y)], fill, width, joint)
                remaining -= step
                x1, y1 = end_x, end_y
                dash = not dash


def color_palette(count: int) -> list[tuple[int, int, int]]:
    """torchvision's default colours: ``i * (2**25 - 1, 2**15 - 1, 2**21 - 1) % 255``."""
    return [tuple((i * p) % 255 for p in (2**25 - 1, 2**15 - 1, 2**21 - 1)) for i in range(count)]


def parse_colors(colors, *, num_objects: int, floating: bool = False) -> list[tuple]:
    """torchvision's colour argument as one RGB tuple per object (in [0, 1] if ``floating``).

    ``None`` is the default palette; a list needs a colour per object; a name (Pillow's
    ``ImageColor``) or an RGB tuple colours every object.
    """
    if colors is None:
        colors = color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            msg = (
                "Number of colors must be equal or larger than the number of objects, "
                f"but got {len(colors)} < {num_objects}."
            )
            raise ValueError(msg)
    elif not isinstance(colors, (tuple, str)):
        msg = f"colors must be a tuple or a string, or a list thereof, but got {colors}."
        raise ValueError(msg)
    elif isinstance(colors, tuple) and len(colors) != 3:
        msg = f"If passed as tuple, colors should be an RGB triplet, but got {colors}."
        raise ValueError(msg)
    else:
        colors = [colors] * num_objects
    colors = [ImageColor.getrgb(c) if isinstance(c, str) else c for c in colors]
    return [tuple(v / 255 for v in c) for c in colors] if floating else colors


def rgb_image(image, not_tensor: str, channels=(3,)) -> numpy.ndarray:
    """The (C, H, W) array of a single uint8 or float image, with torchvision's checks."""
    if not is_tensor(image):
        raise TypeError(f"{not_tensor}, got {type(image)}")
    array = host(image)
    if not (array.dtype == numpy.uint8 or numpy.issubdtype(array.dtype, numpy.floating)):
        msg = f"The image dtype must be uint8 or float, got {array.dtype}"
        raise ValueError(msg)
    if array.ndim != 3:
        raise ValueError("Pass individual images, not batches")
    if array.shape[0] not in channels:
        if channels == (3,):
            raise ValueError("Pass an RGB image. Other Image formats are not supported")
        raise ValueError("Only grayscale and RGB images are supported")
    return array


def as_pil(array: numpy.ndarray) -> Image.Image:
    """A (3, H, W) uint8 or float image as an RGB PIL image (floats by v2's to_dtype)."""
    if array.dtype != numpy.uint8:
        array = to_dtype(array, numpy.uint8, scale=True)
    return Image.fromarray(numpy.ascontiguousarray(array.transpose(1, 2, 0)))


def from_pil(picture: Image.Image, dtype) -> Tensor:
    """A drawn PIL image back as a (3, H, W) Tensor of the input image's dtype."""
    array = numpy.asarray(picture).transpose(2, 0, 1).copy()
    return Tensor(array if dtype == numpy.uint8 else to_dtype(array, dtype, scale=True))


def box_colors(colors, label_colors, label_background_colors, fill_labels, count):
    """draw_bounding_boxes' colours of boxes, label texts and label backgrounds."""
    colors = parse_colors(colors, num_objects=count)
    if label_colors or fill_labels:
        label_colors = parse_colors(label_colors if label_colors else "black", num_objects=count)
    else:
        label_colors = list(colors)
    if fill_labels and label_background_colors:
        backgrounds = parse_colors(label_background_colors, num_objects=count)
    else:
        backgrounds = list(colors)
    return colors, label_colors, backgrounds


def draw_bounding_boxes(
    image,
    boxes,
    labels: list[str] | None = None,
    colors=None,
    fill: bool | None = False,
    width: int = 1,
    font: str | None = None,
    font_size: int | None = None,
    label_colors=None,
    label_background_colors=None,
    fill_labels: bool = False,
) -> Tensor:
    """Draw boxes (and their labels) on an image, as ``torchvision.utils.draw_bounding_boxes``.

    Args:
        image: a (C, H, W) uint8 image, or float in [0, 1]; C is 1 (drawn as RGB) or 3.
        boxes: (N, 4) ``(xmin, ymin, xmax, ymax)`` boxes in pixels, or (N, 8) oriented boxes
            ``(x1, y1, ..., x4, y4)``; truncated to integers.
        labels: a label per box, drawn inside its top-left corner.
        colors: a colour (a Pillow name such as ``"red"`` or ``"#FF00FF"``, or an RGB tuple),
            or a list of one per box. Default: torchvision's palette.
        fill: fill the boxes (alpha 100). Default: ``False``.
        width: the boxes' line width. Default: 1.
        font: a TrueType font file for the labels; default: Pillow's default font.
        font_size: the font's size, with ``font`` (default 10).
        label_colors: the label texts' colours. Default: the boxes' (black with ``fill_labels``).
        label_background_colors: with ``fill_labels``, the label backgrounds' colours.
            Default: the boxes'.
        fill_labels: draw each label on a filled rectangle. Default: ``False``.

    Returns:
        Tensor: the (3, H, W) image with the boxes drawn, of the image's dtype.

    Raises:
        TypeError: for an image that is not a Tensor or an array.
        ValueError: for a bad image, boxes, labels or colours, with torchvision's messages.

    Example:
        >>> image = np.zeros((3, 4, 4), dtype=np.uint8)
        >>> drawn = draw_bounding_boxes(image, np.array([[0, 0, 3, 3]]), colors="white")
        >>> drawn.numpy()[0].tolist()
        [[255, 255, 255, 255], [255, 0, 0, 255], [255, 0, 0, 255], [255, 255, 255, 255]]
    """
    array = rgb_image(image, "Tensor expected", channels=(1, 3))
    boxes = host(boxes)
    if boxes.shape[-1] == 4 and (
        (boxes[:, 0] > boxes[:, 2]).any() or (boxes[:, 1] > boxes[:, 3]).any()
    ):
        msg = (
            "Boxes need to be in (xmin, ymin, xmax, ymax) format. "
            "Use torchvision.ops.box_convert to convert them"
        )
        raise ValueError(msg)
    count = boxes.shape[0]
    if count == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image if isinstance(image, Tensor) else Tensor(image)
    if labels is None:
        labels = [None] * count
    elif len(labels) != count:
        msg = (
            f"Number of boxes ({count}) and labels ({len(labels)}) mismatch. "
            "Please specify labels for each box."
        )
        raise ValueError(msg)
    colors, text_colors, backgrounds = box_colors(
        colors, label_colors, label_background_colors, fill_labels, count
    )
    if font is None:
        if font_size is not None:
            msg = "Argument 'font_size' will be ignored since 'font' is not set."
            warnings.warn(msg, stacklevel=2)
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)
    picture = as_pil(numpy.tile(array, (3, 1, 1)) if array.shape[0] == 1 else array)
    draw = OrientedDraw(picture, "RGBA") if fill else OrientedDraw(picture)
    boxes = boxes.astype(numpy.int64).tolist()  # truncated, as torchvision's .to(int64)
    for box, color, label, text_color, background in zip(
        boxes,
        colors,
        labels,
        text_colors,
        backgrounds,
        strict=False,  # colours may be more
    ):
        draw_method = draw.oriented_rectangle if len(box) > 4 else draw.rectangle
        draw_method(box, width=width, outline=color, fill=(*color, 100) if fill else None)
        if label is not None:
            margin = width + 1  # the box's width, and one pixel
            corner = (box[0] + margin, box[1] + margin)
            if fill_labels:
                left, top, right, bottom = draw.textbbox(corner, label, font=txt_font)
                draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=background)
            draw.text(corner, label, fill=text_color, font=txt_font)
    return from_pil(picture, array.dtype)


def draw_segmentation_masks(image, masks, alpha: float = 0.8, colors=None) -> Tensor:
    """Blend masks over an image, as ``torchvision.utils.draw_segmentation_masks``.

    Args:
        image: a (3, H, W) uint8 image, or float in [0, 1].
        masks: a bool (H, W) mask or (N, H, W) masks.
        alpha: the masks' opacity: 0 leaves the image, 1 paints the colours. Default: 0.8.
        colors: a colour or a list of one per mask (see :func:`draw_bounding_boxes`).
            Default: torchvision's palette. Where masks overlap, black is blended.

    Returns:
        Tensor: the (3, H, W) image of the image's dtype.

    Raises:
        TypeError: for an image that is not a Tensor or an array.
        ValueError: for a bad image, masks or colours, with torchvision's messages.

    Example:
        >>> image = np.full((3, 1, 1), 100, dtype=np.uint8)
        >>> draw_segmentation_masks(image, np.ones((1, 1), bool), 0.5, "blue").numpy()
        array([[[ 50]], [[ 50]], [[177]]], dtype=uint8)
    """
    array = rgb_image(image, "The image must be a tensor")
    masks = host(masks)
    masks = masks[None] if masks.ndim == 2 else masks
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype != numpy.bool_:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if masks.shape[-2:] != array.shape[-2:]:
        raise ValueError("The image and the masks must have the same height and width")
    if masks.shape[0] == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image if isinstance(image, Tensor) else Tensor(image)
    floating = array.dtype != numpy.uint8
    colors = parse_colors(colors, num_objects=masks.shape[0], floating=floating)
    painted = array.copy()
    for mask, color in zip(masks, colors, strict=False):
        # torch.tensor(color, dtype=image.dtype): floats truncate into uint8
        painted[:, mask] = numpy.array(color, dtype=numpy.float64).astype(array.dtype)[:, None]
    painted[:, masks.sum(axis=0) > 1] = 0
    # uint8 * Python float is float32 in torch: blend there, then truncate back
    compute = array.dtype if floating else numpy.float32
    out = array.astype(compute) * (1 - alpha) + painted.astype(compute) * alpha
    return Tensor(out.astype(array.dtype))


def draw_keypoints(
    image,
    keypoints,
    connectivity: list[tuple[int, int]] | None = None,
    colors=None,
    radius: int = 2,
    width: int = 3,
    visibility=None,
) -> Tensor:
    """Draw keypoints (and their connections) on an image, as ``torchvision.utils.draw_keypoints``.

    Args:
        image: a (3, H, W) uint8 image, or float in [0, 1].
        keypoints: (N, K, 2) ``(x, y)`` points of N instances; truncated to integers.
        connectivity: pairs of keypoint indices to join with a line.
        colors: the points' colour (a Pillow name or an RGB tuple); default white.
        radius: the points' radius. Default: 2.
        width: the connections' line width. Default: 3.
        visibility: (N, K) (or (N, K, 1)) flags: an invisible point, and any connection to
            it, is not drawn. Default: all visible.

    Returns:
        Tensor: the (3, H, W) image of the image's dtype.

    Raises:
        TypeError: for an image that is not a Tensor or an array.
        ValueError: for a bad image, keypoints or visibility, with torchvision's messages.

    Example:
        >>> image = np.zeros((3, 5, 5), dtype=np.uint8)
        >>> drawn = draw_keypoints(image, np.array([[[2, 2]]]), colors="red", radius=1)
        >>> drawn.numpy()[0, 2].tolist()
        [0, 255, 255, 255, 0]
    """
    array = rgb_image(image, "The image must be a tensor")
    keypoints = host(keypoints)
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    visible = numpy.ones(keypoints.shape[:-1], bool) if visibility is None else host(visibility)
    visible = visible[..., 0] if visible.ndim == 3 else visible  # (N, K, 1), as torchvision
    if visible.ndim != 2:
        raise ValueError(f"visibility must be of shape (num_instances, K). Got ndim={visible.ndim}")
    if visible.shape != keypoints.shape[:-1]:
        msg = (
            "keypoints and visibility must have the same dimensionality for num_instances and K. "
            f"Got visibility.shape={visible.shape} and keypoints.shape={keypoints.shape}"
        )
        raise ValueError(msg)
    picture = as_pil(array)
    draw = ImageDraw.Draw(picture)
    instances = keypoints.astype(numpy.int64).tolist()  # truncated, as torchvision's
    for points, shown in zip(instances, visible.astype(bool).tolist(), strict=True):
        for (x, y), is_shown in zip(points, shown, strict=True):
            if is_shown:
                box = [x - radius, y - radius, x + radius, y + radius]
                draw.ellipse(box, fill=colors, outline=None, width=0)
        for start, end in connectivity or ():
            if shown[start] and shown[end]:
                draw.line((tuple(points[start]), tuple(points[end])), width=width)
    return from_pil(picture, array.dtype)
