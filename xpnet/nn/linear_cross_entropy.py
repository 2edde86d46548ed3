"""``linear_cross_entropy``, ``LinearCrossEntropyLoss`` and ``LinearCrossEntropyOptions``, as
PyTorch 2.13's (``torch/nn/functional.py`` and ``torch/nn/modules/linear_cross_entropy*.py``).

``options=None`` is the reference path, ``cross_entropy(linear(input, W, b), target)``, which
builds the whole (N, C) logits (and supports double backward). ``options`` switches to the
chunked kernel of :mod:`xpnet.kernels.linear_cross_entropy`, which never does.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

from ..autograd import Function, as_tensor, data_of
from ..kernels import linear_cross_entropy as chunked_forward
from ..kernels import linear_cross_entropy_backward as chunked_backward
from . import functional as F
from .linear import Linear
from .module import Module

__all__ = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions", "linear_cross_entropy"]

_ACC_POLICIES = ("auto", "accurate", "balanced", "compact")
_ACC_DTYPES = ("float16", "bfloat16", "float32", "float64")


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """How :func:`linear_cross_entropy` chunks its rows, as
    :class:`torch.nn.LinearCrossEntropyOptions`; passing one selects the chunked path.

    Args:
        allow_retain_graph: accepted for PyTorch's sake. xpnet's chunked backward recomputes
            the logits from the saved inputs, so ``retain_graph=True`` always works.
            Default: ``False``.
        batch_chunk_size: rows per chunk, a positive int, or ``None`` (one chunk).
            Default: ``None``.
        chunking_method: ``"auto"`` (``"aspect_ratio:2"``, PyTorch's pick for devices it has
            not measured), ``"aspect_ratio"`` (chunks whose (B, C) logits match the (N, F)
            input in size), ``"aspect_ratio:N"`` (N times smaller) or ``None`` (use
            ``batch_chunk_size``). Default: ``"auto"``.
        acc_policy: ``"auto"``, ``"accurate"``, ``"balanced"`` or ``"compact"``; accepted and
            checked. Default: ``"auto"``.
        acc_dtype: ``None`` or a float dtype; accepted and checked. Default: ``None``.

    Note:
        xpnet computes float16 in float32 everywhere and recomputes the logits in the backward,
        so ``acc_policy``, ``acc_dtype`` and ``allow_retain_graph`` change nothing; the chunk
        size is at most what :func:`xpnet.memory_budget` holds.

    Raises:
        ValueError: for a value outside the lists above (PyTorch's messages).

    Example:
        >>> LinearCrossEntropyOptions(batch_chunk_size=64).batch_chunk_size
        64
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in _ACC_POLICIES:
            msg = f"invalid acc_policy: {self.acc_policy!r}"
            raise ValueError(msg)
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = str(self.chunking_method).partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                msg = f"invalid chunking_method: {self.chunking_method!r}"
                raise ValueError(msg)
        size = self.batch_chunk_size
        if not (size is None or (type(size) is int and size > 0)):
            msg = f"batch_chunk_size must be positive int or None, got {size!r}"
            raise ValueError(msg)
        name = getattr(self.acc_dtype, "name", str(self.acc_dtype).rpartition(".")[2])
        if self.acc_dtype is not None and name not in _ACC_DTYPES:
            msg = (
                f"acc_dtype must be one of {{None, float16, bfloat16, float32, float64}}, got "
                f"{self.acc_dtype!r}. Pass acc_dtype=None to let the op pick automatically."
            )
            raise ValueError(msg)

    def chunk_size(self, num_batches: int, in_features: int, num_classes: int) -> int:
        """Rows per chunk for this call, as PyTorch's ``_adjust`` resolves it.

        Raises:
            ValueError: if ``batch_chunk_size`` and ``chunking_method`` disagree.

        Example:
            >>> LinearCrossEntropyOptions().chunk_size(1024, 16, 4096)
            2
        """
        method = self.chunking_method
        if method == "auto":
            # PyTorch's fallback pick; an explicit batch_chunk_size turns the heuristic off
            method = None if self.batch_chunk_size is not None else "aspect_ratio:2"
        size = min(self.batch_chunk_size or num_batches, num_batches)
        if method is not None:
            factor = int(method.partition(":")[2] or 1)
            target = -(-num_batches // -(-num_classes // max(1, in_features)))
            picked = min((1 << max(0, target - 1).bit_length()) // factor, num_batches)
            if self.batch_chunk_size is not None and self.batch_chunk_size != picked:
                msg = (
                    f"batch_chunk_size (={self.batch_chunk_size}) and chunking_method "
                    f"('{method}') give different chunk sizes ({self.batch_chunk_size} vs "
                    f"{picked}); pass only one."
                )
                raise ValueError(msg)
            size = picked
        return max(1, size)


_chunked = Function(
    chunked_forward,
    chunked_backward,
    ("input", "linear_weight", "linear_bias"),
)


def _check_shapes(input, linear_weight, linear_bias):
    """PyTorch's checks (and RuntimeErrors): ``(num_classes, out_features)``."""
    input_shape, weight_shape = tuple(input.shape), tuple(linear_weight.shape)
    if not 1 <= len(input_shape) <= 2:
        msg = f"expected input with dimensionality 1 or 2, got {len(input_shape)}"
        raise RuntimeError(msg)
    if len(weight_shape) < 2:
        msg = f"expected linear_weight with dimensionality at least 2, got {len(weight_shape)}"
        raise RuntimeError(msg)
    if input_shape[-1] != weight_shape[-1]:
        msg = (
            "expected equal input and linear_weight last dimensions (in_features), "
            f"got {input_shape[-1]} and {weight_shape[-1]}, respectively"
        )
        raise RuntimeError(msg)
    num_classes, out_features = weight_shape[0], weight_shape[1:-1]
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        msg = (
            f"expected linear_bias shape {(num_classes, *out_features)}, "
            f"got {tuple(linear_bias.shape)}"
        )
        raise RuntimeError(msg)
    if out_features and len(input_shape) == 1:
        msg = (
            f"K-dimensional loss defined by linear_weight shape {weight_shape} requires batched "
            f"input, (N, {input_shape[-1]}), got unbatched input with shape {input_shape}"
        )
        raise RuntimeError(msg)
    return num_classes, out_features


def _chunked_unsupported(out_features, reduction, label_smoothing, target) -> str | None:
    """PyTorch's warning when ``options`` cannot be honoured, else ``None``."""
    integer = data_of(target).dtype.kind in "iu"
    if not out_features and reduction in ("mean", "sum", "none") and not label_smoothing:
        if integer:
            return None
    return (
        "linear_cross_entropy: ``options`` ignored; chunked path needs reduction in "
        "{'mean','sum','none'}, label_smoothing == 0, target.dtype == int64, out_features == (). "
        f"Got reduction={reduction!r}, label_smoothing={label_smoothing}, "
        f"target.dtype={data_of(target).dtype}, out_features={tuple(out_features)}."
    )


def linear_cross_entropy(
    input,
    linear_weight,
    target,
    *,
    linear_bias=None,
    weight=None,
    reduction: str = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    options: LinearCrossEntropyOptions | None = None,
):
    r"""Cross entropy of ``linear(input, linear_weight, linear_bias)`` and ``target``, as
    :func:`torch.nn.functional.linear_cross_entropy`.

    Equal to ``cross_entropy(linear(input, W, b).reshape(N, C, *out_features), target, ...)``
    (with ``ignore_index=None`` meaning -100). With ``options``, the logits are computed in
    chunks of rows, forward and backward, so the whole (N, C) array never exists; the chunked
    path takes class-index targets, ``label_smoothing=0`` and ``out_features=()``, and falls
    back to the reference path with PyTorch's warning otherwise.

    Args:
        input: (F,) or (N, F).
        linear_weight: (C, F), or (C, d1, ..., dK, F) for a K-dimensional loss.
        target: class indices (), (N,) or (N, d1, ...), or probabilities of the logits' shape.
        linear_bias: (C,) or (C, d1, ..., dK), or ``None``. Default: ``None``.
        weight: (C,) class weights. Default: ``None``.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``.
        ignore_index: a class-index target that contributes nothing. Default: ``None`` (-100).
        label_smoothing: in [0, 1]. Default: 0.
        options: a :class:`LinearCrossEntropyOptions` to compute in chunks. Default: ``None``.

    Returns:
        A scalar Tensor, or the target's shape with ``'none'``.

    Raises:
        RuntimeError: for input of other than 1 or 2 dimensions, mismatched ``in_features``,
            a bias of the wrong shape, K-dimensional weights with unbatched input, or
            ``ignore_index`` with probability targets (PyTorch's messages).

    Example:
        >>> import xpnet
        >>> x, w = xpnet.ones(4, 2), xpnet.zeros(3, 2)
        >>> options = LinearCrossEntropyOptions(batch_chunk_size=2)
        >>> round(linear_cross_entropy(x, w, xpnet.tensor([0, 1, 2, 0]), options=options).item(), 6)
        1.098612
    """
    num_classes, out_features = _check_shapes(input, linear_weight, linear_bias)
    batches = tuple(input.shape[:-1])
    logits_shape = (*batches, num_classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        msg = "ignore_index cannot be specified when target contains probabilities"
        raise RuntimeError(msg)
    ignore_index = -100 if ignore_index is None else ignore_index
    if options is not None:
        why_not = _chunked_unsupported(out_features, reduction, label_smoothing, target)
        if why_not is None:
            return _chunked_call(
                input, linear_weight, target, linear_bias, weight, reduction, ignore_index, options
            )
        warnings.warn(why_not, stacklevel=2)
    rows = math.prod(out_features, start=num_classes)
    linear_weight = as_tensor(linear_weight).reshape(rows, input.shape[-1])
    if linear_bias is not None:
        linear_bias = as_tensor(linear_bias).reshape(rows)
    logits = F.linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return F.cross_entropy(
        logits,
        target,
        weight=weight,
        reduction=reduction,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
    )


def _chunked_call(
    input, linear_weight, target, linear_bias, weight, reduction, ignore_index, options
):
    """The chunked kernel on (N, F) rows; an unbatched call is one row."""
    batched = len(input.shape) == 2
    if not batched:
        input = as_tensor(input).reshape(1, input.shape[0])
        target = data_of(target).reshape(1)
    num_batches, in_features = input.shape
    size = options.chunk_size(num_batches, in_features, linear_weight.shape[0])
    target, weight = data_of(target), data_of(weight)
    loss = _chunked(
        input, linear_weight, target, linear_bias, weight, reduction, ignore_index, size
    )
    return loss if batched or reduction != "none" else loss.reshape(())


class LinearCrossEntropyLoss(Module):
    r"""A :class:`Linear` layer and the cross entropy of its logits, as
    :class:`torch.nn.LinearCrossEntropyLoss`; see :func:`linear_cross_entropy`.

    The layer's weight is stored 2-d, ``(num_classes * prod(out_features), in_features)``, in
    ``self.linear`` (``state_dict`` keys ``linear.weight``, ``linear.bias``), and reshaped to
    ``(num_classes, *out_features, in_features)`` in ``forward``.

    Args:
        in_features: size of each input row.
        num_classes: number of classes C.
        out_features: the extra dimensions (d1, ..., dK) of a K-dimensional loss.
            Default: ``()``.
        bias: whether the layer has a bias. Default: ``False``.
        device, dtype: of the layer's parameters. Default: ``None``.
        reduction, weight, ignore_index, label_smoothing, options: as in
            :func:`linear_cross_entropy`; ``weight`` is a buffer.

    Raises:
        RuntimeError: for ``weight`` not of shape ``(num_classes,)`` or ``label_smoothing``
            outside [0, 1] (PyTorch's messages).

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.LinearCrossEntropyLoss(4, 10, bias=True)
        >>> sorted(loss.state_dict()), loss(xpnet.ones(3, 4), xpnet.tensor([1, 2, 3])).dim()
        (['linear.bias', 'linear.weight'], 0)
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        out_features: tuple[int, ...] = (),
        bias: bool = False,
        device=None,
        dtype=None,
        reduction: str = "mean",
        weight=None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        options: LinearCrossEntropyOptions | None = None,
    ) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            msg = f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}"
            raise RuntimeError(msg)
        if label_smoothing < 0 or label_smoothing > 1.0:
            msg = f"expected label_smoothing to be in range [0, 1], got {label_smoothing}"
            raise RuntimeError(msg)
        super().__init__()
        self.register_buffer("weight", data_of(weight))
        self.reduction = reduction
        self.num_classes = num_classes
        self.out_features = out_features
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        rows = math.prod(out_features, start=num_classes)
        self.linear = Linear(in_features, rows, bias=bias, device=device, dtype=dtype)
        self.options = options

    def forward(self, input, target):
        """The loss of ``input`` (N, in_features) or (in_features,) against ``target``."""
        shape = (self.num_classes, *self.out_features)
        linear_weight = self.linear.weight.reshape((*shape, self.linear.in_features))
        bias = self.linear.bias
        return linear_cross_entropy(
            input,
            linear_weight,
            target,
            linear_bias=None if bias is None else bias.reshape(shape),
            weight=self.weight,
            reduction=self.reduction,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
            options=self.options,
        )
