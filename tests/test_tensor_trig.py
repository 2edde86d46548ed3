"""Trigonometric, hyperbolic and exp/log functions (``sin`` ... ``atanh``, ``expm1``,
``log1p``, ``log2``, ``log10``, ``exp2``; methods, ``xpnet.<name>`` functions, aliases and
in-place forms) against PyTorch in float64 and float32: values and gradients inside and on
the edges of each domain, special values, result dtypes, no NumPy warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close, check_tensor_method, random_input

import xpnet

# name: the open interval of its domain the generated inputs lie in
DOMAINS = {
    "sin": (-6, 6), "cos": (-6, 6), "tan": (-1.5, 1.5), "asin": (-0.99, 0.99),
    "acos": (-0.99, 0.99), "atan": (-5, 5), "sinh": (-5, 5), "cosh": (-5, 5),
    "asinh": (-5, 5), "acosh": (1.01, 5), "atanh": (-0.99, 0.99), "expm1": (-3, 3),
    "log1p": (-0.99, 5), "log2": (0.01, 5), "log10": (0.01, 5), "exp2": (-5, 5),
}  # fmt: skip
ALIASES = ["arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"]
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, 710.0, -710.0])


@pytest.mark.parametrize("name", DOMAINS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_and_gradients_match_torch(backend, name, dtype):
    low, high = DOMAINS[name]
    x = random_input((4, 5), seed=3, low=low, high=high)
    check_tensor_method(lambda t: getattr(t, name)(), [x], backend, dtype=dtype)
    check_tensor_method(lambda t: getattr(xpnet, name)(t), [x], backend, dtype=dtype,
                        torch_method=getattr(torch, name))  # fmt: skip


@pytest.mark.parametrize("name", DOMAINS)
def test_special_values_match_torch_without_warnings(backend, name):
    ours = xpnet.Tensor(backend.asarray(SPECIAL.copy()), requires_grad=True)
    theirs = torch.tensor(SPECIAL, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = getattr(ours, name)()
        result.sum().backward()
    expected = getattr(theirs, name)()
    expected.sum().backward()
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(xpnet.Tensor(ours.grad).numpy(), theirs.grad.numpy(), rtol=1e-14)


@pytest.mark.parametrize("alias", ALIASES)
def test_numpy_style_aliases_are_the_same_functions(backend, alias):
    x = random_input((3,), seed=4, low=1.1, high=1.5) if alias == "arccosh" else random_input((3,))
    tensor = xpnet.Tensor(backend.asarray(x))
    expected = getattr(torch, alias)(torch.tensor(x)).numpy()
    assert_close(getattr(tensor, alias)().numpy(), expected, np.float64)
    assert_close(getattr(xpnet, alias)(tensor).numpy(), expected, np.float64)


def test_integers_give_the_default_dtype_and_rsqrt_is_a_function(backend):
    ints = xpnet.Tensor(backend.asarray(np.array([1, 2, 4])))
    assert xpnet.sin(ints).dtype == np.float32
    assert ints.log2().tolist() == [0.0, 1.0, 2.0]
    assert xpnet.rsqrt(ints).tolist() == [1.0, torch.rsqrt(torch.tensor(2.0)).item(), 0.5]


@pytest.mark.parametrize(
    "name", ["sin", "acos", "log1p", "cosh"]
)  # (torch: no asinh_, atanh_ grad)
def test_in_place_forms_change_the_tensor_and_record_the_gradient(backend, name):
    x = random_input((2, 3), seed=5, low=-0.9, high=0.9)

    def script(t):
        hidden = t * 1.0
        getattr(hidden, f"{name}_")()
        return hidden

    check_tensor_method(script, [x], backend)


def test_in_place_form_refuses_an_integer_tensor_as_torch(backend):
    ints = xpnet.Tensor(backend.asarray(np.array([1, 2])))
    with pytest.raises(TypeError, match="sin_"):
        ints.sin_()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).sin_()


@pytest.mark.parametrize("eps", [None, 0.2])
def test_logit_matches_torch_with_and_without_clamping(backend, eps):
    x = random_input((3, 4), seed=7, low=0.01, high=0.99)
    check_tensor_method(lambda t: xpnet.logit(t, eps), [x], backend,
                        torch_method=lambda t: torch.logit(t, eps))  # fmt: skip
    check_tensor_method(lambda t: (t * 1.0).logit_(eps), [x], backend,
                        torch_method=lambda t: (t * 1.0).logit_(eps))  # fmt: skip


def test_sinc_matches_torch_at_zero_and_integers(backend):
    x = np.array([0.0, 1.0, -2.0, 0.5, 1e-9, 3.7])
    check_tensor_method(lambda t: t.sinc(), [x], backend)
    check_tensor_method(lambda t: xpnet.sinc(t), [random_input((5,), seed=8)], backend,
                        torch_method=torch.sinc)  # fmt: skip


def test_float_power_computes_in_float64_as_torch(backend):
    base = random_input((4,), seed=9, low=0.5, high=2.0).astype(np.float32)
    ours = xpnet.float_power(xpnet.Tensor(backend.asarray(base)), 2.5)
    theirs = torch.float_power(torch.tensor(base), 2.5)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
    check_tensor_method(lambda a, b: a.float_power(b), [base.astype(np.float64), base[::-1] * 1.0],
                        backend)  # fmt: skip
