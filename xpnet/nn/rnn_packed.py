"""``RNN``, ``LSTM`` and ``GRU`` (:mod:`xpnet.nn.rnn`) over a :class:`~xpnet.nn.utils.rnn.
PackedSequence`, as PyTorch's: the output is packed like the input, and each sequence's final
state is the one after its own last step.

The layers' loop is :meth:`xpnet.nn.rnn.RNNBase._layers`; what differs is one direction's run
over the packed steps: step ``t`` updates the first ``batch_sizes[t]`` rows of the state (the
sequences are sorted longest first). Going forward, the rows of the sequences that end are
set aside as their final states; going backward, the rows of the sequences that start join
from the initial state. ``h_0`` (and ``c_0``) are given in the batch's original order and
permuted by ``sorted_indices``, the final states permuted back, as PyTorch's
``permute_hidden``.
"""

from __future__ import annotations

import functools
import math

from .._tensor_join import cat
from ..autograd import as_tensor
from ..kernels._checks import ArgumentError
from . import functional as F
from .rnn_cells import state_tuple
from .utils.packed_sequence import PackedSequence, host_lengths

__all__ = ["packed_forward"]


def packed_forward(module, input: PackedSequence, hx):
    """``module(input, hx)`` for a packed ``input``: ``(output, h_n)`` or, for LSTM,
    ``(output, (h_n, c_n))``, ``output`` a :class:`PackedSequence` with ``input``'s
    ``batch_sizes`` and indices."""
    name, pair = type(module).__name__, module.mode == "LSTM"
    data, batch_sizes, sorted_indices, unsorted_indices = input
    data = as_tensor(data)
    if data.ndim != 2:
        raise ArgumentError(f"{name}: input must have 2 dimensions, got {data.ndim}")
    sizes = [int(size) for size in host_lengths(name, batch_sizes)]
    if hx is None:
        hx = module._default_states(data, sizes[0])
    else:
        hx = state_tuple(name, hx, 2 if pair else 1, "a pair")
    module._check_forward_args(data, hx, sizes[0])
    if sorted_indices is not None:
        hx = tuple(h.index_select(1, sorted_indices) for h in hx)
    direction = functools.partial(_packed_direction, module, sizes)
    output, final = module._layers(data, hx, direction)
    if unsorted_indices is not None:
        final = tuple(h.index_select(1, unsorted_indices) for h in final)
    output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
    return output, (final if pair else final[0])


def packed_steps(gates, sizes: list) -> list:
    """The steps of packed ``gates`` (sum(sizes), G): (sizes[t], G) views with their own
    gradients, taken in two levels as :func:`xpnet.nn.rnn_cells.time_steps` (a view's gradient
    is an array of its parent's shape: one level would cost T whole-sequence arrays)."""
    block = max(1, math.isqrt(len(sizes)))
    groups = [sizes[start : start + block] for start in range(0, len(sizes), block)]
    parts = gates.split([sum(group) for group in groups], 0)
    return [step for part, group in zip(parts, groups, strict=True) for step in part.split(group)]


def _packed_direction(module, sizes, input, state, index, reverse) -> tuple:
    """One layer and direction over packed steps: ``(outputs (sum(sizes), H_out), state)``,
    ``state`` each sequence's final one, in packed (sorted) order."""
    weight_ih, bias_ih, *weights = module._weights(index)
    steps = packed_steps(F.linear(input, weight_ih, bias_ih), sizes)  # every step at once
    outputs = []
    if reverse:
        initial, state = state, tuple(h.narrow(0, 0, sizes[-1]) for h in state)
        for size, gates_t in zip(reversed(sizes), reversed(steps), strict=True):
            running = state[0].shape[0]
            if size > running:  # sequences that start here join from the initial state
                state = tuple(
                    cat([h, h0.narrow(0, running, size - running)])
                    for h, h0 in zip(state, initial, strict=True)
                )
            state = module._step(gates_t, state, *weights)
            outputs.append(state[0])
        outputs.reverse()
        return cat(outputs), state
    ended = []  # the final states of the sequences that have ended, the last ones first
    for size, gates_t in zip(sizes, steps, strict=True):
        running = state[0].shape[0]
        if size < running:
            ended.append(tuple(h.narrow(0, size, running - size) for h in state))
            state = tuple(h.narrow(0, 0, size) for h in state)
        state = module._step(gates_t, state, *weights)
        outputs.append(state[0])
    ended.append(state)
    final = tuple(cat([part[k] for part in reversed(ended)]) for k in range(len(state)))
    return cat(outputs), final
