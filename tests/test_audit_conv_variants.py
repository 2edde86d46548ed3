"""Regression tests for what the 2026-12-07 audit of the convolution variants (``conv1d``,
``conv3d``, ``conv_transpose1d/2d/3d`` and their layers) found apart from PyTorch 2.13: the
layers' ``_conv_forward(input, weight, bias)``, which subclasses that transform the weight
call (weight standardisation), and an empty transposed-convolution weight (no output channel,
or a kernel size 0), which PyTorch refuses with a ``RuntimeError`` and NumPy's reshape
reached instead.

PyTorch is the oracle: each case runs on both libraries; a refusal must be an instance of
PyTorch's class with a message naming the function and the argument, a value PyTorch's.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import xpnet

MODES = ("zeros", "reflect", "replicate", "circular")


def _pair(nd, **options):
    """The same Conv{nd}d in both libraries, float64, xpnet's with torch's parameters."""
    layer = getattr(torch.nn, f"Conv{nd}d")(2, 4, 3, dtype=torch.float64, **options)
    ours = getattr(xpnet.nn, f"Conv{nd}d")(2, 4, 3, dtype=xpnet.float64, **options)
    ours.load_state_dict({k: v.detach().numpy() for k, v in layer.state_dict().items()})
    return layer, ours


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("mode", MODES)
def test_conv_forward_takes_the_given_weight_and_bias(backend, nd, mode):
    layer, ours = _pair(nd, padding=1, dilation=2, padding_mode=mode)
    x = np.random.default_rng(nd).standard_normal((2, 2, *(5,) * nd))
    scale = np.linspace(0.5, 2.0, layer.weight.numel()).reshape(layer.weight.shape)
    weight, bias = (
        layer.weight.detach() * torch.tensor(scale),
        torch.arange(4.0, dtype=torch.float64),
    )
    expected = layer._conv_forward(torch.tensor(x), weight, bias)
    got = ours._conv_forward(
        xpnet.Tensor(backend.asarray(x)),
        xpnet.Tensor(backend.asarray(weight.numpy())),
        xpnet.Tensor(backend.asarray(bias.numpy())),
    )
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    without_bias = ours._conv_forward(
        xpnet.Tensor(backend.asarray(x[0])), ours.weight, None
    )  # unbatched
    expected = layer._conv_forward(torch.tensor(x[0]), layer.weight, None)
    np.testing.assert_allclose(
        without_bias.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12
    )


def _standardised(lib):
    """A Conv1d whose forward standardises its weight first: what ``_conv_forward`` is for."""

    class Standardised(lib.nn.Conv1d):
        def forward(self, input):
            return self._conv_forward(input, self.weight - self.weight.mean(), self.bias)

    options = {"padding": "same", "padding_mode": "circular", "dtype": lib.float64}
    return Standardised(2, 3, 4, **options)


def test_a_subclass_standardising_its_weight_trains_through_conv_forward(backend):
    layer, ours = _standardised(torch), _standardised(xpnet)
    ours.load_state_dict({k: v.detach().numpy() for k, v in layer.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 2, 6))
    layer(torch.tensor(x)).square().sum().backward()
    ours(xpnet.Tensor(backend.asarray(x))).square().sum().backward()
    for name in ("weight", "bias"):
        got, expected = getattr(ours, name).grad, getattr(layer, name).grad
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


EMPTY_WEIGHTS = {
    "no output channel": (1, 0, 3),
    "kernel size 0": (1, 1, 0),
}


def _refused_as_torch(name, input_shape, weight_shape, pattern):
    """``name`` of ones of the two shapes raises on both libraries, xpnet's an instance of
    PyTorch's class with a message matching ``pattern``."""
    with pytest.raises(Exception) as expected:
        getattr(torch.nn.functional, name)(torch.ones(input_shape), torch.ones(weight_shape))
    with pytest.raises(expected.type, match=pattern):
        getattr(xpnet.nn.functional, name)(xpnet.ones(*input_shape), xpnet.ones(*weight_shape))


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("case", sorted(EMPTY_WEIGHTS))
def test_conv_transpose_refuses_an_empty_weight_as_torch(backend, nd, case):
    C_in, per_group, k = EMPTY_WEIGHTS[case]
    input_shape, weight_shape = (1, C_in, *(4,) * nd), (C_in, per_group, *(2,) * (nd - 1), k)
    name = f"conv_transpose{nd}d"
    _refused_as_torch(
        name, input_shape, weight_shape, f"{name}: weight .*{re.escape(str(weight_shape))}"
    )


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_refuses_an_empty_spatial_size_naming_the_input(backend, nd):
    """PyTorch takes an empty batch or channel axis only; the message used to blame a
    padding that was 0 for an output size that was positive."""
    input_shape, weight_shape = (1, 1, *(3,) * (nd - 1), 0), (1, 1, *(2,) * nd)
    name = f"conv_transpose{nd}d"
    pattern = rf"{name}: input must have spatial sizes of at least 1, got \(.*0,?\)"
    _refused_as_torch(name, input_shape, weight_shape, pattern)


@pytest.mark.parametrize(
    "shapes",
    [((1, 1, 5), (0, 1, 3)), ((1, 1, 5, 5), (1, 1, 0, 3)), ((1, 1, 5, 5, 5), (0, 1, 1, 1, 1))],
    ids=["conv1d, no output channel", "conv2d, kernel of 0", "conv3d, no output channel"],
)
def test_conv_weight_without_outputs_is_torchs_error(shapes):
    results = []
    for lib in (torch, xpnet):
        conv = getattr(lib.nn.functional, f"conv{len(shapes[0]) - 2}d")
        with pytest.raises(RuntimeError) as raised:
            conv(lib.ones(*shapes[0]), lib.ones(*shapes[1]))
        results.append(raised.value)
    assert isinstance(results[1], ValueError)  # an ArgumentError, not NumPy's reshape error
    assert "weight" in str(results[1])


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_second_derivatives_with_output_padding_past_stride(nd):
    """``output_padding`` may reach ``dilation - 1``, past ``stride``: the weight gradient's
    convolution of ``grad_output`` then had windows past the last input position (a
    crash). Both gradients and their derivatives are PyTorch's."""
    rng = np.random.default_rng(nd)
    x_values, w_values = (
        rng.standard_normal((1, 2, *(3,) * nd)),
        rng.standard_normal((2, 1, *(2,) * nd)),
    )
    results = []
    for lib in (torch, xpnet):
        x, w = lib.tensor(x_values, requires_grad=True), lib.tensor(w_values, requires_grad=True)
        conv = getattr(lib.nn.functional, f"conv_transpose{nd}d")
        y = conv(x, w, stride=1, padding=1, output_padding=2, dilation=3)
        grads = lib.autograd.grad((y * y).sum(), [x, w], create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), [x, w])
        results.append([np.asarray(t.detach().tolist()) for t in (*grads, *second)])
    for ours, theirs in zip(results[1], results[0], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
