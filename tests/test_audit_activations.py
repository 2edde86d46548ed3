"""Regression tests for the differences from PyTorch 2.13 that the 2026-12-07 audit of the
activations and the softmax family found: second derivatives at kinks and at NaN or infinite
inputs (``selu``, ``celu``, ``hardswish``, ``softsign``), the classes of the errors for a
``dim`` out of range (PyTorch's IndexError) and a ``gelu`` ``approximate`` that is not a
string (its TypeError), and ``nn.Hardtanh`` refusing bounds that are not increasing when built.

PyTorch is the oracle: each case runs on both libraries; a refusal must be an instance of
PyTorch's class with a message naming the function and the argument, a value PyTorch's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import raise_deferred

# the second derivatives that differed: at the kink 0 of selu and celu (PyTorch's
# elu_double_backward masks with x < 0) and at NaN (NaN there), hardswish's at NaN (0: its
# formula masks with -3 < x < 3), softsign's at +-inf (NaN, as its first); 64 of each input,
# so that PyTorch's vectorised kernels (not its scalar tail) give the reference
SECOND = {
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, alpha=0.5),
    "celu_negative_alpha": lambda F, x: F.celu(x, alpha=-2.0),
    "hardswish": lambda F, x: F.hardswish(x),
    "softsign": lambda F, x: F.softsign(x),
}
ELU_EDGES = [0.0, -0.0, np.nan]
SECOND_CASES = [
    (name, edge) for name in ("selu", "celu", "celu_negative_alpha") for edge in ELU_EDGES
]
SECOND_CASES += [("hardswish", np.nan), ("softsign", np.inf), ("softsign", -np.inf)]


def _derivatives(lib, call, values):
    """The function, its first derivative (recorded: create_graph) and its second, as NumPy."""
    x = lib.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning may leak from xpnet
        y = call(lib.nn.functional, x)
        (first,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (second,) = lib.autograd.grad(first.sum(), x)
    return [np.asarray(t.detach().numpy(), dtype=np.float64) for t in (y, first, second)]


@pytest.mark.parametrize(("name", "edge"), SECOND_CASES)
def test_second_derivative_at_kinks_and_non_finite_inputs_is_torchs(backend, name, edge):
    values = np.full(64, edge)
    expected = _derivatives(torch, SECOND[name], values)
    got = _derivatives(xpnet, SECOND[name], values)
    for order, (want, have) in enumerate(zip(expected, got, strict=True)):
        np.testing.assert_allclose(have, want, rtol=1e-12, atol=0, err_msg=f"order {order}")


def test_second_derivatives_of_selu_celu_and_softsign_agree_with_torch_elsewhere(backend):
    values = np.linspace(-4, 4, 33)
    for name, call in SECOND.items():
        expected = _derivatives(torch, call, values)
        got = _derivatives(xpnet, call, values)
        for want, have in zip(expected, got, strict=True):
            np.testing.assert_allclose(have, want, rtol=1e-10, atol=1e-12, err_msg=name)


DIM_CALLS = {
    "softmax": lambda F, x: F.softmax(x, 2),
    "log_softmax": lambda F, x: F.log_softmax(x, -3),
    "softmin": lambda F, x: F.softmin(x, 2),
    "glu": lambda F, x: F.glu(x, 2),
}


@pytest.mark.parametrize("name", sorted(DIM_CALLS))
def test_dim_out_of_range_is_torchs_index_error(backend, name):
    call = DIM_CALLS[name]
    with pytest.raises(IndexError):
        call(torch.nn.functional, torch.ones(2, 4))
    with pytest.raises(IndexError, match=rf"{name}: dim must be an axis of input of shape"):
        call(xpnet.nn.functional, xpnet.ones(2, 4))
        raise_deferred()
    # still the ValueError of every other bad argument of a kernel
    with pytest.raises(ValueError, match=rf"{name}: dim"):
        call(xpnet.nn.functional, xpnet.ones(2, 4))


def test_softmax_module_dim_out_of_range_is_an_index_error(backend):
    with pytest.raises(IndexError):
        torch.nn.Softmax(dim=1)(torch.ones(3))
    with pytest.raises(IndexError, match="softmax: dim"):
        xpnet.nn.Softmax(dim=1)(xpnet.ones(3))


@pytest.mark.parametrize("approximate", [None, True, 0])
def test_gelu_approximate_not_a_string_is_torchs_type_error(backend, approximate):
    with pytest.raises(TypeError):
        torch.nn.functional.gelu(torch.ones(2), approximate=approximate)
    with pytest.raises(TypeError, match="gelu: approximate must be a str"):
        xpnet.nn.functional.gelu(xpnet.ones(2), approximate=approximate)


@pytest.mark.parametrize("bounds", [(2.0, -2.0), (1.0, 1.0), (0, 0)])
def test_hardtanh_module_refuses_bounds_that_do_not_increase(backend, bounds):
    with pytest.raises(AssertionError):
        torch.nn.Hardtanh(*bounds)
    with pytest.raises(AssertionError, match=r"max_val \(.*\) must be greater than min_val"):
        xpnet.nn.Hardtanh(*bounds)
    with pytest.raises(ValueError, match="Hardtanh: max_val"):  # xpnet's convention too
        xpnet.nn.Hardtanh(*bounds)
    # what PyTorch builds: a NaN bound, and the function's equal bounds
    for good in [(-1.0, 1.0), (float("nan"), 1.0)]:
        assert repr(xpnet.nn.Hardtanh(*good)) == repr(torch.nn.Hardtanh(*good))
    out = xpnet.nn.functional.hardtanh(xpnet.tensor([1.0, 3.0]), 2.0, 2.0)
    assert out.numpy().tolist() == [2.0, 2.0]


# a number argument beyond the range of the dtype PyTorch converts it to: its RuntimeError
# "value cannot be converted to type float without overflow" (float32 for float16 inputs,
# but hardtanh's bounds are converted to the input's own dtype)
OVERFLOW = {
    "leaky_relu": (lambda F, x, v: F.leaky_relu(x, v), "negative_slope"),
    "elu": (lambda F, x, v: F.elu(x, v), "alpha"),
    "celu": (lambda F, x, v: F.celu(x, v), "alpha"),
    "softplus": (lambda F, x, v: F.softplus(x, v), "beta"),
    "softplus_threshold": (lambda F, x, v: F.softplus(x, 1.0, v), "threshold"),
    "hardtanh": (lambda F, x, v: F.hardtanh(x, -1.0, v), "max_val"),
    "hardtanh_min": (lambda F, x, v: F.hardtanh(x, -v, 1.0), "min_val"),
    "rrelu": (lambda F, x, v: F.rrelu(x, 0.1, v), "upper"),
}


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name", sorted(OVERFLOW))
def test_number_argument_beyond_the_dtype_is_refused_as_torch(backend, name, dtype):
    call, argument = OVERFLOW[name]
    data = np.array([-2.0, 0.0, 3.0], dtype=dtype)
    where = name.split("_")[0] if name.startswith(("softplus", "hardtanh")) else name
    with pytest.raises(RuntimeError, match="without overflow"):
        call(torch.nn.functional, torch.tensor(data), 1e40)
    with pytest.raises(RuntimeError, match=rf"{where}: {argument} must fit in"):
        call(xpnet.nn.functional, xpnet.tensor(data), 1e40)
        raise_deferred()


def test_float16_bounds_of_hardtanh_are_float16_the_other_arguments_float32(backend):
    data = np.array([-2.0, 0.0, 3.0], dtype=np.float16)
    for name, (call, argument) in OVERFLOW.items():
        if name.startswith("hardtanh"):
            with pytest.raises(RuntimeError, match="without overflow"):
                call(torch.nn.functional, torch.tensor(data), 1e5)
            with pytest.raises(RuntimeError, match=rf"hardtanh: {argument} must fit in float16"):
                call(xpnet.nn.functional, xpnet.tensor(data), 1e5)
            continue
        expected = call(torch.nn.functional, torch.tensor(data), 1e5).numpy()
        got = call(xpnet.nn.functional, xpnet.tensor(data), 1e5).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-3, err_msg=name)
    # float64 inputs take any float
    wide = xpnet.nn.functional.hardtanh(
        xpnet.tensor([1.0, 3.0], dtype=xpnet.float64), -1e300, 1e300
    )
    assert wide.numpy().tolist() == [1.0, 3.0]


@pytest.mark.parametrize("bound", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("training", [False, True])
def test_rrelu_refuses_bounds_that_are_not_finite_as_torch(backend, bound, training):
    for lower, upper, name in [(bound, 0.3, "lower"), (-1.0, bound, "upper")]:
        if name == "upper" and bound == -float("inf"):
            continue  # lower > upper first: another message, both libraries
        with pytest.raises(RuntimeError, match=rf"rrelu: {name} bound must be finite"):
            torch.nn.functional.rrelu(torch.ones(2), lower, upper, training)
        with pytest.raises(RuntimeError, match=rf"rrelu: {name} bound must be finite"):
            xpnet.nn.functional.rrelu(xpnet.ones(2), lower, upper, training)
        with pytest.raises(ValueError, match=rf"rrelu: {name} bound"):  # xpnet's convention
            xpnet.nn.RReLU(lower, upper)(xpnet.ones(2))


@pytest.mark.parametrize("alpha", [float("nan"), float("inf"), -float("inf")])
def test_celu_keeps_signed_zeros_for_any_alpha_as_torch(backend, alpha):
    data = np.array([0.0, -0.0, 1.5] * 32)
    expected = torch.nn.functional.celu(torch.tensor(data), alpha).numpy()
    got = xpnet.nn.functional.celu(xpnet.tensor(data), alpha).numpy()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
