"""Running (cumulative) operations along a dim, as PyTorch's: ``cumprod``, ``cummax``,
``cummin``, ``logcumsumexp``, and ``diff``; ``xpnet.<name>`` functions and Tensor methods
(:data:`METHODS`). ``cumsum`` is :mod:`xpnet._tensor_select`'s.

The pairs follow :mod:`xpnet._tensor_ops`' convention with PyTorch's gradients: ``cumprod``'s
is exact where the input holds zeros (the product without the first zero, not a division by
it); ``cummax``/``cummin`` send each gradient to the index of the running extreme (on ties the
last one, after a NaN the last NaN, as PyTorch's); ``logcumsumexp``'s is PyTorch's log-space
formula. Running maxima and log-sums are computed in ``log2(n)`` whole-array steps (CuPy has
no ``maximum.accumulate``), never with a host sync.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> x.cumprod(0).sum().backward(); x.grad.tolist()
    [1.0, 8.0, 0.0]
    >>> values, indices = xpnet.tensor([1, 3, 2, 3]).cummax(0)
    >>> values.tolist(), indices.tolist()
    ([1, 3, 3, 3], [0, 1, 1, 3])
"""

from __future__ import annotations

import numpy

from ._node_names import named_nodes
from ._tensor_join import cat
from ._tensor_math import check_dim, values_indices
from ._tensor_ops import check_grad, ieee
from ._tensor_select import scatter_along
from ._torch_functions import as_input
from .amp.autocast_mode import keep_given_dtype
from .autograd import Function, Tensor, as_tensor
from .backends import backend_of
from .kernels import ArgumentError, UnsupportedDtypeError
from .kernels._checks import check_int

__all__ = ["cummax", "cummin", "cumprod", "diff", "logcumsumexp"]


def running(op, a, dim):
    """``op`` (associative, commutative, elementwise) accumulated along ``dim``: ``log2(n)``
    steps, each combining every element with the one ``shift`` before it."""
    xp = backend_of(a).xp
    size, shift, before = a.shape[dim], 1, (slice(None),) * dim
    while shift < size:
        head = a[before + (slice(0, shift),)]
        tail = op(a[before + (slice(shift, None),)], a[before + (slice(0, size - shift),)])
        a = xp.concatenate([head, tail], axis=dim)
        shift *= 2
    return a


@ieee
def running_product(a, dim):
    return backend_of(a).xp.cumprod(a, axis=dim, dtype=a.dtype)  # NumPy's int32 gives int64


running_product.__name__ = "cumprod"  # the name xpnet.amp's autocast lists go by


@ieee
def running_product_backward(grad_output, a, dim):
    """Element ``k`` of a line whose first zero is at ``z``: before ``z``, PyTorch's
    ``reversed_cumsum(grad * output)[k] / a[k]``; at ``z``, the gradients after it times the
    products without ``a[z]``; after ``z``, 0 (every product holds ``a[z]``). A line of one
    element passes the gradient on (PyTorch's shortcut: no ``inf / inf`` there)."""
    check_grad("running_product_backward", grad_output, a.shape, a.dtype, a)
    xp = backend_of(grad_output).xp
    if a.ndim == 0 or a.shape[dim] == 1:
        return grad_output
    zeros_so_far = xp.cumsum(a == 0, axis=dim)
    before, first = zeros_so_far == 0, (a == 0) & (zeros_so_far == 1)
    # the products from z on hold a[z] = 0: no share in the gradient before z (nor inf * 0)
    weighted = xp.where(before, xp.cumprod(a, axis=dim) * grad_output, 0)
    weighted = xp.flip(xp.cumsum(xp.flip(weighted, dim), dim), dim)
    grad = xp.where(before, weighted / xp.where(before, a, 1), 0)
    without = xp.cumprod(xp.where(first, 1, a), axis=dim)
    at_first = xp.where(before, 0, grad_output * without).sum(axis=dim, keepdims=True)
    return xp.where(first, at_first, grad).astype(grad_output.dtype, copy=False)


def running_extreme(a, dim, largest):
    """``(values, indices)`` of ``cummax`` (``largest``) or ``cummin`` along ``dim``."""
    xp = backend_of(a).xp
    values = running(xp.maximum if largest else xp.minimum, a, dim)
    shape = [1] * a.ndim
    shape[dim] = -1
    positions = xp.arange(a.shape[dim], dtype=xp.int64).reshape(shape)
    # a new extreme (ties too: the last index wins) or a NaN (it stays the extreme)
    record = (a == values) | (a != a)
    indices = running(xp.maximum, xp.where(record, positions, 0), dim)
    return values, indices


def running_extreme_backward(grad_output, a, dim, largest, indices=None):
    """Each gradient added at the index its value came from."""
    check_grad("running_extreme_backward", grad_output, a.shape, a.dtype, a)
    return scatter_along(grad_output, indices, dim, a.shape)


@ieee
def running_logsumexp(a, dim):
    return running(backend_of(a).xp.logaddexp, a, dim) if a.ndim else a.copy()


running_logsumexp.__name__ = "logcumsumexp"


@ieee
def running_logsumexp_backward(grad_output, a, dim):
    """PyTorch's: the positive and the negative gradients apart, in log space; a 0-d ``a``
    passes the gradient on (PyTorch's shortcut, where a 1-element line gives NaN at inf)."""
    check_grad("running_logsumexp_backward", grad_output, a.shape, a.dtype, a)
    xp = backend_of(grad_output).xp
    if a.ndim == 0 or a.size == 0:
        return grad_output
    result = running_logsumexp(a, dim)
    lowest = xp.finfo(a.dtype).min
    log_abs = xp.log(xp.abs(grad_output))
    parts = []
    for sign in (grad_output > 0, grad_output < 0):
        logs = xp.where(sign, log_abs, lowest) - result
        reverse = xp.flip(running_logsumexp(xp.flip(logs, dim), dim), dim)
        parts.append(xp.exp(reverse + a))
    return parts[0] - parts[1]


_cumprod = Function(running_product, running_product_backward, wrt=("a",))
_running_extreme = Function(
    running_extreme,
    running_extreme_backward,
    wrt=("a",),
    saved=lambda extras: {"indices": extras[0]},
)
_logcumsumexp = Function(running_logsumexp, running_logsumexp_backward, wrt=("a",))


@keep_given_dtype  # a dtype given is kept under autocast, as PyTorch's
def cumprod(input, dim: int, *, dtype=None) -> Tensor:
    """The running product along ``dim``, as ``torch.cumprod`` (integers and bools give
    int64), after a cast to ``dtype`` if given. Its gradient is exact where there are zeros.

    Raises:
        IndexError: ``dim`` out of range. TypeError: ``dim`` not an int.
    """
    tensor = as_input("cumprod", input)
    dim = check_dim("cumprod", dim, tensor.ndim)
    if dtype is not None:
        tensor = tensor.to(dtype)
    elif tensor.dtype.kind in "iub":
        tensor = tensor.to("int64")
    if tensor.ndim == 0:
        return _cumprod(tensor.reshape(1), 0).reshape(())
    return _cumprod(tensor, dim)


def _extreme(name: str, largest: bool):
    def function(input, dim: int):
        tensor = as_input(name, input)
        dim = check_dim(name, dim, tensor.ndim)
        line = tensor.reshape(1) if tensor.ndim == 0 else tensor
        values, indices = _running_extreme(line, dim, largest)  # a named tuple, as PyTorch's
        return values_indices(values.reshape(tensor.shape), Tensor(indices.reshape(tensor.shape)))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"``(values, indices)``: the running {name[3:]}imum along ``dim`` and where it was "
        f"found (the last index on ties; a NaN stays), as ``torch.{name}``."
    )
    return function


cummax = named_nodes("CummaxBackward0")(_extreme("cummax", True))
cummin = named_nodes("CumminBackward0")(_extreme("cummin", False))


def logcumsumexp(input, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))`` without overflow, as ``torch.logcumsumexp``.

    Example:
        >>> import xpnet
        >>> xpnet.tensor([1000.0, 1000.0], dtype=xpnet.float64).logcumsumexp(0).tolist()
        [1000.0, 1000.6931471805599]
    """
    tensor = as_input("logcumsumexp", input)
    dim = check_dim("logcumsumexp", dim, tensor.ndim)
    if tensor.dtype.kind != "f":  # PyTorch's NotImplementedError
        msg = f"Tensor.logcumsumexp: input must be floating point, got {tensor.dtype}"
        raise UnsupportedDtypeError(msg)
    return _logcumsumexp(tensor, dim)


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference ``input[i + 1] - input[i]`` along ``dim``, after
    ``prepend`` and ``append`` join ``input`` there, as ``torch.diff`` (bools: ``!=``); for
    ``n = 0`` a copy of ``input`` (without them).

    Raises:
        ArgumentError: a 0-d ``input``, or ``prepend``/``append`` that do not fit.
        TypeError: ``n`` not an int. IndexError: ``dim`` out of range.
    """
    tensor = as_input("diff", input)
    n = check_int("Tensor.diff", "n", n)
    if tensor.ndim == 0:
        raise ArgumentError("Tensor.diff: expects a tensor of at least 1 dimension, got 0-d")
    if n < 0:
        raise ArgumentError(f"Tensor.diff: order must be non-negative, got {n}")
    dim = check_dim("diff", dim, tensor.ndim)
    parts = [as_tensor(t) for t in (prepend, tensor, append) if t is not None]
    others = tensor.shape[:dim] + tensor.shape[dim + 1 :]
    for part in parts:  # checked for n = 0 too, as PyTorch
        if part.ndim != tensor.ndim:
            msg = f"Tensor.diff: prepend and append must have {tensor.ndim} dims like input"
            raise ArgumentError(f"{msg}, got shape {part.shape}")
        if part.shape[:dim] + part.shape[dim + 1 :] != others:
            msg = f"Tensor.diff: prepend and append must have input's shape {tensor.shape} "
            raise ArgumentError(f"{msg}except along dim {dim}, got shape {part.shape}")
    if n == 0:  # a copy of input, as PyTorch: prepend and append are not joined
        return tensor.clone()
    line = cat(parts, dim) if len(parts) > 1 else tensor
    before = (slice(None),) * dim
    for _ in range(min(n, line.shape[dim])):
        later, earlier = line[before + (slice(1, None),)], line[before + (slice(None, -1),)]
        line = later != earlier if line.dtype == numpy.bool_ else later - earlier
    return line


METHODS = {
    "cumprod": cumprod,
    "cummax": cummax,
    "cummin": cummin,
    "logcumsumexp": logcumsumexp,
    "diff": diff,
}
