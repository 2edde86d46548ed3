"""xpnet.optim.Muon against torch.optim.Muon: the same gradients in, the same trajectory and
state out, in float64 (PyTorch's Newton-Schulz run in float64 instead of bfloat16, see
``torch_float64_muon``) and to bfloat16's precision against PyTorch as it is."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
import torch.optim._muon as torch_muon
from _oracle import assert_close, random_input

import xpnet
import xpnet.optim as optim
from xpnet.backends import host_reads_forbidden, use_backend
from xpnet.nn import Parameter as Param
from xpnet.optim.optimizer import takes_found_inf

# wide, tall and square: a tall matrix is orthogonalised through its transpose
SHAPES = [(3, 5), (6, 2), (4, 4)]
STEPS = 6


def gradient(values: np.ndarray, step: int, index: int) -> np.ndarray:
    """A non-linear gradient field plus per-step noise, the same for both libraries."""
    return 0.5 * values + np.sin(3.0 * values) + random_input(values.shape, seed=100 * step + index)


def xpnet_trajectory(backend, kwargs, dtype=np.float64, steps=STEPS):
    params = [
        Param(backend.asarray(random_input(s, seed=i).astype(dtype))) for i, s in enumerate(SHAPES)
    ]
    optimizer = optim.Muon(params, **kwargs)
    trajectory = []
    for step in range(steps):
        for index, param in enumerate(params):
            values = backend.to_host(param.array).astype(np.float64)
            param.grad = backend.asarray(gradient(values, step, index).astype(dtype))
        optimizer.step()
        trajectory.append([backend.to_host(param.array).copy() for param in params])
    return optimizer, trajectory


def torch_trajectory(kwargs, steps=STEPS):
    params = [torch.tensor(random_input(s, seed=i)) for i, s in enumerate(SHAPES)]
    optimizer = torch.optim.Muon(params, **kwargs)
    trajectory = []
    for step in range(steps):
        for index, param in enumerate(params):
            param.grad = torch.tensor(gradient(param.numpy(), step, index))
        optimizer.step()
        trajectory.append([param.numpy().copy() for param in params])
    return optimizer, trajectory


@pytest.fixture
def torch_float64_muon(monkeypatch):
    """PyTorch's own ``_zeropower_via_newtonschulz``, its source with the one bfloat16 cast
    taken out (NumPy has no bfloat16): the oracle for a float64 comparison."""
    source = inspect.getsource(torch_muon._zeropower_via_newtonschulz)
    assert source.count("grad.bfloat16()") == 1  # the patch below still means what it says
    namespace = dict(vars(torch_muon))
    exec(source.replace("grad.bfloat16()", "grad.clone()"), namespace)  # noqa: S102
    name = "_zeropower_via_newtonschulz"
    monkeypatch.setattr(torch_muon, name, namespace[name])


CASES = [
    {},
    {"lr": 0.05, "weight_decay": 0.0, "momentum": 0.9, "nesterov": False},
    {"lr": 0.02, "momentum": 0.3, "ns_steps": 3, "adjust_lr_fn": "match_rms_adamw"},
    {"lr": 0.02, "ns_coefficients": (2.0, -1.5, 0.5), "eps": 1e-3, "adjust_lr_fn": "original"},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_muon_matches_torch_float64(backend, torch_float64_muon, kwargs):
    optimizer, trajectory = xpnet_trajectory(backend, kwargs)
    torch_optimizer, expected = torch_trajectory(kwargs)
    for step, (got, want) in enumerate(zip(trajectory, expected, strict=True)):
        for index, (a, e) in enumerate(zip(got, want, strict=True)):
            assert_close(a, e, np.float64, what=f"param {index} after step {step + 1}")
    state = optimizer.state_dict()
    torch_state = torch_optimizer.state_dict()
    assert state["param_groups"][0].keys() == torch_state["param_groups"][0].keys()
    for index in range(len(SHAPES)):
        buffer = backend.to_host(state["state"][index]["momentum_buffer"])
        want = torch_state["state"][index]["momentum_buffer"].numpy()
        assert_close(buffer, want, np.float64, what=f"momentum_buffer {index}")


def test_muon_matches_torch_bfloat16_iteration(backend):
    # PyTorch orthogonalises in bfloat16 (8 significant bits, rounded at each of the five
    # iterations): the first steps agree to a few percent, which is what this bounds
    _, trajectory = xpnet_trajectory(backend, {"lr": 0.02})
    _, expected = torch_trajectory({"lr": 0.02})
    start = [random_input(s, seed=i) for i, s in enumerate(SHAPES)]
    for a, e, s in zip(trajectory[0], expected[0], start, strict=True):
        assert np.abs((a - s) - (e - s)).max() <= 5e-2 * np.abs(e - s).max()


def test_muon_float32_and_float16_keep_dtype(backend):
    for dtype in (np.float32, np.float16):
        optimizer, trajectory = xpnet_trajectory(backend, {"lr": 0.02}, dtype=dtype, steps=2)
        assert all(a.dtype == dtype for a in trajectory[-1])
        assert all(np.isfinite(a.astype(np.float64)).all() for a in trajectory[-1])


def test_muon_load_state_dict_continues(backend, torch_float64_muon):
    first, _ = xpnet_trajectory(backend, {"lr": 0.05}, steps=3)
    saved = first.state_dict()
    params = [p for group in first.param_groups for p in group["params"]]
    second = optim.Muon(params, lr=0.05)
    second.load_state_dict(saved)
    buffer = second.state[id(params[0])]["momentum_buffer"]
    assert_close(
        backend.to_host(buffer), backend.to_host(saved["state"][0]["momentum_buffer"]), np.float64
    )


def test_muon_defaults_match_torch():
    torch_defaults = torch.optim.Muon([torch.zeros(2, 2)]).defaults
    ours = optim.Muon([Param(np.zeros((2, 2)))]).defaults
    assert ours == torch_defaults


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
        ({"momentum": -0.5}, "momentum should be >= 0 but is: -0.5"),
        ({"weight_decay": -0.1}, "weight decay should be >= 0 but is: -0.1"),
        ({"adjust_lr_fn": "other"}, "Adjust learning rate function other is not supported"),
    ],
)
def test_muon_rejects_bad_options_as_torch(kwargs, match):
    with pytest.raises(ValueError, match=match):
        torch.optim.Muon([torch.zeros(2, 2)], **kwargs)
    with pytest.raises(ValueError, match=match):
        optim.Muon([Param(np.zeros((2, 2)))], **kwargs)


def test_muon_rejects_parameters_that_are_not_2d():
    match = "Muon only supports 2D parameters whereas we found a parameter with size: "
    with pytest.raises(ValueError, match=match + r"torch.Size\(\[3\]\)"):
        torch.optim.Muon([torch.zeros(3)])
    with pytest.raises(ValueError, match=match + r"xpnet.Size\(\[3\]\)"):
        optim.Muon([Param(np.zeros(3))])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"ns_steps": 100}, "Number of steps must be less than 100"),
        ({"ns_coefficients": (1.0, 2.0)}, "Coefficients must be a tuple of exactly 3 values"),
    ],
)
def test_muon_step_rejects_bad_iteration_as_torch(backend, kwargs, match):
    weight = torch.zeros(2, 2, requires_grad=True)
    weight.grad = torch.ones(2, 2)
    with pytest.raises(ValueError, match=match):
        torch.optim.Muon([weight], **kwargs).step()
    param = Param(backend.asarray(np.zeros((2, 2))))
    param.grad = backend.asarray(np.ones((2, 2)))
    with pytest.raises(ValueError, match=match):
        optim.Muon([param], **kwargs).step()


# -- under xpnet.GradScaler: the found-inf flag decides on the device -----------------------------
def _scaled_muon_step(scaler, optimizer, params, bad=None):
    """One ``scale(loss).backward(); step; update`` of Muon; ``bad`` (inf or NaN) is written
    into one gradient after the backward pass."""
    optimizer.zero_grad()
    loss = sum(((p * p * p).sum() - p.sum() for p in params[1:]), (params[0] ** 3).sum())
    scaler.scale(loss).backward()
    if bad is not None:
        params[1].grad[0, 1] = bad
    scaler.step(optimizer)
    scaler.update()


def _muon_params(backend, dtype=np.float32):
    return [
        Param(backend.asarray(random_input(s, seed=i).astype(dtype))) for i, s in enumerate(SHAPES)
    ]


def _muon_bits(backend, optimizer, params):
    data = [backend.to_host(p.array).tobytes() for p in params]
    state = [
        backend.to_host(optimizer.state[id(p)]["momentum_buffer"]).tobytes()
        for p in params
        if id(p) in optimizer.state
    ]
    return data, state


def test_muon_takes_found_inf():
    assert takes_found_inf(optim.Muon([Param(np.zeros((2, 2)))]))


def test_muon_scaled_steps_read_nothing_on_the_host(strict, monkeypatch):
    """Clean and overflowing steps through GradScaler: no device-to-host read (each raises
    under host_reads_forbidden on strict, and ``to_host`` is counted)."""
    reads = []
    real_to_host = strict.to_host
    monkeypatch.setattr(strict, "to_host", lambda x: reads.append(x.shape) or real_to_host(x))
    with use_backend("strict"):
        params = _muon_params(strict)
        optimizer, scaler = optim.Muon(params, lr=0.02), xpnet.GradScaler(init_scale=2.0**10)
        with host_reads_forbidden():
            _scaled_muon_step(scaler, optimizer, params, bad=np.float32(np.inf))
            _scaled_muon_step(scaler, optimizer, params)
            _scaled_muon_step(scaler, optimizer, params, bad=np.float32(np.nan))
            _scaled_muon_step(scaler, optimizer, params)
    assert reads == []
    assert scaler.get_scale() == 2.0**8  # two overflows, each skipped without a read


def test_muon_skipped_step_keeps_every_bit(backend):
    params = _muon_params(backend)
    optimizer, scaler = optim.Muon(params, lr=0.02), xpnet.GradScaler(init_scale=2.0**10)
    for _ in range(2):
        _scaled_muon_step(scaler, optimizer, params)
    before = _muon_bits(backend, optimizer, params)
    for bad in (np.inf, -np.inf, np.nan):
        _scaled_muon_step(scaler, optimizer, params, bad=np.float32(bad))
        assert _muon_bits(backend, optimizer, params) == before
    _scaled_muon_step(scaler, optimizer, params)
    assert _muon_bits(backend, optimizer, params)[0] != before[0]


def test_muon_scaled_steps_match_plain_steps_bit_for_bit(backend):
    """A skipped first step leaves a zero momentum buffer, which steps as none: the scaled run
    matches a plain Muon stepped on the same unscaled gradients, skipping where it skips."""
    scaled, plain = _muon_params(backend), _muon_params(backend)
    optimizer, reference = optim.Muon(scaled, lr=0.02), optim.Muon(plain, lr=0.02)
    scaler = xpnet.GradScaler(init_scale=2.0**10)
    for step in range(5):
        optimizer.zero_grad()
        scaler.scale(sum((p * p * p).sum() for p in scaled)).backward()
        overflow = step in (0, 3)
        if overflow:
            scaled[0].grad[0, 0] = np.float32(np.inf)
        scaler.unscale_(optimizer)
        for p, q in zip(scaled, plain, strict=True):
            q.grad = p.grad.clone()
        scaler.step(optimizer)
        scaler.update()
        if not overflow:
            reference.step()
        assert [backend.to_host(p.array).tobytes() for p in scaled] == [
            backend.to_host(q.array).tobytes() for q in plain
        ], f"step {step}"
    assert _muon_bits(backend, optimizer, scaled)[1] == _muon_bits(backend, reference, plain)[1]
