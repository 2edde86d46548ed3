"""The LKJ distribution of Cholesky factors of correlation matrices, :class:`LKJCholesky`, as
``torch.distributions``' (which follows NumPyro): drawn by the onion method of Lewandowski,
Kurowicka and Joe (2009), section 3."""

from __future__ import annotations

import math

from .._creation import zeros
from .._random_tensors import randn
from .._ranges import arange
from .._tensor_elementwise import lgamma, mvlgamma
from .._tensor_join import cat
from .._torch_aliases import finfo
from . import constraints
from .distribution import Distribution
from .gamma import Beta
from .utils import broadcast_all, device_of

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    r"""The LKJ distribution of lower Cholesky factors ``L`` of ``dim x dim`` correlation
    matrices :math:`M = L L^T`, with density proportional to :math:`\det(M)^{\eta - 1}`
    (``concentration`` :math:`\eta`; 1 is uniform over correlation matrices).

    Args:
        dim: the matrix size, at least 2.
        concentration: :math:`\eta`, a positive float or Tensor. Default: 1.
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: ``dim < 2`` (torch's message).

    Note:
        Draws follow the onion method of the paper (and NumPyro): every off-diagonal
        correlation has the LKJ marginal, ``(r + 1) / 2 ~ Beta(a, a)``,
        ``a = eta - 1 + dim / 2``. torch 2.13 draws rows 2 and below from other Beta
        variates (``i - 1/2`` where the paper has ``i / 2``), so its draws for ``dim > 2``
        are not LKJ-distributed; ``log_prob`` is torch's, which is the LKJ density. Draws take
        Beta variates, drawn on the host (a device sync on a GPU); no ``rsample``, as torch.

    Example:
        >>> import xpnet
        >>> d = LKJCholesky(2, xpnet.tensor(2.0, dtype=xpnet.float64))
        >>> L = xpnet.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=xpnet.float64)
        >>> d.log_prob(L)
        tensor(-0.7340, dtype=xpnet.float64)
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args: bool | None = None):
        if dim < 2:
            msg = f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}."
            raise ValueError(msg)
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        c = self.concentration
        # the onion method's Beta(i / 2, eta + (dim - 1 - i) / 2) for row i >= 1 (row 0 a
        # placeholder), as NumPyro's; torch 2.13 takes i - 1/2 for the first concentration
        offset = arange(dim - 1, dtype=c.dtype, device=device_of(c))
        offset = cat([zeros(1, dtype=c.dtype, device=device_of(c)), offset])  # 0, 0, 1, ...
        marginal_conc = c + 0.5 * (dim - 2)
        self._beta = Beta(0.5 * offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset)
        super().__init__(tuple(c.shape), (dim, dim), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(
            LKJCholesky,
            shape,
            dim=self.dim,
            concentration=self.concentration.expand(shape),
            _beta=self._beta.expand(shape + (self.dim,)),
        )

    def sample(self, sample_shape=()):
        y = self._beta.sample(sample_shape).unsqueeze(-1)  # (*, dim, 1)
        u_normal = randn(
            self._extended_shape(sample_shape), dtype=y.dtype, device=device_of(y)
        ).tril(-1)
        # rows 1.. uniform on their hyperspheres; row 0 is all zeros, and stays so
        tiny = finfo(y.dtype).tiny
        u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True).clamp(min=tiny)
        w = y.sqrt() * u_hypersphere
        diag_elems = (1 - w.pow(2).sum(-1)).clamp(min=tiny).sqrt()
        return w + diag_elems.diag_embed()

    def log_prob(self, value):
        # torch's, from the derivation in the LKJ paper: the density of L is that of M times
        # the Jacobian of M = L L^T, prod_i L_ii^(dim - i)
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = arange(2, self.dim + 1, dtype=value.dtype, device=device_of(value))
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = (order * diag_elems.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = lgamma(alpha) * dm1
        numerator = mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        return unnormalized_log_pdf - (pi_constant + numerator - denominator)
