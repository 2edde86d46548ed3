"""The names PyTorch gives xpnet's nodes (``grad_fn.name()``, and ``grad_fn=<...>`` where a
Tensor prints): xpnet's op in PyTorch's form (``mul_backward`` is ``MulBackward0``), which is
PyTorch's own where xpnet records the op PyTorch records (``mul``, ``exp``, ``relu``,
``mse_loss``, ...) or the same operation under another name (:data:`_TORCH_NODE_NAMES`,
also PyTorch's last op of a function it composes: ``F.normalize``'s ``DivBackward0``). Where
the name depends on the call, it is set as the op is recorded, by the operands' ranks or
kinds, the dims or the options (:func:`recorded_name`: ``SumBackward1``, ``PowBackward2``,
``ReflectionPad2DBackward0``, ...), or by the function that made the node, where xpnet
records one op for several of PyTorch's or composes the function of others
(:func:`name_node`, :func:`named_nodes`: ``SortBackward0``, ``LerpBackward0``, ...).
``einsum`` takes the name of the last op of PyTorch's path, from its equation.

Neighbours: :mod:`xpnet.autograd` (``Node``, whose ``name()`` this is),
:mod:`xpnet._tensor_print` (how Tensors print), :mod:`xpnet._autograd_graph`
(``next_functions``).
"""

from __future__ import annotations

import functools

from ._autograd_graph import next_sequence_nr

# torch.special's functions that record a node of their own
_SPECIAL = {
    "entr": "Entr", "erfcx": "Erfcx", "ndtri": "Ndtri", "log_ndtr": "LogNdtr", "i0e": "I0E",
    "i1": "I1", "i1e": "I1E", "xlog1py": "Xlog1Py",
}  # fmt: skip
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
    "std_root": "StdBackward0",  # xpnet's std is the root of its var; PyTorch's one node
    "running_product": "CumprodBackward0",
    "divide_rounded": "DivBackward2",  # div with a rounding mode
    "_logabsdet": "LinalgSlogdetBackward0",
    # PyTorch's linalg functions run their _ex forms (cholesky: named by the call)
    "linalg_inv": "LinalgInvExBackward0",
    "linalg_solve": "LinalgSolveExBackward0",
    "linalg_cholesky": "LinalgCholeskyExBackward0",
    "linalg_lu_factor": "LinalgLuFactorExBackward0",
    "cross_product": "LinalgCrossBackward0",
    "identity_like": "torch::autograd::CopyBackwards",  # matrix_power(A, 0): a copy of eye
    "running_logsumexp": "LogcumsumexpBackward0",
    **{f"{kind}_distance": "CdistBackward0" for kind in ("count", "abs", "max")},
    **{name: f"Special{camel}Backward0" for name, camel in _SPECIAL.items()},
    "i0_array": "I0Backward0",
    "ldexp_arrays": "LdexpBackward0",
    "windows": "UnfoldBackward0",  # Tensor.unfold
    "masked_put": "MaskedScatterBackward0",
    "affine_grid": "AffineGridGeneratorBackward0",
    # PyTorch composes these: the last op of its formula
    **{f"lp_pool{n}d": "PowBackward0" for n in (1, 2, 3)},
    "rms_norm": "MulBackward0",
    # PyTorch's dropouts are products with a mask (the alpha ones then add a shift)
    **{f"dropout{k}": "MulBackward0" for k in ("", "1d", "2d", "3d")},
    "alpha_dropout": "AddBackward0",
    "feature_alpha_dropout": "AddBackward0",
    # one node here, PyTorch's last op of several (its formula or a 2-d kernel's squeeze)
    "softmin": "SoftmaxBackward0",
    "normalize": "DivBackward0",
    "cosine_similarity": "SumBackward1",
    "pairwise_distance": "NormBackward1",
    "local_response_norm": "DivBackward0",
    "instance_norm": "ViewBackward0",
    "softsign": "DivBackward0",
    "tanhshrink": "SubBackward0",
    "selu": "EluBackward0",
    "rrelu": "RreluWithNoiseBackward0",
    "avg_pool1d": "SqueezeBackward1",
    "max_pool1d": "SqueezeBackward1",
    "adaptive_avg_pool1d": "SqueezeBackward1",
    "adaptive_max_pool1d": "SqueezeBackward1",
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
    return _TORCH_NODE_NAMES.get(op, f"{camel_case(op)}Backward0")


def camel_case(op: str) -> str:
    """PyTorch's class name of an op: words capitalized, and a letter after a digit too
    (``log1p``: ``Log1P``, ``upsample_nearest2d``: ``UpsampleNearest2D``)."""
    words = "".join(word.capitalize() for word in op.split("_"))
    return "".join(
        char.upper() if i and words[i - 1].isdigit() else char for i, char in enumerate(words)
    )


def name_node(result, name: str):
    """Give ``result``'s node (if it has one) PyTorch's ``name``, where the method that made
    it records another op (``t()`` a permute, ``unsqueeze`` a reshape). Returns ``result``."""
    if result.grad_fn is not None:
        result.grad_fn.torch_name = name
    return result


def named_nodes(name):
    """Decorator: the nodes of the Tensors a call returns (alone or in a tuple) that the call
    made are named ``name``, PyTorch's for the function, where xpnet composes it of other ops
    (``lerp``, ``addr``, ``unbind``, ...). ``name`` is a string, or a function of the call's
    arguments that gives it. Nodes made before the call (a result that is an input) keep
    theirs."""

    def decorate(function):
        @functools.wraps(function)
        def named(*args, **kwargs):
            first = next_sequence_nr()  # every node the call makes has a larger one
            result = function(*args, **kwargs)
            label = name if isinstance(name, str) else name(*args, **kwargs)
            for tensor in result if isinstance(result, tuple) else (result,):
                node = getattr(tensor, "grad_fn", None)
                if node is not None and node.sequence_nr > first:
                    node.torch_name = label
            return result

        return named

    return decorate


def repeat_interleave_name(input, repeats, *args, **kwargs) -> str:
    """PyTorch's ``repeat_interleave``: an index_select by a Tensor of counts, else a view
    of the expanded input."""
    return "IndexSelectBackward0" if hasattr(repeats, "shape") else "ViewBackward0"


def diag_name(input, *args, **kwargs) -> str:
    """PyTorch's ``diag``: the diagonal of a matrix (its ``diagonal_copy``), else a matrix
    made of a vector."""
    return "DiagonalBackward0_copy" if getattr(input, "ndim", 0) == 2 else "DiagEmbedBackward0"


def overload_by_dim(name: str):
    """PyTorch's ``<name>Backward0`` of every element, or ``<name>Backward1`` along ``dim``:
    a function of the call's arguments, for :func:`named_nodes` (``median``, ``nanmedian``)
    and the recorded reductions (``sum``, ``mean``, ``prod``)."""
    return lambda input, dim=None, *args, **kwargs: f"{name}Backward{int(dim is not None)}"


def recorded_name(op: str, inputs: tuple, args: tuple, kwargs: dict):
    """PyTorch's name for a node of xpnet's ``op`` where it depends on the call (the
    operands' ranks or kinds, the index, the input's layout, the dims or options given), or
    ``None``: fixed when the op is recorded, since a node drops its arrays after its
    backward."""
    namer = _NAMERS.get(op)
    return None if namer is None else namer(inputs, args, kwargs)


def _product_name(inputs, args, kwargs):
    """PyTorch names the product its matmul runs for these ranks (the same edges)."""
    ranks = tuple(getattr(value, "ndim", None) for value in inputs)
    return _PRODUCTS_BY_RANKS.get(ranks, "UnsafeViewBackward0")  # batched: a folded bmm


def _linear_name(inputs, args, kwargs):
    """``F.linear``'s last op in PyTorch, by the input's rank and the bias."""
    rank, bias = inputs[0].ndim, len(inputs) > 2 and inputs[2] is not None
    if rank == 2:
        return "AddmmBackward0" if bias else "MmBackward0"
    if bias:
        return "ViewBackward0"
    return "SqueezeBackward4" if rank == 1 else "UnsafeViewBackward0"


def _reshape_name(inputs, args, kwargs):
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


def _pow_name(inputs, args, kwargs):
    """PyTorch's overloads: Tensor ** number 0, Tensor ** Tensor 1, number ** Tensor 2."""
    base, exponent = (hasattr(value, "grad_fn") for value in inputs)
    return "PowBackward1" if base and exponent else f"PowBackward{0 if base else 2}"


def _pad_name(inputs, args, kwargs):
    """``F.pad``'s op in PyTorch, by mode and the dims padded (``pad`` has two per dim)."""
    mode = _argument(args, kwargs, 2, "mode", "constant")
    dims = len(_argument(args, kwargs, 1, "pad")) // 2
    if mode == "constant":
        return "ConstantPadNdBackward0"
    if mode == "circular":
        return "torch::autograd::CopySlices"  # PyTorch pads circularly by slice assignment
    return f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{dims}DBackward0"


def _cross_entropy_name(inputs, args, kwargs):
    """The last op of PyTorch's ``cross_entropy``: ``nll_loss`` of class indices (2-d for
    spatial inputs), a sum with label smoothing, the negated (or divided: mean) sum of
    probabilities."""
    input, target = _argument(args, kwargs, 0, "input"), _argument(args, kwargs, 1, "target")
    reduction = _argument(args, kwargs, 6, "reduction", "mean")
    if target.dtype.kind == "f":  # probabilities
        return "DivBackward1" if reduction == "mean" else "NegBackward0"
    if _argument(args, kwargs, 7, "label_smoothing", 0.0):
        return "AddBackward0"
    if input.ndim <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if reduction == "none" and input.ndim != 4 else "NllLoss2DBackward0"


def _adaptive_pool_name(kind, dims):
    """PyTorch's adaptive pools: a mean over the plane for an average to size 1."""

    def name(inputs, args, kwargs):
        size = _argument(args, kwargs, 1, "output_size")
        size = size if isinstance(size, tuple | list) else (size,)
        if kind == "Avg" and all(n == 1 for n in size):
            return "MeanBackward1"
        return f"Adaptive{kind}Pool{dims}DBackward0"

    return name


_UPSAMPLE = {"linear": "Linear", "bilinear": "Bilinear", "trilinear": "Trilinear"}


def _interpolate_name(inputs, args, kwargs):
    """``F.interpolate``'s kernel in PyTorch, by mode and the dims resized."""
    mode = _argument(args, kwargs, 3, "mode", "nearest")
    dims = _argument(args, kwargs, 0, "input").ndim - 2
    if mode == "area":
        return "SqueezeBackward1" if dims == 1 else f"AdaptiveAvgPool{dims}DBackward0"
    kernel = _UPSAMPLE.get(mode, mode.title().replace("-", ""))  # nearest-exact: NearestExact
    antialias = "Aa" if _argument(args, kwargs, 6, "antialias", False) else ""
    return f"Upsample{kernel}{dims}D{antialias}Backward0"


_REDUCED = {"mean": "MeanBackward0", "sum": "SumBackward0", "batchmean": "DivBackward0"}


def _reduced_name(args, kwargs, none: str, position: int = 4) -> str:
    """A loss's last op by ``reduction``: ``none`` (its elementwise op's name) for ``"none"``.
    ``reduction``'s ``position`` in the kernel's arguments: 4 for ``l1_loss`` and ``kl_div``
    (input, target, size_average, reduce, reduction)."""
    return _REDUCED.get(_argument(args, kwargs, position, "reduction", "mean"), none)


def _composed_loss_name(position: int, none):
    """The losses PyTorch composes of elementwise ops: a mean or a sum, else the formula's
    last op, ``none(args, kwargs)``."""
    return lambda inputs, args, kwargs: _reduced_name(args, kwargs, none(args, kwargs), position)


def _argument(args, kwargs, position, name, default=None):
    """The argument of a kernel call (PyTorch's signature) at ``position`` or named ``name``."""
    return args[position] if len(args) > position else kwargs.get(name, default)


def _einsum_name(inputs, args, kwargs):
    """The last op of PyTorch's einsum: where a letter is summed away, a sum (one operand) or
    the view of its batched product (several); else a permute or a product."""
    from ._tensor_einsum import parse  # the Tensor ops import this module

    terms, output, _ = parse(args[0], [array.shape for array in args[1:]])
    summed = bool(set("".join(terms)) - set(output))
    if len(terms) == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    return "ViewBackward0" if summed else "MulBackward0"


def _dim_overload(name):
    """:func:`overload_by_dim` for a recorded reduction, whose arguments are (array, dim, ...)."""
    by_dim = overload_by_dim(name)
    return lambda inputs, args, kwargs: by_dim(*args)


_PRODUCTS_BY_RANKS = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}
_NAMERS = {
    "matmul_backward": _product_name,
    "linear_backward": _linear_name,
    "reshape_backward": _reshape_name,
    "getitem_backward": lambda inputs, args, kwargs: _index_name(args[1]),
    "pow_backward": _pow_name,
    "pad_backward": _pad_name,
    "cross_entropy_backward": _cross_entropy_name,
    "sum_backward": _dim_overload("Sum"),
    "mean_backward": _dim_overload("Mean"),
    "prod_backward": _dim_overload("Prod"),
    # max/min along dim (values and indices): overload 0; of every element: 1 (the table's)
    "select_extreme_backward": lambda inputs, args, kwargs: (
        f"{'Max' if args[3] else 'Min'}Backward0"
    ),
    "sub_backward": lambda inputs, args, kwargs: (
        "SubBackward0" if hasattr(inputs[0], "grad_fn") else "RsubBackward1"  # number - Tensor
    ),
    "interpolate_backward": _interpolate_name,
    "einsum_backward": _einsum_name,
    # F.bilinear: the view of its product, then the bias added
    "bilinear_backward": lambda inputs, args, kwargs: (
        "ViewBackward0" if _argument(args, kwargs, 3, "bias") is None else "AddBackward0"
    ),
    **{
        f"adaptive_{k.lower()}_pool{n}d_backward": _adaptive_pool_name(k, n)
        for k in ("Avg", "Max")
        for n in (2, 3)
    },
    "l1_loss_backward": lambda inputs, args, kwargs: _reduced_name(args, kwargs, "AbsBackward0"),
    "kl_div_backward": lambda inputs, args, kwargs: _reduced_name(
        args, kwargs, "MulBackward0" if _argument(args, kwargs, 5, "log_target") else "SubBackward0"
    ),
    "triangle_backward": lambda inputs, args, kwargs: f"{'Triu' if args[2] else 'Tril'}Backward0",
    # (input, target, log_input, full, size_average, eps, reduce, reduction)
    "poisson_nll_loss_backward": _composed_loss_name(
        7,
        lambda args, kwargs: (
            "AddBackward0" if _argument(args, kwargs, 3, "full") else "SubBackward0"
        ),
    ),
    # (input, target, var, full, eps, reduction)
    "gaussian_nll_loss_backward": _composed_loss_name(
        5,
        lambda args, kwargs: (
            "AddBackward0" if _argument(args, kwargs, 3, "full") else "MulBackward0"
        ),
    ),
    "multilabel_soft_margin_loss_backward": _composed_loss_name(5, lambda *_: "DivBackward0"),
    "triplet_margin_loss_backward": _composed_loss_name(9, lambda *_: "ClampMinBackward0"),
    # (input1, input2, target, margin, size_average, reduce, reduction); hinge's (input,
    # target, margin, size_average, reduce, reduction)
    "margin_ranking_loss_backward": _composed_loss_name(6, lambda *_: "ClampMinBackward0"),
    "cosine_embedding_loss_backward": _composed_loss_name(6, lambda *_: "AddBackward0"),
    "hinge_embedding_loss_backward": _composed_loss_name(5, lambda *_: "AddBackward0"),
    "grid_sample_backward": lambda inputs, args, kwargs: f"GridSampler{args[0].ndim - 2}DBackward0",
    # clamp by numbers is overload 1, by Tensors 0
    "clamp_backward": lambda inputs, args, kwargs: (
        "ClampBackward0" if any(hasattr(v, "grad_fn") for v in inputs[1:]) else "ClampBackward1"
    ),
}
