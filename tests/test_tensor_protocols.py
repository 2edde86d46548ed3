"""Python's protocols on Tensors as PyTorch's (``xpnet/_tensor_protocols.py``): ``len``,
iteration and format specs, and ``-x`` of a bool tensor; each checked against torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet

CALLS = {
    "len": lambda m, t: len(t),
    "iterate": lambda m, t: [row.tolist() for row in t],
    "format 0-d": lambda m, t: f"{t.sum():.3f} {t[0, 0]:+.1e} {t.sum():>10.2f}",
    "format empty spec": lambda m, t: f"{t[0].detach().float()}",
    "format int": lambda m, t: f"{t.long().sum():04d}",
    "row nodes": lambda m, t: [row.grad_fn.name() for row in t * 2],
}
REFUSED = {
    "len of 0-d": (lambda t: len(t.sum()), TypeError, "len\\(\\) of a 0-d tensor"),
    "iterate 0-d": (lambda t: list(t.sum()), TypeError, "iteration over a 0-d tensor"),
    "format spec of 1-d": (lambda t: f"{t[0]:.2f}", TypeError, "unsupported format string"),
    "negate bools": (lambda t: -(t > 0), RuntimeError, "negation"),
}


def _tensor(module, backend=None):
    values = [[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]]
    if module is torch:
        return torch.tensor(values, dtype=torch.float64, requires_grad=True)
    return xpnet.Tensor(backend.asarray(values), requires_grad=True)


@pytest.mark.parametrize("name", list(CALLS))
def test_protocols_match_torch(backend, name):
    ours = CALLS[name](xpnet, _tensor(xpnet, backend))
    assert ours == CALLS[name](torch, _tensor(torch))


@pytest.mark.parametrize("name", list(REFUSED))
def test_protocols_refuse_what_torch_refuses(backend, name):
    call, error, match = REFUSED[name]
    with pytest.raises(error, match=match):
        call(_tensor(xpnet, backend))
    with pytest.raises(error):
        call(_tensor(torch))


def test_iterated_rows_are_views_refused_in_place_while_recorded(backend):
    """Rows come from unbind: a recorded in-place change of one is PyTorch's error too."""
    for tensor in (_tensor(xpnet, backend), _tensor(torch)):
        row = next(iter(tensor * 1))
        with pytest.raises(RuntimeError):
            row.mul_(2.0)
    with xpnet.no_grad():
        plain = xpnet.Tensor(backend.asarray([[1.0, 2.0], [3.0, 4.0]]))
        for row in plain:
            row.mul_(2.0)
    assert plain.tolist() == [[2.0, 4.0], [6.0, 8.0]]


@pytest.mark.parametrize(
    ("statement", "dtype", "other"),
    [("x //= o", "float32", 2), ("x //= o", "int64", 2), ("x %= o", "int64", 3),
     ("x **= o", "float64", 2), ("x <<= o", "int64", 1), ("x >>= o", "int64", 1)],
)  # fmt: skip
def test_in_place_operators_change_the_tensor_itself_as_torch(backend, statement, dtype, other):
    """``//=``, ``%=``, ``**=``, ``<<=`` and ``>>=`` had no ``__i*__``: Python rebound ``x`` to a
    new tensor, so its views and other names (a module's parameter) kept the old values."""
    results = []
    for module in (torch, xpnet):
        x = module.tensor([7, -7], dtype=getattr(module, dtype))
        if module is xpnet:
            x = xpnet.Tensor(backend.asarray(x.numpy()))
        alias, view = x, x[:1]
        scope = {"x": x, "o": other}
        exec(statement, scope)  # noqa: S102 - the statement under test
        assert scope["x"] is alias
        results.append((alias.tolist(), view.tolist(), alias._version))
    assert results[0] == results[1]


def test_copy_of_a_number_as_torch(backend):
    for dtype, number in (("bool", 2), ("uint8", 300), ("int64", 2.7), ("float32", float("inf"))):
        ours = xpnet.Tensor(backend.asarray(np.zeros(2, dtype=dtype))).copy_(number)
        assert ours.tolist() == torch.zeros(2, dtype=getattr(torch, dtype)).copy_(number).tolist()
