"""``xpnet.autocast`` on PyTorch's CUDA "promote" list (``dot``, ``tensordot``, ``cross``,
``bilinear``, ``grid_sample``, ``index_put``, ``scatter_add``, ``addcmul``, ...) and on
``linalg.matrix_norm`` (a float32 op of PyTorch's CUDA lists).

The oracle is torch on the CPU, outside autocast: PyTorch's CUDA autocast (which the CPU
cannot run; its CPU lists differ) casts the floating operands of a promote op to the widest
of their dtypes, float64 aside (``at::autocast::prioritize``), and runs the op on them
without casting its inner ops; torch runs the op here on operands cast that way, in float64
where values are compared. Which ops are on the list: PyTorch's test lists
(``torch_need_autocast_promote`` of ``torch/testing/_internal/autocast_test_lists.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import torch_cuda_autocast_lists

import xpnet
import xpnet.nn.functional as F
from xpnet.amp.autocast_mode import FLOAT32_OPS, LOWER_PRECISION_OPS, PROMOTE_OPS

# name -> (shapes of the floating operands, the call on namespace m, its functional module f,
# the operands o and the integer index i); grid_sample is PyTorch's grid_sampler
CALLS = {
    "addcmul": ([(4,)] * 3, lambda m, f, o, i: m.addcmul(*o, value=0.5)),
    "addcdiv": ([(4,)] * 3, lambda m, f, o, i: m.addcdiv(*o, value=0.5)),
    "atan2": ([(4,)] * 2, lambda m, f, o, i: m.atan2(*o)),
    "bilinear": ([(2, 3), (2, 4), (5, 3, 4), (5,)], lambda m, f, o, i: f.bilinear(*o)),
    "cross": ([(2, 3)] * 2, lambda m, f, o, i: m.cross(*o, dim=1)),
    "dot": ([(4,)] * 2, lambda m, f, o, i: m.dot(*o)),
    "vdot": ([(4,)] * 2, lambda m, f, o, i: m.vdot(*o)),
    "grid_sample": (
        [(1, 2, 4, 4), (1, 3, 3, 2)],
        lambda m, f, o, i: f.grid_sample(*o, align_corners=False),
    ),
    "index_put": ([(5,), (2,)], lambda m, f, o, i: m.index_put(o[0], (i[0],), o[1])),
    "scatter_add": ([(2, 3)] * 2, lambda m, f, o, i: m.scatter_add(o[0], 0, i[1], o[1])),
    "tensordot": ([(2, 3, 4), (3, 4, 2)], lambda m, f, o, i: m.tensordot(*o, dims=2)),
}
TORCH_NAMES = {"grid_sample": "grid_sampler"}
# the dtypes of the operands: float32 first, or last, beside float16; one dtype
PATTERNS = {
    "float32_first": lambda n: ["float32"] + ["float16"] * (n - 1),
    "float16_first": lambda n: ["float16"] + ["float32"] * (n - 1),
    "all_float32": lambda n: ["float32"] * n,
    "all_float16": lambda n: ["float16"] * n,
}
TOLERANCE = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float16": {"rtol": 1e-2, "atol": 1e-2}}


def _operands(name: str, dtypes):
    """Floating operands in [0.25, 1) (no division by ~0) of ``dtypes``, and the indices."""
    rng = np.random.default_rng(sum(map(ord, name)))
    shapes = CALLS[name][0]
    arrays = [rng.uniform(0.25, 1.0, s).astype(d) for s, d in zip(shapes, dtypes, strict=True)]
    if name == "grid_sample":
        arrays[1] = (arrays[1] * 2 - 1.25).astype(dtypes[1])  # sample points in [-1, 1)
    indices = [np.array([1, 3]), rng.integers(0, 2, (2, 3))]
    return arrays, indices


def _widest(dtypes) -> str:
    return "float32" if "float32" in dtypes else "float16"


def _torch(name: str, arrays, indices, dtype: str):
    """torch's op on ``arrays`` cast to ``dtype`` (PyTorch's CUDA autocast), in float64."""
    leaves = [torch.from_numpy(a.astype(dtype).astype("float64")).requires_grad_() for a in arrays]
    index = [torch.from_numpy(i) for i in indices]
    return leaves, CALLS[name][1](torch, TF, leaves, index)


def test_promote_list_is_torchs_cuda_list():
    """Every op of PyTorch's CUDA promote list is on xpnet's, under xpnet's names; none is on
    xpnet's other lists."""
    theirs = torch_cuda_autocast_lists()["torch_need_autocast_promote"]
    assert {TORCH_NAMES.get(name, name) for name in PROMOTE_OPS} == theirs
    assert not PROMOTE_OPS & (LOWER_PRECISION_OPS | FLOAT32_OPS)
    assert set(CALLS) == PROMOTE_OPS


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
@pytest.mark.parametrize("name", sorted(CALLS))
def test_promote_ops_run_in_the_widest_dtype(xp, name, pattern):
    """In a region the op runs in the widest dtype of its operands (float32 operands stay
    float32: tensordot is no einsum there); each gradient comes back in its operand's dtype."""
    dtypes = PATTERNS[pattern](len(CALLS[name][0]))
    arrays, indices = _operands(name, dtypes)
    ours_in = [xpnet.Tensor(xp.asarray(a), requires_grad=True) for a in arrays]
    index = [xpnet.Tensor(xp.asarray(i)) for i in indices]
    with xpnet.autocast():
        ours = CALLS[name][1](xpnet, F, ours_in, index)
    widest = _widest(dtypes)
    theirs_in, theirs = _torch(name, arrays, indices, widest)
    assert ours.dtype == np.dtype(widest)
    np.testing.assert_allclose(xpnet.to_numpy(ours.array), theirs.detach(), **TOLERANCE[widest])
    ours.float().sum().backward()
    theirs.sum().backward()
    for ours_x, theirs_x, dtype in zip(ours_in, theirs_in, dtypes, strict=True):
        assert ours_x.grad.dtype == np.dtype(dtype)
        expected = theirs_x.grad.numpy().astype(widest)  # PyTorch's gradient, then the cast's
        np.testing.assert_allclose(xpnet.to_numpy(ours_x.grad), expected, **TOLERANCE[dtype])


def test_addcmul_multiplies_float16_operands_in_float32(xp):
    """float16 factors beside a float32 input: their product (9e4) overflows float16 outside
    a region; PyTorch's autocast promotes them first."""
    half = xpnet.Tensor(xp.asarray(np.full(2, 300.0, dtype="float16")))
    with xpnet.autocast():
        ours = xpnet.addcmul(xpnet.Tensor(xp.zeros(2, dtype="float32")), half, half)
    theirs = torch.addcmul(torch.zeros(2, dtype=torch.float64), *[torch.full((2,), 300.0)] * 2)
    np.testing.assert_array_equal(xpnet.to_numpy(ours.array), theirs.numpy())


# ops that refuse two dtypes (torch's error outside autocast); in-place forms and linalg.cross
# are on no list, so they refuse them in a region too
REFUSING = sorted(set(CALLS) - {"addcmul", "addcdiv", "atan2"})
IN_PLACE = {
    "index_put_": lambda m, a, b: a.index_put_((m.tensor([0]),), b),
    "scatter_add_": lambda m, a, b: a.scatter_add_(0, m.zeros(1, dtype=m.int64), b),
    "linalg.cross": lambda m, a, b: m.linalg.cross(a.expand(3, 1), b.expand(3, 1), dim=0),
}


@pytest.mark.parametrize("name", REFUSING)
def test_two_dtypes_are_refused_outside_autocast_and_float64_inside(xp, name):
    """Outside a region float32 beside float16 raises, as torch's; inside one, float64 beside
    float16 too: PyTorch's autocast leaves float64 alone, and torch refuses the pair."""
    for autocast, dtypes in ((False, ["float32", "float16"]), (True, ["float64", "float16"])):
        dtypes = (dtypes * 4)[: len(CALLS[name][0])]
        arrays, indices = _operands(name, dtypes)
        theirs_in = [[torch.from_numpy(a) for a in x] for x in (arrays, indices)]
        with pytest.raises(RuntimeError):
            CALLS[name][1](torch, TF, *theirs_in)
        ours_in = [[xpnet.Tensor(xp.asarray(a)) for a in x] for x in (arrays, indices)]
        with pytest.raises((RuntimeError, TypeError)), xpnet.autocast(enabled=autocast):
            CALLS[name][1](xpnet, F, *ours_in)


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_ops_on_no_list_refuse_two_dtypes_in_autocast(xp, name):
    """``index_put_``, ``scatter_add_`` and ``linalg.cross`` are on none of PyTorch's lists:
    float32 beside float16 raises in a region as outside (torch's, outside autocast)."""
    pair = [np.ones(1, dtype="float32"), np.ones(1, dtype="float16")]
    with pytest.raises(RuntimeError):
        IN_PLACE[name](torch, *[torch.from_numpy(a) for a in pair])
    with pytest.raises(RuntimeError), xpnet.autocast():
        IN_PLACE[name](xpnet, *[xpnet.Tensor(xp.asarray(a)) for a in pair])


ORDERS = ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf]


@pytest.mark.parametrize("ord", ORDERS, ids=str)
def test_matrix_norm_runs_in_float32(xp, ord):
    """``linalg_matrix_norm`` (and ``nuclear_norm``) are float32 ops of PyTorch's CUDA lists
    (``AT_FORALL_FP32_SET_OPT_DTYPE``): a float16 matrix is widened, so ``'nuc'``, ``2`` and
    ``-2`` run their SVD in float32 too (they refused float16 before); the gradient comes back
    in float16."""
    assert "linalg_matrix_norm" in FLOAT32_OPS
    values = np.random.default_rng(3).uniform(-1.0, 1.0, (2, 3, 4)).astype("float16")
    ours_in = xpnet.Tensor(xp.asarray(values), requires_grad=True)
    with xpnet.autocast():
        ours = xpnet.linalg.matrix_norm(ours_in, ord)
        via_norm = xpnet.linalg.norm(ours_in, ord, dim=(-2, -1))
    theirs_in = torch.from_numpy(values.astype("float64")).requires_grad_()
    theirs = torch.linalg.matrix_norm(theirs_in, ord)
    assert ours.dtype == via_norm.dtype == np.float32
    np.testing.assert_allclose(xpnet.to_numpy(ours.array), theirs.detach(), rtol=1e-5)
    ours.sum().backward()
    theirs.sum().backward()
    assert ours_in.grad.dtype == np.float16
    np.testing.assert_allclose(xpnet.to_numpy(ours_in.grad), theirs_in.grad, rtol=1e-2, atol=1e-3)
