"""torchvision v2's colour, noise and cropping transforms that v1 does not have (or has
under v2 only): :class:`GaussianNoise`, :class:`RandomChannelPermutation`,
:class:`RandomPhotometricDistort`, :class:`LinearTransformation`, :class:`FiveCrop`,
:class:`TenCrop` and :class:`JPEG`.

They draw from xpnet's host generator (:func:`xpnet.manual_seed`) in torchvision's order,
once per call (:class:`GaussianNoise` draws its noise per image, as torchvision's does), and
use the kernels of :mod:`xpnet.data.transforms_v2_functional` and v1's colour functions.
:mod:`xpnet.data.transforms_v2_geometry` has the v2-only geometric transforms.

Example:
    >>> import xpnet
    >>> from xpnet.data.transforms import v2
    >>> _ = xpnet.manual_seed(0)
    >>> image, label = v2.RandomChannelPermutation()(np.arange(3.0).reshape(3, 1, 1), 1)
    >>> sorted(image.ravel().tolist()), label
    ([0.0, 1.0, 2.0], 1)
"""

from __future__ import annotations

from .._random import host_generator
from ..autograd import Tensor
from ..backends import backend_of
from . import transforms_functional as F
from . import transforms_v2_functional as F2
from .transforms_affine import check_sequence_input
from .transforms_augment import setup_size
from .transforms_pil import is_pil_image
from .transforms_v2_base import Transform, has_any, is_pure_tensor
from .transforms_v2_draws import LockedTransform, coin
from .tv_tensors import BoundingBoxes, Image, Mask

__all__ = [
    "JPEG",
    "FiveCrop",
    "GaussianNoise",
    "LinearTransformation",
    "RandomChannelPermutation",
    "RandomPhotometricDistort",
    "RGB",
    "TenCrop",
]


class GaussianNoise(LockedTransform):
    """Add Gaussian noise to float images (see
    :func:`~xpnet.data.transforms_v2_functional.gaussian_noise`).

    Args:
        mean: the noise's mean. Default: 0.0.
        sigma: its standard deviation. Default: 0.1.
        clip: clamp the result to [0, 1]. Default: ``True``.

    Raises:
        ValueError: when called on an integer or PIL image, or with a negative ``sigma``.

    Example:
        >>> noisy = GaussianNoise(sigma=0.5)(np.full((1, 4, 4), 0.5, np.float32))
        >>> noisy.dtype, bool(noisy.min() >= 0.0), bool(noisy.max() <= 1.0)
        (dtype('float32'), True, True)
    """

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        self.mean = mean
        self.sigma = sigma
        self.clip = clip

    def transform(self, inpt, params: dict):
        return F2.gaussian_noise(inpt, mean=self.mean, sigma=self.sigma, clip=self.clip)


class RGB(Transform):
    """The images as RGB: 1 channel repeated, 3 kept, PIL images converted (see
    :func:`~xpnet.data.transforms_v2_image.grayscale_to_rgb`); videos, masks, boxes pass
    through, as torchvision's (no kernel for them).

    Example:
        >>> RGB()(np.zeros((1, 2, 2))).shape
        (3, 2, 2)
    """

    transformed_types = (is_pure_tensor, is_pil_image, Image)
    rewraps = True

    def transform(self, inpt, params: dict):
        return F2.grayscale_to_rgb(inpt)


def channels_of(flat_inputs) -> int:
    """The number of channels of the first image leaf (torchvision's ``query_chw``)."""
    return F.get_dimensions(flat_inputs[0])[0]


class RandomChannelPermutation(LockedTransform):
    """Permute the channels of the images at random (one permutation per call).

    Example:
        >>> image = np.arange(3.0).reshape(3, 1, 1)
        >>> sorted(RandomChannelPermutation()(image).ravel().tolist())
        [0.0, 1.0, 2.0]
    """

    def make_params(self, flat_inputs) -> dict:
        return {"permutation": host_generator().permutation(channels_of(flat_inputs)).tolist()}

    def transform(self, inpt, params: dict):
        return F2.permute_channels(inpt, params["permutation"])


class RandomPhotometricDistort(LockedTransform):
    """The SSD photometric distortion (`Liu et al., 2016 <https://arxiv.org/abs/1512.02325>`_):
    brightness, contrast, saturation and hue each changed with probability ``p`` by a factor
    uniform in its range, contrast before or after saturation and hue (even odds), then the
    channels permuted with probability ``p``.

    The draws are torchvision's, in its order: for brightness, contrast, saturation and hue a
    coin and, where it comes up, the factor; a coin for contrast first; a coin for the
    permutation and, where it comes up, the permutation. The colour changes are v2's
    :func:`~xpnet.data.transforms_v2_image.adjust_brightness`, ... .

    Args:
        brightness: ``(min, max)`` of the brightness factor. Default: ``(0.875, 1.125)``.
        contrast: of the contrast factor. Default: ``(0.5, 1.5)``.
        saturation: of the saturation factor. Default: ``(0.5, 1.5)``.
        hue: of the hue shift, within [-0.5, 0.5]. Default: ``(-0.05, 0.05)``.
        p: the probability of each change. Default: 0.5.

    Example:
        >>> image = np.arange(48, dtype=np.uint8).reshape(3, 4, 4)
        >>> distorted, label = RandomPhotometricDistort(p=1.0)(image, 7)
        >>> distorted.shape, distorted.dtype, label
        ((3, 4, 4), dtype('uint8'), 7)
    """

    def __init__(
        self,
        brightness=(0.875, 1.125),
        contrast=(0.5, 1.5),
        saturation=(0.5, 1.5),
        hue=(-0.05, 0.05),
        p: float = 0.5,
    ) -> None:
        # torchvision's order, which its repr shows
        self.brightness = brightness
        self.contrast = contrast
        self.hue = hue
        self.saturation = saturation
        self.p = p

    def make_params(self, flat_inputs) -> dict:
        channels = channels_of(flat_inputs)
        generator = host_generator()
        params = {}
        for key, (low, high) in [
            ("brightness_factor", self.brightness),
            ("contrast_factor", self.contrast),
            ("saturation_factor", self.saturation),
            ("hue_factor", self.hue),
        ]:
            params[key] = float(generator.uniform(low, high)) if coin(self.p) else None
        params["contrast_before"] = coin(0.5)
        permute = coin(self.p)
        params["channel_permutation"] = (
            generator.permutation(channels).tolist() if permute else None
        )
        return params

    def transform(self, inpt, params: dict):
        contrast = params["contrast_factor"]
        if params["brightness_factor"] is not None:
            inpt = F2.adjust_brightness(inpt, params["brightness_factor"])
        if contrast is not None and params["contrast_before"]:
            inpt = F2.adjust_contrast(inpt, contrast)
        if params["saturation_factor"] is not None:
            inpt = F2.adjust_saturation(inpt, params["saturation_factor"])
        if params["hue_factor"] is not None:
            inpt = F2.adjust_hue(inpt, params["hue_factor"])
        if contrast is not None and not params["contrast_before"]:
            inpt = F2.adjust_contrast(inpt, contrast)
        if params["channel_permutation"] is not None:
            inpt = F2.permute_channels(inpt, params["channel_permutation"])
        return inpt


def array_of(tensor):
    """The backend array of a Tensor, or the array itself."""
    return tensor.array if isinstance(tensor, Tensor) else tensor


class LinearTransformation(LockedTransform):
    """Whiten tensor images: ``(image.reshape(-1, D) - mean_vector) @ transformation_matrix``,
    reshaped back, with ``D = C * H * W`` (torchvision's ``LinearTransformation``).

    Args:
        transformation_matrix: a (D, D) Tensor or array (a ZCA matrix, say).
        mean_vector: a (D,) Tensor or array of the same dtype and backend.

    Raises:
        ValueError: for a matrix that is not square, a mean of another length, or different
            dtypes; when called, for an image of another size than D.
        TypeError: for arrays on different backends; when called, for a PIL image.

    Example:
        >>> whiten = LinearTransformation(2 * np.eye(4), np.ones(4))
        >>> whiten(np.arange(4.0).reshape(1, 2, 2)).tolist()
        [[[-2.0, 0.0], [2.0, 4.0]]]
    """

    def __init__(self, transformation_matrix, mean_vector) -> None:
        matrix, mean = array_of(transformation_matrix), array_of(mean_vector)
        if matrix.shape[0] != matrix.shape[1]:
            msg = (
                "transformation_matrix should be square. Got "
                f"{tuple(matrix.shape)} rectangular matrix."
            )
            raise ValueError(msg)
        if mean.shape[0] != matrix.shape[0]:
            msg = (
                f"mean_vector should have the same length {mean.shape[0]} as any one of the "
                f"dimensions of the transformation_matrix [{tuple(matrix.shape)}]"
            )
            raise ValueError(msg)
        backend_of(matrix, mean, names=("transformation_matrix", "mean_vector"))
        if matrix.dtype != mean.dtype:
            msg = f"Input tensors should have the same dtype. Got {matrix.dtype} and {mean.dtype}"
            raise ValueError(msg)
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def check_inputs(self, flat_inputs) -> None:
        if has_any(flat_inputs, is_pil_image):
            msg = f"{type(self).__name__}() does not support PIL images."
            raise TypeError(msg)

    def transform(self, inpt, params: dict):
        image, matrix = array_of(inpt), array_of(self.transformation_matrix)
        n = image.shape[-3] * image.shape[-2] * image.shape[-1]
        if n != matrix.shape[0]:
            msg = (
                "Input tensor and transformation matrix have incompatible shape."
                f"[{image.shape[-3]} x {image.shape[-2]} x {image.shape[-1]}] != "
                f"{matrix.shape[0]}"
            )
            raise ValueError(msg)
        xp = backend_of(image, matrix, names=("inpt", "transformation_matrix")).xp
        flat = image.reshape(-1, n) - array_of(self.mean_vector)  # (N, D)
        output = xp.matmul(flat, matrix.astype(flat.dtype)).reshape(image.shape)
        return Tensor(output) if isinstance(inpt, Tensor) else output


def refuse_boxes_masks(transform, flat_inputs) -> None:
    """torchvision's ``FiveCrop``/``TenCrop`` ``check_inputs``: a crop per box has no
    meaning, so boxes and masks are refused (its message; keypoints pass through)."""
    if has_any(flat_inputs, BoundingBoxes, Mask):
        msg = f"BoundingBoxes'es and Mask's are not supported by {type(transform).__name__}()"
        raise TypeError(msg)


class FiveCrop(LockedTransform):
    """The four corner crops and the central crop of each image, as a tuple of five
    (see :func:`~xpnet.data.transforms_v2_functional.five_crop`); labels pass through, so
    a sample ``(image, label)`` becomes ``((crop, ... ), label)``.

    Args:
        size: the crop's ``(height, width)``, or an int for a square.

    Raises:
        ValueError: for a ``size`` of more than two numbers; when called, a crop larger than
            the image.

    Example:
        >>> crops, label = FiveCrop(2)(np.zeros((3, 4, 4)), 1)
        >>> len(crops), crops[0].shape, label
        (5, (3, 2, 2), 1)
    """

    check_inputs = refuse_boxes_masks

    def __init__(self, size) -> None:
        self.size = setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )

    def transform(self, inpt, params: dict):
        return F2.five_crop(inpt, self.size)


class TenCrop(LockedTransform):
    """:class:`FiveCrop` of each image and of its horizontal flip (vertical, with
    ``vertical_flip``): a tuple of ten.

    Args:
        size: as :class:`FiveCrop`.
        vertical_flip: flip top to bottom instead. Default: ``False``.

    Example:
        >>> len(TenCrop(2, vertical_flip=True)(np.zeros((3, 4, 4))))
        10
    """

    check_inputs = refuse_boxes_masks

    def __init__(self, size, vertical_flip: bool = False) -> None:
        self.size = setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )
        self.vertical_flip = vertical_flip

    def transform(self, inpt, params: dict):
        return F2.ten_crop(inpt, self.size, vertical_flip=self.vertical_flip)


class JPEG(LockedTransform):
    """Compress and decompress uint8 images as JPEG, of a quality drawn uniformly from
    ``quality`` (see :func:`~xpnet.data.transforms_v2_functional.jpeg`).

    Args:
        quality: an int in [1, 100], or ``(min, max)`` of them.

    Raises:
        TypeError: a bool, or a ``quality`` that is neither an int nor a sequence.
        ValueError: a sequence not of 2, or qualities outside [1, 100] or out of order.

    Example:
        >>> JPEG((50, 90))(np.full((3, 8, 8), 128, np.uint8)).shape
        (3, 8, 8)
    """

    def __init__(self, quality) -> None:
        if isinstance(quality, int):
            if isinstance(quality, bool):
                msg = "quality can't be bool"
                raise TypeError(msg)
            quality = [quality, quality]
        else:
            check_sequence_input(quality, "quality", (2,))
        low, high = quality
        if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high <= 100):
            msg = f"quality must be an integer from 1 to 100, got quality ={quality}"
            raise ValueError(msg)
        self.quality = quality

    def make_params(self, flat_inputs) -> dict:
        return {"quality": int(host_generator().integers(self.quality[0], self.quality[1] + 1))}

    def transform(self, inpt, params: dict):
        return F2.jpeg(inpt, params["quality"])
