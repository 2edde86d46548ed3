"""PyTorch's Tensor methods that are other names or short forms of xpnet's, as Tensor methods
(:data:`METHODS`): the aliases (``multiply``, ``divide``, ``subtract``, ``greater``,
``less_equal``, ``not_equal``, ``absolute``, ``negative``, ``ndimension``, ...), ``maximum``/
``minimum``, ``positive``, ``unflatten``, ``fliplr``/``flipud``, ``sum_to_size``,
``split_with_sizes``, ``addr``; questions about the tensor (``nbytes``, ``itemsize``,
``is_complex``, ``is_signed``, ``is_nonzero``, ``is_same_size``, ``is_cpu``, ``get_device``,
``__index__``);
the casts ``byte``/``char``/``short``; ``detach_``; the function forms that PyTorch also
has as methods (``allclose``, ``equal``, ``bernoulli``, ``multinomial``, ``hardshrink``,
``prelu``); and the in-place forms PyTorch has of
xpnet's out-of-place methods (``erf_``, ``frac_``, ``cumsum_``, ``fmod_``, ``logical_and_``,
``eq_`` ... ``ne_``, ``multiply_``, ``swapaxes_``, ...).

The in-place ones follow :mod:`xpnet._tensor_inplace`'s rules through
:func:`~xpnet._tensor_inplace_more.in_place_form` (recorded or unrecorded changes, the version
counter, a leaf that requires grad refused while gradients are recorded) and write the result
in this tensor's dtype, as PyTorch: ``x.lt_(y)`` of a float ``x`` holds 0.0 and 1.0, and a
result of a higher kind (``int_tensor.erf_()``) raises ``TypeError``. The aliases call the
methods they name, so their gradients, result dtypes and errors are those methods', the errors
naming the alias called (:func:`~xpnet._tensor_checks.named_as`).

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([[1.0, -2.0], [3.0, 4.0]])
    >>> x.multiply(2).less_equal(4).tolist(), x.sum_to_size(1, 2).tolist()
    ([[True, True], [False, False]], [[4.0, 2.0]])
    >>> x.gt_(0).tolist(), x.unflatten(1, (2, 1)).shape, x.nbytes
    ([[1.0, 0.0], [1.0, 1.0]], (2, 2, 1), 16)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy

from ._dtypes import as_dtype, result_dtype
from ._node_names import named_nodes
from ._tensor_checks import check_tensor, named_as, tensor_shape
from ._tensor_inplace_more import in_place_form, reshaping_in_place
from ._tensor_join import maximum, minimum
from ._tensor_math import check_dim
from ._tensor_random_ops import bernoulli, multinomial
from ._torch_functions import allclose, equal
from .autograd import Tensor
from .backends import backend_of
from .devices import device_of
from .kernels import ArgumentError, DtypeMismatchError, UnsupportedDtypeError
from .nn import functional as F

__all__: list[str] = []

_ALIASES = {
    "multiply": "mul",
    "divide": "div",
    "subtract": "sub",
    "greater": "gt",
    "greater_equal": "ge",
    "less": "lt",
    "less_equal": "le",
    "not_equal": "ne",
    "absolute": "abs",
    "negative": "neg",
    "ndimension": "dim",
}
# PyTorch's in-place forms whose out-of-place method xpnet has under another name
_IN_PLACE_ALIASES = {
    **{f"{alias}_": method for alias, method in list(_ALIASES.items())[:10]},
    "true_divide_": "div",
    "fix_": "trunc",
    "arctan2_": "atan2",
}
# the in-place forms of xpnet's methods of the same name, without the underscore
_IN_PLACE = (
    "erf", "erfc", "erfinv", "frac", "rsqrt", "square", "sgn", "deg2rad", "rad2deg",
    "nan_to_num", "cumsum", "cumprod", "clamp_min", "clamp_max", "copysign", "fmod",
    "remainder", "hypot", "heaviside", "floor_divide", "logical_and", "logical_or",
    "logical_xor", "logical_not", "bitwise_not", "xlogy", "atan2", "eq", "ne", "lt", "le",
    "gt", "ge", "addmm", "addmv", "addbmm", "baddbmm", "addr", "bitwise_left_shift",
    "bitwise_right_shift",
)  # fmt: skip
# Python's in-place operators without an own pair: the in-place methods, so that ``x //= 2``
# changes ``x`` itself (its views and other names see it), as PyTorch's, not a new tensor
_OPERATORS_IN_PLACE = {
    "floordiv": "floor_divide_", "mod": "remainder_", "pow": "pow_",
    "lshift": "bitwise_left_shift_", "rshift": "bitwise_right_shift_",
}  # fmt: skip


# functions whose first argument is the tensor, as methods
_FUNCTIONS = {"allclose": allclose, "equal": equal, "bernoulli": bernoulli}
_FUNCTIONS.update(multinomial=multinomial, hardshrink=F.hardshrink, prelu=F.prelu)


def _operator_in_place(op: str, method: str):
    def operator_in_place(self, other):
        return getattr(self, method)(other)

    operator_in_place.__name__ = f"__i{op}__"
    operator_in_place.__doc__ = f"``self {op}= other``, in place: :meth:`{method}`."
    return operator_in_place


def _first(function):
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__name__ = function.__name__
    method.__doc__ = f"``xpnet.{function.__name__}(self, ...)``, as PyTorch's method."
    return method


def _alias(name: str, method: str):
    def alias(self, *args, **kwargs):
        return getattr(self, method)(*args, **kwargs)

    alias.__doc__ = f":meth:`{method}`, under PyTorch's other name ``Tensor.{name}``."
    return named_as(name, method, alias)


def positive(self) -> Tensor:
    """This tensor itself, as ``torch.positive`` (``+x``).

    Raises:
        UnsupportedDtypeError: a bool tensor (a TypeError, and PyTorch's RuntimeError through
            ``NotImplementedError``), as PyTorch refuses ``+`` of bools.
    """
    if self.dtype.kind == "b":
        msg = "Tensor.positive: the + operator on a bool tensor is not supported"
        raise UnsupportedDtypeError(msg)
    return self


def unflatten(self, dim: int, sizes) -> Tensor:
    """Dimension ``dim`` split into ``sizes`` (one of them may be -1, inferred), as
    ``torch.Tensor.unflatten``: a view where :meth:`reshape` gives one.

    Raises:
        IndexError: ``dim`` out of range. ArgumentError: ``sizes`` empty, with more than one
            -1, or not multiplying up to the size of ``dim``.
    """
    dim = check_dim("unflatten", dim, self.ndim)
    sizes = tuple(int(size) for size in (sizes if isinstance(sizes, Sequence) else [sizes]))
    size = self.shape[dim] if self.ndim else 1
    known = math.prod(s for s in sizes if s != -1)
    inferred = sizes.count(-1)
    if not sizes or inferred > 1 or (size % known if inferred and known else known != size):
        msg = (
            f"Tensor.unflatten: sizes {list(sizes)} must be non-empty, with at most one -1, "
            f"and multiply up to the size of dim {dim} ({size})"
        )
        raise ArgumentError(msg)
    return self.reshape(self.shape[:dim] + sizes + self.shape[dim + 1 :])


def _flip_form(name: str, dim: int):
    def flip(self) -> Tensor:
        if self.ndim <= dim:
            msg = f"Tensor.{name}: input must be >= {dim + 1}-d, got a {self.ndim}-d tensor"
            raise ArgumentError(msg)
        return self.flip(dim)

    flip.__name__ = name
    flip.__doc__ = f"``self.flip({dim})``, as ``torch.Tensor.{name}`` (at least {dim + 1}-d)."
    return flip


def sum_to_size(self, *size) -> Tensor:
    """This tensor summed to ``size``, to which it must be expandable (the gradient of an
    ``expand``), as ``torch.Tensor.sum_to_size``; this tensor itself if it has that size.

    Raises:
        ArgumentError: ``size`` not expandable to this tensor's shape.
    """
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], Sequence) else size
    lead = self.ndim - len(size)
    if lead < 0 or any(s not in (1, n) for s, n in zip(size, self.shape[lead:], strict=True)):
        msg = f"Tensor.sum_to_size: size {list(size)} is not expandable to size {list(self.shape)}"
        raise ArgumentError(msg)
    pairs = enumerate(zip(size, self.shape[lead:], strict=True), start=lead)
    dims = (*range(lead), *(i for i, (s, n) in pairs if s == 1 != n))
    return self.sum(dim=dims, keepdim=True).reshape(size) if dims else self


def split_with_sizes(self, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    """This tensor cut along ``dim`` into pieces of the lengths ``split_sizes`` lists, as
    ``torch.Tensor.split_with_sizes`` (:meth:`split` with a list).

    Raises:
        TypeError: ``split_sizes`` not a sequence. ArgumentError: lengths that do not add up
            to the size of ``dim``.
    """
    if not isinstance(split_sizes, Sequence):
        msg = (
            f"Tensor.split_with_sizes: split_sizes must be a sequence of ints, got {split_sizes!r}"
        )
        raise TypeError(msg)
    return self.split(list(split_sizes), dim)


@named_nodes("AddrBackward0")
def addr(self, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
    """``beta * self + alpha * outer(vec1, vec2)``, as ``torch.addr``: :meth:`addmm` of the
    column ``vec1`` and the row ``vec2`` (its gradients, its ``beta=0``)."""
    check_tensor("Tensor.addr", "vec1", vec1)
    check_tensor("Tensor.addr", "vec2", vec2)
    # PyTorch's addr promotes its three tensors (0-d ones too), where addmm refuses two dtypes
    dtype = result_dtype(*(numpy.empty(1, tensor.dtype) for tensor in (self, vec1, vec2)))
    self, vec1, vec2 = (as_dtype(tensor, dtype) for tensor in (self, vec1, vec2))
    if dtype == numpy.bool_:  # PyTorch's logical addr: it has no bool product kernel
        product = vec1.unsqueeze(1).logical_and(vec2.unsqueeze(0)) if alpha else vec1.new_zeros(1)
        return product.logical_or(self if beta else self.new_zeros(1)).expand(len(vec1), len(vec2))
    return self.addmm(vec1.unsqueeze(1), vec2.unsqueeze(0), beta=beta, alpha=alpha)


def is_nonzero(self) -> bool:
    """Whether the one element of this tensor is not zero, as ``torch.is_nonzero`` (a host
    read).

    Raises:
        ArgumentError: a tensor of no element or of more than one, as PyTorch.
    """
    if self.numel() != 1:
        what = "no values" if self.numel() == 0 else "more than one value"
        raise ArgumentError(f"Tensor.is_nonzero: Boolean value of Tensor with {what} is ambiguous")
    return bool(self.item())


def index(self) -> int:
    """``operator.index(tensor)``, PyTorch's ``__index__``: the number of a one-element integer
    or bool tensor (a host read), so ``range(n)``, ``items[i]`` and ``Size([n])`` take one.

    Raises:
        TypeError: a floating tensor, or one of no element or of several, as PyTorch.
    """
    if self.dtype.kind not in "iub" or self.numel() != 1:
        msg = (
            "Tensor.__index__: only integer tensors of a single element can be converted to "
            f"an index, got {self.dtype} of shape {tuple(self.shape)}"
        )
        raise TypeError(msg)
    return int(self.item())


def detach_(self) -> Tensor:
    """Take this tensor out of the graph, in place, as ``torch.Tensor.detach_``: it becomes a
    leaf that does not require grad. Returns it.

    Raises:
        RuntimeError: a view (PyTorch's refusal: use :meth:`detach`).
    """
    if self._view_of is not None or getattr(self, "one_of_several_views", False):
        raise RuntimeError("Tensor.detach_: can't detach views in-place; use detach() instead")
    self.grad_fn, self.requires_grad = None, False  # a leaf first: then it may stop
    return self


def _float_power_(self, exponent) -> Tensor:
    """:meth:`float_power`, in place, on a float64 tensor only (its result is float64);
    returns this tensor.

    Raises:
        DtypeMismatchError: this tensor not float64 (a TypeError and PyTorch's RuntimeError).
    """
    if self.dtype != numpy.float64:
        msg = (
            f"Tensor.float_power_: the base given to float_power_ has dtype {self.dtype} but "
            "the operation's result requires dtype float64"
        )
        raise DtypeMismatchError(msg)
    return _float_power_in_place(self, exponent)


_float_power_in_place = in_place_form("float_power_", "float_power")


def _is_gpu(self) -> bool:
    return device_of(backend_of(self.array).name).type == "cuda"


def get_device(self) -> int:
    """The CUDA device number of a tensor on the GPU backend, -1 on a host backend, as
    ``torch.Tensor.get_device`` for CPU tensors."""
    return getattr(getattr(self.array, "device", None), "id", 0) if _is_gpu(self) else -1


METHODS = {
    **{alias: _alias(alias, method) for alias, method in _ALIASES.items()},
    **{
        name: named_as(name, method, in_place_form(name, method))
        for name, method in _IN_PLACE_ALIASES.items()
    },
    **{f"{name}_": in_place_form(f"{name}_", name) for name in _IN_PLACE},
    **{f"__i{op}__": _operator_in_place(op, m) for op, m in _OPERATORS_IN_PLACE.items()},
    "float_power_": _float_power_,
    "swapaxes_": reshaping_in_place("swapaxes_", "transpose"),
    "swapdims_": reshaping_in_place("swapdims_", "transpose"),
    **{name: _first(function) for name, function in _FUNCTIONS.items()},
    "maximum": lambda self, other: maximum(self, other),
    "minimum": lambda self, other: minimum(self, other),
    "positive": positive,
    "unflatten": unflatten,
    "fliplr": _flip_form("fliplr", 1),
    "flipud": _flip_form("flipud", 0),
    "sum_to_size": sum_to_size,
    "split_with_sizes": split_with_sizes,
    "addr": addr,
    "nbytes": property(lambda self: self.numel() * self.dtype.itemsize),
    "itemsize": property(lambda self: self.dtype.itemsize),
    "is_complex": lambda self: self.dtype.kind == "c",
    "is_signed": lambda self: self.dtype.kind in "ifc",
    "is_nonzero": is_nonzero,
    "__index__": index,
    "is_same_size": lambda self, other: (
        self.shape == tensor_shape("Tensor.is_same_size", "other", other)
    ),
    "is_cpu": property(lambda self: not _is_gpu(self)),
    "get_device": get_device,
    "detach_": detach_,
}
