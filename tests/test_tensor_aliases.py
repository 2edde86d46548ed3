"""Recorded in-place changes of tensors that share their array outside the graph
(``detach()``, ``view(dtype)``) against PyTorch in float64: every alias sees the new value,
as PyTorch's in-place ops write the shared storage, and the gradients stay those of the old
value's history."""

from __future__ import annotations

import pytest
import torch

import xpnet


def _detached_then_changed(m, f64):
    b = m.tensor([1.0, 2.0, 3.0], dtype=f64)
    w = m.tensor([2.0, 3.0, 4.0], dtype=f64, requires_grad=True)
    d = b.detach()
    d.mul_(w)
    d.sum().backward()
    return b, d, w.grad


def _base_changed(m, f64):
    a = m.tensor([1.0, 2.0, 3.0], dtype=f64, requires_grad=True)
    w = m.tensor([2.0, 3.0, 4.0], dtype=f64, requires_grad=True)
    b = a * 1.0
    d = b.detach()
    b.mul_(w)
    (b * b).sum().backward()
    return d, a.grad, w.grad


def _view_of_base_changed(m, f64):
    a = m.tensor([1.0, 2.0, 3.0], dtype=f64, requires_grad=True)
    w = m.tensor([3.0, 4.0], dtype=f64, requires_grad=True)
    x = a * 1.0
    d = x.detach()
    x[1:].mul_(w)
    (x * x).sum().backward()
    return d, x, a.grad, w.grad


def _view_detached_then_view_changed(m, f64):
    a = m.tensor([1.0, 2.0, 3.0], dtype=f64, requires_grad=True)
    w = m.tensor([3.0, 4.0], dtype=f64, requires_grad=True)
    x = a * 1.0
    v = x[1:]
    d = v.detach()
    v.mul_(w)
    (x * x).sum().backward()
    return d, x, a.grad, w.grad


def _alias_changed_by_itself(m, f64):
    a = m.tensor([1.0, 2.0, 3.0], dtype=f64, requires_grad=True)
    x = a * 1.0
    d = x.detach()
    x.add_(x)
    (x * x).sum().backward()
    return d, a.grad


def _alias_changed_by_the_base(m, f64):
    a = m.tensor([1.0, 2.0, 3.0], dtype=f64, requires_grad=True)
    w = m.tensor([2.0, 3.0, 4.0], dtype=f64, requires_grad=True)
    x = a * 1.0
    d = x.detach()
    d.mul_(w)
    (d * x).sum().backward()  # x holds d's new value, cut from its history
    return x, a.grad, w.grad


def _transposed_alias(m, f64):
    b = m.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=f64)
    w = m.tensor([2.0, 3.0], dtype=f64, requires_grad=True)
    d = b.detach().t()
    d.mul_(w)
    d.sum().backward()
    return b, w.grad


CASES = {
    "detach() result changed": _detached_then_changed,
    "base changed": _base_changed,
    "view of the base changed": _view_of_base_changed,
    "view's detach() result then the view changed": _view_detached_then_view_changed,
    "x.add_(x)": _alias_changed_by_itself,
    "the alias changed, the base read": _alias_changed_by_the_base,
    "view of a detach() result changed": _transposed_alias,
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_recorded_change_reaches_every_alias_as_torch(backend, case):
    expected = [t.tolist() for t in CASES[case](torch, torch.float64)]
    actual = [xpnet.as_tensor(t).tolist() for t in CASES[case](xpnet, xpnet.float64)]
    assert actual == expected


def test_an_op_that_read_an_alias_refuses_its_backward_as_torch(backend):
    for module, error in ((torch, "modified by an inplace operation"), (xpnet, "changed by an")):
        a = module.tensor([1.0, 2.0], dtype=module.float64, requires_grad=True)
        c = module.tensor([1.0, 1.0], dtype=module.float64, requires_grad=True)
        x = a * 1.0
        y = x.detach() * c  # saves the alias, whose array x's change writes
        x.mul_(c)
        with pytest.raises(RuntimeError, match=error):
            y.sum().backward()


def test_an_op_that_read_the_changed_tensor_keeps_the_old_value(backend):
    """Where PyTorch refuses (``y`` saved ``b``), xpnet's ``y`` still has its gradient: the
    old value went to a copy, as it goes to the kept array without aliases."""
    a = xpnet.tensor([1.0, 2.0, 3.0], dtype=xpnet.float64, requires_grad=True)
    b = a * 1.0
    y = b * b
    d = b.detach()
    b.mul_(xpnet.tensor([2.0, 3.0, 4.0], dtype=xpnet.float64, requires_grad=True))
    y.sum().backward()
    assert a.grad.tolist() == [2.0, 4.0, 6.0]
    assert d.tolist() == [2.0, 6.0, 12.0]


def test_a_dtype_view_sees_a_recorded_change_as_torch(backend):
    results = []
    for module in (torch, xpnet):
        a = module.tensor([1.0, -2.0], dtype=module.float32, requires_grad=True)
        x = a * 1.0
        bits = x.view(module.int32)
        x.mul_(module.tensor([2.0, 2.0], dtype=module.float32, requires_grad=True))
        results.append(bits.tolist())
    assert results[0] == results[1]
