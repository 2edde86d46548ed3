"""L-BFGS against torch.optim.LBFGS: the same closure, the same iterates, step for step.

The problems are a least-squares fit (two parameters and one that never gets a gradient) and
Rosenbrock's function; the xpnet closures compute the gradient by formula on the backend under
test, PyTorch's by autograd. In float64 the iterates agree to ~1e-12 (the dot products and sums
round in another order).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
from xpnet.backends import host_sync_forbidden
from xpnet.nn import Parameter as Param
from xpnet.optim import LBFGS, SGD

X = random_input((6, 3), seed=1)
Y = random_input((6,), seed=2)
START = {"w": random_input((3,), seed=3), "b": np.array([0.5]), "unused": np.array([1.0, -2.0])}


def least_squares_xpnet(backend, params):
    """``0.5 * |X w + b - y|^2`` and its gradient; ``unused`` never gets one (``grad=None``)."""
    w, b, _ = params
    x, y = backend.asarray(X.astype(w.array.dtype)), backend.asarray(Y.astype(w.array.dtype))
    residual = x @ w.array + b.array - y
    w.grad = x.T @ residual
    b.grad = residual.sum(keepdims=True)
    return 0.5 * (residual * residual).sum()


def least_squares_torch(params):
    w, b, _ = params
    residual = torch.tensor(X, dtype=w.dtype) @ w + b - torch.tensor(Y, dtype=w.dtype)
    return 0.5 * (residual * residual).sum()


def rosenbrock_xpnet(backend, params):
    (w,) = params
    xp = backend.xp
    x, y = w.array[0], w.array[1]
    w.grad = xp.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_torch(params):
    (w,) = params
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] * w[0]) ** 2


PROBLEMS = {
    "least-squares": (
        lambda: [START["w"], START["b"], START["unused"]],
        least_squares_xpnet,
        least_squares_torch,
    ),
    "rosenbrock": (lambda: [np.array([-1.5, 2.0])], rosenbrock_xpnet, rosenbrock_torch),
}


def run_xpnet(backend, problem, kwargs, steps, dtype=np.float64, optimizer=None, params=None):
    start, loss_fn, _ = PROBLEMS[problem]
    params = params or [Param(backend.asarray(value.astype(dtype))) for value in start()]
    optimizer = optimizer or LBFGS(params, **kwargs)
    trajectory = []
    for _ in range(steps):
        loss = optimizer.step(lambda: loss_fn(backend, params))
        trajectory.append(
            (float(loss), [backend.to_host(p.array).copy() for p in params], _counts(optimizer))
        )
    return trajectory, optimizer, params


def run_torch(problem, kwargs, steps, dtype=torch.float64):
    start, _, loss_fn = PROBLEMS[problem]
    params = [torch.tensor(value, dtype=dtype, requires_grad=True) for value in start()]
    optimizer = torch.optim.LBFGS(params, **kwargs)

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        return loss

    trajectory = []
    for _ in range(steps):
        loss = optimizer.step(closure)
        state = optimizer.state[params[0]]
        counts = (state["func_evals"], state["n_iter"])
        trajectory.append((loss.item(), [p.detach().numpy().copy() for p in params], counts))
    return trajectory, optimizer


def _counts(optimizer):
    state = optimizer.state[id(optimizer.param_groups[0]["params"][0])]
    return state["func_evals"], state["n_iter"]


def assert_same_run(actual, expected, dtype=np.float64, rtol=None):
    for step, ((loss, params, counts), (ref_loss, ref_params, ref_counts)) in enumerate(
        zip(actual, expected, strict=True)
    ):
        assert counts == ref_counts, f"step {step + 1}: (func_evals, n_iter)"
        assert_close(np.array(loss), np.array(ref_loss), dtype, f"loss of step {step + 1}", rtol)
        for index, (param, reference) in enumerate(zip(params, ref_params, strict=True)):
            assert param.dtype == dtype
            assert_close(param, reference, dtype, f"param {index} after step {step + 1}", rtol)


CASES = [
    ("least-squares", {}),
    ("least-squares", {"lr": 0.5, "max_iter": 3, "history_size": 2}),
    ("least-squares", {"line_search_fn": "strong_wolfe"}),
    ("least-squares", {"line_search_fn": "strong_wolfe", "max_iter": 2, "history_size": 1}),
    ("rosenbrock", {"lr": 0.1}),
    ("rosenbrock", {"lr": 0.05, "max_iter": 7, "max_eval": 5, "history_size": 3}),
    ("rosenbrock", {"line_search_fn": "strong_wolfe"}),
    # a short line-search budget: the search runs out of evaluations
    ("rosenbrock", {"line_search_fn": "strong_wolfe", "max_eval": 3, "max_iter": 4}),
    # loose tolerances stop the runs early, each on another test
    ("rosenbrock", {"tolerance_change": 1e-2}),
    ("rosenbrock", {"line_search_fn": "strong_wolfe", "tolerance_change": 1e-3}),
    ("least-squares", {"tolerance_grad": 1e-2, "line_search_fn": "strong_wolfe"}),
    ("least-squares", {"tolerance_grad": 10.0}),  # optimal at the start: one evaluation
]
# Rosenbrock's curved valley amplifies the last-bit differences of the first steps (~1e-14, from
# the order of the dot products) to ~1e-9 in mid-run, through these line searches; the evaluation
# and iteration counts, compared exactly, show that every branch was the same
AMPLIFIED = [
    ("rosenbrock", {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 9}),
    ("rosenbrock", {"line_search_fn": "strong_wolfe", "lr": 10.0, "max_iter": 4}),
]


@pytest.mark.parametrize(
    "problem, kwargs, rtol",
    [(*case, 1e-11) for case in CASES] + [(*case, 1e-7) for case in AMPLIFIED],
    ids=[f"{p}-{k}" for p, k in CASES + AMPLIFIED],
)
def test_lbfgs_matches_torch(backend, problem, kwargs, rtol):
    expected, _ = run_torch(problem, kwargs, steps=4)
    actual, _, _ = run_xpnet(backend, problem, kwargs, steps=4)
    # the dot products and sums round in another order than PyTorch's: ~1e-12, not bits
    assert_same_run(actual, expected, rtol=rtol)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_float32_matches_torch(backend, line_search_fn):
    # few iterations: converged float32 losses would tie, and ties break either way
    kwargs = {"line_search_fn": line_search_fn, "max_iter": 3}
    expected, _ = run_torch("least-squares", kwargs, steps=2, dtype=torch.float32)
    actual, _, _ = run_xpnet(backend, "least-squares", kwargs, steps=2, dtype=np.float32)
    assert_same_run(actual, expected, np.float32)


def test_lbfgs_state_dict_matches_torch_and_resumes(backend):
    kwargs = {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 4}
    expected, reference = run_torch("rosenbrock", kwargs, steps=4)
    first, optimizer, params = run_xpnet(backend, "rosenbrock", kwargs, steps=2)
    saved = optimizer.state_dict()
    theirs = reference.state_dict()
    assert set(saved["state"][0]) == set(theirs["state"][0])
    assert saved["param_groups"] == theirs["param_groups"]
    # resume as after a restart, the state saved on the host (NumPy arrays)
    host = {
        key: [backend.to_host(v) for v in value] if isinstance(value, list) else value
        for key, value in saved["state"][0].items()
        if key != "al"
    }
    host["al"] = [None if v is None else backend.to_host(v) for v in saved["state"][0]["al"]]
    fresh = [Param(backend.asarray(backend.to_host(p.array).copy())) for p in params]
    resumed = LBFGS(fresh, **kwargs)
    resumed.load_state_dict({"state": {0: host}, "param_groups": saved["param_groups"]})
    second, _, _ = run_xpnet(backend, "rosenbrock", {}, steps=2, optimizer=resumed, params=fresh)
    assert_same_run(first + second, expected)


def test_lbfgs_trains_a_module_like_torch(backend):
    """A closure that runs autograd: a Linear layer fitted with MSE, Tensor losses."""
    model = xpnet.nn.Linear(3, 2).to(backend.name, dtype="float64")
    reference = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(backend.to_host(model.weight.array)))
        reference.bias.copy_(torch.tensor(backend.to_host(model.bias.array)))
    inputs, targets = random_input((5, 3), seed=4), random_input((5, 2), seed=5)
    ours = LBFGS(model.parameters(), line_search_fn="strong_wolfe", max_iter=5)
    theirs = torch.optim.LBFGS(reference.parameters(), line_search_fn="strong_wolfe", max_iter=5)

    def our_closure():
        ours.zero_grad()
        output = model(xpnet.Tensor(backend.asarray(inputs)))
        loss = xpnet.nn.functional.mse_loss(output, xpnet.Tensor(backend.asarray(targets)))
        loss.backward()
        return loss

    def their_closure():
        theirs.zero_grad()
        loss = torch.nn.functional.mse_loss(reference(torch.tensor(inputs)), torch.tensor(targets))
        loss.backward()
        return loss

    with xpnet.no_grad():  # the step turns gradients back on for its closure, as PyTorch's
        for _ in range(3):
            loss = ours.step(our_closure)
            ref_loss = theirs.step(their_closure)
            assert isinstance(loss, xpnet.Tensor)
            assert_close(np.array(float(loss)), np.array(ref_loss.item()), np.float64)
    assert_close(backend.to_host(model.weight.array), reference.weight.detach(), np.float64)


def test_lbfgs_reads_values_on_the_host(backend):
    """It branches on losses and gradient norms: inside a no-sync region the strict backend
    refuses, as it would refuse any host read; outside, it runs."""
    (w,) = params = [Param(backend.asarray(np.array([-1.5, 2.0])))]
    optimizer = LBFGS(params, max_iter=2)
    if backend.name == "strict":
        with host_sync_forbidden(), pytest.raises(RuntimeError, match="copies a value from"):
            optimizer.step(lambda: rosenbrock_xpnet(backend, params))
    optimizer = LBFGS(params, max_iter=2)
    optimizer.step(lambda: rosenbrock_xpnet(backend, params))
    assert type(w.array) is type(backend.asarray(np.zeros(1)))  # updated on its backend


def test_lbfgs_updates_parameters_in_place():
    params = [Param(value.copy()) for value in PROBLEMS["rosenbrock"][0]()]
    data = params[0].array
    LBFGS(params, lr=0.1).step(
        lambda: rosenbrock_xpnet(xpnet.backends.load_backend("numpy"), params)
    )
    assert params[0].array is data and not np.array_equal(data, [-1.5, 2.0])


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda cls, p: cls(p, lr=-1.0), ValueError, r"lr must be in \[0.0, inf\), got -1.0"),
        (lambda cls, p: cls(p, lr="1"), TypeError, "lr must be a real number"),
        (
            lambda cls, p: cls([{"params": p[:1]}, {"params": p[1:]}]),
            ValueError,
            r"doesn't support per-parameter options \(parameter groups\), got 2 groups",
        ),
        (lambda cls, p: cls([]), ValueError, "params must not be empty"),
    ],
)
def test_lbfgs_rejects_bad_arguments_as_torch(make, error, match):
    with pytest.raises(error, match=match):
        make(LBFGS, [Param(np.zeros(2)), Param(np.zeros(1))])
    with pytest.raises(error):  # PyTorch raises the same kind of error
        make(torch.optim.LBFGS, [torch.zeros(2, requires_grad=True), torch.zeros(1)])


def test_lbfgs_rejects_unknown_line_search_at_step_as_torch():
    params = [Param(np.array([-1.5, 2.0]))]
    optimizer = LBFGS(params, line_search_fn="backtracking")
    backend = xpnet.backends.load_backend("numpy")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported, got 'backtracking'"):
        optimizer.step(lambda: rosenbrock_xpnet(backend, params))
    w = torch.tensor([-1.5, 2.0], requires_grad=True)
    theirs = torch.optim.LBFGS([w], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        theirs.step(lambda: rosenbrock_torch([w]).backward() or rosenbrock_torch([w]))


def test_lbfgs_rejects_a_line_search_without_evaluations():
    """``max_eval=0``: PyTorch fails inside its line search on an unbound name."""
    params = [Param(np.array([-1.5, 2.0]))]
    backend = xpnet.backends.load_backend("numpy")
    optimizer = LBFGS(params, line_search_fn="strong_wolfe", max_eval=0)
    with pytest.raises(ValueError, match="needs max_eval to leave it evaluations, got max_ls=-1"):
        optimizer.step(lambda: rosenbrock_xpnet(backend, params))


def test_lbfgs_rejects_a_second_group_added_later():
    optimizer = LBFGS([Param(np.zeros(2))])
    optimizer.add_param_group({"params": [Param(np.zeros(1))]})
    with pytest.raises(ValueError, match="expected exactly one param_group, got 2"):
        optimizer.step(lambda: 0.0)


def test_lbfgs_is_not_a_bucketed_optimizer():
    """Its step takes no found_inf flag (GradScaler steps it the plain way)."""
    from xpnet.optim.optimizer import takes_found_inf

    assert not takes_found_inf(LBFGS([Param(np.zeros(1))]))
    assert takes_found_inf(SGD([Param(np.zeros(1))]))


@PROFILE
@given(
    seed=st.integers(0, 2**16),
    size=st.integers(1, 4),
    history_size=st.integers(1, 5),
    max_iter=st.integers(1, 6),
    line_search_fn=st.sampled_from([None, "strong_wolfe"]),
)
def test_lbfgs_never_raises_a_convex_quadratic_with_line_search(
    seed, size, history_size, max_iter, line_search_fn
):
    """On ``0.5 x'Ax - b'x`` with A positive definite, the strong-Wolfe step never raises the
    loss, and both libraries take the same iterates."""
    rng = np.random.default_rng(seed)
    root = rng.uniform(-1, 1, (size, size))
    matrix, vector = root @ root.T + np.eye(size), rng.uniform(-1, 1, size)
    kwargs = {"history_size": history_size, "max_iter": max_iter, "line_search_fn": line_search_fn}
    if line_search_fn is None:
        kwargs["lr"] = 0.1
    w = Param(np.zeros(size))

    def closure():
        w.grad = matrix @ w.array - vector
        return 0.5 * w.array @ matrix @ w.array - vector @ w.array

    reference = torch.zeros(size, dtype=torch.float64, requires_grad=True)
    theirs = torch.optim.LBFGS([reference], **kwargs)

    def their_closure():
        theirs.zero_grad()
        loss = 0.5 * reference @ torch.tensor(matrix) @ reference - torch.tensor(vector) @ reference
        loss.backward()
        return loss

    ours = LBFGS([w], **kwargs)
    for _ in range(2):
        before = float(closure())
        ours.step(closure)
        theirs.step(their_closure)
        if line_search_fn is not None:
            assert float(closure()) <= before
        assert_close(w.array, reference.detach().numpy(), np.float64, rtol=1e-10)


def wavy(x, lib, scale, wave):
    """``sum(cos(wave x) + scale x^2 + x^4)`` and its gradient, with ``lib``'s functions."""
    value = lib.sum(lib.cos(wave * x) + scale * x**2 + x**4)
    return float(value), -wave * lib.sin(wave * x) + 2 * scale * x + 4 * x**3


def line_search_both(backend, seed):
    from torch.optim.lbfgs import _strong_wolfe

    from xpnet.optim._line_search import strong_wolfe

    rng = np.random.default_rng(seed)
    scale, wave = rng.uniform(-2, 2, 3), rng.uniform(1, 8)
    x0, t0 = rng.uniform(-1, 1, 3), float(rng.choice([0.01, 0.1, 1.0, 5.0, 30.0]))
    g0 = wavy(x0, np, scale, wave)[1]
    f0 = wavy(x0, np, scale, wave)[0]
    ours_scale, theirs_scale = backend.asarray(scale), torch.tensor(scale)
    x, g = backend.asarray(x0), backend.asarray(g0)
    ours = strong_wolfe(
        lambda x, t, d: wavy(x + t * d, backend.xp, ours_scale, wave),
        *(x, t0, -g, f0, g, backend.xp.dot(g, -g)),
    )
    x, g = torch.tensor(x0), torch.tensor(g0)
    theirs = _strong_wolfe(
        lambda x, t, d: wavy(x + t * d, torch, theirs_scale, wave), x, t0, -g, f0, g, g.dot(-g)
    )
    return ours, theirs


def test_strong_wolfe_matches_torchs_line_search(backend):
    """The line search alone, against PyTorch's ``_strong_wolfe`` on wavy functions, from
    short and long first steps: the same step and the same number of evaluations."""
    for seed in range(60):
        ours, theirs = line_search_both(backend, seed)
        assert ours[3] == theirs[3], f"seed {seed}: evaluations"
        assert_close(np.array(float(ours[2])), np.array(float(theirs[2])), np.float64, "t", 1e-12)
        assert_close(np.array(ours[0]), np.array(theirs[0]), np.float64, "loss", 1e-12)


@pytest.mark.parametrize(
    "t, insuf_progress, expected",
    [
        (0.5, False, (0.5, False)),  # well inside the bracket [0, 1]
        (0.5, True, (0.5, False)),
        (0.05, False, (0.05, True)),  # near an end the first time: kept, marked
        (0.05, True, (0.1, False)),  # the second time: moved a tenth inside
        (0.97, True, (0.9, False)),
        (1.2, False, (0.9, False)),  # outside: moved at once
        (-0.3, False, (0.1, False)),
    ],
)
def test_line_search_moves_trials_away_from_the_bracket_ends(t, insuf_progress, expected):
    from xpnet.optim._line_search import away_from_bounds

    moved, flag = away_from_bounds(t, [1.0, 0.0], insuf_progress)
    assert (round(moved, 12), flag) == expected
