"""torchvision's photometric functions and their random transforms (posterize, solarize,
adjust_sharpness, autocontrast, equalize, invert, adjust_gamma): against torchvision's own
outputs, errors and reprs (``tests/data/photometric_fixtures.npz``, written by
``tests/data/make_photometric_fixtures.py`` with torchvision 0.29.1), on PIL images, NumPy
arrays and Tensors of every backend; ``p`` of the random transforms and batched images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import xpnet
from xpnet._random import host_generator
from xpnet.data import transforms as T
from xpnet.data.transforms import functional as F

Image = pytest.importorskip("PIL.Image")

FIXTURES = np.load(Path(__file__).parent / "data" / "photometric_fixtures.npz")
META = json.loads(str(FIXTURES["meta"]))
TENSOR_CASES = [i for i, case in enumerate(META["cases"]) if not case["image"].startswith("pil")]
RANDOM = {
    "RandomInvert": ({}, F.invert),
    "RandomPosterize": ({"bits": 3}, lambda img: F.posterize(img, 3)),
    "RandomSolarize": ({"threshold": 100}, lambda img: F.solarize(img, 100)),
    "RandomAdjustSharpness": ({"sharpness_factor": 1.8}, lambda img: F.adjust_sharpness(img, 1.8)),
    "RandomAutocontrast": ({}, F.autocontrast),
    "RandomEqualize": ({}, F.equalize),
}


def fixture_input(name):
    if name == "list":
        return [1, 2]
    image = FIXTURES[f"input_{name}"]
    return Image.fromarray(image) if name.startswith("pil") else image


def case_id(index):
    case = META["cases"][index]
    return f"{index}-{case['function']}-{case['image']}"


def assert_matches(out, index):
    expected = FIXTURES[f"output_{index}"]
    out = np.asarray(out)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    if out.dtype.kind == "f":  # float32 rounding: sums in another order, pow to 1 ulp
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    else:  # integer images and Pillow's own results are exact
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("index", range(len(META["cases"])), ids=case_id)
def test_photometric_matches_torchvision(index):
    case = META["cases"][index]
    out = getattr(F, case["function"])(fixture_input(case["image"]), **case["kwargs"])
    if case["image"].startswith("pil"):
        assert isinstance(out, Image.Image)
    else:
        assert isinstance(out, np.ndarray)
    assert_matches(out, index)


@pytest.mark.parametrize("kind", ["tensor", "array"])
@pytest.mark.parametrize("index", TENSOR_CASES, ids=case_id)
def test_photometric_runs_on_the_image_backend(backend, kind, index):
    case = META["cases"][index]
    data = xpnet.to_backend(FIXTURES[f"input_{case['image']}"], backend.name)
    image = xpnet.Tensor(data) if kind == "tensor" else data
    out = getattr(F, case["function"])(image, **case["kwargs"])
    assert isinstance(out, xpnet.Tensor) == (kind == "tensor")
    out = out.array if kind == "tensor" else out
    assert type(out) is type(data)  # computed on the image's backend
    assert_matches(backend.to_host(out), index)


@pytest.mark.parametrize("index", range(len(META["errors"])))
def test_photometric_errors_match_torchvision(index):
    function, name, kwargs, kind, message = META["errors"][index]
    error = {"TypeError": TypeError, "ValueError": ValueError}[kind]
    with pytest.raises(error) as caught:
        getattr(F, function)(fixture_input(name), **kwargs)
    assert str(caught.value) == message.replace("torch.", "")  # dtypes by NumPy's names


@pytest.mark.parametrize("index", range(len(META["reprs"])))
def test_random_photometric_reprs_match_torchvision(index):
    name, kwargs, expected = META["reprs"][index]
    assert repr(getattr(T, name)(**kwargs)) == expected


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_photometric_p_0_keeps_and_p_1_applies(name):
    kwargs, function = RANDOM[name]
    image = FIXTURES["input_u8"]
    assert getattr(T, name)(**kwargs, p=0.0)(image) is image
    np.testing.assert_array_equal(getattr(T, name)(**kwargs, p=1.0)(image), function(image))
    pil = fixture_input("pil_rgb")
    assert np.array_equal(np.asarray(getattr(T, name)(**kwargs, p=1.0)(pil)), function(pil))
    assert getattr(T, name)(**kwargs).p == 0.5


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_photometric_draws_one_number_per_call(name):
    kwargs, _ = RANDOM[name]
    transform, image = getattr(T, name)(**kwargs, p=0.3), FIXTURES["input_u8"]
    xpnet.manual_seed(7)
    expected = [host_generator().random() < 0.3 for _ in range(40)]
    xpnet.manual_seed(7)
    applied = [transform(image) is not image for _ in range(40)]
    assert applied == expected and any(applied) and not all(applied)


def test_batched_images_equal_their_images():
    batch = xpnet.to_backend(FIXTURES["input_batch5_u8"], "numpy")  # (2, 2, 1, 5, 6)
    for function in (F.adjust_sharpness, F.adjust_gamma):
        out = function(batch, 1.7)
        for i in np.ndindex(batch.shape[:2]):
            np.testing.assert_array_equal(out[i], function(batch[i], 1.7))
    batch = FIXTURES["input_batch_u8"]  # (2, 3, 16, 24): equalize takes at most one batch axis
    out = F.equalize(batch)
    for i in range(2):
        np.testing.assert_array_equal(out[i], F.equalize(batch[i]))


def test_adjust_sharpness_keeps_small_and_accepts_2d_images():
    tiny = FIXTURES["input_tiny_u8"]  # height 2: returned as is, as torchvision
    assert F.adjust_sharpness(tiny, 2.0) is tiny
    image = FIXTURES["input_u8"]
    np.testing.assert_array_equal(
        F.adjust_sharpness(image[0], 0.3), F.adjust_sharpness(image[:1], 0.3)[0]
    )


def test_adjust_gamma_takes_2d_images_and_keeps_the_input():
    image = FIXTURES["input_u8"].copy()
    np.testing.assert_array_equal(F.adjust_gamma(image[0], 2.2), F.adjust_gamma(image[:1], 2.2)[0])
    for function in (F.invert, F.autocontrast, F.equalize, lambda x: F.posterize(x, 2)):
        function(image)
    np.testing.assert_array_equal(image, FIXTURES["input_u8"])


def test_photometric_names_are_exported():
    for name in ("posterize", "solarize", "adjust_sharpness", "autocontrast", "equalize"):
        assert name in F.__all__ and callable(getattr(F, name))
    for name in ("invert", "adjust_gamma"):
        assert name in F.__all__
    for name in RANDOM:
        assert name in T.__all__
