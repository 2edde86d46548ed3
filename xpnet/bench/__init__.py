"""The benchmark engine behind ``xpnet bench``: xpnet's kernels against PyTorch's.

A *case* is one op on one shape. Each case runs in three modes (forward, backward,
forward+backward) for every contender: xpnet on NumPy, xpnet on CuPy, PyTorch on the CPU and on
CUDA. Every timed call ends with its device's synchronize, so queued GPU work is counted, and
the repeats of all contenders are interleaved so that background load hits them alike, each
after a short pause so that the previous call's spinning worker threads are asleep.

The op and contender definitions here are also the ones the pytest-benchmark suite in
``benchmarks/`` times. torch, CuPy and matplotlib are optional: they are
imported only when a contender or an output needs them.

Each xpnet row also names the formula it ran (``algorithm``: conv2d's
:func:`xpnet.kernels.select_conv_algorithm`), and a run can be restricted to some conv2d
formulas (``run(conv_algorithms=...)``, :func:`xpnet.kernels.conv_algorithms`).

The parts: :mod:`~xpnet.bench.cases` (ops, shapes, ``--shapes``, the formula of a case),
:mod:`~xpnet.bench.contenders` (xpnet and PyTorch, timed callables, peak memory),
:mod:`~xpnet.bench.floors` (the work a case cannot skip: its window copies and BLAS
products, its exp, or its fewest NumPy calls),
:mod:`~xpnet.bench.timing` (the interleaved loop, :func:`run`),
:mod:`~xpnet.bench.counts` (``--count``: each case's launches, copies and syncs, counted on
strict as CuPy would make them) and :mod:`~xpnet.bench.report` (environment, table, chart).
"""

from __future__ import annotations

from .cases import (
    CONV_SHAPES,
    MODE_FLOP_FACTOR,
    MODES,
    OPS,
    Case,
    Op,
    parse_shapes,
    xpnet_algorithm,
)
from .contenders import TorchContender, XpnetContender, make_contenders
from .counts import TORCH_CUDA_KERNELS, add_counts, count_case
from .floors import FloorContender
from .report import environment, format_table, plot
from .timing import SETTLE_S, pin_threads, run, settle, time_case

__all__ = [
    "CONV_SHAPES",
    "MODES",
    "MODE_FLOP_FACTOR",
    "OPS",
    "SETTLE_S",
    "TORCH_CUDA_KERNELS",
    "Case",
    "FloorContender",
    "Op",
    "TorchContender",
    "XpnetContender",
    "add_counts",
    "count_case",
    "environment",
    "format_table",
    "make_contenders",
    "parse_shapes",
    "pin_threads",
    "plot",
    "run",
    "settle",
    "time_case",
    "xpnet_algorithm",
]
