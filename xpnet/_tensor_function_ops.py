"""The forward/backward pairs behind :mod:`xpnet._tensor_functions`' Tensor methods.

Step functions (``sign``, ``floor``, ``ceil``, ``round``, division rounded ``"floor"`` or
``"trunc"``: PyTorch gives them a zero gradient, not none), ``reciprocal`` and ``rsqrt``, with
PyTorch's gradients; ``fill``, ``copy``, ``setitem``, ``put_added`` and ``write_view``, the
recorded forms of the in-place ``fill_``, ``copy_``, ``x[index] = value``,
``index_put_(accumulate=True)`` and changes of views (:mod:`xpnet._tensor_inplace`,
:mod:`xpnet._tensor_index_put`). The convention and the checks are :mod:`xpnet._tensor_ops`'
(``<op>(*args)``, ``<op>_backward(grad_output, *args)``), whose helpers they share;
:mod:`xpnet._tensor_math` holds the pairs of the older methods, :mod:`xpnet._tensor_norms`
those of ``norm`` and ``logsumexp``.

Example:
    >>> import numpy as np
    >>> divide_rounded(np.array([7, -7]), 2, "trunc"), sign(np.array([-2.0, 0.0, np.nan]))
    (array([ 3, -3]), array([-1.,  0.,  0.]))
"""

from __future__ import annotations

import numpy

from ._tensor_ops import check_grad, ieee, result_type, shape_of, unbroadcast
from .backends import backend_of
from .kernels._checks import ArgumentError


def _arrays(*values) -> list:
    return [value for value in values if hasattr(value, "shape")]


def _step(name: str, forward):
    """The pair of a step function ``forward(a, *options)``: its derivative is 0 almost
    everywhere, and PyTorch's gradient is 0 everywhere (a zero array, so that the graph
    behind keeps flowing, as in PyTorch)."""

    def backward(grad_output, a, *options):
        check_grad(f"{name}_backward", grad_output, a.shape, a.dtype, a)
        return backend_of(grad_output).xp.zeros_like(grad_output)

    forward.__name__, backward.__name__ = name, f"{name}_backward"
    return ieee(forward), backward


def _sign(a):
    xp = backend_of(a).xp
    if a.dtype.kind == "b":  # NumPy has no sign for bools; PyTorch gives the bools back
        return a.copy()
    return xp.where(xp.isnan(a), 0, xp.sign(a))  # PyTorch's sign(NaN) is 0


def _rounding(name: str):
    def forward(a, *options):
        if a.dtype.kind in "iub":  # integers are already whole: a copy, as PyTorch
            return a.copy()
        return getattr(backend_of(a).xp, name)(a, *options)

    return forward


sign, sign_backward = _step("sign", _sign)
floor, floor_backward = _step("floor", _rounding("floor"))
ceil, ceil_backward = _step("ceil", _rounding("ceil"))
# half to even, as PyTorch; named so that Python's round stays itself here
round_to, round_to_backward = _step("round", _rounding("round"))


@ieee
def divide_rounded(a, b, rounding_mode):
    """``a / b`` rounded down (``"floor"``, Python's ``//``) or toward zero (``"trunc"``).

    Integers stay integers, computed exactly (not through a float quotient); a division by
    zero gives ``0`` here (NumPy's and CuPy's): the Tensor methods refuse it first, as PyTorch.
    Float16 by a number divides and rounds in float32, rounded to float16 once, as PyTorch's
    (NumPy would round the number to float16 first)."""
    if getattr(a, "dtype", None) == numpy.float16 and isinstance(b, int | float):
        return divide_rounded(a.astype(numpy.float32), b, rounding_mode).astype(numpy.float16)
    xp = backend_of(*_arrays(a, b)).xp
    if rounding_mode == "floor":
        return a // b
    if result_type(a, b).kind in "iub":  # b * trunc(a / b) is a - fmod(a, b), exactly
        return (a - xp.fmod(a, b)) // b
    return xp.trunc(a / b)


def floor_divided(a, b):
    """``a // b``, as ``torch.floor_divide``: :func:`divide_rounded` toward the floor."""
    return divide_rounded(a, b, "floor")


def without_derivative(op: str):
    """The backward of an op PyTorch records without a derivative (its node is a
    ``torch::autograd::NotImplemented``): a backward pass that reaches it raises PyTorch's
    ``RuntimeError`` naming ``aten::<op>``."""

    def backward(grad_output, *args):
        raise RuntimeError(f"derivative for aten::{op} is not implemented")

    backward.__name__ = "torch::autograd::NotImplemented"
    return backward


# ``div(rounding_mode="floor")`` has zero gradients; ``floor_divide``, the same values, none
floor_divided_backward = without_derivative("floor_divide")


def divide_rounded_backward(grad_output, a, b, rounding_mode):
    """Zero gradients for both operands, as PyTorch's ``div`` with a rounding mode."""
    shape = numpy.broadcast_shapes(shape_of(a), shape_of(b))
    check_grad("divide_rounded_backward", grad_output, shape, result_type(a, b), a, b)
    xp = backend_of(grad_output).xp
    return tuple(xp.zeros(shape_of(x), dtype=grad_output.dtype) for x in (a, b))


@ieee
def reciprocal(a):
    return 1 / a


@ieee
def reciprocal_backward(grad_output, a):
    """``-grad * (1 / a) ** 2``, PyTorch's formula (``-inf`` at ``a = 0``)."""
    check_grad("reciprocal_backward", grad_output, a.shape, a.dtype, a)
    result = 1 / a
    return -grad_output * (result * result)


@ieee
def rsqrt(a):
    return 1 / backend_of(a).xp.sqrt(a)


@ieee
def rsqrt_backward(grad_output, a):
    """``-0.5 * grad * a ** -1.5``, from the result as PyTorch's: ``-0.5 * grad * rsqrt(a)**3``."""
    check_grad("rsqrt_backward", grad_output, a.shape, a.dtype, a)
    return -0.5 * grad_output * rsqrt(a) ** 3


@ieee  # a value past float16's range fills inf, without NumPy's overflow warning
def fill(a, value):
    """A new array of ``a``'s shape and dtype holding ``value`` (a number or a 0-d array)."""
    xp = backend_of(a).xp
    if hasattr(value, "shape"):
        return xp.broadcast_to(value, a.shape).astype(a.dtype)  # astype copies
    return xp.full(a.shape, value, dtype=a.dtype)


def fill_backward(grad_output, a, value):
    """Nothing reaches the old values; a 0-d array ``value`` gets the sum of every gradient."""
    check_grad("fill_backward", grad_output, a.shape, a.dtype, a, value)
    return backend_of(grad_output).xp.zeros_like(grad_output), unbroadcast(grad_output, ())


@ieee  # float32 values past float16's range copy as inf, as PyTorch's: no warning
def copy(a, src):
    """``src`` broadcast to ``a``'s shape, in ``a``'s dtype: a new array."""
    return backend_of(a).xp.broadcast_to(src, a.shape).astype(a.dtype)


def copy_backward(grad_output, a, src):
    """Nothing reaches the old values; ``src`` gets the gradient summed over its broadcast."""
    check_grad("copy_backward", grad_output, a.shape, a.dtype, a, src)
    grad_src = unbroadcast(grad_output, src.shape).astype(src.dtype, copy=False)
    return backend_of(grad_output).xp.zeros_like(grad_output), grad_src


def setitem(a, index, value):
    """A copy of ``a`` with ``value`` (a number or an array, in ``a``'s dtype, broadcast)
    written at ``index``."""
    out = a.copy()
    write_at(out, index, value)
    return out


def write_at(array, index, value) -> None:
    """``array[index] = value`` (cast to ``array``'s dtype); NumPy's ValueError or
    OverflowError (a shape that does not broadcast, NaN or a huge number into integers) as
    PyTorch's RuntimeError: an ArgumentError naming ``Tensor.__setitem__``."""
    value = value.astype(array.dtype, copy=False) if hasattr(value, "shape") else value
    try:
        array[index] = value
    except (ValueError, OverflowError) as error:
        raise ArgumentError(f"Tensor.__setitem__: {error}") from None


def setitem_backward(grad_output, a, index, value, output_mask=(True, True)):
    """The overwritten places give the old values nothing; ``value`` gets what reached them,
    summed over its broadcast (an index picked twice passes its gradient twice, as
    PyTorch's ``index_put_``)."""
    check_grad("setitem_backward", grad_output, a.shape, a.dtype, a, value)
    grad_a = None
    if output_mask[0]:
        grad_a = grad_output.copy()
        grad_a[index] = 0
    grad_value = None
    if output_mask[1] and hasattr(value, "shape"):
        grad_value = _written_gradient(grad_output, index, value)
    return grad_a, grad_value


def _written_gradient(grad_output, index, value):
    """What reached the places ``value`` was written to, ``grad_output[index]``, summed over
    ``value``'s broadcast, in its dtype."""
    picked = grad_output[index]
    if value.ndim > picked.ndim:  # NumPy and PyTorch accept leading ones on value
        picked = picked.reshape((1,) * (value.ndim - picked.ndim) + picked.shape)
    return unbroadcast(picked, value.shape).astype(value.dtype, copy=False)


@ieee
def put_added(a, index, value):
    """A copy of ``a`` with ``value`` (broadcast) added at ``index``, every duplicate index
    too (the recorded form of ``index_put(accumulate=True)``)."""
    out = a.copy()
    backend = backend_of(a)
    backend.scatter_add(out, index, backend.xp.broadcast_to(value, out[index].shape))
    return out


def put_added_backward(grad_output, a, index, value):
    """The old values pass the gradient on; ``value`` gets what reached its places."""
    check_grad("put_added_backward", grad_output, a.shape, a.dtype, a, value)
    return grad_output, _written_gradient(grad_output, index, value)


def write_view(a, value, view_of):
    """A copy of ``a`` with ``value`` written into ``view_of(copy)``, a view of it (the
    recorded form of an in-place change of a view: PyTorch's ``CopySlices``)."""
    out = backend_of(a).xp.array(a)  # a copy, and an array where ``a`` is a NumPy scalar
    view_of(out)[...] = value
    return out


def write_view_backward(grad_output, a, value, view_of, output_mask=(True, True)):
    """The view's places give the old values nothing; ``value`` gets what reached them."""
    check_grad("write_view_backward", grad_output, a.shape, a.dtype, a, value)
    grad_a = None
    grad_output = backend_of(grad_output).xp.asarray(grad_output)  # 0-d: NumPy gives scalars
    if output_mask[0]:
        grad_a = grad_output.copy()
        view_of(grad_a)[...] = 0
    grad_value = None
    if output_mask[1]:
        grad_value = view_of(grad_output).astype(value.dtype, copy=True)
    return grad_a, grad_value
