"""More forward/backward pairs behind :class:`xpnet.Tensor`'s methods: shapes, math, maxima.

``permute`` (``transpose``, ``.T``, ``.mT``), ``clone`` (the method is
:mod:`xpnet._memory_formats`), ``exp``/``log``/``sqrt``/``abs``, ``amax``/``amin``,
``max``/``min`` with and without ``dim``, ``var``/``std`` and ``prod``, with PyTorch's
gradients (which element of a tie gets what is said at each pair) and dtypes (integers
``exp`` to float32). The convention and the checks are :mod:`xpnet._tensor_ops`'s;
:mod:`xpnet._tensor_methods` attaches the methods defined below. ``clamp`` and the
elementwise ``max(other)``/``min(other)`` (``maximum``/``minimum``) are attached here too,
but live with the other operations that join tensors in :mod:`xpnet._tensor_join`; the
checks of ``dim`` arguments, in :mod:`xpnet._tensor_dims`.

Example:
    >>> import xpnet
    >>> x = xpnet.Tensor(np.array([[1.0, 3.0], [3.0, 2.0]]), requires_grad=True)
    >>> values, indices = x.max(dim=1)
    >>> (values.sum() + x.amax()).backward()
    >>> indices.tolist(), x.grad.tolist()
    ([1, 0], [[0.0, 1.5], [1.5, 0.0]])
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy

from ._dtypes import floating
from ._node_names import name_node
from ._tensor_checks import named_as, refuse_dtype
from ._tensor_dims import check_dim, reduction_dims
from ._tensor_dims import distinct_dims as distinct_dims  # importers find it here too
from ._tensor_join import maximum, minimum, tensor_clamp
from ._tensor_ops import check_grad, ieee, integer_accumulator, reduced_shape, shape_only, spread
from .amp.autocast_mode import keep_given_dtype
from .autograd import Function, Tensor
from .backends import backend_of
from .kernels import ArgumentError


def permute(a, dims):
    return backend_of(a).xp.transpose(a, dims)


def permute_backward(grad_output, a, dims):
    """The inverse permutation: dimension ``dims[i]`` of ``a`` went to place ``i``."""
    check_grad("permute_backward", grad_output, tuple(a.shape[d] for d in dims), a.dtype, a)
    return backend_of(grad_output).xp.transpose(grad_output, tuple(numpy.argsort(dims)))


def clone(a):
    return a.copy()


def clone_backward(grad_output, a):
    check_grad("clone_backward", grad_output, a.shape, a.dtype, a)
    return grad_output


def _pointwise(name: str, slope, function=None, divides: bool = False):
    """The pair of ``xp.<function>`` (default: ``name``), whose derivative is ``slope(xp, a)``
    (PyTorch's formulas); with ``divides``, ``1 / slope(xp, a)``, dividing the gradient as
    PyTorch's (``grad / a`` is finite where ``1 / a`` overflows: a float16 1e-5)."""

    def forward(a):
        return getattr(backend_of(a).xp, function or name)(a)

    def backward(grad_output, a):
        check_grad(f"{name}_backward", grad_output, a.shape, a.dtype, a)
        if divides:
            return grad_output / slope(backend_of(a).xp, a)
        return grad_output * slope(backend_of(a).xp, a)

    # named after the op: xpnet.amp's autocast lists find exp and log by these names
    forward.__name__, backward.__name__ = name, f"{name}_backward"
    return ieee(forward), ieee(backward)


exp, exp_backward = _pointwise("exp", lambda xp, a: xp.exp(a))
log, log_backward = _pointwise("log", lambda xp, a: a, divides=True)
sqrt, sqrt_backward = _pointwise("sqrt", lambda xp, a: 0.5 / xp.sqrt(a))
# std = sqrt(var), PyTorch's std_backward: no gradient where std is 0 (not 0 * inf = NaN)
std_root, std_root_backward = _pointwise(
    "std_root", lambda xp, a: xp.where(a == 0, 0, 0.5 / xp.sqrt(a)), function="sqrt"
)
# PyTorch's sgn: 0 at 0 and at NaN, where xp.sign(NaN) is NaN
abs, abs_backward = _pointwise("abs", lambda xp, a: xp.where(xp.isnan(a), 0, xp.sign(a)))


def _extreme(name: str, reduce, nan_ties: bool):
    """The pair of ``amax``-like ``name``: ``reduce`` (``"max"``, ``"min"``) over ``dim``.

    The gradient is shared evenly among the elements equal to the result (PyTorch's
    ``scale_grad_by_count``); a NaN result equals nothing, so its slice gets NaN, except with
    ``nan_ties`` (``max()``/``min()`` of all elements: ``evenly_distribute_backward``), where
    the NaNs share it."""

    def forward(a, dim=None, keepdim=False):
        return getattr(a, reduce)(axis=dim, keepdims=keepdim)

    def backward(grad_output, a, dim=None, keepdim=False):
        check_grad(
            f"{name}_backward",
            grad_output,
            forward(shape_only(a.shape), dim, keepdim).shape,
            a.dtype,
            a,
        )
        xp = backend_of(grad_output).xp
        result = getattr(a, reduce)(axis=dim, keepdims=True)
        ties = a == result
        if nan_ties:
            ties = ties | (xp.isnan(a) & xp.isnan(result))
        count = ties.sum(axis=dim, keepdims=keepdim)
        return spread(grad_output / count, a, dim, keepdim) * ties

    forward.__name__, backward.__name__ = name, f"{name}_backward"
    return ieee(forward), ieee(backward)


amax, amax_backward = _extreme("amax", "max", nan_ties=False)
amin, amin_backward = _extreme("amin", "min", nan_ties=False)
max_all, max_all_backward = _extreme("max", "max", nan_ties=True)
min_all, min_all_backward = _extreme("min", "min", nan_ties=True)


def select_extreme(a, dim, keepdim=False, largest=True):
    """``(values, indices)`` of the largest (smallest) element along ``dim``: the first on
    ties, a NaN if any (NumPy's argmax, as PyTorch's max)."""
    xp = backend_of(a).xp
    indices = (xp.argmax if largest else xp.argmin)(a, axis=dim, keepdims=True)
    values = xp.take_along_axis(a, indices, axis=dim)
    if not keepdim:
        values, indices = xp.squeeze(values, axis=dim), xp.squeeze(indices, axis=dim)
    return values, indices


def select_extreme_backward(grad_output, a, dim, keepdim=False, largest=True, indices=None):
    """The whole gradient goes to the selected index (PyTorch's max(dim), unlike amax)."""
    shape = shape_only(a.shape).max(axis=dim, keepdims=keepdim).shape
    check_grad("select_extreme_backward", grad_output, shape, a.dtype, a)
    xp = backend_of(grad_output).xp
    if not keepdim:
        grad_output, indices = xp.expand_dims(grad_output, dim), xp.expand_dims(indices, dim)
    positions = xp.arange(a.shape[dim]).reshape((-1,) + (1,) * (a.ndim - dim % a.ndim - 1))
    return xp.where(positions == indices, grad_output, 0)


@ieee
def prod(a, dim=None, keepdim=False):
    return a.prod(axis=dim, keepdims=keepdim, dtype=integer_accumulator(a.dtype))


@ieee
def prod_backward(grad_output, a, dim=None, keepdim=False):
    """Each element's gradient is the product of the others, from products to its left and
    to its right (exact where ``a`` holds zeros, where ``prod / a`` would be NaN)."""
    check_grad(
        "prod_backward", grad_output, prod(shape_only(a.shape), dim, keepdim).shape, a.dtype, a
    )
    xp = backend_of(grad_output).xp
    if a.size == 0:  # no element, no gradient to give
        return xp.zeros(a.shape, dtype=grad_output.dtype)
    line = xp.reshape(a, (-1,)) if dim is None else a  # dim=None: one line of every element
    axis = 0 if dim is None else dim
    ones = xp.ones_like(xp.take(line, xp.arange(1), axis=axis))  # (..., 1, ...) along axis
    left = xp.cumprod(xp.concatenate([ones, line], axis=axis), axis=axis)
    right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([line, ones], axis=axis), axis), axis), axis)
    size = line.shape[axis]
    others = xp.take(left, xp.arange(size), axis=axis) * xp.take(
        right, xp.arange(1, size + 1), axis=axis
    )
    return spread(grad_output, a, dim, keepdim) * xp.reshape(others, a.shape)


@ieee
def var(a, dim=None, correction=1, keepdim=False):
    centered = a - _mean(a, dim)  # PyTorch divides by max(0, N - correction): inf/NaN, no error
    divisor = max(0, _count(a, dim) - correction)
    return (centered * centered).sum(axis=dim, keepdims=keepdim) / divisor


def _count(a, dim) -> int:  # how many elements each reduction over ``dim`` takes
    return math.prod(a.shape[axis] for axis in (range(a.ndim) if dim is None else dim))


def _mean(a, dim):  # kept dims; none: NaN (0 / 0 under ieee), where NumPy's mean warns
    return a.sum(axis=dim, keepdims=True) / _count(a, dim)


@ieee
def var_backward(grad_output, a, dim=None, correction=1, keepdim=False):
    """PyTorch's var_backward: ``2 / (N - correction) * grad * (a - mean)``, even for
    ``N <= correction``, except over every element (``dim=None``): ``grad * inf``, NaN at mean."""
    check_grad("var_backward", grad_output, reduced_shape(a.shape, dim, keepdim), a.dtype, a)
    mean, dof = _mean(a, dim), _count(a, dim) - correction
    if dim is None and dof <= 0:  # grad_output broadcasts: 0-d or all dims kept
        return grad_output * backend_of(a).xp.where(a == mean, math.nan, math.inf).astype(a.dtype)
    scale = 2 / dof if dof else math.inf  # C's 2.0 / 0, where Python's raises
    return spread(scale * grad_output, a, dim, keepdim) * (a - mean)


# -- the Tensor methods, attached by xpnet._tensor_methods ------------------------------
_permute = Function(permute, permute_backward, wrt=("a",))
_prod = Function(prod, prod_backward, wrt=("a",))
_var = Function(var, var_backward, wrt=("a",))
_select = Function(
    select_extreme,
    select_extreme_backward,
    wrt=("a",),
    saved=lambda extras: {"indices": extras[0]},
)
_UNARY = {
    name: Function(globals()[name], globals()[f"{name}_backward"], wrt=("a",))  # the pairs above
    for name in ("exp", "log", "sqrt", "abs", "amax", "amin", "max_all", "min_all", "std_root")
}
# what max(dim) and min(dim) return, as torch.return_types.max: a tuple with names
values_indices = namedtuple("values_indices", ["values", "indices"])


def tensor_permute(self, *dims) -> Tensor:
    """This tensor with its dimensions in the order ``dims`` (negative ones count from the end).

    Example:
        >>> import xpnet
        >>> xpnet.Tensor(np.zeros((2, 3, 4))).permute(2, 0, 1).shape
        (4, 2, 3)
    """
    dims = dims[0] if len(dims) == 1 and isinstance(dims[0], tuple | list) else dims
    order = tuple(check_dim("permute", d, self.ndim) for d in dims)
    if sorted(order) != list(range(self.ndim)):
        msg = f"Tensor.permute: dims must list each of the {self.ndim} dimensions once, got {dims}"
        raise ArgumentError(msg)
    return _permute(self, order)


def tensor_transpose(self, dim0: int, dim1: int) -> Tensor:
    """This tensor with dimensions ``dim0`` and ``dim1`` swapped (differentiable)."""
    order = list(range(self.ndim))
    i, j = check_dim("transpose", dim0, self.ndim), check_dim("transpose", dim1, self.ndim)
    if order:  # a 0-d tensor takes dims 0 and -1 and stays as it is, as in PyTorch
        order[i], order[j] = order[j], order[i]
    return name_node(_permute(self, tuple(order)), "TransposeBackward0")


def _matrix_transpose(self) -> Tensor:
    if self.ndim < 2:
        msg = f"Tensor.mT: needs a matrix or a batch of matrices, got a {self.ndim}-d tensor"
        raise ArgumentError(msg)
    return self.transpose(-2, -1)


def tensor_squeeze(self, dim=None) -> Tensor:
    """This tensor without its dimensions of size 1 (only those in ``dim``, an int or tuple,
    if given; others in ``dim`` stay, as PyTorch)."""
    dims = range(self.ndim) if dim is None else reduction_dims("squeeze", dim, self.shape) or ()
    result = self.reshape(tuple(n for i, n in enumerate(self.shape) if n != 1 or i not in dims))
    overload = 0 if dim is None else 2 if isinstance(dim, tuple | list) else 1  # PyTorch's
    return name_node(result, f"SqueezeBackward{overload}")


def tensor_unsqueeze(self, dim: int) -> Tensor:
    """This tensor with a dimension of size 1 inserted at ``dim``, in ``[-ndim - 1, ndim]``."""
    dim = check_dim("unsqueeze", dim, self.ndim + 1)
    result = self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])
    return name_node(result, "UnsqueezeBackward0")


def _unary_method(name: str):
    def method(self) -> Tensor:
        if name == "abs":  # PyTorch has no abs of bools
            refuse_dtype("Tensor.abs", self, "b", "non-bool")
        return _UNARY[name](self if name == "abs" else floating(self))

    method.__name__, method.__doc__ = name, f"Elementwise ``{name}``, as ``torch.{name}``."
    return method


def _max_min_method(name: str, largest: bool):
    """``max``/``min`` as PyTorch's: over every element, one value whose gradient the ties
    share; along ``dim``, ``(values, indices)``, the gradient going to the index; given a
    Tensor or an array ``other`` (in ``dim``'s place, or by name), the elementwise
    ``maximum``/``minimum`` of :mod:`xpnet._tensor_join`."""

    def method(self, dim=None, keepdim: bool = False, *, other=None):
        if other is not None or isinstance(dim, Tensor) or _is_array(dim):
            if keepdim or (other is not None and dim is not None):
                msg = f"Tensor.{name}: give an int dim (with keepdim) or other, not both"
                raise TypeError(msg)
            return (maximum if largest else minimum)(self, dim if other is None else other)
        if dim is None:
            _refuse_empty(name, self)
            return _UNARY[f"{name}_all"](self)
        reduction_dims(name, dim, self.shape, nonempty=True)
        if self.ndim == 0:  # PyTorch takes dim 0 of a 0-d tensor: one value, index 0
            values, indices = _select(self.reshape(1), 0, False, largest)
            return values_indices(values.reshape(()), Tensor(indices.reshape(())))
        values, indices = _select(self, check_dim(name, dim, self.ndim), keepdim, largest)
        return values_indices(values, Tensor(indices))

    method.__name__ = name
    method.__doc__ = (
        f"The {name}imum of every element, ``(values, indices)`` along ``dim``, or the "
        f"elementwise {name}imum with ``other``, as PyTorch's ``Tensor.{name}``."
    )
    return method


def _is_array(value) -> bool:
    """An array (of any backend, 0-d included), not a NumPy integer scalar that names a dim."""
    return hasattr(value, "shape") and not isinstance(value, numpy.generic)


def _refuse_empty(name: str, self: Tensor, dim=None) -> None:
    """PyTorch's RuntimeError for a max or min of every element (``dim`` None or ``()``) of
    no elements: there is no identity to give, and no dim to name in an IndexError."""
    every = dim is None or (isinstance(dim, tuple | list) and not dim)
    if every and self.numel() == 0:
        msg = f"Tensor.{name}: expected a dim for an input of no elements (shape {self.shape})"
        raise ArgumentError(msg)


def _extreme_value(name: str):
    def method(self, dim=(), keepdim: bool = False) -> Tensor:
        _refuse_empty(name, self, dim)
        return _UNARY[name](self, reduction_dims(name, dim, self.shape, nonempty=True), keepdim)

    method.__name__ = name
    method.__doc__ = f"The {name[1:]}imum over ``dim``; its gradient is shared among ties."
    return method


def _variance(where, self, dim, unbiased, keepdim, correction) -> Tensor:
    if isinstance(dim, bool):  # var(False): PyTorch's older positional ``unbiased``
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"Tensor.{where}: give unbiased or correction, not both")
    if self.dtype.kind not in "fc":  # as PyTorch: no integer variances
        raise ArgumentError(f"Tensor.{where}: input must be floating point, got {self.dtype}")
    correction = int(unbiased is not False) if correction is None else correction
    return _var(self, reduction_dims(where, dim, self.shape), correction, keepdim)


def tensor_var(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """The variance over ``dim`` divided by ``N - correction`` (1; ``unbiased=False``: 0)."""
    return _variance("var", self, dim, unbiased, keepdim, correction)


def tensor_std(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """The square root of :meth:`var` (same arguments)."""
    return _UNARY["std_root"](_variance("std", self, dim, unbiased, keepdim, correction))


@keep_given_dtype  # a dtype given is kept under autocast, as PyTorch's
def tensor_prod(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The product over every element or over ``dim`` (an int); ``dtype`` casts first. The
    gradient is the product of the other elements (exact with zeros)."""
    tensor = self if dtype is None else self.to(dtype)
    dims = None if dim is None else reduction_dims("prod", dim, self.shape)
    result = _prod(tensor) if dims is None else _prod(tensor, dims[0], keepdim)
    # integers multiply in int64; an integer dtype given is the result's (wrapped), as PyTorch
    return result if dtype is None else result.to(dtype)


METHODS = {
    "permute": tensor_permute,
    "transpose": tensor_transpose,
    # through permute, a tracked view: in-place changes of x.T count in x's version
    "T": property(lambda self: self.permute(*reversed(range(self.ndim)))),
    "mT": property(_matrix_transpose),
    "squeeze": tensor_squeeze,
    "unsqueeze": tensor_unsqueeze,
    **{name: _unary_method(name) for name in ("exp", "log", "sqrt", "abs")},
    "clamp": tensor_clamp,
    "clip": named_as("clip", "clamp", tensor_clamp),
    "max": _max_min_method("max", largest=True),
    "min": _max_min_method("min", largest=False),
    "amax": _extreme_value("amax"),
    "amin": _extreme_value("amin"),
    "var": tensor_var,
    "std": tensor_std,
    "prod": tensor_prod,
}
