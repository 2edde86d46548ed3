"""Differentiable backwards for ``xpnet.autograd.grad(..., create_graph=True)``.

A recorded op's ordinary backward is an array function (:class:`xpnet.autograd.Function`):
its gradients are constants. Its *differentiable backward* (a formula) computes the same
gradients with recorded Tensor operations, which are Functions themselves, so that the
gradients have a graph and can be differentiated again, as PyTorch's ``derivatives.yaml``
formulas are. A formula is registered for an array backward with
:func:`differentiable_backward` and serves every Function built on that backward:

``formula(grad_output, *args, **kwargs)`` gets the upstream gradient as a Tensor and the
forward's arguments as the node recorded them, except that the ``wrt`` ones are the node's
input Tensors (an array given there becomes a constant Tensor, a number stays a number), and
the forward's saved extras (max-pooling indices, a dropout mask) as keywords, as the array
backward gets them. It returns a Tensor (or ``None``: no gradient) per ``wrt`` argument, in
order; it may skip the inputs that do not require grad. The formulas live in
:mod:`xpnet._double_backward_ops` (Tensor arithmetic and elementwise functions) and
:mod:`xpnet.nn._double_backward_layers` (layers), with more in
:mod:`xpnet._double_backward_elementwise`, :mod:`xpnet._double_backward_reductions`,
:mod:`xpnet.nn._double_backward_activations`, :mod:`xpnet.nn._double_backward_more`,
:mod:`xpnet._double_backward_extra` (indexing writes, selections, matrices),
:mod:`xpnet.nn._double_backward_extra` (more layers),
:mod:`xpnet.nn._double_backward_losses` (margin, embedding and likelihood losses),
:mod:`xpnet._double_backward_linalg` (the ``linalg`` decompositions and solvers) and
:mod:`xpnet._double_backward_scatter` (``scatter_reduce``); the
create_graph walk of :mod:`xpnet._backward_pass` loads them and calls :func:`run_formula` for
each node.
"""

from __future__ import annotations

from ._saved_hooks import unpack_saved

__all__ = ["differentiable_backward", "formula_of", "load_formulas", "run_formula"]

_FORMULAS: dict = {}  # an array backward -> its formula in Tensor operations


def differentiable_backward(*backwards):
    """Register the decorated function as the differentiable backward of ``backwards``.

    Args:
        *backwards: array backward functions (``Function.backward``); every Function built on
            one of them runs the decorated formula under ``create_graph=True``.

    Returns:
        A decorator that registers its function and returns it unchanged.

    Example:
        >>> import xpnet
        >>> def cube(input):
        ...     return input**3
        >>> def cube_backward(grad_output, input):
        ...     return grad_output * 3 * input**2
        >>> @differentiable_backward(cube_backward)
        ... def cube_formula(grad_output, input):  # input: a Tensor here
        ...     return grad_output * 3 * input**2
        >>> op = xpnet.autograd.Function(cube, cube_backward, wrt=("input",))
        >>> x = xpnet.tensor([2.0], requires_grad=True)
        >>> (g,) = xpnet.autograd.grad(op(x).sum(), x, create_graph=True)
        >>> xpnet.autograd.grad(g.sum(), x)[0].tolist()
        [12.0]
    """

    def register(formula):
        for backward in backwards:
            _FORMULAS[backward] = formula
        return formula

    return register


def formula_of(function):
    """The formula registered for ``function`` (a Function), or ``None``."""
    return _FORMULAS.get(function.backward)


def load_formulas() -> None:
    """Import the modules that register xpnet's own formulas (once; they import much of
    xpnet, so they load at the first create_graph walk, not with :mod:`xpnet.autograd`)."""
    # each module registers its formulas when imported: the Tensor ops', the layers'
    from . import (  # noqa: F401
        _double_backward_elementwise,
        _double_backward_extra,
        _double_backward_linalg,
        _double_backward_ops,
        _double_backward_reductions,
        _double_backward_scatter,
    )
    from .nn import (  # noqa: F401
        _double_backward_activations,
        _double_backward_layers,
        _double_backward_losses,
        _double_backward_more,
    )
    from .nn import _double_backward_extra as _layers_extra  # noqa: F401


def run_formula(where: str, node, grad_output) -> tuple:
    """The gradients of ``node``'s inputs from its formula, as Tensors with a graph.

    Raises:
        NotImplementedError: the node's op has no differentiable backward (a first-order
            gradient wrapped as a constant would give silently wrong higher derivatives).
    """
    function = node.function
    formula = formula_of(function)
    if formula is None:
        name = function.name.removesuffix("_backward")
        msg = (
            f"xpnet.autograd.{where}: create_graph=True: {name} has no differentiable "
            "backward in xpnet yet"
        )
        raise NotImplementedError(msg)
    args, kwargs = _formula_arguments(node)
    grads = formula(grad_output, *args, **kwargs)
    grads = grads if isinstance(grads, tuple) else (grads,)
    _check_gradients(where, function.name.removesuffix("_backward"), node.inputs, grads)
    return grads


def _check_gradients(where: str, name: str, inputs: tuple, grads: tuple) -> None:
    """Refuse, as PyTorch's engine does, a formula's gradient that is not a Tensor of its
    input's shape: it would broadcast into silent garbage further on."""
    from .autograd import Tensor

    for index, (given, grad) in enumerate(zip(inputs, grads, strict=False)):
        if grad is None or not getattr(given, "requires_grad", False):
            continue
        if not isinstance(grad, Tensor):
            msg = (
                f"xpnet.autograd.{where}: the differentiable backward of {name} must return "
                f"Tensors or None, got {type(grad).__name__} for input {index}"
            )
            raise TypeError(msg)
        if grad.shape != given.shape:
            msg = (
                f"xpnet.autograd.{where}: the differentiable backward of {name} returned a "
                f"gradient of shape {grad.shape} for input {index} of shape {given.shape}"
            )
            raise RuntimeError(msg)


def _formula_arguments(node) -> tuple:
    """``(args, kwargs)`` of ``node``'s recorded call, bound as the forward's signature binds
    them (the saved extras as keywords), each ``wrt`` argument replaced by the input Tensor
    it came from."""
    function = node.function
    parameters = function.signature.parameters
    any_keyword = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    args, kwargs = unpack_saved(node.args, node.kwargs)  # saved_tensors_hooks' unpacking
    named = {k: v for k, v in kwargs.items() if any_keyword or k in parameters}
    saved = {k: v for k, v in kwargs.items() if k not in named}
    call = function.signature.bind(*args, **named)
    for name, given in zip(function.wrt, node.inputs, strict=True):
        if name in call.arguments:
            call.arguments[name] = _lifted(given, call.arguments[name])
    return call.args, {**call.kwargs, **saved}


def _lifted(given, recorded):
    """The Tensor standing for a ``wrt`` argument: the input Tensor (cast to the recorded
    array's dtype where autocast cast it), an array given as a constant Tensor, a number as
    it is."""
    from .autograd import Tensor  # the Tensor module imports the backward pass, which this

    if isinstance(given, Tensor):
        if hasattr(recorded, "dtype") and recorded.dtype != given.dtype:
            return given.to(recorded.dtype)
        return given
    return Tensor(recorded) if hasattr(recorded, "dtype") else recorded
