"""``torch.linalg``'s vector_norm, matrix_norm, norm and cond, with PyTorch's gradients.

``vector_norm`` is the pair of :mod:`xpnet._tensor_norms` (the kernels'
:func:`xpnet.kernels._vector_norm.vector_norm`, PyTorch's ``norm_backward``: 0 where the norm
is 0, ties of ``inf`` sharing the gradient) as an autograd Function. The matrix norms are
composed of Tensor operations as in PyTorch's ``linalg_matrix_norm``: ``'fro'`` a vector
2-norm, ``1``/``inf`` (``-1``/``-inf``) the largest (smallest) column/row sum of magnitudes
(``amax``/``amin`` share the gradient among ties), ``2``/``-2``/``'nuc'`` the largest,
smallest and sum of :func:`xpnet.linalg.decompositions.svdvals`, so their gradients are
PyTorch's too. ``norm`` dispatches as ``torch.linalg.norm``.

Example:
    >>> import xpnet
    >>> A = xpnet.tensor([[1.0, -2.0], [3.0, 4.0]], dtype=xpnet.float64)
    >>> matrix_norm(A, 1), matrix_norm(A, float("inf"))
    (tensor(6., dtype=xpnet.float64), tensor(7., dtype=xpnet.float64))
    >>> norm(xpnet.tensor([3.0, 4.0], dtype=xpnet.float64))
    tensor(5., dtype=xpnet.float64)
"""

from __future__ import annotations

import math
import numbers

import numpy

from .._node_names import named_nodes
from .._tensor_checks import flags_checked
from .._tensor_norms import listed_dims, refuse_narrowing
from .._tensor_norms import vector_norm as norm_forward
from .._tensor_norms import vector_norm_backward as norm_backward
from ..amp.autocast_mode import cast_operand, keep_given_dtype
from ..autograd import Function, Tensor, as_tensor
from ..kernels._checks import ArgumentError, UnsupportedDtypeError
from .decompositions import svdvals
from .lu_solvers import inv_ex

__all__ = ["cond", "matrix_norm", "norm", "vector_norm"]

MATRIX_ORDERS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)

_vector_norm = Function(norm_forward, norm_backward, wrt=("a",))


def _floating(where: str, x, dtype) -> Tensor:
    """``x`` as a Tensor, cast to ``dtype`` first; refuse non-floating inputs and dtypes, and
    a ``dtype`` that narrows ``x``'s (PyTorch's check: ``promote_types(x, dtype) == dtype``)."""
    tensor = as_tensor(x)
    if tensor.dtype.kind != "f":  # a TypeError, and PyTorch's RuntimeError
        msg = f"{where}: x must be a floating-point tensor (as PyTorch's), got {tensor.dtype}"
        raise UnsupportedDtypeError(msg)
    target = tensor.dtype if dtype is None else numpy.dtype(dtype)
    if target.kind != "f":
        msg = f"{where}: dtype must be floating point (as PyTorch's), got {target}"
        raise UnsupportedDtypeError(msg)
    refuse_narrowing(where, tensor.dtype, target)
    return tensor if dtype is None else tensor.to(target)


@flags_checked("xpnet.linalg")  # keepdim only a bool, as PyTorch's parser
@keep_given_dtype  # a dtype given is kept under autocast, as PyTorch's
def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.vector_norm``: ``sum(|x|^ord)^(1/ord)`` over ``dim`` (an int, a tuple,
    or ``None`` for every element); ``inf``/``-inf`` the largest/smallest ``|x|``, ``0`` the
    number of non-zeros.

    Args:
        x: a Tensor or array, floating point. ord: a number (default 2). dim: the dims to
            reduce (default: all). keepdim: keep them with size 1. dtype: cast ``x`` first.

    Raises:
        TypeError: a non-floating ``x`` or ``dtype``, ``ord`` not a number.
        ArgumentError: a ``dtype`` narrower than ``x``'s (float32 to float16), as PyTorch's
            RuntimeError; the ``inf`` or negative norm over no elements (no identity).
        IndexError: a dim out of range.

    Example:
        >>> import xpnet
        >>> vector_norm(xpnet.tensor([[3.0, 4.0], [1.0, 0.0]], dtype=xpnet.float64), dim=1)
        tensor([5., 1.], dtype=xpnet.float64)
    """
    where = "linalg.vector_norm"
    tensor = _floating(where, x, dtype)
    if isinstance(ord, bool) or not isinstance(ord, numbers.Real):
        msg = f"{where}: ord must be a number, got {type(ord).__name__}"
        raise TypeError(msg)
    dims = listed_dims("linalg.vector_norm", dim, tensor.ndim) or None
    reduced = range(tensor.ndim) if dims is None else dims
    if (ord < 0 or math.isinf(ord)) and math.prod(tensor.shape[d] for d in reduced) == 0:
        msg = (
            f"{where}: cannot compute the {ord} norm on an empty tensor because the operation "
            f"does not have an identity (shape {tensor.shape}, dim={dim!r})"
        )
        raise ArgumentError(msg)
    return _vector_norm(tensor, float(ord), dims, keepdim)


def _matrix_dims(where: str, tensor: Tensor, dim) -> tuple:
    if tensor.ndim < 2:
        msg = f"{where}: The input tensor A must have at least 2 dimensions, got {tensor.shape}"
        raise ArgumentError(msg)
    if not isinstance(dim, tuple | list) or len(dim) != 2:
        msg = f"{where}: dim must be a 2-tuple of ints, got {dim!r}"
        raise ArgumentError(msg)
    return listed_dims("linalg.matrix_norm", dim, tensor.ndim)


def _check_order(where: str, ord) -> None:
    valid = isinstance(ord, str) or (isinstance(ord, numbers.Real) and not isinstance(ord, bool))
    if not valid or ord not in MATRIX_ORDERS:
        msg = f"{where}: ord must be one of {MATRIX_ORDERS}, got {ord!r} (Order not supported)"
        raise ArgumentError(msg)


def _spectral_norm(tensor: Tensor, ord, dims: tuple, keepdim: bool) -> Tensor:
    """``'nuc'``, ``2``, ``-2``: the sum, max or min of the singular values over ``dims``."""
    moved = tensor.movedim(dims, (-2, -1))
    if min(moved.shape[-2:]) == 0:  # no singular values: PyTorch gives 0, refuses -2
        if ord == -2:  # PyTorch's amin over no singular values: an IndexError
            msg = f"linalg.matrix_norm: the -2 norm of {tensor.shape} matrices has no identity"
            raise IndexError(msg)
        return tensor.sum(dims, keepdim=keepdim) * 0.0
    values = svdvals(moved)
    if ord == "nuc":
        result = values.sum(-1)
    else:
        result = values.amax(-1) if ord > 0 else values.amin(-1)
    for d in sorted(dims) if keepdim else ():
        result = result.unsqueeze(d)
    return result


@flags_checked("xpnet.linalg")
@keep_given_dtype  # a dtype given is kept under autocast, as PyTorch's
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.matrix_norm`` over the two dims ``dim`` of ``A``.

    Args:
        A: a Tensor or array ``(*, m, n)``, floating point.
        ord: ``'fro'`` (default), ``'nuc'`` (sum of singular values), ``inf``/``-inf``
            (max/min row sum of ``|A|``), ``1``/``-1`` (max/min column sum), ``2``/``-2``
            (largest/smallest singular value).
        dim: the two dims holding the matrices (default ``(-2, -1)``). keepdim: keep them
            with size 1. dtype: cast ``A`` first.

    Returns:
        A Tensor ``(*)``, with PyTorch's gradient (through the SVD for ``2``, ``-2``,
        ``'nuc'``: ``U Vh`` for ``'nuc'``, LAPACK's vectors at repeated singular values).

    Raises:
        TypeError: non-floating ``A`` or ``dtype``. ArgumentError: a ``dtype`` narrower than
        ``A``'s, fewer than 2 dims, an unsupported ``ord``, ``dim`` not two distinct dims;
        ``inf``-like norms over no elements.
        IndexError: a dim out of range.

    Example:
        >>> import xpnet
        >>> matrix_norm(xpnet.tensor([[3.0, 0.0], [0.0, -4.0]], dtype=xpnet.float64), "nuc")
        tensor(7., dtype=xpnet.float64)
    """
    where = "linalg.matrix_norm"
    tensor = _floating(where, A, dtype)
    if dtype is None:  # float32 under autocast, as PyTorch's (which keeps a dtype given)
        tensor = cast_operand("linalg_matrix_norm", tensor)
    dims = _matrix_dims(where, tensor, dim)
    _check_order(where, ord)
    if ord == "fro":
        return _vector_norm(tensor, 2.0, dims, keepdim)
    if ord == "nuc" or abs(ord) == 2:
        return _spectral_norm(tensor, ord, dims, keepdim)
    summed, kept = (dims[1], dims[0]) if math.isinf(ord) else dims
    sums = _vector_norm(tensor, 1.0, (summed,), keepdim)
    if not keepdim and summed < kept:
        kept -= 1
    if ord > 0:  # sums of magnitudes are >= 0: PyTorch's max over none is 0
        if tensor.shape[dims[0]] * tensor.shape[dims[1]] == 0:
            return sums.sum(kept, keepdim=keepdim) * 0.0
        return sums.amax(kept, keepdim=keepdim)
    if tensor.shape[dims[0] if math.isinf(ord) else dims[1]] == 0:  # PyTorch's amin refusal
        empty = "rows" if math.isinf(ord) else "columns"
        msg = f"{where}: the {ord} norm of matrices with no {empty} (shape {tensor.shape})"
        raise IndexError(msg + " has no identity")
    return sums.amin(kept, keepdim=keepdim)


@flags_checked("xpnet.linalg")
def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.norm``: a matrix norm over two dims (``dim`` a 2-tuple, or ``A`` 2-D
    with ``ord`` given), otherwise the vector norm (``ord`` default 2, over every element
    when ``dim`` is ``None``).

    Raises:
        ArgumentError: ``dim`` of length other than 1 or 2; ``ord`` given without ``dim``
            for an input that is not 1-D or 2-D; and the errors of :func:`vector_norm` and
            :func:`matrix_norm`.

    Example:
        >>> import xpnet
        >>> norm(xpnet.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=xpnet.float64), 2)
        tensor(5.0000, dtype=xpnet.float64)
    """
    where = "linalg.norm"
    tensor = as_tensor(A)
    dims = (dim,) if isinstance(dim, numbers.Integral) else dim
    if dims is not None and (not isinstance(dims, tuple | list) or len(dims) not in (1, 2)):
        msg = f"{where}: If dim is specified, it must be of length 1 or 2. Got {dim!r}"
        raise ArgumentError(msg)
    if dims is None and (ord is not None) and tensor.ndim not in (1, 2):
        msg = (
            f"{where}: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {tensor.ndim}D."
        )
        raise ArgumentError(msg)
    if isinstance(ord, str) or (
        ord is not None and (len(dims) == 2 if dims is not None else tensor.ndim == 2)
    ):
        if dims is not None and len(dims) != 2:
            msg = f"{where}: ord={ord!r} is a matrix norm and needs 2 dims, got dim={dim!r}"
            raise ArgumentError(msg)
        return matrix_norm(tensor, ord, (0, 1) if dims is None else dims, keepdim, dtype=dtype)
    return vector_norm(tensor, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


# PyTorch's last op: the squeezed ratio of singular values (p 2, -2), else NaN made inf
@named_nodes(
    lambda A, p=None: (
        "SqueezeBackward1"
        if p in (None, 2, -2)
        else "MulBackward0"
        if p == "nuc"
        else "NanToNumBackward0"
    )
)
def cond(A, p=None) -> Tensor:
    """``torch.linalg.cond``: the condition number ``norm(A, p) * norm(inv(A), p)``; for
    ``p`` ``None``/``2``/``-2`` the ratio of the extreme singular values (any ``(*, m, n)``).
    As PyTorch's: ``inf`` for a singular matrix (and where the product is NaN), 0 for
    matrices without elements; ``'nuc'`` is ``sum(S) * sum(1 / S)``.

    Raises:
        ArgumentError: an unsupported ``p``; a non-square ``A`` for ``p`` other than
        ``None``/``2``/``-2``. UnsupportedDtypeError: non-floating ``A`` (a ``TypeError``).

    Example:
        >>> import xpnet
        >>> cond(xpnet.tensor([[2.0, 0.0], [0.0, 0.5]], dtype=xpnet.float64))
        tensor(4., dtype=xpnet.float64)
        >>> cond(xpnet.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=xpnet.float64), "fro")
        tensor(inf, dtype=xpnet.float64)
    """
    where = "linalg.cond"
    tensor = _floating(where, A, None)
    _matrix_dims(where, tensor, (-2, -1))
    order = 2 if p is None else p
    _check_order(where, order)
    spectral = not isinstance(order, str) and abs(order) == 2
    square = tensor.shape[-1] == tensor.shape[-2]
    if isinstance(order, str) and not square:  # PyTorch checks a string p before emptiness
        _not_square(where, p, tensor)
    if math.prod(tensor.shape) == 0:  # NumPy has none for 0x0 matrices: PyTorch's zeros
        return tensor.new_zeros(tensor.shape[:-2])
    if spectral:
        values = svdvals(tensor)
        largest, smallest = values[..., 0], values[..., -1]
        return largest / smallest if order == 2 else smallest / largest
    if not square:
        _not_square(where, p, tensor)
    if order == "nuc":  # the definition: matrix_norm refuses inf inputs for 'nuc'
        values = svdvals(tensor)
        return values.sum(-1) * values.reciprocal().sum(-1)
    inverse, info = inv_ex(tensor)  # a singular matrix's inverse is inf, no error
    inverse = inverse.masked_fill((info > 0).unsqueeze(-1).unsqueeze(-1), math.inf)
    result = matrix_norm(tensor, order) * matrix_norm(inverse, order)
    return result.nan_to_num(math.inf, math.inf, -math.inf)  # 0 * inf, NaN inputs: inf


def _not_square(where: str, p, tensor: Tensor):
    msg = (
        f"{where}(ord={p}): A must be batches of square matrices, but they are "
        f"{tensor.shape[-2]} by {tensor.shape[-1]} matrices"
    )
    raise ArgumentError(msg)
