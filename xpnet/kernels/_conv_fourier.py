"""conv2d by the convolution theorem, for small planes and many channels.

A stride-1 convolution is a product per frequency: with ``X`` the 2-D discrete Fourier
transform of each input plane and ``V`` that of each flipped filter,
``Y[n, o] = sum_c X[n, c] * V[c, o]`` at every frequency bin, then back. On a 14x14 plane
with a 5x5 kernel that is 144 bins of (n, C) @ (C, C_out) complex products instead of
196 positions of (n, C * 25) @ (C * 25, C_out) real ones, and no window copy.

The transforms are small dense matrices, one per axis, not FFTs: a plane of a few dozen
values per row is transformed by two BLAS products for the whole batch (along W, then
along H), at BLAS speed on the CPU and on the GPU, and the zero padding never exists as
data. Planes are real, so only the bins with ``0 <= u_W <= L_W / 2`` are kept (the others
are their complex conjugates), and each bin is stored as its (real, imaginary) pair of
rows: every step is a real product. The transform length per axis, ``L = size +
padding``, is the shortest one whose circular convolution equals the linear one at every
output position.

Backward passes are the adjoints of the same real-linear maps: the conjugate factors and
the conjugate products. :func:`fourier_plan` lays out the transforms and counts their
multiply-adds; whether this formula can run a call and pays there (against the window copy of
:mod:`xpnet.kernels._conv_im2col`) is decided in :mod:`xpnet.kernels._conv_select`, which
:mod:`xpnet.kernels.conv` asks before it calls :func:`fourier_correlate`.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

from ._blocks import batch_chunks, group_sums, map_groups, matmul_rows
from ._workspaces import register_cache, workspace


class FourierPlan(NamedTuple):
    """Transform lengths and sizes of a convolution by the convolution theorem."""

    lengths: tuple[int, int]  # (L_H, L_W), the circular convolution's period per axis
    size: tuple[int, int]  # the input plane (H, W)
    kernel: tuple[int, int]
    pad_before: tuple[int, int]
    output: tuple[int, int]

    @property
    def kept(self) -> tuple[int, int]:
        """Frequencies kept per axis: all L_H along H, L_W // 2 + 1 along W."""
        return self.lengths[0], self.lengths[1] // 2 + 1

    @property
    def bins(self) -> int:
        return math.prod(self.kept)

    def transform_cost(self, size) -> int:
        """Multiply-adds of the transform of one plane of ``size`` into the bins, or back."""
        (L_H, U_W), (H, W) = self.kept, size
        return 2 * U_W * H * (W + 2 * L_H)

    def multiply_adds(self, C, C_out) -> int:
        """Weighted multiply-adds per sample of a convolution of C planes into C_out by this
        plan: C planes into the bins, C_out planes back, and 4 real multiply-adds per complex
        one in the bins' products. The transforms' products are short (K = H or W) and cost
        about twice their multiply-adds (fitted on 32x32 and 56x56 3x3 shapes)."""
        transforms = C * self.transform_cost(self.size) + C_out * self.transform_cost(self.output)
        return 2 * transforms + 4 * self.bins * C * C_out

    def spectra_bytes(self, C, C_out, itemsize) -> int:
        """Bytes of the filters' spectra, made once per call outside the batch chunks."""
        return 2 * self.bins * C * C_out * itemsize


def fourier_plan(geometry, size) -> FourierPlan:
    """The :class:`FourierPlan` of a convolution of planes of ``size`` (H, W) with
    ``geometry``, which must be one the convolution theorem can run: stride 1, no dilation,
    padding below the kernel on every side (see :mod:`xpnet.kernels._conv_select`)."""
    lengths = tuple(
        max(s + max(b, a), k)
        for s, b, a, k in zip(
            size, geometry.pad_before, geometry.pad_after, geometry.kernel, strict=True
        )
    )
    return FourierPlan(lengths, tuple(size), geometry.kernel, geometry.pad_before, geometry.output)


class Transform(NamedTuple):
    """The two real matrices of a separable transform, one per axis. Into the bins
    (:func:`to_bins`): ``width`` (2 U_W, W) and ``height`` (2 L_H, H), rows (real,
    imaginary) of the complex factor of each frequency. Back (:func:`from_bins`): ``height``
    (2 H, 2 L_H), complex multiplication by the factors as a real matrix, and ``width``
    (2 U_W, W), rows (real, -imaginary): the real part of the product."""

    width: object
    height: object


@functools.lru_cache(maxsize=64)
def _transforms(xp, plan, dtype):
    (L_H, L_W), (kH, kW), (top, left) = plan.lengths, plan.kernel, plan.pad_before
    frequencies = [xp.arange(n) for n in plan.kept]

    def factors(rows, columns, sign, width_scale=1.0):
        """e^(sign 2 pi i u m / L) per axis as (real, imaginary); W's times ``width_scale``."""
        axes = []
        positions, scales = (rows, columns), (1.0, width_scale)
        for u, m, n, scale in zip(frequencies, positions, (L_H, L_W), scales, strict=True):
            angle = 2 * math.pi / n * ((u[:, None] * m[None, :]) % n)  # products mod L: exact
            axes.append((scale * xp.cos(angle), sign * scale * xp.sin(angle)))
        return axes

    def rows(real, imaginary):
        return xp.stack([real, imaginary], axis=1).reshape(2 * real.shape[0], -1).astype(dtype)

    def into(height, width):
        return Transform(rows(*width), rows(*height))

    def back(height, width):
        (real, imaginary), (width_real, width_imaginary) = height, width
        blocks = [[real.T, -imaginary.T], [imaginary.T, real.T]]  # (re; im) = B (re; im)
        matrix = xp.stack([xp.stack(block, axis=-1) for block in blocks])  # (2, H, L_H, 2)
        return Transform(
            rows(width_real, -width_imaginary), matrix.reshape(2 * real.shape[1], -1).astype(dtype)
        )

    def conjugate(axes):
        return [(real, -imaginary) for real, imaginary in axes]

    H, W = plan.size
    H_out, W_out = plan.output
    # output (h, w) is the linear convolution's (h + kH - 1 - top, w + kW - 1 - left): the
    # real part of sum(Y e^(+i angle)) / (L_H L_W), where the bins 0 < u_W < L_W / 2 stand
    # for their complex conjugates too and count twice
    u_W = frequencies[1][:, None]
    twice = xp.where((u_W == 0) | (2 * u_W == L_W), 1.0, 2.0) / (L_H * L_W)
    output = factors(xp.arange(H_out) + kH - 1 - top, xp.arange(W_out) + kW - 1 - left, 1, twice)
    input = factors(xp.arange(H), xp.arange(W), -1)
    # flipped, so that the product is a correlation, as PyTorch's. A filter has few values:
    # one dense (U_W, L_H, 2, kH, kW) matrix of the factors' products A(u_W, j) B(u_H, i)
    # takes it into the bins in one product
    (B_re, B_im), (A_re, A_im) = factors(kH - 1 - xp.arange(kH), kW - 1 - xp.arange(kW), -1)
    A_re, A_im = A_re[:, None, None, :], A_im[:, None, None, :]
    B_re, B_im = B_re[None, :, :, None], B_im[None, :, :, None]
    parts = [A_re * B_re - A_im * B_im, A_re * B_im + A_im * B_re]
    filters = xp.stack(parts, axis=2).reshape(2 * plan.bins, kH * kW).astype(dtype)
    # the backward's are the adjoints of the forward's: the conjugate factors, the other way
    return {
        "input": into(*input),
        "filters": filters,
        "output": back(*output),
        "grad_output": into(*conjugate(output)),
        "grad_input": back(*conjugate(input)),
    }


register_cache(_transforms)  # xpnet.empty_cache drops the transforms (arrays)


def transforms(backend, plan, dtype):
    """The :class:`Transform` of ``"input"`` (into the bins), ``"output"`` (back), and of
    their gradients (``"grad_output"`` into the bins, ``"grad_input"`` back), and the
    ``"filters"`` matrix (2B, kH * kW) that takes flattened (flipped) filters into the bins.
    Made once per backend, plan and dtype."""
    return _transforms(backend.xp, plan, backend.xp.dtype(dtype))


def to_bins(backend, planes, transform, kept, out):
    """Transform ``planes`` (n, K, H, W) into ``out``, a (U_W, L_H, 2, n, K) view: the
    (real, imaginary) parts of each bin (u_W, u_H)."""
    xp, (n, K, H, W), (L_H, U_W) = backend.xp, planes.shape, kept
    dtype = transform.width.dtype
    along_width = workspace(backend, "conv2d.fourier.width", (2 * U_W, n * K * H), dtype)
    xp.matmul(transform.width, planes.reshape(n * K * H, W).T, out=along_width)
    # one W frequency at a time (a workspace 1 / U_W the size, and as fast): its two parts
    # (2, H, n K) along H, then the complex product of the two factors' parts
    along_height = workspace(backend, "conv2d.fourier.height", (2, 2 * L_H, n * K), dtype)
    parts = along_height.reshape(2, L_H, 2, n, K)  # (width part, u_H, height part, n, K)
    for u_W, frequency in enumerate(along_width.reshape(U_W, 2, n * K, H)):
        xp.matmul(transform.height, frequency.transpose(0, 2, 1), out=along_height)
        xp.subtract(parts[0, :, 0], parts[1, :, 1], out=out[u_W, :, 0])
        xp.add(parts[0, :, 1], parts[1, :, 0], out=out[u_W, :, 1])
    return out


def from_bins(backend, spectra, transform, kept, out):
    """Transform ``spectra`` (B, 2, n, K) back into ``out``, (n, K, H, W) contiguous."""
    xp, (_, _, n, K), (L_H, U_W) = backend.xp, spectra.shape, kept
    H, W = out.shape[2:]
    # per u_W: (2 H, 2 L_H) @ (2 L_H, n K), complex, L_H contracted
    along_height = workspace(backend, "conv2d.fourier.back", (U_W, 2 * H, n * K), spectra.dtype)
    xp.matmul(transform.height, spectra.reshape(U_W, 2 * L_H, n * K), out=along_height)
    # per h: (n K, 2 U_W) @ (2 U_W, W), the real part, straight into NCHW rows
    columns = along_height.reshape(2 * U_W, H, n * K).transpose(1, 2, 0)
    xp.matmul(columns, transform.width, out=out.reshape(n * K, H, W).transpose(1, 0, 2))
    return out


def _second_column(xp, rows, sign):
    """Complete (B, 2, n, 2, K) complex rows whose first column holds (re; im): the real
    matrices of complex multiplication, ``[[re, -im], [im, re]]`` (``sign`` -1; times (re;
    im) rows: the product) or ``[[re, im], [im, -re]]`` (``sign`` 1: the conjugate product)."""
    B, _, n, _, K = rows.shape
    real, imaginary = rows[:, 0, :, 0], rows[:, 1, :, 0]
    if sign < 0:
        xp.negative(imaginary, out=rows[:, 0, :, 1])
        rows[:, 1, :, 1] = real
    else:
        rows[:, 0, :, 1] = imaginary
        xp.negative(real, out=rows[:, 1, :, 1])
    return rows.reshape(B, 2 * n, 2 * K)


def _complex_rows(backend, planes, transform, plan, sign):
    """``planes`` (n, K, H, W) into the bins by ``transform``, as (B, 2n, 2K) real matrices of
    complex multiplication (see :func:`_second_column`), in a workspace."""
    n, K = planes.shape[:2]
    rows = workspace(backend, "conv2d.fourier.rows", (plan.bins, 2, n, 2, K), planes.dtype)
    to_bins(backend, planes, transform, plan.kept, _bins_view(rows, plan.kept)[..., 0, :])
    return _second_column(backend.xp, rows, sign)


def _bins_view(array, kept):
    """A (B, 2, n, [2,] K) array as (U_W, L_H, 2, n, [2,] K)."""
    return array.reshape(*kept[::-1], *array.shape[1:])


def _filter_spectra(backend, weight, matrix, in_first):
    """The filters' spectra by ``matrix`` (2B, kH * kW): (B, 2, C, C_out) with ``in_first``,
    else (B, 2, C_out, C)."""
    filters = weight.transpose(1, 0, 2, 3) if in_first else weight
    rows = filters.reshape(-1, matrix.shape[1])
    return matmul_rows(backend, matrix, rows.T).reshape(-1, 2, *filters.shape[:2])


def _into_values(plan, planes, size):
    """Per sample, the values of :func:`to_bins`'s two workspaces for ``planes`` of ``size``."""
    L_H, U_W = plan.kept
    return planes * (2 * U_W * size[0] + 4 * L_H)


def _back_values(plan, planes, size):
    """Per sample, the values of :func:`from_bins`'s workspace for ``planes`` of ``size``."""
    return planes * 4 * plan.kept[1] * size[0]


def _quiet(function):
    """Run ``function(backend, ...)`` with float errors ignored: a NaN or inf spreads over its
    sample's outputs by design here (see :mod:`xpnet.backends._precision`), and NumPy's
    warnings about it ("invalid value encountered in matmul") must not reach the user."""

    @functools.wraps(function)
    def wrapper(backend, *args, **kwargs):
        with backend.ignore_float_errors():
            return function(backend, *args, **kwargs)

    return wrapper


# Chunks of the batch: its products are small per sample (2n rows per bin), so larger chunks
# than the kernels' default 8 MiB; and a group only where it has 4x the work of the spectra it
# sums on its own. Measured on 2 threads, 64,32,14,14 5x5 and 128,64,32,32 3x3 forward +
# backward: 39-49 and 410-436 ms with the defaults, 25-30 and 286-348 ms with these.
UNIT = 64 << 20
GROUP_FACTOR = 4


def _chunks(backend, where, N, bytes_per_sample, spectra_bytes=0):
    """:func:`batch_chunks` of this formula: chunks of up to ``UNIT``; where each group sums
    filters' spectra of its own (``spectra_bytes``), ``GROUP_FACTOR`` times that work a group."""
    group = GROUP_FACTOR * spectra_bytes
    return batch_chunks(backend, where, N, bytes_per_sample, bytes_per_group=group, unit_bytes=UNIT)


@_quiet
def fourier_correlate(backend, where, x, weight, plan, dtype, bias=None):
    """conv2d of ``x`` (N, C, H, W) with ``weight`` (C_out, C, kH, kW) by ``plan``: a new
    (N, C_out, H_out, W_out) array; ``bias`` (C_out,) or ``None``."""
    xp, (N, C), C_out, B = backend.xp, x.shape[:2], weight.shape[0], plan.bins
    transform = transforms(backend, plan, dtype)
    filter_rows = _filter_spectra(backend, weight, transform["filters"], in_first=True)
    filter_rows = filter_rows.reshape(B, 2 * C, C_out)  # (re; im) rows per bin
    output = xp.empty((N, C_out, *plan.output), dtype=dtype)

    def correlate_group(chunks):
        for chunk in chunks:
            n = chunk.stop - chunk.start
            rows = _complex_rows(
                backend, x[chunk].astype(dtype, copy=False), transform["input"], plan, -1
            )
            products = workspace(backend, "conv2d.fourier.products", (B, 2 * n, C_out), dtype)
            xp.matmul(rows, filter_rows, out=products)  # (re; im) per bin
            from_bins(
                backend,
                products.reshape(B, 2, n, C_out),
                transform["output"],
                plan.kept,
                output[chunk],
            )
            if bias is not None:
                output[chunk] += bias[:, None, None]

    # the transforms' workspaces, the complex rows (4B values per plane) and the products
    values = _into_values(plan, C, plan.size) + _back_values(plan, C_out, plan.output)
    values += plan.bins * (4 * C + 2 * C_out)
    chunks = _chunks(backend, where, N, values * xp.dtype(dtype).itemsize)
    map_groups(backend, lambda index: correlate_group(chunks[index]), chunks)
    return output


def _backward_chunks(backend, where, N, plan, C, C_out, dtype, output_mask):
    """The batch chunks of :func:`fourier_correlate_backward`, by its temporaries per sample:
    the transforms' workspaces (shared by both transforms into the bins), the gradient's
    complex rows, the input gradient's spectra, the input's spectra."""
    need_input, need_weight = output_mask
    values = _into_values(plan, C_out, plan.output)
    if need_weight:
        values = max(values, _into_values(plan, C, plan.size)) + 2 * plan.bins * C
    values += 4 * plan.bins * C_out
    if need_input:
        values += _back_values(plan, C, plan.size) + 2 * plan.bins * C
    itemsize = backend.xp.dtype(dtype).itemsize
    totals = plan.spectra_bytes(C, C_out, itemsize) if need_weight else 0
    return _chunks(backend, where, N, values * itemsize, totals)


@_quiet
def fourier_correlate_backward(backend, where, grad, x, weight, plan, dtype, output_mask):
    """``(grad_input, grad_weight)`` of :func:`fourier_correlate` for ``grad``
    (N, C_out, H_out, W_out); each only where ``output_mask`` (two flags) says, else ``None``."""
    need_input, need_weight = output_mask
    xp, (N, C, H, W), C_out, B = backend.xp, x.shape, weight.shape[0], plan.bins
    transform = transforms(backend, plan, dtype)
    # (re; im) rows of the filters per bin for the conjugate product: (B, 2 C_out, C)
    filter_rows = _filter_spectra(backend, weight, transform["filters"], in_first=False)
    filter_rows = filter_rows.reshape(B, 2 * C_out, C)
    grad_input = xp.empty((N, C, H, W), dtype=dtype) if need_input else None

    def backward_chunk(chunk, grad_filters=None, first=True):
        n = chunk.stop - chunk.start
        grads = grad[chunk].astype(dtype, copy=False)
        grad_rows = _complex_rows(backend, grads, transform["grad_output"], plan, 1)
        if need_input:
            # the adjoint of the products: (B, 2n, 2 C_out) @ (B, 2 C_out, C)
            spectra = workspace(backend, "conv2d.fourier.products", (B, 2 * n, C), dtype)
            xp.matmul(grad_rows, filter_rows, out=spectra)
            from_bins(
                backend,
                spectra.reshape(B, 2, n, C),
                transform["grad_input"],
                plan.kept,
                grad_input[chunk],
            )
        if need_weight:
            spectra = workspace(backend, "conv2d.fourier.spectra", (B, 2, n, C), dtype)
            to_bins(
                backend,
                x[chunk].astype(dtype, copy=False),
                transform["input"],
                plan.kept,
                _bins_view(spectra, plan.kept),
            )
            # conj(X)^T @ G per bin, as (re | im) columns: (B, C, 2 C_out)
            products = spectra.reshape(B, 2 * n, C).transpose(0, 2, 1)
            if first:
                xp.matmul(products, grad_rows, out=grad_filters)
            else:
                grad_filters += xp.matmul(products, grad_rows)

    chunks = _backward_chunks(backend, where, N, plan, C, C_out, dtype, output_mask)
    if not need_weight:
        map_groups(backend, lambda index: [backward_chunk(c) for c in chunks[index]], chunks)
        return grad_input, None
    # the weight's spectra summed per group of chunks, each written by its group's first chunk
    shapes = [(B, C, 2 * C_out)]
    (grad_filters,) = group_sums(backend, backward_chunk, chunks, shapes, dtype, first_writes=True)
    filter_rows = None  # freed before the copy below
    # (B, C, 2, C_out) -> (2B, C * C_out) spectra, back by the filters' matrix transposed
    spectra = grad_filters.reshape(B, C, 2, C_out).transpose(0, 2, 1, 3).reshape(2 * B, -1)
    grad_weight = matmul_rows(backend, spectra.T, transform["filters"])
    return grad_input, grad_weight.reshape(C, C_out, *plan.kernel).transpose(1, 0, 2, 3)
