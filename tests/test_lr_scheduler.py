"""Learning-rate schedulers against torch.optim.lr_scheduler: identical rate sequences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet.optim as optim
from xpnet.nn import Parameter as Param
from xpnet.optim import lr_scheduler

EPOCHS = 25


def make_optimizers(name="SGD", **kwargs):
    """The same two-group optimizer in xpnet and torch (the groups have different rates)."""
    ours = getattr(optim, name)(
        [{"params": [Param(np.zeros(2))]}, {"params": [Param(np.zeros(2))], "lr": 0.03}],
        **kwargs,
    )
    theirs = getattr(torch.optim, name)(
        [
            {"params": [torch.zeros(2, dtype=torch.float64)]},
            {"params": [torch.zeros(2, dtype=torch.float64)], "lr": 0.03},
        ],
        **kwargs,
    )
    return ours, theirs


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def run(optimizer, scheduler, epochs=EPOCHS, metrics=None, momentum=False):
    """Rates (and momenta) seen by each optimizer step; the scheduler steps after it."""
    seen = []
    for epoch in range(epochs):
        optimizer.step()  # torch warns when the scheduler steps first
        groups = optimizer.param_groups
        seen.append([g["lr"] for g in groups] + ([momentum_of(g) for g in groups] * momentum))
        assert scheduler.get_last_lr() == [g["lr"] for g in groups]
        scheduler.step(*([] if metrics is None else [metrics[epoch]]))
    return seen


def both(make, name="SGD", optimizer_kwargs=None, **run_kwargs):
    """Run ``make(module, optimizer)`` on xpnet and torch; assert the sequences are equal."""
    if optimizer_kwargs is None:
        optimizer_kwargs = {"lr": 0.1, "momentum": 0.9}
    ours, theirs = make_optimizers(name, **optimizer_kwargs)
    actual = run(ours, make(lr_scheduler, ours), **run_kwargs)
    expected = run(theirs, make(torch.optim.lr_scheduler, theirs), **run_kwargs)
    # the same float formulas in the same order: equal to the last bit
    assert actual == expected
    return actual


SCHEDULERS = {
    "step": lambda m, o: m.StepLR(o, step_size=4, gamma=0.5),
    # a count computed with NumPy is an integer to torch too
    "step-numpy-int": lambda m, o: m.StepLR(o, step_size=np.int64(4), gamma=0.5),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.3),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "cosine-eta-min-restart": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "linear": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=6),
    "linear-default": lambda m, o: m.LinearLR(o),
    "warmup-cosine": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.01, total_iters=5), m.CosineAnnealingLR(o, T_max=20)],
        milestones=[5],
    ),
    "warmup-exponential": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.2, total_iters=4), m.ExponentialLR(o, 0.8)], [4]
    ),
    "three-stage": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, 0.5, total_iters=3), m.StepLR(o, 3), m.MultiStepLR(o, [2, 4])],
        milestones=[6, 12],
    ),
}


@pytest.mark.parametrize("kind", list(SCHEDULERS))
def test_scheduler_matches_torch(kind):
    rates = both(SCHEDULERS[kind])
    assert len({tuple(r) for r in rates}) > 1, "the schedule never changed the rate"


ONE_CYCLE = {
    "cos": {"max_lr": 0.5, "total_steps": EPOCHS},
    "linear": {"max_lr": [0.5, 0.1], "total_steps": EPOCHS, "anneal_strategy": "linear"},
    "three-phase": {"max_lr": 0.5, "epochs": 5, "steps_per_epoch": 5, "three_phase": True},
    "options": {
        "max_lr": 1.0,
        "total_steps": EPOCHS,
        "pct_start": 0.4,
        "div_factor": 10.0,
        "final_div_factor": 100.0,
        "base_momentum": [0.8, 0.7],
        "max_momentum": 0.9,
    },
}


@pytest.mark.parametrize("kind", list(ONE_CYCLE))
@pytest.mark.parametrize(
    "name, optimizer_kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {})]
)
def test_one_cycle_matches_torch(kind, name, optimizer_kwargs):
    kwargs = ONE_CYCLE[kind]
    both(lambda m, o: m.OneCycleLR(o, **kwargs), name, optimizer_kwargs, momentum=True)


def test_one_cycle_without_momentum_cycling_matches_torch():
    both(
        lambda m, o: m.OneCycleLR(o, 0.5, total_steps=EPOCHS, cycle_momentum=False),
        "RMSprop",
        {"lr": 0.1},
        momentum=False,
    )


METRICS = [5.0, 4.0, 4.0, 3.9999, 4.1, 4.2, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 2.5, 2.5, 2.5,
           2.5, 2.5, 2.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # fmt: skip
PLATEAU = [
    {},
    {"patience": 1},
    {"mode": "max", "patience": 0, "factor": 0.5},
    {"patience": 1, "threshold": 0.1, "threshold_mode": "abs", "cooldown": 2},
    {"mode": "max", "threshold": 0.5, "threshold_mode": "abs", "patience": 2},
    {"patience": 0, "factor": 0.2, "min_lr": [0.01, 0.001]},
    {"patience": 0, "factor": 0.5, "min_lr": 0.02, "eps": 0.01},
]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    both(lambda m, o: m.ReduceLROnPlateau(o, **kwargs), metrics=METRICS)


def test_scheduler_drives_optimizer_like_torch():
    """One-cycle rates and momenta reach the SGD update: the parameter trajectories agree."""
    ours, theirs = make_optimizers("SGD", lr=0.1, momentum=0.9, nesterov=True)
    ours_sched = lr_scheduler.OneCycleLR(ours, 0.5, total_steps=10)
    theirs_sched = torch.optim.lr_scheduler.OneCycleLR(theirs, 0.5, total_steps=10)
    for step in range(10):
        for index, group in enumerate(ours.param_groups):
            grad = np.full(2, np.cos(step + index))
            group["params"][0].grad = grad
            theirs.param_groups[index]["params"][0].grad = torch.tensor(grad)
        ours.step()
        theirs.step()
        ours_sched.step()
        theirs_sched.step()
    for group, reference in zip(ours.param_groups, theirs.param_groups, strict=True):
        np.testing.assert_allclose(group["params"][0].array, reference["params"][0].numpy(), 1e-12)


RESUMABLE = {
    "cosine": SCHEDULERS["cosine"],
    "warmup-cosine": SCHEDULERS["warmup-cosine"],
    "one-cycle": lambda m, o: m.OneCycleLR(o, 0.5, total_steps=EPOCHS),
    "plateau": lambda m, o: m.ReduceLROnPlateau(o, patience=1),
}


@pytest.mark.parametrize("kind", list(RESUMABLE))
def test_scheduler_state_dict_round_trip(kind):
    metrics = METRICS if kind == "plateau" else None
    ours, theirs = make_optimizers("SGD", lr=0.1, momentum=0.9)
    expected = run(theirs, RESUMABLE[kind](torch.optim.lr_scheduler, theirs), metrics=metrics)
    first = RESUMABLE[kind](lr_scheduler, ours)
    half = EPOCHS // 2
    actual = run(ours, first, epochs=half, metrics=metrics)
    saved_optimizer, saved_scheduler = ours.state_dict(), first.state_dict()
    # resume as after a restart: new objects, the scheduler built before the states load
    fresh, _ = make_optimizers("SGD", lr=0.1, momentum=0.9)
    second = RESUMABLE[kind](lr_scheduler, fresh)
    fresh.load_state_dict(saved_optimizer)
    second.load_state_dict(saved_scheduler)
    actual += run(fresh, second, epochs=EPOCHS - half, metrics=metrics[half:] if metrics else None)
    assert actual == expected


def test_scheduler_rejects_non_optimizer():
    with pytest.raises(TypeError, match="StepLR: optimizer must be an xpnet.optim.Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)


def test_scheduler_resume_needs_initial_lr():
    ours, _ = make_optimizers()
    with pytest.raises(KeyError, match=r"ExponentialLR: param_groups\[0\] has no 'initial_lr'"):
        lr_scheduler.ExponentialLR(ours, 0.5, last_epoch=3)


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda o: lr_scheduler.StepLR(o, 0),
            "StepLR: step_size must be a positive integer, got 0",
        ),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, 2.5), "T_max must be a positive integer"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), "start_factor must be in"),
        (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), "end_factor=1.5"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1), "give total_steps, or both epochs"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3), "epochs must"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, pct_start=1), "pct_start must be a float"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, anneal_strategy="exp"), "'cos' or"),
        (lambda o: lr_scheduler.OneCycleLR(o, [0.1], 10), "max_lr must have one value per"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), "factor must be below 1"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), "mode must be 'min' or 'max'"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"), "threshold_mode='x'"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), "min_lr must have one"),
        (lambda o: lr_scheduler.SequentialLR(o, [], []), "at least one scheduler"),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)], [3]),
            r"milestones must have len\(schedulers\) - 1 = 0 entries, got 1",
        ),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], []),
            r"schedulers\[0\] is a ReduceLROnPlateau",
        ),
        (
            lambda o: lr_scheduler.SequentialLR(
                o, [lr_scheduler.StepLR(make_optimizers()[0], 2)], []
            ),
            r"schedulers\[0\] belongs to another optimizer",
        ),
    ],
)
def test_scheduler_rejects_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make(make_optimizers()[0])


def test_one_cycle_rejects_stepping_past_total_steps():
    ours, _ = make_optimizers()
    scheduler = lr_scheduler.OneCycleLR(ours, 0.1, total_steps=2)
    ours.step()  # else the first scheduler step warns (tested below)
    scheduler.step()
    scheduler.step()
    with pytest.raises(ValueError, match="stepped 3 times, more than total_steps=2"):
        scheduler.step()


def test_one_cycle_rejects_optimizer_without_momentum():
    ours = optim.RMSprop([Param(np.zeros(1))])
    del ours.defaults["momentum"]
    with pytest.raises(ValueError, match="cycle_momentum needs an optimizer with momentum"):
        lr_scheduler.OneCycleLR(ours, 0.1, total_steps=5)


@pytest.mark.parametrize("optimizer_first", [False, True], ids=["scheduler_first", "in_order"])
def test_a_scheduler_stepped_before_the_optimizer_warns_as_torch(optimizer_first):
    """PyTorch warns once, at the first ``scheduler.step()``, if no ``optimizer.step()`` came
    before it; xpnet with PyTorch's words."""
    messages = []
    for module, scheduler_module in (
        (torch.optim, torch.optim.lr_scheduler),
        (optim, lr_scheduler),
    ):
        param = torch.nn.Parameter(torch.zeros(1)) if module is torch.optim else Param(np.zeros(1))
        optimizer = module.SGD([param], lr=0.1)
        scheduler = scheduler_module.StepLR(optimizer, 2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if optimizer_first:
                optimizer.step()
            scheduler.step()
            optimizer.step()
            scheduler.step()
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1]
    assert bool(messages[1]) != optimizer_first
