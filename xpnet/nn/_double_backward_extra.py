"""Differentiable backwards (:mod:`xpnet._double_backward`) of the layers of
:mod:`xpnet.nn.functional` that the other formula modules leave out.

Composite in PyTorch, recomputed in recorded Tensor operations and differentiated as such
(:func:`~xpnet._double_backward_elementwise.composite`): ``bilinear`` (an einsum),
``lp_pool1d``-``3d`` (PyTorch's ``avg_pool(x^p)`` through ``sign * relu(|.|)``, to ``1/p``;
``max_pool`` of ``|x|`` for infinite ``p``), ``local_response_norm`` and ``pdist`` (the
norms of the row differences ``i < j``; PyTorch has no double backward for it). Linear in
their input: ``affine_grid`` (an adjoint pair, :func:`~xpnet._double_backward_ops.linear_op`)
and ``embedding_bag`` (a hand-written formula: each bag's gradient row added back to the
rows it took, as the kernel's, or to the rows of its maxima for ``'max'``; PyTorch cannot
differentiate it again). ``grid_sample`` (every mode and padding, 2-D and 3-D): the input
gathered at the taps' pixels times the taps' weights, recorded; the reflection and the
clamps of the coordinates recorded too (slopes +-1 and 0), bicubic's padding on its taps'
pixels only, as PyTorch's.
"""

from __future__ import annotations

import itertools
import math

from .. import kernels as K
from .._double_backward import differentiable_backward
from .._double_backward_elementwise import composite
from .._double_backward_ops import linear_ops, needs, piecewise_constant, zeros_like
from .._tensor_index import where
from .._tensor_join import cat
from .._tensor_products import einsum
from ..autograd import Tensor, data_of
from ..backends import backend_of
from ..kernels._interpolate_cubic import keys_inner, keys_outer
from ..kernels.embedding_bag import embedding_bag_indices
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
        bags = (input, weight, offsets, include_last_offset, padding_idx)
        return None, _max_gradient(grad_output, *bags) if needs(weight) else None, None, None
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


def _max_gradient(grad_output, input, weight, offsets, include_last_offset, padding_idx):
    """``'max'``: each bag's gradient row to the rows that held its maxima, per column (an
    empty bag's nowhere); linear in ``grad_output``, so its own gradient gathers them back."""
    arrays = (data_of(input), data_of(weight), data_of(offsets))
    _, sizes, rows = embedding_bag_indices(*arrays, "max", include_last_offset, padding_idx)
    filled = Tensor((sizes > 0)[:, None].astype(weight.dtype))  # (B, 1)
    return zeros_like(weight).scatter_add(0, Tensor(rows.astype("int64")), grad_output * filled)


# -- grid_sample: the taps' weights in recorded ops, the input gathered at their pixels -----
_CUBIC_A = -0.75  # Keys' kernel, as PyTorch's grid_sampler bicubic


def _reflected(x: Tensor, size: int, align_corners: bool) -> Tensor:
    """Pixel coordinates ``x`` reflected by the borders (the corner pixels' centres with
    ``align_corners``, else their edges), as PyTorch's ``reflect_coordinates``: slope +-1."""
    low, twice_span = (0.0, 2.0 * (size - 1)) if align_corners else (-0.5, 2.0 * size)
    if twice_span == 0:  # one pixel with align_corners: everything reflects onto it
        return piecewise_constant(backend_of(x.array).xp.zeros_like(x.array), x)
    distance = (x - low).abs()
    folds = backend_of(x.array).xp.trunc(distance.array / twice_span)  # constant: slope 0
    extra = distance - Tensor(folds * twice_span)
    flipped = twice_span - extra
    return where(Tensor(extra.array > flipped.array), flipped, extra) + low


def _padded(x: Tensor, size: int, padding_mode: str, align_corners: bool, dim: int) -> Tensor:
    """PyTorch's ``compute_coordinates``: ``x`` reflected (``'reflection'``), then clamped
    into the pixels with slope 0 outside (``'border'``, ``'reflection'``); a NaN clamps to 0
    in the 2-D kernel, to ``size - 1`` in the 3-D one."""
    if padding_mode == "zeros":
        return x
    if padding_mode == "reflection":
        x = _reflected(x, size, align_corners)
    xp, nan = backend_of(x.array).xp, 0.0 if dim == 2 else size - 1.0
    inside = Tensor((x.array > 0) & (x.array < size - 1))
    return where(inside, x, Tensor(xp.clip(xp.nan_to_num(x.array, nan=nan), 0, size - 1)))


def _cubic_weights(x: Tensor) -> tuple:
    """``(floor(x), weights)``: Keys' weights of the taps at ``floor(x) - 1 .. + 2``."""
    floor = backend_of(x.array).xp.floor(x.array)
    t, a = x - Tensor(floor), _CUBIC_A
    weights = [keys_outer(t + 1, a), keys_inner(t, a), keys_inner(1 - t, a), keys_outer(2 - t, a)]
    return floor, weights


def _axis_taps(
    g: Tensor, size: int, mode: str, padding_mode: str, align_corners: bool, dim: int
) -> list:
    """One spatial axis's taps ``[(index, valid, weight), ...]`` for the grid coordinates
    ``g`` (N, P) of ``dim`` axes: pixel indices and whether they lie inside (arrays), weights
    (Tensors or 1)."""
    xp = backend_of(g.array).xp
    if align_corners:
        x = (g + 1) * ((size - 1) / 2)
    else:
        x = ((g + 1) * size - 1) / 2
    if mode == "bicubic":  # the padding moves each tap, not the weights (PyTorch's)
        floor, weights = _cubic_weights(x)
        taps = []
        for offset, weight in zip((-1, 0, 1, 2), weights, strict=True):
            position = _padded(Tensor(floor + offset), size, padding_mode, align_corners, 2)
            index, valid = _pixel(xp, xp.trunc(position.array), size)
            taps.append((index, valid, weight))
        return taps
    x = _padded(x, size, padding_mode, align_corners, dim)
    if mode == "nearest":
        return [(*_pixel(xp, xp.round(x.array), size), 1)]  # half to even, as nearbyint
    floor = xp.floor(x.array)
    right = x - Tensor(floor)  # the distance from the first tap, in [0, 1)
    return [(*_pixel(xp, floor, size), 1 - right), (*_pixel(xp, floor + 1, size), right)]


def _pixel(xp, position, size: int) -> tuple:
    """``(index, valid)``: the int64 index of an integral ``position`` and whether it is a
    pixel of the axis (NaN, inf and far positions are not)."""
    valid = (position >= 0) & (position < size)
    return xp.where(valid, position, 0).astype("int64"), valid


def _sampled(x: Tensor, grid: Tensor, mode: str, padding_mode: str, align_corners: bool):
    """``grid_sample`` in recorded ops: the sum over every combination of one tap per axis
    of the input at that pixel (0 outside) times the taps' weights."""
    N, C, sizes, dim = x.shape[0], x.shape[1], x.shape[2:], x.ndim - 2
    points = grid.reshape(N, -1, dim)  # (N, P, dim): dim 0 is the last spatial axis
    rows = x.reshape(N, C, -1).movedim(1, 2)  # (N, pixels, C)
    taps = [
        _axis_taps(points[..., dim - 1 - axis], size, mode, padding_mode, align_corners, dim)
        for axis, size in enumerate(sizes)
    ]
    total = None
    for combination in itertools.product(*taps):
        flat, valid = 0, True
        for (index, tap_valid, _), size in zip(combination, sizes, strict=True):
            flat, valid = flat * size + index, valid & tap_valid
        at = Tensor(backend_of(flat).xp.broadcast_to(flat[..., None], (*flat.shape, C)))
        inside = Tensor(valid)  # (N, P)
        # a tap outside reads 0 and passes the input no gradient (not even a NaN point's NaN)
        term = where(inside.unsqueeze(-1), rows.gather(1, at), 0.0)  # (N, P, C)
        weight = _weight([tap[2] for tap in combination], inside, dim)
        term = term if weight is None else term * weight.unsqueeze(-1)
        total = term if total is None else total + term
    return total.movedim(2, 1).reshape(N, C, *grid.shape[1:-1])


def _weight(factors: list, inside: Tensor, dim: int) -> Tensor | None:
    """The product of a combination's tap weights (``None`` for ``'nearest'``). The 2-D
    kernel multiplies a tap outside by its weight too (a NaN point's NaN reaches its sample
    and grid gradient); the 3-D one adds the taps inside only, so weights count there only."""
    weight = None
    for factor in factors:
        if isinstance(factor, Tensor):
            factor = factor if dim == 2 else where(inside, factor, 0.0)
            weight = factor if weight is None else weight * factor
    return weight


@differentiable_backward(K.grid_sample_backward)
def _grid_sample_formula(
    grad_output, input, grid, mode="bilinear", padding_mode="zeros", align_corners=None
):
    """Every mode and padding; ``'nearest'``'s grid gradient zeros, as PyTorch's (in the
    graph of the node's inputs, as there)."""

    def sample(x, g):
        return _sampled(x, g, mode, padding_mode, bool(align_corners))

    grads = composite(grad_output, sample, input, grid)
    if needs(grid) and (mode == "nearest" or grads[1] is None):
        zeros = zeros_like(grid).array
        grads = (grads[0], piecewise_constant(zeros, grad_output, input, grid))
    return grads
