"""Regressions found by a differential audit of the schedulers against torch.optim.lr_scheduler:
state dicts with PyTorch's keys (OneCycleLR, ReduceLROnPlateau), the deprecated
``step(epoch)``, ReduceLROnPlateau with a group added later, CyclicLR's calls of ``scale_fn``
and LinearLR with ``total_iters=0``."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from test_lr_scheduler import EPOCHS, METRICS, both, make_optimizers, run

from xpnet.nn import Parameter as Param
from xpnet.optim import lr_scheduler

EPOCH_WARNING = "The epoch parameter in `scheduler.step\\(\\)` was not necessary"


def copy_groups(target, source):
    """Every hyper-parameter of ``source``'s groups (a torch optimizer) into ``target``'s."""
    for mine, theirs in zip(target.param_groups, source.param_groups, strict=True):
        mine.update({k: copy.deepcopy(v) for k, v in theirs.items() if k != "params"})


def test_one_cycle_state_dict_has_torchs_keys_and_values():
    ours, theirs = make_optimizers("SGD", lr=0.1, momentum=0.9)
    kwargs = {"max_lr": 0.5, "total_steps": EPOCHS, "three_phase": True}
    mine = lr_scheduler.OneCycleLR(ours, anneal_strategy="linear", **kwargs).state_dict()
    reference = torch.optim.lr_scheduler.OneCycleLR(
        theirs, anneal_strategy="linear", **kwargs
    ).state_dict()
    assert set(mine) == set(reference) - {"_get_lr_called_within_step"}
    assert mine["_schedule_phases"] == reference["_schedule_phases"]
    assert mine["_anneal_func_type"] == reference["_anneal_func_type"] == "linear"


def test_one_cycle_loads_torchs_state_dict_mid_run():
    """A state saved by PyTorch (another strategy and warm-up) is the one that continues."""
    ours, theirs = make_optimizers("SGD", lr=0.1, momentum=0.9)
    theirs_scheduler = torch.optim.lr_scheduler.OneCycleLR(
        theirs, 0.5, total_steps=EPOCHS, anneal_strategy="linear", pct_start=0.5
    )
    run(theirs, theirs_scheduler, epochs=5, momentum=True)
    mine = lr_scheduler.OneCycleLR(ours, 0.5, total_steps=EPOCHS)
    copy_groups(ours, theirs)
    mine.load_state_dict(copy.deepcopy(theirs_scheduler.state_dict()))
    actual = run(ours, mine, epochs=EPOCHS - 5, momentum=True)
    assert actual == run(theirs, theirs_scheduler, epochs=EPOCHS - 5, momentum=True)


@pytest.mark.parametrize("min_lr", [0.001, [0.001, 0.002]])
@pytest.mark.parametrize("mode", ["min", "max"])
def test_plateau_state_dict_has_torchs_keys_and_values(mode, min_lr):
    ours, theirs = make_optimizers("SGD", lr=0.1, momentum=0.9)
    kwargs = {"mode": mode, "patience": 1, "cooldown": 2, "min_lr": min_lr}
    mine = lr_scheduler.ReduceLROnPlateau(ours, **kwargs)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs)
    run(ours, mine, epochs=10, metrics=METRICS)
    run(theirs, reference, epochs=10, metrics=METRICS)
    assert mine.state_dict() == reference.state_dict()
    assert mine.in_cooldown == reference.in_cooldown


def test_plateau_step_with_epoch_warns_and_records_it():
    ours, theirs = make_optimizers()
    for scheduler in (
        lr_scheduler.ReduceLROnPlateau(ours),
        torch.optim.lr_scheduler.ReduceLROnPlateau(theirs),
    ):
        with pytest.warns(UserWarning, match=EPOCH_WARNING):
            scheduler.step(1.0, 7)
        assert scheduler.last_epoch == 7


def add_group(ours, theirs):
    ours.add_param_group({"params": [Param(np.zeros(1))], "lr": 0.7})
    theirs.add_param_group({"params": [torch.zeros(1, dtype=torch.float64)], "lr": 0.7})


def test_plateau_single_min_lr_serves_groups_added_later():
    ours, theirs = make_optimizers()
    mine = lr_scheduler.ReduceLROnPlateau(ours, patience=0, min_lr=0.01)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, patience=0, min_lr=0.01)
    add_group(ours, theirs)
    for _ in range(6):
        mine.step(1.0)
        reference.step(1.0)
        assert mine.get_last_lr() == reference.get_last_lr()
    assert mine.min_lrs == reference.min_lrs == [0.01] * 3
    assert mine.get_last_lr()[2] == 0.01  # the new group is reduced too, to min_lr


def test_plateau_min_lr_list_refuses_groups_added_later_untouched():
    ours, theirs = make_optimizers()
    mine = lr_scheduler.ReduceLROnPlateau(ours, patience=0, min_lr=[0.0, 0.0])
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, patience=0, min_lr=[0.0, 0.0])
    add_group(ours, theirs)
    for scheduler in (mine, reference):
        scheduler.step(1.0)
        with pytest.raises(RuntimeError, match="param(eter)? groups"):
            scheduler.step(1.0)
    # no rate changed before the error
    assert [g["lr"] for g in ours.param_groups] == [g["lr"] for g in theirs.param_groups]


EPOCHS_GIVEN = [0, 1, 2, 5, 3, 10, 11, 4, 20, 7, 7, 18]
STEP_WITH_EPOCH = {
    "step": lambda m, o: m.StepLR(o, 3, 0.5),
    "multistep": lambda m, o: m.MultiStepLR(o, [2, 5, 5, 9], 0.5),
    "exponential": lambda m, o: m.ExponentialLR(o, 0.9),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, 10, 0.01),
    "linear": lambda m, o: m.LinearLR(o, 0.2, total_iters=8),
    "constant": lambda m, o: m.ConstantLR(o, 0.2, total_iters=8),
    "polynomial": lambda m, o: m.PolynomialLR(o, 10, 2.0),
    # no closed form: get_lr at the epoch given (recursive for MultiplicativeLR, as PyTorch's)
    "lambda": lambda m, o: m.LambdaLR(o, lambda epoch: 0.9**epoch),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda epoch: 0.9),
    "cyclic": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 3),
    "one-cycle": lambda m, o: m.OneCycleLR(o, 0.5, total_steps=EPOCHS),
}


def run_with_epochs(optimizer, scheduler):
    seen = []
    for epoch in EPOCHS_GIVEN:
        optimizer.step()
        with pytest.warns(UserWarning, match=EPOCH_WARNING):
            scheduler.step(epoch)
        groups = optimizer.param_groups
        seen.append(([g["lr"] for g in groups], scheduler.get_last_lr(), scheduler.last_epoch))
    return seen


@pytest.mark.parametrize("kind", list(STEP_WITH_EPOCH))
def test_step_with_epoch_matches_torch(kind):
    """The deprecated ``step(epoch)``: PyTorch's warning and closed forms."""
    ours, theirs = make_optimizers("SGD", lr=0.1, momentum=0.9)
    actual = run_with_epochs(ours, STEP_WITH_EPOCH[kind](lr_scheduler, ours))
    expected = run_with_epochs(theirs, STEP_WITH_EPOCH[kind](torch.optim.lr_scheduler, theirs))
    assert actual == expected


def test_cyclic_calls_scale_fn_as_torch_does():
    """Once per group for the rate and once for the momentum: a stateful scale_fn sees
    the same calls."""
    calls = {}

    def make(module, optimizer):
        seen = calls.setdefault(module.__name__, [])

        def scale(x):
            seen.append(x)
            return 1 / (1 + len(seen) % 3)

        return module.CyclicLR(optimizer, 0.01, 0.1, 3, scale_fn=scale, scale_mode="iterations")

    both(make, momentum=True)
    mine, theirs = calls.values()
    assert mine == theirs
    assert len(mine) == 2 * 2 * (EPOCHS + 1)  # two groups, rate and momentum, every step


def test_linear_lr_total_iters_zero_matches_torch():
    rates = both(lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=0))
    assert rates[0] == rates[-1] == [0.025, 0.0075]
