"""Instance normalisation and its backward function, built on batch normalisation.

As in PyTorch (``torch.nn.functional.instance_norm``), the input (N, C, *) is viewed as one
sample of N * C channels, (1, N * C, S), and handed to :func:`.batch_norm` with the per-channel
parameters and running statistics repeated N times; the running statistics are then the
mean of the N updated copies. So each (sample, channel) plane is normalised by its own mean
and biased variance, with batch norm's stable float64 statistics and closed-form backward.
"""

from __future__ import annotations

import math
import numbers

from ._checks import ArgumentError, array_backend, check_shapes, kernel, require_arrays
from .batch_norm import normalize_batch, normalize_batch_backward

__all__ = ["instance_norm", "instance_norm_backward"]


def _check(where, input, running_mean, running_var, weight, bias, use_input_stats):
    """``(xp, N, C, S)`` after the checks, with instance norm's own messages."""
    require_arrays(where, input=input)
    backend = array_backend(
        where,
        input=input,
        running_mean=running_mean,
        running_var=running_var,
        weight=weight,
        bias=bias,
    )
    if input.ndim < 2:
        msg = f"{where}: input must have at least 2 dimensions (N, C, *), got shape {input.shape}"
        raise ArgumentError(msg)
    N, C = input.shape[:2]
    S = math.prod(input.shape[2:])
    check_shapes(
        where, (C,), running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    if (running_mean is None) != (running_var is None):
        msg = f"{where}: running_mean and running_var must be given together or not at all"
        raise ArgumentError(msg)
    if use_input_stats and S == 1:
        msg = (
            f"{where}: expected more than 1 spatial element when use_input_stats=True, "
            f"got input size {input.shape}"
        )
        raise ArgumentError(msg)
    if not use_input_stats and running_mean is None:
        msg = (
            f"{where}: running_mean and running_var are required when use_input_stats=False, "
            "got None"
        )
        raise ArgumentError(msg)
    return backend.xp, N, C, S


def _check_momentum(where, momentum):
    """TypeError for a ``momentum`` that is no number (``None``, a string), as PyTorch's
    argument parser; a bool or a 0-d tensor passes, as there. (Batch norm's running update
    would fail on it in a bare ``1.0 - momentum``, naming neither function nor argument.)"""
    if isinstance(momentum, numbers.Real):
        return
    if getattr(momentum, "ndim", None) == 0 and getattr(momentum.dtype, "kind", "") in "biuf":
        return
    msg = f"{where}: momentum must be a number, got {type(momentum).__name__} {momentum!r}"
    raise TypeError(msg)


def _repeat(xp, array, N):
    """A (C,) array repeated for every sample, (N * C,), a new array (None stays None)."""
    return None if array is None else xp.tile(array, N)


@kernel
def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    return_stats: bool = False,
):
    r"""Normalise each channel of each sample by its own statistics over the spatial axes.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the mean and biased variance
    of each (sample, channel) plane (Ulyanov et al., "Instance Normalization", 2016). With
    ``use_input_stats`` and running statistics given, these are updated **in place**:
    ``running = (1 - momentum) * running + momentum * mean_over_N(plane stats)``, the
    variance unbiased. Without ``use_input_stats`` the running statistics normalise.

    Args:
        input: array of shape (N, C, *): (N, C, L), (N, C, H, W), (N, C, D, H, W), ...
        running_mean, running_var: (C,) arrays or ``None``; required without
            ``use_input_stats``. Default: ``None``.
        weight, bias: (C,) scale and shift, or ``None``. Default: ``None``.
        use_input_stats: normalise by each plane's statistics. Default: ``True``.
        momentum: weight of the new statistics in the running update. Default: 0.1.
        eps: added to the variance inside the square root. Default: 1e-5.
        return_stats: also return the float64 (N * C,) ``(save_mean, save_invstd)`` that
            :func:`instance_norm_backward` accepts. Default: ``False``.

    Returns:
        Array of the shape and dtype of ``input`` (or ``(output, save_mean, save_invstd)``).

    Raises:
        ValueError: fewer than 2 dimensions, one spatial element with ``use_input_stats``,
            bad parameter shapes, missing running statistics without ``use_input_stats``.
        TypeError: a non-float input, mixed dtypes or backends, an ``eps`` or a ``momentum``
            that is not a number (any number is accepted, as in PyTorch).

    Example:
        >>> instance_norm(xp.asarray([[[1.0, 3.0], [0.0, 10.0]]]))
        array([[[-0.999995 ,  0.999995 ],
                [-0.9999998,  0.9999998]]])
    """
    _check_momentum("instance_norm", momentum)
    xp, N, C, S = _check(
        "instance_norm", input, running_mean, running_var, weight, bias, use_input_stats
    )
    mean, var = _repeat(xp, running_mean, N), _repeat(xp, running_var, N)
    result = normalize_batch(
        "instance_norm",
        input.reshape(1, N * C, S),
        (mean, var, _repeat(xp, weight, N), _repeat(xp, bias, N)),
        use_input_stats,
        momentum,
        eps,
        return_stats,
        any_eps=True,  # PyTorch's instance_norm accepts any eps
    )
    if use_input_stats and running_mean is not None and N:
        running_mean[...] = xp.mean(mean.reshape(N, C), axis=0)
        running_var[...] = xp.mean(var.reshape(N, C), axis=0)
    if return_stats:
        output, save_mean, save_invstd = result
        return output.reshape(*input.shape), save_mean, save_invstd
    return result.reshape(*input.shape)


@kernel
def instance_norm_backward(
    grad_output,
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    save_mean=None,
    save_invstd=None,
):
    """Gradients of :func:`instance_norm`: ``(grad_input, grad_weight, grad_bias)``.

    :func:`batch_norm_backward` on the (1, N * C, S) view (closed form through each plane's
    statistics, or through the affine map alone without ``use_input_stats``); the weight and
    bias gradients are summed over the samples. Running statistics are read, never updated.
    """
    where = "instance_norm_backward"
    xp, N, C, S = _check(where, input, running_mean, running_var, weight, bias, use_input_stats)
    stats = (None, None) if use_input_stats else (running_mean, running_var)
    grad_input, grad_weight, grad_bias = normalize_batch_backward(
        where,
        _view(where, grad_output, input, N * C, S),
        input.reshape(1, N * C, S),
        tuple(_repeat(xp, s, N) for s in (*stats, weight, bias)),
        use_input_stats,
        eps,
        (save_mean, save_invstd),
        any_eps=True,
    )
    grad_weight, grad_bias = (
        None if g is None else xp.sum(g.reshape(N, C), axis=0) for g in (grad_weight, grad_bias)
    )
    return grad_input.reshape(*input.shape), grad_weight, grad_bias


def _view(where, grad_output, input, channels, S):
    """``grad_output`` as (1, N * C, S), after checking it has the input's shape."""
    if grad_output is None or not hasattr(grad_output, "shape"):
        msg = f"{where}: grad_output must be an array, got {type(grad_output).__name__}"
        raise TypeError(msg)
    if tuple(grad_output.shape) != tuple(input.shape):
        msg = (
            f"{where}: grad_output must have the shape of input {tuple(input.shape)}, "
            f"got {tuple(grad_output.shape)}"
        )
        raise ArgumentError(msg)
    return grad_output.reshape(1, channels, S)
