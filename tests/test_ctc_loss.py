"""The CTC loss against PyTorch float64: values and PyTorch's gradient formula for padded and
concatenated targets, lengths as tuples, lists and device arrays, empty targets and inputs,
repeated labels, infeasible alignments with and without zero_infinity, every reduction, other
blanks, unbatched input, -inf log-probabilities, float32 and float16; errors (at once, and
deferred on strict); no host sync; bits per thread count; the CTCLoss module against torch.nn;
a hypothesis property test."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn as nn
import xpnet.nn.functional as F
from xpnet.backends import host_reads_forbidden, raise_deferred

REDUCTIONS = ["none", "mean", "sum"]
# (N, S) padded targets: a repeat (1, 1 needs a blank between), a long one, an empty one
TARGETS = np.array([[1, 1, 2, 0], [2, 3, 4, 1], [4, 0, 0, 0], [3, 0, 0, 0]])
TARGET_LENGTHS = (3, 4, 1, 0)
INPUT_LENGTHS = (8, 6, 7, 3)


def _log_probs(shape, seed=0, scale=2.0):
    """Log-softmax over the last axis of uniform values in [-scale, scale]."""
    x = random_input(shape, seed=seed) * scale
    top = x.max(axis=-1, keepdims=True)
    return x - top - np.log(np.exp(x - top).sum(axis=-1, keepdims=True))


def _concatenated(targets, target_lengths):
    return np.concatenate([row[:n] for row, n in zip(targets, target_lengths, strict=True)])


def _on_device(backend, lengths):
    return backend.asarray(np.asarray(lengths, dtype=np.int64))


def _check(backend, x, targets, input_lengths, target_lengths, dtype=np.float64, **options):
    """``check_against_torch`` of the pair; lengths as given (tuples, lists or device arrays),
    PyTorch gets them as tuples."""
    device_targets = backend.asarray(targets)

    def host(lengths):
        return (
            tuple(int(v) for v in np.asarray(backend.to_host(lengths)).reshape(-1))
            if hasattr(lengths, "shape")
            else tuple(lengths)
        )

    lengths = (input_lengths, target_lengths)
    reference = (torch.tensor(targets), host(input_lengths), host(target_lengths))
    return check_against_torch(
        lambda x: K.ctc_loss(x, device_targets, *lengths, **options),
        lambda g, x: K.ctc_loss_backward(g, x, device_targets, *lengths, **options),
        lambda x: TF.ctc_loss(x, *reference, **options),
        [x],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("lengths", ["tuple", "list", "device", "numpy"])
def test_ctc_loss_padded_targets_match_torch(backend, reduction, dtype, lengths):
    """Varied input and target lengths (one empty target, frames past a length)."""
    inputs, targets = INPUT_LENGTHS, TARGET_LENGTHS
    if lengths == "list":
        inputs, targets = list(inputs), list(targets)
    elif lengths == "device":
        inputs, targets = _on_device(backend, inputs), _on_device(backend, targets)
    elif lengths == "numpy":  # host arrays on any backend, as PyTorch's CPU lengths
        inputs, targets = np.array(inputs), np.array(targets, dtype=np.int32)
    x = _log_probs((9, 4, 5), seed=1)
    _check(backend, x, TARGETS, inputs, targets, dtype, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("device", [False, True])
def test_ctc_loss_concatenated_targets_match_torch(backend, reduction, device):
    """Concatenated targets; device lengths span every label slot (masked) on strict."""
    targets = _concatenated(TARGETS, TARGET_LENGTHS)
    inputs, lengths = INPUT_LENGTHS, TARGET_LENGTHS
    if device:
        inputs, lengths = _on_device(backend, inputs), _on_device(backend, lengths)
    x = _log_probs((8, 4, 5), seed=2)
    _check(backend, x, targets, inputs, lengths, reduction=reduction)


def test_ctc_loss_batch_first_view(backend):
    """log_probs as a (T, N, C) view of a (N, T, C) array, as models give them."""
    x = _log_probs((3, 7, 5), seed=11)
    targets = backend.asarray(TARGETS[:3])
    lengths = (7, 5, 6), (3, 4, 1)
    check_against_torch(
        lambda x: K.ctc_loss(x.transpose(1, 0, 2), targets, *lengths),
        lambda g, x: K.ctc_loss_backward(g, x.transpose(1, 0, 2), targets, *lengths).transpose(
            1, 0, 2
        ),
        lambda x: TF.ctc_loss(x.transpose(0, 1), torch.tensor(TARGETS[:3]), *lengths),
        [x],
        backend,
    )


def test_ctc_loss_float16_computes_in_float32(backend):
    """PyTorch has no float16 CTC on the CPU: judged against float64 at float16's 2 ulps."""
    x = _log_probs((6, 2, 4), seed=3, scale=1.0)
    out, _ = _check(backend, x, TARGETS[:2, :2], (6, 5), (2, 2), np.float16, reduction="sum")
    assert out.dtype == np.float16


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_infeasible_alignments(backend, zero_infinity, reduction):
    """1, 1, 1 needs 5 frames (1 _ 1 _ 1): 4 give inf, with NaN gradients over the frames (as
    PyTorch's -inf + inf), or 0 and no gradient with zero_infinity; 5 frames fit exactly. An
    empty input: 0 for an empty target, inf for another."""
    targets = np.array([[1, 1, 1], [1, 1, 1], [2, 1, 0], [1, 0, 0], [2, 2, 0]])
    inputs, lengths = (4, 5, 1, 0, 0), (3, 3, 2, 0, 2)
    out, _ = _check(
        backend,
        _log_probs((6, 5, 3), seed=4),
        targets,
        inputs,
        lengths,
        reduction=reduction,
        zero_infinity=zero_infinity,
    )
    if reduction == "none":
        assert np.isinf(out[[0, 2, 4]]).all() != zero_infinity
        assert out[3] == 0.0


@pytest.mark.parametrize("targets", [[[1, 2, 1, 2, 1]], [[1, 2, 1]], [[3, 3, 3]]])
def test_ctc_loss_repeated_labels(backend, targets):
    """More label slots than classes (classes summed by class) and fewer (by label slot)."""
    targets = np.array(targets)
    length = targets.shape[1]
    x = _log_probs((2 * length + 1, 1, 4), seed=5)
    _check(backend, x, targets, (2 * length + 1,), (length,), reduction="none")


@pytest.mark.parametrize("blank", [2, 4])
def test_ctc_loss_other_blank(backend, blank):
    targets = np.where(TARGETS == blank, 0, TARGETS)[:3]
    x = _log_probs((9, 3, 5), seed=6)
    _check(backend, x, targets, INPUT_LENGTHS[:3], TARGET_LENGTHS[:3], blank=blank)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_unbatched(backend, reduction):
    """(T, C) with 1-D targets (the concatenation of one) or (1, S) ones; lengths of one."""
    x = _log_probs((7, 5), seed=7)
    _check(backend, x, np.array([1, 1, 3]), (6,), [3], reduction=reduction)
    _check(backend, x, np.array([[1, 1, 3, 0]]), (7,), (3,), reduction=reduction)
    device = _on_device(backend, 6), _on_device(backend, [3])  # a 0-d array: one value
    _check(backend, x, np.array([1, 1, 3]), *device, reduction=reduction)


def test_ctc_loss_infinite_log_probabilities(backend):
    """A -inf log-probability: a finite loss, NaN gradients at that frame as in PyTorch."""
    x = _log_probs((6, 2, 4), seed=8)
    x[2, 0, 3] = -np.inf
    x[4, 1, 1] = -np.inf  # on the target's only path for that label's frame: still feasible
    _check(backend, x, TARGETS[:2, :2], (6, 6), (2, 2), reduction="sum")


def test_ctc_loss_backward_is_pytorchs_formula_not_the_derivative(backend):
    """Finite differences give ``-gamma``: the backward adds ``exp(log_probs)``, as PyTorch's."""
    x = _log_probs((5, 2, 3), seed=12)
    targets, lengths = backend.asarray(TARGETS[:2, :2]), ((5, 4), (2, 1))

    def loss(values):
        return float(backend.to_host(K.ctc_loss(backend.asarray(values), targets, *lengths)))

    step, numeric = 1e-6, np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shift = np.zeros_like(x)
        shift[index] = step
        numeric[index] = (loss(x + shift) - loss(x - shift)) / (2 * step)
    grad = backend.to_host(
        K.ctc_loss_backward(backend.xp.asarray(1.0), backend.asarray(x), targets, *lengths)
    )
    frames = np.arange(5)[:, None, None] < np.array(lengths[0])[:, None]
    expected = numeric + np.where(frames, np.exp(x) / 2 / np.maximum(lengths[1], 1)[:, None], 0.0)
    np.testing.assert_allclose(grad, expected, atol=1e-8)


def test_ctc_loss_rejects_bad_arguments(backend):
    x = backend.asarray(_log_probs((5, 2, 4)))
    t = backend.asarray(np.array([[1, 2], [3, 1]]))
    lengths = (5, 5), (2, 2)
    where = "ctc_loss"
    cases = [
        (TypeError, "log_probs must be an array", (None, t, *lengths), {}),
        (TypeError, "targets must be an array", (x, None, *lengths), {}),
        (TypeError, "log_probs must be a floating-point", (t, t, *lengths), {}),
        (K.ArgumentError, r"log_probs must have shape \(T, C\)", (x[0, 0], t, *lengths), {}),
        (K.ArgumentError, "log_probs must not be empty", (x[:0], t, *lengths), {}),
        (
            K.ArgumentError,
            r"blank must be in the label range \[0, 4\), got 4",
            (x, t, *lengths),
            {"blank": 4},
        ),
        (K.ArgumentError, "blank must be in the label range", (x, t, *lengths), {"blank": -1}),
        (TypeError, "blank must be an int", (x, t, *lengths), {"blank": 0.0}),
        (TypeError, "targets must hold integer", (x, x[0], *lengths), {}),
        (K.ArgumentError, r"targets must have shape \(N, S\)", (x, t[None], *lengths), {}),
        (K.ArgumentError, r"targets must have shape \(N, S\) with N=2", (x, t[:1], *lengths), {}),
        (TypeError, "input_lengths must be a tuple or list", (x, t, 5, (2, 2)), {}),
        (TypeError, r"input_lengths\[0\] must be an int", (x, t, (5.0, 5), (2, 2)), {}),
        (TypeError, "target_lengths must be integral", (x, t, (5, 5), x[0, :, 0]), {}),
        (
            K.ArgumentError,
            "input_lengths must have one value per sequence, N=2, got 3",
            (x, t, (5, 5, 5), (2, 2)),
            {},
        ),
        (K.ArgumentError, r"input_lengths must be in \[0, 5\], got 6", (x, t, (6, 5), (2, 2)), {}),
        (
            K.ArgumentError,
            r"input_lengths must be in \[0, 5\], got -1",
            (x, t, (-1, 5), (2, 2)),
            {},
        ),
        (K.ArgumentError, r"target_lengths must be in \[0, 2\], got 3", (x, t, (5, 5), (3, 2)), {}),
        (
            K.ArgumentError,
            "target_lengths must sum to the targets' length 4, got 3",
            (x, t.reshape(-1), (5, 5), (2, 1)),
            {},
        ),
        (K.ArgumentError, "reduction must be one of", (x, t, *lengths), {"reduction": "max"}),
        (TypeError, "zero_infinity must be a bool", (x, t, *lengths), {"zero_infinity": 1}),
    ]
    for error, message, args, kwargs in cases:
        with pytest.raises(error, match=f"^{where}: {message}"):
            K.ctc_loss(*args, **kwargs)
    backward = f"{where}_backward: grad_output must"
    with pytest.raises(K.ArgumentError, match=backward):
        K.ctc_loss_backward(backend.xp.zeros(2), x, t, *lengths)
    with pytest.raises(TypeError, match=backward):
        K.ctc_loss_backward(backend.xp.zeros((), dtype="float32"), x, t, *lengths)


@pytest.mark.parametrize(
    "targets, input_lengths, target_lengths, message",
    [
        ([[1, 4], [3, 1]], (5, 5), (2, 2), r"targets must be class indices in \[0, 4\) other "),
        ([[1, 0], [3, 1]], (5, 5), (2, 2), "targets must .* other than blank=0 .*got 0$"),
        ([[1, -1], [3, 1]], (5, 5), (2, 2), "targets must .*got -1$"),
        ([[1, 2], [3, 1]], (6, 5), (2, 2), r"input_lengths must be in \[0, 5\], got 6"),
        ([[1, 2], [3, 1]], (5, 5), (2, -1), r"target_lengths must be in \[0, 2\], got -1"),
        ([1, 2, 3, 1], (5, 5), (2, 1), "target_lengths must sum to the targets' length 4"),
    ],
)
def test_ctc_loss_value_checks_deferred_on_device(
    backend, targets, input_lengths, target_lengths, message
):
    """Target values, and lengths given as device arrays: checked at once on NumPy, at the next
    host read elsewhere (no sync in the call). Past a target length, values are not read."""
    x = backend.asarray(_log_probs((5, 2, 4)))
    t = backend.asarray(np.array(targets))
    lengths = _on_device(backend, input_lengths), _on_device(backend, target_lengths)
    pattern = f"^ctc_loss: {message}"
    if getattr(backend, "host_reads_free", False):
        with pytest.raises(K.ArgumentError, match=pattern):
            K.ctc_loss(x, t, *lengths)
        return
    with host_reads_forbidden():
        K.ctc_loss(x, t, *lengths)
    with pytest.raises(K.ArgumentError, match=pattern):
        raise_deferred()
    padded = backend.asarray(np.array([[1, 2, -7], [3, 1, 99]]))  # ignored past the lengths
    K.ctc_loss(x, padded, (5, 5), (2, 2))
    raise_deferred()


@pytest.mark.parametrize("host", [False, True])
def test_ctc_loss_no_host_sync(backend, host):
    """Forward and backward never wait for the device, lengths on the host or the device."""
    x = backend.asarray(_log_probs((9, 4, 5)))
    t = backend.asarray(TARGETS)
    if host:
        lengths = INPUT_LENGTHS, TARGET_LENGTHS
    else:
        lengths = _on_device(backend, INPUT_LENGTHS), _on_device(backend, TARGET_LENGTHS)
    if getattr(backend, "host_reads_free", False):
        pytest.skip("host reads are free on NumPy")
    with host_reads_forbidden():
        K.ctc_loss(x, t, *lengths)
        K.ctc_loss_backward(backend.xp.ones((), dtype=x.dtype), x, t, *lengths)


def test_ctc_loss_bits_do_not_depend_on_threads(backend, num_threads):
    x = backend.asarray(_log_probs((9, 4, 5), seed=9).astype(np.float32))
    t = backend.asarray(TARGETS)
    results = []
    for threads in (1, 2, 4):
        num_threads(threads)
        loss = K.ctc_loss(x, t, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none")
        grad = K.ctc_loss_backward(
            backend.xp.ones_like(loss), x, t, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none"
        )
        results.append((backend.to_host(loss), backend.to_host(grad)))
    for loss, grad in results[1:]:
        assert np.array_equal(loss, results[0][0]) and np.array_equal(grad, results[0][1])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_module_matches_torch(backend, reduction):
    """Through log_softmax, as in training: the logits' gradients match too."""
    module = nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=True)
    reference = torch.nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=True)
    assert repr(module) == repr(reference)
    assert module.state_dict().keys() == reference.state_dict().keys() == set()
    logits = random_input((9, 4, 5), seed=10) * 3
    x = xpnet.Tensor(backend.asarray(logits), requires_grad=True)
    tx = torch.tensor(logits, requires_grad=True)
    lengths = (8, 2, 7, 3), TARGET_LENGTHS  # the second is infeasible: zeroed
    output = module(F.log_softmax(x, 2), backend.asarray(TARGETS), *lengths)
    expected = reference(tx.log_softmax(2), torch.tensor(TARGETS), *lengths)
    np.testing.assert_allclose(backend.to_host(output.array), expected.detach().numpy(), 1e-12)
    output.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(backend.to_host(x.grad.array), tx.grad.numpy(), 1e-10, 1e-12)


@PROFILE
@given(
    N=st.integers(1, 3),
    C=st.integers(2, 5),
    T=st.integers(1, 7),
    concatenated=st.booleans(),
    reduction=st.sampled_from(REDUCTIONS),
    seed=st.integers(0, 2**16),
)
def test_ctc_loss_property(backend, N, C, T, concatenated, reduction, seed):
    """Valid calls match PyTorch; an input length past T is refused."""
    rng = np.random.default_rng(seed)
    blank = int(rng.integers(0, C))
    labels = [c for c in range(C) if c != blank]
    S = int(rng.integers(0, 5))
    targets = rng.choice(labels, size=(N, S))
    target_lengths = tuple(int(n) for n in rng.integers(0, S + 1, size=N))
    input_lengths = tuple(int(n) for n in rng.integers(0, T + 1, size=N))
    if concatenated:
        targets = _concatenated(targets, target_lengths)
    x = _log_probs((T, N, C), seed=seed)
    _check(backend, x, targets, input_lengths, target_lengths, blank=blank, reduction=reduction)
    with pytest.raises(K.ArgumentError, match="input_lengths must be in"):
        K.ctc_loss(backend.asarray(x), backend.asarray(targets), (T + 1,) * N, target_lengths)
