"""PyTorch's dtype names as NumPy dtypes, and the dtype of data that does not say its own.

``xpnet.float32``, ``xpnet.long``, ``xpnet.half``, ... are the NumPy dtypes of the same
names, so that ``dtype=torch.float32`` ports as ``dtype=xpnet.float32``; every xpnet function
that takes a dtype also takes NumPy's dtypes and names (``"float32"``). :mod:`xpnet._creation`
uses :func:`inferred_dtype` for Python data, as ``torch.tensor`` does: Python floats become
the default dtype (float32 unless :func:`set_default_dtype` says otherwise), ints
int64 and bools bool, where NumPy would give float64 and the
platform's int. :func:`result_dtype` is ``torch.result_type``; :func:`torch_operands` casts
the operands of the operators and binary methods to it, where NumPy's promotion differs.

The aliases that are also Python builtins (``xpnet.float``, ``xpnet.int``, ``xpnet.bool``)
are assigned in ``xpnet/__init__.py`` only, so that this module keeps Python's builtins.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings

import numpy

bool_ = numpy.dtype("bool")
uint8 = numpy.dtype("uint8")
int8 = numpy.dtype("int8")
int16 = short = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = long = numpy.dtype("int64")
float16 = half = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = double = numpy.dtype("float64")


_default_float = float32  # set_default_dtype's, process-wide as PyTorch's


def set_default_dtype(d) -> None:
    """Make ``d`` (float16, float32 or float64) the dtype of floating-point Tensors made
    without a dtype, as ``torch.set_default_dtype``: Python floats in :func:`xpnet.tensor`,
    ``zeros``, ``arange``, ``randn``, ..., layers' new parameters, and integer division.

    Raises:
        TypeError: for a dtype that is not floating point.

    Example:
        >>> import xpnet
        >>> xpnet.set_default_dtype(xpnet.float64)
        >>> xpnet.zeros(2).dtype, xpnet.nn.Linear(2, 1).weight.dtype
        (dtype('float64'), dtype('float64'))
        >>> xpnet.set_default_dtype(xpnet.float32)
    """
    global _default_float
    try:  # None is refused first: NumPy reads it as float64
        dtype = None if d is None else numpy.dtype(d)
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind != "f":
        msg = f"set_default_dtype: only floating-point dtypes are supported, got {d!r}"
        raise TypeError(msg)
    _default_float = dtype


def get_default_dtype() -> numpy.dtype:
    """The dtype of floating-point Tensors made without a dtype: float32 unless
    :func:`set_default_dtype` said otherwise, as PyTorch's.

    Example:
        >>> import xpnet
        >>> xpnet.get_default_dtype()
        dtype('float32')
    """
    return _default_float


def floating(tensor):
    """``tensor`` (a Tensor), cast to the default dtype if it holds integers or bools:
    PyTorch's result dtype of float-valued functions of integers (``sigmoid``, ``rsqrt``,
    ``logsumexp``)."""
    return tensor if tensor.dtype.kind in "fc" else tensor.to(get_default_dtype())


def inferred_dtype(host: numpy.ndarray) -> numpy.dtype:
    """The dtype PyTorch gives Python data that NumPy read as ``host``: the default dtype
    (float32) for floats, int64 for ints, bool for bools, the matching complex dtype for
    complex numbers.

    Example:
        >>> inferred_dtype(numpy.asarray([1.0, 2.0])), inferred_dtype(numpy.asarray(3))
        (dtype('float32'), dtype('int64'))
    """
    kind = host.dtype.kind
    if kind == "f":
        return get_default_dtype()
    if kind in "iu":
        return int64
    if kind == "c":
        return numpy.dtype("complex128" if get_default_dtype() == float64 else "complex64")
    return host.dtype


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # PyTorch's: bool < integer < float


def promoted(higher, lower, categories_only=False):
    """PyTorch's promotion of two dtypes, ``torch.promote_types`` (a float beats any integer,
    where NumPy widens it; a float and a complex give NumPy's: float64 and complex64 are
    complex128); ``categories_only``: ``lower`` counts only if of a higher category, or
    ``higher`` is bool (a complex ``lower`` then gives ``higher``'s complex counterpart)."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    first, second = _CATEGORY[higher.kind], _CATEGORY[lower.kind]
    if categories_only and first >= second and higher.kind != "b":
        return higher
    if categories_only and (first, second) == (2, 3):  # float32 and a 0-d complex128: complex64
        return numpy.promote_types(higher, numpy.complex64)
    if first != second and max(first, second) >= 2 and min(first, second) < 2:
        return higher if first > second else lower
    return numpy.promote_types(higher, lower)


def can_cast(source: numpy.dtype, target: numpy.dtype) -> bool:
    """PyTorch's ``torch.can_cast``: a result may go into a tensor of ``target`` unless it
    is of a higher category (a float into integers, an integer into bools); any width."""
    return _CATEGORY[source.kind] <= _CATEGORY[target.kind]


def result_dtype(*operands) -> numpy.dtype:
    """PyTorch's result dtype of ``operands`` (arrays, Python numbers), as ``torch.result_type``:
    arrays with dimensions decide, then 0-d arrays, then numbers (a Python float is float32),
    each of the later only by a higher category (``int64 array`` and ``0.5``: float32).

    Raises:
        TypeError: for an operand with no PyTorch dtype (``None``, a str, a list).
        OverflowError: for an int past int64 and uint64, as PyTorch.

    Example:
        >>> result_dtype(numpy.arange(3), 0.5), result_dtype(numpy.arange(3), True)
        (dtype('float32'), dtype('int64'))
    """
    groups = [None, None, None]
    for position, operand in enumerate(operands):
        if hasattr(operand, "dtype"):
            group, dtype = (0 if operand.ndim else 1), operand.dtype
        else:
            group, dtype = 2, inferred_dtype(numpy.asarray(operand))
        if dtype.kind == "O" and isinstance(operand, numbers.Integral):  # PyTorch's class
            msg = f"xpnet.result_type: operand {position}, {operand}, overflows int64 and uint64"
            raise OverflowError(msg)
        # None, a str, a list: NumPy reads them, PyTorch refuses them
        if dtype.kind not in _CATEGORY or (group == 2 and not isinstance(operand, numbers.Number)):
            got = f"{type(operand).__name__} {operand!r}"
            msg = f"xpnet.result_type: operand {position} must be a Tensor or a number, got {got}"
            raise TypeError(msg)
        groups[group] = promoted(groups[group], dtype)
    return promoted(groups[0], promoted(groups[1], groups[2], True), True)


def as_dtype(value, dtype):
    """``value`` (a Tensor, an array or a number) in ``dtype``: a number stays a number."""
    if not hasattr(value, "dtype"):
        return value
    if value.dtype == dtype:
        return value
    return value.to(dtype) if hasattr(value, "grad_fn") else value.astype(dtype)


def _number_dtype(number) -> numpy.dtype | None:
    """The dtype a Python number takes in PyTorch's promotion, ``None`` for anything else."""
    if isinstance(number, bool):
        return bool_
    if isinstance(number, int):
        return int64
    if isinstance(number, float | complex):
        return inferred_dtype(numpy.asarray(number))
    return None


def integer_range(dtype: numpy.dtype, integral: bool) -> tuple[int, int]:
    """The lowest and highest value PyTorch's ``c10::overflows`` lets into integer ``dtype``:
    its range, except that an ``integral`` value down to ``-max`` wraps into an unsigned one
    (``-1``: 255)."""
    info = numpy.iinfo(dtype)
    return (-info.max if dtype.kind == "u" and integral else info.min), info.max


def wrapped(number, dtype: numpy.dtype):
    """A Python int outside an integer ``dtype``'s range, wrapped into it as PyTorch's
    arithmetic does (NumPy raises OverflowError for it)."""
    bits = 8 * dtype.itemsize
    number %= 1 << bits  # two's complement: a Python int, so that NumPy takes it weakly
    return number - (1 << bits) if dtype.kind == "i" and number >> (bits - 1) else number


def checked_scalar(where: str, name: str, value, dtype: numpy.dtype):
    """``value`` (a Python or NumPy number) as it is written into a tensor of ``dtype`` by a
    fill (``fill_``, ``full``, ``masked_fill``, a ``clamp`` bound); an ArgumentError naming
    ``where`` and ``name`` where PyTorch's ``c10::overflows`` refuses it: a finite value past
    a float dtype's largest, a value outside an integer dtype's range or a NaN or inf for an
    integer dtype. A negative int for an unsigned dtype wraps (``-1``: 255), as PyTorch's.

    Example:
        >>> checked_scalar("Tensor.fill_", "value", -1, numpy.dtype(numpy.uint8))
        255
        >>> try:
        ...     checked_scalar("Tensor.fill_", "value", 1e5, numpy.dtype(numpy.float16))
        ... except RuntimeError as error:  # and ValueError
        ...     print(error)
        Tensor.fill_: value 100000.0 cannot be converted to float16 without overflow (largest 65504)
    """
    if dtype.kind not in "fiu" or isinstance(value, bool | numpy.bool_ | complex):
        return value
    if dtype.kind == "f":
        largest = float(numpy.finfo(dtype).max)
        if math.isinf(value) or math.isnan(value) or -largest <= value <= largest:
            return value
        shown = f"largest {largest:g}"
    else:
        integral = isinstance(value, numbers.Integral)
        lowest, highest = integer_range(dtype, integral)
        if not math.isnan(value) and lowest <= value <= highest:
            return wrapped(int(value), dtype) if integral else value
        info = numpy.iinfo(dtype)
        shown = f"range {info.min} to {info.max}"
    from .kernels import ArgumentError  # here: the kernels import this module

    msg = f"{where}: {name} {value!r} cannot be converted to {dtype} without overflow ({shown})"
    raise ArgumentError(msg)


def opmath(function):
    """``function(a, b)`` of a float16 array and a Python number computed in float32, rounded
    once to float16, as PyTorch's ``mul`` and ``div`` ("opmath"; its ``add`` rounds the number):
    NumPy rounds the number to float16 first, so ``x * 1e-5`` would lose digits and
    ``x / 70000`` divide by inf. Anything else as given."""

    @functools.wraps(function)
    def widened(a, b):
        array, number = (a, b) if hasattr(a, "dtype") else (b, a)
        if getattr(array, "dtype", None) != float16 or not isinstance(number, int | float):
            return function(a, b)
        wide = array.astype(float32)
        return function(*((wide, b) if array is a else (a, wide))).astype(float16)

    return widened


def check_broadcast(shape_a, shape_b) -> None:
    """PyTorch's ``RuntimeError`` (an ArgumentError) for two shapes that do not broadcast,
    naming the first dimension from the right where they differ (NumPy's is a ValueError)."""
    ndim = max(len(shape_a), len(shape_b))
    for k in range(1, min(len(shape_a), len(shape_b)) + 1):
        a, b = shape_a[-k], shape_b[-k]
        if a != b and a != 1 and b != 1:
            from .kernels import ArgumentError  # here: the kernels import this module

            msg = (
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                f"non-singleton dimension {ndim - k}"
            )
            raise ArgumentError(msg)


def broadcasts_to(shape, target) -> bool:
    """Whether an operand of ``shape`` broadcasts to ``target`` (in ``x += y``, ``y`` to ``x``)."""
    if len(shape) > len(target):
        return False
    return all(n in (1, m) for n, m in zip(reversed(shape), reversed(target), strict=False))


def torch_operands(a, b, true_division: bool = False, subtraction: bool = False):
    """``(a, b)``, cast to :func:`result_dtype` where NumPy's promotion would differ from
    PyTorch's: an integer Tensor meeting a Python float becomes float32 (NumPy: float64), a
    0-d float64 Tensor leaves a float32 one float32, bools raised to a power become int64
    (NumPy: int8). With ``true_division`` integers and bools become the default float dtype
    (``int / int``). ``a`` and ``b`` are Tensors, arrays or Python numbers (at least one an
    array); the result is what the operator then computes on, with NumPy's rules agreeing.
    With ``subtraction``, bools are refused as PyTorch refuses them (an ArgumentError)."""
    dtype_a, dtype_b = getattr(a, "dtype", None), getattr(b, "dtype", None)
    if subtraction and (bool_ in (dtype_a, dtype_b) or isinstance(a, bool) or isinstance(b, bool)):
        from .kernels import ArgumentError  # here: the kernels import this module

        both = "two bool tensors" if dtype_a == dtype_b == bool_ else "a bool tensor"
        hint = "use ^ or logical_xor()" if "two" in both else "to invert a mask, use ~"
        raise ArgumentError(f"Tensor.sub: subtraction with {both} is not supported; {hint}")
    if dtype_a is not None and dtype_b is not None:
        if a.shape != b.shape:
            check_broadcast(a.shape, b.shape)
        dtype = dtype_a if dtype_a == dtype_b else result_dtype(a, b)
    elif (dtype_a or dtype_b).kind == "f" and isinstance(a if dtype_a is None else b, int | float):
        return a, b  # a float array and a real number: NumPy's rule is PyTorch's
    else:
        number_dtype = _number_dtype(a if dtype_a is None else b)
        if number_dtype is None:  # a list, say: NumPy's rules
            return a, b
        dtype = result_dtype(a, b)
        if dtype.kind in "iu" and number_dtype.kind == "i" and not true_division:
            a, b = (a, wrapped(b, dtype)) if dtype_b is None else (wrapped(a, dtype), b)
    if true_division and dtype.kind in "iub":
        dtype = get_default_dtype()
    return as_dtype(a, dtype), as_dtype(b, dtype)


def pow_operands(base, exponent):
    """:func:`torch_operands` of ``base ** exponent`` (``base`` a Tensor or an array), after
    PyTorch's checks of a number ``exponent``, which it does not wrap: an ArgumentError for a
    negative one with an integer or bool base, or one the base's integer dtype (or float16)
    cannot hold (``int8`` to the 300th)."""
    kind = base.dtype.kind
    if isinstance(exponent, numbers.Integral) and not isinstance(exponent, bool):
        if exponent < 0 and kind in "iub":
            from .kernels import ArgumentError  # here: the kernels import this module

            msg = "Tensor.pow: Integers to negative integer powers are not allowed"
            raise ArgumentError(f"{msg}, got exponent {exponent}")
        if kind in "iu":  # a float exponent gives floats: not checked, as PyTorch
            checked_scalar("Tensor.pow", "exponent", exponent, base.dtype)
    if isinstance(exponent, numbers.Real) and base.dtype == numpy.float16:
        checked_scalar("Tensor.pow", "exponent", exponent, base.dtype)
    return torch_operands(base, exponent)


def real_part_for(array, dtype, stacklevel: int = 2):
    """``array``, or its real part where a complex ``array`` is cast to a real ``dtype``, with
    PyTorch's ``UserWarning`` (NumPy's ``ComplexWarning``, a RuntimeWarning, must not leak);
    ``stacklevel`` counts from the caller of this function."""
    if array.dtype.kind == "c" and numpy.dtype(dtype).kind != "c":
        msg = "Casting complex values to real discards the imaginary part"
        warnings.warn(msg, UserWarning, stacklevel=stacklevel + 1)
        return array.real
    return array
