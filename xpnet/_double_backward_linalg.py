"""Differentiable backwards (:mod:`xpnet._double_backward`) of the ``linalg`` decompositions
and solvers: each PyTorch's formula (``FunctionsManual.cpp``: ``cholesky_backward``,
``linalg_qr_backward``, ``linalg_eig_backward`` with ``is_hermitian``, ``svd_backward``,
``linalg_solve_backward``, ``linalg_solve_triangular_backward``, ``linalg_lu_backward``,
``linalg_lu_solve_LU``, ``pinv_backward``, ``linalg_lstsq_backward``,
``linalg_matrix_exp_differential``) in recorded Tensor operations, so that it can be
differentiated again; ``householder_product``'s is its product loop recomputed in recorded
operations and differentiated.

The factors a formula reads are recorded on the input again: ``cholesky``, the solvers,
``pinv`` and ``matrix_exp`` recompute theirs with the public function (as the inverse's
formula does); the factor nodes of :mod:`xpnet.linalg.decompositions` (qr, eigh, svd, lu,
lu_factor, lu_unpack) record the *saved* factors with
:func:`~xpnet.linalg.decompositions.factor_tensors` (never recomputed: the signs of the
vectors stay the ones the loss saw). The factorizations' triangular solves are general
solves here: the factor's gradient then has a part outside its triangle, which the formulas
ignore (PyTorch's ``tril(L^H gL) = tril(L^H tril(gL))`` argument), so every derivative is
PyTorch's.
"""

from __future__ import annotations

import numpy

from . import linalg
from ._creation import eye
from ._double_backward import differentiable_backward
from ._double_backward_elementwise import composite
from ._double_backward_extra import grown, recorded_backward
from ._double_backward_ops import needs, sum_to, zeros_like
from ._tensor_index import where
from ._tensor_join import cat
from .autograd import Tensor, data_of
from .backends import backend_of
from .linalg import (
    compositions,
    decompositions,
    inverses,
    lu_decomposition,
    lu_solvers,
    matrix_functions,
    spectral,
    triangular,
)

__all__: list[str] = []


def _eye(like: Tensor, rows: int, columns: int | None = None, dtype=None) -> Tensor:
    """A constant identity ``(rows, columns)`` on ``like``'s backend (a mask with ``bool``)."""
    array = data_of(like)
    xp = backend_of(array).xp
    return Tensor(xp.eye(rows, columns, dtype=dtype or array.dtype))


def _solve_right(X: Tensor, R: Tensor) -> Tensor:
    """``X R^-T``, PyTorch's right triangular solve, as ``(R^-1 X^T)^T``."""
    return linalg.solve(R, X.mT).mT


def _is_vector(A: Tensor, B: Tensor) -> bool:
    """PyTorch's rule for ``solve``/``lstsq``: ``B`` is a vector if 1-d, or of ``A``'s batch
    shape plus ``n``."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


def _summed(*pairs) -> tuple:
    """Each ``(gradient, input)``'s gradient summed to the input's shape (it was broadcast),
    ``None`` for an input that needs none."""
    return tuple(sum_to(grad, given.shape) if needs(given) else None for grad, given in pairs)


def _total(parts: list) -> Tensor:
    """The sum of the formulas' terms, one per factor whose gradient was given."""
    return sum(parts[1:], parts[0])


def _copyltu(M: Tensor) -> Tensor:
    """The symmetric matrix with ``M``'s lower triangle: ``tril(M) + tril(M, -1)^T``."""
    return M.tril() + M.tril(-1).mT


# -- cholesky -------------------------------------------------------------------------------
@differentiable_backward(
    inverses.linalg_cholesky_backward, compositions.linalg_cholesky_ex_backward
)
def _cholesky_formula(grad_output, A, upper=False, check_errors=False):
    """PyTorch's ``cholesky_backward`` (Murray, arXiv 1602.07527): ``phi = tril(L^H gL)``,
    ``(phi + tril(phi, -1)^H) / 2``, then ``L^-H phi L^-1``."""
    L = linalg.cholesky(A, upper=upper)
    L, gL = (L.mT, grad_output.mT) if upper else (L, grad_output)
    phi = (L.mT @ gL).tril()
    phi = 0.5 * (phi + phi.tril(-1).mT)
    return _solve_right(linalg.solve(L.mT, phi), L.mT)  # L^-H phi L^-1


# -- solve ----------------------------------------------------------------------------------
@differentiable_backward(inverses.linalg_solve_backward, lu_solvers.linalg_solve_ex_backward)
def _solve_formula(grad_output, A, B, left=True, check_errors=False):
    """PyTorch's ``linalg_solve_backward``: ``gB = A^-H grad`` (``grad A^-H`` if not
    ``left``), ``gA = -gB X^H`` (``-X^H gB``); both summed back where they were broadcast."""
    X = linalg.solve(A, B, left=left)
    vector = _is_vector(A, B)
    gX, X = (grad_output.unsqueeze(-1), X.unsqueeze(-1)) if vector else (grad_output, X)
    gB = linalg.solve(A.mT, gX, left=left)
    gA = -(gB @ X.mT) if left else -(X.mT @ gB)
    return _summed((gA, A), (gB[..., 0] if vector else gB, B))


@differentiable_backward(triangular.linalg_solve_triangular_backward)
def _solve_triangular_formula(grad_output, A, B, upper, left=True, unitriangular=False):
    """PyTorch's ``linalg_solve_triangular_backward``: ``gB`` solves the adjoint triangular
    system, ``gA = -gB X^H`` (``-X^H gB``) on ``A``'s triangle (no diagonal if
    ``unitriangular``)."""
    flags = {"left": left, "unitriangular": unitriangular}
    X = linalg.solve_triangular(A, B, upper=upper, **flags)
    gB = linalg.solve_triangular(A.mT, grad_output, upper=not upper, **flags)
    gA = -(gB @ X.mT) if left else -(X.mT @ gB)
    gA = gA.triu(int(unitriangular)) if upper else gA.tril(-int(unitriangular))
    return _summed((gA, A), (gB, B))


@differentiable_backward(lu_solvers.linalg_lu_solve_backward)
def _lu_solve_formula(grad_output, LU, pivots, B, left=True, adjoint=False):  # noqa: N803
    """PyTorch's ``linalg_lu_solve_LU``: ``gB = lu_solve(LU, grad, adjoint=not adjoint)``,
    ``gA`` the solve's ``-gB X^H`` (ordered by ``left``/``adjoint``), then ``LU``'s gradient
    ``tril(P^T gA U^H, -1) + triu(L^H P^T gA)``."""
    X = linalg.lu_solve(LU, pivots, B, left=left, adjoint=adjoint)
    gB = linalg.lu_solve(LU, pivots, grad_output, left=left, adjoint=not adjoint)
    if left:
        gA = -(X @ gB.mT) if adjoint else -(gB @ X.mT)
    else:
        gA = -(gB.mT @ X) if adjoint else -(X.mT @ gB)
    n = LU.shape[-1]
    P = lu_decomposition.permutation(data_of(pivots) - 1, n).astype(LU.dtype)
    PtgA = Tensor(P).mT @ gA  # noqa: N806
    L = LU.tril(-1) + _eye(LU, n)
    gLU = (PtgA @ LU.triu().mT).tril(-1) + (L.mT @ PtgA).triu()
    return _summed((gLU, LU), (gB, B))


# -- pinv, lstsq, matrix_exp ------------------------------------------------------------------
def _pinv_gradient(grad: Tensor, pinvA: Tensor, A: Tensor) -> Tensor:  # noqa: N803
    """PyTorch's ``pinv_backward``, arranged for the smaller of ``m`` and ``n``."""
    m, n = A.shape[-2:]
    pinvAh, gradh = pinvA.mT, grad.mT  # noqa: N806
    if m <= n:
        K = gradh @ pinvA
        KpinvAh = K @ pinvAh  # noqa: N806
        return (
            -(pinvA @ K).mT + KpinvAh - (A @ pinvA) @ KpinvAh + (pinvAh @ pinvA) @ (gradh - K @ A)
        )
    K = pinvA @ gradh
    pinvAhK = pinvAh @ K  # noqa: N806
    return -(K @ pinvA).mT + (gradh - A @ K) @ pinvA @ pinvAh + pinvAhK - pinvAhK @ pinvA @ A


@differentiable_backward(spectral.linalg_pinv_backward)
def _pinv_formula(grad_output, A, atol=None, rtol=None, hermitian=False):
    """``pinv_backward(grad, pinv(A), A)``, the same for every tolerance."""
    pinvA = linalg.pinv(A, atol=atol, rtol=rtol, hermitian=hermitian)  # noqa: N806
    return _pinv_gradient(grad_output, pinvA, A)


@differentiable_backward(spectral.linalg_lstsq_backward)
def _lstsq_formula(grad_output, A, B, rcond=None, driver=None):
    """PyTorch's ``linalg_lstsq_backward``: ``pinv_backward(gX B^H, pinv(A), A)`` for ``A``,
    ``pinv(A)^H gX`` for ``B``."""
    vector = _is_vector(A, B)
    gX, matrix = (grad_output.unsqueeze(-1), B.unsqueeze(-1)) if vector else (grad_output, B)
    pinvA = linalg.pinv(A)  # noqa: N806
    grad_A = _pinv_gradient(gX @ matrix.mT, pinvA, A) if needs(A) else None
    grad_B = pinvA.mT @ gX if needs(B) else None
    if grad_B is not None and vector:
        grad_B = grad_B[..., 0]
    return _summed((grad_A, A), (grad_B, B))


@differentiable_backward(matrix_functions.linalg_matrix_exp_backward)
def _matrix_exp_formula(grad_output, A):
    """PyTorch's ``linalg_matrix_exp_differential``: the upper-right block of
    ``exp([[A^H, G], [0, A^H]])``, itself differentiated by this formula."""
    n = A.shape[-1]
    top = cat([A.mT, grad_output], -1)  # (*, n, 2n)
    bottom = cat([zeros_like(A), A.mT], -1)
    return linalg.matrix_exp(cat([top, bottom], -2))[..., :n, n:]


@differentiable_backward(matrix_functions.linalg_householder_product_backward)
def _householder_product_formula(grad_output, A, tau):
    """The product ``H_1 ... H_k I[:, :n]`` recomputed reflector by reflector in recorded
    operations and differentiated (PyTorch's ``householder_product_backward`` is such a
    loop, differentiable too): ``A`` gets its gradient below the diagonal of its first
    ``k`` columns, 0 elsewhere."""
    (m, n), rows = A.shape[-2:], numpy.arange(A.shape[-2])
    xp, dtype = backend_of(data_of(A)).xp, data_of(A).dtype

    def product(A, tau):
        Q = Tensor(xp.broadcast_to(xp.eye(m, n, dtype=dtype), A.shape))
        for i in reversed(range(tau.shape[-1])):
            below, unit = (Tensor(xp.asarray(mask, dtype=dtype)) for mask in (rows > i, rows == i))
            v = (A[..., :, i] * below + unit).unsqueeze(-1)  # (*, m, 1): 1 on the diagonal
            Q = Q - tau[..., i, None, None] * (v @ (v.mT @ Q))
        return Q

    if tau.shape[-1] == 0:  # no reflector: the identity's columns, constant
        return _summed((zeros_like(A), A), (zeros_like(tau), tau))
    return _summed(*zip(composite(grad_output, product, A, tau), (A, tau), strict=True))


# -- the factor nodes of qr, eigh, svd, lu ---------------------------------------------------
def _factor_formula(name: str, example):
    """Register ``tensor_backward(A, *grads, *factors)`` (the factors as Tensors recorded on
    ``A``, one gradient given, the others ``None``) for the factor nodes of ``name``, found
    by running ``example`` (a public function) once."""

    def register(tensor_backward):
        @differentiable_backward(recorded_backward(example, eye(2).double().requires_grad_()))
        def formula(grad_output, A, factors, index, backward):
            grads = [None] * len(factors)
            grads[index] = grad_output
            tensors = decompositions.factor_tensors(name, A, factors, backward)
            return tensor_backward(A, *grads, *tensors)

        return tensor_backward

    return register


@_factor_formula("linalg_qr", lambda A: linalg.qr(A).Q)
def _qr_backward(A, grad_Q, grad_R, Q, R):
    """PyTorch's ``linalg_qr_backward``; ``m < n`` splits ``A = [X | Y]``, ``R = [U | V]``
    with ``Y = Q V``: ``Y``'s gradient is ``Q gV``, ``X``'s sees ``gQ + Y gV^T``."""
    n = R.shape[-1]
    if Q.ndim < 2 or Q.shape[-1] > n:  # mode='r', or 'complete' with m > n: PyTorch refuses
        mode = "r" if Q.ndim < 2 else "complete"
        decompositions.linalg_qr_backward(None, None, data_of(Q), data_of(R), mode)
    m = Q.shape[-2]
    if m >= n:
        return _qr_square(grad_Q, grad_R, Q, R)
    if grad_R is None:
        zeros = backend_of(data_of(Q)).xp.zeros(Q.shape[:-1] + (n - m,), dtype=Q.dtype)
        return cat([_qr_square(grad_Q, None, Q, R[..., :m]), Tensor(zeros)], -1)
    grad_V = grad_R[..., m:]  # (*, m, n - m)
    extra = (Q @ R[..., m:]) @ grad_V.mT
    grad_Q = extra if grad_Q is None else grad_Q + extra
    grad_X = _qr_square(grad_Q, grad_R[..., :m], Q, R[..., :m])
    return cat([grad_X, Q @ grad_V], -1)


def _qr_square(grad_Q, grad_R, Q, R):
    """``m >= n``: ``(gQ + Q copyltu(M)) R^-H`` with ``M = R gR^H - gQ^H Q``."""
    M = R @ grad_R.mT if grad_R is not None else None
    if grad_Q is not None:
        M = -(grad_Q.mT @ Q) if M is None else M - grad_Q.mT @ Q
    grad_A = Q @ _copyltu(M)
    grad_A = grad_A if grad_Q is None else grad_A + grad_Q
    return _solve_right(grad_A, R)


@_factor_formula("linalg_eigh", lambda A: linalg.eigh(A).eigenvalues)
def _eigh_backward(A, grad_L, grad_V, L, V):
    """PyTorch's ``linalg_eig_backward(is_hermitian=True)``:
    ``V (skew(V^H gV) / E + diag(gL)) V^H``, ``E_ij = L_j - L_i``; the two terms apart, as
    each factor's node gives one gradient."""
    parts = []
    if grad_L is not None:
        parts.append((V * grad_L.unsqueeze(-2)) @ V.mT)
    if grad_V is not None:
        mask = _eye(L, L.shape[-1], dtype=bool)
        VhgV = V.mT @ grad_V
        E = where(mask, 1.0, L.unsqueeze(-2) - L.unsqueeze(-1))  # (*, n, n)
        parts.append(V @ (0.5 * (VhgV - VhgV.mT) / E) @ V.mT)
    return _total(parts)


@_factor_formula("linalg_svd", lambda A: linalg.svd(A).S)
def _svd_backward(A, grad_U, grad_S, grad_Vh, U, S, Vh):
    """PyTorch's ``svd_backward``, the factors narrowed to ``k = min(m, n)`` vectors first
    (``full_matrices``' extra vectors get no gradient); ``U diag(gS) Vh`` apart from the
    vectors' terms, as each factor's node gives one gradient."""
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    parts = []
    if grad_S is not None:
        parts.append((U * grad_S.unsqueeze(-2)) @ Vh)
    if grad_U is not None or grad_Vh is not None:
        grad_U = None if grad_U is None else grad_U[..., :k]
        grad_Vh = None if grad_Vh is None else grad_Vh[..., :k, :]
        parts.append(_singular_vectors_backward(grad_U, grad_Vh, U, S, Vh))
    return _total(parts)


def _singular_vectors_backward(grad_U, grad_Vh, U, S, Vh):
    """``svd_backward``'s terms of ``gU`` and ``gVh`` (``k`` vectors each)."""
    m, n, k = U.shape[-2], Vh.shape[-1], S.shape[-1]
    mask = _eye(S, k, dtype=bool)
    S2 = S * S
    E = where(mask, 1.0, S2.unsqueeze(-2) - S2.unsqueeze(-1))  # (*, k, k)
    grad_A = 0.0
    if grad_U is not None:
        UhgU = U.mT @ grad_U
        grad_A = grad_A + (UhgU - UhgU.mT) * (S.unsqueeze(-2) / E)
    if grad_Vh is not None:
        VhgV = Vh @ grad_Vh.mT
        grad_A = grad_A + S.unsqueeze(-1) * (VhgV - VhgV.mT) / E
    if m > n and grad_U is not None:
        gUSinv = grad_U / S.unsqueeze(-2)
        return (U @ grad_A + gUSinv - U @ (U.mT @ gUSinv)) @ Vh
    if m < n and grad_Vh is not None:
        SinvgVh = grad_Vh / S.unsqueeze(-1)
        return U @ (grad_A @ Vh + SinvgVh - (SinvgVh @ Vh.mT) @ Vh)
    return U @ (grad_A @ Vh)


# -- lu -------------------------------------------------------------------------------------
def _lu_backward(P, grad_L, grad_U, L, U):
    """PyTorch's ``linalg_lu_backward`` (``P`` a constant). Square:
    ``P L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H``; the tall and wide cases solve with the
    square blocks ``L1``/``U1`` and pass ``gL2``/``gU2`` through."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    grad_L = zeros_like(L) if grad_L is None else grad_L
    grad_U = zeros_like(U) if grad_U is None else grad_U
    if m >= n:  # A1 = L1 U, A2 = L2 U
        inner = (grad_U @ U.mT).triu() - L.mT @ grad_L.tril(-1)  # (*, k, k)
        inner = linalg.solve(L[..., :k, :].mT, inner.triu()) + grad_L[..., :k, :].tril(-1)
        return P @ _solve_right(cat([inner, grad_L[..., k:, :]], -2), U)  # (*, m, k) U^-H
    inner = L.mT @ grad_L - grad_U.triu() @ U.mT  # wide: A1 = L U1, A2 = L U2
    inner = _solve_right(inner.tril(-1), U[..., :, :k]) + grad_U[..., :, :k].triu()
    return P @ linalg.solve(L.mT, cat([inner, grad_U[..., :, k:]], -1))  # P L^-H (*, k, n)


def _permutation(A: Tensor) -> Tensor:
    """``A``'s pivoting ``P`` as a constant (the factorization again: the factor nodes keep
    it inside their backward only)."""
    return Tensor(lu_decomposition.linalg_lu(data_of(A))[0])


@_factor_formula("linalg_lu", lambda A: linalg.lu(A).L)
def _lu_factors_backward(A, grad_L, grad_U, L, U):
    return _lu_backward(_permutation(A), grad_L, grad_U, L, U)


@_factor_formula("linalg_lu_factor", lambda A: linalg.lu_factor(A).LU)
def _lu_factor_backward(A, grad_LU, LU):
    """``LU``'s gradient below the diagonal is ``L``'s, on and above it ``U``'s."""
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = LU[..., :, :k].tril(-1) + _eye(LU, m, k)
    U = LU[..., :k, :].triu()
    grad_L, grad_U = grad_LU[..., :, :k].tril(-1), grad_LU[..., :k, :].triu()
    return _lu_backward(_permutation(A), grad_L, grad_U, L, U)


@_factor_formula("lu_unpack", lambda A: lu_decomposition.lu_unpack(*linalg.lu_factor(A)).L)
def _lu_unpack_backward(LU, grad_L, grad_U, L, U):
    """Linear: ``L``'s gradient below the diagonal, ``U``'s on and above it, packed."""
    parts = [] if grad_L is None else [grown(grad_L.tril(-1), LU.shape)]
    if grad_U is not None:
        parts.append(grown(grad_U.triu(), LU.shape))
    return _total(parts)
