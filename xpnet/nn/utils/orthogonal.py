"""PyTorch's ``torch.nn.utils.parametrizations.orthogonal``: an orthogonal weight.

The weight ``Q`` (a matrix or a batch ``(*, m, n)``) is a function of ``original``: the matrix
exponential or the Cayley map of a skew-symmetric matrix, or a product of Householder
reflectors (:mod:`xpnet.linalg`); with ``use_trivialization`` (PyTorch's default) a buffer
``base`` multiplies it on the left. State_dict keys, initial values, ``right_inverse`` and the
forward are PyTorch's ``_Orthogonal``; :mod:`xpnet.nn.utils.parametrizations` exports it with
``weight_norm`` and ``spectral_norm``.
"""

from __future__ import annotations

import numpy

from ..._random_tensors import randn
from ..._tensor_join import cat
from ...autograd import Tensor, data_of
from ...backends import backend_of
from ...linalg._checks import mT
from ...linalg.inverses import solve
from ...linalg.matrix_functions import householder_product, matrix_exp
from ..module import Module
from . import parametrize
from ._parametrization_list import is_tensor_like

__all__ = ["orthogonal"]

MAPS = ("matrix_exp", "cayley", "householder")


def _triangle(X: Tensor, diagonal: int) -> Tensor:
    """``X.tril(diagonal)`` as a product with a constant mask (its gradient is the mask's)."""
    xp = backend_of(X.array).xp
    mask = xp.tril(xp.ones(X.shape[-2:], dtype=X.dtype), diagonal)
    return X * Tensor(mask)


def _make_orthogonal(A):
    """PyTorch's ``_make_orthogonal``: the Q of ``A``'s QR with the signs of R's diagonal."""
    xp = backend_of(A).xp
    Q, R = xp.linalg.qr(A)
    return Q * xp.sign(xp.diagonal(R, axis1=-2, axis2=-1))[..., None, :]


def _is_orthogonal(Q) -> bool:
    """PyTorch's ``_is_orthogonal``: ``allclose(Q^H Q, I, atol=10 n eps)`` (its default
    ``rtol=1e-5`` too; true for no matrices or empty ones, where a ``max`` would have nothing
    to reduce). A host read: only in ``right_inverse``."""
    backend = backend_of(Q)
    n, k = Q.shape[-2:]
    eps = 10 * n * numpy.finfo(Q.dtype).eps
    identity = backend.xp.eye(k, dtype=Q.dtype)
    close = backend.xp.abs(mT(Q) @ Q - identity) <= eps + 1e-5 * identity
    return bool(backend.to_host(close.all()))


class _Orthogonal(Module):  # PyTorch's class name: it shows in the module's repr
    """The parametrization: ``forward(original)`` is the orthogonal weight."""

    def __init__(self, weight, orthogonal_map: str, *, use_trivialization: bool = True):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n
        xp = backend_of(X.array).xp
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = _triangle(X, 0)
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)
            else:
                eye = Tensor(xp.eye(n, dtype=X.dtype))
                Q = solve(eye + A * -0.5, eye + A * 0.5)
            if n != k:
                Q = Q[..., :k]
        else:
            A = _triangle(X, -1)
            tau = 2.0 / ((A * A).sum(dim=-2) + 1.0)
            Q = householder_product(A, tau)
            signs = xp.trunc(xp.diagonal(X.array, axis1=-2, axis2=-1))  # X.diagonal().int()
            Q = Q * Tensor(signs[..., None, :])
        if hasattr(self, "base"):
            Q = Tensor(self.base) @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q):
        """PyTorch's: with a ``base``, ``Q`` (orthogonalised by QR if it is not orthogonal,
        completed by random columns if not square) becomes ``base`` and the original is
        ``-I``; without, the Householder form of ``Q``'s QR (``geqrf``)."""
        Q = data_of(Q)
        if tuple(Q.shape) != self.shape:
            msg = (
                f"Expected a matrix or batch of matrices of shape {self.shape}. "
                f"Got a tensor of shape {tuple(Q.shape)}."
            )
            raise ValueError(msg)
        xp = backend_of(Q).xp
        n, k = Q.shape[-2:]
        transpose = n < k
        if transpose:
            Q, n, k = mT(Q), k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map != "householder":
                msg = (
                    "It is not possible to assign to the matrix exponential "
                    "or the Cayley parametrizations when use_trivialization=False."
                )
                raise NotImplementedError(msg)
            return Tensor(_householder_form(Q, transpose))
        if n == k:
            Q = Q.copy() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            extra = randn(*(Q.shape[:-2] + (n, n - k)), dtype=Q.dtype).array
            Q = _make_orthogonal(xp.concatenate([Q, xp.asarray(extra)], axis=-1))
        self.base = Q  # a buffer: a plain array, as xpnet's buffers are
        neg_eye = -xp.eye(self.shape[-2], self.shape[-1], dtype=Q.dtype)
        return Tensor(xp.broadcast_to(neg_eye, self.shape).copy())


def _householder_form(Q, transpose: bool):
    """``geqrf(Q)``'s reflectors, the diagonal set to the signs of R's (flipped where tau is
    0), as PyTorch's ``right_inverse`` without trivialization."""
    xp = backend_of(Q).xp
    h, tau = xp.linalg.qr(Q, mode="raw")  # h: geqrf's output, transposed (LAPACK's order)
    A = mT(h).copy()
    n = A.shape[-1]
    diagonal = xp.sign(xp.diagonal(A, axis1=-2, axis2=-1))
    diagonal = xp.where(tau == 0.0, -diagonal, diagonal)
    eye = xp.eye(A.shape[-2], n, dtype=A.dtype)
    A = A * (1 - eye) + eye * diagonal[..., None, :]
    return mT(A) if transpose else A


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Make ``module.<name>`` orthogonal (``Q^H Q = I`` if ``m >= n``, else ``Q Q^H = I``),
    as ``torch.nn.utils.parametrizations.orthogonal``.

    Args:
        module: the module; ``name`` (default ``"weight"``) is a matrix or batch ``(*, m, n)``.
        orthogonal_map: ``"matrix_exp"``, ``"cayley"`` or ``"householder"``. Default:
            ``"matrix_exp"`` for square matrices, ``"householder"`` otherwise.
        use_trivialization: keep a ``base`` buffer that multiplies the map (PyTorch's
            dynamic trivialization). Default: ``True``.

    Returns:
        ``module``, with ``parametrizations.<name>.original`` (and ``...0.base``) in its
        state_dict, as PyTorch's.

    Raises:
        ValueError: no such tensor, fewer than 2 dimensions, or an unknown map.

    The initial weight is the original one if orthogonal, else its QR's ``Q``; a non-square
    one is completed with random columns drawn from xpnet's generator (so not PyTorch's
    values). On CuPy the ``"matrix_exp"`` map reads its number of squarings on the host.

    Example:
        >>> import xpnet
        >>> layer = orthogonal(xpnet.nn.Linear(3, 3))
        >>> W = layer.weight.array
        >>> bool(np.allclose(W @ W.T, np.eye(3), atol=1e-6))
        True
    """
    weight = getattr(module, name, None)
    if not is_tensor_like(weight):  # a Tensor, or a buffer (an array), as PyTorch's
        msg = f"Module '{module}' has no parameter or buffer with name '{name}'"
        raise ValueError(msg)
    if weight.ndim < 2:
        msg = f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        raise ValueError(msg)
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square else "householder"
    if orthogonal_map not in MAPS:
        msg = (
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
        raise ValueError(msg)
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
