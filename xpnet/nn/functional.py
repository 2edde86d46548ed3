"""The kernels of :mod:`xpnet.kernels`, lifted to :class:`xpnet.Tensor`.

Same names and signatures as ``torch.nn.functional`` (and :mod:`xpnet.kernels`); the
array arguments may be Tensors. Each entry is one :class:`xpnet.autograd.Function` built
from a kernel and its ``_backward``: the table below says which arguments get gradients.
Buffers (BatchNorm's running statistics) stay arrays the kernel updates; :mod:`xpnet.nn`'s
layers call these functions.

Example:
    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> x = xpnet.Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    >>> F.relu(x).sum().backward()
    >>> x.grad
    tensor([0., 1.], dtype=xpnet.float64)
"""

from __future__ import annotations

import functools
import inspect
import warnings

from .. import kernels as K
from ..autograd import Function, Tensor, data_of
from ._function_forms import CastFirst, IdentityWhenOff, promoting


def _lift(forward, backward, wrt=("input",), saved=None, forward_options=None) -> Function:
    """The kernel ``forward`` and its ``backward`` as one Function; ``wrt`` get gradients."""
    if "inplace" in inspect.signature(forward).parameters:
        forward = _out_of_place(forward)
    function = Function(forward, backward, wrt, saved, forward_options)
    function.__doc__ = forward.__doc__
    # help(F.relu), inspect.signature(F.relu) and F.relu.__name__ as for torch's functions
    function.__signature__ = function.signature
    function.__name__ = function.__qualname__ = forward.__name__
    return function


def _out_of_place(forward):
    """``forward`` with ``inplace=True`` accepted but ignored: the result is a new array.

    An in-place kernel would overwrite an array that the graph still holds (this op's input,
    which e.g. ``elu_backward`` and ``silu_backward`` read, or another op's saved input)
    without counting the change in the Tensor's version. The in-place forms that do count it
    (``F.relu_``, ...) are in :mod:`xpnet.nn.functional_composite`.
    """
    # no signature.bind per call (15 us, an activation's hot path): Function.__call__ has
    # bound these arguments already, so only inplace's place needs a False
    position = list(inspect.signature(forward).parameters).index("inplace")

    @functools.wraps(forward)  # keeps __name__ (autocast's op lists) and the signature
    def out_of_place(*args, **kwargs):
        if len(args) > position:
            args = (*args[:position], False, *args[position + 1 :])
        kwargs.pop("inplace", None)  # the kernels' default: False
        return forward(*args, **kwargs)

    return out_of_place


def _indices(extras):
    # the forward's return_indices output: backward reuses it instead of searching again
    return {"indices": extras[0]} if extras else {}


def _stats(extras):
    # the batch mean and 1/std of the forward: backward reuses them
    return {"save_mean": extras[0], "save_invstd": extras[1]}


def _exp(extras):
    # cross_entropy's exp(x - max) and its sums (class-index targets): backward needs no exp
    return {"exp_logits": extras[0], "sum_exp": extras[1]}


def _mask(extras):
    # a random mask cannot be recomputed: backward must get the forward's
    return {"mask": extras[0]}


def _check_legacy(where, size_average, reduce) -> None:
    """``ArgumentError`` for PyTorch's deprecated ``size_average``/``reduce`` unless both are
    ``None``: the element-wise losses' kernels refuse them with the same message."""
    if size_average is not None or reduce is not None:
        msg = (
            f"{where}: size_average and reduce are deprecated in PyTorch and not supported; "
            f"use reduction='mean', 'sum' or 'none', got size_average={size_average!r}, "
            f"reduce={reduce!r}"
        )
        raise K.ArgumentError(msg)


# cross_entropy and nll_loss in PyTorch's layout: the deprecated size_average and reduce sit
# between weight and ignore_index (refused by name unless None); the kernels have no place for
# them, so these wrappers (and their backwards, which get the same arguments) drop them.
def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    *,
    return_exp: bool = False,
):
    _check_legacy("cross_entropy", size_average, reduce)
    return K.cross_entropy(
        input, target, weight, ignore_index, reduction, label_smoothing, return_exp=return_exp
    )


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
):
    _check_legacy("nll_loss", size_average, reduce)
    return K.nll_loss(input, target, weight, ignore_index, reduction)


def _legacy_free_backward(forward):
    """The kernel backward of ``forward`` (``cross_entropy`` or ``nll_loss``), called with the
    forward's arguments in PyTorch's layout, as autograd does: bound by name, the legacy
    ``size_average``/``reduce`` dropped, the saved extras (``exp_logits``, ...) passed on."""
    signature = inspect.signature(forward)
    kernel_backward = getattr(K, f"{forward.__name__}_backward")

    def backward(grad_output, *args, **kwargs):
        saved = {key: kwargs.pop(key) for key in list(kwargs) if key not in signature.parameters}
        arguments = signature.bind(*args, **kwargs).arguments
        for legacy in ("size_average", "reduce", "return_exp"):
            arguments.pop(legacy, None)
        return kernel_backward(grad_output, **arguments, **saved)

    backward.__name__ = backward.__qualname__ = f"{forward.__name__}_backward"
    return backward


_LEGACY_NOTE = """
    Note:
        ``size_average`` and ``reduce`` (deprecated in PyTorch) sit where PyTorch has them,
        between ``weight`` and ``ignore_index``, and must be ``None``: pass ``reduction``.
"""
for _forward in (cross_entropy, nll_loss):
    _forward.__doc__ = getattr(K, _forward.__name__).__doc__.rstrip() + "\n" + _LEGACY_NOTE
del _forward  # not a module name (nor a doctest)


def _lift_dropout(forward, backward) -> Function:
    """:func:`_lift` for the dropout family: an :class:`IdentityWhenOff`."""
    function = _lift(forward, backward, saved=_mask, forward_options={"return_mask": True})
    function.__class__ = IdentityWhenOff
    return function


def _lift_cast_first(forward, backward) -> Function:
    """:func:`_lift` for ``softmax``, ``log_softmax`` and ``softmin``: a :class:`CastFirst`."""
    function = _lift(forward, backward)
    function.__class__ = CastFirst  # the same attributes, the __call__ of torch's signature
    function.__signature__ = inspect.signature(function.__call__)  # torch's, without self
    function.__doc__ = forward.__doc__.rstrip() + "\n" + _DTYPE_NOTE
    return function


_DTYPE_NOTE = """
    Note:
        As ``torch.nn.functional``'s, the function of Tensors takes ``dim=None`` (PyTorch's
        deprecated implicit choice, with its warning), ``_stacklevel=3`` and ``dtype=None``:
        the input is cast to ``dtype`` before the op (kept under :class:`xpnet.autocast`).
"""
_AFFINE = ("input", "weight", "bias")
# max-pooling asks its forward for the indices only when a graph is recorded
_INDICES = {"saved": _indices, "forward_options": {"return_indices": True}}

conv2d = _lift(K.conv2d, K.conv2d_backward, _AFFINE)
linear = _lift(K.linear, K.linear_backward, _AFFINE)
bilinear = _lift(K.bilinear, K.bilinear_backward, ("input1", "input2", "weight", "bias"))
max_pool2d = _lift(K.max_pool2d, K.max_pool2d_backward, **_INDICES)
avg_pool2d = _lift(K.avg_pool2d, K.avg_pool2d_backward)
adaptive_avg_pool2d = _lift(K.adaptive_avg_pool2d, K.adaptive_avg_pool2d_backward)
adaptive_max_pool2d = _lift(K.adaptive_max_pool2d, K.adaptive_max_pool2d_backward, **_INDICES)
# the forward runs once and updates the running statistics; backward only reads them
batch_norm = _lift(K.batch_norm, K.batch_norm_backward, _AFFINE, _stats, {"return_stats": True})
layer_norm = _lift(K.layer_norm, K.layer_norm_backward, _AFFINE)
group_norm = _lift(K.group_norm, K.group_norm_backward, _AFFINE)
dropout = _lift_dropout(K.dropout, K.dropout_backward)
relu = _lift(K.relu, K.relu_backward)
relu6 = _lift(K.relu6, K.relu6_backward)
leaky_relu = _lift(K.leaky_relu, K.leaky_relu_backward)
elu = _lift(K.elu, K.elu_backward)
gelu = _lift(K.gelu, K.gelu_backward)
hardtanh = _lift(K.hardtanh, K.hardtanh_backward)
sigmoid = _lift(K.sigmoid, K.sigmoid_backward)
silu = _lift(K.silu, K.silu_backward)
tanh = _lift(K.tanh, K.tanh_backward)
softplus = _lift(K.softplus, K.softplus_backward)
mish = _lift(K.mish, K.mish_backward)
selu = _lift(K.selu, K.selu_backward)
celu = _lift(K.celu, K.celu_backward)
logsigmoid = _lift(K.logsigmoid, K.logsigmoid_backward)
softsign = _lift(K.softsign, K.softsign_backward)
tanhshrink = _lift(K.tanhshrink, K.tanhshrink_backward)
softmax = _lift_cast_first(K.softmax, K.softmax_backward)
log_softmax = _lift_cast_first(K.log_softmax, K.log_softmax_backward)
hardswish = _lift(K.hardswish, K.hardswish_backward)
hardsigmoid = _lift(K.hardsigmoid, K.hardsigmoid_backward)
threshold = _lift(K.threshold, K.threshold_backward)
hardshrink = _lift(K.hardshrink, K.hardshrink_backward)
softshrink = _lift(K.softshrink, K.softshrink_backward)
prelu = _lift(K.prelu, K.prelu_backward, ("input", "weight"))  # one slope per channel, or one
glu = _lift(K.glu, K.glu_backward)
softmin = _lift_cast_first(K.softmin, K.softmin_backward)
# target gets a gradient when it holds probabilities only
cross_entropy = _lift(
    cross_entropy,
    _legacy_free_backward(cross_entropy),
    ("input", "target"),
    _exp,
    {"return_exp": True},
)
cross_entropy = promoting(cross_entropy, floats_only=True)  # class indices stay integers
nll_loss = _lift(nll_loss, _legacy_free_backward(nll_loss))
max_pool1d = _lift(K.max_pool1d, K.max_pool1d_backward, **_INDICES)
max_pool3d = _lift(K.max_pool3d, K.max_pool3d_backward, **_INDICES)
avg_pool1d = _lift(K.avg_pool1d, K.avg_pool1d_backward)
avg_pool3d = _lift(K.avg_pool3d, K.avg_pool3d_backward)
max_unpool1d = _lift(K.max_unpool1d, K.max_unpool1d_backward)  # indices get no gradient
max_unpool2d = _lift(K.max_unpool2d, K.max_unpool2d_backward)
max_unpool3d = _lift(K.max_unpool3d, K.max_unpool3d_backward)
lp_pool1d = _lift(K.lp_pool1d, K.lp_pool1d_backward)
lp_pool2d = _lift(K.lp_pool2d, K.lp_pool2d_backward)
lp_pool3d = _lift(K.lp_pool3d, K.lp_pool3d_backward)
local_response_norm = _lift(K.local_response_norm, K.local_response_norm_backward)
adaptive_avg_pool1d = _lift(K.adaptive_avg_pool1d, K.adaptive_avg_pool1d_backward)
adaptive_avg_pool3d = _lift(K.adaptive_avg_pool3d, K.adaptive_avg_pool3d_backward)
adaptive_max_pool1d = _lift(K.adaptive_max_pool1d, K.adaptive_max_pool1d_backward, **_INDICES)
adaptive_max_pool3d = _lift(K.adaptive_max_pool3d, K.adaptive_max_pool3d_backward, **_INDICES)
# the forward's indices go to the backward: its random samples may have been drawn inside
fractional_max_pool2d = _lift(K.fractional_max_pool2d, K.fractional_max_pool2d_backward, **_INDICES)
fractional_max_pool3d = _lift(K.fractional_max_pool3d, K.fractional_max_pool3d_backward, **_INDICES)
_PAIR = ("input", "target")  # the element-wise losses: both get gradients (weights do not)
_BY_INPUT = (("input",), ("target",))  # promoted, following: the input's dtype decides
mse_loss = promoting(_lift(K.mse_loss, K.mse_loss_backward, _PAIR))
l1_loss = promoting(_lift(K.l1_loss, K.l1_loss_backward, _PAIR))
smooth_l1_loss = promoting(_lift(K.smooth_l1_loss, K.smooth_l1_loss_backward, _PAIR))
# these take the input's dtype in PyTorch (huber's backward then fails there; not here)
huber_loss = promoting(_lift(K.huber_loss, K.huber_loss_backward, _PAIR), *_BY_INPUT)
binary_cross_entropy = _lift(K.binary_cross_entropy, K.binary_cross_entropy_backward, _PAIR)
binary_cross_entropy_with_logits = _lift(
    K.binary_cross_entropy_with_logits, K.binary_cross_entropy_with_logits_backward, _PAIR
)
kl_div = promoting(_lift(K.kl_div, K.kl_div_backward, _PAIR), floats_only=True)  # as PyTorch
poisson_nll_loss = promoting(_lift(K.poisson_nll_loss, K.poisson_nll_loss_backward, _PAIR))
# var gets a gradient when it is an array (a float var has none)
gaussian_nll_loss = promoting(
    _lift(K.gaussian_nll_loss, K.gaussian_nll_loss_backward, ("input", "target", "var"))
)
instance_norm = _lift(
    K.instance_norm, K.instance_norm_backward, _AFFINE, _stats, {"return_stats": True}
)
interpolate = _lift(K.interpolate, K.interpolate_backward)
grid_sample = _lift(K.grid_sample, K.grid_sample_backward, ("input", "grid"))
affine_grid = _lift(K.affine_grid, K.affine_grid_backward, ("theta",))
pad = _lift(K.pad, K.pad_backward)
embedding = _lift(K.embedding, K.embedding_backward, ("input", "weight"))
rms_norm = _lift(K.rms_norm, K.rms_norm_backward, ("input", "weight"))
unfold = _lift(K.unfold, K.unfold_backward)
fold = _lift(K.fold, K.fold_backward)
dropout1d = _lift_dropout(K.dropout1d, K.dropout1d_backward)
dropout2d = _lift_dropout(K.dropout2d, K.dropout2d_backward)
dropout3d = _lift_dropout(K.dropout3d, K.dropout3d_backward)
alpha_dropout = _lift_dropout(K.alpha_dropout, K.alpha_dropout_backward)
feature_alpha_dropout = _lift_dropout(K.feature_alpha_dropout, K.feature_alpha_dropout_backward)
_MASKED = {"saved": _mask, "forward_options": {"return_mask": True}}
rrelu = _lift(K.rrelu, K.rrelu_backward, **_MASKED)  # the mask: the slopes drawn in training
conv1d = _lift(K.conv1d, K.conv1d_backward, _AFFINE)
conv3d = _lift(K.conv3d, K.conv3d_backward, _AFFINE)
conv_transpose1d = _lift(K.conv_transpose1d, K.conv_transpose1d_backward, _AFFINE)
conv_transpose2d = _lift(K.conv_transpose2d, K.conv_transpose2d_backward, _AFFINE)
conv_transpose3d = _lift(K.conv_transpose3d, K.conv_transpose3d_backward, _AFFINE)
normalize = _lift(K.normalize, K.normalize_backward)
_X1_X2 = ("x1", "x2")  # both get gradients, each summed back to its own (broadcast) shape
cosine_similarity = promoting(_lift(K.cosine_similarity, K.cosine_similarity_backward, _X1_X2))
pairwise_distance = promoting(_lift(K.pairwise_distance, K.pairwise_distance_backward, _X1_X2))
pixel_shuffle = _lift(K.pixel_shuffle, K.pixel_shuffle_backward)
pixel_unshuffle = _lift(K.pixel_unshuffle, K.pixel_unshuffle_backward)
channel_shuffle = _lift(K.channel_shuffle, K.channel_shuffle_backward)
native_channel_shuffle = _lift(K.native_channel_shuffle, K.native_channel_shuffle_backward)
pdist = _lift(K.pdist, K.pdist_backward)
# offsets hold integers (no gradient); per_sample_weights gets one (mode='sum')
embedding_bag = _lift(
    K.embedding_bag,
    K.embedding_bag_backward,
    ("input", "weight", "offsets", "per_sample_weights"),
)
# the margin and embedding losses: labels (targets that may hold integers) get no gradient,
# but margin_ranking_loss's target and multilabel_soft_margin_loss's target and weight do
margin_ranking_loss = promoting(
    _lift(K.margin_ranking_loss, K.margin_ranking_loss_backward, ("input1", "input2", "target"))
)
hinge_embedding_loss = promoting(
    _lift(K.hinge_embedding_loss, K.hinge_embedding_loss_backward, ("input",)), *_BY_INPUT
)
soft_margin_loss = promoting(
    _lift(K.soft_margin_loss, K.soft_margin_loss_backward, ("input",)), *_BY_INPUT
)
multilabel_soft_margin_loss = promoting(
    _lift(
        K.multilabel_soft_margin_loss,
        K.multilabel_soft_margin_loss_backward,
        ("input", "target", "weight"),
    )
)
multi_margin_loss = _lift(K.multi_margin_loss, K.multi_margin_loss_backward)
multilabel_margin_loss = _lift(K.multilabel_margin_loss, K.multilabel_margin_loss_backward)
ctc_loss = _lift(K.ctc_loss, K.ctc_loss_backward, ("log_probs",))  # targets, lengths: integers
cosine_embedding_loss = promoting(
    _lift(K.cosine_embedding_loss, K.cosine_embedding_loss_backward, ("input1", "input2")),
    following=("target",),
)
triplet_margin_loss = promoting(
    _lift(K.triplet_margin_loss, K.triplet_margin_loss_backward, ("anchor", "positive", "negative"))
)
# attn_mask gets a gradient when it is a float (additive) mask; the dropout mask goes back
scaled_dot_product_attention = _lift(
    K.scaled_dot_product_attention,
    K.scaled_dot_product_attention_backward,
    ("query", "key", "value", "attn_mask"),
    **_MASKED,
)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """:func:`xpnet.kernels.one_hot` on a Tensor or an array: an int64 Tensor that requires
    no grad. Not differentiable (integer in, integer out), so a plain function, not a lifted
    pair.

    Example:
        >>> import xpnet
        >>> one_hot(xpnet.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    return Tensor(K.one_hot(data_of(tensor), num_classes))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated :func:`interpolate` (warns, as ``torch.nn.functional.upsample``).

    Example:
        >>> import warnings, xpnet
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     upsample(xpnet.ones(1, 1, 2), scale_factor=2).shape
        (1, 1, 4)
    """
    warnings.warn(_DEPRECATED.format("upsample"), stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated :func:`interpolate` with ``mode='nearest'`` (warns, as PyTorch)."""
    warnings.warn(_DEPRECATED.format("upsample_nearest"), stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated :func:`interpolate` with ``mode='bilinear'`` and ``align_corners=True``
    (warns, as PyTorch)."""
    warnings.warn(_DEPRECATED.format("upsample_bilinear"), stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


_DEPRECATED = "`nn.functional.{}` is deprecated. Use `nn.functional.interpolate` instead."
_UPSAMPLE = ["upsample", "upsample_nearest", "upsample_bilinear"]


# the compositions of Tensor ops and the in-place forms (relu_, ...): they call the pairs above
from .functional_composite import *  # noqa: E402, F403
from .functional_composite import __all__ as _composite_all  # noqa: E402
from .functional_indices import *  # noqa: E402, F403
from .functional_indices import __all__ as _indices_all  # noqa: E402
from .linear_cross_entropy import linear_cross_entropy  # noqa: E402, F401

# every lifted pair, one_hot and the compositions; sorted, as help() and the docs list them
__all__ = sorted(
    [name for name, value in globals().items() if isinstance(value, Function)]
    + ["one_hot", "linear_cross_entropy", *_UPSAMPLE, *_indices_all, *_composite_all]
)
