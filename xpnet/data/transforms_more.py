"""torchvision's v1 ``FiveCrop``, ``TenCrop``, ``LinearTransformation`` and
``ElasticTransform``: v1's signatures, returns and reprs on the kernels of their v2 versions
(:mod:`xpnet.data.transforms_v2_more`, :mod:`xpnet.data.transforms_v2_geometry`).

Example:
    >>> from xpnet.data.transforms import FiveCrop
    >>> crops = FiveCrop(2)(np.arange(9).reshape(1, 3, 3))
    >>> type(crops).__name__, len(crops), crops[4].shape
    ('tuple', 5, (1, 2, 2))
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from . import transforms_functional as F
from . import transforms_v2_more as v2
from .transforms_augment import setup_size
from .transforms_modes import InterpolationMode, interpolation_from_int
from .transforms_v2_geometry import elastic_displacement

__all__ = ["ElasticTransform", "FiveCrop", "LinearTransformation", "TenCrop"]

SIZE_ERROR = "Please provide only two dimensions (h, w) for size."


class FiveCrop:
    """The four corner crops and the central crop of an image, as a tuple of five
    (see :func:`~xpnet.data.transforms_functional.five_crop`).

    Args:
        size: the crop's ``(height, width)``, or an int for a square.

    Raises:
        ValueError: for a ``size`` of more than two numbers; when called, a crop larger
            than the image.
    """

    def __init__(self, size) -> None:
        self.size = setup_size(size, error_msg=SIZE_ERROR)

    def __call__(self, img) -> tuple:
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class TenCrop:
    """:class:`FiveCrop` of an image and of its horizontal flip (vertical, with
    ``vertical_flip``): a tuple of ten.

    Example:
        >>> len(TenCrop(2, vertical_flip=True)(np.zeros((3, 4, 4))))
        10
    """

    def __init__(self, size, vertical_flip: bool = False) -> None:
        self.size = setup_size(size, error_msg=SIZE_ERROR)
        self.vertical_flip = vertical_flip

    def __call__(self, img) -> tuple:
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class LinearTransformation:
    """Whiten a tensor image: ``(image.reshape(-1, D) - mean_vector) @ transformation_matrix``
    reshaped back, ``D = C * H * W``; checks and arithmetic are
    :class:`xpnet.data.transforms_v2_more.LinearTransformation`'s.

    Args:
        transformation_matrix: a (D, D) Tensor or array.
        mean_vector: a (D,) Tensor or array of the same dtype.

    Raises:
        ValueError: for a matrix that is not square, a mean of another length or dtype;
            when called, an image of another size than D.

    Example:
        >>> whiten = LinearTransformation(2 * np.eye(4), np.ones(4))
        >>> whiten(np.arange(4.0).reshape(1, 2, 2)).tolist()
        [[[-2.0, 0.0], [2.0, 4.0]]]
    """

    def __init__(self, transformation_matrix, mean_vector) -> None:
        self.whiten = v2.LinearTransformation(transformation_matrix, mean_vector)
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def __call__(self, tensor):
        return self.whiten.transform(tensor, {})

    def __repr__(self) -> str:
        matrix, mean = (v2.array_of(self.transformation_matrix), v2.array_of(self.mean_vector))
        return (
            f"{type(self).__name__}(transformation_matrix={matrix.tolist()}, "
            f"mean_vector={mean.tolist()})"
        )


def float_pair(value, name: str) -> list[float]:
    """v1's check of ``alpha`` and ``sigma``: a float, or a sequence of two floats."""
    if not isinstance(value, (float, Sequence)):
        msg = f"{name} should be float or a sequence of floats. Got {type(value)}"
        raise TypeError(msg)
    if isinstance(value, Sequence) and len(value) != 2:
        msg = f"If {name} is a sequence its length should be 2. Got {len(value)}"
        raise ValueError(msg)
    if isinstance(value, Sequence):
        for element in value:
            if not isinstance(element, float):
                msg = f"{name} should be a sequence of floats. Got {type(element)}"
                raise TypeError(msg)
        return value
    return [float(value), float(value)]


class ElasticTransform:
    """Warp by a smooth random displacement field, as torchvision v1's ``ElasticTransform``:
    :meth:`get_params` draws it, :func:`~xpnet.data.transforms_functional.elastic_transform`
    samples the image.

    Args:
        alpha: the strength, a float or two. Default: 50.0.
        sigma: the smoothness, a float or two. Default: 5.0.
        interpolation: ``NEAREST`` or ``BILINEAR`` (or Pillow's integer).
            Default: ``InterpolationMode.BILINEAR``.
        fill: the value outside the image, a number or one per channel. Default: 0.

    Raises:
        TypeError: an ``alpha``, ``sigma`` or ``fill`` of another kind (an int ``alpha``
            too, as in torchvision v1).
        ValueError: a sequence of another length than 2.

    Example:
        >>> ElasticTransform(alpha=2.0, sigma=1.0)(np.ones((1, 12, 12), np.float32)).shape
        (1, 12, 12)
    """

    def __init__(
        self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0
    ) -> None:
        self.alpha = float_pair(alpha, "alpha")
        self.sigma = float_pair(sigma, "sigma")
        if isinstance(interpolation, int):
            interpolation = interpolation_from_int(interpolation)
        self.interpolation = interpolation
        if isinstance(fill, numbers.Number):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            msg = f"fill should be int or float or a list or tuple of them. Got {type(fill)}"
            raise TypeError(msg)
        self.fill = fill

    @staticmethod
    def get_params(alpha: list[float], sigma: list[float], size: list[int]):
        """The (1, H, W, 2) float32 displacement for an image of ``size = [H, W]``, as
        torchvision's: see :func:`~xpnet.data.transforms_v2_geometry.elastic_displacement`."""
        return elastic_displacement(alpha, sigma, size)

    def __call__(self, tensor):
        _, height, width = F.get_dimensions(tensor)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return F.elastic_transform(tensor, displacement, self.interpolation, self.fill)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(alpha={self.alpha}, sigma={self.sigma}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )
