"""v2's automatic augmentations (``AutoAugment``, ``RandAugment``, ``TrivialAugmentWide``,
``AugMix``) against torchvision 0.28's v2 (the real calls, same inputs): every op on float,
uint8, batched, video and PIL images, the op tables (v2's Solarize bins), AugMix's mix with
fixed weights (a video mixed whole), the one-image rules; then whole calls on every kind of
image. The draws are v1's (tests/test_transforms_autoaugment.py), not torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision
from _transforms_oracle import fixed_augmix

import xpnet
from xpnet.data import transforms_autoaugment as A
from xpnet.data import transforms_v2_autoaugment as V
from xpnet.data import tv_tensors
from xpnet.data.transforms import InterpolationMode as IM
from xpnet.data.transforms import v2

torchvision = import_torchvision()
from torchvision import tv_tensors as tv  # noqa: E402
from torchvision.transforms import v2 as TV  # noqa: E402

Image = pytest.importorskip("PIL.Image")

NAMES = ["AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]
RNG = np.random.default_rng(3)
FLOAT = (RNG.integers(0, 41, (3, 10, 12)) / 40).astype(np.float32)  # ties at 0.5, 1.0
UINT8 = RNG.integers(0, 256, (3, 10, 12), dtype=np.uint8)
UINT8[0, 0, :4] = [170, 85, 113, 255]  # at and near the Solarize thresholds
KINDS = {
    "float32": lambda: FLOAT,
    "uint8": lambda: UINT8,
    "float64_batch": lambda: np.stack([FLOAT, FLOAT[:, ::-1]]).astype(np.float64),
    "video": lambda: np.stack([FLOAT, FLOAT[::-1], 1 - FLOAT]),
    "pil": lambda: Image.fromarray(np.ascontiguousarray(UINT8.transpose(1, 2, 0))),
}


def ours_and_theirs(kind):
    image = KINDS[kind]()
    if kind == "pil":
        return image, image
    if kind == "video":
        return tv_tensors.Video(image), tv.Video(torch.from_numpy(image))
    return image, torch.from_numpy(image)


def as_array(out):
    if isinstance(out, xpnet.Tensor):
        return xpnet.to_numpy(out)
    return out.numpy() if isinstance(out, torch.Tensor) else np.asarray(out)


def op_cases():
    """Every op of v2's widest table and Invert, at three of its bins (both signs where
    signed), from torchvision's own table."""
    space = dict(TV.TrivialAugmentWide._AUGMENTATION_SPACE)
    space["Invert"] = TV.AutoAugment._AUGMENTATION_SPACE["Invert"]
    cases = []
    for name, (magnitudes_of, signed) in space.items():
        magnitudes = magnitudes_of(31, 10, 12)
        if magnitudes is None:
            cases.append((name, 0.0))
            continue
        for index in (1, 15, 30):
            cases.append((name, float(magnitudes[index])))
            if signed and index == 15:
                cases.append((name, -float(magnitudes[index])))
    return cases


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(("op_name", "magnitude"), op_cases(), ids=str)
def test_ops_match_torchvision_v2(op_name, magnitude, kind):
    ours, theirs = ours_and_theirs(kind)
    for interpolation, fill in [(IM.NEAREST, None), (IM.BILINEAR, 0.25 if kind != "pil" else 9)]:
        if interpolation is IM.BILINEAR and (kind == "uint8" or op_name not in GEOMETRIC):
            continue  # uint8 bilinear rounds ties apart: tests/test_transforms_autoaugment.py
        transform = TV.AutoAugment(interpolation=interpolation.value, fill=fill)
        expected = transform._apply_image_or_video_transform(
            theirs, op_name, magnitude, interpolation.value, transform._fill
        )
        out = V.apply_op_v2(ours, op_name, magnitude, interpolation, A.tensor_fill(ours, fill))
        assert isinstance(out, Image.Image) == (kind == "pil")
        actual, expected = as_array(out), as_array(expected)
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        if actual.dtype.kind == "f":
            np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)
        else:
            np.testing.assert_array_equal(actual, expected)


GEOMETRIC = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate")


def their_space(name, num_bins, size, all_ops=True):
    transform = getattr(TV, name)(all_ops=all_ops) if name == "AugMix" else getattr(TV, name)()
    table = transform._AUGMENTATION_SPACE
    if name == "AugMix" and not all_ops:
        table = transform._PARTIAL_AUGMENTATION_SPACE
    return {op: (fn(num_bins, *size), signed) for op, (fn, signed) in table.items()}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("num_bins", [10, 31, 5])
@pytest.mark.parametrize("all_ops", [True, False])
def test_augmentation_spaces_match_torchvision_v2(name, num_bins, all_ops):
    if name != "AugMix" and not all_ops:
        pytest.skip("all_ops is AugMix's")
    size = (10, 12)
    ours = v2.AugMix(all_ops=all_ops) if name == "AugMix" else getattr(v2, name)()
    args = (num_bins,) if name == "TrivialAugmentWide" else (num_bins, size)
    space = ours._augmentation_space(*args)
    expected = their_space(name, num_bins, size, all_ops)
    assert list(space) == list(expected)  # the order a random op index picks from
    for op, (magnitudes, signed) in space.items():
        their_magnitudes, their_signed = expected[op]
        assert signed is their_signed, op
        if their_magnitudes is None:
            assert magnitudes.ndim == 0, op
        else:
            assert magnitudes.tolist() == their_magnitudes.tolist(), op
    assert space["Solarize"][0][0] == 1.0  # v2's: fractions of the dtype's largest value


FixedAugMix = fixed_augmix(v2.AugMix)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(("op_name", "magnitude"), [("Solarize", 0.5), ("Posterize", 3.0)])
def test_augmix_with_fixed_weights_matches_torchvision_v2(kind, op_name, magnitude):
    ours, theirs = ours_and_theirs(kind)
    samples = 2 if kind == "float64_batch" else 1  # a video is one sample
    rng = np.random.default_rng(samples)
    draws = [rng.dirichlet([1.0, 1.0], samples), rng.dirichlet([1.0] * 2, samples)]
    draws = [draw.astype(np.float32) for draw in draws]
    out = FixedAugMix(op_name, magnitude, draws, mixture_width=2, chain_depth=1)(ours)
    transform = TV.AugMix(mixture_width=2, chain_depth=1)
    transform._AUGMENTATION_SPACE = {op_name: (lambda n, h, w: torch.full((n,), magnitude), False)}
    their_draws = [torch.from_numpy(draw) for draw in draws]
    transform._sample_dirichlet = lambda params: their_draws.pop(0)
    expected = transform(theirs)
    assert isinstance(out, Image.Image) == (kind == "pil")
    assert isinstance(out, tv_tensors.Video) == (kind == "video")  # mixed whole
    actual, expected = as_array(out), as_array(expected)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6 if kind != "uint8" else 0)


@pytest.mark.parametrize("name", NAMES)
def test_one_image_or_video_per_sample_as_torchvision_v2(name):
    image = np.zeros((3, 4, 4), np.uint8)
    for ours, theirs in [
        (({"label": 3},), ({"label": 3},)),
        ((tv_tensors.Image(image), tv_tensors.Image(image)),) * 1
        + ((tv.Image(torch.from_numpy(image)), tv.Image(torch.from_numpy(image))),),
    ]:
        with pytest.raises(TypeError) as expected:
            getattr(TV, name)()(*theirs)
        with pytest.raises(TypeError) as got:
            getattr(v2, name)()(*ours)
        assert str(got.value) == str(expected.value)
    image, label = getattr(v2, name)()(np.zeros((3, 4, 4), np.float32), np.zeros(3))
    assert image.shape == (3, 4, 4) and label.shape == (3,)  # the first pure tensor only


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_whole_calls_keep_kind_dtype_and_range(name, kind):
    ours, _ = ours_and_theirs(kind)
    if kind == "uint8":
        ours = tv_tensors.Image(ours)
    transform = getattr(v2, name)()
    for seed in range(12):
        xpnet.manual_seed(seed)
        out = transform(ours)
        assert type(out) is type(ours)
        actual = as_array(out)
        assert actual.dtype == as_array(ours).dtype and actual.shape == as_array(ours).shape
        if actual.dtype.kind == "f":  # AugMix's float32 weights sum to 1 within an ulp
            assert actual.min() >= 0 and actual.max() <= 1 + 1e-6
        xpnet.manual_seed(seed)
        np.testing.assert_array_equal(as_array(transform(ours)), actual)  # seeded: the same


def test_v2_classes_are_v1_classes_with_v2_ops():
    for name in NAMES:
        cls = getattr(v2, name)
        assert cls.__module__ == "xpnet.data.transforms_v2" and cls.__name__ == name
        assert issubclass(cls, v2.Transform) and issubclass(cls, getattr(A, name, None) or cls)
        assert cls.apply_op is V.apply_op_v2 and cls().apply_op is V.apply_op_v2
    assert A.AutoAugment.apply_op is A.apply_op  # v1 keeps v1's ops
    with pytest.raises(TypeError, match="Only uint8"):
        A.AutoAugment.apply_op(FLOAT, "Equalize", 0.0, IM.NEAREST, None)
