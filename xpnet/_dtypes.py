"""PyTorch's dtype names as NumPy dtypes, and the dtype of data that does not say its own.

``xpnet.float32``, ``xpnet.long``, ``xpnet.half``, ... are the NumPy dtypes of the same
names, so that ``dtype=torch.float32`` ports as ``dtype=xpnet.float32``; every xpnet function
that takes a dtype also takes NumPy's dtypes and names (``"float32"``). :mod:`xpnet._creation`
uses :func:`inferred_dtype` for Python data, as ``torch.tensor`` does: Python floats become
the default dtype (float32 unless :func:`set_default_dtype` says otherwise), ints
int64 and bools bool, where NumPy would give float64 and the
platform's int. :func:`result_dtype` is ``torch.result_type``, for the ops that follow
PyTorch's promotion (``cat``, ``where``, ``maximum``) rather than NumPy's.

The aliases that are also Python builtins (``xpnet.float``, ``xpnet.int``, ``xpnet.bool``)
are assigned in ``xpnet/__init__.py`` only, so that this module keeps Python's builtins.
"""

from __future__ import annotations

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
    try:
        dtype = numpy.dtype(d)
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


def _promoted(higher, lower, categories_only=False):
    """PyTorch's promotion of two dtypes (a float beats any integer, where NumPy widens it);
    ``categories_only``: ``lower`` counts only if of a higher category, or ``higher`` is bool."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    first, second = _CATEGORY[higher.kind], _CATEGORY[lower.kind]
    if categories_only and first >= second and higher.kind != "b":
        return higher
    if first != second and max(first, second) >= 2:
        return higher if first > second else lower
    return numpy.promote_types(higher, lower)


def result_dtype(*operands) -> numpy.dtype:
    """PyTorch's result dtype of ``operands`` (arrays, Python numbers), as ``torch.result_type``:
    arrays with dimensions decide, then 0-d arrays, then numbers (a Python float is float32),
    each of the later only by a higher category (``int64 array`` and ``0.5``: float32)."""
    groups = [None, None, None]
    for operand in operands:
        if hasattr(operand, "dtype"):
            group, dtype = (0 if operand.ndim else 1), operand.dtype
        else:
            group, dtype = 2, inferred_dtype(numpy.asarray(operand))
        groups[group] = _promoted(groups[group], dtype)
    return _promoted(groups[0], _promoted(groups[1], groups[2], True), True)
