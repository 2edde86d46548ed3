"""conv_transpose1d/2d/3d (kernels, autograd, ConvTranspose1d/2d/3d) against PyTorch autograd
(float64, float32) and finite differences; the adjoint identity with conv."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, check_finite_differences, random_input
from test_nn import check_module

import xpnet.kernels as K
import xpnet.nn as nn

# (input shape, weight shape, stride, padding, output_padding, groups, dilation, with bias)
CASES = {
    1: [
        ((2, 4, 5), (4, 3, 3), 1, 0, 0, 1, 1, True),
        ((2, 4, 5), (4, 3, 3), 2, 1, 1, 2, 1, False),
        ((2, 3, 6), (3, 2, 4), 3, 2, 2, 1, 2, True),
        ((2, 3, 4), (3, 2, 3), 1, 2, 1, 1, 2, True),  # output_padding >= stride (< dilation)
        ((3, 5), (3, 2, 1), 1, 0, 0, 1, 1, True),  # unbatched, pointwise
    ],
    2: [
        ((2, 4, 4, 5), (4, 3, 3, 3), 1, 1, 0, 1, 1, True),
        ((2, 4, 4, 3), (4, 3, 3, 2), (2, 3), (1, 0), (1, 2), 2, 1, True),
        ((1, 2, 3, 4), (2, 2, 3, 3), 2, 0, 0, 1, (2, 1), False),
        ((1, 2, 3, 3), (2, 2, 2, 2), 1, 1, 1, 1, 2, True),  # output_padding >= stride
        ((0, 2, 3, 3), (2, 1, 3, 3), 2, 1, 1, 2, 1, True),  # empty batch
    ],
    3: [
        ((2, 2, 3, 4, 3), (2, 3, 3, 3, 3), 1, 1, 0, 1, 1, True),
        ((1, 4, 3, 3, 2), (4, 1, 2, 3, 2), (2, 1, 2), (0, 1, 1), (1, 0, 1), 2, 1, True),
        ((2, 3, 3, 2), (2, 2, 2, 2, 2), 2, 0, 0, 1, (1, 2, 1), False),  # unbatched
        ((0, 2, 3, 2, 2), (2, 3, 2, 2, 2), (1, 2, 1), 1, 0, 1, 1, True),  # empty batch
    ],
}
ALL_CASES = [(nd, case) for nd, cases in CASES.items() for case in cases]


def _inputs(input_shape, weight_shape, groups, with_bias):
    bias = random_input((weight_shape[1] * groups,), seed=2) if with_bias else None
    return [random_input(input_shape, seed=0), random_input(weight_shape, seed=1), bias]


def _present(grads, *inputs):
    return tuple(g for g, x in zip(grads, inputs, strict=True) if x is not None)


@pytest.mark.parametrize("nd, case", ALL_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_transpose_matches_torch(backend, nd, case, dtype):
    input_shape, weight_shape, *args, with_bias = case
    forward = getattr(K, f"conv_transpose{nd}d")
    backward = getattr(K, f"conv_transpose{nd}d_backward")
    check_against_torch(
        lambda x, w, b: forward(x, w, b, *args),
        lambda g, x, w, b: _present(backward(g, x, w, b, *args), x, w, b),
        lambda x, w, b: getattr(TF, f"conv_transpose{nd}d")(x, w, b, *args),
        _inputs(input_shape, weight_shape, args[3], with_bias),
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_is_the_adjoint_of_conv(backend, nd):
    """<conv(y), x> == <y, conv_transpose(x)> for the same weight and arguments."""
    x = backend.asarray(random_input((2, 4, *(3,) * nd), seed=3))
    weight = backend.asarray(random_input((4, 2, *(3,) * nd), seed=4))
    options = {"stride": 2, "padding": 1, "dilation": 1, "groups": 2}
    y_shape = (2, 4, *(6,) * nd)  # conv of 6 with stride 2, padding 1 -> 3
    y = backend.asarray(random_input(y_shape, seed=5))
    transposed = K.__dict__[f"conv_transpose{nd}d"](x, weight, output_padding=1, **options)
    convolved = K.__dict__[f"conv{nd}d"](y, weight, **options)
    assert transposed.shape == y_shape
    left = float(backend.to_host((convolved * x).sum()))
    right = float(backend.to_host((y * transposed).sum()))
    assert abs(left - right) <= 1e-12 * max(1.0, abs(left))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_every_formula_matches_torch(backend, nd):
    """col2im (stride 2) and the correlation with flipped filters (stride 1) under every 2-D
    formula that can run them."""
    for algorithms in (["im2col", "pointwise"], ["im2col_per_row", "im2col"], ["fourier"]):
        for grad_input in ("col2im", "correlation"):
            with K.conv_algorithms(algorithms, set_priority=True, grad_input=grad_input):
                test_conv_transpose_matches_torch(backend, nd, CASES[nd][0], np.float64)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_finite_differences(backend, nd):
    forward = getattr(K, f"conv_transpose{nd}d")
    backward = getattr(K, f"conv_transpose{nd}d_backward")
    options = (2, 1, 1, 2, 1)  # stride, padding, output_padding, groups, dilation
    check_finite_differences(
        lambda x, w, b: forward(x, w, b, *options),
        lambda g, x, w, b: backward(g, x, w, b, *options),
        _inputs((1, 2, *(2,) * nd), (2, 1, *(2,) * nd), 2, True),
        backend,
    )


def test_conv_transpose2d_backward_output_mask(backend):
    input_shape, weight_shape, *args, _ = CASES[2][1]
    x, w, b = (backend.asarray(a) for a in _inputs(input_shape, weight_shape, args[3], True))
    grad = backend.asarray(random_input(K.conv_transpose2d(x, w, b, *args).shape, seed=3))
    full = K.conv_transpose2d_backward(grad, x, w, b, *args)
    for mask in [(True, False, False), (False, True, False), (False, False, True)]:
        masked = K.conv_transpose2d_backward(grad, x, w, b, *args, output_mask=mask)
        for wanted, everything, result in zip(mask, full, masked, strict=True):
            if wanted:
                np.testing.assert_allclose(backend.to_host(result), backend.to_host(everything))
            else:
                assert result is None


ERRORS = [
    ("conv_transpose1d", (2, 3, 4, 5), (3, 2, 3), {}, ValueError,
     r"conv_transpose1d: input must have 2 or 3 dimensions \(N, C_in, L\)"),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3), {}, ValueError,
     r"conv_transpose2d: weight must have 4 dimensions \(C_in, C_out / groups, kH, kW\)"),
    ("conv_transpose3d", (1, 3, 4, 4, 4), (2, 2, 3, 3, 3), {}, ValueError,
     r"conv_transpose3d: input has 3 channels but weight \(C_in, C_out / groups, \.\.\.\) "
     r"expects 2"),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), {"groups": 2}, ValueError,
     r"conv_transpose2d: groups must be a positive int dividing the input channels \(3\)"),
    ("conv_transpose2d", (1, 2, 4, 4), (2, 1, 3, 3), {"groups": True}, TypeError,
     r"conv_transpose2d: groups must be an int, got bool True"),
    ("conv_transpose1d", (1, 0, 3), (0, 1, 1), {}, ValueError,
     r"conv_transpose1d: weight must have at least one input channel, got shape \(0, 1, 1\)"),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), {"stride": 2, "output_padding": 2},
     ValueError, r"conv_transpose2d: output_padding must be smaller than either stride or "
     r"dilation, got output_padding=\(2, 2\), stride=\(2, 2\), dilation=\(1, 1\)"),
    ("conv_transpose1d", (1, 3, 2), (3, 2, 3), {"padding": 3}, ValueError,
     r"conv_transpose1d: the output size \(-2,\) .* must be positive"),
    ("conv_transpose3d", (1, 3, 4, 4, 4), (3, 2, 3, 3, 3), {"stride": (1, 2)}, TypeError,
     r"conv_transpose3d: stride must be an int or a tuple of 3 ints"),
    ("conv_transpose1d", (1, 3, 4), (3, 2, 3), {"padding": "same"}, TypeError,
     r"conv_transpose1d: padding must be an int or a tuple of 1 ints"),
    ("conv_transpose1d", (1, 3, 4), (3, 2, 3), {"output_padding": -1}, ValueError,
     r"conv_transpose1d: output_padding must be at least 0"),
]  # fmt: skip


@pytest.mark.parametrize("name, input_shape, weight_shape, kwargs, error, message", ERRORS)
def test_conv_transpose_rejects_bad_arguments(
    backend, name, input_shape, weight_shape, kwargs, error, message
):
    x, w = backend.asarray(np.zeros(input_shape)), backend.asarray(np.zeros(weight_shape))
    with pytest.raises(error, match=message):
        getattr(K, name)(x, w, **kwargs)
    with pytest.raises(error, match=message.replace(f"{name}:", f"{name}_backward:")):
        getattr(K, f"{name}_backward")(x, x, w, **kwargs)


def test_conv_transpose_rejects_bad_dtypes_bias_and_grad(backend):
    x = backend.asarray(np.zeros((1, 3, 4, 4), dtype=np.int64))
    w = backend.asarray(np.zeros((3, 2, 3, 3)))
    with pytest.raises(TypeError, match=r"conv_transpose2d: input must be a floating-point"):
        K.conv_transpose2d(x, w)
    x = backend.asarray(np.zeros((1, 3, 4, 4)))
    bias = backend.asarray(np.zeros(3))
    with pytest.raises(ValueError, match=r"conv_transpose2d: bias must have shape \(2,\)"):
        K.conv_transpose2d(x, w, bias)
    with pytest.raises(
        ValueError,
        match=r"conv_transpose2d_backward: grad_output must have the shape of the forward's "
        r"output \(1, 2, 6, 6\)",
    ):
        K.conv_transpose2d_backward(backend.asarray(np.zeros((1, 2, 5, 5))), x, w)


@pytest.mark.parametrize(
    "module, args, kwargs, shape",
    [
        ("ConvTranspose1d", (4, 6, 3),
         {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, (2, 4, 5)),
        ("ConvTranspose2d", (3, 2, (3, 2)),
         {"stride": 2, "bias": False, "dilation": (1, 2)}, (2, 3, 3, 4)),
        ("ConvTranspose3d", (2, 3, 2), {"stride": 2}, (1, 2, 2, 3, 2)),
    ],
)  # fmt: skip
def test_conv_transpose_modules_match_torch(backend, module, args, kwargs, shape):
    ours, theirs = getattr(nn, module)(*args, **kwargs), getattr(torch.nn, module)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight.shape == tuple(theirs.weight.shape)  # (C_in, C_out / groups, *k)
    check_module(ours, theirs, shape, backend)


def test_conv_transpose2d_module_output_size_and_init(backend):
    ours = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2).to(backend.name)
    theirs = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2)
    x = random_input((1, 4, 5, 5), seed=1).astype(np.float32)
    assert ours(backend.asarray(x), output_size=(10, 9)).shape == (1, 6, 10, 9)
    assert theirs(torch.tensor(x), output_size=(10, 9)).shape == (1, 6, 10, 9)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: output_size must be between 9 and 10"):
        ours(backend.asarray(x), output_size=(11, 9))
    bound = 1 / np.sqrt(3 * 9)  # PyTorch's fan-in of this layout: C_out / groups * kH * kW
    weight = ours.weight.numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert np.abs(ours.bias.numpy()).max() <= bound
    with pytest.raises(ValueError, match=r"ConvTranspose2d: padding must be an int or a tuple"):
        nn.ConvTranspose2d(4, 6, 3, padding="same")


@pytest.mark.parametrize(
    "input_shape, weight_shape, kwargs",
    [
        ((1, 1, 1), (1, 1, 2), {"output_padding": 1, "dilation": 2}),
        ((1, 2, 3), (2, 1, 3), {"stride": 1, "output_padding": 1, "dilation": 2, "padding": 1}),
        ((1, 2, 2, 3), (2, 2, 2, 2), {"stride": (1, 2), "output_padding": (2, 1), "dilation": 3}),
        (
            (2, 3, 3, 1, 3),
            (3, 1, 1, 1, 1),
            {"stride": (1, 2, 3), "padding": 1, "groups": 3}
            | {"output_padding": (1, 2, 2), "dilation": (2, 3, 1)},
        ),
    ],
)
def test_conv_transpose_output_padding_past_the_input_is_exact(
    backend, input_shape, weight_shape, kwargs
):
    """Found by a random comparison: with output_padding >= stride the adjoint convolution
    has windows past the input, which were fed zeros, so an inf or NaN weight (forward) or
    gradient (grad_weight) made NaN of outputs PyTorch keeps finite; and a 3-D one whose
    windows reach no output raised a reshape error."""
    nd = len(input_shape) - 2
    x = random_input(input_shape, seed=0)
    weight = random_input(weight_shape, seed=1)
    if getattr(backend, "host_reads_free", False):  # strict does not read the weight: NaN
        weight.reshape(-1)[0] = np.nan  # borders there (docs/kernels.md)
    grad = random_input(TF_OUTPUT[nd](torch.tensor(x), torch.tensor(weight), **kwargs).shape, 2)
    grad.reshape(-1)[-1] = np.inf
    check_against_torch(
        lambda a, w: getattr(K, f"conv_transpose{nd}d")(a, w, **kwargs),
        lambda g, a, w: getattr(K, f"conv_transpose{nd}d_backward")(g, a, w, **kwargs)[:2],
        lambda a, w: TF_OUTPUT[nd](a, w, **kwargs),
        [x, weight],
        backend,
        grad_output=grad,
    )


TF_OUTPUT = {nd: getattr(TF, f"conv_transpose{nd}d") for nd in (1, 2, 3)}


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("transposed", [False, True])
def test_conv_rejects_arrays_that_do_not_fit_before_allocating(
    backend, monkeypatch, nd, transposed
):
    """conv{nd}d and conv_transpose{nd}d, forward and backward: MemoryError naming the
    output's and the padded input's bytes, before NumPy's allocator (or a padded copy) runs."""
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    x = backend.asarray(np.ones((1, 1) + (4,) * nd))
    w = backend.asarray(np.ones((1, 1) + (3,) * nd))
    output = forward(x, w, padding=1)
    grad = backend.xp.ones_like(output)
    monkeypatch.setattr(backend, "free_memory", lambda: 64)  # 10 elements need 80
    message = rf"{name}: arrays of shape .* \(padded\) would need \d+ bytes.*than the 64 bytes"
    with pytest.raises(MemoryError, match=message):
        forward(x, w, padding=1)
    with pytest.raises(MemoryError, match=message.replace(name, f"{name}_backward", 1)):
        backward(grad, x, w, padding=1)


def test_conv_huge_padding_stride_and_channels_fail_at_once(backend):
    """What NumPy once failed to allocate (or xpnet allocated before its budget error): a
    padding of 20000, a stride of 12000 (a 36003^2 output), 1e9 broadcast channels."""
    x, w = backend.asarray(np.ones((1, 1, 4, 4))), backend.asarray(np.ones((1, 1, 3, 3)))
    with pytest.raises(MemoryError, match=r"conv2d: arrays of shape \(1, 1, 400002, 400002\)"):
        K.conv2d(x, w, padding=200000)
    with pytest.raises(MemoryError, match=r"conv_transpose2d: .* \(1, 1, 360003, 360003\)"):
        K.conv_transpose2d(x, w, stride=120000)
    one = backend.asarray(np.ones(()))
    wide = backend.xp.broadcast_to(one, (1, 10**9, 3, 3))
    with pytest.raises(MemoryError, match=r"conv_transpose2d: .*\(1, 1000000000, 3, 3\)"):
        K.conv_transpose2d(backend.xp.broadcast_to(one, (1, 1, 1, 1)), wide)
