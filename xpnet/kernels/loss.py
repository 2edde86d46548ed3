"""Cross-entropy and negative log-likelihood, with backward functions.

Cross-entropy is log-softmax followed by NLL, never ``log(softmax)``: logits of +-1000 give
exact losses, and a ``-inf`` logit at the target gives an ``inf`` loss with finite gradients.
Axis letters: ``N`` batch, ``C`` classes, ``*`` the extra dimensions ``d1, ...``.
"""

from __future__ import annotations

import functools

from ..backends import backend_of
from ..backends._base import fused
from ._blocks import map_batch
from ._checks import (
    ArgumentError,
    DtypeMismatchError,
    check_probability,
    check_saved,
    kernel,
    require_arrays,
)
from ._loss_call import LossCall
from ._softmax_math import max_shifted, stable_log_softmax
from ._workspaces import register_cache

__all__ = [
    "cross_entropy",
    "cross_entropy_backward",
    "nll_loss",
    "nll_loss_backward",
]


def _soft_terms(problem, label_smoothing):
    """``(log_prob, coefficients)`` for probability targets: log-softmax of x and the
    (N, C, *) weights ``q' * w`` with ``loss_i = -sum_c q'_ic * w_c * log_prob_ic``."""
    target = problem.target
    if label_smoothing > 0 and problem.num_classes:  # no classes: nothing to smooth
        target = target * (1.0 - label_smoothing) + label_smoothing / problem.num_classes
    return stable_log_softmax(problem.xp, problem.x, 1), problem.weighted(target)


def _index_loss(problem, label_smoothing):
    """``(loss, e, total)`` for class-index targets: the per-element cross-entropy from one exp
    over x and no full log_prob array (``log_prob_it = (x_it - max_i) - lse_i`` is only formed
    at the target); ``e = exp(x - max)`` (N, C, *) and its sum over C (N, *).

    Rows are shifted, exponentiated and summed block by block on all cores (NumPy's exp runs
    on one core and is most of the time); on a GPU (one block): a max, one fused exp, a sum,
    the pick and one fused call for the loss.
    """
    xp, x = problem.xp, problem.x
    backend = backend_of(x)
    e = xp.empty_like(x)
    maxima = xp.zeros((x.shape[0], 1, *x.shape[2:]), dtype=x.dtype)
    total = xp.zeros(x.shape[:1] + x.shape[2:], dtype=x.dtype)
    smooth = xp.empty_like(total) if label_smoothing > 0 else None
    exp_shifted, picked_loss = (fused(backend, chain) for chain in _loss_chains(xp))

    def exp_block(rows):
        part = x[rows]
        if part.size:  # no max of an empty row: its sum stays 0
            xp.max(part, axis=1, keepdims=True, out=maxima[rows])
        exp_shifted(part, maxima[rows], e[rows])
        xp.sum(e[rows], axis=1, out=total[rows])
        if smooth is not None:  # sum_c w_c * shifted_ic
            smooth[rows] = xp.sum(problem.weighted(part - maxima[rows]), axis=1)

    map_batch(backend, exp_block, x.shape, x.dtype)
    loss, lse = picked_loss(
        problem.pick(x), maxima[:, 0], total, problem.valid, problem.target_weight
    )
    if smooth is not None:  # -sum_c w_c * log_prob_ic = -(sum_c w_c * shifted_ic - lse * W)
        smooth = lse * problem.class_total() - smooth
        share = _share(label_smoothing, problem.num_classes)
        loss = (1.0 - label_smoothing) * loss + share * xp.where(problem.valid, smooth, 0.0)
    return loss, e, total


def _share(label_smoothing, num_classes):
    """``eps / C``: each class's share of the smoothing; with no classes PyTorch's inf,
    whose product with the 0 of an ignored target is NaN (here NaN at once)."""
    return label_smoothing / num_classes if num_classes else float("nan")


@functools.cache
def _loss_chains(xp):
    """The fused calls of :func:`_index_loss`: ``exp(x - max)`` into ``out``, and the loss
    ``-w[t_i] * ((x_it - max_i) - lse_i)`` (0 where ignored; a ``where``, not a product: an
    ignored target may point at a -inf logit) with ``lse``."""

    def exp_shifted(x, maxima, out):
        xp.exp(x - maxima, out=out)

    def picked_loss(picked, maxima, total, valid, target_weight):
        lse = xp.log(total)
        return -xp.where(valid, target_weight * ((picked - maxima) - lse), 0.0), lse

    return exp_shifted, picked_loss


@kernel
def cross_entropy(
    input,
    target,
    weight=None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    *,
    return_exp: bool = False,
):
    r"""Cross-entropy between logits and class indices or class probabilities.

    Computed as :func:`log_softmax` then NLL. For class index ``t_i`` with weight ``w`` and
    smoothing ``eps``: ``loss_i = (1 - eps) * w[t_i] * (-log p_i[t_i]) +
    eps / C * sum_c w[c] * (-log p_i[c])``, 0 where ``t_i == ignore_index``; ``'mean'``
    divides the sum by ``sum_i w[t_i]`` over kept targets (NaN if none is kept). For
    probability targets ``q``: ``loss_i = -sum_c w[c] * q'_ic * log p_ic`` with
    ``q' = (1 - eps) * q + eps / C``; ``'mean'`` divides by the number of elements ``N * d1 ...``.

    Args:
        input: logits of shape (N, C), (N, C, d1, ...) or (C,).
        target: integer class indices of shape (N,), (N, d1, ...) or (), or float class
            probabilities of the shape and dtype of ``input``.
        weight: per-class weights of shape (C,). Default: ``None`` (all 1).
        ignore_index: class-index targets equal to it add nothing. Default: -100.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        label_smoothing: ``eps`` in [0, 1]. Default: 0.
        return_exp: also return ``exp_logits = exp(input - max)`` over the classes (shape of
            ``input``) and ``sum_exp``, its sum over the classes (shape of the ``'none'``
            loss), in float32 for float16 input: :func:`cross_entropy_backward` accepts them
            to skip its exp. ``None`` for probability targets, whose backward needs the
            log-probabilities instead. Default: ``False``.

    Returns:
        The loss, in the dtype of ``input``: shape (N, d1, ...) (or () unbatched) for
        ``'none'``, else a 0-d array (or ``(loss, exp_logits, sum_exp)``).

    Raises:
        ValueError: bad reduction, label_smoothing, weight shape, or a target shape or batch
            size that does not match ``input``.
        IndexError: a class index outside ``[0, C)`` that is not ``ignore_index``.
        TypeError: a target that is neither integer nor of the dtype of ``input``, a missing
            ``input`` or ``target``, or an ``ignore_index`` that is not an int (``1.0`` and
            ``True`` too, as PyTorch).

    Note:
        The positional arguments PyTorch keeps for ``size_average`` and ``reduce``
        (deprecated) are not accepted; pass the others by keyword.

    Example:
        >>> logits = xp.asarray([[1000.0, 0.0], [0.0, 0.0]])
        >>> cross_entropy(logits, xp.asarray([1, 0]), reduction="none")
        array([1.00000000e+03, 6.93147181e-01])
    """
    check_probability("cross_entropy", "label_smoothing", label_smoothing)
    problem = LossCall("cross_entropy", input, target, weight, ignore_index, reduction)
    saved = (None, None)
    if problem.soft:
        log_prob, coefficients = _soft_terms(problem, label_smoothing)
        loss = -problem.xp.sum(log_prob * coefficients, axis=1)
    else:
        loss, *saved = _index_loss(problem, label_smoothing)
    loss = problem.reduce(loss, reduction)
    if not return_exp:
        return loss
    return loss, *(None if a is None else problem.finish(a, a.dtype) for a in saved)


@kernel
def cross_entropy_backward(
    grad_output,
    input,
    target,
    weight=None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    *,
    exp_logits=None,
    sum_exp=None,
):
    """Gradient of :func:`cross_entropy` with respect to ``input`` (and ``target``).

    ``d loss_i / d x_ic = S_i * p_ic - w_c * q'_ic`` with ``S_i = sum_c w_c * q'_ic`` (the
    smoothed one-hot for class indices); for probability targets also
    ``d loss_i / d q_ic = -(1 - eps) * w_c * log p_ic``. ``exp_logits`` and ``sum_exp``
    from ``cross_entropy(..., return_exp=True)`` give ``p`` for class-index targets: no exp
    then, one product.

    Returns:
        ``grad_input`` for class-index targets; ``(grad_input, grad_target)`` for probability
        targets. Shapes and dtypes of the forward's arrays.
    """
    where = "cross_entropy_backward"
    check_probability(where, "label_smoothing", label_smoothing)
    problem = LossCall(  # arrays: the exps and the gradient
        where, input, target, weight, ignore_index, reduction, grad_output, arrays=2
    )
    xp = problem.xp
    _check_saved_exp(problem, input, exp_logits, sum_exp)
    grad = problem.element_grad(grad_output, reduction)  # (N, 1, *)
    if problem.soft:
        log_prob, coefficients = _soft_terms(problem, label_smoothing)
        total = xp.sum(coefficients, axis=1, keepdims=True)
        grad_input = grad * (total * xp.exp(log_prob) - coefficients)
        grad_target = -(1.0 - label_smoothing) * grad * problem.weighted(log_prob)
        return problem.finish(grad_input), problem.finish(grad_target)
    # p_ic = e_ic / sum_c e_ic: one product with a per-element scale, no normalised array
    if exp_logits is None or sum_exp is None:  # one exp, written over the shifted temporary
        shifted = max_shifted(xp, problem.x, 1)
        e = xp.exp(shifted, out=shifted)
        total = xp.sum(e, axis=1)
    else:  # not written: the saved values may serve another backward (retain_graph)
        e, total = exp_logits, sum_exp
        if problem.unbatched:
            e, total = e[None], total[None]
    weight = problem.target_weight[:, None]
    if label_smoothing == 0:  # one fused call, the target's share subtracted in place
        classes = _class_numbers(xp, problem.num_classes, e.ndim)
        index_grad = fused(problem.backend, _index_grad(xp))
        return problem.finish(index_grad(e, total[:, None], grad, weight, problem.index, classes))
    at_target = (1.0 - label_smoothing) * grad * weight
    share = _share(label_smoothing, problem.num_classes) * grad
    scale = at_target + share * problem.class_total()
    grad_input = xp.multiply(e, scale / total[:, None])
    grad_input -= problem.weighted(share)
    _subtract_at_target(xp, grad_input, problem.index, at_target)
    return problem.finish(grad_input)


@functools.cache
def _index_grad(xp):
    """``d loss / d x`` for class-index targets without smoothing: ``p_ic * a_i``, less
    ``a_i`` at the target, with ``a_i = grad_i * w[t_i]`` (``p = e / total``)."""

    def index_grad(e, total, grad, weight, index, classes):
        at_target = grad * weight
        grad_input = e * (at_target / total)
        return xp.where(classes == index, grad_input - at_target, grad_input)

    return index_grad


@functools.lru_cache(maxsize=16)
def _class_numbers(xp, num_classes, ndim):
    """``arange(C)`` along axis 1 of ``ndim`` axes: what a target index is compared with."""
    return xp.arange(num_classes).reshape(1, num_classes, *(1,) * (ndim - 2))


register_cache(_class_numbers)


def _check_saved_exp(problem, input, exp_logits, sum_exp):
    """cross_entropy's saved ``exp_logits`` and ``sum_exp``: both or neither, for class-index
    targets, of the shapes and dtype the forward returns. Their values (positive, and
    ``sum_exp`` the sum of ``exp_logits``) are not checked: that costs a device-to-host sync."""
    where = "cross_entropy_backward"
    if exp_logits is None and sum_exp is None:
        return
    if exp_logits is None or sum_exp is None or problem.soft:
        msg = (
            f"{where}: exp_logits and sum_exp must be given together and for class-index "
            f"targets only, got exp_logits={type(exp_logits).__name__}, "
            f"sum_exp={type(sum_exp).__name__}, target dtype {problem.target.dtype}"
        )
        raise ArgumentError(msg)
    dtypes = (problem.x.dtype,)  # the compute dtype: float32 for float16 input
    check_saved(where, "exp_logits", exp_logits, input.shape, dtypes)
    check_saved(where, "sum_exp", sum_exp, problem.loss_shape, dtypes)
    backend_of(input, exp_logits, sum_exp, names=("input", "exp_logits", "sum_exp"), where=where)


def _subtract_at_target(xp, grad_input, index, values):
    """``grad_input[i, index_i] -= values_i`` along the class axis (one write per element)."""
    if not grad_input.shape[1]:  # no classes, so every target ignored: nothing to write
        return
    current = xp.take_along_axis(grad_input, index, axis=1)
    xp.put_along_axis(grad_input, index, current - values, axis=1)


def _index_problem(where, input, target, *args, **kwargs):
    """A :class:`LossCall` that accepts class-index targets only (NLL has no soft form):
    a float target is refused first, or LossCall would judge it as probabilities (asking for
    the input's dtype, or refusing ``ignore_index``)."""
    require_arrays(where, input=input, target=target)  # None first, as every kernel
    if getattr(target, "dtype", None) is not None and target.dtype.kind == "f":
        msg = f"{where}: target must hold integer class indices, got dtype {target.dtype}"
        raise DtypeMismatchError(msg)  # a RuntimeError in PyTorch
    return LossCall(where, input, target, *args, **kwargs)


@kernel
def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    r"""Negative log-likelihood: ``loss_i = -w[t_i] * input[i, t_i]`` for log-probabilities.

    Args, Shape, Returns and Raises are those of :func:`cross_entropy` with class-index
    targets (``input`` holds log-probabilities instead of logits; no label smoothing).

    Example:
        >>> log_prob = xp.log(xp.asarray([[0.5, 0.5], [0.25, 0.75]]))
        >>> nll_loss(log_prob, xp.asarray([0, -100]))
        array(0.69314718)
    """
    problem = _index_problem(
        "nll_loss", input, target, weight, ignore_index, reduction, arrays=0
    )  # a pick: no input-shaped array
    return problem.reduce(problem.picked_loss(problem.pick(problem.x)), reduction)


@kernel
def nll_loss_backward(
    grad_output, input, target, weight=None, ignore_index: int = -100, reduction: str = "mean"
):
    """Gradient of :func:`nll_loss`: ``-w[t_i] * grad_i`` at ``(i, t_i)``, 0 elsewhere."""
    problem = _index_problem(
        "nll_loss_backward", input, target, weight, ignore_index, reduction, grad_output
    )
    xp = problem.xp
    grad = problem.element_grad(grad_output, reduction) * problem.target_weight[:, None]
    grad_input = xp.zeros_like(problem.x)
    _subtract_at_target(xp, grad_input, problem.index, grad)
    return problem.finish(grad_input)
