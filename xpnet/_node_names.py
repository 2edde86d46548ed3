"""The names PyTorch gives xpnet's nodes (``grad_fn.name()``, and ``grad_fn=<...>`` where a
Tensor prints): xpnet's op in PyTorch's form (``mul_backward`` is ``MulBackward0``), which is
PyTorch's own where xpnet records the op PyTorch records (``mul``, ``sum``, ``mean``, ``exp``,
``relu``, ``mse_loss``, ...) or the same operation under another name (:data:`_TORCH_NODE_NAMES`),
and differs where PyTorch records a different op (``-x`` is ``MulBackward0`` here,
``NegBackward0`` in PyTorch; docs/porting.md lists them). Views, indexing, products and
``linear`` take PyTorch's name by the call (``ViewBackward0``, ``SelectBackward0``,
``AddmmBackward0``, ...; :func:`recorded_name`, :func:`name_node`), though xpnet records one
op for several of them.

Neighbours: :mod:`xpnet.autograd` (``Node``, whose ``name()`` this is),
:mod:`xpnet._tensor_print` (how Tensors print), :mod:`xpnet._autograd_graph`
(``next_functions``).
"""

from __future__ import annotations

# the node PyTorch records for xpnet's op where the two record the same operation under other
# names (PyTorch 2.13, CPU); the remaining differences are listed in docs/porting.md
_TORCH_NODE_NAMES = {
    "concatenate": "CatBackward0",
    "stack_arrays": "StackBackward0",
    "broadcast": "ExpandBackward0",
    "cast": "ToCopyBackward0",
    "max": "MaxBackward1",  # xpnet's max and min of every element; PyTorch's overload 1
    "min": "MinBackward1",
    "elementwise_max": "MaximumBackward0",
    "elementwise_min": "MinimumBackward0",
    "choose": "WhereBackward0",
    "fill_masked": "MaskedFillBackward0",
    "take_along_dim": "GatherBackward0",
    "select_indices": "IndexSelectBackward0",
    "cumulative_sum": "CumsumBackward0",
    "vector_norm": "LinalgVectorNormBackward0",
    "logsigmoid": "LogSigmoidBackward0",
    "relu6": "HardtanhBackward0",  # PyTorch's relu6 is hardtanh(0, 6)
    "prelu": "PreluKernelBackward0",
    "unfold": "Im2ColBackward0",
    "fold": "Col2ImBackward0",
    **{f"conv{k}": "ConvolutionBackward0" for k in ("1d", "2d", "3d")},
    **{f"conv_transpose{k}": "ConvolutionBackward0" for k in ("1d", "2d", "3d")},
    "max_pool2d": "MaxPool2DWithIndicesBackward0",
    "max_pool3d": "MaxPool3DWithIndicesBackward0",
    "avg_pool2d": "AvgPool2DBackward0",
    "avg_pool3d": "AvgPool3DBackward0",
    "batch_norm": "NativeBatchNormBackward0",
    "layer_norm": "NativeLayerNormBackward0",
    "group_norm": "NativeGroupNormBackward0",
}


def grad_fn_name(node) -> str:
    """The name PyTorch gives the backward of ``node``'s op: ``mul_backward`` (xpnet's) as
    ``MulBackward0``; a name not ending in ``_backward`` is kept (it is PyTorch's already);
    the name given as the op was recorded (:func:`recorded_name`, :func:`name_node`) first."""
    if node.torch_name is not None:
        return node.torch_name
    name = node.function.name
    if not name.endswith("_backward"):
        return name
    op = name.removesuffix("_backward")
    camel = "".join(word.capitalize() for word in op.split("_"))
    return _TORCH_NODE_NAMES.get(op, f"{camel}Backward0")


def name_node(result, name: str):
    """Give ``result``'s node (if it has one) PyTorch's ``name``, where the method that made
    it records another op (``t()`` a permute, ``unsqueeze`` a reshape). Returns ``result``."""
    if result.grad_fn is not None:
        result.grad_fn.torch_name = name
    return result


def recorded_name(op: str, inputs: tuple, args: tuple):
    """PyTorch's name for a node of xpnet's ``op`` where it depends on the call (the
    operands' ranks, the index, the input's layout), or ``None``: fixed when the op is
    recorded, since a node drops its arrays after its backward."""
    namer = _NAMERS.get(op)
    return None if namer is None else namer(inputs, args)


def _product_name(inputs, args):
    """PyTorch names the product its matmul runs for these ranks (the same edges)."""
    ranks = tuple(getattr(value, "ndim", None) for value in inputs)
    return _PRODUCTS_BY_RANKS.get(ranks, "UnsafeViewBackward0")  # batched: a folded bmm


def _linear_name(inputs, args):
    """``F.linear``'s last op in PyTorch, by the input's rank and the bias."""
    rank, bias = inputs[0].ndim, len(inputs) > 2 and inputs[2] is not None
    if rank == 2:
        return "AddmmBackward0" if bias else "MmBackward0"
    if bias:
        return "ViewBackward0"
    return "SqueezeBackward4" if rank == 1 else "UnsafeViewBackward0"


def _reshape_name(inputs, args):
    """A view of a contiguous input; else PyTorch copies first (``_unsafe_view``)."""
    return "ViewBackward0" if args[0].flags.c_contiguous else "UnsafeViewBackward0"


def _index_name(index) -> str:
    """PyTorch's name for ``x[index]``: its last indexing op's (full slices are skipped)."""
    items = index if isinstance(index, tuple) else (index,)
    if any(hasattr(item, "shape") and item.ndim or isinstance(item, list) for item in items):
        return "IndexBackward0"  # advanced indexing runs after the basic ops
    name = "SliceBackward0" if slice(None) in items else "AliasBackward0"
    for item in items:
        if item is None:
            name = "UnsqueezeBackward0"
        elif isinstance(item, slice):
            name = name if item == slice(None) else "SliceBackward0"
        elif item is not Ellipsis:
            name = "SelectBackward0"
    return name


_PRODUCTS_BY_RANKS = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}
_NAMERS = {
    "matmul_backward": _product_name,
    "linear_backward": _linear_name,
    "reshape_backward": _reshape_name,
    "getitem_backward": lambda inputs, args: _index_name(args[1]),
}
