"""What every pooling kernel shares: batching of (C, H, W) inputs, the fixed-window
geometry, PyTorch's running-argmax rule, and the fold of kernel offsets.

Forward passes loop over the ``kH * kW`` kernel offsets of the shared window view
(:mod:`._windows`) and combine strided slices elementwise (much faster than reducing tiny
strided window axes), one batch block at a time (``backend.block_bytes``: a block stays in
a CPU's cache). Used by :mod:`.max_pooling`, :mod:`.avg_pooling` and
:mod:`.adaptive_pooling`.
"""

from __future__ import annotations

from ._blocks import batch_blocks
from ._checks import array_backend, check_ndim, to_tuple
from ._windows import (
    check_padding_at_most_half,
    kernel_offsets,
    pad2d,
    sliding_windows,
    window_geometry,
)


def batched(where, input):
    """(backend, input as (N, C, H, W), whether it was unbatched)."""
    backend = array_backend(where, input=input)
    check_ndim(where, "input", input, (3, 4), "(N, C, H, W) or (C, H, W)")
    return backend, (input[None] if input.ndim == 3 else input), input.ndim == 3


def pool_geometry(where, x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel_size = to_tuple(where, "kernel_size", kernel_size)
    stride = kernel_size if stride is None or stride == [] else to_tuple(where, "stride", stride)
    padding = to_tuple(where, "padding", padding, minimum=0)
    dilation = to_tuple(where, "dilation", dilation)
    check_padding_at_most_half(where, padding, kernel_size)
    return window_geometry(
        where, x.shape[2:], kernel_size, stride, dilation, padding, ceil_mode=ceil_mode
    )


def running_argmax(xp, candidates, best, label):
    """Fold ``(values, label)`` pairs into ``best`` and ``label`` in place, PyTorch's rule.

    ``best`` starts at -inf, ``label`` at the label for windows that stay -inf. A later
    element wins if strictly larger (ties keep the first) or NaN (the last NaN wins).
    ``values`` should be contiguous: each is read three times. Arithmetic instead of
    ``where``: NumPy's ``where`` is ~3x slower on random masks.
    """
    for values, candidate in candidates:
        update = values > best
        update |= values != values  # NaN
        label += update * (candidate - label)
        xp.maximum(best, values, out=best)  # NaN propagates, as the PyTorch value does


def fold_offsets(combine, windows, geometry, out):
    """``combine`` (``xp.maximum``, ``xp.add``) of every kernel offset's slice of ``windows``.

    kH * kW elementwise calls over strided slices into ``out``: ~15x faster on NumPy than
    reducing the tiny strided window axes.
    """
    slices = [windows[..., i, j] for i, j in kernel_offsets(geometry)]
    if len(slices) == 1:
        out[...] = slices[0]
        return
    combine(slices[0], slices[1], out=out)
    for values in slices[2:]:
        combine(out, values, out=out)


def pooled(backend, combine, x, geometry, pad_value, dtype):
    """``combine`` over every window of ``x`` (N, C, H, W), block by block: (N, C, H_out,
    W_out) of ``dtype``, padding with ``pad_value``."""
    xp = backend.xp
    output = xp.empty((*x.shape[:2], *geometry.output), dtype=dtype)

    def pool_block(block):
        padded = pad2d(xp, x[block], geometry, pad_value, dtype)
        fold_offsets(combine, sliding_windows(backend, padded, geometry), geometry, output[block])

    backend.map_blocks(pool_block, batch_blocks(backend, output.shape, dtype))
    return output
