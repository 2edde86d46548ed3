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
    """``(is_tuple, tensors)``, refusing anything but a Tensor or a tuple of Tensors (a list
    too, as PyTorch's ``_as_tuple``)."""
    from .autograd import Tensor  # xpnet.autograd imports this module

    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for index, v in enumerate(values):
        if not isinstance(v, Tensor):
            which = f"value at index {index}" if is_tuple else f"given {what}"
            msg = (
                f"The {what} given to {where} must be either a Tensor or a tuple of Tensors but "
                f"the {which} has type {type(v)}."
            )
            raise TypeError(msg)
    return is_tuple, values


def check_floating(tensors, where: str = "") -> None:
    """PyTorch's RuntimeError for a Tensor that cannot require grad (an integer one); also
    :mod:`xpnet.func`'s reverse-mode rule."""
    for x in tensors:
        if x.dtype.kind not in "fc":
            msg = f"only Tensors of floating point dtype can require gradients, got {x.dtype}"
            raise RuntimeError(f"{where}: {msg}" if where else msg)


def _prepared(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs that require grad: ``detach()``-ed ones, or, with ``create_graph``, views of
    those that already do (the results then keep their graph), as PyTorch's; PyTorch's
    RuntimeError for an integer input, which cannot require grad."""
    check_floating(inputs)
    return tuple(
        x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_()
        for x in inputs
    )


def _zeros_like(tensor):
    from .autograd import Tensor

    return Tensor(backend_of(tensor.array).xp.zeros_like(tensor.array))


# strict mode's refusals, by PyTorch's stage of the computation: a gradient that is None (the
# output does not reach the input), and one that does not require grad where it must (with
# create_graph, or where a second derivative is taken of it: a linear function's Jacobian)
_STRICT = " This is not allowed in strict mode"
_UNREACHED = {
    "back": "the output of the user-provided function is independent of input {i}.",
    "back_trick": "the gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients.",
    "double_back": "the jacobian of the user-provided function is independent of input {i}.",
}
_CONSTANT = {
    "back": "the jacobian of the user-provided function is independent of input {i}."
    + _STRICT
    + " when create_graph=True",
    "double_back": "the hessian of the user-provided function is independent of input {i}."
    + _STRICT
    + " when create_graph=True",
    "grad_inputs": "the gradient with respect to input {i} is independent of the inputs of the "
    "user-provided function.",
    "jacobian": "while computing the hessian, found that the jacobian of the user-provided "
    "function with respect to input {i} is independent of the input (as a linear "
    "function's is).",
}


def _require_grad(where: str, outputs) -> None:
    """Strict mode's refusal of an output that does not require grad."""
    for index, out in enumerate(outputs):
        if not out.requires_grad:
            msg = (
                f"{where}: output {index} of the user-provided function does not require "
                "gradients. The outputs must be computed in a differentiable manner from the "
                "input when running in strict mode."
            )
            raise RuntimeError(msg)


def grads_or_zeros(
    where, outputs, inputs, grad_outputs, create_graph, strict, stage="back", retain=None
) -> tuple:
    """``grad`` of the outputs that require grad, zeros (or, ``strict``, an error) for the
    inputs they do not depend on; ``retain``: keep the graph (a Jacobian's rows). ``stage``
    picks PyTorch's strict-mode message (:data:`_UNREACHED`, :data:`_CONSTANT`)."""
    if strict:
        _require_grad(where, outputs)
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs, strict=True) if out.requires_grad]
    found = (None,) * len(inputs)
    if pairs:
        outs, gs = zip(*pairs, strict=True)
        # a vector of another dtype is cast to its output's, as PyTorch's engine does
        gs = tuple(
            g.to(out.dtype) if getattr(g, "dtype", out.dtype) != out.dtype else g
            for out, g in zip(outs, gs, strict=True)
        )
        found = grad(outs, inputs, gs, retain, create_graph, allow_unused=True)
    for index, g in enumerate(found if strict else ()):
        if g is None:
            message = _UNREACHED.get(stage, _UNREACHED["back"]).format(i=index) + _STRICT
        elif create_graph and not g.requires_grad:
            message = _CONSTANT.get(stage, _CONSTANT["back"]).format(i=index)
            message += "" if "create_graph" in message else _STRICT
        else:
            continue
        raise RuntimeError(f"{where}: {message}.")
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
        if strict:
            _require_grad("jvp", outputs)
        check_floating(outputs)  # the dummies below must require grad
        dummies = tuple(_zeros_like(out).requires_grad_() for out in outputs)
        transposed = grads_or_zeros("jvp", outputs, inputs, dummies, True, strict, "grad_inputs")
        # grads that do not require grad (an input no output reaches) are passed over
        products = grads_or_zeros(
            "jvp", transposed, dummies, vs, create_graph, strict, stage="back_trick"
        )
    return _finish(outputs, out_tuple, create_graph), _finish(products, out_tuple, create_graph)


def _scalar(where: str, output, strict: bool = False):
    """The one Tensor of one element ``func`` must return to ``hessian``, ``hvp``, ``vhp``
    (not a tuple of one, as PyTorch's)."""
    is_tuple, outputs = _as_tuple(where, "outputs of the user-provided function", output)
    if strict:
        _require_grad(where, outputs)
    if is_tuple:
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
        vs = _vectors(where, v, inputs, "input to the user-provided function is")
        output = _scalar(where, func(*inputs), strict)
        first = grads_or_zeros(where, (output,), inputs, (None,), True, strict, stage="jacobian")
        # a gradient that does not require grad (a linear function's) gives zeros, or refuses
        products = grads_or_zeros(
            where, first, inputs, vs, create_graph, strict, stage="double_back"
        )
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
    output and one input, tuples for tuples.

    ``vectorize`` changes nothing here (the same values). ``strategy='forward-mode'`` is
    accepted where PyTorch's is (with ``vectorize=True``, without ``create_graph`` or
    ``strict``) and gives its result, in the outputs' dtypes, by the same reverse passes:
    xpnet has no forward-mode formulas.

    Raises:
        AssertionError: a ``strategy`` other than the two. NotImplementedError: forward mode
            without ``vectorize`` or with ``create_graph``. RuntimeError: ``strict`` with
            ``vectorize`` or forward mode, as PyTorch's.

    Example:
        >>> import xpnet
        >>> jacobian(lambda x: x**2, xpnet.tensor([1.0, 3.0])).tolist()
        [[2.0, 0.0], [0.0, 6.0]]
    """
    from ._tensor_join import stack  # it imports xpnet.autograd, which imports this module

    forward = _check_strategy(strategy, create_graph, strict, vectorize)
    with enable_grad():
        is_tuple, inputs = _as_tuple("jacobian", "inputs", inputs)
        inputs = _prepared(inputs, create_graph)
        out_tuple, outputs = _as_tuple(
            "jacobian", "outputs of the user-provided function", func(*inputs)
        )
        if strict:
            _require_grad("jacobian", outputs)
        blocks = []
        for output in outputs:
            flat = output.reshape(-1)
            rows = [
                grads_or_zeros("jacobian", (row,), inputs, (None,), create_graph, strict, retain=1)
                for row in (flat[k] for k in range(flat.shape[0]))
            ]
            block = [
                _rows(stack, [row[j] for row in rows], output.shape, x)
                for j, x in enumerate(inputs)
            ]
            # forward mode's tangents have the output's dtype; reverse mode's the input's
            blocks.append(tuple(b.to(output.dtype) for b in block) if forward else tuple(block))
    blocks = [_finish(block, is_tuple, create_graph) for block in blocks]
    if forward and is_tuple:  # PyTorch's forward mode returns lists for tuple inputs
        blocks = [list(block) for block in blocks]
    return (list(blocks) if is_tuple and forward else tuple(blocks)) if out_tuple else blocks[0]


def _check_strategy(strategy, create_graph, strict, vectorize) -> bool:
    """Whether ``strategy`` is forward mode; PyTorch's refusals of the combinations it does
    not support."""
    if strategy not in ("forward-mode", "reverse-mode"):
        msg = (
            'jacobian: expected strategy to be either "forward-mode" or "reverse-mode", got '
            f"{strategy!r}"
        )
        raise AssertionError(msg)
    forward = strategy == "forward-mode"
    if forward and create_graph:
        msg = (
            "torch.autograd.functional.jacobian: `create_graph=True` and "
            '`strategy="forward-mode"` are not supported together (yet). Please either set '
            '`create_graph=False` or `strategy="reverse-mode"`.'
        )
        raise NotImplementedError(msg.replace("torch", "xpnet", 1))
    if strict and (forward or vectorize):
        what = '`strategy="forward-mode"`' if forward else "`vectorized=True`"
        msg = (
            f"xpnet.autograd.functional.jacobian: `strict=True` and {what} are not supported "
            "together. Please either set `strict=False` or "
            + ('`strategy="reverse-mode"`.' if forward else "`vectorize=False`.")
        )
        raise RuntimeError(msg)
    if forward and not vectorize:
        msg = (
            "jacobian: strategy='forward-mode' is only implemented for vectorize=True, in "
            "PyTorch as in xpnet; without it strategy must be 'reverse-mode'"
        )
        raise NotImplementedError(msg)
    return forward


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
        output = _scalar("hessian", func(*values), strict)
        return grads_or_zeros("hessian", (output,), values, (None,), True, strict, "jacobian")

    at = inputs if is_tuple else inputs[0]
    result = jacobian(gradient, at, create_graph, strict, vectorize, outer_jacobian_strategy)
    return result if is_tuple else result[0]
