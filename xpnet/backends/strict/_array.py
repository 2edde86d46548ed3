"""The strict backend's array, :class:`StrictArray`, and the wrapper every strict function uses.

A StrictArray holds a NumPy array and behaves like ``cupy.ndarray`` where CuPy is stricter than
NumPy: no implicit conversion to NumPy, no NumPy operands, 0-d arrays instead of scalars, no
implicit device-to-host copy inside kernels, only the methods CuPy has.
:func:`strict_function` gives a NumPy function the same rules (keywords CuPy lacks, lists where
CuPy wants arrays). The tables come from :mod:`._cupy_tables`; :mod:`._namespace` builds ``xp``
from :func:`strict_function`; the package's ``__init__`` is the backend. Every call, operator
and copy to the host is reported to :func:`xpnet.profile` through :mod:`._counting`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from .._deferred import host_read
from .._runtime import is_host_sync_forbidden
from ._counting import count_call, count_indexing, count_launch, count_to_host
from ._cupy_tables import HOST_DATA_OK, METHODS, REDUCTIONS, REFUSED, TAKES_SEQUENCES
from ._fused import FusedScalar

__all__ = [
    "StrictArray",
    "check_keywords",
    "operand",
    "strict_function",
    "to_host",
    "unwrap",
    "wrap",
]


class StrictFlags(NamedTuple):
    """``cupy.ndarray.flags``: the three attributes CuPy's ``Flags`` has."""

    c_contiguous: bool
    f_contiguous: bool
    owndata: bool


def unwrap(value, where, host_ok=False):
    """The NumPy array inside ``value`` (recursing into lists and tuples)."""
    if isinstance(value, StrictArray):
        return value._array
    if isinstance(value, FusedScalar):  # a fused function's number, beside an array
        return value.value
    if isinstance(value, numpy.ndarray):
        if not host_ok:
            msg = (
                f"strict: {where} got a NumPy array; CuPy does not mix host and device arrays. "
                "Move it first with xp.asarray(x) (or backend.asarray)"
            )
            raise TypeError(msg)
        return value.copy()  # a host-to-device copy: the result must not alias host memory
    if isinstance(value, (list, tuple)):
        items = [unwrap(item, where, host_ok) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def operand(value, where):
    """An operator's other operand: CuPy refuses NumPy arrays, lists and tuples there."""
    if isinstance(value, (list, tuple)):
        msg = f"strict: {where} got a {type(value).__name__}; CuPy wants an array or a scalar"
        raise TypeError(msg)
    return unwrap(value, where)


def wrap(value):
    """NumPy results as StrictArrays; NumPy scalars become 0-d arrays, as on CuPy."""
    if isinstance(value, numpy.ndarray):
        return StrictArray(value)
    if isinstance(value, numpy.generic):
        return StrictArray(numpy.asarray(value))
    if isinstance(value, (list, tuple)):
        items = [wrap(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def check_keywords(where, kwargs, refused):
    """Raise ``TypeError`` if ``kwargs`` holds one of the ``refused`` keywords."""
    bad = sorted(refused.intersection(kwargs))
    if bad:
        msg = f"strict: {where} got keyword(s) {', '.join(bad)}, which CuPy 14 does not accept"
        raise TypeError(msg)


def strict_function(path, function, refused=None, owner=None):
    """``function`` taking and returning StrictArrays, with CuPy's keyword and input rules;
    ``owner`` is the NumPy array a method is bound to (a view of it is not a launch)."""
    refused = REFUSED.get(path, frozenset()) if refused is None else refused
    host_ok = path in HOST_DATA_OK
    # a method's first argument is not its array: x.reshape((2, 3)) is fine
    takes_sequences = path in TAKES_SEQUENCES or path.startswith("ndarray.")

    where = f"xp.{path}()"
    reduction = path.rpartition(".")[2] in REDUCTIONS

    def call(*args, **kwargs):
        check_keywords(where, kwargs, refused)
        if args and not takes_sequences and isinstance(args[0], (list, tuple)):
            kind = type(args[0]).__name__
            msg = f"strict: {where} got a {kind}; CuPy wants an array (use xp.asarray)"
            raise TypeError(msg)
        host_data = host_ok and bool(args) and not isinstance(args[0], StrictArray)
        args = unwrap(args, where, host_ok)
        kwargs = {key: unwrap(value, where, host_ok) for key, value in kwargs.items()}
        if reduction:
            check_reduction_axis(where, owner, args, kwargs)
        result = function(*args, **kwargs)
        count_call(path, host_data, (owner, args, kwargs), result)
        return wrap(result)

    call.__name__ = call.__qualname__ = path.rpartition(".")[2]
    call.__doc__ = f"CuPy-strict wrapper of numpy.{path}."
    return call


def check_reduction_axis(where, owner, args, kwargs):
    """CuPy's reductions refuse an axis on a 0-d array, which NumPy takes (0 or -1)."""
    array, rest = (owner, args) if owner is not None else (args[0] if args else None, args[1:])
    axis = kwargs.get("axis", rest[0] if rest else None)
    if isinstance(array, numpy.ndarray) and array.ndim == 0 and axis not in (None, ()):
        msg = f"strict: {where}: axis {axis} is out of bounds for a 0-d array (as on CuPy)"
        raise numpy.exceptions.AxisError(msg)


def _host_sync(where):
    if is_host_sync_forbidden():
        msg = (
            f"strict: {where} inside a kernel copies a value from the device to the host, which "
            "stalls the GPU on CuPy; keep it an array, or copy explicitly with backend.to_host"
        )
        raise RuntimeError(msg)
    host_read(f"strict: {where}")
    count_to_host()


class StrictArray:
    """A NumPy array that behaves like ``cupy.ndarray`` where CuPy is stricter than NumPy."""

    __slots__ = ("_array",)
    __array_ufunc__ = None  # numpy_array + strict_array: NumPy defers, then __radd__ refuses
    __hash__ = None

    def __init__(self, array):
        self._array = array

    def __array__(self, dtype=None, copy=None):
        msg = (
            "Implicit conversion to a NumPy array is not allowed (as on CuPy). "
            "Please use `.get()` or backend.to_host(x) to construct a NumPy array explicitly"
        )
        raise TypeError(msg)

    def __array_function__(self, func, types, args, kwargs):
        msg = f"strict: numpy.{func.__name__} does not take device arrays; use xp.{func.__name__}"
        raise TypeError(msg)

    def __getattr__(self, attr):
        if attr.startswith("_") or attr not in METHODS:
            msg = f"strict: cupy.ndarray has no attribute {attr!r}, so StrictArray refuses it"
            raise AttributeError(msg)
        value = getattr(self._array, attr)
        if not callable(value):
            return wrap(value)
        # methods lack the keywords their functions lack: x.sum(initial=0) fails too
        path = f"ndarray.{attr}"
        refused = REFUSED.get(path, REFUSED.get(attr, frozenset()))
        return strict_function(path, value, refused, owner=self._array)

    @property
    def flags(self):
        """CuPy's flags: contiguity and ownership only. There is no ``writeable``: device
        arrays are always writable (code asking for it failed on the GPU, not on NumPy)."""
        array = self._array
        return StrictFlags(array.flags.c_contiguous, array.flags.f_contiguous, array.base is None)

    def __dlpack__(self, **kwargs):
        # as cupy.ndarray: zero-copy export of the memory (a host capsule here); CUDA-aware
        # MPI's stand-in in the tests reads strict arrays in place through it
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._array.__dlpack_device__()

    def get(self):
        """A NumPy copy (``cupy.ndarray.get``): an explicit device-to-host copy."""
        host_read("strict: x.get()")
        count_to_host()
        return self._array.copy()

    def item(self):
        _host_sync("x.item()")
        return self._array.item()

    def tolist(self):
        _host_sync("x.tolist()")
        return self._array.tolist()

    def __bool__(self):
        _host_sync("bool(x) (or `if x:`)")
        return bool(self._array)

    def __float__(self):
        _host_sync("float(x)")
        return float(self._array)

    def __int__(self):
        _host_sync("int(x)")
        return int(self._array)

    def __index__(self):
        _host_sync("using an array as a Python int")
        return self._array.__index__()

    def __complex__(self):
        _host_sync("complex(x)")
        return complex(self._array)

    def __format__(self, spec):
        return format(self.item(), spec) if spec else str(self)

    def __len__(self):
        return len(self._array)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, key):
        key = unwrap(key, "indexing")
        result = self._array[key]
        count_indexing(self._array, key, result)
        return wrap(result)

    def __setitem__(self, key, value):
        self._array[unwrap(key, "indexing")] = operand(value, "item assignment")
        count_launch()

    def __copy__(self):
        count_launch()
        return StrictArray(self._array.copy())

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __reduce__(self):
        return StrictArray, (self._array,)

    def __repr__(self):
        count_to_host()  # CuPy prints a copy on the host
        return "strict_" + repr(self._array)

    def __str__(self):
        count_to_host()
        return str(self._array)


def _binary(method):
    def operator(self, other):
        result = getattr(self._array, method)(operand(other, f"x.{method}"))
        if result is not NotImplemented:
            count_launch()
        return wrap(result)

    operator.__name__ = method
    return operator


def _inplace(method):
    def operator(self, other):
        result = getattr(self._array, method)(operand(other, f"x.{method}"))
        if result is not NotImplemented:
            count_launch()
        return self if result is self._array else result

    operator.__name__ = method
    return operator


def _unary(method):
    def operator(self):
        result = getattr(self._array, method)()
        count_launch()
        return wrap(result)  # 0-d: NumPy gives a scalar

    operator.__name__ = method
    return operator


for _op in "add sub mul truediv floordiv mod pow matmul and or xor lshift rshift".split():
    setattr(StrictArray, f"__{_op}__", _binary(f"__{_op}__"))
    setattr(StrictArray, f"__r{_op}__", _binary(f"__r{_op}__"))
    setattr(StrictArray, f"__i{_op}__", _inplace(f"__i{_op}__"))
for _op in "eq ne lt le gt ge".split():
    setattr(StrictArray, f"__{_op}__", _binary(f"__{_op}__"))
for _op in "neg pos abs invert".split():
    setattr(StrictArray, f"__{_op}__", _unary(f"__{_op}__"))


def to_host(x):
    """A NumPy copy of ``x`` (a StrictArray, or host data): the explicit device-to-host copy."""
    if not isinstance(x, StrictArray):
        return numpy.array(x, copy=True)
    host_read("strict: backend.to_host(x)")
    count_to_host()
    return numpy.array(x._array, copy=True)
