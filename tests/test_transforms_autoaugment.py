"""torchvision's automatic augmentations (``AutoAugment``, ``RandAugment``,
``TrivialAugmentWide``, ``AugMix``): their deterministic pieces against torchvision's own
(``tests/data/autoaugment_fixtures.npz``, written by ``tests/data/make_autoaugment_fixtures.py``
with torchvision 0.29.1): policies, op tables, every op of ``_apply_op``, AugMix's mix with
fixed weights; then the draws (replayed from the seed), kinds, shapes and dtypes of the
outputs, reproducibility under ``xpnet.manual_seed``, reprs and argument errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _transforms_oracle import fixed_augmix

import xpnet
from xpnet.data import transforms as T
from xpnet.data import transforms_autoaugment as A
from xpnet.data.transforms import InterpolationMode as IM
from xpnet.data.transforms import functional as F

Image = pytest.importorskip("PIL.Image")

FIXTURES = np.load(Path(__file__).parent / "data" / "autoaugment_fixtures.npz")
META = json.loads(str(FIXTURES["meta"]))
IMAGE_NAMES = ["u8", "batch", "gray", "pil_rgb", "pil_l"]
CLASSES = [T.AutoAugment, T.RandAugment, T.TrivialAugmentWide, T.AugMix]
U8 = np.random.default_rng(5).integers(0, 256, (3, 12, 14), dtype=np.uint8)
PIC = Image.fromarray(np.ascontiguousarray(U8.transpose(1, 2, 0)))


def fixture_input(name):
    image = FIXTURES[f"input_{name}"]
    return Image.fromarray(image) if name.startswith("pil") else image


def as_array(out):
    return np.asarray(out.numpy() if isinstance(out, xpnet.Tensor) else out)


def test_policies_match_torchvision():
    for name, policies in META["policies"].items():
        ours = T.AutoAugment(T.AutoAugmentPolicy[name]).policies
        assert json.loads(json.dumps(ours)) == policies, name


def space_id(index):
    cls, kwargs, bins, size, _ = META["spaces"][index]
    return f"{index}-{cls}-{bins}-{size}-{'-'.join(map(str, kwargs.values()))}"


@pytest.mark.parametrize("index", range(len(META["spaces"])), ids=space_id)
def test_augmentation_space_matches_torchvision(index):
    cls, kwargs, bins, size, expected = META["spaces"][index]
    transform = getattr(T, cls)(**kwargs)
    args = (bins,) if size is None else (bins, tuple(size))
    space = transform._augmentation_space(*args)
    assert list(space) == list(expected)  # the order the random op index picks from
    for name, (magnitudes, signed) in space.items():
        assert isinstance(magnitudes, np.ndarray) and signed is expected[name][1], name
        assert magnitudes.tolist() == expected[name][0], name  # float32 values, exactly
        kind = "i" if name == "Posterize" else "f"
        assert magnitudes.dtype.kind == kind and magnitudes.itemsize == 4, name


def op_id(index):
    name, magnitude, interpolation, fill = META["ops"][index]
    return f"{index}-{name}-{magnitude}-{interpolation.lower()}-{fill}"


@pytest.mark.parametrize("image_name", IMAGE_NAMES)
@pytest.mark.parametrize("index", range(len(META["ops"])), ids=op_id)
def test_apply_op_matches_torchvision(index, image_name):
    op_name, magnitude, interpolation, fill = META["ops"][index]
    image = fixture_input(image_name)
    if not image_name.startswith("pil"):  # as the transforms hand it on: floats per channel
        fill = A.tensor_fill(image, fill)
    out = A._apply_op(image, op_name, magnitude, IM[interpolation], fill)
    expected = FIXTURES[f"ops_{image_name}"][index]
    assert isinstance(out, Image.Image) == image_name.startswith("pil")
    out = np.asarray(out)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    if interpolation == "BILINEAR" and not image_name.startswith("pil"):
        # float32 rounding: xpnet sums the bilinear taps and the fill blend in another order
        # than PyTorch, so a value within an ulp of .5 may round to the other integer
        difference = np.abs(out.astype(int) - expected)
        assert difference.max() <= 1 and (difference > 0).mean() < 0.01
    else:  # nearest, and Pillow's own results, are exact
        np.testing.assert_array_equal(out, expected)


def test_apply_op_keeps_the_kind_and_rejects_unknown_ops():
    out = A.apply_op(xpnet.Tensor(U8), "Rotate", 10.0, IM.BILINEAR, [1.0, 2.0, 3.0])
    assert isinstance(out, xpnet.Tensor)
    np.testing.assert_array_equal(out.numpy(), F.rotate(U8, 10.0, IM.BILINEAR, fill=[1, 2, 3]))
    assert A.apply_op(U8, "Identity", 3.0, IM.NEAREST, None) is U8
    with pytest.raises(ValueError, match="The provided operator Blur is not recognized."):
        A.apply_op(U8, "Blur", 1.0, IM.NEAREST, None)


FixedAugMix = fixed_augmix(T.AugMix)


@pytest.mark.parametrize("index", range(len(META["augmix"])))
def test_augmix_mix_with_fixed_weights_matches_torchvision(index):
    image_name, op_name, magnitude, kwargs = META["augmix"][index]
    kwargs = dict(kwargs)
    if "interpolation" in kwargs:
        kwargs["interpolation"] = IM[kwargs["interpolation"]]
    draws = [FIXTURES[f"augmix_{index}_m"], FIXTURES[f"augmix_{index}_w"]]
    xpnet.manual_seed(index)  # the chain depths, where random (an op that is the same twice)
    out = FixedAugMix(op_name, magnitude, draws, **kwargs)(fixture_input(image_name))
    expected = FIXTURES[f"augmix_{index}"]
    assert isinstance(out, Image.Image) == image_name.startswith("pil")
    out = np.asarray(out)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


def test_autoaugment_applies_its_sub_policy(monkeypatch):
    space = T.AutoAugment()._augmentation_space(10, (12, 14))
    # IMAGENET 0: (Posterize, 0.4, 8), (Rotate, 0.6, 9); both drawn in; sign 1 keeps Rotate +
    params = (0, np.array([0.4, 0.1], np.float32), np.array([0, 1]))
    monkeypatch.setattr(T.AutoAugment, "get_params", staticmethod(lambda n: params))
    expected = A.apply_op(U8, "Posterize", float(space["Posterize"][0][8]), IM.NEAREST, None)
    expected = A.apply_op(expected, "Rotate", 30.0, IM.NEAREST, None)
    np.testing.assert_array_equal(T.AutoAugment()(U8), expected)
    # CIFAR10 1: (Rotate, 0.7, 2), (TranslateX, 0.3, 9); the second drawn out; sign 0 negates
    params = (1, np.array([0.7, 0.31], np.float32), np.array([0, 0]))
    transform = T.AutoAugment(T.AutoAugmentPolicy.CIFAR10, IM.BILINEAR, fill=7)
    expected = A.apply_op(U8, "Rotate", -float(space["Rotate"][0][2]), IM.BILINEAR, [7.0] * 3)
    np.testing.assert_array_equal(transform(U8), expected)
    params = (2, np.array([0.9, 0.95], np.float32), np.array([1, 1]))  # neither: unchanged
    assert T.AutoAugment(T.AutoAugmentPolicy.SVHN)(U8) is U8


def test_autoaugment_get_params_draws():
    xpnet.manual_seed(0)
    draws = [T.AutoAugment.get_params(25) for _ in range(300)]
    ids = {policy_id for policy_id, _, _ in draws}
    assert ids == set(range(25))
    policy_id, probs, signs = draws[0]
    assert isinstance(policy_id, int) and probs.dtype == np.float32 and signs.dtype == np.int64
    assert probs.shape == signs.shape == (2,)
    probs = np.stack([d[1] for d in draws])
    assert 0.0 <= probs.min() and probs.max() < 1.0 and 0.45 < probs.mean() < 0.55
    assert {int(s) for d in draws for s in d[2]} == {0, 1}


def replay(seed, space, num_ops, magnitude=None):
    """The ops and magnitudes RandAugment (a ``magnitude`` bin) or TrivialAugmentWide (a
    drawn bin) applies after ``xpnet.manual_seed(seed)``: the same draws, in order."""
    rng, names, out = np.random.default_rng(seed), list(space), []
    for _ in range(num_ops):
        name = names[int(rng.integers(0, len(names)))]
        magnitudes, signed = space[name]
        value = 0.0
        if magnitudes.ndim > 0:
            bin_ = magnitude if magnitude is not None else int(rng.integers(0, len(magnitudes)))
            value = float(magnitudes[bin_])
        out.append((name, -value if signed and int(rng.integers(0, 2)) else value))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_rand_and_trivial_augment_apply_their_draws(seed):
    rand = T.RandAugment(num_ops=3, magnitude=20, interpolation=IM.BILINEAR, fill=[9, 8, 7])
    trivial = T.TrivialAugmentWide(num_magnitude_bins=11)
    for transform, ops in [
        (rand, replay(seed, rand._augmentation_space(31, (12, 14)), 3, magnitude=20)),
        (trivial, replay(seed, trivial._augmentation_space(11), 1)),
    ]:
        fill = A.tensor_fill(U8, transform.fill)
        expected = U8
        for name, magnitude in ops:
            expected = A.apply_op(expected, name, magnitude, transform.interpolation, fill)
        xpnet.manual_seed(seed)
        np.testing.assert_array_equal(transform(U8), expected)


def test_augmix_draws_weights_that_mix_convexly():
    xpnet.manual_seed(0)
    params = np.full((4, 3), 0.5, np.float32)
    draws = T.AugMix()._sample_dirichlet(params)
    assert draws.shape == (4, 3) and draws.dtype == np.float32 and (draws > 0).all()
    np.testing.assert_allclose(draws.sum(axis=1), 1.0, rtol=1e-6)
    # every chain the identity: the mix is the image (truncated, as torchvision's .to(uint8))
    identity = FixedAugMix("Identity", 0.0, [], chain_depth=2)
    identity._sample_dirichlet = T.AugMix()._sample_dirichlet
    out = identity(np.full((2, 3, 5, 5), 100, np.uint8))
    assert out.dtype == np.uint8 and set(np.unique(out)) <= {99, 100}
    floats = np.random.default_rng(0).random((3, 5, 5))
    np.testing.assert_allclose(identity(floats), floats, rtol=1e-6)  # float32 weights


def inputs():
    """Every kind of input: PIL RGB and L, uint8 arrays, a Tensor, a batch, a 2-d array."""
    return [
        ("pil_rgb", PIC),
        ("pil_l", PIC.convert("L")),
        ("array", U8),
        ("tensor", xpnet.Tensor(U8)),
        ("batch", np.stack([U8, U8[::-1]])),
        ("gray", U8[:1]),
    ]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("fill", [None, 5])
def test_outputs_keep_kind_shape_and_dtype(cls, fill):
    for name, image in inputs():
        for seed in range(12):  # enough draws to meet most ops
            xpnet.manual_seed(seed)
            out = cls(fill=fill)(image)
            if name.startswith("pil"):
                assert isinstance(out, Image.Image), name
                assert (out.mode, out.size) == (image.mode, image.size), name
                continue
            assert type(out) is type(image), name
            out = as_array(out)
            assert out.shape == np.shape(as_array(image)) and out.dtype == np.uint8, name


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_same_seed_same_augmentation(cls):
    results = []
    for seed in [3, 3, 4]:
        xpnet.manual_seed(seed)
        results.append([as_array(cls()(image)) for _ in range(4) for image in (U8, PIC)])
    for a, b in zip(results[0], results[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(results[0], results[2], strict=True))


@pytest.mark.parametrize("index", range(len(META["reprs"])))
def test_reprs_match_torchvision(index):
    name, kwargs, expected = META["reprs"][index]
    kwargs = dict(kwargs)
    if "interpolation" in kwargs:
        kwargs["interpolation"] = IM[kwargs["interpolation"]]
    if "policy" in kwargs:
        kwargs["policy"] = T.AutoAugmentPolicy[kwargs["policy"]]
    assert repr(getattr(T, name)(**kwargs)) == expected


def test_argument_errors():
    for severity in [0, 11]:
        with pytest.raises(ValueError, match=r"The severity must be between \[1, 10\]. Got"):
            T.AugMix(severity=severity)
    with pytest.raises(ValueError, match="The provided policy imagenet is not recognized."):
        T.AutoAugment("imagenet")
    with pytest.raises(IndexError):  # as torchvision: the magnitude bin does not exist
        xpnet.manual_seed(0)
        for _ in range(20):
            T.RandAugment(magnitude=31)(U8)
    with pytest.raises(TypeError, match="Unexpected type"):
        T.TrivialAugmentWide()([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="Only uint8 image tensors are supported"):
        A.apply_op(U8.astype(np.float32), "Posterize", 4.0, IM.NEAREST, None)


def test_tensors_on_another_backend_are_refused(backend):
    device = xpnet.Tensor(backend.xp.asarray(U8))
    if isinstance(device.array, np.ndarray):  # the backend keeps NumPy arrays: on the host
        assert isinstance(T.RandAugment()(device), xpnet.Tensor)
        return
    with pytest.raises(TypeError, match="transforms work on host images"):
        T.AutoAugment()(device)
