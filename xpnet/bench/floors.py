"""The floor of a case: the work xpnet's formulation of it cannot skip, timed alone.

A conv2d call is a window copy plus three BLAS products (forward; weight gradient; gradient of
the windows, or the correlation that replaces it, of the same size). Its floor copies the
windows once each way, as the kernel lays them out (``xpnet.kernels._conv_im2col``, the
per-row forward channels last as ``xpnet.kernels._conv_channels_last``; a pointwise
convolution needs no copy), and times the products on im2col's shapes (one tap per
kernel row splits each into kH products of the same multiply-adds). Where conv2d takes the
convolution theorem instead (``xpnet.kernels._conv_fourier``), its floor is that
formulation's products: four transforms of two products each (input and gradient into the
bins, output and input gradient back) and the three per-bin products. A cross-entropy call is
one ``exp`` over the logits plus one product for the backward; a batch norm is the fewest NumPy
calls any blocked formulation makes (two sums and one affine map each way, see
:func:`_batch_norm_floor`). The floor contender times just those, on the operand shapes the
kernels use, with the same threads and blocks; col2im, the correlation's second copy, the
NCHW transposes, centring and the small reductions are left out. Its ratio to PyTorch is the
best ratio that xpnet's design can reach on the machine: where the floor alone is slower than
PyTorch, no change inside the kernels can meet a target below it.
Pooling has no floor here: its passes are the kernel itself.
"""

from __future__ import annotations

from ..backends._base import conv_costs_of
from ..kernels._blocks import batch_blocks, batch_chunks, compute_dtype, map_groups
from ..kernels._conv_args import prepare_conv
from ..kernels._conv_channels_last import channels_last_bytes, channels_last_copy
from ..kernels._conv_cost import channels_last_pays
from ..kernels._conv_im2col import copy_bytes, window_copy, window_layout
from ..kernels._conv_select import ConvAlgorithm, choose_algorithm
from ..kernels._workspaces import workspace
from .cases import MODES, Case, output_size, xpnet_algorithm

_WHERE = "conv2d floor"


def _conv2d_floor(backend, case: Case, dtype):
    """One window copy each way, in the kernel's layout and batch chunks, and the three
    products of conv2d on its im2col shapes (groups=1); or the products of the convolution
    theorem where conv2d takes it. The formula is the kernel's own choice
    (:mod:`xpnet.kernels._conv_select`, under any :func:`xpnet.kernels.conv_algorithms`)."""
    xp = backend.xp
    N, C, H, W = case.arrays["input"].shape
    C_out, _, kH, kW = case.arrays["weight"].shape
    stride, padding = case.kwargs["stride"], case.kwargs["padding"]
    x = backend.asarray(case.arrays["input"].astype(dtype))
    weight = backend.asarray(case.arrays["weight"].astype(dtype))
    _, x, geometry, _ = prepare_conv(_WHERE, x, weight, None, stride, padding, 1, 1)
    choice = choose_algorithm(backend, _WHERE, geometry, 1, x.shape, C_out, dtype)
    if choice.algorithm is ConvAlgorithm.FOURIER:
        return _fourier_floor(backend, choice.plan, N, C, C_out, dtype)
    positions = N * output_size(H, kH, stride, padding) * output_size(W, kW, stride, padding)
    # the values do not matter to BLAS: ones avoid generating 100s of MB of random numbers
    filters = xp.ones((C_out, C * kH * kW), dtype=dtype)  # (C_out, K)
    col = xp.ones((C * kH * kW, positions), dtype=dtype)  # (K, N * H_out * W_out)
    grad = xp.ones((C_out, positions), dtype=dtype)  # (C_out, N * H_out * W_out)
    copy_forward = _window_copies(backend, x, choice, dtype, forward=True)
    copy_backward = _window_copies(backend, x, choice, dtype, forward=False)
    if _channels_last(backend, choice):  # (positions, K) @ (K, C_out), as the kernel
        col_rows, filters_columns = xp.ones(col.shape[::-1], dtype), filters.T.copy()

    def forward():
        copy_forward()
        if _channels_last(backend, choice):
            xp.matmul(col_rows, filters_columns)
        else:
            xp.matmul(filters, col)

    def backward():  # in the orientation conv2d_backward uses: the long axis last on the left
        copy_backward()
        xp.matmul(col, grad.T)
        xp.matmul(filters.T, grad)

    return forward, backward


def _fourier_floor(backend, plan, N, C, C_out, dtype):
    """The products of conv2d by the convolution theorem, in its batch chunks: each way one
    transform into the bins and one back (two products each, one per axis) and the per-bin
    products, on the shapes of ``xpnet.kernels._conv_fourier``. Left out: the input's
    second transform in the backward, the combination of the axes' parts, the complex rows
    and the filters' transforms."""
    xp, B, (L_H, U_W) = backend.xp, plan.bins, plan.kept
    (H, W), (H_out, W_out) = plan.size, plan.output

    def into(planes, size):
        """Into the bins: per axis, (2 U_W, W) @ (W, planes * H), (2 L_H, H) @ (H, planes)."""
        rows = xp.ones((size[1], planes * size[0]), dtype=dtype)
        columns = xp.ones((2 * U_W, size[0], planes), dtype=dtype)
        return lambda: (
            xp.matmul(xp.ones((2 * U_W, size[1]), dtype=dtype), rows),
            xp.matmul(xp.ones((2 * L_H, size[0]), dtype=dtype), columns),
        )

    def back(planes, size):
        """Back: (2 H, 2 L_H) @ (2 L_H, planes) per u_W, (planes, 2 U_W) @ (2 U_W, W) per h."""
        spectra = xp.ones((U_W, 2 * L_H, planes), dtype=dtype)
        columns = xp.ones((size[0], planes, 2 * U_W), dtype=dtype)
        return lambda: (
            xp.matmul(xp.ones((2 * size[0], 2 * L_H), dtype=dtype), spectra),
            xp.matmul(columns, xp.ones((2 * U_W, size[1]), dtype=dtype)),
        )

    def chunk_parts(n):
        rows, grad_rows = (xp.ones((B, 2 * n, 2 * k), dtype=dtype) for k in (C, C_out))
        filters, filters_t = xp.ones((B, 2 * C, C_out), dtype), xp.ones((B, 2 * C_out, C), dtype)
        spectra_t = xp.ones((B, C, 2 * n), dtype=dtype)
        forward = [
            into(n * C, (H, W)),
            lambda: xp.matmul(rows, filters),
            back(n * C_out, (H_out, W_out)),
        ]
        backward = [
            into(n * C_out, (H_out, W_out)),
            lambda: xp.matmul(grad_rows, filters_t),
            back(n * C, (H, W)),
            lambda: xp.matmul(spectra_t, grad_rows),
        ]
        return forward, backward

    def run(parts):
        return lambda: backend.map_blocks(lambda group: [part() for part in group], parts)

    chunks = batch_chunks(backend, "conv2d floor", N, 1)  # one chunk per block thread
    parts = [[chunk_parts(chunk.stop - chunk.start) for chunk in group] for group in chunks]
    forward = [[part for chunk in group for part in chunk[0]] for group in parts]
    backward = [[part for chunk in group for part in chunk[1]] for group in parts]
    return run(forward), run(backward)


def _window_copies(backend, x, choice, dtype, forward):
    """A callable that copies the windows of ``x`` (N, C, H, W) as conv2d does in its
    ``forward`` or backward: in the layout of ``choice``'s algorithm
    (:func:`~xpnet.kernels._conv_im2col.window_layout`; im2col sample-major in the forward),
    one batch chunk per block thread."""
    if choice.algorithm is ConvAlgorithm.POINTWISE:
        return lambda: None  # the input is its own window copy
    taps = window_layout(choice.geometry, choice.algorithm)
    sample_major = forward and taps.batch_first
    channels_last = forward and _channels_last(backend, choice)
    per_sample = copy_bytes(taps, x.shape[1], x.itemsize)
    if channels_last:
        per_sample = channels_last_bytes(taps, x.shape[1], 0, x.shape[2:], x.itemsize)
    chunks = batch_chunks(backend, "conv2d floor", x.shape[0], per_sample)

    def copy_group(group):
        for chunk in group:
            if channels_last:
                channels_last_copy(backend, x[chunk], taps, dtype)
            else:
                window_copy(backend, x[chunk], taps, dtype, sample_major=sample_major)

    return lambda: map_groups(backend, lambda index: copy_group(chunks[index]), chunks)


def _channels_last(backend, choice) -> bool:
    """Whether conv2d's forward copies and multiplies ``choice`` channels last (groups=1)."""
    per_row = choice.algorithm is ConvAlgorithm.IM2COL_PER_ROW
    return per_row and channels_last_pays(conv_costs_of(backend), 1)


def _cross_entropy_floor(backend, case: Case, dtype):
    """One blocked exp over the logits (forward) and one product (backward)."""
    xp = backend.xp
    logits = backend.asarray(case.arrays["input"].astype(dtype))  # (N, C)
    exp_logits = xp.empty_like(logits)
    scale = xp.ones((logits.shape[0], 1), dtype=dtype)
    blocks = batch_blocks(backend, logits.shape, dtype)

    def exp_block(rows):
        xp.exp(logits[rows], out=exp_logits[rows])

    def forward():
        backend.map_blocks(exp_block, blocks)

    def backward():
        xp.multiply(exp_logits, scale)

    return forward, backward


def _batch_norm_floor(backend, case: Case, dtype):
    """Batch norm in the fewest NumPy calls, on blocks of the (N, C, S) view, as the kernel.

    Forward: the per-row sums of x and x * x (two einsums, one read of x), then
    ``y = x * a + b`` (two calls). Backward: the sums of g and g * x, then
    ``g * a + x * b + c`` (four calls and a temporary). The kernel also centres x first (one
    call more each way), which float32 needs when |mean| >> std.
    """
    xp = backend.xp
    N, C, H, W = case.arrays["input"].shape
    x = backend.asarray(case.arrays["input"].astype(dtype)).reshape(N, C, H * W)
    grad, output = xp.ones_like(x), xp.empty_like(x)
    per_channel = xp.ones((1, C, H * W), dtype=dtype)  # a, b, c: one (C,) operand stands for all
    rows = xp.empty((N, 2, C), dtype=dtype)
    blocks = batch_blocks(backend, x.shape, dtype)

    def sums_of(values):
        def sums_block(block):
            rows[block, 0] = xp.einsum("ncs->nc", values[block])
            rows[block, 1] = xp.einsum("ncs,ncs->nc", values[block], x[block])

        return sums_block

    def affine_block(block):
        xp.multiply(x[block], per_channel, out=output[block])
        output[block] += per_channel

    def grad_block(block):
        part = output[block]
        xp.multiply(grad[block], per_channel, out=part)
        part += xp.multiply(
            x[block], per_channel, out=workspace(backend, "floor.bn", part.shape, dtype)
        )
        part += per_channel

    def forward():
        backend.map_blocks(sums_of(x), blocks)
        backend.map_blocks(affine_block, blocks)

    def backward():
        backend.map_blocks(sums_of(grad), blocks)
        backend.map_blocks(grad_block, blocks)

    return forward, backward


_FLOORS = {
    "conv2d": _conv2d_floor,
    "cross_entropy": _cross_entropy_floor,
    "batch_norm": _batch_norm_floor,
}


class FloorContender:
    """The floor of a case on the backend of an :class:`~xpnet.bench.XpnetContender`.

    Named ``floor-<backend>``; :meth:`prepare` gives no callables for ops without a floor.
    """

    def __init__(self, xpnet_contender):
        self.backend = xpnet_contender.backend
        self.device = xpnet_contender.device
        self.name = xpnet_contender.name.replace("xpnet-", "floor-")

    def algorithm(self, case: Case, dtype: str) -> str | None:
        """The formula whose floor this is: that of :func:`~xpnet.bench.cases.xpnet_algorithm`."""
        return xpnet_algorithm(case, self.backend, dtype)

    def prepare(self, case: Case, dtype: str) -> dict:
        build = _FLOORS.get(case.op)
        if build is None:
            return {}
        backend = self.backend
        forward, backward = build(backend, case, compute_dtype(backend.xp, backend.xp.dtype(dtype)))

        def timed(*parts):
            def run():
                for part in parts:
                    part()
                backend.synchronize()

            return run

        functions = (timed(forward), timed(backward), timed(forward, backward))
        return dict(zip(MODES, functions, strict=True))

    def peak_bytes(self, function) -> None:
        return None  # the floor's operands are allocated once, outside the timed calls
