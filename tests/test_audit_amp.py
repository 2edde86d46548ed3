"""Regression tests of a differential audit of ``xpnet.amp`` against ``torch.amp`` 2.13.

Each test compares with ``torch.autocast("cpu")``, ``torch.amp.GradScaler("cpu")``, or, for
the ops that only PyTorch's CUDA autocast lists (which xpnet follows) run in float32, with
those lists as PyTorch's own tests keep them (``torch/testing/_internal/autocast_test_lists.py``,
read with ``ast``: importing it needs ``expecttest``).
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import torch_cuda_autocast_lists

import xpnet
import xpnet.nn.functional as F


def _tensor(xp, shape, seed=0, dtype="float32", requires_grad=False):
    values = np.random.default_rng(seed).uniform(0.25, 0.75, shape).astype(dtype)
    return xpnet.Tensor(xp.asarray(values), requires_grad=requires_grad)


# -- autocast: ops PyTorch's CUDA lists run in float32, on float16 inputs -------------------------
# name in PyTorch's CUDA fp32 lists -> the xpnet call on a float16 Tensor (values in [0.25, 0.75])
FLOAT32_CALLS = {
    "acos": lambda x: x.acos(),
    "asin": lambda x: x.asin(),
    "cosh": lambda x: x.cosh(),
    "sinh": lambda x: x.sinh(),
    "tan": lambda x: x.tan(),
    "erfinv": lambda x: x.erfinv(),
    "expm1": lambda x: x.expm1(),
    "log1p": lambda x: x.log1p(),
    "log2": lambda x: x.log2(),
    "log10": lambda x: x.log10(),
    "reciprocal": lambda x: x.reciprocal(),
    "rsqrt": lambda x: x.rsqrt(),
    "cumprod": lambda x: x.cumprod(1),
    "norm": lambda x: x.norm(),
    "dist": lambda x: xpnet.dist(x, x.flip(0)),
    "cdist": lambda x: xpnet.cdist(x, x.flip(0)),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CALLS))
def test_cuda_float32_ops_run_in_float32(xp, name):
    """Found by the audit: PyTorch's CUDA fp32 list (which xpnet follows) has these; xpnet
    ran them in float16 (``cumprod`` was even named for the lists, but not on them)."""
    lists = torch_cuda_autocast_lists()
    assert name in lists["torch_fp32"] | lists["nn_fp32"]
    x = _tensor(xp, (3, 4), dtype="float16", requires_grad=True)
    with xpnet.autocast():
        result = FLOAT32_CALLS[name](x)
    assert result.dtype == np.float32
    result.sum().backward()
    assert x.grad.dtype == np.float16  # the gradient comes back in the input's dtype


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, float("inf")])
def test_cdist_runs_in_float32_as_torchs_cpu_autocast(xp, p):
    """cdist is on PyTorch's CPU fp32 list too: compare the dtype and the values there."""
    a, b = _tensor(xp, (3, 4), dtype="float16"), _tensor(xp, (2, 4), 1, dtype="float16")
    with xpnet.autocast():
        ours = xpnet.cdist(a, b, p=p)
    with torch.autocast("cpu", dtype=torch.float16):
        theirs = torch.cdist(*(torch.from_numpy(xpnet.to_numpy(t.array)) for t in (a, b)), p=p)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.") == "float32"
    np.testing.assert_allclose(xpnet.to_numpy(ours.array), theirs.numpy(), rtol=1e-6)


def test_prelu_runs_in_float16_as_torchs_autocast(xp):
    """Found by the audit: prelu is on both PyTorch lists (CPU and CUDA) in float16. xpnet
    ran it as it came, so float16 activations and a float32 weight (``Linear`` then ``PReLU``)
    raised ``TypeError`` and float32 ones returned float32."""
    assert "prelu" in torch_cuda_autocast_lists()["torch_fp16"]
    rng = np.random.default_rng(0)
    rows, w = rng.standard_normal((3, 4)).astype("float32"), np.array([0.25], "float32")
    ours_w = xpnet.Tensor(xp.asarray(w), requires_grad=True)
    theirs_w = torch.tensor(w, requires_grad=True)
    identity = xp.eye(4, dtype="float32")
    with xpnet.autocast():
        ours = F.prelu(xpnet.Tensor(xp.asarray(rows)), ours_w)
        after_linear = F.prelu(F.linear(xpnet.Tensor(xp.asarray(rows)), identity), ours_w)
    with torch.autocast("cpu", dtype=torch.float16):
        theirs = TF.prelu(torch.from_numpy(rows), theirs_w)
    assert ours.dtype == after_linear.dtype == np.float16 and theirs.dtype == torch.float16
    np.testing.assert_array_equal(xpnet.to_numpy(ours.array), theirs.detach().numpy())
    ours.sum().backward()
    theirs.sum().backward()
    assert ours_w.grad.dtype == np.float32
    np.testing.assert_allclose(xpnet.to_numpy(ours_w.grad), theirs_w.grad.numpy(), rtol=1e-3)


# -- autocast: products xpnet composes of others -------------------------------------------------
# name -> (the call on namespace m and operands o, the dtype PyTorch's CUDA autocast gives)
COMPOSED_CALLS = {
    "addmm": (lambda m, o: m.addmm(o["c"], o["a"], o["b"]), "float16"),
    "baddbmm": (lambda m, o: m.baddbmm(o["c3"], o["b1"], o["b2"]), "float16"),
    "addbmm": (lambda m, o: m.addbmm(o["c"], o["b1"], o["b2"]), "float16"),
    "addmv": (lambda m, o: m.addmv(o["w"], o["a"], o["v"]), "float16"),
    "addr": (lambda m, o: m.addr(o["a"], o["w"], o["v"]), "float16"),
    "einsum": (lambda m, o: m.einsum("ij,jk->ik", o["a"], o["b"]), "float16"),
    "tensordot": (lambda m, o: m.tensordot(o["a"], o["b"], 1), "float32"),
    "inner": (lambda m, o: m.inner(o["a"], o["a"]), "float32"),
    "dot": (lambda m, o: m.dot(o["v"], o["v"]), "float32"),
    "outer": (lambda m, o: m.outer(o["v"], o["w"]), "float32"),
}
_COMPOSED_SHAPES = {"a": (3, 4), "b": (4, 5), "c": (3, 5), "v": (4,), "w": (3,)}
_COMPOSED_SHAPES |= {"b1": (2, 3, 4), "b2": (2, 4, 5), "c3": (2, 3, 5)}


@pytest.mark.parametrize("name", sorted(COMPOSED_CALLS))
def test_composed_products_take_torchs_autocast_dtype(xp, name):
    """Found by the audit: the addmm-like functions added a float32 ``input`` to a float16
    product (float32 result), and einsum ran in float32; PyTorch runs them in float16. dot
    and outer, einsums inside xpnet, stay float32 as in PyTorch. ``addmv``, ``addr`` (and
    ``mv``) are float16 on PyTorch's CUDA lists, float32 on its CPU ones; ``tensordot`` (and
    ``inner``, a tensordot) is on the CUDA "promote" list (float32 operands: float32), float16
    on the CPU one: compare those with the CUDA lists (torch run on the operands as PyTorch's
    CUDA autocast casts them), the others with torch's CPU autocast."""
    call, expected = COMPOSED_CALLS[name]
    arrays = {
        k: np.random.default_rng(i).standard_normal(s).astype("float32")
        for i, (k, s) in enumerate(_COMPOSED_SHAPES.items())
    }
    ours_in = {k: xpnet.Tensor(xp.asarray(v), requires_grad=True) for k, v in arrays.items()}
    with xpnet.autocast():
        ours = call(xpnet, ours_in)
    if name in ("addmv", "addr"):
        assert name in torch_cuda_autocast_lists()["torch_fp16"]
    elif name in ("tensordot", "inner"):
        assert "tensordot" in torch_cuda_autocast_lists()["torch_need_autocast_promote"]
        theirs = call(torch, {k: torch.from_numpy(v) for k, v in arrays.items()})
        np.testing.assert_allclose(xpnet.to_numpy(ours.array), theirs.numpy(), rtol=1e-6, atol=1e-6)
    else:
        with torch.autocast("cpu", dtype=torch.float16):
            theirs = call(torch, {k: torch.from_numpy(v) for k, v in arrays.items()})
        assert str(theirs.dtype) == f"torch.{expected}"
        np.testing.assert_allclose(
            xpnet.to_numpy(ours.array).astype("float32"),
            theirs.float().numpy(),
            rtol=1e-2,
            atol=1e-2,
        )
    assert ours.dtype == np.dtype(expected)
    ours.float().sum().backward()
    assert all(t.grad is None or t.grad.dtype == np.float32 for t in ours_in.values())


# -- autocast: the object -------------------------------------------------------------------------
def test_autocast_pickles_and_deep_copies_as_torchs():
    """Found by the audit: the per-thread stack made ``copy.deepcopy`` and ``pickle`` of an
    autocast object (one a module keeps as an attribute) raise ``TypeError``."""
    for reference in (torch.autocast("cpu", dtype=torch.float16), xpnet.autocast("cpu")):
        for clone in (copy.deepcopy(reference), pickle.loads(pickle.dumps(reference))):
            assert type(clone) is type(reference) and clone.fast_dtype == reference.fast_dtype
    region = xpnet.autocast("cpu", enabled=False)
    with xpnet.autocast(), region:
        clone = copy.deepcopy(region)  # copied inside a region: the copy is not inside it
        with clone:
            assert not xpnet.amp.is_autocast_enabled()
        assert not xpnet.amp.is_autocast_enabled()
    assert not xpnet.amp.is_autocast_enabled()


def test_cache_enabled_must_be_a_bool_or_none():
    """Found by the audit: torch refuses ``cache_enabled="no"`` (``TypeError``); xpnet took it."""
    dtype, enabled = torch.get_autocast_dtype("cpu"), torch.is_autocast_enabled("cpu")
    with pytest.raises(TypeError, match="must be a bool"):
        with torch.autocast("cpu", dtype=torch.float16, cache_enabled="no"):
            pass
    # torch's __enter__ failed half-way: put its CPU state back
    torch.autocast_decrement_nesting()
    torch.set_autocast_dtype("cpu", dtype)
    torch.set_autocast_enabled("cpu", enabled)
    with pytest.raises(TypeError, match="autocast: cache_enabled must be a bool, got str 'no'"):
        xpnet.autocast(cache_enabled="no")
    for value in (None, True, False):
        with xpnet.autocast(cache_enabled=value):
            assert xpnet.amp.is_autocast_enabled()


# -- GradScaler -----------------------------------------------------------------------------------
def test_disabled_scaler_checks_no_factor():
    """Found by the audit: torch checks the factors only when enabled (a disabled scaler is a
    no-op), so ``GradScaler(enabled=use_amp, ...)`` ran there and raised here."""
    odd = {"growth_factor": 0.5, "backoff_factor": 2.0, "growth_interval": 0, "enabled": False}
    theirs = torch.amp.GradScaler("cpu", **odd)
    ours = xpnet.GradScaler(**odd)
    assert ours.is_enabled() is theirs.is_enabled() is False
    assert ours.state_dict() == theirs.state_dict() == {}
    with pytest.raises(ValueError, match="growth factor must be > 1.0"):
        xpnet.GradScaler(**{**odd, "enabled": True})


@pytest.mark.parametrize("outputs", [2.0, 3, None])
def test_scale_of_a_non_tensor_raises_torchs_value_error(xp, outputs):
    """Found by the audit: torch raises ``ValueError`` for a number or ``None``; xpnet raised
    a ``TypeError`` of the backend lookup, or NumPy's for ``None * scale``."""
    message = "outputs must be a Tensor or an iterable of Tensors"
    with pytest.raises(ValueError, match=message):
        torch.amp.GradScaler("cpu").scale(outputs)
    scaler = xpnet.GradScaler()
    with pytest.raises(ValueError, match=f"GradScaler.scale: {message}, got"):
        scaler.scale(outputs)
    scaler.scale(xp.ones((), dtype="float32"))  # with the scale made, too
    with pytest.raises(ValueError, match=message):
        scaler.scale([xp.ones(2, dtype="float32"), outputs])


def _step_twice(scaler, optimizer, first_kwargs):
    """The errors of ``step(optimizer, **first_kwargs)`` and of a second plain ``step``."""
    errors = []
    for kwargs in (first_kwargs, {}):
        try:
            scaler.step(optimizer, **kwargs)
            errors.append(None)
        except (AssertionError, RuntimeError, TypeError) as error:
            errors.append((type(error).__name__, str(error).split(" (")[0]))
    return errors


def test_step_after_a_failed_step_is_torchs(xp):
    """Found by the audit: torch marks an optimizer stepped only after its step returns, so
    after an error (no gradient at all, a bad keyword for ``optimizer.step``) ``step`` can be
    called again; xpnet said "step() has already been called"."""
    values = np.array([1.0, 2.0], dtype=np.float32)
    w = xpnet.Parameter(xp.asarray(values.copy()))
    torch_w = torch.tensor(values, requires_grad=True)
    ours, theirs = xpnet.GradScaler(init_scale=4.0), torch.amp.GradScaler("cpu", init_scale=4.0)
    ours.scale(w.sum())
    theirs.scale(torch_w.sum())
    empty = (xpnet.optim.SGD([w], lr=0.5), torch.optim.SGD([torch_w], lr=0.5))
    ours_errors = _step_twice(ours, empty[0], {})  # no gradient yet
    theirs_errors = _step_twice(theirs, empty[1], {})
    assert ours_errors == theirs_errors == [("AssertionError", ours_errors[0][1])] * 2
    ours.scale((w * w).sum()).backward()
    theirs.scale((torch_w * torch_w).sum()).backward()
    fresh = (xpnet.optim.SGD([w], lr=0.5), torch.optim.SGD([torch_w], lr=0.5))
    ours_errors = _step_twice(ours, fresh[0], {"bad_keyword": 1})
    theirs_errors = _step_twice(theirs, fresh[1], {"bad_keyword": 1})
    assert [e and e[0] for e in ours_errors] == [e and e[0] for e in theirs_errors]
    assert ours_errors[1] is None  # the second step ran, on gradients unscaled once
    ours.update()
    theirs.update()
    np.testing.assert_array_equal(xpnet.to_numpy(w.array), torch_w.detach().numpy())
    assert ours.state_dict() == theirs.state_dict()
