"""The torchvision transforms that ported scripts use: ``Compose``, ``ToTensor``, ``Normalize``.

They act on one sample at a time, as torchvision's do; a dataset given a ``transform`` is
read sample by sample by the :class:`~xpnet.data.DataLoader`, which then yields Tensors.

Example:
    >>> from xpnet.data import transforms
    >>> normalize = transforms.Normalize((0.5,), (0.5,))
    >>> transform = transforms.Compose([transforms.ToTensor(), normalize])
    >>> image = transform(np.full((28, 28), 255, dtype=np.uint8))
    >>> image.shape, float(image.data.max())
    ((1, 28, 28), 1.0)
"""

from __future__ import annotations

import numpy

from ..autograd import Tensor, data_of

__all__ = ["Compose", "Lambda", "Normalize", "ToTensor"]


class Compose:
    """Apply ``transforms`` in order: ``Compose([f, g])(x) == g(f(x))``."""

    def __init__(self, transforms) -> None:
        self.transforms = list(transforms)

    def __call__(self, sample):
        for transform in self.transforms:
            sample = transform(sample)
        return sample

    def __repr__(self) -> str:
        body = "".join(f"\n    {transform}" for transform in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda:
    """Wrap a function as a transform."""

    def __init__(self, lambd) -> None:
        if not callable(lambd):
            msg = f"Lambda: lambd must be callable, got {type(lambd).__name__}"
            raise TypeError(msg)
        self.lambd = lambd

    def __call__(self, sample):
        return self.lambd(sample)


class ToTensor:
    """A (H, W) or (H, W, C) image array as a float32 (C, H, W) host Tensor.

    uint8 images are scaled from 0..255 to [0, 1], as torchvision does; other dtypes are
    only converted. The Tensor stays on the host; the DataLoader moves whole batches.

    Raises:
        ValueError: if the image is not 2-d or 3-d.
    """

    def __call__(self, pic) -> Tensor:
        image = numpy.asarray(data_of(pic))
        if image.ndim not in (2, 3):
            msg = f"ToTensor: expected an image of shape (H, W) or (H, W, C), got {image.shape}"
            raise ValueError(msg)
        image = image[:, :, None] if image.ndim == 2 else image
        scaled = image.astype(numpy.float32) / (255 if image.dtype == numpy.uint8 else 1)
        return Tensor(numpy.ascontiguousarray(scaled.transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``(image - mean) / std`` per channel of a (C, H, W) image (a Tensor or an array).

    Args:
        mean: one value per channel (a sequence).
        std: one value per channel, none zero.
        inplace: accepted for torchvision's signature; a new image is returned.
            Default: ``False``.

    Raises:
        ValueError: if a ``std`` is zero, or the image is not (C, H, W) with C matching.
    """

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean = numpy.asarray(mean, dtype=numpy.float32).reshape(-1, 1, 1)
        self.std = numpy.asarray(std, dtype=numpy.float32).reshape(-1, 1, 1)
        if (self.std == 0).any():
            msg = f"Normalize: std evaluated to zero, got std={std!r}"
            raise ValueError(msg)
        self.inplace = inplace

    def __call__(self, image):
        array = data_of(image)
        if array.ndim != 3 or array.shape[0] not in (1, len(self.mean)):
            msg = (
                f"Normalize: expected a (C, H, W) image with C={len(self.mean)}, got {array.shape}"
            )
            raise ValueError(msg)
        result = ((array - self.mean) / self.std).astype(array.dtype, copy=False)
        return Tensor(result) if isinstance(image, Tensor) else result

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"
