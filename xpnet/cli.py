"""The ``xpnet`` command: ``xpnet train`` and ``xpnet bench`` (also ``python -m xpnet``).

Bad options and unreadable data end with one line on stderr and a non-zero exit status
(2 for a bad command line, 1 for a failure while running), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from . import bench, train
from .backends import keep_freed_host_memory

__all__ = ["main"]

_DEFAULT = "(default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``xpnet train: error: ...``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


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
    add("--backend", default="numpy", choices=["numpy", "strict", "cupy"], help=_DEFAULT)
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
    add("--checkpoint", metavar="PATH", help="save a checkpoint (.npz) after every epoch")
    add("--resume", metavar="PATH", help="continue the run saved in this checkpoint")
    add("--plot", metavar="PATH", help="save loss and accuracy per epoch as a PNG")
    add("--no-progress", action="store_true", help="no progress bar")
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
    backends = _names(["numpy", "cupy", "torch"])
    add(
        "--backends",
        type=backends,
        default="numpy,cupy,torch",
        help="comma-separated; unavailable ones are reported " + _DEFAULT,
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
    add("--json", metavar="PATH", help="save the report as JSON")
    add("--plot", metavar="PATH", help="save a PNG bar chart of the median times per mode")
    _add_host_memory(add)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="xpnet", description="xpnet: CNN kernels on NumPy and CuPy")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(subparsers)
    _add_bench(subparsers)
    return parser


def _bench(args, argv) -> None:
    shapes = bench.parse_shapes(args.shapes, args.ops) if args.shapes else None
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
    )
    print(bench.format_table(report["results"]))
    print(json.dumps(report["environment"], indent=1))
    if args.json:
        with open(args.json, "w") as file:
            json.dump(report, file, indent=1)
        print(f"saved {args.json}")
    if args.plot:
        bench.plot(report["results"], args.plot)
        print(f"saved {args.plot}")


def main(argv: list[str] | None = None) -> int:
    """Run ``xpnet <command> [options]``; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    if args.host_memory == "keep":
        keep_freed_host_memory()  # for the whole process: it cannot be undone
    try:
        if args.command == "bench":
            _bench(args, argv)
        else:
            train.main(args)
    except (ValueError, TypeError, OSError, ImportError, RuntimeError, MemoryError) as error:
        print(f"xpnet {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"xpnet {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
