"""``torch.linalg.matrix_exp``, ``torch.linalg.householder_product`` and
``torch.linalg.multi_dot``, with PyTorch's gradients.

The matrix exponential is Higham's scaling and squaring with the degree-13 Padé approximant
(Higham 2005, as SciPy's ``expm``), built on ``xp`` matmul and ``xp.linalg.solve`` only (NumPy
has no ``expm``); its backward is PyTorch's: the upper-right block of
``exp([[A^H, G], [0, A^H]])``. The Householder product ``H_1 ... H_k`` is applied reflector by
reflector; its backward runs that loop in reverse (the same gradient as PyTorch's
``householder_product_backward``). The array pairs are ``linalg_matrix_exp`` and
``linalg_householder_product`` with their ``_backward``; :mod:`xpnet.linalg.inverses` holds solve,
inv, det and cholesky. ``multi_dot`` multiplies in PyTorch's order (the cheapest, from the
shapes), through ``matmul``.

Example:
    >>> matrix_exp(np.array([[0.0, 1.0], [0.0, 0.0]]))
    tensor([[1.0000, 1.0000],
            [0.0000, 1.0000]], dtype=xpnet.float64)
"""

from __future__ import annotations

import numpy

from .._tensor_checks import check_tensor
from .._tensor_operands import describe
from .._tensor_ops import check_grad, ieee
from ..autograd import Function, Tensor, as_tensor
from ..backends import backend_of
from ..kernels._checks import ArgumentError, DtypeMismatchError
from ._checks import matrix_input, mT, operands_backend, square_input

__all__ = [
    "householder_product",
    "linalg_householder_product",
    "linalg_householder_product_backward",
    "linalg_matrix_exp",
    "linalg_matrix_exp_backward",
    "matrix_exp",
    "multi_dot",
]

# Higham (2005), "The scaling and squaring method for the matrix exponential revisited",
# Table 2.3 / (2.2): the degree-13 Padé coefficients and the 1-norm bound theta_13.
PADE_13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
THETA_13 = 5.371920351148152


def _pade_13(A):
    """Higham's ``r_13(A) = (V - U)^-1 (V + U)`` for ``A`` of 1-norm at most ``THETA_13``."""
    xp = backend_of(A).xp
    b = PADE_13
    eye = xp.eye(A.shape[-1], dtype=A.dtype)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (
        A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye
    )
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    return eye + 2 * xp.linalg.solve(V - U, U)  # (V - U)^-1 (V + U); exactly I for A = 0


@ieee
def linalg_matrix_exp(A):
    """``exp(A)`` of each matrix of ``A`` ``(*, n, n)``, as ``torch.linalg.matrix_exp``.

    Each matrix is scaled by ``2^-s`` to a 1-norm within ``THETA_13``, approximated, and
    squared back ``s`` times (the others of the batch keep their value meanwhile).
    # GPU: the number of squarings is read on the host once per call (a sync), as PyTorch's
    # CUDA matrix_exp reads its scaling.
    """
    backend = square_input("linalg.matrix_exp", "A", A)
    xp = backend.xp
    if A.size == 0:
        return xp.zeros_like(A)
    norm = xp.abs(A).sum(axis=-2).max(axis=-1)  # (*,), the 1-norm
    s = xp.ceil(xp.log2(norm / THETA_13))
    s = xp.where(xp.isfinite(s) & (s > 0), s, 0.0)  # norm 0 gives -inf; NaN/inf input: NaN out
    R = _pade_13(A / (2.0**s)[..., None, None])
    squarings = int(backend.to_host(s.max()))
    for step in range(squarings):
        R = xp.where((step < s)[..., None, None], R @ R, R)
    return R


@ieee
def linalg_matrix_exp_backward(grad_output, A):
    """PyTorch's ``linalg_matrix_exp_differential`` (adjoint): the upper-right ``n x n`` block
    of ``exp([[A^H, G], [0, A^H]])``."""
    check_grad("linalg_matrix_exp_backward", grad_output, A.shape, A.dtype, A)
    xp = backend_of(A).xp
    n = A.shape[-1]
    top = xp.concatenate([mT(A), grad_output], axis=-1)  # (*, n, 2n)
    bottom = xp.concatenate([xp.zeros_like(A), mT(A)], axis=-1)
    return linalg_matrix_exp(xp.concatenate([top, bottom], axis=-2))[..., :n, n:]


def _householder_operands(where: str, A, tau):
    backend = matrix_input(where, "A", A)
    operands_backend(where, ("A", "tau"), A, tau)
    m, n = A.shape[-2:]
    if tau.dtype != A.dtype:
        msg = f"{where}: tau must have A's dtype ({A.dtype}), got {tau.dtype}"
        raise DtypeMismatchError(msg)  # PyTorch's RuntimeError
    if m < n:
        msg = f"{where}: A.shape[-2] must be greater than or equal to A.shape[-1], got {A.shape}"
        raise ArgumentError(msg)
    if tau.ndim == 0 or tau.shape[-1] > n or tau.shape[:-1] != A.shape[:-2]:
        msg = (
            f"{where}: tau must have shape (*, k) with A's batch {A.shape[:-2]} and k <= "
            f"A.shape[-1] = {n}, got {tau.shape}"
        )
        raise ArgumentError(msg)
    return backend.xp


def _reflector(xp, A, i: int):
    """``v_i`` ``(*, m, 1)``: 0 above row ``i``, 1 at ``i``, ``A[..., i+1:, i]`` below."""
    m = A.shape[-2]
    below = xp.asarray(numpy.arange(m) > i)
    unit = xp.asarray((numpy.arange(m) == i).astype(A.dtype))
    # a choice, not a product: the diagonal and above are never read (NaN there is ignored)
    return xp.where(below, A[..., :, i], unit)[..., None]


def _householder_steps(A, tau):
    """``[Q_0, ..., Q_k]``: ``Q_k = I[:, :n]``, ``Q_i = (I - tau_i v_i v_i^H) Q_{i+1}``."""
    xp = backend_of(A).xp
    m, n = A.shape[-2:]
    Q = xp.broadcast_to(xp.eye(m, n, dtype=A.dtype), A.shape)
    steps = [Q]
    for i in reversed(range(tau.shape[-1])):
        v = _reflector(xp, A, i)
        Q = Q - tau[..., i, None, None] * (v @ (mT(v) @ Q))
        steps.append(Q)
    return steps[::-1]


@ieee
def linalg_householder_product(A, tau):
    """The first ``n`` columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^H`` with ``v_i``
    the ``i``-th column of ``A`` ``(*, m, n)`` below the diagonal (1 on it), as
    ``torch.linalg.householder_product``; ``tau`` is ``(*, k)``, ``k <= n <= m``."""
    _householder_operands("linalg.householder_product", A, tau)
    return _householder_steps(A, tau)[0]


@ieee
def linalg_householder_product_backward(grad_output, A, tau):
    """The gradients of ``A`` (below the diagonal of its first ``k`` columns; 0 elsewhere) and
    of ``tau``, by the product loop in reverse: with ``w = v^H Q_{i+1}``,
    ``d tau_i = -<G, v w>``, ``d v = -tau_i (G w^H + Q_{i+1} G^H v)``, ``G <- H_i^H G``."""
    xp = _householder_operands("linalg.householder_product", A, tau)
    check_grad("linalg_householder_product_backward", grad_output, A.shape, A.dtype, A, tau)
    steps = _householder_steps(A, tau)
    G = grad_output
    grad_A, grad_tau = [], []
    for i in range(tau.shape[-1]):
        v, scale = _reflector(xp, A, i), tau[..., i, None, None]
        w, vG = mT(v) @ steps[i + 1], mT(v) @ G  # (*, 1, n)
        grad_tau.append(-(vG * w).sum(axis=(-2, -1)))
        dv = -scale * (G @ mT(w) + steps[i + 1] @ mT(vG))  # (*, m, 1)
        below = xp.asarray((numpy.arange(A.shape[-2]) > i).astype(A.dtype))
        grad_A.append(dv[..., 0] * below)
        G = G - scale * (v @ vG)
    zeros = [xp.zeros(A.shape[:-1], dtype=A.dtype)] * (A.shape[-1] - tau.shape[-1])
    grad_A = xp.stack(grad_A + zeros, axis=-1) if A.shape[-1] else xp.zeros_like(A)
    grad_tau = xp.stack(grad_tau, axis=-1) if grad_tau else xp.zeros_like(tau)
    return grad_A, grad_tau


_matrix_exp = Function(linalg_matrix_exp, linalg_matrix_exp_backward, wrt=("A",))
_householder_product = Function(
    linalg_householder_product, linalg_householder_product_backward, wrt=("A", "tau")
)


def matrix_exp(A) -> Tensor:
    """``torch.linalg.matrix_exp``: the exponential of each matrix of ``A`` ``(*, n, n)``.

    Args:
        A: a float32/float64 Tensor or backend array ``(*, n, n)``.

    Returns:
        ``exp(A)``, of ``A``'s shape and dtype.

    Raises:
        TypeError: a non-float dtype. ArgumentError: not square, or under 2 dimensions.
    """
    return _matrix_exp(A)


def householder_product(A, tau) -> Tensor:
    """``torch.linalg.householder_product``: the first ``n`` columns of the product of the
    ``k`` Householder reflectors stored in ``A`` ``(*, m, n)`` (below the diagonal) and ``tau``
    ``(*, k)``, ``k <= n <= m`` (as LAPACK's ``orgqr``).

    Raises:
        TypeError: non-float or different dtypes. ArgumentError: shapes as above.
    """
    return _householder_product(A, tau)


def multi_dot(tensors) -> Tensor:
    """``torch.linalg.multi_dot``: the product of two or more matrices, the first and last
    of which may be vectors (a row and a column vector, left out of the result's shape),
    multiplied in the cheapest order, as PyTorch's.

    Args:
        tensors: a sequence of Tensors (or backend arrays) of one dtype: the first and the
            last 1-D or 2-D, the others 2-D, with sizes that chain.

    Returns:
        The product, 2-D, 1-D or 0-d (``(m, p)`` less the dims of vectors at the ends).

    Raises:
        TypeError: ``tensors`` not a list or tuple of Tensors.
        ArgumentError: fewer than 2 tensors, other dims, sizes or dtypes that do not fit.

    Example:
        >>> import xpnet
        >>> a, b = xpnet.ones(2, 3), xpnet.ones(3, 4)
        >>> multi_dot([a, b, xpnet.ones(4)]).tolist()
        [12.0, 12.0]
    """
    where = "linalg.multi_dot"
    if not isinstance(tensors, list | tuple):  # a Tensor iterates: PyTorch's parser refuses it
        raise TypeError(f"{where}: tensors must be a sequence of Tensors, got {describe(tensors)}")
    for i, tensor in enumerate(tensors):
        check_tensor(where, f"tensors[{i}]", tensor)
    tensors = [as_tensor(t) for t in tensors]
    count = len(tensors)
    if count < 2:
        raise ArgumentError(f"{where}: expected at least 2 tensors but got {count}")
    for i, tensor in enumerate(tensors):
        ends = i in (0, count - 1)
        if tensor.ndim != 2 and not (ends and tensor.ndim == 1):
            which = ("the first tensor", "the last tensor")[i > 0] if ends else f"tensor {i}"
            expected = "1D or 2D" if ends else "2D"
            raise ArgumentError(f"{where}: {which} must be {expected}, got {tensor.ndim}D")
    if len({t.dtype for t in tensors}) > 1:
        dtypes = ", ".join(str(t.dtype) for t in tensors)
        raise ArgumentError(f"{where}: all tensors must have one dtype, got {dtypes}")
    first, last = tensors[0], tensors[-1]
    matrices = [first.reshape(1, -1) if first.ndim == 1 else first, *tensors[1:-1]]
    matrices.append(last.reshape(-1, 1) if last.ndim == 1 else last)
    for i in range(count - 1):
        if matrices[i].shape[1] != matrices[i + 1].shape[0]:
            shapes = f"{tensors[i].shape} and {tensors[i + 1].shape}"
            raise ArgumentError(
                f"{where}: tensors {i} and {i + 1} of shapes {shapes} cannot be multiplied"
            )
    sizes = [m.shape[0] for m in matrices] + [matrices[-1].shape[1]]
    result = _chained(matrices, _chain_splits(sizes), 0, count - 1)
    return result.reshape(result.shape[first.ndim == 1 : 2 if last.ndim == 2 else 1])


def _chain_splits(sizes: list) -> dict:
    """PyTorch's order for the product of matrices ``sizes[i] x sizes[i + 1]``: for each
    ``(i, j)``, the last matrix of the left factor (the cheapest; ties: the first, but for
    three matrices ``(AB)C``, as PyTorch's)."""
    count = len(sizes) - 1
    cost, split = {(i, i): 0 for i in range(count)}, {}
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            options = [
                (cost[i, k] + cost[k + 1, j] + sizes[i] * sizes[k + 1] * sizes[j + 1], k)
                for k in range(i, j)
            ]
            best = min(options)  # the cheapest, the first split of equal cost
            if count == 3 and length == 2 and options[0][0] == options[1][0]:
                best = options[1]  # (AB)C
            cost[i, j], split[i, j] = best
    return split


def _chained(matrices: list, split: dict, i: int, j: int) -> Tensor:
    if i == j:
        return matrices[i]
    k = split[i, j]
    return _chained(matrices, split, i, k) @ _chained(matrices, split, k + 1, j)
