"""The margin and embedding losses (margin ranking, hinge embedding, soft margin, multi-label
soft margin, multi-margin, cosine embedding, triplet margin): PyTorch float64 oracle (forward
and every gradient PyTorch gives), every reduction, broadcasting, kinks, NaN and inf, 0-d and
empty inputs, stability, generated configurations, errors and modules."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, check_finite_differences, random_input
from _strategies import FEW, seeds
from _strategies_nd import REDUCTIONS, specials, with_specials
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
from xpnet import nn
from xpnet.backends import raise_deferred

# which arrays get a gradient, in the forward's order: PyTorch's (it refuses one for
# soft_margin_loss's target and gives none to the labels it only compares)
GRADS = {
    "margin_ranking_loss": (True, True, True),
    "hinge_embedding_loss": (True, False),
    "soft_margin_loss": (True, False),
    "multilabel_soft_margin_loss": (True, True, True),
    "cosine_embedding_loss": (True, True, False),
    "triplet_margin_loss": (True, True, True),
}


def _check(backend, name, arrays, dtype=np.float64, **kwargs):
    """Forward and gradients of ``name`` against PyTorch; labels are detached for PyTorch
    and get no gradient (None) from xpnet."""
    grads = GRADS[name]
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")

    def xpnet_backward(grad_output, *arrays):
        result = backward(grad_output, *arrays, **kwargs)
        result = result if isinstance(result, tuple) else (result,)
        return (*result, *(None,) * (len(grads) - len(result)))

    def reference(*tensors):
        kept = [
            t if keep or t is None else t.detach() for t, keep in zip(tensors, grads, strict=True)
        ]
        return getattr(TF, name)(*kept, **kwargs)

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return check_against_torch(
            lambda *a: forward(*a, **kwargs), xpnet_backward, reference, arrays, backend, dtype
        )


def _signs(shape, seed):
    return np.where(random_input(shape, seed) > 0, 1.0, -1.0)


def _check_multi_margin(backend, x, target, weight=None, dtype=np.float64, **kwargs):
    device_target = backend.asarray(np.asarray(target, np.int64))
    torch_target = torch.tensor(np.asarray(target, np.int64))
    w = None if weight is None else backend.asarray(weight.astype(dtype))
    tw = None if weight is None else torch.tensor(weight.astype(dtype).astype(np.float64))
    with np.errstate(invalid="ignore", over="ignore"):
        return check_against_torch(
            lambda a: K.multi_margin_loss(a, device_target, weight=w, **kwargs),
            lambda g, a: K.multi_margin_loss_backward(g, a, device_target, weight=w, **kwargs),
            lambda a: TF.multi_margin_loss(a, torch_target, weight=tw, **kwargs),
            [x],
            backend,
            dtype,
        )


# -- against PyTorch ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "shapes", [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (3, 4)), ((), (), ()), ((0,),) * 3]
)
def test_margin_ranking_loss_matches_torch(backend, dtype, reduction, shapes):
    arrays = [random_input(shapes[0], 0), random_input(shapes[1], 1), _signs(shapes[2], 2)]
    _check(backend, "margin_ranking_loss", arrays, dtype, margin=0.3, reduction=reduction)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [((2, 5), (2, 5)), ((5,), (3, 1)), ((), ()), ((0, 2), (2,))])
def test_hinge_embedding_loss_matches_torch(backend, dtype, reduction, shapes):
    x = random_input(shapes[0], 0, low=-2, high=2)
    t = _signs(shapes[1], 1)
    t.reshape(-1)[:1] = 0.5  # neither 1 nor -1: both terms, as PyTorch
    _check(backend, "hinge_embedding_loss", [x, t], dtype, margin=0.7, reduction=reduction)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [((2, 5), (2, 5)), ((3, 4), (4,)), ((), ()), ((0, 3), (3,))])
def test_soft_margin_loss_matches_torch(backend, dtype, reduction, shapes):
    x = random_input(shapes[0], 0, low=-4, high=4)
    _check(backend, "soft_margin_loss", [x, _signs(shapes[1], 1)], dtype, reduction=reduction)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "shapes",
    [((3, 4), (3, 4), None), ((3, 4), (3, 4), (4,)), ((4,), (4,), (4,)), ((3, 4), (4,), (3, 1))],
)
def test_multilabel_soft_margin_loss_matches_torch(backend, dtype, reduction, shapes):
    x = random_input(shapes[0], 0, low=-4, high=4)
    t = random_input(shapes[1], 1, low=0, high=1).round()
    w = None if shapes[2] is None else random_input(shapes[2], 2, low=0.1, high=2)
    _check(backend, "multilabel_soft_margin_loss", [x, t, w], dtype, reduction=reduction)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss_matches_torch(backend, dtype, reduction, p, weighted):
    weight = random_input((5,), 2, low=0.1, high=2) if weighted else None
    x = random_input((4, 5), 0)
    _check_multi_margin(
        backend, x, [0, 4, 2, 2], weight, dtype, p=p, margin=0.6, reduction=reduction
    )


@pytest.mark.parametrize(
    "shape, target", [((5,), 3), ((5,), [3]), ((), 0), ((1, 1), [0]), ((0, 3), [])]
)
def test_multi_margin_loss_shapes_match_torch(backend, shape, target):
    # an empty batch against PyTorch only unreduced: its 'sum' and 'mean' there are unset memory
    for reduction in ["none"] + (["sum", "mean"] if math.prod(shape) else []):
        x = random_input(shape, 0)
        _check_multi_margin(backend, x, target, reduction=reduction)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "shapes", [((3, 4), (3, 4), (3,)), ((1, 4), (3, 4), (3,)), ((3, 4), (3, 4), (1,)), ((4,),) * 2]
)
def test_cosine_embedding_loss_matches_torch(backend, dtype, reduction, shapes):
    x1, x2 = random_input(shapes[0], 0), random_input(shapes[1], 1)
    t = _signs(shapes[2] if len(shapes) == 3 else (), 2)
    if t.ndim:
        t[0] = 0.0  # neither label: no loss, no gradient
    _check(backend, "cosine_embedding_loss", [x1, x2, t], dtype, margin=-0.2, reduction=reduction)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("p", [2, 1, 3, 1.5, 0.5, 0, math.inf])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss_matches_torch(backend, dtype, p, swap):
    arrays = [random_input((3, 4), 0), random_input((1, 4), 1), random_input((3, 4), 2)]
    for reduction in REDUCTIONS:
        options = {"margin": 0.5, "p": p, "swap": swap, "reduction": reduction}
        _check(backend, "triplet_margin_loss", arrays, dtype, **options)


@pytest.mark.parametrize("shape", [(), (4,), (0, 3), (2, 0)])
def test_triplet_margin_loss_odd_shapes_match_torch(backend, shape):
    arrays = [random_input(shape, seed) for seed in range(3)]
    for reduction in ["none", "sum"]:
        _check(backend, "triplet_margin_loss", arrays, reduction=reduction)


def test_triplet_margin_loss_broadcasts_each_pair_as_torch(backend):
    """Each pair broadcasts on its own: (2, 1) against (2, 3) and against (2, 4)."""
    arrays = [random_input((2, 1), 0), random_input((2, 3), 1), random_input((2, 4), 2)]
    _check(backend, "triplet_margin_loss", arrays, reduction="none")


# -- kinks, ties, NaN, inf, stability ----------------------------------------------------------


def test_margin_losses_kinks_match_torch(backend):
    """A hinge at exactly 0 passes its gradient (clamp_min); multi_margin's does not."""
    x = np.array([1.0, 2.0, 0.5])
    _check(backend, "margin_ranking_loss", [x, x.copy(), np.array([1.0, -1.0, 1.0])])
    hinge = [np.array([1.0, 0.5, 1.0]), np.array([-1.0, -1.0, 1.0])]
    _check(backend, "hinge_embedding_loss", hinge, reduction="sum")
    # orthogonal: cos - margin = 0 exactly
    _check(
        backend,
        "cosine_embedding_loss",
        [np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), np.array([-1.0])],
    )
    triplet = [np.array([[1.0, 2.0]]), np.array([[1.0, 3.0]]), np.array([[1.0, 1.0]])]
    _check(backend, "triplet_margin_loss", triplet, margin=2**-40, eps=0.0)
    _check_multi_margin(backend, np.array([[1.0, 0.0, 2.0]]), [0], p=2)


def test_triplet_margin_loss_ties_and_zero_distances_match_torch(backend):
    """A zero distance gets gradient 0; swap's tie and p = inf's ties share the gradient."""
    a, same, n = np.array([[1.0, 2.0]]), np.array([[1.0, 2.0]]), np.array([[1.0, 1.0]])
    _check(backend, "triplet_margin_loss", [a, same, n], margin=5.0, eps=0.0)
    for p in [1, 1.5, 3, 0.5, math.inf]:
        _check(backend, "triplet_margin_loss", [a, same, n], margin=5.0, eps=0.0, p=p)
    # d(a, n) = d(p, n): at::minimum's tie
    tie = [np.array([[0.0, 1.0]]), np.array([[0.0, -1.0]]), np.array([[0.0, 0.0]])]
    _check(backend, "triplet_margin_loss", tie, margin=5.0, eps=0.0, swap=True)
    ties = [np.array([[0.0, 0.0]]), np.array([[3.0, -3.0]]), np.array([[1.0, 1.0]])]
    _check(backend, "triplet_margin_loss", ties, eps=0.0, p=math.inf)


NAN, INF = np.nan, np.inf


@pytest.mark.parametrize(
    "name, arrays",
    [
        (
            "margin_ranking_loss",
            [np.array([NAN, INF, 1.0, -INF]), np.array([0.0, 1.0, INF, 0.0]), np.ones(4)],
        ),
        ("hinge_embedding_loss", [np.array([NAN, INF, -INF, NAN]), np.array([1, -1, -1, -1.0])]),
        ("soft_margin_loss", [np.array([NAN, 2.0, 1.0]), np.array([1.0, NAN, INF])]),
        (
            "multilabel_soft_margin_loss",
            [np.array([[NAN, 1.0], [INF, -INF]]), np.array([[1.0, 0.0], [0.0, 1.0]]), None],
        ),
        (
            "cosine_embedding_loss",
            [np.array([[NAN, 1.0], [INF, 1.0]]), np.ones((2, 2)), np.array([1.0, -1.0])],
        ),
        (
            "triplet_margin_loss",
            [np.array([[NAN, 1.0], [INF, 1.0]]), np.ones((2, 2)), np.zeros((2, 2))],
        ),
    ],
)
def test_margin_losses_nan_and_inf_like_torch(backend, name, arrays):
    _check(backend, name, arrays, reduction="none")
    _check(backend, name, arrays, reduction="sum")


def test_multi_margin_loss_nan_and_inf_like_torch(backend):
    """PyTorch counts a term where it is > 0 only: a NaN term counts nothing."""
    x = np.array([[NAN, 2.0, 0.0], [1.0, NAN, 0.0], [1.0, INF, 0.0], [1.0, -INF, 0.5]])
    for p in [1, 2]:
        _check_multi_margin(backend, x, [0, 0, 0, 0], p=p, reduction="none")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_margin_losses_are_stable_for_huge_margins(backend, dtype):
    """log(1 + exp(z)) for z = +-1000: z and 0 exactly, with the gradient's limits (PyTorch's
    soft_margin_loss overflows to inf and a NaN gradient; see its Note)."""
    x = backend.asarray(np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype))
    t = backend.asarray(np.array([1.0, 1.0, -1.0, -1.0], dtype))
    output = K.soft_margin_loss(x, t, reduction="none")
    assert_close(backend.to_host(output), [0.0, 1000.0, 1000.0, 0.0], dtype)
    grad = K.soft_margin_loss_backward(backend.asarray(np.ones(4, dtype)), x, t, reduction="none")
    assert_close(backend.to_host(grad), [0.0, -1.0, 1.0, 0.0], dtype)
    labels = [np.array([1000.0, -1000.0, 80.0, -80.0]), np.array([0.0, 1.0, 1.0, 0.0])]
    _check(backend, "multilabel_soft_margin_loss", [*labels, None], dtype, reduction="sum")


@pytest.mark.parametrize(
    "name", ["hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss"]
)
def test_margin_losses_float16_compute_in_float32(backend, name):
    x = random_input((4, 3), 0, np.float16, low=-3, high=3)
    t = _signs((4, 3), 1).astype(np.float16)
    output = getattr(K, name)(backend.asarray(x), backend.asarray(t), reduction="none")
    assert output.dtype == np.float16
    expected = getattr(TF, name)(
        torch.tensor(x, dtype=torch.float64), torch.tensor(t).double(), reduction="none"
    )
    assert_close(backend.to_host(output), expected.numpy(), np.float16)


def test_integer_labels_get_no_gradient(backend):
    """Integer targets work as in PyTorch (promoted); their gradient is None."""
    x1, x2 = backend.asarray(random_input((3,), 0)), backend.asarray(random_input((3,), 1))
    labels = backend.asarray(np.array([1, -1, 1]))
    grads = K.margin_ranking_loss_backward(backend.asarray(np.ones(())), x1, x2, labels)
    assert grads[2] is None
    expected = TF.margin_ranking_loss(
        torch.tensor(backend.to_host(x1)),
        torch.tensor(backend.to_host(x2)),
        torch.tensor([1, -1, 1]),
    )
    actual = K.margin_ranking_loss(x1, x2, labels)
    assert_close(backend.to_host(actual), expected.numpy(), np.float64)


@pytest.mark.parametrize(
    "name, arrays",
    [
        ("margin_ranking_loss", [random_input((3,), s) for s in range(3)]),
        ("multilabel_soft_margin_loss", [random_input((2, 3), s) for s in range(3)]),
        ("cosine_embedding_loss", [random_input((2, 3), 0), random_input((2, 3), 1), None]),
        ("triplet_margin_loss", [random_input((2, 3), s) for s in range(3)]),
    ],
)
def test_margin_losses_finite_differences(backend, name, arrays):
    target = np.array([1.0, -1.0])
    kwargs = {"reduction": "sum"}
    if name == "cosine_embedding_loss":
        arrays[2], kwargs["margin"] = target, -0.5

    def backward(g, *a):
        result = getattr(K, f"{name}_backward")(g, *a, **kwargs)
        return result if name != "cosine_embedding_loss" else (*result, None)

    wrt = [0, 1] if name == "cosine_embedding_loss" else None
    check_finite_differences(
        lambda *a: getattr(K, name)(*a, **kwargs), backward, arrays, backend, eps=1e-7, wrt=wrt
    )


# -- generated configurations ----------------------------------------------------------------


def _some_ones(draw, shape):
    """``shape`` with some axes 1: broadcasts to it, keeps its number of dimensions."""
    return tuple(1 if draw(st.booleans()) else n for n in shape)


def _suffix(draw, shape):
    """A shape that broadcasts to ``shape`` without changing it: a suffix, some axes 1."""
    return _some_ones(draw, shape[len(shape) - draw(st.integers(0, len(shape))) :])


@st.composite
def margin_loss_cases(draw, name):
    """Shapes and options of ``name``: broadcasting as PyTorch allows, every reduction;
    NaN, +-inf and -0.0 in the first array (no inf for soft_margin_loss: see its Note)."""
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    batched = draw(st.booleans())
    N, C = draw(st.integers(0, 3)), draw(st.integers(1, 4))
    vectors = (N, C) if batched else (C,)
    options = {}
    if name == "margin_ranking_loss":
        shapes = [_some_ones(draw, shape) for _ in range(3)]
        options["margin"] = draw(st.sampled_from([0, 0.5, -0.3]))
    elif name == "hinge_embedding_loss":
        shapes = [shape, _some_ones(draw, shape) if draw(st.booleans()) else _suffix(draw, shape)]
        options["margin"] = draw(st.sampled_from([1.0, 0.0, 2.5]))
    elif name == "soft_margin_loss":
        shapes = [shape, _suffix(draw, shape)]
    elif name == "multilabel_soft_margin_loss":
        weight = draw(st.sampled_from([None, (C,), vectors]))
        shapes = [vectors, _suffix(draw, vectors), weight]
    elif name == "multi_margin_loss":
        shapes = [vectors, vectors[:-1]]
        options["p"] = draw(st.sampled_from([1, 2]))
        options["margin"] = draw(st.sampled_from([1.0, 0.0, 0.3]))
    elif name == "cosine_embedding_loss":
        shapes = [_some_ones(draw, vectors), vectors, _some_ones(draw, vectors[:-1])]
        options["margin"] = draw(st.sampled_from([0, 0.5, -0.5]))
    else:
        shapes = [_some_ones(draw, vectors), vectors, _some_ones(draw, vectors)]
        options["margin"] = draw(st.sampled_from([1.0, 0.1]))
        options["p"] = draw(st.sampled_from([2, 1, 3, 1.5, math.inf]))
        options["eps"] = draw(st.sampled_from([1e-6, 0.0]))
        options["swap"] = draw(st.booleans())
    reduction = draw(st.sampled_from(REDUCTIONS))
    values = (NAN, -0.0) if name == "soft_margin_loss" else (NAN, INF, -INF, -0.0)
    return {
        "shapes": shapes,
        "options": {**options, "reduction": reduction},
        "specials": draw(specials(values)),
        "labels": draw(st.lists(st.sampled_from([1.0, -1.0, 0.0]), min_size=1, max_size=4)),
        "seed": draw(seeds),
    }


def _labels(shape, values):
    return np.resize(np.array(values), math.prod(shape)).reshape(shape)


# what the arrays after the first hold
ROLES = {
    "margin_ranking_loss": ("value", "label"),
    "hinge_embedding_loss": ("label",),
    "soft_margin_loss": ("label",),
    "multilabel_soft_margin_loss": ("probability", "value"),
    "cosine_embedding_loss": ("value", "label"),
    "triplet_margin_loss": ("value", "value"),
}


@FEW
@pytest.mark.parametrize("name", [*GRADS, "multi_margin_loss"])
@given(data=st.data())
def test_margin_loss_matches_torch_on_generated_configurations(backend, name, data):
    case = data.draw(margin_loss_cases(name), label="case")
    shapes, seed = case["shapes"], case["seed"]
    first = with_specials(random_input(shapes[0], seed, low=-2, high=2), case["specials"])
    if name == "multi_margin_loss":
        target = np.random.default_rng(seed).integers(0, shapes[0][-1], size=shapes[1])
        if not first.size:  # PyTorch's 'mean' and 'sum' of nothing are unset memory
            case["options"]["reduction"] = "none"
        _check_multi_margin(backend, first, target, **case["options"])
        return
    arrays = [first]
    for index, (shape, role) in enumerate(zip(shapes[1:], ROLES[name], strict=True), start=1):
        if shape is None:
            arrays.append(None)
        elif role == "label":
            arrays.append(_labels(shape, case["labels"]))
        else:
            bounds = {"low": 0.0, "high": 1.0} if role == "probability" else {"low": -2, "high": 2}
            arrays.append(random_input(shape, seed + index, **bounds))
    _check(backend, name, arrays, **case["options"])


# -- errors ------------------------------------------------------------------------------------


def _arrays(name):
    """A valid call's arrays (NumPy) of ``name``."""
    if name == "multi_margin_loss":
        return [random_input((2, 3), 0), np.array([0, 2])]
    if name in ("margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss"):
        return [random_input((2, 3), 0), random_input((2, 3), 1), _signs((2, 3), 2)][
            (name != "margin_ranking_loss") :
        ]
    if name == "multilabel_soft_margin_loss":
        return [random_input((2, 3), 0), np.ones((2, 3))]
    if name == "cosine_embedding_loss":
        return [random_input((2, 3), 0), random_input((2, 3), 1), np.array([1.0, -1.0])]
    return [random_input((2, 3), s) for s in range(3)]


F64 = np.float64
BAD = [
    ("margin_ranking_loss", {"margin": "a"}, {}, TypeError, "margin must be a number"),
    ("margin_ranking_loss", {"reduction": "avg"}, {}, ValueError, "reduction must be one of"),
    ("margin_ranking_loss", {"size_average": True}, {}, ValueError, "deprecated"),
    ("margin_ranking_loss", {}, {1: np.ones((1, 2, 3))}, ValueError, "same number of dim"),
    ("margin_ranking_loss", {}, {1: np.ones((3, 3))}, ValueError, "must broadcast together"),
    ("margin_ranking_loss", {}, {1: np.ones((2, 3), np.float32)}, TypeError, "dtype of input1"),
    ("margin_ranking_loss", {}, {0: np.ones((2, 3), bool)}, TypeError, "floating-point"),
    ("margin_ranking_loss", {}, {2: np.ones((2, 3), np.float32)}, TypeError, "dtype of input1"),
    ("hinge_embedding_loss", {"margin": None}, {}, TypeError, "margin must be a number"),
    ("hinge_embedding_loss", {}, {1: np.ones(4)}, ValueError, "must broadcast together"),
    ("hinge_embedding_loss", {}, {1: np.ones(3, bool)}, TypeError, "target must hold real"),
    ("hinge_embedding_loss", {}, {0: np.ones(3, np.complex128)}, TypeError, "floating-point"),
    ("soft_margin_loss", {}, {1: np.ones((3, 2, 3))}, ValueError, r"broadcast to the input's"),
    ("soft_margin_loss", {"reduce": False}, {}, ValueError, "deprecated"),
    ("multilabel_soft_margin_loss", {}, {0: np.ones(()), 1: np.ones(())}, IndexError, "at least"),
    ("multilabel_soft_margin_loss", {}, {1: np.ones((2, 2))}, ValueError, "broadcast together"),
    ("multilabel_soft_margin_loss", {"weight": np.ones(4)}, {}, ValueError, "broadcast together"),
    ("multi_margin_loss", {"p": 3}, {}, ValueError, r"p must be 1 or 2"),
    ("multi_margin_loss", {"p": "1"}, {}, ValueError, r"p must be 1 or 2"),
    ("multi_margin_loss", {"margin": "1"}, {}, TypeError, "margin must be a number"),
    ("multi_margin_loss", {}, {1: np.array([0.0, 1.0])}, TypeError, "integer class indices"),
    ("multi_margin_loss", {}, {1: np.array([0, 1, 1])}, ValueError, r"target must have shape"),
    ("multi_margin_loss", {}, {1: np.array([[0], [1]])}, ValueError, r"target must have shape"),
    (
        "multi_margin_loss",
        {},
        {0: np.ones((2, 3, 1))},
        ValueError,
        "non-empty vector .* or a matrix",
    ),
    ("multi_margin_loss", {}, {0: np.ones((2, 0))}, ValueError, "non-empty vector .* or a matrix"),
    ("multi_margin_loss", {"weight": np.ones(4)}, {}, ValueError, r"weight must have shape \(3,\)"),
    ("multi_margin_loss", {"weight": np.ones(3, np.float32)}, {}, TypeError, "dtype of input"),
    ("cosine_embedding_loss", {}, {2: np.ones((2, 1))}, ValueError, "0-D or 1-D"),
    ("cosine_embedding_loss", {}, {0: np.ones((2, 3, 1))}, ValueError, "1-D target expects 2-D"),
    ("cosine_embedding_loss", {}, {1: np.ones((2, 2))}, ValueError, "must broadcast together"),
    ("cosine_embedding_loss", {}, {2: np.ones(3)}, ValueError, r"target \(3,\) must broadcast"),
    ("cosine_embedding_loss", {"margin": "0"}, {}, TypeError, "margin must be a number"),
    ("triplet_margin_loss", {"margin": 0}, {}, ValueError, "margin must be greater than 0"),
    ("triplet_margin_loss", {"margin": -1.0}, {}, ValueError, "margin must be greater than 0"),
    ("triplet_margin_loss", {"swap": 1}, {}, TypeError, "swap must be a bool"),
    ("triplet_margin_loss", {"p": "2"}, {}, TypeError, "p must be a number"),
    ("triplet_margin_loss", {"eps": None}, {}, TypeError, "eps must be a number"),
    ("triplet_margin_loss", {}, {1: np.ones(3)}, ValueError, "same number of dimensions"),
    ("triplet_margin_loss", {}, {2: np.ones((3, 3))}, ValueError, "must broadcast together"),
    # PyTorch's pairwise_distance refuses it: the inf norm has no identity
    (
        "triplet_margin_loss",
        {"p": math.inf},
        dict.fromkeys(range(3), np.ones((2, 0))),
        ValueError,
        "non-empty",
    ),
]


@pytest.mark.parametrize(
    "name, kwargs, changes, error, message", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)]
)
def test_margin_losses_reject_bad_arguments(backend, name, kwargs, changes, error, message):
    arrays = _arrays(name)
    for position, array in changes.items():
        arrays[position] = array
    arrays = [backend.asarray(a) for a in arrays]
    kwargs = {k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises(error, match=rf"^{name}: .*{message}"):
        getattr(K, name)(*arrays, **kwargs)
    with pytest.raises(error, match=rf"^{name}_backward: .*{message}"):
        getattr(K, f"{name}_backward")(backend.asarray(np.ones(())), *arrays, **kwargs)


@pytest.mark.parametrize("name", [*GRADS, "multi_margin_loss"])
def test_margin_losses_reject_none_arrays(backend, name):
    arrays = [backend.asarray(a) for a in _arrays(name)]
    for position in range(len(arrays)):
        wrong = [None if i == position else a for i, a in enumerate(arrays)]
        with pytest.raises(TypeError, match=rf"^{name}: \w+ must be an array, got None"):
            getattr(K, name)(*wrong)


@pytest.mark.parametrize("name", [*GRADS, "multi_margin_loss"])
def test_margin_losses_backward_check_grad_output(backend, name):
    arrays = [backend.asarray(a) for a in _arrays(name)]
    backward = getattr(K, f"{name}_backward")
    output = getattr(K, name)(*arrays, reduction="none")
    bad = (*output.shape[:-1], output.shape[-1] + 1)
    with pytest.raises(K.ArgumentError, match=re.escape(f"{name}_backward: grad_output must")):
        backward(backend.asarray(np.ones(bad)), *arrays, reduction="none")
    with pytest.raises(K.ArgumentError, match=r"grad_output must have shape \(\)"):
        backward(backend.asarray(np.ones(output.shape)), *arrays)
    with pytest.raises(TypeError, match="grad_output must have the dtype"):
        backward(backend.asarray(np.ones(output.shape, np.float32)), *arrays, reduction="none")
    with pytest.raises(TypeError, match="grad_output must be an array"):
        backward(None, *arrays)


@pytest.mark.parametrize("bad", [-1, 3])
def test_multi_margin_loss_rejects_classes_out_of_range(backend, bad):
    x = backend.asarray(random_input((2, 3), 0))
    target = backend.asarray(np.array([0, bad]))
    with pytest.raises(ValueError, match=rf"target values must be in \[0, 3\).*got {bad}"):
        K.multi_margin_loss(x, target)
        raise_deferred()  # the check on strict waits for the next host read
    with pytest.raises(RuntimeError, match="target out of range"):
        K.multi_margin_loss_backward(backend.asarray(np.ones(())), x, target)
        raise_deferred()


# -- modules -----------------------------------------------------------------------------------


MODULES = [
    ("MarginRankingLoss", {"margin": 0.5}, "margin_ranking_loss"),
    ("HingeEmbeddingLoss", {"margin": 2.0, "reduction": "sum"}, "hinge_embedding_loss"),
    ("SoftMarginLoss", {"reduction": "none"}, "soft_margin_loss"),
    (
        "MultiLabelSoftMarginLoss",
        {"weight": np.array([1.0, 2.0, 0.5])},
        "multilabel_soft_margin_loss",
    ),
    (
        "MultiMarginLoss",
        {"p": 2, "margin": 0.5, "weight": np.array([1.0, 2.0, 0.5])},
        "multi_margin_loss",
    ),
    ("CosineEmbeddingLoss", {"margin": -0.5}, "cosine_embedding_loss"),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True}, "triplet_margin_loss"),
]


@pytest.mark.parametrize("cls, kwargs, name", MODULES)
def test_margin_loss_modules_match_torch(backend, cls, kwargs, name):
    module = getattr(nn, cls)(
        **{k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    reference = getattr(torch.nn, cls)(
        **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    assert repr(module) == repr(reference)
    assert list(module.state_dict()) == list(reference.state_dict())
    for option in ("margin", "p", "eps", "swap", "reduction"):
        assert getattr(module, option, None) == getattr(reference, option, None)
    arrays = _arrays(name)
    grads = GRADS.get(name, (True, False))[: len(arrays)]  # the module holds the weight
    inputs = [
        xpnet.Tensor(backend.asarray(a), requires_grad=g)
        for a, g in zip(arrays, grads, strict=True)
    ]
    expected_inputs = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads, strict=True)]
    loss = module(*inputs)
    expected = reference(*expected_inputs)
    assert_close(backend.to_host(loss.array), expected.detach().numpy(), np.float64)
    loss.backward(backend.asarray(np.ones(loss.shape)))
    expected.backward(torch.ones(expected.shape, dtype=torch.float64))
    for tensor, expected_tensor in zip(inputs, expected_inputs, strict=True):
        if expected_tensor.requires_grad:
            assert_close(
                backend.to_host(tensor.grad.array), expected_tensor.grad.numpy(), F64, "grad"
            )


def test_margin_loss_module_defaults_and_errors():
    for cls in ("MarginRankingLoss", "CosineEmbeddingLoss", "TripletMarginLoss", "MultiMarginLoss"):
        module, reference = getattr(nn, cls)(), getattr(torch.nn, cls)()
        for option in ("margin", "p", "eps", "swap", "reduction"):
            assert getattr(module, option, None) == getattr(reference, option, None)
    assert nn.MultiLabelSoftMarginLoss().weight is None
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        nn.MultiMarginLoss(weight=np.ones((1, 3)))
    with pytest.raises(ValueError, match="TripletMarginLoss: margin must be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="SoftMarginLoss: size_average and reduce are deprecated"):
        nn.SoftMarginLoss(size_average=True)


def test_multi_margin_loss_empty_batch_sum_is_zero_and_mean_nan(backend):
    """Regression (CI): PyTorch 2.13's CPU multi_margin_loss returns unset memory for 'sum'
    and 'mean' over an empty batch (a flaky oracle); xpnet's are 0 and NaN."""
    x = backend.asarray(np.zeros((0, 3)))
    target = backend.asarray(np.zeros(0, dtype=np.int64))
    assert backend.to_host(K.multi_margin_loss(x, target, reduction="sum")) == 0.0
    assert np.isnan(backend.to_host(K.multi_margin_loss(x, target, reduction="mean")))


def test_cosine_embedding_loss_epsilon_is_pytorchs_float(backend):
    """Regression (hypothesis): PyTorch adds a C++ float 1e-12 (9.9999998e-13) to each
    squared norm; at a zero input the float64 gradient (~1e6) showed the difference."""
    x1, x2 = np.array([[-0.0, 0.0]]), np.array([[0.0472865, -0.3]])
    _check(backend, "cosine_embedding_loss", [x1, x2, np.array([1.0])], reduction="none")
