"""What the transforms tests against torchvision share: the test images, and ``compare``/``same``,
which run one ``transforms.functional`` call in xpnet and in torchvision 0.28 and hold the results
to each other (PIL images pixel for pixel, uint8 equal, floats to float32 rounding)."""

from __future__ import annotations

import numpy as np
import torch
from _torchvision import import_torchvision
from PIL import Image

import xpnet
from xpnet.data.transforms import functional as F

torchvision = import_torchvision()
import torchvision.transforms.functional as TF  # noqa: E402

RNG = np.random.default_rng(7)
IMAGES = {
    "u8": RNG.integers(0, 256, (3, 7, 10), dtype=np.uint8),
    "u8-gray": RNG.integers(0, 256, (1, 9, 6), dtype=np.uint8),
    "u8-batch": RNG.integers(0, 256, (2, 3, 5, 8), dtype=np.uint8),
    "f32": RNG.random((3, 9, 7), dtype=np.float32),
    "f32-batch": RNG.random((2, 1, 6, 9), dtype=np.float32),
    "f64": RNG.random((3, 8, 5)),
}
ARRAYS = {"f64", "u8-gray"}  # given to xpnet as NumPy arrays (the other tensor image), not Tensors


def tv_args(value):
    """The torchvision side of an argument: arrays and Tensors as torch tensors."""
    if isinstance(value, xpnet.Tensor):
        value = value.array
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value):
        return type(value)(tv_args(v) for v in value)
    return value


def pil_of(name, mode):
    """IMAGES[name] (uint8, three channels) as a PIL image in ``mode``."""
    array = IMAGES[name].transpose(1, 2, 0)
    image = Image.fromarray(np.ascontiguousarray(array))
    return image.convert("RGBA") if mode == "RGBA" else image.convert(mode)


def same(actual, expected, atol=1e-6, int_atol=0, kind=xpnet.Tensor):
    """xpnet's result is torchvision's: PIL images pixel for pixel, tensors (of ``kind``) of
    the same dtype and shape, integers equal (to ``int_atol``) and floats to ``atol``."""
    if isinstance(expected, (tuple, list)):
        assert type(actual) is type(expected) and len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            same(a, e, atol, int_atol, kind)
        return
    if isinstance(expected, Image.Image):
        assert isinstance(actual, Image.Image), type(actual)
        assert (actual.mode, actual.size) == (expected.mode, expected.size)
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))
        return
    assert isinstance(actual, kind), type(actual)
    actual, expected = np.asarray(xpnet.to_numpy(actual)), expected.numpy()
    assert (actual.shape, actual.dtype) == (expected.shape, expected.dtype)
    if actual.dtype.kind == "f":
        np.testing.assert_allclose(actual, expected, rtol=0, atol=atol)
    else:
        np.testing.assert_allclose(actual.astype(np.int64), expected, rtol=0, atol=int_atol)


def compare(name, image, *args, atol=1e-6, int_atol=0, **kwargs):
    """``F.<name>`` of xpnet and torchvision on ``image`` (a key of IMAGES, or a PIL image)."""
    kind = np.ndarray if isinstance(image, str) and image in ARRAYS else xpnet.Tensor
    if isinstance(image, str):
        ours, theirs = IMAGES[image].copy(), torch.from_numpy(IMAGES[image].copy())
        ours = ours if kind is np.ndarray else xpnet.Tensor(ours)
    else:
        ours, theirs = image, image.copy()
    expected = getattr(TF, name)(theirs, *tv_args(list(args)), **{
        key: tv_args(value) for key, value in kwargs.items()
    })  # fmt: skip
    same(getattr(F, name)(ours, *args, **kwargs), expected, atol, int_atol, kind)


def fixed_augmix(base):
    """``base`` (v1's or v2's ``AugMix``) with a one-op, unsigned table and given Dirichlet
    draws (float32, one row per image): nothing random left but the chain depths."""

    class FixedAugMix(base):
        def __init__(self, op_name, magnitude, draws, **kwargs):
            super().__init__(**kwargs)
            self.op_name, self.op_magnitude, self.draws = op_name, magnitude, list(draws)

        def _augmentation_space(self, num_bins, image_size):
            return {self.op_name: (np.full(num_bins, self.op_magnitude, np.float32), False)}

        def _sample_dirichlet(self, params):
            draw = self.draws.pop(0).astype(np.float32)
            assert draw.shape == params.shape and params.dtype == np.float32
            return draw

    return FixedAugMix
