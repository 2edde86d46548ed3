"""The ``xpnet`` command: ``xpnet train`` and ``xpnet bench`` (also ``python -m xpnet``).

Bad options and unreadable data end with one line on stderr and a non-zero exit status
(2 for a bad command line or a checkpoint that ``--resume`` cannot use, 1 for a failure while
running), never a traceback.

Both commands run on ``--backend``, else on ``XPNET_BACKEND``, else on the default (numpy);
the choices come from the backend registry (:mod:`xpnet.backends`), so a newly registered
backend is offered here without an edit. The engines are :mod:`xpnet.train` and
:mod:`xpnet.bench`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys

from . import __version__, bench, train
from .backends import (
    backend_from_environment,
    backend_names,
    default_backend_name,
    keep_freed_host_memory,
    load_backend,
    registered_backends,
)
from .backends._precision import PRECISIONS, get_float32_matmul_precision
from .kernels import ConvAlgorithm

__all__ = ["main"]

_DEFAULT = "(default: %(default)s)"
_TORCH = "torch"  # xpnet bench's contender that is PyTorch, not an xpnet backend
# xpnet bench warns when the 1-minute load average exceeds this share of the cores: other
# work then takes cores the contenders were pinned to, and distorts their ratios
_BUSY_SHARE = 0.25


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``xpnet train: error: ...``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class _TopParser(_Parser):
    """``xpnet`` itself: without a command it prints its usage, on one line."""

    def error(self, message):
        if "the following arguments are required" in message:
            usage = " ".join(self.format_usage().split())
            self.exit(2, f"{usage} (see xpnet --help, xpnet train --help, xpnet bench --help)\n")
        super().error(message)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        msg = f"must be a positive integer, got {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        msg = f"must be a positive number, got {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _names(choices):
    """A ``--flag a,b,c`` type: comma-separated names, each one of ``choices``."""

    def parse(text: str) -> list[str]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in choices]
        if unknown or not names:
            msg = f"unknown {', '.join(unknown) or 'empty list'}; choose from {', '.join(choices)}"
            raise argparse.ArgumentTypeError(msg)
        return names

    return parse


def _add_train(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a small CNN on digits or MNIST",
        description=(
            "Train a LeNet-style CNN (or a small ResNet) on scikit-learn's 8x8 digits or on "
            "MNIST (80 % train / 20 % held out), with a progress bar, a per-epoch table, a "
            "PNG plot, and atomic checkpoints that --resume continues exactly."
        ),
    )
    add = parser.add_argument
    add(
        "--backend",
        choices=backend_names(),
        help="array backend (default: $XPNET_BACKEND, else numpy)",
    )
    add("--dataset", default="digits", choices=["digits", "mnist"], help=_DEFAULT)
    add("--data", metavar="PATH", help="the MNIST folder with the IDX files")
    add("--model", default="lenet", choices=sorted(train.MODELS), help=_DEFAULT)
    add("--epochs", type=_positive_int, default=train.Config.epochs, help=_DEFAULT)
    add("--batch-size", type=_positive_int, default=train.Config.batch_size, help=_DEFAULT)
    add("--lr", type=_positive_float, help="peak learning rate (default: per optimizer)")
    add("--optimizer", default="adam", choices=sorted(train.OPTIMIZERS), help=_DEFAULT)
    add("--scheduler", default="onecycle", choices=train.SCHEDULERS, help=_DEFAULT)
    add("--seed", type=int, default=0, help="seed of weights, split, shuffling " + _DEFAULT)
    add("--limit", type=_positive_int, help="train on the first N training images only")
    add(
        "--checkpoint",
        metavar="PATH",
        help="save a checkpoint (.npz) after every epoch (default with --resume: that file)",
    )
    add(
        "--resume",
        metavar="PATH",
        help="continue the run saved in this checkpoint; a larger --epochs extends it where "
        "the learning-rate schedule allows (step, none)",
    )
    add("--plot", metavar="PATH", help="save loss and accuracy per epoch as a PNG")
    add(
        "--no-progress",
        action="store_true",
        help="no progress bar (there is none unless stderr is a terminal: logs get one line "
        "per epoch)",
    )
    _add_host_memory(add)


def _add_host_memory(add) -> None:
    add(
        "--host-memory",
        choices=["keep", "default"],
        default="keep",
        help="keep the memory NumPy frees for reuse (xpnet.keep_freed_host_memory: no page "
        "fault per 4 KiB on every fresh array, PyTorch's included; the process keeps its "
        "peak), or leave the C allocator's default " + _DEFAULT,
    )


def _add_bench(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time the kernels against PyTorch",
        description=(
            "Time xpnet's kernels (forward, backward, forward+backward) against PyTorch on the "
            "same device and thread count: median and spread, GFLOP/s, the ratio to PyTorch, "
            "the GPU-over-CPU speed-up and peak memory per call."
        ),
    )
    add = parser.add_argument
    add(
        "--backends",
        "--backend",
        type=_names([*backend_names(), _TORCH]),
        help="comma-separated; unavailable ones are reported (default: $XPNET_BACKEND and "
        f"torch, else {','.join([*_timed_backends(), _TORCH])})",
    )
    add(
        "--ops",
        type=_names(list(bench.OPS)),
        default=",".join(bench.OPS),
        help="comma-separated " + _DEFAULT,
    )
    fields = "; ".join(f"{name}: {op.fields}" for name, op in bench.OPS.items())
    add("--shapes", help=f"';'-separated shapes, each for the ops it fits ({fields})")
    add("--dtype", default="float32", choices=["float32", "float64", "float16"], help=_DEFAULT)
    add("--threads", type=_positive_int, help="threads of every contender (default: the cores)")
    add("--repeats", type=_positive_int, help="timed repeats (default: 7, with --quick 5)")
    add("--quick", action="store_true", help="small shapes: under a minute on 2 cores")
    add(
        "--floor",
        action="store_true",
        help="also time each case's floor on every xpnet backend: one window copy each way "
        "plus the BLAS products (conv2d), the exp (cross_entropy) or the fewest NumPy calls "
        "(batch_norm) alone, the least xpnet's formulation must do",
    )
    add(
        "--conv-algorithms",
        type=_names([algorithm.value for algorithm in ConvAlgorithm]),
        help="comma-separated conv2d formulas to allow (one forces it; see "
        "xpnet.kernels.conv_algorithms); cases they cannot run are skipped",
    )
    add(
        "--count",
        action="store_true",
        help="also count each case's device work per call (launches, copies to and from the "
        "device, syncs) on the strict backend, where the counts stand for CuPy's "
        "(xpnet.profile); PyTorch's CUDA kernel counts where known",
    )
    add(
        "--precision",
        choices=PRECISIONS,
        help="float32 matmul precision of the whole run (xpnet.float32_matmul_precision; "
        f"default: the current setting, {get_float32_matmul_precision()})",
    )
    add("--json", metavar="PATH", help="save the report as JSON")
    add("--plot", metavar="PATH", help="save a PNG bar chart of the median times per mode")
    _add_host_memory(add)


def _timed_backends() -> list[str]:
    """The backends ``xpnet bench`` times by default: not the strict emulator, whose times
    measure the emulation (asked for by name, it runs: a dry run of what CuPy would do)."""
    return [entry.name for entry in registered_backends() if entry.timed]


def _choose_backends(args) -> None:
    """Fill in the backend(s) the command line left out: ``XPNET_BACKEND``, else the default.

    Raises:
        ValueError: if ``XPNET_BACKEND`` names no backend; the message lists the choices.
    """
    if args.command == "train":
        args.backend = args.backend or default_backend_name()
        return
    if args.backends is not None:
        return
    name = backend_from_environment()
    args.backends = [*_timed_backends(), _TORCH] if name is None else [name, _TORCH]


def _backend_header(names: list[str]) -> str:
    """``backend numpy, device cpu (x86_64)`` for each of ``names`` that loads here."""
    parts = []
    for name in names:
        if name == _TORCH:
            continue
        try:
            backend = load_backend(name)
        except ImportError:
            continue  # bench.run says why it cannot run
        parts.append(f"backend {name}, device {backend.device_name()}")
    return "; ".join(parts)


def _parser() -> argparse.ArgumentParser:
    parser = _TopParser(prog="xpnet", description="xpnet: CNN kernels on NumPy and CuPy")
    parser.add_argument("--version", action="version", version=f"xpnet {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(subparsers)
    _add_bench(subparsers)
    return parser


def _bench(args, argv) -> None:
    shapes = bench.parse_shapes(args.shapes, args.ops) if args.shapes else None
    header = _backend_header(args.backends)
    if header:
        print(header)
    busy = _busy_warning()
    if busy:
        print(busy, file=sys.stderr)
    report = bench.run(
        args.backends,
        args.ops,
        shapes=shapes,
        dtype=args.dtype,
        threads=args.threads,
        quick=args.quick,
        repeats=args.repeats,
        command=shlex.join(["xpnet", *argv]),
        floor=args.floor,
        conv_algorithms=args.conv_algorithms,
        count=args.count,
        precision=args.precision,
    )
    print(bench.format_table(report["results"]))
    print(_environment_line(report["environment"]))
    print("\n".join(_bench_summary(report["results"])))
    if busy:
        print(busy, file=sys.stderr)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(report, file, indent=1)
        print(f"saved {args.json}")
    if args.plot:
        bench.plot(report["results"], args.plot)
        print(f"saved {args.plot}")


def _busy_warning() -> str | None:
    """A warning when other work loads the machine (1-minute load average), else None."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        return None
    cores = os.cpu_count() or 1
    if load <= max(1.0, _BUSY_SHARE * cores):
        return None
    return (
        f"xpnet bench: warning: the machine is busy (load average {load:.1f} on {cores} "
        "cores): other work distorts the times and their ratios; rerun on an idle machine"
    )


def _environment_line(info: dict) -> str:
    """The environment of a bench run on one line (``--json`` saves all of it)."""
    parts = [f"xpnet {info['xpnet']}", f"python {info['python']}", f"numpy {info['numpy']}"]
    parts += [f"{name} {info[name]}" for name in ("torch", "cupy", "gpu") if name in info]
    parts += info.get("blas", [])
    parts.append(f"{info['threads']} threads of {info['cpu_count']} cores ({info['machine']})")
    return f"environment: {', '.join(parts)}, {info['date']}"


def _bench_summary(rows: list[dict]) -> list[str]:
    """Per op and contender, each mode's time over torch's: the geometric mean over shapes."""
    ratios: dict[tuple[str, str], dict[str, list[float]]] = {}
    for row in rows:
        if row["time_over_torch"] is not None and not row["contender"].startswith(_TORCH):
            modes = ratios.setdefault((row["op"], row["contender"]), {})
            modes.setdefault(row["mode"], []).append(row["time_over_torch"])
    if not ratios:
        return ["summary: no ratios to torch (torch did not run)"]
    lines = ["summary: time / torch's time, geometric mean over shapes (below 1: faster)"]
    for (op, contender), modes in ratios.items():
        cells = ", ".join(
            f"{mode} {math.exp(sum(map(math.log, values)) / len(values)):.2f}"
            for mode, values in modes.items()
        )
        lines.append(f"  {op:<13} {contender:<16} {cells}")
    return lines


def _prepare_outputs(args) -> None:
    """Create the folders of the output files and check that they are writable, before the
    run spends its time (with ``--resume``, the checkpoint defaults to the resumed file).

    Raises:
        OSError: naming the option and the folder that cannot be created or written.
    """
    if args.command == "train" and args.checkpoint is None:
        args.checkpoint = args.resume
    options = ("checkpoint", "plot") if args.command == "train" else ("json", "plot")
    for option in options:
        path = getattr(args, option)
        if path is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            msg = f"--{option} {path}: cannot create the folder {folder}: {error.strerror}"
            raise OSError(msg) from None
        if os.path.isdir(path) or not os.access(folder, os.W_OK):
            problem = "is a folder" if os.path.isdir(path) else f"folder {folder} is not writable"
            msg = f"--{option} {path}: cannot write there, {problem}"
            raise OSError(msg)


def _print_error(command: str, error: BaseException) -> None:
    """``xpnet <command>: error: <message>`` on stderr, on one line whatever the message holds."""
    message = " ".join(str(error).split())
    print(f"xpnet {command}: error: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run ``xpnet <command> [options]``; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        _choose_backends(args)
    except ValueError as error:  # a bad XPNET_BACKEND is a usage error, as a bad --backend is
        parser.exit(2, f"xpnet {args.command}: error: {error}\n")
    problem = train.data_problem(args.dataset, args.data) if args.command == "train" else None
    if problem:
        parser.exit(2, f"xpnet {args.command}: error: {problem}\n")
    if args.host_memory == "keep":
        keep_freed_host_memory()  # for the whole process: it cannot be undone
    try:
        _prepare_outputs(args)
        if args.command == "bench":
            _bench(args, argv)
        else:
            train.main(args)
    except train.CheckpointError as error:  # a bad --resume file is bad input, as a bad option
        _print_error(args.command, error)
        return 2
    except (ValueError, TypeError, OSError, ImportError, RuntimeError, MemoryError) as error:
        _print_error(args.command, error)
        return 1
    except KeyboardInterrupt:
        print(f"xpnet {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
