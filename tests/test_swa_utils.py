"""torch.optim.swa_utils against PyTorch: AveragedModel (SWA, EMA, custom averages, buffers),
update_bn and SWALR give the same averages, statistics and rates."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input
from test_lr_scheduler import EPOCHS, both, make_optimizers, run

import xpnet
from xpnet.optim import swa_utils


def torch_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    ).double()


def xpnet_model(backend, reference):
    model = xpnet.nn.Sequential(
        xpnet.nn.Linear(3, 4), xpnet.nn.BatchNorm1d(4), xpnet.nn.ReLU(), xpnet.nn.Linear(4, 2)
    ).to(backend.name, dtype="float64")
    model.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    return model


def random_state(reference, seed):
    """New values for every parameter and buffer (a count for ``num_batches_tracked``)."""
    state = {}
    for index, (key, value) in enumerate(reference.state_dict().items()):
        if value.dtype == torch.int64:
            state[key] = np.array(3 * seed + index, dtype=np.int64)
        else:
            state[key] = random_input(tuple(value.shape), seed=100 * seed + index, low=0.1, high=2)
    return state


def host_state(backend, module):
    return {k: backend.to_host(v) for k, v in module.state_dict().items()}


AVERAGES = {
    "swa": {},
    "swa-buffers": {"use_buffers": True},
    "ema-multi": {"multi_avg_fn": ("get_ema_multi_avg_fn", 0.9)},
    "ema-multi-half": {"multi_avg_fn": ("get_ema_multi_avg_fn", 0.5)},  # lerp's other formula
    "ema-multi-buffers": {"multi_avg_fn": ("get_ema_multi_avg_fn", 0.7), "use_buffers": True},
    "swa-multi": {"multi_avg_fn": ("get_swa_multi_avg_fn",)},
    # (PyTorch's get_swa_multi_avg_fn fails on an integer buffer: see the test below)
    "ema": {"avg_fn": ("get_ema_avg_fn", 0.8)},
    "swa-fn-buffers": {"avg_fn": ("get_swa_avg_fn",), "use_buffers": True},
}


# PyTorch's CPU lerp fuses ``self + weight * (end - self)`` into one FMA for weights under 0.5;
# NumPy rounds twice: these agree to an ulp, the others to the bit
FUSED = {"ema-multi", "ema-multi-buffers", "swa-multi"}


def options_for(module, spec):
    return {
        key: getattr(module, value[0])(*value[1:]) if isinstance(value, tuple) else value
        for key, value in spec.items()
    }


@pytest.mark.parametrize("kind", list(AVERAGES))
def test_averaged_model_matches_torch(backend, kind):
    reference = torch_model()
    model = xpnet_model(backend, reference)
    ours = swa_utils.AveragedModel(model, **options_for(swa_utils, AVERAGES[kind]))
    theirs = torch.optim.swa_utils.AveragedModel(
        reference, **options_for(torch.optim.swa_utils, AVERAGES[kind])
    )
    for seed in range(4):
        state = random_state(reference, seed)
        model.load_state_dict(state)
        reference.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        ours.update_parameters(model)
        theirs.update_parameters(reference)
        expected = {k: v.numpy() for k, v in theirs.state_dict().items()}
        actual = host_state(backend, ours)
        assert list(actual) == list(expected)  # PyTorch's keys, in its order
        for key, value in expected.items():
            assert actual[key].dtype == value.dtype, key
            what = f"{key} after update {seed + 1}"
            if kind in FUSED:
                assert_close(actual[key], value, np.float64, what, rtol=1e-15)
            else:  # PyTorch's formulas, elementwise in its order: the same bits
                np.testing.assert_array_equal(actual[key], value, what)


def test_swa_multi_avg_fn_averages_integer_buffers(backend):
    """PyTorch's raises on ``num_batches_tracked`` (integer ``addcdiv``); xpnet's takes the
    running mean of ``get_swa_avg_fn`` there, truncated to the integer dtype."""
    model = xpnet.nn.BatchNorm1d(2).to(backend.name)
    averaged = swa_utils.AveragedModel(
        model, multi_avg_fn=swa_utils.get_swa_multi_avg_fn(), use_buffers=True
    )
    for count, mean in ((2, 1.0), (7, 3.0), (9, 8.0)):
        model.num_batches_tracked[...] = count
        model.running_mean[...] = mean
        averaged.update_parameters(model)
    # 2, then 2 + (7 - 2) / 2 = 4.5 -> 4, then 4 + (9 - 4) / 3 = 5.67 -> 5
    assert int(averaged.module.num_batches_tracked) == 5
    np.testing.assert_allclose(backend.to_host(averaged.module.running_mean), [4.0, 4.0], 1e-6)


def test_averaged_model_forwards_through_its_copy(backend):
    reference = torch_model().eval()
    model = xpnet_model(backend, reference).eval()
    averaged = swa_utils.AveragedModel(model)
    averaged.update_parameters(model)
    inputs = random_input((5, 3), seed=7)
    expected = reference(torch.tensor(inputs)).detach().numpy()
    output = averaged(xpnet.Tensor(backend.asarray(inputs)))
    assert_close(backend.to_host(xpnet.autograd.data_of(output)), expected, np.float64)
    assert averaged.module is not model and averaged.module[0].weight is not model[0].weight


def test_averaged_model_moves_to_a_device():
    model = xpnet.nn.Linear(2, 1).to("numpy")
    averaged = swa_utils.AveragedModel(model, device="strict")
    assert type(averaged.module.weight.array).__name__ == "StrictArray"
    assert type(averaged.n_averaged).__name__ == "StrictArray"
    averaged.update_parameters(model)  # from a NumPy model onto the strict copy
    np.testing.assert_array_equal(averaged.module.weight.array.get(), model.weight.array)


def test_averaged_model_rejects_two_averaging_functions():
    model = xpnet.nn.Linear(2, 1)
    with pytest.raises(ValueError, match="only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(
            model, avg_fn=swa_utils.get_swa_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn()
        )
    with pytest.raises(AssertionError):  # PyTorch's kind of error for it
        torch.optim.swa_utils.AveragedModel(
            torch.nn.Linear(2, 1), avg_fn=lambda *a: a[0], multi_avg_fn=lambda *a: None
        )


@pytest.mark.parametrize("name", ["get_ema_multi_avg_fn", "get_ema_avg_fn"])
@pytest.mark.parametrize("decay", [-0.1, 1.5])
def test_ema_rejects_decay_outside_unit_interval(name, decay):
    with pytest.raises(ValueError, match=f"decay must be in \\[0, 1\\], got {decay}"):
        getattr(swa_utils, name)(decay)
    with pytest.raises(ValueError):
        getattr(torch.optim.swa_utils, name)(decay)


def batches(seed):
    """A loader: plain arrays and (input, target) pairs."""
    inputs = [random_input((6, 3), seed=seed + index, low=-2, high=3) for index in range(3)]
    return inputs[:1] + [(x, None) for x in inputs[1:2]] + [[x, 0] for x in inputs[2:]]


def test_update_bn_matches_torch(backend):
    reference = torch_model()
    state = random_state(reference, seed=5)  # statistics and a count to be reset
    reference.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    model = xpnet_model(backend, reference)
    model.eval()
    reference.eval()
    model[1].momentum = reference[1].momentum = 0.3
    loader = batches(seed=11)
    swa_utils.update_bn([_on(backend, batch) for batch in loader], model)
    torch.optim.swa_utils.update_bn([_torch(batch) for batch in loader], reference)
    expected = {k: v.numpy() for k, v in reference.state_dict().items()}
    for key, value in host_state(backend, model).items():
        assert_close(value, expected[key], np.float64, key)
    assert model[1].momentum == 0.3 and not model.training and not model[1].training


def _on(backend, batch):
    if isinstance(batch, (list, tuple)):
        return type(batch)([backend.asarray(batch[0]), *batch[1:]])
    return xpnet.Tensor(backend.asarray(batch))


def _torch(batch):
    if isinstance(batch, (list, tuple)):
        return type(batch)([torch.tensor(batch[0]), *batch[1:]])
    return torch.tensor(batch)


def test_update_bn_moves_inputs_to_a_device():
    model = xpnet.nn.BatchNorm1d(3).to("strict", dtype="float64")
    swa_utils.update_bn([random_input((4, 3), seed=1)], model, device="strict")
    np.testing.assert_allclose(
        model.running_mean.get(), random_input((4, 3), seed=1).mean(axis=0), rtol=1e-12
    )
    assert int(model.num_batches_tracked) == 1


def test_update_bn_without_batch_norm_is_a_no_op():
    model = xpnet.nn.Linear(3, 2).eval()
    swa_utils.update_bn(iter(()), model)
    swa_utils.update_bn([np.zeros((1, 3))], model)
    assert not model.training


SWALR = {
    "cos": lambda m, o: m.SWALR(o, swa_lr=0.05),
    "linear": lambda m, o: m.SWALR(
        o, swa_lr=[0.01, 0.2], anneal_epochs=6, anneal_strategy="linear"
    ),
    "no-annealing": lambda m, o: m.SWALR(o, swa_lr=0.02, anneal_epochs=0),
    "after-cosine": lambda m, o: m.SequentialLR(
        o, [m.CosineAnnealingLR(o, T_max=8), m.SWALR(o, 0.01, anneal_epochs=4)], [8]
    ),
}


class SchedulerModules:
    """lr_scheduler and swa_utils seen as one module, as the lambdas above use them."""

    def __init__(self, lr_scheduler, swa):
        self.lr_scheduler, self.swa = lr_scheduler, swa

    def __getattr__(self, name):
        return getattr(self.swa if name == "SWALR" else self.lr_scheduler, name)


def _both_modules(make):
    return lambda module, optimizer: make(
        SchedulerModules(module, swa_utils if module.__name__.startswith("xpnet") else
                         torch.optim.swa_utils),
        optimizer,
    )  # fmt: skip


@pytest.mark.parametrize("kind", list(SWALR))
def test_swalr_matches_torch(kind):
    rates = both(_both_modules(SWALR[kind]))
    assert len({tuple(r) for r in rates}) > 1 or kind == "no-annealing"


def test_swalr_state_dict_round_trip():
    ours, theirs = make_optimizers("SGD", lr=0.1, momentum=0.9)
    make = _both_modules(SWALR["linear"])
    expected = run(theirs, make(torch.optim.lr_scheduler, theirs))
    first = make(xpnet.optim.lr_scheduler, ours)
    assert set(first.state_dict()) == set(
        torch.optim.swa_utils.SWALR(make_optimizers()[1], 0.1).state_dict()
    ) - {"_get_lr_called_within_step"}
    half = EPOCHS // 2
    actual = run(ours, first, epochs=half)
    saved_optimizer, saved = ours.state_dict(), pickle.loads(pickle.dumps(first.state_dict()))
    fresh, _ = make_optimizers("SGD", lr=0.1, momentum=0.9)
    second = swa_utils.SWALR(fresh, swa_lr=0.5, anneal_strategy="cos")
    fresh.load_state_dict(saved_optimizer)
    second.load_state_dict(saved)
    assert second.anneal_func is swa_utils.SWALR._linear_anneal
    actual += run(fresh, second, epochs=EPOCHS - half)
    assert actual == expected


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"swa_lr": 0.1, "anneal_strategy": "exp"}, "anneal_strategy must be one of 'cos' or"),
        ({"swa_lr": 0.1, "anneal_epochs": -1}, "anneal_epochs must be equal or greater than 0"),
        ({"swa_lr": 0.1, "anneal_epochs": 2.0}, "anneal_epochs must be equal or greater than 0"),
        ({"swa_lr": [0.1]}, "swa_lr must have one value per parameter group"),
    ],
)
def test_swalr_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        swa_utils.SWALR(make_optimizers()[0], **kwargs)
    with pytest.raises(ValueError):  # PyTorch's kind of error too
        torch.optim.swa_utils.SWALR(make_optimizers()[1], **kwargs)
