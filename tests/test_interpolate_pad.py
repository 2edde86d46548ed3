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


def _check_interpolate(backend, x, dtype=np.float64, grad_output=None, **kwargs):
    return check_against_torch(
        lambda a: K.interpolate(a, **kwargs),
        lambda g, a: K.interpolate_backward(g, a, **kwargs),
        lambda a: TF.interpolate(a, **kwargs),
        [x],
        backend,
        dtype=dtype,
        grad_output=grad_output,
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
        ((1, 1, 4), {"size": 2, "mode": "bicubic"}, ValueError, "'bicubic' needs a 4-D input"),
        ((1, 1, 4, 4), {"size": 2, "antialias": True}, ValueError, "antialias=True needs mode"),
        ((1, 1, 4), {"size": 2, "mode": "area", "align_corners": False}, ValueError, "can only"),
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


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((1, 2, 5), {"scale_factor": 1.1, "mode": "linear"}),
        ((1, 2, 5), {"scale_factor": 1.1, "mode": "linear", "align_corners": True}),
        ((1, 1, 4, 5), {"scale_factor": (1.2, 2.1), "mode": "bilinear"}),
        ((1, 1, 3, 4, 5), {"scale_factor": (1.3, 0.8, 1.1), "mode": "trilinear"}),
    ],
)
def test_interpolate_linear_copies_axes_whose_size_is_kept(backend, shape, kwargs):
    """ATen copies an axis with out == in whatever the scale (floor(5 * 1.1) == 5), instead
    of interpolating at 1 / scale_factor."""
    output, _ = _check_interpolate(backend, random_input(shape, 3), **kwargs)
    if len(shape) == 3:
        assert np.array_equal(output, random_input(shape, 3))


@pytest.mark.parametrize("kwargs", [{"size": 3}, {"scale_factor": 1.2, "align_corners": True}])
def test_interpolate_linear_copy_turns_inf_into_nan_like_torch(backend, kwargs):
    """The copy reads x[j] twice, 1 * x[j] + 0 * x[j]: an inf gives a NaN, a gradient too."""
    x = np.array([[[1.0, np.inf, 3.0]]])
    output, _ = _check_interpolate(backend, x, mode="linear", **kwargs)
    np.testing.assert_array_equal(output, [[[1.0, np.nan, 3.0]]])
    _check_interpolate(
        backend, np.zeros((1, 1, 3)), grad_output=[[[0.5, np.inf, -1.0]]], mode="linear", **kwargs
    )


def test_interpolate_linear_weights_round_like_torch(backend):
    """ATen rounds ``ratio * (j + 0.5) - 0.5`` once (FMA) and floors it in float32: which
    weights are exactly 0, so where an inf gives a NaN, depends on both."""
    _check_interpolate(backend, np.array([[[1.0, np.inf]]]), size=10, mode="linear")
    grad = np.zeros((1, 1, 11))
    grad[0, 0, 5] = np.inf  # source 5.5 / 11 - 0.5: 0 in two roundings, 2.8e-17 in one
    _check_interpolate(backend, np.zeros((1, 1, 1)), grad_output=grad, size=11, mode="linear")
    x = np.zeros((1, 1, 10))
    x[0, 0, 2] = np.inf  # source 0.999999999 at j = 3: floorf gives 1, so weight 0 for x[2]
    output, _ = _check_interpolate(backend, x, scale_factor=1 / ((1.5 - 1e-9) / 3.5), mode="linear")
    assert np.isnan(output[0, 0, 3])


@pytest.mark.parametrize("shape", [(1, 2, 5), (1, 1, 2, 3, 5), (1, 2, 5, 4)])
@pytest.mark.parametrize("scale_factor", [1.1, 2.1, 2.0, 1.0])
def test_interpolate_nearest_shortcuts_only_in_2d_forward(backend, shape, scale_factor):
    """nearest1d/3d compute floor(j * float32(1 / scale)) even where out == in or out == 2 *
    in; only nearest2d copies or reads j >> 1 there. PyTorch's 1-D and 3-D backwards take the
    shortcuts all the same (not its forward's adjoint); xpnet's is the adjoint."""
    x = random_input(shape, 4)
    differs = len(shape) != 4 and scale_factor in (1.1, 2.1)
    check_against_torch(
        lambda a: K.interpolate(a, scale_factor=scale_factor),
        None if differs else lambda g, a: K.interpolate_backward(g, a, scale_factor=scale_factor),
        lambda a: TF.interpolate(a, scale_factor=scale_factor),
        [x],
        backend,
    )
    check_finite_differences(
        lambda a: K.interpolate(a, scale_factor=scale_factor),
        lambda g, a: K.interpolate_backward(g, a, scale_factor=scale_factor),
        [x],
        backend,
    )
    if len(shape) == 3 and scale_factor in (1.1, 2.1):
        x = np.arange(5.0).reshape(1, 1, 5)
        expected = [0, 0, 1, 2, 3] if scale_factor == 1.1 else [0, 0, 0, 1, 1, 2, 2, 3, 3, 4]
        np.testing.assert_array_equal(
            backend.to_host(K.interpolate(backend.asarray(x), scale_factor=scale_factor))[0, 0],
            expected,
        )


@pytest.mark.parametrize(
    "kwargs, error, torch_error, message",
    [
        ({"scale_factor": np.inf}, ValueError, RuntimeError, r"scale_factor must be finite .* inf"),
        ({"scale_factor": np.nan}, ValueError, RuntimeError, r"scale_factor must be finite .* nan"),
        ({"scale_factor": -2.0}, ValueError, RuntimeError, r"greater than 0 .*, got -2\.0"),
        ({"scale_factor": (2, 0.0)}, ValueError, RuntimeError, r"got \(2, 0\.0\)"),
        ({"scale_factor": 1e308}, ValueError, RuntimeError, "scale_factor=1e\\+308 overflows"),
        ({"size": 2, "mode": "bilinear", "align_corners": 1}, TypeError, TypeError, "got int 1"),
        ({"size": 2, "mode": "bilinear", "align_corners": 1.0}, TypeError, TypeError, "float"),
        ({"size": 2, "mode": "bilinear", "align_corners": np.True_}, TypeError, TypeError, "bool"),
    ],
)
def test_interpolate_rejects_bad_scale_factor_and_align_corners(
    backend, kwargs, error, torch_error, message
):
    """What PyTorch refuses (RuntimeError: ArgumentError is one; TypeError for a non-bool
    align_corners), with interpolate, the argument and the value named."""
    x = np.zeros((1, 1, 4, 5))
    with pytest.raises(torch_error):
        TF.interpolate(torch.tensor(x), **kwargs)
    for call in (
        lambda: K.interpolate(backend.asarray(x), **kwargs),
        lambda: K.interpolate_backward(backend.asarray(x), backend.asarray(x), **kwargs),
    ):
        with pytest.raises(error, match=message) as raised:
            call()
        assert raised.type is TypeError or isinstance(raised.value, K.ArgumentError)
        assert str(raised.value).startswith("interpolate")


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
    ((0, 3, 4), (1, 1), ["constant", "reflect", "replicate", "circular"]),  # empty batch
    ((2, 5, 0), (0, 0), ["constant", "circular"]),  # empty, not padded: PyTorch copies
    ((5, 5), (0, -5), ["constant", "circular"]),  # cropped to nothing
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
        ((0, 4), (1, 1), {"mode": "reflect"}, ValueError, r"every dimension non-empty .* \(0, 4\)"),
        ((2, 0, 4), (1, 1), {"mode": "replicate"}, ValueError, "every dimension non-empty"),
        ((5, 5), (0, -5), {"mode": "reflect"}, ValueError, "empties dimension 1 of size 5"),
        ((1, 2, 3), (1, 1), {"mode": "reflect", "value": 2.0}, ValueError, "doesn't take a value"),
        ((1, 2, 3), (-2, -2), {}, ValueError, "crops dimension 2 of size 3 below 0"),
        ((1, 2), (3, -3), {}, ValueError, "crops dimension 1 of size 2 below 0"),  # crop first
        ((1, 2, 3), (1, 1), {"value": "0"}, TypeError, "value must be a number"),
        *(
            ((1, 2, 3, 3, 3), (1,) * 8, {"mode": mode}, NotImplementedError, "pad 1 to 3 trailing")
            for mode in ("reflect", "replicate", "circular")
        ),
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
    assert_close(backend.to_host(x.grad.array), reference.grad.numpy(), np.float64)


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
        backend.to_host(module(backend.asarray(x)).array),
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


@pytest.mark.parametrize("value", [[[[1.0, 2.0]]], 1.0])
def test_interpolate_and_pad_reject_non_arrays_with_type_error(backend, value):
    """A list or a float gets the TypeError every kernel gives, not an AttributeError."""
    grad = backend.asarray(np.ones((1, 1, 4)))
    calls = [
        ("interpolate", lambda: K.interpolate(value, scale_factor=2)),
        ("interpolate_backward", lambda: K.interpolate_backward(grad, value, scale_factor=2)),
        ("pad", lambda: K.pad(value, (1, 1))),
        ("pad_backward", lambda: K.pad_backward(grad, value, (1, 1))),
    ]
    for name, call in calls:
        with pytest.raises(TypeError, match=rf"^{name}: input must be an array, got "):
            call()
