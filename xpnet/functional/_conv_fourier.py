"""conv2d by the convolution theorem, for small planes and many channels.

A stride-1 convolution is a product per frequency: with ``X`` the 2-D discrete Fourier
transform of each input plane and ``V`` that of each flipped filter,
``Y[n, o] = sum_c X[n, c] * V[c, o]`` at every frequency bin, then back. On a 14x14 plane
with a 5x5 kernel that is 144 bins of (n, C) @ (C, C_out) complex products instead of
196 positions of (n, C * 25) @ (C * 25, C_out) real ones, and no window copy.

The transforms are small dense matrices (:func:`transform_matrices`), not FFTs: a plane of
at most a few hundred values is transformed by one BLAS product for the whole batch, at
BLAS speed on the CPU and on the GPU, and the zero padding never exists as data. Planes
are real, so only the bins with ``0 <= u_W <= L_W / 2`` are kept (the others are their
complex conjugates), and each bin is stored as its (real, imaginary) pair of rows: every
step is a real product. The transform length per axis, ``L = size + padding``, is the
shortest one whose circular convolution equals the linear one at every output position.

Backward passes are the adjoints of the same real-linear maps: the transposed matrices and
the complex conjugate products. :func:`fourier_plan` decides from the shapes alone when
this pays (multiply-adds below ``_MAX_COST_RATIO`` of the window-copy formulation).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

from ._products import group_sums, matmul_rows
from ._windows import batch_chunks, workspace

# Fourier is chosen when it takes fewer multiply-adds than the direct product: it has no
# window copy, which pays for its small per-bin products (forward+backward, 2 CPU threads,
# against the window copy: 0.49x time at 0.39x the multiply-adds on 8x8 3x3 with 256
# channels; 0.53x at 0.66x on 14x14 5x5; 0.71x at 0.80x on 16x16 3x3; 3.4x at 4.1x on 32x32)
_MAX_COST_RATIO = 1.0


class FourierPlan(NamedTuple):
    """Transform lengths and sizes of a convolution by the convolution theorem."""

    lengths: tuple[int, int]  # (L_H, L_W), the circular convolution's period per axis
    size: tuple[int, int]  # the input plane (H, W)
    kernel: tuple[int, int]
    pad_before: tuple[int, int]
    output: tuple[int, int]

    @property
    def bins(self) -> int:
        """Frequency bins kept per plane: L_H * (L_W // 2 + 1)."""
        return self.lengths[0] * (self.lengths[1] // 2 + 1)


def fourier_plan(geometry, groups, C, C_out, size):
    """A :class:`FourierPlan` when the convolution theorem pays for this convolution, else
    ``None``: stride 1, no dilation, one group, padding below the kernel on every side, and
    fewer multiply-adds per sample than the direct product by ``_MAX_COST_RATIO``."""
    kernel, pads = geometry.kernel, (*geometry.pad_before, *geometry.pad_after)
    if groups != 1 or geometry.stride != (1, 1) or geometry.dilation != (1, 1):
        return None
    if any(p >= k for p, k in zip(pads, kernel * 2, strict=True)):
        return None
    lengths = tuple(
        max(s + max(b, a), k)
        for s, b, a, k in zip(size, geometry.pad_before, geometry.pad_after, kernel, strict=True)
    )
    plan = FourierPlan(lengths, tuple(size), kernel, geometry.pad_before, geometry.output)
    plane, out_plane = math.prod(size), math.prod(geometry.output)
    # per sample: the transforms of C planes and of C_out planes back, and 4 real
    # multiply-adds per complex one in the bins' products
    fourier = 2 * plan.bins * (C * plane + C_out * out_plane) + 4 * plan.bins * C * C_out
    direct = C_out * C * math.prod(kernel) * out_plane
    return plan if fourier < _MAX_COST_RATIO * direct else None


@functools.lru_cache(maxsize=64)
def _matrices(xp, plan, dtype):
    lengths, (kH, kW), (top, left) = plan.lengths, plan.kernel, plan.pad_before
    kept = (lengths[0], lengths[1] // 2 + 1)
    u = [xp.arange(n) for n in kept]

    def phases(rows, columns):
        """2 pi (u_H m_H / L_H + u_W m_W / L_W), (bins, positions); products mod L stay exact."""
        axes = zip(u, (rows, columns), lengths, strict=True)
        turns = [(a[:, None] * m[None, :]) % n / n for a, m, n in axes]
        return 2 * math.pi * (turns[0][:, None, :, None] + turns[1][None, :, None, :])

    def pairs(angle, weight=1.0):
        """(2 * bins, positions): the rows (weight * cos, -weight * sin) of each bin."""
        matrix = xp.stack([weight * xp.cos(angle), -weight * xp.sin(angle)], axis=2)
        return matrix.reshape(2 * plan.bins, -1).astype(dtype)

    H, W = plan.size
    H_out, W_out = plan.output
    plane = pairs(phases(xp.arange(H), xp.arange(W)))
    flipped = pairs(phases(kH - 1 - xp.arange(kH), kW - 1 - xp.arange(kW)))
    # output (h, w) is the linear convolution's (h + kH - 1 - top, w + kW - 1 - left), the
    # real part of sum(Y e^(+i angle)) / (L_H L_W): rows (cos, -sin) again. The bins
    # 0 < u_W < L_W / 2 stand for their complex conjugates too, so they count twice.
    angle = phases(xp.arange(H_out) + kH - 1 - top, xp.arange(W_out) + kW - 1 - left)
    twice = xp.where((u[1] == 0) | (2 * u[1] == lengths[1]), 1.0, 2.0)
    weight = (twice / math.prod(lengths))[None, :, None, None]
    inverse = pairs(angle, weight)
    return plane, flipped, inverse


def transform_matrices(backend, plan, dtype):
    """``(plane (2B, H * W), flipped (2B, kH * kW), inverse (2B, H_out * W_out))`` for ``B``
    bins: ``plane @ x`` transforms flattened input planes, ``flipped @ w`` flattened filters
    (flipped, so that the product is a correlation, as PyTorch's), and
    ``spectrum^T @ inverse`` takes (2B, ...) spectra back to output planes. Made once per
    backend, plan and dtype."""
    return _matrices(backend.xp, plan, backend.xp.dtype(dtype))


def _complex_rows(backend, name, spectrum, sign):
    """(B, 2, n, K) spectra as the (B, 2n, 2K) real matrices of complex multiplication:
    ``[[re, -im], [im, re]]`` (``sign`` -1; times (re; im) rows: the product) or
    ``[[re, im], [im, -re]]`` (``sign`` 1; times (re; im) rows: the conjugate product)."""
    xp, (B, _, n, K) = backend.xp, spectrum.shape
    rows = workspace(backend, name, (B, 2, n, 2, K), spectrum.dtype)
    real, imaginary = spectrum[:, 0], spectrum[:, 1]
    rows[:, 0, :, 0] = real
    rows[:, 1, :, 0] = imaginary
    if sign < 0:
        xp.negative(imaginary, out=rows[:, 0, :, 1])
        rows[:, 1, :, 1] = real
    else:
        rows[:, 0, :, 1] = imaginary
        xp.negative(real, out=rows[:, 1, :, 1])
    return rows.reshape(B, 2 * n, 2 * K)


def _spectra(backend, name, matrix, planes):
    """``matrix`` (2B, P) applied to ``planes`` (n, K, P): a (B, 2, n, K) workspace."""
    n, K, P = planes.shape
    spectra = workspace(backend, name, (matrix.shape[0], n * K), matrix.dtype)
    backend.xp.matmul(matrix, planes.reshape(n * K, P).T, out=spectra)
    return spectra.reshape(-1, 2, n, K)


def _filter_spectra(backend, weight, flipped, in_first):
    """The filters' spectra as (B, 2, C, C_out) with ``in_first``, else (B, 2, C_out, C)."""
    C_out, C = weight.shape[:2]
    filters = weight.transpose(1, 0, 2, 3) if in_first else weight
    rows = filters.reshape(C * C_out, -1)
    return matmul_rows(backend, flipped, rows.T).reshape(-1, 2, *filters.shape[:2])


def _chunks(backend, where, plan, N, spectra, rows, dtype):
    """Batch chunks whose samples have ``spectra`` planes' spectra and ``rows`` planes'
    complex rows (twice the values) as temporaries."""
    values = 2 * plan.bins * (spectra + 2 * rows)
    return batch_chunks(backend, where, N, values * backend.xp.dtype(dtype).itemsize)


def fourier_correlate(backend, where, x, weight, plan, dtype, bias=None):
    """conv2d of ``x`` (N, C, H, W) with ``weight`` (C_out, C, kH, kW) by ``plan``: a new
    (N, C_out, H_out, W_out) array; ``bias`` (C_out,) or ``None``."""
    xp, (N, C), C_out = backend.xp, x.shape[:2], weight.shape[0]
    plane, flipped, inverse = transform_matrices(backend, plan, dtype)
    filter_rows = _filter_spectra(backend, weight, flipped, in_first=True)
    filter_rows = filter_rows.reshape(plan.bins, 2 * C, C_out)  # (re; im) rows per bin
    output = xp.empty((N, C_out, *plan.output), dtype=dtype)
    flat = output.reshape(N, C_out, math.prod(plan.output))

    def correlate_group(chunks):
        for chunk in chunks:
            planes = x[chunk].astype(dtype, copy=False).reshape(-1, C, plane.shape[1])
            spectra = _spectra(backend, "conv2d.fourier.input", plane, planes)
            rows = _complex_rows(backend, "conv2d.fourier.rows", spectra, -1)
            products = workspace(backend, "conv2d.fourier.output", rows.shape[:2] + (C_out,), dtype)
            xp.matmul(rows, filter_rows, out=products)  # (B, 2n, C_out): (re; im) per bin
            n = len(planes)
            xp.matmul(
                products.reshape(-1, n * C_out).T, inverse, out=flat[chunk].reshape(n * C_out, -1)
            )
            if bias is not None:
                flat[chunk] += bias[:, None]

    backend.map_blocks(correlate_group, _chunks(backend, where, plan, N, C + C_out, C, dtype))
    return output


def fourier_correlate_backward(backend, where, grad, x, weight, plan, dtype, output_mask):
    """``(grad_input, grad_weight)`` of :func:`fourier_correlate` for ``grad``
    (N, C_out, H_out, W_out); each only where ``output_mask`` (two flags) says, else ``None``."""
    need_input, need_weight = output_mask
    xp, (N, C, H, W), C_out = backend.xp, x.shape, weight.shape[0]
    plane, flipped, inverse = transform_matrices(backend, plan, dtype)
    B = plan.bins
    # (re; im) rows of the conjugate filters per bin: (B, 2 C_out, C)
    filter_rows = _filter_spectra(backend, weight, flipped, in_first=False)
    filter_rows = filter_rows.reshape(B, 2 * C_out, C)
    grad_input = xp.empty((N, C, H, W), dtype=dtype) if need_input else None

    def sum_chunk(chunk, grad_filters):
        n = len(x[chunk])
        grads = grad[chunk].astype(dtype, copy=False).reshape(n, C_out, -1)
        grad_rows = _complex_rows(
            backend,
            "conv2d.fourier.rows",
            _spectra(backend, "conv2d.fourier.output", inverse, grads),
            1,
        )
        if need_input:
            # the adjoint of the products: (B, 2n, 2 C_out) @ (B, 2 C_out, C)
            spectra = workspace(backend, "conv2d.fourier.grad", (B, 2 * n, C), dtype)
            xp.matmul(grad_rows, filter_rows, out=spectra)
            xp.matmul(
                spectra.reshape(2 * B, n * C).T, plane, out=grad_input[chunk].reshape(n * C, -1)
            )
        if not need_weight:
            return
        planes = x[chunk].astype(dtype, copy=False).reshape(n, C, -1)
        spectra = _spectra(backend, "conv2d.fourier.input", plane, planes).reshape(B, 2 * n, C)
        # conj(X)^T @ G per bin, as (re | im) columns: (B, C, 2 C_out)
        grad_filters += xp.matmul(spectra.transpose(0, 2, 1), grad_rows)

    chunks = _chunks(backend, where, plan, N, 2 * C + C_out, C_out, dtype)
    if not need_weight:
        backend.map_blocks(lambda group: [sum_chunk(chunk, None) for chunk in group], chunks)
        return grad_input, None
    (grad_filters,) = group_sums(backend, sum_chunk, chunks, [(B, C, 2 * C_out)], dtype)
    # (B, C, 2, C_out) -> (2B, C * C_out), then the filters' transform transposed
    grad_filters = grad_filters.reshape(B, C, 2, C_out).transpose(0, 2, 1, 3).reshape(2 * B, -1)
    grad_weight = matmul_rows(backend, grad_filters.T, flipped).reshape(C, C_out, *plan.kernel)
    return grad_input, grad_weight.transpose(1, 0, 2, 3)
