"""Tensor creation (``xpnet.zeros``, ``tensor``, ``arange``, ``randn``, ...) against PyTorch.

The same call runs in xpnet and in torch; shapes, dtypes and values must agree, and the
result must be on the backend under test (the current one) unless ``device`` says otherwise.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import backend_of, to_backend
from xpnet.kernels import ArgumentError


def dtype_name(value) -> str:
    """A torch or NumPy dtype's name, ``float32``."""
    return str(value).removeprefix("torch.") if isinstance(value, torch.dtype) else value.name


def check_like_torch(result, expected, backend, exact=True):
    assert isinstance(result, xpnet.Tensor)
    assert backend_of(result.array).name == backend.name
    assert result.shape == tuple(expected.shape)
    assert dtype_name(result.dtype) == dtype_name(expected.dtype)
    got = xpnet.to_numpy(result.array)
    if exact or got.dtype.kind != "f":
        np.testing.assert_array_equal(got, expected.numpy())
    else:  # ranges: PyTorch's CPU lanes round differently, within an ulp or two
        tiny = np.finfo(got.dtype).eps
        np.testing.assert_allclose(got, expected.numpy(), rtol=3 * tiny, atol=tiny)


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("zeros", (2, 3), {}),
        ("zeros", ((2, 3),), {}),
        ("zeros", ([4],), {"dtype": "int32"}),
        ("zeros", ((),), {}),
        ("zeros", (0, 3), {}),
        ("ones", (3,), {"dtype": "float64"}),
        ("ones", ((1, 2, 1),), {"dtype": "int64"}),
        ("full", ((2,), 7), {}),
        ("full", ((2, 2), 0.5), {}),
        ("full", ([1],), {"fill_value": True}),
        ("full", ((3,), float("nan")), {}),
        ("full", ((2,), 3), {"dtype": "float64"}),
        ("eye", (3,), {}),
        ("eye", (2, 4), {"dtype": "int64"}),
        ("eye", (0,), {}),
        ("zeros", (), {"size": (2, 3)}),  # PyTorch's parser takes size by keyword too
        ("ones", (), {"size": [2], "dtype": "int64"}),
    ],
)
def test_filled_tensors_match_torch(backend, name, args, kwargs):
    torch_kwargs = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
    expected = getattr(torch, name)(*args, **torch_kwargs)
    check_like_torch(getattr(xpnet, name)(*args, **kwargs), expected, backend)


def test_empty_has_the_shape_and_dtype_asked_for(backend):
    x = xpnet.empty(2, 3, dtype=xpnet.float64)
    assert x.shape == (2, 3) and x.dtype == np.float64 and backend_of(x.array) is backend


def test_requires_grad_makes_a_leaf_that_gets_a_gradient(backend):
    x = xpnet.ones(2, 3, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(xpnet.to_numpy(x.grad), np.full((2, 3), 3.0, np.float32))


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like"])
def test_like_functions_keep_shape_dtype_and_backend_unless_given(backend, name):
    source = xpnet.Tensor(backend.asarray(np.arange(6.0).reshape(2, 3)))
    function = getattr(xpnet, name)
    extra = (2.5,) if name == "full_like" else ()
    same = function(source, *extra)
    assert same.shape == (2, 3) and same.dtype == np.float64 and backend_of(same.array) is backend
    other = function(source.array, *extra, dtype=xpnet.int32, device="numpy")  # an array too
    assert other.dtype == np.int32 and backend_of(other.array).name == "numpy"
    if name != "empty_like":
        expected = getattr(torch, name)(torch.zeros(2, 3, dtype=torch.float64), *extra)
        check_like_torch(same, expected, backend)


@pytest.mark.parametrize(
    "data",
    [
        [[1.0, 2.0], [3.0, 4.5]],
        [1, 2, 3],
        [True, False],
        [1, 2.5],
        3.0,
        7,
        [],
        [[]],
        np.float64(1.5),
        np.int32(3),
        np.arange(4, dtype=np.float64),
        np.arange(4, dtype=np.int16).reshape(2, 2),
    ],
)
def test_tensor_matches_torch_dtypes_and_values(backend, data):
    expected = torch.tensor(data)
    result = xpnet.tensor(data)
    host = isinstance(data, (np.ndarray, np.generic))
    want = xpnet.backends.load_backend("numpy") if host else backend  # arrays keep their place
    check_like_torch(result, expected, want)


@pytest.mark.parametrize(
    ("data", "dtype"),
    [([300], "uint8"), ([-256], "uint8"), ([float("nan")], "int64"), ([1e20], "int64"),
     ([[128]], "int8"), ([255.9], "uint8"), ([float("inf")], "int32")],
)  # fmt: skip
def test_tensor_refuses_python_numbers_past_an_integer_dtype_as_torch(backend, data, dtype):
    """PyTorch's ``c10::overflows`` for Python data (NumPy wrapped 300 to 44 in uint8)."""
    with pytest.raises(RuntimeError, match="cannot be converted to type"):
        torch.tensor(data, dtype=getattr(torch, dtype))
    with pytest.raises(RuntimeError, match=f"tensor: value .* cannot be converted to type {dtype}"):
        xpnet.tensor(data, dtype=getattr(xpnet, dtype))


def test_tensor_wraps_what_torch_wraps(backend):
    """Negative ints down to -255 wrap into uint8, as PyTorch's; arrays are not checked."""
    check_like_torch(
        xpnet.tensor([-1, -255, 3], dtype=xpnet.uint8),
        torch.tensor([-1, -255, 3], dtype=torch.uint8),
        backend,
    )
    wrapped = xpnet.tensor(np.array([300]), dtype=xpnet.uint8)
    assert wrapped.tolist() == torch.tensor(np.array([300]), dtype=torch.uint8).tolist()


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_by_keyword_and_positionally_is_refused_as_torch(name):
    with pytest.raises(TypeError, match="multiple values for argument 'size'"):
        getattr(xpnet, name)(2, size=(3,))
    assert getattr(xpnet, name)(size=(2, 3)).shape == (2, 3)


def test_tensor_copies_and_detaches(backend):
    source = xpnet.Tensor(backend.asarray(np.ones(3)), requires_grad=True)
    copy = xpnet.tensor(source)
    assert not copy.requires_grad and copy.grad_fn is None and backend_of(copy.array) is backend
    source.array[0] = 5.0
    assert copy.tolist() == [1.0, 1.0, 1.0]
    cast = xpnet.tensor(source, dtype=xpnet.float32, requires_grad=True, device="numpy")
    assert cast.dtype == np.float32 and cast.requires_grad
    assert backend_of(cast.array).name == "numpy"


def test_as_tensor_shares_memory_where_it_can(backend):
    array = backend.asarray(np.zeros(3, dtype=np.float32))
    shared = xpnet.as_tensor(array)
    assert shared.array is array
    tensor = xpnet.Tensor(array)
    assert xpnet.as_tensor(tensor) is tensor
    cast = xpnet.as_tensor(array, dtype=xpnet.float64)
    assert cast.dtype == np.float64 and cast.array is not array
    assert xpnet.as_tensor([1, 2]).dtype == np.int64


def test_from_numpy_shares_memory_and_refuses_other_things():
    array = np.arange(3.0)
    tensor = xpnet.from_numpy(array)
    array[1] = 9.0
    assert tensor.tolist() == [0.0, 9.0, 2.0] and backend_of(tensor.array).name == "numpy"
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        xpnet.from_numpy([1.0])
    with pytest.raises(TypeError, match="from_numpy: can't convert an array of dtype object"):
        xpnet.from_numpy(np.array([object()]))


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((5,), {}),
        ((1, 10, 3), {}),
        ((10, 1, -2), {}),
        ((0, 1, 0.1), {}),
        ((-1.5, 2.5, 0.5), {}),
        ((5.0,), {}),
        ((0, 10), {"dtype": "float64"}),
        ((0, 10, 3), {"dtype": "float32"}),
        ((0.5, 4), {"dtype": "int64"}),
        ((3, 3), {}),
        ((0, 1, 1e-3), {}),
        ((-7, 2**40, 2**37), {}),
    ],
)
def test_arange_matches_torch(backend, args, kwargs):
    torch_kwargs = {k: getattr(torch, v) for k, v in kwargs.items()}
    expected = torch.arange(*args, **torch_kwargs)
    result = xpnet.arange(*args, **kwargs)
    check_like_torch(result, expected, backend, exact=False)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((0, 1, 5), {}),
        ((-1, 1, 7), {}),
        ((3, 3, 1), {}),
        ((2, 5, 1), {}),
        ((0, 1, 0), {}),
        ((1, 0, 4), {}),
        ((0, 10, 4), {"dtype": "int64"}),
        ((-3.5, 1e3, 101), {"dtype": "float64"}),
        ((0.1, 0.7, 1000), {}),
        ((0.0, 0.3, 31), {}),  # AutoAugment's shear bins: float64 then float32 misses 2 of them
        ((-1e-3, 7.3, 64), {"dtype": "float16"}),
    ],
)
def test_linspace_matches_torch_and_hits_both_ends(backend, args, kwargs):
    torch_kwargs = {k: getattr(torch, v) for k, v in kwargs.items()}
    expected = torch.linspace(*args, **torch_kwargs)
    result = xpnet.linspace(*args, **kwargs)
    check_like_torch(result, expected, backend, exact=kwargs.get("dtype") != "float16")
    if args[2] > 1:
        ends = xpnet.to_numpy(result.array)[[0, -1]]
        np.testing.assert_array_equal(ends, expected.numpy()[[0, -1]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_is_pytorchs_cpu_kernel_value_for_value(dtype):
    """Each value one multiply-add rounded once, in the dtype: over random ranges and lengths
    every value equals PyTorch's (computing in float64 and rounding missed ~90 % of ranges)."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        start, end = rng.uniform(-100.0, 100.0, 2)
        steps = int(rng.integers(2, 300))
        expected = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
        got = xpnet.to_numpy(xpnet.linspace(start, end, steps, dtype=dtype).array)
        np.testing.assert_array_equal(got, expected, err_msg=f"{start}, {end}, {steps}")


def test_device_places_the_result(backend):
    assert backend_of(xpnet.zeros(2, device="numpy").array).name == "numpy"
    on_host = backend.name if backend.name != "cupy" else "numpy"
    assert backend_of(xpnet.ones(2, device="cpu").array).name == on_host
    assert backend_of(xpnet.arange(3, device=xpnet.device("cpu")).array).name == on_host


def test_cuda_without_a_gpu_says_why():
    if xpnet.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        xpnet.zeros(2, device="cuda")


def test_random_tensors_are_the_same_on_every_backend_for_one_seed(backend):
    def draw():
        xpnet.manual_seed(7)
        return [xpnet.rand(3, 4), xpnet.randn(5), xpnet.randint(2, 9, (6,)), xpnet.randperm(8)]

    with xpnet.use_backend("numpy"):
        reference = [xpnet.to_numpy(t.array) for t in draw()]
    for tensor, expected in zip(draw(), reference, strict=True):
        assert backend_of(tensor.array) is backend
        np.testing.assert_array_equal(xpnet.to_numpy(tensor.array), expected)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_rand_and_randn_draw_their_distributions(backend, dtype):
    xpnet.manual_seed(0)
    uniform = xpnet.to_numpy(xpnet.rand(20000, dtype=dtype).array)
    normal = xpnet.to_numpy(xpnet.randn(100, 200, dtype=dtype).array)
    assert uniform.dtype == dtype and normal.dtype == dtype
    assert uniform.min() >= 0 and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.01
    assert abs(normal.astype(np.float64).mean()) < 0.03
    assert abs(normal.astype(np.float64).std() - 1) < 0.03


def test_random_functions_take_a_numpy_generator_and_like_arguments(backend):
    first = xpnet.randn(4, generator=np.random.default_rng(3))
    second = xpnet.randn(4, generator=np.random.default_rng(3))
    assert first.tolist() == second.tolist()
    source = xpnet.Tensor(backend.asarray(np.zeros((2, 3))))
    for like in (xpnet.rand_like(source), xpnet.randn_like(source, requires_grad=True)):
        assert (
            like.shape == (2, 3) and like.dtype == np.float64 and backend_of(like.array) is backend
        )
    perm = xpnet.randperm(50, generator=np.random.default_rng(0))
    assert sorted(perm.tolist()) == list(range(50)) and perm.dtype == np.int64


@pytest.mark.parametrize(
    "call",
    [
        lambda: xpnet.randint(10, (4,)),
        lambda: xpnet.randint(3, 10, (4,)),
        lambda: xpnet.randint(3, 10, size=(4,)),
        lambda: xpnet.randint(high=10, size=(4,)),
        lambda: xpnet.randint(3, high=10, size=[4]),
        lambda: xpnet.randint(low=3, high=10, size=(4,), dtype="float32"),
    ],
)
def test_randint_takes_torch_overloads(backend, call):
    x = call()
    values = xpnet.to_numpy(x.array)
    assert x.shape == (4,) and backend_of(x.array) is backend
    assert values.min() >= 0 and values.max() < 10 and (values == np.round(values)).all()


def test_dtype_names_are_torch_names():
    for name in ["float16", "half", "float32", "float", "float64", "double", "uint8", "int8",
                 "int16", "short", "int32", "int", "int64", "long", "bool"]:  # fmt: skip
        assert getattr(xpnet, name).name == dtype_name(getattr(torch, name)), name
    assert xpnet.get_default_dtype().name == dtype_name(torch.get_default_dtype()) == "float32"
    x = xpnet.tensor([1, 2]).to(xpnet.float64)
    assert x.dtype == np.float64


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: xpnet.zeros(-1), ArgumentError, r"zeros: size must be non-negative, got \(-1,\)"),
        (lambda: xpnet.ones(2.5), TypeError, "ones: size must be an int, got float 2.5"),
        (lambda: xpnet.zeros(2, dtype="nope"), TypeError, "zeros: dtype must be a dtype"),
        (lambda: xpnet.zeros(2, dtype="int64", requires_grad=True), TypeError,
         "zeros: only floating-point Tensors can require gradients, got int64"),
        (lambda: xpnet.full(3, 1.0), TypeError, "full: size must be a sequence of ints, got 3"),
        (lambda: xpnet.full((2,), "a"), TypeError, "full: fill_value must be a number, got str"),
        (lambda: xpnet.zeros_like([1.0]), TypeError, "zeros_like: input must be a Tensor"),
        (lambda: xpnet.arange(0, 1, 0), ArgumentError, "arange: step must be nonzero"),
        (lambda: xpnet.arange(1, 0), ArgumentError, "arange: upper bound and larger bound"),
        (lambda: xpnet.arange(float("nan")), ArgumentError, "arange: end must be finite"),
        (lambda: xpnet.arange("3"), TypeError, "arange: end must be a number, got str '3'"),
        (lambda: xpnet.linspace(0, 1, -1), ArgumentError, "linspace: number of steps must be"),
        (lambda: xpnet.linspace(0, 1, 2.5), TypeError, "linspace: steps must be an int"),
        (lambda: xpnet.eye(-1), ArgumentError, "eye: size must be non-negative"),
        (lambda: xpnet.rand(2, dtype="int64"), TypeError, "rand: dtype must be floating point"),
        (lambda: xpnet.randn(2, generator=torch.Generator()), TypeError,
         "randn: generator must be a numpy.random.Generator or an xpnet.Generator, got Generator"),
        (lambda: xpnet.randint(5, 5, (2,)), ArgumentError, "randint: low must be less than high"),
        (lambda: xpnet.randint(10, 3), TypeError, "randint: size must be a tuple of ints, got 3"),
        (lambda: xpnet.randint(), TypeError, "randint: missing the size argument"),
        (lambda: xpnet.randint(size=(2,)), TypeError, "randint: missing the high argument"),
        (lambda: xpnet.randint(1.5, (2,)), TypeError, "randint: high must be an int"),
        (lambda: xpnet.randperm(-1), ArgumentError, "randperm: n must be non-negative"),
        (lambda: xpnet.tensor([[1], [1, 2]]), ValueError, "tensor: data must be a number or"),
        (lambda: xpnet.tensor(["a"]), TypeError, "tensor: data must be numbers, got <U1"),
        (lambda: xpnet.tensor(object()), TypeError, "tensor: data must be numbers, got object"),
    ],
)  # fmt: skip
def test_bad_arguments_raise_errors_that_name_the_function(backend, call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_sizes_that_cannot_fit_raise_memory_error_at_once(backend, name):
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=rf"{name}: a Tensor of shape \(1000000, 1000000"):
        getattr(xpnet, name)(10**6, 10**6, 10)
    assert time.perf_counter() - start < 1.0


def test_created_tensors_feed_layers(backend):
    xpnet.manual_seed(0)
    layer = xpnet.nn.Linear(4, 2)
    out = layer(xpnet.randn(3, 4))
    target = to_backend(np.zeros((3, 2), np.float32))
    loss = ((out - xpnet.Tensor(target)) ** 2).mean()
    loss.backward()
    assert layer.weight.grad.shape == (2, 4)


def test_generator_has_torch_generator_methods_and_numpy_numbers(backend):
    fresh = [xpnet.Generator(), xpnet.Generator(device="cuda")]
    assert fresh[0].initial_seed() == torch.Generator().initial_seed()  # reproducible unseeded
    assert fresh[0].random(3).tolist() == fresh[1].random(3).tolist()
    g = xpnet.Generator().manual_seed(42)
    assert g.initial_seed() == 42 and isinstance(g, np.random.Generator)
    state = g.get_state()
    first = xpnet.randn(4, generator=g)
    assert first.tolist() == xpnet.randn(4, generator=g.set_state(state)).tolist()
    assert first.tolist() == xpnet.randn(4, generator=np.random.default_rng(42)).tolist()
    drawn = g.seed()
    assert isinstance(drawn, int) and g.initial_seed() == drawn
    with pytest.raises(TypeError, match="Generator.manual_seed: seed must be an int, got 1.5"):
        g.manual_seed(1.5)


def test_generators_feed_initialisers_loaders_and_random_split():
    dataset = xpnet.data.TensorDataset(np.arange(20.0))
    split = xpnet.data.random_split(dataset, [15, 5], generator=xpnet.Generator().manual_seed(3))
    again = xpnet.data.random_split(dataset, [15, 5], seed=3)
    assert split[1].indices.tolist() == again[1].indices.tolist()
    loader = xpnet.data.DataLoader(
        dataset, batch_size=20, shuffle=True, generator=xpnet.Generator()
    )
    assert sorted(next(iter(loader))[0].tolist()) == list(range(20))
    weight = np.zeros((3, 4))
    xpnet.nn.init.normal_(weight, generator=xpnet.Generator().manual_seed(1))
    assert weight.any()
    with pytest.raises(ValueError, match="random_split: give generator or seed, not both"):
        xpnet.data.random_split(dataset, [15, 5], xpnet.Generator(), seed=1)
    with pytest.raises(TypeError, match="random_split: generator must be a numpy.random.Generator"):
        xpnet.data.random_split(dataset, [15, 5], torch.Generator())


@pytest.fixture
def float64_default():
    xpnet.set_default_dtype(xpnet.float64)
    torch.set_default_dtype(torch.float64)
    yield
    xpnet.set_default_dtype(xpnet.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(2),
        lambda lib: lib.full((2,), 0.5),
        lambda lib: lib.tensor([1.0, 2.0]),
        lambda lib: lib.tensor([1j]),
        lambda lib: lib.arange(0.0, 1.0, 0.25),
        lambda lib: lib.linspace(0, 1, 3),
        lambda lib: lib.eye(2),
        lambda lib: lib.randn(2),
        lambda lib: lib.tensor([3, 4]).div(lib.tensor([2, 2])),
        lambda lib: lib.nn.Linear(2, 1).weight,
    ],
)
def test_set_default_dtype_changes_the_defaults_as_torch(backend, float64_default, call):
    assert xpnet.get_default_dtype() == np.float64
    assert dtype_name(call(xpnet).dtype) == dtype_name(call(torch).dtype)


def test_set_default_dtype_refuses_non_float_dtypes():
    for bad in (xpnet.int64, "nope", bool):
        with pytest.raises(TypeError, match="set_default_dtype: only floating-point dtypes"):
            xpnet.set_default_dtype(bad)
    assert xpnet.get_default_dtype() == np.float32
