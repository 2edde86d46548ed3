"""conv1d and conv3d (kernels, autograd, Conv1d/Conv3d) against PyTorch autograd (float64,
float32) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, check_finite_differences, random_input
from test_nn import check_module

import xpnet
import xpnet.kernels as K
import xpnet.nn as nn

# PyTorch warns that it copies the input for 'same' with an even kernel; that is its business
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

# (input shape, weight shape, stride, padding, dilation, groups, with bias)
CASES = {
    1: [
        ((2, 3, 9), (4, 3, 3), 1, 0, 1, 1, True),
        ((2, 4, 11), (6, 2, 3), 2, 1, 2, 2, False),
        ((2, 4, 8), (4, 1, 4), 1, "same", 1, 4, True),  # depthwise, even kernel
        ((2, 3, 8), (2, 3, 3), (3,), "valid", [2], 1, True),
        ((3, 5), (2, 3, 1), 1, 0, 1, 1, True),  # unbatched, pointwise
        ((0, 3, 5), (2, 3, 3), 1, 1, 1, 1, True),  # empty batch
    ],
    3: [
        ((2, 3, 5, 6, 5), (4, 3, 3, 3, 3), 1, 1, 1, 1, True),
        ((1, 4, 6, 5, 7), (6, 2, 3, 2, 3), (2, 1, 2), (1, 0, 2), (1, 2, 1), 2, False),
        ((2, 2, 4, 5, 4), (2, 2, 2, 3, 2), 1, "same", 2, 1, True),
        ((2, 3, 4, 4, 4), (5, 3, 1, 1, 1), 1, 0, 1, 1, True),  # pointwise
        ((3, 4, 5, 4), (2, 3, 2, 2, 2), 2, 0, 1, 1, True),  # unbatched
        ((0, 2, 3, 4, 5), (4, 2, 2, 3, 2), (1, 2, 1), 1, 1, 1, True),  # empty batch
    ],
}


def _inputs(input_shape, weight_shape, with_bias):
    bias = random_input(weight_shape[:1], seed=2) if with_bias else None
    return [random_input(input_shape, seed=0), random_input(weight_shape, seed=1), bias]


def _present(grads, *inputs):
    return tuple(g for g, x in zip(grads, inputs, strict=True) if x is not None)


def _check(backend, nd, case, dtype=np.float64):
    input_shape, weight_shape, *args, with_bias = case
    forward, backward = getattr(K, f"conv{nd}d"), getattr(K, f"conv{nd}d_backward")
    check_against_torch(
        lambda x, w, b: forward(x, w, b, *args),
        lambda g, x, w, b: _present(backward(g, x, w, b, *args), x, w, b),
        lambda x, w, b: getattr(TF, f"conv{nd}d")(x, w, b, *args),
        _inputs(input_shape, weight_shape, with_bias),
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("nd, case", [(nd, case) for nd, cases in CASES.items() for case in cases])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_nd_matches_torch(backend, nd, case, dtype):
    _check(backend, nd, case, dtype)


@pytest.mark.parametrize("nd", [1, 3])
def test_conv_nd_every_formula_matches_torch(backend, nd):
    """The 2-D formula under the 1-D and 3-D kernels does not matter: each one gives torch's."""
    case = CASES[nd][0]
    for algorithms in (["im2col", "pointwise"], ["im2col_per_row", "im2col"], ["fourier"]):
        if nd == 1 and algorithms[0] == "im2col_per_row":
            continue  # one-row planes: no kernel row to split
        with K.conv_algorithms(algorithms, set_priority=True):
            _check(backend, nd, case)


@pytest.mark.parametrize("nd", [1, 3])
def test_conv_nd_finite_differences(backend, nd):
    shapes = {1: ((1, 2, 6), (2, 1, 3)), 3: ((1, 2, 3, 4, 3), (2, 1, 2, 2, 2))}
    x_shape, w_shape = shapes[nd]
    forward, backward = getattr(K, f"conv{nd}d"), getattr(K, f"conv{nd}d_backward")
    options = (2, 1, 1, 2)  # stride, padding, dilation, groups
    check_finite_differences(
        lambda x, w, b: forward(x, w, b, *options),
        lambda g, x, w, b: backward(g, x, w, b, *options),
        _inputs(x_shape, w_shape, True),
        backend,
    )


@pytest.mark.parametrize("nd", [1, 3])
def test_conv_nd_backward_output_mask(backend, nd):
    input_shape, weight_shape, *args, _ = CASES[nd][1]
    x, w, b = (backend.asarray(a) for a in _inputs(input_shape, weight_shape, True))
    forward, backward = getattr(K, f"conv{nd}d"), getattr(K, f"conv{nd}d_backward")
    grad = backend.asarray(random_input(forward(x, w, b, *args).shape, seed=3))
    full = backward(grad, x, w, b, *args)
    for mask in [(True, False, False), (False, True, False), (False, False, True)]:
        masked = backward(grad, x, w, b, *args, output_mask=mask)
        for wanted, everything, result in zip(mask, full, masked, strict=True):
            if wanted:
                np.testing.assert_allclose(backend.to_host(result), backend.to_host(everything))
            else:
                assert result is None


ERRORS = [
    ("conv1d", (5, 5, 5, 5), (2, 5, 3), {}, ValueError,
     r"conv1d: input must have 2 or 3 dimensions \(N, C, L\) or \(C, L\), got shape"),
    ("conv1d", (1, 3, 5), (2, 3, 3, 3), {}, ValueError,
     r"conv1d: weight must have 3 dimensions \(C_out, C / groups, kL\)"),
    ("conv3d", (1, 3, 5, 5, 5), (2, 3, 3, 3), {}, ValueError,
     r"conv3d: weight must have 5 dimensions \(C_out, C / groups, kD, kH, kW\)"),
    ("conv3d", (1, 6, 5, 5, 5), (2, 4, 3, 3, 3), {}, ValueError,
     r"conv3d: input has 6 channels but weight expects groups \* C/groups = 1 \* 4 = 4"),
    ("conv3d", (1, 4, 5, 5, 5), (3, 2, 3, 3, 3), {"groups": 2}, ValueError,
     r"conv3d: groups must be a positive int dividing"),
    ("conv1d", (1, 3, 5), (2, 3, 7), {}, ValueError,
     r"conv1d: kernel_size \(dilated: \(7,\)\) must not exceed the padded input size \(5,\)"),
    ("conv3d", (1, 3, 5, 5, 5), (2, 3, 3, 3, 3), {"stride": (1, 2)}, TypeError,
     r"conv3d: stride must be an int or a tuple of 3 ints"),
    ("conv3d", (1, 3, 5, 5, 5), (2, 3, 3, 3, 3), {"padding": "same", "stride": 2}, ValueError,
     r"conv3d: padding='same' needs stride=1"),
    ("conv1d", (1, 3, 5), (2, 3, 3), {"padding": "full"}, ValueError,
     r"conv1d: padding must be an int, a tuple of 1 ints, 'valid' or 'same'"),
    ("conv1d", (1, 3, 5), (2, 3, 3), {"dilation": 0}, ValueError,
     r"conv1d: dilation must be at least 1"),
]  # fmt: skip


@pytest.mark.parametrize("name, input_shape, weight_shape, kwargs, error, message", ERRORS)
def test_conv_nd_rejects_bad_arguments(
    backend, name, input_shape, weight_shape, kwargs, error, message
):
    x, w = backend.asarray(np.zeros(input_shape)), backend.asarray(np.zeros(weight_shape))
    with pytest.raises(error, match=message):
        getattr(K, name)(x, w, **kwargs)
    with pytest.raises(error, match=message.replace(f"{name}:", f"{name}_backward:")):
        getattr(K, f"{name}_backward")(x, x, w, **kwargs)


@pytest.mark.parametrize("nd", [1, 3])
def test_conv_nd_rejects_bad_dtypes_and_memory(backend, nd):
    name = f"conv{nd}d"
    x = backend.asarray(np.zeros((2, 3, *(6,) * nd), dtype=np.int32))
    w = backend.asarray(np.zeros((4, 3, *(3,) * nd)))
    with pytest.raises(TypeError, match=rf"{name}: input must be a floating-point array"):
        getattr(K, name)(x, w)
    with pytest.raises(TypeError, match=rf"{name}: weight must have the dtype of input"):
        getattr(K, name)(x.astype(np.float32), w)
    xpnet.set_memory_budget(100)
    try:
        with pytest.raises(MemoryError, match=rf"{name}: one sample needs \d+ bytes"):
            getattr(K, name)(x.astype(np.float64), w)
    finally:
        xpnet.set_memory_budget(None)  # the default, as test_conv.py restores it


@pytest.mark.parametrize(
    "module, args, kwargs, shape",
    [
        ("Conv1d", (3, 4, 3), {}, (2, 3, 7)),
        ("Conv1d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2, "bias": False}, (2, 4, 9)),
        ("Conv3d", (2, 4, 3), {"padding": "same"}, (1, 2, 4, 5, 4)),
        (
            "Conv3d",
            (4, 2, (2, 3, 1)),
            {"stride": 2, "dilation": (1, 1, 2), "groups": 2},
            (4, 5, 6, 5),
        ),
    ],
)
def test_conv_nd_modules_match_torch(backend, module, args, kwargs, shape):
    ours, theirs = getattr(nn, module)(*args, **kwargs), getattr(torch.nn, module)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight.shape == tuple(theirs.weight.shape)
    check_module(ours, theirs, shape, backend)


@pytest.mark.parametrize("module", ["Conv1d", "Conv3d"])
def test_conv_nd_module_init_bounds_and_errors(module):
    layer = getattr(nn, module)(6, 4, 3, groups=2)
    nd = int(module[-2])
    bound = 1 / np.sqrt(3 * 3**nd)  # fan_in = C_in / groups * prod(k)
    for param in (layer.weight, layer.bias):
        values = param.numpy()
        assert values.dtype == np.float32 and np.abs(values).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.9 * bound  # 108 or more draws fill the range
    with pytest.raises(ValueError, match=rf"{module}: in_channels must be divisible by groups"):
        getattr(nn, module)(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=rf"{module}: padding_mode must be one of"):
        getattr(nn, module)(3, 4, 3, padding_mode="wrap")


# (module, input shape, kernel, padding, dilation, stride): ints, pairs, 'same', 'valid'
PADDED_CONVS = [
    ("Conv1d", (2, 3, 9), 3, 2, 1, 1),
    ("Conv1d", (2, 3, 9), 4, "same", 2, 1),
    ("Conv2d", (2, 3, 7, 6), 3, (1, 2), 1, 2),
    ("Conv2d", (2, 3, 7, 6), (2, 3), "same", (1, 2), 1),
    ("Conv2d", (3, 7, 6), 3, 1, 1, 1),
    ("Conv2d", (2, 3, 7, 6), 3, "valid", 1, 1),
    ("Conv3d", (1, 2, 5, 4, 6), 3, (1, 0, 2), 1, 1),
]


@pytest.mark.parametrize("padding_mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("module, shape, kernel, padding, dilation, stride", PADDED_CONVS)
def test_padding_modes_match_torch(
    backend, padding_mode, module, shape, kernel, padding, dilation, stride
):
    """PyTorch's: pad by ``padding_mode`` first, then convolve without padding."""
    options = {"padding": padding, "dilation": dilation, "stride": stride}
    options["padding_mode"] = padding_mode
    layer = getattr(nn, module)(3 if len(shape) != 5 else 2, 4, kernel, **options).double()
    reference = getattr(torch.nn, module)(layer.in_channels, 4, kernel, **options).double()
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(layer.weight.numpy()))
        reference.bias.copy_(torch.from_numpy(layer.bias.numpy()))
    layer.to(backend.name)
    x = np.random.default_rng(0).standard_normal(shape)
    ours = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, expected = layer(ours), reference(theirs)
    grad = np.random.default_rng(1).standard_normal(tuple(expected.shape))
    out.backward(xpnet.Tensor(backend.asarray(grad)))
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        backend.to_host(ours.grad.array), theirs.grad.numpy(), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        backend.to_host(layer.weight.grad.array),
        reference.weight.grad.numpy(),
        rtol=1e-12,
        atol=1e-12,
    )
    assert repr(layer) == repr(reference)
