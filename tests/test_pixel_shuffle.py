"""pixel_shuffle and pixel_unshuffle against PyTorch float64: forward and gradient, any leading
batch dimensions, empty sizes, generated configurations (hypothesis, bounded by the ``xpnet``
profile), invalid arguments, each the other's inverse, and the modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, check_kernel_against_torch, random_input
from _strategies import PROFILE, Invalid, check_rejected, common_mistakes, values_of
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
from xpnet import nn

NAMES = ["pixel_shuffle", "pixel_unshuffle"]


def _factor_name(name):
    return "upscale_factor" if name == "pixel_shuffle" else "downscale_factor"


@pytest.mark.parametrize(
    "shape, r",
    [((1, 8, 2, 3), 2), ((8, 2, 3), 2), ((2, 1, 9, 2, 2), 3), ((3, 2, 2), 1)]
    + [((2, 3, 1, 4, 2, 2), 1)],
)
def test_pixel_shuffle_matches_torch(backend, shape, r):
    check_kernel_against_torch(backend, "pixel_shuffle", random_input(shape), {"upscale_factor": r})


@pytest.mark.parametrize(
    "shape, r",
    [((1, 2, 4, 6), 2), ((2, 4, 6), 2), ((2, 1, 1, 6, 3), 3), ((3, 2, 2), 1)],
)
def test_pixel_unshuffle_matches_torch(backend, shape, r):
    kwargs = {"downscale_factor": r}
    check_kernel_against_torch(backend, "pixel_unshuffle", random_input(shape), kwargs)


def _shape(name, shape, r):
    """The output shape PyTorch documents: (*, C / r^2, H r, W r) or (*, C r^2, H / r, W / r)."""
    *batch, C, H, W = shape
    if name == "pixel_shuffle":
        return (*batch, C // (r * r), H * r, W * r)
    return (*batch, C * r * r, H // r, W // r)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(0, 4, 2, 2), (1, 4, 0, 2), (2, 0, 2, 2)])
def test_pixel_shuffles_of_empty_inputs_have_the_documented_shape(backend, name, shape):
    """PyTorch 2.13's pixel_unshuffle returns an empty input unchanged, (0, 4, 2, 2) for
    (0, 4, 2, 2) (so pixel_shuffle's backward of an empty input fails there); xpnet gives the
    documented shapes, and each backward the input's."""
    x, r = backend.asarray(np.ones(shape)), 2
    output = getattr(K, name)(x, r)
    assert output.shape == _shape(name, shape, r) and output.dtype == x.dtype
    grad = getattr(K, f"{name}_backward")(backend.xp.ones(output.shape), x, r)
    assert grad.shape == shape
    if name == "pixel_shuffle":  # its forward is right in PyTorch
        assert tuple(TF.pixel_shuffle(torch.ones(shape), r).shape) == output.shape


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_pixel_shuffles_keep_float32_and_float16_exactly(backend, name, dtype):
    x = random_input((2, 4, 2, 2))
    check_kernel_against_torch(backend, name, x, {_factor_name(name): 2}, dtype=dtype)


def test_pixel_shuffle_places_channels_as_torch_documents(backend):
    x = backend.asarray(np.arange(8.0).reshape(2, 4, 1, 1))
    expected = np.array([[[[0.0, 1.0], [2.0, 3.0]]], [[[4.0, 5.0], [6.0, 7.0]]]])
    np.testing.assert_array_equal(backend.to_host(K.pixel_shuffle(x, 2)), expected)


@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_shuffle_and_unshuffle_are_inverse_and_new_arrays(backend, r):
    x = backend.asarray(random_input((2, 3 * r * r, 2, 3)))
    shuffled = K.pixel_shuffle(x, r)
    np.testing.assert_array_equal(
        backend.to_host(K.pixel_unshuffle(shuffled, r)), backend.to_host(x)
    )
    np.testing.assert_array_equal(
        backend.to_host(K.pixel_shuffle_backward(shuffled, x, r)), backend.to_host(x)
    )
    shuffled[...] = 0.0  # a view would change the input (r = 1)
    assert backend.to_host(x).any()


# ---------------------------------------------------------------------------------------------
# generated configurations against PyTorch


@st.composite
def shuffle_cases(draw):
    batch = tuple(draw(st.lists(st.integers(0, 2), max_size=2)))
    r, C = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    H, W = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    return {"batch": batch, "r": r, "C": C, "H": H, "W": W, "seed": draw(st.integers(0, 2**16))}


@PROFILE
@given(case=shuffle_cases())
def test_pixel_shuffles_match_torch_on_generated_configurations(backend, case):
    r, batch, seed = case["r"], case["batch"], case["seed"]
    C, H, W = case["C"], case["H"], case["W"]
    for name, shape in [
        ("pixel_shuffle", (*batch, C * r * r, H, W)),
        ("pixel_unshuffle", (*batch, C, H * r, W * r)),
    ]:
        x = random_input(shape, seed)
        if x.size:
            check_kernel_against_torch(backend, name, x, {_factor_name(name): r})
        else:  # PyTorch's empty pixel_unshuffle keeps the input's shape (test above)
            assert getattr(K, name)(backend.asarray(x), r).shape == _shape(name, shape, r)


# ---------------------------------------------------------------------------------------------
# invalid arguments


def _mistakes(name):
    factor = _factor_name(name)
    shape, output_shape = (
        ((4, 2, 2), (1, 4, 4)) if name == "pixel_shuffle" else ((1, 4, 4), (4, 2, 2))
    )
    valid = {"input": values_of(shape), factor: 2}
    mistakes = [
        Invalid(name, valid, "2-d input", {"input": values_of((4, 4))}, "input"),
        Invalid(name, valid, "factor 0", {factor: 0}, factor),
        Invalid(name, valid, "negative factor", {factor: -2}, factor),
        Invalid(name, valid, "float factor", {factor: 2.0}, factor),
        Invalid(name, valid, "bool factor", {factor: True}, factor),
        Invalid(name, valid, "factor None", {factor: None}, factor),
    ]
    if name == "pixel_shuffle":
        mistakes.append(
            Invalid(name, valid, "channels", {"input": values_of((6, 2, 2))}, "channel")
        )
    else:
        mistakes.append(Invalid(name, valid, "height", {"input": values_of((1, 3, 4))}, "height"))
        mistakes.append(Invalid(name, valid, "width", {"input": values_of((1, 4, 5))}, "width"))
    common = common_mistakes(name, valid, ("input",), ("input",), output_shape)
    # any dtype shuffles, as PyTorch's (an integer input is no mistake)
    return mistakes + [case for case in common if "dtype" not in case.label]


@PROFILE
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_pixel_shuffles_reject_invalid_arguments(backend, name, data):
    check_rejected(backend, name, data.draw(st.sampled_from(_mistakes(name)), label="case"))


@pytest.mark.parametrize(
    "name, shape, r, match",
    [
        ("pixel_shuffle", (7, 2, 3), 2, "input's channel dimension .* divisible by upscale_factor"),
        ("pixel_shuffle", (2, 3), 1, "input must have at least 3 dimensions"),
        ("pixel_unshuffle", (2, 5, 4), 2, "input's height .* divisible by downscale_factor 2"),
        ("pixel_unshuffle", (2, 4, 5), 2, "input's width .* divisible by downscale_factor 2"),
        ("pixel_unshuffle", (2, 4, 4), 0, "downscale_factor must be positive, got 0"),
    ],
)
def test_pixel_shuffles_refuse_what_torch_refuses(backend, name, shape, r, match):
    with pytest.raises(RuntimeError):
        getattr(TF, name)(torch.ones(shape), r)
    with pytest.raises(K.ArgumentError, match=rf"^{name}: {match}"):
        getattr(K, name)(backend.asarray(np.ones(shape)), r)


# ---------------------------------------------------------------------------------------------
# modules


@pytest.mark.parametrize(
    "module, torch_module, shape",
    [
        (nn.PixelShuffle(2), torch.nn.PixelShuffle(2), (2, 8, 3, 2)),
        (nn.PixelUnshuffle(3), torch.nn.PixelUnshuffle(3), (1, 2, 6, 3)),
    ],
)
def test_pixel_shuffle_modules_match_torch(backend, module, torch_module, shape):
    assert repr(module) == repr(torch_module) and module.state_dict() == {}

    def backward(g, x):
        tensor = xpnet.Tensor(x, requires_grad=True)
        module(tensor).backward(g)
        return tensor.grad

    check_against_torch(
        lambda x: module(xpnet.Tensor(x)).array,
        backward,
        torch_module,
        [random_input(shape)],
        backend,
    )
