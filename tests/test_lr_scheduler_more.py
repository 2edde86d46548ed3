"""The schedulers of lr_scheduler's second wave against torch.optim.lr_scheduler: LambdaLR,
MultiplicativeLR, ConstantLR, PolynomialLR, CyclicLR, CosineAnnealingWarmRestarts and
ChainedScheduler give the same rates (and momenta) to the last bit, and resume alike."""

from __future__ import annotations

import pickle

import pytest
import torch
from test_lr_scheduler import EPOCHS, both, make_optimizers, run

from xpnet.optim import lr_scheduler


class Halving:
    """A callable object: its attributes are saved in a state dict (a lambda's are not)."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor ** (epoch // 3)


SCHEDULERS = {
    "lambda": lambda m, o: m.LambdaLR(o, lambda epoch: 0.95**epoch),
    "lambda-per-group": lambda m, o: m.LambdaLR(
        o, [lambda epoch: 1 / (epoch + 1), lambda epoch: 0.9 ** (epoch // 2)]
    ),
    "lambda-object": lambda m, o: m.LambdaLR(o, Halving()),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda epoch: 0.93),
    "multiplicative-per-group": lambda m, o: m.MultiplicativeLR(
        o, (lambda epoch: 0.9, lambda epoch: 1.0 + 0.01 * epoch)
    ),
    "constant": lambda m, o: m.ConstantLR(o),
    "constant-options": lambda m, o: m.ConstantLR(o, factor=0.3, total_iters=7),
    "polynomial": lambda m, o: m.PolynomialLR(o),
    "polynomial-power": lambda m, o: m.PolynomialLR(o, total_iters=13, power=0.7),
    "polynomial-square": lambda m, o: m.PolynomialLR(o, total_iters=30, power=2.0),
    "warm-restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4),
    "warm-restarts-mult": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001
    ),
    "chained": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.1, 6), m.ExponentialLR(o, 0.9)]),
    "chained-three": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, 0.2, total_iters=4), m.StepLR(o, 5, 0.5), m.PolynomialLR(o, 20, 1.5)],
        optimizer=o,
    ),
    "sequential-constant-poly": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, 0.2, 3), m.PolynomialLR(o, 15, 2.0)], milestones=[4]
    ),
    "sequential-of-chained": lambda m, o: m.SequentialLR(
        o,
        [
            m.ChainedScheduler([m.ConstantLR(o, 0.5, 3), m.ExponentialLR(o, 0.8)]),
            m.CosineAnnealingWarmRestarts(o, T_0=5),
        ],
        milestones=[6],
    ),
    # a restart at a milestone uses ConstantLR's closed form: total_iters=0 is reached at once
    "sequential-constant-closed-form": lambda m, o: m.SequentialLR(
        o, [m.ExponentialLR(o, 0.9), m.ConstantLR(o, 0.5, total_iters=0)], [3]
    ),
    "sequential-lambda-restarts": lambda m, o: m.SequentialLR(
        o, [m.LambdaLR(o, lambda e: (e + 1) / 4), m.CosineAnnealingWarmRestarts(o, 4)], [4]
    ),
}


# torch warns when a nested scheduler's initial step looks like a step before the optimizer's
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")
@pytest.mark.parametrize("kind", list(SCHEDULERS))
def test_scheduler_matches_torch(kind):
    rates = both(SCHEDULERS[kind])
    assert len({tuple(r) for r in rates}) > 1, "the schedule never changed the rate"


CYCLIC = {
    "triangular": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4},
    "triangular-asymmetric": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3,
                              "step_size_down": 5},
    "triangular2": {"base_lr": [0.01, 0.02], "max_lr": 0.2, "step_size_up": 3,
                    "mode": "triangular2"},
    "exp-range": {"base_lr": 0.01, "max_lr": [0.1, 0.3], "step_size_up": 2, "mode": "exp_range",
                  "gamma": 0.9},
    "scale-fn-cycle": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2,
                       "scale_fn": lambda x: 1 / x},
    "scale-fn-iterations": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3,
                            "scale_fn": lambda x: 0.97**x, "scale_mode": "iterations"},
    "momenta": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "base_momentum": [0.7, 0.8],
                "max_momentum": 0.95},
}  # fmt: skip


@pytest.mark.parametrize("kind", list(CYCLIC))
@pytest.mark.parametrize(
    "name, optimizer_kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {})]
)
def test_cyclic_matches_torch(kind, name, optimizer_kwargs):
    kwargs = CYCLIC[kind]
    both(lambda m, o: m.CyclicLR(o, **kwargs), name, optimizer_kwargs, momentum=True)


def test_cyclic_without_momentum_cycling_matches_torch():
    both(
        lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, cycle_momentum=False),
        "RMSprop",
        {"lr": 0.1},
    )


def test_warm_restarts_fractional_epochs_match_torch():
    """``step(epoch + batch / batches)``: PyTorch's closed form, per batch."""
    ours, theirs = make_optimizers()
    schedulers = [
        m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=3, eta_min=0.01)
        for m, o in ((lr_scheduler, ours), (torch.optim.lr_scheduler, theirs))
    ]
    seen = [[], []]
    epochs = [e + b / 3 for e in range(12) for b in range(3)] + [0.5, 40.0, 41.25]
    for epoch in epochs:
        for index, (optimizer, scheduler) in enumerate(
            zip((ours, theirs), schedulers, strict=True)
        ):
            optimizer.step()
            scheduler.step(epoch)
            seen[index].append(scheduler.get_last_lr() + [scheduler.T_cur, scheduler.T_i])
        schedulers[1].step()  # and the plain steps in between
        schedulers[0].step()
    assert seen[0] == seen[1]


RESUMABLE = {
    "lambda-object": SCHEDULERS["lambda-object"],
    "multiplicative": SCHEDULERS["multiplicative"],
    "constant": SCHEDULERS["constant-options"],
    "polynomial": SCHEDULERS["polynomial-power"],
    "warm-restarts": SCHEDULERS["warm-restarts-mult"],
    "chained": SCHEDULERS["chained"],
    "cyclic": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=0.95),
}


@pytest.mark.parametrize("kind", list(RESUMABLE))
def test_scheduler_state_dict_round_trip(kind):
    ours, theirs = make_optimizers("SGD", lr=0.1, momentum=0.9)
    expected = run(theirs, RESUMABLE[kind](torch.optim.lr_scheduler, theirs), momentum=True)
    first = RESUMABLE[kind](lr_scheduler, ours)
    half = EPOCHS // 2
    actual = run(ours, first, epochs=half, momentum=True)
    # through pickle, as torch.save would: no lambda may be in the state dict
    saved_optimizer, saved = ours.state_dict(), pickle.loads(pickle.dumps(first.state_dict()))
    fresh, _ = make_optimizers("SGD", lr=0.1, momentum=0.9)
    second = RESUMABLE[kind](lr_scheduler, fresh)
    fresh.load_state_dict(saved_optimizer)
    second.load_state_dict(saved)
    actual += run(fresh, second, epochs=EPOCHS - half, momentum=True)
    assert actual == expected


@pytest.mark.parametrize("kind", list(RESUMABLE))
def test_scheduler_state_dict_keys_are_torchs(kind):
    ours, theirs = make_optimizers("SGD", lr=0.1, momentum=0.9)
    mine = RESUMABLE[kind](lr_scheduler, ours).state_dict()
    reference = RESUMABLE[kind](torch.optim.lr_scheduler, theirs).state_dict()
    # PyTorch also saves its step-order warning flag, which xpnet does not have
    assert set(mine) == set(reference) - {"_get_lr_called_within_step"}
    for key in ("lr_lambdas", "_scale_fn_custom"):
        if key in reference:
            assert mine[key] == reference[key]
    nested_pairs = zip(mine.get("_schedulers", []), reference.get("_schedulers", []), strict=True)
    for nested, theirs_nested in nested_pairs:
        assert set(nested) == set(theirs_nested) - {"_get_lr_called_within_step"}


def test_lambda_state_dict_saves_callable_objects_only():
    ours, _ = make_optimizers()
    halving = Halving()
    scheduler = lr_scheduler.LambdaLR(ours, [halving, lambda epoch: 1.0])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"factor": 0.5}, None]
    halving.factor = 0.25
    scheduler.load_state_dict(state)
    assert halving.factor == 0.5
    assert state["lr_lambdas"] == [{"factor": 0.5}, None]  # the dict given is left whole


def test_cyclic_state_dict_saves_scale_fn_object():
    class Scale:
        def __init__(self):
            self.base = 0.5

        def __call__(self, x):
            return self.base**x

    ours, _ = make_optimizers()
    scale = Scale()
    scheduler = lr_scheduler.CyclicLR(ours, 0.01, 0.1, 2, scale_fn=scale)
    state = scheduler.state_dict()
    assert state["_scale_fn_custom"] == {"base": 0.5}
    scale.base = 0.1
    scheduler.load_state_dict(state)
    assert scale.base == 0.5


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError, "expected 2 lr_lambdas"),
        (lambda o: lr_scheduler.MultiplicativeLR(o, 0.9), TypeError, "should be a function"),
        (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1, got 1.5"),
        (lambda o: lr_scheduler.ConstantLR(o, factor=-0.1), ValueError, "between 0 and 1"),
        (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="x"), ValueError, "mode is invalid"),
        (lambda o: lr_scheduler.CyclicLR(o, [0.1], 1.0), ValueError, "base_lr must have one"),
        (lambda o: lr_scheduler.CyclicLR(o, 0.1, (1.0,)), ValueError, "max_lr must have one"),
        (
            lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, base_momentum=[0.1, 0.2, 0.3]),
            ValueError,
            "base_momentum must have one",
        ),
        (
            lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 0),
            ValueError,
            "expected positive integer T_0, but got 0",
        ),
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2.0), ValueError, "T_0"),
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2, 0), ValueError, "T_mult >= 1"),
        (
            lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2, eta_min="0"),
            ValueError,
            "float or int eta_min",
        ),
        (lambda o: lr_scheduler.ChainedScheduler([]), ValueError, "at least one scheduler"),
        (lambda o: lr_scheduler.ChainedScheduler([object()]), TypeError, "no optimizer attribute"),
        (
            lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(o)]),
            ValueError,
            r"schedulers\[0\] is a ReduceLROnPlateau",
        ),
        (
            lambda o: lr_scheduler.ChainedScheduler(
                [lr_scheduler.StepLR(o, 2), lr_scheduler.StepLR(make_optimizers()[0], 2)]
            ),
            ValueError,
            r"schedulers\[1\] belongs to another optimizer",
        ),
        (lambda o: lr_scheduler.SequentialLR(o, [object()], []), TypeError, "no optimizer"),
    ],
)
def test_scheduler_rejects_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make(make_optimizers()[0])


def test_torch_rejects_the_same_arguments():
    """The errors above are PyTorch's too (its messages differ)."""
    theirs = make_optimizers()[1]
    schedulers = torch.optim.lr_scheduler
    for make, error in [
        (lambda: schedulers.MultiplicativeLR(theirs, 0.9), TypeError),
        (lambda: schedulers.ConstantLR(theirs, factor=1.5), ValueError),
        (lambda: schedulers.CyclicLR(theirs, 0.1, 1.0, mode="x"), ValueError),
        (lambda: schedulers.CosineAnnealingWarmRestarts(theirs, 0), ValueError),
        (lambda: schedulers.ChainedScheduler([]), ValueError),
        (lambda: schedulers.ChainedScheduler([object()], theirs), TypeError),
    ]:
        with pytest.raises(error):
            make()


def test_warm_restarts_rejects_negative_epoch():
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(make_optimizers()[0], 3)
    with pytest.raises(ValueError, match="expected non-negative epoch, but got -1"):
        scheduler.step(-1)


def test_cyclic_rejects_optimizer_without_momentum():
    ours = make_optimizers("RMSprop")[0]
    del ours.defaults["momentum"]
    with pytest.raises(ValueError, match="cycle_momentum needs an optimizer with momentum"):
        lr_scheduler.CyclicLR(ours, 0.01, 0.1)
