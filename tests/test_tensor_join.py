"""``cat``/``concat``, ``stack``, ``maximum``/``minimum``, ``Tensor.max(other)``/``min(other)``
and ``clamp`` with Tensor bounds against PyTorch autograd in float64, on every backend.

The same call runs on xpnet Tensors and on torch tensors (the names and arguments are
PyTorch's), forward and backward with a random upstream gradient: generated shapes and dims,
broadcasting, ties, NaN and infinities, float32, inputs of which only some require grad, the
dtypes of mixed inputs, and every argument error.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_tensor_method, random_input

import xpnet
from xpnet import _tensor_join as join
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError

NAN, INF = np.nan, np.inf
# every pair of these meets in test_maximum_minimum_at_edge_values: ties, NaN, infinities
EDGES = np.array([NAN, INF, -INF, 0.0, -0.0, 1.0, -1.5])


def both(name, **kwargs):
    """``torch.<name>`` on torch tensors, :mod:`xpnet._tensor_join`'s function on Tensors; the
    sequence functions (cat, stack) take the tensors as one list."""

    def call(*tensors):
        namespace = torch if isinstance(tensors[0], torch.Tensor) else join
        function = getattr(namespace, name)
        if name in ("cat", "concat", "stack"):
            return function(list(tensors), **kwargs)
        return function(*tensors, **kwargs)

    return call


def ties(shape, seed):
    """Small integers as floats: many equal pairs between two such arrays."""
    return np.random.default_rng(seed).integers(-2, 3, size=shape).astype(np.float64)


def generated_cat(seed):
    """Shapes of 1 to 4 tensors with 1 to 4 dims, equal except along ``dim`` (sizes 0 to 3
    there), and ``dim``, negative half the time."""
    rng = np.random.default_rng(seed)
    ndim, count = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    shape = [int(n) for n in rng.integers(1, 4, size=ndim)]
    dim = int(rng.integers(0, ndim))
    shapes = []
    for _ in range(count):
        shape[dim] = int(rng.integers(0, 4))
        shapes.append(tuple(shape))
    return shapes, dim - ndim if rng.integers(2) else dim


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("name", ["cat", "concat"])
def test_cat_matches_torch_on_generated_shapes(backend, name, seed):
    shapes, dim = generated_cat(seed)
    inputs = [random_input(shape, seed=seed + i) for i, shape in enumerate(shapes)]
    check_tensor_method(both(name, dim=dim), inputs, backend)


@pytest.mark.parametrize("seed", range(12))
def test_stack_matches_torch_on_generated_shapes(backend, seed):
    """0-d tensors too; dim anywhere in [-(ndim + 1), ndim]."""
    rng = np.random.default_rng(seed)
    ndim, count = int(rng.integers(0, 4)), int(rng.integers(1, 5))
    shape = tuple(int(n) for n in rng.integers(0, 4, size=ndim))
    dim = int(rng.integers(-ndim - 1, ndim + 1))
    inputs = [random_input(shape, seed=seed + i) for i in range(count)]
    check_tensor_method(both("stack", dim=dim), inputs, backend)


@pytest.mark.parametrize(
    "method",
    [
        lambda a, b: both("cat", dim=1)(a, b, a),  # the same tensor twice: gradients add up
        lambda a, b: both("stack", dim=-1)(a * 2, b, a),
        lambda a, b: both("cat", dim=0)(a.exp(), b).sum(0) * 3,  # a graph on both sides
    ],
)
def test_cat_stack_of_one_tensor_twice_and_inside_a_graph_match_torch(backend, method):
    check_tensor_method(
        method, [random_input((2, 3), seed=1), random_input((2, 3), seed=2)], backend
    )


def test_cat_skips_a_legacy_empty_tensor_as_torch(backend):
    """A 1-d tensor of size 0 beside 2-d ones is left out (its gradient is empty), as PyTorch;
    dim is then checked against the others."""
    inputs = [np.zeros(0), random_input((2, 3), seed=1), random_input((2, 1), seed=2)]
    check_tensor_method(both("cat", dim=-1), inputs, backend)
    check_tensor_method(both("cat", dim=0), [np.zeros(0), np.zeros(0)], backend)


def test_cat_stack_keep_float32(backend):
    inputs = [random_input((2, 3), seed=1), random_input((2, 3), seed=2)]
    check_tensor_method(both("cat", dim=1), inputs, backend, dtype=np.float32)
    check_tensor_method(both("stack", dim=2), inputs, backend, dtype=np.float32)


def const(backend, array):
    """A Tensor that does not require grad, on ``backend``."""
    return Tensor(backend.asarray(array))


def test_cat_stack_with_only_some_inputs_requiring_grad_match_torch(backend):
    """Only the inputs that require grad get one (the oracle's inputs); the others, Tensors
    or plain arrays, keep ``grad`` None."""
    fixed = random_input((2, 3), seed=5)
    constants = []

    def method(a, b):
        if isinstance(a, torch.Tensor):
            c = torch.tensor(fixed)
            return torch.cat([c, a, c, b])[1:7] * torch.stack([a, c, b], 1).reshape(6, 3)
        constants[:] = [const(backend, fixed), backend.asarray(fixed)]
        tensor, array = constants
        return join.cat([tensor, a, array, b])[1:7] * join.stack([a, array, b], 1).reshape(6, 3)

    check_tensor_method(
        method, [random_input((2, 3), seed=1), random_input((2, 3), seed=2)], backend
    )
    assert constants[0].grad is None and not constants[0].requires_grad


def torch_dtype(dtype):
    return getattr(torch, np.dtype(dtype).name)


@pytest.mark.parametrize(
    "dtypes",
    [
        (np.int64, np.float32),  # NumPy would give float64; PyTorch gives float32
        (np.float32, np.float64),
        (np.float16, np.float32, np.int32),
        (np.bool_, np.int8),
        (np.int32, np.uint8),
        (np.int8, np.uint8),  # both: int16
    ],
)
@pytest.mark.parametrize("name", ["cat", "stack", "maximum", "minimum"])
def test_mixed_dtypes_promote_as_torch(backend, name, dtypes):
    """The result dtype is PyTorch's; each float input's gradient comes back in its dtype."""
    dtypes = dtypes[:2] if name in ("maximum", "minimum") else dtypes
    hosts = [np.array([[1, 0, 2]]).astype(dtype) for dtype in dtypes]
    tensors = [Tensor(backend.asarray(h), requires_grad=h.dtype.kind == "f") for h in hosts]
    expected = both(name)(*[torch.tensor(h) for h in hosts])
    result = both(name)(*tensors)
    assert result.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
    np.testing.assert_array_equal(result.numpy(), expected.numpy())
    if result.requires_grad:
        result.sum().backward()
        for tensor in tensors:
            assert tensor.grad is None or tensor.grad.dtype == tensor.dtype


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_a_0d_operand_counts_only_by_a_higher_category_as_torch(backend, name):
    """float32 beside a float64 0-d array stays float32; int64 beside a 0-d float gets its
    float dtype, as PyTorch (NumPy: float64 both times)."""
    for values, scalar in (
        (np.array([1.0, 3.0], dtype=np.float32), np.array(2.0)),
        (np.array([1, 3]), np.array(2.0, dtype=np.float32)),
    ):
        result = both(name)(Tensor(backend.asarray(values)), Tensor(backend.asarray(scalar)))
        expected = both(name)(torch.tensor(values), torch.tensor(scalar))
        assert result.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))


@pytest.mark.parametrize(
    "shapes",
    [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((3,), ()), ((1, 4), (4, 1))],
)
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_with_ties_and_broadcasting_match_torch(backend, name, shapes):
    """Ties share the gradient in halves; a broadcast operand's gradient is summed back."""
    inputs = [ties(shape, seed=i) for i, shape in enumerate(shapes)]
    check_tensor_method(both(name), inputs, backend)
    check_tensor_method(
        both(name), [random_input(shape, seed=i) for i, shape in enumerate(shapes)], backend
    )


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_at_edge_values_match_torch(backend, name):
    """Every pair of NaN, +-inf, 0, -0 and numbers: NaN wins and both get the gradient there;
    inf == inf and 0 == -0 are ties."""
    check_tensor_method(both(name), [EDGES[:, None], EDGES[None, :]], backend)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_keep_float32(backend, name):
    check_tensor_method(
        both(name), [ties((3, 4), seed=1), ties((4,), seed=2)], backend, dtype=np.float32
    )


@pytest.mark.parametrize(
    "method",
    [
        lambda t, u: t.max(u),
        lambda t, u: t.min(u),
        lambda t, u: t.max(other=u) - u.min(other=t),
        lambda t, u: t.max(u[0]) + t.min(u[1, 2]),  # 0-d others broadcast
    ],
)
def test_max_min_of_another_tensor_are_maximum_minimum_as_torch(backend, method):
    check_tensor_method(method, [ties((2, 3), seed=3), ties((2, 3), seed=4)], backend)


def test_max_of_an_array_is_the_elementwise_maximum(backend):
    x = Tensor(backend.asarray(np.array([1.0, 5.0])), requires_grad=True)
    y = x.max(backend.asarray(np.array([3.0, 5.0])))
    y.sum().backward()
    assert y.tolist() == [3.0, 5.0] and backend.to_host(x.grad.array).tolist() == [0.0, 0.5]


def test_maximum_with_only_one_operand_requiring_grad_matches_torch(backend):
    fixed = ties((3, 1), seed=6)
    constants = []

    def method(a):
        if isinstance(a, torch.Tensor):
            return torch.maximum(torch.tensor(fixed), a) * torch.minimum(a, torch.tensor(fixed))
        constants[:] = [const(backend, fixed)]
        return join.maximum(constants[0], a) * join.minimum(a, backend.asarray(fixed))

    check_tensor_method(method, [ties((2, 3, 4), seed=7)], backend)
    assert constants[0].grad is None


# x against min and max: inside, at min, at max, below, above, min == max (above, below,
# equal), min > max, NaN in x, in min, in max, and infinities
CLAMP_X = np.array([0.5, 0.0, 1.0, -1.0, 2.0, 0.3, 0.3, 0.3, 0.3, NAN, 0.5, 0.5, -INF, INF])
CLAMP_MIN = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.1, 0.3, 0.2, 0.0, NAN, 0.0, 0.0, 0.0])
CLAMP_MAX = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.1, 0.3, 0.1, 1.0, 1.0, NAN, 1.0, 1.0])


@pytest.mark.parametrize(
    "method",
    [
        lambda x, low, high: x.clamp(low, high),
        lambda x, low, high: x.clip(min=low, max=high),
        lambda x, low, high: x.clamp(min=low) * 2 + x.clamp(max=high),
        lambda x, low, high: x.clamp(high, low),  # min > max here: every element is max
    ],
)
def test_clamp_with_tensor_bounds_matches_torch_at_ties_nan_and_inf(backend, method):
    """PyTorch's clamp.Tensor gradients: x where min <= x <= max; min where x < min < max;
    max where x > max or max < min; none where x < min == max."""
    check_tensor_method(method, [CLAMP_X, CLAMP_MIN, CLAMP_MAX], backend)


@pytest.mark.parametrize(
    "shapes",
    [((2, 3, 4), (4,), (3, 1)), ((3, 1), (2, 1, 4), ()), ((), (3,), (2, 3))],
)
def test_clamp_with_broadcast_tensor_bounds_matches_torch(backend, shapes):
    """A bound's gradient is summed back to its shape; bounds may be larger than x.

    PyTorch's own backward fails where x is smaller than the bounds' broadcast ("output with
    shape [3] doesn't match the broadcast shape [2, 3]": its clamp_backward combines the
    comparisons in place), so torch gets x expanded to the full shape: the same gradients."""
    full = np.broadcast_shapes(*shapes)

    def method(x, low, high, shift=0.0):
        x = x.expand(full) if isinstance(x, torch.Tensor) else x
        return x.clamp(low, high + shift)

    inputs = [ties(shape, seed=i) / 2 for i, shape in enumerate(shapes)]
    check_tensor_method(lambda x, low, high: method(x, low, high, 1.0), inputs, backend)
    check_tensor_method(method, inputs, backend, dtype=np.float32)


def test_clamp_with_only_the_bounds_requiring_grad_matches_torch(backend):
    fixed = random_input((2, 3), seed=8)
    constants = []

    def method(low, high):
        if isinstance(low, torch.Tensor):
            return torch.tensor(fixed).clamp(low, high)
        constants[:] = [const(backend, fixed)]
        return constants[0].clamp(low, high)

    check_tensor_method(
        method, [random_input((3,), seed=9) - 0.5, random_input((2, 1), seed=10) + 0.5], backend
    )
    assert constants[0].grad is None


def test_clamp_with_a_number_and_a_tensor_bound_is_torchs_with_both_tensors(backend):
    """PyTorch refuses one number and one Tensor; xpnet takes them, with the gradients of a
    number made a Tensor that does not require grad."""
    half = torch.tensor(0.25, dtype=torch.float64)

    def method(x, low):
        if isinstance(x, torch.Tensor):
            return x.clamp(low, half) + x.clamp(half, low)
        return x.clamp(low, 0.25) + x.clamp(0.25, low)

    check_tensor_method(method, [ties((3, 4), seed=11) / 4, ties((4,), seed=12) / 4], backend)


def other_backend(backend) -> str:
    return "strict" if backend.name == "numpy" else "numpy"


def elsewhere(backend, array):
    """``array`` on a backend other than the one under test."""
    return xpnet.to_backend(array, other_backend(backend))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x, y: join.cat([]), ArgumentError, "cat: tensors must not be empty, got an empty"),
        (lambda x, y: join.concat(()), ValueError, "cat: tensors must not be empty"),
        (lambda x, y: join.cat(x), TypeError, "cat: tensors must be a list or tuple of Tensors"),
        (lambda x, y: join.cat(t for t in (x, y)), TypeError, "cat: .*got generator"),
        (lambda x, y: join.cat([x, 1.0]), TypeError, r"cat: tensors\[1\] must be a Tensor.*float"),
        (lambda x, y: join.cat([x, y[0]]), ArgumentError, r"number of dimensions, got \(2, 3\)"),
        (
            lambda x, y: join.cat([x, y], 1),
            ArgumentError,
            r"cat: sizes must match except in dimension 1, got \(2, 3\) at tensors\[0\] and "
            r"\(3, 3\) at tensors\[1\]",
        ),
        (lambda x, y: join.cat([x], 2), IndexError, r"cat: dim must be in \[-2, 1\].*got 2"),
        (lambda x, y: join.cat([x, x], -3), IndexError, r"cat: dim must be in \[-2, 1\]"),
        (lambda x, y: join.cat([x], 1.0), TypeError, "cat: dim must be an int, got 1.0"),
        (lambda x, y: join.cat([x[0, 0]]), ArgumentError, r"cat: tensors\[0\] is 0-d"),
        (lambda x, y: join.stack([]), RuntimeError, "stack: tensors must not be empty"),
        (lambda x, y: join.stack(x), TypeError, "stack: tensors must be a list or tuple"),
        (
            lambda x, y: join.stack([x, x, y]),
            ArgumentError,
            r"stack: tensors must all have the same shape, got \(2, 3\) at tensors\[0\] and "
            r"\(3, 3\) at tensors\[2\]",
        ),
        (lambda x, y: join.stack([x], 3), IndexError, r"stack: dim must be in \[-3, 2\].*got 3"),
        (lambda x, y: join.stack([x], -4), IndexError, r"stack: dim must be in \[-3, 2\]"),
        (lambda x, y: join.maximum(x, 1.0), TypeError, "maximum: other must be a Tensor or an"),
        (lambda x, y: join.minimum(2, x), TypeError, "minimum: input must be a Tensor.*int"),
        (
            lambda x, y: join.maximum(x, y),
            ArgumentError,
            r"maximum: shapes must broadcast, got input \(2, 3\) and other \(3, 3\)",
        ),
        (lambda x, y: x.max(y[:2], True), TypeError, "Tensor.max: give an int dim"),
        (lambda x, y: x.min(y[:2], other=x), TypeError, "Tensor.min: give an int dim"),
        (lambda x, y: x.clamp(), ArgumentError, "clamp: at least one of min and max"),
    ],
)
def test_join_functions_reject_bad_arguments(backend, call, error, match):
    x = Tensor(backend.asarray(random_input((2, 3), seed=1)))
    y = Tensor(backend.asarray(random_input((3, 3), seed=2)))
    with pytest.raises(error, match=match):
        call(x, y)


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda x, far: join.cat([x, far]),
            r"cat: all arrays must be on one backend.*tensors\[1\]",
        ),
        (lambda x, far: join.stack([far, x]), "stack: all arrays must be on one backend"),
        (lambda x, far: join.maximum(x, far), "maximum: all arrays must be on one backend.*other"),
        (lambda x, far: x.min(far), "minimum: all arrays must be on one backend"),
        (lambda x, far: x.clamp(max=far), "Tensor.clamp: all arrays must be on one backend.*max"),
    ],
)
def test_join_functions_reject_mixed_backends(backend, call, match):
    x = Tensor(backend.asarray(random_input((2, 3), seed=1)))
    with pytest.raises(TypeError, match=match):
        call(x, elsewhere(backend, random_input((2, 3), seed=2)))


@pytest.mark.parametrize(
    "backward, arrays",
    [
        (join.concatenate_backward, [np.zeros((2, 3)), np.zeros((1, 3))]),
        (join.stack_arrays_backward, [np.zeros((2, 3)), np.zeros((2, 3))]),
        (join.elementwise_max_backward, [np.zeros((2, 3)), np.zeros(3)]),
        (join.elementwise_min_backward, [np.zeros((2, 3)), np.zeros(3)]),
        (join.clamp_backward, [np.zeros((2, 3)), np.zeros(3), np.ones(3)]),
    ],
)
def test_join_backwards_check_grad_output(backend, backward, arrays):
    """A gradient of another shape is refused, not broadcast into the slices."""
    arrays = [backend.asarray(a) for a in arrays]
    with pytest.raises(ArgumentError, match=f"{backward.__name__}: grad_output must have"):
        backward(backend.asarray(np.ones((4, 4))), *arrays)
