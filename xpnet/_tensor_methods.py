"""PyTorch's Tensor methods that ported scripts use, attached to :class:`xpnet.Tensor`.

``argmax``/``argmin``, ``eq``/``ne``, ``view_as``, ``float``/``double``/``long``, ``to``,
``cpu``/``cuda``, ``size``, ``dim``, ``tolist``, ``flatten``, the gradient hooks
(``register_hook``, ``retain_grad``; :mod:`xpnet._backward_pass` runs them) and the ``device``
property, plus the function :func:`flatten`; the ``METHODS`` of :mod:`xpnet._tensor_math`,
:mod:`xpnet._tensor_index` and :mod:`xpnet._tensor_functions` join them. They live here
rather than in :mod:`xpnet.autograd`; the differentiable ones are ``Function``\\ s of
``cast``, ``move``. Comparisons, ``argmax`` and integer casts return Tensors needing no grad.

Example:
    >>> import xpnet
    >>> scores = xpnet.Tensor(np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]))
    >>> pred = scores.argmax(dim=1, keepdim=True)
    >>> pred.shape, pred.eq(xpnet.Tensor(np.array([1, 1])).view_as(pred)).sum().item()
    ((2, 1), 1)
"""

from __future__ import annotations

import math
import operator
from collections import OrderedDict

import numpy

from . import _memory_formats as formats
from . import _tensor_cross as cross
from . import _tensor_elementwise as elementwise
from . import _tensor_elementwise_more as elementwise_more
from . import _tensor_functions as functions
from . import _tensor_histograms as histograms
from . import _tensor_index as index
from . import _tensor_index_put as index_put
from . import _tensor_inplace as inplace
from . import _tensor_inplace_more as inplace_more
from . import _tensor_integrals as integrals
from . import _tensor_logical as logical
from . import _tensor_math as more
from . import _tensor_ops as ops
from . import _tensor_protocols as protocols
from . import _tensor_random_ops as random_ops
from . import _tensor_resize as resize
from . import _tensor_sequences as sequences
from . import _tensor_slices as slices
from . import _tensor_split as splits
from . import _tensor_statistics as statistics
from . import _tensor_trig as trig
from . import _torch_more as torch_more
from . import _torch_names as names
from ._dtypes import torch_operands
from ._leaf_grads import assign_requires_grad
from ._node_names import name_node
from ._tensor_checks import checked_flags, ordered_operands, tensor_shape
from ._tensor_dims import check_index_reduction
from ._tensor_operands import check_operand, is_operand
from ._tensor_views import track_views
from ._torch_functions import as_input
from ._versions import mark_written
from .autograd import Function, Tensor, data_of
from .backends import backend_of, float_errors_ignored
from .devices import backend_name, device_of, to_arguments
from .kernels._checks import ArgumentError, check_int
from .nn._module_hooks import RemovableHandle

__all__ = ["flatten"]

_cast = Function(ops.cast, ops.cast_backward, wrt=("a",))
_move = Function(ops.move, ops.move_backward, wrt=("a",))


def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim`` to ``end_dim`` of ``input`` into one, as torch.flatten.

    Args:
        input: a Tensor or an array.
        start_dim: the first dimension to merge. Default: ``0``.
        end_dim: the last dimension to merge (inclusive). Default: ``-1``.

    Returns:
        A Tensor sharing the graph of ``input``.

    Raises:
        IndexError: a dimension out of range. ValueError: ``start_dim`` after ``end_dim``.

    Example:
        >>> import xpnet
        >>> xpnet.flatten(xpnet.Tensor(np.zeros((2, 3, 4))), 1).shape
        (2, 12)
    """
    tensor = as_input("flatten", input)
    ndim = max(tensor.ndim, 1)  # a 0-d tensor flattens as if it had one dimension
    for name, dim in (("start_dim", start_dim), ("end_dim", end_dim)):
        if not -ndim <= check_int("flatten", name, dim) < ndim:
            bounds = f"[{-ndim}, {ndim - 1}]"
            msg = f"flatten: {name} must be in {bounds} for shape {tensor.shape}, got {dim}"
            raise IndexError(msg)
    if tensor.ndim == 0:
        return tensor.reshape(1)
    start, end = start_dim % ndim, end_dim % ndim
    if start > end:
        msg = f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})"
        raise ArgumentError(msg)
    merged = math.prod(tensor.shape[start : end + 1])  # not -1: a dimension may be empty
    return tensor.reshape(tensor.shape[:start] + (merged,) + tensor.shape[end + 1 :])


def _index_of(name: str):
    def method(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        xp = backend_of(self.array).xp
        check_index_reduction(name, self.dtype, tuple(self.shape), dim)  # PyTorch's errors
        if dim is None:  # over the flattened tensor; keepdim: every dimension of size 1
            index = getattr(xp, name)(self.array.reshape(-1))
            return Tensor(xp.reshape(index, (1,) * self.ndim) if keepdim else index)
        return Tensor(getattr(xp, name)(self.array, axis=dim, keepdims=keepdim))

    method.__name__ = name
    method.__doc__ = (
        f"The int64 indices of the {name[3:]}imum values along ``dim`` (over all elements when "
        "``dim`` is None); ``keepdim`` keeps ``dim`` with size 1. Not differentiable."
    )
    return method


def eq(self, other) -> Tensor:
    """Elementwise ``self == other`` (a Tensor, array or number, broadcast) as a bool Tensor;
    TypeError for another ``other`` (``None``, a string), as PyTorch (``x == None`` is False)."""
    check_operand("Tensor.eq", "other", other)
    return self == other  # the operator's promotion: uint8 == 300 wraps 300, as PyTorch


def ne(self, other) -> Tensor:
    """Elementwise ``self != other`` as a bool Tensor; TypeError as :func:`eq`."""
    check_operand("Tensor.ne", "other", other)
    return self != other


def view_as(self, other) -> Tensor:
    """This tensor reshaped to ``other``'s shape (differentiable)."""
    return self.reshape(tensor_shape("Tensor.view_as", "other", other))


def _to_dtype(self, dtype) -> Tensor:
    dtype = numpy.dtype(dtype)
    if dtype == self.dtype:
        return self
    if dtype.kind != "f":  # an integer or bool result cannot carry a gradient
        return Tensor(ops.cast(self.array, dtype))
    return _cast(self, dtype)


def to(self, *args, **kwargs) -> Tensor:
    """This tensor on another device or backend and/or in another dtype, as torch's ``to``:
    ``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or keywords ``device=``/``dtype=``; a
    device is a :class:`xpnet.device`, a string (``"cpu"``, ``"cuda:0"``) or a backend name;
    ``None`` is no device. Returns ``self`` when nothing changes (``copy=True``: a copy);
    gradients flow back through the copy. A bool is ``non_blocking`` (PyTorch's ``to(True)``
    casts to bool, an accident of its parser). ``memory_format=`` (default
    ``preserve_format``) lays the result out as :meth:`contiguous` does.

    Raises:
        RuntimeError: for ``"cuda"`` when CUDA is not available (the message says why).
        TypeError: for an argument neither a device nor a dtype (a string: ``DeviceError``)
    """
    layout = kwargs.pop("memory_format", formats.preserve_format)  # kwargs: this call's own
    copy = kwargs.pop("copy", False)
    place, dtype = to_arguments("Tensor.to", args, kwargs)
    result = self
    if place is not None and backend_name(place) != backend_of(self.array).name:
        result = _move(self, backend_name(place))
    result = result if dtype is None else _to_dtype(result, dtype)
    result = formats.formatted("Tensor.to", result, layout, source=self)
    return name_node(result.clone(), "ToCopyBackward0") if copy and result is self else result


def size(self, dim: int | None = None):
    """The shape (an :class:`xpnet.Size`, a tuple), or the length of dimension ``dim``."""
    if dim is None:
        return self.shape
    if self.ndim == 0:  # check_dim takes 0 and -1 for a 0-d tensor; size does not
        raise IndexError(f"Tensor.size: dim {dim!r} given for a 0-d tensor")
    return self.array.shape[more.check_dim("size", dim, self.ndim)]


def stride(self, dim: int | None = None):
    """The steps in elements between neighbours along each dimension (a tuple), or along
    ``dim``, as ``torch.Tensor.stride``: ``(12, 4, 1)`` for a contiguous (2, 3, 4) tensor,
    ``0`` along an expanded dimension. An empty tensor reports the steps of a contiguous one
    (its array keeps none), which PyTorch's report only when they are not views of a larger
    tensor. Raises IndexError for ``dim`` out of range.

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(2, 3, 4)
        >>> x.stride(), x.permute(2, 0, 1).stride(), x.stride(-1)
        ((12, 4, 1), (1, 12, 4), 1)
    """
    if self.array.size:
        steps = tuple(step // self.array.itemsize for step in self.array.strides)
    else:
        steps = tuple(math.prod(max(n, 1) for n in self.shape[d + 1 :]) for d in range(self.ndim))
    if dim is None:
        return steps
    if self.ndim == 0:
        raise IndexError(f"Tensor.stride: a 0-d tensor has no dimension {dim!r}")
    return steps[more.check_dim("stride", dim, self.ndim)]


def requires_grad_(self, requires_grad: bool = True) -> Tensor:
    """Start (or stop) recording operations on this leaf tensor, in place; returns it.

    Raises:
        TypeError: for ``True`` on an array that is not floating point (as the constructor;
            an :class:`~xpnet.kernels.UnsupportedDtypeError`, also PyTorch's RuntimeError).
        RuntimeError: for ``False`` on a tensor computed by a recorded operation (a non-leaf),
            as PyTorch: use :meth:`detach` for a copy outside the graph.
    """
    assign_requires_grad(self, requires_grad, "Tensor.requires_grad_")  # the setter's checks
    return self


def _in_place(name: str, apply, apply_in_place):
    """``self op= other`` as PyTorch: the array itself changes (views and other names of it
    see the change), except where the operation must be recorded, which runs as the in-place
    methods' (``x.add_(y)``, :func:`xpnet._tensor_inplace.apply_in_place`): a leaf that
    requires grad may change only under :class:`~xpnet.no_grad` (``w -= lr * w.grad``)."""

    def method(self, other):
        if inplace.needs_apply_in_place(self, other):
            return inplace.apply_in_place(name, self, apply, other)
        inplace.check_no_overlap(name, self)
        with float_errors_ignored():  # inf and NaN as values, as the operators
            self.array = apply_in_place(self.array, data_of(other))
        mark_written(self)
        return self

    method.__name__ = name
    return method


def _scalar(kind):
    """``kind(tensor)`` (``bool``, ``float``, ``int``) of a one-element tensor, as PyTorch;
    without it ``bool`` would ask ``len``, true for any non-empty tensor."""

    def method(self):
        if self.numel() != 1:
            msg = (
                f"Tensor.__{kind.__name__}__: only a one-element tensor converts to a Python "
                f"{kind.__name__}, got shape {self.shape}"
            )
            raise (RuntimeError if kind is bool else ValueError)(msg)
        return kind(self.item())

    method.__name__ = f"__{kind.__name__}__"
    return method


def _compare(name: str, apply):
    """Elementwise comparison as a bool Tensor (not differentiable), as PyTorch's operators;
    ``NotImplemented`` for ``None``, a string, a list, as PyTorch's: ``x == None`` is then
    False (identity) and ``x < None`` Python's TypeError naming both types."""

    def method(self, other):
        if not is_operand(other):
            return NotImplemented
        with float_errors_ignored():  # 1e6 against float16 compares as inf, as PyTorch's
            operands = ordered_operands(name, torch_operands(self.array, data_of(other)))
            return Tensor(apply(*operands))

    method.__name__ = name
    return method


def register_hook(self, hook) -> RemovableHandle:
    """Call ``hook(grad)`` with this tensor's gradient (a Tensor, as ``.grad``) once the
    backward pass has it, as PyTorch's; a hook that returns a Tensor or array (same shape and
    dtype) replaces the gradient that flows on. On a leaf the hooks run before the gradient
    is added into ``.grad``. Returns a handle whose ``remove()`` unregisters the hook.

    Raises:
        RuntimeError: if this tensor does not require grad.

    Example:
        >>> import xpnet
        >>> x = xpnet.Tensor(np.array([1.0, 2.0]), requires_grad=True)
        >>> y = x * 3
        >>> handle = y.register_hook(lambda grad: grad * 10)
        >>> y.sum().backward()
        >>> x.grad.tolist()
        [30.0, 30.0]
    """
    if not self.requires_grad:
        msg = "Tensor.register_hook: cannot register a hook on a tensor that does not require grad"
        raise RuntimeError(msg)
    if getattr(self, "_backward_hooks", None) is None:
        self._backward_hooks = OrderedDict()  # weak references: RemovableHandle's
    handle = RemovableHandle(self._backward_hooks)
    self._backward_hooks[handle.id] = hook
    return handle


def retain_grad(self) -> None:
    """Keep this non-leaf tensor's gradient in ``.grad`` during backward (added up over
    backward calls, as a leaf's), as PyTorch's; a no-op on a leaf.

    Raises:
        RuntimeError: if this tensor does not require grad.
    """
    if not self.requires_grad:
        raise RuntimeError("Tensor.retain_grad: this tensor does not require grad")
    if not self.is_leaf:
        self._retains_grad = True


def tolist(self):
    """The data as nested Python lists (a device-to-host copy)."""
    return self.numpy().tolist()


_METHODS = {
    "argmax": _index_of("argmax"),
    "argmin": _index_of("argmin"),
    "eq": eq,
    "ne": ne,
    "view_as": view_as,
    "to": to,
    "size": size,
    "dim": lambda self: self.ndim,
    "stride": stride,
    "tolist": tolist,
    "requires_grad_": requires_grad_,
    "register_hook": register_hook,
    "retain_grad": retain_grad,
    "retains_grad": property(lambda self: getattr(self, "_retains_grad", False)),
    "__iadd__": _in_place("__iadd__", operator.add, operator.iadd),
    "__isub__": _in_place("__isub__", operator.sub, operator.isub),
    "__imul__": _in_place("__imul__", operator.mul, operator.imul),
    "__itruediv__": _in_place("__itruediv__", operator.truediv, operator.itruediv),
    "__bool__": _scalar(bool),
    "__float__": _scalar(float),
    "__int__": _scalar(int),
    "__eq__": _compare("__eq__", operator.eq),
    "__ne__": _compare("__ne__", operator.ne),
    "__lt__": _compare("__lt__", operator.lt),
    "__le__": _compare("__le__", operator.le),
    "__gt__": _compare("__gt__", operator.gt),
    "__ge__": _compare("__ge__", operator.ge),
    "flatten": flatten,
    **more.METHODS,
    **index.METHODS,
    **functions.METHODS,
    **elementwise.METHODS,
    **elementwise_more.METHODS,
    **trig.METHODS,
    **logical.METHODS,
    **index_put.METHODS,
    **statistics.METHODS,
    **histograms.METHODS,
    **random_ops.METHODS,
    **inplace_more.METHODS,
    **cross.METHODS,
    **sequences.METHODS,
    **integrals.METHODS,
    **splits.METHODS,
    **slices.METHODS,
    **resize.METHODS,
    **torch_more.METHODS,
    **formats.METHODS,
    **names.METHODS,
    **protocols.METHODS,
    "device": property(lambda self: device_of(backend_of(self.array).name)),
}


def attach(cls=Tensor) -> None:
    """Add the methods above to ``cls`` (:class:`~xpnet.Tensor`), leaving existing ones; a
    lambda or closure is renamed ``Tensor.<name>``, so that Python's arity errors name it, and
    each refuses what PyTorch's parser refuses for its bool and float parameters."""
    for name, method in _METHODS.items():
        if "<" in getattr(method, "__qualname__", ""):  # a lambda or closure: errors name it
            method.__qualname__ = f"Tensor.{name}"
        if name not in vars(cls):
            setattr(cls, name, checked_flags(name, method))
    for name in ("sum", "mean"):  # Tensor's own reductions: keepdim only a bool, too
        setattr(cls, name, checked_flags(name, vars(cls)[name]))


attach()
track_views()
