"""``einsum``'s forward/backward pair, on which :mod:`xpnet._tensor_products` builds.

The equation is first made explicit (:func:`parse`): ``...`` becomes letters of its own, the
implicit output (no ``->``) the letters that appear once, in alphabetical order (upper case
first), after the ellipsis, as PyTorch's. Operands are broadcast to one size per letter
(a size-1 dim stretches), so the backward of operand ``k`` is one more ``einsum`` of the
gradient with the other operands, then spread over the letters only ``k`` has (summed in the
forward), written onto the diagonal where ``k`` repeats a letter (``"ii->i"``), and summed
back over the dims that were stretched. Everything is decided from shapes: no host sync.

Example:
    >>> import numpy as np
    >>> a, b = np.ones((2, 3)), np.ones((3, 4))
    >>> parse("ij,jk", (a.shape, b.shape))
    (('ij', 'jk'), 'ik', {'i': 2, 'j': 3, 'k': 4})
    >>> einsum_backward(np.ones((2, 4)), "ij,jk", a, b)[0].tolist()
    [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]
"""

from __future__ import annotations

import string

import numpy

from ._tensor_ops import check_grad, ieee, unbroadcast
from .backends import backend_of
from .kernels import ArgumentError


def _fail(message: str):
    raise ArgumentError(f"xpnet.einsum: {message}")


def _explicit(term: str, ndim: int, ellipsis: str, where: str) -> str:
    """``term`` with ``...`` replaced by the last letters of ``ellipsis`` it covers."""
    if term.count("...") > 1 or "." in term.replace("...", ""):
        _fail(f"{where} may hold one ellipsis '...', got {term!r}")
    if not all(c in string.ascii_letters for c in term.replace("...", "")):
        _fail(f"subscripts must be letters a-z or A-Z, got {term!r}")
    named = len(term.replace("...", ""))
    if "..." not in term:
        if named != ndim:
            _fail(f"{where} has {named} subscripts for a {ndim}-d operand ({term!r})")
        return term
    if named > ndim:
        _fail(f"{where} has {named} subscripts for a {ndim}-d operand ({term!r})")
    covered = ndim - named
    return term.replace("...", ellipsis[len(ellipsis) - covered :] if covered else "")


def parse(equation: str, shapes) -> tuple[tuple[str, ...], str, dict]:
    """``(inputs, output, sizes)``: the explicit subscripts of each operand and of the result,
    and the (broadcast) size of each letter."""
    equation = equation.replace(" ", "")
    left, arrow, right = equation.partition("->")
    terms = left.split(",")
    if len(terms) != len(shapes):
        _fail(f"the equation names {len(terms)} operands, got {len(shapes)}")
    spare = [c for c in string.ascii_letters if c not in equation]
    widest = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes, strict=True)))
    ellipsis = "".join(spare[: max(widest, 0)])
    inputs = tuple(
        _explicit(t, len(s), ellipsis, f"operand {i}")
        for i, (t, s) in enumerate(zip(terms, shapes, strict=True))
    )
    sizes = {}
    for i, (term, shape) in enumerate(zip(inputs, shapes, strict=True)):
        for letter, n in zip(term, shape, strict=True):
            known = sizes.setdefault(letter, n)
            if known != n and 1 not in (known, n):
                _fail(f"subscript {letter!r} has size {n} in operand {i} but {known} before")
            sizes[letter] = n if known == 1 else known
    if arrow:
        used = "".join(inputs)
        output = right.replace("...", ellipsis)  # without "...": the ellipsis dims summed
        if right.count("...") > 1 or "." in right.replace("...", ""):
            _fail(f"output may hold one ellipsis '...', got {right!r}")
        if len(set(output)) != len(output) or any(c not in used for c in output):
            _fail(f"output subscripts must be distinct input subscripts, got {right!r}")
    else:
        counts = "".join(t for t in inputs)
        once = sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ellipsis)
        output = ellipsis + "".join(once)
    return inputs, output, sizes


def _stretched(arrays, inputs, sizes):
    """Each array broadcast to its letters' sizes (views)."""
    xp = backend_of(*arrays).xp
    return [
        xp.broadcast_to(a, tuple(sizes[c] for c in term))
        for a, term in zip(arrays, inputs, strict=True)
    ]


@ieee
def einsum(equation, *operands):
    inputs, output, sizes = parse(equation, [a.shape for a in operands])
    xp = backend_of(*operands).xp
    stretched = _stretched(operands, inputs, sizes)
    return xp.einsum(f"{','.join(inputs)}->{output}", *stretched)


def operand_grad_equation(k: int, inputs, output: str) -> tuple[str, tuple[int, ...]]:
    """``(equation, missing)`` of operand ``k``'s gradient: the einsum of the upstream gradient
    and the other operands onto ``k``'s distinct letters that they or the output have;
    ``missing``: the positions, among those letters, of the ones ``k`` alone sums (each of its
    elements gets the gradient: broadcast along them). Shared with the differentiable
    backward (:mod:`xpnet._double_backward_ops`)."""
    others = [inputs[j] for j in range(len(inputs)) if j != k]
    letters = list(dict.fromkeys(inputs[k]))
    reachable = set(output).union(*others)
    computed = "".join(c for c in letters if c in reachable)
    missing = tuple(i for i, c in enumerate(letters) if c not in reachable)
    return ",".join([output, *others]) + "->" + computed, missing


def _operand_grad(grad_output, k, inputs, output, sizes, stretched):
    """The gradient of the stretched operand ``k``."""
    xp = backend_of(grad_output).xp
    term, others = inputs[k], [j for j in range(len(inputs)) if j != k]
    letters = list(dict.fromkeys(term))
    spec, missing = operand_grad_equation(k, inputs, output)
    grad = xp.einsum(spec, grad_output, *(stretched[j] for j in others))
    if missing:  # summed in the forward by this operand alone: every element got the gradient
        grad = xp.broadcast_to(xp.expand_dims(grad, missing), tuple(sizes[c] for c in letters))
    if len(letters) == len(term):
        return grad
    full = xp.zeros(tuple(sizes[c] for c in term), dtype=grad.dtype)
    grid = []
    for c in term:  # a repeated letter: the gradient lands on the diagonal
        shape = [1] * len(letters)
        shape[letters.index(c)] = -1
        grid.append(xp.arange(sizes[c]).reshape(shape))
    full[tuple(grid)] = grad
    return full


@ieee
def einsum_backward(grad_output, equation, *operands, output_mask=None):
    """One gradient per operand (``None`` where ``output_mask`` says none is needed)."""
    inputs, output, sizes = parse(equation, [a.shape for a in operands])
    dtype = numpy.result_type(*(a.dtype for a in operands))
    check_grad("einsum_backward", grad_output, tuple(sizes[c] for c in output), dtype, *operands)
    stretched = _stretched(operands, inputs, sizes)
    mask = output_mask or (True,) * len(operands)
    return tuple(
        unbroadcast(_operand_grad(grad_output, k, inputs, output, sizes, stretched), a.shape)
        if wanted
        else None
        for k, (a, wanted) in enumerate(zip(operands, mask, strict=True))
    )
