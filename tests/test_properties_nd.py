"""Property tests of the kernels test_properties.py leaves out, against PyTorch float64: 1-D and
3-D convolution and pooling, transposed convolution, instance norm, interpolate, pad,
embedding and the element-wise losses.

As in test_properties.py: generated valid configurations (``_strategies_nd``), with a few NaN,
+-inf and -0.0 in the inputs, must match PyTorch's forward and every input gradient at
float64's tolerance; invalid ones must raise ``TypeError`` or ``ArgumentError`` with a message
that names the function and the argument. Bounded by the ``xpnet`` hypothesis profile;
``XPNET_PROPERTY_EXAMPLES=n`` runs every test here with ``n`` examples instead (a deeper search,
not for CI).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import (
    check_against_torch,
    check_kernel_against_torch,
    check_running_norm,
    random_input,
)
from _strategies import CONV_FORMULAS, PROFILE, check_rejected
from _strategies_nd import (
    INVALID_ND,
    adaptive_pool_nd_cases,
    avg_pool_nd_cases,
    binary_loss_cases,
    conv_nd_cases,
    conv_transpose_cases,
    embedding_cases,
    instance_norm_cases,
    interpolate_cases,
    invalid_nd_calls,
    kl_div_cases,
    max_pool_nd_cases,
    pad_cases,
    regression_loss_cases,
    with_specials,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import xpnet.kernels as K

# PyTorch warns that it copies the input for 'same' with an even kernel; that is its business
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def _examples(profile):
    """``profile``, or with ``XPNET_PROPERTY_EXAMPLES`` set, that many examples."""
    examples = os.environ.get("XPNET_PROPERTY_EXAMPLES")
    return settings(profile, max_examples=int(examples)) if examples else profile


PROFILE_ND = _examples(PROFILE)


def _present(grads):
    """The gradients of the inputs that are not None (the oracle compares only those)."""
    return tuple(grad for grad in grads if grad is not None)


def _optional(present, shape, seed, **bounds):
    return random_input(shape, seed=seed, **bounds) if present else None


def _special(case, shape, seed, which=None, **bounds):
    """A random array of ``shape`` with the case's special values placed in it."""
    placed = case["specials"] if which is None else case["specials"][which]
    return with_specials(random_input(shape, seed=seed, **bounds), placed)


# ---------------------------------------------------------------------------------------------
# convolution


@PROFILE_ND
@pytest.mark.parametrize("nd", [1, 3])
@given(data=st.data())
def test_conv_nd_matches_torch_on_generated_configurations(backend, nd, data):
    case = data.draw(conv_nd_cases(nd), label="case")
    kwargs, seed = case["kwargs"], case["seed"]
    forward, backward = getattr(K, f"conv{nd}d"), getattr(K, f"conv{nd}d_backward")
    algorithms, set_priority = CONV_FORMULAS.get(case["formula"], (None, False))
    with K.conv_algorithms(algorithms, set_priority=set_priority, grad_input=case["grad_input"]):
        check_against_torch(
            lambda x, w, b: forward(x, w, b, **kwargs),
            lambda g, x, w, b: _present(backward(g, x, w, b, **kwargs)),
            lambda x, w, b: getattr(TF, f"conv{nd}d")(x, w, b, **kwargs),
            [
                _special(case, case["input"], seed),
                random_input(case["weight"], seed=seed + 1),
                _optional(case["bias"], case["weight"][:1], seed + 2),
            ],
            backend,
        )


@PROFILE_ND
@pytest.mark.parametrize("nd", [1, 2, 3])
@given(data=st.data())
def test_conv_transpose_matches_torch_on_generated_configurations(backend, nd, data):
    case = data.draw(conv_transpose_cases(nd), label="case")
    kwargs, seed, C_out = case["kwargs"], case["seed"], case["weight"][1] * case["kwargs"]["groups"]
    name = f"conv_transpose{nd}d"
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    algorithms, set_priority = CONV_FORMULAS.get(case["formula"], (None, False))
    with K.conv_algorithms(algorithms, set_priority=set_priority, grad_input=case["grad_input"]):
        check_against_torch(
            lambda x, w, b: forward(x, w, b, **kwargs),
            lambda g, x, w, b: _present(backward(g, x, w, b, **kwargs)),
            lambda x, w, b: getattr(TF, name)(x, w, b, **kwargs),
            [
                _special(case, case["input"], seed),
                random_input(case["weight"], seed=seed + 1),
                _optional(case["bias"], (C_out,), seed + 2),
            ],
            backend,
        )


# ---------------------------------------------------------------------------------------------
# pooling


@PROFILE_ND
@pytest.mark.parametrize("nd", [1, 3])
@given(data=st.data())
def test_max_pool_nd_matches_torch_on_generated_configurations(backend, nd, data):
    case = data.draw(max_pool_nd_cases(nd), label="case")
    x = _special(case, case["input"], case["seed"])
    check_kernel_against_torch(backend, f"max_pool{nd}d", x, case["kwargs"])


@PROFILE_ND
@pytest.mark.parametrize("nd", [1, 3])
@given(data=st.data())
def test_avg_pool_nd_matches_torch_on_generated_configurations(backend, nd, data):
    case = data.draw(avg_pool_nd_cases(nd), label="case")
    kwargs, name = case["kwargs"], f"avg_pool{nd}d"
    check_against_torch(
        lambda x: getattr(K, name)(x, **kwargs),
        lambda g, x: getattr(K, f"{name}_backward")(g, x, **kwargs),
        lambda x: getattr(TF, name)(x, **kwargs),
        [_special(case, case["input"], case["seed"])],
        backend,
    )


@PROFILE_ND
@pytest.mark.parametrize("nd", [1, 3])
@pytest.mark.parametrize("kind", ["avg", "max"])
@given(data=st.data())
def test_adaptive_pool_nd_matches_torch_on_generated_configurations(backend, nd, kind, data):
    case = data.draw(adaptive_pool_nd_cases(nd), label="case")
    size = case["output_size"]
    kwargs = {"output_size": size}
    if kind == "max":
        kwargs["return_indices"] = case["return_indices"]
    # PyTorch's 1-D kernels take no None: the input's size is what xpnet's None keeps
    torch_size = (case["input"][-1],) if nd == 1 and size == (None,) else size
    x = _special(case, case["input"], case["seed"])
    name = f"adaptive_{kind}_pool{nd}d"
    check_kernel_against_torch(
        backend, name, x, kwargs, torch_kwargs={**kwargs, "output_size": torch_size}
    )


# ---------------------------------------------------------------------------------------------
# instance norm, interpolate, pad, embedding


@PROFILE_ND
@given(case=instance_norm_cases())
def test_instance_norm_matches_torch_on_generated_configurations(backend, case):
    seed, C = case["seed"], case["input"][1]
    x = _special(case, case["input"], seed, low=-2.0, high=3.0)
    running = [random_input((C,), seed=seed + 1), random_input((C,), seed + 2, low=0.5, high=2.0)]
    if not case["running"]:
        running = [None, None]
    params = [_optional(case["weight"], (C,), seed + 3), _optional(case["bias"], (C,), seed + 4)]
    options = {
        "use_input_stats": case["use_input_stats"],
        "momentum": case["momentum"],
        "eps": case["eps"],
    }
    check_running_norm("instance_norm", backend, x, params, running, options, case["saved"])


@PROFILE_ND
@given(case=interpolate_cases())
def test_interpolate_matches_torch_on_generated_configurations(backend, case):
    kwargs, shape = case["kwargs"], case["input"]
    # docs/losses-and-layers.md: PyTorch's nearest backward on 3-D and 5-D inputs given a
    # scale_factor is not its forward's gradient (it copies or halves where the forward does
    # not, e.g. 1.1); xpnet's is. Only the forward is compared there; recompute_scale_factor
    # passes no scale to the backward, which then matches.
    adjoint = not (
        kwargs["mode"] == "nearest"
        and len(shape) in (3, 5)
        and "scale_factor" in kwargs
        and not kwargs["recompute_scale_factor"]
    )
    check_against_torch(
        lambda x: K.interpolate(x, **kwargs),
        (lambda g, x: K.interpolate_backward(g, x, **kwargs)) if adjoint else None,
        lambda x: TF.interpolate(x, **kwargs),
        [_special(case, shape, case["seed"])],
        backend,
    )


@PROFILE_ND
@given(case=pad_cases())
def test_pad_matches_torch_on_generated_configurations(backend, case):
    pad, mode, value = case["pad"], case["mode"], case["value"]
    check_against_torch(
        lambda x: K.pad(x, pad, mode, value),
        lambda g, x: K.pad_backward(g, x, pad, mode, value),
        lambda x: TF.pad(x, pad, mode, value),
        [_special(case, case["input"], case["seed"])],
        backend,
    )


@PROFILE_ND
@given(case=embedding_cases())
def test_embedding_matches_torch_on_generated_configurations(backend, case):
    index = np.array(case["indices"], dtype=case["index_dtype"]).reshape(case["index_shape"])
    kwargs = {"padding_idx": case["padding_idx"], "scale_grad_by_freq": case["scale_grad_by_freq"]}
    grads = []

    def backward(g, w):
        grad_index, grad_weight = K.embedding_backward(g, backend.asarray(index), w, **kwargs)
        grads.append(grad_index)
        return grad_weight

    check_against_torch(
        lambda w: K.embedding(backend.asarray(index), w, **kwargs),
        backward,
        lambda w: TF.embedding(torch.tensor(index), w, **kwargs),
        [_special(case, case["weight"], case["seed"])],
        backend,
    )
    assert grads == [None]  # indices have no gradient


# ---------------------------------------------------------------------------------------------
# element-wise losses


def _check_pointwise(backend, name, x, t, constants, kwargs):
    """The loss and both gradients (input, target); ``constants`` (weight, pos_weight) get
    none, as in PyTorch."""
    device = {k: backend.asarray(v) for k, v in constants.items() if v is not None}
    host = {k: torch.tensor(v) for k, v in constants.items() if v is not None}

    def reference(a, b):
        with warnings.catch_warnings():  # kl_div: PyTorch warns that 'mean' is not the KL
            warnings.simplefilter("ignore")
            return getattr(TF, name)(a, b, **kwargs, **host)

    # NaN and inf in, NaN and inf out: a 'mean' of nothing, inf - inf, 0 * inf
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        check_against_torch(
            lambda a, b: getattr(K, name)(a, b, **kwargs, **device),
            lambda g, a, b: getattr(K, f"{name}_backward")(g, a, b, **kwargs, **device),
            reference,
            [x, t],
            backend,
        )


@PROFILE_ND
@given(case=regression_loss_cases())
def test_regression_loss_matches_torch_on_generated_configurations(backend, case):
    shape, seed = case["input"], case["seed"]
    x = _special(case, shape, seed, 0, low=-3.0, high=3.0)
    t = _special(case, shape, seed + 1, 1, low=-3.0, high=3.0)
    for position in case["ties"]:  # d = 0 exactly: the kinks of l1 and smooth_l1 (beta 0)
        if x.size:
            t.reshape(-1)[position % x.size] = x.reshape(-1)[position % x.size]
    weight = _optional(case["weight"], shape, seed + 2, low=0.1, high=2.0)
    _check_pointwise(backend, case["name"], x, t, {"weight": weight}, case["kwargs"])


@PROFILE_ND
@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
@given(data=st.data())
def test_binary_loss_matches_torch_on_generated_configurations(backend, name, data):
    case = data.draw(binary_loss_cases(name), label="case")
    shape, seed = case["input"], case["seed"]
    if name == "binary_cross_entropy":
        x = _special(case, shape, seed, 0, low=0.02, high=0.98)
    else:
        x = _special(case, shape, seed, 0, low=-4.0, high=4.0)
    t = _special(case, shape, seed + 1, 1, low=0.0, high=1.0)
    constants = {
        "weight": None if case["weight"] is None else random_input(case["weight"], seed + 2),
    }
    if case["pos_weight"] is not None:
        constants["pos_weight"] = random_input(case["pos_weight"], seed + 3, low=0.1, high=3.0)
    _check_pointwise(backend, name, x, t, constants, {"reduction": case["reduction"]})


@PROFILE_ND
@given(case=kl_div_cases())
def test_kl_div_matches_torch_on_generated_configurations(backend, case):
    shape, seed, log_target = case["input"], case["seed"], case["log_target"]
    x = _special(case, shape, seed, 0, low=-3.0, high=0.5)
    bounds = {"low": -3.0, "high": 0.5} if log_target else {"low": 0.0, "high": 1.0}
    t = _special(case, shape, seed + 1, 1, **bounds)
    kwargs = {"reduction": case["reduction"], "log_target": log_target}
    _check_pointwise(backend, "kl_div", x, t, {}, kwargs)


# ---------------------------------------------------------------------------------------------
# invalid configurations: TypeError or ArgumentError, naming the function and the argument


@PROFILE_ND
@pytest.mark.parametrize("name", sorted(INVALID_ND))
@given(data=st.data())
def test_nd_kernel_rejects_invalid_arguments(backend, name, data):
    check_rejected(backend, name, data.draw(invalid_nd_calls(name), label="case"))
