"""torchvision v2's keypoint transforms (:class:`ClampKeyPoints`, :class:`SanitizeKeyPoints`)
and the sample queries v2 exports for custom transforms: :func:`query_size`,
:func:`query_chw`, :func:`has_any`, :func:`has_all`, :func:`check_type`,
:func:`get_bounding_boxes`, :func:`get_keypoints`.

The queries take the flat leaves of a sample (``tree_flatten``'s), as torchvision's do, and
look only at the leaves of the kinds they ask about (a label's shape is no image size).

Example:
    >>> from xpnet.data.tv_tensors import KeyPoints
    >>> points = KeyPoints([[1, 1], [9, 1]], canvas_size=(4, 4))
    >>> ClampKeyPoints()(points).tolist(), query_size([np.zeros((3, 4, 4)), points])
    ([[1, 1], [3, 1]], (4, 4))
"""

from __future__ import annotations

from ..func._pytree import tree_unflatten
from .transforms_functional import get_dimensions
from .transforms_pil import is_pil_image
from .transforms_v2_base import Transform, check_type, has_any, is_pure_tensor
from .transforms_v2_boxes import kept, sample_and_labels
from .transforms_v2_mix import parse_labels_getter
from .tv_tensors import BoundingBoxes, Image, KeyPoints, Mask, Video, wrap
from .tv_tensors_geometry import get_size
from .tv_tensors_keypoints import clamp_keypoints, sanitize_mask

__all__ = [
    "ClampKeyPoints",
    "SanitizeKeyPoints",
    "check_type",
    "get_bounding_boxes",
    "get_keypoints",
    "has_all",
    "has_any",
    "query_chw",
    "query_size",
]

IMAGES = (is_pure_tensor, Image, is_pil_image, Video)
SIZED = (*IMAGES, Mask, BoundingBoxes, KeyPoints)


def has_all(flat_inputs, *types_or_checks) -> bool:
    """Whether every one of ``types_or_checks`` matches some leaf (torchvision's ``has_all``).

    Example:
        >>> has_all([np.zeros(2), 3], int, is_pure_tensor), has_all([3], int, str)
        (True, False)
    """
    return all(has_any(flat_inputs, kind) for kind in types_or_checks)


def one_of(flat_inputs, kind: type, what: str):
    """The first leaf of ``kind`` (torchvision assumes one per sample)."""
    for inpt in flat_inputs:
        if isinstance(inpt, kind):
            return inpt
    msg = f"No {what} were found in the sample"
    raise ValueError(msg)


def get_bounding_boxes(flat_inputs) -> BoundingBoxes:
    """The sample's :class:`~xpnet.data.tv_tensors.BoundingBoxes` (the first).

    Raises:
        ValueError: if there are none.

    Example:
        >>> boxes = BoundingBoxes([0, 0, 1, 1], format="XYXY", canvas_size=(2, 2))
        >>> get_bounding_boxes([np.zeros(1), boxes]) is boxes
        True
    """
    return one_of(flat_inputs, BoundingBoxes, "bounding boxes")


def get_keypoints(flat_inputs) -> KeyPoints:
    """The sample's :class:`~xpnet.data.tv_tensors.KeyPoints` (the first).

    Raises:
        ValueError: if there are none.

    Example:
        >>> get_keypoints([KeyPoints([0, 0], canvas_size=(2, 2))]).canvas_size
        (2, 2)
    """
    return one_of(flat_inputs, KeyPoints, "keypoints")


def query_chw(flat_inputs) -> tuple[int, int, int]:
    """``(channels, height, width)`` of the sample's images and videos, which must agree.

    Raises:
        TypeError: if the sample has no image or video.
        ValueError: if they disagree.

    Example:
        >>> query_chw([np.zeros((3, 4, 5)), 7])
        (3, 4, 5)
    """
    chws = {tuple(get_dimensions(inpt)) for inpt in flat_inputs if check_type(inpt, IMAGES)}
    return _the_one(chws, "image or video", "CxHxW")


def query_size(flat_inputs) -> tuple[int, int]:
    """``(height, width)`` of the sample's images, videos, masks, boxes and keypoints,
    which must agree (torchvision's ``query_size``; other leaves are not looked at).

    Raises:
        TypeError: if the sample has none of them.
        ValueError: if they disagree.

    Example:
        >>> query_size([np.zeros((3, 4, 5)), Mask(np.zeros((4, 5)))])
        (4, 5)
    """
    sizes = {tuple(get_size(inpt)) for inpt in flat_inputs if check_type(inpt, SIZED)}
    return _the_one(sizes, "image, video, mask, bounding box of keypoint", "HxW")


def _the_one(found: set, kinds: str, dims: str) -> tuple:
    """The one size in ``found``, with torchvision's errors for none and several."""
    if not found:
        msg = f"No {kinds} was found in the sample"
        raise TypeError(msg)
    if len(found) > 1:
        msg = (
            f"Found multiple {dims} dimensions in the sample: {', '.join(map(str, sorted(found)))}"
        )
        raise ValueError(msg)
    return found.pop()


class ClampKeyPoints(Transform):
    """The sample's keypoints clamped to their canvas (see
    :func:`~xpnet.data.tv_tensors_keypoints.clamp_keypoints`); the rest passes through."""

    transformed_types = (KeyPoints,)

    def transform(self, inpt, params: dict):
        return clamp_keypoints(inpt)


class SanitizeKeyPoints(Transform):
    """Remove the keypoints (or, for ``(N, ..., 2)`` points, the groups) outside their
    canvas, and the matching rows of the labels (torchvision v2's ``SanitizeKeyPoints``).

    Args:
        labels_getter: ``None`` (no labels, the default), ``"default"`` (the ``labels``
            entry of a dict sample) or a callable of the sample.

    Raises:
        ValueError: for a bad ``labels_getter``; when called, a sample without keypoints,
            labels that are no tensors, or labels of another length than the keypoints.

    Example:
        >>> points = KeyPoints([[1, 1], [5, 1]], canvas_size=(4, 4))
        >>> SanitizeKeyPoints()(points).tolist()
        [[1, 1]]
    """

    def __init__(self, labels_getter=None) -> None:
        self.labels_getter = labels_getter
        self._labels_getter = parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        flat_inputs, spec, labels = sample_and_labels(inputs, self._labels_getter)
        points = get_keypoints(flat_inputs)
        for label in labels:
            if points.shape[0] != label.shape[0]:
                msg = (
                    f"Number of kepyoints (shape={tuple(points.shape)}) must match the number "
                    f"of labels.Found labels with shape={tuple(label.shape)})."
                )
                raise ValueError(msg)
        params = {"valid": sanitize_mask(points.array, points.canvas_size), "labels": labels}
        return tree_unflatten([self.transform(inpt, params) for inpt in flat_inputs], spec)

    def transform(self, inpt, params: dict):
        if isinstance(inpt, KeyPoints):
            return wrap(inpt.array[params["valid"]], like=inpt)
        if any(inpt is label for label in params["labels"]):
            return kept(inpt, params["valid"])
        return inpt
