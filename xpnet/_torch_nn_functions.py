"""The functional operations PyTorch also has at the top level (``torch.conv2d``,
``torch.max_pool2d``, ``torch.dropout``, ``torch.batch_norm``, ``torch.embedding``,
``torch.kl_div``, ...), as ``xpnet.<name>`` (:data:`__all__`).

Most are :mod:`xpnet.nn.functional`'s functions under the same name and arguments. Where
``torch.<name>`` takes other arguments than ``torch.nn.functional.<name>``, these take
``torch``'s: ``dropout(input, p, train)`` (and ``alpha_dropout``, ``feature_alpha_dropout``,
the ``_`` forms), ``batch_norm``/``instance_norm`` with the weight and
bias before the running statistics and a trailing ``cudnn_enabled``, ``layer_norm``/
``group_norm`` with ``cudnn_enable(d)``, ``embedding(weight, indices, padding_idx=-1)``, the
losses' ``reduction`` as PyTorch's integer (0 ``'none'``, 1 ``'mean'``, 2 ``'sum'``; left
out, 0, as ``torch.kl_div(input, target)`` gives, although its schema says 1),
``adaptive_max_pool1d`` and ``max_pool1d_with_indices`` returning ``(output, indices)``,
``constant_pad_nd(input, pad, value)``, ``affine_grid_generator(theta, size,
align_corners)``. Values and gradients are the functional forms'.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([[[-1.0, 2.0, 0.5, 3.0]]])
    >>> xpnet.max_pool1d(x, 2).tolist(), xpnet.dropout(x, 0.5, False).tolist()
    ([[[2.0, 3.0]]], [[[-1.0, 2.0, 0.5, 3.0]]])
"""

from __future__ import annotations

from ._tensor_checks import flags_checked
from ._tensor_inplace import apply_in_place
from ._torch_functions import as_input
from .autograd import Tensor
from .kernels import ArgumentError
from .kernels.embedding_bag import embedding_bag_indices
from .nn import functional as F

_SAME = (
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "avg_pool1d", "max_pool1d", "max_pool2d", "max_pool3d", "adaptive_avg_pool1d",
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "cosine_similarity",
    "pairwise_distance", "pdist", "prelu", "selu", "selu_", "celu", "celu_", "rrelu", "rrelu_",
    "threshold", "threshold_", "hardshrink", "bilinear", "rms_norm",
)  # fmt: skip
_REDUCTIONS = ("none", "mean", "sum")  # PyTorch's at::Reduction: 0, 1, 2

__all__ = [*_SAME, "dropout", "dropout_", "alpha_dropout", "alpha_dropout_"]
__all__ += ["feature_alpha_dropout", "feature_alpha_dropout_"]
__all__ += ["batch_norm", "instance_norm", "layer_norm", "group_norm", "embedding", "kl_div"]
__all__ += ["binary_cross_entropy_with_logits", "cosine_embedding_loss", "hinge_embedding_loss"]
__all__ += ["margin_ranking_loss", "triplet_margin_loss", "poisson_nll_loss"]
__all__ += ["adaptive_max_pool1d", "max_pool1d_with_indices", "constant_pad_nd"]
__all__ += ["affine_grid_generator", "embedding_bag"]

(
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, avg_pool1d,
    max_pool1d, max_pool2d, max_pool3d, adaptive_avg_pool1d, pixel_shuffle, pixel_unshuffle,
    channel_shuffle, cosine_similarity, pairwise_distance, pdist, prelu, selu, selu_, celu,
    celu_, rrelu, rrelu_, threshold, threshold_, hardshrink, bilinear, rms_norm,
) = (getattr(F, name) for name in _SAME)  # fmt: skip
# torch.rrelu's parser takes only a bool for training (F.rrelu passes it on unchecked)
rrelu, rrelu_ = flags_checked("xpnet")(rrelu), flags_checked("xpnet")(rrelu_)


def _dropout(name: str, functional, inplace: bool):
    def dropout(input, p: float, train: bool) -> Tensor:
        if not inplace:
            return functional(input, p, train)
        tensor = as_input(name, input)
        return apply_in_place(name, tensor, lambda t: functional(t, p, train))

    dropout.__name__ = dropout.__qualname__ = name  # what an arity error names
    dropout.__doc__ = (
        f"``torch.{name}(input, p, train)``: :func:`xpnet.nn.functional.{functional.__name__}`"
        f"{' in place (the version counts it)' if inplace else ''}, with ``training=train``."
    )
    return flags_checked("xpnet")(dropout)  # train only a bool, as PyTorch's parser


dropout, dropout_ = _dropout("dropout", F.dropout, False), _dropout("dropout_", F.dropout, True)
alpha_dropout = _dropout("alpha_dropout", F.alpha_dropout, False)
alpha_dropout_ = _dropout("alpha_dropout_", F.alpha_dropout, True)
feature_alpha_dropout = _dropout("feature_alpha_dropout", F.feature_alpha_dropout, False)
feature_alpha_dropout_ = _dropout("feature_alpha_dropout_", F.feature_alpha_dropout, True)


def batch_norm(
    input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled
) -> Tensor:
    """``torch.batch_norm``: :func:`xpnet.nn.functional.batch_norm` with the weight and bias
    first (``cudnn_enabled`` is accepted and ignored)."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled
) -> Tensor:
    """``torch.instance_norm``: :func:`xpnet.nn.functional.instance_norm` with the weight and
    bias first (``cudnn_enabled`` is accepted and ignored)."""
    return F.instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def layer_norm(
    input, normalized_shape, weight=None, bias=None, eps: float = 1e-05, cudnn_enable=True
) -> Tensor:
    """``torch.layer_norm``: :func:`xpnet.nn.functional.layer_norm` (``cudnn_enable`` is
    accepted and ignored)."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(
    input, num_groups: int, weight=None, bias=None, eps: float = 1e-05, cudnn_enabled=True
) -> Tensor:
    """``torch.group_norm``: :func:`xpnet.nn.functional.group_norm` (``cudnn_enabled`` is
    accepted and ignored)."""
    return F.group_norm(input, num_groups, weight, bias, eps)


def embedding(
    weight, indices, padding_idx: int = -1, scale_grad_by_freq: bool = False, sparse=False
) -> Tensor:
    """``torch.embedding(weight, indices)``: the rows of ``weight`` that ``indices`` picks,
    :func:`xpnet.nn.functional.embedding` with the arguments swapped; ``padding_idx=-1``
    means none (PyTorch's low-level convention), another one gets no gradient."""
    padding = None if padding_idx == -1 else padding_idx
    return F.embedding(
        indices, weight, padding, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse
    )


_MODES = ("sum", "mean", "max")  # PyTorch's EmbeddingBagMode: 0, 1, 2


@flags_checked("xpnet")  # scale_grad_by_freq, sparse, include_last_offset: bools only
def embedding_bag(weight, indices, offsets, scale_grad_by_freq: bool = False, mode: int = 0,
                  sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx=None):  # fmt: skip
    """``torch.embedding_bag``: :func:`xpnet.nn.functional.embedding_bag` with the weight
    first, ``offsets`` required (1-D ``indices``), ``mode`` as PyTorch's integer (0
    ``'sum'``, 1 ``'mean'``, 2 ``'max'``), and its four results.

    Returns:
        ``(output, offset2bag, bag_size, max_indices)``: ``output`` (B, D), differentiable
        in ``weight`` and ``per_sample_weights``; the others not, as PyTorch's CPU kernel
        gives them (see :func:`xpnet.kernels.embedding_bag.embedding_bag_indices`).

    Raises:
        TypeError: ``offsets`` not a tensor, ``mode`` not an int.
        ArgumentError: ``mode`` not 0, 1 or 2, and the functional form's errors.

    Note:
        PyTorch's CPU ``'sum'`` of float32 or float16 rows without ``padding_idx`` returns an
        empty ``offset2bag`` (a fast path's detail); xpnet's always holds every entry's bag.
        ``sparse=True`` is refused (NotImplementedError), as by the functional form.

    Example:
        >>> import xpnet
        >>> weight = xpnet.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> out, offset2bag, bag_size, max_indices = xpnet.embedding_bag(
        ...     weight, xpnet.tensor([0, 2, 1]), xpnet.tensor([0, 2]), mode=2)
        >>> out.tolist(), offset2bag.tolist(), bag_size.tolist(), max_indices.tolist()
        ([[5.0, 6.0], [3.0, 4.0]], [0, 0, 1], [2, 1], [[2, 2], [1, 1]])
    """
    if isinstance(mode, bool) or not isinstance(mode, int):
        raise TypeError(f"xpnet.embedding_bag: mode must be an int, got {type(mode).__name__}")
    if mode not in range(3):
        raise ArgumentError(f"xpnet.embedding_bag: mode must be 0, 1 or 2, got {mode}")
    indices = as_input("embedding_bag", indices, "indices")
    offsets = as_input("embedding_bag", offsets, "offsets")  # TypeError for None, as torch
    weight = as_input("embedding_bag", weight, "weight")
    options = {"include_last_offset": include_last_offset, "padding_idx": padding_idx}
    output = F.embedding_bag(
        indices, weight, offsets, mode=_MODES[mode], sparse=sparse,
        scale_grad_by_freq=scale_grad_by_freq and mode != 2,  # PyTorch's max backward ignores it
        per_sample_weights=per_sample_weights, **options,
    )  # fmt: skip
    found = embedding_bag_indices(
        indices.array, weight.array, offsets.array, _MODES[mode], **options
    )
    return (output, *(Tensor(array) for array in found))


def _reduction(where: str, reduction) -> str:
    if isinstance(reduction, bool) or reduction not in range(3):
        msg = f"{where}: reduction must be 0 (none), 1 (mean) or 2 (sum), got {reduction!r}"
        raise ArgumentError(msg)
    return _REDUCTIONS[reduction]


def kl_div(input, target, reduction: int = 0, *, log_target: bool = False) -> Tensor:
    """``torch.kl_div``: :func:`xpnet.nn.functional.kl_div` with PyTorch's integer
    ``reduction`` (1: the mean over every element; default 0, no reduction, as PyTorch's).

    Raises:
        ArgumentError: ``reduction`` not 0, 1 or 2.
    """
    reduction = _reduction("kl_div", reduction)
    return F.kl_div(input, target, reduction=reduction, log_target=log_target)


def binary_cross_entropy_with_logits(
    input, target, weight=None, pos_weight=None, reduction: int = 0
) -> Tensor:
    """``torch.binary_cross_entropy_with_logits``: the functional form with an integer
    ``reduction``."""
    reduction = _reduction("binary_cross_entropy_with_logits", reduction)
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=reduction, pos_weight=pos_weight
    )


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction: int = 0) -> Tensor:
    """``torch.cosine_embedding_loss``: the functional form with an integer ``reduction``."""
    reduction = _reduction("cosine_embedding_loss", reduction)
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=reduction)


def hinge_embedding_loss(input, target, margin=1.0, reduction: int = 0) -> Tensor:
    """``torch.hinge_embedding_loss``: the functional form with an integer ``reduction``."""
    reduction = _reduction("hinge_embedding_loss", reduction)
    return F.hinge_embedding_loss(input, target, margin, reduction=reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction: int = 0) -> Tensor:
    """``torch.margin_ranking_loss``: the functional form with an integer ``reduction``."""
    reduction = _reduction("margin_ranking_loss", reduction)
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=reduction)


def triplet_margin_loss(
    anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False, reduction: int = 0
) -> Tensor:
    """``torch.triplet_margin_loss``: the functional form with an integer ``reduction``."""
    reduction = _reduction("triplet_margin_loss", reduction)
    return F.triplet_margin_loss(
        anchor, positive, negative, margin, p, eps, swap, reduction=reduction
    )


def poisson_nll_loss(input, target, log_input, full, eps, reduction) -> Tensor:
    """``torch.poisson_nll_loss``: the functional form with every argument given, ``eps``
    before an integer ``reduction``."""
    reduction = _reduction("poisson_nll_loss", reduction)
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=reduction)


def adaptive_max_pool1d(input, output_size) -> tuple[Tensor, Tensor]:
    """``torch.adaptive_max_pool1d``: the pooled values and their indices, always both."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def max_pool1d_with_indices(
    input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False
) -> tuple[Tensor, Tensor]:
    """``torch.max_pool1d_with_indices``: :func:`xpnet.nn.functional.max_pool1d`'s values and
    indices (an empty ``stride`` is ``kernel_size``, as PyTorch's)."""
    stride = stride if stride not in ((), []) else None
    return F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def constant_pad_nd(input, pad, value=0) -> Tensor:
    """``torch.constant_pad_nd``: :func:`xpnet.nn.functional.pad` with ``mode='constant'``."""
    return F.pad(input, pad, "constant", value)


def affine_grid_generator(theta, size, align_corners: bool) -> Tensor:
    """``torch.affine_grid_generator``: :func:`xpnet.nn.functional.affine_grid`."""
    return F.affine_grid(theta, size, align_corners)
