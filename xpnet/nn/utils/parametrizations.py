"""PyTorch's ``torch.nn.utils.parametrizations``: :func:`weight_norm` and :func:`spectral_norm`.

Both register a module with :func:`xpnet.nn.utils.parametrize.register_parametrization`, so
the state_dict keys are PyTorch's (``parametrizations.weight.original0``/``original1`` for
weight norm; ``parametrizations.weight.original`` and ``parametrizations.weight.0._u``/``_v``
for spectral norm). The hook-based forms of older PyTorch are in
:mod:`xpnet.nn.utils.weight_norm`; ``orthogonal`` is in :mod:`xpnet.nn.utils.orthogonal`.
"""

from __future__ import annotations

from collections import OrderedDict

from ..._random_tensors import randn
from ...autograd import Tensor, data_of
from ...backends import backend_of, to_backend
from ...kernels import normalize
from ..conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..functional import normalize as normalize_tensor
from ..module import Module
from . import parametrize
from ._parametrization_list import is_tensor_like
from .orthogonal import orthogonal

__all__ = ["norm_except_dim", "orthogonal", "spectral_norm", "weight_norm"]


def norm_except_dim(v, pow: float = 2, dim: int = 0) -> Tensor:
    """PyTorch's ``torch.norm_except_dim``: the ``pow``-norm of ``v`` over every dimension but
    ``dim``, keeping them as size 1; ``dim=-1`` means the norm of the whole tensor (0-d).

    Raises:
        IndexError: ``dim`` out of range.
    """
    if dim == -1:
        return v.norm(pow)
    if not -v.ndim <= dim < v.ndim:
        msg = (
            f"Dimension out of range (expected to be in range of [{-v.ndim}, {v.ndim - 1}], "
            f"but got {dim})"
        )
        raise IndexError(msg)
    others = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    if not others:  # one vector: each norm is of one element (``dim=()`` would mean all)
        return v.abs()
    return v.norm(pow, dim=others, keepdim=True)


def weight_norm_of(v, g, dim: int) -> Tensor:
    """PyTorch's ``torch._weight_norm``: ``v * (g / norm_except_dim(v, 2, dim))``."""
    return v * (g / norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_norm_of(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(Tensor(data_of(weight)), 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||``, the norm over every dimension but
    ``dim``: ``original0`` is the magnitude ``g``, ``original1`` the direction ``v``.

    Args:
        module: the module.
        name: the parameter's name. Default: ``"weight"``.
        dim: the dimension that keeps its own norms; ``None`` for one norm of the whole
            tensor. Default: ``0``.

    Returns:
        ``module``, with the parametrization registered; its ``load_state_dict`` also takes
        the keys of the hook form (``weight_g``, ``weight_v``), as PyTorch's.

    Example:
        >>> import xpnet
        >>> layer = weight_norm(xpnet.nn.Linear(4, 3))
        >>> layer.parametrizations.weight.original0.shape
        (3, 1)
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict: dict, prefix: str) -> None:
        # PyTorch's: the hook form's ``weight_g``/``weight_v`` load as the two originals
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    hooks = module.__dict__.setdefault("_load_state_dict_pre_hooks", OrderedDict())
    hooks[f"weight_norm_compat.{name}"] = _weight_norm_compat_hook
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            msg = (
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] "
                f"but got {dim})"
            )
            raise IndexError(msg)
        if n_power_iterations <= 0:
            msg = (
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
            raise ValueError(msg)
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(data_of(weight))
            h, w = weight_mat.shape
            # PyTorch draws normal_(0, 1) from its generator; xpnet draws from its own
            u, v = (normal_like(weight_mat, size) for size in (h, w))
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        weight = backend_of(weight).xp.moveaxis(weight, self.dim, 0)
        return weight.reshape(weight.shape[0], -1)  # (out, in * k...)

    def _power_method(self, weight_mat, n_power_iterations: int) -> None:
        """PyTorch's update of ``_u`` and ``_v`` in place, on arrays (no graph)."""
        xp = backend_of(weight_mat).xp
        for _ in range(n_power_iterations):
            self._u[...] = normalize(xp.matmul(weight_mat, self._v), dim=0, eps=self.eps)
            self._v[...] = normalize(xp.matmul(weight_mat.T, self._u), dim=0, eps=self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize_tensor(weight, dim=0, eps=self.eps)
        if self.training:
            self._power_method(
                self._reshape_weight_to_matrix(data_of(weight)), self.n_power_iterations
            )
        return divided_by_sigma(weight, weight_matrix(weight, self.dim), self._u, self._v)

    def right_inverse(self, value):
        return value


def weight_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` as a (weight.shape[dim], everything else) matrix, ``dim`` moved first, as
    PyTorch's spectral norms flatten it (a differentiable view)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.reshape(weight.shape[0], -1)


def divided_by_sigma(weight: Tensor, weight_mat: Tensor, u, v) -> Tensor:
    """``weight / (u . weight_mat v)``: the power iteration's estimate of the largest
    singular value, with copies of the buffers ``u``, ``v`` (no gradient, as PyTorch's)."""
    sigma = (Tensor(u.copy()) * (weight_mat @ Tensor(v.copy()))).sum()
    return weight / sigma


def normal_like(array, size: int):
    """``size`` standard normal draws on ``array``'s backend, in its dtype."""
    host = randn(size, dtype=array.dtype, device="numpy").array
    return to_backend(host, backend_of(array).name)


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its largest singular value, estimated by power iteration.

    The weight is seen as a matrix with ``dim`` first. In training mode every access runs
    ``n_power_iterations`` steps that update the buffers ``_u`` and ``_v`` in place; in
    evaluation mode they are used as they are. Registration runs 15 steps from random
    vectors, as PyTorch (drawn from xpnet's generator, so they differ from PyTorch's). A
    weight that is already parametrized (``orthogonal``, ...) gets spectral norm chained on.

    Args:
        module: the module.
        name: the parameter's name. Default: ``"weight"``.
        n_power_iterations: steps per access in training. Default: ``1``.
        eps: the floor of the norms in the normalisations. Default: ``1e-12``.
        dim: the dimension of the output features; Default: ``1`` for transposed
            convolutions, else ``0``.

    Returns:
        ``module``, with the parametrization registered.

    Raises:
        ValueError: no parameter, buffer or parametrized tensor ``name``, or
            ``n_power_iterations <= 0``.
        IndexError: ``dim`` out of range.

    Example:
        >>> import xpnet
        >>> layer = spectral_norm(xpnet.nn.Linear(4, 3))
        >>> list(layer.state_dict())[1:3]
        ['parametrizations.weight.original', 'parametrizations.weight.0._u']
    """
    # PyTorch's getattr: a weight already parametrized (orthogonal, ...) is chained on
    weight = getattr(module, name, None)
    if not is_tensor_like(weight):
        msg = f"Module '{module}' has no parameter or buffer with name '{name}'"
        raise ValueError(msg)
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    parametrization = _SpectralNorm(weight, n_power_iterations, dim, eps)
    parametrize.register_parametrization(module, name, parametrization)
    return module
