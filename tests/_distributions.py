"""What the ``xpnet.distributions`` tests share: the library beside a tensor, random
parameters, and matrices a multivariate normal takes."""

from __future__ import annotations

import torch
from _oracle import random_input

import xpnet
import xpnet.distributions as xd


def ns(t):
    """The distributions module beside ``t``: torch's for torch tensors, else xpnet's."""
    return torch.distributions if isinstance(t, torch.Tensor) else xd


def spd(A):
    """A symmetric positive-definite matrix from ``A`` (either library): A A^T + I."""
    n = A.shape[-1]
    eye = (
        torch.eye(n, dtype=A.dtype) if isinstance(A, torch.Tensor) else xpnet.eye(n, dtype=A.dtype)
    )
    return A @ A.mT + eye


def tril(A):
    """A lower Cholesky factor from ``A``: its lower triangle with |diagonal| + 0.5."""
    return A.tril(-1) + (A.diagonal(dim1=-2, dim2=-1).abs() + 0.5).diag_embed()


def random_params(spec, seed=0):
    """Random parameters for ``spec``, a list of (shape, low, high), one seed each."""
    return [random_input(s, seed=seed + i, low=lo, high=hi) for i, (s, lo, hi) in enumerate(spec)]
