"""``xpnet.testing`` against ``torch.testing``: ``assert_close`` passes and fails exactly where
PyTorch's does (the same exception type and message, but for the type and attribute names in
a few messages), on a table of cases built for both libraries; ``make_tensor``'s shapes,
dtypes, value ranges, clamps, options and errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import xpnet
from xpnet.testing import assert_close, make_tensor

NAN, INF = np.nan, np.inf


class Arr:
    """An array for both sides: an xpnet Tensor and a torch tensor (``raw``: a backend array
    and a NumPy array; ``transposed``: a strided view)."""

    def __init__(self, values, dtype="float32", raw=False, transposed=False):
        self.values, self.dtype = np.array(values, dtype=dtype), dtype
        self.raw, self.transposed = raw, transposed

    def build(self, side):
        values = self.values.T.copy() if self.transposed else self.values
        if side == "torch":
            made = values if self.raw else torch.tensor(values)
        else:
            made = xpnet.asarray(values) if self.raw else xpnet.tensor(values)
        return made.T if self.transposed else made


def build(spec, side):
    if isinstance(spec, Arr):
        return spec.build(side)
    if isinstance(spec, (list, tuple)):
        return type(spec)(build(item, side) for item in spec)
    if isinstance(spec, dict):
        return {key: build(value, side) for key, value in spec.items()}
    return spec


SQUARE = [[1.0, 2.0], [3.0, 4.0]]
# (actual, expected, options, exact): exact=False where the message names types or xpnet's
# shapes/dtypes (``(2,)`` for ``torch.Size([2])``, ``float32`` for ``torch.float32``)
CASES = [
    (Arr([1.0, 2.0]), Arr([1.0, 2.0]), {}, True),
    (Arr([1.0, 2.0]), Arr([1.0, 2.0 + 2e-6]), {}, True),
    (Arr([1.0, 2.0, 3.0]), Arr([1.0, 2.5, 3.0]), {}, True),
    (Arr([100.0, 2.0]), Arr([100.001, 2.0]), {}, True),
    (Arr([0.0, 1e-6]), Arr([0.0, 0.0]), {}, True),
    (Arr([10000.0, 1.0]), Arr([10000.01, 1.005]), {}, True),  # the greatest only of mismatches
    (Arr([0.0, 1.0]), Arr([0.0, 0.0]), {}, True),
    (Arr([1.0], "float64"), Arr([1.0 + 5e-8], "float64"), {}, True),
    (Arr([1.0], "float64"), Arr([1.0 + 5e-7], "float64"), {}, True),
    (Arr([1.0], "float16"), Arr([1.0009765625], "float16"), {}, True),
    (Arr([1.0], "float16"), Arr([1.01], "float16"), {}, True),
    (Arr([1, 2, 3], "int64"), Arr([1, 2, 3], "int64"), {}, True),
    (Arr([1, 5, 3], "int64"), Arr([4, 2, 3], "int64"), {}, True),
    (Arr([1, 2], "int64"), Arr([3, 2], "int64"), {}, True),
    (Arr([1, 2, 3], "int32"), Arr([1, 2, 4], "int32"), {"rtol": 0.3, "atol": 0.0}, True),
    (Arr([True, False], "bool"), Arr([True, True], "bool"), {}, True),
    (Arr([[1.0, NAN]]), Arr([[1.0, NAN]]), {}, True),
    (Arr([[1.0, NAN]]), Arr([[1.0, NAN]]), {"equal_nan": True}, True),
    (Arr([INF, -INF]), Arr([INF, -INF]), {}, True),
    (Arr([INF, 1.0]), Arr([-INF, 1.0]), {}, True),
    (Arr([[1.0, 2.0], [3.0, 4.0]]), Arr([[1.0, 2.0], [3.0, 4.0001]]), {}, True),
    (Arr(1.0), Arr(2.0), {}, True),
    (Arr(3, "int64"), Arr(4, "int64"), {}, True),
    (Arr([1.0]), Arr([2.0]), {"rtol": 1.0, "atol": 0.0}, True),
    (Arr([1.0]), Arr([2.0]), {"rtol": 1e-3}, True),
    (Arr([1.0]), Arr([2.0]), {"atol": 1e-3}, True),
    (Arr([1.0]), Arr([2.0]), {"msg": "custom"}, True),
    (Arr([1.0]), Arr([2.0]), {"msg": lambda text: text + "!!"}, True),
    (Arr([1.0, 2.0]), Arr([1.0, 2.0, 3.0]), {}, False),
    (Arr([1.0, 2.0]), Arr([1.0, 2.0], "float64"), {}, False),
    (Arr([1.0, 2.0]), Arr([1.0, 2.0], "float64"), {"check_dtype": False}, True),
    (Arr([1.0, 2.0]), Arr([1.0, 2.5], "float64"), {"check_dtype": False}, True),
    (Arr([1, 2], "int32"), Arr([1, 2], "int64"), {"check_dtype": False}, True),
    (Arr(SQUARE, transposed=True), Arr(SQUARE), {}, True),
    (Arr(SQUARE, transposed=True), Arr(SQUARE), {"check_stride": True}, True),
    (Arr([1.0, 2.0], "float64", raw=True), Arr([1.0, 3.0], "float64", raw=True), {}, True),
    (Arr([1.0, 2.0], "float64", raw=True), Arr([1.0, 2.0], "float64"), {}, False),
    (Arr(1.0), 1.0, {}, False),
    (Arr([1.0, 2.0]), [1.0, 2.0], {}, False),
    (1.0, 1.0 + 1e-8, {}, True),
    (1.0, 1.1, {}, True),
    (1, 2, {}, True),
    (1, 1.0, {}, True),
    (1, 1.0, {"check_dtype": False}, True),
    (NAN, NAN, {}, True),
    (NAN, NAN, {"equal_nan": True}, True),
    (np.float64(1.0), 1.0, {}, True),
    (True, False, {}, True),
    (True, True, {}, True),
    (None, None, {}, True),
    (None, 1, {}, True),
    ("ab", "ab", {}, True),
    ([1.0, 2.0], [1.0, 2.5], {}, True),
    ((1.0, 2.0), [1.0, 2.0], {}, True),
    ([1, 2], [1], {}, True),
    ([Arr([1.0]), (Arr([2.0]), 3.0)], [Arr([1.0]), (Arr([2.0]), 3.5)], {}, True),
    ({"a": 1.0}, {"b": 1.0}, {}, True),
    ({"a": Arr([1.0]), "b": [Arr([2.0])]}, {"a": Arr([1.0]), "b": [Arr([2.5])]}, {}, True),
    ({"a": Arr([1.0])}, {"a": Arr([2.0])}, {"msg": lambda text: "<" + text + ">"}, True),
]


def outcome(function, actual, expected, options):
    try:
        function(actual, expected, **options)
    except Exception as error:  # noqa: BLE001 (the outcome compared is any exception)
        return type(error), str(error)
    return None, None


@pytest.mark.parametrize(("actual", "expected", "options", "exact"), CASES)
def test_assert_close_as_torch(backend, actual, expected, options, exact):
    pair = [(build(actual, side), build(expected, side)) for side in ("torch", "xpnet")]
    theirs = outcome(torch.testing.assert_close, *pair[0], options)
    ours = outcome(assert_close, *pair[1], options)
    assert ours[0] is theirs[0], (ours, theirs)
    if exact:
        assert ours[1] == theirs[1]
    else:  # the same message up to the names
        assert re.split("[:<]", ours[1])[0] == re.split("[:<]", theirs[1])[0]


def test_assert_close_attribute_messages(backend):
    """Shape and dtype mismatches name xpnet's values; the failing item's path is appended."""
    with pytest.raises(AssertionError, match=r"'shape' do not match: \(2,\) != \(3,\)\.$"):
        assert_close(xpnet.zeros(2), xpnet.zeros(3))
    with pytest.raises(AssertionError, match="'dtype' do not match: float32 != float64.$"):
        assert_close(xpnet.zeros(2), xpnet.zeros(2, dtype=xpnet.float64))
    with pytest.raises(AssertionError, match=r"for item \['x'\]\[1\]$"):
        zero, one = xpnet.zeros(1), xpnet.ones(1)
        assert_close({"x": [zero, zero]}, {"x": [zero, one]})
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(xpnet.zeros(1), np.zeros(1, dtype="float32"), allow_subclasses=False)


def test_assert_close_message_contents(backend):
    x = xpnet.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    y = x.clone()
    y[1, 2], y[0, 1] = 5.5, 1.0 + 1e-3
    with pytest.raises(AssertionError) as caught:
        assert_close(x, y)
    lines = str(caught.value).splitlines()
    assert lines[0] == "Tensor-likes are not close!"
    assert lines[2] == "Mismatched elements: 2 / 6 (33.3%)"
    assert lines[3] == "Greatest absolute difference: 0.5 at index (1, 2) (up to 1e-05 allowed)"
    assert lines[4].startswith("Greatest relative difference: 0.0909")
    assert lines[4].endswith("at index (1, 2) (up to 1.3e-06 allowed)")


@pytest.mark.parametrize(
    ("dtype", "low", "high"),
    [("bool", 0, 1), ("uint8", 0, 9), ("int8", -9, 9), ("int32", -9, 9), ("int64", -9, 9),
     ("float16", -9, 9), ("float32", -9, 9), ("float64", -9, 9)],
)  # fmt: skip
def test_make_tensor_default_ranges(backend, dtype, low, high):
    """PyTorch's defaults: bools [0, 2), unsigned [0, 10), signed [-9, 10), floats [-9, 9)."""
    x = make_tensor(4000, dtype=dtype)
    values = x.numpy().astype("float64")
    assert x.shape == (4000,) and x.dtype == np.dtype(dtype) and not x.requires_grad
    assert values.min() >= low and values.max() <= high
    if dtype != "bool" and np.dtype(dtype).kind != "f":  # integers: both ends drawn
        assert values.min() == low and values.max() == high
    else:
        assert values.min() < low + 1 and values.max() > high - 1


def test_make_tensor_shapes_bounds_and_options(backend):
    for shape in [(2, 3), ((2, 3),), ([2, 3],)]:
        assert make_tensor(*shape, dtype=xpnet.float32).shape == (2, 3)
    assert make_tensor(dtype=xpnet.float64).shape == ()
    x = make_tensor(500, dtype=xpnet.uint8, low=-5, high=1000).numpy()
    assert x.min() >= 0 and x.max() <= 255
    x = make_tensor(500, dtype=xpnet.float32, low=2.5, high=3.0).numpy()
    assert x.min() >= 2.5 and x.max() <= 3.0
    x = make_tensor(500, dtype=xpnet.float16, low=-1e10, high=1e10).numpy()
    assert np.isfinite(x).all() and np.abs(x).max() > 1000
    assert make_tensor(3, dtype=xpnet.int64, low=0, high=1, exclude_zero=True).tolist() == [1] * 3
    assert make_tensor(2, dtype=xpnet.bool, low=0, high=1, exclude_zero=True).tolist() == [True] * 2
    xpnet.manual_seed(0)  # float16 draws are multiples of 2**-11: 20000 of them hold zeros
    small = make_tensor(20000, dtype=xpnet.float16, low=0, high=1, exclude_zero=True).numpy()
    assert (small != 0).all() and (small == np.finfo(np.float16).tiny).any()
    y = make_tensor(3, 4, dtype=xpnet.float32, noncontiguous=True, requires_grad=True)
    assert y.shape == (3, 4) and not y.is_contiguous() and y.requires_grad
    assert make_tensor(1, dtype=xpnet.float32, noncontiguous=True).is_contiguous()


@pytest.mark.parametrize(
    "kwargs",
    [{"dtype": "float32", "low": 2, "high": 1}, {"dtype": "int64", "low": 3, "high": 3},
     {"dtype": "float32", "low": NAN}, {"dtype": "int64", "requires_grad": True},
     {"dtype": "uint8", "low": -10, "high": -2}, {"dtype": "complex64"}],
)  # fmt: skip
def test_make_tensor_errors_as_torch(backend, kwargs):
    expected = TypeError  # complex: PyTorch makes complex tensors, xpnet refuses the dtype
    if kwargs["dtype"] != "complex64":
        torch_kwargs = {**kwargs, "dtype": getattr(torch, kwargs["dtype"]), "device": "cpu"}
        with pytest.raises((ValueError, TypeError)) as theirs:
            torch.testing.make_tensor(2, **torch_kwargs)
        expected = theirs.type
    with pytest.raises(expected):
        make_tensor(2, **kwargs)


def test_make_tensor_draws_from_xpnet_generator(backend):
    xpnet.manual_seed(7)
    first = make_tensor(5, dtype=xpnet.float32).tolist()
    xpnet.manual_seed(7)
    assert make_tensor(5, dtype=xpnet.float32).tolist() == first
