"""torchvision v2's video functions: :func:`uniform_temporal_subsample`, :func:`get_num_frames`,
:func:`get_num_channels` and the :class:`UniformTemporalSubsample` transform.

A :class:`~xpnet.data.tv_tensors.Video` is ``(..., T, C, H, W)``; the image functions and
transforms of v2 take it as they take an image (their kernels work on any leading axes, so
every frame gets the same parameters), and these functions are the ones that read or change
its time axis ``T``.

Example:
    >>> from xpnet.data.tv_tensors import Video
    >>> video = Video(np.arange(5).reshape(5, 1, 1, 1))
    >>> uniform_temporal_subsample(video, 3).ravel().tolist(), get_num_frames(video)
    ([0, 2, 4], 5)
"""

from __future__ import annotations

import numpy

from ..autograd import Tensor
from ..backends import backend_of
from .transforms_functional import get_dimensions
from .transforms_pil import is_pil_image
from .transforms_v2_base import Transform, is_pure_tensor
from .tv_tensors import Image, Video

__all__ = [
    "UniformTemporalSubsample",
    "get_num_channels",
    "get_num_frames",
    "get_num_frames_video",
    "uniform_temporal_subsample",
    "uniform_temporal_subsample_video",
]


def refuse(function: str, inpt, supported: str) -> None:
    """torchvision's TypeError for an input type that ``function`` has no kernel for."""
    msg = (
        f"Functional F.{function} supports inputs of type [{supported}], "
        f"but got {type(inpt)} instead."
    )
    raise TypeError(msg)


def temporal_indices(frames: int, num_samples: int):
    """``torch.linspace(0, frames - 1, num_samples).long()``: float32 steps, taken from the
    start for the first half and from the end for the second, as torch's CPU linspace."""
    if num_samples == 1:
        return numpy.zeros(1, numpy.int64)
    end = numpy.float32(frames - 1)
    step = numpy.float64(end / numpy.float32(num_samples - 1))
    index = numpy.arange(num_samples)
    # float64 products of a float32 step are exact: one rounding, as torch's fused multiply-add
    values = numpy.where(
        index < num_samples // 2, step * index, float(end) - step * (num_samples - 1 - index)
    )
    return values.astype(numpy.float32).astype(numpy.int64)


def uniform_temporal_subsample_video(video, num_samples: int):
    """torchvision's kernel: ``num_samples`` evenly spaced frames of axis ``-4`` (repeated
    where ``num_samples`` exceeds the frames), of ``video``'s kind (array or Tensor).

    Example:
        >>> uniform_temporal_subsample_video(np.arange(4).reshape(4, 1, 1, 1), 2).ravel()
        array([0, 3])
    """
    array = video.array if isinstance(video, Tensor) else video
    xp = backend_of(array).xp
    indices = xp.asarray(temporal_indices(array.shape[-4], num_samples))
    output = xp.take(array, indices, axis=-4)
    return Tensor(output) if isinstance(video, Tensor) else output


def uniform_temporal_subsample(inpt, num_samples: int):
    """``num_samples`` evenly spaced frames of a video (torchvision v2's function): a
    :class:`~xpnet.data.tv_tensors.Video` stays a Video, a plain tensor stays plain.

    Raises:
        TypeError: for an Image, a mask, boxes or a PIL image (no kernel, as torchvision).

    Example:
        >>> uniform_temporal_subsample(np.arange(3).reshape(3, 1, 1, 1), 5).ravel().tolist()
        [0, 0, 1, 1, 2]
    """
    if isinstance(inpt, Video):
        return Video(uniform_temporal_subsample_video(inpt.array, num_samples))
    if not is_pure_tensor(inpt):
        refuse("uniform_temporal_subsample", inpt, "Video, Tensor")
    return uniform_temporal_subsample_video(inpt, num_samples)


def get_num_frames_video(video) -> int:
    """torchvision's kernel: the length of axis ``-4``."""
    return int(video.shape[-4])


def get_num_frames(inpt) -> int:
    """The number of frames ``T`` of a ``(..., T, C, H, W)`` video or plain tensor.

    Raises:
        TypeError: for an Image, a mask, boxes or a PIL image (no kernel, as torchvision).

    Example:
        >>> get_num_frames(np.zeros((7, 3, 2, 2)))
        7
    """
    if not (isinstance(inpt, Video) or is_pure_tensor(inpt)):
        refuse("get_num_frames", inpt, "Video, Tensor")
    return get_num_frames_video(inpt)


def get_num_channels(inpt) -> int:
    """The number of channels of an image or a video (plain tensor, Image, Video or PIL).

    Raises:
        TypeError: for a mask or boxes (no kernel, as torchvision).

    Example:
        >>> get_num_channels(np.zeros((2, 3, 4, 4)))
        3
    """
    if not (isinstance(inpt, (Image, Video)) or is_pure_tensor(inpt) or is_pil_image(inpt)):
        refuse("get_num_channels", inpt, "Image, Video, Tensor, PIL.Image.Image")
    return get_dimensions(inpt)[0]


class UniformTemporalSubsample(Transform):
    """The sample's video, ``num_samples`` evenly spaced frames of it (torchvision v2's):
    a :class:`~xpnet.data.tv_tensors.Video`, or the image a pure tensor is (see
    :mod:`xpnet.data.transforms_v2_base`); Images, masks and boxes pass through.

    Args:
        num_samples: how many frames to keep.

    Example:
        >>> video = Video(np.zeros((8, 3, 2, 2)))
        >>> UniformTemporalSubsample(4)(video).shape
        (4, 3, 2, 2)
    """

    transformed_types = (is_pure_tensor, Video)

    def __init__(self, num_samples: int) -> None:
        self.num_samples = num_samples

    def transform(self, inpt, params: dict):
        return uniform_temporal_subsample(inpt, self.num_samples)
