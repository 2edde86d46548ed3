"""dtype details found while checking autocast against PyTorch 2.13: the promoted dtype of
``addcmul``/``addcdiv`` (and which of ``lerp``, ``addmm``, ``addr``, ... refuse two dtypes),
a ``dtype=`` kept under autocast (PyTorch's ``fp32_set_opt_dtype`` policy), ``interpolate``
on the float32 list, torch's exception class for ``bilinear``/``grid_sample`` on two dtypes,
and ``erfc``'s relative accuracy in float64.

The oracle is torch on the CPU. Its CUDA autocast cannot run here: for a call that gives a
``dtype``, PyTorch's ``fp32_set_opt_dtype`` wrapper passes it unchanged and runs the op
outside autocast (``aten/src/ATen/autocast_mode.h``), so torch outside autocast with that
dtype is the oracle; the lists are read from the header that torch 2.13 installs.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest
import torch
from _oracle import assert_close

import xpnet
import xpnet.nn.functional as F
from xpnet.amp.autocast_mode import FLOAT32_OPS, SET_OPT_DTYPE_OPS

HEADER = pathlib.Path(torch.__file__).parent / "include/ATen/autocast_mode.h"


def _pair(xp, values, dtype):
    """The same values as an xpnet and a torch tensor of ``dtype``."""
    array = np.asarray(values, dtype=dtype)
    return xpnet.Tensor(xp.asarray(array)), torch.from_numpy(array.copy())


def _check(result, expected):
    assert str(result.dtype) == str(expected.dtype).removeprefix("torch.")
    dtype = {torch.float16: np.float16, torch.float32: np.float32}.get(expected.dtype, np.float64)
    actual, expected = xpnet.to_numpy(result), expected.double().numpy()
    infinite = np.isinf(expected)  # float16's overflow, where torch overflows too
    np.testing.assert_array_equal(actual[infinite], expected[infinite])
    assert_close(actual[~infinite], expected[~infinite], dtype)


# --- 1. addcmul / addcdiv compute in the promoted dtype of all three ---------------------

DTYPE_TRIPLES = [
    ("float32", "float16", "float16"),
    ("float16", "float16", "float32"),
    ("float64", "float16", "float32"),
    ("int64", "int32", "float16"),
]


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("dtypes", DTYPE_TRIPLES)
def test_addcmul_addcdiv_compute_in_the_promoted_dtype(backend, op, dtypes):
    # 300 * 300 (and 300 / 0.003) overflow float16: torch computes in float32
    values = ([0.0, 2.0], [300.0, -300.0], [300.0, 0.003] if op == "addcdiv" else [300.0, 1.5])
    pairs = [_pair(backend.xp, v, d) for v, d in zip(values, dtypes, strict=True)]
    ours, theirs = zip(*pairs, strict=True)
    _check(getattr(xpnet, op)(*ours), getattr(torch, op)(*theirs))
    _check(getattr(ours[0], op)(*ours[1:], value=2), getattr(theirs[0], op)(*theirs[1:], value=2))


@pytest.mark.parametrize(
    "self_dtype, other_dtype", [("float32", "float16"), ("float16", "float32")]
)
def test_addcmul_in_place_computes_in_the_promoted_dtype(backend, self_dtype, other_dtype):
    ours, theirs = _pair(backend.xp, [-65000.0, 0.0], self_dtype)
    t1, torch_t1 = _pair(backend.xp, [300.0, 2.0], other_dtype)
    ours.addcmul_(t1, t1)  # 90000 - 65000: inf only if the product were float16
    _check(ours, theirs.addcmul_(torch_t1, torch_t1))


def test_addcmul_keeps_a_0d_operand_out_of_the_promotion(backend):
    half, torch_half = _pair(backend.xp, [1.5, 2.0], "float16")
    scalar, torch_scalar = _pair(backend.xp, 3.0, "float32")  # 0-d: a number to torch
    _check(xpnet.addcmul(half, half, scalar), torch.addcmul(torch_half, torch_half, torch_scalar))


# --- lerp, addmm & co refuse two dtypes, as torch; addr promotes -------------------------


def _both_raise(call, pattern):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=pattern):
        call(xpnet)


def test_lerp_rejects_a_weight_of_another_dtype(backend):
    def call(m, weight_dtype):
        start = m.zeros(2)
        return m.lerp(start, m.ones(2), m.full((2,), 0.25, dtype=getattr(m, weight_dtype)))

    _both_raise(lambda m: call(m, "float16"), r"^lerp: weight must have self's dtype float32")
    _check(call(xpnet, "float32"), call(torch, "float32"))
    weight = 0.25  # a 0-d weight of another dtype is a number to torch
    ours = xpnet.lerp(xpnet.zeros(2), xpnet.ones(2), xpnet.tensor(weight, dtype=xpnet.float64))
    _check(ours, torch.lerp(torch.zeros(2), torch.ones(2), torch.tensor(weight).double()))


PRODUCTS = {
    "addmm": ((2, 2), (2, 2), (2, 2)),
    "addmv": ((2,), (2, 2), (2,)),
    "addbmm": ((2, 2), (3, 2, 2), (3, 2, 2)),
    "baddbmm": ((3, 2, 2), (3, 2, 2), (3, 2, 2)),
}


@pytest.mark.parametrize("op", list(PRODUCTS))
@pytest.mark.parametrize(
    "input_dtype, product_dtype",
    [("float32", "float16"), ("float16", "float32"), ("float64", "float32")],
)
def test_addmm_family_rejects_an_input_of_another_dtype(backend, op, input_dtype, product_dtype):
    def call(m, beta=1):
        shapes = PRODUCTS[op]
        first = m.zeros(shapes[0], dtype=getattr(m, input_dtype))
        rest = [m.ones(s, dtype=getattr(m, product_dtype)) for s in shapes[1:]]
        return getattr(m, op)(first, *rest, beta=beta)

    _both_raise(call, rf"^xpnet\.{op}: input must be float\d\d as the product, got float")


ADDR_DTYPES = [
    ("float32", "float16", "float16"),
    ("float16", "float32", "float64"),
    ("float64", "float32", "float32"),
    ("int64", "float32", "float32"),
]


@pytest.mark.parametrize("dtypes", ADDR_DTYPES)
def test_addr_promotes_its_three_tensors(backend, dtypes):
    shapes, values = ((2, 3), (2,), (3,)), np.random.default_rng(0).uniform(-2, 2, 6)
    pairs = [
        _pair(backend.xp, values[: np.prod(s)].reshape(s), d)
        for s, d in zip(shapes, dtypes, strict=True)
    ]
    ours, theirs = zip(*pairs, strict=True)
    _check(xpnet.addr(*ours, alpha=2), torch.addr(*theirs, alpha=2))
    _check(ours[0].addr(*ours[1:]), theirs[0].addr(*theirs[1:]))


# --- 2. a dtype given is kept under autocast ---------------------------------------------

# the entry points of PyTorch's fp32_set_opt_dtype ops, on namespace m
GIVEN_DTYPE_CALLS = {
    "sum": lambda m, x, d: m.sum(x, dtype=d),
    "Tensor.sum": lambda m, x, d: x.sum(1, dtype=d),
    "prod": lambda m, x, d: m.prod(x, dtype=d),
    "Tensor.prod": lambda m, x, d: x.prod(1, dtype=d),
    "softmax": lambda m, x, d: m.softmax(x, 1, dtype=d),
    "Tensor.log_softmax": lambda m, x, d: x.log_softmax(1, dtype=d),
    "special.softmax": lambda m, x, d: m.special.softmax(x, 1, dtype=d),
    "cumsum": lambda m, x, d: m.cumsum(x, 1, dtype=d),
    "Tensor.cumprod": lambda m, x, d: x.cumprod(1, dtype=d),
    "linalg.vector_norm": lambda m, x, d: m.linalg.vector_norm(x, dtype=d),
    "linalg.matrix_norm": lambda m, x, d: m.linalg.matrix_norm(x, dtype=d),
    "linalg.matrix_norm_1": lambda m, x, d: m.linalg.matrix_norm(x, 1, dtype=d),
    "linalg.norm": lambda m, x, d: m.linalg.norm(x, dtype=d),
    "norm": lambda m, x, d: m.norm(x, 2, dtype=d),
}


# torch's norms refuse a narrowing dtype (float32 to float16): float16 sources only there
@pytest.mark.parametrize(
    "name, source",
    [(name, source) for name in GIVEN_DTYPE_CALLS for source in ("float16", "float32")
     if source == "float16" or "norm" not in name],
)  # fmt: skip
def test_autocast_keeps_a_given_dtype(backend, name, source):
    ours, theirs = _pair(backend.xp, np.linspace(0.5, 1.5, 6).reshape(2, 3), source)
    call = GIVEN_DTYPE_CALLS[name]
    with xpnet.autocast():
        result = call(xpnet, ours, xpnet.float16)
        widened = call(xpnet, ours.half(), None)
    _check(result, call(torch, theirs, torch.float16))
    assert widened.dtype == np.float32  # no dtype: float32, as PyTorch's set_opt_dtype
    _check(widened, call(torch, theirs.half(), torch.float32))


def _header_list(macro: str) -> set[str]:
    """The op names of one ``AT_FORALL_...`` list of torch 2.13's autocast_mode.h."""
    body = re.search(rf"#define {macro}\(_\)(.*?)\n\n", HEADER.read_text(), re.S).group(1)
    return set(re.findall(r"_\((\w+)", body))


def test_set_opt_dtype_ops_are_torchs():
    torch_names = {"vector_norm": "linalg_vector_norm"}
    ours = {torch_names.get(name, name) for name in SET_OPT_DTYPE_OPS}
    assert ours == _header_list("AT_FORALL_FP32_SET_OPT_DTYPE")
    assert SET_OPT_DTYPE_OPS <= FLOAT32_OPS  # float32 when no dtype is given


# --- 4. interpolate is on the float32 list (PyTorch 2.13's upsample ops) -----------------


def test_torch_2_13_lists_upsample_ops_as_float32():
    upsample = {name for name in _header_list("AT_FORALL_FP32") if "upsample" in name}
    assert {"upsample_nearest2d", "upsample_bilinear2d", "upsample_bicubic2d"} <= upsample
    assert "interpolate" in FLOAT32_OPS


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
def test_interpolate_runs_in_float32_under_autocast_but_area(backend, mode):
    ours, theirs = _pair(backend.xp, np.linspace(0, 1, 16).reshape(1, 1, 4, 4), "float16")
    with xpnet.autocast():
        result = F.interpolate(ours, size=(6, 6), mode=mode)
    # area is PyTorch's adaptive_avg_pool2d, on no autocast list: float16 stays float16
    cast = theirs if mode == "area" else theirs.float()
    _check(result, torch.nn.functional.interpolate(cast, size=(6, 6), mode=mode))


# --- 3. bilinear and grid_sample raise torch's class on two dtypes -----------------------


def test_bilinear_rejects_two_dtypes_with_torchs_class(backend):
    def call(m, f):
        return f.bilinear(m.ones(2, 3), m.ones(2, 4, dtype=m.float64), m.ones(5, 3, 4), m.ones(5))

    with pytest.raises(RuntimeError):
        call(torch, torch.nn.functional)
    with pytest.raises(RuntimeError, match=r"^bilinear: input2 must have the dtype of input1"):
        call(xpnet, F)
    with pytest.raises(TypeError):  # xpnet's convention for a wrong dtype holds too
        call(xpnet, F)


def test_grid_sample_rejects_two_dtypes_with_torchs_class(backend):
    def call(m, f):
        grid = m.zeros(1, 3, 3, 2, dtype=m.float64)
        return f.grid_sample(m.ones(1, 2, 4, 4), grid, align_corners=False)

    with pytest.raises(RuntimeError):
        call(torch, torch.nn.functional)
    with pytest.raises(RuntimeError, match=r"^grid_sample: grid must have the dtype of input"):
        call(xpnet, F)


# --- 5. erfc: relative accuracy in float64 ------------------------------------------------


def test_erfc_is_relatively_accurate_on_a_dense_grid(backend):
    x = np.concatenate([np.linspace(-6.0, 27.5, 200_001), [np.inf, -np.inf, np.nan, 0.0, 1.0, 8.0]])
    result = xpnet.to_numpy(xpnet.special.erfc(xpnet.Tensor(backend.xp.asarray(x))))
    expected = torch.special.erfc(torch.from_numpy(x)).numpy()
    normal = np.abs(expected) >= np.finfo(np.float64).tiny
    # a few ulp (1 - erf(x) below 1 loses up to 2e-15 relative): the old 1 - erf(x) up to
    # 2.5 lost 1.4e-12 there, the old exp(-x * x) 6e-14 near 23
    np.testing.assert_allclose(result[normal], expected[normal], rtol=3e-15, atol=0)
    np.testing.assert_allclose(result[~normal], expected[~normal], rtol=0, atol=1e-322)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_erfc_float32_and_float16_match_torch(backend, dtype):
    x = np.linspace(-4.0, 9.0, 5001).astype(dtype)
    result = xpnet.to_numpy(xpnet.special.erfc(xpnet.Tensor(backend.xp.asarray(x))))
    assert result.dtype == dtype
    expected = torch.special.erfc(torch.from_numpy(x.astype(np.float64))).numpy()
    assert_close(result, expected, dtype)


# --- 6. the losses and distances PyTorch promotes ---------------------------------------------
PROMOTED_LOSSES = {
    "mse_loss": lambda F, a, t: F.mse_loss(a, t),
    "l1_loss": lambda F, a, t: F.l1_loss(a, t, reduction="sum"),
    "smooth_l1_loss": lambda F, a, t: F.smooth_l1_loss(a, t, beta=0.5),
    "kl_div": lambda F, a, t: F.kl_div(a, t, reduction="batchmean"),
    "poisson_nll_loss": lambda F, a, t: F.poisson_nll_loss(a, t),
    "gaussian_nll_loss": lambda F, a, t: F.gaussian_nll_loss(a, t, a.detach().abs() + 1),
    "multilabel_soft_margin_loss": lambda F, a, t: F.multilabel_soft_margin_loss(a, t * 0.1),
    "margin_ranking_loss": lambda F, a, t: F.margin_ranking_loss(a[0], t[1], t[2].sign()),
    "cosine_embedding_loss": lambda F, a, t: F.cosine_embedding_loss(a, t, t[0].sign()),
    "cross_entropy": lambda F, a, t: F.cross_entropy(a, t.softmax(1)),
    "triplet_margin_loss": lambda F, a, t: F.triplet_margin_loss(a, t, t * 2),
    "cosine_similarity": lambda F, a, t: F.cosine_similarity(a, t).sum(),
    "pairwise_distance": lambda F, a, t: F.pairwise_distance(a, t).sum(),
    # the input's dtype decides (the target gets no gradient in PyTorch)
    "hinge_embedding_loss": lambda F, a, t: F.hinge_embedding_loss(a, t.detach().sign()),
    "soft_margin_loss": lambda F, a, t: F.soft_margin_loss(a, t.detach()),
}


@pytest.mark.parametrize("name", list(PROMOTED_LOSSES))
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")], ids=str)
def test_losses_promote_mixed_float_operands_as_torch(xp, name, dtypes):
    """A float32 model output beside a float64 target (NumPy's default) is PyTorch's float64
    loss, each gradient in its operand's dtype; xpnet refused the mix (DtypeMismatchError)."""
    values = np.array([[2.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 4.0]])
    results = []
    for module in (xpnet, torch):
        input, target = (
            module.tensor(values * scale, dtype=getattr(module, dtype), requires_grad=True)
            if module is torch
            else xpnet.Tensor(xp.asarray(values * scale, dtype=dtype), requires_grad=True)
            for scale, dtype in zip((1.0, 0.5), dtypes, strict=True)
        )
        loss = PROMOTED_LOSSES[name](module.nn.functional, input, target)
        used = [t for t in (input, target) if t.requires_grad]
        grads = module.autograd.grad(loss, used, allow_unused=True)
        results.append((loss, [None if g is None else str(g.dtype).split(".")[-1] for g in grads]))
    (ours, our_grads), (theirs, their_grads) = results
    # the promoted dtype's, computed in it from the start: PyTorch's composed formulas may run
    # part of it in the float32 operand's dtype first, so values agree to float32's precision
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(xpnet.to_numpy(ours.detach().array), theirs.item(), 1e-6, 1e-8)
    assert our_grads == their_grads


def test_promotion_keeps_class_indices_and_refuses_what_torch_refuses(xp):
    """cross_entropy's class indices stay integers; kl_div of an integer target and
    binary_cross_entropy of two float dtypes are refused, as PyTorch refuses them."""
    logits = xpnet.Tensor(xp.asarray(np.eye(3, dtype=np.float32)), requires_grad=True)
    classes = xpnet.Tensor(xp.asarray(np.arange(3)))
    assert F.cross_entropy(logits, classes).dtype == np.float32
    with pytest.raises(TypeError, match="kl_div: target must be a floating-point array"):
        F.kl_div(logits, classes)
    with pytest.raises(RuntimeError, match="binary_cross_entropy: target must have the dtype"):
        F.binary_cross_entropy(logits * 0.5, logits.double() * 0.5)
