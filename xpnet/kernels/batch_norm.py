"""Batch normalisation (training and evaluation) and its closed-form backward function.

The input ``(N, C, *)`` is viewed as (N, C, S), ``S`` the product of the spatial sizes, and
reduced over (0, 2). Statistics are stable in float32 and float16: they are centred on the
first sample's mean of each channel, rounded to the input's dtype (1/N of the cost of a full
first mean, see ``batch_moments``), and summed in float64 (``mean 1e4, std 1e-3`` in float32
stays exact to ~1e-7, where ``E[x^2] - E[x]^2`` loses it all). Every pass runs block by block
(see ``batch_blocks``), forward and backward in closed form with no normalised array; each
elementwise chain on a block, and each on the (C,) statistics, is one fused call (one
launch on CuPy: 9 for a float32 training forward, 8 for its backward).
"""

from __future__ import annotations

import functools
import math

from ..backends import backend_of
from ..backends._base import fused
from ._blocks import compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_number,
    check_saved,
    check_shapes,
    kernel,
    require_arrays,
)
from ._normalize import batch_moments, batch_norm_grads, mean_var, scale_shift

__all__ = ["batch_norm", "batch_norm_backward"]


class _BatchNormCall:
    """A validated batch-norm call: ``x`` is the input viewed as (N, C, S), compute dtype."""

    def __init__(
        self, where, input, running_mean, running_var, weight, bias, training, grad_output=None
    ):
        backward = where.endswith("_backward")
        require_arrays(where, input=input)
        self.backend = array_backend(
            where,
            input=input,
            running_mean=running_mean,
            running_var=running_var,
            weight=weight,
            bias=bias,
            grad_output=grad_output,
        )
        if input.ndim < 2:
            msg = (
                f"{where}: input must have at least 2 dimensions (N, C, *), got shape {input.shape}"
            )
            raise ArgumentError(msg)
        if backward:
            check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
        N, C = input.shape[:2]
        check_shapes(
            where,
            (C,),
            running_mean=running_mean,
            running_var=running_var,
            weight=weight,
            bias=bias,
        )
        if not training and (running_mean is None or running_var is None):
            msg = (
                f"{where}: running_mean and running_var are required when training=False, "
                f"got running_mean={type(running_mean).__name__}, "
                f"running_var={type(running_var).__name__}"
            )
            raise ArgumentError(msg)
        self.count = N * math.prod(input.shape[2:])  # values per channel
        self.C = C
        if training and self.count == 1:
            msg = (
                f"{where}: expected more than 1 value per channel when training, "
                f"got input size {input.shape}"
            )
            raise ArgumentError(msg)
        self.xp = xp = self.backend.xp
        self.dtype = compute_dtype(xp, input.dtype)
        self.shape = input.shape
        self.input_dtype = input.dtype
        S = math.prod(input.shape[2:])
        self.x = input.astype(self.dtype, copy=False).reshape(N, C, S)
        # the fused calls promote them to float64 (a cast of their own would be a launch)
        self.weight, self.bias = weight, bias

    def empty(self):
        """A new array of the input's shape in the compute dtype, and its (N, C, S) view."""
        array = self.xp.empty(self.shape, dtype=self.dtype)
        return array, array.reshape(*self.x.shape)

    def statistics(self, training, running_mean, running_var, eps, out, momentum=0.0):
        """``(shift, mean, inv_std, factor, offset, source)``: ``y = (source - shift) *
        factor + offset`` per channel, with float64 (C,) ``mean`` and ``inv_std``, and
        ``shift``, ``factor``, ``offset`` of x's dtype.

        Of the batch: ``out`` (N, C, S) gets x centred by ``shift`` (see ``batch_moments``),
        ``source`` is None, and the running statistics given are updated (in the same fused
        call). Else the running ones (zeros for an empty batch), ``shift`` the mean rounded
        to x's dtype and ``source`` x, still to be centred.
        """
        xp, backend = self.xp, self.backend
        weight, bias = self.weight, self.bias
        if training and self.count:
            shift, *sums = batch_moments(backend, self.x, out)
            unbias = self.count / (self.count - 1)
            # 1 - momentum here: CuPy's fuse computes scalar-only arithmetic in float16
            running = (running_mean, running_var, momentum, 1.0 - momentum, unbias)
            stats = fused(backend, _batch_chain(xp))(
                shift, *sums, self.count, eps, weight, bias, *running
            )
            return (shift, *stats, None)
        if running_mean is None or not self.count:
            running_mean = running_var = xp.zeros(self.C, dtype=xp.float64)
        # x - shift is exact near the mean; the rounding residual stays in float64
        shift = running_mean.astype(self.dtype, copy=False)
        stats = fused(backend, _fixed_chain(xp))(
            shift, running_mean, running_var, eps, weight, bias
        )
        return (shift, *stats, self.x)

    def grad(self, grad_output):
        """``grad_output`` as the (N, C, S) view in the compute dtype."""
        return grad_output.astype(self.dtype, copy=False).reshape(*self.x.shape)


@kernel
def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    return_stats: bool = False,
):
    r"""Normalise each channel by its batch (training) or running (evaluation) statistics.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel ``C``, with the biased
    variance of the batch over ``N`` and the spatial axes. In training, ``running_mean`` and
    ``running_var`` (when given) are updated **in place**:
    ``running = (1 - momentum) * running + momentum * batch``, with the unbiased variance
    ``var * n / (n - 1)``.

    Args:
        input: array of shape (N, C, *): (N, C), (N, C, L), (N, C, H, W), (N, C, D, H, W), ...
        running_mean: (C,) array or ``None``; required when ``training=False``.
        running_var: (C,) array or ``None``; required when ``training=False``.
        weight: (C,) scale, or ``None`` for 1. Default: ``None``.
        bias: (C,) shift, or ``None`` for 0. Default: ``None``.
        training: use batch statistics and update the running ones. Default: ``False``.
        momentum: weight of the batch in the running update. Default: 0.1.
        eps: added to the variance inside the square root. Default: 1e-5.
        return_stats: also return the float64 ``(save_mean, save_invstd)`` of shape (C,) that
            :func:`batch_norm_backward` accepts, to skip recomputing them. Default: ``False``.

    Returns:
        Array of the shape and dtype of ``input`` (or ``(output, save_mean, save_invstd)``).
        An empty batch in training gives an empty output and leaves running stats unchanged.

    Raises:
        ValueError: fewer than 2 input dimensions, a bad parameter shape, missing running
            stats in evaluation, one value per channel in training, or ``eps <= 0`` in
            training (``eps < 0`` in evaluation), as PyTorch.
        TypeError: ``input`` missing or not a float array, mixed dtypes or backends.

    Note:
        Statistics are summed in float64 from centred values, so float32 input with mean 1e4
        and std 1e-3 normalises to within 1e-6 of the float64 answer (PyTorch's float32 CPU
        kernel is about 8 % off there).

    Example:
        >>> x = xp.asarray([[1.0, 10.0], [3.0, 30.0]])
        >>> mean, var = xp.zeros(2), xp.ones(2)
        >>> batch_norm(x, mean, var, training=True)
        array([[-0.999995  , -0.99999995],
               [ 0.999995  ,  0.99999995]])
        >>> mean, var
        (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """
    per_channel = (running_mean, running_var, weight, bias)
    return normalize_batch("batch_norm", input, per_channel, training, momentum, eps, return_stats)


def normalize_batch(
    where, input, per_channel, training, momentum, eps, return_stats, any_eps=False
):
    """The body of :func:`batch_norm`, reporting errors as ``where``; ``per_channel`` is
    ``(running_mean, running_var, weight, bias)``. ``any_eps`` accepts every number as
    ``eps`` (PyTorch's ``instance_norm`` does), not only PyTorch's batch-norm values."""
    running_mean, running_var = per_channel[:2]
    problem = _BatchNormCall(where, input, *per_channel, training)
    _check_eps(where, eps, training, any_eps)
    output, out = problem.empty()
    shift, mean, inv_std, factor, offset, source = problem.statistics(
        training, running_mean, running_var, eps, out, momentum
    )
    scale_shift(problem.backend, out, factor, offset, source, shift)
    output = output.astype(input.dtype, copy=False)
    if return_stats:
        return output, mean, inv_std
    return output


def _check_eps(where, eps, training, any_eps=False):
    """PyTorch's rule: eps > 0 in training (the batch variance may be 0), >= 0 otherwise;
    with ``any_eps``, any number."""
    check_number(where, "eps", eps)
    if any_eps:
        return
    if training and eps <= 0:
        msg = f"{where}: eps must be positive when training, got {eps!r}"
        raise ArgumentError(msg)
    if eps < 0:
        msg = f"{where}: eps must be non-negative, got {eps!r}"
        raise ArgumentError(msg)


def _saved_stats(where, problem, save_mean, save_invstd):
    """The forward's ``(save_mean, save_invstd)`` as float64 (C,), checked; ``None`` if not
    given. Their values are not checked: that would cost a device-to-host sync."""
    if save_mean is None and save_invstd is None:
        return None
    if save_mean is None or save_invstd is None:
        msg = (
            f"{where}: save_mean and save_invstd must be given together, got "
            f"save_mean={type(save_mean).__name__}, save_invstd={type(save_invstd).__name__}"
        )
        raise ArgumentError(msg)
    xp = problem.xp
    # once each: float64 input would otherwise read "dtype float64 or float64" in the message
    dtypes = tuple(dict.fromkeys((xp.dtype(xp.float64), problem.input_dtype)))
    for name, array in (("save_mean", save_mean), ("save_invstd", save_invstd)):
        check_saved(where, name, array, (problem.C,), dtypes)
    backend_of(
        problem.x, save_mean, save_invstd, names=("input", "save_mean", "save_invstd"), where=where
    )
    return save_mean.astype(xp.float64, copy=False), save_invstd.astype(xp.float64, copy=False)


def _affine(xp, delta, var, eps, weight, bias, dtype):
    """``inv_std`` (float64) and the per-channel ``factor`` and ``offset`` of the output (of
    ``dtype``; ``offset`` carries ``delta``, the residual of the rounded shift)."""
    inv_std = 1.0 / xp.sqrt(var + eps)
    factor = inv_std if weight is None else inv_std * weight
    offset = -delta * factor
    if bias is not None:
        offset = offset + bias
    return inv_std, factor.astype(dtype), offset.astype(dtype)


def _update_running(running, batch, momentum, keep, unbias=1.0):
    """``running = keep * running + momentum * batch * unbias``, in place (``keep`` is
    ``1 - momentum``)."""
    if running is not None:
        running[...] = keep * running + momentum * (batch * unbias)


@functools.cache
def _batch_chain(xp):
    """Batch statistics to ``(mean, inv_std, factor, offset)``, the running statistics
    updated in place: one fused call."""

    def batch(shift, sum_centred, sum_square, count, eps, weight, bias, *running):
        running_mean, running_var, momentum, keep, unbias = running
        mean, var, delta = mean_var(xp, shift, sum_centred, sum_square, count)
        _update_running(running_mean, mean, momentum, keep)
        _update_running(running_var, var, momentum, keep, unbias)
        return (mean, *_affine(xp, delta, var, eps, weight, bias, shift.dtype))

    return batch


@functools.cache
def _fixed_chain(xp):
    """Given statistics to ``(mean, inv_std, factor, offset)``: one fused call."""

    def fixed(shift, mean, var, eps, weight, bias):
        mean, var = mean.astype(xp.float64), var.astype(xp.float64)
        delta = mean - shift.astype(xp.float64)
        return (mean, *_affine(xp, delta, var, eps, weight, bias, shift.dtype))

    return fixed


@kernel
def batch_norm_backward(
    grad_output,
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    save_mean=None,
    save_invstd=None,
):
    """Gradients of :func:`batch_norm`: ``(grad_input, grad_weight, grad_bias)``.

    In training, ``grad_input`` differentiates through the batch statistics (closed form,
    see ``_normalize.backward_coefficients``); in evaluation only through the affine map,
    ``grad_output * weight * inv_std``. ``grad_weight = sum(grad_output * x_hat)`` and
    ``grad_bias = sum(grad_output)`` over every axis but C; ``None`` where weight or bias is.
    Running statistics are read, never updated. ``save_mean``/``save_invstd`` from
    ``batch_norm(..., return_stats=True)`` skip recomputing the batch statistics.
    """
    per_channel, saved = (running_mean, running_var, weight, bias), (save_mean, save_invstd)
    return normalize_batch_backward(
        "batch_norm_backward", grad_output, input, per_channel, training, eps, saved
    )


def normalize_batch_backward(
    where, grad_output, input, per_channel, training, eps, saved, any_eps=False
):
    """The body of :func:`batch_norm_backward`, reporting errors as ``where``; ``per_channel``
    as in :func:`normalize_batch`, ``saved`` ``(save_mean, save_invstd)``, ``any_eps`` too."""
    running_mean, running_var, weight, bias = per_channel
    problem = _BatchNormCall(where, input, *per_channel, training, grad_output)
    _check_eps(where, eps, training, any_eps)
    # a new array, not a view: autograd then hands it to the leaf without a copy
    grad_input, grad_x = problem.empty()
    given = _saved_stats(where, problem, *saved)
    if given is not None:
        mean, inv_std = given
    else:  # grad_x serves as scratch for the centred input first
        fixed = (None, None) if training else (running_mean, running_var)  # read, not updated
        _, mean, inv_std, *_ = problem.statistics(training, *fixed, eps, grad_x)
    grad_weight, grad_bias = batch_norm_grads(
        problem.backend,
        problem.grad(grad_output),
        problem.x,
        mean,
        inv_std,
        problem.weight,
        training,
        grad_x,
        input.dtype,
    )
    grad_input = grad_input.astype(input.dtype, copy=False)
    return grad_input, None if weight is None else grad_weight, None if bias is None else grad_bias
