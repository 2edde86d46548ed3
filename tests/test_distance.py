"""normalize, cosine_similarity, pairwise_distance and one_hot against PyTorch float64.

Forward and both inputs' gradients (broadcast ones summed back), every norm order, the eps
clamps near zero norms, NaN/inf, empty and 0-d shapes, generated configurations (hypothesis,
bounded by the ``xpnet`` profile), invalid arguments, the modules and ``F.one_hot``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, random_input
from _strategies import PROFILE, Invalid, check_rejected, common_mistakes, values_of
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn.functional as F
from xpnet import nn

ORDERS = [2.0, 1.0, 0.0, math.inf, -math.inf, 0.5, 3.0, -1.0, 1.5]
PAIRS = ["cosine_similarity", "pairwise_distance"]


def _check_pair(backend, name, x1, x2, dtype=np.float64, **kwargs):
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    return check_against_torch(
        lambda a, b: forward(a, b, **kwargs),
        lambda g, a, b: backward(g, a, b, **kwargs),
        lambda a, b: getattr(TF, name)(a, b, **kwargs),
        [x1, x2],
        backend,
        dtype=dtype,
    )


def _check_normalize(backend, x, dtype=np.float64, **kwargs):
    return check_against_torch(
        lambda a: K.normalize(a, **kwargs),
        lambda g, a: K.normalize_backward(g, a, **kwargs),
        lambda a: TF.normalize(a, **kwargs),
        [x],
        backend,
        dtype=dtype,
    )


# ---------------------------------------------------------------------------------------------
# normalize


@pytest.mark.parametrize("p", ORDERS)
@pytest.mark.parametrize("dim", [1, 0, -1, (0, 2)])
def test_normalize_matches_torch(backend, p, dim):
    _check_normalize(backend, random_input((3, 4, 2)), p=p, dim=dim)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_normalize_matches_torch_in_float32_and_float16(backend, dtype):
    _check_normalize(backend, random_input((3, 5), low=0.5, high=2.0), dtype, p=3.0)


@pytest.mark.parametrize("p", [2.0, 1.0, math.inf, 0.5])
def test_normalize_eps_clamp_and_zero_rows_as_torch(backend, p):
    """Rows below eps (the clamp's gradient is 0), at eps exactly (it passes: torch's
    ``clamp_min`` passes where ``norm >= eps``), all zeros, and tiny ones below the default."""
    x = np.array([[0.1, 0.2, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    _check_normalize(backend, x, p=p, eps=0.5)
    _check_normalize(backend, 1e-3 * x[:3], p=p)


@pytest.mark.parametrize("shape, dim", [((), 0), ((), -1), ((0, 3), 1), ((2, 0), 0), ((4,), 0)])
def test_normalize_0d_and_empty_as_torch(backend, shape, dim):
    _check_normalize(backend, random_input(shape), dim=dim)


def test_normalize_nan_and_inf_reach_torch_outputs(backend):
    x = np.array([[np.nan, 1.0, 2.0], [np.inf, 1.0, 2.0], [1e200, 1e200, 0.0]])
    for p in (2.0, 1.0, math.inf):
        _check_normalize(backend, x, p=p)


def test_normalize_refuses_out(backend):
    x = backend.asarray(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"^normalize: out must be None"):
        K.normalize(x, out=backend.xp.empty((2, 3)))
    with pytest.raises(TypeError, match=r"^normalize: out must be None"):
        F.normalize(xpnet.Tensor(x), out=xpnet.Tensor(backend.xp.empty((2, 3))))


# ---------------------------------------------------------------------------------------------
# cosine_similarity


@pytest.mark.parametrize(
    "shape1, shape2, dim",
    [((3, 4), (3, 4), 1), ((3, 4), (4,), 1), ((3, 1, 4), (2, 4), 0), ((4,), (4,), 0)]
    + [((2, 3, 4), (1, 3, 1), -2), ((), (), 0), ((0, 3), (0, 3), 1), ((3, 0), (3, 0), 1)],
)
def test_cosine_similarity_matches_torch(backend, shape1, shape2, dim):
    x1, x2 = random_input(shape1), random_input(shape2, seed=1)
    _check_pair(backend, "cosine_similarity", x1, x2, dim=dim)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_cosine_similarity_matches_torch_in_float32_and_float16(backend, dtype):
    x1, x2 = random_input((3, 5), low=0.5, high=2.0), random_input((3, 5), 1, low=0.5, high=2.0)
    _check_pair(backend, "cosine_similarity", x1, x2, dtype)


@pytest.mark.parametrize("scale", [1e-9, 1e-8, 0.0])
def test_cosine_similarity_near_zero_norm_uses_torch_clamp(backend, scale):
    """PyTorch 2.13 divides each input by ``max(norm, eps)`` and clamps without gradient: below
    eps the gradient still flows through the norm (and differs from d/dx of the formula)."""
    x1 = scale * np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 2.0]])
    x2 = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    _check_pair(backend, "cosine_similarity", x1, x2)


def test_cosine_similarity_overflowing_norm_and_nan_as_torch(backend):
    """Unscaled norms, as PyTorch: 1e200 squares to inf and the similarity is 0."""
    x1 = np.array([[1e200, 1e200], [np.inf, 1.0], [np.nan, 1.0]])
    x2 = np.ones((3, 2))
    _check_pair(backend, "cosine_similarity", x1, x2)


# ---------------------------------------------------------------------------------------------
# pairwise_distance


@pytest.mark.parametrize("p", ORDERS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(backend, p, keepdim):
    x1, x2 = random_input((3, 4)), random_input((4,), seed=1)
    _check_pair(backend, "pairwise_distance", x1, x2, p=p, keepdim=keepdim)


@pytest.mark.parametrize(
    "shape1, shape2", [((), ()), ((4,), ()), ((2, 1, 3), (4, 1)), ((0, 3), (3,)), ((3, 0), (3, 0))]
)
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_shapes_as_torch(backend, shape1, shape2, keepdim):
    x1, x2 = random_input(shape1), random_input(shape2, seed=1)
    _check_pair(backend, "pairwise_distance", x1, x2, keepdim=keepdim)


@pytest.mark.parametrize("p", ORDERS)
def test_pairwise_distance_gradient_at_zero_differences_as_torch(backend, p):
    """eps=0 and equal inputs: a zero norm (0 gradient, not NaN), ties of the inf norms."""
    x1 = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [2.0, -2.0, 0.5]])
    x2 = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 4.0], [0.0, 0.0, 0.5]])
    _check_pair(backend, "pairwise_distance", x1, x2, p=p, eps=0.0)


@pytest.mark.parametrize("p", ORDERS)
def test_pairwise_distance_nan_and_inf_as_torch(backend, p):
    x1 = np.array([[np.nan, 1.0, 2.0], [np.nan, np.nan, 2.0], [np.inf, 1.0, 2.0]])
    x1 = np.concatenate([x1, [[np.inf, -np.inf, 1.0], [1e200, 1.0, 0.0]]])
    _check_pair(backend, "pairwise_distance", x1, np.zeros(3), p=p, eps=0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_pairwise_distance_matches_torch_in_float32_and_float16(backend, dtype):
    x1, x2 = random_input((3, 5)), random_input((3, 5), seed=1)
    _check_pair(backend, "pairwise_distance", x1, x2, dtype, eps=0.0)


# ---------------------------------------------------------------------------------------------
# generated configurations against PyTorch


@st.composite
def pair_cases(draw):
    """Two broadcastable shapes (dims of size 1 or missing on either side), and options."""
    shape = draw(st.lists(st.integers(0, 3), min_size=0, max_size=3))
    masks = draw(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=len(shape)))
    shape1 = tuple(1 if a else n for n, (a, _) in zip(shape, masks, strict=False))
    shape2 = tuple(1 if b else n for n, (_, b) in zip(shape, masks, strict=False))
    shape2 = shape2[draw(st.integers(0, len(shape2))) :]  # fewer leading dims
    return {
        "shape1": shape1,
        "shape2": shape2,
        "dim": draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1)),
        "p": draw(st.sampled_from(ORDERS)),
        "eps": draw(st.sampled_from([1e-6, 0.0, 0.5])),
        "keepdim": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
    }


@PROFILE
@given(case=pair_cases())
def test_distances_match_torch_on_generated_configurations(backend, case):
    x1 = random_input(case["shape1"], seed=case["seed"])
    x2 = random_input(case["shape2"], seed=case["seed"] + 1)
    shape = np.broadcast_shapes(x1.shape, x2.shape)
    _check_pair(backend, "cosine_similarity", x1, x2, dim=case["dim"], eps=case["eps"])
    no_identity = math.isinf(case["p"]) or case["p"] < 0  # refused over empty dims
    if not (no_identity and shape and shape[-1] == 0):
        options = {key: case[key] for key in ("p", "eps", "keepdim")}
        _check_pair(backend, "pairwise_distance", x1, x2, **options)
    if not (no_identity and x1.shape and x1.shape[case["dim"]] == 0):
        _check_normalize(backend, x1, p=case["p"], dim=case["dim"], eps=case["eps"])


# ---------------------------------------------------------------------------------------------
# invalid arguments: TypeError, ArgumentError or IndexError, naming the function and argument


def _mistakes(name):
    valid = {"x1": values_of((2, 3)), "x2": values_of((3,), 1)}
    index = (IndexError,)
    if name == "normalize":
        valid = {"input": values_of((2, 3))}
        mistakes = [
            Invalid(name, valid, "dim out of range", {"dim": 2}, "dim", errors=index),
            Invalid(name, valid, "float dim", {"dim": 1.0}, "dim"),
            Invalid(name, valid, "dim None", {"dim": None}, "dim"),
            Invalid(name, valid, "repeated dim", {"dim": (0, -2)}, "dim"),
            Invalid(name, valid, "p a string", {"p": "fro"}, "p"),
            Invalid(name, valid, "eps None", {"eps": None}, "eps"),
            Invalid(name, valid, "inf over empty", {"input": np.ones((2, 0)), "p": math.inf}, "p"),
            Invalid(name, valid, "out", {"out": values_of((2, 3))}, "out"),
        ]
        return mistakes + common_mistakes(name, valid, ("input",), ("input",), (2, 3))
    mistakes = [
        Invalid(name, valid, "no broadcast", {"x2": values_of((2,))}, ("x1", "x2")),
        Invalid(name, valid, "eps None", {"eps": None}, "eps"),
    ]
    if name == "cosine_similarity":
        mistakes += [
            Invalid(name, valid, "dim out of range", {"dim": 2}, "dim", errors=index),
            Invalid(name, valid, "tuple dim", {"dim": (0, 1)}, "dim"),
        ]
        output_shape = (2,)
    else:
        mistakes += [
            Invalid(name, valid, "p None", {"p": None}, "p"),
            Invalid(name, valid, "keepdim int", {"keepdim": 1}, "keepdim"),
            Invalid(name, valid, "inf over empty", {"x1": np.ones((0,)), "p": -math.inf}, "p"),
        ]
        output_shape = (2,)
    return mistakes + common_mistakes(name, valid, ("x1", "x2"), ("x1", "x2"), output_shape)


@PROFILE
@pytest.mark.parametrize("name", ["normalize", *PAIRS])
@given(data=st.data())
def test_distances_reject_invalid_arguments(backend, name, data):
    check_rejected(backend, name, data.draw(st.sampled_from(_mistakes(name)), label="case"))


def test_pairs_refuse_none_and_name_the_argument(backend):
    x = backend.asarray(np.ones((2, 3)))
    for name in PAIRS:
        backward = getattr(K, f"{name}_backward")
        with pytest.raises(TypeError, match=rf"^{name}: x2 must be an array, got None"):
            getattr(K, name)(x, None)
        with pytest.raises(TypeError, match=rf"^{name}_backward: x1 must be an array, got None"):
            backward(backend.xp.ones(2), None, x)


@pytest.mark.parametrize("name", PAIRS)
def test_pairs_refuse_a_broadcast_shape_too_large_before_allocating(backend, name):
    x1 = backend.xp.broadcast_to(backend.xp.ones(1), (10**5, 1, 10**3))
    x2 = backend.xp.broadcast_to(backend.xp.ones(1), (10**5, 10**3))
    with pytest.raises(MemoryError, match=rf"^{name}: arrays of the broadcast shape"):
        getattr(K, name)(x1, x2)


def test_cosine_similarity_dim_error_is_index_error_as_torch(backend):
    x = backend.asarray(np.ones((3, 4)))
    with pytest.raises(IndexError):
        TF.cosine_similarity(torch.ones(3, 4), torch.ones(4), dim=2)
    with pytest.raises(IndexError, match=r"^cosine_similarity: dim must be in \[-2, 1\], got 2"):
        K.cosine_similarity(x, x[0], dim=2)


# ---------------------------------------------------------------------------------------------
# modules


@pytest.mark.parametrize(
    "module, torch_module",
    [
        (nn.CosineSimilarity(), torch.nn.CosineSimilarity()),
        (nn.CosineSimilarity(dim=0, eps=0.1), torch.nn.CosineSimilarity(dim=0, eps=0.1)),
        (nn.PairwiseDistance(), torch.nn.PairwiseDistance()),
        (nn.PairwiseDistance(1.0, 0.0, True), torch.nn.PairwiseDistance(1.0, 0.0, True)),
    ],
)
def test_distance_modules_match_torch(backend, module, torch_module):
    assert repr(module) == repr(torch_module) and module.state_dict() == {}
    assert vars(torch_module).keys() - vars(torch.nn.Module()).keys() <= vars(module).keys()

    def run(x1, x2):
        t1, t2 = xpnet.Tensor(x1, requires_grad=True), xpnet.Tensor(x2, requires_grad=True)
        return t1, t2, module(t1, t2)

    def backward(g, x1, x2):
        t1, t2, output = run(x1, x2)
        output.backward(g)
        return t1.grad, t2.grad

    x1, x2 = random_input((3, 4)), random_input((1, 4), seed=1)
    check_against_torch(lambda a, b: run(a, b)[2].array, backward, torch_module, [x1, x2], backend)


# ---------------------------------------------------------------------------------------------
# one_hot


@pytest.mark.parametrize(
    "values, num_classes",
    [([0, 2, 1], -1), ([0, 2, 1], 5), (2, -1), ([[0, 1], [2, 0]], 3), ([], 3), ([[]], 2)],
)
def test_one_hot_matches_torch(backend, values, num_classes):
    values = np.array(values, dtype=np.int64)
    output = K.one_hot(backend.asarray(values), num_classes)
    expected = TF.one_hot(torch.tensor(values), num_classes).numpy()
    assert type(output) is backend.ndarray and output.dtype == np.int64
    np.testing.assert_array_equal(backend.to_host(output), expected)


def test_functional_one_hot_takes_tensors_and_arrays_and_has_no_gradient(backend):
    values = backend.asarray(np.array([1, 0, 3]))
    for argument in (values, xpnet.Tensor(values)):
        output = F.one_hot(argument, 4)
        assert isinstance(output, xpnet.Tensor) and not output.requires_grad
        np.testing.assert_array_equal(
            xpnet.to_numpy(output.array), np.eye(4, dtype=np.int64)[[1, 0, 3]]
        )
    assert not hasattr(K, "one_hot_backward")


@pytest.mark.parametrize(
    "values, num_classes, error, match",
    [
        ([-1, 1], 3, K.ArgumentError, "class values must be non-negative, got -1"),
        ([-1, 1], -1, K.ArgumentError, "class values must be non-negative"),
        ([0, 3], 3, K.ArgumentError, "class values must be smaller than num_classes=3, got 3"),
        ([0, 1], 0, K.ArgumentError, "class values must be smaller than num_classes=0"),
        (np.array([], dtype=np.int64), -1, K.ArgumentError, "cannot infer num_classes"),
        (np.array([0.0, 1.0]), -1, TypeError, "tensor must hold integer class values"),
        (np.array([True]), -1, TypeError, "tensor must hold integer class values"),
        ([0, 1], 2.0, TypeError, "num_classes must be an int"),
        ([0, 1], None, TypeError, "num_classes must be an int"),
    ],
)
def test_one_hot_rejects_what_torch_rejects(backend, values, num_classes, error, match):
    values = np.asarray(values)
    with pytest.raises((RuntimeError, TypeError)):
        TF.one_hot(torch.tensor(values), num_classes)
    with pytest.raises(error, match=rf"^one_hot: {match}"):
        K.one_hot(backend.asarray(values), num_classes)


def test_one_hot_refuses_none(backend):
    with pytest.raises(TypeError, match=r"^one_hot: tensor must be an array, got None"):
        K.one_hot(None)


@pytest.mark.parametrize("p", [-1.0, -2.5, -math.inf, math.inf])
def test_norms_without_identity_are_refused_over_empty_dims_as_torch(backend, p):
    """Regression (hypothesis): PyTorch's vector_norm refuses negative and infinite orders
    over an empty dimension; xpnet returned inf or NaN there."""
    empty = np.zeros((2, 0))
    with pytest.raises(RuntimeError, match="cannot compute"):
        torch.linalg.vector_norm(torch.from_numpy(empty), p, dim=1)
    x = backend.asarray(empty)
    calls = {
        "pairwise_distance": lambda: K.pairwise_distance(x, x, p=p),
        "normalize": lambda: K.normalize(x, p=p),
        "triplet_margin_loss": lambda: K.triplet_margin_loss(x, x, x, p=p),
        "Tensor.norm": lambda: xpnet.Tensor(x).norm(p, dim=1),
    }
    for where, call in calls.items():
        with pytest.raises(K.ArgumentError, match=f"{where}.*norm"):
            call()
