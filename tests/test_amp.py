"""Mixed precision: ``xpnet.autocast`` and ``xpnet.GradScaler`` against ``torch.autocast`` and
``torch.amp.GradScaler("cpu")``, and ``xpnet train --precision 16-mixed``.

torch's CPU autocast runs float16 on the ops of its CPU lists; where they agree with the CUDA
lists that xpnet follows (convolution, linear, matmul in float16; losses in float32; the rest
as they come), the output dtypes are compared with torch's. Softmax, the norms and the
reductions are float32 in the CUDA lists (and here) but not in torch's CPU list: those are
checked against the lists themselves.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import xpnet
import xpnet.nn.functional as F
from xpnet.amp import autocast_mode as autocast_module
from xpnet.amp.training import grad_scaler_of, set_precision, train_step
from xpnet.backends import host_reads_forbidden, use_backend
from xpnet.backends._runtime import host_sync_forbidden
from xpnet.train import Config, fit
from xpnet.train.config import build_run


def _tensor(xp, shape, seed=0, dtype="float32", requires_grad=False):
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return xpnet.Tensor(xpnet.asarray(values), requires_grad=requires_grad)


def _dtype(value):
    return str(value.dtype).removeprefix("torch.")


# -- autocast: op dtypes --------------------------------------------------------------------------
def _ops_xpnet(xp):
    x, w = _tensor(xp, (2, 3, 8, 8)), _tensor(xp, (4, 3, 3, 3), 1)
    rows, lw = _tensor(xp, (2, 6), 2), _tensor(xp, (5, 6), 3)
    target = xpnet.asarray(np.array([0, 1]))
    logits = F.linear(rows, lw)
    conv = F.conv2d(x, w)
    return {
        "conv2d": conv,
        "linear": logits,
        "matmul": rows @ lw.reshape(6, 5),
        "cross_entropy": F.cross_entropy(logits, target),
        "nll_loss": F.nll_loss(F.log_softmax(logits, 1), target),
        "relu": F.relu(logits),
        "max_pool2d": F.max_pool2d(conv, 2),
        "add": logits + rows[:, :5],
        "linear_float64": F.linear(
            _tensor(xp, (2, 6), 4, "float64"), _tensor(xp, (5, 6), 5, "float64")
        ),
    }


def _ops_torch():
    x, w = torch.randn(2, 3, 8, 8), torch.randn(4, 3, 3, 3)
    rows, lw = torch.randn(2, 6), torch.randn(5, 6)
    target = torch.tensor([0, 1])
    logits = TF.linear(rows, lw)
    conv = TF.conv2d(x, w)
    return {
        "conv2d": conv,
        "linear": logits,
        "matmul": rows @ lw.reshape(6, 5),
        "cross_entropy": TF.cross_entropy(logits, target),
        "nll_loss": TF.nll_loss(TF.log_softmax(logits, 1), target),
        "relu": TF.relu(logits),
        "max_pool2d": TF.max_pool2d(conv, 2),
        "add": logits + rows[:, :5],
        "linear_float64": TF.linear(rows.double(), lw.double()),
    }


def test_op_dtypes_match_torch_autocast(xp):
    with xpnet.autocast(dtype="float16"):
        ours = _ops_xpnet(xp)
    with torch.autocast("cpu", dtype=torch.float16):
        theirs = _ops_torch()
    assert {name: _dtype(value) for name, value in ours.items()} == {
        name: _dtype(value) for name, value in theirs.items()
    }
    assert _dtype(ours["conv2d"]) == "float16" and _dtype(ours["cross_entropy"]) == "float32"


def test_float32_ops_run_in_float32(xp):
    """Softmax, norms and reductions: the CUDA fp32 list (torch's CPU list keeps them float16)."""
    half = _tensor(xp, (2, 4, 3, 3), dtype="float16")
    flat = half.reshape(2, 36)
    mean, var = xp.zeros(4, dtype="float32"), xp.ones(4, dtype="float32")
    weight = xpnet.Tensor(xp.ones(4, dtype="float32"))
    with xpnet.autocast():
        results = {
            "softmax": F.softmax(flat, 1),
            "log_softmax": F.log_softmax(flat, 1),
            "batch_norm": F.batch_norm(half, mean, var, weight, None, True),
            "layer_norm": F.layer_norm(flat, (36,)),
            "group_norm": F.group_norm(half, 2, weight),
            "sum": half.sum(),
            "mean": half.mean(),
            "pow": half**2,
        }
        assert F.relu(half).dtype == np.float16  # on no list: as it comes
    assert {name: _dtype(v) for name, v in results.items()} == dict.fromkeys(results, "float32")
    assert set(results) <= autocast_module.FLOAT32_OPS
    assert float(xpnet.to_numpy(mean).std()) > 0  # the running stats were updated in place
    assert mean.dtype == np.float32


# PyTorch's CUDA fp32 list (and softmin, a softmax of -x there): the ops added with the
# activations, distances and losses of 2026-12-04; name -> call on float16 Tensors
FLOAT32_CALLS = {
    "softplus": lambda x, y, t: F.softplus(x),
    "softmin": lambda x, y, t: F.softmin(x, 1),
    "rms_norm": lambda x, y, t: F.rms_norm(x, (6,)),
    "cosine_similarity": lambda x, y, t: F.cosine_similarity(x, y),
    "pairwise_distance": lambda x, y, t: F.pairwise_distance(x, y),
    "normalize": lambda x, y, t: F.normalize(x),
    "poisson_nll_loss": lambda x, y, t: F.poisson_nll_loss(x, y),
    "cosine_embedding_loss": lambda x, y, t: F.cosine_embedding_loss(x, y, t),
    "hinge_embedding_loss": lambda x, y, t: F.hinge_embedding_loss(x, t.reshape(4, 1)),
    "margin_ranking_loss": lambda x, y, t: F.margin_ranking_loss(x[:, 0], y[:, 0], t),
    "soft_margin_loss": lambda x, y, t: F.soft_margin_loss(x, y.sign()),
    "triplet_margin_loss": lambda x, y, t: F.triplet_margin_loss(x, y, -x),
    "multi_margin_loss": lambda x, y, t: F.multi_margin_loss(
        x, xpnet.Tensor(xpnet.asarray(np.array([0, 5, 2, 1])))
    ),
    "multilabel_margin_loss": lambda x, y, t: F.multilabel_margin_loss(
        x, xpnet.Tensor(xpnet.asarray(np.array([[0, 5, -1, 1, 1, 1]] * 4)))
    ),
    "lp_pool1d": lambda x, y, t: F.lp_pool1d(x, 2, 2),
    "local_response_norm": lambda x, y, t: F.local_response_norm(x.reshape(1, 4, 6), 3),
    "ctc_loss": lambda x, y, t: F.ctc_loss(
        x.reshape(4, 1, 6), xpnet.Tensor(xpnet.asarray(np.array([[1, 2]]))), (4,), (2,)
    ),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CALLS))
def test_new_float32_ops_run_in_float32(xp, name):
    x = _tensor(xp, (4, 6), dtype="float16", requires_grad=True)
    y = _tensor(xp, (4, 6), 1, dtype="float16")
    target = xpnet.Tensor(xpnet.asarray(np.array([1.0, -1.0, 1.0, -1.0], dtype="float16")))
    with xpnet.autocast():
        result = FLOAT32_CALLS[name](x, y, target)
    assert name in autocast_module.FLOAT32_OPS
    assert _dtype(result) == "float32"
    result.sum().backward()
    assert x.grad.dtype == np.float16  # the gradient comes back in the input's dtype


def test_outside_autocast_nothing_is_cast(xp):
    with xpnet.autocast(enabled=False):
        assert F.linear(_tensor(xp, (2, 6)), _tensor(xp, (5, 6), 1)).dtype == np.float32
    assert F.linear(_tensor(xp, (2, 6)), _tensor(xp, (5, 6), 1)).dtype == np.float32
    assert F.softmax(_tensor(xp, (2, 6), dtype="float16"), 1).dtype == np.float16


# -- autocast: values and gradients ---------------------------------------------------------------
def test_linear_accumulates_in_float32(xp):
    """4096 products of 0.1: float16 sums would stop growing at 256 (ulp 0.25 > 0.1)."""
    x = xpnet.Tensor(xp.full((2, 4096), 0.1, dtype="float32"))
    w = xpnet.Tensor(xp.ones((3, 4096), dtype="float32"))
    with xpnet.autocast():
        out = F.linear(x, w)
    expected = np.float16(4096 * float(np.float16(0.1)))  # exact sum of the rounded inputs
    np.testing.assert_array_equal(xpnet.to_numpy(out.array), np.full((2, 3), expected))


def test_conv_values_and_gradients_match_torch_autocast(xp):
    """A conv + linear + cross-entropy step: forward in float16, float32 master gradients."""
    rng = np.random.default_rng(0)
    arrays = {
        "x": rng.standard_normal((2, 3, 6, 6)),
        "w": rng.standard_normal((4, 3, 3, 3)) * 0.3,
        "b": rng.standard_normal(4) * 0.1,
        "lw": rng.standard_normal((5, 64)) * 0.1,
    }
    arrays = {key: value.astype(np.float32) for key, value in arrays.items()}
    target = np.array([1, 4])
    ours = {k: xpnet.Tensor(xpnet.asarray(v), requires_grad=k != "x") for k, v in arrays.items()}
    theirs = {k: torch.tensor(v, requires_grad=k != "x") for k, v in arrays.items()}
    with xpnet.autocast(dtype="float16"):
        hidden = F.relu(F.conv2d(ours["x"], ours["w"], ours["b"]))
        logits = F.linear(hidden.flatten(1), ours["lw"])
        loss = F.cross_entropy(logits, xpnet.asarray(target))
    loss.backward()
    with torch.autocast("cpu", dtype=torch.float16):
        hidden = TF.relu(TF.conv2d(theirs["x"], theirs["w"], theirs["b"]))
        torch_logits = TF.linear(hidden.flatten(1), theirs["lw"])
        torch_loss = TF.cross_entropy(torch_logits, torch.from_numpy(target))
    torch_loss.backward()
    assert logits.dtype == np.float16 and loss.dtype == np.float32
    np.testing.assert_allclose(
        xpnet.to_numpy(logits.array), torch_logits.detach().numpy(), rtol=2e-3, atol=2e-3
    )
    for key in ("w", "b", "lw"):
        grad = xpnet.to_numpy(ours[key].grad)
        assert grad.dtype == np.float32 and ours[key].dtype == np.float32
        np.testing.assert_allclose(grad, theirs[key].grad.numpy(), rtol=1e-2, atol=1e-3)


# -- autocast: the context manager ----------------------------------------------------------------
def test_nesting_decorator_and_threads(xp):
    is_on = xpnet.amp.is_autocast_enabled
    outer = xpnet.autocast()
    with outer:
        assert is_on()
        with xpnet.autocast(enabled=False):
            assert not is_on()
            with xpnet.autocast():
                assert is_on()
            assert not is_on()
        assert is_on()
        seen = []
        thread = threading.Thread(target=lambda: seen.append(is_on()))
        thread.start()
        thread.join()
        assert seen == [False]  # per thread, as PyTorch
    assert not is_on()

    @xpnet.autocast(dtype=np.float16)
    def forward(x, w):
        return F.linear(x, w)

    assert forward(_tensor(xp, (2, 6)), _tensor(xp, (5, 6), 1)).dtype == np.float16
    assert not is_on()
    with pytest.raises(KeyError), xpnet.autocast():
        raise KeyError("inside")
    assert not is_on()  # restored after an exception


def test_autocast_arguments():
    assert xpnet.autocast("cuda", torch.float16).fast_dtype == "float16"
    assert xpnet.autocast(dtype=np.dtype("float16")).fast_dtype == "float16"
    with pytest.raises(TypeError, match="bfloat16 is not supported"):
        xpnet.autocast(dtype="bfloat16")
    with pytest.raises(TypeError, match="autocast: dtype must be float16, got 'float64'"):
        xpnet.autocast(dtype="float64")
    with pytest.raises(ValueError, match="device_type must be"):
        xpnet.autocast("tpu")
    # torch refuses a non-bool enabled too: "false" must not turn autocast on
    with pytest.raises(TypeError, match="autocast: enabled must be a bool, got str 'false'"):
        xpnet.autocast(enabled="false")
    # torch.is_autocast_enabled("cuda") / torch.get_autocast_dtype("cpu") port as they are
    with xpnet.autocast("cpu"):
        assert xpnet.amp.is_autocast_enabled("cuda") and xpnet.amp.is_autocast_enabled("cpu")
        assert xpnet.amp.get_autocast_dtype("cpu") == "float16"
    with pytest.raises(ValueError, match="is_autocast_enabled: device_type must be"):
        xpnet.amp.is_autocast_enabled("tpu")


def test_decorated_function_in_two_threads_restores_each_threads_state():
    # one autocast object, entered by two threads at once: each must get its own state back
    is_on = xpnet.amp.is_autocast_enabled
    inside, main_done, seen = threading.Event(), threading.Event(), []

    @xpnet.autocast(enabled=False)  # one autocast object for both threads
    def region(action):
        action()

    def work():
        region(lambda: (inside.set(), main_done.wait(10)))
        seen.append(is_on())

    def start_and_wait():
        worker.start()
        inside.wait(10)  # both threads are inside the region now

    worker = threading.Thread(target=work)
    with xpnet.autocast():
        region(start_and_wait)  # exits first
        assert is_on()  # the outer region of this thread is back
        main_done.set()
        worker.join()
    assert seen == [False]  # the worker thread had no region


def test_binary_cross_entropy_is_refused(xp):
    half = xp.ones(2, dtype="float16")
    with pytest.raises(RuntimeError, match="binary_cross_entropy: unsafe to autocast"):
        autocast_module.cast_arguments("binary_cross_entropy", (half, half), {})
    args, kwargs = autocast_module.cast_arguments("gelu", (half,), {"approximate": "none"})
    assert args[0] is half and kwargs == {"approximate": "none"}


# -- GradScaler vs torch.amp.GradScaler -----------------------------------------------------------
def _run_scalers(xp, steps, bad_steps, size=1.0, state=None, optimizer=("SGD", {}), **options):
    """Both scalers through ``steps`` iterations; gradients hold inf/NaN at ``bad_steps``.
    ``size`` scales the weights (small: the scaled loss stays finite near float32's max);
    ``state`` is loaded into both scalers first; ``optimizer`` is a name in both libraries'
    ``optim`` and its arguments besides ``lr=1e-3``."""
    values = np.array([0.5, -1.0, 2.0], dtype=np.float32) * np.float32(size)
    w = xpnet.Parameter(xpnet.asarray(values))
    torch_w = torch.tensor(values, requires_grad=True)
    ours, theirs = xpnet.GradScaler(**options), torch.amp.GradScaler("cpu", **options)
    if state is not None:
        ours.load_state_dict(state)
        theirs.load_state_dict(state)
    name, kwargs = optimizer
    opt = getattr(xpnet.optim, name)([w], lr=1e-3, **kwargs)
    torch_opt = getattr(torch.optim, name)([torch_w], lr=1e-3, **kwargs)
    history = []
    for step in range(steps):
        opt.zero_grad()
        torch_opt.zero_grad()
        ours.scale((w * w).sum()).backward()
        theirs.scale((torch_w * torch_w).sum()).backward()
        if step in bad_steps:
            bad = bad_steps[step]
            w.grad[1] = bad
            torch_w.grad[1] = bad
        ours.step(opt)
        theirs.step(torch_opt)
        ours.update()
        theirs.update()
        history.append((ours.get_scale(), theirs.get_scale()))
        np.testing.assert_allclose(xpnet.to_numpy(w.array), torch_w.detach().numpy(), rtol=1e-6)
    return ours, theirs, history


@pytest.mark.parametrize(
    "options",
    [
        {"growth_interval": 3},
        {"init_scale": 1024.0, "growth_factor": 3.0, "backoff_factor": 0.3, "growth_interval": 2},
        # growing past 2**127 would overflow float32: the scale stays
        {"init_scale": 2.0**126, "growth_interval": 1, "size": 1e-3},
    ],
)
def test_scale_sequence_matches_torch(xp, options):
    bad = {1: np.inf, 2: -np.inf, 6: np.nan, 7: np.inf, 12: np.nan}
    ours, theirs, history = _run_scalers(xp, 16, bad, **options)
    if options.get("size"):
        assert history[5] == (2.0**127, 2.0**127)  # 2**126, +1, +1: held at 2**127
    assert [a for a, _ in history] == [b for _, b in history]
    assert len(set(history)) > 2  # the scale went both ways
    assert ours.state_dict() == theirs.state_dict()


@pytest.mark.parametrize(
    "optimizer",
    [("SGD", {"momentum": 0.9}), ("Adam", {}), ("AdamW", {"amsgrad": True}), ("RMSprop", {})],
)
def test_skips_of_stateful_optimizers_match_torch(xp, optimizer):
    """Skipped on the device (xpnet) or by a host read (torch's non-fused optimizers): the
    same scales and parameters at every step (the bias corrections would part them if a
    skipped step were counted)."""
    bad = {0: np.inf, 1: np.nan, 5: np.inf, 6: -np.inf}
    ours, theirs, history = _run_scalers(xp, 10, bad, growth_interval=2, optimizer=optimizer)
    assert [a for a, _ in history] == [b for _, b in history]
    assert ours.state_dict() == theirs.state_dict()


def test_default_growth_interval_matches_torch(xp):
    """The defaults: 2**16, doubled after 2000 clean steps (resumed at 1997), halved by one
    overflow."""
    assert xpnet.GradScaler().state_dict() == torch.amp.GradScaler("cpu").state_dict()
    state = {**xpnet.GradScaler().state_dict(), "_growth_tracker": 1997}
    _, _, history = _run_scalers(xp, 6, {4: np.inf}, state=state)
    expected = [2.0**16, 2.0**16, 2.0**17, 2.0**17, 2.0**16, 2.0**16]
    assert history == [(scale, scale) for scale in expected]


def test_unscale_divides_gradients_and_steps_are_skipped(xp):
    w = xpnet.Parameter(xpnet.asarray(np.array([1.0, 2.0], dtype=np.float32)))
    opt = xpnet.optim.SGD([w], lr=0.5)
    scaler = xpnet.GradScaler(init_scale=8.0)
    scaler.scale([(w * w).sum(), w.sum()])[0].backward()
    scaler.unscale_(opt)
    np.testing.assert_array_equal(xpnet.to_numpy(w.grad), [2.0, 4.0])
    scaler.step(opt)  # uses the unscaled gradients: no second division
    np.testing.assert_array_equal(xpnet.to_numpy(w.array), [0.0, 0.0])
    scaler.update()
    opt.zero_grad()
    scaler.scale((w * w).sum()).backward()
    w.grad[0] = np.nan
    assert scaler.step(opt) is None  # skipped
    np.testing.assert_array_equal(xpnet.to_numpy(w.array), [0.0, 0.0])
    scaler.update()
    assert scaler.get_scale() == 4.0


def test_no_host_read_in_a_step(backend, monkeypatch):
    """scale, unscale_, step and update only enqueue device work: step passes the found-inf
    flag to the optimizer, which skips on the device; a custom optimizer's step reads it."""
    xp = backend.xp
    reads = []
    real_to_host = backend.to_host
    monkeypatch.setattr(backend, "to_host", lambda x: reads.append(x.shape) or real_to_host(x))
    for make in (
        lambda params: xpnet.optim.SGD(params, lr=0.1),
        lambda params: xpnet.optim.Adam(params, lr=0.1),
        lambda params: _HostSkippedSGD(params, lr=0.1),
    ):
        w = xpnet.Parameter(xp.ones((4, 3), dtype="float32"))
        opt, scaler = make([w]), xpnet.GradScaler()
        for _ in range(3):
            with host_sync_forbidden():
                loss = scaler.scale((w * w).sum())
            loss.backward()
            with host_sync_forbidden():
                scaler.unscale_(opt)
                scaler.step(opt)
                scaler.update()
            # the custom optimizer (no found_inf): step copies the flag to the host, once
            assert reads == ([()] if isinstance(opt, _HostSkippedSGD) else [])
            reads.clear()
            opt.zero_grad()


class _HostSkippedSGD(xpnet.optim.SGD):
    """A user's optimizer whose ``_update`` takes no ``found_inf``: GradScaler falls back to
    reading the flag on the host."""

    def _update(self, xp, param, grad, state, group):
        super()._update(xp, param, grad, state, group)


# every optimizer, with the state each keeps; SGD with momentum reads the flag at its first
# step (it makes the momentum buffers then), so the steps under host_reads_forbidden follow one
SCALED = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adadelta", {}),
]


def _scaled_step(scaler, opt, params, bad=None):
    """``scaler.scale(loss).backward(); scaler.step(opt); scaler.update()`` on a loss of
    ``params``; ``bad`` (a value) is written into one gradient after the backward pass."""
    opt.zero_grad()
    scaler.scale(_loss(params)).backward()
    if bad is not None:
        params[1].grad[1] = bad
    scaler.step(opt)
    scaler.update()


def _loss(params):
    terms = [(p * p * p).sum() - p.sum() for p in params]
    return sum(terms[1:], terms[0])


def _params(xp, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,), ()]
    return [xpnet.Parameter(xp.asarray(rng.uniform(-1, 1, s).astype("float32"))) for s in shapes]


def _bits(backend, opt, params) -> tuple:
    """Host copies of the parameters and the optimizer state, as bytes (bit for bit)."""
    data = [backend.to_host(p.array).tobytes() for p in params]
    state = {
        index: {
            key: backend.to_host(value).tobytes() if hasattr(value, "shape") else value
            for key, value in entries.items()
        }
        for index, entries in opt.state_dict()["state"].items()
    }
    return data, state


@pytest.mark.parametrize("name, kwargs", SCALED, ids=[f"{n}-{k}" for n, k in SCALED])
def test_scaled_steps_never_read_the_device(strict, name, kwargs):
    """Under host_reads_forbidden (every device-to-host read raises on strict) whole steps run,
    clean and overflowing, for every optimizer."""
    with use_backend("strict"):
        params = _params(strict.xp)
        opt = getattr(xpnet.optim, name)(params, **kwargs)
        scaler = xpnet.GradScaler(init_scale=2.0**10)
        if "momentum" in kwargs and name == "SGD":
            _scaled_step(scaler, opt, params)  # the one read: the momentum buffers' step
        before = _bits(strict, opt, params)
        with host_reads_forbidden():
            _scaled_step(scaler, opt, params, bad=np.float32(np.inf))
            for _ in range(2):
                _scaled_step(scaler, opt, params)
            _scaled_step(scaler, opt, params, bad=np.float32(np.nan))
    assert _bits(strict, opt, params) != before  # the clean steps stepped
    assert scaler.get_scale() == 2.0**8  # two overflows


@pytest.mark.parametrize("name, kwargs", SCALED, ids=[f"{n}-{k}" for n, k in SCALED])
def test_skipped_step_keeps_every_bit_and_the_step_count(backend, name, kwargs):
    xp = backend.xp
    params = _params(xp)
    opt = getattr(xpnet.optim, name)(params, **kwargs)
    scaler = xpnet.GradScaler(init_scale=2.0**10)
    for _ in range(2):
        _scaled_step(scaler, opt, params)
    before = _bits(backend, opt, params)
    for bad in (np.inf, -np.inf, np.nan):
        _scaled_step(scaler, opt, params, bad=np.float32(bad))
        assert _bits(backend, opt, params) == before
    steps = {entries.get("step") for entries in opt.state_dict()["state"].values()}
    # SGD counts no steps; without momentum it keeps no state at all, as torch
    assert steps == ({2} if name != "SGD" else {None} if kwargs.get("momentum") else set())
    assert scaler.get_scale() == 2.0**7
    _scaled_step(scaler, opt, params)
    assert _bits(backend, opt, params) != before


@pytest.mark.parametrize("name, kwargs", SCALED, ids=[f"{n}-{k}" for n, k in SCALED])
def test_skipped_first_step_leaves_a_fresh_optimizer(backend, name, kwargs):
    """A first step skipped on the device leaves state that steps as no state: the next
    steps are bit for bit those of an optimizer that never saw the overflow."""
    skipped, fresh = _params(backend.xp), _params(backend.xp)
    opts = [getattr(xpnet.optim, name)(params, **kwargs) for params in (skipped, fresh)]
    scalers = [xpnet.GradScaler(init_scale=2.0**10), xpnet.GradScaler(init_scale=2.0**9)]
    _scaled_step(scalers[0], opts[0], skipped, bad=np.float32(np.inf))
    assert [backend.to_host(p.array).tobytes() for p in skipped] == [
        backend.to_host(p.array).tobytes() for p in fresh
    ]
    for _ in range(3):
        for scaler, opt, params in zip(scalers, opts, (skipped, fresh), strict=True):
            _scaled_step(scaler, opt, params)
        assert _bits(backend, opts[0], skipped) == _bits(backend, opts[1], fresh)


@pytest.mark.parametrize("name, kwargs", SCALED, ids=[f"{n}-{k}" for n, k in SCALED])
def test_scaled_steps_match_plain_steps_bit_for_bit(backend, name, kwargs):
    """Through the scaler (the flag on the device) or plainly on the same unscaled gradients
    (skipping where the scaler skips): the same parameters and state, bit for bit."""
    scaled, plain = _params(backend.xp), _params(backend.xp)
    opt, reference = (getattr(xpnet.optim, name)(p, **kwargs) for p in (scaled, plain))
    scaler = xpnet.GradScaler(init_scale=2.0**10, growth_interval=2)
    for step in range(8):
        opt.zero_grad()
        scaler.scale(_loss(scaled)).backward()
        overflow = step in (3, 4)
        if overflow:
            scaled[0].grad[0, 0] = np.float32(np.inf)
        scaler.unscale_(opt)
        for p, q in zip(scaled, plain, strict=True):
            q.grad = p.grad.clone()
        scaler.step(opt)
        scaler.update()
        if not overflow:
            reference.step()
        ours, theirs = _bits(backend, opt, scaled), _bits(backend, reference, plain)
        assert ours == theirs, f"step {step}"


def test_state_dict_round_trip_with_torch(xp):
    ours, theirs, _ = _run_scalers(xp, 5, {1: np.inf}, growth_interval=2)
    state = theirs.state_dict()
    fresh = xpnet.GradScaler()
    fresh.load_state_dict(state)
    assert fresh.state_dict() == state
    assert set(state) == {
        "scale",
        "growth_factor",
        "backoff_factor",
        "growth_interval",
        "_growth_tracker",
    }
    ours.load_state_dict({**state, "scale": 4.0, "_growth_tracker": 1})  # live arrays too
    assert ours.get_scale() == 4.0 and ours.state_dict()["_growth_tracker"] == 1
    torch_fresh = torch.amp.GradScaler("cpu")
    torch_fresh.load_state_dict(ours.state_dict())
    assert torch_fresh.get_scale() == 4.0
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        fresh.load_state_dict({})


def test_update_with_new_scale(xp):
    w = xpnet.Parameter(xp.ones(2, dtype="float32"))
    scaler = xpnet.GradScaler()
    scaler.scale(w.sum())
    scaler.update(128.0)
    assert scaler.get_scale() == 128.0
    scaler.update(xp.asarray([32.0], dtype="float32"))
    assert scaler.get_scale() == 32.0
    with pytest.raises(TypeError, match="new_scale should be a float or a 1-element"):
        scaler.update(xp.ones(2, dtype="float32"))


def test_scaler_misuse_raises_torchs_errors(xp):
    w = xpnet.Parameter(xp.ones(2, dtype="float32"))
    opt = xpnet.optim.SGD([w], lr=0.1)
    scaler = xpnet.GradScaler()
    with pytest.raises(RuntimeError, match="Attempted step but _scale is None"):
        scaler.step(opt)
    scaler.scale(w.sum()).backward()
    with pytest.raises(AssertionError, match="No inf checks were recorded prior to update"):
        scaler.update()
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0.0)
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
        scaler.unscale_(opt)
    scaler.update()
    half = xpnet.Parameter(xp.ones(2, dtype="float16"))
    half.grad = xp.ones(2, dtype="float16")
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.unscale_(xpnet.optim.SGD([half], lr=0.1))
    for bad, match in (
        ({"growth_factor": 1.0}, "growth factor must be > 1.0"),
        ({"backoff_factor": 1.0}, "backoff factor must be < 1.0"),
        ({"growth_interval": 0}, "growth_interval must be a positive int"),
    ):
        with pytest.raises(ValueError, match=match):
            xpnet.GradScaler(**bad)


def test_unscale_refusing_fp16_changes_no_gradient(xp):
    """As torch: every gradient is checked before any is divided by the scale."""
    full = xpnet.Parameter(xp.ones(2, dtype="float32"))
    half = xpnet.Parameter(xp.ones(2, dtype="float16"))
    full.grad = xp.full(2, 4.0, dtype="float32")
    half.grad = xp.ones(2, dtype="float16")
    scaler = xpnet.GradScaler(init_scale=4.0)
    scaler.scale(full.sum())
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.unscale_(xpnet.optim.SGD([full, half], lr=0.1))
    np.testing.assert_array_equal(xpnet.to_numpy(full.grad), [4.0, 4.0])


def test_scale_of_an_iterable_is_lazy_as_torchs(xp):
    scaler = xpnet.GradScaler(init_scale=4.0)
    reference = torch.amp.GradScaler("cpu", init_scale=4.0)
    ours = scaler.scale(x for x in [xp.ones(2, dtype="float32"), xp.ones((), dtype="float32")])
    theirs = reference.scale(t for t in [torch.ones(2), torch.ones(())])
    assert type(ours) is type(theirs) is map
    for got, want in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(xpnet.to_numpy(got), want.numpy())


def test_disabled_scaler_is_a_pass_through(xp):
    w = xpnet.Parameter(xp.ones(2, dtype="float32"))
    opt = xpnet.optim.SGD([w], lr=0.5)
    scaler = xpnet.GradScaler(enabled=False)
    loss = w.sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    np.testing.assert_array_equal(xpnet.to_numpy(w.array), [0.5, 0.5])
    assert scaler.get_scale() == 1.0 and scaler.state_dict() == {} and not scaler.is_enabled()


# -- xpnet train --precision 16-mixed -------------------------------------------------------------
def test_set_precision():
    config = Config(precision="16-mixed")
    _, optimizer, _, _ = build_run(config, (1, 8, 8), 10)
    assert isinstance(grad_scaler_of(optimizer), xpnet.GradScaler)
    assert set_precision(optimizer, "32") is None and grad_scaler_of(optimizer) is None
    with pytest.raises(ValueError, match="precision must be one of '32', '16-mixed'"):
        set_precision(optimizer, "bf16-mixed")


def test_mixed_precision_lenet_reaches_float32_accuracy():
    """Two short LeNet runs on digits: 16-mixed within 0.5 points of float32 (numpy only:
    a run takes ~20 s on strict; test_mixed_precision_steps runs the step there)."""
    results = {}
    for precision in ("32", "16-mixed"):
        config = Config(backend="numpy", epochs=2, precision=precision, seed=1)
        results[precision] = fit(config, echo=lambda *args: None)[-1]
    assert results["32"]["test_acc"] > 0.9
    assert abs(results["16-mixed"]["test_acc"] - results["32"]["test_acc"]) <= 0.005
    assert results["16-mixed"]["train_loss"] != results["32"]["train_loss"]  # float16 ran


def test_mixed_precision_steps(backend):
    """train_step with a scaler: float16 logits, float32 loss and master weights, no skip."""
    xp = backend.xp
    xpnet.manual_seed(0)
    model = xpnet.models.LeNet(image_size=8, widths=(4, 8))
    optimizer = xpnet.optim.Adam(model.parameters(), lr=1e-2)
    scaler = set_precision(optimizer, "16-mixed")
    images = xpnet.asarray(np.random.default_rng(0).standard_normal((16, 1, 8, 8)), "float32")
    labels = xpnet.asarray(np.arange(16) % 10)
    loss_fn = xpnet.nn.CrossEntropyLoss(reduction="sum")
    losses = []
    for _ in range(4):
        logits, loss_sum = train_step(model, images, labels, 16, loss_fn, optimizer)
        losses.append(loss_sum.item())
    assert logits.dtype == xp.float16 and loss_sum.dtype == xp.float32
    assert all(p.dtype == xp.float32 and p.grad.dtype == xp.float32 for p in model.parameters())
    assert scaler.get_scale() == 2.0**16  # no overflow, no skipped step
    assert losses[-1] < losses[0]


def test_scaler_matches_torch_on_0d_losses_and_missing_gradients(xp):
    """Found by a random comparison with torch.amp.GradScaler('cpu') 2.13: a 0-d loss stays
    0-d, and a step with no gradient at all is PyTorch's AssertionError."""
    w = xpnet.Parameter(xp.ones(2, dtype="float32"))
    scaler, reference = xpnet.GradScaler(), torch.amp.GradScaler("cpu")
    loss = w.sum()
    assert scaler.scale(loss).shape == reference.scale(torch.ones(2).sum()).shape == ()
    unused = xpnet.Parameter(xp.ones(2, dtype="float32"))
    with pytest.raises(AssertionError, match="No inf checks were recorded for this optimizer"):
        scaler.step(xpnet.optim.SGD([unused], lr=0.1))


@pytest.mark.parametrize("scale", [2.0**127, 3.0 * 2.0**125, 2.0**126, 1024.0, 0.75])
def test_unscale_factors_stay_normal_and_multiply_to_torchs_inv_scale(xp, scale):
    """Found on an H200: at a scale of 2**127 PyTorch's float32 inv_scale is a subnormal,
    which the GPU flushed to 0, so every gradient of that step unscaled to 0. The scaler
    multiplies by two normal float32 factors whose product is that inv_scale exactly."""
    from xpnet.amp.grad_scaler import _inverse_factors

    coarse, fine = (
        float(xpnet.to_numpy(f)) for f in _inverse_factors(xp, xp.full((), scale, "float32"))
    )
    tiny = np.finfo(np.float32).tiny
    assert coarse >= tiny and fine >= tiny  # both normal: nothing for a GPU to flush
    inv_scale = torch.tensor(scale, dtype=torch.float64).reciprocal().float().item()
    assert coarse * fine == inv_scale
    grad = np.array([1.7e35, -3.1e33, 2.5e-3], dtype=np.float32)
    assert np.array_equal(
        grad * np.float32(coarse) * np.float32(fine), grad * np.float32(inv_scale)
    )
