"""Likelihood losses: Poisson and Gaussian negative log-likelihood, with backward functions.

Element-wise losses reduced as the regression losses (:mod:`.regression_loss`; the shared
checks and reductions are in :mod:`._pointwise_loss`). Each backward returns the gradients of
the forward's array inputs, in order, as PyTorch's autograd computes them through its
composite definitions: ``(grad_input, grad_target)`` for ``poisson_nll_loss`` and
``(grad_input, grad_target, grad_var)`` for ``gaussian_nll_loss`` (``grad_var`` is ``None``
for a float ``var``). float16 computes in float32.
"""

from __future__ import annotations

import math
import numbers

from ..backends._deferred import defer_check
from ._blocks import compute_dtype
from ._broadcast import unbroadcast
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_number,
    kernel,
    require_arrays,
)
from ._pointwise_loss import REDUCTIONS, PointwiseCall, check_legacy

__all__ = [
    "gaussian_nll_loss",
    "gaussian_nll_loss_backward",
    "poisson_nll_loss",
    "poisson_nll_loss_backward",
]

_TWO_PI = 2.0 * math.pi
_HALF_LOG_TWO_PI = 0.5 * math.log(_TWO_PI)  # the constant of the full Gaussian loss


def _check_bool(where, name, value, integers=False):
    """TypeError unless ``value`` is a bool (or, with ``integers``, an int: PyTorch's
    ``gaussian_nll_loss`` tests ``full`` for truth, ``poisson_nll_loss`` wants a bool)."""
    if not isinstance(value, bool) and not (integers and isinstance(value, numbers.Integral)):
        msg = f"{where}: {name} must be a bool, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return bool(value)


def _poisson_call(where, input, target, args, grad_output=None):
    log_input, full, size_average, eps, reduce, reduction = args
    check_legacy(where, size_average, reduce)
    _check_bool(where, "log_input", log_input)
    _check_bool(where, "full", full)
    check_number(where, "eps", eps)
    return PointwiseCall(where, input, target, reduction, grad_output)


def _stirling(xp, t):
    """Stirling's ``t log t - t + 0.5 log(2 pi t)`` where ``t > 1``, else 0 (PyTorch's
    ``masked_fill(target <= 1, 0)``: a NaN target keeps its NaN)."""
    term = t * xp.log(t) - t + 0.5 * xp.log(_TWO_PI * t)
    return xp.where(t <= 1, 0.0, term).astype(t.dtype, copy=False)


def _stirling_grad(xp, t, grad):
    """The Stirling term's gradient as PyTorch's autograd gives it: ``grad * (log t + 0.5 /
    t)`` where ``t > 1``; where masked, 0 times the term's derivative, which is NaN at
    ``t <= 0`` (``0 * log 0``) and where ``t`` is inf or NaN (``t / t``)."""
    slope = xp.log(t) + t / t - 1.0 + 0.5 / t
    return xp.where(t <= 1, 0.0 * slope, grad * slope)


@kernel
def poisson_nll_loss(
    input,
    target,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
):
    r"""Poisson negative log-likelihood of ``target`` given the rate ``input``:
    ``loss_i = exp(x_i) - t_i * x_i`` (``log_input``) or ``x_i - t_i * log(x_i + eps)``,
    plus with ``full`` Stirling's ``t log t - t + 0.5 log(2 pi t)`` where ``t > 1``.

    Args:
        input: the log-rate (``log_input``) or the rate, array of any shape.
        target: counts, an array of the shape and dtype of ``input``.
        log_input: ``input`` holds log-rates. Default: ``True``.
        full: add the Stirling approximation of ``log(t!)``. Default: ``False``.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        eps: added to the rate before its log when ``log_input=False``. Default: 1e-8.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Returns:
        The loss in the dtype of ``input``: the input's shape for ``'none'``, else 0-d.

    Raises:
        ValueError: a bad reduction, a target of another shape, ``size_average`` or
            ``reduce`` given.
        TypeError: non-float arrays, mixed dtypes or backends, non-bool flags.

    Note:
        PyTorch broadcasts a target of another shape; xpnet refuses it, as for
        :func:`mse_loss`.

    Example:
        >>> poisson_nll_loss(xp.asarray([0.0, 1.0]), xp.asarray([1.0, 2.0]), reduction="none")
        array([1.        , 0.71828183])
    """
    args = (log_input, full, size_average, eps, reduce, reduction)
    call = _poisson_call("poisson_nll_loss", input, target, args)
    xp, x, t = call.xp, call.x, call.t
    loss = xp.exp(x) - t * x if log_input else x - t * xp.log(x + eps)
    if full:
        loss = loss + _stirling(xp, t)
    return call.reduce(loss, reduction)


@kernel
def poisson_nll_loss_backward(
    grad_output,
    input,
    target,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
):
    """Gradients of :func:`poisson_nll_loss`: ``grad_input = grad * (exp(x) - t)`` and
    ``grad_target = -grad * x`` (``log_input``), else ``grad * (1 - t / (x + eps))`` and
    ``-grad * log(x + eps)``; ``full`` adds :func:`_stirling_grad` to ``grad_target``."""
    args = (log_input, full, size_average, eps, reduce, reduction)
    call = _poisson_call("poisson_nll_loss_backward", input, target, args, grad_output)
    xp, x, t = call.xp, call.x, call.t
    grad = call.element_grad(grad_output, reduction)
    if log_input:
        grad_input = grad * xp.exp(x) - grad * t
        grad_target = -grad * x
    else:
        rate = x + eps
        grad_input = grad - grad * t / rate
        grad_target = -grad * xp.log(rate)
    if full:
        grad_target = grad_target + _stirling_grad(xp, t, grad)
    return call.finish(grad_input, grad_target)


def _broadcasts(shape, to):
    """Whether an array of ``shape`` broadcasts to ``to`` without changing it."""
    if len(shape) > len(to):
        return False
    padded = (1,) * (len(to) - len(shape)) + tuple(shape)
    return all(a in (1, b) for a, b in zip(padded, to, strict=True))


def _var_shape(where, var, shape):
    """The shape ``var`` takes against an input of ``shape``, by PyTorch's rules: the input's
    shape; the input's without its last dimension (a trailing 1 is added); or the input's
    number of dimensions with one of them 1 where the input's differs."""
    if var.shape == shape:
        return shape
    if var.shape == shape[:-1]:
        return (*var.shape, 1)
    if var.ndim == len(shape):
        # PyTorch's test: var's sizes where they differ from the input's sum to 1; (0, 1)
        # against (2, 3) passes it and then fails to broadcast (here, an error at once)
        differing = sum(v for i, v in zip(shape, var.shape, strict=True) if i != v)
        if differing == 1 and _broadcasts(var.shape, shape):
            return var.shape
    msg = (
        f"{where}: var is of incorrect size: it must have the input's shape {shape}, that "
        f"shape without its last dimension, or that shape with one dimension 1, got {var.shape}"
    )
    raise ArgumentError(msg)


class _GaussianCall:
    """A validated ``gaussian_nll_loss`` call: ``x``, ``t`` and ``var`` (clamped at ``eps``,
    in the shape that broadcasts against ``x``) in the compute dtype."""

    def __init__(self, where, input, target, var, full, eps, reduction, grad_output=None):
        require_arrays(where, input=input, target=target, var=var)
        scalar = isinstance(var, float)
        if not scalar and not (hasattr(var, "shape") and hasattr(var, "dtype")):
            msg = f"{where}: var must be an array or a float, got {type(var).__name__} {var!r}"
            raise TypeError(msg)
        arrays = {"input": input, "target": target, "var": None if scalar else var}
        self.backend = backend = array_backend(where, **arrays, grad_output=grad_output)
        _check_bool(where, "full", full, integers=True)
        check_number(where, "eps", eps)
        if reduction not in REDUCTIONS:
            names = ", ".join(repr(r) for r in REDUCTIONS)
            msg = f"{where}: reduction must be one of {names}, got {reduction!r}"
            raise ArgumentError(msg)
        if not _broadcasts(target.shape, input.shape):
            msg = (
                f"{where}: target must have the input's shape {input.shape} or broadcast to "
                f"it, got {target.shape}"
            )
            raise ArgumentError(msg)
        if scalar and var < 0:  # NaN passes, as PyTorch's ``var < 0``
            msg = f"{where}: var has negative entry/entries, got {var!r}"
            raise ArgumentError(msg)
        self.var_shape = () if scalar else _var_shape(where, var, input.shape)
        if where.endswith("_backward"):
            expected = input.shape if reduction == "none" else ()
            check_grad_output(where, grad_output, expected, input.dtype, of=None)
        self.xp = xp = backend.xp
        self.dtype, self.shape, self.target_shape = input.dtype, input.shape, target.shape
        self.scalar = scalar
        compute = compute_dtype(xp, input.dtype)
        self.x = input.astype(compute, copy=False)
        self.t = target.astype(compute, copy=False)
        # a float var is first rounded to the input's dtype, as PyTorch's var * ones_like(input)
        var = xp.asarray(var, dtype=input.dtype) if scalar else var.reshape(self.var_shape)
        self.var = var
        # clamped without a gradient of its own (PyTorch clamps a clone under no_grad): the
        # gradient at the clamped value passes to var unchanged
        self.v = xp.maximum(var.astype(compute, copy=False), eps)

    def check_non_negative(self, where):
        """ValueError if an entry of an array ``var`` is negative: at once on NumPy, else at
        the next host read (no device-to-host sync here, see :mod:`xpnet.backends._deferred`)."""

        def non_negative(any_negative):
            if any_negative:
                msg = f"{where}: var has negative entry/entries"
                raise ArgumentError(msg)

        if not self.scalar and self.var.size:
            defer_check(self.backend, self.xp.any(self.var < 0), non_negative)

    def sum_to(self, grad, shape):
        """``grad`` (the input's shape) summed over the axes ``shape`` broadcasts along."""
        return unbroadcast(self.xp, grad, shape)

    def finish(self, grad):
        return None if grad is None else self.xp.asarray(grad).astype(self.dtype, copy=False)


@kernel
def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6, reduction="mean"):
    r"""Gaussian negative log-likelihood of ``target`` given the mean ``input`` and the
    variance ``var``: ``loss_i = 0.5 * (log(v_i) + (x_i - t_i)^2 / v_i)``, plus
    ``0.5 * log(2 pi)`` with ``full``, where ``v = max(var, eps)``.

    Args:
        input: the expectations, array of any shape.
        target: samples, an array of the input's shape or one that broadcasts to it (e.g.
            one dimension 1).
        var: the variances: an array of the input's shape (heteroscedastic), of that shape
            without its last dimension or with one dimension 1 (homoscedastic along it), or
            a float for all; non-negative.
        full: add the constant ``0.5 * log(2 pi)``. Default: ``False``.
        eps: the smallest variance used; smaller ones are clamped to it (the gradient of a
            clamped entry is taken at ``eps``, and still reaches ``var``, as PyTorch's).
            Default: 1e-6.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Returns:
        The loss in the dtype of ``input``: the input's shape for ``'none'``, else 0-d.

    Raises:
        ValueError: a negative entry of ``var`` (for an array, at once on NumPy, else at
            the next host read), a ``var`` or ``target`` of another shape, a bad reduction.
        TypeError: non-float arrays, mixed dtypes or backends, ``var`` neither an array nor
            a float.

    Example:
        >>> x, t = xp.asarray([[1.0, 2.0]]), xp.asarray([[0.0, 2.0]])
        >>> gaussian_nll_loss(x, t, xp.asarray([2.0]), reduction="none")
        array([[0.59657359, 0.34657359]])
    """
    call = _GaussianCall("gaussian_nll_loss", input, target, var, full, eps, reduction)
    call.check_non_negative("gaussian_nll_loss")
    xp, d, v = call.xp, call.x - call.t, call.v
    loss = 0.5 * (xp.log(v) + d * d / v)
    if full:
        loss = loss + _HALF_LOG_TWO_PI
    if reduction != "none":
        loss = xp.sum(loss) / (1 if reduction == "sum" else loss.size)
    return call.finish(loss)


@kernel
def gaussian_nll_loss_backward(
    grad_output, input, target, var, full: bool = False, eps: float = 1e-6, reduction="mean"
):
    """Gradients of :func:`gaussian_nll_loss`, in PyTorch's order of operations:
    ``grad_input = (0.5 grad / v) * 2 (x - t)``, ``grad_target = -grad_input`` and
    ``grad_var = sum(0.5 grad) / v - sum(0.5 grad * ((x - t)^2 / v) / v)``, each sum over the
    dimensions its array broadcasts along; ``grad_var`` is ``None`` for a float ``var``.
    ``var`` is not checked for negative entries again."""
    where = "gaussian_nll_loss_backward"
    call = _GaussianCall(where, input, target, var, full, eps, reduction, grad_output)
    xp, d, v = call.xp, call.x - call.t, call.v
    grad = grad_output.astype(call.x.dtype, copy=False)
    if reduction != "none":
        grad = xp.broadcast_to(grad / (1 if reduction == "sum" else d.size), call.shape)
    half = 0.5 * grad
    grad_input = (half / v) * (2.0 * d)
    grad_target = call.sum_to(-grad_input, call.target_shape)
    grad_var = None
    if not call.scalar:
        # each term summed to var's shape before it meets var, as PyTorch's autograd: the log
        # term's sum over an empty batch is 0, and 0 / NaN is NaN there, as PyTorch's
        log_term = call.sum_to(half, call.var_shape) / v
        grad_var = log_term - call.sum_to(half * ((d * d / v) / v), call.var_shape)
        grad_var = grad_var.reshape(var.shape)
    return call.finish(grad_input), call.finish(grad_target), call.finish(grad_var)
