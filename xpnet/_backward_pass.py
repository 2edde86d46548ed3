"""The graph walk of ``Tensor.backward`` and :func:`xpnet.autograd.grad`
(:mod:`xpnet.autograd`): the order in which nodes run, how the gradients that reach one tensor
from several users are added up, the tensor hooks (``Tensor.register_hook``,
:mod:`xpnet._tensor_methods`) that see or replace a tensor's gradient once it is complete,
which nodes a walk towards some tensors only (``inputs=``) needs at all, and the walk of
``grad(..., create_graph=True)``, whose gradients are Tensors with a graph (each node's
differentiable backward: :mod:`xpnet._double_backward`)."""

from __future__ import annotations

import contextlib
import contextvars
import functools

from ._autograd_graph import (
    GradientEdge,
    GroupedGradients,
    edge_tensors,
    engine_order,
    leading_to,
    topological_order,
)
from ._grad_mode import enable_grad
from ._leaf_grads import add_to_grad, hooked_gradient, post_accumulated
from .backends import backend_of, float_errors_ignored
from .kernels._checks import ArgumentError, upstream_gradient

# whether the walk running now adds into every leaf's .grad (backward() without inputs=),
# which a node that runs a backward of its own (checkpoint's recomputation) relies on
_into_every_leaf: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "xpnet_backward_into_every_leaf", default=False
)


@contextlib.contextmanager
def _walking(into_every_leaf: bool):
    """The context of one walk: whether it adds into every leaf's ``.grad``."""
    token = _into_every_leaf.set(into_every_leaf)
    try:
        yield
    finally:
        _into_every_leaf.reset(token)


# the callbacks to run when the walk running now on this thread ends (on_walk_end)
_walk_ends: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "xpnet_walk_end_callbacks", default=None
)


def on_walk_end(callback) -> None:
    """Call ``callback()`` once the backward walk running now on this thread has ended (the
    innermost one: a checkpoint's own walk inside another), as PyTorch's engine's
    ``queue_callback``; :func:`xpnet.autograd.graph.register_multi_grad_hook` relies on it.

    Raises:
        RuntimeError: no walk is running (PyTorch's message).
    """
    callbacks = _walk_ends.get()
    if callbacks is None:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    callbacks.append(callback)


def current_walk():
    """The walk running now on this thread (an object that stands for it while it runs), or
    ``None``: what tells one backward pass's hooks from another's."""
    return _walk_ends.get()


def is_checkpoint_valid() -> bool:
    """Whether the backward pass running now adds into every leaf's ``.grad``: ``backward()``
    without ``inputs``, not :func:`grad`; as ``torch.autograd._is_checkpoint_valid``."""
    return _into_every_leaf.get()


def walk(roots, retain_graph: bool, deliver, targets=None, formula=None) -> None:
    """The backward pass from ``roots``, ``(tensor, gradient)`` pairs, then the callbacks
    :func:`on_walk_end` queued during it, in order.

    Each tensor's gradient, once complete (cast to its dtype, its hooks run), goes to
    ``deliver(tensor, grad, owned)``, which returns whether it goes on through the tensor's
    ``grad_fn``. With ``targets`` (tensors), only the nodes on a path to one of them run.
    With ``formula`` (``create_graph=True``: :func:`xpnet._double_backward.run_formula`), the
    gradients are Tensors, added up by Tensor addition, and each node runs its differentiable
    backward under grad mode, so that they have a graph; else they are arrays.
    """
    callbacks: list = []
    token = _walk_ends.set(callbacks)
    try:
        _run_nodes(roots, retain_graph, deliver, targets, formula)
    finally:
        _walk_ends.reset(token)
    for callback in callbacks:
        callback()


def _run_nodes(roots, retain_graph: bool, deliver, targets, formula) -> None:
    pending: dict = {}
    for root, gradient in roots:
        accumulate(pending, root, gradient, False)  # the caller holds its gradient
    order = topological_order([root for root, _ in roots])
    needed = None if targets is None else leading_to(order, targets)
    grouped = GroupedGradients(order)  # a custom Function's outputs: one backward call
    with enable_grad() if formula is not None else contextlib.nullcontext():
        for tensor in engine_order(order):  # PyTorch's: hooks run in its order
            grad, owned = pending.pop(id(tensor), (None, False))
            if grad is not None and (needed is None or id(tensor) in needed):
                if grad.dtype != tensor.dtype:  # a float32 input of a float64 op: float32
                    grad, owned = _in_dtype(grad, tensor.dtype), True
                grad, owned = hooked_gradient(tensor, grad, owned)  # register_hook's hooks
                if not deliver(tensor, grad, owned) or not _goes_on(tensor, needed):
                    grad = None
            else:
                grad = None
            group = getattr(tensor.grad_fn, "group", None)
            if group is not None:  # the gradients of all its outputs, at the last one
                grad = grouped.offer(tensor, grad)
            if grad is None:
                continue
            grads = tensor.grad_fn.apply(grad, retain_graph, formula)
            if group is not None and not retain_graph:
                group.free()
            for parent, parent_grad in zip(tensor.grad_fn.inputs, grads, strict=True):
                if getattr(parent, "requires_grad", False):  # a Tensor (not a number)
                    owned = owned_gradient(parent_grad, grad, grads)
                    accumulate(pending, parent, parent_grad, owned)


def _goes_on(tensor, needed) -> bool:
    """Whether the walk runs ``tensor``'s grad_fn: it has one and, towards targets, one of
    its inputs leads to a target (a target's own history is not run, nor freed: PyTorch)."""
    if tensor.grad_fn is None:
        return False
    return needed is None or any(id(p) in needed for p in tensor.grad_fn.inputs)


def _in_dtype(grad, dtype):
    """``grad`` cast to ``dtype``: a Tensor by a recorded cast (it has a gradient), an array
    ignoring float errors (a scaled float32 gradient may overflow float16 under autocast: inf,
    as in PyTorch, for GradScaler to find; not a warning)."""
    if hasattr(grad, "grad_fn"):
        return grad.to(dtype)
    with float_errors_ignored():
        return grad.astype(dtype)


def _formulas(where: str):
    """The node runner of a ``create_graph=True`` walk: each node's differentiable backward
    (:mod:`xpnet._double_backward`, whose formulas load now), errors reported as ``where``."""
    from ._double_backward import load_formulas, run_formula

    load_formulas()
    return functools.partial(run_formula, where)


def accumulate(pending: dict, tensor, grad, owned: bool) -> None:
    """Add ``grad`` to ``tensor``'s pending gradient; ``owned``: no one else holds ``grad``."""
    if grad is None:  # none at all (a module backward hook's ``None``): nothing to add
        return
    previous, _ = pending.get(id(tensor), (None, False))
    if previous is None:
        pending[id(tensor)] = (grad, owned)
        return
    with float_errors_ignored():  # inf + -inf is NaN, as PyTorch's: no warning
        pending[id(tensor)] = (previous + grad, True)


def owned_gradient(grad, grad_output, grads) -> bool:
    """Whether a backward's ``grad`` is a fresh array that only this backward pass holds.

    Not: the upstream gradient passed through, a view (maybe a read-only broadcast), or an
    array returned for two inputs. Leaves keep owned gradients as they are (PyTorch steals
    such gradients too) and copy the others, which saves one copy per leaf.
    """
    upstream = grad_output if isinstance(grad_output, tuple) else (grad_output,)  # a group's
    return (
        all(grad is not given for given in upstream)
        and getattr(grad, "base", None) is None
        and sum(other is grad for other in grads) == 1
    )


def _as_tuple(where: str, name: str, values) -> tuple:
    if values is None or hasattr(values, "shape"):  # one Tensor or array
        return (values,)
    if not isinstance(values, (list, tuple)):
        msg = f"{where}: {name} must be a Tensor or a sequence of Tensors, got {values!r}"
        raise TypeError(msg)
    return tuple(values)


def _roots(where: str, tensors, grad_tensors, differentiable: bool = False) -> list:
    """``(tensor, upstream gradient array)`` pairs, checked as PyTorch's; ``differentiable``:
    gradient Tensors instead, a given Tensor kept with its graph (create_graph)."""
    from .autograd import Tensor, data_of  # the Tensor module imports this one

    tensors = _as_tuple(where, "tensors", tensors)
    grads = (
        (None,) * len(tensors) if grad_tensors is None else _as_tuple(where, "grad", grad_tensors)
    )
    if len(grads) != len(tensors):  # PyTorch's RuntimeError
        msg = f"{where}: got {len(grads)} gradients for {len(tensors)} tensors"
        raise ArgumentError(msg)
    for index, tensor in enumerate(tensors):
        if not getattr(tensor, "requires_grad", False):
            msg = f"{where}: element {index} of tensors does not require grad and has no grad_fn"
            raise RuntimeError(msg)
    pairs = []
    for tensor, grad in zip(tensors, grads, strict=True):
        array = upstream_gradient(where, data_of(grad), tensor.array)
        if differentiable:
            array = grad if isinstance(grad, Tensor) else Tensor(array)
        pairs.append((tensor, array))
    return pairs


def _checked_inputs(where: str, inputs) -> tuple:
    """``backward``'s ``inputs`` as a tuple: not empty, each requiring grad (PyTorch's)."""
    inputs = _as_tuple(where, "inputs", inputs)
    if not inputs:
        raise RuntimeError(f"{where}: `inputs` argument to `{where}()` cannot be empty.")
    for index, tensor in enumerate(inputs):
        if not getattr(tensor, "requires_grad", False):
            msg = f"{where}: inputs[{index}] does not require grad; it can take no gradient"
            raise RuntimeError(msg)
    return inputs


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Add the gradients of ``tensors`` (with upstream ``grad_tensors``) into the ``.grad``
    of every leaf that requires grad, or of ``inputs`` only, as ``torch.autograd.backward``
    (``Tensor.backward`` for several tensors at once).

    Args:
        tensors: a Tensor or a sequence of them.
        grad_tensors: their upstream gradients (``None`` for a one-element tensor: 1).
            Default: ``None``.
        retain_graph: keep the saved arrays for another backward. Default: ``None``
            (``create_graph``).
        create_graph: give every ``.grad`` filled a graph, to differentiate again: each
            node runs its differentiable backward, as in :func:`grad`. Default: ``False``.
        inputs: the tensors (leaves or not) whose ``.grad`` take their gradients; only the
            nodes leading to them run. Default: ``None`` (every leaf, and tensors that
            :meth:`~xpnet.Tensor.retain_grad`).

    Raises:
        RuntimeError: a tensor or one of ``inputs`` that does not require grad, ``inputs``
            empty, or a graph already freed.
        NotImplementedError: ``create_graph=True`` through an op that has no differentiable
            backward in xpnet yet (the message names it).
    """
    roots = _roots("backward", tensors, grad_tensors, differentiable=create_graph)
    targets = None if inputs is None else _checked_inputs("backward", inputs)

    def keep(tensor, grad, owned) -> bool:
        # a tensor that retains its grad takes it wherever the walk passes, as PyTorch's hook
        chosen = tensor.grad_fn is not None and getattr(tensor, "_retains_grad", False)
        if targets is None:
            chosen = chosen or tensor.grad_fn is None
        else:
            chosen = chosen or any(tensor is target for target in targets)
        if chosen:  # a gradient that also goes on through grad_fn is copied
            add_to_grad(tensor, grad, owned and tensor.grad_fn is None)
            post_accumulated(tensor)  # Tensor.register_post_accumulate_grad_hook's (leaves')
        return True

    formula = _formulas("backward") if create_graph else None
    retain_graph = create_graph if retain_graph is None else retain_graph  # PyTorch's default
    with _walking(into_every_leaf=targets is None):
        walk(roots, bool(retain_graph), keep, targets, formula)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``:
    nothing is added into any ``.grad``, and only the nodes leading to ``inputs`` run.

    Args:
        outputs: a Tensor or a sequence of them.
        inputs: the Tensors (leaves or not) to differentiate with respect to, or their
            gradient edges (``xpnet.autograd.graph.get_gradient_edge``).
        grad_outputs: the upstream gradients of ``outputs`` (``None`` for a one-element
            output: 1). Default: ``None``.
        retain_graph: keep the saved arrays for another backward. Default: ``None``
            (``create_graph``).
        create_graph: give gradients with a graph, to differentiate again (gradient
            penalties, Hessian-vector products): each node runs its differentiable backward,
            a formula in recorded Tensor operations (:mod:`xpnet._double_backward`), and
            hooks get Tensors. Default: ``False``.
        only_inputs: ignored, as in PyTorch (deprecated there).
        allow_unused: give ``None`` for an input the outputs do not depend on, instead of
            raising. Default: ``None`` (``materialize_grads``).
        is_grads_batched: the first dimension of each of ``grad_outputs`` is a batch: the
            gradients are those of each of its rows, stacked, as PyTorch's (a loop here, where
            PyTorch vmaps). Default: ``False``.
        materialize_grads: give zeros instead of ``None`` for such an input.

    Returns:
        A tuple of Tensors, one per input (``None`` for an unused one with
        ``allow_unused``): without ``create_graph`` constants (no ``grad_fn``); with it,
        Tensors that require grad where they depend on something that does.

    Raises:
        RuntimeError: an output or input that does not require grad, no inputs, an unused
            input without ``allow_unused``, or batched ``grad_outputs`` of the wrong shape.
        NotImplementedError: ``create_graph=True`` through an op that has no differentiable
            backward in xpnet yet (the message names it).

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([1.0, 2.0], requires_grad=True)
        >>> (g,) = xpnet.autograd.grad((x**3).sum(), x)
        >>> g.tolist(), x.grad
        ([3.0, 12.0], None)
        >>> (g,) = xpnet.autograd.grad((x**3).sum(), x, create_graph=True)
        >>> xpnet.autograd.grad(g.sum(), x)[0].tolist()  # 6 x
        [6.0, 12.0]
    """
    from .autograd import Tensor  # the Tensor module imports this one

    allow_unused = materialize_grads if allow_unused is None else allow_unused
    if materialize_grads and not allow_unused:
        raise ValueError("grad: materialize_grads=True needs allow_unused=True (or None)")
    if is_grads_batched:  # a walk per row
        from ._grad_batched import batched_grad

        options = (retain_graph, create_graph, allow_unused, materialize_grads)
        return batched_grad(outputs, inputs, grad_outputs, *options)
    roots = _roots("grad", outputs, grad_outputs, differentiable=create_graph)
    inputs = _as_tuple("grad", "inputs", (inputs,) if isinstance(inputs, GradientEdge) else inputs)
    if not inputs:
        raise RuntimeError("grad: `inputs` argument to `grad()` cannot be empty.")
    inputs = edge_tensors([root for root, _ in roots], inputs)  # an edge outside: None
    for index, tensor in enumerate(inputs):
        if tensor is not None and not getattr(tensor, "requires_grad", False):
            msg = f"grad: input {index} (one of the differentiated Tensors) does not require grad"
            raise RuntimeError(msg)
    retain_graph = bool(create_graph if retain_graph is None else retain_graph)  # PyTorch's
    found = _gradients_at(roots, inputs, retain_graph, create_graph, stop=False)
    results = []
    for index, tensor in enumerate(inputs):
        value = found.get(id(tensor))
        if value is None and not allow_unused:
            msg = (
                f"grad: input {index} appears to not have been used in the graph; set "
                "allow_unused=True if this is the desired behavior"
            )
            raise RuntimeError(msg)
        if value is None and materialize_grads and tensor is not None:
            value = backend_of(tensor.array).xp.zeros_like(tensor.array)
        results.append(value if value is None or isinstance(value, Tensor) else Tensor(value))
    return tuple(results)


def _gradients_at(roots, inputs, retain_graph, create_graph, stop, every_leaf=False) -> dict:
    """The gradients that reach ``inputs``, by ``id``; a ``stop`` walk goes on past none;
    ``every_leaf``: the walk stands for one that adds into every leaf (a checkpoint's)."""
    found = {}

    def keep(tensor, grad, owned) -> bool:
        if tensor.grad_fn is not None and getattr(tensor, "_retains_grad", False):
            add_to_grad(tensor, grad, False)  # as PyTorch's, whose retain_grad is a hook
        if not any(tensor is target for target in inputs):
            return True
        chosen = create_graph or (owned and tensor.grad_fn is None)
        found[id(tensor)] = grad if chosen else grad.copy()  # a Tensor with create_graph
        return not stop

    with _walking(into_every_leaf=every_leaf):
        walk(roots, retain_graph, keep, inputs, _formulas("grad") if create_graph else None)
    return found


def direct_gradients(outputs, grad_outputs, inputs, create_graph=False) -> list:
    """The gradient each of ``inputs`` takes from ``outputs`` not through another of them
    (``None`` if none): a walk that stops at every input, as a node whose inputs they are
    passes gradients on (a non-reentrant checkpoint's recomputed segment)."""
    from .autograd import Tensor  # the Tensor module imports this one

    roots = _roots("grad", outputs, grad_outputs, differentiable=create_graph)
    # inside the outer walk's: a reentrant checkpoint nested in it sees that walk's kind
    found = _gradients_at(roots, inputs, create_graph, create_graph, True, is_checkpoint_valid())
    grads = (found.get(id(tensor)) for tensor in inputs)
    return [g if g is None or isinstance(g, Tensor) else Tensor(g) for g in grads]
