"""``torch.func``'s Jacobians: :func:`jacrev`, :func:`jacfwd` and :func:`hessian`.

:func:`jacrev` records the function once (:func:`xpnet.func._transforms.trace_call`) and runs
one reverse pass per output element, as :func:`xpnet.autograd.functional.jacobian` does;
:func:`jacfwd` is the same computation (xpnet has no forward mode), and :func:`hessian` is
``jacfwd(jacrev(f))``, a Jacobian of a gradient taken with ``create_graph=True``.
"""

from __future__ import annotations

import contextlib
import functools

from .._creation import zeros
from .._tensor_join import stack
from ._pytree import tree_unflatten
from ._transforms import check_outputs, gradients, trace_call
from ._vmap import check_randomness, refusing_random_draws

__all__ = ["hessian", "jacfwd", "jacrev"]


def _block(rows: list, output, input):
    """The rows (one gradient per element of ``output``) as one ``output.shape +
    input.shape`` block."""
    shape = tuple(output.shape) + tuple(input.shape)
    if not rows:  # an empty output
        return zeros(shape, dtype=input.dtype)
    return stack(rows).reshape(shape)


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``func`` with respect to the arguments ``argnums``, by reverse mode, as
    ``torch.func.jacrev``: one reverse pass per output element (``chunk_size`` only bounds
    PyTorch's batching of those passes, so it is checked and otherwise ignored).

    Args:
        func: a function returning a Tensor or a tree of Tensors.
        argnums: the argument (int) or arguments (tuple) to differentiate, each a Tensor or a
            tree of Tensors. Default: 0.
        has_aux: ``func`` returns ``(output, aux)``. Default: False.
        chunk_size: a positive int or ``None``. Default: ``None``.

    Returns:
        A function of ``func``'s arguments giving, for each output Tensor (in the output's
        tree), the tree of the differentiated arguments with blocks of shape
        ``output.shape + input.shape`` (``(jacobian, aux)`` with ``has_aux``).

    Raises:
        ValueError: ``chunk_size`` not positive. RuntimeError: bad ``argnums`` or an output
            that is not a Tensor.

    Example:
        >>> import xpnet
        >>> jacrev(lambda x: x**2)(xpnet.tensor([1.0, 3.0])).tolist()
        [[2.0, 0.0], [0.0, 6.0]]
    """
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, forward=False)


def _jacobian(func, argnums, has_aux: bool, forward: bool):
    """:func:`jacrev`'s function; ``forward``: :func:`jacfwd`'s, whose checks are PyTorch's
    forward mode's and whose blocks have the outputs' dtypes (a tangent's is its output's)."""
    api = f"{'jacfwd' if forward else 'jacrev'}(f, ...)(*args)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        trace = trace_call(api, func, args, kwargs, argnums, has_aux, forward)
        outputs, out_spec = check_outputs(api, trace.output, "f(*args)")
        for output in outputs if not forward else ():
            if output.dtype.kind not in "fc":  # jacrev is a vjp: PyTorch's vjp refuses it
                msg = (
                    "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, "
                    f"got Tensor with dtype {output.dtype}"
                )
                raise RuntimeError(msg)
        per_output = []
        for output in outputs:
            flat = output.reshape(-1)
            rows = [
                gradients([flat[k]], trace.inputs, [None], trace.linked, retain_graph=True)
                for k in range(flat.shape[0])
            ]
            blocks = [
                _block([row[j] for row in rows], output, x) for j, x in enumerate(trace.inputs)
            ]
            if forward:
                blocks = [block.to(output.dtype) for block in blocks]
            per_output.append(tree_unflatten(blocks, trace.spec))
        jacobian = tree_unflatten(per_output, out_spec)
        return (jacobian, trace.finish(trace.aux)) if has_aux else jacobian

    return wrapper


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of ``func``, as ``torch.func.jacfwd``, with :func:`jacrev`'s arguments and
    results (each block in its output's dtype, an integer output's zeros). xpnet has no
    forward mode: this is :func:`jacrev`'s computation, one reverse pass per output element,
    so prefer neither for speed. ``randomness`` is :func:`xpnet.func.vmap`'s: under
    ``'error'`` (the default) a function that draws random numbers raises, as PyTorch's
    (whose jacfwd vmaps it); under ``'same'`` or ``'different'`` it draws once.

    Example:
        >>> import xpnet
        >>> jacfwd(lambda x: x.sin())(xpnet.tensor([0.0])).tolist()
        [[1.0]]
    """
    check_randomness(randomness)
    inner = _jacobian(func, argnums, has_aux, forward=True)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with refusing_random_draws() if randomness == "error" else contextlib.nullcontext():
            return inner(*args, **kwargs)

    return wrapper


def hessian(func, argnums=0):
    """The Hessian of a scalar ``func`` with respect to ``argnums``, as ``torch.func.hessian``:
    ``jacfwd(jacrev(func, argnums), argnums)``. For one Tensor input of shape ``S`` it has
    shape ``S + S``; every op of ``func`` needs a differentiable backward.

    Example:
        >>> import xpnet
        >>> hessian(lambda x: (x**3).sum())(xpnet.tensor([1.0, 2.0])).tolist()
        [[6.0, 0.0], [0.0, 12.0]]
    """
    return jacfwd(jacrev(func, argnums), argnums)
