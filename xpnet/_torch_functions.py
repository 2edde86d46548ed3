"""``torch.<name>`` function forms of Tensor methods, so that ``import xpnet as torch`` ports
``torch.max(outputs, 1)``, ``torch.sum(x)`` and ``torch.sigmoid(x)``.

Each takes PyTorch's signature and calls the method of the same name (the Tensor's own in
:mod:`xpnet.autograd`, :mod:`xpnet._tensor_math`, :mod:`xpnet._tensor_functions`,
:mod:`xpnet._tensor_norms`): gradients flow as there. ``input`` may be a Tensor or a backend
array (wrapped as a Tensor without grad); the arithmetic ones (``add``, ``sub``, ``mul``,
``div``, ``pow``) also take a Python number as ``input`` beside a Tensor ``other``, as
PyTorch. Several names here are Python builtins (``sum``, ``max``, ``min``, ``abs``, ``pow``,
``round``): this module never calls the builtins.

Example (the names are this module's functions, ``xpnet.max``, ... once exported):
    >>> import xpnet
    >>> outputs = xpnet.Tensor(np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]))
    >>> _, predicted = max(outputs, 1)
    >>> predicted.tolist(), sum(sigmoid(outputs) > 0.55).item()
    ([1, 0], 3)
"""

from __future__ import annotations

import numbers

from ._dtypes import check_broadcast, result_dtype, wrapped
from ._tensor_checks import flags_checked, named_as
from .autograd import Tensor
from .backends import backend_of, float_errors_ignored
from .kernels import ArgumentError

__all__ = [
    "abs",
    "add",
    "allclose",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "bmm",
    "ceil",
    "clamp",
    "clip",
    "div",
    "equal",
    "exp",
    "floor",
    "is_tensor",
    "isfinite",
    "isinf",
    "isnan",
    "log",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "mean",
    "min",
    "mm",
    "mul",
    "neg",
    "norm",
    "numel",
    "permute",
    "pow",
    "prod",
    "relu",
    "reshape",
    "round",
    "sigmoid",
    "sign",
    "softmax",
    "sqrt",
    "square",
    "squeeze",
    "std",
    "sub",
    "sum",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
]


def as_input(where: str, input, name: str = "input") -> Tensor:
    """``input`` as a Tensor: itself, or a backend array wrapped (no grad); a TypeError naming
    ``xpnet.<where>`` and the argument ``name`` for anything else."""
    if isinstance(input, Tensor):
        return input
    if hasattr(input, "shape") and hasattr(input, "dtype"):
        return Tensor(input)
    msg = f"xpnet.{where}: {name} must be a Tensor or an array, got {type(input).__name__}"
    raise TypeError(msg)


def number_operands(where: str, input, other) -> tuple:
    """``(input, other)`` for an arithmetic function: a number ``input`` beside a Tensor or
    array ``other`` becomes a 0-d Tensor of PyTorch's dtype (:func:`~xpnet._dtypes.result_dtype`:
    ``other``'s, or float32 for a float beside integers; bool for a bool, which promotes
    as a bool Tensor and is refused where PyTorch refuses one: ``sub(True, x)``), on
    ``other``'s backend."""
    if not isinstance(input, numbers.Number) or not hasattr(other, "dtype"):
        return as_input(where, input), other
    other = as_input(where, other, "other")
    dtype = bool if isinstance(input, bool) else result_dtype(input, other.array)
    if dtype is not bool and dtype.kind in "iu" and isinstance(input, numbers.Integral):
        input = wrapped(input, dtype)  # 300 // int8: wraps, as PyTorch's
    with float_errors_ignored():  # 1e300 // float32: inf, as PyTorch's, without a warning
        return Tensor(backend_of(other.array).xp.asarray(input, dtype=dtype)), other


def _unary(name: str):
    def function(input) -> Tensor:
        return getattr(as_input(name, input), name)()

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}()``, as ``torch.{name}(input)`` (see the Tensor method)."
    return function


exp, log, sqrt, abs = (_unary(name) for name in ("exp", "log", "sqrt", "abs"))
sigmoid, tanh, relu = (_unary(name) for name in ("sigmoid", "tanh", "relu"))
isnan, isinf, isfinite = (_unary(name) for name in ("isnan", "isinf", "isfinite"))
square, neg, sign = (_unary(name) for name in ("square", "neg", "sign"))
floor, ceil, numel = (_unary(name) for name in ("floor", "ceil", "numel"))


def sum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The sum of every element, or over ``dim`` (an int or a tuple), as ``torch.sum``;
    ``dtype`` casts first.

    Example:
        >>> import xpnet
        >>> sum(xpnet.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]])), 1).tolist()
        [3.0, 7.0]
    """
    return as_input("sum", input).sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean of every element, or over ``dim``, as ``torch.mean``; ``dtype`` casts first
    (the way to average integers, which PyTorch refuses without it)."""
    tensor = as_input("mean", input)
    return (tensor if dtype is None else tensor.to(dtype)).mean(dim, keepdim)


def _extreme(name: str):
    def function(input, dim=None, keepdim: bool = False):
        tensor = as_input(name, input)
        if dim is None:
            if keepdim:
                msg = f"xpnet.{name}: keepdim needs a dim, as in PyTorch"
                raise TypeError(msg)
            return getattr(tensor, name)()
        # max(input, other) passes a Tensor as dim: the method tells the two apart
        return getattr(tensor, name)(dim, keepdim) if keepdim else getattr(tensor, name)(dim)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"``torch.{name}``: the {name}imum of every element (one value, whose gradient the "
        f"ties share), or ``(values, indices)`` along ``dim``, as ``input.{name}(dim, keepdim)``."
    )
    return function


max, min = _extreme("max"), _extreme("min")


def _along(name: str, default_dim):
    def function(input, dim=default_dim, keepdim: bool = False):
        return getattr(as_input(name, input), name)(dim, keepdim)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(dim, keepdim)``, as ``torch.{name}``."
    return function


argmax, argmin = _along("argmax", None), _along("argmin", None)
amax, amin = _along("amax", ()), _along("amin", ())


def prod(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The product of every element, or over ``dim`` (an int), as ``torch.prod``."""
    return as_input("prod", input).prod(dim, keepdim, dtype=dtype)


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """The variance, as ``torch.var`` (``correction``, or the older ``unbiased``)."""
    return as_input("var", input).var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """The standard deviation, as ``torch.std`` (arguments as :func:`var`)."""
    return as_input("std", input).std(dim, unbiased, keepdim, correction=correction)


def clamp(input, min=None, max=None) -> Tensor:
    """``input`` clamped into ``[min, max]``, as ``torch.clamp`` (alias ``clip``)."""
    return as_input("clamp", input).clamp(min, max)


clip = named_as("clip", "clamp", clamp)


def softmax(input, dim, *, dtype=None) -> Tensor:
    """``torch.softmax``: ``exp(input)`` normalised to sum 1 along ``dim``."""
    return as_input("softmax", input).softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None) -> Tensor:
    """``torch.log_softmax``: the logarithm of :func:`softmax`, computed stably."""
    return as_input("log_softmax", input).log_softmax(dim, dtype=dtype)


def logsumexp(input, dim, keepdim: bool = False) -> Tensor:
    """``torch.logsumexp``: ``log(sum(exp(input), dim))`` without overflow."""
    return as_input("logsumexp", input).logsumexp(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """``torch.norm``: the vector ``p``-norm (``"fro"``/``2``, ``1``, ``inf``, ...)."""
    return as_input("norm", input).norm(p, dim, keepdim, dtype=dtype)


def matmul(input, other) -> Tensor:
    """``input @ other`` with NumPy's (and PyTorch's) broadcasting, as ``torch.matmul``."""
    return as_input("matmul", input) @ other


def mm(input, mat2) -> Tensor:
    """The product of two matrices (no broadcasting), as ``torch.mm``."""
    return as_input("mm", input).mm(mat2)


def bmm(input, mat2) -> Tensor:
    """The batched product of ``(B, n, m)`` and ``(B, m, p)`` tensors, as ``torch.bmm``.

    Example:
        >>> import xpnet
        >>> bmm(xpnet.Tensor(np.ones((4, 2, 3))), xpnet.Tensor(np.ones((4, 3, 5)))).shape
        (4, 2, 5)
    """
    return as_input("bmm", input).bmm(mat2)


def transpose(input, dim0: int, dim1: int) -> Tensor:
    """``input`` with dimensions ``dim0`` and ``dim1`` swapped, as ``torch.transpose``."""
    return as_input("transpose", input).transpose(dim0, dim1)


def permute(input, dims) -> Tensor:
    """``input`` with its dimensions in the order ``dims``, as ``torch.permute``."""
    return as_input("permute", input).permute(dims)


def reshape(input, shape) -> Tensor:
    """``input`` in ``shape`` (one entry may be -1), as ``torch.reshape``."""
    return as_input("reshape", input).reshape(shape)


def squeeze(input, dim=None) -> Tensor:
    """``input`` without its dimensions of size 1 (those in ``dim``), as ``torch.squeeze``."""
    return as_input("squeeze", input).squeeze(dim)


def unsqueeze(input, dim: int) -> Tensor:
    """``input`` with a dimension of size 1 inserted at ``dim``, as ``torch.unsqueeze``."""
    return as_input("unsqueeze", input).unsqueeze(dim)


def round(input, *, decimals: int = 0) -> Tensor:
    """``input`` rounded half to even (to ``decimals`` places), as ``torch.round``."""
    return as_input("round", input).round(decimals=decimals)


def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other``, as ``torch.add``.

    Example:
        >>> import xpnet
        >>> add(xpnet.Tensor(np.array([1.0, 2.0])), 10, alpha=2).tolist()
        [21.0, 22.0]
    """
    input, other = number_operands("add", input, other)
    return input.add(other, alpha=alpha)


def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other``, as ``torch.sub``."""
    input, other = number_operands("sub", input, other)
    return input.sub(other, alpha=alpha)


def mul(input, other) -> Tensor:
    """``input * other``, as ``torch.mul``."""
    input, other = number_operands("mul", input, other)
    return input.mul(other)


def div(input, other, *, rounding_mode=None) -> Tensor:
    """``input / other``, rounded by ``rounding_mode`` (``"floor"``, ``"trunc"``), as
    ``torch.div``; integers divide to float32 without a rounding mode."""
    input, other = number_operands("div", input, other)
    return input.div(other, rounding_mode=rounding_mode)


def pow(input, exponent) -> Tensor:
    """``input ** exponent`` (``input`` may be a number beside a Tensor), as ``torch.pow``."""
    input, exponent = number_operands("pow", input, exponent)
    return input.pow(exponent)


def is_tensor(obj) -> bool:
    """Whether ``obj`` is an :class:`xpnet.Tensor` (a backend array is not)."""
    return isinstance(obj, Tensor)


@flags_checked("xpnet")  # rtol, atol only numbers, equal_nan only a bool, as PyTorch's parser
def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Whether :meth:`Tensor.isclose` holds everywhere (broadcast), as ``torch.allclose``: a
    Python bool (a device-to-host read). Infinities are close to themselves only; NaNs only
    with ``equal_nan``.

    Raises:
        ArgumentError: operands of different dtypes or unbroadcastable shapes, or a negative
            or NaN tolerance, as PyTorch.

    Example:
        >>> import xpnet
        >>> x = xpnet.Tensor(np.array([1.0, np.nan]))
        >>> allclose(x, x + 1e-9), allclose(x, x, equal_nan=True)
        (False, True)
    """
    a, b = as_input("allclose", input), as_input("allclose", other, "other")
    if a.dtype != b.dtype:
        msg = f"xpnet.allclose: input and other must have one dtype, got {a.dtype} and {b.dtype}"
        raise ArgumentError(msg)
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if not tolerance >= 0:  # NaN too, as PyTorch
            raise ArgumentError(f"xpnet.allclose: {name} must be at least 0, got {tolerance}")
    check_broadcast(a.shape, b.shape)  # PyTorch's RuntimeError, not NumPy's ValueError
    backend_of(a.array, b.array, names=("input", "other"), where="xpnet.allclose")
    return bool(a.isclose(b, rtol, atol, equal_nan).array.all())  # isclose's rule, PyTorch's


def equal(input, other) -> bool:
    """Whether ``input`` and ``other`` have the same shape and elements (NaN equals nothing),
    as ``torch.equal``: a Python bool (a device-to-host read)."""
    a, b = as_input("equal", input), as_input("equal", other, "other")
    if a.shape != b.shape:
        return False
    xp = backend_of(a.array, b.array, names=("input", "other"), where="xpnet.equal").xp
    return bool(xp.all(a.array == b.array))
