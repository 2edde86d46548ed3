"""Regression tests for the differences from PyTorch 2.13 the loss audit found (2026-12):
cross-entropy and NLL over an input with no classes (C = 0: every class-index target
ignored, probability targets, label smoothing), the exception classes of wrong target
dtypes (PyTorch's ``RuntimeError``), and the weighted loss modules refusing the deprecated
``size_average``/``reduce`` as the others do.

PyTorch is the oracle: each case runs on both libraries; a value must be PyTorch's (NaN where
PyTorch's is), a refusal PyTorch's class with a message naming the function and the argument.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import xpnet
import xpnet.nn.functional as F
from xpnet.backends import raise_deferred
from xpnet.kernels import ArgumentError

REDUCTIONS = ["none", "mean", "sum"]


def _tensor(M, array):
    """``array`` as a tensor of ``M`` (xpnet's on the backend under test)."""
    return M.tensor(array.tolist(), dtype=getattr(M, array.dtype.name))


def _both(call, arrays, grad=True):
    """``call(M, *tensors)`` on torch and xpnet (float64, the first array differentiated):
    the two losses and the two input gradients, as NumPy arrays."""
    results = []
    for M in (torch, xpnet):
        tensors = [_tensor(M, a) for a in arrays]
        tensors[0].requires_grad_(grad)
        loss = call(M, *tensors)
        if M is xpnet:
            raise_deferred()  # strict defers the range checks to the next host read
        grad_input = None
        if grad:
            loss.sum().backward()
            grad_input = np.asarray(tensors[0].grad.numpy())
        results.append((np.asarray(loss.detach().numpy()), grad_input))
    return results


def _functional(M):
    return TF if M is torch else F


# 1. no classes: the class-index targets all ignored (else out of range), probabilities,
# label smoothing; PyTorch gives 0 per element ('none', 'sum') or NaN ('mean'), NaN with
# smoothing, and an empty gradient
NO_CLASSES = {
    "cross_entropy": {"ignore_index": 0},
    "cross_entropy, weight": {"ignore_index": 0, "weight": True},
    "cross_entropy, smoothing": {"ignore_index": 0, "label_smoothing": 0.1},
    "nll_loss": {"ignore_index": 0},
    "nll_loss, weight": {"ignore_index": 0, "weight": True},
}


@pytest.mark.parametrize("target_dtype", ["int64", "uint8"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(NO_CLASSES))
def test_no_classes_every_target_ignored(case, reduction, target_dtype, backend):
    options = dict(NO_CLASSES[case], reduction=reduction)
    name = case.split(",")[0]

    def call(M, x, t):
        weight = M.zeros(0, dtype=M.float64) if "weight" in options else None
        kwargs = dict(options, weight=weight)
        return getattr(_functional(M), name)(x, t, **kwargs)

    target = np.zeros(2, dtype=target_dtype)
    (loss, grad), (actual, actual_grad) = _both(call, [np.zeros((2, 0)), target])
    np.testing.assert_array_equal(actual, loss)  # NaN where PyTorch's is NaN
    assert actual_grad.shape == grad.shape == (2, 0)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_no_classes_a_kept_target_is_out_of_range(name, backend):
    def call(M, x, t):
        return getattr(_functional(M), name)(x, t)

    with pytest.raises(IndexError):
        _both(call, [np.zeros((2, 0)), np.array([0, -100])], grad=False)
    with pytest.raises(IndexError, match=rf"{name}: target values must be in \[0, 0\)"):
        call(xpnet, _tensor(xpnet, np.zeros((2, 0))), xpnet.tensor([0, -100]))
        raise_deferred()


# 'mean' divided by 0 classes (ZeroDivisionError), smoothing by 0 classes (the same)
SOFT = [("mean", 0.0), ("mean", 0.2), ("none", 0.2), ("sum", 0.2)]


@pytest.mark.parametrize(("reduction", "label_smoothing"), SOFT)
def test_no_classes_probability_target(reduction, label_smoothing, backend):
    def call(M, x, t):
        return _functional(M).cross_entropy(
            x, t, reduction=reduction, label_smoothing=label_smoothing
        )

    (loss, grad), (actual, actual_grad) = _both(call, [np.zeros((2, 0)), np.zeros((2, 0))])
    np.testing.assert_array_equal(actual, loss)  # 'mean': 0 / (0 / 0), NaN
    assert actual_grad.shape == grad.shape == (2, 0)


# 2. wrong target dtypes: PyTorch raises a RuntimeError ("expected target dtype to be Long or
# Byte", "expected scalar type Long but found Double"); xpnet's DtypeMismatchError is one
x = np.random.default_rng(0).normal(size=(3, 4))
WRONG_TARGETS = {
    "cross_entropy, bool": ("cross_entropy", np.array([True, False, True]), "class indices"),
    "nll_loss, bool": ("nll_loss", np.array([True, False, True]), "class indices"),
    "nll_loss, float64": ("nll_loss", np.array([0.0, 1.0, 2.0]), "class indices"),
    "nll_loss, float32": ("nll_loss", np.array([0.0, 1.0, 2.0], np.float32), "class indices"),
    "nll_loss, probabilities": ("nll_loss", np.full((3, 4), 0.25), "class indices"),
    "multi_margin_loss, float": ("multi_margin_loss", np.array([0.0, 1.0, 2.0]), "class indices"),
    "multilabel_margin_loss, float": ("multilabel_margin_loss", np.zeros((3, 4)), "class indices"),
}


@pytest.mark.parametrize("case", list(WRONG_TARGETS))
def test_wrong_target_dtype_is_pytorchs_runtime_error(case, backend):
    name, target, words = WRONG_TARGETS[case]
    with pytest.raises(RuntimeError):
        getattr(TF, name)(torch.tensor(x), torch.tensor(target))
    with pytest.raises(RuntimeError, match=rf"{name}: target must hold .*{words}"):
        getattr(F, name)(_tensor(xpnet, x), _tensor(xpnet, target))
        raise_deferred()


def test_nll_loss_float_target_with_ignore_index_names_class_indices(backend):
    # not "ignore_index is not supported for probability targets": NLL has no such targets
    with pytest.raises(RuntimeError, match="nll_loss: target must hold integer class indices"):
        F.nll_loss(_tensor(xpnet, x), _tensor(xpnet, np.full((3, 4), 0.25)), ignore_index=1)


# 3. the weighted loss modules refuse size_average/reduce with the ArgumentError of the others
WEIGHTED = [
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "MultiMarginLoss",
    "MultiLabelSoftMarginLoss",
]


@pytest.mark.parametrize("name", WEIGHTED)
def test_weighted_loss_modules_refuse_legacy_arguments_as_the_others(name, backend):
    with pytest.raises(ArgumentError, match=f"{name}: size_average and reduce are deprecated"):
        getattr(xpnet.nn, name)(reduce=False)
    with pytest.raises(ArgumentError, match="MSELoss: size_average and reduce are deprecated"):
        xpnet.nn.MSELoss(reduce=False)  # the unweighted ones: the same class
