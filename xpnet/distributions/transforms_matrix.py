"""The transforms of ``torch.distributions.transforms`` onto matrices:
:class:`CorrCholeskyTransform` (vectors to Cholesky factors of correlation matrices, LKJ's
support), :class:`LowerCholeskyTransform` and :class:`PositiveDefiniteTransform`, with
torch's formulas, and the triangle packing helpers of ``torch.distributions.utils``
(:func:`vec_to_tril_matrix`, :func:`tril_matrix_to_vec`). All are Tensor operations, so
gradients flow through them."""

from __future__ import annotations

import math

import numpy

from .. import linalg
from .._creation import eye
from .._torch_aliases import finfo
from ..backends import backend_of
from ..nn.functional import pad, softplus
from . import constraints
from .transform import Transform
from .utils import device_of

__all__ = [
    "CorrCholeskyTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
    "tril_matrix_to_vec",
    "vec_to_tril_matrix",
]


def _tril_mask(n: int, diag: int) -> numpy.ndarray:
    """torch's ``arange < arange.view(-1, 1) + (diag + 1)``: the kept entries of an n x n
    matrix, True at (i, j) for j <= i + diag."""
    arange = numpy.arange(n)
    return arange < arange.reshape(-1, 1) + (diag + 1)


def _index_beside(tensor, index: numpy.ndarray):
    """The host index array ``index`` on ``tensor``'s backend (CuPy refuses host indices)."""
    return backend_of(tensor.array).xp.asarray(index)


def vec_to_tril_matrix(vec, diag: int = 0):
    """A batch of ``D x D`` lower-triangular matrices (below the ``diag``-th diagonal, zeros
    elsewhere) filled row by row from the vectors ``vec`` ``(*, N)``, as torch's.

    Raises:
        ValueError: ``N`` entries do not fill such a triangle (torch's message).

    Example:
        >>> import xpnet
        >>> vec_to_tril_matrix(xpnet.tensor([1.0, 2.0, 3.0]), diag=-1)
        tensor([[0., 0., 0.],
                [1., 0., 0.],
                [2., 3., 0.]])
    """
    size = vec.shape[-1]
    # the positive root of D^2 + (1 + 2 diag) D - |diag| (diag + 1) - 2 N = 0 (torch's)
    root = (
        -(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * size + 4 * abs(diag) * (diag + 1)) ** 0.5
    ) / 2
    if round(root) - root > finfo(vec.dtype).eps:
        msg = (
            f"The size of last dimension is {size} which cannot be expressed as "
            "the lower triangular part of a square D x D matrix."
        )
        raise ValueError(msg)
    n = round(root)
    mask = _tril_mask(n, diag).reshape(-1)
    # entry 0 of the padded vector is the zero every entry off the triangle gathers
    gather = numpy.zeros(n * n, dtype=numpy.int64)
    gather[mask] = numpy.arange(1, int(mask.sum()) + 1)
    padded = pad(vec, [1, 0])  # (*, N + 1)
    return padded[..., _index_beside(vec, gather)].reshape(tuple(vec.shape[:-1]) + (n, n))


def tril_matrix_to_vec(mat, diag: int = 0):
    """The entries of ``D x D`` matrices ``mat`` on and below the ``diag``-th diagonal, row by
    row, as vectors (torch's; the inverse of :func:`vec_to_tril_matrix`).

    Raises:
        ValueError: ``diag`` outside ``[-D, D - 1]`` (torch's message).

    Example:
        >>> import xpnet
        >>> tril_matrix_to_vec(xpnet.arange(9.0).reshape(3, 3), diag=-1)
        tensor([3., 6., 7.])
    """
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    positions = numpy.flatnonzero(_tril_mask(n, diag))
    flat = mat.reshape(tuple(mat.shape[:-2]) + (n * n,))
    return flat[..., _index_beside(mat, positions)]


def _too_few_dimensions(shape, ndim: int) -> None:
    if len(shape) < ndim:
        raise ValueError("Too few dimensions on input")


class CorrCholeskyTransform(Transform):
    r"""From ``D (D - 1) / 2`` reals onto the lower Cholesky factor of a ``D x D`` correlation
    matrix (positive diagonal, rows of unit length), as torch's: the vector fills the strict
    lower triangle row by row, :math:`r = \tanh(x)`, and each row goes through a signed stick
    breaking, :math:`y_{ij} = r_{ij} \sqrt{\prod_{k<j} (1 - r_{ik}^2)}`.
    ``log_abs_det_jacobian`` is that of ``x`` and the packed strict triangle of ``y`` (the two
    spaces have other dimensions), Stan's formula.

    Example:
        >>> import xpnet
        >>> t = CorrCholeskyTransform()
        >>> y = t(xpnet.tensor([0.5, -0.3, 0.8], dtype=xpnet.float64))
        >>> (y * y).sum(-1)
        tensor([1., 1., 1.], dtype=xpnet.float64)
    """

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        eps = finfo(x.dtype).eps
        r = vec_to_tril_matrix(x.tanh().clamp(min=-1 + eps, max=1 - eps), diag=-1)
        # y = sign(r) sqrt(r^2 prod(1 - r^2)) = r sqrt(prod(1 - r^2)) (torch's shortcut)
        z1m_cumprod_sqrt = (1 - r.pow(2)).sqrt().cumprod(-1)
        r = r + eye(r.shape[-1], dtype=r.dtype, device=device_of(r))  # a unit diagonal
        return r * pad(z1m_cumprod_sqrt[..., :-1], [1, 0], value=1)

    def _inverse(self, y):
        # inverse stick breaking: https://mc-stan.org/docs/2_18/reference-manual/
        # cholesky-factors-of-correlation-matrices-1.html
        y_cumsum = 1 - (y * y).cumsum(-1)
        y_cumsum_shifted = pad(y_cumsum[..., :-1], [1, 0], value=1)
        t = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(y_cumsum_shifted, diag=-1).sqrt()
        return (t.log1p() - (-t).log1p()) / 2  # atanh

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        y1m_cumsum = 1 - (y * y).cumsum(-1)
        # diag=-2 takes the cumulative sums shifted right by one, also for 2 x 2 (torch's)
        stick_breaking_logdet = 0.5 * tril_matrix_to_vec(y1m_cumsum, diag=-2).log().sum(-1)
        tanh_logdet = -2 * (x + softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_breaking_logdet + tanh_logdet

    def forward_shape(self, shape):
        _too_few_dimensions(shape, 1)
        N = shape[-1]
        D = round((0.25 + 2 * N) ** 0.5 + 0.5)
        if D * (D - 1) // 2 != N:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return tuple(shape[:-1]) + (D, D)

    def inverse_shape(self, shape):
        _too_few_dimensions(shape, 2)
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        D = shape[-1]
        return tuple(shape[:-2]) + (D * (D - 1) // 2,)


class LowerCholeskyTransform(Transform):
    """From square matrices onto lower-triangular ones with a positive diagonal: the strict
    lower triangle kept, the diagonal exponentiated (not bijective, as torch's).

    Example:
        >>> import xpnet
        >>> LowerCholeskyTransform()(xpnet.zeros(2, 2, dtype=xpnet.float64))
        tensor([[1., 0.],
                [0., 1.]], dtype=xpnet.float64)
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def __eq__(self, other):
        return isinstance(other, LowerCholeskyTransform)

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(Transform):
    """From square matrices onto positive-definite ones: ``L L^T`` of the
    :class:`LowerCholeskyTransform` ``L`` (not bijective, as torch's); the inverse goes through
    ``xpnet.linalg.cholesky``.

    Example:
        >>> import xpnet
        >>> PositiveDefiniteTransform()(xpnet.eye(2, dtype=xpnet.float64))
        tensor([[7.3891, 0.0000],
                [0.0000, 7.3891]], dtype=xpnet.float64)
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other):
        return isinstance(other, PositiveDefiniteTransform)

    def _call(self, x):
        L = LowerCholeskyTransform()(x)
        return L @ L.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(linalg.cholesky(y))
