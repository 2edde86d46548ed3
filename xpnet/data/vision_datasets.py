"""torchvision's dataset base and ``FakeData``: ``VisionDataset``, ``StandardTransform``.

:class:`VisionDataset` is torchvision's base class (``root``, ``transform``,
``target_transform``, ``transforms`` and its ``repr``); :class:`FakeData` makes a random PIL
image per index. :mod:`xpnet.data.mnist` holds the MNISTs, :mod:`xpnet.data.folder`
``ImageFolder`` and :mod:`xpnet.data.cifar` ``CIFAR10``/``CIFAR100``.

Pillow is imported only when an image is made (:func:`pil_image_module`), so ``import xpnet``
works without it.
"""

from __future__ import annotations

import os

import numpy

from .datasets import Dataset

__all__ = [
    "FakeData",
    "StandardTransform",
    "VisionDataset",
    "pil_image_module",
]


def pil_image_module():
    """``PIL.Image``, imported on first use.

    Raises:
        ImportError: when Pillow is not installed (the message says how to install it).
    """
    try:
        from PIL import Image
    except ImportError as error:
        msg = "the image datasets need Pillow: pip install Pillow"
        raise ImportError(msg) from error
    return Image


def apply_transforms(transform, target_transform, input, target):
    """``(transform(input), target_transform(target))``, each only where it is given: what
    torchvision's datasets do in ``__getitem__``."""
    if transform is not None:
        input = transform(input)
    if target_transform is not None:
        target = target_transform(target)
    return input, target


class StandardTransform:
    """``transform`` on the input and ``target_transform`` on the target, as torchvision's."""

    def __init__(self, transform=None, target_transform=None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        return apply_transforms(self.transform, self.target_transform, input, target)

    @staticmethod
    def _format_transform_repr(transform, head: str) -> list:
        lines = repr(transform).splitlines()
        return [f"{head}{lines[0]}"] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self) -> str:
        body = [type(self).__name__]
        if self.transform is not None:
            body += self._format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """torchvision's base class of image datasets.

    Args:
        root: the dataset's folder (``~`` is expanded in a ``str``). Default: ``None``.
        transforms: a callable taking and returning ``(input, target)``. Default: ``None``.
        transform: applied to each input. Default: ``None``.
        target_transform: applied to each target. Default: ``None``.

    Raises:
        ValueError: when ``transforms`` is given with ``transform`` or ``target_transform``.

    Example:
        >>> from xpnet.data import VisionDataset
        >>> VisionDataset("data").root
        'data'
    """

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        separate = transform is not None or target_transform is not None
        if transforms is not None and separate:
            msg = "Only transforms or transform/target_transform can be passed as argument"
            raise ValueError(msg)
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = StandardTransform(transform, target_transform) if separate else transforms

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def extra_repr(self) -> str:
        """Lines added to the ``repr`` (e.g. ``Split: Train``); empty here."""
        return ""

    def _format_transform_repr(self, transform, head: str) -> list:
        # torchvision's, kept for subclasses whose extra_repr calls it
        return StandardTransform._format_transform_repr(transform, head)

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:  # a subclass may not set it
            body += [repr(self.transforms)]  # torchvision indents its first line only
        lines = [f"Dataset {type(self).__name__}"] + [" " * self._repr_indent + b for b in body]
        return "\n".join(lines)


class FakeData(VisionDataset):
    """torchvision's ``FakeData``: a random PIL image and a random class per index.

    Sample ``i`` is drawn from a NumPy generator seeded with ``i + random_offset`` (modulo
    2**64, as ``torch.manual_seed`` takes a negative ``i``), so it is the same on every read:
    standard-normal values of shape ``image_size`` (C, H, W) (or
    (H, W)), times 255 and cast to uint8 with wraparound, as torchvision's ``ToPILImage``
    does, as an ``L``/``LA``/``RGB``/``RGBA`` image for 1/2/3/4 channels. The values differ
    from torchvision's, whose generator is PyTorch's.

    Args:
        size: the number of samples. Default: ``1000``.
        image_size: (C, H, W) or (H, W). Default: ``(3, 224, 224)``.
        num_classes: targets are in ``[0, num_classes)``. Default: ``10``.
        transform: applied to each image. Default: ``None``.
        target_transform: applied to each target (an ``int``). Default: ``None``.
        random_offset: added to the index to make the seed. Default: ``0``.

    Raises:
        IndexError: for an index from ``size`` on (a negative one is a seed, as torchvision's).
        ValueError: (on reading) for an ``image_size`` that is not an image.

    Example:
        >>> from xpnet.data import FakeData
        >>> image, target = FakeData(size=4, image_size=(3, 8, 6), num_classes=5)[1]
        >>> image.size, image.mode, 0 <= target < 5
        ((6, 8), 'RGB', True)
    """

    def __init__(
        self,
        size=1000,
        image_size=(3, 224, 224),
        num_classes=10,
        transform=None,
        target_transform=None,
        random_offset=0,
    ):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        if index >= len(self):  # a negative index is a seed too, as in torchvision
            raise IndexError(f"{type(self).__name__} index out of range")
        shape = tuple(self.image_size)
        if len(shape) not in (2, 3) or (len(shape) == 3 and shape[0] not in (1, 2, 3, 4)):
            msg = f"FakeData: image_size must be (C, H, W) with C in 1..4 or (H, W), got {shape}"
            raise ValueError(msg)
        rng = numpy.random.default_rng((index + self.random_offset) % 2**64)  # torch's seeds
        values = rng.standard_normal(shape, dtype=numpy.float32) * numpy.float32(255)
        target = int(rng.integers(self.num_classes))
        pixels = values.astype(numpy.int64).astype(numpy.uint8)  # torch's .byte() wraps
        if pixels.ndim == 3:  # (C, H, W) to (H, W, C), or (H, W) for one channel
            pixels = pixels[0] if len(pixels) == 1 else pixels.transpose(1, 2, 0)
        image = pil_image_module().fromarray(pixels)
        return apply_transforms(self.transform, self.target_transform, image, target)

    def __len__(self) -> int:
        return self.size
