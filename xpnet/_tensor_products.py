"""PyTorch's products beyond ``matmul``: ``einsum``, ``tensordot``, ``outer``/``ger``, ``kron``,
``dot``, ``vdot``, ``mv``, ``addmm``, ``addmv``, ``addbmm``, ``baddbmm`` and ``cdist``, as
``xpnet.<name>`` functions and Tensor methods (:data:`METHODS`).

``einsum`` is a forward/backward pair (:mod:`xpnet._tensor_einsum`); ``tensordot``,
``outer``, ``dot`` and ``vdot`` are einsums (``dot``'s node named as PyTorch's); the others
are built from ``matmul``, ``mul`` and ``norm``, so gradients are PyTorch's (``cdist`` with
``p`` of 0, 1 or inf has pairs of its own, :mod:`xpnet._tensor_distance_ops`, for PyTorch's
NaN rules). ``addmm``-like functions follow PyTorch's rule for ``beta=0``: ``input`` is
ignored (its NaN and inf do not reach the result, and it gets no gradient, where PyTorch
gives it zeros). ``cdist`` always computes the differences directly (PyTorch's
``compute_mode="donot_use_mm_for_euclid_dist"``; the matrix-product shortcut for ``p=2`` is
never used), in ``O(P * R * M)`` memory.

Example:
    >>> import xpnet
    >>> a = xpnet.arange(6.0).reshape(2, 3).requires_grad_()
    >>> einsum("ij,ij->i", a, a).tolist()
    [5.0, 50.0]
    >>> einsum("ii", a[:, :2]).backward(); a.grad.tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import string

import numpy

from . import _tensor_distance_ops as distances
from . import _tensor_einsum as pair
from ._dtypes import as_dtype, result_dtype
from ._node_names import name_node, named_nodes
from ._tensor_checks import check_tensor, refuse_dtype
from .amp.autocast_mode import cast_operand, promote_operands
from .autograd import Function, Tensor, as_tensor
from .kernels import ArgumentError
from .kernels._broadcast import broadcast_shape
from .kernels._checks import as_index

__all__ = ["addbmm", "addmm", "addmv", "baddbmm", "cdist", "dot", "einsum", "ger", "kron"]
__all__ += ["mv", "outer", "tensordot", "vdot"]


@functools.cache
def _einsum_function(count: int, name: str) -> Function:
    """The Function of an einsum of ``count`` operands (one signature per count, since
    Function finds the inputs that get gradients by parameter name), called ``name`` for
    autocast: ``einsum`` runs in float16, ``dot``/``tensordot`` promote, ``outer`` as it comes."""

    def call(equation, *operands):
        return pair.einsum(equation, *operands)

    names = tuple(f"operand{i}" for i in range(count))
    kind = inspect.Parameter.POSITIONAL_ONLY
    parameters = [inspect.Parameter(n, kind) for n in ("equation", *names)]
    call.__signature__ = inspect.Signature(parameters)
    call.__name__ = name
    return Function(call, pair.einsum_backward, wrt=names)


def _operands(where: str, values, promote: bool = False) -> list[Tensor]:
    """``values`` as Tensors of one dtype: their promoted one, or (else) an error if not."""
    for i, value in enumerate(values):
        if not (hasattr(value, "shape") and hasattr(value, "dtype")):
            msg = f"xpnet.{where}: operand {i} must be a Tensor, got {type(value).__name__}"
            raise TypeError(msg)
    tensors = [as_tensor(v) for v in values]
    if promote:
        return [as_dtype(t, result_dtype(*tensors)) for t in tensors]
    if len({t.dtype for t in tensors}) > 1:
        dtypes = ", ".join(str(t.dtype) for t in tensors)
        raise ArgumentError(f"xpnet.{where}: operands must have one dtype, got {dtypes}")
    return tensors


def _no_bools(where: str, tensors) -> list[Tensor]:
    """``tensors``, after PyTorch's NotImplementedError for bools: its mm, dot, bmm have none."""
    for tensor in tensors:
        refuse_dtype(f"xpnet.{where}", tensor, "b", "numbers, not bools")
    return list(tensors)


def _sublist_term(sublist) -> str:
    """The subscripts of one sublist of ints in [0, 52) and ``Ellipsis``, as letters."""
    if not isinstance(sublist, list | tuple):
        msg = f"xpnet.einsum: sublists must be lists, got {type(sublist).__name__}"
        raise TypeError(msg)
    term = []
    for item in sublist:
        if item is Ellipsis:
            term.append("...")
        elif isinstance(item, numbers.Integral) and not isinstance(item, bool) and 0 <= item < 52:
            term.append(string.ascii_letters[item])
        else:
            msg = f"xpnet.einsum: subscripts in a sublist must be in [0, 52), got {item!r}"
            raise ArgumentError(msg)
    return "".join(term)


def _sublist_equation(arguments) -> tuple[str, tuple]:
    """``(op0, sublist0, op1, sublist1, ..., [output])`` as a string equation and operands."""
    pairs, output = arguments, None
    if len(arguments) % 2:
        pairs, output = arguments[:-1], arguments[-1]
    if len(pairs) < 2 or any(hasattr(s, "shape") for s in pairs[1::2]):
        msg = "xpnet.einsum: sublist form is einsum(op0, sublist0, op1, sublist1, ..., [out])"
        raise TypeError(msg)
    equation = ",".join(_sublist_term(s) for s in pairs[1::2])
    if output is not None:
        equation += "->" + _sublist_term(output)
    return equation, tuple(pairs[0::2])


def einsum(equation: str, *operands) -> Tensor:
    """Sums of products of ``operands`` over the subscripts of ``equation``, as
    ``torch.einsum`` (string form; ``...`` broadcasts; no ``->``: the letters that appear once,
    in alphabetical order). The operands may also come as one list, or in torch's sublist form
    ``einsum(op0, [0, 1], op1, [1, 2], [0, 2])`` (ints in [0, 52), ``...``; output optional).

    Integers and bools keep their dtype, except where PyTorch sums a dim of one operand on
    its own (``einsum("i->", bools)``): then the result is int64, as ``sum``'s.

    Raises:
        TypeError: ``equation`` not a string, an operand not a Tensor. ArgumentError:
            subscripts that do not fit the operands, sizes that do not match, mixed dtypes.

    Example:
        >>> import xpnet
        >>> a, b = xpnet.ones(2, 3), xpnet.ones(2, 3, 4)
        >>> einsum("bi,bij->bj", a, b).shape, einsum("...j,...j", b, b).shape
        ((2, 4), (2, 3))
    """
    if not isinstance(equation, str) and hasattr(equation, "shape"):
        equation, operands = _sublist_equation((equation, *operands))
    if not isinstance(equation, str):
        msg = f"xpnet.einsum: equation must be a string, got {type(equation).__name__}"
        raise TypeError(msg)
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not operands:
        raise ArgumentError("xpnet.einsum: needs at least one operand")
    return _einsum("einsum", equation, _operands("einsum", operands))


def _einsum(name: str, equation: str, tensors) -> Tensor:
    """:func:`einsum` of checked ``tensors``, recorded as op ``name`` (see _einsum_function)."""
    inputs, output, _ = pair.parse(equation, [t.shape for t in tensors])  # errors first
    if tensors[0].dtype.kind in "biu" and _sums_alone(inputs, output, tensors):
        tensors = [t.to(numpy.dtype("int64")) for t in tensors]
    return _einsum_function(len(tensors), name)(equation, *tensors)


def _sums_alone(inputs, output: str, tensors) -> bool:
    """Whether PyTorch's einsum sums a dim of one operand on its own (with ``sum``, which
    makes integers and bools int64): any dim left out of the output of a single operand, or
    of several a dim of size above 1 that the output lacks and every other operand lacks or
    has of size 1 (which broadcasts: ``"i,i->"`` of sizes 3 and 1 sums the 3 alone)."""
    if len(inputs) == 1:
        return any(c not in output for c in inputs[0])
    pairs = list(zip(inputs, tensors, strict=True))
    sized = [{c for c, n in zip(t, x.shape, strict=True) if n != 1} for t, x in pairs]
    for k, (term, tensor) in enumerate(pairs):
        others = set(output).union(*(letters for j, letters in enumerate(sized) if j != k))
        if any(c not in others and n != 1 for c, n in zip(term, tensor.shape, strict=True)):
            return True
    return False


def tensordot(a, b, dims=2) -> Tensor:
    """Sums of products over the last ``dims`` dims of ``a`` and the first ``dims`` of ``b``
    (an int), or over the dims listed in ``dims = (dims_a, dims_b)``, as ``torch.tensordot``.

    Raises:
        ArgumentError: a negative ``dims``, lists of different lengths, sizes that differ
            (other than 1: PyTorch sums the other operand over that dim).
        UnsupportedDtypeError: bool operands (PyTorch's NotImplementedError).
    """
    a, b = _operands("tensordot", promote_operands(a, b))  # PyTorch's autocast promote list
    a, b = _no_bools("tensordot", (a, b))  # PyTorch's runs mm
    if isinstance(dims, Tensor):  # PyTorch's: one element is a count, else the two lists
        dims = int(dims.item()) if dims.numel() == 1 else dims.tolist()
    if isinstance(dims, numbers.Integral):  # True too: PyTorch's isinstance(dims, int)
        if not (most := min(a.ndim, b.ndim)) >= dims >= 0:
            raise ArgumentError(f"xpnet.tensordot: dims must be in [0, {most}], got {dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    elif not (isinstance(dims, list | tuple) and len(dims) == 2):
        msg = f"xpnet.tensordot: dims must be an int or a pair of lists of dims, got {dims!r}"
        raise ArgumentError(msg)
    else:
        dims_a, dims_b = _dims_list("a", dims[0], a.ndim), _dims_list("b", dims[1], b.ndim)
    if len(dims_a) != len(dims_b):
        msg = f"xpnet.tensordot: both dims lists must have one length, got {dims_a} and {dims_b}"
        raise ArgumentError(msg)
    letters = iter(string.ascii_letters)
    term_a, term_b = ([next(letters) for _ in range(n)] for n in (a.ndim, b.ndim))
    for da, db in zip(dims_a, dims_b, strict=True):
        if a.shape[da] != b.shape[db] and b.shape[db] == 1:  # PyTorch's broadcast: a summed
            a = a.sum(da, keepdim=True, dtype=a.dtype)  # over the dim first, in its dtype
        elif a.shape[da] != b.shape[db] and a.shape[da] == 1:
            b = b.sum(db, keepdim=True, dtype=b.dtype)
        if a.shape[da] != b.shape[db]:
            msg = f"xpnet.tensordot: contracted dims must match, got {a.shape[da]}"
            raise ArgumentError(f"{msg} (dim {da} of a) and {b.shape[db]} (dim {db} of b)")
        term_b[db % b.ndim] = term_a[da % a.ndim]
    kept = [c for d, c in enumerate(term_a) if d not in {x % a.ndim for x in dims_a}]
    kept += [c for d, c in enumerate(term_b) if d not in {x % b.ndim for x in dims_b}]
    return _einsum("tensordot", f"{''.join(term_a)},{''.join(term_b)}->{''.join(kept)}", [a, b])


def _dims_list(name: str, dims, ndim: int) -> list:
    """``tensordot``'s dims of operand ``name``: ints in ``[-ndim, ndim)``, each once, as
    PyTorch's parser (a TypeError for a bare int, an IndexError out of range)."""
    listed = [as_index(d) for d in dims] if isinstance(dims, list | tuple) else [None]
    what = f"xpnet.tensordot: dims of {name}"
    if None in listed:  # an item not an int (a bool, a float), or dims not a list
        raise TypeError(f"{what} must be a list of ints, got {dims!r}")
    if not all(-ndim <= d < ndim for d in listed):
        raise IndexError(f"{what} must be in [{-ndim}, {ndim - 1}], got {listed}")
    if len({d % ndim for d in listed}) < len(listed):
        raise ArgumentError(f"{what} name a dim twice, got {listed}")
    return listed


def _vectors(where: str, *tensors, promote: bool = False) -> list[Tensor]:
    tensors = _operands(where, tensors, promote)
    if any(t.ndim != 1 for t in tensors):
        shapes = " and ".join(str(t.shape) for t in tensors)
        raise ArgumentError(f"xpnet.{where}: expects 1-d tensors, got shapes {shapes}")
    return tensors


def outer(input, vec2) -> Tensor:
    """The outer product ``input[i] * vec2[j]`` of two 1-d tensors, as ``torch.outer``
    (in their promoted dtype, as PyTorch's ``torch.result_type``)."""
    a, b = _vectors("outer", input, vec2, promote=True)
    return _einsum("outer", "i,j->ij", [a, b])


def dot(input, tensor) -> Tensor:
    """The inner product of two 1-d tensors of one size and dtype, as ``torch.dot``."""
    a, b = _vectors("dot", *promote_operands(input, tensor))  # PyTorch's autocast promote list
    a, b = _no_bools("dot", (a, b))
    if a.shape != b.shape:
        msg = f"xpnet.dot: tensors must have one size, got {a.shape[0]} and {b.shape[0]}"
        raise ArgumentError(msg)
    return name_node(_einsum("dot", "i,i->", [a, b]), "DotBackward0")


def vdot(input, other) -> Tensor:
    """``torch.vdot``: :func:`dot` (whose first operand PyTorch conjugates; real tensors)."""
    return name_node(dot(input, other), "VdotBackward0")


def kron(input, other) -> Tensor:
    """The Kronecker product: every element of ``input`` times all of ``other``, in blocks,
    as ``torch.kron`` (the smaller number of dims padded with leading ones)."""
    check_tensor("xpnet.kron", "input", input)
    check_tensor("xpnet.kron", "other", other)  # as_tensor would take None, 'abc' as arrays
    a, b = (as_tensor(t) for t in (input, other))
    ndim = max(a.ndim, b.ndim)
    sa, sb = ((1,) * (ndim - t.ndim) + t.shape for t in (a, b))
    left = a.reshape(tuple(x for n in sa for x in (n, 1)))
    right = b.reshape(tuple(x for n in sb for x in (1, n)))
    result = left.mul(right).reshape(tuple(n * m for n, m in zip(sa, sb, strict=True)))
    return name_node(result, "UnsafeViewBackward0")  # PyTorch's reshape copies here


def mv(input, vec) -> Tensor:
    """The product of the matrix ``input`` and the vector ``vec``, as ``torch.mv``."""
    a, v = _no_bools("mv", _operands("mv", (input, vec)))
    if a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0]:
        msg = f"xpnet.mv: expects a matrix and a vector that fit, got {a.shape} and {v.shape}"
        raise ArgumentError(msg)
    return a @ v


def _added(where: str, input, product: Tensor, beta, alpha) -> Tensor:
    """``beta * input + alpha * product``, ``input`` ignored where ``beta`` is 0 (PyTorch)."""
    beta = _scalar(where, "beta", beta, product.dtype)
    alpha = _scalar(where, "alpha", alpha, product.dtype)
    base = cast_operand(where, as_tensor(input))  # the product is cast as matmul
    if base.dtype != product.dtype:  # PyTorch promotes none of the three
        msg = f"xpnet.{where}: input must be {product.dtype} as the product, got {base.dtype}"
        raise ArgumentError(msg)
    if broadcast_shape(base.shape, product.shape) != tuple(product.shape):
        msg = f"xpnet.{where}: input of shape {base.shape} does not broadcast to {product.shape}"
        raise ArgumentError(msg)
    scaled = product if alpha == 1 else product * alpha
    result = scaled if beta == 0 else (base if beta == 1 else base * beta) + scaled
    return name_node(result, f"{where.capitalize()}Backward0")  # "addmm": AddmmBackward0


def _scalar(where: str, name: str, value, dtype):
    """``beta`` or ``alpha`` as PyTorch's Scalar: a number, bool or one-element Tensor, cast
    to an integer or bool ``dtype`` as PyTorch's kernels (``0.5`` is 0 for int64: truncated)."""
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"xpnet.{where}: {name} must be a number, got {type(value).__name__}")
    fits = not isinstance(value, complex) or dtype.kind == "c"
    if dtype.kind in "iu":  # truncated, and in the dtype's range, as PyTorch's conversion
        info = numpy.iinfo(dtype)
        fits = isinstance(value, numbers.Real) and info.min - 1 < value < info.max + 1
    if not fits:  # PyTorch's RuntimeError
        raise ArgumentError(f"xpnet.{where}: {name}={value} does not fit a {dtype} tensor")
    # Tensor.addr of bools: logical, as PyTorch's
    return bool(value) if dtype.kind == "b" else int(value) if dtype.kind in "iu" else value


def _checked(where: str, first, second, ndim: int, tensors) -> tuple[Tensor, Tensor]:
    a, b = _operands(where, tensors)
    if where != "addmm":  # addmm takes bools: Tensor.addr (which PyTorch runs for bools) uses it
        a, b = _no_bools(where, (a, b))
    if a.ndim != ndim or b.ndim != ndim:
        msg = f"xpnet.{where}: {first} and {second} must be {ndim}-d, got {a.ndim}-d and {b.ndim}-d"
        raise ArgumentError(msg)
    if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2]:
        msg = f"xpnet.{where}: {first} and {second} shapes cannot be multiplied"
        raise ArgumentError(f"{msg} ({a.shape} and {b.shape})")
    return a, b


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``, as ``torch.addmm`` (``input`` broadcast;
    ignored for ``beta=0``, NaN and all).

    Example:
        >>> import xpnet
        >>> nan = xpnet.tensor(float("nan"))
        >>> addmm(nan, xpnet.ones(1, 2), xpnet.ones(2, 1), beta=0).tolist()
        [[2.0]]
    """
    mat1, mat2 = _checked("addmm", "mat1", "mat2", 2, (mat1, mat2))
    return _added("addmm", input, mat1 @ mat2, beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``, as ``torch.addmv``."""
    return _added("addmv", input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-d batches, as ``torch.baddbmm``."""
    batch1, batch2 = _checked("baddbmm", "batch1", "batch2", 3, (batch1, batch2))
    return _added("baddbmm", input, batch1 @ batch2, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``, as ``torch.addbmm``."""
    batch1, batch2 = _checked("addbmm", "batch1", "batch2", 3, (batch1, batch2))
    return _added("addbmm", input, einsum("bij,bjk->ik", batch1, batch2), beta, alpha)


_COMPUTE_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


@named_nodes("CdistBackward0")
def cdist(x1, x2, p: float = 2.0, compute_mode: str = _COMPUTE_MODES[0]) -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` (``(*, P, M)``) and each row of
    ``x2`` (``(*, R, M)``), ``(*, P, R)``, batch dims broadcast, as ``torch.cdist``; always
    by direct differences (see the module docstring), whatever ``compute_mode``.

    Raises:
        ArgumentError: fewer than 2 dims, other row lengths, negative ``p``, or an unknown
            ``compute_mode``. UnsupportedDtypeError: integer or bool tensors.
    """
    if compute_mode not in _COMPUTE_MODES:  # checked first, as PyTorch's
        msg = f"xpnet.cdist: compute_mode must be one of {_COMPUTE_MODES}, got {compute_mode!r}"
        raise ArgumentError(msg)
    a, b = _operands("cdist", (x1, x2))
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        msg = f"xpnet.cdist: x1 and x2 must be (*, P, M) and (*, R, M), got {a.shape}, {b.shape}"
        raise ArgumentError(msg)
    refuse_dtype("xpnet.cdist", a, "biu", "floating point", "x1")  # PyTorch's RuntimeError
    if not isinstance(p, numbers.Real) or not p >= 0:  # True: 1.0, as PyTorch's parser
        raise ArgumentError(f"xpnet.cdist: p must be a non-negative number, got {p!r}")
    difference = a.unsqueeze(-2) - b.unsqueeze(-3)  # (*, P, 1, M) - (*, 1, R, M)
    if a.shape[-1] == 0:  # empty rows are at distance 0
        return difference.sum(-1)
    if p in (0, 1) or math.isinf(p):  # PyTorch's own NaN rules, unlike norm's
        return distances.BY_P[p](difference)
    return difference.norm(float(p), -1)


def ger(input, vec2) -> Tensor:
    """``torch.ger``, the old name of :func:`outer`."""
    return outer(input, vec2)


_METHODS = (outer, ger, kron, dot, vdot, mv, addmm, addmv, addbmm, baddbmm)
METHODS = {method.__name__: method for method in _METHODS}
