"""``torch.linalg``'s LU factorization: ``lu_factor``, ``lu_factor_ex``, ``lu`` and
``torch.lu_unpack``, with PyTorch's gradients.

:func:`linalg_lu_factor_ex` is LAPACK ``getrf``'s partial pivoting written with ``xp`` (CuPy
has no LU in ``xp``): one step per column, each vectorised over the batch; the pivot is the
first entry of largest absolute value (``idamax``), the multipliers are scaled by the pivot's
reciprocal, and a zero pivot is recorded in ``info`` (1-based, LAPACK's) and left unscaled, so
the pivots and factors are PyTorch's (up to rounding). Pivots are 1-based int32, as PyTorch's.
:func:`linalg_lu_backward` is PyTorch's ``linalg_lu_backward`` (square, wide and tall);
``lu_factor``'s gradient splits the packed gradient into its ``L`` and ``U`` parts first, as
PyTorch's ``lu_factor_ex_backward``. A zero pivot raises :class:`LinAlgError` in ``lu_factor``
(at once on NumPy, at the next host read on strict and CuPy: no sync); ``lu_factor_ex`` and
``lu`` report it only in ``info``. :mod:`xpnet.linalg.lu_solvers` solves with the factors.

Example:
    >>> P, L, U = lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> P.array, L.array, U.array
    (array([[0., 1.],
           [1., 0.]]), array([[1.        , 0.        ],
           [0.33333333, 1.        ]]), array([[3.        , 4.        ],
           [0.        , 0.66666667]]))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from .._tensor_ops import ieee
from ..autograd import Tensor
from ..backends import backend_of
from ..backends._deferred import defer_check
from ..kernels._checks import ArgumentError
from ._checks import LinAlgError, matrix_input, mT, operands_backend
from .decompositions import factor_tensors
from .triangular import substitute

__all__ = [
    "check_info",
    "check_pivots",
    "factorize",
    "linalg_lu",
    "linalg_lu_backward",
    "linalg_lu_factor_ex",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_unpack",
    "permutation",
    "unpack",
    "zero_pivot",
]


class LUFactorResult(NamedTuple):
    """``torch.return_types.linalg_lu_factor``."""

    LU: Tensor
    pivots: Tensor


class LUFactorExResult(NamedTuple):
    """``torch.return_types.linalg_lu_factor_ex``."""

    LU: Tensor
    pivots: Tensor
    info: Tensor


class LUResult(NamedTuple):
    """``torch.return_types.linalg_lu`` (and ``lu_unpack``'s)."""

    P: Tensor
    L: Tensor
    U: Tensor


def check_info(where: str, info, reason) -> None:
    """Raise :class:`LinAlgError` for the first matrix whose ``info`` (int32, ``A``'s batch
    shape) is not 0, with ``reason(info)`` as the message's tail: at once on NumPy, at the
    next host read elsewhere."""
    backend = backend_of(info)
    batched = info.ndim > 0

    def report(host):
        bad = numpy.flatnonzero(host)
        if bad.size:
            index = int(bad[0])
            prefix = f"(Batch element {index}): " if batched else ""
            msg = f"{where}: {prefix}{reason(int(host.reshape(-1)[index]))}"
            raise LinAlgError(msg)

    if info.size:
        defer_check(backend, backend.xp.reshape(info, (-1,)), report)


@ieee
def linalg_lu_factor_ex(A, pivot: bool = True, check_errors: bool = False):
    """``(LU, pivots, info)`` of ``A`` ``(*, m, n)``, as ``torch.linalg.lu_factor_ex``:
    ``L`` (unit diagonal, not stored) and ``U`` packed in ``LU``, pivots ``(*, min(m, n))``."""
    where = "linalg.lu_factor_ex"
    LU, pivots, info = factorize(where, A, pivot)
    if check_errors:
        check_info(where, info, zero_pivot)
    return LU, pivots, info


@ieee  # lu_factor calls it directly: inf/NaN inputs give NaN, never a NumPy warning
def factorize(where: str, A, pivot: bool):
    """:func:`linalg_lu_factor_ex`'s factors, its errors naming ``where``."""
    backend = matrix_input(where, "A", A)
    if not pivot:
        msg = f"{where}: LU without pivoting is not implemented (as PyTorch on the CPU)"
        raise ArgumentError(msg)
    xp = backend.xp
    *batch, m, n = A.shape
    k = min(m, n)
    LU = xp.array(A, copy=True)
    pivots = xp.zeros((*batch, k), dtype=xp.int32)
    info = xp.zeros(tuple(batch), dtype=xp.int32)
    rows = xp.arange(m)
    for j in range(k):
        p = j + xp.argmax(xp.abs(LU[..., j:, j]), axis=-1)  # (*,) the first largest: idamax
        pivots[..., j] = p + 1
        above = xp.broadcast_to(p[..., None, None], (*batch, 1, n))
        row_p = xp.take_along_axis(LU, above, axis=-2)[..., 0, :]  # (*, n)
        LU = xp.where((rows == p[..., None])[..., None], LU[..., j : j + 1, :], LU)  # swap
        LU[..., j, :] = row_p
        d = LU[..., j, j]  # (*,)
        zero = d == 0
        info = xp.where((info == 0) & zero, numpy.int32(j + 1), info)
        scale = 1 / xp.where(zero, 1, d)  # a zero pivot's column is zero: left as it is
        LU[..., j + 1 :, j] *= scale[..., None]
        LU[..., j + 1 :, j + 1 :] -= LU[..., j + 1 :, j : j + 1] * LU[..., j : j + 1, j + 1 :]
    return LU, pivots, info


def zero_pivot(info: int) -> str:
    return (
        f"U[{info},{info}] is zero and using it on lu_solve would result in a division by "
        "zero. If you still want to perform the factorization, consider calling "
        "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
    )


def check_pivots(where: str, LU, pivots, name: str = "pivots"):  # noqa: N803 - PyTorch's name
    """Check that ``pivots`` are ``LU``'s: int32, ``(*, min(m, n))``; their values in
    ``[1, m]`` by a deferred check. Returns them clipped to that range (0-based)."""
    operands_backend(where, ("LU", name), LU, pivots)
    if pivots.dtype != numpy.int32:
        msg = f"{where}: {name} must be an int32 array (lu_factor's), got dtype {pivots.dtype}"
        raise TypeError(msg)
    m, n = LU.shape[-2:]
    expected = LU.shape[:-2] + (min(m, n),)
    if pivots.shape != expected:
        msg = (
            f"{where}: {name} must have the shape {expected} for LU {LU.shape}, got {pivots.shape}"
        )
        raise ArgumentError(msg)
    xp = backend_of(LU).xp

    def in_range(host):
        if host.size and (host.min() < 1 or host.max() > m):
            msg = (
                f"{where}: {name} must be between 1 and LU.size(-2) = {m}; did you pass "
                "lu_factor's?"
            )
            raise ArgumentError(msg)

    defer_check(backend_of(LU), pivots, in_range)
    return xp.clip(pivots, 1, max(m, 1)) - 1


def permutation(pivots, m: int):
    """The bool permutation matrix ``P`` ``(*, m, m)`` of the row swaps ``i <-> pivots[i]``
    (0-based, ``(*, k)``), applied in order (LAPACK's ``laswp``): ``A = P L U``."""
    xp = backend_of(pivots).xp
    batch = pivots.shape[:-1]
    order = xp.broadcast_to(xp.arange(m), batch + (m,)).copy()  # (*, m): row i of P^T A
    positions = xp.arange(m)
    for i in range(pivots.shape[-1]):
        p = pivots[..., i : i + 1]  # (*, 1)
        at_p = xp.take_along_axis(order, p, axis=-1)  # (*, 1)
        order = xp.where(positions == p, order[..., i : i + 1], order)
        order[..., i] = at_p[..., 0]
    return order[..., None, :] == positions[:, None]  # (*, m, m): P[r, c] = order[c] == r


def unpack(LU, pivots, unpack_data: bool = True, unpack_pivots: bool = True):  # noqa: N803
    """``(P, L, U)`` of packed factors and 0-based pivots (empty where not unpacked)."""
    xp = backend_of(LU).xp
    m, n = LU.shape[-2:]
    k = min(m, n)
    empty = xp.zeros((0,), dtype=LU.dtype)
    P = permutation(pivots, m).astype(LU.dtype) if unpack_pivots else empty
    if not unpack_data:
        return P, empty, empty
    L = xp.tril(LU[..., :, :k], -1) + xp.eye(m, k, dtype=LU.dtype)
    return P, L, xp.triu(LU[..., :k, :])


@ieee
def linalg_lu(A, pivot: bool = True):
    """``(P, L, U)`` with ``A = P L U``, as ``torch.linalg.lu`` (no error on singular ``A``)."""
    LU, pivots, _ = factorize("linalg.lu", A, pivot)
    return unpack(LU, pivots - 1)


@ieee
def linalg_lu_backward(grad_L, grad_U, P, L, U):  # noqa: N803 - PyTorch's names
    """PyTorch's ``linalg_lu_backward`` (``None``: a factor the loss does not use). Square:
    ``P L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H``; the wide and tall cases solve with the
    square blocks ``U1``/``L1`` and pass ``gU2``/``gL2`` through."""
    xp = backend_of(L).xp
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    zeros_like = xp.zeros_like
    gL = zeros_like(L) if grad_L is None else grad_L
    gU = zeros_like(U) if grad_U is None else grad_U
    if m >= n:  # square and tall: A1 = L1 U, A2 = L2 U
        L1, gL1, gL2 = L[..., :k, :], gL[..., :k, :], gL[..., k:, :]
        inner = xp.triu(gU @ mT(U)) - mT(L) @ xp.tril(gL, -1)  # (*, k, k)
        inner = substitute(mT(L1), xp.triu(inner), True, True) + xp.tril(gL1, -1)
        grad = xp.concatenate((inner, gL2), axis=-2)  # (*, m, k)
        grad = mT(substitute(U, mT(grad), True))  # grad U^-H
        return P @ grad
    # wide: A1 = L U1, A2 = L U2
    U1, gU1, gU2 = U[..., :, :k], gU[..., :, :k], gU[..., :, k:]
    inner = mT(L) @ gL - xp.triu(gU) @ mT(U)  # (*, k, k)
    inner = mT(substitute(U1, mT(xp.tril(inner, -1)), True))  # tril(.) U1^-H
    grad = xp.concatenate((inner + xp.triu(gU1), gU2), axis=-1)  # (*, k, n)
    return P @ substitute(mT(L), grad, True, True)  # P L^-H grad


def _lu_factor_backward(pivots):
    def backward(grad_LU, LU):  # noqa: N803
        P, L, U = unpack(LU, pivots)
        k = min(LU.shape[-2:])
        return linalg_lu_backward(
            backend_of(LU).xp.tril(grad_LU[..., :, :k], -1),
            backend_of(LU).xp.triu(grad_LU[..., :k, :]),
            P,
            L,
            U,
        )

    return backward


def _unpack_backward(grad_L, grad_U, L, U):  # noqa: N803
    """The packed gradient: ``L``'s below the diagonal, ``U``'s on and above it."""
    xp = backend_of(L).xp
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    lower = xp.zeros(L.shape[:-2] + (m, n), L.dtype)
    if grad_L is not None:
        lower = xp.concatenate((xp.tril(grad_L, -1), lower[..., :, k:]), axis=-1)
    if grad_U is not None:
        upper = xp.concatenate((xp.triu(grad_U), xp.zeros_like(lower[..., k:, :])), axis=-2)
        lower = lower + upper
    return lower


def _lu_factor_tensors(A, factors):
    """``LU`` (differentiable) and ``pivots`` as Tensors."""
    backward = _lu_factor_backward(factors[1] - 1)
    (LU,) = factor_tensors("linalg_lu_factor", A, factors[:1], backward)
    return LU, Tensor(factors[1])


def _data(A):
    return A.array if isinstance(A, Tensor) else A


def lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False) -> LUFactorExResult:
    """``torch.linalg.lu_factor_ex``: :func:`lu_factor` that reports a zero pivot in ``info``
    instead of raising (unless ``check_errors``).

    Returns:
        ``(LU, pivots, info)``, a named tuple; ``info`` (int32, ``A``'s batch shape) is 0, or
        the 1-based index of the first zero pivot (LAPACK's ``getrf`` ``info``).

    Example:
        >>> lu_factor_ex(np.zeros((2, 2))).info
        tensor(1, dtype=xpnet.int32)
    """
    factors = linalg_lu_factor_ex(_data(A), pivot, check_errors)
    return LUFactorExResult(*_lu_factor_tensors(A, factors), Tensor(factors[2]))


def lu_factor(A, *, pivot: bool = True) -> LUFactorResult:
    """``torch.linalg.lu_factor``: the LU factorization ``A = P L U`` with partial pivoting,
    packed as LAPACK's ``getrf``.

    Args:
        A: ``(*, m, n)`` float32/float64 Tensor or array.
        pivot: ``True`` (default); ``False`` raises, as PyTorch on the CPU.

    Returns:
        ``(LU, pivots)``, a named tuple: ``LU`` ``(*, m, n)`` holds ``U`` and ``L``'s part below
        the diagonal; ``pivots`` ``(*, min(m, n))`` int32, 1-based: row ``i`` was swapped with
        row ``pivots[i]``. ``LU``'s gradient is PyTorch's.

    Raises:
        TypeError: not float32/float64. ArgumentError: fewer than 2 dimensions, ``pivot=False``.
        LinAlgError: a zero pivot (``U[k,k] is zero ...``, PyTorch's message; at the next host
            read on strict and CuPy).

    Example:
        >>> LU, pivots = lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> pivots
        tensor([2, 2], dtype=xpnet.int32)
    """
    factors = factorize("linalg.lu_factor", _data(A), pivot)
    check_info("linalg.lu_factor", factors[2], zero_pivot)
    return LUFactorResult(*_lu_factor_tensors(A, factors))


def lu(A, *, pivot: bool = True) -> LUResult:
    """``torch.linalg.lu``: ``(P, L, U)`` with ``A = P L U``, ``L`` ``(*, m, k)`` unit lower
    triangular, ``U`` ``(*, k, n)`` upper triangular, ``k = min(m, n)``, ``P`` a permutation
    matrix; no error for singular ``A``. The gradient is PyTorch's (through ``L`` and ``U``).

    Raises:
        TypeError: not float32/float64. ArgumentError: fewer than 2 dimensions, ``pivot=False``.

    Example:
        >>> lu(np.array([[0.0, 1.0], [2.0, 0.0]])).P
        tensor([[0., 1.],
                [1., 0.]], dtype=xpnet.float64)
    """
    P, L, U = linalg_lu(_data(A), pivot)
    backward = lambda grad_L, grad_U, L, U: linalg_lu_backward(grad_L, grad_U, P, L, U)  # noqa: E731
    L, U = factor_tensors("linalg_lu", A, (L, U), backward)
    return LUResult(Tensor(P), L, U)


def lu_unpack(LU, pivots, unpack_data: bool = True, unpack_pivots: bool = True) -> LUResult:  # noqa: N803
    """``torch.lu_unpack``: ``(P, L, U)`` from :func:`lu_factor`'s ``(LU, pivots)``; with
    ``unpack_data=False`` ``L`` and ``U`` are empty, with ``unpack_pivots=False`` ``P`` is.

    Raises:
        TypeError: pivots that are not int32. ArgumentError: pivots of the wrong shape, or
            outside ``[1, m]`` (deferred on strict and CuPy).

    Example:
        >>> import xpnet
        >>> P, L, U = lu_unpack(*lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]])))
        >>> bool(xpnet.allclose(P @ L @ U, xpnet.tensor([[1.0, 2.0], [3.0, 4.0]]).double()))
        True
    """
    where = "lu_unpack"
    data = _data(LU)
    matrix_input(where, "LU", data)
    index = check_pivots(where, data, _data(pivots), "LU_pivots")
    P, L, U = unpack(data, index, unpack_data, unpack_pivots)
    if not unpack_data:
        return LUResult(Tensor(P), Tensor(L), Tensor(U))
    L, U = factor_tensors("lu_unpack", LU, (L, U), _unpack_backward)
    return LUResult(Tensor(P), L, U)
