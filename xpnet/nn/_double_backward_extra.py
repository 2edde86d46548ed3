"""Differentiable backwards (:mod:`xpnet._double_backward`) of the layers of
:mod:`xpnet.nn.functional` that the other formula modules leave out.

Composite in PyTorch, recomputed in recorded Tensor operations and differentiated as such
(:func:`~xpnet._double_backward_elementwise.composite`): ``bilinear`` (an einsum),
``lp_pool1d``-``3d`` (PyTorch's ``avg_pool(x^p)`` through ``sign * relu(|.|)``, to ``1/p``;
``max_pool`` of ``|x|`` for infinite ``p``), ``local_response_norm`` and ``pdist`` (the
norms of the row differences ``i < j``; PyTorch has no double backward for it). Linear in
their input: ``affine_grid`` (an adjoint pair, :func:`~xpnet._double_backward_ops.linear_op`)
and ``embedding_bag``'s ``'sum'``/``'mean'`` (a hand-written formula: each bag's gradient row
added back to the rows it took, as the kernel's, which PyTorch cannot differentiate again).
``grid_sample`` (``'bilinear'`` and ``'nearest'``, 2-D and 3-D, ``'zeros'`` or ``'border'``
padding): the input gathered at the taps' pixels times the taps' weights, recorded.
"""

from __future__ import annotations

import itertools
import math

from .. import kernels as K
from .._double_backward import differentiable_backward
from .._double_backward_elementwise import composite
from .._double_backward_ops import linear_ops, needs, zeros_like
from .._tensor_index import where
from .._tensor_join import cat
from .._tensor_products import einsum
from ..autograd import Tensor, data_of
from ..backends import backend_of
from . import functional as F

__all__: list[str] = []

linear_ops((K.affine_grid, K.affine_grid_backward))


@differentiable_backward(K.bilinear_backward)
def _bilinear_formula(grad_output, input1, input2, weight, bias=None):
    """``y[..., o] = sum_ij x1[..., i] w[o, i, j] x2[..., j] + b[o]``."""

    def bilinear(x1, x2, w, b):
        y = einsum("...i,oij,...j->...o", x1, w, x2)
        return y if b is None else y + b

    return composite(grad_output, bilinear, input1, input2, weight, bias)


def _lp_pool(nd: int):
    pool = getattr(F, f"avg_pool{nd}d")
    max_pool = getattr(F, f"max_pool{nd}d")

    @differentiable_backward(getattr(K, f"lp_pool{nd}d_backward"))
    def formula(grad_output, input, norm_type, kernel_size, stride=None, ceil_mode=False):
        sizes = (kernel_size,) * nd if isinstance(kernel_size, int) else tuple(kernel_size)

        def lp_pool(x):
            if math.isinf(norm_type):  # +-max of +-|x|, as the kernel
                sign = 1.0 if norm_type > 0 else -1.0
                return sign * max_pool(sign * x.abs(), kernel_size, stride, 0, 1, ceil_mode)
            out = pool(x**norm_type, kernel_size, stride, 0, ceil_mode)
            return (out.sign() * F.relu(out.abs()) * math.prod(sizes)) ** (1.0 / norm_type)

        return composite(grad_output, lp_pool, input)[0]


for _nd in (1, 2, 3):
    _lp_pool(_nd)
del _nd


@differentiable_backward(K.local_response_norm_backward)
def _local_response_norm_formula(grad_output, input, size, alpha=1e-4, beta=0.75, k=1.0):
    """``x / (k + alpha / size * sum of x^2 over the size channels around)^beta``, the
    channels past the edges zeros (PyTorch's ``pad`` and ``avg_pool``)."""
    if input.numel() == 0:
        return zeros_like(input)
    xp, C = backend_of(input.array).xp, input.shape[1]

    def zeros(n):
        return Tensor(xp.zeros((input.shape[0], n, *input.shape[2:]), dtype=input.dtype))

    def local_response_norm(x):
        squares = cat([zeros(size // 2), x * x, zeros((size - 1) // 2)], 1)
        total = squares[:, 0:C]
        for shift in range(1, size):
            total = total + squares[:, shift : shift + C]
        return x / (total * (alpha / size) + k) ** beta

    return composite(grad_output, local_response_norm, input)[0]


@differentiable_backward(K.pdist_backward)
def _pdist_formula(grad_output, input, p=2):
    """``||x_i - x_j||_p`` for the pairs ``i < j`` in row-major order."""
    pairs = backend_of(input.array).xp.triu_indices(input.shape[0], 1)  # as the kernel's
    first, second = (Tensor(r) for r in pairs)

    def pdist(x):
        return (x.index_select(0, first) - x.index_select(0, second)).norm(p, dim=1)

    return composite(grad_output, pdist, input)[0]


def _bags(input, offsets, include_last_offset: bool):
    """``(indices, bag, count)``: the flat indices, each one's bag and the number of bags."""
    xp = backend_of(input).xp
    if input.ndim == 2:
        count = input.shape[0]
        return input.reshape(-1), xp.repeat(xp.arange(count), input.shape[1]), count
    starts = offsets[:-1] if include_last_offset else offsets
    bag = xp.searchsorted(starts, xp.arange(input.shape[0]), side="right") - 1
    return input, bag, starts.shape[0]


@differentiable_backward(K.embedding_bag_backward)
def _embedding_bag_formula(
    grad_output,
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """``weight``: each bag's gradient row added to the rows it took, times the entry's
    weight (``1 / bag size`` for ``'mean'``, ``1 / count`` with ``scale_grad_by_freq``);
    ``per_sample_weights``: ``grad[bag] . weight[index]``."""
    if mode == "max":
        msg = "embedding_bag: create_graph=True with mode='max' is not supported"
        raise NotImplementedError(msg)
    indices, bag, count = _bags(data_of(input), data_of(offsets), include_last_offset)
    xp, dtype = backend_of(indices).xp, weight.dtype
    indices = indices.astype("int64")
    scale = xp.ones(indices.shape, dtype=dtype)
    if padding_idx is not None:
        scale = xp.where(indices == padding_idx % weight.shape[0], 0, scale).astype(dtype)
    if mode == "mean":
        sizes = xp.zeros(count, dtype=dtype)
        backend_of(sizes).scatter_add(sizes, bag, scale)
        scale = scale / xp.maximum(sizes, 1)[bag]
    rows = grad_output.index_select(0, Tensor(bag))  # (L, D): each entry's bag's gradient
    grad_weight = grad_psw = None
    if needs(weight):
        factor = scale
        if scale_grad_by_freq:  # the kernel's (and PyTorch's): over each index's count
            counts = xp.zeros(weight.shape[0], dtype=dtype)
            backend_of(counts).scatter_add(counts, indices, xp.ones(indices.shape, dtype))
            factor = factor / counts[indices]
        entries = rows * Tensor(factor[:, None])
        if per_sample_weights is not None:
            entries = entries * per_sample_weights.unsqueeze(1)
        grad_weight = zeros_like(weight).index_add(0, Tensor(indices), entries)
    if needs(per_sample_weights):
        taken = weight.index_select(0, Tensor(indices)) * Tensor(scale[:, None])
        grad_psw = (rows * taken).sum(1)
    return None, grad_weight, None, grad_psw


# -- grid_sample: the taps' weights in recorded ops, the input gathered at their pixels -----
def _axis_taps(g: Tensor, size: int, mode: str, padding_mode: str, align_corners: bool):
    """One spatial axis's taps ``[(index, valid, weight), ...]`` for the grid coordinates
    ``g`` (N, P): pixel indices and whether they lie inside (arrays), weights (Tensors or 1)."""
    xp = backend_of(g.array).xp
    if align_corners:
        x = (g + 1) * ((size - 1) / 2)
    else:
        x = ((g + 1) * size - 1) / 2
    if padding_mode == "border":  # clamped into the pixels, of slope 0 outside (PyTorch's)
        inside = Tensor((x.array > 0) & (x.array < size - 1))
        x = where(inside, x, Tensor(xp.clip(xp.nan_to_num(x.array), 0, size - 1)))
    if mode == "nearest":
        positions = [xp.round(x.array)]  # round half to even, as nearbyint
    else:
        positions = [xp.floor(x.array), xp.floor(x.array) + 1]
    taps = []
    for offset, position in enumerate(positions):
        valid = (position >= 0) & (position < size)
        index = xp.where(valid, position, 0).astype("int64")
        right = x - Tensor(positions[0])  # the distance from the first tap, in [0, 1)
        weight = 1 if mode == "nearest" else (right if offset else 1 - right)
        taps.append((index, valid, weight))
    return taps


def _sampled(x: Tensor, grid: Tensor, mode: str, padding_mode: str, align_corners: bool):
    """``grid_sample`` in recorded ops: the sum over every combination of one tap per axis
    of the input at that pixel (0 outside) times the taps' weights."""
    N, C, sizes = x.shape[0], x.shape[1], x.shape[2:]
    points = grid.reshape(N, -1, len(sizes))  # (N, P, dim): dim 0 is the last spatial axis
    rows = x.reshape(N, C, -1).movedim(1, 2)  # (N, pixels, C)
    taps = [
        _axis_taps(points[..., len(sizes) - 1 - axis], size, mode, padding_mode, align_corners)
        for axis, size in enumerate(sizes)
    ]
    total = None
    for combination in itertools.product(*taps):
        flat, valid, weight = 0, True, 1
        for (index, tap_valid, tap_weight), size in zip(combination, sizes, strict=True):
            flat, valid, weight = flat * size + index, valid & tap_valid, weight * tap_weight
        at = Tensor(backend_of(flat).xp.broadcast_to(flat[..., None], (*flat.shape, C)))
        values = rows.gather(1, at) * Tensor(valid[..., None].astype(x.dtype))  # (N, P, C)
        term = values * (weight.unsqueeze(-1) if isinstance(weight, Tensor) else weight)
        total = term if total is None else total + term
    return total.movedim(2, 1).reshape(N, C, *grid.shape[1:-1])


@differentiable_backward(K.grid_sample_backward)
def _grid_sample_formula(
    grad_output, input, grid, mode="bilinear", padding_mode="zeros", align_corners=None
):
    """``'bilinear'`` and ``'nearest'`` (its grid gradient zeros, as PyTorch's), with
    ``'zeros'`` or ``'border'`` padding."""
    if mode == "bicubic" or padding_mode == "reflection":
        msg = (
            "grid_sample: create_graph=True is supported for mode 'bilinear' or 'nearest' "
            f"with padding_mode 'zeros' or 'border', got mode={mode!r}, "
            f"padding_mode={padding_mode!r}"
        )
        raise NotImplementedError(msg)

    def sample(x, g):
        return _sampled(x, g, mode, padding_mode, bool(align_corners))

    grads = composite(grad_output, sample, input, grid)
    if mode == "nearest" and needs(grid):
        grads = (grads[0], zeros_like(grid))
    return grads
