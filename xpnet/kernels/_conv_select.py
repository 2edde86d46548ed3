"""Which conv2d formula runs for which call: the algorithms, the thresholds that choose between
them (with the measurements that set them), and :func:`conv_algorithms`, the one switch that
forces or restricts them.

The algorithms (:class:`ConvAlgorithm`), in the order they are tried; the first that can run
a call and pays there by its threshold runs it, forward and backward alike:

- ``fourier``: the convolution theorem, products per frequency between two small dense
  transforms. Stride 1, no dilation, one group, padding below the kernel, the filters'
  spectra within the memory budget; pays on small planes with many channels. Its error is
  relative to the plane's largest value and a NaN or inf spreads over the sample, so it runs
  only where asked for: at :func:`xpnet.set_float32_matmul_precision` ``"high"`` (or
  ``"medium"``), or when :func:`conv_algorithms` names it.
- ``pointwise``: a 1x1 kernel at stride 1 without padding: each sample's (C, H * W) plane is
  its own window matrix, no copy.
- ``im2col_per_row``: at stride 1 along H, the window copy holds one kernel row, whose kH
  products add up: ~kH times less copying; pays when a row of the copy is long.
- ``im2col``: the window copy holds every kernel row, one product per sample and group.

The window formulas' backward also chooses how to get ``grad_input`` (:func:`choose_grad_input`):
col2im, or a stride-1 correlation of ``grad_output`` with the flipped filters. Every choice
depends on shapes, dtype, threads, the memory budget and the backend's cost constants
(:mod:`._conv_cost`: a GPU's launches may overrule a threshold), never on the backend's name.
Neighbours: :mod:`.conv` asks :func:`choose_algorithm` once per call and dispatches to
:mod:`._conv_im2col` (the window-copy formulas) or :mod:`._conv_fourier`.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import math
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from ..backends import memory_budget
from ..backends._base import batch_groups_of, conv_costs_of
from ..backends._precision import allows_inexact_formulas
from ._blocks import compute_dtype
from ._checks import ArgumentError
from ._conv_args import padding_text, prepare_conv, transposed_geometry
from ._conv_cost import correlation_pays, fourier_pays, per_row_pays
from ._conv_fourier import FourierPlan, fourier_plan
from ._windows import Geometry


class ConvAlgorithm(enum.Enum):
    """The formulas of :func:`~xpnet.kernels.conv2d` and its backward, in the order they are
    tried; the values are the names :func:`conv_algorithms` accepts. See
    :mod:`xpnet.kernels._conv_select`."""

    FOURIER = "fourier"
    POINTWISE = "pointwise"
    IM2COL_PER_ROW = "im2col_per_row"
    IM2COL = "im2col"


_ORDER = tuple(ConvAlgorithm)
_GRAD_INPUT = ("col2im", "correlation")

# Fourier pays when its weighted multiply-adds (FourierPlan.multiply_adds) are fewer than the
# direct product's times this (2 CPU threads: 0.46-0.80x the time on 8x8 to 32x32, 1.25x 56x56)
_MAX_COST_RATIO = 1.0
# One product per kernel row pays once a row of the window copy, C / G * kW, is 64 long, or 40
# on output planes of up to 32x32. Forward+backward, 2026-12-07, Zen 5, 2 threads: C=16 3x3 on
# 32x32 0.70-0.76x the time (Haswell kernels 0.98x), 5x5 C=8 on 28x28 0.85x; on 48x48 to 64x64
# 0.82-1.24x, and rows of 24 1.18-1.26x (see docs/performance.md's history)
_MIN_TAP_ROW, _MIN_SMALL_PLANE_TAP_ROW, _SMALL_PLANE = 64, 40, 32 * 32
# grad_input as a correlation (its window copy has C_out rows, col2im's C) pays for C_out <= C
# and, from C = 32, up to 2 C: the backward 0.84-1.01x the time, below 32 0.93-1.08x (2 CPU
# threads, SkylakeX and Haswell kernels; docs/performance.md's history)
_TRANSPOSED_MAX_RATIO, _WIDE_MAX_RATIO, _WIDE_MIN_CHANNELS = 1, 2, 32


class _Settings(NamedTuple):
    # the enabled ones, in order if priority; None: all, none of them named by the user
    algorithms: tuple[ConvAlgorithm, ...] | None
    priority: bool | None
    grad_input: str | None


_DEFAULT = _Settings(None, False, None)  # every algorithm, the measured thresholds
# per thread and context, as torch's grad mode: a block's settings never leak into another
_settings = contextvars.ContextVar("xpnet_conv_algorithms", default=_DEFAULT)


def _algorithm(name) -> ConvAlgorithm:
    if isinstance(name, ConvAlgorithm):
        return name
    names = ", ".join(repr(a.value) for a in ConvAlgorithm)
    if not isinstance(name, str):
        msg = f"conv_algorithms: algorithms must be names ({names}), got {type(name).__name__}"
        raise TypeError(msg)
    try:
        return ConvAlgorithm(name)
    except ValueError:
        msg = f"conv_algorithms: {name!r} is not a conv2d algorithm; choose from {names}"
        raise ArgumentError(msg) from None


def _new_settings(algorithms, set_priority, grad_input) -> _Settings:
    """The checked arguments of :func:`conv_algorithms`; ``None`` fields keep the enclosing
    block's settings (see :func:`_applied`)."""
    if grad_input is not None and grad_input not in _GRAD_INPUT:
        msg = (
            "conv_algorithms: grad_input must be 'col2im', 'correlation' or None, "
            f"got {grad_input!r}"
        )
        raise ArgumentError(msg)
    if algorithms is None:
        if set_priority:
            msg = "conv_algorithms: set_priority=True needs the algorithms in order, got None"
            raise ArgumentError(msg)
        return _Settings(None, None, grad_input)
    if isinstance(algorithms, str | ConvAlgorithm) or not isinstance(algorithms, Iterable):
        algorithms = [algorithms]  # one algorithm; _algorithm rejects what is not one
    chosen = tuple(dict.fromkeys(_algorithm(name) for name in algorithms))
    if not chosen:
        msg = "conv_algorithms: algorithms must name at least one algorithm, got none"
        raise ArgumentError(msg)
    return _Settings(chosen, bool(set_priority), grad_input)


@contextlib.contextmanager
def _applied(new: _Settings) -> Iterator[None]:
    outer = _settings.get()  # at entry: what the block is nested in
    if new.algorithms is None:
        new = new._replace(algorithms=outer.algorithms, priority=outer.priority)
    if new.grad_input is None:
        new = new._replace(grad_input=outer.grad_input)
    token = _settings.set(new)
    try:
        yield
    finally:
        _settings.reset(token)  # also after an exception: the enclosing settings are back


def conv_algorithms(
    algorithms: str | ConvAlgorithm | Iterable[str | ConvAlgorithm] | None = None,
    *,
    set_priority: bool = False,
    grad_input: str | None = None,
) -> contextlib.AbstractContextManager[None]:
    r"""Force or restrict the formulas of ``conv2d`` and ``conv2d_backward`` in a ``with``
    block, like ``torch.nn.attention.sdpa_kernel`` for attention.

    Outside any block every :class:`ConvAlgorithm` is enabled and measured thresholds choose
    (:mod:`xpnet.kernels._conv_select`), ``fourier`` only at a float32 matmul precision below
    ``"highest"`` (:func:`xpnet.set_float32_matmul_precision`). Naming ``fourier`` here enables
    it at any precision: that is an explicit opt-in too. Inside, only the given algorithms may run: the
    thresholds choose among them, and one below its threshold still runs where no other
    enabled one can, so a single algorithm is forced. A call that no enabled algorithm can run
    (``fourier`` at stride 2, ``pointwise`` with a 3x3 kernel) raises an
    :class:`~xpnet.kernels.ArgumentError` naming the function, each algorithm and why not: a
    forced algorithm never falls back silently. The settings hold for this thread's calls in
    the block and are restored on exit, also after an exception; blocks nest.

    Args:
        algorithms: a :class:`ConvAlgorithm` or its name (``'im2col'``, ``'im2col_per_row'``,
            ``'pointwise'``, ``'fourier'``), or several. Default: ``None``, the enclosing
            block's (all outside one).
        set_priority: take ``algorithms`` as an order of preference instead: the first one
            that can run a call runs it, thresholds ignored, as ``sdpa_kernel``'s
            ``set_priority``. Default: ``False``.
        grad_input: how the window-copy algorithms (``im2col``, ``im2col_per_row``) get
            ``grad_input``: ``'col2im'`` (each window's gradient added back where it was
            copied from), ``'correlation'`` (a stride-1 correlation of ``grad_output`` with
            the flipped filters, by an enabled window algorithm; stride 1 and padding at most
            the dilated kernel's span only), or ``None``: the enclosing block's, else the
            measured threshold (a correlation to C_out = C, 2 C from C = 32). ``pointwise``
            always correlates, it has no window copy; ``fourier`` runs its own adjoint.

    Returns:
        A context manager.

    Raises:
        ValueError: an unknown algorithm or ``grad_input``, no algorithm, or
            ``set_priority`` without algorithms (when called).
        TypeError: an algorithm that is neither a name nor a :class:`ConvAlgorithm`.

    Example:
        >>> from xpnet.kernels import conv2d
        >>> x, w = xp.ones((1, 4, 6, 6)), xp.ones((2, 4, 3, 3))
        >>> select_conv_algorithm(x, w, padding=1)
        <ConvAlgorithm.IM2COL: 'im2col'>
        >>> with conv_algorithms("fourier"):
        ...     print(select_conv_algorithm(x, w, padding=1).value)
        ...     print(conv2d(x, w, padding=1)[0, 0, :2].round(6))
        fourier
        [[16. 24. 24. 24. 24. 16.]
         [24. 36. 36. 36. 36. 24.]]
        >>> with conv_algorithms("fourier"):
        ...     conv2d(x, w, stride=2)
        Traceback (most recent call last):
            ...
        xpnet.kernels._checks.ArgumentError: conv2d: conv_algorithms forces 'fourier', which cannot run this call: it needs stride=1, got stride=(2, 2)
    """  # noqa: E501
    return _applied(_new_settings(algorithms, set_priority, grad_input))


def _why_not(algorithm: ConvAlgorithm, geometry: Geometry, groups: int) -> str | None:
    """Why ``algorithm`` cannot run a convolution of ``geometry``, or ``None`` if it can
    (Fourier's memory budget aside, see :func:`_fourier`)."""
    kernel, stride, dilation = geometry.kernel, geometry.stride, geometry.dilation
    pads = (*geometry.pad_before, *geometry.pad_after)
    if algorithm is ConvAlgorithm.IM2COL_PER_ROW:
        if kernel[0] == 1:
            return f"it needs a kernel of more than one row, got kernel_size={kernel}"
        if stride[0] != 1:
            return f"it needs stride 1 along H, got stride={stride}"
    elif algorithm is ConvAlgorithm.POINTWISE:
        if kernel != (1, 1):
            return f"it needs a 1x1 kernel, got kernel_size={kernel}"
        if stride != (1, 1) or any(pads):
            return f"it needs stride=1 and padding=0, got stride={stride}, {padding_text(geometry)}"
    elif algorithm is ConvAlgorithm.FOURIER:
        if groups != 1:
            return f"it needs groups=1, got groups={groups}"
        if stride != (1, 1):
            return f"it needs stride=1, got stride={stride}"
        if dilation != (1, 1):
            return f"it needs dilation=1, got dilation={dilation}"
        if any(p >= k for p, k in zip(pads, kernel * 2, strict=True)):
            return (
                f"it needs padding below kernel_size on every side, got "
                f"{padding_text(geometry)} for kernel_size={kernel}"
            )
    return None


def _fourier(backend, geometry, shape, C_out, dtype) -> tuple[FourierPlan | None, str | None]:
    """The plan of a convolution of an input of ``shape`` by the convolution theorem, or why
    its filters' spectra do not fit: they are made per call outside the batch chunks, and the
    backward sums them once per group of the batch (``batch_groups``, at most one a sample)."""
    (N, C), size = shape[:2], shape[2:]
    plan, itemsize = fourier_plan(geometry, size), backend.xp.dtype(dtype).itemsize
    groups = min(batch_groups_of(backend), max(1, N))
    held = (1 + groups) * plan.spectra_bytes(C, C_out, itemsize)
    budget = memory_budget(backend)
    if held <= budget:
        return plan, None
    return None, (
        f"its filters' spectra need {held} bytes, more than the memory budget of {budget} "
        f"bytes (xpnet.set_memory_budget)"
    )


def _pays(backend, algorithm, geometry: Geometry, groups, shape, C_out, plan, dtype) -> bool:
    """Whether ``algorithm`` is expected to beat the ones after it: its threshold, weighed
    against its launches by the backend's cost model (:mod:`._conv_cost`)."""
    C, costs, itemsize = shape[1], conv_costs_of(backend), backend.xp.dtype(dtype).itemsize
    if algorithm is ConvAlgorithm.FOURIER:
        direct = C_out * C * math.prod(geometry.kernel) * math.prod(geometry.output)
        rule = plan.multiply_adds(C, C_out) < _MAX_COST_RATIO * direct
        return fourier_pays(rule, costs, geometry, plan, shape, C_out)
    if algorithm is ConvAlgorithm.IM2COL_PER_ROW:
        row, plane = C // groups * geometry.kernel[1], math.prod(geometry.output)
        rule = row >= _MIN_TAP_ROW or (row >= _MIN_SMALL_PLANE_TAP_ROW and plane <= _SMALL_PLANE)
        return per_row_pays(rule, costs, geometry, shape, C_out, itemsize)
    return True


class Choice(NamedTuple):
    """The formula of one convolution: its algorithm, the geometry it runs (the call's, or
    that of the backward's transposed correlation) and, for Fourier, its transform plan."""

    algorithm: ConvAlgorithm
    geometry: Geometry
    plan: FourierPlan | None = None


def _choose(backend, geometry, groups, shape, C_out, dtype, fourier=True):
    """The :class:`Choice` for a convolution of an input of ``shape`` (N, C, H, W) into
    ``C_out`` channels, or ``None``; and, by algorithm, why each enabled one cannot run."""
    settings = _settings.get()
    enabled = settings.algorithms or _ORDER
    order = enabled if settings.priority else _ORDER
    # Fourier's error is relative to the whole plane: it runs only at a precision below
    # "highest" or where conv_algorithms names it, both explicit opt-ins
    fourier = fourier and (allows_inexact_formulas() or settings.algorithms is not None)
    refusals, runnable = {}, None
    for algorithm in order:
        if algorithm not in enabled or (algorithm is ConvAlgorithm.FOURIER and not fourier):
            continue
        plan, reason = None, _why_not(algorithm, geometry, groups)
        if reason is None and algorithm is ConvAlgorithm.FOURIER:
            plan, reason = _fourier(backend, geometry, shape, C_out, dtype)
        if reason is not None:
            refusals[algorithm] = reason
            continue
        # an enabled algorithm under its threshold still runs where no later one can
        runnable = Choice(algorithm, geometry, plan)
        call = (geometry, groups, shape, C_out, plan, dtype)
        if settings.priority or _pays(backend, algorithm, *call):
            break
    return runnable, refusals


def _refused(where: str, refusals: dict) -> ArgumentError:
    if len(refusals) == 1:
        ((algorithm, reason),) = refusals.items()
        return ArgumentError(
            f"{where}: conv_algorithms forces {algorithm.value!r}, which cannot run this call: "
            f"{reason}"
        )
    reasons = "; ".join(f"{a.value}: {reason}" for a, reason in refusals.items())
    return ArgumentError(
        f"{where}: no algorithm that conv_algorithms enables can run this call ({reasons})"
    )


def choose_algorithm(backend, where, geometry, groups, shape, C_out, dtype) -> Choice:
    """The :class:`Choice` of a validated conv2d call whose input, with its batch axis, has
    ``shape`` (N, C, H, W), under the current :func:`conv_algorithms` settings.

    Raises:
        ValueError: if no enabled algorithm can run the call (an ArgumentError).
    """
    choice, refusals = _choose(backend, geometry, groups, shape, C_out, dtype)
    if choice is None:
        raise _refused(where, refusals)
    return choice


def choose_grad_input(backend, where, choice, groups, shape, C_out, grad_size, dtype, finite=True):
    """How a window formula's backward gets grad_input: the :class:`Choice` of the stride-1
    correlation of grad_output (N, C_out, *grad_size) with the flipped filters, or ``None``
    for col2im. A correlation pays when its window copy, C_out rows, is not much larger than
    col2im's, C rows; a pointwise one needs no copy at all and always pays. Unless forced,
    filters that are not ``finite`` take col2im, which adds real terms only, as PyTorch.

    Raises:
        ValueError: if ``conv_algorithms(grad_input='correlation')`` is set and the
            correlation cannot run the call (an ArgumentError).
    """
    mode = _settings.get().grad_input
    if mode == "col2im" and choice.algorithm is not ConvAlgorithm.POINTWISE:
        return None
    transposed, reason = transposed_geometry(where, choice.geometry, grad_size)
    correlation = None
    if transposed is not None:
        grad_shape = (shape[0], C_out, *grad_size)
        correlation, refusals = _choose(
            backend, transposed, groups, grad_shape, shape[1], dtype, fourier=False
        )
        reason = "; ".join(f"{a.value}: {why}" for a, why in refusals.items())
    if correlation is None:
        if mode == "correlation":
            forced = "conv_algorithms(grad_input='correlation')"
            raise ArgumentError(f"{where}: {forced} cannot run this call: {reason}")
        return None
    if mode is None and correlation.algorithm is not ConvAlgorithm.POINTWISE:
        if not finite:  # the correlation's zero padding times an inf is NaN
            return None
        C, itemsize = shape[1], backend.xp.dtype(dtype).itemsize
        rule = C_out <= (_WIDE_MAX_RATIO if C >= _WIDE_MIN_CHANNELS else _TRANSPOSED_MAX_RATIO) * C
        costs = conv_costs_of(backend)  # a GPU's launches may overrule the threshold
        if not correlation_pays(rule, costs, choice, correlation, shape, C_out, itemsize):
            return None
    return correlation


def select_conv_algorithm(
    input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1
) -> ConvAlgorithm:
    r"""The :class:`ConvAlgorithm` that ``conv2d`` and ``conv2d_backward`` run for these
    arguments, under the current :func:`conv_algorithms` settings.

    Takes the arguments of :func:`~xpnet.kernels.conv2d`; only the arrays' shapes, dtype and
    backend matter (their values are not read). The choice also depends on
    :func:`xpnet.memory_budget`, never on the thread count (:func:`xpnet.set_num_threads`).

    Returns:
        A :class:`ConvAlgorithm`; ``.value`` is its name.

    Raises:
        TypeError, ValueError: as ``conv2d`` for bad arguments, and if no algorithm enabled
            by :func:`conv_algorithms` can run the call.

    Example:
        >>> import xpnet
        >>> x = xp.ones((2, 64, 8, 8), dtype="float32")
        >>> select_conv_algorithm(x, xp.ones((64, 64, 3, 3), dtype="float32"), padding=1)
        <ConvAlgorithm.IM2COL_PER_ROW: 'im2col_per_row'>
        >>> with xpnet.float32_matmul_precision("high"):  # allows the convolution theorem
        ...     select_conv_algorithm(x, xp.ones((64, 64, 3, 3), dtype="float32"), padding=1)
        <ConvAlgorithm.FOURIER: 'fourier'>
        >>> select_conv_algorithm(x, xp.ones((32, 64, 1, 1), dtype="float32")).value
        'pointwise'
        >>> select_conv_algorithm(x, xp.ones((32, 64, 3, 3), dtype="float32"), stride=2).value
        'im2col'
    """
    where = "select_conv_algorithm"
    call = prepare_conv(where, input, weight, bias, stride, padding, dilation, groups)
    dtype = compute_dtype(call.backend.xp, input.dtype)
    choice = choose_algorithm(
        call.backend, where, call.geometry, groups, call.x.shape, weight.shape[0], dtype
    )
    return choice.algorithm
