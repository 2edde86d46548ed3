"""Regression tests for the unary and logical elementwise differences from PyTorch 2.13 the
2026-12-07 audit found: bitwise operations of floats (PyTorch's ``NotImplementedError``
"not implemented for 'Float'", and ``~``'s ``TypeError``), logical operations of shapes that
do not broadcast (PyTorch's ``RuntimeError``, not NumPy's ``ValueError``) or of arrays on two
backends (a ``TypeError`` naming the argument, not NumPy's from inside),
``float_power``'s exponent refused in its own name; ``log``/``log2``/``log10`` gradients
that divide the upstream gradient as PyTorch's (``grad / a`` is finite in float16 where
``1 / a`` overflows), and float16 ``sinc`` computed in float32 (PyTorch's opmath:
``sinc(1)`` is 0, not ``sin(float16(pi)) / pi``).

PyTorch is the oracle: each case runs on both libraries, and xpnet's exception must be an
instance of PyTorch's class with a message naming the function and the argument.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import to_backend

BITWISE_OF_FLOATS = {
    "bitwise_not": lambda lib, x: lib.bitwise_not(x),
    "bitwise_not_": lambda lib, x: x.bitwise_not_(),
    "__and__": lambda lib, x: x & x,
    "bitwise_and": lambda lib, x: lib.bitwise_and(x, 1),
    "__or__": lambda lib, x: x.long() | 1.5,
    "bitwise_xor": lambda lib, x: lib.bitwise_xor(x.long(), x),
    "__ixor__": lambda lib, x: x.__ixor__(x.long()),
}


@pytest.mark.parametrize("name", sorted(BITWISE_OF_FLOATS))
def test_bitwise_of_floats_is_torchs_not_implemented_error(name, backend):
    call = BITWISE_OF_FLOATS[name]
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        call(torch, torch.tensor([1.0, 2.0]))
    x = xpnet.Tensor(to_backend(np.array([1.0, 2.0], dtype=np.float32)))
    with pytest.raises(NotImplementedError, match="bitwise operations take bool or integer"):
        call(xpnet, x)
    with pytest.raises(TypeError):  # xpnet's convention for a wrong kind (``~`` is PyTorch's too)
        call(xpnet, x)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_of_shapes_that_do_not_broadcast_is_torchs_runtime_error(name, backend):
    a, b = np.array([1.0, 0.0]), np.array([1.0, 0.0, 2.0])
    with pytest.raises(RuntimeError) as expected:
        getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    ours = xpnet.Tensor(to_backend(a)), xpnet.Tensor(to_backend(b))
    for call in (getattr(xpnet, name), getattr(xpnet.Tensor, name)):
        with pytest.raises(expected.type, match=r"size of tensor a \(2\) must match .* \(3\)"):
            call(*ours)
    # shapes that broadcast still do, to PyTorch's values
    wide = np.array([[0.0], [3.0]])
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(wide))
    result = getattr(xpnet, name)(ours[0], xpnet.Tensor(to_backend(wide)))
    assert result.dtype == np.bool_ and result.tolist() == theirs.tolist()


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_of_two_backends_names_the_argument(name):
    x = xpnet.Tensor(to_backend(np.array([1.0, 0.0]), "numpy"))
    other = xpnet.Tensor(to_backend(np.array([1.0, 1.0]), "strict"))
    with pytest.raises(TypeError, match=rf"Tensor\.{name}: all arrays must be on one backend"):
        getattr(xpnet, name)(x, other)


@pytest.mark.parametrize("exponent", ["a", None, (2,)], ids=["str", "None", "tuple"])
def test_float_power_refuses_an_exponent_in_its_own_name(exponent, backend):
    with pytest.raises(TypeError):
        torch.float_power(torch.tensor([2.0]), exponent)
    x = xpnet.Tensor(to_backend(np.array([2.0])))
    for call in (xpnet.float_power, xpnet.Tensor.float_power):
        with pytest.raises(TypeError, match="float_power: exponent must be a number or a Tensor"):
            call(x, exponent)


@pytest.mark.parametrize("name", ["log", "log2", "log10"])
def test_log_gradients_divide_as_torchs_in_float16(name, backend):
    values = np.array([6e-6, 1e-5, 3e-5, 0.5], dtype=np.float16)
    upstream = np.array([-0.25, 0.125, 1.0, -1.0], dtype=np.float16)
    theirs = torch.tensor(values, requires_grad=True)
    getattr(torch, name)(theirs).backward(torch.tensor(upstream))
    ours = xpnet.Tensor(to_backend(values), requires_grad=True)
    getattr(xpnet, name)(ours).backward(xpnet.Tensor(to_backend(upstream)))
    assert ours.grad.dtype == np.float16
    np.testing.assert_allclose(ours.grad.tolist(), theirs.grad.tolist(), rtol=2e-3)


def test_sinc_of_float16_is_computed_in_float32(backend):
    values = np.array([1.0, -2.0, 0.5, 0.0, 65504.0, 3.25], dtype=np.float16)
    theirs = torch.sinc(torch.tensor(values))
    ours = xpnet.sinc(xpnet.Tensor(to_backend(values)))
    assert ours.dtype == np.float16
    np.testing.assert_allclose(ours.tolist(), theirs.tolist(), rtol=1e-3, atol=1e-7)
