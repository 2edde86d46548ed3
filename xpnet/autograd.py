"""A small define-by-run autograd on top of the (forward, backward) pairs of the kernels.

Every differentiable operation is a :class:`Function` built from two plain array functions:
``forward(*args)`` and ``backward(grad_output, *args)``, the convention of
:mod:`xpnet.kernels` (``conv2d`` / ``conv2d_backward``, ...). Calling a Function on
:class:`Tensor` arguments runs ``forward`` on their arrays and, when a gradient is needed,
records a :class:`Node`: the backward function, the arrays it needs, and the input Tensors.
``Tensor.backward()`` walks them back to the leaves and adds each gradient into ``.grad``.

A backward pass, step by step, for ``loss = (x * w).sum()``::

    mul_node.inputs = (x, w)         sum_node.inputs = (xw,)
    loss.backward():  pending = {loss: 1}
      sum_node.backward(1)        -> {xw: ones(shape)}
      mul_node.backward(ones)     -> {x: ones * w, w: ones * x}
      x, w are leaves             -> x.grad += ..., w.grad += ...

``.grad`` is a Tensor (or ``None``), as PyTorch's; with ``create_graph=True`` each op runs its
differentiable backward (:mod:`xpnet._double_backward`). Subclass Functions: ``_custom_function``.
Neighbours: the pairs behind Tensor's operators (``+``, ``@``, ``sum``, indexing) live in
:mod:`xpnet._tensor_ops`, the layers' in :mod:`xpnet.kernels`; :class:`no_grad` in
:mod:`xpnet._grad_mode`, the graph walk in :mod:`xpnet._backward_pass`, Size in :mod:`xpnet._size`.
"""

from __future__ import annotations

import inspect
import sys

from . import _custom_function as function
from . import _grad_mode
from . import _tensor_ops as ops
from ._autograd_graph import next_functions, next_sequence_nr, node_repr
from ._backward_pass import backward, grad
from ._custom_function import *  # noqa: F403 - FunctionCtx, once_differentiable
from ._custom_function import CustomFunction
from ._double_backward import differentiable_backward
from ._dtypes import pow_operands, torch_operands
from ._grad_mode import *  # noqa: F403 - the grad-mode switches are xpnet.autograd's too
from ._grad_mode import is_grad_enabled
from ._leaf_grads import assign_grad, assign_requires_grad, read_grad
from ._node_names import grad_fn_name, name_node, recorded_name
from ._saved_hooks import pack_saved, unpack_saved
from ._size import as_size
from ._tensor_print import tensor_repr
from ._versions import assign_data, data_alias, share_array, share_writes, weak_set
from .amp.autocast_mode import cast_arguments, is_autocast_enabled, keep_given_dtype
from .backends import backend_of, get_backend
from .kernels._checks import ArgumentError, UnsupportedDtypeError, bound_arguments

__all__ = [
    "Function",
    "Tensor",
    "as_tensor",
    "backward",
    "data_of",
    "differentiable_backward",
    "grad",
    *_grad_mode.__all__,
    *function.__all__,
]


def data_of(value):
    """The array inside a Tensor; anything else (an array, a number, ``None``) unchanged.

    Example:
        >>> import xpnet
        >>> data_of(xpnet.Tensor(np.zeros(2))), data_of(3.0)
        (array([0., 0.]), 3.0)
    """
    return value.array if isinstance(value, Tensor) else value


def _as_array(value):
    """``value`` as its backend's array type: NumPy turns 0-d results into scalars."""
    backend = backend_of(value)
    return value if type(value) is backend.ndarray else backend.asarray(value)


def as_tensor(value) -> Tensor:
    """``value`` if it is a Tensor (graph kept), else a new leaf Tensor around it."""
    return value if isinstance(value, Tensor) else Tensor(value)


class Function(CustomFunction):
    """A differentiable operation built from a ``(forward, backward)`` pair of array functions.

    Args:
        forward: ``forward(*args, **kwargs)`` on arrays; returns an array, or a tuple whose
            first item is the differentiable output and whose other items (e.g. max-pool
            indices) are returned to the caller as they are.
        backward: ``backward(grad_output, *args, **kwargs, **saved)``; returns the gradients
            of the arguments named in ``wrt``, in that order (one array, or a tuple; trailing
            ones that cannot exist, such as an integer target's, may be left out). If it takes
            an ``output_mask`` keyword, it gets one bool per ``wrt`` argument, true where that
            argument requires grad, and may skip (return ``None`` for) the others.
        wrt: the names of ``forward``'s parameters that receive gradients.
        saved: optional ``saved(extras) -> dict`` turning the forward's extra outputs into
            keyword arguments of ``backward`` (so that backward need not recompute them).
        forward_options: keyword arguments for ``forward`` alone that ask it for such values
            (e.g. ``{"return_stats": True}``), passed only when a graph is recorded; the extra
            outputs they produce go to ``saved``, and to the caller only if it asked for them
            itself (``return_indices=True``).

    Example:
        >>> import xpnet
        >>> def double(input):
        ...     return 2 * input
        >>> def double_backward(grad_output, input):
        ...     return 2 * grad_output
        >>> op = xpnet.autograd.Function(double, double_backward, wrt=("input",))
        >>> x = xpnet.Tensor(np.array([1.0, 3.0]), requires_grad=True)
        >>> op(x).sum().backward()
        >>> x.grad
        tensor([2., 2.], dtype=xpnet.float64)
    """

    def __init__(self, forward, backward, wrt: tuple[str, ...], saved=None, forward_options=None):
        self.forward = forward
        self.backward = backward
        self.wrt = tuple(wrt)
        self.saved = saved
        self.forward_options = forward_options or {}
        self.name = getattr(backward, "__name__", "backward")
        self.signature = inspect.signature(forward)
        self.takes_mask = "output_mask" in inspect.signature(backward).parameters

    def __call__(self, *args, **kwargs):
        arguments = bound_arguments(self.forward, self.signature, args, kwargs).arguments
        inputs = tuple(arguments.get(name) for name in self.wrt)
        # extras the caller asked for itself (return_indices=True) are returned to it too
        asked = any(arguments.get(name) for name in self.forward_options)
        args = tuple(data_of(value) for value in args)
        kwargs = {key: data_of(value) for key, value in kwargs.items()}
        if is_autocast_enabled():  # xpnet.amp: cast the arrays by the op's autocast policy
            args, kwargs = cast_arguments(self.forward.__name__, args, kwargs)
        needs_grad = is_grad_enabled() and any(
            isinstance(t, Tensor) and t.requires_grad for t in inputs
        )
        call_args, call_kwargs = args, kwargs
        if needs_grad and self.forward_options:
            # without a graph, the forward skips what only a backward would use
            call = self.signature.bind(*args, **kwargs)
            call.arguments.update(self.forward_options)
            call_args, call_kwargs = call.args, call.kwargs
        output = self.forward(*call_args, **call_kwargs)
        extras = ()
        if isinstance(output, tuple):
            output, *extras = output
        result = Tensor(output, requires_grad=needs_grad)
        if needs_grad:
            saved = self.saved(extras) if self.saved else {}
            result.grad_fn = Node(self, inputs, args, {**kwargs, **saved})
        return (result, *extras) if extras and (asked or not self.forward_options) else result


class Node:
    """One recorded operation: the arrays its backward needs and the Tensors it came from."""

    def __init__(self, function: Function, inputs: tuple, args: tuple, kwargs: dict):
        self.function = function
        self.inputs = inputs
        self.args, self.kwargs = pack_saved(args, kwargs, inputs)  # saved_tensors_hooks
        self.torch_name = recorded_name(function.name, inputs, args, kwargs)  # by the call
        self.sequence_nr = next_sequence_nr()  # PyTorch's: nodes made later have larger ones
        # the graph links Tensor objects, not values: an input changed in place since would
        # take this op's gradient through its new history, so apply() refuses then; a
        # recorded change hands this op a stand-in for the old value (_tensor_inplace)
        self.versions = tuple(getattr(t, "_version", 0) for t in inputs)
        for tensor in inputs:  # (a leaf that requires grad takes no recorded change)
            if isinstance(tensor, Tensor) and not (tensor.requires_grad and tensor.is_leaf):
                weak_set(tensor, "_consumers").add(self)

    group = None  # an OutputGroup: nodes of one call that run one backward (_autograd_graph)
    name = grad_fn_name  # PyTorch's grad_fn.name(): "MulBackward0" for xpnet's mul_backward
    next_functions = property(next_functions)  # ((node, 0), ...) per input, as PyTorch's
    __repr__ = node_repr  # "<MulBackward0 object at 0x...>"

    def apply(self, grad_output, retain_graph: bool, formula=None) -> tuple:
        """The gradients of ``self.inputs``; frees the saved arrays unless ``retain_graph``.
        ``formula(node, grad_output)`` runs instead of the array backward where given: the
        differentiable backward of ``create_graph=True`` (:mod:`xpnet._double_backward`)."""
        if self.args is None:
            msg = (
                f"{self.function.name}: trying to backward through the graph a second time; "
                "pass retain_graph=True to the first backward() to keep it"
            )
            raise RuntimeError(msg)
        self._check_versions()
        args, kwargs = unpack_saved(self.args, self.kwargs)
        if self.function.takes_mask:  # e.g. no grad_input for a first layer's data
            mask = tuple(isinstance(t, Tensor) and t.requires_grad for t in self.inputs)
            kwargs = {**kwargs, "output_mask": mask}
        if formula is not None:
            grads = formula(self, grad_output)
        else:
            grads = self.function.backward(grad_output, *args, **kwargs)
        if not retain_graph:
            self.args = self.kwargs = None
        grads = grads if isinstance(grads, tuple) else (grads,)
        # a backward may leave out trailing inputs that have no gradient (integer targets)
        return grads + (None,) * (len(self.inputs) - len(grads))

    def _check_versions(self) -> None:
        for index, (tensor, version) in enumerate(zip(self.inputs, self.versions, strict=True)):
            if getattr(tensor, "_version", 0) != version:
                msg = (
                    f"{self.function.name}: its input {index} was changed by an in-place "
                    f"operation after this op used it (version {tensor._version}, expected "
                    f"{version}); change it out of place (x = x.add(y)) or use x.clone()"
                )
                raise RuntimeError(msg)


class Tensor:
    """An array that remembers how it was computed, so that gradients can flow back.

    Args:
        data: a backend array (kept as is, not copied), a Tensor (its array is shared), or host
            data (lists, scalars), put on the current backend.
        requires_grad: record operations on it and give it a ``.grad``. Default: ``False``.

    Attributes:
        array: the backend array (NumPy, strict or CuPy).
        data: a Tensor on ``array`` outside the graph, as PyTorch's; assignable (to replace it).
        grad: the gradient accumulated by :meth:`backward`, a Tensor (``None`` before).
        requires_grad: whether gradients flow to this tensor.
        grad_fn: the :class:`Node` that produced this tensor; ``None`` for leaves.

    Raises:
        TypeError: if ``requires_grad=True`` on an array that is not floating point.

    Example:
        >>> import xpnet
        >>> x = xpnet.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4., 6.], dtype=xpnet.float64)
    """

    __array_ufunc__ = None  # NumPy must not broadcast a Tensor: ``ndarray + Tensor``: __radd__

    def __init__(self, data, requires_grad: bool = False):
        data = data_of(data)
        data = _as_array(data) if hasattr(data, "dtype") else get_backend().asarray(data)
        if requires_grad and data.dtype.kind != "f":
            msg = f"Tensor: only floating-point arrays can require gradients, got {data.dtype}"
            raise UnsupportedDtypeError(msg)  # a TypeError, and PyTorch's RuntimeError
        self.array = data
        self._grad = None
        self._requires_grad = bool(requires_grad)
        self.grad_fn = None
        self._own_version = 0  # recorded in-place changes of this tensor (mark_modified)
        self._storage_writes = [0]  # unrecorded writes of its array, shared (mark_written)
        self._view_of = None  # (base, retake) for a view of base: see _tensor_inplace

    # -- plain facts about the array ----------------------------------------------------------
    shape = property(lambda self: as_size(self.array.shape))  # an xpnet.Size, as torch.Size
    dtype = property(lambda self: self.array.dtype)
    ndim = property(lambda self: self.array.ndim)
    is_leaf = property(lambda self: self.grad_fn is None)
    # PyTorch's checks when set: floating point only, a non-leaf cannot stop (_leaf_grads)
    requires_grad = property(lambda self: self._requires_grad, assign_requires_grad)
    grad = property(read_grad, assign_grad)  # a Tensor or None; PyTorch's warning (_leaf_grads)
    data = property(data_alias, assign_data)  # a Tensor on the array, not sharing the version
    _version = property(lambda self: self._own_version + self._storage_writes[0])  # _versions

    __repr__ = tensor_repr  # PyTorch's print (xpnet._tensor_print); str() is the same

    def numel(self) -> int:
        return int(self.array.size)

    def __array__(self, dtype=None, copy=None):  # np.asarray(t): the array's (CuPy refuses)
        return self.array.__array__(dtype, copy=copy)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's array, cut from the graph; an in-place change of
        either, recorded or not, changes both and counts in both versions, as PyTorch's."""
        return share_array(Tensor(self.array), self)

    # -- the backward pass --------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Add d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Args:
            gradient: the upstream gradient, shaped like ``self``; may be omitted for a
                one-element tensor (then it is 1).
            retain_graph: keep the saved arrays, so that backward can run again. Default: ``False``.
            create_graph: give ``.grad`` a graph, to differentiate again (as
                :func:`xpnet.autograd.grad` with ``create_graph=True``). Default: ``False``.
            inputs: the tensors (leaves or not) whose ``.grad`` take their gradient
                instead of every leaf's, as PyTorch's; only the nodes leading to them run.
                Default: ``None``.

        Raises:
            RuntimeError: if this tensor does not require grad, if ``gradient`` is omitted for
                a tensor of several elements, or if the graph was already freed.
            ValueError, TypeError: if ``gradient`` has another shape; dtype or backend.
        """
        backward((self,), (gradient,), retain_graph, create_graph, inputs)

    # -- operations: each is a Function applied to this tensor --------------------------------
    def __add__(self, other):
        return _add(*torch_operands(self, other))

    def __radd__(self, other):
        return _add(*torch_operands(other, self))

    def __sub__(self, other):
        return _sub(*torch_operands(self, other, subtraction=True))

    def __rsub__(self, other):
        return _sub(*torch_operands(other, self, subtraction=True))

    def __mul__(self, other):
        return _mul(*torch_operands(self, other))

    def __rmul__(self, other):
        return _mul(*torch_operands(other, self))

    def __truediv__(self, other):
        return _div(*torch_operands(self, other, true_division=True))

    def __rtruediv__(self, other):  # a number / x: reciprocal(x) * number, PyTorch's bits
        if not hasattr(other, "dtype"):
            return self.reciprocal() * other
        return _div(*torch_operands(other, self, true_division=True))

    def __neg__(self):
        if self.dtype.kind == "b":  # as PyTorch, which points to ~ and logical_not
            raise ArgumentError("Tensor.neg: negation of a bool tensor is not supported; use ~")
        # PyTorch's own node; an unsigned -1 wraps: -x of uint8 1 is 255
        return name_node(_mul(*torch_operands(self, -1)), "NegBackward0")

    def __pow__(self, exponent):
        return _pow(*pow_operands(self, exponent))

    def __rpow__(self, base):
        return _pow(*torch_operands(base, self))

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    def __getitem__(self, index):
        index = tuple(data_of(i) for i in index) if isinstance(index, tuple) else data_of(index)
        integers, rest = ops.integers_first(index) if isinstance(index, tuple) else (None, index)
        if integers is not None:  # PyTorch's order: the integers select first
            return _getitem(_getitem(self, integers), rest)
        result = _getitem(self, index)
        if ops.is_basic_index(index):  # a view, which sees a recorded change of self
            result._view_of = (self, lambda base: base[index])
            share_writes(result, self)
            weak_set(self, "_views").add(result)
        return result

    @keep_given_dtype  # a dtype given is kept under autocast, as PyTorch's
    def sum(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        source = self if dtype is None else self.to(dtype)  # cast first, as torch's ``dtype=``
        total = _sum(source, ops.axes(dim, self.ndim), keepdim)  # ints add up in int64;
        return total if dtype is None else total.to(dtype)  # in ``dtype`` they wrap, as torch's

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        source = self if dtype is None else self.to(dtype)  # cast first, as torch's ``dtype=``
        return _mean(source, ops.axes(dim, self.ndim, "Tensor.mean"), keepdim)

    def reshape(self, *shape) -> Tensor:
        return _reshape(self, ops.shape_argument("Tensor.reshape", shape))

    view = reshape


_add = Function(ops.add, ops.add_backward, wrt=("a", "b"))
_sub = Function(ops.sub, ops.sub_backward, wrt=("a", "b"))
_mul = Function(ops.mul, ops.mul_backward, wrt=("a", "b"))
_div = Function(ops.div, ops.div_backward, wrt=("a", "b"))
_pow = Function(ops.pow, ops.pow_backward, wrt=("a", "exponent"))
_matmul = Function(ops.matmul, ops.matmul_backward, wrt=("a", "b"))
_sum = Function(ops.sum, ops.sum_backward, wrt=("a",))
_mean = Function(ops.mean, ops.mean_backward, wrt=("a",))
_reshape = Function(ops.reshape, ops.reshape_backward, wrt=("a",))
_getitem = Function(ops.getitem, ops.getitem_backward, wrt=("a",))

# torch.autograd.functional and .function: submodules as os.path is os's, once Tensor exists
from . import _autograd_functional as functional  # noqa: E402
from ._autograd_more import *  # noqa: E402,F403 - gradcheck, detect_anomaly, Variable
from ._autograd_more import __all__ as _more_all  # noqa: E402

__all__ += _more_all

sys.modules.update({f"{__name__}.functional": functional, f"{__name__}.function": function})
