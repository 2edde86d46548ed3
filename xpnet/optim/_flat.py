"""Flat buffers behind the optimizers: one update for many parameters, O(1) device calls.

:meth:`xpnet.optim.Optimizer.step` sorts the parameters that have a gradient into
*buckets*: one parameter group, backend and dtype, the same state keys and step count.
Within a bucket, every ``param.array`` and every state array (momentum buffer, moments) is
a view of one flat buffer per kind, so the optimizer's update runs once, on the flat
buffers, and updates them all, as PyTorch's ``foreach``/``fused`` optimizers and apex's
flattened parameters do. The gradients, fresh arrays from each backward pass, are gathered
by one concatenate per step. Elementwise arithmetic gives each element the same bits
whatever array it sits in, so this is bit-identical to updating the parameters one by one.
The optimizers write their updates as elementwise chains run by :func:`update_in_place`
(one fused launch on CuPy and strict, the plain chain on NumPy).

The flat buffers are a cache, checked by identity before each update: a parameter whose
``.array`` was replaced (``Module.to``, a user's assignment; ``Module.load_state_dict``
writes in place and keeps it), or whose state was replaced (``Optimizer.load_state_dict``),
is gathered again (one concatenate per buffer) into a new flat buffer. A bucket of one
parameter keeps its arrays as they are (a flat view, no copy).

Skipping a step on the device (:class:`xpnet.GradScaler`, as PyTorch's fused optimizers): given
``found_inf``, a 0-d device flag (nonzero: the gradients held inf/NaN), :func:`update_in_place`
keeps each target's old value where the flag is set (``where(found, old, new)`` inside the
fused chain, so no inf or NaN of the discarded values leaks), and :func:`advanced_step`
advances the step count, a 0-d float64 device array shared by the bucket, only where it is
not: no host read. A step count on the device (``SHARED_KEYS``) is one value per bucket, not a
flat buffer.
"""

from __future__ import annotations

import functools
from typing import Any

from ..backends import backend_of
from ..backends._base import fused, runs_unblocked
from ..kernels._blocks import map_batch

__all__ = [
    "SHARED_KEYS",
    "Bucket",
    "FlatParameter",
    "advanced_step",
    "count_step",
    "counts_on_device",
    "gather",
    "is_buffer",
    "layout_key",
    "split",
    "update_in_place",
]

#: state entries that are one value for a bucket: a Python number, or a 0-d device array
#: (the step count; NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``, functions of it)
SHARED_KEYS = frozenset({"step", "mu_product", "eta", "mu"})


# a CPU chain's temporaries per operand: they stay in L2 and under glibc's mmap threshold
# (128 KiB), so the allocator reuses them instead of faulting in fresh pages at every call
_CPU_PIECE_BYTES = 1 << 16


def update_in_place(targets: tuple, chain, *operands, found_inf=None) -> None:
    """Run ``chain(*operands)`` (elementwise, returning one new value per target) as one
    fused call, then write each value into its target: one launch plus one per target.

    A fused kernel returns new arrays (``cupy.fuse`` writes no argument), hence the writes.
    On a CPU the chain runs on the backend's threads (:func:`batch_blocks`), each block in
    pieces of ``_CPU_PIECE_BYTES`` per operand; on a GPU (one block) it is one call. 0-d
    operands (device scalars) go whole into every piece.

    With ``found_inf`` (a 0-d device flag) the same call keeps every target's old value where
    the flag is nonzero, and its new value elsewhere: a skipped step, decided on the device.
    """
    backend = backend_of(targets[0])
    if found_inf is None:
        update = fused(backend, chain)
    else:
        update = fused(backend, _skipping(backend.xp, chain, len(targets)))
        operands = (found_inf, *targets, *operands)
    shape = targets[0].shape
    if len(shape) != 1 or any(_sliced(op) and op.shape != shape for op in operands):
        values = update(*operands)  # a gradient broadcast to its parameter: as it comes
        for target, value in zip(targets, values, strict=True):
            target[...] = value
        return
    piece = shape[0]
    if not runs_unblocked(backend):
        piece = max(1, _CPU_PIECE_BYTES // targets[0].itemsize)

    def update_block(block: slice) -> None:
        for start in range(block.start, block.stop, piece):
            part = slice(start, min(start + piece, block.stop))
            values = update(*(op[part] if _sliced(op) else op for op in operands))
            for target, value in zip(targets, values, strict=True):
                target[part] = value

    map_batch(backend, update_block, shape, targets[0].dtype)


@functools.cache
def _skipping(xp, chain, count: int):
    """``chain`` behind a found-inf flag: ``run(found_inf, *olds, *operands)`` returns, for
    each of the ``count`` targets, ``where(found_inf != 0, old, new)``: the old bits where the
    step is skipped, whatever inf or NaN the new value holds."""

    def run(found_inf, *args):
        skip = found_inf != 0
        olds, news = args[:count], chain(*args[count:])
        return tuple(xp.where(skip, old, new) for old, new in zip(olds, news, strict=True))

    return run


def advanced_step(like, step, found_inf=None, scalars=None, *args) -> tuple:
    """The step count after one more step, on the device, and what the update needs of it.

    Args:
        like: the bucket's data (its backend, and the dtype of the scalars).
        step: the step count so far: a Python int (put on the device here) or a 0-d
            float64 device array.
        found_inf: a 0-d device flag; where nonzero the count stays (a skipped step). Default:
            ``None`` (every step counts).
        scalars: ``scalars(xp, step, *args)`` returns device scalars of the new count (bias
            corrections, say), computed in float64 and cast to ``like.dtype``. Default: none.

    Returns:
        ``(step, *scalars)``, 0-d device arrays from one fused call: no host read.
    """
    backend = backend_of(like)
    xp = backend.xp
    if not _is_array(step):  # the first count on the device: exact in float64 to 2**53
        step = xp.full((), step, dtype=xp.float64)
    advance = _advance(xp, like.dtype, scalars, found_inf is not None)
    flag = () if found_inf is None else (found_inf,)  # none: a device count stepped plainly
    return fused(backend, advance)(step, *flag, *args)


def counts_on_device(state: dict[str, Any], found_inf=None) -> bool:
    """Whether this step's count goes through :func:`advanced_step`: a found-inf flag came,
    or an earlier one already put ``state["step"]`` on the device. Otherwise it stays a
    Python int, and the scalars made from it host floats (no device work)."""
    return found_inf is not None or _is_array(state["step"])


def count_step(like, state: dict[str, Any], found_inf=None) -> None:
    """One more step in ``state["step"]`` where nothing else is made of it: on the host, or
    on the device (:func:`advanced_step`) as :func:`counts_on_device` says."""
    if counts_on_device(state, found_inf):
        (state["step"],) = advanced_step(like, state["step"], found_inf)
    else:
        state["step"] += 1


@functools.cache
def _advance(xp, dtype, scalars, flagged: bool):
    """``advance(step[, found_inf], *args)`` for :func:`advanced_step`."""

    def advance(step, *args):
        if flagged:
            found_inf, *args = args
            step = xp.where(found_inf != 0, step, step + 1.0)
        else:
            step = step + 1.0
        if scalars is None:
            return (step,)
        return (step, *(value.astype(dtype) for value in scalars(xp, step, *args)))

    return advance


def grad_array(param):
    """The array of ``param.grad``: a Tensor's (xpnet's parameters), or the array itself (a
    duck-typed parameter, a :class:`FlatParameter`); ``None`` without a gradient."""
    grad = param.grad
    return grad.array if hasattr(grad, "grad_fn") else grad


class FlatParameter:
    """What an optimizer's update sees for a bucket: ``data`` and ``grad``, both 1-d."""

    def __init__(self, data, grad) -> None:
        self.array = data
        self.grad = grad


def split(flat, arrays) -> list:
    """Views of 1-d ``flat``, one shaped like each of ``arrays``, laid out in their order."""
    views, offset = [], 0
    for array in arrays:
        views.append(flat[offset : offset + array.size].reshape(array.shape))
        offset += array.size
    return views


def gather(xp, arrays) -> tuple[Any, list]:
    """``(flat, views)``: ``arrays`` as one 1-d array and views of it shaped like them.

    One contiguous array is its own view (no copy); several are copied by one concatenate.
    """
    if len(arrays) == 1 and arrays[0].flags.c_contiguous:
        return arrays[0].reshape(-1), [arrays[0]]
    flat = xp.concatenate([array.reshape(-1) for array in arrays])
    return flat, split(flat, arrays)


def _is_array(value) -> bool:
    return hasattr(value, "shape")


def _sliced(operand) -> bool:
    """Whether ``operand`` is cut into pieces with the targets (not a 0-d device scalar)."""
    return _is_array(operand) and operand.ndim > 0


def is_buffer(key: str, value) -> bool:
    """Whether the state entry ``key: value`` is a per-element array (a flat buffer)."""
    return _is_array(value) and key not in SHARED_KEYS


def layout_key(key: str, value):
    """What of a state entry decides its bucket: nothing for a buffer; the object for a step
    count on the device (the parameters that share one were stepped together); the value."""
    if is_buffer(key, value):
        return None
    return ("device", id(value)) if _is_array(value) else value


class Bucket:
    """Parameters updated together: their data and state as views of flat buffers.

    Args:
        xp: the parameters' array namespace.
        params: the parameters, in their group's order (same backend and dtype).
    """

    def __init__(self, xp, params: list) -> None:
        self.xp = xp
        self.params = params
        self.array = None
        self.data_views: list = []
        self.state: dict[str, tuple[Any, list]] = {}  # key: (flat buffer, per-parameter views)

    def flat_data(self):
        """The flat buffer of which every ``param.array`` is a view (gathered if one is not)."""
        params = self.params
        if len(self.data_views) != len(params) or any(
            param.array is not view for param, view in zip(params, self.data_views, strict=True)
        ):
            self.array, self.data_views = gather(self.xp, [param.array for param in params])
            for param, view in zip(params, self.data_views, strict=True):
                param.array = view
        return self.array

    def flat_grad(self):
        """All gradients as one 1-d array (one concatenate; a view for one parameter)."""
        grads = [grad_array(param) for param in self.params]
        if len(grads) == 1:
            return grads[0].reshape(-1)
        return self.xp.concatenate([grad.reshape(-1) for grad in grads])

    def flat_state(self, states: list[dict[str, Any]]) -> dict[str, Any]:
        """One state dict for the bucket: each array entry the flat buffer of which the
        parameters' entries (``states``, the same keys and steps) are views."""
        flat = {}
        for key, value in states[0].items():
            if not is_buffer(key, value):
                flat[key] = value
                continue
            arrays = [state[key] for state in states]
            cached = self.state.get(key)
            if cached is None or any(
                array is not view for array, view in zip(arrays, cached[1], strict=True)
            ):
                cached = self.state[key] = gather(self.xp, arrays)
                for state, view in zip(states, cached[1], strict=True):
                    state[key] = view
            flat[key] = cached[0]
        return flat

    def scatter_state(self, flat: dict[str, Any], states: list[dict[str, Any]]) -> None:
        """Write the bucket's state after an update back to the parameters' ``states``:
        views of new flat arrays (the update made them), and the shared values (steps)."""
        for key, value in flat.items():
            if not is_buffer(key, value):
                for state in states:
                    state[key] = value
                continue
            cached = self.state.get(key)
            if cached is None or cached[0] is not value:
                data = [param.array for param in self.params]
                cached = self.state[key] = (value, split(value, data))
            for state, view in zip(states, cached[1], strict=True):
                state[key] = view
