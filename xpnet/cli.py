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

__all__ = ["main"]


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
        "train", help="train a small CNN on digits or MNIST", description=train.__doc__
    )
    parser.add_argument("--backend", default="numpy", choices=["numpy", "strict", "cupy"])
    parser.add_argument("--dataset", default="digits", choices=["digits", "mnist"])
    parser.add_argument("--data", metavar="PATH", help="MNIST folder with the IDX files")
    parser.add_argument("--model", default="lenet", choices=sorted(train.MODELS))
    parser.add_argument("--epochs", type=_positive_int, default=train.Config.epochs)
    parser.add_argument("--batch-size", type=_positive_int, default=train.Config.batch_size)
    parser.add_argument("--lr", type=_positive_float, help="peak learning rate")
    parser.add_argument("--optimizer", default="adam", choices=sorted(train.OPTIMIZERS))
    parser.add_argument("--scheduler", default="onecycle", choices=sorted(train.SCHEDULERS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=_positive_int, help="use only the first N training images")
    parser.add_argument("--checkpoint", metavar="PATH", help="save a checkpoint every epoch")
    parser.add_argument("--resume", metavar="PATH", help="continue from this checkpoint")
    parser.add_argument("--plot", metavar="PATH", help="save loss and accuracy as a PNG")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_bench(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="time the kernels against PyTorch", description=bench.__doc__
    )
    parser.add_argument(
        "--backends",
        type=_names(["numpy", "cupy", "torch"]),
        default=["numpy", "cupy", "torch"],
        help="comma-separated; unavailable ones are reported and skipped",
    )
    parser.add_argument("--ops", type=_names(list(bench.OPS)), default=list(bench.OPS))
    parser.add_argument("--shapes", help="';'-separated shapes, e.g. '64,1,28,28,32,5,1,2'")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64", "float16"])
    parser.add_argument("--threads", type=_positive_int, help="default: the usable cores")
    parser.add_argument("--repeats", type=_positive_int)
    parser.add_argument("--quick", action="store_true", help="small shapes, under a minute")
    parser.add_argument("--json", metavar="PATH", help="save the report as JSON")
    parser.add_argument("--plot", metavar="PATH", help="save a PNG bar chart")


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
