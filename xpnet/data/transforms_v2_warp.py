"""torchvision v2's warping functions on every kind of leaf: :func:`affine`, :func:`rotate`,
:func:`perspective` and :func:`elastic`, with their ``*_image`` and ``*_mask`` kernels.

Each function dispatches on its input's type as torchvision's ``_get_kernel`` does: a PIL
image, a plain tensor or an :class:`~xpnet.data.tv_tensors.Image` goes to the image kernel
(v1's function of :mod:`xpnet.data.transforms_functional`, or :func:`elastic_image`; an
Image comes back an Image), a :class:`~xpnet.data.tv_tensors.Mask` to the mask kernel (the
image kernel with ``NEAREST``, a 2-d mask given a channel axis for it), and
:class:`~xpnet.data.tv_tensors.BoundingBoxes` to :mod:`xpnet.data.tv_tensors_warp`'s box
kernels (``rotate`` with ``expand`` gives them a larger ``canvas_size``).

Example:
    >>> from xpnet.data.tv_tensors import BoundingBoxes
    >>> boxes = BoundingBoxes([0.0, 0.0, 4.0, 2.0], format="XYXY", canvas_size=(2, 4))
    >>> out = rotate(boxes, 90.0, expand=True)
    >>> out.tolist(), out.canvas_size
    ([[0.0, 0.0, 2.0, 4.0]], (4, 2))
"""

from __future__ import annotations

from ..autograd import Tensor
from . import transforms_functional as F
from . import transforms_pil as fp
from . import transforms_warp as fw
from .transforms_modes import PIL_MODES, InterpolationMode, checked_interpolation
from .tv_tensors import BoundingBoxes, Mask, wrap
from .tv_tensors_geometry import rewrapped
from .tv_tensors_keypoints import keypoints_dispatch
from .tv_tensors_warp import (
    affine_bounding_boxes,
    elastic_bounding_boxes,
    elastic_image,
    perspective_bounding_boxes,
    perspective_coefficients,
    rotate_bounding_boxes,
)

__all__ = [
    "affine",
    "affine_image",
    "affine_mask",
    "elastic",
    "elastic_mask",
    "perspective",
    "perspective_image",
    "perspective_mask",
    "rotate",
    "rotate_image",
    "rotate_mask",
]

NEAREST = InterpolationMode.NEAREST
affine_image = F.affine  # torchvision's affine_image and its PIL kernel, in one function
rotate_image = F.rotate


def on_mask(mask, kernel):
    """``kernel`` of a mask, a 2-d one given a channel axis for it and back, as torchvision's
    mask kernels; a Tensor (a Mask's plain Tensor) or an array, of the input's kind."""
    array = mask.array if isinstance(mask, Tensor) else mask
    output = F.host_array(kernel(array[None] if array.ndim < 3 else array))
    output = output[0] if array.ndim < 3 else output
    return Tensor(output) if isinstance(mask, Tensor) else output


def affine_mask(mask, angle, translate, scale, shear, fill=None, center=None):
    """torchvision's ``affine_mask``: :func:`affine_image` with ``NEAREST``.

    Example:
        >>> affine_mask(np.eye(3, dtype=np.uint8), 0.0, [1, 0], 1.0, 0.0).tolist()
        [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    """
    return on_mask(
        mask, lambda m: affine_image(m, angle, translate, scale, shear, NEAREST, fill, center)
    )


def rotate_mask(mask, angle, expand=False, center=None, fill=None):
    """torchvision's ``rotate_mask``: :func:`rotate_image` with ``NEAREST``.

    Example:
        >>> rotate_mask(np.eye(2, dtype=np.uint8), 90.0).tolist()
        [[0, 1], [1, 0]]
    """
    return on_mask(mask, lambda m: rotate_image(m, angle, NEAREST, expand, center, fill))


def perspective_image(
    image,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    """torchvision v2's ``perspective_image``: v1's ``perspective``, or the map of the 8
    ``coefficients`` (Pillow's, from output to input pixels) when they are given instead.

    Example:
        >>> image = np.arange(4.0).reshape(1, 2, 2)
        >>> perspective_image(image, None, None, coefficients=[1, 0, 0, 0, 1, 0, 0, 0]).tolist()
        [[[0.0, 1.0], [2.0, 3.0]]]
    """
    coefficients = perspective_coefficients(startpoints, endpoints, coefficients)
    if startpoints is not None:
        return F.perspective(image, startpoints, endpoints, interpolation, fill)
    interpolation = checked_interpolation(interpolation)
    if not F.is_tensor_image(image):
        F.check_pil_image(image)
        mode = PIL_MODES[interpolation.value]
        return fp.transform(image, "PERSPECTIVE", coefficients, mode, fill)
    array = F.host_array(image)
    fw.check_grid_inputs(array, fill, interpolation.value)
    height, width = array.shape[-2:]
    grid = fw.perspective_grid(coefficients, width, height, fw.grid_dtype(array))
    return F.like_input(image, fw.apply_grid(array, grid, interpolation.value, fill))


def perspective_mask(mask, startpoints, endpoints, fill=None, coefficients=None):
    """torchvision's ``perspective_mask``: :func:`perspective_image` with ``NEAREST``.

    Example:
        >>> perspective_mask(np.eye(2), None, None, coefficients=[1, 0, 0, 0, 1, 0, 0, 0]).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    return on_mask(
        mask, lambda m: perspective_image(m, startpoints, endpoints, NEAREST, fill, coefficients)
    )


def elastic_mask(mask, displacement, fill=None):
    """torchvision's ``elastic_mask``: :func:`elastic_image` with ``NEAREST``.

    Example:
        >>> elastic_mask(np.eye(2), np.zeros((1, 2, 2, 2))).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    return on_mask(mask, lambda m: elastic_image(m, displacement, NEAREST, fill))


@keypoints_dispatch
def affine(inpt, angle, translate, scale, shear, interpolation=NEAREST, fill=None, center=None):
    """Rotate, scale, shear and translate any leaf (torchvision v2's ``affine``): images as
    v1's :func:`~xpnet.data.transforms_functional.affine`, masks with ``NEAREST``, boxes
    through the map of their corners (clamped to their canvas).

    Example:
        >>> boxes = BoundingBoxes([0, 0, 2, 2], format="XYXY", canvas_size=(4, 4))
        >>> affine(boxes, 0.0, [1, 1], 1.0, 0.0).tolist()
        [[1, 1, 3, 3]]
    """
    args = (angle, translate, scale, shear)
    if isinstance(inpt, BoundingBoxes):
        meta = (inpt.format, inpt.canvas_size)
        output = affine_bounding_boxes(inpt.array, *meta, *args, center, inpt.clamping_mode)
        return wrap(output, like=inpt)
    if isinstance(inpt, Mask):
        return wrap(affine_mask(inpt, *args, fill=fill, center=center), like=inpt)
    return rewrapped(inpt, affine_image(inpt, *args, interpolation, fill, center))


@keypoints_dispatch
def rotate(inpt, angle, interpolation=NEAREST, expand=False, center=None, fill=None):
    """Rotate any leaf by ``angle`` degrees counter-clockwise (torchvision v2's ``rotate``);
    with ``expand``, boxes get the larger canvas of the rotated image.

    Example:
        >>> boxes = BoundingBoxes([1.0, 1.0, 3.0, 2.0], format="XYXY", canvas_size=(4, 4))
        >>> rotate(boxes, 90.0).tolist()
        [[1.0, 1.0, 2.0, 3.0]]
    """
    if isinstance(inpt, BoundingBoxes):
        output, canvas_size = rotate_bounding_boxes(
            inpt.array, inpt.format, inpt.canvas_size, angle, expand, center, inpt.clamping_mode
        )
        return wrap(output, like=inpt, canvas_size=canvas_size)
    if isinstance(inpt, Mask):
        return wrap(rotate_mask(inpt, angle, expand, center, fill), like=inpt)
    return rewrapped(inpt, rotate_image(inpt, angle, interpolation, expand, center, fill))


@keypoints_dispatch
def perspective(
    inpt,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    """Warp any leaf by the perspective map of four corners, or of 8 ``coefficients``
    (torchvision v2's ``perspective``).

    Example:
        >>> corners = [[0, 0], [4, 0], [4, 4], [0, 4]]
        >>> boxes = BoundingBoxes([0.0, 0.0, 2.0, 2.0], format="XYXY", canvas_size=(4, 4))
        >>> perspective(boxes, corners, [[x + 1, y] for x, y in corners]).tolist()
        [[1.0, 0.0, 3.0, 2.0]]
    """
    if isinstance(inpt, BoundingBoxes):
        points, mode = (startpoints, endpoints, coefficients), inpt.clamping_mode
        output = perspective_bounding_boxes(
            inpt.array, inpt.format, inpt.canvas_size, *points, mode
        )
        return wrap(output, like=inpt)
    if isinstance(inpt, Mask):
        output = perspective_mask(inpt, startpoints, endpoints, fill, coefficients)
        return wrap(output, like=inpt)
    output = perspective_image(inpt, startpoints, endpoints, interpolation, fill, coefficients)
    return rewrapped(inpt, output)


@keypoints_dispatch
def elastic(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Warp any leaf by a ``displacement`` field (1, H, W, 2) (torchvision v2's
    ``elastic``): images by :func:`elastic_image`, masks with ``NEAREST``, boxes through
    :func:`~xpnet.data.tv_tensors_warp.elastic_bounding_boxes`.

    Example:
        >>> elastic(np.arange(4.0).reshape(1, 2, 2), np.zeros((1, 2, 2, 2))).tolist()
        [[[0.0, 1.0], [2.0, 3.0]]]
    """
    if isinstance(inpt, BoundingBoxes):
        meta = (inpt.format, inpt.canvas_size)
        output = elastic_bounding_boxes(inpt.array, *meta, displacement, inpt.clamping_mode)
        return wrap(output, like=inpt)
    if isinstance(inpt, Mask):
        return wrap(elastic_mask(inpt, displacement, fill), like=inpt)
    return rewrapped(inpt, elastic_image(inpt, displacement, interpolation, fill))
