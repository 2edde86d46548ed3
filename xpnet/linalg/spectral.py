"""``torch.linalg``'s pinv, lstsq, matrix_rank and matrix_power, with PyTorch's gradients.

``linalg_pinv`` / ``linalg_pinv_backward`` and ``linalg_lstsq`` / ``linalg_lstsq_backward`` are
array pairs written once with ``xp`` (the backward formulas are ``pinv_backward`` and
``linalg_lstsq_backward`` of PyTorch's ``FunctionsManual.cpp``); ``matrix_rank`` has no
gradient and returns an int64 Tensor computed on the device (no host sync);
``matrix_power`` multiplies Tensors by repeated squaring as PyTorch does, so autograd gives
its gradient. The factorizations live in :mod:`xpnet.linalg.decompositions`, ``inv`` in
:mod:`xpnet.linalg.inverses`.

Example:
    >>> import xpnet
    >>> pinv(xpnet.tensor([[2.0, 0.0], [0.0, 0.0]], dtype=xpnet.float64))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]], dtype=xpnet.float64)
    >>> matrix_rank(xpnet.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=xpnet.float64))
    tensor(1)
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy

from .._tensor_checks import check_tensor
from .._tensor_ops import check_grad, ieee, unbroadcast
from ..autograd import Function, Tensor, as_tensor
from ..backends import backend_of
from ..kernels._checks import ArgumentError, DtypeMismatchError
from ._checks import matrix_input, mT, operands_backend, square_input
from .decompositions import factorize, linalg_eigh, linalg_svd, svdvals
from .inverses import inv

__all__ = [
    "linalg_lstsq",
    "linalg_lstsq_backward",
    "linalg_pinv",
    "linalg_pinv_backward",
    "lstsq",
    "matrix_power",
    "matrix_rank",
    "pinv",
]


LSTSQ_DRIVERS = (None, "gelsy", "gels", "gelsd", "gelss")


class LstsqResult(NamedTuple):
    """``torch.return_types.linalg_lstsq``."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def _tolerance(where: str, A, atol, rtol):
    """PyTorch's ``get_atol_rtol``: ``atol`` 0 unless given; ``rtol`` ``eps * max(m, n)``
    unless given, or 0 where only a positive ``atol`` is given. Numbers or arrays
    (broadcast against the batch)."""
    xp = backend_of(A).xp
    for name, value in (("atol", atol), ("rtol", rtol)):
        if isinstance(value, bool) or not (
            value is None or isinstance(value, numbers.Real) or hasattr(value, "dtype")
        ):
            msg = f"{where}: {name} must be None, a number or an array, got {type(value)}"
            raise TypeError(msg)
    default = numpy.finfo(A.dtype).eps * max(A.shape[-2:])
    atol_ = xp.zeros((), A.dtype) if atol is None else xp.asarray(atol, dtype=A.dtype)
    if rtol is not None:
        rtol_ = xp.asarray(rtol, dtype=A.dtype)
    elif atol is None:
        rtol_ = xp.asarray(default, dtype=A.dtype)
    else:
        rtol_ = xp.where(atol_ > 0, 0.0, default).astype(A.dtype)
    return atol_, rtol_


def _spectrum(A, hermitian: bool):
    """``(values, left, right)`` with ``A = left diag(values) right``: the SVD, or for
    ``hermitian`` the eigendecomposition (``right = left^T``), values possibly negative."""
    if hermitian:
        L, V = linalg_eigh(A)
        return L, V, mT(V)
    U, S, Vh = linalg_svd(A, full_matrices=False)
    return S, U, Vh


def _kept(A, values, atol, rtol):
    """Where ``|values| > max(atol, rtol * max |values|)`` (per matrix)."""
    xp = backend_of(values).xp
    magnitude = xp.abs(values)
    largest = magnitude.max(axis=-1, keepdims=True)
    tol = xp.maximum(atol[..., None], rtol[..., None] * largest)
    return magnitude > tol


def pseudo_inverse(A, atol, rtol, hermitian: bool = False):
    """``(pinv(A), kept)``: ``V diag(1/S) U^T`` over the singular values ``kept`` (those above
    ``max(atol, rtol * S_max)``; eigenvalues by magnitude for ``hermitian``)."""
    xp = backend_of(A).xp
    if A.size == 0:
        empty = xp.zeros(A.shape[:-2] + (A.shape[-1], A.shape[-2]), A.dtype)
        return empty, xp.zeros(A.shape[:-2] + (0,), bool)
    values, left, right = _spectrum(A, hermitian)
    kept = _kept(A, values, atol, rtol)
    inverse = xp.where(kept, 1.0 / values, 0.0).astype(A.dtype)
    return (mT(right) * inverse[..., None, :]) @ mT(left), kept


@ieee
def linalg_pinv(A, atol=None, rtol=None, hermitian: bool = False):
    """The pseudo-inverse ``(*, n, m)``: ``V diag(1/S) U^T`` over the singular values
    above ``max(atol, rtol * S_max)`` (eigenvalues by magnitude for ``hermitian``)."""
    where = "linalg_pinv"
    (square_input if hermitian else matrix_input)(where, "A", A)
    atol_, rtol_ = _tolerance(where, A, atol, rtol)
    return pseudo_inverse(A, atol_, rtol_, hermitian)[0]


@ieee
def linalg_pinv_backward(grad_output, A, atol=None, rtol=None, hermitian: bool = False):
    """PyTorch's ``pinv_backward(grad, pinv(A), A)``, the same for every tolerance."""
    pinvA = linalg_pinv(A, atol, rtol, hermitian)
    check_grad("linalg_pinv_backward", grad_output, pinvA.shape, A.dtype, A)
    return pinv_gradient(grad_output, pinvA, A)


def pinv_gradient(grad, pinvA, A):
    """``pinv_backward``'s formula, arranged for the smaller of ``m`` and ``n``."""
    m, n = A.shape[-2:]
    pinvAh, gradh = mT(pinvA), mT(grad)
    if m <= n:
        K = gradh @ pinvA
        KpinvAh = K @ pinvAh
        return -mT(pinvA @ K) + KpinvAh - (A @ pinvA) @ KpinvAh + (pinvAh @ pinvA) @ (gradh - K @ A)
    K = pinvA @ gradh
    pinvAhK = pinvAh @ K
    return -mT(K @ pinvA) + (gradh - A @ K) @ pinvA @ pinvAh + pinvAhK - pinvAhK @ pinvA @ A


def _lstsq_operands(A, B, rcond, driver):
    """Check ``lstsq``'s arguments; ``B`` as a matrix ``(*, m, k)`` and whether it was a
    vector."""
    where = "linalg_lstsq"
    matrix_input(where, "A", A)
    operands_backend(where, ("A", "B"), A, B)
    if B.dtype != A.dtype:
        msg = f"{where}: B must have A's dtype {A.dtype}, got {B.dtype}"
        raise DtypeMismatchError(msg)  # PyTorch's RuntimeError
    if driver not in LSTSQ_DRIVERS:
        msg = f"{where}: driver must be one of {LSTSQ_DRIVERS}, got {driver!r}"
        raise ArgumentError(msg)
    if rcond is not None and (isinstance(rcond, bool) or not isinstance(rcond, numbers.Real)):
        msg = f"{where}: rcond must be None or a number, got {type(rcond).__name__}"
        raise TypeError(msg)
    if B.ndim > A.ndim or A.ndim - B.ndim > 1:
        msg = f"{where}: B must have A's number of dims or one fewer, got {A.shape}, {B.shape}"
        raise ArgumentError(msg)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    matrix = B[..., None] if vector else B
    if matrix.ndim < 2 or matrix.shape[-2] != A.shape[-2]:
        msg = f"{where}: A.shape[-2] must match B.shape[-2], got A {A.shape} and B {B.shape}"
        raise ArgumentError(msg)
    return matrix, vector


@ieee
def linalg_lstsq(A, B, rcond=None, driver=None):
    """``(solution, rank)``: the minimum-norm least-squares solution ``pinv(A) B`` with
    singular values under ``rcond * S_max`` (default ``eps * max(m, n)``) dropped, what
    LAPACK's ``gelsy`` computes, and the rank (int64, per matrix) that threshold gives."""
    matrix, vector = _lstsq_operands(A, B, rcond, driver)
    xp = backend_of(A).xp
    _, rtol = _tolerance("linalg_lstsq", A, None, rcond)
    pinvA, kept = pseudo_inverse(A, xp.zeros((), A.dtype), rtol)
    rank = kept.sum(axis=-1).astype(numpy.int64)
    solution = pinvA @ matrix
    return (solution[..., 0] if vector else solution), rank


@ieee
def linalg_lstsq_backward(grad_output, A, B, rcond=None, driver=None):
    """PyTorch's ``linalg_lstsq_backward``: ``pinv_backward(gX B^T, pinv(A), A)`` for ``A``
    and ``pinv(A)^T gX`` for ``B`` (``pinv`` with its default tolerance, as PyTorch)."""
    matrix, vector = _lstsq_operands(A, B, rcond, driver)
    solution, _ = linalg_lstsq(A, B, rcond, driver)
    check_grad("linalg_lstsq_backward", grad_output, solution.shape, A.dtype, A, B)
    gX = grad_output[..., None] if vector else grad_output
    pinvA = linalg_pinv(A)
    grad_A = pinv_gradient(gX @ mT(matrix), pinvA, A)
    grad_B = mT(pinvA) @ gX
    grad_B = grad_B[..., 0] if vector else grad_B
    return unbroadcast(grad_A, A.shape), unbroadcast(grad_B, B.shape)


def identity_like(A):
    """Identity matrices of ``A``'s shape: ``matrix_power(A, 0)``."""
    xp = backend_of(A).xp
    return xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.dtype), A.shape).copy()


def identity_like_backward(grad_output, A):
    """0: the identity does not depend on ``A`` (PyTorch's gradient of ``A^0``)."""
    return backend_of(A).xp.zeros_like(A)


_identity = Function(identity_like, identity_like_backward, wrt=("A",))
_pinv = Function(linalg_pinv, linalg_pinv_backward, wrt=("A",))
_lstsq = Function(linalg_lstsq, linalg_lstsq_backward, wrt=("A", "B"))


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """``torch.linalg.pinv``: the Moore-Penrose pseudo-inverse ``(*, n, m)`` of ``A``.

    Args:
        A: a Tensor or array ``(*, m, n)``, float32 or float64 (square for ``hermitian``).
        atol: absolute tolerance (default 0), a number or an array broadcast over the batch.
        rtol: relative tolerance, times the largest singular value (default
            ``eps * max(m, n)``, or 0 when only a positive ``atol`` is given).
        hermitian: ``A`` is symmetric: use ``eigh`` on its lower triangle.

    Returns:
        A Tensor; singular values ``<= max(atol, rtol * S_max)`` are treated as 0. The
        gradient is PyTorch's ``pinv_backward``.

    Raises:
        TypeError: not float32/float64, a tolerance that is not a number or array.
        ArgumentError: fewer than 2 dims; not square with ``hermitian``.

    Example:
        >>> import xpnet
        >>> pinv(xpnet.tensor([[1.0], [1.0]], dtype=xpnet.float64))
        tensor([[0.5000, 0.5000]], dtype=xpnet.float64)
    """
    return _pinv(A, atol, rtol, hermitian)


def lstsq(A, B, rcond=None, *, driver=None) -> LstsqResult:
    """``torch.linalg.lstsq``: the minimum-norm least-squares solution of ``A X = B``.

    Args:
        A: ``(*, m, n)``, float32 or float64. B: ``(*, m, k)`` or ``(*, m)`` (batch dims
            broadcast with ``A``'s). rcond: singular values under ``rcond * S_max`` count as
            0 (default ``eps * max(m, n)``). driver: ``None`` (``'gelsy'``, PyTorch's CPU
            default), ``'gels'``, ``'gelsd'`` or ``'gelss'``: which of the other fields are
            filled, as PyTorch's.

    Returns:
        ``(solution, residuals, rank, singular_values)``: the solution ``(*, n, k)`` (with
        PyTorch's gradient for ``A`` and ``B``), from the SVD for every driver;
        ``residuals`` ``(*, k)``, ``sum((A X - B)^2)`` over the rows (differentiable), for
        ``m > n`` and drivers other than ``'gelsy'`` (and full-rank ``A``, unless ``'gels'``),
        else empty; ``rank`` int64 ``(*)`` (empty for ``'gels'``; ``gelsy`` estimates it from a
        pivoted QR: the same except near the threshold); ``singular_values`` ``(*, min(m, n))``
        for ``'gelsd'``/``'gelss'``, else empty.

    Raises:
        TypeError: bad dtypes (also PyTorch's RuntimeError), ``rcond`` not a number.
        ArgumentError: mismatched rows, an unknown driver.

    Example:
        >>> import xpnet
        >>> A = xpnet.tensor([[1.0], [1.0]], dtype=xpnet.float64)
        >>> lstsq(A, xpnet.tensor([[1.0], [3.0]], dtype=xpnet.float64)).solution
        tensor([[2.0000]], dtype=xpnet.float64)
    """
    solution, rank = _lstsq(A, B, rcond, driver)
    backend = backend_of(solution.array)
    xp, driver = backend.xp, driver or "gelsy"
    empty = Tensor(xp.zeros((0,), dtype=solution.dtype))
    A, B = as_tensor(A), as_tensor(B)
    (m, n), residuals = A.shape[-2:], empty
    # GPU: the full-rank test reads the ranks on the host, as PyTorch's
    if m > n and driver != "gelsy" and (driver == "gels" or bool(backend.to_host(rank).min() == n)):
        vector = solution.ndim == B.ndim and B.ndim < A.ndim
        X, B = (solution.unsqueeze(-1), B.unsqueeze(-1)) if vector else (solution, B)
        residuals = ((A @ X - B) ** 2).sum(-2)
    values = svdvals(A.detach()) if driver in ("gelsd", "gelss") else empty
    rank = Tensor(xp.zeros((0,), numpy.int64) if driver == "gels" else rank)
    return LstsqResult(solution, residuals, rank, values)


def matrix_rank(A, tol=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """``torch.linalg.matrix_rank``: the number of singular values above
    ``max(atol, rtol * S_max)`` (the tolerances of :func:`pinv`), an int64 Tensor ``(*)``
    computed on the device. ``tol``, PyTorch's other overload, is ``atol=tol, rtol=0``.

    Raises:
        TypeError: ``tol`` with ``atol`` or ``rtol`` (PyTorch has no such overload).

    Example:
        >>> import xpnet
        >>> A = xpnet.tensor([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]])
        >>> matrix_rank(A)
        tensor([2, 0])
    """
    where = "linalg_matrix_rank"
    if tol is not None:
        if atol is not None or rtol is not None:
            raise TypeError(f"{where}: tol or atol and rtol, not both, got tol={tol!r}")
        atol, rtol = tol, 0.0
    data = A.array if isinstance(A, Tensor) else A
    backend = (square_input if hermitian else matrix_input)(where, "A", data)
    xp = backend.xp
    atol_, rtol_ = _tolerance(where, data, atol, rtol)
    if data.size == 0:
        return Tensor(xp.zeros(data.shape[:-2], numpy.int64))
    if hermitian:
        values = linalg_eigh(data)[0]
    else:  # NaN input: LinAlgError with PyTorch's message, not NumPy's
        values = factorize("linalg.svd", lambda M: xp.linalg.svd(M, compute_uv=False), data)
    rank = _kept(data, values, atol_, rtol_).sum(axis=-1).astype(numpy.int64)
    return Tensor(rank)


def matrix_power(A, n: int) -> Tensor:
    """``torch.linalg.matrix_power``: ``A^n`` for square ``A`` ``(*, m, m)``; ``n = 0`` the
    identity (gradient 0), ``n < 0`` powers of ``inv(A)``.
    Products by repeated squaring, as PyTorch's, so the gradient is autograd's.

    Raises:
        TypeError: ``n`` not an int, ``A`` not float32/float64 (integers are taken for
        ``n >= 0``). ArgumentError: not square. LinAlgError: ``n < 0`` and a singular matrix.

    Example:
        >>> import xpnet
        >>> matrix_power(xpnet.tensor([[1.0, 1.0], [0.0, 1.0]], dtype=xpnet.float64), 3)
        tensor([[1., 3.],
                [0., 1.]], dtype=xpnet.float64)
    """
    where = "linalg_matrix_power"
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        msg = f"{where}: n must be an int, got {type(n).__name__}"
        raise TypeError(msg)
    check_tensor(where, "A", A)  # as_tensor would take None as an object array
    tensor = as_tensor(A)
    square_input(where, "A", tensor.array, integers=n >= 0)  # products only: as PyTorch
    if n == 0:
        return _identity(tensor)
    base = inv(tensor) if n < 0 else tensor
    result, square, n = None, None, abs(int(n))
    while n:
        square = base if square is None else square @ square
        if n % 2:
            result = square if result is None else result @ square
        n //= 2
    return result.clone() if result is tensor else result
