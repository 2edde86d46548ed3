"""PyTorch's hook-based ``torch.nn.utils.weight_norm`` and ``spectral_norm`` (and their
``remove_*``), kept by PyTorch for old code and checkpoints.

They register ``weight_g``/``weight_v`` (weight norm) or ``weight_orig`` with the buffers
``weight_u``/``weight_v`` (spectral norm) and recompute ``module.weight`` in a forward pre-hook.
New code uses :mod:`xpnet.nn.utils.parametrizations`, whose formulas these share.
"""

from __future__ import annotations

import warnings

from ...autograd import Tensor, data_of, no_grad
from ...backends import backend_of
from ...kernels import ArgumentError, normalize
from ..lazy import UninitializedParameter
from ..module import Module
from ..parameter import Parameter
from .parametrizations import (
    divided_by_sigma,
    norm_except_dim,
    normal_like,
    weight_matrix,
    weight_norm_of,
)

__all__ = ["remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]


class WeightNorm:
    """The forward pre-hook of :func:`weight_norm`: ``weight = g * v / ||v||``."""

    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, dim

    def compute_weight(self, module: Module) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return weight_norm_of(v, g, self.dim)

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        module.__dict__.pop(self.name, None)
        del module._parameters[self.name + "_g"], module._parameters[self.name + "_v"]
        module.register_parameter(self.name, Parameter(data_of(weight)))

    def __call__(self, module: Module, inputs) -> None:
        object.__setattr__(module, self.name, self.compute_weight(module))


class SpectralNorm:
    """The forward pre-hook of :func:`spectral_norm`: ``weight = weight_orig / sigma``."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float):
        if n_power_iterations <= 0:
            msg = (
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
            raise ValueError(msg)
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = module._buffers[self.name + "_u"], module._buffers[self.name + "_v"]
        weight_mat = weight_matrix(weight, self.dim)
        if do_power_iteration:  # PyTorch's order here: v first, then u
            matrix = data_of(weight_mat)
            xp = backend_of(matrix).xp
            for _ in range(self.n_power_iterations):
                v[...] = normalize(xp.matmul(matrix.T, u), dim=0, eps=self.eps)
                u[...] = normalize(xp.matmul(matrix, v), dim=0, eps=self.eps)
        return divided_by_sigma(weight, weight_mat, u, v)

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        module.__dict__.pop(self.name, None)
        for suffix in ("_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(data_of(weight)))

    def __call__(self, module: Module, inputs) -> None:
        weight = self.compute_weight(module, do_power_iteration=module.training)
        object.__setattr__(module, self.name, weight)


def _find_hook(module: Module, kind: type, name: str):
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            return key, hook
    return None, None


def _check_new(module: Module, kind: type, name: str) -> None:
    if _find_hook(module, kind, name)[1] is not None:
        label = "weight_norm" if kind is WeightNorm else "spectral_norm"
        msg = f"Cannot register two {label} hooks on the same parameter {name}"
        raise RuntimeError(msg)
    if isinstance(module._parameters.get(name), UninitializedParameter):
        what = "weight normalization" if kind is WeightNorm else "spectral normalization"
        msg = (
            f"The module passed to `{kind.__name__}` can't have uninitialized parameters. "
            f"Make sure to run the dummy forward before applying {what}"
        )
        raise ValueError(msg)


def _remove_hook(module: Module, kind: type, name: str, label: str) -> Module:
    _, hook = _find_hook(module, kind, name)
    if hook is None:
        msg = f"{label} of '{name}' not found in {module}"
        raise ValueError(msg)
    hook.remove(module)
    hook.handle.remove()
    return module


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """The deprecated hook form of weight normalisation: ``weight = g * v / ||v||``.

    Replaces the parameter ``name`` by ``name_g`` (the norms over every dimension but
    ``dim``; ``dim=None``: one norm of the whole tensor) and ``name_v``, and recomputes
    ``module.<name>`` before each forward. Warns ``FutureWarning``, as PyTorch.

    Args:
        module: the module.
        name: the parameter's name. Default: ``"weight"``.
        dim: the dimension that keeps its own norms. Default: ``0``.

    Returns:
        ``module``.

    Raises:
        RuntimeError: ``name`` has weight norm already.

    Example:
        >>> import xpnet, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     layer = weight_norm(xpnet.nn.Linear(4, 3))
        >>> list(layer.state_dict())
        ['bias', 'weight_g', 'weight_v']
    """
    msg = (
        "torch.nn.utils.weight_norm is deprecated in favor of "
        "torch.nn.utils.parametrizations.weight_norm."
    )
    warnings.warn(msg, FutureWarning, stacklevel=2)
    _check_new(module, WeightNorm, name)
    fn = WeightNorm(name, -1 if dim is None else dim)
    fn.handle = module.register_forward_pre_hook(fn)
    weight = data_of(getattr(module, name))
    del module._parameters[name]
    g = norm_except_dim(Tensor(weight), 2, fn.dim)
    module.register_parameter(name + "_g", Parameter(data_of(g)))
    module.register_parameter(name + "_v", Parameter(weight))
    object.__setattr__(module, name, fn.compute_weight(module))
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`weight_norm`: ``name`` is a Parameter again, with the current value.

    Raises:
        ValueError: ``name`` has no weight norm.
    """
    return _remove_hook(module, WeightNorm, name, "weight_norm")


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """The hook form of spectral normalisation: ``weight = weight_orig / sigma``.

    Registers ``name_orig`` and the buffers ``name_u``, ``name_v`` (random unit vectors from
    xpnet's generator; no power iterations at registration, as PyTorch's hook form), and
    before each forward in training runs ``n_power_iterations`` steps updating them in place.

    Args:
        module: the module.
        name: the parameter's name. Default: ``"weight"``.
        n_power_iterations: steps per forward in training. Default: ``1``.
        eps: the floor of the norms. Default: ``1e-12``.
        dim: the output dimension; Default: ``1`` for transposed convolutions, else ``0``.

    Returns:
        ``module``.

    Raises:
        ValueError: ``n_power_iterations <= 0`` or ``name`` is ``None``.
        RuntimeError: ``name`` has spectral norm already; ``dim`` negative or past the
            weight's dimensions (:class:`~xpnet.kernels.ArgumentError`, as PyTorch's).

    Example:
        >>> import xpnet
        >>> list(spectral_norm(xpnet.nn.Linear(4, 3)).state_dict())
        ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    if dim is None:
        dim = 1 if "ConvTranspose" in type(module).__name__ else 0
    _check_new(module, SpectralNorm, name)
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters.get(name)
    if weight is None:
        msg = f"`SpectralNorm` cannot be applied as parameter `{name}` is None"
        raise ValueError(msg)
    if not 0 <= dim < weight.ndim:  # PyTorch's permute refuses negative dims here too
        msg = (
            f"spectral_norm: dim must be in [0, {weight.ndim - 1}] for the {weight.ndim}-d "
            f"parameter '{name}' (the hook form takes no negative dim), got {dim}"
        )
        raise ArgumentError(msg)
    fn.handle = module.register_forward_pre_hook(fn)
    matrix = data_of(weight_matrix(weight, dim))
    h, w = matrix.shape
    u = normalize(normal_like(matrix, h), dim=0, eps=eps)
    v = normalize(normal_like(matrix, w), dim=0, eps=eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.array)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`spectral_norm`: ``name`` is a Parameter again, with the current value.

    Raises:
        ValueError: ``name`` has no spectral norm.
    """
    return _remove_hook(module, SpectralNorm, name, "spectral_norm")
