"""PyTorch's tensor creation functions: ``tensor``, ``zeros``, ``arange``, ``randn``, ...

Each makes a new :class:`~xpnet.Tensor` with ``torch``'s name, arguments and default dtype
(:func:`xpnet.get_default_dtype`, float32, for floating point, int64 for integers; the names
are :mod:`xpnet._dtypes`'s), on
``device`` (a device string such as ``"cuda"``, or a backend name; default: the current
backend, xpnet's counterpart of PyTorch's default device). Sizes are ints or one sequence of
ints; a size that cannot be allocated is a ``MemoryError`` naming the bytes, before any
allocation. The random ones draw on the host from the generator that
:func:`xpnet.manual_seed` seeds (:mod:`xpnet._random`), or from a NumPy ``generator``, so
that one seed gives the same numbers on every backend (not PyTorch's numbers).
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy

from ._dtypes import checked_scalar, get_default_dtype, inferred_dtype, integer_range
from ._memory_formats import check_memory_format, contiguous_format, preserve_format, relaid
from ._tensor_protocols import data_dtype, host_sequences, leaf_types
from .autograd import Tensor, data_of
from .backends import backend_of, float_errors_ignored, get_backend, load_backend, to_backend
from .devices import backend_name
from .kernels import ArgumentError
from .kernels._blocks import check_fits
from .kernels._checks import UnsupportedDtypeError, check_int

__all__ = [
    "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like", "ones",
    "ones_like", "tensor", "zeros", "zeros_like",
]  # fmt: skip


def target_backend(device):
    return get_backend() if device is None else load_backend(backend_name(device))


def resolve_dtype(where: str, dtype, default) -> numpy.dtype:
    if dtype is None:
        return numpy.dtype(default)
    try:
        return numpy.dtype(dtype)
    except TypeError:
        msg = f"{where}: dtype must be a dtype such as xpnet.float32 or 'float32', got {dtype!r}"
        raise TypeError(msg) from None


def size_keyword(function):
    """``function(*size, ...)`` also called as ``function(size=(2, 3), ...)``, as PyTorch's
    parser takes ``size`` (``torch.zeros(size=(2, 3))``)."""

    @functools.wraps(function)
    def sized(*size, **kwargs):
        if "size" in kwargs:
            if size:
                raise TypeError(f"{function.__name__}() got multiple values for argument 'size'")
            size = (kwargs.pop("size"),)
        return function(*size, **kwargs)

    return sized


def parse_size(where: str, size: tuple) -> tuple[int, ...]:
    """``size`` given as ints (``zeros(2, 3)``) or one sequence (``zeros((2, 3))``)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(check_int(where, "size", n) for n in size)
    if any(n < 0 for n in shape):
        msg = f"{where}: size must be non-negative, got {shape}"
        raise ArgumentError(msg)
    return shape


def allocated(where: str, backend, shape, dtype, make):
    """``make()``, after checking that an array of ``shape`` and ``dtype`` fits."""
    nbytes = math.prod(shape) * dtype.itemsize
    check_fits(where, backend, f"a Tensor of shape {shape} and dtype {dtype}", nbytes)
    return make()


def new_tensor(where: str, array, requires_grad: bool) -> Tensor:
    if requires_grad and array.dtype.kind != "f":
        msg = f"{where}: only floating-point Tensors can require gradients, got {array.dtype}"
        raise UnsupportedDtypeError(msg)  # a TypeError, and PyTorch's RuntimeError
    return Tensor(array, requires_grad=requires_grad)


def _real(where: str, fill, dtype: numpy.dtype):
    """A complex ``fill`` for a number ``dtype``: its real part if it has no imaginary one,
    as PyTorch's (NumPy would drop the imaginary part with a ComplexWarning)."""
    real = isinstance(fill, numbers.Real) or not isinstance(fill, numbers.Complex)
    if real or dtype.kind not in "iuf":  # complex keeps it; bool takes it as bool() does
        return fill
    if fill.imag:
        msg = f"{where}: value {fill} cannot be converted to type {dtype} without overflow"
        raise ArgumentError(msg)
    return fill.real


def _filled(where, fill, size, dtype, device, requires_grad, default=None) -> Tensor:
    backend, shape = target_backend(device), parse_size(where, size)
    dtype = resolve_dtype(where, dtype, get_default_dtype() if default is None else default)
    xp = backend.xp
    if isinstance(fill, numbers.Number):  # 1e6 in float16: refused, as PyTorch
        fill = checked_scalar(where, "fill_value", _real(where, fill, dtype), numpy.dtype(dtype))

    def make():
        if fill is None:
            return xp.empty(shape, dtype=dtype)
        if fill == 0 and not numpy.signbit(numpy.real(fill)):  # -0.0 keeps its sign (PyTorch)
            return xp.zeros(shape, dtype=dtype)
        with float_errors_ignored():  # 1e6 in float16: inf, without NumPy's overflow warning
            return xp.full(shape, fill, dtype=dtype)

    return new_tensor(where, allocated(where, backend, shape, dtype, make), requires_grad)


@size_keyword
def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A Tensor of zeros of ``size`` (ints, or one sequence), as ``torch.zeros``.

    Args:
        size: the shape; none for a 0-d Tensor.
        dtype: default: :func:`xpnet.get_default_dtype` (float32).
        device: ``"cpu"``, ``"cuda"``, a :class:`xpnet.device` or a backend name; default:
            the current backend.
        requires_grad: record operations for autograd (floating-point dtypes only).

    Raises:
        TypeError: for a size that is not ints, or ``requires_grad`` on a non-float dtype.
        ArgumentError: for a negative size.
        MemoryError: for a size the backend cannot allocate (naming the bytes).

    Example:
        >>> import xpnet
        >>> xpnet.zeros(2, 3).shape, xpnet.zeros((2,), dtype=xpnet.int64).tolist()
        ((2, 3), [0, 0])
    """
    return _filled("zeros", 0, size, dtype, device, requires_grad)


@size_keyword
def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ones of ``size``, as ``torch.ones``; arguments as :func:`zeros`'s."""
    return _filled("ones", 1, size, dtype, device, requires_grad)


@size_keyword
def empty(
    *size, dtype=None, device=None, requires_grad: bool = False,
    memory_format=contiguous_format,
) -> Tensor:  # fmt: skip
    """An uninitialised Tensor of ``size``, as ``torch.empty``; arguments as :func:`zeros`'s,
    and ``memory_format``: the layout, ``xpnet.contiguous_format`` (default),
    ``channels_last`` (4-d sizes) or ``channels_last_3d`` (5-d).

    Raises:
        TypeError: a ``memory_format`` that is not an ``xpnet.memory_format``.
        RuntimeError: ``preserve_format`` (nothing to preserve), or a channels-last format for
            a size of another length, as PyTorch.

    Example:
        >>> import xpnet
        >>> xpnet.empty(2, 3, 4, 5, memory_format=xpnet.channels_last).stride()
        (60, 1, 15, 3)
    """
    if check_memory_format("empty", memory_format) is preserve_format:
        raise RuntimeError("empty: unsupported memory format preserve_format")
    result = _filled("empty", None, size, dtype, device, requires_grad)
    result.array = relaid("empty", result.array, memory_format)
    return result


def _fill_dtype(where: str, fill_value) -> numpy.dtype:
    if not isinstance(fill_value, (numbers.Number, numpy.generic)):
        msg = f"{where}: fill_value must be a number, got {type(fill_value).__name__}"
        raise TypeError(msg)
    return inferred_dtype(numpy.asarray(fill_value))


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ``size`` (a sequence of ints) filled with ``fill_value``, as ``torch.full``.

    The default dtype follows ``fill_value``: bool, int64 for an int, the default dtype
    (float32) for a float.

    Example:
        >>> import xpnet
        >>> xpnet.full((2,), 7).tolist(), xpnet.full([1], 0.5).dtype
        ([7, 7], dtype('float32'))
    """
    if not isinstance(size, (tuple, list)):
        msg = f"full: size must be a sequence of ints, got {size!r}"
        raise TypeError(msg)
    default = _fill_dtype("full", fill_value)
    return _filled("full", fill_value, (size,), dtype, device, requires_grad, default)


def template_of(where: str, input, dtype, device) -> tuple:
    """``(shape, dtype, device)`` of a ``*_like`` result: ``input``'s, unless given."""
    array = data_of(input)
    if not hasattr(array, "shape"):
        msg = f"{where}: input must be a Tensor or an array, got {type(input).__name__}"
        raise TypeError(msg)
    device = backend_of(array).name if device is None else device
    return array.shape, array.dtype if dtype is None else dtype, device


def _like(where, input, fill, dtype, device, requires_grad, memory_format) -> Tensor:
    """The ``*_like`` result, laid out as ``memory_format`` says (``preserve_format``:
    channels-last if ``input`` is, see :mod:`xpnet._memory_formats`)."""
    shape, dtype, device = template_of(where, input, dtype, device)
    result = _filled(where, fill, (shape,), dtype, device, requires_grad)
    result.array = relaid(where, result.array, memory_format, like=data_of(input))
    return result


def zeros_like(
    input, *, dtype=None, device=None, requires_grad=False, memory_format=preserve_format
) -> Tensor:
    """Zeros of ``input``'s shape, dtype and device (unless given), as ``torch.zeros_like``."""
    return _like("zeros_like", input, 0, dtype, device, requires_grad, memory_format)


def ones_like(
    input, *, dtype=None, device=None, requires_grad=False, memory_format=preserve_format
) -> Tensor:
    """Ones of ``input``'s shape, dtype and device (unless given), as ``torch.ones_like``."""
    return _like("ones_like", input, 1, dtype, device, requires_grad, memory_format)


def empty_like(
    input, *, dtype=None, device=None, requires_grad=False, memory_format=preserve_format
) -> Tensor:
    """An uninitialised Tensor like ``input``, as ``torch.empty_like``; ``memory_format``:
    the layout (default: channels-last if ``input`` is, else contiguous).

    Example:
        >>> import xpnet
        >>> xpnet.empty_like(xpnet.zeros(1, 2, 2, 3), memory_format=xpnet.channels_last).stride()
        (12, 1, 6, 2)
    """
    return _like("empty_like", input, None, dtype, device, requires_grad, memory_format)


def full_like(
    input, fill_value, *, dtype=None, device=None, requires_grad=False,
    memory_format=preserve_format,
) -> Tensor:  # fmt: skip
    """``fill_value`` in ``input``'s shape, dtype and device (unless given), as
    ``torch.full_like``."""
    _fill_dtype("full_like", fill_value)
    return _like("full_like", input, fill_value, dtype, device, requires_grad, memory_format)


def _host_data(where: str, data) -> numpy.ndarray:
    """Python data (numbers, nested sequences) as NumPy read them, refusing what is not
    numbers: ``None`` as PyTorch (a RuntimeError too), an int past int64 as an overflow."""
    try:
        host = numpy.asarray(data)
    except ValueError as error:  # NumPy 2: "inhomogeneous shape"
        msg = f"{where}: data must be a number or nested sequences of one length: {error}"
        raise ValueError(msg) from None
    if host.dtype.kind == "O" and all(isinstance(v, numbers.Integral) for v in host.flat):
        value = max(host.flat, key=abs)  # NumPy keeps ints past 64 bits as Python objects
        msg = f"{where}: value {value} cannot be converted to type int64 without overflow"
        raise ArgumentError(msg)
    if host.dtype.kind not in "biufc":
        msg = f"{where}: data must be numbers, got {host.dtype} from {type(data).__name__}"
        raise UnsupportedDtypeError(msg)  # a TypeError, and PyTorch's RuntimeError
    return host


def _check_integers_fit(where: str, values: numpy.ndarray, dtype: numpy.dtype) -> None:
    """PyTorch's ``c10::overflows`` for Python data written into an integer ``dtype``, as
    :func:`~xpnet._dtypes.checked_scalar` for one number: NaN, inf and values past the range
    are an ArgumentError; a negative int down to ``-max`` wraps into an unsigned dtype."""
    if dtype.kind not in "iu" or values.dtype.kind not in "iuf" or not values.size:
        return
    lowest, highest = integer_range(dtype, integral=values.dtype.kind in "iu")
    outside = ~((values >= lowest) & (values <= highest))  # NaN compares False: outside
    if outside.any():
        value = values[outside].flat[0].item()
        msg = f"{where}: value {value} cannot be converted to type {dtype} without overflow"
        raise ArgumentError(msg)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new Tensor holding a copy of ``data``, as ``torch.tensor``.

    Args:
        data: a number, nested sequences of numbers, a NumPy or backend array, or a Tensor
            (copied and detached).
        dtype: default: the dtype of an array or NumPy scalar; for Python data float32 for
            floats, int64 for ints, bool for bools (PyTorch's, where NumPy gives float64 and
            the platform int).
        device: default: an array's backend (a NumPy scalar's: NumPy); for Python data the
            current backend.
        requires_grad: record operations for autograd (floating-point dtypes only).

    Raises:
        TypeError: for data that is not numbers.
        ValueError: for nested sequences of different lengths.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([[1.0, 2.0]], requires_grad=True)
        >>> x.dtype, x.requires_grad, xpnet.tensor([1, 2]).dtype
        (dtype('float32'), True, dtype('int64'))
    """
    array = data_of(data)
    if isinstance(array, numpy.generic):  # a NumPy scalar keeps its dtype, as in PyTorch
        array = numpy.asarray(array)
    if hasattr(array, "dtype"):
        device = backend_of(array).name if device is None else device
        dtype = resolve_dtype("tensor", dtype, array.dtype)
    else:
        found = leaf_types(array)  # empty for a number
        array = _host_data("tensor", host_sequences(array, found))
        dtype = resolve_dtype("tensor", dtype, data_dtype(found, array))
        if array.dtype.kind == "c" and dtype.kind in "iuf":  # NumPy would warn, drop .imag
            raise TypeError(f"tensor: complex data for the real dtype {dtype}: must be real")
        _check_integers_fit("tensor", array, numpy.dtype(dtype))
    backend = target_backend(device)
    with float_errors_ignored():  # 1e308 as float32 is inf, without a warning, as PyTorch's
        array = to_backend(array, backend.name).astype(dtype, copy=True)
    return new_tensor("tensor", array, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a Tensor, sharing its memory where it already is an array of that dtype
    on that device (a Tensor is returned as it is), as ``torch.as_tensor``; otherwise a copy
    as :func:`tensor` makes.

    Example:
        >>> import numpy as np, xpnet
        >>> a = np.zeros(2, dtype=np.float32)
        >>> xpnet.as_tensor(a, device="numpy").array is a
        True
    """
    array = data_of(data)
    if hasattr(array, "dtype") and not isinstance(array, numpy.generic):
        same_place = device is None or backend_name(device) == backend_of(array).name
        if same_place and (dtype is None or numpy.dtype(dtype) == array.dtype):
            return data if isinstance(data, Tensor) else Tensor(array)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: numpy.ndarray) -> Tensor:
    """A Tensor on the NumPy backend sharing ``ndarray``'s memory, as ``torch.from_numpy``
    (writes to one show in the other).

    Raises:
        TypeError: for anything but a NumPy array of numbers or bools.

    Example:
        >>> import numpy as np, xpnet
        >>> a = np.arange(3.0)
        >>> t = xpnet.from_numpy(a)
        >>> a[0] = 5.0
        >>> t.tolist()
        [5.0, 1.0, 2.0]
    """
    if not isinstance(ndarray, numpy.ndarray):
        msg = f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}"
        raise TypeError(msg)
    if ndarray.dtype.kind not in "biufc":
        msg = f"from_numpy: can't convert an array of dtype {ndarray.dtype}: numbers only"
        raise TypeError(msg)
    return Tensor(ndarray)


def eye(n, m=None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The ``n`` x ``m`` (default ``n``) identity matrix, as ``torch.eye``; of the default dtype.

    Example:
        >>> import xpnet
        >>> xpnet.eye(2, 3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    n = check_int("eye", "n", n)
    m = n if m is None else check_int("eye", "m", m)
    shape = parse_size("eye", (n, m))
    backend, dtype = target_backend(device), resolve_dtype("eye", dtype, get_default_dtype())
    array = allocated("eye", backend, shape, dtype, lambda: backend.xp.eye(n, m, dtype=dtype))
    return new_tensor("eye", array, requires_grad)
