"""The connectionist temporal classification (CTC) loss, with its backward function.

PyTorch's ``ctc_loss`` (``aten/src/ATen/native/LossCTC.cpp``, after Graves et al. 2006,
section 4.1): each sequence's targets, with a blank before, between and after them, are the
``2 L + 1`` positions ``s`` of a lattice; ``log_alpha[t, s]`` (the forward variables) and
``log_beta[t, s]`` (the backward ones, which include frame ``t`` too) run in log space, with
PyTorch's stable ``log(exp(a - m) + exp(b - m) + exp(c - m)) + m`` (``m = 0`` where every term
is -inf, so no NaN). Python loops over time only, each step one fused call over the batch and
all positions; the backward sums ``exp(log_alpha + log_beta + nll - log_probs)`` per class
with fixed-order reductions (no scatter-add), so the bits never depend on the thread count.
Axis letters: ``T`` time, ``N`` batch, ``C`` classes, ``L`` label slots, ``S = 2 L + 1``.
Neighbours: :mod:`.loss` (cross-entropy, NLL), :mod:`.likelihood_loss`.
"""

from __future__ import annotations

import functools

from ..backends import backend_of
from ..backends._base import fused
from ._blocks import compute_dtype
from ._checks import check_grad_output, kernel
from ._ctc_args import CTCCall

__all__ = ["ctc_loss", "ctc_loss_backward"]


def _extended(xp, labels, blank):
    """The lattice's labels (N, S): blank, label 0, blank, label 1, ..., blank."""
    N, L = labels.shape
    blanks = xp.full((N, L), blank, dtype=xp.int64)
    pairs = xp.reshape(xp.stack([blanks, labels], axis=2), (N, 2 * L))  # (N, L, 2) -> (N, 2 L)
    return xp.concatenate([pairs, xp.full((N, 1), blank, dtype=xp.int64)], axis=1)


def _class_rows(xp, labels, valid, blank, C):
    """``(match (N, J, L), slot (N, C))``: the label slots each row ``j`` sums, and the row
    of each class in a table of those J sums, the blank's and a zero. Rows per label slot (a
    slot's row sums every slot of its class; a class reads its first) where L <= C, else one
    per class: N L min(L, C) work a step. No scatter-add: a row's sum has fixed-order bits."""
    N, L = labels.shape
    if L <= C:
        keys, slot = labels, xp.full((N, C + 1), L + 1, dtype=xp.int64)
        slot[:, blank] = L
        if L:  # slots past a length write column C, dropped after
            columns = xp.where(valid, labels, C)
            xp.put_along_axis(slot, columns, xp.broadcast_to(xp.arange(L), (N, L)), axis=1)
        slot = slot[:, :C]
    else:
        keys, classes = xp.arange(C)[None, :], xp.arange(C)
        slot = xp.broadcast_to(xp.where(classes == blank, C, classes), (N, C))
    match = (keys[:, :, None] == labels[:, None, :]) & valid[:, None, :]
    return match, slot


class _Lattice(CTCCall):
    """A checked call (:class:`CTCCall`: lengths, labels, ``steps``) and its lattice:
    ``log_probs`` (steps, N, C) in the compute dtype; ``emit`` (steps, N, S): each position's
    log-probability; ``valid`` (N, S): the positions ``s <= 2 target_length``; ``skip``
    (N, S): ``s`` may follow ``s - 2`` (its label differs from the one before); ``match``,
    ``slot``: :func:`_class_rows`; ``active`` (steps, N, 1): ``t < input_length``."""

    def __init__(self, where, *arguments):
        super().__init__(where, *arguments)
        log_probs, blank = arguments[0], arguments[4]
        xp, (T, N, C) = self.backend.xp, self.shape
        self.xp, self.dtype = xp, log_probs.dtype
        compute = compute_dtype(xp, log_probs.dtype)
        self.log_probs = xp.reshape(log_probs, (T, N, C))[: self.steps].astype(compute, copy=False)
        ext = _extended(xp, self.labels, blank)
        S = ext.shape[1]
        self.valid = xp.arange(S) < 2 * self.target_lengths[:, None] + 1
        self.skip = (xp.arange(S) >= 2) & (ext != xp.roll(ext, 2, axis=1))  # ext[s - 2]
        index = xp.broadcast_to(ext, (self.steps, N, S))
        self.emit = xp.take_along_axis(self.log_probs, index, axis=2)  # (steps, N, S)
        self.match, self.slot = _class_rows(xp, self.labels, self.label_valid, blank, C)
        self.active = (xp.arange(self.steps)[:, None] < self.input_lengths)[:, :, None]

    def alphas(self):
        """``log_alpha`` (steps, N, 2 + S), two -inf columns first; frozen past a sequence's
        length, so its last row holds each sequence's last frame."""
        xp, (steps, N, S) = self.xp, self.emit.shape
        alpha = xp.full((steps, N, S + 2), -xp.inf, dtype=self.emit.dtype)
        first = self.valid & (xp.arange(S) < 2)  # a path starts with a blank or the first label
        alpha[0, :, 2:] = xp.where(first, self.emit[0], -xp.inf)
        step = fused(self.backend, _chains(xp)[0])
        for t in range(1, steps):
            before = alpha[t - 1]
            shifted = before[:, 2:], before[:, 1:-1], before[:, :-2]  # s, s - 1, s - 2
            alpha[t, :, 2:] = step(*shifted, self.skip, self.emit[t], self.active[t], self.valid)
        return alpha

    def nll(self, alpha):
        """The loss per sequence (N,), PyTorch's ``-log(alpha[2 L] + alpha[2 L - 1])`` at the
        last frame; an empty input: 0 for an empty target, else inf."""
        xp, last = self.xp, alpha[-1, :, 2:]
        end = xp.clip(2 * self.target_lengths, 0, last.shape[1] - 1)[:, None]
        final = xp.take_along_axis(last, end, axis=1)[:, 0]
        label = xp.take_along_axis(last, xp.maximum(end - 1, 0), axis=1)[:, 0]
        likelihood = fused(self.backend, _chains(xp)[1])
        return likelihood(final, label, self.target_lengths, self.input_lengths)

    def occupancy(self, alpha, nll):
        """For each frame, sequence and class (steps, N, C), the sum over the class's positions
        of ``exp(log_alpha + log_beta + nll - log_probs)``: the share of the probability of the
        target's paths that pass through it (PyTorch's ``exp(lcab + nll - lp)``, where its
        ``lcab`` is the log of this sum before the division)."""
        xp, (steps, N, S) = self.xp, self.emit.shape
        # log_beta of frames t + 1 and t in turn, two -inf columns after the last position
        beta = xp.full((2, N, S + 2), -xp.inf, dtype=self.emit.dtype)
        skip_next = xp.roll(self.skip, -2, axis=1)  # skip[s + 2]; skip[0], skip[1] are False
        last_two = self.valid & (xp.arange(S) >= 2 * self.target_lengths[:, None] - 1)
        times, last = xp.arange(steps)[:, None, None], self.input_lengths[:, None] - 1
        recur, start = times < last, times == last  # (steps, N, 1)
        gamma = xp.empty((steps, N, self.shape[2]), dtype=self.emit.dtype)
        chains = _chains(xp)
        step, per_position = fused(self.backend, chains[2]), fused(self.backend, chains[3])
        for t in range(steps - 1, -1, -1):
            after, here = beta[(t + 1) % 2], beta[t % 2]
            shifted = after[:, :-2], after[:, 1:-1], after[:, 2:]  # s, s + 1, s + 2
            masks = recur[t], start[t], self.valid, last_two
            here[:, :-2] = step(*shifted, skip_next, self.emit[t], *masks)
            shares = per_position(
                alpha[t, :, 2:], here[:, :-2], nll[:, None], self.emit[t], self.valid
            )
            gamma[t] = _by_class(xp, shares, self.match, self.slot)
        return gamma


def _by_class(xp, shares, match, slot):
    """``shares`` (N, S) summed by class (N, C): blanks at the even positions, the labels by
    the rows of :func:`_class_rows`, 0 for a class no position holds."""
    blank = xp.sum(shares[:, 0::2], axis=1, keepdims=True)  # (N, 1)
    rows = xp.sum(xp.where(match, shares[:, None, 1::2], 0.0), axis=2)  # (N, J, L) -> (N, J)
    table = xp.concatenate([rows, blank, xp.zeros_like(blank)], axis=1)  # (N, J + 2)
    return xp.take_along_axis(table, slot, axis=1)


@functools.cache
def _chains(xp):
    """The elementwise steps, each one fused call: ``(alpha_step, likelihood, beta_step,
    occupancy, gradient)``."""
    inf = xp.inf

    def log_add(a, b, c):
        # PyTorch's log(exp(a - m) + exp(b - m) + exp(c - m)) + m, m = 0 where all are -inf
        top = xp.maximum(xp.maximum(a, b), c)
        top = xp.where(top == -inf, 0.0, top)
        return xp.log(xp.exp(a - top) + xp.exp(b - top) + xp.exp(c - top)) + top

    def alpha_step(here, one, two, skip, emit, active, valid):
        new = log_add(here, one, xp.where(skip, two, -inf)) + emit
        return xp.where(active & valid, new, here)

    def likelihood(final, label, target_lengths, input_lengths):
        total = log_add(final, xp.where(target_lengths > 0, label, -inf), -inf)
        empty = xp.where(target_lengths == 0, 0.0, -inf)  # no frames: only an empty target
        return -xp.where(input_lengths == 0, empty, total)

    def beta_step(here, one, two, skip, emit, recur, start, valid, last_two):
        new = log_add(here, one, xp.where(skip, two, -inf)) + emit
        return xp.where(recur & valid, new, xp.where(start & last_two, emit, -inf))

    def occupancy(alpha, beta, nll, emit, valid):
        return xp.where(valid, xp.exp(alpha + beta + nll - emit), 0.0)

    def gradient(log_probs, gamma, nll, grad, live):
        # PyTorch's exp(-inf + nll - lp) of a class no position holds (0, or NaN for an
        # infinite loss or a -inf log-probability, as PyTorch's), added to every class
        gamma = gamma + xp.exp(-inf + nll - log_probs)
        return xp.where(live, (xp.exp(log_probs) - gamma) * grad, 0.0)

    return alpha_step, likelihood, beta_step, occupancy, gradient


def _reduce(lattice, loss, reduction, zero_infinity):
    """PyTorch's ``ctc_loss_impl``: inf -> 0 with ``zero_infinity``; ``'mean'`` divides each
    loss by its target length (at least 1) and averages over the batch."""
    xp = lattice.xp
    if zero_infinity:
        loss = xp.where(loss == xp.inf, 0.0, loss)
    if reduction == "mean":
        lengths = xp.maximum(lattice.target_lengths, 1).astype(loss.dtype)
        loss = xp.sum(loss / lengths) / loss.shape[0]
    elif reduction == "sum":
        loss = xp.sum(loss)
    elif lattice.unbatched:
        loss = loss[0]
    return xp.asarray(loss).astype(lattice.dtype, copy=False)


@kernel
def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
):
    r"""The connectionist temporal classification loss, as PyTorch's ``ctc_loss``: for each
    sequence, ``-log`` of the summed probability of every alignment of its frames to its
    targets (a blank between repeated labels), by the forward recursion of Graves et al.
    (2006).

    Args:
        log_probs: float array (T, N, C) or (T, C) (one sequence): log-probabilities of the
            C classes (blank included) per frame, e.g. from ``log_softmax``.
        targets: integer array (N, S), each row padded past its length, or 1-D, the
            sequences' targets concatenated (``sum(target_lengths)``). Values in [0, C), not
            ``blank``.
        input_lengths: each sequence's frames, in [0, T]: a tuple or list of N ints, or an
            integer array of N values (PyTorch's ``Tensor``).
        target_lengths: each sequence's target length, at least 0 (at most S when padded).
        blank: the blank class, in [0, C). Default: 0.
        reduction: ``'none'``, ``'mean'`` (each loss divided by its target length, at least
            1, then the batch mean) or ``'sum'``. Default: ``'mean'``.
        zero_infinity: make infinite losses (targets that fit no alignment) and their
            gradients 0. Default: ``False``.

    Returns:
        The loss in ``log_probs``' dtype: (N,) for ``'none'`` (0-d unbatched), else 0-d.

    Raises:
        ValueError: bad shapes, ``blank`` or lengths out of range (on NumPy and for host
        lengths at once; for lengths given as device arrays at the next host read), targets
        out of range or equal to ``blank`` (at the next host read on a GPU), a bad
        ``reduction``. TypeError: a non-float ``log_probs``, non-integer targets or lengths
        (lengths: also PyTorch's ``RuntimeError``).

    Note:
        Lengths as tuples or lists are the host values PyTorch reads anyway: the work is
        sized by the largest. Lengths as device arrays are never read (no device-to-host
        sync): every one of the T frames is computed (masked past each length), and with
        concatenated targets the label axis spans all of them (N times the work, and the
        memory of a (T, N, 2 sum(target_lengths) + 1) array): pass host lengths there. The
        values are the same either way. PyTorch accepts float targets, and reads out of
        bounds for a target outside [0, C); xpnet refuses both, and a target equal to
        ``blank`` (forbidden in PyTorch's documentation). float16 computes in float32 (PyTorch
        has no float16 ``ctc_loss`` on the CPU).

    Example:
        >>> log_probs = xp.log(xp.full((3, 1, 2), 0.5))  # T=3, N=1; classes: blank, "a"
        >>> ctc_loss(log_probs, xp.asarray([[1]]), (3,), (1,), reduction="none")  # 6 of 8 paths
        array([0.28768207])
    """
    arguments = log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity
    lattice = _Lattice("ctc_loss", *arguments)
    return _reduce(lattice, lattice.nll(lattice.alphas()), reduction, zero_infinity)


def _element_grad(lattice, grad_output, reduction):
    """``d loss / d loss_n`` (N,) in the compute dtype; PyTorch's order for ``'mean'``: the
    mean's backward (``/ N``), then the division by the clamped target lengths."""
    xp, lengths = lattice.xp, lattice.target_lengths
    grad = xp.reshape(grad_output.astype(lattice.emit.dtype, copy=False), (-1,))
    if reduction == "mean":
        return grad / lengths.shape[0] / xp.maximum(lengths, 1).astype(grad.dtype)
    return xp.broadcast_to(grad, lengths.shape)


@kernel
def ctc_loss_backward(
    grad_output,
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
):
    r"""Gradient of :func:`ctc_loss` for ``log_probs`` (targets and lengths get none), as
    PyTorch's: ``(exp(log_probs) - gamma) * grad`` per frame ``t < input_length``, 0 after,
    where ``gamma[t, c]`` sums ``exp(log_alpha + log_beta + nll - log_probs)`` over the
    positions of class ``c`` (recomputed here: the forward keeps nothing).

    Note:
        This is PyTorch's formula, not the derivative of :func:`ctc_loss` alone, which is
        ``-gamma * grad``: PyTorch adds ``exp(log_probs) * grad``, taking ``log_probs`` to be
        ``log_softmax`` outputs. Through ``log_softmax``'s backward both give the same logit
        gradients, ``(softmax - gamma) * grad``, as each frame's ``exp(log_probs)`` and
        ``gamma`` sum to 1 (for ``log_probs`` that are not normalised, this is still
        PyTorch's value, not the derivative). An infinite loss gives NaN over its frames
        (PyTorch's ``-inf + inf``), 0 with ``zero_infinity``; a -inf log-probability gives
        NaN at its frame, as in PyTorch.

    Example:
        >>> log_probs = xp.log(xp.full((1, 2), 0.5))  # one frame, unbatched
        >>> ctc_loss_backward(xp.asarray(1.0), log_probs, xp.asarray([1]), (1,), (1,))
        array([[ 0.5, -0.5]])
    """
    where = "ctc_loss_backward"
    lattice = _Lattice(
        where, log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity
    )
    xp, (T, N, C) = lattice.xp, lattice.shape
    backend_of(log_probs, grad_output, names=("log_probs", "grad_output"), where=where)
    expected = (() if lattice.unbatched else (N,)) if reduction == "none" else ()
    check_grad_output(where, grad_output, expected, lattice.dtype, of=None)
    alpha = lattice.alphas()
    nll = lattice.nll(alpha)
    gamma = lattice.occupancy(alpha, nll)
    live = lattice.active & (nll != xp.inf)[:, None] if zero_infinity else lattice.active
    grad = _element_grad(lattice, grad_output, reduction)
    rows = fused(lattice.backend, _chains(xp)[4])(
        lattice.log_probs, gamma, nll[:, None], grad[:, None], live
    )
    rows = rows.astype(lattice.dtype, copy=False)
    if lattice.steps < T:  # frames past every input length get 0
        rows = xp.concatenate([rows, xp.zeros((T - lattice.steps, N, C), dtype=rows.dtype)])
    return rows[:, 0] if lattice.unbatched else rows
