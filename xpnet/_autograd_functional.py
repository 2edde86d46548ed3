"""``xpnet.autograd.functional``: PyTorch's ``torch.autograd.functional`` on xpnet's autograd.

:func:`vjp`, :func:`jvp`, :func:`vhp`, :func:`hvp`, :func:`jacobian` and :func:`hessian`, with
``torch.autograd.functional``'s signatures and results (a Tensor for a Tensor, tuples for
tuples; detached unless ``create_graph``; zeros where an output does not depend on an input,
unless ``strict``). Built on :func:`xpnet.autograd.grad`: ``jvp`` by the double-vjp trick
(the vector-Jacobian product is linear in its vector, so differentiating it with respect to
that vector gives ``J v``), ``hvp``/``vhp`` and ``hessian`` by differentiating a gradient
taken with ``create_graph=True`` (:mod:`xpnet._double_backward`). :mod:`xpnet.autograd`
registers this module as its ``functional``, as ``os`` registers ``os.path``.

Example:
    >>> import xpnet
    >>> from xpnet.autograd.functional import hessian
    >>> x = xpnet.tensor([1.0, 2.0], dtype=xpnet.float64)
    >>> hessian(lambda x: (x**3).sum(), x).tolist()
    [[6.0, 0.0], [0.0, 12.0]]
"""

from __future__ import annotations

from ._backward_pass import grad
from ._grad_mode import enable_grad
from .backends import backend_of

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(where: str, what: str, value) -> tuple:
    """``(is_tuple, tensors)``, refusing anything but a Tensor or a tuple/list of Tensors."""
    from .autograd import Tensor  # xpnet.autograd imports this module

    is_tuple = isinstance(value, tuple | list)
    values = tuple(value) if is_tuple else (value,)
    if not all(isinstance(v, Tensor) for v in values):
        kind = type(value).__name__
        msg = (
            f"The {what} given to {where} must be either a Tensor or a tuple of Tensors but "
            f"the given {what} has type {kind}."
        )
        raise TypeError(msg)
    return is_tuple, values


def _prepared(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs that require grad: ``detach()``-ed ones, or, with ``create_graph``, views of
    those that already do (the results then keep their graph), as PyTorch's."""
    return tuple(
        x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_()
        for x in inputs
    )


def _zeros_like(tensor):
    from .autograd import Tensor

    return Tensor(backend_of(tensor.array).xp.zeros_like(tensor.array))


def grads_or_zeros(
    where, outputs, inputs, grad_outputs, create_graph, strict, retain=None
) -> tuple:
    """``grad`` of the outputs that require grad, zeros (or, ``strict``, an error) for the
    inputs they do not depend on; ``retain``: keep the graph (a Jacobian's rows)."""
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs, strict=True) if out.requires_grad]
    if strict and len(pairs) < len(outputs):
        index = next(i for i, out in enumerate(outputs) if not out.requires_grad)
        msg = (
            f"{where}: output {index} of the user-provided function does not require "
            "gradients. The outputs must be computed in a differentiable manner from the "
            "input when running in strict mode."
        )
        raise RuntimeError(msg)
    found = (None,) * len(inputs)
    if pairs:
        outs, gs = zip(*pairs, strict=True)
        found = grad(outs, inputs, gs, retain, create_graph, allow_unused=True)
    if strict and any(g is None for g in found):
        index = next(i for i, g in enumerate(found) if g is None)
        msg = (
            f"{where}: the output of the user-provided function is independent of input "
            f"{index}. This is not allowed in strict mode."
        )
        raise RuntimeError(msg)
    return tuple(_zeros_like(x) if g is None else g for g, x in zip(found, inputs, strict=True))


def _vectors(where: str, v, like: tuple, what: str) -> tuple:
    """``v`` checked against ``like`` (shapes); ``None`` only for one one-element Tensor."""
    from .autograd import Tensor

    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            msg = (
                f"{where}: the vector v can only be None if the {what} a single Tensor "
                "with a single element."
            )
            raise RuntimeError(msg)
        return (Tensor(backend_of(like[0].array).xp.ones_like(like[0].array)),)
    _, vs = _as_tuple(where, "v", v)
    if len(vs) != len(like):
        raise RuntimeError(f"{where}: v has {len(vs)} Tensors, expected {len(like)}")
    for vector, tensor in zip(vs, like, strict=True):
        if vector.shape != tensor.shape:
            msg = f"{where}: v has invalid size: should be {tensor.shape} but got {vector.shape}."
            raise RuntimeError(msg)
    return vs


def _finish(values: tuple, is_tuple: bool, create_graph: bool):
    values = values if create_graph else tuple(v.detach() for v in values)
    return values if is_tuple else values[0]


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``, the vector-Jacobian product, as PyTorch's.

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped as ``func``'s outputs; may be ``None`` for one one-element output.
        create_graph: keep the graph of the results. strict: raise where an output does not
            depend on an input instead of giving zeros.

    Example:
        >>> import xpnet
        >>> out, product = vjp(lambda x: x**2, xpnet.tensor([1.0, 3.0]), xpnet.tensor([1.0, 1.0]))
        >>> product.tolist()
        [2.0, 6.0]
    """
    with enable_grad():
        is_tuple, inputs = _as_tuple("vjp", "inputs", inputs)
        inputs = _prepared(inputs, create_graph)
        out_tuple, outputs = _as_tuple(
            "vjp", "outputs of the user-provided function", func(*inputs)
        )
        vs = _vectors("vjp", v, outputs, "user-provided function returns")
        grads = grads_or_zeros("vjp", outputs, inputs, vs, create_graph, strict)
    return _finish(outputs, out_tuple, create_graph), _finish(grads, is_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``, the Jacobian-vector product, by the double-vjp trick.

    Args are :func:`vjp`'s, ``v`` shaped as ``inputs``.

    Example:
        >>> import xpnet
        >>> out, product = jvp(lambda x: x**2, xpnet.tensor([1.0, 3.0]), xpnet.tensor([1.0, 0.0]))
        >>> product.tolist()
        [2.0, 0.0]
    """
    with enable_grad():
        is_tuple, inputs = _as_tuple("jvp", "inputs", inputs)
        inputs = _prepared(inputs, create_graph)
        vs = _vectors("jvp", v, inputs, "input to the user-provided function is")
        out_tuple, outputs = _as_tuple(
            "jvp", "outputs of the user-provided function", func(*inputs)
        )
        dummies = tuple(_zeros_like(out).requires_grad_() for out in outputs)
        transposed = grads_or_zeros("jvp", outputs, inputs, dummies, True, strict)
        linked = [(g, x) for g, x in zip(transposed, vs, strict=True) if g.requires_grad]
        products = tuple(_zeros_like(d) for d in dummies)
        if linked:
            gs, xs = zip(*linked, strict=True)
            products = grads_or_zeros("jvp", gs, dummies, xs, create_graph, False)
    return _finish(outputs, out_tuple, create_graph), _finish(products, out_tuple, create_graph)


def _scalar(where: str, output):
    _, outputs = _as_tuple(where, "outputs of the user-provided function", output)
    if len(outputs) != 1:
        raise RuntimeError(f"The function given to {where} should return a single Tensor")
    if outputs[0].numel() != 1:
        msg = (
            f"The Tensor returned by the function given to {where} should contain a single element"
        )
        raise RuntimeError(msg)
    return outputs[0]


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar ``func``, as PyTorch's.

    Example:
        >>> import xpnet
        >>> out, product = vhp(lambda x: (x**3).sum(), xpnet.tensor([1.0, 2.0]), xpnet.ones(2))
        >>> product.tolist()
        [6.0, 12.0]
    """
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar ``func``, as PyTorch's (``H`` is symmetric where
    ``func`` is twice continuously differentiable, so this is :func:`vhp`'s product)."""
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def _hessian_product(where, func, inputs, v, create_graph, strict):
    with enable_grad():
        is_tuple, inputs = _as_tuple(where, "inputs", inputs)
        inputs = _prepared(inputs, create_graph)
        output = _scalar(where, func(*inputs))
        vs = _vectors(where, v, inputs, "input to the user-provided function is")
        first = grads_or_zeros(where, (output,), inputs, (None,), True, strict)
        linked = [(g, x) for g, x in zip(first, vs, strict=True) if g.requires_grad]
        products = tuple(_zeros_like(x) for x in inputs)
        if linked:
            gs, xs = zip(*linked, strict=True)
            products = grads_or_zeros(where, gs, inputs, xs, create_graph, strict)
    return _finish((output,), False, create_graph), _finish(products, is_tuple, create_graph)


def jacobian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """The Jacobian of ``func`` at ``inputs``, one reverse pass per output element, as
    PyTorch's: ``J[i][j]`` of shape ``outputs[i].shape + inputs[j].shape``, a Tensor for one
    output and one input, tuples for tuples. ``vectorize`` changes nothing here (the same
    values); ``strategy`` must be ``'reverse-mode'``.

    Example:
        >>> import xpnet
        >>> jacobian(lambda x: x**2, xpnet.tensor([1.0, 3.0])).tolist()
        [[2.0, 0.0], [0.0, 6.0]]
    """
    from ._tensor_join import stack  # it imports xpnet.autograd, which imports this module

    if strategy != "reverse-mode":
        msg = f"jacobian: strategy must be 'reverse-mode' in xpnet, got {strategy!r}"
        raise NotImplementedError(msg)
    with enable_grad():
        is_tuple, inputs = _as_tuple("jacobian", "inputs", inputs)
        inputs = _prepared(inputs, create_graph)
        out_tuple, outputs = _as_tuple(
            "jacobian", "outputs of the user-provided function", func(*inputs)
        )
        blocks = []
        for output in outputs:
            flat = output.reshape(-1)
            rows = [
                grads_or_zeros("jacobian", (flat[k],), inputs, (None,), create_graph, strict, True)
                for k in range(flat.shape[0])
            ]
            blocks.append(
                tuple(
                    _rows(stack, [row[j] for row in rows], output.shape, x)
                    for j, x in enumerate(inputs)
                )
            )
    blocks = [_finish(block, is_tuple, create_graph) for block in blocks]
    return tuple(blocks) if out_tuple else blocks[0]


def _rows(stack, rows: list, shape: tuple, input):
    """``rows`` (one gradient per output element) as one block ``shape + input.shape``."""
    if not rows:
        from .autograd import Tensor

        xp = backend_of(input.array).xp
        return Tensor(xp.zeros(tuple(shape) + input.shape, dtype=input.dtype))
    return stack(rows).reshape(tuple(shape) + input.shape)


def hessian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
):
    """The Hessian of a scalar ``func`` at ``inputs``, as PyTorch's: the Jacobian of its
    gradient (taken with ``create_graph=True``); ``H[i][j]`` of shape ``inputs[i].shape +
    inputs[j].shape``, a Tensor for one input.

    Raises:
        RuntimeError: ``func`` returns more than one Tensor or element.
    """
    is_tuple, inputs = _as_tuple("hessian", "inputs", inputs)

    def gradient(*values):
        output = _scalar("hessian", func(*values))
        return grads_or_zeros("hessian", (output,), values, (None,), True, strict)

    at = inputs if is_tuple else inputs[0]
    result = jacobian(gradient, at, create_graph, strict, vectorize, outer_jacobian_strategy)
    return result if is_tuple else result[0]
