"""softmax, log_softmax, cross_entropy and nll_loss against PyTorch autograd (float64)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, check_finite_differences, random_input

import xpnet.kernels as K
from xpnet.backends import raise_deferred

SHAPES = [(5,), (4, 5), (3, 4, 2), (2, 3, 2, 3)]  # (C,), (N, C), (N, C, d1), (N, C, d1, d2)
REDUCTIONS = ["none", "mean", "sum"]


def _classes(shape):
    return shape[0] if len(shape) == 1 else shape[1]


def _index_target(shape, seed=0, ignore=True):
    """Class indices for logits of ``shape``; the first one is ignore_index=-100."""
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = np.random.default_rng(seed).integers(0, _classes(shape), size=target_shape)
    if ignore and target.ndim:
        target.flat[0] = -100
    return target


def _soft_target(shape, seed=0):
    """Class probabilities for logits of ``shape`` (summing to 1 over the class axis)."""
    target = random_input(shape, seed=seed, low=0.0, high=1.0)
    return target / target.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)


def _quiet_inf():
    # _oracle.assert_close subtracts inf from inf before masking it out; NumPy warns (an error
    # under pytest). Remove once assert_close masks before subtracting.
    return np.errstate(invalid="ignore")


def _saved_exp(backward):
    """cross_entropy_backward given the forward's exp and sums, as autograd passes them."""

    def with_exp(g, x, t, w, **kwargs):
        _, exp_logits, sum_exp = K.cross_entropy(x, t, w, return_exp=True, **kwargs)
        return backward(g, x, t, w, exp_logits=exp_logits, sum_exp=sum_exp, **kwargs)

    return with_exp


def _check_loss(backend, name, x, target, kwargs, dtype=np.float64, weight=None, saved=False):
    """Compare ``K.<name>`` with torch; soft targets are a differentiable input. ``saved``:
    cross_entropy's backward reuses the forward's exp."""
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    if saved:
        backward = _saved_exp(backward)

    def device_weight():
        return None if weight is None else backend.asarray(weight.astype(dtype))

    torch_weight = None if weight is None else torch.tensor(weight.astype(dtype).astype(np.float64))
    if target.dtype.kind == "f":
        return check_against_torch(
            lambda x, t: forward(x, t, device_weight(), **kwargs),
            lambda g, x, t: backward(g, x, t, device_weight(), **kwargs),
            lambda x, t: getattr(TF, name)(x, t, torch_weight, **kwargs),
            [x, target],
            backend,
            dtype=dtype,
        )
    return check_against_torch(
        lambda x: forward(x, backend.asarray(target), device_weight(), **kwargs),
        lambda g, x: backward(g, x, backend.asarray(target), device_weight(), **kwargs),
        lambda x: getattr(TF, name)(x, torch.tensor(target), torch_weight, **kwargs),
        [x],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_softmax_matches_torch(backend, name, dtype):
    for shape in [(5,), (3, 4), (2, 3, 4)]:
        for dim in range(-len(shape), len(shape)):
            check_against_torch(
                lambda x, dim=dim: getattr(K, name)(x, dim),
                lambda g, x, dim=dim: getattr(K, f"{name}_backward")(g, x, dim),
                lambda x, dim=dim: getattr(TF, name)(x, dim),
                [random_input(shape, seed=dim + 3, low=-5.0, high=5.0)],
                backend,
                dtype=dtype,
            )


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_saturates_and_handles_infinite_logits(backend, name, dtype):
    """+-1e3 gives exact 0/1 (no overflow); -inf logits give 0 / -inf with finite gradients."""
    x = np.array([[1e3, -1e3, 0.0], [-np.inf, 0.0, 1.0], [-1e3, -1e3, -1e3], [1e3, 1e3, -np.inf]])
    with _quiet_inf():
        _, (grad,) = check_against_torch(
            lambda x: getattr(K, name)(x, 1),
            lambda g, x: getattr(K, f"{name}_backward")(g, x, 1),
            lambda x: getattr(TF, name)(x, 1),
            [x],
            backend,
            dtype=dtype,
        )
    assert np.isfinite(grad).all()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_nan_and_inf_rows_match_torch(backend, name):
    # a +inf logit or a row of -inf has no finite shift: torch gives NaN, so must we
    x = np.array([[np.inf, 0.0, 1.0], [np.nan, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]])
    check_against_torch(
        lambda x: getattr(K, name)(x, 1),
        None,
        lambda x: getattr(TF, name)(x, 1),
        [x],
        backend,
    )


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_finite_differences(backend, name):
    x = random_input((3, 4), seed=1, low=-3.0, high=3.0)
    check_finite_differences(
        lambda x: getattr(K, name)(x, 1),
        lambda g, x: getattr(K, f"{name}_backward")(g, x, 1),
        [x],
        backend,
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("soft, saved", [(False, False), (False, True), (True, False)])
def test_cross_entropy_generated_grid(backend, shape, soft, saved):
    """Every reduction x label smoothing x weight, with one ignored class index."""
    x = random_input(shape, seed=1, low=-3.0, high=3.0)
    target = _soft_target(shape, seed=2) if soft else _index_target(shape, seed=2)
    weight = random_input((_classes(shape),), seed=3, low=0.2, high=2.0)
    for reduction, smoothing, weighted in itertools.product(REDUCTIONS, [0.0, 0.3], [0, 1]):
        kwargs = {"reduction": reduction, "label_smoothing": smoothing}
        _check_loss(
            backend,
            "cross_entropy",
            x,
            target,
            kwargs,
            weight=weight if weighted else None,
            saved=saved,
        )


@pytest.mark.parametrize("shape", [(7, 5), (5, 4, 3)])
def test_cross_entropy_in_blocks_on_threads(backend, monkeypatch, shape, num_threads):
    """Rows in blocks of one, on threads (numpy): every reduction, smoothing and weight."""
    monkeypatch.setattr(backend, "block_bytes", 1)
    num_threads(2)
    test_cross_entropy_generated_grid(backend, shape, soft=False, saved=True)


def test_cross_entropy_inf_logits_in_blocks_on_threads(backend, monkeypatch, num_threads):
    """+inf logits (NaN loss, as torch) on threads: no stray warning from a worker thread."""
    monkeypatch.setattr(backend, "block_bytes", 1)
    num_threads(2)
    x = random_input((6, 4), seed=4)
    x[1, 2] = x[4, 0] = np.inf
    target = np.arange(6) % 4
    expected = TF.cross_entropy(torch.tensor(x), torch.tensor(target), reduction="none").numpy()
    loss = K.cross_entropy(backend.asarray(x), backend.asarray(target), reduction="none")
    np.testing.assert_allclose(backend.to_host(loss), expected, rtol=1e-12)


@pytest.mark.parametrize("soft, saved", [(False, False), (False, True), (True, True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_cross_entropy_low_precision(backend, soft, saved, dtype):
    shape = (6, 5, 3)
    x = random_input(shape, seed=4, low=-3.0, high=3.0)
    target = _soft_target(shape, seed=5) if soft else _index_target(shape, seed=5)
    weight = random_input((5,), seed=6, low=0.2, high=2.0)
    kwargs = {"reduction": "none", "label_smoothing": 0.1}
    _check_loss(
        backend, "cross_entropy", x, target, kwargs, dtype=dtype, weight=weight, saved=saved
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nll_loss_generated_grid(backend, shape, dtype):
    x = random_input(shape, seed=7, low=-3.0, high=0.0)
    target = _index_target(shape, seed=8)
    weight = random_input((_classes(shape),), seed=9, low=0.2, high=2.0)
    for reduction, weighted in itertools.product(REDUCTIONS, [0, 1]):
        _check_loss(
            backend,
            "nll_loss",
            x,
            target,
            {"reduction": reduction},
            dtype,
            weight=weight if weighted else None,
        )


@pytest.mark.parametrize("saved", [False, True])
def test_cross_entropy_huge_logits_are_exact(backend, saved):
    x = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    target, kwargs = np.array([1, 1]), {"reduction": "none"}
    output, _ = _check_loss(backend, "cross_entropy", x, target, kwargs, saved=saved)
    assert output.tolist() == [2000.0, 0.0]


@pytest.mark.parametrize("saved", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_minus_inf_logit_at_target(backend, smoothing, saved):
    """-inf at the target: an infinite loss, finite gradients (log_softmax, not log(softmax))."""
    x = np.array([[-np.inf, 1.0, 2.0], [0.0, -np.inf, 1.0]])
    target, kwargs = np.array([0, 2]), {"reduction": "none", "label_smoothing": smoothing}
    with _quiet_inf():
        output, (grad,) = _check_loss(backend, "cross_entropy", x, target, kwargs, saved=saved)
    assert output[0] == np.inf and np.isfinite(grad).all()
    if not smoothing:  # a -inf logit elsewhere costs nothing
        assert np.isfinite(output[1])


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_cross_entropy_all_ignored(backend, name):
    """Every target ignored: 'mean' is 0/0 = NaN as in PyTorch, 'sum' is 0, gradients are 0."""
    x = random_input((3, 4), seed=10)
    target = np.full(3, -100)
    output, (grad,) = _check_loss(backend, name, x, target, {"reduction": "mean"})
    assert np.isnan(output)
    output, (grad,) = _check_loss(backend, name, x, target, {"reduction": "sum"})
    assert output == 0.0 and not grad.any()


@pytest.mark.parametrize("smoothing", [0.0, 0.2, 1.0])
def test_cross_entropy_zero_kept_weight_mean_is_nan(backend, smoothing):
    """Kept targets whose weights sum to 0: PyTorch's 'mean' is NaN (its NLL term is 0/0),
    also where the smoothing term alone would be inf."""
    x, weight = random_input((2, 4), seed=11), np.array([0.0, 1.0, 0.0, 2.0])
    options = {"label_smoothing": smoothing}
    output, _ = _check_loss(backend, "cross_entropy", x, np.array([0, 2]), options, weight=weight)
    assert np.isnan(output)


@pytest.mark.parametrize("soft, saved", [(False, False), (False, True), (True, False)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_empty_batch(backend, soft, saved, reduction):
    x = np.zeros((0, 4))
    target = np.zeros((0, 4)) if soft else np.zeros(0, dtype=np.int64)
    _check_loss(backend, "cross_entropy", x, target, {"reduction": reduction}, saved=saved)


@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_return_exp(backend, shape):
    """exp_logits / sum_exp is the softmax over the class axis; None for probability targets."""
    target = backend.asarray(_index_target(shape, seed=14))
    dim = 0 if len(shape) == 1 else 1

    def softmax(x):
        _, exp_logits, sum_exp = K.cross_entropy(x, target, return_exp=True)
        return exp_logits / (sum_exp[:, None] if dim else sum_exp)

    check_against_torch(
        softmax,
        None,
        lambda x: TF.softmax(x, dim),
        [random_input(shape, seed=15, low=-3.0, high=3.0)],
        backend,
    )
    soft = backend.asarray(_soft_target(shape, seed=16))
    assert K.cross_entropy(soft, soft, return_exp=True)[1:] == (None, None)


@pytest.mark.parametrize("soft", [False, True])
def test_cross_entropy_finite_differences(backend, soft):
    shape = (3, 4, 2)
    x = random_input(shape, seed=11, low=-2.0, high=2.0)
    weight = backend.asarray(random_input((4,), seed=12, low=0.5, high=1.5))
    kwargs = {"reduction": "mean", "label_smoothing": 0.2}
    if soft:
        check_finite_differences(
            lambda x, t: K.cross_entropy(x, t, weight, **kwargs),
            lambda g, x, t: K.cross_entropy_backward(g, x, t, weight, **kwargs),
            [x, _soft_target(shape, seed=13)],
            backend,
        )
        return
    target = backend.asarray(_index_target(shape, seed=13))
    check_finite_differences(
        lambda x: K.cross_entropy(x, target, weight, **kwargs),
        lambda g, x: K.cross_entropy_backward(g, x, target, weight, **kwargs),
        [x],
        backend,
    )


def _arrays(backend, *arrays):
    return [backend.asarray(np.asarray(a)) for a in arrays]


LOSS_ERRORS = [
    (
        (3, 4),
        np.array([0, 4, 1]),
        {},
        IndexError,
        r"target values must be in \[0, 4\) or ignore_index=-100, got 4",
    ),
    (
        (3, 4),
        np.array([0, -1, 1]),
        {},
        IndexError,
        r"target values must be in \[0, 4\) or ignore_index=-100, got -1",
    ),
    (  # a negative index is reported first; int64's extremes exactly
        (3, 4),
        np.array([7, -(2**62), 2**62]),
        {},
        IndexError,
        r"target values must be in \[0, 4\) or ignore_index=-100, got -4611686018427387904$",
    ),
    (
        (2, 4),
        np.array([2**62, 1]),
        {},
        IndexError,
        r"target values must be in \[0, 4\) or ignore_index=-100, got 4611686018427387904$",
    ),
    (
        (3, 4),
        np.array([0, 1]),
        {},
        ValueError,
        r"input batch size 3 must match target batch size 2",
    ),
    (
        (3, 4, 2),
        np.zeros((3, 3), dtype=np.int64),
        {},
        ValueError,
        r"target must have shape \(3, 2\) for input of shape \(3, 4, 2\), got \(3, 3\)",
    ),
    (
        (4,),
        np.array([1, 2]),
        {},
        ValueError,
        r"target must have shape \(\) for input of shape \(4,\), got \(2,\)",
    ),
    (
        (3, 4),
        np.array([0, 1, 2]),
        {"reduction": "avg"},
        ValueError,
        r"reduction must be 'none', 'mean' or 'sum', got 'avg'",
    ),
    (
        (3, 4),
        np.array([0, 1, 2]),
        {"weight": np.ones(3)},
        ValueError,
        r"weight must have shape \(4,\), got \(3,\)",
    ),
    (
        (3, 4),
        np.array([True, False, True]),
        {},
        TypeError,
        r"target must hold integer class indices or float probabilities, got dtype bool",
    ),
    (
        (),
        np.array(0),
        {},
        ValueError,
        r"input must have shape \(C,\) or \(N, C, \*\), got shape \(\)",
    ),
]


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape, target, kwargs, error, message", LOSS_ERRORS)
def test_loss_rejects_bad_arguments(backend, name, shape, target, kwargs, error, message):
    x, target = _arrays(backend, np.zeros(shape), target)
    kwargs = {k: backend.asarray(v) if k == "weight" else v for k, v in kwargs.items()}
    with pytest.raises(error, match=f"{name}: {message}"):
        getattr(K, name)(x, target, **kwargs)
        raise_deferred()  # label checks on strict wait for the next host read
    with pytest.raises(error, match=f"{name}_backward: {message}"):
        getattr(K, f"{name}_backward")(backend.asarray(np.zeros(())), x, target, **kwargs)
        raise_deferred()


def test_cross_entropy_rejects_bad_soft_targets_and_smoothing(backend):
    x = backend.asarray(np.zeros((3, 4)))
    with pytest.raises(
        ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\], got 1.5"
    ):
        K.cross_entropy(x, backend.asarray(np.zeros(3, dtype=np.int64)), label_smoothing=1.5)
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: probability target must have the shape of input \(3, 4\), "
        r"got \(3, 5\)",
    ):
        K.cross_entropy(x, backend.asarray(np.zeros((3, 5))))
    with pytest.raises(
        TypeError, match=r"cross_entropy: probability target must have dtype float64, got float32"
    ):
        K.cross_entropy(x, backend.asarray(np.zeros((3, 4), dtype=np.float32)))
    with pytest.raises(
        TypeError, match=r"nll_loss: target must hold integer class indices, got dtype float64"
    ):
        K.nll_loss(x, x)
    with pytest.raises(TypeError, match=r"nll_loss: target must be an array, got list"):
        K.nll_loss(x, [0, 1, 2])
    with pytest.raises(
        ValueError, match=r"cross_entropy_backward: grad_output must have shape \(3,\), got \(\)"
    ):
        K.cross_entropy_backward(
            backend.asarray(np.zeros(())),
            x,
            backend.asarray(np.zeros(3, dtype=np.int64)),
            reduction="none",
        )


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_rejects_bad_arguments(backend, name):
    x = backend.asarray(np.zeros((2, 3)))
    with pytest.raises(
        ValueError, match=rf"{name}: dim must be an axis of input of shape \(2, 3\), got 2"
    ):
        getattr(K, name)(x, 2)
    with pytest.raises(
        ValueError,
        match=rf"{name}_backward: grad_output must have the shape of input \(2, 3\), got \(3,\)",
    ):
        getattr(K, f"{name}_backward")(backend.asarray(np.zeros(3)), x, 1)
    with pytest.raises(
        TypeError, match=rf"{name}: input must be a floating-point array, got dtype int64"
    ):
        getattr(K, name)(backend.asarray(np.zeros(3, dtype=np.int64)), 0)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss_backward", "cross_entropy_backward"])
def test_loss_rejects_inputs_too_large_before_reading_them(backend, name):
    """A broadcast input of 2e11 elements: MemoryError naming the bytes at once, not minutes
    of max() over it first."""
    x = backend.xp.broadcast_to(backend.asarray(np.zeros(())), (2, 10**11))
    target = backend.asarray(np.zeros(2, np.int64))
    grad = backend.asarray(np.ones(()))
    call = getattr(K, name)
    args = (x, target) if name == "cross_entropy" else (grad, x, target)
    with pytest.raises(MemoryError, match=rf"{name}: .*shape \(2, 100000000000\) would need"):
        call(*args)
