"""F.linear_cross_entropy, nn.LinearCrossEntropyLoss and LinearCrossEntropyOptions against
PyTorch 2.13 (float64), on the reference path (``options=None``) and the chunked one."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch
from _oracle import check_against_torch, random_input

import xpnet
import xpnet.nn.functional as F
from xpnet.backends import raise_deferred
from xpnet.nn import LinearCrossEntropyLoss, LinearCrossEntropyOptions

N, IN, C = 7, 5, 11
CHUNKED = LinearCrossEntropyOptions(batch_chunk_size=3)  # 3 chunks of 7 rows: 3, 3, 1
REDUCTIONS = ["none", "mean", "sum"]


def _target(n=N, classes=C, ignore=-100, seed=0):
    target = np.random.default_rng(seed).integers(0, classes, size=n)
    target[1] = ignore
    return target


def _check(backend, inputs, target, torch_target=None, **kwargs):
    """Compare the loss and the gradients of input, linear_weight (and linear_bias)."""
    extra = {key: backend.asarray(value) for key, value in kwargs.pop("arrays", {}).items()}
    torch_extra = {key: torch.tensor(backend.to_host(v)) for key, v in extra.items()}
    options = kwargs.pop("options", None)
    device_target = backend.asarray(target)

    def call(x, w, b=None):
        return F.linear_cross_entropy(
            x, w, device_target, linear_bias=b, options=options, **extra, **kwargs
        )

    def forward(*arrays):
        return call(*[None if a is None else xpnet.Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        leaves = [None if a is None else xpnet.Tensor(a, requires_grad=True) for a in arrays]
        call(*leaves).backward(xpnet.Tensor(grad_output))
        return tuple(None if leaf is None else leaf.grad.array for leaf in leaves)

    def torch_forward(x, w, b=None):
        target_tensor = torch.tensor(target) if torch_target is None else torch_target
        return torch.nn.functional.linear_cross_entropy(
            x, w, target_tensor, linear_bias=b, **torch_extra, **kwargs
        )

    return check_against_torch(forward, backward, torch_forward, inputs, backend)


def _inputs(bias=True, n=N, classes=C):
    x = random_input((n, IN), seed=1, low=-2.0, high=2.0)
    w = random_input((classes, IN), seed=2, low=-2.0, high=2.0)
    return [x, w, random_input((classes,), seed=3)] if bias else [x, w]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [None, CHUNKED], ids=["reference", "chunked"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_cross_entropy_matches_torch(backend, reduction, options, bias):
    _check(backend, _inputs(bias), _target(), reduction=reduction, options=options)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [None, CHUNKED], ids=["reference", "chunked"])
def test_linear_cross_entropy_class_weights_and_ignore_index(backend, reduction, options):
    weight = random_input((C,), seed=4, low=0.1, high=2.0)
    _check(
        backend,
        _inputs(),
        _target(ignore=3),
        reduction=reduction,
        ignore_index=3,
        options=options,
        arrays={"weight": weight},
    )


@pytest.mark.parametrize("options", [None, CHUNKED], ids=["reference", "chunked"])
def test_linear_cross_entropy_every_target_ignored_is_nan(backend, options):
    output, grads = _check(backend, _inputs(), np.full(N, -100), options=options)
    assert np.isnan(output) and not any(np.any(g) for g in grads)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [None, CHUNKED], ids=["reference", "chunked"])
def test_linear_cross_entropy_unbatched(backend, reduction, options):
    x, w, b = _inputs()
    _check(backend, [x[0], w, b], np.array(4), reduction=reduction, options=options)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_linear_cross_entropy_label_smoothing(backend, reduction):
    _check(backend, _inputs(), _target(), reduction=reduction, label_smoothing=0.2)


def test_linear_cross_entropy_options_fall_back_with_torch_warning(backend):
    # PyTorch's chunked path takes neither label smoothing nor probability targets
    with pytest.warns(UserWarning, match=r"``options`` ignored; chunked path needs"):
        _check(backend, _inputs(), _target(), label_smoothing=0.2, options=CHUNKED)
    probabilities = random_input((N, C), seed=5, low=0.0, high=1.0)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    with pytest.warns(UserWarning, match=r"label_smoothing=0.0, target.dtype=float64"):
        _check(backend, _inputs(), probabilities, options=CHUNKED)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_cross_entropy_k_dimensional(backend, bias):
    x = random_input((N, IN), seed=1)
    w = random_input((C, 3, IN), seed=2)
    target = np.random.default_rng(0).integers(0, C, size=(N, 3))
    inputs = [x, w, random_input((C, 3), seed=3)] if bias else [x, w]
    _check(backend, inputs, target, reduction="none")


def test_linear_cross_entropy_rejects_bad_arguments_as_torch(backend):
    x, w, b = (xpnet.Tensor(backend.asarray(a)) for a in _inputs())
    target = backend.asarray(_target())
    cases = [
        ((x[None], w, target), {}, "expected input with dimensionality 1 or 2, got 3"),
        ((x, w[0], target), {}, "expected linear_weight with dimensionality at least 2, got 1"),
        ((x[:, :2], w, target), {}, "got 2 and 5, respectively"),
        ((x, w, target), {"linear_bias": b[:3]}, r"expected linear_bias shape \(11,\), got \(3,\)"),
        ((x[0], w.reshape(C, 1, IN), target[0]), {}, "requires batched input"),
    ]
    probabilities = backend.asarray(np.full((N, C), 1.0 / C))
    cases.append(((x, w, probabilities), {"ignore_index": 0}, "ignore_index cannot be specified"))
    for args, kwargs, message in cases:
        with pytest.raises(RuntimeError, match=message):
            F.linear_cross_entropy(*args, **kwargs)
        torch_args = [torch.tensor(backend.to_host(getattr(a, "array", a))) for a in args]
        torch_kwargs = {
            k: torch.tensor(backend.to_host(v.array)) if hasattr(v, "array") else v
            for k, v in kwargs.items()
        }
        with pytest.raises(RuntimeError, match=message):
            torch.nn.functional.linear_cross_entropy(*torch_args, **torch_kwargs)


def test_linear_cross_entropy_chunked_rejects_target_out_of_range(backend):
    x, w = (backend.asarray(a) for a in _inputs(bias=False))
    target = _target()
    target[4] = C
    with pytest.raises(IndexError, match=r"target values must be in \[0, 11\).*got 11"):
        F.linear_cross_entropy(x, w, backend.asarray(target), options=CHUNKED)
        raise_deferred()


def test_linear_cross_entropy_chunked_retain_graph_backward_twice(backend):
    # the chunked backward recomputes from the saved inputs, so a second backward works
    x = xpnet.Tensor(backend.asarray(_inputs()[0]), requires_grad=True)
    w = backend.asarray(_inputs()[1])
    loss = F.linear_cross_entropy(x, w, backend.asarray(_target()), options=CHUNKED)
    loss.backward(retain_graph=True)
    first = backend.to_host(x.grad.array).copy()
    loss.backward()
    np.testing.assert_allclose(backend.to_host(x.grad.array), 2 * first, rtol=1e-13)


def test_linear_cross_entropy_chunked_never_builds_whole_logits(backend):
    n, classes = 2048, 1024  # whole logits: 16 MiB in float64; one chunk of 64 rows: 0.5 MiB
    x = xpnet.Tensor(backend.asarray(random_input((n, 4), seed=1)), requires_grad=True)
    w = xpnet.Tensor(backend.asarray(random_input((classes, 4), seed=2)), requires_grad=True)
    target = backend.asarray(np.random.default_rng(0).integers(0, classes, size=n))
    options = LinearCrossEntropyOptions(batch_chunk_size=64)
    tracemalloc.start()
    try:
        F.linear_cross_entropy(x, w, target, options=options).backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"peak {peak / 2**20:.1f} MiB: the whole logits were built"


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((1024, 16, 4096), {}),
        ((1000, 64, 50000), {"chunking_method": "aspect_ratio"}),
        ((77, 8, 8), {"chunking_method": "aspect_ratio:4"}),
        ((100, 8, 300), {"batch_chunk_size": 7}),
        ((5, 8, 300), {"batch_chunk_size": 70, "chunking_method": None}),
    ],
)
def test_linear_cross_entropy_options_chunk_size_matches_torch(shape, kwargs):
    torch_options = torch.nn.LinearCrossEntropyOptions(**kwargs)
    expected = torch_options._adjust(*shape, dtype=torch.float64).batch_chunk_size
    assert LinearCrossEntropyOptions(**kwargs).chunk_size(*shape) == expected


def test_linear_cross_entropy_options_reject_as_torch():
    bad = [
        {"acc_policy": "fast"},
        {"chunking_method": "aspect"},
        {"chunking_method": "aspect_ratio:0"},
        {"batch_chunk_size": 0},
        {"acc_dtype": xpnet.int64},
    ]
    for kwargs in bad:
        with pytest.raises(ValueError) as ours:
            LinearCrossEntropyOptions(**kwargs)
        torch_kwargs = {"acc_dtype": torch.int64} if "acc_dtype" in kwargs else kwargs
        with pytest.raises(ValueError) as theirs:
            torch.nn.LinearCrossEntropyOptions(**torch_kwargs)
        assert str(ours.value).split(",")[0].split(":")[0] in str(theirs.value)
    with pytest.raises(ValueError, match="give different chunk sizes"):
        LinearCrossEntropyOptions(batch_chunk_size=3, chunking_method="aspect_ratio").chunk_size(
            1024, 16, 4096
        )


@pytest.mark.parametrize("options", [None, CHUNKED], ids=["reference", "chunked"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_cross_entropy_loss_module_matches_torch(backend, options, bias):
    weight = random_input((C,), seed=4, low=0.1, high=2.0)
    kwargs = {"bias": bias, "reduction": "sum", "ignore_index": 3}
    module = LinearCrossEntropyLoss(
        IN, C, dtype=xpnet.float64, weight=backend.asarray(weight), options=options, **kwargs
    ).to(backend.name)
    reference = torch.nn.LinearCrossEntropyLoss(
        IN, C, dtype=torch.float64, weight=torch.tensor(weight), **kwargs
    )
    assert list(module.state_dict()) == list(reference.state_dict())
    assert [n for n, _ in module.named_parameters()] == [n for n, _ in reference.named_parameters()]
    reference.load_state_dict(
        {k: torch.tensor(backend.to_host(v)) for k, v in module.state_dict().items()}
    )
    x_host = _inputs()[0]
    x = xpnet.Tensor(backend.asarray(x_host), requires_grad=True)
    tx = torch.tensor(x_host, requires_grad=True)
    output = module(x, backend.asarray(_target(ignore=3)))
    expected = reference(tx, torch.tensor(_target(ignore=3)))
    np.testing.assert_allclose(backend.to_host(output.array), expected.detach().numpy(), 1e-12)
    output.backward()
    expected.backward()
    # an absolute term too: a gradient entry near 0 (6.9e-6, a difference of O(1) terms)
    # differs at 1e-11 relative for some weights, which the module draws at random
    np.testing.assert_allclose(backend.to_host(x.grad.array), tx.grad.numpy(), 1e-12, 1e-13)
    for name, param in module.named_parameters():
        torch_grad = dict(reference.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(backend.to_host(param.grad.array), torch_grad, 1e-12, 1e-13)


def test_linear_cross_entropy_loss_module_k_dimensional_keys(backend):
    module = LinearCrossEntropyLoss(IN, C, out_features=(2, 3), bias=True)
    reference = torch.nn.LinearCrossEntropyLoss(IN, C, out_features=(2, 3), bias=True)
    shapes = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    assert shapes == {k: tuple(v.shape) for k, v in reference.state_dict().items()}


def test_linear_cross_entropy_loss_module_rejects_as_torch():
    for kwargs, message in [
        ({"weight": np.ones(3)}, r"expected weight shape to be \(11,\), got \(3,\)"),
        ({"label_smoothing": 1.5}, r"expected label_smoothing to be in range \[0, 1\], got 1.5"),
    ]:
        with pytest.raises(RuntimeError, match=message):
            LinearCrossEntropyLoss(IN, C, **kwargs)
        torch_kwargs = {k: torch.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
        with pytest.raises(RuntimeError, match=message):
            torch.nn.LinearCrossEntropyLoss(IN, C, **torch_kwargs)
