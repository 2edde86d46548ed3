"""torchvision's ``RandAugment``, ``TrivialAugmentWide`` and ``AugMix``.

Split from :mod:`xpnet.data.transforms_autoaugment` (their ops, op tables and fills) for
length; all are re-exported by :mod:`xpnet.data.transforms`. They take torchvision 0.29's
arguments, print its reprs and draw the same kinds of numbers (op indices, magnitude bins,
signs, chain depths, Dirichlet weights), from xpnet's host generator (seeded by
:func:`xpnet.manual_seed`), not ``torch``'s: reproducible, but not torchvision's draws.

Example:
    >>> from xpnet.data import transforms
    >>> space = transforms.TrivialAugmentWide()._augmentation_space(31)
    >>> list(space)[:3], space["Posterize"][0][:8].tolist()
    (['Identity', 'ShearX', 'ShearY'], [8, 8, 8, 7, 7, 7, 7, 7])
"""

from __future__ import annotations

import numpy

from .._random import host_generator
from ..autograd import Tensor
from . import transforms_functional as F
from .transforms_autoaugment import (
    AutomaticAugmentation,
    augmentation_space,
    enhance_ops,
    no_magnitude,
    signed,
    tensor_fill,
)
from .transforms_modes import InterpolationMode

__all__ = ["AugMix", "RandAugment", "TrivialAugmentWide"]


def _randint(low: int, high: int) -> int:
    return int(host_generator().integers(low, high))


def _random_op(op_meta: dict) -> str:
    """An op name of the table, uniformly (torchvision: ``torch.randint(len(op_meta))``)."""
    return list(op_meta)[_randint(0, len(op_meta))]


def _repr(transform, names) -> str:
    detail = ", ".join(f"{name}={getattr(transform, name)}" for name in names)
    return f"{type(transform).__name__}({detail})"


class RandAugment(AutomaticAugmentation):
    r"""RandAugment (`Cubuk et al., 2020 <https://arxiv.org/abs/1909.13719>`_): ``num_ops``
    ops drawn uniformly from the table, each at bin ``magnitude`` of ``num_magnitude_bins``,
    with a random sign where the op is signed.

    Args:
        num_ops: the number of ops applied in turn. Default: 2.
        magnitude: the bin of every op's magnitude. Default: 9.
        num_magnitude_bins: the number of bins. Default: 31.
        interpolation: an :class:`InterpolationMode` for the geometric ops; tensor images
            take ``NEAREST`` and ``BILINEAR``. Default: ``InterpolationMode.NEAREST``.
        fill: the value outside the image (a number, or one per channel). Default: ``None``.

    Shape:
        - Input: a PIL image (mode L or RGB) or a uint8 tensor image (..., 1 or 3, H, W).
        - Output: the same kind, shape and dtype.

    Raises:
        IndexError: when called, if ``magnitude`` is not a bin (as torchvision).

    Example:
        >>> import xpnet
        >>> from xpnet.data import transforms
        >>> _ = xpnet.manual_seed(0)
        >>> transforms.RandAugment(num_ops=3)(np.zeros((3, 8, 8), dtype=np.uint8)).shape
        (3, 8, 8)
    """

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation: InterpolationMode = InterpolationMode.NEAREST,
        fill=None,
    ) -> None:
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        height, width = image_size
        translate = (150.0 / 331.0 * width, 150.0 / 331.0 * height)
        space = augmentation_space(num_bins, 0.3, translate, 30.0, 0.9, (8, 4))
        return {"Identity": (no_magnitude(), False), **space}

    def __call__(self, img):
        fill = tensor_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        for _ in range(self.num_ops):
            op_name = _random_op(op_meta)
            magnitudes, is_signed = op_meta[op_name]
            magnitude = float(magnitudes[self.magnitude]) if magnitudes.ndim > 0 else 0.0
            magnitude = signed(magnitude, is_signed)
            img = self.apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        names = ["num_ops", "magnitude", "num_magnitude_bins", "interpolation", "fill"]
        return _repr(self, names)


class TrivialAugmentWide(AutomaticAugmentation):
    r"""TrivialAugment Wide (`Müller and Hutter, 2021 <https://arxiv.org/abs/2103.10158>`_):
    one op drawn uniformly from the (wide) table, at a uniformly drawn bin of
    ``num_magnitude_bins``, with a random sign where the op is signed.

    Args:
        num_magnitude_bins: the number of bins. Default: 31.
        interpolation: as :class:`RandAugment`. Default: ``InterpolationMode.NEAREST``.
        fill: as :class:`RandAugment`. Default: ``None``.

    Shape:
        - Input: a PIL image (mode L or RGB) or a uint8 tensor image (..., 1 or 3, H, W).
        - Output: the same kind, shape and dtype.

    Example:
        >>> import xpnet
        >>> from xpnet.data import transforms
        >>> _ = xpnet.manual_seed(0)
        >>> transforms.TrivialAugmentWide()(np.zeros((2, 3, 8, 8), dtype=np.uint8)).shape
        (2, 3, 8, 8)
    """

    def __init__(
        self,
        num_magnitude_bins: int = 31,
        interpolation: InterpolationMode = InterpolationMode.NEAREST,
        fill=None,
    ) -> None:
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int) -> dict:
        space = augmentation_space(num_bins, 0.99, (32.0, 32.0), 135.0, 0.99, (8, 6))
        return {"Identity": (no_magnitude(), False), **space}

    def __call__(self, img):
        fill = tensor_fill(img, self.fill)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_name = _random_op(op_meta)
        magnitudes, is_signed = op_meta[op_name]
        magnitude = 0.0
        if magnitudes.ndim > 0:
            magnitude = float(magnitudes[_randint(0, len(magnitudes))])
        return self.apply_op(img, op_name, signed(magnitude, is_signed), self.interpolation, fill)

    def __repr__(self) -> str:
        return _repr(self, ["num_magnitude_bins", "interpolation", "fill"])


class AugMix(AutomaticAugmentation):
    r"""AugMix (`Hendrycks et al., 2020 <https://arxiv.org/abs/1912.02781>`_): a convex mix
    of the image and ``mixture_width`` chains of random ops.

    For each image of a batch, ``m ~ Dirichlet(alpha, alpha)`` and ``w ~ Dirichlet(alpha,
    ..., alpha)`` (``mixture_width`` values); the output is ``m[0] * image + m[1] * sum_i w[i]
    * chain_i(image)`` in float32, truncated to the image's dtype, where each chain applies
    ``chain_depth`` ops (a negative depth: 1 to 3 at random) drawn uniformly from the table,
    at a random bin below ``severity`` of 10 and a random sign where signed. The ops of a
    chain act on the whole batch at once, as torchvision's.

    Args:
        severity: the ops' strength, 1 to 10 (the bins drawn from). Default: 3.
        mixture_width: the number of chains. Default: 3.
        chain_depth: the ops per chain; negative: 1 to 3 at random. Default: -1.
        alpha: the Dirichlet parameter. Default: 1.0.
        all_ops: include brightness, colour, contrast and sharpness. Default: ``True``.
        interpolation: as :class:`RandAugment`. Default: ``InterpolationMode.BILINEAR``.
        fill: as :class:`RandAugment`. Default: ``None``.

    Shape:
        - Input: a PIL image (mode L or RGB) or a tensor image (..., 1 or 3, H, W).
        - Output: the same kind, shape and dtype.

    Raises:
        ValueError: if ``severity`` is not in [1, 10].

    Example:
        >>> import xpnet
        >>> from xpnet.data import transforms
        >>> _ = xpnet.manual_seed(0)
        >>> out = transforms.AugMix()(np.full((3, 8, 8), 100, dtype=np.uint8))
        >>> out.shape, out.dtype
        ((3, 8, 8), dtype('uint8'))
    """

    _PARAMETER_MAX = 10

    def __init__(
        self,
        severity: int = 3,
        mixture_width: int = 3,
        chain_depth: int = -1,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: InterpolationMode = InterpolationMode.BILINEAR,
        fill=None,
    ) -> None:
        if not (1 <= severity <= self._PARAMETER_MAX):
            msg = (
                f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead."
            )
            raise ValueError(msg)
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        height, width = image_size
        translate = (width / 3.0, height / 3.0)
        space = augmentation_space(num_bins, 0.3, translate, 30.0, None, (4, 4))
        if self.all_ops:
            space.update(enhance_ops(num_bins, 0.9))
        return space

    def _sample_dirichlet(self, params: numpy.ndarray) -> numpy.ndarray:
        """One Dirichlet draw per row of ``params`` ``(N, k)``, in ``params``' dtype (a method
        of its own, as torchvision's, so that tests can fix the weights)."""
        generator = host_generator()
        rows = [generator.dirichlet(row) for row in params.astype(numpy.float64)]
        return numpy.stack(rows).astype(params.dtype)

    def _batch_ndim(self, img) -> int:
        """The dimensions of the batch mixed with one draw per sample: images (N, C, H, W)
        (torchvision v2's AugMix mixes a video whole: :mod:`.transforms_v2_autoaugment`)."""
        return 4

    def _chain(self, batch, op_meta, fill):
        """One chain of random ops applied to the whole ``batch``."""
        depth = self.chain_depth if self.chain_depth > 0 else _randint(1, 4)
        for _ in range(depth):
            op_name = _random_op(op_meta)
            magnitudes, is_signed = op_meta[op_name]
            magnitude = 0.0
            if magnitudes.ndim > 0:
                magnitude = float(magnitudes[_randint(0, self.severity)])
            magnitude = signed(magnitude, is_signed)
            batch = self.apply_op(batch, op_name, magnitude, self.interpolation, fill)
        return batch

    def __call__(self, orig_img):
        fill = tensor_fill(orig_img, self.fill)
        _, height, width = F.get_dimensions(orig_img)
        if F.is_tensor_image(orig_img):
            img = F.host_array(orig_img)
        else:  # torchvision mixes PIL images as tensors, and back
            img = F.pil_to_tensor(orig_img).array
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        batch_ndim = self._batch_ndim(orig_img)  # (N, C, H, W): one weight per image
        batch = img.reshape((1,) * max(batch_ndim - img.ndim, 0) + img.shape)
        N = batch.shape[0]
        batch_dims = (N,) + (1,) * (batch.ndim - 1)
        # m: the weights of the image and of the augmented mix (Beta, as a 2-value Dirichlet)
        m = self._sample_dirichlet(numpy.full((N, 2), self.alpha, numpy.float32))
        weights = self._sample_dirichlet(numpy.full((N, self.mixture_width), self.alpha, "f4"))
        combined_weights = weights * m[:, 1].reshape(N, -1)  # (N, mixture_width)
        mix = m[:, 0].reshape(batch_dims) * batch  # float32 (float64 for float64 images)
        for i in range(self.mixture_width):
            mix += combined_weights[:, i].reshape(batch_dims) * self._chain(batch, op_meta, fill)
        mix = mix.reshape(img.shape).astype(img.dtype)
        if F.is_tensor_image(orig_img):
            return F.like_input(orig_img, mix)
        return F.to_pil_image(Tensor(mix))

    def __repr__(self) -> str:
        names = ["severity", "mixture_width", "chain_depth", "alpha", "all_ops"]
        return _repr(self, [*names, "interpolation", "fill"])
