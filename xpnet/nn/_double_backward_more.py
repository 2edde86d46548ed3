"""Differentiable backwards (:mod:`xpnet._double_backward`) of more layers of
:mod:`xpnet.nn.functional`, each PyTorch's formula in recorded Tensor operations.

Linear in their input, as adjoint pairs (:func:`xpnet._double_backward_ops.linear_op`):
``pad`` (every mode; the constant is no part of the linear map), ``interpolate`` (every
mode), ``pixel_shuffle``/``pixel_unshuffle``, ``channel_shuffle``, ``fold``/``unfold``, and
``embedding``'s gradient to the weight (a scatter-add of ``grad_output`` rows, whose adjoint
gathers them). ``conv_transpose1d``-``3d``: the gradients are a convolution and a
convolution's weight gradient, the Functions of :mod:`xpnet.nn._double_backward_conv`.
Composite in PyTorch, differentiated as such
(:func:`~xpnet._double_backward_elementwise.composite`): ``cosine_similarity``,
``normalize``, ``pairwise_distance``, ``group_norm``, ``instance_norm``, ``rms_norm`` and
``scaled_dot_product_attention``.
"""

from __future__ import annotations

import math

import numpy

from .. import kernels as K
from .._double_backward import differentiable_backward
from .._double_backward_elementwise import composite
from .._double_backward_ops import linear_op, linear_ops, needs
from .._tensor_index import where
from ..autograd import Tensor, data_of
from ..backends import backend_of
from ..kernels._checks import to_tuple
from . import functional as F
from ._double_backward_conv import GRADIENTS

__all__: list[str] = []


def _zero_pad(input, pad, mode="constant", value=None):
    """``pad`` with a zero constant: the linear map of which ``pad_backward`` is the adjoint."""
    return K.pad(input, pad, mode)


linear_ops(
    (_zero_pad, K.pad_backward),
    (K.interpolate, K.interpolate_backward),
    (K.pixel_shuffle, K.pixel_shuffle_backward),
    (K.pixel_unshuffle, K.pixel_unshuffle_backward),
    (K.channel_shuffle, K.channel_shuffle_backward),
    (K.native_channel_shuffle, K.native_channel_shuffle_backward),
    (K.unfold, K.unfold_backward),
    (K.fold, K.fold_backward),
)


# -- embedding: the weight's gradient scatters rows; its adjoint gathers them ---------------
def embedding_rows(
    source,
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """The rows of ``source`` (weight-shaped) at ``input``, times what ``embedding_backward``
    scales each by (0 at ``padding_idx``, ``1 / count`` with ``scale_grad_by_freq``)."""
    backend = backend_of(source)
    xp, indices = backend.xp, input.reshape(-1).astype("int64")
    scale = xp.ones(indices.shape, dtype=source.dtype)
    if scale_grad_by_freq:
        counts = xp.zeros(source.shape[0], dtype=source.dtype)
        backend.scatter_add(counts, indices, scale)
        scale = scale / xp.take(counts, indices)
    if padding_idx is not None:
        scale = xp.where(indices == padding_idx % source.shape[0], 0, scale)
    rows = xp.take(source, indices, axis=0) * scale[:, None]
    return rows.reshape(*input.shape, source.shape[1])


def embedding_rows_backward(grad_output, source, input, weight, *options):
    return K.embedding_backward(grad_output, input, weight, *options)[1]


_, _scatter_rows = linear_op(embedding_rows, embedding_rows_backward)


@differentiable_backward(K.embedding_backward)
def _embedding_formula(
    grad_output,
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    options = (padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
    return None, _scatter_rows(grad_output, weight.array, data_of(input), weight.array, *options)


# -- transposed convolutions ----------------------------------------------------------------
def _windows_read(grad_output, input_shape, weight_shape, stride, padding, dilation):
    """``grad_output`` zero-padded and cut to what the windows of ``input``'s positions read:
    with ``output_padding >= stride`` the convolution of all of it has windows past the
    last input position, whose weight gradient would multiply a NaN there by nothing."""
    nd = len(weight_shape) - 2
    stride, padding, dilation = (
        to_tuple("conv_transpose", name, value, nd, 0)
        for name, value in (("stride", stride), ("padding", padding), ("dilation", dilation))
    )
    padded = F.pad(grad_output, [p for p in reversed(padding) for _ in (0, 1)])
    spans = (
        (n - 1) * s + d * (k - 1) + 1
        for n, s, d, k in zip(input_shape[-nd:], stride, dilation, weight_shape[2:], strict=True)
    )
    return padded[(...,) + tuple(slice(0, span) for span in spans)]


def _conv_transpose(nd: int) -> None:
    grad_weight_of = GRADIENTS[nd][1]
    conv = getattr(F, f"conv{nd}d")

    @differentiable_backward(getattr(K, f"conv_transpose{nd}d_backward"))
    def formula(
        grad_output,
        input,
        weight,
        bias=None,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        dilation=1,
        output_mask=(True, True, True),
    ):
        """``grad_input``: the convolution of ``grad_output`` with ``weight``; ``grad_weight``:
        that convolution's weight gradient for the output gradient ``input``."""
        options = (stride, padding, dilation, groups)
        grad_input = grad_weight = grad_bias = None
        if needs(input):
            grad_input = conv(grad_output, weight, None, *options)
            if grad_input.shape != input.shape:  # outputs past the last window: cut
                grad_input = grad_input[(...,) + tuple(slice(0, n) for n in input.shape[-nd:])]
        if needs(weight):
            read = _windows_read(grad_output, input.shape, weight.shape, stride, padding, dilation)
            grad_weight = grad_weight_of(input, read, weight.array, stride, 0, dilation, groups)
        if needs(bias):
            channels = grad_output.ndim - nd - 1
            grad_bias = grad_output.sum(tuple(d for d in range(grad_output.ndim) if d != channels))
        return grad_input, grad_weight, grad_bias


for _nd in (1, 2, 3):
    _conv_transpose(_nd)
del _nd


# -- composite in PyTorch -------------------------------------------------------------------
def _no_gradient_clamp(norm: Tensor, eps: float) -> Tensor:
    """``max(norm, eps)`` with the gradient of ``norm`` (PyTorch's ``clamp_min_`` under
    ``no_grad`` in ``cosine_similarity``)."""
    xp = backend_of(norm.array).xp
    return norm + Tensor(xp.maximum(norm.array, eps) - norm.array)


@differentiable_backward(K.cosine_similarity_backward)
def _cosine_similarity_formula(grad_output, x1, x2, dim=1, eps=1e-8):
    def similarity(a, b):
        shape = numpy.broadcast_shapes(a.shape, b.shape)  # PyTorch's expand_outplace
        a, b = a.expand(*shape), b.expand(*shape)
        n1 = _no_gradient_clamp(a.norm(2, dim, True), eps)
        n2 = _no_gradient_clamp(b.norm(2, dim, True), eps)
        return ((a / n1) * (b / n2)).sum(dim)

    return composite(grad_output, similarity, x1, x2)


@differentiable_backward(K.normalize_backward)
def _normalize_formula(grad_output, input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(norm, eps)`` (the clamp's gradient: none below ``eps``)."""
    return composite(grad_output, lambda x: x / x.norm(p, dim, True).clamp(min=eps), input)[0]


@differentiable_backward(K.pairwise_distance_backward)
def _pairwise_distance_formula(grad_output, x1, x2, p=2.0, eps=1e-6, keepdim=False):
    def distance(a, b):
        return (a - b + eps).norm(p, -1, keepdim)

    return composite(grad_output, distance, x1, x2)


def _normalized(x, dims: tuple, eps: float):
    """``x`` normalized over ``dims`` by its mean and biased variance."""
    centered = x - x.mean(dims, keepdim=True)
    return centered * ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()


def _affine(y, weight, bias, per_channel: tuple):
    y = y if weight is None else y * weight.reshape(per_channel)
    return y if bias is None else y + bias.reshape(per_channel)


@differentiable_backward(K.group_norm_backward)
def _group_norm_formula(grad_output, input, num_groups, weight=None, bias=None, eps=1e-5):
    per_channel = (-1,) + (1,) * (input.ndim - 2)

    def group_norm(x, w, b):
        groups = x.reshape(x.shape[0], num_groups, -1)  # (N, G, C / G * spatial)
        return _affine(_normalized(groups, (2,), eps).reshape(x.shape), w, b, per_channel)

    return composite(grad_output, group_norm, input, weight, bias)


@differentiable_backward(K.instance_norm_backward)
def _instance_norm_formula(
    grad_output,
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
    **saved,
):
    """Each sample's channels normalized over the spatial dims, or by the running statistics
    (constants) without ``use_input_stats``."""
    per_channel = (-1,) + (1,) * (input.ndim - 2)
    spatial = tuple(range(2, input.ndim))

    def instance_norm(x, w, b):
        if use_input_stats or running_mean is None:
            return _affine(_normalized(x, spatial, eps), w, b, per_channel)
        mean = Tensor(data_of(running_mean).reshape(per_channel))
        rstd = Tensor(((data_of(running_var) + eps) ** -0.5).reshape(per_channel))
        return _affine((x - mean) * rstd, w, b, per_channel)

    return composite(grad_output, instance_norm, input, weight, bias)


@differentiable_backward(K.rms_norm_backward)
def _rms_norm_formula(grad_output, input, normalized_shape, weight=None, eps=None):
    count = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    dims = tuple(range(input.ndim - count, input.ndim))
    eps = float(backend_of(input.array).xp.finfo(input.dtype).eps) if eps is None else eps

    def rms_norm(x, w):
        y = x * ((x * x).mean(dims, keepdim=True) + eps).rsqrt()
        return y if w is None else y * w

    return composite(grad_output, rms_norm, input, weight)


@differentiable_backward(K.scaled_dot_product_attention_backward)
def _attention_formula(
    grad_output,
    query,
    key,
    value,
    attn_mask=None,
    dropout_p=0.0,
    is_causal=False,
    *,
    scale=None,
    enable_gqa=False,
    mask=None,
):
    """PyTorch's math attention: ``softmax(q k^T scale + bias) v``, the dropout mask saved;
    a bool mask adds ``-inf`` to the left-out scores (a NaN score stays NaN), ``is_causal``
    sets them to ``-inf``, and a row left with no key gets zero weights (the forward's safe
    softmax), so its gradients are zeros, not NaN."""
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    xp, given = backend_of(query.array).xp, data_of(attn_mask)
    causal = None
    if is_causal:
        causal = Tensor(xp.tril(xp.ones((query.shape[-2], key.shape[-2]), dtype=bool)))
    left_out = None  # a bool mask as the -inf it adds
    if given is not None and given.dtype == bool:
        left_out = Tensor(xp.where(given, 0.0, -xp.inf).astype(query.dtype))
    float_mask = attn_mask if given is not None and left_out is None else None

    def attention(q, k, v, bias):
        if enable_gqa:
            k = k.repeat_interleave(q.shape[-3] // k.shape[-3], -3)
            v = v.repeat_interleave(q.shape[-3] // v.shape[-3], -3)
        scores = q @ k.mT * scale
        for term in (bias, left_out):
            scores = scores if term is None else scores + term
        scores = scores if causal is None else where(causal, scores, -math.inf)
        empty = (scores == -math.inf).all(-1, keepdim=True)
        weights = where(empty, 0.0, F.softmax(where(empty, 0.0, scores), -1))
        if dropout_p > 0:
            weights = weights * Tensor(mask.astype(weights.dtype) / (1 - dropout_p))
        return weights @ v

    return composite(grad_output, attention, query, key, value, float_mask)
