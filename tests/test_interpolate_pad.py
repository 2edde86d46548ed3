"""interpolate (nearest, nearest-exact, linear, bilinear, trilinear; size or scale_factor,
align_corners, recompute_scale_factor) and pad (constant, reflect, replicate, circular,
negative crops): PyTorch float64 oracle forward and backward, float32, NaN, finite
differences, errors, and the Upsample module."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, check_finite_differences, random_input

import xpnet
import xpnet.kernels as K
from xpnet import nn

SHAPES = {"linear": (2, 3, 5), "bilinear": (2, 2, 5, 4), "trilinear": (1, 2, 3, 4, 3)}
# (size or scale options); each runs with every mode for the input's rank
RESIZES = [
    {"size": 7},
    {"size": 1},
    {"scale_factor": 2},
    {"scale_factor": 0.5},
    {"scale_factor": 1.7},
    {"scale_factor": 2.3, "recompute_scale_factor": True},
    {"scale_factor": 1.0},
]


def _check_interpolate(backend, x, dtype=np.float64, **kwargs):
    return check_against_torch(
        lambda a: K.interpolate(a, **kwargs),
        lambda g, a: K.interpolate_backward(g, a, **kwargs),
        lambda a: TF.interpolate(a, **kwargs),
        [x],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("ndim", [3, 4, 5])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_interpolate_nearest_matches_torch(backend, ndim, mode):
    x = random_input(SHAPES[["linear", "bilinear", "trilinear"][ndim - 3]], 0)
    for resize in RESIZES:
        _check_interpolate(backend, x, mode=mode, **resize)


@pytest.mark.parametrize("mode", ["linear", "bilinear", "trilinear"])
@pytest.mark.parametrize("align_corners", [None, False, True])
def test_interpolate_linear_matches_torch(backend, mode, align_corners):
    x = random_input(SHAPES[mode], 0)
    for resize in RESIZES:
        _check_interpolate(backend, x, mode=mode, align_corners=align_corners, **resize)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": (3, 9), "mode": "bilinear"},
        {"scale_factor": (0.6, 2.5), "mode": "bilinear", "align_corners": True},
        {"scale_factor": (1.5, 3), "mode": "nearest"},
        {"size": [2, 5, 1], "mode": "trilinear"},
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_per_axis_sizes(backend, kwargs, dtype):
    shape = (
        SHAPES["trilinear"]
        if len(kwargs.get("size", kwargs.get("scale_factor"))) == 3
        else (SHAPES["bilinear"])
    )
    _check_interpolate(backend, random_input(shape, 1), dtype, **kwargs)


def test_interpolate_nan_reaches_only_its_readers(backend):
    x = random_input((1, 1, 4, 4), 0)
    x[0, 0, 1, 2] = np.nan
    output, _ = _check_interpolate(backend, x, scale_factor=2, mode="bilinear")
    assert 0 < np.isnan(output).sum() < output.size
    _check_interpolate(backend, x, size=(3, 5), mode="nearest")


def test_interpolate_float16_computes_in_float32(backend):
    x = random_input((1, 2, 3, 4), 0).astype(np.float16)
    output = K.interpolate(backend.asarray(x), scale_factor=2, mode="bilinear")
    assert output.dtype == np.float16
    expected = TF.interpolate(torch.tensor(x, dtype=torch.float64), scale_factor=2, mode="bilinear")
    assert_close(backend.to_host(output), expected.numpy(), np.float16)


def test_interpolate_finite_differences(backend):
    check_finite_differences(
        lambda a: K.interpolate(a, size=(3, 5), mode="bilinear", align_corners=True),
        lambda g, a: K.interpolate_backward(g, a, size=(3, 5), mode="bilinear", align_corners=True),
        [random_input((1, 1, 2, 3), 0)],
        backend,
    )


@pytest.mark.parametrize(
    "shape, kwargs, error, message",
    [
        ((2, 3), {"size": 4}, ValueError, "input must have 3 or 4 or 5 dimensions"),
        ((1, 1, 4), {"size": 4, "scale_factor": 2}, ValueError, "exactly one of size and"),
        ((1, 1, 4), {}, ValueError, "exactly one of size and scale_factor"),
        ((1, 1, 4), {"size": (2, 2)}, ValueError, "size must have one entry per spatial"),
        ((1, 1, 4), {"size": 2.0}, TypeError, "size must hold Integrals"),
        ((1, 1, 4), {"scale_factor": 0.2}, ValueError, "sizes must be greater than 0"),
        ((1, 1, 4), {"size": 2, "mode": "bilinear"}, ValueError, "needs a 4-D input"),
        ((1, 1, 4, 4), {"size": 2, "mode": "cubic"}, ValueError, "mode must be one of"),
        ((1, 1, 4, 4), {"size": 2, "mode": "bicubic"}, NotImplementedError, "not implemented"),
        ((1, 1, 4, 4), {"size": 2, "antialias": True}, NotImplementedError, "antialias"),
        ((1, 1, 4), {"size": 2, "align_corners": True}, ValueError, "align_corners can only"),
        ((1, 1, 4), {"size": 2, "recompute_scale_factor": True}, ValueError, "not meaningful"),
    ],
)
def test_interpolate_rejects_bad_arguments(backend, shape, kwargs, error, message):
    x = backend.asarray(np.zeros(shape))
    with pytest.raises(error, match=message):
        K.interpolate(x, **kwargs)


def test_interpolate_rejects_bad_grad_output_and_huge_outputs(backend):
    x = backend.asarray(np.zeros((1, 1, 4)))
    with pytest.raises(
        ValueError,
        match=r"grad_output must have the shape of the forward's "
        r"output \(1, 1, 8\)",
    ):
        K.interpolate_backward(backend.asarray(np.zeros((1, 1, 4))), x, scale_factor=2)
    with pytest.raises(TypeError, match="input must be a floating-point array"):
        K.interpolate(backend.asarray(np.zeros((1, 1, 4), np.int64)), size=2)
    with pytest.raises(MemoryError, match="interpolate: an output of shape"):
        K.interpolate(x, size=2**50)


# -- pad ---------------------------------------------------------------------------------------

PADS = [
    ((2, 4), (1, 2), ["constant", "reflect", "replicate", "circular"]),
    ((2, 4), (-1, 2), ["constant", "reflect", "replicate", "circular"]),
    ((2, 3, 5), (3, 4), ["constant", "reflect", "replicate", "circular"]),
    ((2, 3, 5), (1, 1, 2, 1), ["constant", "reflect", "replicate", "circular"]),
    ((1, 2, 4, 5), (2, 2, 1, 3), ["constant", "reflect", "replicate", "circular"]),
    ((1, 2, 4, 5), (0, -1, 2, 0), ["constant", "reflect", "replicate", "circular"]),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2), ["constant", "reflect", "replicate", "circular"]),
    ((1, 2, 3, 4, 5), (-1, 1, 0, 2, 1, -2), ["constant", "reflect", "replicate", "circular"]),
    ((2, 3, 4), (1, 0, 0, 2, 3, 1), ["constant"]),
    ((3,), (2, -3), ["constant"]),
]


@pytest.mark.parametrize("shape, padding, modes", PADS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pad_matches_torch(backend, shape, padding, modes, dtype):
    x = random_input(shape, 0)
    for mode in modes:
        kwargs = {"mode": mode, "value": 1.5} if mode == "constant" else {"mode": mode}
        check_against_torch(
            lambda a, kwargs=kwargs: K.pad(a, padding, **kwargs),
            lambda g, a, kwargs=kwargs: K.pad_backward(g, a, padding, **kwargs),
            lambda a, kwargs=kwargs: TF.pad(a, padding, **kwargs),
            [x],
            backend,
            dtype=dtype,
        )


def test_pad_keeps_nan_and_default_value(backend):
    x = random_input((1, 2, 3), 0)
    x[0, 1, 0] = np.nan
    for mode in ["constant", "reflect", "replicate", "circular"]:
        check_against_torch(
            lambda a, m=mode: K.pad(a, (2, 1), m),
            lambda g, a, m=mode: K.pad_backward(g, a, (2, 1), m),
            lambda a, m=mode: TF.pad(a, (2, 1), m),
            [x],
            backend,
        )


def test_pad_finite_differences(backend):
    check_finite_differences(
        lambda a: K.pad(a, (2, 1, 1, 2), "reflect"),
        lambda g, a: K.pad_backward(g, a, (2, 1, 1, 2), "reflect"),
        [random_input((1, 3, 3), 0)],
        backend,
    )


@pytest.mark.parametrize(
    "shape, padding, kwargs, error, message",
    [
        ((1, 2, 3), (1,), {}, ValueError, "pad must hold an even number of ints"),
        ((3,), (1, 1, 1, 1), {}, ValueError, "at most 2 per dimension"),
        ((1, 2, 3), (1.0, 1), {}, TypeError, "pad must be a sequence of ints"),
        ((1, 2, 3), 1, {}, TypeError, "pad must be a sequence of ints"),
        ((1, 2, 3), (1, 1), {"mode": "wrap"}, ValueError, "mode must be one of"),
        ((1, 2, 3), (3, 0), {"mode": "reflect"}, ValueError, r"must be at most 2 \(input size 3\)"),
        ((1, 2, 3), (0, 4), {"mode": "circular"}, ValueError, "must be at most 3"),
        ((3,), (1, 1), {"mode": "replicate"}, ValueError, "needs a 2-D or 3-D input"),
        ((1, 2, 0), (1, 1), {"mode": "replicate"}, ValueError, "dimension non-empty"),
        ((1, 2, 3), (1, 1), {"mode": "reflect", "value": 2.0}, ValueError, "doesn't take a value"),
        ((1, 2, 3), (-2, -2), {}, ValueError, "crops dimension 2 of size 3 below 0"),
        ((1, 2, 3), (1, 1), {"value": "0"}, TypeError, "value must be a number"),
    ],
)
def test_pad_rejects_bad_arguments(backend, shape, padding, kwargs, error, message):
    x = backend.asarray(np.zeros(shape))
    with pytest.raises(error, match=message):
        K.pad(x, padding, **kwargs)


def test_pad_rejects_bad_grad_output_and_huge_outputs(backend):
    x = backend.asarray(np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match=r"grad_output must have the shape of the forward's"):
        K.pad_backward(x, x, (1, 1))
    with pytest.raises(MemoryError, match=r"pad: an output of shape \(1, 2, "):
        K.pad(x, (0, 2**50))


def test_pad_and_interpolate_through_autograd(backend):
    x = xpnet.Tensor(backend.asarray(random_input((1, 1, 3, 3), 0)), requires_grad=True)
    y = nn.functional.interpolate(nn.functional.pad(x, (1, 1, 1, 1), "replicate"), scale_factor=2)
    y.sum().backward()
    reference = torch.tensor(random_input((1, 1, 3, 3), 0), requires_grad=True)
    TF.interpolate(TF.pad(reference, (1, 1, 1, 1), "replicate"), scale_factor=2).sum().backward()
    assert_close(backend.to_host(x.grad), reference.grad.numpy(), np.float64)


# -- Upsample ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scale_factor": 2},
        {"scale_factor": (2, 1.5), "mode": "bilinear"},
        {"size": (3, 7), "mode": "bilinear", "align_corners": True},
        {"size": 5, "mode": "nearest-exact"},
        {"scale_factor": 1.5, "mode": "bilinear", "recompute_scale_factor": True},
    ],
)
def test_upsample_matches_torch(backend, kwargs):
    module, reference = nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    assert repr(module) == repr(reference)
    assert module.state_dict() == {} and not reference.state_dict()
    for name in ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
        assert getattr(module, name) == getattr(reference, name)
    x = random_input((1, 2, 3, 4), 0)
    assert_close(
        backend.to_host(module(backend.asarray(x)).data),
        reference(torch.tensor(x)).numpy(),
        np.float64,
    )


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_interpolate_and_pad_infinities_like_torch_without_warnings(backend, mode):
    """inf * 0 weights give NaN as in PyTorch's formula, and no NumPy warning leaks."""
    x = np.array([[[1.0, np.inf, 2.0, -np.inf, 3.0]]])
    _check_interpolate(backend, x, scale_factor=1.5, mode=mode)
    grad = np.array([[[np.inf, -np.inf, 1.0, np.inf, -np.inf, 2.0, 0.0]]])
    check_against_torch(
        lambda a: K.interpolate(a, size=7, mode=mode),
        lambda g, a: K.interpolate_backward(g, a, size=7, mode=mode),
        lambda a: TF.interpolate(a, size=7, mode=mode),
        [random_input((1, 1, 5), 0)],
        backend,
        grad_output=grad,
    )
    check_against_torch(
        lambda a: K.pad(a, (2, 0), "reflect"),
        lambda g, a: K.pad_backward(g, a, (2, 0), "reflect"),
        lambda a: TF.pad(a, (2, 0), "reflect"),
        [random_input((1, 1, 5), 0)],
        backend,
        grad_output=grad,
    )
