"""More of PyTorch's Tensor methods that ported training scripts call, by delegation.

Arithmetic with PyTorch's arguments (``add``/``sub`` with ``alpha``, ``div`` with
``rounding_mode``, ``pow``, ``neg``), products (``matmul``, ``mm``, ``bmm``, ``t``), the
activations of :mod:`xpnet.nn.functional` as methods, ``square``/``reciprocal``/``rsqrt``,
comparisons, ``all``/``any``, ``isnan``-like tests, the step functions (``sign``, ``floor``,
``ceil``, ``round``: zero gradients, as PyTorch), casts (``int``, ``half``, ``bool``, ``type``),
``is_cuda``, ``nelement``, ``norm`` and ``logsumexp``. :mod:`xpnet._tensor_methods` attaches
:data:`METHODS` (with the in-place ``add_``, ``zero_``, ... of :mod:`xpnet._tensor_inplace`);
the new forward/backward pairs are in :mod:`xpnet._tensor_function_ops`, the function forms
(``xpnet.sum``, ``xpnet.max``, ...) in :mod:`xpnet._torch_functions`.

Integers meeting floats, and true division of integers, give PyTorch's float dtype (the
float's, float32 for a Python number), never NumPy's float64.

Example:
    >>> import xpnet
    >>> x = xpnet.Tensor(np.array([[3.0, -4.0], [1.0, 0.5]]), requires_grad=True)
    >>> y = x.norm(dim=1) + x.logsumexp(1) + x.add(x, alpha=2).sum(1)
    >>> y.sum().backward()
    >>> x.grad.round(decimals=4).tolist()
    [[4.5991, 2.2009], [4.5169, 3.8248]]
"""

from __future__ import annotations

import numbers
import operator

from . import _tensor_aliases as aliases
from . import _tensor_function_ops as ops
from . import _tensor_grids as grids
from . import _tensor_inplace as inplace
from . import _tensor_linalg as linalg_methods
from . import _tensor_norms as norms
from . import _tensor_products as products
from . import _tensor_scans as scans
from . import _tensor_scatter as scatter
from . import _tensor_scatter_reduce as scatter_reduce
from . import _tensor_shape_ops as shape_ops
from ._dtypes import floating, torch_operands
from ._node_names import name_node
from ._tensor_checks import named_as, refuse_complex, refuse_dtype, refuse_integer_division
from ._tensor_math import check_dim
from ._tensor_norms import listed_dims
from ._tensor_operands import check_operand
from ._tensor_ops import result_type
from .amp.autocast_mode import keep_given_dtype
from .autograd import Function, Tensor, as_tensor
from .backends import backend_of
from .devices import device_of
from .kernels import ArgumentError
from .nn import functional as F

__all__ = ["floating", "torch_operands"]

_divide_rounded = Function(ops.divide_rounded, ops.divide_rounded_backward, wrt=("a", "b"))
_floor_divided = Function(ops.floor_divided, ops.floor_divided_backward, wrt=("a", "b"))
_STEPS = {
    name: Function(getattr(ops, pair), getattr(ops, f"{pair}_backward"), wrt=("a",))
    for name, pair in (
        ("sign", "sign"),
        ("floor", "floor"),
        ("ceil", "ceil"),
        ("round", "round_to"),
    )
}
_reciprocal = Function(ops.reciprocal, ops.reciprocal_backward, wrt=("a",))
_rsqrt = Function(ops.rsqrt, ops.rsqrt_backward, wrt=("a",))


def _scaled(where: str, a, b, alpha):
    """``alpha * b``, refusing a float ``alpha`` for an integer result, as PyTorch."""
    if not isinstance(alpha, numbers.Number):
        msg = f"Tensor.{where}: alpha must be a number, got {type(alpha).__name__}"
        raise TypeError(msg)
    kind = result_type(a, b).kind
    if kind in "iub" and isinstance(alpha, float):
        msg = f"Tensor.{where}: alpha must not be a float for integer tensors, got {alpha!r}"
        raise ArgumentError(msg)
    if kind == "b":  # bools: alpha counts as true or false, as PyTorch's
        return b if alpha else b & False
    return b if alpha == 1 else b * alpha


def add(self, other, *, alpha=1) -> Tensor:
    """``self + alpha * other`` (broadcast; differentiable), as ``torch.add``.

    Raises:
        TypeError: ``alpha`` not a number. ArgumentError: a float ``alpha`` for integers.
    """
    check_operand("Tensor.add", "other", other)
    a, b = torch_operands(self, other)
    return a + _scaled("add", a, b, alpha)


def sub(self, other, *, alpha=1) -> Tensor:
    """``self - alpha * other`` (broadcast; differentiable), as ``torch.sub``; bools refused."""
    check_operand("Tensor.sub", "other", other)
    a, b = torch_operands(self, other, subtraction=True)
    return a - _scaled("sub", a, b, alpha)


def mul(self, other) -> Tensor:
    """``self * other`` (broadcast; differentiable), as ``torch.mul``."""
    a, b = torch_operands(self, other)
    return a * b


def div(self, other, *, rounding_mode=None) -> Tensor:
    """``self / other``, or rounded toward ``"floor"`` (Python's ``//``) or ``"trunc"``.

    Integers divide to float32 (PyTorch's default dtype) without a rounding mode, and stay
    integers with one. The rounded quotients have PyTorch's gradient: zero, for both.

    Raises:
        ArgumentError: ``rounding_mode`` other than ``None``, ``"trunc"``, ``"floor"``.

    Example:
        >>> import xpnet
        >>> x = xpnet.Tensor(np.array([7, -7]))
        >>> x.div(2).tolist(), x.div(2, rounding_mode="floor").tolist()
        ([3.5, -3.5], [3, -4])
        >>> x.div(2, rounding_mode="trunc").tolist()
        [3, -3]
    """
    if rounding_mode is None:
        a, b = torch_operands(self, other, true_division=True)
        return a / b
    if rounding_mode not in ("floor", "trunc"):
        msg = f"Tensor.div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        raise ArgumentError(msg)
    where = f"Tensor.div(rounding_mode={rounding_mode!r})"
    return rounded_division(where, self, other, rounding_mode)


def rounded_division(where: str, dividend, divisor, rounding_mode: str | None) -> Tensor:
    """``dividend / divisor`` rounded (``"floor"`` or ``"trunc"``), integers by zero refused
    as PyTorch, errors naming ``where``: the one path of ``div`` and ``floor_divide``
    (``rounding_mode`` None: floor, without a derivative, as PyTorch's ``floor_divide``)."""
    refuse_complex(where, "input and other", dividend, divisor)
    a, b = torch_operands(dividend, divisor)
    refuse_integer_division(where, a, b)  # after the wrap: ``uint8 // 256`` divides by 0
    return _floor_divided(a, b) if rounding_mode is None else _divide_rounded(a, b, rounding_mode)


def neg(self) -> Tensor:
    """``-self`` (differentiable); refused for bools, as PyTorch (use ``~`` or ``logical_not``)."""
    return -self


def tensor_pow(self, exponent) -> Tensor:
    """``self ** exponent`` (a number, array or Tensor, broadcast), with PyTorch's gradients.

    Raises:
        ArgumentError: a number ``exponent`` that ``self``'s dtype cannot hold (``int8`` to
            the 300th), or negative for integers, as PyTorch (which wraps neither).
    """
    return self**exponent  # PyTorch's checks of a number exponent: _dtypes.pow_operands


def _matrices(where: str, a: Tensor, mat2, ndim: int) -> Tensor:
    """``mat2`` as a Tensor, after PyTorch's checks of ``mm``/``bmm``: operands ``ndim``-d, of
    one dtype, whose shapes can be multiplied (no broadcasting)."""
    if not hasattr(mat2, "shape") or not hasattr(mat2, "dtype"):
        msg = f"Tensor.{where}: mat2 must be a Tensor or an array, got {type(mat2).__name__}"
        raise TypeError(msg)
    b = as_tensor(mat2)
    for name, operand in (("self", a), ("mat2", b)):
        if operand.ndim != ndim:
            kind = "a matrix" if ndim == 2 else f"a {ndim}-d tensor"
            msg = f"Tensor.{where}: {name} must be {kind}, got a {operand.ndim}-d tensor"
            raise ArgumentError(msg)
    if a.dtype != b.dtype:
        msg = f"Tensor.{where}: self and mat2 must have the same dtype, got {a.dtype} != {b.dtype}"
        raise ArgumentError(msg)
    if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2]:
        shapes = " and ".join("x".join(map(str, shape)) for shape in (a.shape, b.shape))
        msg = f"Tensor.{where}: self and mat2 shapes cannot be multiplied ({shapes})"
        raise ArgumentError(msg)
    return b


def mm(self, mat2) -> Tensor:
    """The matrix product of 2-D ``self`` and ``mat2`` (no broadcasting; differentiable).

    Raises:
        TypeError: ``mat2`` not a Tensor or an array. ArgumentError: not matrices, other
            dtypes, or shapes that cannot be multiplied (PyTorch's RuntimeErrors).
    """
    return self @ _matrices("mm", self, mat2, 2)


def bmm(self, mat2) -> Tensor:
    """The batched matrix product of ``(B, n, m)`` ``self`` and ``(B, m, p)`` ``mat2``, as
    ``torch.bmm``: the batch sizes must be equal (no broadcasting). Differentiable.

    Raises:
        TypeError, ArgumentError: as :meth:`mm`, for 3-D operands.
    """
    return name_node(self @ _matrices("bmm", self, mat2, 3), "BmmBackward0")


def t(self) -> Tensor:
    """The transpose of a matrix; a 0-d or 1-d tensor as it is. Differentiable.

    Raises:
        ArgumentError: for more than 2 dimensions, as PyTorch.
    """
    if self.ndim > 2:
        msg = f"Tensor.t: expects a tensor with <= 2 dimensions, but self is {self.ndim}-d"
        raise ArgumentError(msg)
    return name_node(self.transpose(0, -1), "TBackward0")


def relu(self) -> Tensor:
    """``max(self, 0)``, :func:`xpnet.nn.functional.relu`; integers stay integers."""
    if self.dtype.kind in "iu":
        return Tensor(backend_of(self.array).xp.maximum(self.array, 0))
    return F.relu(self)


def _normalized(name: str):
    @keep_given_dtype  # a dtype given is kept under autocast, as PyTorch's
    def method(self, dim, *, dtype=None) -> Tensor:
        check_dim(name, dim, self.ndim)
        return getattr(F, name)(self if dtype is None else self.to(dtype), dim)

    method.__name__ = name
    method.__doc__ = (
        f"``xpnet.nn.functional.{name}(self, dim)``, after a cast to ``dtype`` if given."
    )
    return method


def _truth(name: str):
    def method(self, dim=None, keepdim: bool = False) -> Tensor:
        axes = listed_dims(name, dim, self.ndim)
        xp = backend_of(self.array).xp
        truth = getattr(xp, name)(self.array, axis=axes, keepdims=keepdim)
        # uint8 in, uint8 out: PyTorch's rule for all and any
        return Tensor(truth.astype(xp.uint8) if self.dtype == xp.uint8 else truth)

    method.__name__ = name
    method.__doc__ = (
        f"Whether {name} elements are non-zero (NaN counts), over every element or over "
        "``dim`` (an int or a tuple; ``()``: each element alone), as a bool Tensor (uint8 for "
        "a uint8 input, as PyTorch's)."
    )
    return method


def _compare(name: str):
    def method(self, other) -> Tensor:
        check_operand(f"Tensor.{name}", "other", other)
        return getattr(operator, name)(self, other)

    method.__name__ = name
    method.__doc__ = (
        f"Elementwise ``operator.{name}(self, other)`` as a bool Tensor (not differentiable)."
    )
    return method


def _test(name: str):
    def method(self) -> Tensor:
        return Tensor(getattr(backend_of(self.array).xp, name)(self.array))

    method.__name__ = name
    method.__doc__ = f"Elementwise ``{name}`` as a bool Tensor (not differentiable)."
    return method


def _step(name: str):
    def method(self) -> Tensor:
        if name != "sign":  # PyTorch rounds no bools (but takes their sign)
            refuse_dtype(f"Tensor.{name}", self, "b", "non-bool")
        return _STEPS[name](self)

    method.__name__ = name
    method.__doc__ = (
        f"Elementwise ``{name}``; integers are returned as they are (a copy). PyTorch's "
        "gradient: zero."
    )
    return method


def tensor_round(self, *, decimals: int = 0) -> Tensor:
    """Elementwise rounding half to even (``2.5`` to ``2.0``), to ``decimals`` places, as
    ``torch.round``; integers are returned as they are (bools refused, as PyTorch). PyTorch's
    gradient: zero."""
    refuse_dtype("Tensor.round", self, "b", "non-bool")
    return _STEPS["round"](self, *((decimals,) if decimals else ()))


_TYPE_NAMES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


def is_cuda(self) -> bool:
    """Whether the data lives on the GPU backend (CuPy)."""
    return device_of(backend_of(self.array).name).type == "cuda"


def tensor_type(self, dtype=None, non_blocking: bool = False):
    """With no argument, PyTorch's type string, ``"torch.FloatTensor"`` (``"torch.cuda.
    FloatTensor"`` on the GPU backend), so that ported comparisons such as ``x.type() ==
    "torch.cuda.FloatTensor"`` keep working; xpnet has no per-dtype Tensor classes. Else this
    tensor cast to ``dtype``: a dtype, a dtype name, or such a string (``"torch.cuda.
    LongTensor"`` moves to the GPU backend, ``"torch.LongTensor"`` to a host backend).

    Raises:
        ArgumentError: (a ``ValueError``, as PyTorch's) an unknown type string.
    """
    if dtype is None:
        place = "cuda." if is_cuda(self) else ""
        return f"torch.{place}{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}Tensor"
    if not (isinstance(dtype, str) and dtype.startswith("torch.")):
        return self.to(dtype)
    place, _, name = dtype[len("torch.") :].rpartition(".")
    names = {f"{value}Tensor": key for key, value in _TYPE_NAMES.items()}
    if place not in ("", "cuda") or name not in names:
        msg = f"Tensor.type: unknown type {dtype!r}, expected e.g. 'torch.cuda.FloatTensor'"
        raise ArgumentError(msg)
    return self.to("cuda" if place else "cpu", names[name])


METHODS = {
    "__pos__": lambda self: self.positive(),  # the tensor itself; bools refused
    "__abs__": lambda self: self.abs(),
    "add": add,
    "sub": sub,
    "mul": mul,
    "div": div,
    "true_divide": named_as("true_divide", "div", lambda self, other: div(self, other)),
    "neg": neg,
    "pow": tensor_pow,
    "matmul": lambda self, other: self @ other,
    "mm": mm,
    "bmm": bmm,
    "t": t,
    "sigmoid": lambda self: F.sigmoid(floating(self)),
    "tanh": lambda self: F.tanh(floating(self)),
    "relu": relu,
    "softmax": _normalized("softmax"),
    "log_softmax": _normalized("log_softmax"),
    "square": lambda self: self**2,
    "reciprocal": lambda self: _reciprocal(floating(self)),
    "rsqrt": lambda self: _rsqrt(floating(self)),
    **{name: _compare(name) for name in ("lt", "le", "gt", "ge")},
    "all": _truth("all"),
    "any": _truth("any"),
    **{name: _test(name) for name in ("isnan", "isinf", "isfinite")},
    **{name: _step(name) for name in ("sign", "floor", "ceil")},
    "round": tensor_round,
    "type": tensor_type,
    "is_cuda": property(is_cuda),
    "nelement": lambda self: self.numel(),
    **norms.METHODS,
    **inplace.METHODS,
    **shape_ops.METHODS,
    **grids.METHODS,
    **products.METHODS,
    **scans.METHODS,
    **scatter.METHODS,
    **scatter_reduce.METHODS,
    **aliases.METHODS,
    **linalg_methods.METHODS,
}
