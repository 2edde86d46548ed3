"""``torch.<name>`` functions that are other forms of what xpnet has (:data:`__all__`): the
function forms of in-place methods (``xpnet.relu_(x)``, ``exp_``, ``sigmoid_``, ``zero_``,
...) and of a few more methods (``positive``, ``unflatten``, ``addr``, ``rsub``, ``fill``,
``detach``, ``get_device``, the questions ``is_floating_point``, ``is_complex``,
``is_nonzero``, ``is_same_size``, ``is_signed``); dtype questions with PyTorch's promotion
rules (``finfo``, ``iinfo``, ``promote_types``, ``result_type``, ``can_cast``);
``broadcast_shapes``, ``scalar_tensor`` and ``empty_strided``. It also gathers, for
``xpnet/__init__.py``, the ``torch.<name>`` functions of :mod:`xpnet._signal_windows` (window
functions), :mod:`xpnet._tensor_linalg` (``logdet``, ``svd``, ...) and
:mod:`xpnet._torch_nn_functions` (``conv2d``, ``dropout``, ...) and :mod:`xpnet._torch_more`
(``compile``, ``conj``, ``as_strided``, the ``*_copy`` forms, ``i0``, ``gradient``, ...).

Each takes a Tensor or a backend array as ``input`` (wrapped without grad) and calls the
Tensor method of its name, so values, gradients and errors are the method's; the in-place
ones change ``input`` and return it.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([-1.0, 4.0])
    >>> xpnet.sqrt_(xpnet.relu_(x)).tolist(), xpnet.promote_types(xpnet.int32, xpnet.float16)
    ([0.0, 2.0], dtype('float16'))
    >>> xpnet.finfo(xpnet.float16).eps, xpnet.broadcast_shapes((2, 1), (3,))
    (0.0009765625, (2, 3))
"""

from __future__ import annotations

import numbers

import numpy

from . import _signal_windows, _tensor_linalg, _torch_more, _torch_nn_functions
from ._creation import allocated, new_tensor, parse_size, resolve_dtype, target_backend, tensor
from ._dtypes import can_cast as _dtype_can_cast
from ._dtypes import get_default_dtype, result_dtype
from ._signal_windows import *  # noqa: F403
from ._size import Size
from ._tensor_elementwise import function_form
from ._tensor_inplace import overlapping
from ._tensor_linalg import *  # noqa: F403
from ._tensor_operands import describe
from ._torch_functions import as_input, sub
from ._torch_more import *  # noqa: F403
from ._torch_nn_functions import *  # noqa: F403
from .autograd import Tensor, data_of
from .kernels import ArgumentError
from .kernels._checks import check_int

_IN_PLACE = (
    "abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
    "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_",
    "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_", "exp2_", "exp_",
    "expm1_", "fill_", "fix_", "floor_", "frac_", "log10_", "log1p_", "log2_", "log_", "logit_",
    "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_",
    "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_",
    "trunc_", "xlogy_", "zero_", "index_put_", "detach_", "addmv_",
)  # fmt: skip
_METHOD_FORMS = (
    "positive", "unflatten", "split_with_sizes", "addr", "detach", "get_device",
    "is_floating_point", "is_complex", "is_nonzero", "is_same_size", "is_signed",
)  # fmt: skip

__all__ = [*_IN_PLACE, *_METHOD_FORMS, "rsub", "fill", "finfo", "iinfo", "promote_types"]
__all__ += ["result_type", "can_cast", "broadcast_shapes", "scalar_tensor", "empty_strided"]
__all__ += ["Size"]  # the shape type, :mod:`xpnet._size`'s, exported with broadcast_shapes
__all__ += _signal_windows.__all__ + _tensor_linalg.__all__ + _torch_nn_functions.__all__
__all__ += _torch_more.__all__


def _by_name(name: str):
    return function_form(name, lambda self, *args, **kwargs: getattr(self, name)(*args, **kwargs))


(
    abs_, acos_, acosh_, arccos_, arccosh_, arcsin_, arcsinh_, arctan_, arctanh_, asin_, asinh_,
    atan_, atanh_, ceil_, clamp_, clamp_max_, clamp_min_, clip_, cos_, cosh_, deg2rad_, erf_,
    erfc_, exp2_, exp_, expm1_, fill_, fix_, floor_, frac_, log10_, log1p_, log2_, log_, logit_,
    nan_to_num_, neg_, negative_, rad2deg_, reciprocal_, relu_, round_, rsqrt_, sigmoid_, sin_,
    sinc_, sinh_, sqrt_, square_, tan_, tanh_, trunc_, xlogy_, zero_, index_put_, detach_,
    addmv_,
) = (_by_name(name) for name in _IN_PLACE)  # fmt: skip
(
    positive, unflatten, split_with_sizes, addr, detach, get_device, is_floating_point,
    is_complex, is_nonzero, is_same_size, is_signed,
) = (_by_name(name) for name in _METHOD_FORMS)  # fmt: skip


def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input``, as ``torch.rsub`` (:func:`xpnet.sub` with the operands
    swapped; either may be a Python number)."""
    return sub(other, input, alpha=alpha)


def fill(input, value) -> Tensor:
    """A new tensor of ``input``'s shape and dtype filled with ``value`` (a number, or a 0-d
    Tensor, which then gets the gradient), as ``torch.fill``."""
    return as_input("fill", input).clone().fill_(value)


def _dtype(where: str, dtype) -> numpy.dtype:
    return resolve_dtype(where, dtype, get_default_dtype())


def _given_dtype(where: str, name: str, dtype) -> numpy.dtype:
    """``dtype`` resolved where it is required: None (the default elsewhere) a TypeError."""
    if dtype is None:
        raise TypeError(f"xpnet.{where}: {name} must be a dtype, got None")
    return _dtype(where, dtype)


class finfo:  # noqa: N801 - torch.finfo's name
    """The limits of a floating-point dtype, as ``torch.finfo`` (default: the default dtype):
    ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (= ``smallest_normal``), ``resolution``
    (``10 ** -precision``) and ``dtype`` (its name, a string), as Python floats.

    Raises:
        TypeError: a dtype that is not floating point, as PyTorch.

    Example:
        >>> import xpnet
        >>> info = xpnet.finfo(xpnet.float32)
        >>> info.bits, info.eps, info.tiny, info.resolution, info.dtype
        (32, 1.1920928955078125e-07, 1.1754943508222875e-38, 1e-06, 'float32')
    """

    def __init__(self, type=None) -> None:  # noqa: A002 - torch's name
        dtype = _dtype("finfo", type)
        if dtype.kind != "f":
            msg = f"finfo: requires a floating point dtype (use xpnet.iinfo), got {dtype}"
            raise TypeError(msg)
        info = numpy.finfo(dtype)
        self.bits, self.dtype = int(info.bits), dtype.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # PyTorch's, exactly as a double

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
            f"tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - torch.iinfo's name
    """The limits of an integer dtype, as ``torch.iinfo``: ``bits``, ``max``, ``min`` (Python
    ints) and ``dtype`` (its name).

    Raises:
        TypeError: a floating-point or bool dtype, as PyTorch.

    Example:
        >>> import xpnet
        >>> xpnet.iinfo(xpnet.uint8)
        iinfo(min=0, max=255, dtype=uint8)
    """

    def __init__(self, type) -> None:  # noqa: A002 - torch's name
        dtype = _dtype("iinfo", type)
        if dtype.kind not in "iu":
            msg = f"iinfo: requires an integer dtype (use xpnet.finfo for floats), got {dtype}"
            raise TypeError(msg)
        info = numpy.iinfo(dtype)
        self.bits, self.max, self.min, self.dtype = (
            int(info.bits),
            int(info.max),
            int(info.min),
            dtype.name,
        )

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def promote_types(type1, type2) -> numpy.dtype:
    """The dtype PyTorch's arithmetic gives two tensors of ``type1`` and ``type2``, as
    ``torch.promote_types`` (a float beats any integer: ``int64`` and ``float16`` give
    ``float16``, where NumPy widens)."""
    type1, type2 = (
        _given_dtype("promote_types", n, t) for n, t in (("type1", type1), ("type2", type2))
    )
    return result_dtype(numpy.empty(1, type1), numpy.empty(1, type2))


def result_type(tensor1, tensor2) -> numpy.dtype:
    """The dtype of arithmetic between ``tensor1`` and ``tensor2`` (Tensors, arrays or Python
    numbers), as ``torch.result_type``: tensors with dimensions decide, then 0-d ones, then
    numbers, each of the later only by a higher category (an int64 tensor and 2.5: float32).
    """
    return result_dtype(data_of(tensor1), data_of(tensor2))


def can_cast(from_, to) -> bool:
    """Whether PyTorch's in-place arithmetic may write a result of dtype ``from_`` into a
    tensor of dtype ``to``, as ``torch.can_cast``: not into a lower category (a float into
    integers, an integer into bools); any width."""
    return _dtype_can_cast(
        _given_dtype("can_cast", "from_", from_), _given_dtype("can_cast", "to", to)
    )


def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of ``shapes`` (ints or sequences of ints) broadcast to, as
    ``torch.broadcast_shapes``: an :class:`xpnet.Size`.

    Raises:
        ArgumentError: shapes that do not broadcast.
    """
    listed = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(numpy.broadcast_shapes(*listed))
    except ValueError:
        msg = f"broadcast_shapes: shapes {listed} cannot be broadcast to a single shape"
        raise ArgumentError(msg) from None


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number ``s``, as ``torch.scalar_tensor``: of the default dtype
    (float32) unless ``dtype`` says otherwise, whatever the kind of ``s``."""
    if not isinstance(s, numbers.Number) and getattr(s, "ndim", None) != 0:
        msg = f"xpnet.scalar_tensor: s must be a number, got {describe(s)}"
        raise TypeError(msg)
    dtype = _dtype("scalar_tensor", dtype)
    return tensor(s, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor of ``size`` whose elements lie ``stride`` elements apart in
    each dimension, as ``torch.empty_strided`` (``x.stride()`` gives ``stride`` back).
    Strides that overlap (0, say) give a tensor that refuses in-place changes.

    Raises:
        ArgumentError: ``stride`` of another length than ``size``, or negative.
    """
    where = "empty_strided"
    shape = parse_size(where, (size,))
    steps = tuple(check_int(where, "stride", n) for n in stride)
    if len(steps) != len(shape) or any(n < 0 for n in steps):
        msg = f"{where}: stride must be {len(shape)} non-negative ints, got {list(steps)}"
        raise ArgumentError(msg)
    backend, dtype = target_backend(device), _dtype(where, dtype)
    extent = 1 + sum((n - 1) * step for n, step in zip(shape, steps, strict=True))
    extent = extent if all(shape) else 0
    storage = allocated(where, backend, (extent,), dtype, lambda: backend.xp.empty(extent, dtype))
    strides = tuple(step * dtype.itemsize for step in steps)
    array = backend.as_strided(storage, shape, strides, writeable=not overlapping(shape, strides))
    return new_tensor(where, array, requires_grad)
