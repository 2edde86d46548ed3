"""Products (``einsum``, ``tensordot``, ``outer``/``ger``, ``kron``, ``dot``, ``vdot``, ``mv``,
``addmm``, ``addmv``, ``addbmm``, ``baddbmm``, ``cdist``) against PyTorch autograd in float64
and float32, as ``xpnet.<name>`` functions and methods, with their argument errors, and
einsum against ``tensordot``/``matmul`` on generated shapes.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_no_host_reads, check_tensor_method, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
from xpnet.autograd import Tensor


def einsum(equation):
    def call(*tensors):
        namespace = torch if isinstance(tensors[0], torch.Tensor) else xpnet
        return namespace.einsum(equation, *tensors)

    return call


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("i,j", [(2,), (3,)]),
    ("ijk,k->ij", [(2, 3, 4), (4,)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("...i,i->...", [(3, 4), (4,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("ab,cd->", [(2, 3), (2, 2)]),  # each operand summed over letters only it has
    ("Ab,bA->A", [(3, 2), (2, 3)]),
    ("ij,jk->ik", [(0, 3), (3, 4)]),
    ("ij,jk->ik", [(2, 0), (0, 4)]),
    ("i,i", [(1,), (3,)]),  # a size-1 dim broadcasts
    (",->", [(), ()]),
    ("i , i -> ", [(3,), (3,)]),
]


@pytest.mark.parametrize(("equation", "shapes"), EINSUMS)
def test_einsum_matches_torch(backend, equation, shapes):
    inputs = [random_input(s, seed=i) for i, s in enumerate(shapes)]
    check_tensor_method(einsum(equation), inputs, backend)
    check_tensor_method(einsum(equation), inputs, backend, dtype=np.float32)


def test_einsum_on_non_contiguous_operands_and_a_list(backend):
    def op(a, b):
        if isinstance(a, torch.Tensor):
            return torch.einsum("ij,kj->ik", [a.t(), b[:, ::2]])
        return xpnet.einsum("ij,kj->ik", [a.t(), b[:, ::2]])

    check_tensor_method(op, [random_input((3, 2), seed=1), random_input((4, 6), seed=2)], backend)


CASES = [
    ("tensordot", [(2, 3, 4), (3, 4, 5)], (), {}),
    ("tensordot", [(2, 3, 4), (4, 3)], (), {"dims": ([1, 2], [1, 0])}),
    ("tensordot", [(2, 3), (4,)], (), {"dims": 0}),
    ("tensordot", [(2, 3), (3, 2)], (), {"dims": ([-1], [0])}),
    ("outer", [(3,), (4,)], (), {}),
    ("ger", [(3,), (0,)], (), {}),
    ("kron", [(2, 3), (3, 2)], (), {}),
    ("kron", [(2,), (2, 3)], (), {}),
    ("kron", [(), (2,)], (), {}),
    ("dot", [(5,), (5,)], (), {}),
    ("vdot", [(5,), (5,)], (), {}),
    ("mv", [(3, 4), (4,)], (), {}),
    ("addmm", [(3, 5), (3, 4), (4, 5)], (), {}),
    ("addmm", [(5,), (3, 4), (4, 5)], (), {"beta": 0.5, "alpha": -2}),
    ("addmv", [(3,), (3, 4), (4,)], (), {"beta": 2, "alpha": 0.5}),
    ("addbmm", [(3, 5), (2, 3, 4), (2, 4, 5)], (), {"alpha": 3}),
    ("baddbmm", [(2, 3, 5), (2, 3, 4), (2, 4, 5)], (), {"beta": -1}),
    ("baddbmm", [(1, 5), (2, 3, 4), (2, 4, 5)], (), {}),
    ("cdist", [(3, 4), (5, 4)], (), {}),
    ("cdist", [(2, 3, 4), (1, 5, 4)], (1.0,), {}),
    ("cdist", [(3, 4), (5, 4)], (0.5,), {}),
    ("cdist", [(3, 4), (5, 4)], (3.0,), {}),
    ("cdist", [(3, 4), (5, 4)], (float("inf"),), {}),
    ("cdist", [(3, 4), (5, 4)], (0.0,), {}),
    ("cdist", [(0, 4), (5, 4)], (), {}),
    ("cdist", [(3, 0), (5, 0)], (), {}),
]


def _torch_cdist_direct(name, args, kwargs):
    """PyTorch's cdist by direct differences, the only way xpnet computes it."""
    if name == "cdist":
        return {**kwargs, "compute_mode": "donot_use_mm_for_euclid_dist"}
    return kwargs


@pytest.mark.parametrize(("name", "shapes", "args", "kwargs"), CASES)
def test_products_match_torch(backend, name, shapes, args, kwargs):
    inputs = [random_input(s, seed=i) for i, s in enumerate(shapes)]

    def call(*tensors):
        if isinstance(tensors[0], torch.Tensor):
            options = _torch_cdist_direct(name, args, kwargs)
            return getattr(torch, name)(*tensors, *args, **options)
        return getattr(xpnet, name)(*tensors, *args, **kwargs)

    check_tensor_method(call, inputs, backend)
    if name not in ("cdist", "tensordot"):  # the method forms (torch has these)
        method = lambda first, *rest: getattr(first, name)(*rest, *args, **kwargs)  # noqa: E731
        check_tensor_method(method, inputs, backend, dtype=np.float32)


def test_cdist_at_zero_distance_has_torch_gradients(backend):
    x = random_input((3, 4), seed=1)
    for p in (1.0, 2.0, 3.0, float("inf")):

        def call(a, b, p=p):
            if isinstance(a, torch.Tensor):
                return torch.cdist(a, b, p, compute_mode="donot_use_mm_for_euclid_dist")
            return xpnet.cdist(a, b, p)

        check_tensor_method(call, [x, x], backend)


@pytest.mark.parametrize("name", ["addmm", "baddbmm"])
def test_beta_zero_ignores_nan_input(backend, name):
    shapes = [(2, 2), (2, 3), (3, 2)] if name == "addmm" else [(1, 2, 2), (1, 2, 3), (1, 3, 2)]
    hosts = [np.full(shapes[0], np.nan)] + [
        random_input(s, seed=i) for i, s in enumerate(shapes[1:])
    ]
    ours = getattr(xpnet, name)(*(Tensor(backend.asarray(h)) for h in hosts), beta=0, alpha=2)
    theirs = getattr(torch, name)(*(torch.tensor(h) for h in hosts), beta=0, alpha=2)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


ERRORS = [
    (lambda a: xpnet.einsum(3, a), TypeError, "einsum: equation must be a string"),
    (lambda a: xpnet.einsum("ij,jk", a), RuntimeError, "einsum: the equation names 2 operands"),
    (lambda a: xpnet.einsum("ijk", a), RuntimeError, "einsum: operand 0 has 3 subscripts"),
    (lambda a: xpnet.einsum("ij,ij", a, a.t()), RuntimeError, "einsum: subscript 'i' has size"),
    (lambda a: xpnet.einsum("i1", a), RuntimeError, "einsum: subscripts must be letters"),
    (lambda a: xpnet.einsum("ij->ik", a), RuntimeError, "einsum: output subscripts must be"),
    (lambda a: xpnet.einsum("ij->ii", a), RuntimeError, "einsum: output subscripts must be"),
    (lambda a: xpnet.einsum("ij", a.int()), None, None),
    (lambda a: xpnet.einsum("ij,ij", a, a.double()), RuntimeError, "einsum: operands must have"),
    (lambda a: xpnet.einsum("ij", [1]), TypeError, "einsum: operand 0 must be a Tensor"),
    (lambda a: xpnet.einsum("ij"), RuntimeError, "einsum: needs at least one operand"),
    (lambda a: xpnet.tensordot(a, a, 3), RuntimeError, "tensordot: dims must be in"),
    (lambda a: xpnet.tensordot(a, a, ([0], [0, 1])), RuntimeError, "tensordot: both dims"),
    (lambda a: xpnet.tensordot(a, a, ([0], [1])), RuntimeError, "tensordot: contracted dims"),
    (lambda a: xpnet.outer(a, a[0]), RuntimeError, "outer: expects 1-d tensors"),
    (lambda a: xpnet.dot(a[0], a[:, 0]), RuntimeError, "dot: tensors must have one size"),
    (lambda a: xpnet.dot(a[0], a[0].double()), RuntimeError, "dot: operands must have one"),
    (lambda a: xpnet.mv(a, a[:, 0]), RuntimeError, "mv: expects a matrix and a vector"),
    (lambda a: xpnet.addmm(a, a, a), RuntimeError, "addmm: mat1 and mat2 shapes cannot"),
    (lambda a: xpnet.addmm(a[None], a, a.t()), RuntimeError, "addmm: input of shape"),
    (lambda a: xpnet.addmm(a, a[0], a.t()), RuntimeError, "addmm: mat1 and mat2 must be 2-d"),
    (lambda a: xpnet.addmm(a, a, a.t(), beta="1"), TypeError, "addmm: beta must be a number"),
    (lambda a: xpnet.baddbmm(a, a, a), RuntimeError, "baddbmm: batch1 and batch2 must be 3-d"),
    (lambda a: xpnet.cdist(a, a[:, :2]), RuntimeError, "cdist: x1 and x2 must be"),
    (lambda a: xpnet.cdist(a, a, -1.0), RuntimeError, "cdist: p must be a non-negative"),
    (lambda a: xpnet.cdist(a, a, compute_mode="x"), RuntimeError, "cdist: compute_mode"),
]


@pytest.mark.parametrize(("call", "error", "match"), ERRORS)
def test_argument_errors_name_the_function(backend, call, error, match):
    a = Tensor(backend.asarray(random_input((2, 3), seed=0).astype(np.float32)))
    if error is None:
        assert call(a).dtype == np.int32
        return
    with pytest.raises(error, match=match):
        call(a)


@pytest.mark.parametrize(
    "call",
    [
        lambda a: torch.einsum("ij,jk", a),
        lambda a: torch.einsum("ijk", a),
        lambda a: torch.einsum("ij,ij", a, a.t()),
        lambda a: torch.einsum("ij->ik", a),
        lambda a: torch.tensordot(a, a, ([0], [1])),
        lambda a: torch.outer(a, a[0]),
        lambda a: torch.dot(a[0], a[:, 0]),
        lambda a: torch.mv(a, a[:, 0]),
        lambda a: torch.addmm(a, a, a),
        lambda a: torch.cdist(a, a[:, :2]),
        lambda a: torch.cdist(a, a, -1.0),
    ],
)
def test_pytorch_raises_runtime_errors_there_too(call):
    with pytest.raises(RuntimeError):
        call(torch.zeros(2, 3))


@given(
    m=st.integers(0, 3), k=st.integers(0, 3), n=st.integers(0, 3), batch=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)  # fmt: skip
@PROFILE
def test_einsum_agrees_with_tensordot_and_matmul(backend, m, k, n, batch, seed):
    a = Tensor(backend.asarray(random_input((batch, m, k), seed=seed)))
    b = Tensor(backend.asarray(random_input((batch, k, n), seed=seed + 1)))
    np.testing.assert_allclose(
        xpnet.einsum("bij,bjk->bik", a, b).numpy(), (a @ b).numpy(), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        xpnet.einsum("bij,cjk->bick", a, b).numpy(),
        xpnet.tensordot(a, b, ([2], [1])).numpy(),
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize(
    "op",
    [
        lambda t: xpnet.einsum("ij,jk->ik", t, t) + xpnet.einsum("ii->i", t),
        lambda t: xpnet.tensordot(t, t, 1) + xpnet.outer(t[0], t[1]) + xpnet.kron(t[:1], t[:, :1]),
        lambda t: xpnet.addmm(t, t, t, beta=0.5) + xpnet.baddbmm(t, t[None], t[None])[0],
        lambda t: xpnet.addbmm(t, t[None], t[None], beta=0) + xpnet.cdist(t, t, 1.5),
        lambda t: xpnet.dot(t[0], t[1]) + xpnet.mv(t, t[0]).sum() + t[0].addmv(t, t[1]).sum(),
    ],
)
def test_no_host_reads_on_strict(strict, op):
    """Shapes come from shapes alone: no device-to-host read, forward or backward."""
    check_no_host_reads(strict, op)
