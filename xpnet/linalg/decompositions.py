"""``torch.linalg``'s qr, eigh, eigvalsh, svd and svdvals, with PyTorch's gradients.

Each factorization has an array pair: ``linalg_<name>(A, ...)`` returns the factors of the
batch ``(*, m, n)`` of float32/float64 matrices (written once with ``xp``, only the
``xp.linalg`` names and arguments CuPy has), and ``linalg_<name>_backward(<one gradient per
factor, None where the loss does not use it>, <the factors>, ...)`` is PyTorch's formula from
``FunctionsManual.cpp`` (``linalg_qr_backward``, ``linalg_eig_backward`` with
``is_hermitian``, ``svd_backward``). The public Tensor functions return PyTorch's named tuples;
each factor is its own autograd node whose backward is the formula with the other factors'
gradients left out (the formulas are linear in the gradients, so the sum over the factors the
loss uses is PyTorch's gradient, computed from the same factors, never recomputed).

The signs of eigenvectors and singular vectors (and of Q's columns) are the backend's
(LAPACK on NumPy and strict, cuSOLVER on CuPy); they may differ from PyTorch's. Only losses
that do not depend on these signs have a defined gradient; for real inputs PyTorch does not
check this, and neither does xpnet. Repeated eigenvalues or singular values give inf/NaN
gradients through the vectors, as in PyTorch. :mod:`xpnet.linalg.spectral` holds pinv, lstsq,
matrix_rank and matrix_power.

Example:
    >>> import xpnet
    >>> A = xpnet.tensor([[2.0, 1.0], [1.0, 2.0]], requires_grad=True, dtype=xpnet.float64)
    >>> eigvalsh(A).detach()
    tensor([1., 3.], dtype=xpnet.float64)
    >>> svdvals(A).sum().backward()
    >>> A.grad.array.round(12) + 0.0
    array([[1., 0.],
           [0., 1.]])
"""

from __future__ import annotations

from typing import NamedTuple

from .._tensor_checks import flags_checked
from .._tensor_ops import ieee
from ..autograd import Function, Tensor
from ..backends import backend_of
from ..kernels._checks import ArgumentError
from ._checks import LinAlgError, matrix_input, mT, square_input

__all__ = [
    "eigh",
    "eigvalsh",
    "linalg_eigh",
    "linalg_eigh_backward",
    "linalg_qr",
    "linalg_qr_backward",
    "linalg_svd",
    "linalg_svd_backward",
    "qr",
    "svd",
    "svdvals",
]

QR_MODES = ("reduced", "complete", "r")


class QRResult(NamedTuple):
    """``torch.return_types.linalg_qr``."""

    Q: Tensor
    R: Tensor


class EighResult(NamedTuple):
    """``torch.return_types.linalg_eigh``."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    """``torch.return_types.linalg_svd``."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def factorize(where: str, compute, A):
    """``compute(A)``, a backend's convergence failure (NaN or inf input) raised as
    :class:`LinAlgError` with PyTorch's message. GPU: CuPy returns NaN factors instead."""
    xp = backend_of(A).xp
    try:
        return compute(A)
    except xp.linalg.LinAlgError:
        msg = (
            f"{where}: The algorithm failed to converge because the input matrix contained "
            "non-finite values."
        )
        raise LinAlgError(msg) from None


def _eye_mask(xp, size: int):
    return xp.eye(size, dtype=bool)


@ieee
def linalg_qr(A, mode: str = "reduced"):
    """``(Q, R)`` with ``A = Q R``; ``mode='r'`` gives an empty ``Q`` as PyTorch."""
    backend = matrix_input("linalg_qr", "A", A)
    if mode not in QR_MODES:
        msg = f"linalg_qr: mode must be one of {QR_MODES}, got {mode!r}"
        raise ArgumentError(msg)
    xp = backend.xp
    if mode == "r":
        R = xp.linalg.qr(A, mode="r")
        return xp.zeros((0,), dtype=A.dtype), R
    return xp.linalg.qr(A, mode=mode)


def _copyltu(xp, M):
    """The symmetric matrix with ``M``'s lower triangle: ``tril(M) + tril(M, -1)^T``."""
    return xp.tril(M) + mT(xp.tril(M, -1))


def _qr_square_backward(xp, grad_Q, grad_R, Q, R):
    """The gradient for ``m >= n`` (``R`` square): ``(gQ + Q copyltu(M)) R^-T`` with
    ``M = R gR^T - gQ^T Q`` (the formula of PyTorch's ``linalg_qr_backward``)."""
    M = 0.0
    if grad_R is not None:
        M = R @ mT(grad_R)
    if grad_Q is not None:
        M = M - mT(grad_Q) @ Q
    gA = Q @ _copyltu(xp, M)
    if grad_Q is not None:
        gA = gA + grad_Q
    # gA R^-T: a triangular solve in PyTorch, a general one here (R X^T = gA^T)
    return mT(xp.linalg.solve(R, mT(gA)))


@ieee
def linalg_qr_backward(grad_Q, grad_R, Q, R, mode: str = "reduced"):
    """The gradient of ``A`` from those of ``Q`` and ``R`` (``None``: not used by the loss).

    Raises:
        RuntimeError: ``mode='r'`` (Q was not kept) or ``mode='complete'`` with ``m > n``
            (not differentiable), PyTorch's messages.
    """
    if mode == "r":
        msg = (
            "linalg_qr_backward: The derivative of linalg.qr depends on Q, which is not "
            "computed when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going "
            "to differentiate through linalg.qr."
        )
        raise RuntimeError(msg)
    m, n = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > n:
        msg = (
            "linalg_qr_backward: The QR decomposition is not differentiable when "
            "mode='complete' and nrows > ncols."
        )
        raise RuntimeError(msg)
    xp = backend_of(Q).xp
    if m >= n:
        return _qr_square_backward(xp, grad_Q, grad_R, Q, R)
    # A = [X | Y], R = [U | V] with Y = Q V: Y's gradient is Q gV, X's sees gQ + Y gV^T
    gY = xp.zeros(Q.shape[:-1] + (n - m,), Q.dtype) if grad_R is None else Q @ grad_R[..., m:]
    if grad_R is not None:
        Y = Q @ R[..., m:]  # (*, m, n - m)
        extra = Y @ mT(grad_R[..., m:])
        grad_Q = extra if grad_Q is None else grad_Q + extra
    gU = None if grad_R is None else grad_R[..., :m]
    gX = _qr_square_backward(xp, grad_Q, gU, Q, R[..., :m])
    return xp.concatenate((gX, gY), axis=-1)


@ieee
def linalg_eigh(A, UPLO: str = "L"):  # noqa: N803 - PyTorch's name
    """``(L, V)``: the ascending eigenvalues and orthonormal eigenvectors of the symmetric
    matrices ``A``, read from the ``UPLO`` triangle."""
    backend = square_input("linalg_eigh", "A", A)
    if UPLO not in ("L", "U"):
        msg = f"linalg_eigh: UPLO must be 'L' or 'U', got {UPLO!r}"
        raise ArgumentError(msg)
    return factorize("linalg.eigh", lambda M: backend.xp.linalg.eigh(M, UPLO=UPLO), A)


@ieee
def linalg_eigh_backward(grad_L, grad_V, L, V):
    """PyTorch's ``linalg_eig_backward(gL, gV, L, V, is_hermitian=True)``:
    ``V (skew(V^T gV) / E + diag(gL)) V^T`` with ``E_ij = L_j - L_i`` (not symmetrized; repeated
    eigenvalues give inf/NaN when ``gV`` is used)."""
    xp = backend_of(V).xp
    if grad_V is None:
        return (V * grad_L[..., None, :]) @ mT(V)
    eye = _eye_mask(xp, V.shape[-1])
    VhgV = mT(V) @ grad_V
    VhgV = 0.5 * (VhgV - mT(VhgV))
    E = xp.where(eye, 1.0, L[..., None, :] - L[..., :, None]).astype(V.dtype)
    gA = VhgV / E
    if grad_L is not None:
        gA = xp.where(eye, grad_L[..., None, :], gA)
    return V @ gA @ mT(V)


@ieee
def linalg_svd(A, full_matrices: bool = True):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, ``S`` descending."""
    backend = matrix_input("linalg_svd", "A", A)
    compute = lambda M: backend.xp.linalg.svd(M, full_matrices=full_matrices)  # noqa: E731
    return factorize("linalg.svd", compute, A)


@ieee
def linalg_svd_backward(grad_U, grad_S, grad_Vh, U, S, Vh, full_matrices: bool = True):
    """PyTorch's ``svd_backward`` (with ``full_matrices``, the factors and their gradients
    narrowed to the first ``k = min(m, n)`` vectors first)."""
    xp = backend_of(S).xp
    k = S.shape[-1]
    if full_matrices:
        U, Vh = U[..., :k], Vh[..., :k, :]
        grad_U = None if grad_U is None else grad_U[..., :k]
        grad_Vh = None if grad_Vh is None else grad_Vh[..., :k, :]
    m, n = U.shape[-2], Vh.shape[-1]
    if grad_U is None and grad_Vh is None:
        return U @ (grad_S[..., None] * Vh) if m >= n else (U * grad_S[..., None, :]) @ Vh
    eye = _eye_mask(xp, k)
    S2 = S * S
    E = xp.where(eye, 1.0, S2[..., None, :] - S2[..., :, None]).astype(S.dtype)
    gA = 0.0
    if grad_U is not None:
        UhgU = mT(U) @ grad_U
        gA = (UhgU - mT(UhgU)) * (S[..., None, :] / E)
    if grad_Vh is not None:
        VhgV = Vh @ mT(grad_Vh)
        gA = gA + S[..., :, None] * (VhgV - mT(VhgV)) / E
    if grad_S is not None:
        gA = gA + eye * grad_S[..., None, :]
    if m > n and grad_U is not None:
        gUSinv = grad_U / S[..., None, :]
        gA = (U @ gA + gUSinv - U @ (mT(U) @ gUSinv)) @ Vh
    elif m < n and grad_Vh is not None:
        SinvgVh = grad_Vh / S[..., :, None]
        gA = U @ (gA @ Vh + SinvgVh - (SinvgVh @ mT(Vh)) @ Vh)
    else:
        gA = U @ (gA @ Vh)
    return gA


def _factor(A, factors, index: int, backward):
    """Forward of one factor's node: ``factors[index]`` (computed once for all of them)."""
    return factors[index]


def _factor_node(name: str) -> Function:
    """The autograd Function of one factor, its backward named ``name`` (as ``grad_fn``)."""

    def factor_backward(grad_output, A, factors, index: int, backward):
        grads = [None] * len(factors)
        grads[index] = grad_output
        return backward(*grads, *factors)

    factor_backward.__name__ = factor_backward.__qualname__ = name
    return Function(_factor, factor_backward, wrt=("A",))


_FACTOR_NODES = {
    name: _factor_node(f"{name}_backward")
    for name in (
        "linalg_qr",
        "linalg_eigh",
        "linalg_svd",
        "linalg_lu",
        "linalg_lu_factor",
        "lu_unpack",
    )
}


def factor_tensors(name: str, A, factors, backward) -> list[Tensor]:
    """One Tensor per factor of ``A`` (from ``linalg_<name>``), each differentiable through
    ``backward(*grads, *factors)`` with only its own gradient given."""
    node = _FACTOR_NODES[name]
    return [node(A, factors, index, backward) for index in range(len(factors))]


def qr(A, mode: str = "reduced") -> QRResult:
    """``torch.linalg.qr``: ``Q`` orthonormal and ``R`` upper triangular with ``A = Q R``.

    Args:
        A: a Tensor or array ``(*, m, n)``, float32 or float64.
        mode: ``'reduced'`` (default: ``Q (*, m, k)``, ``R (*, k, n)``, ``k = min(m, n)``),
            ``'complete'`` (``Q (*, m, m)``, ``R (*, m, n)``) or ``'r'`` (an empty ``Q``).

    Returns:
        ``(Q, R)``, a named tuple. The signs of ``R``'s diagonal are LAPACK's/cuSOLVER's.

    Raises:
        TypeError: not float32/float64. ArgumentError: fewer than 2 dims, an unknown mode.
        RuntimeError: a backward through ``mode='r'``, or ``'complete'`` with ``m > n``.

    Example:
        >>> import xpnet
        >>> A = xpnet.tensor([[3.0, 1.0], [4.0, 2.0]], dtype=xpnet.float64)
        >>> Q, R = qr(A)
        >>> bool((Q @ R - A).abs().amax() < 1e-12)
        True
    """
    data = A.array if isinstance(A, Tensor) else A
    factors = linalg_qr(data, mode)
    return QRResult(*factor_tensors("linalg_qr", A, factors, _qr_backward(mode)))


def _qr_backward(mode: str):
    return lambda grad_Q, grad_R, Q, R: linalg_qr_backward(grad_Q, grad_R, Q, R, mode)


def eigh(A, UPLO: str = "L") -> EighResult:  # noqa: N803 - PyTorch's name
    """``torch.linalg.eigh``: ascending eigenvalues and orthonormal eigenvectors of symmetric
    ``A`` ``(*, n, n)``, using only its ``UPLO`` (``'L'`` default, or ``'U'``) triangle.

    Returns:
        ``(eigenvalues (*, n), eigenvectors (*, n, n))``, a named tuple; the eigenvectors'
        signs are LAPACK's/cuSOLVER's. The gradient is PyTorch's (not symmetrized; inf/NaN
        through the eigenvectors at repeated eigenvalues).

    Raises:
        TypeError: not float32/float64. ArgumentError: not square, fewer than 2 dims, a bad
        ``UPLO``. LinAlgError: NaN/inf input (NumPy and strict; CuPy gives NaN).

    Example:
        >>> import xpnet
        >>> eigh(xpnet.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=xpnet.float64)).eigenvalues
        tensor([1., 2.], dtype=xpnet.float64)
    """
    data = A.array if isinstance(A, Tensor) else A
    factors = linalg_eigh(data, UPLO)
    return EighResult(*factor_tensors("linalg_eigh", A, factors, linalg_eigh_backward))


def eigvalsh(A, UPLO: str = "L") -> Tensor:  # noqa: N803 - PyTorch's name
    """``torch.linalg.eigvalsh``: the eigenvalues of :func:`eigh`, gradient ``V diag(g) V^T``.

    Example:
        >>> import xpnet
        >>> eigvalsh(xpnet.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=xpnet.float64))
        tensor([-1.,  1.], dtype=xpnet.float64)
    """
    return eigh(A, UPLO).eigenvalues


@flags_checked("xpnet.linalg")  # as PyTorch's parser: full_matrices only a bool
def svd(A, full_matrices: bool = True) -> SVDResult:
    """``torch.linalg.svd``: ``A = U diag(S) Vh`` with ``S`` descending.

    Args:
        A: a Tensor or array ``(*, m, n)``, float32 or float64.
        full_matrices: ``U (*, m, m)``, ``Vh (*, n, n)`` (default) or ``(*, m, k)``,
            ``(*, k, n)`` with ``k = min(m, n)``.

    Returns:
        ``(U, S, Vh)``, a named tuple; the singular vectors' signs are LAPACK's/cuSOLVER's.
        The gradient is PyTorch's ``svd_backward`` (the extra vectors of ``full_matrices``
        get none; repeated or zero singular values give inf/NaN through ``U``/``Vh``).

    Raises:
        TypeError: not float32/float64. ArgumentError: fewer than 2 dims.
        LinAlgError: NaN/inf input (NumPy and strict; CuPy gives NaN).

    Example:
        >>> import xpnet
        >>> svd(xpnet.tensor([[0.0, 2.0], [1.0, 0.0]], dtype=xpnet.float64)).S
        tensor([2., 1.], dtype=xpnet.float64)
    """
    data = A.array if isinstance(A, Tensor) else A
    factors = linalg_svd(data, full_matrices)
    return SVDResult(*factor_tensors("linalg_svd", A, factors, _svd_backward(full_matrices)))


def _svd_backward(full_matrices: bool):
    def backward(grad_U, grad_S, grad_Vh, U, S, Vh):
        return linalg_svd_backward(grad_U, grad_S, grad_Vh, U, S, Vh, full_matrices)

    return backward


def svdvals(A) -> Tensor:
    """``torch.linalg.svdvals``: the singular values ``(*, k)``, descending; gradient
    ``U diag(g) Vh``.

    Example:
        >>> import xpnet
        >>> svdvals(xpnet.tensor([[3.0, 0.0], [0.0, -4.0]], dtype=xpnet.float64))
        tensor([4., 3.], dtype=xpnet.float64)
    """
    return svd(A, full_matrices=False).S
