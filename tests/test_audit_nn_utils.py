"""Regression tests for what a differential audit of ``xpnet.nn.utils`` against PyTorch 2.13
found (2026-12-07): the total norm of a one-element gradient (PyTorch's ``|x|`` fast path, no
overflow through the square), ``get_total_norm([])`` in the default dtype, ``pad_sequence``'s
``padding_value`` checked against the sequences' dtype (NaN, inf, out of an integer range:
PyTorch's RuntimeError, not a NumPy RuntimeWarning), ``vector_to_parameters`` slicing ``vec``
along its first dimension and refusing integer data for parameters that require gradients,
the hook form of ``spectral_norm`` refusing a ``dim`` its ``permute`` cannot take, and the
BatchNorm fusions refusing channels that do not broadcast and folding a zero or negative
variance into inf or NaN without a NumPy warning.

PyTorch is the oracle: each case runs on both libraries, float64; a refusal must be PyTorch's
class with a message naming the function and the argument. Every body runs on numpy and strict.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet
import xpnet.nn as nn
from xpnet.backends import raise_deferred
from xpnet.nn.utils import (
    clip_grad_norm_,
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_weights,
    get_total_norm,
    spectral_norm,
    vector_to_parameters,
)
from xpnet.nn.utils.rnn import pad_sequence


def _host(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return xpnet.to_numpy(getattr(value, "array", value))


# 1. the total norm of one element is |x|, as PyTorch's fast path: 1e200 does not overflow
@pytest.mark.parametrize("norm_type", [2.0, 3.0])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_total_norm_of_one_element_does_not_overflow(shape, norm_type, backend):
    value = np.full(shape, -1e200)
    theirs = torch.nn.Parameter(torch.tensor(value))
    theirs.grad = torch.tensor(value)
    ours = nn.Parameter(xpnet.tensor(value))
    ours.grad = xpnet.tensor(value).array
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = clip_grad_norm_(ours, 1.0, norm_type)
        raise_deferred()
    np.testing.assert_allclose(_host(total), _host(expected), rtol=1e-12)
    np.testing.assert_allclose(_host(ours.grad), _host(theirs.grad), rtol=1e-12)
    assert np.isfinite(_host(total))


def test_total_norm_of_no_tensors_is_in_the_default_dtype(backend):
    previous = xpnet.get_default_dtype()
    xpnet.set_default_dtype(xpnet.float64)
    try:
        total = get_total_norm([])
    finally:
        xpnet.set_default_dtype(previous)
    assert total.dtype == xpnet.float64
    assert float(total) == 0.0


# 2. pad_sequence's padding_value must fit the sequences' dtype, as PyTorch's fill
PADDINGS = [
    ("int64", float("nan")),
    ("int64", float("inf")),
    ("int32", 2.0**40),
    ("uint8", -1.0),
    ("int8", 300),
    ("float16", 1e30),
]


@pytest.mark.parametrize("lengths", [(2, 1), (2, 2)])
@pytest.mark.parametrize(("dtype", "value"), PADDINGS)
def test_pad_sequence_refuses_padding_values_its_dtype_cannot_hold(dtype, value, lengths, backend):
    def sequences(lib):
        return [lib.ones(n, dtype=getattr(lib, dtype)) for n in lengths]

    with pytest.raises(RuntimeError):
        torch.nn.utils.rnn.pad_sequence(sequences(torch), padding_value=value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeError, match="pad_sequence: padding_value"):
            pad_sequence(sequences(xpnet), padding_value=value)
            raise_deferred()


@pytest.mark.parametrize("value", [1 + 2j, None, "0"])
def test_pad_sequence_refuses_padding_values_that_are_not_real(value, backend):
    with pytest.raises(TypeError):
        torch.nn.utils.rnn.pad_sequence([torch.ones(2)], padding_value=value)
    with pytest.raises(TypeError, match="pad_sequence: padding_value"):
        pad_sequence([xpnet.ones(2)], padding_value=value)


# 3. vector_to_parameters: vec[pointer:pointer + n] along dim 0, then viewed, as PyTorch's
def _vector_to_parameters(lib, vec, requires_grad=True):
    parameter = torch.nn.Parameter if lib is torch else nn.Parameter
    params = [
        parameter(lib.zeros(2, dtype=lib.float64), requires_grad=requires_grad),
        parameter(lib.zeros(1, 2, dtype=lib.float64), requires_grad=requires_grad),
    ]
    put = torch.nn.utils.vector_to_parameters if lib is torch else vector_to_parameters
    put(lib.tensor(np.asarray(vec).tolist()), params)  # xpnet: on the current backend
    return [_host(p) for p in params], [str(p.dtype).split(".")[-1] for p in params]


@pytest.mark.parametrize("shape", [(1, 4), (2, 2), (2, 4)])
def test_vector_to_parameters_slices_vec_along_its_first_dimension(shape, backend):
    vec = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    with pytest.raises(RuntimeError):
        _vector_to_parameters(torch, vec)
    with pytest.raises(
        RuntimeError, match=r"vector_to_parameters: vec .* sliced along dimension 0"
    ):
        _vector_to_parameters(xpnet, vec)


def test_vector_to_parameters_refuses_a_0d_vec(backend):
    with pytest.raises(IndexError):
        _vector_to_parameters(torch, np.float64(1.0))
    with pytest.raises(IndexError, match="vector_to_parameters: vec"):
        _vector_to_parameters(xpnet, np.float64(1.0))


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_vector_to_parameters_refuses_integer_data_for_trained_parameters(dtype, backend):
    vec = np.ones(4, dtype=dtype)
    with pytest.raises(RuntimeError):
        _vector_to_parameters(torch, vec)
    with pytest.raises(RuntimeError, match=r"vector_to_parameters: vec of dtype .* requires"):
        _vector_to_parameters(xpnet, vec)
    ours, theirs = (_vector_to_parameters(lib, vec, False) for lib in (xpnet, torch))
    assert ours[1] == theirs[1]  # without gradients the parameters take vec's dtype


# 4. the hook form of spectral_norm: PyTorch's permute refuses a negative or too large dim
@pytest.mark.parametrize("dim", [-1, -2, 2, -3])
def test_hook_spectral_norm_refuses_dims_as_torch(dim, backend):
    with pytest.raises(RuntimeError):
        torch.nn.utils.spectral_norm(torch.nn.Linear(4, 3), dim=dim)
    layer = nn.Linear(4, 3)
    with pytest.raises(RuntimeError, match="spectral_norm: dim must be in"):
        spectral_norm(layer, dim=dim)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


# 5. the BatchNorm fusions: channels that do not broadcast, zero and negative variances
@pytest.mark.parametrize(("cls", "transpose"), [("Conv2d", True), ("ConvTranspose2d", False)])
def test_fuse_conv_bn_refuses_channels_that_do_not_match(cls, transpose, backend):
    def modules(lib):
        conv = getattr(lib.nn, cls)(2, 3, 3).double().eval()
        return conv, lib.nn.BatchNorm2d(3).double().eval()

    with pytest.raises(RuntimeError):
        torch.nn.utils.fuse_conv_bn_eval(*modules(torch), transpose=transpose)
    with pytest.raises(RuntimeError, match="fuse_conv_bn_weights: the BatchNorm's 3 channels"):
        fuse_conv_bn_eval(*modules(xpnet), transpose=transpose)


def test_fuse_linear_bn_weights_refuses_channels_that_do_not_match(backend):
    ones = np.ones(3)
    with pytest.raises(RuntimeError):
        torch.nn.utils.fuse_linear_bn_weights(
            *(torch.tensor(a) for a in (np.ones((2, 4)), np.ones(2), ones, ones)),
            1e-5,
            torch.tensor(ones),
            torch.tensor(ones),
        )
    with pytest.raises(RuntimeError, match="fuse_linear_bn_weights: the BatchNorm's 3 channels"):
        fuse_linear_bn_weights(np.ones((2, 4)), np.ones(2), ones, ones, 1e-5, ones, ones)


@pytest.mark.parametrize(
    ("variance", "eps"), [([-1.0, 1.0, 1.0], 1e-5), ([-1e-5, 1.0, 1.0], 1e-5), ([0.0] * 3, 0.0)]
)
def test_fuse_conv_bn_weights_folds_degenerate_variances_as_torch(variance, eps, backend):
    def run(lib):
        weight, mean = lib.ones(3, 2, 1, dtype=lib.float64), lib.zeros(3, dtype=lib.float64)
        fuse = torch.nn.utils.fuse_conv_bn_weights if lib is torch else fuse_conv_bn_weights
        var = lib.tensor(variance, dtype=lib.float64)
        return [_host(p) for p in fuse(weight, None, mean, var, eps, None, None)]

    expected = run(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = run(xpnet)
        raise_deferred()
    for ours, theirs in zip(got, expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)
