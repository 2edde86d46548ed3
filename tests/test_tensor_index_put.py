"""``scatter_add``, ``index_put`` (with and without ``accumulate``), ``take``,
``tril_indices``/``triu_indices``, ``diagflat``, ``inner`` and ``logspace`` against PyTorch:
values, gradients in float64, in-place forms and argument errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_tensor_method, random_input

import xpnet
from xpnet.backends import backend_of
from xpnet.kernels import ArgumentError

ROWS = np.array([0, 2, 0, 1])
COLS = np.array([1, 1, 1, 3])


def module_of(tensor):
    return torch if isinstance(tensor, torch.Tensor) else xpnet


def index(like, values):
    """An int64 index Tensor beside ``like`` (torch's, or xpnet's on its backend)."""
    if isinstance(like, torch.Tensor):
        return torch.tensor(values)
    return xpnet.Tensor(backend_of(like.array).asarray(np.array(values)))


@pytest.mark.parametrize("accumulate", [True, False])
def test_index_put_matches_torch(backend, accumulate):
    def script(a, v):
        # distinct positions without accumulate: which duplicate wins is unspecified
        rows, cols = (ROWS, COLS) if accumulate else (ROWS[1:], COLS[1:])
        values = v[: len(rows)] * 2.0
        out = (a * 1.0).index_put((index(a, rows), index(a, cols)), values, accumulate)
        hidden = a * 1.0
        hidden.index_put_((index(a, rows),), values[:, None], accumulate=accumulate)
        return out + hidden.sin()

    check_tensor_method(script, [random_input((3, 4)), random_input((4,), seed=2)], backend)


def test_index_put_broadcasts_a_scalar_value_and_checks_arguments(backend):
    ours = xpnet.zeros(3, dtype=xpnet.float64)
    ours.index_put_((xpnet.tensor([0, 0, 2]),), xpnet.tensor(1.5, dtype=xpnet.float64), True)
    theirs = torch.zeros(3, dtype=torch.float64)
    theirs.index_put_((torch.tensor([0, 0, 2]),), torch.tensor(1.5, dtype=torch.float64), True)
    assert ours.tolist() == theirs.tolist()
    with pytest.raises(TypeError, match="index_put: indices must be a non-empty tuple"):
        ours.index_put(xpnet.tensor([0]), xpnet.tensor(1.0, dtype=xpnet.float64))
    with pytest.raises(ArgumentError, match="values must have input's dtype float64"):
        ours.index_put((xpnet.tensor([0]),), xpnet.tensor([1.0]))


def test_scatter_add_and_its_in_place_form_match_torch(backend):
    index_values = np.array([[0, 1, 0], [2, 2, 0]])

    def script(a, src):
        m = module_of(a)
        out = m.scatter_add(a, 1, index(a, index_values), src)
        hidden = a * 1.0
        hidden.scatter_add_(1, index(a, index_values), src * 3.0)
        return out * hidden

    check_tensor_method(script, [random_input((2, 4)), random_input((2, 3), seed=5)], backend)


@pytest.mark.parametrize("name", ["take", "diagflat", "inner"])
def test_take_diagflat_inner_match_torch(backend, name):
    calls = {
        "take": lambda t, u: module_of(t).take(t, index(t, [[5, 0], [11, 5]])) * u[0, 0],
        "diagflat": lambda t, u: module_of(t).diagflat(t[:2], 1) + u[0, 0],
        "inner": lambda t, u: module_of(t).inner(t, u),
    }  # fmt: skip
    check_tensor_method(calls[name], [random_input((3, 4)), random_input((2, 4), seed=6)], backend)


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize(("row", "col", "offset"), [(3, 4, 0), (4, 3, 1), (5, 5, -2), (0, 3, 0)])
def test_triangle_indices_match_torch(name, row, col, offset):
    ours = getattr(xpnet, name)(row, col, offset)
    theirs = getattr(torch, name)(row, col, offset)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == np.int64
    with pytest.raises(TypeError, match=f"{name}: row must be an int"):
        getattr(xpnet, name)(2.0, 3)


@pytest.mark.parametrize(("start", "end", "steps", "base"), [(0, 3, 4, 10.0), (-1, 1, 5, 2.0)])
def test_logspace_matches_torch(start, end, steps, base):
    ours = xpnet.logspace(start, end, steps, base, dtype=xpnet.float64)
    theirs = torch.logspace(start, end, steps, base, dtype=torch.float64)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
    assert xpnet.logspace(0, 1, 2).dtype == np.float32
