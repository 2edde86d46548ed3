"""torchvision's ``tv_tensors``: :class:`Image`, :class:`Video`, :class:`Mask`,
:class:`BoundingBoxes` and :class:`KeyPoints`.

A tv_tensor is an :class:`~xpnet.Tensor` subclass that tells the v2 transforms what a leaf of
a sample is (:mod:`xpnet.data.transforms_v2_base`): an :class:`Image` is transformed as the
image, a :class:`Mask` with it (NEAREST), and :class:`BoundingBoxes` carry their ``format``
and ``canvas_size`` (the image's ``(height, width)``) for the geometric transforms. As
torchvision's, an operation on a tv_tensor returns a plain Tensor (``boxes + 1`` forgets the
format; :func:`wrap` puts it back) but for ``clone``, ``to``, ``detach`` and under
:func:`set_return_type` (:mod:`xpnet.data.tv_tensors_return`). Also here:
:func:`convert_bounding_box_format` and :func:`clamp_bounding_boxes`, on tv_tensors or
plain arrays and Tensors with the format passed.

Example:
    >>> from xpnet.data import tv_tensors
    >>> boxes = tv_tensors.BoundingBoxes([[1, 2, 4, 6]], format="XYWH", canvas_size=(8, 8))
    >>> boxes.format, boxes.canvas_size
    (<BoundingBoxFormat.XYWH: 'XYWH'>, (8, 8))
    >>> convert_bounding_box_format(boxes, new_format="XYXY").tolist()
    [[1, 2, 5, 8]]
"""

from __future__ import annotations

import enum

from .._tensor_print import tensor_repr
from ..autograd import Tensor
from ..backends import backend_of
from .transforms_functional import pil_to_tensor
from .transforms_pil import is_pil_image
from .tv_tensors_return import install_return_types, set_return_type

__all__ = [
    "BoundingBoxFormat",
    "BoundingBoxes",
    "Image",
    "KeyPoints",
    "Mask",
    "TVTensor",
    "Video",
    "clamp_bounding_boxes",
    "convert_bounding_box_format",
    "set_return_type",
    "wrap",
]


class BoundingBoxFormat(enum.Enum):
    """How a box's four numbers read: corners, corner and size, or centre and size."""

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"


def array_of(data, dtype=None):
    """The backend array of ``data`` (a Tensor's own, a PIL image's pixels, host data put on
    the current backend), as ``dtype`` where given."""
    data = pil_to_tensor(data) if is_pil_image(data) else data
    array = (data if isinstance(data, Tensor) else Tensor(data)).array
    return array if dtype is None else array.astype(dtype)


class TVTensor(Tensor):
    """The base of the tv_tensors: a Tensor whose class says what it is in a sample."""

    def __init__(self, data, *, dtype=None, requires_grad: bool = False) -> None:
        super().__init__(array_of(data, dtype), requires_grad=requires_grad)
        install_return_types(TVTensor)  # once, when Tensor has all its methods

    def extra_fields(self) -> str:
        """The metadata :meth:`__repr__` adds after the values."""
        return ""

    def __repr__(self) -> str:
        # torchvision prints a tv_tensor as torch prints a tensor, under its own class name
        name = type(self).__name__
        text = tensor_repr(Tensor(self.array))
        text = name + text[len("tensor") :].replace("\n" + " " * 7, "\n" + " " * (len(name) + 1))
        extra = self.extra_fields()
        return f"{text[:-1]}, {extra})" if extra else text


class Image(TVTensor):
    """An image, ``(..., C, H, W)``; a 2-d ``(H, W)`` input gets its channel axis.

    Args:
        data: an array, a Tensor, a PIL image (its pixels, as ``pil_to_tensor``) or host data.
        dtype: cast to this dtype. Default: keep the data's.
        requires_grad: as :class:`~xpnet.Tensor`'s. Default: ``False``.

    Raises:
        ValueError: if ``data`` has fewer than 2 dimensions.

    Example:
        >>> Image(np.zeros((4, 5), np.uint8)).shape
        (1, 4, 5)
    """

    def __init__(self, data, *, dtype=None, requires_grad: bool = False) -> None:
        array = array_of(data, dtype)
        if array.ndim < 2:
            msg = f"Image: data must have at least 2 dimensions (H, W), got {array.ndim}"
            raise ValueError(msg)
        super().__init__(array[None] if array.ndim == 2 else array, requires_grad=requires_grad)


class Mask(TVTensor):
    """A segmentation mask, ``(..., H, W)``; a PIL image gives its first band.

    Example:
        >>> Mask(np.zeros((4, 5), np.uint8)).shape
        (4, 5)
    """

    def __init__(self, data, *, dtype=None, requires_grad: bool = False) -> None:
        if is_pil_image(data):
            data = pil_to_tensor(data).array[0]
        super().__init__(data, dtype=dtype, requires_grad=requires_grad)


class Video(TVTensor):
    """A video, ``(..., T, C, H, W)``: the v2 image functions and transforms apply to every
    frame with the same parameters (torchvision's ``*_video`` kernels).

    Raises:
        ValueError: if ``data`` has fewer than 4 dimensions.

    Example:
        >>> Video(np.zeros((2, 3, 4, 5), np.uint8)).shape
        (2, 3, 4, 5)
    """

    def __init__(self, data, *, dtype=None, requires_grad: bool = False) -> None:
        array = array_of(data, dtype)
        if array.ndim < 4:
            msg = f"Video: data must have at least 4 dimensions (T, C, H, W), got {array.ndim}"
            raise ValueError(msg)
        super().__init__(array, requires_grad=requires_grad)


def box_format(format, name: str = "format") -> BoundingBoxFormat:
    """``format`` as a :class:`BoundingBoxFormat` (a name, any case, is taken)."""
    if isinstance(format, str) and format.upper() in BoundingBoxFormat.__members__:
        return BoundingBoxFormat[format.upper()]
    if isinstance(format, BoundingBoxFormat):
        return format
    msg = f"{name} must be a BoundingBoxFormat or one of {list(BoundingBoxFormat.__members__)}, "
    raise ValueError(msg + f"got {format!r}")


def checked_clamping_mode(clamping_mode, expected="None, hard or soft", end="."):
    """``clamping_mode`` if ``expected`` names it (a phrase of torchvision's message for the
    caller), else that ValueError."""
    if clamping_mode not in (None, "soft", "hard", "auto")[: 3 + ("auto" in expected)]:
        msg = f"clamping_mode must be {expected}, got {clamping_mode}{end}"
        raise ValueError(msg)
    return clamping_mode


class BoundingBoxes(TVTensor):
    """Boxes ``(N, 4)`` on an image of ``canvas_size``; a 1-d box gets its ``N`` axis.

    Args:
        data: the boxes (an array, a Tensor or host data).
        format: a :class:`BoundingBoxFormat` or its name (``"XYXY"``, ``"xywh"``, ...).
        canvas_size: ``(height, width)`` of the image the boxes sit on.
        clamping_mode: ``"soft"``, ``"hard"`` (the same for these formats: boxes clamped to
            the canvas by crop, pad and the warps) or ``None`` (never clamped). Default: soft.
        dtype: cast to this dtype. Default: keep the data's.
        requires_grad: as :class:`~xpnet.Tensor`'s. Default: ``False``.

    Raises:
        ValueError: for data that is not 1-d or 2-d with 4 columns, an unknown format or
            clamping mode.

    Example:
        >>> boxes = BoundingBoxes([0, 0, 2, 3], format="XYXY", canvas_size=(4, 4))
        >>> boxes.tolist(), boxes.format.value, boxes.clamping_mode
        ([[0, 0, 2, 3]], 'XYXY', 'soft')
    """

    def __init__(
        self, data, *, format, canvas_size, clamping_mode="soft", dtype=None, requires_grad=False
    ) -> None:
        array = array_of(data, dtype)
        if array.ndim == 1:
            array = array[None]
        if array.ndim != 2 or array.shape[-1] != 4:
            msg = f"BoundingBoxes: expected data of shape (N, 4) or (4,), got {array.shape}"
            raise ValueError(msg)
        super().__init__(array, requires_grad=requires_grad)
        self.format = box_format(format)
        self.canvas_size = tuple(int(length) for length in canvas_size)
        self.clamping_mode = checked_clamping_mode(clamping_mode, "None, hard or soft")

    def extra_fields(self) -> str:
        mode = self.clamping_mode
        return f"format={self.format}, canvas_size={self.canvas_size}, clamping_mode={mode}"


class KeyPoints(TVTensor):
    """Points ``(..., 2)`` (``x``, ``y``) on an image of ``canvas_size``; a 1-d input gets a
    leading axis (torchvision's, which checks the last axis of the others only).

    Args:
        data: the points (an array, a Tensor or host data).
        canvas_size: ``(height, width)`` of the image the points sit on.
        dtype, requires_grad: as :class:`BoundingBoxes`'.

    Raises:
        ValueError: for data of 2 or more dimensions whose last axis is not 2.

    Example:
        >>> KeyPoints([[1, 2], [3, 4]], canvas_size=(5, 5)).canvas_size
        (5, 5)
    """

    def __init__(self, data, *, canvas_size, dtype=None, requires_grad: bool = False) -> None:
        array = array_of(data, dtype)
        if array.ndim == 1:
            array = array[None]
        elif array.shape[-1] != 2:
            msg = f"Expected a tensor of shape (..., 2), not {array.shape}"
            raise ValueError(msg)
        super().__init__(array, requires_grad=requires_grad)
        self.canvas_size = tuple(int(length) for length in canvas_size)

    def extra_fields(self) -> str:
        return f"canvas_size={self.canvas_size}"


def wrap(wrappee, *, like: TVTensor, **kwargs) -> TVTensor:
    """``wrappee`` as a tv_tensor of the class and metadata of ``like`` (torchvision's
    ``tv_tensors.wrap``); ``kwargs`` (``format``, ``canvas_size``) replace ``like``'s.

    Example:
        >>> boxes = BoundingBoxes([0, 0, 2, 2], format="XYXY", canvas_size=(4, 4))
        >>> wrap(boxes + 1, like=boxes, canvas_size=(5, 5)).canvas_size
        (5, 5)
    """
    if isinstance(like, BoundingBoxes):
        format = kwargs.get("format", like.format)
        canvas_size = kwargs.get("canvas_size", like.canvas_size)
        mode = kwargs.get("clamping_mode", like.clamping_mode)
        return BoundingBoxes(wrappee, format=format, canvas_size=canvas_size, clamping_mode=mode)
    if isinstance(like, KeyPoints):
        return KeyPoints(wrappee, canvas_size=kwargs.get("canvas_size", like.canvas_size))
    return type(like)(wrappee)


# -- box formats: torchvision v2's _meta.py, on backend arrays --------------------------------
def is_floating(array) -> bool:
    return array.dtype.kind == "f"


def to_xyxy(array, format: BoundingBoxFormat):
    """XYWH or CXCYWH boxes as XYXY (a new array of the same dtype)."""
    xp = backend_of(array).xp
    if format is BoundingBoxFormat.XYWH:
        xy, wh = array[..., :2], array[..., 2:]
        return xp.concatenate([xy, xy + wh], axis=-1)
    if format is BoundingBoxFormat.CXCYWH:
        # torchvision 0.28 computes integer boxes in float32, then truncates towards zero
        boxes = array if is_floating(array) else array.astype("float32")
        center, wh = boxes[..., :2], boxes[..., 2:]
        xy = center - wh / 2
        return xp.concatenate([xy, xy + wh], axis=-1).astype(array.dtype)
    return array.copy()


def from_xyxy(array, format: BoundingBoxFormat):
    """XYXY boxes as ``format`` (a new array of the same dtype)."""
    xp = backend_of(array).xp
    xy, wh = array[..., :2], array[..., 2:] - array[..., :2]
    if format is BoundingBoxFormat.XYWH:
        return xp.concatenate([xy, wh], axis=-1)
    if format is BoundingBoxFormat.CXCYWH:
        doubled = xy * 2 + wh  # (x1 + x2), floored for integers as torchvision's
        center = doubled / 2 if is_floating(array) else doubled // 2
        return xp.concatenate([center.astype(array.dtype), wh], axis=-1)
    return array.copy()


def convert_format_array(array, old_format: BoundingBoxFormat, new_format: BoundingBoxFormat):
    """Boxes of ``old_format`` as ``new_format``, through XYXY (a new array)."""
    if old_format is new_format:
        return array.copy()
    return from_xyxy(to_xyxy(array, old_format), new_format)


def clamp_array(array, format: BoundingBoxFormat, canvas_size, clamping_mode="soft"):
    """Boxes clamped to the canvas, in float32 for integer boxes, back to their dtype (a
    copy, unclamped, for ``clamping_mode=None``)."""
    if clamping_mode is None:
        return array.copy()
    xp = backend_of(array).xp
    boxes = array if is_floating(array) else array.astype("float32")
    xyxy = to_xyxy(boxes, format)
    height, width = canvas_size
    x = xp.clip(xyxy[..., 0::2], 0, width)
    y = xp.clip(xyxy[..., 1::2], 0, height)
    xyxy = xp.stack([x[..., 0], y[..., 0], x[..., 1], y[..., 1]], axis=-1)
    return from_xyxy(xyxy, format).astype(array.dtype)


def plain_boxes(inpt, function: str, metadata: dict):
    """The array and the metadata of a box input: a :class:`BoundingBoxes` carries its own
    (then ``metadata`` must be None), a plain array or Tensor needs them passed."""
    names = " and ".join(f"`{name}`" for name in metadata)
    if isinstance(inpt, BoundingBoxes):
        if any(value is not None for value in metadata.values()):
            msg = f"{function}: for bounding box tv_tensor inputs, {names} must not be passed."
            raise ValueError(msg)
        return inpt.array, {name: getattr(inpt, name) for name in metadata}
    if any(value is None for value in metadata.values()):
        msg = f"{function}: for pure tensor inputs, {names} have to be passed."
        raise ValueError(msg)
    array = inpt.array if isinstance(inpt, Tensor) else inpt
    return array, metadata


def like_box_input(inpt, array, **metadata):
    """``array`` as the kind of box input ``inpt`` is: BoundingBoxes, a Tensor or an array."""
    if isinstance(inpt, BoundingBoxes):
        return wrap(array, like=inpt, **metadata)
    return Tensor(array) if isinstance(inpt, Tensor) else array


def convert_bounding_box_format(inpt, old_format=None, new_format=None, inplace: bool = False):
    """Boxes in ``new_format`` (torchvision's ``convert_bounding_box_format``).

    XYXY is ``(x1, y1, x2, y2)``, XYWH ``(x1, y1, w, h)``, CXCYWH ``(cx, cy, w, h)``;
    integer boxes keep their dtype: the centre is floored; from CXCYWH the corners are
    computed in float32 and truncated towards zero, as torchvision 0.28's.

    Args:
        inpt: :class:`BoundingBoxes`, or an ``(..., 4)`` array or Tensor.
        old_format: the format of a plain input; not passed for :class:`BoundingBoxes`.
        new_format: the format to convert to (a :class:`BoundingBoxFormat` or its name).
        inplace: accepted for torchvision's signature; a new array is always returned.

    Returns:
        The converted boxes, of ``inpt``'s kind (BoundingBoxes with ``format=new_format``).

    Raises:
        TypeError: if ``new_format`` is not passed.
        ValueError: for ``old_format`` passed with BoundingBoxes or missing without.

    Example:
        >>> boxes = np.array([[10.0, 20.0, 4.0, 6.0]])
        >>> convert_bounding_box_format(boxes, "CXCYWH", "XYXY").tolist()
        [[8.0, 17.0, 12.0, 23.0]]
    """
    if new_format is None:
        msg = "convert_bounding_box_format() missing 1 required argument: 'new_format'"
        raise TypeError(msg)
    name = "convert_bounding_box_format"
    array, meta = plain_boxes(inpt, name, {"format": old_format})
    old_format, new_format = box_format(meta["format"]), box_format(new_format, "new_format")
    output = convert_format_array(array, old_format, new_format)
    return like_box_input(inpt, output, format=new_format)


def clamp_bounding_boxes(inpt, format=None, canvas_size=None, clamping_mode="auto"):
    """Boxes clamped to ``[0, width] x [0, height]`` (torchvision's ``clamp_bounding_boxes``).

    Args:
        inpt: :class:`BoundingBoxes`, or an ``(..., 4)`` array or Tensor.
        format: the format of a plain input; not passed for :class:`BoundingBoxes`.
        canvas_size: ``(height, width)`` of a plain input; not passed for BoundingBoxes.
        clamping_mode: ``"soft"``, ``"hard"``, ``None`` (no clamping) or ``"auto"`` (the
            boxes' own; a plain input needs one of the others). Default: ``"auto"``.

    Returns:
        The clamped boxes, of ``inpt``'s kind and dtype.

    Raises:
        ValueError: for ``format``/``canvas_size`` passed with BoundingBoxes, or these or
            ``clamping_mode`` missing without; an unknown ``clamping_mode``.

    Example:
        >>> clamp_bounding_boxes(np.array([[-2, 1, 9, 3]]), "XYXY", (4, 5), "soft").tolist()
        [[0, 1, 5, 3]]
    """
    checked_clamping_mode(clamping_mode, "soft, hard, auto or None", "")
    plain = not isinstance(inpt, BoundingBoxes) and None not in (format, canvas_size)
    if plain and clamping_mode == "auto":  # (no format or canvas: plain_boxes' error below)
        msg = (
            "clamp_bounding_boxes: for pure tensor inputs, `format`, `canvas_size` and "
            "`clamping_mode` have to be passed."
        )
        raise ValueError(msg)
    meta = {"format": format, "canvas_size": canvas_size}
    array, meta = plain_boxes(inpt, "clamp_bounding_boxes", meta)
    if clamping_mode == "auto":
        clamping_mode = inpt.clamping_mode
    format = box_format(meta["format"])
    return like_box_input(inpt, clamp_array(array, format, meta["canvas_size"], clamping_mode))
