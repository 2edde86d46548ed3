"""``torch.linalg``'s functions built from others: ``vecdot``, ``matmul``, ``diagonal``,
``vander``, ``tensorinv``, ``tensorsolve``, and ``cholesky_ex``.

The first six are Tensor operations (products, sums, reshapes, ``cumprod``, :func:`inv` and
:func:`solve`), so their gradients are those operations'. ``cholesky_ex`` is Cholesky's column
loop written with ``xp`` (LAPACK's ``potf2``; CuPy's ``xp.linalg.cholesky`` raises or gives NaN
instead of an ``info``): a matrix whose leading minor of order ``k`` is not positive-definite
gets ``info = k`` and, from that column on, ``A``'s triangle as given with the failing diagonal
entry, as LAPACK leaves it; the gradient is :func:`xpnet.linalg.cholesky`'s.

Example:
    >>> import xpnet
    >>> vander(xpnet.tensor([1.0, 2.0, 3.0]))
    tensor([[1., 1., 1.],
            [1., 2., 4.],
            [1., 3., 9.]])
    >>> cholesky_ex(np.array([[4.0, 2.0], [2.0, -1.0]])).info
    tensor(2, dtype=xpnet.int32)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy

from .._node_names import named_nodes
from .._tensor_join import cat
from .._tensor_ops import ieee
from .._torch_functions import as_input
from .._torch_functions import matmul as matmul
from ..amp.autocast_mode import autocast, cast_operand
from ..autograd import Function, Tensor
from ..kernels._checks import ArgumentError, DtypeMismatchError, UnsupportedDtypeError
from ._checks import mT, square_input
from .inverses import inv, linalg_cholesky_backward, solve
from .lu_decomposition import check_info

__all__ = [
    "cholesky_ex",
    "diagonal",
    "linalg_cholesky_ex",
    "linalg_cholesky_ex_backward",
    "matmul",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
]


class CholeskyExResult(NamedTuple):
    """``torch.return_types.linalg_cholesky_ex``."""

    L: Tensor
    info: Tensor


def vecdot(x, y, *, dim: int = -1) -> Tensor:
    """``torch.linalg.vecdot``: ``sum(x * y, dim)`` (``x`` conjugated: real here), the
    batches broadcast.

    Under :class:`xpnet.autocast` it runs in float16, as on PyTorch's lists: ``x`` and ``y``
    are cast first, the product is rounded to float16 and summed in float32, rounded once.

    Raises:
        TypeError: a non-float dtype, or ``x`` and ``y`` of different dtypes, as PyTorch.

    Example:
        >>> vecdot(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0]))
        tensor([3., 7.], dtype=xpnet.float64)
    """
    x, y = as_input("linalg.vecdot", x, "x"), as_input("linalg.vecdot", y, "y")
    x, y = cast_operand("linalg_vecdot", x), cast_operand("linalg_vecdot", y)
    if x.dtype != y.dtype:
        msg = f"linalg.vecdot: Expected x and y to have the same dtype, got {x.dtype} and {y.dtype}"
        raise DtypeMismatchError(msg)  # a TypeError, and PyTorch's RuntimeError
    if x.dtype.kind != "f":
        msg = f"linalg.vecdot: Expected a floating point tensor as input, got {x.dtype}"
        raise UnsupportedDtypeError(msg)
    with autocast(enabled=False):  # sum is a float32 op: keep the float16 of the region
        return (x * y).sum(dim)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``torch.linalg.diagonal``: ``A.diagonal(offset, dim1, dim2)``, of the last two
    dimensions by default (a view).

    Example:
        >>> diagonal(np.arange(6.0).reshape(2, 3), offset=1)
        tensor([1., 5.], dtype=xpnet.float64)
    """
    return as_input("linalg.diagonal", A, "A").diagonal(offset, dim1, dim2)


@named_nodes("CatBackward0")
def vander(x, *, N: int | None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """``torch.linalg.vander``: the Vandermonde matrix ``[x^0, x^1, ..., x^(N-1)]`` of each
    vector of ``x`` ``(*, n)``, shape ``(*, n, N)`` (``N`` defaults to ``n``), by a running
    product (so the gradient is finite at ``x = 0``); integer ``x`` gives integers.

    Raises:
        ArgumentError: a 0-d ``x``, or ``N < 2``.
    """
    x = as_input("linalg.vander", x, "x")
    if x.ndim < 1:
        msg = f"linalg.vander: x must have at least 1 dimension, got shape {tuple(x.shape)}"
        raise ArgumentError(msg)
    N = x.shape[-1] if N is None else N  # noqa: N806
    if N < 2:
        msg = f"linalg.vander: N must be greater than 1, got N={N}"
        raise ArgumentError(msg)
    powers = x.unsqueeze(-1).expand(*x.shape, N - 1)  # (*, n, N - 1)
    return cat([x.new_ones((*x.shape, 1)), powers], -1).cumprod(-1)


@named_nodes("ReshapeAliasBackward0")
def tensorinv(A, ind: int = 2) -> Tensor:
    """``torch.linalg.tensorinv``: the inverse of ``A`` seen as a matrix of
    ``prod(A.shape[:ind])`` rows, of shape ``A.shape[ind:] + A.shape[:ind]``.

    Raises:
        ArgumentError: ``ind < 1``, or ``prod(A.shape[:ind]) != prod(A.shape[ind:])``.
        LinAlgError: a singular ``A``, as :func:`inv`.

    Example:
        >>> tensorinv(2 * np.eye(4).reshape(4, 2, 2), ind=1).shape
        (2, 2, 4)
    """
    A = as_input("linalg.tensorinv", A, "A")
    if not isinstance(ind, int) or ind < 1:
        msg = f"linalg.tensorinv: Expected a strictly positive integer for 'ind', got {ind!r}"
        raise ArgumentError(msg)
    rows, columns = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != columns:
        msg = (
            "linalg.tensorinv: Expected prod(A.shape[ind:]) == prod(A.shape[:ind]), got "
            f"{columns} != {rows} for shape {tuple(A.shape)} and ind={ind}"
        )
        raise ArgumentError(msg)
    return inv(A.reshape(rows, rows)).reshape(*A.shape[ind:], *A.shape[:ind])


def tensorsolve(A, B, dims: tuple[int, ...] | None = None) -> Tensor:
    """``torch.linalg.tensorsolve``: the ``X`` of ``tensordot(A, X, X.ndim) = B``, of shape
    ``A.shape[B.ndim:]``, with the dimensions ``dims`` of ``A`` moved to its end first.

    Raises:
        ArgumentError: ``prod(A.shape[B.ndim:]) != prod(A.shape[:B.ndim])``.
        LinAlgError: a singular matrix, as :func:`solve`.

    Example:
        >>> tensorsolve(np.eye(6).reshape(2, 3, 6), np.ones((2, 3))).shape
        (6,)
    """
    A, B = as_input("linalg.tensorsolve", A, "A"), as_input("linalg.tensorsolve", B, "B")
    if dims is not None:
        dims = tuple(dims)
        A = A.movedim(dims, tuple(range(A.ndim - len(dims), A.ndim)))
    shape = tuple(A.shape[B.ndim :])
    rows, columns = math.prod(A.shape[: B.ndim]), math.prod(shape)
    if rows != columns:
        msg = (
            "linalg.tensorsolve: Expected prod(A.shape[B.ndim:]) == prod(A.shape[:B.ndim]), "
            f"got {columns} != {rows} for A {tuple(A.shape)} and B {tuple(B.shape)}"
        )
        raise ArgumentError(msg)
    return solve(A.reshape(rows, rows), B.reshape(rows)).reshape(*shape)


@ieee
def linalg_cholesky_ex(A, upper: bool = False, check_errors: bool = False):
    """``(L, info)`` as ``torch.linalg.cholesky_ex``: LAPACK's ``potf2`` column by column,
    each step vectorised over the batch; ``info`` the order of the first leading minor that is
    not positive-definite (0 if none)."""
    where = "linalg.cholesky_ex"
    xp = square_input(where, "A", A).xp
    source = mT(A) if upper else A  # the triangle PyTorch reads, as a lower one
    n = A.shape[-1]
    L = xp.zeros(A.shape, dtype=A.dtype)
    info = xp.zeros(A.shape[:-2], dtype=xp.int32)
    for j in range(n):
        row = L[..., j : j + 1, :j]  # (*, 1, j)
        d = source[..., j, j] - (row @ mT(row))[..., 0, 0]  # (*,)
        failed_now = (info == 0) & ~(d > 0)  # NaN too, as LAPACK's test
        info = xp.where(failed_now, numpy.int32(j + 1), info)
        ok = info == 0
        root = xp.sqrt(xp.where(ok, d, 1))
        column = (source[..., j + 1 :, j] - (L[..., j + 1 :, :j] @ mT(row))[..., 0]) / root[
            ..., None
        ]
        L[..., j, j] = xp.where(ok, root, xp.where(failed_now, d, source[..., j, j]))
        L[..., j + 1 :, j] = xp.where(ok[..., None], column, source[..., j + 1 :, j])
    if check_errors:
        check_info(where, info, _not_positive_definite)
    return (mT(L) if upper else L), info


def _not_positive_definite(info: int) -> str:
    return (
        "The factorization could not be completed because the input is not positive-definite "
        f"(the leading minor of order {info} is not positive-definite)."
    )


def linalg_cholesky_ex_backward(grad_output, A, upper: bool = False, check_errors=False):
    """:func:`xpnet.linalg.inverses.linalg_cholesky_backward`."""
    return linalg_cholesky_backward(grad_output, A, upper)


_cholesky_ex = Function(linalg_cholesky_ex, linalg_cholesky_ex_backward, wrt=("A",))


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """``torch.linalg.cholesky_ex``: :func:`xpnet.linalg.cholesky` that reports a matrix
    that is not positive-definite in ``info`` (int32, ``A``'s batch shape: the order of the
    first leading minor that is not, else 0) instead of raising, unless ``check_errors``
    (then :class:`LinAlgError`, at the next host read on strict and CuPy).

    Example:
        >>> cholesky_ex(np.array([[4.0, 2.0], [2.0, 5.0]]), upper=True).L
        tensor([[2., 1.],
                [0., 2.]], dtype=xpnet.float64)
    """
    L, info = _cholesky_ex(A, upper, check_errors)
    return CholeskyExResult(L, Tensor(info))
