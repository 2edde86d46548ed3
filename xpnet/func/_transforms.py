"""``torch.func``'s reverse-mode transforms: :func:`grad`, :func:`grad_and_value`, :func:`vjp`,
and :func:`jvp`/:func:`linearize` by the double-vjp trick.

Each runs the function once with the differentiated arguments replaced by fresh Tensors that
require grad (:func:`trace_call`) and differentiates with :func:`xpnet.autograd.grad`, so no
``.grad`` is ever written. Composition (``grad(grad(f))``, ``jacrev(jacrev(f))``, MAML's
``grad`` of a loss after an inner ``grad`` step) works through ``create_graph=True``: a
transform builds a graph of its result exactly when that result may be differentiated again,
that is when grad mode is on and the function's output depends on a Tensor that requires grad
other than the transform's own inputs (an argument that requires grad, an outer transform's
input, a closure's parameter), as PyTorch's results then carry a ``grad_fn``. Otherwise the
backward runs plain, and every op works. Under ``create_graph=True`` an op without a
differentiable backward raises ``NotImplementedError`` naming it, as in
:func:`xpnet.autograd.grad`. The Jacobians are in :mod:`xpnet.func._jacobians`.
"""

from __future__ import annotations

import functools

from .._autograd_functional import check_floating as check_floating_inputs
from .._autograd_functional import grads_or_zeros
from .._creation import zeros_like
from ..autograd import Tensor, enable_grad, is_grad_enabled
from ._pytree import describe, tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "jvp", "linearize", "vjp"]


def select_argnums(args: tuple, argnums):
    """The arguments ``argnums`` picks: ``args[argnums]`` for an int, a tuple for a tuple."""
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        return args[_argnum(argnums, len(args))]
    if not isinstance(argnums, tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if not argnums:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(args[_argnum(argnum, len(args))] for argnum in argnums)


def _argnum(argnum, count: int) -> int:
    if not isinstance(argnum, int) or isinstance(argnum, bool):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if not -count <= argnum < count:
        raise RuntimeError(f"Got argnum={argnum}, but only {count} positional inputs")
    return argnum % count


def _replace_args(args: tuple, argnums, new) -> tuple:
    if isinstance(argnums, int):
        argnums, new = (argnums,), (new,)
    wrapped = {argnum % len(args): value for argnum, value in zip(argnums, new, strict=True)}
    return tuple(wrapped.get(index, arg) for index, arg in enumerate(args))


class Trace:
    """One recorded call: ``inputs`` (the fresh Tensors, flat), ``spec`` (their tree),
    ``output``, ``aux``, and ``linked``: whether the results need a graph (see the module)."""

    def __init__(self, inputs, spec, output, aux, linked):
        self.inputs = inputs
        self.spec = spec
        self.output = output
        self.aux = aux
        self.linked = linked

    def finish(self, tree):
        """``tree`` as returned to the caller: detached unless ``linked``."""
        return tree if self.linked else detach_tree(tree)


def trace_call(
    api: str, func, args: tuple, kwargs: dict, argnums, has_aux: bool, forward: bool = False
) -> Trace:
    """Call ``func(*args, **kwargs)`` with grad mode on, the Tensors of ``argnums`` (all of
    ``args`` for ``None``) replaced by fresh ones that require grad: a view of a Tensor that
    requires grad (the result keeps its graph), else a detached copy. ``forward``: refuse an
    integer Tensor as PyTorch's forward-mode transforms do, not as its reverse-mode ones."""
    outer = is_grad_enabled()
    diff = args if argnums is None else select_argnums(args, argnums)
    leaves, spec = tree_flatten(diff)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(leaf)}")
        check_floating(api, "primal" if forward else None, leaf)
    linked = outer and any(leaf.requires_grad for leaf in leaves)
    with enable_grad():
        inputs = [
            x.view_as(x) if linked and x.requires_grad else x.detach().requires_grad_()
            for x in leaves
        ]
        fresh = tree_unflatten(inputs, spec)
        output = func(
            *(fresh if argnums is None else _replace_args(args, argnums, fresh)), **kwargs
        )
    aux = None
    if has_aux:
        if not (isinstance(output, tuple) and len(output) == 2):
            msg = f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
            raise RuntimeError(msg)
        output, aux = output
    linked = linked or (outer and _reaches_other_leaves(output, inputs))
    return Trace(inputs, spec, output, aux, linked)


def check_floating(api: str, what, tensor) -> None:
    """PyTorch's refusal of an integer Tensor: forward mode's ValueError naming ``what``
    (``'primal'``, ``'tangent'``), or for ``None`` reverse mode's RuntimeError (the rule of
    :mod:`xpnet.autograd.functional`)."""
    if what is None:
        check_floating_inputs((tensor,), api)
    elif tensor.dtype.kind not in "fc":
        msg = f"{api}: Expected {what} to be floating point or complex, but got: {tensor.dtype}"
        raise ValueError(msg)


def _reaches_other_leaves(output, inputs) -> bool:
    """Whether ``output``'s graph reaches a Tensor that requires grad, other than ``inputs``:
    a leaf (a parameter, an outer transform's input) behind the function's closure."""
    own = {id(x) for x in inputs}
    stack = [t for t in tree_flatten(output)[0] if isinstance(t, Tensor) and t.requires_grad]
    seen = set()
    while stack:
        tensor = stack.pop()
        if id(tensor) in own or id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if tensor.grad_fn is None:
            return True  # a leaf that requires grad and is not ours
        parents = getattr(tensor.grad_fn, "inputs", ())
        stack.extend(t for t in parents if isinstance(t, Tensor) and t.requires_grad)
    return False


def detach_tree(tree):
    return tree_map(lambda x: x.detach() if isinstance(x, Tensor) else x, tree)


def gradients(outputs, inputs, grad_outputs, create_graph: bool, retain_graph=None) -> list:
    """:func:`xpnet.autograd.grad` of the ``outputs`` that require grad, with zeros for the
    inputs they do not reach (``torch.func`` gives zeros, never ``None``): the non-strict
    ``xpnet.autograd.functional`` rule, with grad mode on."""
    with enable_grad():
        found = grads_or_zeros(
            "xpnet.func", outputs, inputs, grad_outputs, create_graph, False, retain=retain_graph
        )
    return list(found)


def check_outputs(api: str, output, what: str = "f(*primals)") -> tuple[list, object]:
    """``tree_flatten(output)``, refusing an empty output or a leaf that is not a Tensor."""
    leaves, spec = tree_flatten(output)
    if not leaves:
        msg = (
            f"{api}: Expected f to be a function that has non-empty output (got output = {leaves})"
        )
        raise RuntimeError(msg)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            msg = (
                f"{api}: expected {what} to return only tensors, got unsupported type {type(leaf)}"
            )
            raise RuntimeError(msg)
    return leaves, spec


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """``func``'s gradient and value: a function returning ``(grad, value)`` (``(grad, (value,
    aux))`` with ``has_aux``), as ``torch.func.grad_and_value``.

    Args:
        func: a function whose output (or first output, with ``has_aux``) is a 0-d Tensor.
        argnums: the positional argument (an int) or arguments (a tuple of ints) to
            differentiate; each may be a Tensor or a tuple/list/dict of Tensors. Default: 0.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is passed through. Default: False.

    Returns:
        A function of ``func``'s arguments. ``grad`` has the structure of the argument picked
        by ``argnums`` (a tuple of them for a tuple); an input the output does not depend on
        gets zeros. See :mod:`xpnet.func` for when the results keep a graph.

    Raises:
        RuntimeError: ``func``'s output is not a 0-d Tensor; bad ``argnums``.
        ValueError: a differentiated argument holds something other than a Tensor.

    Example:
        >>> import xpnet
        >>> g, value = grad_and_value(lambda x: (x**2).sum())(xpnet.tensor([1.0, 2.0]))
        >>> g.tolist(), value.item()
        ([2.0, 4.0], 5.0)
    """
    api = "grad_and_value(f)(*args)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        trace = trace_call(api, func, args, kwargs, argnums, has_aux)
        output = trace.output
        if not isinstance(output, Tensor):
            raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            msg = (
                f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with "
                f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
            raise RuntimeError(msg)
        grads = gradients([output], trace.inputs, [None], trace.linked)
        value = (output, trace.aux) if has_aux else output
        return tree_unflatten(grads, trace.spec), trace.finish(value)

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient of a function with a 0-d Tensor output, as ``torch.func.grad``:
    ``grad(f)(x)`` is ``df/dx``; ``grad(grad(f))`` a second derivative.

    Args are :func:`grad_and_value`'s; the function returns ``grad`` (``(grad, aux)`` with
    ``has_aux``). Nothing is written into any ``.grad``.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor(2.0)
        >>> grad(lambda x: x**3)(x).item(), grad(grad(lambda x: x**3))(x).item()
        (12.0, 12.0)
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """``func(*primals)`` and a function that gives vector-Jacobian products, as
    ``torch.func.vjp``.

    Args:
        func: a function of ``primals`` returning a Tensor or a tree of Tensors.
        primals: Tensors or trees of Tensors.
        has_aux: ``func`` returns ``(output, aux)``. Default: False.

    Returns:
        ``(output, vjp_fn)`` (``(output, vjp_fn, aux)`` with ``has_aux``). ``vjp_fn(cotangents,
        retain_graph=True, create_graph=None)`` takes cotangents shaped as ``output`` and
        returns a tuple with one product per primal, each shaped as it; it may be called
        again. ``create_graph=None`` builds a graph when the product may be differentiated
        again (see :mod:`xpnet.func`), where PyTorch's follows grad mode.

    Example:
        >>> import xpnet
        >>> out, vjp_fn = vjp(lambda x: x**2, xpnet.tensor([1.0, 3.0]))
        >>> vjp_fn(xpnet.tensor([1.0, 1.0]))[0].tolist()
        [2.0, 6.0]
    """
    api = "vjp(f, *primals)"
    trace = trace_call(api, func, primals, {}, None, has_aux)
    outputs, out_spec = check_outputs(api, trace.output)
    for out in outputs:
        if out.dtype.kind != "f":
            msg = (
                "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got "
                f"Tensor with dtype {out.dtype}"
            )
            raise RuntimeError(msg)

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph: bool | None = None):
        flat, spec = tree_flatten(cotangents)
        if spec != out_spec:
            msg = (
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {describe(spec)}, primal output: "
                f"{describe(out_spec)}"
            )
            raise RuntimeError(msg)
        if create_graph is None:
            requested = trace.linked or any(getattr(c, "requires_grad", False) for c in flat)
            create_graph = is_grad_enabled() and requested
        grads = gradients(outputs, trace.inputs, flat, create_graph, retain_graph)
        return tree_unflatten(grads, trace.spec)

    output = trace.finish(trace.output)
    return (output, vjp_fn, trace.finish(trace.aux)) if has_aux else (output, vjp_fn)


def _check_primals(api: str, primals, tangents) -> tuple[list, list]:
    if not isinstance(primals, tuple):
        msg = f"{api}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        raise RuntimeError(msg)
    (flat, spec), (flat_tangents, tangent_spec) = tree_flatten(primals), tree_flatten(tangents)
    if spec != tangent_spec:
        msg = (
            f"{api}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {describe(spec)} and tangents with structure {describe(tangent_spec)}"
        )
        raise RuntimeError(msg)
    for name, values in (("primals", flat), ("tangents", flat_tangents)):
        if not values:
            raise RuntimeError(f"{api}: Expected {name} to contain at least one Tensor.")
        for value in values:
            if not isinstance(value, Tensor):
                msg = f"{api}: Expected {name} to only contain Tensors, got {type(value)}"
                raise RuntimeError(msg)
    for index, (primal, tangent) in enumerate(zip(flat, flat_tangents, strict=True)):
        check_floating(api, "primal", primal)
        check_floating(api, "tangent", tangent)
        if primal.shape != tangent.shape:
            msg = (
                f"{api}: tangent {index} must have the shape of its primal, "
                f"{tuple(primal.shape)}, got {tuple(tangent.shape)}"
            )
            raise RuntimeError(msg)
    return flat, flat_tangents


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``func(*primals)`` and the Jacobian-vector product ``J tangents``, as
    ``torch.func.jvp``, computed in reverse mode by the double-vjp trick: ``u -> J^T u`` is
    linear in ``u``, so its vjp with ``tangents`` is ``J tangents``. Every op of ``func``
    therefore needs a differentiable backward (``NotImplementedError`` names one that has
    none), and the cost is two reverse passes, not one forward pass.

    Args:
        func: a function of ``*primals`` returning a Tensor or a tree of Tensors.
        primals: a tuple of Tensors or trees of Tensors.
        tangents: shaped and structured as ``primals``.
        strict: raise where the output does not depend on the inputs. Default: False.
        has_aux: ``func`` returns ``(output, aux)``. Default: False.

    Returns:
        ``(output, jvp_out)`` (``(output, jvp_out, aux)`` with ``has_aux``), ``jvp_out``
        shaped as ``output``; zeros for an output that does not depend on the primals.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([1.0, 3.0])
        >>> jvp(lambda x: x**2, (x,), (xpnet.tensor([1.0, 0.0]),))[1].tolist()
        [2.0, 0.0]
    """
    api = "jvp(f, primals, tangents)"
    _, flat_tangents = _check_primals(api, primals, tangents)
    trace = trace_call(api, func, primals, {}, None, has_aux, forward=True)
    outputs, out_spec = check_outputs(api, trace.output)
    # PyTorch's strict refuses each output without a tangent; an integer output has none
    if strict and not all(out.requires_grad and out.dtype.kind in "fc" for out in outputs):
        msg = (
            f"{api[:-1]}, strict=True): The output of f is independent of the inputs. This is "
            "not allowed with strict=True."
        )
        raise RuntimeError(msg)
    linked = trace.linked or (is_grad_enabled() and any(t.requires_grad for t in flat_tangents))
    products = dict(enumerate(zeros_like(out) for out in outputs))  # an integer output's: zeros
    floats = [index for index, out in enumerate(outputs) if out.dtype.kind in "fc"]
    with enable_grad():
        dummies = [zeros_like(outputs[index]).requires_grad_() for index in floats]
        outs = [outputs[index] for index in floats]
        transposed = gradients(outs, trace.inputs, dummies, True, True)
        found = gradients(transposed, dummies, flat_tangents, linked)
        products.update(zip(floats, found, strict=True))
    result = (trace.finish(trace.output), tree_unflatten(list(products.values()), out_spec))
    return (*result, trace.finish(trace.aux)) if has_aux else result


def linearize(func, *primals):
    """``func(*primals)`` and a function ``jvp_fn(*tangents)`` giving ``J tangents``, as
    ``torch.func.linearize``. Each ``jvp_fn`` call runs :func:`jvp` again (xpnet keeps no
    linearized graph), so it is a convenience, not a saving.

    Example:
        >>> import xpnet
        >>> out, jvp_fn = linearize(lambda x: x**2, xpnet.tensor([1.0, 3.0]))
        >>> jvp_fn(xpnet.tensor([1.0, 1.0])).tolist()
        [2.0, 6.0]
    """
    spec = tree_flatten(primals)[1]
    _check_primals("linearize(func, *primals)", primals, primals)
    output = func(*primals)  # with its graph where a primal requires grad, as PyTorch's

    def jvp_fn(*tangents):
        tangent_spec = tree_flatten(tangents)[1]
        if tangent_spec != spec:
            msg = (
                f"Expected the tangents {describe(tangent_spec)} to have the same argspec as "
                f"the primals {describe(spec)}"
            )
            raise RuntimeError(msg)
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn
