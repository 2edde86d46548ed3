"""Operations that join tensors into one: ``cat``/``stack``, ``maximum``/``minimum``, ``clamp``.

``cat`` (alias ``concat``) and ``stack`` join a sequence of tensors along a dimension;
``maximum`` and ``minimum`` pick between two broadcast tensors element by element, and
``clamp`` between a tensor and its ``min``/``max`` bounds, which may be Tensors that require
grad. The forward/backward pairs follow :mod:`xpnet._tensor_ops`' convention
(``<op>(*arrays)``, ``<op>_backward(grad_output, *arrays)``) and give PyTorch's gradients;
the public functions below them check their arguments and record the pairs as
:class:`~xpnet.autograd.Function`\\ s. :mod:`xpnet._tensor_math` attaches ``Tensor.clamp``
and the elementwise ``Tensor.max(other)``/``min(other)``; :mod:`xpnet._torch_functions`
holds the other ``torch.<name>`` function forms, :mod:`xpnet._tensor_index` the inverse
operations (``split``, ``chunk``, ``unbind``).

Example:
    >>> import xpnet
    >>> a = xpnet.Tensor(np.array([1.0, 5.0]), requires_grad=True)
    >>> b = xpnet.Tensor(np.array([3.0, 5.0]), requires_grad=True)
    >>> (cat([a, b]).sum() + maximum(a, b).sum()).backward()
    >>> a.grad.tolist(), b.grad.tolist()
    ([1.0, 1.5], [2.0, 1.5])
"""

from __future__ import annotations

import functools
import inspect
import numbers
import operator
from collections.abc import Sequence

import numpy

from ._dtypes import as_dtype, checked_scalar, result_dtype
from ._tensor_checks import refuse_complex, refuse_dtype
from ._tensor_operands import check_operands
from ._tensor_ops import check_grad, ieee, result_type, shape_of, unbroadcast
from .autograd import Function, Tensor, data_of
from .backends import backend_of
from .kernels import ArgumentError
from .kernels._checks import as_index

__all__ = ["cat", "concat", "maximum", "minimum", "stack"]


def joined(arrays) -> list:
    """Which of ``arrays`` take part in a concatenation: PyTorch skips 1-d arrays of size 0
    beside others (its legacy empty tensor), though their dtype still counts."""
    taking = [tuple(a.shape) != (0,) for a in arrays]
    return taking if any(taking) else [True] * len(arrays)


def concatenate(*arrays, dim=0):
    """``arrays`` joined along their existing dimension ``dim``, in PyTorch's result dtype."""
    dtype, taking = result_dtype(*arrays), joined(arrays)
    parts = [a.astype(dtype, copy=False) for a, takes in zip(arrays, taking, strict=True) if takes]
    return backend_of(*arrays).xp.concatenate(parts, axis=dim)


def concatenate_backward(grad_output, *arrays, dim=0, output_mask=None):
    """Each array's gradient is its slice of ``grad_output`` along ``dim`` (a view); the
    skipped legacy empty arrays get empty gradients."""
    taking = joined(arrays)
    first = arrays[taking.index(True)]
    dim %= first.ndim
    size = sum(a.shape[dim] for a, takes in zip(arrays, taking, strict=True) if takes)
    shape = first.shape[:dim] + (size,) + first.shape[dim + 1 :]
    check_grad("concatenate_backward", grad_output, shape, result_dtype(*arrays), *arrays)
    xp, lead = backend_of(grad_output).xp, (slice(None),) * dim
    grads, start, wanted_grads = [], 0, output_mask or (True,) * len(arrays)
    for array, takes, wanted in zip(arrays, taking, wanted_grads, strict=True):
        stop = start + array.shape[dim] if takes else start
        if not wanted:
            grads.append(None)
        elif takes:
            grads.append(grad_output[lead + (slice(start, stop),)])
        else:
            grads.append(xp.zeros(array.shape, dtype=grad_output.dtype))
        start = stop
    return tuple(grads)


def stack_arrays(*arrays, dim=0):
    """``arrays`` (of one shape) joined along a new dimension ``dim``."""
    dtype = result_dtype(*arrays)
    parts = [a.astype(dtype, copy=False) for a in arrays]
    return backend_of(*arrays).xp.stack(parts, axis=dim)


def stack_arrays_backward(grad_output, *arrays, dim=0, output_mask=None):
    """Array ``i``'s gradient is ``grad_output``'s slice ``i`` along the new ``dim``."""
    shape = arrays[0].shape
    dim %= len(shape) + 1
    expected = shape[:dim] + (len(arrays),) + shape[dim:]
    check_grad("stack_arrays_backward", grad_output, expected, result_dtype(*arrays), *arrays)
    xp, lead = backend_of(grad_output).xp, (slice(None),) * dim
    return tuple(  # a slice then a reshape: an array, where an int index gives NumPy a scalar
        xp.reshape(grad_output[lead + (slice(i, i + 1),)], shape) if wanted else None
        for i, wanted in enumerate(output_mask or (True,) * len(arrays))
    )


def _elementwise(name: str, function: str, loses):
    """The pair of ``xp.<function>`` (``maximum``, ``minimum``) of two broadcast arrays.

    PyTorch's gradient (derivatives.yaml): where ``a == b`` each gets half of
    ``grad_output``; elsewhere the one picked gets all of it, the one that ``loses`` none.
    A NaN equals nothing and loses to nothing: both operands get all of it there."""

    def forward(a, b):
        dtype = result_dtype(a, b)
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        return getattr(backend_of(a, b).xp, function)(a, b)

    def backward(grad_output, a, b, output_mask=(True, True)):
        shape = numpy.broadcast_shapes(a.shape, b.shape)
        check_grad(f"{name}_backward", grad_output, shape, result_dtype(a, b), a, b)
        xp = backend_of(grad_output).xp
        shared = xp.where(a == b, grad_output / 2, grad_output)
        grad_a = unbroadcast(xp.where(loses(a, b), 0, shared), a.shape) if output_mask[0] else None
        grad_b = unbroadcast(xp.where(loses(b, a), 0, shared), b.shape) if output_mask[1] else None
        return grad_a, grad_b

    forward.__name__, backward.__name__ = name, f"{name}_backward"
    return ieee(forward), ieee(backward)


elementwise_max, elementwise_max_backward = _elementwise("elementwise_max", "maximum", operator.lt)
elementwise_min, elementwise_min_backward = _elementwise("elementwise_min", "minimum", operator.gt)


@ieee
def clamp(a, min=None, max=None):
    xp = backend_of(a).xp
    # PyTorch's: a tie keeps the input (clamp(-0.0, min=0.0) is -0.0), a NaN bound gives NaN;
    # max after min, so where min > max every element becomes max
    a = a if min is None else xp.where((a < min) | (min != min), min, a)
    return a if max is None else xp.where((a > max) | (max != max), max, a)


@ieee
def clamp_backward(grad_output, a, min=None, max=None, output_mask=(True, True, True)):
    """PyTorch's ``clamp_backward`` and ``clamp_backward_min_max``: ``a`` gets the gradient
    where ``min <= a <= max`` (bounds included, NaN excluded); ``min`` where ``a < min`` and,
    with ``max``, ``min < max``; ``max`` where ``a > max`` or ``max < min``. Where
    ``min == max > a`` none gets it, as in PyTorch. Number bounds get none."""
    bounds = [bound for bound in (min, max) if bound is not None]
    shape = numpy.broadcast_shapes(a.shape, *map(shape_of, bounds))
    check_grad("clamp_backward", grad_output, shape, result_type(a, *bounds), a, *bounds)
    xp = backend_of(grad_output).xp
    grads = [None, None, None]
    if output_mask[0]:
        inside = True if min is None else a >= min
        inside = inside if max is None else inside & (a <= max)
        grads[0] = unbroadcast(xp.where(inside, grad_output, 0), a.shape)
    if output_mask[1] and hasattr(min, "shape"):
        below = a < min if max is None else (a < min) & (min < max)
        grads[1] = unbroadcast(xp.where(below, grad_output, 0), min.shape)
    if output_mask[2] and hasattr(max, "shape"):
        above = a > max if min is None else (a > max) | (max < min)
        grads[2] = unbroadcast(xp.where(above, grad_output, 0), max.shape)
    return tuple(grads)


# -- the Functions --------------------------------------------------------------------------
_maximum = Function(elementwise_max, elementwise_max_backward, wrt=("a", "b"))
_minimum = Function(elementwise_min, elementwise_min_backward, wrt=("a", "b"))
_clamp = Function(clamp, clamp_backward, wrt=("a", "min", "max"))


@functools.cache
def _joining(forward, backward, count: int) -> Function:
    """The Function of ``forward(*arrays, dim)`` for ``count`` arrays: Function finds the
    inputs that get gradients by parameter name, so each count gets a signature of its own."""

    def call(*arrays, dim):
        return forward(*arrays, dim=dim)

    names = tuple(f"tensor{i}" for i in range(count))
    positional = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in names]
    dim = inspect.Parameter("dim", inspect.Parameter.KEYWORD_ONLY)
    call.__signature__ = inspect.Signature([*positional, dim])
    call.__name__ = forward.__name__  # the name xpnet.amp's autocast lists go by
    return Function(call, backward, wrt=names)


# -- the public functions -------------------------------------------------------------------
def _arrays(where: str, names: tuple, values) -> list:
    """The arrays of ``values`` (Tensors or arrays), all on one backend."""
    arrays = [data_of(value) for value in values]
    for name, array, value in zip(names, arrays, values, strict=True):
        if not (hasattr(array, "shape") and hasattr(array, "dtype")):
            msg = f"{where}: {name} must be a Tensor or an array, got {type(value).__name__}"
            raise TypeError(msg)
    backend_of(*arrays, names=names, where=where)
    return arrays


def _sequence(where: str, tensors) -> list:
    if not isinstance(tensors, Sequence) or isinstance(tensors, str):
        msg = f"{where}: tensors must be a list or tuple of Tensors, got {type(tensors).__name__}"
        raise TypeError(msg)
    if not tensors:
        msg = f"{where}: tensors must not be empty, got an empty {type(tensors).__name__}"
        raise ArgumentError(msg)
    return _arrays(where, tuple(f"tensors[{i}]" for i in range(len(tensors))), tensors)


def checked_dim(where: str, dim, ndim: int, what: str) -> int:
    """``dim`` in ``[0, ndim)``, from PyTorch's ``[-ndim, ndim)`` (an int, or a one-element
    integer Tensor, as PyTorch's parser takes)."""
    given, dim = dim, as_index(dim)
    if dim is None:
        msg = f"{where}: dim must be an int, got {given!r}"
        raise TypeError(msg)
    if not -ndim <= dim < ndim:
        msg = f"{where}: dim must be in [{-ndim}, {ndim - 1}] for {what}, got {dim}"
        raise IndexError(msg)
    return dim % ndim


def cat(tensors, dim=0) -> Tensor:
    """Join ``tensors`` along their dimension ``dim``, as ``torch.cat`` (alias :func:`concat`).

    Args:
        tensors: a list or tuple of Tensors (or arrays) of one backend, all of the same
            number of dimensions and the same sizes except along ``dim``. A 1-d tensor of
            size 0 is skipped, as PyTorch's legacy empty tensor.
        dim: the dimension to join along, in ``[-ndim, ndim)``. Default: ``0``.

    Returns:
        A Tensor whose size along ``dim`` is the sum of the inputs'. Its dtype is PyTorch's:
        NumPy's promotion (``numpy.result_type``) within a category, where floats win over
        integers and bools (int64 with float32 gives float32, where NumPy gives float64).
        Each input that requires grad gets its slice of the gradient.

    Raises:
        TypeError: if ``tensors`` is not a list or tuple (a single Tensor, say), holds
            something else than Tensors and arrays, or mixes backends; if ``dim`` is no int.
        ArgumentError: if ``tensors`` is empty, holds a 0-d tensor, or the shapes differ
            other than along ``dim``.
        IndexError: if ``dim`` is out of range.

    Example:
        >>> import xpnet
        >>> x = xpnet.Tensor(np.zeros((2, 3)), requires_grad=True)
        >>> y = cat([x, xpnet.Tensor(np.ones((2, 1)))], dim=-1)
        >>> y.shape, y.requires_grad
        ((2, 4), True)
    """
    arrays = _sequence("cat", tensors)
    if all(tuple(a.shape) == (0,) for a in arrays) and as_index(dim) is not None:
        dim = 0  # legacy empty tensors alone: PyTorch takes any dim
    positions = [i for i, takes in enumerate(joined(arrays)) if takes]
    for i in positions:
        if arrays[i].ndim == 0:
            msg = f"cat: tensors[{i}] is 0-d and cannot be concatenated; use stack"
            raise ArgumentError(msg)
    first = arrays[positions[0]]
    dim = checked_dim("cat", dim, first.ndim, f"{first.ndim}-d tensors")
    for i in positions[1:]:
        shape, expected = arrays[i].shape, first.shape
        if len(shape) != len(expected):
            rule = "tensors must have the same number of dimensions"
        elif shape[:dim] + shape[dim + 1 :] != expected[:dim] + expected[dim + 1 :]:
            rule = f"sizes must match except in dimension {dim}"
        else:
            continue
        found = f"got {expected} at tensors[{positions[0]}] and {shape} at tensors[{i}]"
        raise ArgumentError(f"cat: {rule}, {found}")
    return _joining(concatenate, concatenate_backward, len(arrays))(*tensors, dim=dim)


concat = cat


def stack(tensors, dim=0) -> Tensor:
    """Join ``tensors`` along a new dimension ``dim``, as ``torch.stack``.

    Args:
        tensors: a list or tuple of Tensors (or arrays) of one backend and one shape.
        dim: where the new dimension goes, in ``[-(ndim + 1), ndim]``. Default: ``0``.

    Returns:
        A Tensor of the inputs' shape with ``len(tensors)`` inserted at ``dim``, in
        :func:`cat`'s dtype. Input ``i`` gets the gradient's slice ``i`` along ``dim``.

    Raises:
        TypeError: as :func:`cat`.
        ArgumentError: if ``tensors`` is empty or the shapes differ.
        IndexError: if ``dim`` is out of range.

    Example:
        >>> import xpnet
        >>> stack([xpnet.Tensor(np.zeros(3)), xpnet.Tensor(np.ones(3))], dim=1).tolist()
        [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    """
    arrays = _sequence("stack", tensors)
    shape = arrays[0].shape  # the dim first, as PyTorch's order of checks
    dim = checked_dim("stack", dim, len(shape) + 1, f"stacking {len(shape)}-d tensors")
    for i, array in enumerate(arrays):
        if array.shape != shape:
            msg = f"stack: tensors must all have the same shape, got {shape} at tensors[0]"
            raise ArgumentError(f"{msg} and {array.shape} at tensors[{i}]")
    return _joining(stack_arrays, stack_arrays_backward, len(arrays))(*tensors, dim=dim)


def _picking(name: str, function: Function):
    def pick(input, other) -> Tensor:
        a, b = _arrays(name, ("input", "other"), (input, other))
        refuse_complex(name, "input and other", a, b)
        try:
            numpy.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            msg = f"{name}: shapes must broadcast, got input {a.shape} and other {b.shape}"
            raise ArgumentError(msg) from None
        return function(input, other)

    pick.__name__ = pick.__qualname__ = name
    larger, largest = ("larger", "maximum") if name == "maximum" else ("smaller", "minimum")
    pick.__doc__ = f"""The {larger} of ``input`` and ``other`` element by element, as
    ``torch.{name}`` (and ``input.{name[:3]}(other)``).

    Args:
        input, other: Tensors (or arrays) of one backend, whose shapes broadcast.

    Returns:
        A Tensor of the broadcast shape, in :func:`cat`'s dtype (a 0-d operand beside one
        with dimensions counts only if of a higher category, as PyTorch). NaN in either
        gives NaN. The gradient is PyTorch's: where the two are equal each gets half; else
        the {largest} gets all of it (both, where a NaN is involved), summed down to each
        operand's shape.

    Raises:
        TypeError: if an operand is a Python number (as PyTorch; use ``clamp`` there) or
            another object, or the two are on different backends.
        ArgumentError: if the shapes do not broadcast.

    Example:
        >>> import xpnet
        >>> a = xpnet.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        >>> {name}(a, xpnet.Tensor(np.array(2.0))).sum().backward()
        >>> a.grad.tolist()
        {[0.0, 0.5, 1.0] if name == "maximum" else [1.0, 0.5, 0.0]}
    """
    return pick


maximum = _picking("maximum", _maximum)
minimum = _picking("minimum", _minimum)


BOUNDS = ("min", "max")


def tensor_clamp(self, min=None, max=None) -> Tensor:
    """Elementwise ``min(max(self, min), max)``, as ``torch.clamp``; NaN stays NaN.

    ``min`` and ``max`` are numbers, arrays or Tensors (PyTorch takes two numbers or two
    Tensors; here they may mix), broadcast against this tensor; where ``min > max`` every
    element becomes ``max``. Gradients are PyTorch's (see :func:`clamp_backward`): this
    tensor's pass where ``min <= self <= max``; a bound Tensor that requires grad gets the
    gradient where it is the value taken.

    Raises:
        ArgumentError: both bounds ``None``, bound shapes that do not broadcast, or a number
            the result's dtype cannot hold (``clamp(max=1e6)`` of float16), as PyTorch.
        TypeError: a bound on another backend, or not a number, an array or a Tensor.

    Example:
        >>> import xpnet
        >>> x = xpnet.Tensor(np.array([-2.0, 0.5, 3.0]), requires_grad=True)
        >>> low = xpnet.Tensor(np.array(0.0), requires_grad=True)
        >>> x.clamp(low, 1.0).sum().backward()
        >>> x.grad.tolist(), low.grad.tolist()
        ([0.0, 1.0, 0.0], 1.0)
    """
    if min is None and max is None:
        raise ArgumentError("Tensor.clamp: at least one of min and max must not be None")
    # a string or a tuple bound: PyTorch's TypeError, not NumPy's array of it (None: unbounded)
    check_operands("Tensor.clamp", 0 if min is None else min, 0 if max is None else max, BOUNDS)
    refuse_complex("Tensor.clamp", "input, min and max", self, min, max)
    bounds = {name: data_of(v) for name, v in (("min", min), ("max", max)) if hasattr(v, "shape")}
    backend_of(self.array, *bounds.values(), names=("self", *bounds), where="Tensor.clamp")
    shapes = [self.shape, *(bound.shape for bound in bounds.values())]
    try:  # PyTorch's RuntimeError, not NumPy's ValueError from inside the kernel
        numpy.broadcast_shapes(*shapes)
    except ValueError:
        msg = f"Tensor.clamp: shapes of {', '.join(('self', *bounds))} must broadcast"
        raise ArgumentError(f"{msg}, got {shapes}") from None
    dtype = result_dtype(self, *(bound for bound in (min, max) if bound is not None))
    numbers_or_both = len(bounds) < (min is not None) + (max is not None) or len(bounds) == 2
    if dtype.kind == "b" and numbers_or_both:  # PyTorch's clamp_min/clamp_max of bools only
        refuse_dtype("Tensor.clamp", self, "b", "non-bool")
    min, max = (
        checked_scalar("Tensor.clamp", name, bound, dtype)
        if isinstance(bound, numbers.Number)
        else bound
        for name, bound in (("min", min), ("max", max))
    )
    return _clamp(*(as_dtype(value, dtype) for value in (self, min, max)))
