"""``xpnet.autograd.grad(..., is_grads_batched=True)``: the first dimension of every upstream
gradient is a batch, and each input's gradient is that of every row, stacked, as PyTorch's.
PyTorch maps one backward pass over the batch (vmap); here :func:`batched_grad` runs one
walk per row (:mod:`xpnet._backward_pass`), keeping the graph for the next one.
"""

from __future__ import annotations

from ._backward_pass import grad
from ._tensor_join import stack
from .kernels._checks import ArgumentError

__all__ = ["batch_size", "batched_grad"]


def _as_tuple(values) -> tuple:
    return tuple(values) if isinstance(values, (list, tuple)) else (values,)


def batch_size(outputs: tuple, grad_outputs: tuple) -> int:
    """The batch of ``grad_outputs``: their first dimension, one size over all that are
    given, the others each output's shape.

    Raises:
        RuntimeError: a gradient whose other dimensions are not its output's shape.
        ValueError, RuntimeError: no gradient given, batches of several sizes, or none.
    """
    sizes = set()
    for index, (output, rows) in enumerate(zip(outputs, grad_outputs, strict=False)):
        if rows is None:
            continue
        if not rows.shape or tuple(rows.shape[1:]) != tuple(output.shape):
            msg = (
                "grad: with is_grads_batched=True the first dimension of each grad_output is "
                f"the batch and the others the output's shape: grad_output[{index}] has shape "
                f"{tuple(rows.shape)}, output[{index}] has shape {tuple(output.shape)}"
            )
            raise RuntimeError(msg)
        sizes.add(rows.shape[0])
    if len(sizes) != 1 or 0 in sizes:  # PyTorch: vmap's ValueError, or an IndexError for 0
        msg = f"grad: is_grads_batched=True needs one batch size over grad_outputs, got {sizes}"
        raise ArgumentError(msg)
    return sizes.pop()


def batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, unused, zeros):
    """:func:`xpnet.autograd.grad` once per row of ``grad_outputs``, each input's gradients
    stacked: ``None`` for an input the outputs do not use (with ``unused``, that is
    ``allow_unused``), or with ``zeros`` (``materialize_grads``) zeros of the batch's shape
    (PyTorch gives zeros of the input's shape, without the batch)."""
    outputs, grad_outputs = _as_tuple(outputs), _as_tuple(grad_outputs)
    size = batch_size(outputs, grad_outputs)
    keep = bool(create_graph if retain_graph is None else retain_graph)
    rows = []
    for row in range(size):
        given = [g if g is None else g[row] for g in grad_outputs]
        retain = keep or row + 1 < size  # the graph serves every row
        rows.append(grad(outputs, inputs, given, retain, create_graph, allow_unused=unused))
    results = []
    for found, tensor in zip(zip(*rows, strict=True), _as_tuple(inputs), strict=True):
        if found[0] is None and zeros:
            found = [tensor.new_zeros(tensor.shape)] * size
        results.append(None if found[0] is None else stack(found))
    return tuple(results)
