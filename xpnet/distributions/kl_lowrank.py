"""The KL divergences torch's ``kl.py`` registers for :class:`LowRankMultivariateNormal`, with
itself and with :class:`MultivariateNormal` both ways, as the table :data:`KL_PAIRS`, which
:mod:`~xpnet.distributions.kl` registers. The traces of ``Sigma_q^{-1} Sigma_p`` are expanded
through the Woodbury identity, so only the rank-``m`` capacitance matrices are factored."""

from __future__ import annotations

from .. import linalg
from .._torch_aliases import broadcast_shapes
from .lowrank_multivariate_normal import (
    LowRankMultivariateNormal,
    lowrank_logdet,
    lowrank_mahalanobis,
)
from .multivariate_normal import MultivariateNormal, batch_mahalanobis

__all__ = ["KL_PAIRS"]


def _trace_XXT(X):
    """``trace(X X^T)`` of the batch of matrices ``X``: the sum of their squared entries."""
    return X.pow(2).sum(-1).sum(-1)


def _check_events(p, q, what: str) -> None:
    if p.event_shape != q.event_shape:
        msg = (
            f"KL-divergence between two {what} with different event shapes cannot be computed, "
            f"got {p.event_shape} and {q.event_shape}"
        )
        raise ValueError(msg)


def _logdet(d):
    return lowrank_logdet(
        d._unbroadcasted_cov_factor, d._unbroadcasted_cov_diag, d._capacitance_tril
    )


def _mahalanobis(q, x):
    W, D = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    return lowrank_mahalanobis(W, D, x, q._capacitance_tril)


def _woodbury_A(q):
    """``A = C^{-1/2} W^T D^{-1}`` of ``q``, with ``Sigma_q^{-1} = D^{-1} - A^T A``."""
    Wt_Dinv = q._unbroadcasted_cov_factor.mT / q._unbroadcasted_cov_diag.unsqueeze(-2)
    return linalg.solve_triangular(q._capacitance_tril, Wt_Dinv, upper=False)


def _kl_lowrank_lowrank(p, q):
    _check_events(p, q, "Low Rank Multivariate Normals")
    term1 = _logdet(q) - _logdet(p)
    term3 = _mahalanobis(q, q.loc - p.loc)
    # Sigma_q^{-1} Sigma_p = (D_q^{-1} - A^T A)(D_p + W_p W_p^T), traced term by term
    pW, pD, qD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag, q._unbroadcasted_cov_diag
    A = _woodbury_A(q)
    term21 = (pD / qD).sum(-1)
    term22 = _trace_XXT(pW * qD.rsqrt().unsqueeze(-1))
    term23 = _trace_XXT(A * pD.sqrt().unsqueeze(-2))
    term24 = _trace_XXT(A @ pW)
    return 0.5 * (term1 + term21 + term22 - term23 - term24 + term3 - p.event_shape[0])


def _kl_multivariatenormal_lowrank(p, q):
    _check_events(p, q, "(Low Rank) Multivariate Normals")
    p_tril = p._unbroadcasted_scale_tril
    term1 = _logdet(q) - 2 * p_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    term3 = _mahalanobis(q, q.loc - p.loc)
    # Sigma_q^{-1} Sigma_p = (D_q^{-1} - A^T A) L_p L_p^T
    term21 = _trace_XXT(p_tril * q._unbroadcasted_cov_diag.rsqrt().unsqueeze(-1))
    term22 = _trace_XXT(_woodbury_A(q) @ p_tril)
    return 0.5 * (term1 + term21 - term22 + term3 - p.event_shape[0])


def _kl_lowrank_multivariatenormal(p, q):
    _check_events(p, q, "(Low Rank) Multivariate Normals")
    q_tril = q._unbroadcasted_scale_tril
    term1 = 2 * q_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) - _logdet(p)
    term3 = batch_mahalanobis(q_tril, q.loc - p.loc)
    # Sigma_q^{-1} Sigma_p = (L_q L_q^T)^{-1} (W_p W_p^T + D_p): two triangular solves
    shape = tuple(
        broadcast_shapes(tuple(q_tril.shape[:-2]), tuple(p._unbroadcasted_cov_factor.shape[:-2]))
    )
    n, m = p.event_shape[0], p.cov_factor.shape[-1]
    q_tril = q_tril.expand(shape + (n, n))
    p_cov_factor = p._unbroadcasted_cov_factor.expand(shape + (n, m))
    p_cov_diag = p._unbroadcasted_cov_diag.sqrt().diag_embed().expand(shape + (n, n))
    term21 = _trace_XXT(linalg.solve_triangular(q_tril, p_cov_factor, upper=False))
    term22 = _trace_XXT(linalg.solve_triangular(q_tril, p_cov_diag, upper=False))
    return 0.5 * (term1 + term21 + term22 + term3 - p.event_shape[0])


KL_PAIRS = {
    (LowRankMultivariateNormal, LowRankMultivariateNormal): _kl_lowrank_lowrank,
    (MultivariateNormal, LowRankMultivariateNormal): _kl_multivariatenormal_lowrank,
    (LowRankMultivariateNormal, MultivariateNormal): _kl_lowrank_multivariatenormal,
}
