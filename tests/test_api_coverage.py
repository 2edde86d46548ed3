"""PyTorch's other names and short forms of what xpnet has (:mod:`xpnet._tensor_aliases`,
:mod:`xpnet._torch_aliases`, :mod:`xpnet._tensor_linalg`, :mod:`xpnet._torch_nn_functions`,
:mod:`xpnet._signal_windows`) against PyTorch in float64 and float32: values, result dtypes,
gradients, the in-place forms' identity, version counting, write-through to views and leaf
refusal, and the errors, which name the function and the argument."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
from _oracle import by_name, check_tensor_method, random_input

import xpnet
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError


def ours(backend, array, requires_grad=False):
    # a copy: the in-place forms must not change the shared test inputs
    return Tensor(backend.asarray(np.array(array)), requires_grad=requires_grad)


def same(mine, reference):
    """Equal values (NaN too) and dtypes."""
    mine = mine.numpy() if isinstance(mine, Tensor) else xpnet.to_numpy(mine)
    reference = reference.detach().numpy() if isinstance(reference, torch.Tensor) else reference
    assert mine.dtype == reference.dtype, f"dtype {mine.dtype} != {reference.dtype}"
    np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=0)


def method(name, *args, **kwargs):
    """``t.<name>(*others, *args, **kwargs)`` of either library's first tensor."""

    def call(t, *others):
        return getattr(t, name)(*others, *args, **kwargs)

    return call


A, B = random_input((3, 4), seed=0, low=-2, high=2), random_input((3, 4), seed=1, low=0.5, high=2)

# --- Tensor aliases and short forms ----------------------------------------------------------

DIFFERENTIABLE = [
    ("maximum", [A, B - 1], ()),
    ("minimum", [A, B], ()),
    ("multiply", [A, B], ()),
    ("divide", [A, B], ()),
    ("subtract", [A, B], ()),
    ("absolute", [A], ()),
    ("negative", [A], ()),
    ("positive", [A], ()),
    ("ravel", [A], ()),
    ("unflatten", [A], (1, (2, -1))),
    ("fliplr", [A], ()),
    ("flipud", [A], ()),
    ("sum_to_size", [A], ((1, 4),)),
    ("sum_to_size", [A], (4,)),
    ("hardshrink", [A], (0.7,)),
    ("prelu", [A.reshape(3, 4, 1), np.array([0.1, 0.2, 0.3, 0.4])], ()),
    ("addr", [A, B[0, :3], B[1]], ()),
]


@pytest.mark.parametrize(("name", "inputs", "args"), DIFFERENTIABLE)
def test_differentiable_aliases_match_torch(backend, name, inputs, args):
    check_tensor_method(method(name, *args), inputs, backend)
    check_tensor_method(method(name, *args), inputs, backend, dtype=np.float32)


def test_divide_and_subtract_take_their_keywords(backend):
    check_tensor_method(method("divide", rounding_mode="floor"), [A, B], backend)
    check_tensor_method(method("subtract", alpha=2.5), [A, B], backend)
    check_tensor_method(method("addr", beta=0.5, alpha=2.0), [A, B[0, :3], B[1]], backend)


COMPARISONS = ["greater", "greater_equal", "less", "less_equal", "not_equal"]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparison_aliases_match_torch(backend, name):
    a, b = np.array([1.0, 2.0, 3.0, np.nan]), np.array([2.0, 2.0, 1.0, 1.0])
    same(
        getattr(ours(backend, a), name)(ours(backend, b)),
        getattr(torch.tensor(a), name)(torch.tensor(b)),
    )
    same(getattr(ours(backend, a), name)(2), getattr(torch.tensor(a), name)(2))


def test_questions_and_casts_match_torch(backend):
    for dtype in [
        "bool",
        "uint8",
        "int8",
        "int16",
        "int32",
        "int64",
        "float16",
        "float32",
        "float64",
    ]:
        host = np.arange(6).reshape(2, 3).astype(dtype)
        mine, theirs = ours(backend, host), torch.tensor(host)
        for name in ["is_signed", "is_complex", "is_floating_point", "ndimension", "get_device"]:
            expected = 0 if name == "get_device" and mine.is_cuda else getattr(theirs, name)()
            assert getattr(mine, name)() == expected, (name, dtype)
            assert getattr(xpnet, name, lambda t, name=name: getattr(t, name)())(mine) == expected
        assert (mine.nbytes, mine.itemsize) == (theirs.nbytes, theirs.itemsize)
        assert mine.is_cpu == (not mine.is_cuda) == (backend.name != "cupy")
        for cast in ["byte", "char", "short"]:
            same(getattr(mine, cast)(), getattr(theirs, cast)())
    assert ours(backend, np.ones((2, 3))).is_same_size(ours(backend, np.zeros((2, 3))))
    assert not xpnet.is_same_size(ours(backend, np.ones((2, 3))), ours(backend, np.ones(3)))


def test_is_nonzero_matches_torch_and_refuses_other_sizes(backend):
    for value in [0.0, -0.0, 2.0, np.nan]:
        assert xpnet.is_nonzero(ours(backend, [value])) == torch.is_nonzero(torch.tensor([value]))
    assert ours(backend, np.array(3)).is_nonzero()
    with pytest.raises(ArgumentError, match="is_nonzero: .* more than one value"):
        ours(backend, np.ones(2)).is_nonzero()
    with pytest.raises(ArgumentError, match="is_nonzero: .* no values"):
        ours(backend, np.ones(0)).is_nonzero()


def test_positive_refuses_bools_as_torch(backend):
    x = ours(backend, np.ones(3))
    assert x.positive() is x and xpnet.positive(x) is x
    with pytest.raises(TypeError, match="positive: the \\+ operator on a bool tensor"):
        ours(backend, np.ones(3, dtype=bool)).positive()


def test_shape_forms_refuse_bad_arguments(backend):
    x = ours(backend, np.ones((2, 6)))
    assert x.unflatten(-1, (3, 2)).shape == torch.ones(2, 6).unflatten(-1, (3, 2)).shape
    assert xpnet.unflatten(x, 0, [1, 2]).shape == (1, 2, 6)
    for sizes in [(2, 2), (-1, -1), (), (4, -1)]:
        with pytest.raises(ArgumentError, match="unflatten: sizes .* multiply up to the size"):
            x.unflatten(1, sizes)
    with pytest.raises(IndexError, match="unflatten: dim must be in"):
        x.unflatten(2, (3, 2))
    with pytest.raises(ArgumentError, match="fliplr: input must be >= 2-d"):
        ours(backend, np.ones(3)).fliplr()
    with pytest.raises(ArgumentError, match="flipud: input must be >= 1-d"):
        ours(backend, np.array(1.0)).flipud()
    for size in [(3, 2), (2, 2), (1, 2, 6)]:
        with pytest.raises(ArgumentError, match="sum_to_size: size .* is not expandable"):
            x.sum_to_size(*size)
    assert x.sum_to_size(2, 6) is x


def test_sum_to_size_and_split_with_sizes_match_torch(backend):
    host = np.arange(24).reshape(2, 3, 4).astype("int32")
    mine, theirs = ours(backend, host), torch.tensor(host)
    same(mine.sum_to_size(3, 1), theirs.sum_to_size(3, 1))
    pieces = mine.split_with_sizes([1, 3], dim=2)
    expected = theirs.split_with_sizes([1, 3], dim=2)
    for piece, reference in zip(pieces, expected, strict=True):
        same(piece, reference)
    assert [p.shape for p in xpnet.split_with_sizes(mine, [2, 1], 1)] == [(2, 2, 4), (2, 1, 4)]
    with pytest.raises(ArgumentError, match="split"):
        mine.split_with_sizes([1, 2], dim=2)
    with pytest.raises(TypeError, match="split_with_sizes: split_sizes must be a sequence"):
        mine.split_with_sizes(2)


def test_detach_in_place_as_torch(backend):
    leaf = ours(backend, np.ones(3), requires_grad=True)
    y = leaf * 2
    assert y.detach_() is y and not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert xpnet.detach_(leaf) is leaf and not leaf.requires_grad
    with pytest.raises(RuntimeError, match="detach_: can't detach views in-place"):
        (ours(backend, np.ones((2, 2)), requires_grad=True) * 1)[0].detach_()
    detached = xpnet.detach(ours(backend, np.ones(2), requires_grad=True))
    assert not detached.requires_grad


def test_function_forms_of_methods_match_torch(backend):
    x, y = ours(backend, A), torch.tensor(A)
    same(xpnet.rsub(x, 2.0, alpha=3), torch.rsub(y, 2.0, alpha=3))
    same(xpnet.rsub(x, x * 2), torch.rsub(y, y * 2))
    same(xpnet.fill(x, 1.5), torch.fill(y, 1.5))
    same(A, y)  # fill is out of place
    same(xpnet.addr(x, x[0, :3], x[1]), torch.addr(y, y[0, :3], y[1]))
    assert x.equal(x.clone()) and x.allclose(x + 1e-12) and not x.equal(x + 1)
    assert x.bernoulli(0.0).sum().item() == 0 and x.abs().multinomial(2).shape == (3, 2)
    assert x.abs().multinomial(2).dtype == np.int64


# --- in-place forms -------------------------------------------------------------------------

P = random_input((3, 4), seed=2, low=0.2, high=0.9)  # in every unary function's domain
OTHER = random_input((3, 4), seed=3, low=0.5, high=1.5)
IN_PLACE = [
    ("erf_", ()),
    ("erfc_", ()),
    ("erfinv_", ()),
    ("frac_", ()),
    ("rsqrt_", ()),
    ("square_", ()),
    ("sgn_", ()),
    ("deg2rad_", ()),
    ("rad2deg_", ()),
    ("nan_to_num_", ()),
    ("cumsum_", (1,)),
    ("cumprod_", (0,)),
    ("clamp_min_", (0.5,)),
    ("clamp_max_", (0.5,)),
    ("absolute_", ()),
    ("negative_", ()),
    ("fix_", ()),
    ("float_power_", (2.0,)),
    ("copysign_", "t"),
    ("fmod_", "t"),
    ("remainder_", "t"),
    ("hypot_", "t"),
    ("xlogy_", "t"),
    ("atan2_", "t"),
    ("arctan2_", "t"),
    ("multiply_", "t"),
    ("divide_", "t"),
    ("subtract_", "t"),
    ("true_divide_", "t"),
    ("heaviside_", "t"),
    ("floor_divide_", "t"),
    ("logical_and_", "t"),
    ("logical_or_", "t"),
    ("logical_xor_", "t"),
    ("logical_not_", ()),
    ("eq_", "t"),
    ("ne_", "t"),
    ("lt_", "t"),
    ("le_", "t"),
    ("gt_", "t"),
    ("ge_", "t"),
    ("greater_", "t"),
    ("greater_equal_", "t"),
    ("less_", "t"),
    ("less_equal_", "t"),
    ("not_equal_", "t"),
    ("lt_", (0.5,)),
    ("eq_", (P[0, 0],)),
]
NOT_DIFFERENTIABLE = (
    {"heaviside_", "floor_divide_", "logical_not_", "sgn_"}  # sgn_: PyTorch's is a ZeroTensor
    | {name for name, _ in IN_PLACE if name.startswith(("logical_", "eq", "ne", "lt", "le", "gt"))}
    | {name for name, _ in IN_PLACE if name.startswith(("ge", "greater", "less", "not_equal"))}
)


def _args(args, backend, torch_side):
    if args != "t":
        return args
    return (torch.tensor(OTHER),) if torch_side else (ours(backend, OTHER),)


@pytest.mark.parametrize(("name", "args"), IN_PLACE)
def test_in_place_forms_change_the_tensor_as_torch(backend, name, args):
    """The values and dtype are PyTorch's; the tensor itself changes (a view sees it), and
    its version counts the change."""
    x, reference = ours(backend, P), torch.tensor(P)
    view, version = x[1:], x._version
    assert getattr(x, name)(*_args(args, backend, False)) is x
    expected = getattr(reference, name)(*_args(args, backend, True))
    same(x, expected)
    same(view, expected[1:])
    assert x._version == version + 1


@pytest.mark.parametrize(("name", "args"), [p for p in IN_PLACE if p[0] not in NOT_DIFFERENTIABLE])
def test_recorded_in_place_forms_have_torch_gradients(backend, name, args):
    if args == "t":
        check_tensor_method(lambda a, b: getattr(a * 1, name)(b), [P, OTHER], backend)
    else:
        check_tensor_method(lambda a: getattr(a * 1, name)(*args), [P], backend)


@pytest.mark.parametrize("name", ["erf_", "eq_", "swapaxes_", "multiply_"])
def test_in_place_forms_refuse_a_leaf_that_requires_grad(backend, name):
    leaf = ours(backend, P, requires_grad=True)
    args = {"eq_": (0.5,), "swapaxes_": (0, 1), "multiply_": (2.0,)}.get(name, ())
    with pytest.raises(RuntimeError, match=f"Tensor.{name}: a leaf tensor that requires grad"):
        getattr(leaf, name)(*args)
    with xpnet.no_grad():
        getattr(leaf, name)(*args)


def test_in_place_comparisons_keep_the_dtype_as_torch(backend):
    integers = np.array([1, 2, 3])
    for name, other in itertools.product(["lt_", "ge_", "eq_"], [2.5, 2]):
        same(
            getattr(ours(backend, integers), name)(other),
            getattr(torch.tensor(integers), name)(other),
        )
    same(ours(backend, np.array([True, False])).lt_(2.5), torch.tensor([True, False]).lt_(2.5))


def test_in_place_forms_refuse_results_they_cannot_hold(backend):
    with pytest.raises(TypeError, match="Tensor.erf_: the result's dtype float32 can't be cast"):
        ours(backend, np.array([1, 2])).erf_()
    with pytest.raises(TypeError, match="float_power_: .* has dtype float32 but .* float64"):
        ours(backend, np.ones(2, dtype="float32")).float_power_(2)
    with pytest.raises(TypeError, match="clamp_min_: the result's dtype"):
        ours(backend, np.array([1, 2])).clamp_min_(0.5)
    with pytest.raises(ArgumentError, match="hypot_: the result's broadcast shape"):
        ours(backend, np.ones(3)).hypot_(ours(backend, np.ones((2, 3))))


def test_swapaxes_in_place_as_torch(backend):
    for name in ["swapaxes_", "swapdims_"]:
        x, reference = ours(backend, A), torch.tensor(A)
        assert getattr(x, name)(0, 1) is x and x._version == 1
        same(x, getattr(reference, name)(0, 1))
    check_tensor_method(lambda a: (a * 1).swapdims_(0, 1), [A], backend)


TORCH_IN_PLACE = [
    "abs_",
    "acos_",
    "arccos_",
    "arcsin_",
    "arcsinh_",
    "arctan_",
    "arctanh_",
    "asin_",
    "asinh_",
    "atan_",
    "atanh_",
    "ceil_",
    "cos_",
    "cosh_",
    "deg2rad_",
    "erf_",
    "erfc_",
    "exp2_",
    "exp_",
    "expm1_",
    "fix_",
    "floor_",
    "frac_",
    "log10_",
    "log1p_",
    "log2_",
    "log_",
    "logit_",
    "nan_to_num_",
    "neg_",
    "negative_",
    "rad2deg_",
    "reciprocal_",
    "relu_",
    "round_",
    "rsqrt_",
    "sigmoid_",
    "sin_",
    "sinc_",
    "sinh_",
    "sqrt_",
    "square_",
    "tan_",
    "tanh_",
    "trunc_",
    "zero_",
]
TORCH_IN_PLACE_ARGS = {
    "clamp_": (0.3, 0.6),
    "clip_": (0.3, 0.6),
    "clamp_max_": (0.5,),
    "clamp_min_": (0.5,),
    "fill_": (2.0,),
    "xlogy_": (2.0,),
    "acosh_": (),
    "arccosh_": (),
}


@pytest.mark.parametrize("name", TORCH_IN_PLACE + list(TORCH_IN_PLACE_ARGS))
def test_torch_level_in_place_functions_match_torch(backend, name):
    host = P + 1 if "cosh" in name else P
    args = TORCH_IN_PLACE_ARGS.get(name, ())
    x, reference = ours(backend, host), torch.tensor(host)
    assert getattr(xpnet, name)(x, *args) is x
    same(x, getattr(torch, name)(reference, *args))
    # PyTorch has no derivative of some in-place forms (asinh_, ...): its out-of-place one's
    check_tensor_method(
        lambda a: getattr(xpnet, name)(a * 1, *args),
        [host],
        backend,
        torch_method=lambda a: getattr(torch, name[:-1], lambda t: t * 0)(a, *args),
    )


def test_torch_level_index_put_and_addmv_in_place(backend):
    x, reference = ours(backend, np.zeros(4)), torch.zeros(4, dtype=torch.float64)
    index, values = np.array([1, 3]), np.array([5.0, 6.0])
    xpnet.index_put_(x, (ours(backend, index),), ours(backend, values))
    same(x, torch.index_put_(reference, (torch.tensor(index),), torch.tensor(values)))
    mat, vec = random_input((4, 3), seed=4), random_input((3,), seed=5)
    xpnet.addmv_(x, ours(backend, mat), ours(backend, vec), beta=0.5)
    same(x, torch.addmv_(reference, torch.tensor(mat), torch.tensor(vec), beta=0.5))


# --- dtypes, shapes and creation ------------------------------------------------------------

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _torch_dtype(name):
    return getattr(torch, name)


def test_finfo_and_iinfo_match_torch():
    for name in ["float16", "float32", "float64"]:
        mine, theirs = xpnet.finfo(name), torch.finfo(_torch_dtype(name))
        for attribute in [
            "bits",
            "eps",
            "max",
            "min",
            "tiny",
            "smallest_normal",
            "resolution",
            "dtype",
        ]:
            assert getattr(mine, attribute) == getattr(theirs, attribute), (name, attribute)
    assert xpnet.finfo().dtype == "float32" and "eps=1.19209e-07" in repr(xpnet.finfo())
    for name in ["uint8", "int8", "int16", "int32", "int64"]:
        mine, theirs = xpnet.iinfo(getattr(xpnet, name)), torch.iinfo(_torch_dtype(name))
        assert (mine.bits, mine.max, mine.min, mine.dtype) == (
            theirs.bits,
            theirs.max,
            theirs.min,
            theirs.dtype,
        )
    with pytest.raises(TypeError, match="finfo: requires a floating point dtype"):
        xpnet.finfo(xpnet.int32)
    for dtype in [xpnet.float32, xpnet.bool]:
        with pytest.raises(TypeError, match="iinfo: requires an integer dtype"):
            xpnet.iinfo(dtype)
    with pytest.raises(TypeError, match="finfo: dtype must be a dtype"):
        xpnet.finfo(3.5)


def test_promote_types_and_can_cast_match_torch_over_every_pair():
    for a, b in itertools.product(DTYPES, DTYPES):
        expected = torch.promote_types(_torch_dtype(a), _torch_dtype(b))
        assert xpnet.promote_types(a, b) == np.dtype(str(expected).split(".")[1]), (a, b)
        assert xpnet.can_cast(np.dtype(a), b) == torch.can_cast(_torch_dtype(a), _torch_dtype(b))


def test_result_type_matches_torch(backend):
    operands = [
        (np.ones(2, "int32"), 2.5),
        (np.ones(2, "float32"), np.array(1.0)),
        (2, 2.5),
        (np.ones(2, "uint8"), np.ones(2, "int8")),
        (np.array(True), 3),
        (True, False),
    ]
    for a, b in operands:
        mine = [ours(backend, x) if isinstance(x, np.ndarray) else x for x in (a, b)]
        theirs = [torch.tensor(x) if isinstance(x, np.ndarray) else x for x in (a, b)]
        if not any(isinstance(x, torch.Tensor) for x in theirs):
            theirs[0] = torch.tensor(theirs[0])  # torch.result_type wants a tensor first
            mine[0] = xpnet.tensor(mine[0])
        expected = str(torch.result_type(*theirs)).split(".")[1]
        assert xpnet.result_type(*mine) == np.dtype(expected), (a, b)


def test_broadcast_shapes_match_torch():
    for shapes in [((2, 1), (3,)), ((5, 1, 4), (1, 3, 1), ()), (2, (3, 1)), ((0, 1), (1, 4))]:
        assert xpnet.broadcast_shapes(*shapes) == tuple(torch.broadcast_shapes(*shapes))
    with pytest.raises(ArgumentError, match="broadcast_shapes: shapes .* cannot be broadcast"):
        xpnet.broadcast_shapes((2,), (3,))


def test_scalar_tensor_and_empty_strided_match_torch(backend):
    for value, dtype in [(3, None), (True, None), (2.5, xpnet.float64), (7, xpnet.int64)]:
        expected = torch.scalar_tensor(
            value, dtype=None if dtype is None else _torch_dtype(dtype.name)
        )
        result = xpnet.scalar_tensor(value, dtype=dtype)
        assert type(result.array) is backend.ndarray
        same(result, expected)
    assert xpnet.scalar_tensor(1.0, requires_grad=True).requires_grad
    for size, stride in [
        ((2, 3), (1, 2)),
        ((2, 3), (3, 1)),
        ((4,), (2,)),
        ((0, 3), (3, 1)),
        ((), ()),
    ]:
        result = xpnet.empty_strided(size, stride, dtype=xpnet.float64)
        expected = torch.empty_strided(size, stride, dtype=torch.float64)
        assert type(result.array) is backend.ndarray and result.shape == tuple(expected.shape)
        assert result.dtype == np.float64 and (
            not result.numel() or result.stride() == expected.stride()
        )
    result = xpnet.empty_strided((2, 3), (1, 2))
    result.fill_(1.0)  # non-overlapping strides may change in place
    assert result.sum().item() == 6 and result.dtype == np.float32
    with pytest.raises(ArgumentError, match="empty_strided: stride must be 2 non-negative ints"):
        xpnet.empty_strided((2, 3), (1,))
    with pytest.raises(RuntimeError, match="refers to a single memory location"):
        xpnet.empty_strided((2, 3), (0, 1)).zero_()


# --- window functions -----------------------------------------------------------------------

WINDOWS = [
    ("hann_window", {}),
    ("hamming_window", {}),
    ("hamming_window", {"alpha": 0.5, "beta": 0.3}),
    ("blackman_window", {}),
    ("bartlett_window", {}),
    ("kaiser_window", {}),
    ("kaiser_window", {"beta": 3.5}),
]


@pytest.mark.parametrize(("name", "kwargs"), WINDOWS)
def test_windows_match_torch(backend, name, kwargs):
    for length, periodic, dtype in itertools.product(
        [0, 1, 2, 5, 8, 33], [True, False], ["float64", "float32"]
    ):
        result = getattr(xpnet, name)(length, periodic, dtype=getattr(xpnet, dtype), **kwargs)
        expected = getattr(torch, name)(length, periodic, dtype=_torch_dtype(dtype), **kwargs)
        assert type(result.array) is backend.ndarray and result.dtype == np.dtype(dtype)
        tolerance = 1e-12 if dtype == "float64" else 1e-6
        np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=tolerance, atol=tolerance)
    default = getattr(xpnet, name)(4, **kwargs)
    assert default.dtype == np.float32 and default.shape == (4,)
    np.testing.assert_allclose(
        default.numpy(), getattr(torch, name)(4, True, **kwargs).numpy(), rtol=1e-6, atol=1e-7
    )
    assert getattr(xpnet, name)(3, requires_grad=True).requires_grad


@pytest.mark.parametrize(
    "name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
)
def test_windows_refuse_bad_arguments(name):
    with pytest.raises(ArgumentError, match=f"{name}: window_length must be non-negative"):
        getattr(xpnet, name)(-1)
    with pytest.raises(TypeError, match=f"{name}: expects a floating point dtype"):
        getattr(xpnet, name)(4, dtype=xpnet.int64)
    with pytest.raises(TypeError, match=f"{name}: window_length must be an int"):
        getattr(xpnet, name)(4.0)


# --- torch.<name> forms of nn.functional ----------------------------------------------------

X = random_input((2, 3, 6, 6), seed=6)
W = random_input((4, 3, 3, 3), seed=7)
SEQ = random_input((2, 3, 8), seed=8)


def ns(t):
    """The library of ``t``: ``torch`` or ``xpnet``."""
    return torch if isinstance(t, torch.Tensor) else xpnet


FUNCTIONAL = [
    ("conv2d", [X, W], lambda x, w: ns(x).conv2d(x, w, None, 1, 1)),
    ("conv1d", [SEQ, W[:, :, 0]], by_name("conv1d")),
    ("conv_transpose2d", [X, W.transpose(1, 0, 2, 3)], by_name("conv_transpose2d", None, 2)),
    ("max_pool2d", [X], by_name("max_pool2d", 2)),
    ("max_pool1d", [SEQ], by_name("max_pool1d", 3, 2)),
    ("avg_pool1d", [SEQ], by_name("avg_pool1d", 2)),
    ("adaptive_avg_pool1d", [SEQ], by_name("adaptive_avg_pool1d", 3)),
    ("pixel_shuffle", [X.reshape(2, 12, 3, 3)], by_name("pixel_shuffle", 2)),
    ("pixel_unshuffle", [X], by_name("pixel_unshuffle", 2)),
    ("cosine_similarity", [SEQ, SEQ[::-1].copy()], by_name("cosine_similarity")),
    ("pairwise_distance", [SEQ[0], SEQ[1]], by_name("pairwise_distance")),
    ("pdist", [SEQ[0]], by_name("pdist")),
    ("prelu", [X, np.array([0.25])], by_name("prelu")),
    ("selu", [X], by_name("selu")),
    ("celu", [X], by_name("celu", 0.7)),
    ("rrelu", [X], by_name("rrelu")),
    ("threshold", [X], by_name("threshold", 0.1, 2.0)),
    ("hardshrink", [X], by_name("hardshrink", 0.3)),
    (
        "bilinear",
        [SEQ[:, :, 0], SEQ[:, :, 1], random_input((4, 3, 3), seed=9)],
        by_name("bilinear"),
    ),
    (
        "layer_norm",
        [X, X[0, 0], X[1, 0]],
        lambda x, w, b: ns(x).layer_norm(x, (6, 6), w, b, 1e-5, True),
    ),
    ("group_norm", [X, np.arange(3.0), np.ones(3)], lambda x, w, b: ns(x).group_norm(x, 3, w, b)),
    ("rms_norm", [X, X[0, 0]], lambda x, w: ns(x).rms_norm(x, (6, 6), w)),
    (
        "batch_norm",
        [X, np.arange(3.0), np.ones(3)],
        lambda x, w, b: ns(x).batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
    ),
    (
        "instance_norm",
        [X, np.arange(3.0), np.ones(3)],
        lambda x, w, b: ns(x).instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
    ),
    ("dropout", [X], by_name("dropout", 0.5, False)),
    ("alpha_dropout", [X], by_name("alpha_dropout", 0.5, False)),
    ("feature_alpha_dropout", [X], by_name("feature_alpha_dropout", 0.5, False)),
    ("dropout_", [X], lambda x: ns(x).dropout_(x * 1, 0.0, True)),
    ("constant_pad_nd", [X], by_name("constant_pad_nd", (1, 2), 0.5)),
    ("kl_div", [X, np.abs(X)], by_name("kl_div", 2)),
    ("kl_div log", [X, X], by_name("kl_div", 0, log_target=True)),
    ("kl_div default", [X, np.abs(X)], by_name("kl_div")),
    ("hinge_embedding_loss default", [SEQ, np.sign(SEQ)], by_name("hinge_embedding_loss")),
    (
        "binary_cross_entropy_with_logits",
        [X, np.abs(X)],
        by_name("binary_cross_entropy_with_logits", None, None, 1),
    ),
    (
        "margin_ranking_loss",
        [SEQ[0], SEQ[1], np.sign(SEQ[0])],
        by_name("margin_ranking_loss", 0.1, 2),
    ),
    ("hinge_embedding_loss", [SEQ, np.sign(SEQ)], by_name("hinge_embedding_loss", 0.5, 0)),
    (
        "cosine_embedding_loss",
        [SEQ[0], SEQ[1], np.array([1.0, -1.0, 1.0])],
        by_name("cosine_embedding_loss", 0.0, 1),
    ),
    (
        "triplet_margin_loss",
        [SEQ[0], SEQ[1], SEQ[0] ** 2],
        by_name("triplet_margin_loss", 1.0, 2.0, 1e-6, True, 1),
    ),
    ("poisson_nll_loss", [X, np.abs(X)], by_name("poisson_nll_loss", True, False, 1e-8, 1)),
    (
        "affine_grid_generator",
        [random_input((2, 2, 3), seed=10)],
        by_name("affine_grid_generator", (2, 3, 4, 5), False),
    ),
]


@pytest.mark.parametrize("case", FUNCTIONAL, ids=[case[0] for case in FUNCTIONAL])
def test_torch_level_functionals_match_torch(backend, case):
    _, inputs, function = case
    check_tensor_method(function, inputs, backend)


def test_torch_level_functionals_with_other_results(backend):
    x, reference = ours(backend, SEQ), torch.tensor(SEQ)
    for mine, theirs in [
        (xpnet.adaptive_max_pool1d(x, 3), torch.adaptive_max_pool1d(reference, 3)),
        (xpnet.max_pool1d_with_indices(x, 2), torch.max_pool1d_with_indices(reference, 2)),
    ]:
        assert len(mine) == len(theirs) == 2
        same(mine[0], theirs[0])
        same(mine[1], theirs[1])
    weight, indices = random_input((5, 3), seed=11), np.array([[0, 4], [2, 0]])
    for padding_idx in [-1, 0]:
        check_tensor_method(
            lambda w, padding_idx=padding_idx: by_name("embedding")(
                w, like_indices(w, indices), padding_idx
            ),
            [weight],
            backend,
        )
    x = ours(backend, np.ones((2, 3)))
    assert (
        xpnet.dropout_(x, 0.0, True) is x
        and xpnet.selu_(x) is x
        and xpnet.threshold_(x, 2.0, 0.0) is x
    )
    with pytest.raises(
        ArgumentError, match="kl_div: reduction must be 0 \\(none\\), 1 \\(mean\\) or 2"
    ):
        xpnet.kl_div(x, x, "mean")


def like_indices(t, indices):
    if isinstance(t, torch.Tensor):
        return torch.tensor(indices)
    return Tensor(xpnet.backend_of(t.array).asarray(indices))


# --- linear algebra -------------------------------------------------------------------------

M = random_input((2, 3, 3), seed=12) + 3 * np.eye(3)  # a batch of well-conditioned matrices
SPD = M @ M.transpose(0, 2, 1)
L = np.linalg.cholesky(SPD)


def _quiet(function):
    """``function`` with PyTorch's deprecation warnings (torch.qr, torch.cholesky), and
    xpnet's, ignored."""

    def call(*tensors):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return function(*tensors)

    return call


LINALG = [
    ("det", [M], method("det")),
    ("logdet", [M], method("logdet")),
    ("logdet function", [SPD], by_name("logdet")),
    ("slogdet", [M], lambda a: a.slogdet()[1]),
    ("slogdet function", [M], lambda a: by_name("slogdet")(a)[1]),
    ("inverse", [M], method("inverse")),
    ("pinverse", [M[:, :2]], method("pinverse")),
    ("pinverse function", [M[:, :2]], by_name("pinverse", 1e-10)),
    ("matrix_power", [M], method("matrix_power", 3)),
    ("matrix_power negative", [M], by_name("matrix_power", -2)),
    ("matrix_exp", [M * 0.1], method("matrix_exp")),
    ("cholesky", [SPD], _quiet(lambda a: (a + a.mT).cholesky() / 2)),
    ("cholesky upper", [SPD], _quiet(lambda a: by_name("cholesky", True)(a + a.mT))),
    ("cholesky_solve", [M, L], method("cholesky_solve")),
    ("cholesky_solve upper", [M, L], lambda b, l: by_name("cholesky_solve", True)(b, l.mT)),
    ("cholesky_inverse", [L], method("cholesky_inverse")),
    ("cholesky_inverse upper", [L], lambda l: by_name("cholesky_inverse", True)(l.mT)),
    ("qr", [M[:, :, :2]], _quiet(lambda a: (lambda q, r: q @ r)(*a.qr()))),
    ("qr complete", [M[:, :2]], _quiet(lambda a: (lambda q, r: q @ r)(*by_name("qr", False)(a)))),
    (
        "svd",
        [M[:, :, :2]],
        lambda a: (lambda u, s, v: u @ torch_or_xpnet(a).diag_embed(s) @ v.mT)(*a.svd()),
    ),
    ("svd values", [M], lambda a: a.svd()[1]),
    ("svd no uv", [M], lambda a: by_name("svd", compute_uv=False)(a)[1]),
    ("adjoint", [M], method("adjoint")),
    ("adjoint function", [M], by_name("adjoint")),
    ("mH", [M], lambda a: a.mH),
    ("H", [M[0]], lambda a: a.H),
]


def torch_or_xpnet(t):
    return torch if isinstance(t, torch.Tensor) else xpnet


@pytest.mark.parametrize("case", LINALG, ids=[case[0] for case in LINALG])
def test_linear_algebra_matches_torch(backend, case):
    _, inputs, function = case
    check_tensor_method(function, inputs, backend)
    check_tensor_method(function, inputs, backend, dtype=np.float32)


def test_linear_algebra_shapes_signs_and_errors(backend):
    x, reference = ours(backend, M[:, :, :2]), torch.tensor(M[:, :, :2])
    for some, compute_uv in itertools.product([True, False], [True, False]):
        shapes = [r.shape for r in x.svd(some, compute_uv)]
        assert shapes == [tuple(r.shape) for r in reference.svd(some, compute_uv)]
    U, S, V = xpnet.svd(x, compute_uv=False)
    assert float(U.abs().sum().item()) == float(V.abs().sum().item()) == 0.0
    negative = np.diag([-1.0, 2.0])
    assert np.isnan(ours(backend, negative).logdet().item())
    assert ours(backend, np.zeros((2, 2))).logdet().item() == -np.inf
    with pytest.warns(UserWarning, match="torch.qr is deprecated"):
        xpnet.qr(x)
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        ours(backend, SPD).cholesky()
    with pytest.raises(ArgumentError, match="Tensor.H: only supported on matrices \\(2-D"):
        _ = ours(backend, M).H
    with pytest.raises(ArgumentError, match="Tensor.mH: only supported on matrices or batches"):
        _ = ours(backend, np.ones(3)).mH
    with pytest.raises(xpnet.linalg.LinAlgError):
        ours(backend, np.zeros((2, 2))).inverse()
    with pytest.raises(TypeError, match="logdet: input must be a Tensor or an array"):
        xpnet.logdet([[1.0]])
