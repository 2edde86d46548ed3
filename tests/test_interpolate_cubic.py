"""interpolate's 'bicubic' and 'area' modes and antialias=True (bilinear, bicubic): PyTorch
float64 oracle forward and backward over generated configurations, float32, overshoot,
inf and NaN, finite differences where PyTorch's backward is not its forward's adjoint,
PyTorch's antialias bug at width 1, edge cases, errors, and Upsample."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, check_finite_differences, random_input

import xpnet
import xpnet.kernels as K
from xpnet import nn

# (input shape, resize options): sizes up and down, non-square, scale factors per axis
RESIZES = [
    ((2, 3, 5, 4), {"size": (9, 7)}),
    ((2, 3, 5, 4), {"size": (3, 2)}),
    ((1, 2, 6, 7), {"size": (13, 3)}),
    ((1, 2, 6, 7), {"scale_factor": 1.7}),
    ((1, 2, 9, 8), {"scale_factor": 0.45}),
    ((1, 2, 5, 9), {"scale_factor": (1.7, 0.45)}),
    ((1, 1, 4, 6), {"scale_factor": (2, 0.5)}),
    ((1, 1, 3, 4), {"scale_factor": 3.3}),
    ((1, 2, 5, 7), {"scale_factor": 1.7, "recompute_scale_factor": True}),
    ((1, 2, 9, 8), {"scale_factor": (0.45, 2.3), "recompute_scale_factor": True}),
    ((1, 2, 5, 4), {"size": (5, 4)}),  # kept: no copy, the formula (an inf gives NaNs)
    ((1, 1, 1, 1), {"size": (3, 4)}),
    ((1, 2, 4, 5), {"size": 1}),
    ((2, 1, 1, 6), {"size": (4, 2)}),
]


def _check(backend, x, dtype=np.float64, grad_output=None, adjoint=True, **kwargs):
    """xpnet against PyTorch; ``adjoint=False`` where PyTorch's backward is not its
    forward's (the forward only, then finite differences)."""
    result = check_against_torch(
        lambda a: K.interpolate(a, **kwargs),
        (lambda g, a: K.interpolate_backward(g, a, **kwargs)) if adjoint else None,
        lambda a: TF.interpolate(a, **kwargs),
        [x],
        backend,
        dtype=dtype,
        grad_output=grad_output,
    )
    if not adjoint:
        _finite_differences(backend, x, **kwargs)
    return result


def _finite_differences(backend, x, **kwargs):
    check_finite_differences(
        lambda a: K.interpolate(a, **kwargs),
        lambda g, a: K.interpolate_backward(g, a, **kwargs),
        [x],
        backend,
    )


def _generated(count, seed):
    """``count`` random (shape, options) pairs: 1 to 9 pixels a side, a size or scale
    factors from 0.3 to 3.3, recompute_scale_factor on some."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        shape = (int(rng.integers(1, 3)), 2, *(int(n) for n in rng.integers(1, 10, 2)))
        if rng.integers(2):
            options = {"size": tuple(int(n) for n in rng.integers(1, 14, 2))}
        else:
            scales = tuple(float(s) for s in rng.choice([0.3, 0.45, 0.5, 1.7, 2.0, 3.3], 2))
            if min(math.floor(n * s) for n, s in zip(shape[2:], scales, strict=True)) < 1:
                continue
            options = {"scale_factor": scales, "recompute_scale_factor": bool(rng.integers(2))}
        cases.append((shape, options))
    return cases


# -- bicubic -------------------------------------------------------------------------------


@pytest.mark.parametrize("align_corners", [None, False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_interpolate_bicubic_matches_torch(backend, align_corners, dtype):
    for seed, (shape, resize) in enumerate(RESIZES):
        x = random_input(shape, seed)
        _check(backend, x, dtype, mode="bicubic", align_corners=align_corners, **resize)


@pytest.mark.parametrize("case", range(24))
def test_interpolate_bicubic_generated_cases_match_torch(backend, case):
    shape, resize = _generated(24, seed=5)[case]
    for align_corners in (False, True):
        _check(
            backend,
            random_input(shape, case),
            mode="bicubic",
            align_corners=align_corners,
            **resize,
        )


def test_interpolate_bicubic_overshoots_the_input_range_like_torch(backend):
    """No clamping for floats: a step overshoots on both sides (Keys' kernel, A = -0.75)."""
    x = np.array([[[[0.0, 0.0, 1.0, 1.0]]]])
    output, _ = _check(backend, x, size=(1, 12), mode="bicubic")
    assert output.min() < 0.0 and output.max() > 1.0


def test_interpolate_bicubic_clamps_taps_at_the_border_like_torch(backend):
    """The 4 taps of a border output are clamped to the first or last pixel, which then
    counts several times: a constant stays constant, a ramp bends at the ends."""
    x = np.arange(5.0).reshape(1, 1, 1, 5)
    for kwargs in ({"size": (1, 16)}, {"scale_factor": (1, 0.45)}, {"size": (1, 11)}):
        for align_corners in (False, True):
            _check(backend, x, mode="bicubic", align_corners=align_corners, **kwargs)
    output, _ = _check(backend, np.full((1, 1, 3, 2), 2.5), size=(7, 5), mode="bicubic")
    np.testing.assert_allclose(output, 2.5, rtol=1e-14)  # the 4 weights sum to 1, rounded


def test_interpolate_bicubic_nan_and_inf_like_torch(backend):
    """Every tap is multiplied, zero weights too: an inf input gives NaN where its weight
    is 0 (a kept size included), a NaN reaches only the outputs whose taps read it."""
    x = random_input((1, 1, 4, 5), 2)
    x[0, 0, 1, 2] = np.inf
    x[0, 0, 3, 0] = np.nan
    for kwargs in ({"size": (4, 5)}, {"size": (7, 9)}, {"scale_factor": 0.5}):
        output, _ = _check(backend, x, mode="bicubic", **kwargs)
        assert 0 < np.isnan(output).sum() < output.size


def test_interpolate_bicubic_backward_copies_a_kept_shape_like_torch(backend):
    """PyTorch's backward copies the gradient when the output shape is the input's (the
    taps are then 1 * x[j] + 0 * neighbours): an inf gradient stays in its own pixel."""
    grad = np.zeros((1, 1, 3, 4))
    grad[0, 0, 1, 2] = np.inf
    for align_corners in (False, True):
        _, (grad_input,) = _check(
            backend,
            random_input((1, 1, 3, 4), 0),
            grad_output=grad,
            size=(3, 4),
            mode="bicubic",
            align_corners=align_corners,
        )
        assert np.isinf(grad_input).sum() == 1 and not np.isnan(grad_input).any()


@pytest.mark.parametrize("scale_factor", [1.1, (1.0, 1.1), (1.2, 1.1)])
def test_interpolate_bicubic_kept_shape_backward_is_the_adjoint(backend, scale_factor):
    """floor(4 * 1.1) == 4: the forward interpolates at 1 / 1.1, as PyTorch's; PyTorch's
    backward copies the gradient all the same, xpnet's is the forward's adjoint."""
    x = random_input((1, 2, 4, 5), 3)
    kwargs = {"scale_factor": scale_factor, "mode": "bicubic"}
    _check(backend, x, adjoint=False, **kwargs)
    reference = torch.tensor(x, requires_grad=True)
    TF.interpolate(reference, **kwargs).sum().backward()
    ours = K.interpolate_backward(
        backend.asarray(np.ones((1, 2, 4, 5))), backend.asarray(x), **kwargs
    )
    assert not np.allclose(backend.to_host(ours), reference.grad.numpy())  # PyTorch's copy


def test_interpolate_bicubic_finite_differences(backend):
    for kwargs in ({"size": (5, 3)}, {"scale_factor": 0.45, "align_corners": True}):
        _finite_differences(backend, random_input((1, 1, 4, 6), 1), mode="bicubic", **kwargs)


def test_interpolate_bicubic_float16_computes_in_float32(backend):
    x = random_input((1, 2, 3, 4), 0).astype(np.float16)
    output = K.interpolate(backend.asarray(x), scale_factor=1.7, mode="bicubic")
    assert output.dtype == np.float16
    expected = TF.interpolate(
        torch.tensor(x, dtype=torch.float64), scale_factor=1.7, mode="bicubic"
    )
    assert_close(backend.to_host(output), expected.numpy(), np.float16)


# -- area ----------------------------------------------------------------------------------

AREA_SHAPES = {3: (2, 3, 9), 4: (2, 2, 7, 5), 5: (1, 2, 4, 5, 3)}
AREA_RESIZES = [
    {"size": 4},
    {"size": 11},
    {"size": 1},
    {"scale_factor": 0.45},
    {"scale_factor": 1.7},
    {"scale_factor": 0.5, "recompute_scale_factor": True},
    {"scale_factor": 2.0},
]


@pytest.mark.parametrize("ndim", [3, 4, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_interpolate_area_matches_torch(backend, ndim, dtype):
    x = random_input(AREA_SHAPES[ndim], ndim)
    for resize in AREA_RESIZES:
        _check(backend, x, dtype, mode="area", **resize)
    _check(backend, x, dtype, mode="area", size=(3, 1, 4, 2, 6)[: ndim - 2])


def test_interpolate_area_empty_outputs_and_batches_like_torch(backend):
    """'area' is adaptive_avg_pool: an output size of 0 (size=0, or 4 * 0.2) is allowed."""
    _check(backend, np.zeros((0, 2, 4, 5, 3)), mode="area", size=(2, 3, 2))
    x = random_input((1, 2, 4, 4), 0)
    for kwargs in ({"size": 0}, {"scale_factor": (0.2, 1.0)}):
        output, _ = check_against_torch(
            lambda a, kwargs=kwargs: K.interpolate(a, mode="area", **kwargs),
            None,  # PyTorch's backward refuses an empty output; no gradient flows
            lambda a, kwargs=kwargs: TF.interpolate(a, mode="area", **kwargs),
            [x],
            backend,
        )
        grad = K.interpolate_backward(
            backend.asarray(output), backend.asarray(x), mode="area", **kwargs
        )
        np.testing.assert_array_equal(backend.to_host(grad), np.zeros(x.shape))


# -- antialias -----------------------------------------------------------------------------


def _out_sizes(shape, resize):
    """The output's (H_out, W_out) for ``interpolate(x of shape, **resize)``."""
    if "size" in resize:
        size = resize["size"]
        return tuple(size) if isinstance(size, tuple) else (size, size)
    scales = resize["scale_factor"]
    scales = scales if isinstance(scales, tuple) else (scales, scales)
    return tuple(math.floor(n * s) for n, s in zip(shape[2:], scales, strict=True))


def _torch_aa_cases(count, seed):
    """Generated antialias cases, leaving out PyTorch's width-1 bug (its forward) and axes
    kept at a scale other than 1 (its backward is not the adjoint): tested apart."""
    cases = []
    for shape, resize in _generated(3 * count, seed):
        outs = _out_sizes(shape, resize)
        scales = resize.get("scale_factor", (1.0, 1.0))
        kept = not resize.get("recompute_scale_factor") and any(
            o == n and s != 1.0 for o, n, s in zip(outs, shape[2:], scales, strict=True)
        )
        if outs[1] > 1 and not kept:
            cases.append((shape, resize))
    return cases[:count]


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_interpolate_antialias_matches_torch(backend, mode, align_corners, dtype):
    for seed, (shape, resize) in enumerate(RESIZES):
        if _out_sizes(shape, resize)[1] == 1:  # PyTorch's width-1 bug: tested below
            continue
        x = random_input(shape, seed)
        options = {"mode": mode, "align_corners": align_corners, "antialias": True}
        _check(backend, x, dtype, **options, **resize)


@pytest.mark.parametrize("case", range(16))
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias_generated_cases_match_torch(backend, case, mode):
    shape, resize = _torch_aa_cases(16, seed=7)[case]
    x = random_input(shape, case)
    for align_corners in (False, True):
        _check(backend, x, mode=mode, align_corners=align_corners, antialias=True, **resize)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias_kept_axis_is_copied_and_backward_is_the_adjoint(backend, mode):
    """floor(5 * 1.1) == 5: PyTorch's forward copies the axis (an inf stays put), its
    backward interpolates it at 1 / 1.1; xpnet's backward is the forward's adjoint."""
    x = random_input((1, 2, 8, 5), 4)
    kwargs = {"scale_factor": (0.45, 1.1), "mode": mode, "antialias": True}
    _check(backend, x, adjoint=False, **kwargs)
    x[0, 0, :, 2] = np.inf
    output, _ = check_against_torch(
        lambda a: K.interpolate(a, **kwargs),
        None,
        lambda a: TF.interpolate(a, **kwargs),
        [x],
        backend,
    )
    assert np.isfinite(np.delete(output, 2, axis=3)).all()  # no column read its neighbour's


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias_width_one_is_torch_on_the_transpose(backend, mode):
    """PyTorch 2.13's CPU kernel reads only the first row along H when the output width is
    1; its result for the transposed image is right, and xpnet's matches that."""
    x = random_input((1, 2, 6, 4), 5)
    options = {"mode": mode, "antialias": True}
    output = K.interpolate(backend.asarray(x), size=(9, 1), **options)
    transposed = TF.interpolate(torch.tensor(x).transpose(2, 3), size=(1, 9), **options)
    assert_close(backend.to_host(output), transposed.transpose(2, 3).numpy(), np.float64)
    buggy = TF.interpolate(torch.tensor(x), size=(9, 1), **options).numpy()
    assert not np.allclose(buggy, transposed.transpose(2, 3).numpy())
    _finite_differences(backend, x[:, :1], size=(9, 1), **options)


def test_interpolate_antialias_finite_differences(backend):
    for mode in ("bilinear", "bicubic"):
        for kwargs in ({"size": (2, 7)}, {"scale_factor": 0.3, "align_corners": True}):
            _finite_differences(
                backend, random_input((1, 1, 7, 6), 1), mode=mode, antialias=True, **kwargs
            )


# -- edge cases, errors, the module ----------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "bicubic"},
        {"mode": "bicubic", "align_corners": True},
        {"mode": "bilinear", "antialias": True},
        {"mode": "bicubic", "antialias": True},
        {"mode": "area"},
    ],
)
def test_interpolate_new_modes_on_empty_batches_and_single_pixels(backend, kwargs):
    _check(backend, np.zeros((0, 2, 3, 4)), size=(5, 2), **kwargs)
    _check(backend, random_input((2, 1, 1, 1), 0), size=(3, 2), **kwargs)
    _check(backend, random_input((1, 2, 5, 3), 0), size=(1, 2), **kwargs)


@pytest.mark.parametrize(
    "shape, kwargs, error, message",
    [
        ((1, 1, 4), {"size": 2, "mode": "bicubic"}, ValueError, "'bicubic' needs a 4-D input"),
        ((1, 1, 2, 4, 4), {"size": 2, "mode": "bicubic"}, ValueError, "needs a 4-D input"),
        ((1, 1, 4, 4), {"size": 0, "mode": "bicubic"}, ValueError, "greater than 0"),
        ((1, 1, 4, 4), {"size": 2, "antialias": True}, ValueError, "antialias=True needs mode"),
        ((1, 1, 4), {"size": 2, "mode": "linear", "antialias": True}, ValueError, "got mode="),
        ((1, 1, 4, 4), {"size": 2, "mode": "area", "antialias": True}, ValueError, "antialias"),
        ((1, 1, 2, 4, 4), {"size": 2, "mode": "bilinear", "antialias": True}, ValueError, "4-D"),
        ((1, 1, 4), {"size": 2, "mode": "area", "align_corners": True}, ValueError, "can only"),
        ((1, 1, 4, 4), {"size": -1, "mode": "area"}, ValueError, "output_size"),
    ],
)
def test_interpolate_new_modes_reject_bad_arguments(backend, shape, kwargs, error, message):
    x = backend.asarray(np.zeros(shape))
    with pytest.raises(Exception):  # noqa: B017, PT011 - PyTorch refuses it too, in its words
        TF.interpolate(torch.zeros(shape), **kwargs)
    with pytest.raises(error, match=message):
        K.interpolate(x, **kwargs)
    with pytest.raises(error, match=message):
        K.interpolate_backward(x, x, **kwargs)


def test_interpolate_new_modes_reject_bad_grad_output(backend):
    x = backend.asarray(np.zeros((1, 1, 4, 4)))
    for kwargs in ({"mode": "bicubic"}, {"mode": "area"}, {"mode": "bicubic", "antialias": True}):
        with pytest.raises(ValueError, match="grad_output must have the shape"):
            K.interpolate_backward(backend.asarray(np.zeros((1, 1, 3, 3))), x, size=2, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scale_factor": 2, "mode": "bicubic"},
        {"size": (5, 3), "mode": "bicubic", "align_corners": True},
        {"scale_factor": 0.5, "mode": "area"},
        {"size": 2, "mode": "area"},
    ],
)
def test_upsample_new_modes_match_torch(backend, kwargs):
    module, reference = nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    assert repr(module) == repr(reference)
    x = random_input((2, 3, 4, 6), 0)
    tensor = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    output = module(tensor)
    grad = random_input(tuple(output.shape), 1)
    output.backward(backend.asarray(grad))
    expected = torch.tensor(x, requires_grad=True)
    result = reference(expected)
    result.backward(torch.tensor(grad))
    assert_close(backend.to_host(output.array), result.detach().numpy(), np.float64)
    assert_close(backend.to_host(tensor.grad.array), expected.grad.numpy(), np.float64, "grad")


def test_interpolate_antialias_through_autograd(backend):
    x = random_input((1, 2, 9, 8), 0)
    tensor = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    nn.functional.interpolate(tensor, size=(4, 3), mode="bicubic", antialias=True).sum().backward()
    reference = torch.tensor(x, requires_grad=True)
    TF.interpolate(reference, size=(4, 3), mode="bicubic", antialias=True).sum().backward()
    assert_close(backend.to_host(tensor.grad.array), reference.grad.numpy(), np.float64, "grad")
