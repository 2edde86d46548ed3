"""Regression tests for the core refusals the 2026-12-07 audit's helpers found apart from
PyTorch 2.13: an integer input to a float kernel (PyTorch's ``NotImplementedError`` "not
implemented for 'Long'"), an integer Tensor asked to require gradients (its
``RuntimeError``), and an unknown keyword of a functional op, whose ``TypeError`` names the
function as Python's own for a direct call.

PyTorch is the oracle: each case runs on both libraries, and xpnet's exception must be an
instance of PyTorch's class (xpnet's are also the ``TypeError`` of its convention).
"""

from __future__ import annotations

import pytest
import torch

import xpnet
from xpnet.kernels import UnsupportedDtypeError

F_CALLS = {
    "mse_loss": lambda lib, x: lib.nn.functional.mse_loss(x, x),
    "gelu": lambda lib, x: lib.nn.functional.gelu(x),
    "layer_norm": lambda lib, x: lib.nn.functional.layer_norm(x, (2,)),
    "softplus": lambda lib, x: lib.nn.functional.softplus(x),
}


@pytest.mark.parametrize("name", sorted(F_CALLS))
def test_integer_input_to_a_float_kernel_is_torchs_error(name):
    call = F_CALLS[name]
    with pytest.raises(RuntimeError) as expected:
        call(torch, torch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(expected.type) as raised:
        call(xpnet, xpnet.tensor([[1, 2], [3, 4]]))
    assert isinstance(raised.value, TypeError)  # xpnet's convention for a wrong kind
    assert "floating-point" in str(raised.value)


MAKERS = {
    "constructor": lambda lib: lib.tensor([1, 2], requires_grad=True),
    "requires_grad_": lambda lib: lib.tensor([1, 2]).requires_grad_(),
    "zeros": lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_integer_tensor_requiring_grad_is_torchs_runtime_error(name):
    with pytest.raises(RuntimeError, match="floating point"):
        MAKERS[name](torch)
    with pytest.raises(RuntimeError, match="floating-point") as raised:
        MAKERS[name](xpnet)
    assert isinstance(raised.value, UnsupportedDtypeError)
    with pytest.raises(RuntimeError):
        xpnet.Tensor(xpnet.tensor([1, 2]).array, requires_grad=True)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.nn.functional.nll_loss(
            lib.zeros(2, 3), lib.tensor([0, 1]), label_smoothing=0.1
        ),
        lambda lib: lib.nn.functional.relu(lib.zeros(2), alpha=1.0),
    ],
    ids=["nll_loss", "relu"],
)
def test_unknown_keyword_names_the_function(call):
    with pytest.raises(TypeError) as expected:
        call(torch)
    name = str(expected.value).split("(")[0]
    with pytest.raises(TypeError, match=rf"^{name}\(\) got an unexpected keyword argument"):
        call(xpnet)
