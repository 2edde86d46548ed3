"""Regression tests for the strides, views and memory formats the audit checked against
PyTorch 2.13 (2026-12-08): ``view`` refusing a shape its input's strides cannot give (and
``view()`` with nothing), ``view(dtype)``'s storage-offset check, ``contiguous`` refusing
``preserve_format`` for a tensor that would need a copy, ``preserve_format`` copies
(``clone``, ``empty_like``, ``zeros_like``, ..., the dtype shortcuts) keeping the order of
their input's strides, and ``Tensor.is_set_to``.

PyTorch is the oracle: each case runs on both libraries; strides are compared exactly on
shapes without dimensions of length 1 (where NumPy and PyTorch pick their own steps).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet

# (2, 3, 4, 5) data laid out in ways PyTorch's preserve_format treats differently
LAYOUTS = {
    "transposed": lambda M, t: t.transpose(1, 3),  # dense: its strides are kept
    "permuted": lambda M, t: t.permute(3, 1, 0, 2),
    "channels_last": lambda M, t: t.contiguous(memory_format=M.channels_last),
    "stepped": lambda M, t: t[:, :, ::2].transpose(0, 3),  # not dense: its order is kept
    "cl_stepped": lambda M, t: t.contiguous(memory_format=M.channels_last)[:, ::2],
    "expanded": lambda M, t: t[:, :, :1].expand(2, 3, 4, 5).transpose(0, 2),
}


def _both(layout: str):
    values, make = np.arange(120.0).reshape(2, 3, 4, 5), LAYOUTS[layout]
    return make(xpnet, xpnet.tensor(values)), make(torch, torch.tensor(values))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("copy", ["clone", "empty_like", "zeros_like", "rand_like", "double"])
def test_preserve_format_copies_keep_the_order_of_strides(backend, layout, copy):
    ours, theirs = _both(layout)

    def run(M, t):
        if copy == "clone":
            return t.clone()
        if copy == "double":  # a cast: float16 first, so that double() copies
            return t.half().double()
        return getattr(M, copy)(t, memory_format=M.preserve_format)

    got, want = run(xpnet, ours), run(torch, theirs)
    assert got.stride() == want.stride()
    if copy in ("clone", "double"):
        assert got.tolist() == want.tolist()


def test_preserve_format_clone_keeps_a_gap_s_order_and_the_gradient(backend):
    values = np.random.default_rng(0).standard_normal((3, 4, 5))
    ours = xpnet.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    weights = np.arange(60.0).reshape(5, 4, 3)[::2]
    results = []
    for x, M in ((ours, xpnet), (theirs, torch)):
        y = x.permute(2, 1, 0)[::2].clone()
        (y * M.tensor(weights)).sum().backward()
        results.append(y.stride())
    assert results[0] == results[1] == (1, 3, 12)
    assert np.array_equal(np.asarray(ours.grad.tolist()), theirs.grad.numpy())


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_to_a_dtype_in_contiguous_format_is_contiguous(backend, layout):
    ours, theirs = _both(layout)
    got = ours.int(memory_format=xpnet.contiguous_format)
    want = theirs.int(memory_format=torch.contiguous_format)
    assert got.stride() == want.stride() and got.is_contiguous()
    assert got.tolist() == want.tolist()


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda M: M.arange(6.0).reshape(2, 3).t(), (6,)),
        (lambda M: M.arange(6.0).reshape(2, 3).t(), (2, 3)),
        (lambda M: M.arange(12.0).reshape(4, 3)[::2], (6,)),
        (lambda M: M.arange(3.0).expand(2, 3), (6,)),
        (lambda M: M.arange(24.0).reshape(2, 3, 4).permute(1, 0, 2), (6, 4)),
    ],
)
def test_view_refuses_what_the_strides_cannot_give(backend, make, shape):
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        make(torch).view(*shape)
    with pytest.raises(RuntimeError, match=r"Tensor\.view: view size is not compatible"):
        make(xpnet).view(*shape)
    _view_writes_through(make, (*make(torch).shape, 1))  # its own shape: no refusal


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda M: M.arange(6.0).reshape(2, 3).t(), (3, 1, 2)),
        (lambda M: M.arange(24.0).reshape(2, 3, 4).permute(1, 0, 2), (3, 2, 2, 2)),
        (lambda M: M.arange(24.0).reshape(4, 6)[:, :4], (2, 2, 2, 2)),
        (lambda M: M.arange(12.0).reshape(3, 4)[:, 1:].t(), (3, 3, 1)),
        (lambda M: M.arange(3.0).expand(2, 3), (2, 1, 3)),
    ],
)
def test_view_that_the_strides_give_writes_through(backend, make, shape):
    _view_writes_through(make, shape)
    with pytest.raises(RuntimeError, match=r"Tensor\.view: view size is not compatible"):
        make(xpnet).view(-1, 1)  # joining the dimensions their strides keep apart
    assert xpnet.zeros(0, 3).t().view(0).shape == tuple(torch.zeros(0, 3).t().view(0).shape)


def _view_writes_through(make, shape) -> None:
    results = []
    for M in (torch, xpnet):
        x = make(M)
        y = x.view(*shape)
        if y.numel() and 0 not in y.stride():  # (an expanded tensor refuses writes)
            y[(-1,) * y.ndim] = -7.0  # the last element, written through the view
        results.append((tuple(y.shape), y.tolist(), x.tolist()))
    assert results[0] == results[1]


def test_view_without_a_shape_is_refused(backend):
    with pytest.raises(TypeError):
        torch.zeros(2).view()
    with pytest.raises(TypeError, match=r"Tensor\.view: missing the new shape"):
        xpnet.zeros(2).view()


def test_view_as_a_larger_dtype_checks_the_storage_offset(backend):
    with pytest.raises(RuntimeError, match="storage_offset"):
        torch.arange(8.0)[1:7].view(torch.float64)
    with pytest.raises(RuntimeError, match=r"Tensor\.view: .*storage offset must be divisible"):
        xpnet.arange(8.0)[1:7].view(xpnet.float64)
    ours, theirs = (M.arange(8.0)[2:6].view(M.float64).tolist() for M in (xpnet, torch))
    assert ours == theirs


def test_view_as_a_smaller_dtype_takes_an_expanded_length_one_dimension(backend):
    ours = xpnet.tensor([1.0]).expand(1).view(xpnet.int16)
    theirs = torch.tensor([1.0]).expand(1).view(torch.int16)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_contiguous_refuses_preserve_format_where_it_would_copy(backend, layout):
    ours, theirs = _both(layout)
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
        theirs.contiguous(memory_format=torch.preserve_format)
    with pytest.raises(RuntimeError, match=r"Tensor\.contiguous: preserve memory format"):
        ours.contiguous(memory_format=xpnet.preserve_format)
    x = xpnet.zeros(2, 3)
    assert x.contiguous(memory_format=xpnet.preserve_format) is x


def test_is_set_to_as_torch(backend):
    def cases(M):
        x = M.arange(6.0).reshape(2, 3)
        e = M.zeros(0)
        return [
            x.is_set_to(x), x.is_set_to(x.view(6).view(2, 3)), x.is_set_to(x.t()),
            x.is_set_to(x.clone()), x[1:].is_set_to(x[1:]), x[1:].is_set_to(x),
            e.is_set_to(e), e.is_set_to(M.zeros(0)), x.is_set_to(x.view(M.int32)),
            x.is_set_to(x.detach()), x.is_set_to(x.reshape(3, 2)),
        ]  # fmt: skip

    assert cases(xpnet) == cases(torch)
    with pytest.raises(TypeError, match=r"Tensor\.is_set_to: tensor must be a Tensor"):
        xpnet.zeros(2).is_set_to([1.0])
