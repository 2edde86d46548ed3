"""Regression tests for the core refusals the 2026-12-07 audit's helpers found apart from
PyTorch 2.13: an integer input to a float kernel (PyTorch's ``NotImplementedError`` "not
implemented for 'Long'"), an integer Tensor asked to require gradients (its
``RuntimeError``), an unknown keyword of a functional op, whose ``TypeError`` names the
function as Python's own for a direct call; and what they found outside their areas: shapes
that do not broadcast, random draws of no rows or a bad ``std``, printing, ``i1``'s second
derivative at its limit.

PyTorch is the oracle: each case runs on both libraries, and xpnet's exception must be an
instance of PyTorch's class (xpnet's are also the ``TypeError`` of its convention).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
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


# -- found beside the areas the audit's helpers owned -------------------------------------


def _outcome(call):
    """``("ok", shape, dtype)`` of ``call()``, or ``("raised", RuntimeError-ness)``."""
    try:
        result = call()
        xpnet.backends.raise_deferred()  # strict defers value checks to the next host read
    except Exception as error:  # noqa: BLE001 - the class is what is compared
        return ("raised", isinstance(error, RuntimeError))
    return ("ok", tuple(result.shape), str(result.dtype).split(".")[-1])


RANDOM_CALLS = {
    "multinomial of no rows": lambda lib: lib.multinomial(lib.ones(0, 3), 2),
    "multinomial with replacement": lambda lib: lib.multinomial(lib.ones(0, 3), 2, True),
    "categorical of no rows": lambda lib: lib.distributions.Categorical(
        probs=lib.ones(0, 3)
    ).sample(),
    "normal, negative std": lambda lib: lib.normal(lib.zeros(2), lib.tensor([-1.0, 1.0])),
    "normal, NaN std": lambda lib: lib.normal(lib.zeros(2), lib.tensor([float("nan"), 1.0])),
    "normal, -0.0 std": lambda lib: lib.normal(lib.zeros(2), lib.tensor([-0.0, 1.0])),
    "mvlgamma of bools": lambda lib: lib.special.multigammaln(lib.tensor([True, False]), 1),
    "broadcast (2, 3) (2, 4)": lambda lib: lib.ones(2, 3) * lib.ones(2, 4),
    "broadcast (5, 3, 4) (2, 4)": lambda lib: lib.ones(5, 3, 4) + lib.ones(2, 4),
    "broadcast (3,) (4,) in-place": lambda lib: lib.ones(3).sub(lib.ones(4)),
}


@pytest.mark.parametrize("name", sorted(RANDOM_CALLS))
def test_outcome_is_torchs(name):
    assert _outcome(lambda: RANDOM_CALLS[name](xpnet)) == _outcome(
        lambda: RANDOM_CALLS[name](torch)
    )


def test_broadcast_error_is_torchs_message():
    with pytest.raises(RuntimeError) as expected:
        torch.ones(2, 1, 3) * torch.ones(4, 2)
    with pytest.raises(ValueError, match=f"^{re.escape(str(expected.value))}$"):  # ArgumentError
        xpnet.ones(2, 1, 3) * xpnet.ones(4, 2)


def test_poisson_of_an_infinite_rate_names_the_function():
    # PyTorch wraps to int64's minimum; NumPy's generator refused with "lam value too large"
    with pytest.raises(ValueError, match=r"^poisson: rates must be finite .* got inf"):
        xpnet.poisson(xpnet.tensor([float("inf"), 2.0]))


def test_printing_a_wide_range_warns_nothing():
    values = [1e301, 1e-302]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = repr(xpnet.tensor(values, dtype=xpnet.float64))
    assert text.replace("xpnet", "torch") == repr(torch.tensor(values, dtype=torch.float64))


@pytest.mark.parametrize("name", ["i1", "i1e"])
def test_second_derivative_of_i1_at_its_limit_is_torchs(name):
    values = [float("nan"), 0.0, 1e-20, 1.0, -2.0]
    results = []
    for lib in (torch, xpnet):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (slope,) = lib.autograd.grad(getattr(lib.special, name)(x).sum(), x, create_graph=True)
        (curvature,) = lib.autograd.grad(slope.sum(), x)
        results.append([slope.detach().tolist(), curvature.tolist()])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


SETITEM_MISTAKES = {
    "shape": lambda lib: lib.ones(3, 4, 5).__setitem__(0, lib.ones(3)),
    "shape, recorded": lambda lib: lib.ones(3, requires_grad=True).mul(1).__setitem__(
        0, lib.ones(2)
    ),
    "NaN into int64": lambda lib: lib.zeros(3, dtype=lib.int64).__setitem__(0, float("nan")),
    "1e300 into int64": lambda lib: lib.zeros(3, dtype=lib.int64).__setitem__(0, 1e300),
}


@pytest.mark.parametrize("name", sorted(SETITEM_MISTAKES))
def test_setitem_mistakes_are_torchs_runtime_error(name):
    with pytest.raises(RuntimeError):
        SETITEM_MISTAKES[name](torch)
    with pytest.raises(RuntimeError, match=r"^Tensor.__setitem__: ") as raised:
        SETITEM_MISTAKES[name](xpnet)
    assert isinstance(raised.value, ValueError)  # as NumPy's, which it was



@pytest.mark.parametrize(
    "call",
    [lambda x: x.repeat(1), lambda x: x.repeat(1, 1)[0], lambda x: x.tile((1,))],
    ids=["repeat(1)", "repeat(1, 1)", "tile"],
)
def test_repeat_by_ones_is_a_copy_as_torchs(call):
    for lib in (torch, xpnet):
        x = lib.tensor([1.0, 2.0])
        repeated = call(x)
        x.add_(10)  # the copy keeps the old values
        repeated.add_(1)  # and may be written
        assert repeated.tolist() == [2.0, 3.0]


def test_create_graph_relu_passes_the_gradient_at_nan_as_torch():
    values = [float("nan"), -1.0, 0.0, 2.0]
    grads = []
    for lib in (torch, xpnet):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (grad,) = lib.autograd.grad(lib.nn.functional.relu(x).sum(), x, create_graph=True)
        grads.append(grad.tolist())
    assert grads[1] == grads[0] == [1.0, 0.0, 0.0, 1.0]


def test_create_graph_inf_norm_of_a_nan_row_warns_nothing():
    grads = []
    for lib in (torch, xpnet):
        x = lib.tensor([[-float("inf"), -1.0, float("nan")]], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            norm = x.norm(p=float("inf"), dim=-1)
            (grad,) = lib.autograd.grad(norm.sum(), x, create_graph=True)
        grads.append(grad.tolist())
    assert grads[1] == grads[0]


MORE_CALLS = {
    "randint past uint8": lambda lib: lib.randint(0, 257, (3,), dtype=lib.uint8),
    "randint below uint8": lambda lib: lib.randint(-1, 5, (3,), dtype=lib.uint8),
    "randint past bool": lambda lib: lib.randint(0, 3, (3,), dtype=lib.bool),
    "randint of uint8": lambda lib: lib.randint(0, 256, (3,), dtype=lib.uint8),
    "reshape": lambda lib: lib.zeros(4).reshape(3),
    "view": lambda lib: lib.zeros(4).view(2, 3),
    "fliplr of 1-d": lambda lib: lib.fliplr(lib.zeros(3)),
    "flipud of 0-d": lambda lib: lib.flipud(lib.tensor(1.0)),
}


@pytest.mark.parametrize("name", sorted(MORE_CALLS))
def test_more_outcomes_are_torchs(name):
    assert _outcome(lambda: MORE_CALLS[name](xpnet)) == _outcome(lambda: MORE_CALLS[name](torch))


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linspace(0, float("inf"), 3),
        lambda lib: lib.logspace(0, 1, 5, base=-2.0),
        lambda lib: lib.logspace(float("nan"), 1, 3),
    ],
    ids=["linspace to inf", "logspace of a negative base", "logspace from NaN"],
)
def test_ranges_at_edges_are_torchs_without_warnings(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = call(xpnet).tolist()
    np.testing.assert_array_equal(values, call(torch).tolist())
