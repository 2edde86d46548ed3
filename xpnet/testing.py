"""``xpnet.testing``: PyTorch's ``torch.testing.assert_close`` and ``make_tensor`` for xpnet
Tensors, NumPy/CuPy arrays and Python numbers.

:func:`assert_close` compares as PyTorch 2.13's (the same pairs: ``None``, bools, numbers,
tensor-likes; sequences and mappings item by item; the same default tolerances per dtype,
checks and messages), with xpnet's names in the attribute messages (``(2,) != (3,)``,
``float32 != float64``). :func:`make_tensor` draws from xpnet's generator
(:func:`xpnet.manual_seed`) in PyTorch's value ranges.

Example:
    >>> import xpnet
    >>> from xpnet.testing import assert_close, make_tensor
    >>> x = make_tensor(2, 3, dtype=xpnet.float32, low=0, high=1)
    >>> assert_close(x, x.clone())
"""

from __future__ import annotations

import collections.abc
import math

import numpy

from ._dtypes import result_dtype
from ._random_tensors import rand, randint
from ._tensor_elementwise import closeness
from .autograd import Tensor
from .backends import backend_of, float_errors_ignored
from .kernels import ArgumentError

__all__ = ["assert_close", "make_tensor"]

# PyTorch's default (rtol, atol) by dtype; integers and bools compare exactly
_PRECISIONS = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
               "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}  # fmt: skip
_NUMBER_DTYPES = {bool: "bool", int: "int64", float: "float64", complex: "complex128"}


class _Mismatch(Exception):
    """A failed comparison: the exception type to raise, its message and the item's path;
    ``structural`` for what PyTorch finds before comparing values (lengths, keys, types,
    tolerances), whose message ``assert_close``'s ``msg`` does not replace, as PyTorch's."""

    def __init__(self, kind: type, msg: str, path: tuple = (), structural: bool = False):
        super().__init__(msg)
        self.kind, self.msg, self.path, self.structural = kind, msg, path, structural


def _tolerances(dtypes, rtol, atol) -> tuple[float, float]:
    """PyTorch's ``get_tolerances``: both given, or the loosest defaults of ``dtypes``."""
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        msg = f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}."
        raise _Mismatch(ValueError, msg, structural=True)
    if rtol is not None:
        return rtol, atol
    pairs = [_PRECISIONS.get(str(numpy.dtype(dtype)), (0.0, 0.0)) for dtype in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _difference_lines(abs_diff, abs_at, rel_diff, rel_at, rtol, atol) -> tuple[str, str]:
    """PyTorch's ``_make_mismatch_msg``: the header's end and the two difference lines
    (the tolerances shown unless both are 0)."""
    equality = rtol == 0 and atol == 0
    lines = []
    for kind, diff, at, tol in (("absolute", abs_diff, abs_at, atol), ("relative", rel_diff, rel_at, rtol)):  # fmt: skip # noqa: E501
        line = f"{kind.title()} difference: {diff}"
        if at is not None:
            line = f"Greatest {kind} difference: {diff} at index {at}"
        lines.append(line if equality else f"{line} (up to {tol} allowed)")
    return f"are not {'equal' if equality else 'close'}!\n\n", "\n".join(lines)


def _scalar_message(actual, expected, rtol, atol) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = math.inf if expected == 0 else abs_diff / abs(expected)
    head, lines = _difference_lines(abs_diff, None, rel_diff, None, rtol, atol)
    return f"Scalars {head}Expected {expected} but got {actual}.\n{lines}"


def _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype) -> None:
    rtol, atol = _tolerances([_NUMBER_DTYPES[type(v)] for v in (actual, expected)], rtol, atol)
    if check_dtype and type(actual) is not type(expected):
        msg = f"The (d)types do not match: {type(actual)} != {type(expected)}."
        raise _Mismatch(AssertionError, msg)
    if actual == expected or (equal_nan and _isnan(actual) and _isnan(expected)):
        return
    difference = abs(actual - expected)
    if math.isfinite(difference) and difference <= atol + rtol * abs(expected):
        return
    raise _Mismatch(AssertionError, _scalar_message(actual, expected, rtol, atol))


def _isnan(value) -> bool:
    return value != value


def _array(value):
    return value.array if isinstance(value, Tensor) else value


def _stride(value) -> tuple:
    array = _array(value)
    return tuple(s // array.itemsize for s in array.strides)


def _device(value):
    return value.device if isinstance(value, Tensor) else backend_of(value).name


def _check_attributes(actual, expected, check_device, check_dtype, check_stride) -> None:
    checks = [("shape", tuple(actual.shape), tuple(expected.shape))]
    if check_stride and math.prod(actual.shape) > 1:
        checks.append(("stride()", _stride(actual), _stride(expected)))
    checks.append(("device", _device(actual), _device(expected)) if check_device else None)
    checks.append(("dtype", actual.dtype, expected.dtype) if check_dtype else None)
    for name, left, right in filter(None, checks):
        if left != right:
            msg = f"The values for attribute '{name}' do not match: {left} != {right}."
            raise _Mismatch(AssertionError, msg)


def _tensor_message(xp, a, b, matches, rtol, atol) -> str:
    """PyTorch's ``make_tensor_mismatch_msg``: counts, the greatest differences among the
    mismatches with their indices (integers in int64, their ratio in float32)."""
    total, mismatched = matches.size, int(matches.size - xp.sum(matches))
    if a.dtype.kind not in "fc":
        a, b = a.astype("int64"), b.astype("int64")
    abs_diff = xp.where(matches, 0, xp.abs(a - b)).reshape(-1)
    rel_diff = abs_diff / xp.abs(b).reshape(-1)
    if a.dtype.kind not in "fc":
        rel_diff = rel_diff.astype("float32")
    rel_diff = xp.where(matches.reshape(-1), 0, rel_diff)
    at = [numpy.unravel_index(int(xp.argmax(d)), a.shape) for d in (abs_diff, rel_diff)]
    values = [d[int(xp.argmax(d))].item() for d in (abs_diff, rel_diff)]
    indices = [tuple(int(i) for i in index) for index in at]
    head, lines = _difference_lines(values[0], indices[0], values[1], indices[1], rtol, atol)
    share = f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})"
    return f"Tensor-likes {head}{share}\n{lines}"


def _compare_tensors(actual, expected, rtol, atol, equal_nan, checks) -> None:
    rtol, atol = _tolerances([actual.dtype, expected.dtype], rtol, atol)
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if not tolerance >= 0:  # PyTorch's isclose refuses it (NaN too): a RuntimeError
            msg = f"assert_close: {name} must be greater than or equal to zero, got {tolerance}"
            raise _Mismatch(ArgumentError, msg, structural=True)
    _check_attributes(actual, expected, *checks)
    a, b = _array(actual), _array(expected)
    xp = backend_of(a, b, names=("actual", "expected"), where="assert_close").xp
    if a.dtype != b.dtype:  # check_dtype=False: both in PyTorch's common dtype
        dtype = result_dtype(a, b)
        a, b = a.astype(dtype), b.astype(dtype)
    with float_errors_ignored():
        matches = closeness(xp, a, b, rtol, atol, equal_nan)  # torch.isclose, as PyTorch's
        if bool(xp.all(matches)):
            return
        if a.ndim == 0:
            msg = _scalar_message(a.item(), b.item(), rtol, atol)
        else:
            msg = _tensor_message(xp, a, b, matches, rtol, atol)
    raise _Mismatch(AssertionError, msg)


def _is_array(value) -> bool:
    return isinstance(value, Tensor) or (hasattr(value, "shape") and hasattr(value, "dtype"))


def _compare_leaves(
    actual, expected, rtol, atol, equal_nan, allow_subclasses, checks, values=True
) -> None:
    """PyTorch's pairs in its order: ``None``, bools, numbers, tensor-likes; with ``values``
    False only the pair found and its tolerances checked (PyTorch finds every pair first)."""
    if actual is None or expected is None:
        if values and not (actual is None and expected is None):
            raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}")
        return
    bools = (bool, numpy.bool_)
    if isinstance(actual, bools) and isinstance(expected, bools):
        if values and bool(actual) != bool(expected):
            msg = f"Booleans mismatch: {bool(actual)} is not {bool(expected)}"
            raise _Mismatch(AssertionError, msg)
        return
    kinds = (int, float, complex, numpy.number)
    if isinstance(actual, kinds) and isinstance(expected, kinds):
        actual, expected = (
            v.item() if isinstance(v, numpy.number) else v for v in (actual, expected)
        )
        _tolerances([_NUMBER_DTYPES[type(v)] for v in (actual, expected)], rtol, atol)
        if values:
            _compare_numbers(actual, expected, rtol, atol, equal_nan, checks[1])
        return
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    same = type(actual) is type(expected) or allow_subclasses
    if _is_array(actual) and _is_array(expected) and related and same:
        _tolerances([actual.dtype, expected.dtype], rtol, atol)
        if values:
            _compare_tensors(actual, expected, rtol, atol, equal_nan, checks)
        return
    msg = (
        f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}."
    )
    raise _Mismatch(TypeError, msg, structural=True)


def _is_sequence(value) -> bool:
    return isinstance(value, collections.abc.Sequence) and not isinstance(value, str)


def _compare(actual, expected, path, options) -> None:
    """Items of sequences and mappings in turn (their paths recorded), leaves compared."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            msg = f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
            raise _Mismatch(AssertionError, msg, path, structural=True)
        for index, (a, b) in enumerate(zip(actual, expected, strict=True)):
            _compare(a, b, (*path, index), options)
        return
    mappings = collections.abc.Mapping
    if isinstance(actual, mappings) and isinstance(expected, mappings):
        return _compare_mappings(actual, expected, path, options)
    try:
        _compare_leaves(actual, expected, **options)
    except _Mismatch as mismatch:
        raise _Mismatch(mismatch.kind, mismatch.msg, path, mismatch.structural) from None


def _compare_mappings(actual, expected, path, options) -> None:
    if set(actual) != set(expected):
        missing, additional = set(expected) - set(actual), set(actual) - set(expected)
        msg = (
            "The keys of the mappings do not match:\n"
            f"Missing keys in the actual mapping: {sorted(missing)}\n"
            f"Additional keys in the actual mapping: {sorted(additional)}"
        )
        raise _Mismatch(AssertionError, msg, path, structural=True)
    keys = list(actual)
    try:  # deterministic where the keys sort, as PyTorch's
        keys = sorted(keys)
    except TypeError:
        pass
    for key in keys:
        _compare(actual[key], expected[key], (*path, key), options)


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses: bool = True,
    rtol=None,
    atol=None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg=None,
) -> None:
    """Assert that ``actual`` and ``expected`` are close, as ``torch.testing.assert_close``:
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise (NaNs equal only with
    ``equal_nan``), after checking shape, device, dtype and (``check_stride``) strides.

    Args:
        actual, expected: xpnet Tensors, NumPy/CuPy arrays, Python numbers, bools, ``None``,
            or sequences/mappings of them (compared item by item).
        allow_subclasses: accept inputs of directly related types.
        rtol, atol: both or neither; by default PyTorch's per dtype (float16 1e-3/1e-5,
            float32 1.3e-6/1e-5, float64 1e-7/1e-7, integers and bools exact).
        check_layout: accepted for PyTorch's signature (xpnet's layout is always strided).
        msg: a message replacing the generated one, or a callable taking it.

    Raises:
        AssertionError: the values or the checked attributes differ. TypeError: inputs no
            comparison handles (a Tensor beside a list, two strings). ValueError: only one
            of ``rtol``/``atol``. ArgumentError (a RuntimeError): a negative or NaN tolerance
            for tensors. ``msg`` replaces the messages of value and attribute mismatches only,
            as PyTorch's.

    Example:
        >>> import xpnet
        >>> assert_close(xpnet.tensor([1.0, 2.0]), xpnet.tensor([1.0, 2.0 + 1e-6]))
        >>> assert_close(1.0, 1.1)
        Traceback (most recent call last):
        AssertionError: Scalars are not close!
        <BLANKLINE>
        Expected 1.1 but got 1.0.
        Absolute difference: 0.10000000000000009 (up to 1e-07 allowed)
        Relative difference: 0.09090909090909098 (up to 1e-07 allowed)
    """
    del check_layout  # xpnet tensors are strided
    checks = (check_device, check_dtype, check_stride)
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, allow_subclasses=allow_subclasses,
                   checks=checks)  # fmt: skip
    try:
        _compare(actual, expected, (), {**options, "values": False})  # PyTorch's pairs first
        _compare(actual, expected, (), options)
    except _Mismatch as mismatch:
        text = mismatch.msg
        if mismatch.path:
            text += f"\n\nThe failure occurred for item {''.join(str([i]) for i in mismatch.path)}"
        if not mismatch.structural:
            text = msg if isinstance(msg, str) else (msg(text) if callable(msg) else text)
        raise mismatch.kind(text) from None


def _low_high(dtype, low, high, lowest, highest, default_low, default_high):
    """PyTorch's ``modify_low_high``: defaults, checks, clamped into the dtype's range (and
    rounded up for integers)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low >= high and not (low == high and dtype.kind == "f"):
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    if high < lowest or low >= highest:
        msg = f"The value interval specified by `low` and `high` is [{low}, {high}), "
        raise ValueError(msg + f"but {dtype} only supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    return (math.ceil(low), math.ceil(high)) if dtype.kind in "biu" else (low, high)


def make_tensor(
    *shape,
    dtype,
    device=None,
    low=None,
    high=None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
) -> Tensor:
    """A Tensor of ``shape`` drawn uniformly from ``[low, high)``, as
    ``torch.testing.make_tensor`` (xpnet's generator; the values are not PyTorch's).

    Defaults: bools ``[0, 2)``, unsigned integers ``[0, 10)``, signed integers ``[-9, 10)``,
    floats ``[-9, 9)``; ``low``/``high`` beyond the dtype's finite range are clamped.
    ``noncontiguous`` gives a strided view (with two elements or more); ``exclude_zero``
    replaces zeros by 1 (bools, integers) or the dtype's smallest normal number.

    Raises:
        ValueError: ``low >= high``, a NaN bound, a range outside the dtype's, or
            ``requires_grad`` for bools and integers. TypeError: a dtype that is not a
            bool, integer or float dtype.

    Example:
        >>> import xpnet
        >>> x = make_tensor((2, 3), dtype=xpnet.int64, low=0, high=4)
        >>> x.shape, bool(((x >= 0) & (x < 4)).all())
        ((2, 3), True)
    """
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape, dtype = tuple(int(n) for n in shape), numpy.dtype(dtype)
    if dtype.kind not in "biuf":
        raise TypeError(f"make_tensor: the dtype {dtype} is not supported (bool, int or float)")
    if requires_grad and dtype.kind in "biu":
        msg = "`requires_grad=True` is not supported for boolean and integral dtypes, "
        raise ValueError(msg + f"but got dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    drawn = (*shape[:-1], 2 * shape[-1]) if noncontiguous else shape
    result = _drawn(drawn, dtype, device, low, high)
    if noncontiguous:
        result = result[..., 1::2]
    if exclude_zero:
        tiny = 1 if dtype.kind in "biu" else numpy.finfo(dtype).tiny
        result = result.masked_fill(result == 0, tiny)
    return result.requires_grad_(requires_grad) if dtype.kind == "f" else result


def _drawn(shape, dtype, device, low, high) -> Tensor:
    if dtype.kind == "b":
        low, high = _low_high(dtype, low, high, 0, 2, 0, 2)
        return randint(low, high, shape, device=device).to(dtype)
    if dtype.kind in "iu":
        info = numpy.iinfo(dtype)
        highest = info.max + (1 if dtype != numpy.int64 else 0)
        low, high = _low_high(dtype, low, high, info.min, highest, -9, 10)
        return randint(low, high, shape, dtype=dtype, device=device)
    largest = float(numpy.finfo(dtype).max)
    low, high = _low_high(dtype, low, high, -largest, largest, -9, 9)
    unit = rand(*shape, dtype=dtype, device=device)
    if high - low >= largest:  # the width would overflow: PyTorch draws half of it, doubled
        return (unit * (high / 2 - low / 2) + low / 2) * 2
    return unit * (high - low) + low
