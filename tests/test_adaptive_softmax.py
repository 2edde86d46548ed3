"""``nn.AdaptiveLogSoftmaxWithLoss`` against torch.nn 2.13 in float64, with the weights copied
from the torch module: output, loss, ``log_prob``, ``predict`` and every gradient (input and
parameters, ``None`` for the clusters no target reaches), batched and unbatched, several
cutoffs, ``div_value`` and ``head_bias``; PyTorch's errors, repr and ``state_dict``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
from xpnet import Tensor, nn

# in_features, n_classes, cutoffs, div_value, head_bias
CONFIGS = [
    (8, 10, [4], 4.0, False),
    (16, 20, [4, 9, 15], 2.0, True),
    (12, 30, [3, 10], 1.5, False),
    (8, 12, [2, 6], 16.0, True),  # the tails' projections have 0 features
]


def _torch_state(module):
    return {key: value.detach().numpy() for key, value in module.state_dict().items()}


def _modules(backend, config, seed=0):
    torch.manual_seed(seed)
    with warnings.catch_warnings():  # both warn that initialising 0 features does nothing
        warnings.simplefilter("ignore", UserWarning)
        theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(*config[:3], config[3], config[4]).double()
        ours = nn.AdaptiveLogSoftmaxWithLoss(*config[:3], config[3], config[4])
    ours.to(backend.name, dtype=np.float64)
    ours.load_state_dict(_torch_state(theirs))
    return ours, theirs


def _targets(config, size, seed):
    """Targets reaching every cluster (the head and each tail) and random ones."""
    n_classes, cutoffs = config[1], config[2]
    edges = [0, *cutoffs]
    chosen = list(edges) + [n_classes - 1]
    rng = np.random.default_rng(seed)
    return np.array(chosen + list(rng.integers(0, n_classes, size - len(chosen))))


def _compare(backend, ours, theirs, x, target):
    """Output, loss and the gradients of the input and of every parameter against torch."""
    x_ours = Tensor(backend.asarray(x), requires_grad=True)
    output, loss = ours(x_ours, backend.asarray(target))
    x_theirs = torch.tensor(x, requires_grad=True)
    t_output, t_loss = theirs(x_theirs, torch.tensor(target))
    assert type(output).__name__ == "_ASMoutput" or output.shape == tuple(t_output.shape)
    assert_close(backend.to_host(output.array), t_output.detach().numpy(), np.float64, "output")
    assert_close(backend.to_host(loss.array), t_loss.detach().numpy(), np.float64, "loss")
    grad = random_input(tuple(t_output.shape), seed=5)
    ((output * Tensor(backend.asarray(grad))).sum() + 3 * loss).backward()
    ((t_output * torch.tensor(grad)).sum() + 3 * t_loss).backward()
    assert_close(
        backend.to_host(x_ours.grad.array), x_theirs.grad.numpy(), np.float64, "input grad"
    )
    pairs = zip(ours.named_parameters(), theirs.named_parameters(), strict=True)
    for (name, param), (t_name, t_param) in pairs:
        assert name == t_name
        if t_param.grad is None:
            assert param.grad is None, f"{name}: torch gives no gradient"
        else:
            assert_close(backend.to_host(param.grad.array), t_param.grad.numpy(), np.float64, name)


@pytest.mark.parametrize("config", CONFIGS)
def test_adaptive_log_softmax_matches_torch_batched(backend, config):
    ours, theirs = _modules(backend, config)
    target = _targets(config, 9, seed=1)
    _compare(backend, ours, theirs, random_input((9, config[0]), seed=2), target)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("which", ["head", "last"])
def test_adaptive_log_softmax_matches_torch_unbatched(backend, config, which):
    ours, theirs = _modules(backend, config)
    target = np.array(0 if which == "head" else config[1] - 1)
    _compare(backend, ours, theirs, random_input((config[0],), seed=3), target)


def test_adaptive_log_softmax_head_targets_leave_the_tails_without_gradient(backend):
    config = CONFIGS[1]
    ours, theirs = _modules(backend, config)
    _compare(backend, ours, theirs, random_input((6, 16), seed=4), np.array([0, 1, 3, 2, 0, 3]))
    assert all(param.grad is None for param in ours.tail.parameters())
    assert ours.head.weight.grad is not None


def test_adaptive_log_softmax_one_tail_cluster_only(backend):
    config = CONFIGS[1]
    ours, theirs = _modules(backend, config)
    _compare(backend, ours, theirs, random_input((4, 16), seed=6), np.array([9, 14, 10, 9]))
    assert ours.tail[0][0].weight.grad is None and ours.tail[2][1].weight.grad is None


def test_adaptive_log_softmax_int32_targets_and_empty_batch(backend):
    ours, theirs = _modules(backend, CONFIGS[2])
    target = _targets(CONFIGS[2], 7, seed=7).astype(np.int32)
    _compare(backend, ours, theirs, random_input((7, 12), seed=8), target)
    output, loss = ours(backend.asarray(np.zeros((0, 12))), backend.asarray(np.zeros(0, int)))
    assert output.shape == (0,) and np.isnan(loss.item())


@pytest.mark.parametrize("config", CONFIGS)
def test_adaptive_log_softmax_log_prob_matches_torch(backend, config):
    ours, theirs = _modules(backend, config)
    x = random_input((5, config[0]), seed=9)
    x_ours = Tensor(backend.asarray(x), requires_grad=True)
    x_theirs = torch.tensor(x, requires_grad=True)
    log_prob, t_log_prob = ours.log_prob(x_ours), theirs.log_prob(x_theirs)
    assert_close(backend.to_host(log_prob.array), t_log_prob.detach().numpy(), np.float64)
    grad = random_input(tuple(t_log_prob.shape), seed=10)
    (log_prob * Tensor(backend.asarray(grad))).sum().backward()
    (t_log_prob * torch.tensor(grad)).sum().backward()
    assert_close(
        backend.to_host(x_ours.grad.array), x_theirs.grad.numpy(), np.float64, "input grad"
    )
    for (name, param), (_, t_param) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        assert_close(backend.to_host(param.grad.array), t_param.grad.numpy(), np.float64, name)


@pytest.mark.parametrize("head", ["mixed", "shortlist", "clusters"])
def test_adaptive_log_softmax_predict_matches_torch(backend, head):
    config = (6, 12, [3, 7], 2.0, True)
    ours, theirs = _modules(backend, config, seed=11)
    with torch.no_grad():  # a head bias that makes the head choose its shortlist or a cluster
        theirs.head.weight.mul_(8.0)
        bias = {
            "mixed": [0, 0, 0, 0, 0],
            "shortlist": [50, 0, 0, 0, 0],
            "clusters": [0, 0, 0, 40, 40],
        }
        theirs.head.bias.copy_(torch.tensor(bias[head], dtype=torch.float64))
    ours.load_state_dict(_torch_state(theirs))
    x = random_input((40, 6), seed=12)
    expected = theirs.predict(torch.tensor(x)).numpy()
    head_choice = theirs.head(torch.tensor(x)).argmax(1).numpy() >= 3
    assert head_choice.any() != (head == "shortlist") and head_choice.all() == (head == "clusters")
    predicted = ours.predict(backend.asarray(x))
    assert predicted.dtype == np.int64 and predicted.requires_grad is False
    np.testing.assert_array_equal(backend.to_host(predicted.array), expected)
    log_prob_choice = theirs.log_prob(torch.tensor(x)).argmax(1).numpy()
    np.testing.assert_array_equal(backend.to_host(predicted.array), log_prob_choice)


def test_adaptive_log_softmax_float32_matches_torch(backend):
    ours, theirs = _modules(backend, CONFIGS[1])
    ours.float()
    x = random_input((8, 16), seed=13)
    target = _targets(CONFIGS[1], 8, seed=14)
    output, loss = ours(backend.asarray(x.astype(np.float32)), backend.asarray(target))
    t_output, t_loss = theirs(
        torch.tensor(x.astype(np.float32).astype(np.float64)), torch.tensor(target)
    )
    assert output.dtype == np.float32 and loss.dtype == np.float32
    assert_close(backend.to_host(output.array), t_output.detach().numpy(), np.float32)
    assert_close(backend.to_host(loss.array), t_loss.detach().numpy(), np.float32)


def test_adaptive_log_softmax_repr_state_dict_and_reset_match_torch(backend):
    ours, theirs = _modules(backend, CONFIGS[1])
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    for name in ("in_features", "n_classes", "cutoffs", "div_value", "head_bias"):
        assert getattr(ours, name) == getattr(theirs, name), name
    for name in ("shortlist_size", "n_clusters", "head_size"):
        assert getattr(ours, name) == getattr(theirs, name), name
    # and back: torch loads xpnet's weights and computes the same
    ours.reset_parameters()
    state = {key: backend.to_host(value) for key, value in ours.state_dict().items()}
    assert not np.allclose(state["head.weight"], theirs.state_dict()["head.weight"].numpy())
    theirs.load_state_dict({key: torch.tensor(value) for key, value in state.items()})
    x, target = random_input((6, 16), seed=15), _targets(CONFIGS[1], 6, seed=16)
    output, _ = ours(backend.asarray(x), backend.asarray(target))
    expected, _ = theirs(torch.tensor(x), torch.tensor(target))
    assert_close(backend.to_host(output.array), expected.detach().numpy(), np.float64)
    fresh = nn.AdaptiveLogSoftmaxWithLoss(64, 20, [4, 9, 15], head_bias=True, dtype=np.float64)
    assert fresh.head.weight.dtype == np.float64 and fresh.head.bias is not None


@pytest.mark.parametrize("cutoffs", [[], [5, 3], [0, 4], [4, 10], [4, 4], [2.5, 5], (6, 6)])
def test_adaptive_log_softmax_rejects_bad_cutoffs_as_torch(cutoffs):
    message = "cutoffs should be a sequence" if cutoffs else "larger than 0"
    with pytest.raises(ValueError, match=message):
        torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)
    with pytest.raises(ValueError, match=message):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)


@pytest.mark.parametrize(
    "x_shape, target, message",
    [
        ((3, 8), [[0, 1, 2]], "0D or 1D target tensor expected, multi-target not supported"),
        ((3, 8), [0, 1], "Input and target should have the same size in the batch dimension"),
        ((3, 2, 8), [0, 1, 2], "1D target tensor expects 2D input tensors, but found inputs"),
        ((3, 8), 1, "0D target tensor expects 1D input tensors, but found inputs with size"),
        ((3, 8), [0, -1, 2], r"Target values should be in \[0, 9\], but values in range \[-1, 2\]"),
        ((3, 8), [0, 10, 2], r"Target values should be in \[0, 9\], but values in range \[0, 10\]"),
    ],
)
def test_adaptive_log_softmax_rejects_bad_input_as_torch(backend, x_shape, target, message):
    ours, theirs = _modules(backend, CONFIGS[0])
    x, target = random_input(x_shape, seed=17), np.array(target)
    with pytest.raises(RuntimeError, match=message):
        theirs(torch.tensor(x), torch.tensor(target))
    with pytest.raises(RuntimeError, match=message):
        ours(backend.asarray(x), backend.asarray(target))


def test_adaptive_log_softmax_rejects_float_targets(backend):
    ours, _ = _modules(backend, CONFIGS[0])
    with pytest.raises(TypeError, match="target must hold integer class indices, got dtype"):
        ours(backend.asarray(np.zeros((2, 8))), backend.asarray(np.array([0.0, 1.0])))


def test_adaptive_log_softmax_is_exported():
    assert "AdaptiveLogSoftmaxWithLoss" in nn.__all__
    assert xpnet.nn.AdaptiveLogSoftmaxWithLoss.__module__ == "xpnet.nn.adaptive"
