"""NumPy on the CPU that refuses what CuPy would refuse: CPU-only CI proves kernels GPU-ready.

There is no CuPy emulator to install, so this is a small one. Its arrays (:class:`StrictArray`)
wrap a NumPy array and behave like ``cupy.ndarray`` where CuPy is stricter than NumPy:

- no implicit conversion to NumPy: ``np.asarray(x)`` and ``x + numpy_array`` raise
  ``TypeError``, and so does ``np.sum(x)`` (stricter than CuPy, which forwards the ``np.*``
  functions it implements to ``cupy.*``: kernels must say ``xp``); host data enters only
  through ``xp.asarray``/``xp.array`` or :func:`asarray` (NumPy arrays are refused even as
  indices, which CuPy would copy in silently), and leaves only through :func:`to_host`,
  ``x.get()`` or ``x.item()``;
- the namespace ``xp`` offers only the names CuPy 14 has (``xp.errstate``, ``xp.block`` and
  ``xp.random`` are missing; ``erf`` lives in ``cupyx.scipy.special``, not here), and refuses
  the keywords CuPy's signatures lack (``out=`` in ``einsum``, ``initial=``/``where=`` in
  reductions, ``writeable=`` in ``as_strided``); lists and tuples are not arrays, so
  ``xp.prod(shape)`` fails as on CuPy;
- reductions and scalar indexing return 0-d arrays, not NumPy scalars, as CuPy does;
- inside kernels (:func:`xpnet.backends.host_sync_forbidden`) an implicit device-to-host copy
  (``float(x)``, ``bool(x)``, ``if x:``, ``int(x)``, ``x.item()``, ``x.tolist()``) raises;
- window views from :func:`as_strided` are read-only; ``scatter_add`` and ``xp.add.at``
  refuse the dtypes CuPy's atomics lack (``int64`` among them), and ufunc methods exist only
  where CuPy has them (``xp.maximum.reduce`` raises ``NotImplementedError``);
- the generator from :func:`default_rng` has only the methods of ``cupy.random.Generator``.

It cannot catch differences in CuPy's numerics (summation order, fast-math kernels), speed,
asynchronous execution, GPU memory limits, or the host syncs CuPy performs internally
(boolean-mask indexing, ``xp.nonzero``, ``xp.unique``). The tables below were generated from
``cupy-cuda13x`` 14.2 with ``dir`` and ``inspect.signature``; ``tests/test_cupy_api.py``
checks them against the installed CuPy.

Example:
    >>> import numpy as np
    >>> from xpnet.backends import host_sync_forbidden, load_backend
    >>> strict = load_backend("strict")
    >>> x = strict.xp.arange(3.0)
    >>> x * 2 + 1, x.sum()
    (strict_array([1., 3., 5.]), strict_array(3.))
    >>> np.asarray(x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: Implicit conversion to a NumPy array is not allowed ...
    >>> with host_sync_forbidden():  # as inside every @kernel
    ...     float(x.sum())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    RuntimeError: strict: float(x) inside a kernel copies a value from the device to the host...
    >>> strict.to_host(x)
    array([0., 1., 2.])
"""

from __future__ import annotations

import functools
import platform

import numpy

from . import is_host_sync_forbidden, numpy_backend
from ._base import host_free_memory, one_block_at_a_time, run_in_order

name = "strict"

# Names in both NumPy 2.4 and CuPy 14 (top level; submodules below).
_CUPY_NAMES = frozenset(
    """
    abs absolute acos acosh add all allclose amax amin angle any append apply_along_axis
    apply_over_axes arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin
    argpartition argsort argwhere around array array2string array_equal array_equiv array_repr
    array_split array_str asanyarray asarray asarray_chkfinite ascontiguousarray asfortranarray
    asin asinh astype atan atan2 atanh atleast_1d atleast_2d atleast_3d average bartlett
    base_repr binary_repr bincount bitwise_and bitwise_count bitwise_invert bitwise_left_shift
    bitwise_not bitwise_or bitwise_right_shift bitwise_xor blackman bool bool_ broadcast
    broadcast_arrays broadcast_shapes broadcast_to byte c_ can_cast cbrt cdouble ceil choose
    clip column_stack common_type complex128 complex64 complexfloating compress concat
    concatenate conj conjugate convolve copy copysign copyto corrcoef correlate cos cosh
    count_nonzero cov cross csingle cumprod cumsum cumulative_prod cumulative_sum deg2rad
    degrees delete diag diag_indices diag_indices_from diagflat diagonal diff digitize divide
    divmod dot double dsplit dstack dtype e ediff1d einsum empty empty_like equal euler_gamma
    exp exp2 expand_dims expm1 extract eye fabs fill_diagonal finfo fix flatiter flatnonzero
    flip fliplr flipud float16 float32 float64 float_power floating floor floor_divide fmax fmin
    fmod format_float_positional format_float_scientific frexp from_dlpack frombuffer fromfile
    fromfunction fromiter fromstring full full_like gcd generic genfromtxt get_printoptions
    gradient greater greater_equal half hamming hanning heaviside histogram histogram2d
    histogramdd hsplit hstack hypot i0 identity iinfo imag index_exp indices inexact inf inner
    int16 int32 int64 int8 int_ intc integer interp intersect1d intp invert isclose iscomplex
    iscomplexobj isdtype isfinite isfortran isin isinf isnan isneginf isposinf isreal isrealobj
    isscalar issubdtype iterable ix_ kaiser kron lcm ldexp left_shift less less_equal lexsort
    linspace load loadtxt log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not
    logical_or logical_xor logspace long longlong mask_indices matmul matrix_transpose max
    maximum may_share_memory mean median meshgrid mgrid min min_scalar_type minimum mintypecode
    mod modf moveaxis multiply nan nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax
    nanmean nanmedian nanmin nanprod nanstd nansum nanvar ndarray ndim ndindex negative newaxis
    nextafter nonzero not_equal number ogrid ones ones_like outer packbits pad partition
    percentile permute_dims pi piecewise place poly poly1d polyadd polyfit polymul polysub
    polyval positive pow power printoptions prod promote_types ptp put put_along_axis putmask
    quantile r_ rad2deg radians ravel ravel_multi_index real real_if_close reciprocal remainder
    repeat require reshape resize result_type right_shift rint roll rollaxis roots rot90 round
    row_stack s_ save savetxt savez savez_compressed searchsorted select set_printoptions
    setdiff1d setxor1d shape shares_memory short show_config sign signbit signedinteger sin sinc
    single sinh size sort sort_complex split sqrt square squeeze stack std subtract sum swapaxes
    take take_along_axis tan tanh tensordot tile trace transpose trapezoid tri tril tril_indices
    tril_indices_from trim_zeros triu triu_indices triu_indices_from true_divide trunc typename
    ubyte ufunc uint uint16 uint32 uint64 uint8 uintc uintp ulong ulonglong union1d unique
    unique_all unique_counts unique_inverse unique_values unpackbits unravel_index
    unsignedinteger unwrap ushort vander var vdot vectorize vsplit vstack where zeros zeros_like
""".split()
)
_CUPY_SUBMODULE_NAMES = {
    "linalg": frozenset(
        "LinAlgError cholesky cond cross det eig eigh eigvals eigvalsh inv lstsq matmul "
        "matrix_power matrix_rank matrix_transpose norm pinv qr slogdet solve svd tensorinv "
        "tensorsolve".split()
    ),
    "fft": frozenset(
        "fft fft2 fftfreq fftn fftshift hfft ifft ifft2 ifftn ifftshift ihfft irfft irfft2 irfftn "
        "rfft rfft2 rfftfreq rfftn".split()
    ),
    "lib.stride_tricks": frozenset(["as_strided", "sliding_window_view"]),
}
# Keywords NumPy accepts but CuPy's function does not: {keywords: functions}.
_REFUSED_GROUPS = {
    "initial where": "amax amin max min nanmax nanmin nanprod nansum prod sum",
    "where": "all any mean nanmean",
    "correction mean where": "nanstd nanvar std var",
    "casting order out": "einsum",  # CuPy's einsum takes only dtype= and optimize=
    "max min": "clip",  # NumPy's **kwargs hide these from the generated table
    "": "ndarray.clip",  # ... while x.clip(min=, max=) is fine on CuPy
    "subok writeable": "lib.stride_tricks.as_strided",
    "device": "astype empty_like full_like linspace ones_like zeros_like fft.fftfreq fft.rfftfreq",
    "device like": "asanyarray asarray empty eye full ones zeros",
    "device like start_or_stop": "arange",
    "like": "ascontiguousarray asfortranarray identity require tri",
    "like ndmax object": "array",
    "subok": "broadcast_arrays broadcast_to copy",
    "kind order": "argpartition partition",
    "order stable": "argsort sort",
    "keepdims": "count_nonzero",
    "mode": "show_config take",
    "sorted": "unique",
    "sparse": "indices",
    "kind": "isin",
    "axis": "lexsort trim_zeros",
    "weights": "percentile quantile",
    "count": "unpackbits",
    "encoding fix_imports max_header_size": "load",
    "out": "fft.fft fft.fft2 fft.fftn fft.hfft fft.ifft fft.ifft2 fft.ifftn fft.ihfft fft.irfft "
    "fft.irfft2 fft.irfftn fft.rfft fft.rfft2 fft.rfftn",
    "upper": "linalg.cholesky",
    "hermitian": "linalg.svd",
    "hermitian rtol": "linalg.pinv",
    "A hermitian rtol": "linalg.matrix_rank",
    # positional parameters that CuPy names differently: passing them by keyword fails
    "m": "cov flip fliplr flipud rot90",
    "a": "array_str histogram linalg.matrix_power",
    "arrays": "concat concatenate stack",
    "x": "corrcoef linalg.matrix_transpose",
    "arr": "extract take_along_axis",
    "ar1 ar2": "intersect1d union1d",
    "shape": "reshape unravel_index",
    "obj": "delete",
    "ary": "ediff1d",
    "x1 x2": "linalg.matmul",
}
_REFUSED = {
    function: frozenset(keywords.split())
    for keywords, functions in _REFUSED_GROUPS.items()
    for function in functions.split()
}
_UFUNC_KEYWORDS = frozenset(["out", "dtype", "casting"])  # cupy.ufunc.__call__ takes these only
# Functions whose first argument may be a list or tuple on CuPy (a shape, or a sequence of
# arrays); every other function wants an array or a scalar there.
_TAKES_SEQUENCES = frozenset(
    "array asarray asanyarray ascontiguousarray zeros ones empty full indices concatenate concat "
    "stack hstack vstack dstack column_stack broadcast_shapes result_type can_cast ndim shape "
    "size einsum meshgrid broadcast_arrays ix_ ravel_multi_index select isscalar iterable "
    "fromiter".split()
)
_NOT_EMULATED = {"random": "kernels take generators from backend.default_rng(seed)"}
_HOST_DATA_OK = frozenset(["array", "asarray", "asanyarray"])  # CuPy copies host data in
_METHODS = frozenset(
    "T all any argmax argmin argpartition argsort astype base byteswap choose clip compress conj "
    "conjugate copy cumprod cumsum data device diagonal dot dtype dump dumps fill flags flatten "
    "imag itemsize mT max mean min nbytes ndim nonzero partition prod put ravel real repeat "
    "reshape round searchsorted shape size sort squeeze std strides sum swapaxes take tobytes "
    "tofile trace transpose var view".split()
)
_GENERATOR_METHODS = frozenset(
    "beta binomial chisquare dirichlet exponential f gamma geometric hypergeometric integers "
    "logseries poisson power random standard_exponential standard_gamma standard_normal "
    "uniform".split()
)
# The ufunc methods CuPy implements, and for which ufuncs (cupy/_core/_kernel.pyx)
_UFUNC_METHODS = {
    "reduce": ("add", "multiply"),
    "accumulate": ("add", "multiply"),
    "reduceat": ("add",),
    "at": ("add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"),
    "outer": None,  # every ufunc
}
# ufunc.at / cupyx.scatter_add with index arrays use atomics, which exist for these dtypes only
# (cupy/_core/_routines_indexing.pyx; the other ufuncs' limits are not checked)
_SCATTER_DTYPES = {
    "add": ("float16", "float32", "float64", "int32", "uint32", "uint64"),
    "maximum": ("float32", "float64", "int32", "uint32", "uint64"),
    "minimum": ("float32", "float64", "int32", "uint32", "uint64"),
}


def _unwrap(value, where, host_ok=False):
    """The NumPy array inside ``value`` (recursing into lists and tuples)."""
    if isinstance(value, StrictArray):
        return value._array
    if isinstance(value, numpy.ndarray):
        if not host_ok:
            msg = (
                f"strict: {where} got a NumPy array; CuPy does not mix host and device arrays. "
                "Move it first with xp.asarray(x) (or backend.asarray)"
            )
            raise TypeError(msg)
        return value.copy()  # a host-to-device copy: the result must not alias host memory
    if isinstance(value, (list, tuple)):
        items = [_unwrap(item, where, host_ok) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def _operand(value, where):
    """An operator's other operand: CuPy refuses NumPy arrays, lists and tuples there."""
    if isinstance(value, (list, tuple)):
        msg = f"strict: {where} got a {type(value).__name__}; CuPy wants an array or a scalar"
        raise TypeError(msg)
    return _unwrap(value, where)


def _wrap(value):
    """NumPy results as StrictArrays; NumPy scalars become 0-d arrays, as on CuPy."""
    if isinstance(value, numpy.ndarray):
        return StrictArray(value)
    if isinstance(value, numpy.generic):
        return StrictArray(numpy.asarray(value))
    if isinstance(value, (list, tuple)):
        items = [_wrap(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def _check_keywords(where, kwargs, refused):
    bad = sorted(refused.intersection(kwargs))
    if bad:
        msg = f"strict: {where} got keyword(s) {', '.join(bad)}, which CuPy 14 does not accept"
        raise TypeError(msg)


def _function(path, function, refused=None):
    """``function`` taking and returning StrictArrays, with CuPy's keyword and input rules."""
    refused = _REFUSED.get(path, frozenset()) if refused is None else refused
    host_ok = path in _HOST_DATA_OK
    # a method's first argument is not its array: x.reshape((2, 3)) is fine
    takes_sequences = path in _TAKES_SEQUENCES or path.startswith("ndarray.")

    where = f"xp.{path}()"

    def call(*args, **kwargs):
        _check_keywords(where, kwargs, refused)
        if args and not takes_sequences and isinstance(args[0], (list, tuple)):
            kind = type(args[0]).__name__
            msg = f"strict: {where} got a {kind}; CuPy wants an array (use xp.asarray)"
            raise TypeError(msg)
        args = _unwrap(args, where, host_ok)
        kwargs = {key: _unwrap(value, where, host_ok) for key, value in kwargs.items()}
        return _wrap(function(*args, **kwargs))

    call.__name__ = call.__qualname__ = path.rpartition(".")[2]
    call.__doc__ = f"CuPy-strict wrapper of numpy.{path}."
    return call


class _Ufunc:
    """A NumPy ufunc with ``cupy.ufunc``'s keywords; its methods refuse ``initial``/``where``."""

    def __init__(self, path, ufunc):
        self._path, self._ufunc, self.__name__ = path, ufunc, ufunc.__name__

    def __call__(self, *args, **kwargs):
        where = f"xp.{self._path}()"
        _check_keywords(where, kwargs, set(kwargs) - _UFUNC_KEYWORDS)
        args = [_operand(arg, where) for arg in args]
        kwargs = {key: _unwrap(value, where) for key, value in kwargs.items()}
        return _wrap(self._ufunc(*args, **kwargs))

    def __getattr__(self, attr):
        if attr in ("nin", "nout", "nargs", "types"):
            return getattr(self._ufunc, attr)
        if attr not in _UFUNC_METHODS:
            msg = f"strict: cupy.ufunc has no attribute {attr!r}"
            raise AttributeError(msg)
        supported = _UFUNC_METHODS[attr]
        if supported is not None and self.__name__ not in supported:
            return functools.partial(_not_implemented, f"xp.{self.__name__}.{attr}", supported)
        if attr == "at":
            return functools.partial(_scatter, self.__name__)
        refused = frozenset(["initial", "where"])  # cupy.ufunc.reduce & co. lack them
        return _function(f"{self._path}.{attr}", getattr(self._ufunc, attr), refused)

    def __repr__(self):
        return f"<strict ufunc {self.__name__!r}>"


def _not_implemented(where, supported, *args, **kwargs):
    msg = f"strict: CuPy 14 implements {where} only for {', '.join(supported)}"
    raise NotImplementedError(msg)  # as CuPy does


def _scatter(ufunc, target, indices, values=None):
    """``xp.<ufunc>.at`` with CuPy's dtype limits (``numpy.<ufunc>.at`` is unbuffered too)."""
    allowed = _SCATTER_DTYPES.get(ufunc, (target.dtype.name,))
    if target.dtype.name not in allowed:
        allowed = ", ".join(allowed)
        msg = f"strict: {ufunc}.at on CuPy supports only {allowed} (atomics), got {target.dtype}"
        raise TypeError(msg)
    where = f"xp.{ufunc}.at()"
    getattr(numpy, ufunc).at(
        _unwrap(target, where), _unwrap(indices, where), _unwrap(values, where)
    )


class _Namespace:
    """A module-like view of NumPy that offers only ``names`` (those CuPy 14 has)."""

    def __init__(self, path, module, names, **overrides):
        self._path, self._module, self._names = path, module, names
        self.__name__ = "xpnet.strict" + (f".{path}" if path else "")
        self.__dict__.update(overrides)

    def __getattr__(self, attr):
        path = f"{self._path}.{attr}" if self._path else attr
        if attr.startswith("__") or attr not in self._names:
            reason = _NOT_EMULATED.get(path, "CuPy 14 has no such name")
            msg = f"strict: xp.{path} is refused: {reason}"
            raise AttributeError(msg)
        value = getattr(self._module, attr)
        if isinstance(value, numpy.ufunc):
            value = _Ufunc(path, value)
        elif callable(value) and not isinstance(value, type):
            value = _function(path, value)
        setattr(self, attr, value)  # cache: later lookups skip __getattr__
        return value

    def __dir__(self):
        return sorted(self._names | {key for key in self.__dict__ if not key.startswith("_")})

    def __repr__(self):
        return f"<strict namespace {self.__name__}>"


def _host_sync(where):
    if is_host_sync_forbidden():
        msg = (
            f"strict: {where} inside a kernel copies a value from the device to the host, which "
            "stalls the GPU on CuPy; keep it an array, or copy explicitly with backend.to_host"
        )
        raise RuntimeError(msg)


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
        if attr.startswith("_") or attr not in _METHODS:
            msg = f"strict: cupy.ndarray has no attribute {attr!r}, so StrictArray refuses it"
            raise AttributeError(msg)
        value = getattr(self._array, attr)
        if not callable(value):
            return _wrap(value)
        # methods lack the keywords their functions lack: x.sum(initial=0) fails too
        path = f"ndarray.{attr}"
        return _function(path, value, _REFUSED.get(path, _REFUSED.get(attr, frozenset())))

    def get(self):
        """A NumPy copy (``cupy.ndarray.get``): an explicit device-to-host copy."""
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
        return _wrap(self._array[_unwrap(key, "indexing")])

    def __setitem__(self, key, value):
        self._array[_unwrap(key, "indexing")] = _operand(value, "item assignment")

    def __copy__(self):
        return StrictArray(self._array.copy())

    def __deepcopy__(self, memo):
        return StrictArray(self._array.copy())

    def __reduce__(self):
        return StrictArray, (self._array,)

    def __repr__(self):
        return "strict_" + repr(self._array)

    def __str__(self):
        return str(self._array)


def _binary(method):
    def operator(self, other):
        return _wrap(getattr(self._array, method)(_operand(other, f"x.{method}")))

    operator.__name__ = method
    return operator


def _inplace(method):
    def operator(self, other):
        result = getattr(self._array, method)(_operand(other, f"x.{method}"))
        return self if result is self._array else result

    operator.__name__ = method
    return operator


def _unary(method):
    def operator(self):
        return _wrap(getattr(self._array, method)())  # 0-d: NumPy gives a scalar

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

ndarray = StrictArray


def _read_only_strided(x, shape=None, strides=None):
    # read-only, unlike CuPy's views: a kernel writing through windows is caught here
    return numpy.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


as_strided = _function("lib.stride_tricks.as_strided", _read_only_strided)
_stride_tricks = _Namespace(
    "lib.stride_tricks",
    numpy.lib.stride_tricks,
    _CUPY_SUBMODULE_NAMES["lib.stride_tricks"],
    as_strided=as_strided,
)
xp = _Namespace(
    "",
    numpy,
    _CUPY_NAMES,
    ndarray=StrictArray,
    linalg=_Namespace("linalg", numpy.linalg, _CUPY_SUBMODULE_NAMES["linalg"]),
    fft=_Namespace("fft", numpy.fft, _CUPY_SUBMODULE_NAMES["fft"]),
    lib=_Namespace("lib", numpy.lib, frozenset(), stride_tricks=_stride_tricks),
)


def scatter_add(target, indices, values):
    _scatter("add", target, indices, values)


def asarray(obj, dtype=None):
    if isinstance(obj, StrictArray):
        return obj if dtype is None else obj.astype(dtype, copy=False)
    return StrictArray(numpy.array(_unwrap(obj, "asarray", host_ok=True), dtype=dtype))


def to_host(x):
    return numpy.array(x._array if isinstance(x, StrictArray) else x, copy=True)


def synchronize():
    """Runs eagerly on NumPy: nothing to wait for."""


class _Generator:
    """``numpy.random.Generator`` limited to ``cupy.random.Generator``'s methods."""

    def __init__(self, seed):
        self._rng = numpy.random.default_rng(seed)

    def __getattr__(self, attr):
        if attr not in _GENERATOR_METHODS:
            msg = (
                f"strict: cupy.random.Generator has no {attr!r}; e.g. permutation(n) is "
                "xp.argsort(rng.random(n)) and normal(m, s, size) is m + s * standard_normal(size)"
            )
            raise AttributeError(msg)
        method = getattr(self._rng, attr)

        def call(*args, dtype=None, **kwargs):
            # CuPy's uniform takes dtype=, NumPy's does not: cast afterwards
            if dtype is not None and attr != "uniform":
                kwargs["dtype"] = dtype
            result = _wrap(method(*args, **kwargs))
            return result.astype(dtype) if dtype is not None and attr == "uniform" else result

        return call


def default_rng(seed=None):
    return _Generator(seed)


def device_name():
    return f"cpu ({platform.processor() or platform.machine()}, CuPy-strict NumPy)"


free_memory = host_free_memory
block_bytes = numpy_backend.block_bytes
# in order, on the calling thread: its guard against implicit host syncs is per thread
map_blocks = run_in_order
block_threads = one_block_at_a_time

# the arithmetic is NumPy's, so NumPy's warning switches apply
ignore_float_errors = numpy_backend.ignore_float_errors
