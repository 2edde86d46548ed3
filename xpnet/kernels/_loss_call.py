"""A validated loss call: the checks and batching shared by cross-entropy and NLL.

:class:`LossCall` checks the arguments once, batches an unbatched call, and holds what both the
forward and the backward need: ``x`` in the compute dtype, the target, per-element weights and
the ``'mean'`` denominator. Axis letters: ``N`` batch, ``C`` classes, ``*`` the extra dimensions.
"""

from __future__ import annotations

import functools

from ..backends import backend_of
from ..backends._base import fused
from ..backends._deferred import defer_check
from ._blocks import check_fits, compute_dtype
from ._checks import (
    ArgumentError,
    DtypeMismatchError,
    array_backend,
    check_grad_output,
    check_int,
    check_same_shape,
    require_arrays,
)

_REDUCTIONS = ("none", "mean", "sum")


class LossCall:
    """A validated loss call, batched: ``x`` (N, C, *) in the compute dtype, and so on.

    ``arrays`` counts the input-shaped arrays the kernel will hold at once (its gradient,
    exps, log-probabilities; one more is added for a probability target): checked to fit
    before anything reads the input.
    """

    def __init__(
        self, where, input, target, weight, ignore_index, reduction, grad_output=None, arrays=1
    ):
        require_arrays(where, input=input, target=target)
        backend = array_backend(where, input=input, weight=weight, grad_output=grad_output)
        backend_of(input, target, names=("input", "target"), where=where)
        ignore_index = check_int(where, "ignore_index", ignore_index)
        if reduction not in _REDUCTIONS:
            msg = f"{where}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}"
            raise ArgumentError(msg)
        if input.ndim == 0:
            msg = f"{where}: input must have shape (C,) or (N, C, *), got shape ()"
            raise ArgumentError(msg)
        self.backend, self.xp = backend, backend.xp
        xp = self.xp
        self.dtype = input.dtype
        self.unbatched = input.ndim == 1
        self.soft = target.dtype.kind == "f"
        if self.soft and ignore_index >= 0:  # PyTorch's rule: a negative one ignores nothing
            msg = (
                f"{where}: ignore_index is not supported for probability (floating point) "
                f"targets, got ignore_index={ignore_index}"
            )
            raise ArgumentError(msg)
        self.num_classes = num_classes = input.shape[0 if self.unbatched else 1]
        _check_target(where, input, target, self.soft)
        if weight is not None and weight.shape != (num_classes,):
            msg = f"{where}: weight must have shape ({num_classes},), got {weight.shape}"
            raise ArgumentError(msg)
        compute = compute_dtype(xp, input.dtype)
        _check_fits(where, backend, input, compute, arrays + self.soft)
        self.x = input.astype(compute, copy=False)
        self.target = target.astype(compute, copy=False) if self.soft else target
        if self.unbatched:
            self.x, self.target = self.x[None], self.target[None]
        self.weight = None
        if weight is not None:  # (1, C, 1, ...): broadcasts against x
            self.weight = weight.astype(compute).reshape(1, num_classes, *(1,) * (self.x.ndim - 2))
        if not self.soft:
            self.valid, index, self.target_weight = _class_indices(
                where, backend, self.target, weight, ignore_index, num_classes, compute
            )
            self.index = index[:, None]  # (N, 1, *)
        # the 'none' loss's shape: also that of cross-entropy's saved sum_exp
        self.loss_shape = () if self.unbatched else self.x.shape[:1] + self.x.shape[2:]
        if where.endswith("_backward"):
            expected = self.loss_shape if reduction == "none" else ()
            check_grad_output(where, grad_output, expected, input.dtype, of=None)

    def denominator(self):
        """What 'mean' divides by: the summed target weights, or the count for soft targets."""
        if self.soft:  # no classes: 0 / 0 elements, NaN as PyTorch's numel / C
            return self.target.size // self.num_classes if self.num_classes else float("nan")
        return self.xp.sum(self.target_weight)

    def reduce(self, loss, reduction):
        xp = self.xp
        if reduction == "sum":
            loss = xp.sum(loss)
        elif reduction == "mean" and self.soft:
            loss = xp.sum(loss) / self.denominator()
        elif reduction == "mean":
            loss = fused(self.backend, _weighted_mean(xp))(xp.sum(loss), self.denominator())
        elif self.unbatched:
            loss = loss[0]
        return xp.asarray(loss).astype(self.dtype, copy=False)

    def element_grad(self, grad_output, reduction):
        """``d loss / d loss_i`` for each element ``i``, shape (N, 1, *) to broadcast over
        the classes; 0 where a class-index target is ignored."""
        xp = self.xp
        shape = self.x.shape[:1] + self.x.shape[2:]
        grad = grad_output.astype(self.x.dtype, copy=False)
        if reduction == "none":
            grad = grad.reshape(*shape)[:, None]
        else:
            grad = xp.broadcast_to(grad, shape)[:, None]
            if reduction == "mean":
                grad = grad / self.denominator()
        if self.soft:
            return grad
        return fused(self.backend, _kept_grad(xp))(self.valid[:, None], grad)

    def pick(self, array, rows=slice(None)):
        """``array[i, t_i]`` for each element ``i`` (of ``rows``, ``array`` holding just
        those rows), shape (N, *)."""
        index = self.index[rows]
        if not self.num_classes:  # no classes, so every target ignored: nothing to pick
            return self.xp.zeros(index.shape[:1] + index.shape[2:], dtype=array.dtype)
        return self.xp.take_along_axis(array, index, axis=1)[:, 0]

    def picked_loss(self, picked):
        """``-w[t_i] * picked_i`` for each element ``i``, 0 where ``t_i`` is ignored."""
        # where, not a product: an ignored target may point at a -inf logit (0 * inf is NaN)
        return -self.xp.where(self.valid, self.target_weight * picked, 0.0)

    def class_total(self):
        """``sum_c w_c``: the class count without weights."""
        return self.num_classes if self.weight is None else self.xp.sum(self.weight)

    def finish(self, grad, dtype=None):
        """A gradient with the caller's shape and dtype (``dtype`` if given); batched, the
        array itself, not a view: autograd then hands it to the leaf without a copy."""
        return (grad[0] if self.unbatched else grad).astype(dtype or self.dtype, copy=False)

    def weighted(self, array):
        return array if self.weight is None else array * self.weight


def _check_fits(where, backend, input, compute, arrays):
    """MemoryError unless ``arrays`` input-shaped arrays in the ``compute`` dtype (and the
    input's copy in it, where wider) fit; before the max or the exp over a broadcast input
    of 1e11 elements, which take minutes."""
    copies = arrays + (compute != input.dtype)
    if copies:
        nbytes = copies * input.size * backend.xp.dtype(compute).itemsize
        count = "an array" if copies == 1 else f"{copies} arrays"
        what = f"{count} of the input's shape {tuple(input.shape)}"
        check_fits(where, backend, what, nbytes)


def _check_target(where, input, target, soft):
    if soft:
        if target.dtype != input.dtype:
            msg = f"{where}: probability target must have dtype {input.dtype}, got {target.dtype}"
            raise DtypeMismatchError(msg)
        check_same_shape(where, "probability target", target, "input", input)
        return
    if target.dtype.kind not in "iu":
        msg = (
            f"{where}: target must hold integer class indices or float probabilities, "
            f"got dtype {target.dtype}"
        )
        raise DtypeMismatchError(msg)  # a RuntimeError in PyTorch ("Long or Byte")
    if input.ndim == 1:
        expected = ()
    else:
        if target.ndim == 0 or target.shape[0] != input.shape[0]:
            actual = target.shape[0] if target.ndim else "none (a 0-d target)"
            msg = (
                f"{where}: input batch size {input.shape[0]} must match target batch size {actual}"
            )
            raise ArgumentError(msg)
        expected = input.shape[:1] + input.shape[2:]
    if target.shape != expected:
        msg = (
            f"{where}: target must have shape {expected} for input of shape {input.shape}, "
            f"got {target.shape}"
        )
        raise ArgumentError(msg)


def _class_indices(where, backend, target, weight, ignore_index, num_classes, dtype):
    """``(valid, index, target_weight)`` of class-index ``target`` (N, *): whether each is
    kept (not ``ignore_index``), its class clipped into ``[0, C)`` (0 where ignored), and its
    class weight in ``dtype`` (0 where ignored). One fused call (two more with ``weight``).

    An index outside ``[0, C)`` raises ``IndexError``, at once on NumPy, else at the next host
    read (deferred: no device-to-host copy per call, see :mod:`xpnet.backends._deferred`).
    """
    xp = backend.xp
    index_chain, kept_weight = _index_chains(xp, dtype)
    # C - 1 here: CuPy's fuse computes scalar-only arithmetic in the smallest type; 0 when
    # there are no classes (every target then ignored or out of range), not -1: a uint8
    # target cannot be compared with it
    valid, index, outside, target_weight = fused(backend, index_chain)(
        target, ignore_index, num_classes, max(num_classes - 1, 0)
    )
    if weight is not None and num_classes:  # no classes: no weight to take (all ignored)
        target_weight = fused(backend, kept_weight)(valid, xp.take(weight, index))
    if target.size:

        def in_range(worst):
            worst = float(worst)  # 0 when every index fits (see _index_chains)
            if worst:
                value = -int(worst / _BELOW) if worst >= _BELOW else int(worst)
                msg = (
                    f"{where}: target values must be in [0, {num_classes}) or "
                    f"ignore_index={ignore_index}, got {value}"
                )
                raise IndexError(msg)

        defer_check(backend, xp.max(outside), in_range)
    if target.size and not num_classes:  # no classes: every kept target is out of range
        # (the range check's 0 for a fitting index cannot tell a target 0 from one that fits)

        def none_kept(kept):
            if int(kept):
                msg = (
                    f"{where}: target values must be in [0, 0) (the input has no classes) or "
                    f"ignore_index={ignore_index}, got {int(kept)} other target(s)"
                )
                raise IndexError(msg)

        defer_check(backend, xp.sum(valid), none_kept)
    return valid, index, target_weight


_BELOW = 2.0**100  # above every int64: the range check's scale for negative indices


@functools.cache
def _weighted_mean(xp):
    def weighted_mean(total, weight):
        # PyTorch reduces the NLL and label-smoothing terms apart, and no kept weight makes
        # the NLL term 0/0: NaN, even where the smoothing term alone would be +-inf
        return xp.where(weight == 0, xp.nan, total / weight)

    return weighted_mean


@functools.cache
def _kept_grad(xp):
    def kept_grad(valid, grad):
        return xp.where(valid, grad, 0.0)

    return kept_grad


@functools.cache
def _index_chains(xp, dtype):
    """The elementwise parts of :func:`_class_indices`: the indices, with a number per index
    for the range check (0 inside ``[0, C)``, ``|t| * 2**100`` below it, ``t`` above it: one
    max finds an offender, a negative one first, and its value), and the kept targets'
    weights."""

    def index_chain(target, ignore_index, num_classes, last_class):
        valid = target != ignore_index
        kept = xp.where(valid, target, 0)
        # float64: a negative t scaled by 2**100 (exactly) outranks every t >= C
        outside = xp.where(kept < 0, kept * -_BELOW, xp.where(kept >= num_classes, kept * 1.0, 0.0))
        index = xp.minimum(xp.maximum(kept, 0), last_class)
        return valid, index, outside, valid.astype(dtype)

    def kept_weight(valid, per_class):
        """Each target's class weight, 0 where it is ignored (whatever its class's weight)."""
        return xp.where(valid, per_class, 0.0).astype(dtype)

    return index_chain, kept_weight
