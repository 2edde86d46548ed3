"""torchvision's ``torchvision.utils``, as :mod:`xpnet.data.vision_utils`.

``make_grid`` and ``save_image`` tile a batch of images, ``flow_to_image`` colours an optical
flow, and ``draw_bounding_boxes``, ``draw_segmentation_masks`` and ``draw_keypoints`` (in
:mod:`xpnet.data.vision_utils_draw`) draw on an image with Pillow, as torchvision's do.

The images are "tensor images", as in :mod:`xpnet.data.transforms.functional`: an
:class:`~xpnet.Tensor` (on any backend: these are visualisation helpers, so a device Tensor is
copied to the host, as torchvision's drawing functions call ``.cpu()``) or a NumPy array.
The results are host :class:`~xpnet.Tensor`\\ s of torchvision's dtypes, pixel for pixel
torchvision's (Pillow draws on both sides). Error messages name xpnet's dtypes and shapes
(``float64``, ``(2, 3)``) where torchvision's name torch's (``torch.float64``,
``torch.Size([2, 3])``).

Example:
    >>> from xpnet.data.vision_utils import make_grid
    >>> make_grid(np.ones((5, 1, 4, 4), dtype=np.float32), nrow=3, padding=1).shape
    (3, 11, 16)
"""

from __future__ import annotations

import math

import numpy

from ..autograd import Tensor

# in vision_utils_draw, imported on first use (see __getattr__ at the end)
DRAWING = ("draw_bounding_boxes", "draw_keypoints", "draw_segmentation_masks")

__all__ = ["flow_to_image", "make_grid", "save_image", *DRAWING]


def is_tensor(value) -> bool:
    """Whether ``value`` is what torchvision's utils take for a tensor: a Tensor or an array."""
    return isinstance(value, (Tensor, numpy.ndarray))


def host(value):
    """The NumPy array of a Tensor (copied from any backend) or of a NumPy array."""
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, numpy.ndarray) and type(value) is numpy.ndarray:
        return value
    from .. import to_numpy  # the package imports this module: import at call time

    return to_numpy(value)


# torch's names of the integer dtypes, for its "can't be cast" RuntimeError
TORCH_NAMES = {"uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long"}


def float_only(dtype, why: str = "") -> None:
    """torch's RuntimeError for an integer image that an in-place float operation would need."""
    if not numpy.issubdtype(dtype, numpy.floating):
        name = TORCH_NAMES.get(numpy.dtype(dtype).name, str(dtype))
        msg = f"result type Float can't be cast to the desired output type {name}{why}"
        raise RuntimeError(msg)


def stacked(arrays: list) -> numpy.ndarray:
    """The images of a list as a batch, with torch.stack's RuntimeError for unequal shapes."""
    for i, array in enumerate(arrays[1:], 1):
        if array.shape != arrays[0].shape:
            msg = (
                f"stack expects each tensor to be equal size, but got {list(arrays[0].shape)} "
                f"at entry 0 and {list(array.shape)} at entry {i}"
            )
            raise RuntimeError(msg)
    return numpy.stack(arrays)


def batch_of(tensor) -> numpy.ndarray:
    """make_grid's input as a (B, C, H, W) array; one channel repeated to three, as torchvision."""
    if not is_tensor(tensor):
        if isinstance(tensor, list):
            for item in tensor:
                if not is_tensor(item):
                    msg = f"tensor or list of tensors expected, got a list containing {type(item)}"
                    raise TypeError(msg)
        else:
            msg = f"tensor or list of tensors expected, got {type(tensor)}"
            raise TypeError(msg)
    array = stacked([host(t) for t in tensor]) if isinstance(tensor, list) else host(tensor)
    if array.ndim == 2:  # a single (H, W) image
        array = array[None]
    if array.ndim == 3:  # a single (C, H, W) image
        array = (numpy.concatenate([array] * 3) if array.shape[0] == 1 else array)[None]
    if array.ndim == 4 and array.shape[1] == 1:
        array = numpy.concatenate([array] * 3, axis=1)
    return array


def normalized(array: numpy.ndarray, value_range, scale_each: bool) -> numpy.ndarray:
    """make_grid's ``normalize``: each image (or the batch) clamped and shifted to [0, 1]."""
    if value_range is not None and not isinstance(value_range, tuple):
        msg = "value_range has to be a tuple (min, max) if specified. min and max are numbers"
        raise TypeError(msg)
    float_only(array.dtype, " (make_grid's normalize needs a floating-point image)")

    def norm_range(t):
        # Python floats, as torchvision's clamp_/sub_/div_ take them: the array's dtype computes
        low, high = value_range if value_range is not None else (float(t.min()), float(t.max()))
        clamped = numpy.clip(t, low, high)
        return ((clamped - low) / max(high - low, 1e-5)).astype(t.dtype, copy=False)

    if scale_each is True:
        return numpy.stack([norm_range(t) for t in array]) if len(array) else array
    return norm_range(array)


def make_grid(
    tensor,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Tensor:
    """Tile a batch of images into one image, as ``torchvision.utils.make_grid``.

    Args:
        tensor: a (B, C, H, W) Tensor or array, one (C, H, W) or (H, W) image, or a list of
            (C, H, W) images of one shape. One-channel images are repeated to three.
        nrow: images in each row of the grid. Default: 8.
        padding: pixels between (and around) the images. Default: 2.
        normalize: shift the values to [0, 1] by the min and max of ``value_range``
            (default: of the images). Default: ``False``.
        value_range: ``(min, max)`` for ``normalize``, a tuple.
        scale_each: with ``normalize``, each image by its own min and max. Default: ``False``.
        pad_value: the value of the padding pixels. Default: 0.

    Returns:
        Tensor: a (C, H', W') image of the input's dtype; a batch of one is its image.

    Raises:
        TypeError: for what is not a Tensor, an array or a list of them, or a ``value_range``
            that is not a tuple, with torchvision's messages.
        RuntimeError: for a list of images of unequal shapes (torch.stack's message), or
            ``normalize`` on an integer image.

    Example:
        >>> grid = make_grid(np.zeros((2, 3, 2, 2), dtype=np.float32), padding=1, pad_value=1)
        >>> grid.shape, grid.numpy()[0, 0].tolist()
        ((3, 4, 7), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    """
    array = batch_of(tensor)
    if normalize is True:
        array = normalized(array, value_range, scale_each)
    if array.shape[0] == 1:
        return Tensor(array[0].copy())
    count = array.shape[0]
    columns = min(nrow, count)
    rows = int(math.ceil(float(count) / columns))
    height, width = int(array.shape[2] + padding), int(array.shape[3] + padding)
    grid = numpy.full(
        (array.shape[1], height * rows + padding, width * columns + padding),
        pad_value,
        dtype=array.dtype,
    )
    for k in range(count):
        top, left = (k // columns) * height + padding, (k % columns) * width + padding
        grid[:, top : top + height - padding, left : left + width - padding] = array[k]
    return Tensor(grid)


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:
    """Save an image, or a batch as :func:`make_grid`'s grid, as ``torchvision.utils.save_image``.

    The values (floats in [0, 1]) are scaled to [0, 255], rounded and clamped, and written by
    Pillow.

    Args:
        tensor: what :func:`make_grid` takes.
        fp: a file name (str or path) or a binary file object.
        format: the image format (``"PNG"``, ...); needed with a file object, otherwise taken
            from the file name's extension by Pillow.
        **kwargs: :func:`make_grid`'s other arguments.

    Raises:
        RuntimeError: for an integer image, with torch's message.

    Example:
        >>> import io
        >>> buffer = io.BytesIO()
        >>> save_image(np.ones((3, 2, 2), dtype=np.float32), buffer, format="PNG")
        >>> buffer.getvalue()[:4]
        b'\\x89PNG'
    """
    from PIL import Image

    grid = host(make_grid(tensor, **kwargs))
    float_only(grid.dtype)  # torch's add_(0.5) on an integer grid
    # + 0.5 after scaling to [0, 255] rounds to the nearest integer, as torchvision's add_(0.5)
    scaled = numpy.clip(grid * 255 + 0.5, 0, 255).astype(grid.dtype, copy=False)
    Image.fromarray(scaled.transpose(1, 2, 0).astype(numpy.uint8)).save(fp, format=format)


def make_colorwheel() -> numpy.ndarray:
    """The (55, 3) float32 colour wheel of Baker et al. (ICCV 2007) that flow_to_image reads."""
    ry, yg, gc, cb, bm, mr = 15, 6, 4, 11, 13, 6

    def ramp(n):  # floor(255 * arange(n) / n), in float32 as torchvision's
        return numpy.floor(numpy.arange(n, dtype=numpy.float32) * 255 / numpy.float32(n))

    wheel = numpy.zeros((ry + yg + gc + cb + bm + mr, 3), dtype=numpy.float32)
    spans = numpy.cumsum([0, ry, yg, gc, cb, bm, mr])
    # (segment, constant channel 255, ramped channel, ramp rising?)
    for i, (full, ramped, rising) in enumerate(
        [(0, 1, True), (1, 0, False), (1, 2, True), (2, 1, False), (2, 0, True), (0, 2, False)]
    ):
        start, stop = spans[i], spans[i + 1]
        wheel[start:stop, full] = 255
        values = ramp(stop - start)
        wheel[start:stop, ramped] = values if rising else 255 - values
    return wheel


def flow_to_image(flow) -> Tensor:
    """An optical flow as an RGB image, as ``torchvision.utils.flow_to_image``.

    Args:
        flow: a (2, H, W) or (N, 2, H, W) float32 Tensor or array.

    Returns:
        Tensor: a uint8 (3, H, W) or (N, 3, H, W) image: the hue is the flow's direction, the
        saturation its norm over the largest norm.

    Raises:
        ValueError: for another dtype or shape, with torchvision's messages.

    Example:
        >>> flow = np.array([[[1.0]], [[0.0]]], dtype=np.float32)
        >>> flow_to_image(flow).numpy().ravel().tolist()
        [255, 0, 0]
    """
    array = host(flow)
    if array.dtype != numpy.float32:
        msg = f"Flow should be of dtype float32, got {array.dtype}."
        raise ValueError(msg)
    batch = array[None] if array.ndim == 3 else array
    if batch.ndim != 4 or batch.shape[1] != 2:
        msg = f"Input flow should have shape (2, H, W) or (N, 2, H, W), got {array.shape}."
        raise ValueError(msg)
    max_norm = numpy.sqrt(numpy.sum(batch**2, axis=1)).max()
    image = normalized_flow_to_image(batch / (max_norm + numpy.finfo(numpy.float32).eps))
    return Tensor(image[0] if array.ndim == 3 else image)


def normalized_flow_to_image(flow: numpy.ndarray) -> numpy.ndarray:
    """flow_to_image on a (N, 2, H, W) flow of norms at most 1: the uint8 (N, 3, H, W) image."""
    wheel = make_colorwheel()
    count = wheel.shape[0]
    norm = numpy.sqrt(numpy.sum(flow**2, axis=1))
    angle = numpy.arctan2(-flow[:, 1], -flow[:, 0]) / numpy.float32(numpy.pi)
    position = (angle + 1) / 2 * (count - 1)
    k0 = numpy.floor(position).astype(numpy.int64)
    k1 = numpy.where(k0 + 1 == count, 0, k0 + 1)
    f = position - k0.astype(numpy.float32)
    image = numpy.zeros((flow.shape[0], 3, *flow.shape[2:]), dtype=numpy.uint8)
    for c in range(3):
        colour = (1 - f) * (wheel[k0, c] / 255.0) + f * (wheel[k1, c] / 255.0)
        image[:, c] = numpy.floor(255 * (1 - norm * (1 - colour)))
    return image


def __getattr__(name):
    # the drawing functions subclass Pillow's ImageDraw: imported on first use, so that
    # xpnet.data imports without Pillow (as the transforms do)
    if name in DRAWING:
        from . import vision_utils_draw

        return getattr(vision_utils_draw, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
