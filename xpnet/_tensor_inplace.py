"""PyTorch's in-place Tensor methods: ``zero_``, ``fill_``, ``copy_``, ``add_``, ``sub_``,
``mul_``, ``div_``, ``pow_``, ``clamp_`` and ``x[index] = value``.

They follow the rules of the in-place operators (``+=``, ...) of
:mod:`xpnet._tensor_methods`: the array itself changes, so views of it see the change, unless
the operation must be recorded for autograd (gradients are on, and the tensor or an operand
requires grad); a leaf that requires grad, or a view of one, may change in place only under
:class:`~xpnet.no_grad` (``w.add_(grad, alpha=-lr)``), else ``RuntimeError``. A recorded one
computes out of place, leaving the old array as it was, and this tensor takes the result and
its ``grad_fn``, as PyTorch's does; the ops recorded before with this tensor as input get a
stand-in for the old value, so their backward still runs, with the values they saw. Its views
(``x[0]``, ``x[:, 1:]``, ``x.t()``: :mod:`xpnet._tensor_views`) are taken again from the new
value; a recorded change of such a view writes its new value into its base, through a
recorded ``write_view`` (PyTorch's ``CopySlices``). A tensor whose array ``detach()``
results share takes a recorded change into that array, so they see it, as PyTorch's; the
old value goes to a copy. The values come from the out-of-place methods of
:mod:`xpnet._tensor_functions` and :mod:`xpnet._tensor_math`; ``fill``/``copy``/``setitem``
are pairs of :mod:`xpnet._tensor_function_ops`.

Every in-place change counts in the tensor's version (:func:`xpnet._versions.mark_modified`,
PyTorch's version counter). After an unrecorded change, which writes the array itself, the
backward of an op recorded earlier with this tensor as input raises ``RuntimeError`` instead
of using the overwritten values.

Example:
    >>> import xpnet
    >>> w = xpnet.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> view = w.array[1:]
    >>> with xpnet.no_grad():
    ...     _ = w.mul_(3).add_(np.array([1.0, 1.0]), alpha=0.5)
    >>> w.tolist(), view.tolist()
    ([3.5, 6.5], [6.5])
"""

from __future__ import annotations

import numbers
import weakref

import numpy

from . import _tensor_function_ops as ops
from ._dtypes import broadcasts_to, can_cast, checked_scalar
from ._grad_mode import is_grad_enabled, no_grad
from ._saved_hooks import replace_saved
from ._tensor_checks import is_complex_value, named_as
from ._tensor_dims import torch_index
from ._tensor_ops import integers_first
from ._versions import has_aliases, mark_modified, mark_written, share_writes, weak_set
from .autograd import Function, Tensor, as_tensor, data_of
from .backends import backend_of, float_errors_ignored
from .kernels import ArgumentError, DtypeMismatchError

__all__: list[str] = []

_fill = Function(ops.fill, ops.fill_backward, wrt=("a", "value"))
_copy = Function(ops.copy, ops.copy_backward, wrt=("a", "src"))
_setitem = Function(ops.setitem, ops.setitem_backward, wrt=("a", "value"))
_write_view = Function(ops.write_view, ops.write_view_backward, wrt=("a", "value"))


def _check_result(name: str, self: Tensor, result: Tensor) -> None:
    """Refuse, as PyTorch, a result that this tensor cannot hold: another shape (an operand
    broadcast it larger) or a dtype of another kind (a float result for an integer tensor)."""
    if result.shape != self.shape:
        msg = (
            f"Tensor.{name}: the result's broadcast shape {result.shape} does not match this "
            f"tensor's shape {self.shape}"
        )
        raise ArgumentError(msg)
    if not can_cast(result.dtype, self.dtype):
        msg = f"Tensor.{name}: the result's dtype {result.dtype} can't be cast to {self.dtype}"
        raise DtypeMismatchError(msg)  # also PyTorch's RuntimeError


def _hand_over_consumers(tensor: Tensor, before: Tensor) -> None:
    """Point the ops recorded with ``tensor`` as input at ``before``, a stand-in holding its
    present value and history, as ``tensor`` is about to take a recorded new value; their
    gradients then reach the old value's history. The arrays they saved that are
    ``tensor``'s are ``before``'s from now on: a copy where the array itself is to change
    (:func:`_record`), and, where a saved-tensor hook packed them, unpacked (it would give
    ``tensor`` with its new value). Ops that saw an unrecorded change since keep refusing
    their backward."""
    old, copy = tensor.array, before.array
    for node in tuple(weak_set(tensor, "_consumers")):
        pairs = tuple(zip(node.inputs, node.versions, strict=True))
        if any(t is tensor and v != tensor._version for t, v in pairs):
            continue  # an unrecorded change since: the op refuses its backward
        node.inputs = tuple(before if t is tensor else t for t, _ in pairs)
        node.versions = tuple(before._version if t is tensor else v for t, v in pairs)
        if node.args is not None:
            node.args = tuple(replace_saved(a, old, copy) for a in node.args)
            node.kwargs = {k: replace_saved(a, old, copy) for k, a in node.kwargs.items()}
        weak_set(before, "_consumers").add(node)
    tensor._consumers = weakref.WeakSet()


def _take(self: Tensor, result: Tensor, old_copy=None) -> None:
    """``self`` takes ``result``'s array and history, a recorded new value (ops recorded
    before keep a stand-in for the old one); its views (``self[index]``) are taken again
    from it, as PyTorch's views see their base's change. Given ``old_copy`` (a copy of its
    old value), ``self`` keeps its array, which already holds the new value (its aliases
    share it: :func:`_record`), and takes only the history; the stand-in holds the copy."""
    if old_copy is None:
        _hand_over_consumers(self, _stand_in(self))
        self.array = result.array
        mark_modified(self)
    else:
        _hand_over_consumers(self, _stand_in(self, old_copy))
    self.requires_grad, self.grad_fn = result.requires_grad, result.grad_fn
    for view in tuple(weak_set(self, "_views")):
        retake = view._view_of[1]
        view_copy = None if old_copy is None else _array_view("view", retake)(old_copy)
        _take(view, retake(self), view_copy)


def _stand_in(tensor: Tensor, data=None) -> Tensor:
    """A new Tensor object for ``tensor``'s present array (or ``data``, a copy of its value)
    and history, which the graph keeps while ``tensor`` itself takes a new value."""
    before = Tensor(tensor.array if data is None else data)
    before.requires_grad, before.grad_fn = tensor.requires_grad, tensor.grad_fn
    return before


def _record(name: str, self: Tensor, compute, operands: tuple) -> Tensor:
    """``compute`` recorded on a stand-in for this tensor's place in the graph, which the ops
    recorded before with it as input also get; this tensor then takes the result (in its own
    dtype) and its ``grad_fn``. A view (``x[0]``) writes the result into its base instead,
    through the base's history (PyTorch's ``CopySlices``), and is taken again from it.

    A tensor with aliases (:func:`~xpnet._versions.has_aliases`: ``detach()`` results) takes
    the result into its own array, so that they see it, as PyTorch's; the stand-in, and the
    ops that read the old value, get a copy of it, and ops recorded with an alias as input
    refuse their backward (its version changed)."""
    aliased = has_aliases(self)
    before = _stand_in(self, self.array.copy() if aliased else None)
    _hand_over_consumers(self, before)
    # x.add_(x): the operand is the old x too (the graph must not loop through the new one)
    result = compute(before, *(before if operand is self else operand for operand in operands))
    _check_result(name, self, result)
    if result.dtype != self.dtype:
        result = result.to(self.dtype)
    if self._view_of is not None:  # the base takes it, and then its views, this one too
        base, retake = self._view_of
        view_of = _array_view(name, retake)
        _record(name, base, lambda t, v: _write_view(t, v, view_of), (result,))
    elif aliased:
        self.array[...] = result.array
        mark_written(self)
        _take(self, result, before.array)
    else:
        _take(self, result)
    return self


def _array_view(name: str, retake):
    """``retake`` (a view taken again from its base Tensor) as a function of arrays, which
    must give a view of the array it is given: the place a change is written through."""

    def view_of(array):
        with no_grad():
            view = retake(Tensor(array)).array
        if not backend_of(array).xp.may_share_memory(view, array):
            msg = f"Tensor.{name}: this view of its base cannot take the change in place"
            raise RuntimeError(msg)
        return view

    return view_of


def mark_view(view: Tensor, base: Tensor, retake) -> None:
    """Record that ``view`` (a Tensor sharing ``base``'s array) is ``retake(base)``: it sees a
    recorded change of ``base``, and a recorded change of it is written through to ``base``."""
    view._view_of = (base, retake)
    weak_set(base, "_views").add(view)
    share_writes(view, base)


def _base_leaf(tensor: Tensor) -> Tensor | None:
    """The leaf that requires grad which ``tensor`` is a view of (or is), if any."""
    while tensor._view_of is not None:
        tensor = tensor._view_of[0]
    return tensor if tensor.is_leaf and tensor.requires_grad else None


def check_no_overlap(name: str, tensor: Tensor) -> None:
    """Refuse to change ``tensor`` in place where several of its elements share one memory
    location (an ``expand`` result, overlapping ``unfold`` windows), as PyTorch does for
    the first: NumPy's such arrays are read-only, CuPy's would take racing writes."""
    if tensor.array.size and overlapping(tensor.shape, tensor.array.strides):
        msg = (
            f"Tensor.{name}: more than one element of this tensor refers to a single memory "
            "location (an expand() result or overlapping unfold() windows); clone() it first"
        )
        raise RuntimeError(msg)


def overlapping(shape, strides) -> bool:
    """Whether a layout may put two elements in one place: by increasing step, each dim's
    step must pass the whole extent of the dims before it (all views made by indexing,
    transposing or reshaping do; ``expand`` and overlapping windows do not)."""
    extent = 0
    for step, n in sorted((abs(step), n) for n, step in zip(shape, strides, strict=True) if n > 1):
        if step <= extent:
            return True
        extent += step * (n - 1)
    return False


def _recording(name: str, self: Tensor, operands) -> bool:
    """Whether changing ``self`` must be recorded (gradients on, and ``self`` or an operand
    requires grad); refuses a leaf that requires grad, or a view of one, then, as PyTorch,
    and a tensor whose elements share memory (:func:`check_no_overlap`) always."""
    check_no_overlap(name, self)
    recording = is_grad_enabled() and (
        self.requires_grad or any(getattr(operand, "requires_grad", False) for operand in operands)
    )
    if recording and getattr(self, "one_of_several_views", False):
        msg = (
            f"Tensor.{name}: this tensor is one of several views returned by split, chunk or "
            "unbind; as PyTorch, it cannot change in place while gradients are recorded "
            "(use an out-of-place operation, or clone() it)"
        )
        raise RuntimeError(msg)
    if recording and _base_leaf(self) is not None:
        what = "a leaf tensor" if self._view_of is None else "a view of a leaf tensor"
        msg = (
            f"Tensor.{name}: {what} that requires grad cannot change in place while "
            "gradients are recorded; update it inside xpnet.no_grad()"
        )
        raise RuntimeError(msg)
    return recording


def needs_apply_in_place(self: Tensor, other) -> bool:
    """Whether ``self op= other`` must run as :func:`apply_in_place` rather than as NumPy's
    in-place ufunc: when it is recorded, or needs PyTorch's promotion and cast check
    (``int += 2.5`` raises, ``int8 += 1000`` wraps): another dtype, or integers or bools
    (``int /= int`` raises), float16 (computed in float32: ``x *= 1e-5``), or a bool. Other
    floats beside numbers or their own dtype need not."""
    if is_grad_enabled() and (self.requires_grad or getattr(other, "requires_grad", False)):
        return True
    if self.dtype.kind in "iub" or self.dtype == "float16" or isinstance(other, bool):
        return True  # a bool: PyTorch refuses ``x -= True``
    if not broadcasts_to(tuple(getattr(other, "shape", ())), self.shape):
        return True  # PyTorch's RuntimeError, not NumPy's ValueError
    return getattr(other, "dtype", self.dtype) != self.dtype


def apply_in_place(name: str, self: Tensor, compute, *operands) -> Tensor:
    """``self`` changed to ``compute(self, *operands)``, by the rules of this module's
    docstring; ``operands`` are the arguments that may be Tensors requiring grad."""
    if _recording(name, self, operands):
        return _record(name, self, compute, operands)
    with no_grad():
        result = compute(Tensor(self.array), *operands)
    _check_result(name, self, result)
    with float_errors_ignored():  # a float16 target overflows to inf, as PyTorch's: no warning
        self.array[...] = result.array  # the array itself: its views see the change
    mark_written(self)
    return self


def setitem(self, index, value) -> None:
    """``self[index] = value``, as PyTorch: ``value`` (a number, a Tensor or an array) is cast
    to this tensor's dtype and broadcast to the indexed shape; ints, slices, ``None``,
    ``...``, integer and boolean index arrays (or Tensors) as in :meth:`Tensor.__getitem__`.
    The array itself changes unless the change must be recorded; a recorded one gives
    ``value`` the gradient of the places it wrote and the old values none.

    Raises:
        RuntimeError: a leaf that requires grad, while gradients are recorded.
        IndexError: an index that does not fit, as NumPy's. ValueError: a value shape that
            does not broadcast, NaN or a huge number into integers (an ArgumentError, also
            PyTorch's RuntimeError).
    """
    if isinstance(index, tuple):
        index = tuple(data_of(part) for part in index)
        integers, rest = integers_first(index)
        if integers is not None:  # PyTorch's order, as __getitem__: the integers first
            self[integers][rest] = value
            return
    else:
        index = data_of(index)
    index = torch_index(index)
    if isinstance(value, Tensor | list | tuple) or hasattr(value, "shape"):
        value = _on_backend_of(value if hasattr(value, "shape") else numpy.asarray(value), self)
    if _recording("__setitem__", self, (value,)):
        _record("__setitem__", self, lambda t, v: _setitem(t, index, v), (value,))
        return
    with float_errors_ignored():  # past float16's range: inf, as PyTorch's, without a warning
        ops.write_at(self.array, index, data_of(value))
    mark_written(self)


def _on_backend_of(value, tensor: Tensor):
    """``value`` (a Tensor or an array) as a Tensor on ``tensor``'s backend (a recorded copy
    when it is elsewhere, as PyTorch's ``copy_`` from another device)."""
    value = as_tensor(value)
    name = backend_of(tensor.array).name
    return value if backend_of(value.array).name == name else value.to(name)


def zero_(self) -> Tensor:
    """Fill with zeros, in place; returns this tensor."""
    return apply_in_place("zero_", self, lambda t: _fill(t, 0))


def fill_(self, value) -> Tensor:
    """Fill with ``value`` (a number, or a 0-d Tensor, which then gets the sum of the
    gradients), in place; returns this tensor.

    Raises:
        TypeError: ``value`` neither a number nor a tensor. ArgumentError: a tensor that is
            not 0-d, or a number this dtype cannot hold (``1e6`` in float16, ``300`` in int8,
            NaN in an integer dtype), as PyTorch.
    """
    if is_complex_value(value) and self.dtype.kind != "c":  # NumPy would drop its imaginary
        msg = f"Tensor.fill_: value must be real for a {self.dtype} tensor, got {value!r}"
        raise ArgumentError(msg)
    if hasattr(value, "shape"):
        if len(value.shape) != 0:
            msg = f"Tensor.fill_: value must be a 0-d tensor, got shape {tuple(value.shape)}"
            raise ArgumentError(msg)
        return apply_in_place("fill_", self, lambda t, v: _fill(t, _on_backend_of(v, t)), value)
    if isinstance(value, numbers.Number):
        value = checked_scalar("Tensor.fill_", "value", value, self.dtype)
        return apply_in_place("fill_", self, lambda t: _fill(t, value))
    msg = f"Tensor.fill_: value must be a number or a 0-d tensor, got {type(value).__name__}"
    raise TypeError(msg)


def copy_(self, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (a Tensor or an array of any backend, or a real number, broadcast to this
    tensor's shape, cast to its dtype) into this tensor, in place; returns it. ``src`` gets
    the gradient.

    Raises:
        TypeError: ``src`` not a tensor, array or real number. ArgumentError: a shape that
            does not broadcast to this tensor's.
    """
    if isinstance(src, numbers.Real):  # PyTorch's parser wraps a number as a 0-d tensor
        src = numpy.asarray(src)
    if not hasattr(src, "shape") or not hasattr(src, "dtype"):
        msg = f"Tensor.copy_: src must be a Tensor, an array or a number, got {type(src).__name__}"
        raise TypeError(msg)
    if numpy.broadcast_shapes(tuple(src.shape), self.shape) != self.shape:
        msg = f"Tensor.copy_: src of shape {tuple(src.shape)} does not broadcast to {self.shape}"
        raise ArgumentError(msg)
    return apply_in_place("copy_", self, lambda t, s: _copy(t, _on_backend_of(s, t)), src)


def add_(self, other, *, alpha=1) -> Tensor:
    """``self += alpha * other``, as :meth:`add`, in place; returns this tensor."""
    return apply_in_place("add_", self, lambda t, o: t.add(o, alpha=alpha), other)


def sub_(self, other, *, alpha=1) -> Tensor:
    """``self -= alpha * other``, as :meth:`sub`, in place; returns this tensor."""
    return apply_in_place("sub_", self, lambda t, o: t.sub(o, alpha=alpha), other)


def mul_(self, other) -> Tensor:
    """``self *= other``, in place; returns this tensor."""
    return apply_in_place("mul_", self, lambda t, o: t.mul(o), other)


def div_(self, other, *, rounding_mode=None) -> Tensor:
    """``self /= other``, as :meth:`div` (an integer tensor only with a ``rounding_mode``),
    in place; returns this tensor."""
    return apply_in_place("div_", self, lambda t, o: t.div(o, rounding_mode=rounding_mode), other)


def pow_(self, exponent) -> Tensor:
    """``self **= exponent``, in place; returns this tensor."""
    return apply_in_place("pow_", self, lambda t, e: t.pow(e), exponent)


def clamp_(self, min=None, max=None) -> Tensor:
    """Clamp into ``[min, max]``, as :meth:`clamp`, in place; returns this tensor."""
    return apply_in_place("clamp_", self, lambda t, low, high: t.clamp(low, high), min, max)


METHODS = {
    "zero_": zero_,
    "fill_": fill_,
    "copy_": copy_,
    "add_": add_,
    "sub_": sub_,
    "mul_": mul_,
    "div_": div_,
    "pow_": pow_,
    "clamp_": clamp_,
    "clip_": named_as("clip_", "clamp_", clamp_),
    "__setitem__": setitem,
}
