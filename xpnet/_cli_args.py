"""The command line of ``xpnet``: its parsers and option types (the commands: :mod:`xpnet.cli`).

The backend choices come from the registry (:mod:`xpnet.backends`), so a newly registered
backend is offered here without an edit.
"""

from __future__ import annotations

import argparse
import math
import re

from . import __version__, bench, train
from .amp.training import PRECISIONS as TRAIN_PRECISIONS
from .backends import backend_names, registered_backends
from .backends._precision import PRECISIONS, get_float32_matmul_precision
from .bench import distributed as bench_distributed
from .kernels import ConvAlgorithm

__all__ = ["TORCH", "build_parser", "timed_backends"]

_DEFAULT = "(default: %(default)s)"
TORCH = "torch"  # xpnet bench's contender that is PyTorch, not an xpnet backend


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``xpnet train: error: ...``, and a value that
    starts with ``-`` like a number (``--lr -inf``, ``--shapes -1,3,8,8``) reaches the option's
    type, which says what is wrong with it, instead of being read as an unknown option."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # argparse's own pattern takes only "-2" and "-.5" for negative numbers
        self._negative_number_matcher = re.compile(r"^-(\.?\d|inf|nan)", re.IGNORECASE)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class _TopParser(_Parser):
    """``xpnet`` itself: without a command it prints its usage, on one line (naming the
    options it does not know, which argparse drops when the command is missing)."""

    _argv: list[str] = []

    def parse_known_args(self, args=None, namespace=None):
        self._argv = list(args) if args is not None else []
        return super().parse_known_args(args, namespace)

    def error(self, message):
        if "the following arguments are required" in message:
            usage = " ".join(self.format_usage().split())
            unknown = [text for text in self._argv if text.startswith("-")]
            see = "see xpnet --help, xpnet train --help, xpnet bench --help"
            if unknown:
                listed = " ".join(unknown)
                self.exit(2, f"xpnet: error: unrecognized arguments: {listed} ({see})\n")
            self.exit(2, f"{usage} ({see})\n")
        super().error(message)


def _integer(text: str, least: int, kind: str, most: int | None = None) -> int:
    """``int(text)`` from ``least`` to ``most``; argparse names the option in the error."""
    try:
        value = int(text)
    except ValueError:  # argparse would name the type function instead: "invalid _... value"
        msg = f"must be a {kind} integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if value < least:
        msg = f"must be a {kind} integer, got {text}"
        raise argparse.ArgumentTypeError(msg)
    if most is not None and value > most:
        msg = f"must be a {kind} integer of at most {most}, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _positive_int(text: str) -> int:
    return _integer(text, 1, "positive")


def _thread_count(text: str) -> int:
    # threadpoolctl and torch.set_num_threads take a C int
    return _integer(text, 1, "positive", most=2**31 - 1)


def _seed(text: str) -> int:
    # numpy's seeds are non-negative; xpnet.manual_seed takes at most 2**64 - 1
    return _integer(text, 0, "non-negative", most=2**64 - 1)


def _path(text: str) -> str:
    """A file or folder path: not empty (an empty one would be skipped without a word)."""
    if not text.strip():
        msg = f"must be a path, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return text


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"must be a finite positive number, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not math.isfinite(value) or not value > 0:
        msg = f"must be a finite positive number, got {text}"
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
    add(
        "--dataset",
        default="digits",
        choices=["digits", "mnist"],
        help="scikit-learn's 8x8 digits, or MNIST's test split read from --data " + _DEFAULT,
    )
    add("--data", metavar="PATH", type=_path, help="the MNIST folder with the IDX files")
    add("--download", action="store_true", help="download the MNIST files missing from --data")
    add("--model", default="lenet", choices=sorted(train.MODELS), help="the CNN " + _DEFAULT)
    add(
        "--epochs",
        type=_positive_int,
        default=train.Config.epochs,
        help="passes over the training images " + _DEFAULT,
    )
    add(
        "--batch-size",
        type=_positive_int,
        default=train.Config.batch_size,
        help="images per step (under mpiexec: over all ranks) " + _DEFAULT,
    )
    add("--lr", type=_positive_float, help="peak learning rate (default: per optimizer)")
    add(
        "--optimizer",
        default="adam",
        choices=sorted(train.OPTIMIZERS),
        help="sgd: Nesterov momentum 0.9, weight decay 5e-4 " + _DEFAULT,
    )
    add(
        "--scheduler",
        default="onecycle",
        choices=train.SCHEDULERS,
        help="learning-rate schedule: onecycle steps every batch, the others every epoch "
        + _DEFAULT,
    )
    _add_train_run(add)


def _add_train_run(add) -> None:
    """The options of ``xpnet train`` from ``--seed`` on: the run, its files, its precision."""
    add(
        "--seed",
        type=_seed,
        default=0,
        help="seed of weights, split, shuffling " + _DEFAULT,
    )
    add(
        "--limit", metavar="N", type=_positive_int, help="train on the first N training images only"
    )
    add(
        "--checkpoint",
        metavar="PATH",
        type=_path,
        help="save a checkpoint (.npz) after every epoch (default with --resume: that file)",
    )
    add(
        "--resume",
        metavar="PATH",
        type=_path,
        help="continue the run saved in this checkpoint; a larger --epochs extends it where "
        "the learning-rate schedule allows (step, none)",
    )
    add("--plot", metavar="PATH", type=_path, help="save loss and accuracy per epoch as a PNG")
    add("--sync-batchnorm", action="store_true", help="mpiexec: BatchNorm over all ranks' batch")
    mixed = "16-mixed: float16 autocast, loss scaling, float32 weights " + _DEFAULT
    add("--precision", default="32", choices=TRAIN_PRECISIONS, help=mixed)  # xpnet.amp
    add(
        "--no-progress",
        action="store_true",
        help="no progress bar (there is none unless stderr is a terminal: logs get one line "
        "per epoch)",
    )
    _add_host_memory(add)


def _add_bench_precision(add) -> None:
    add(
        "--precision",
        type=_names(list(PRECISIONS)),
        help="float32 matmul precision of the whole run (xpnet.float32_matmul_precision; "
        f"default: the current setting, {get_float32_matmul_precision()}); a comma-separated "
        "list runs at the first and also times xpnet at each other one, in the same run "
        "(contenders xpnet-<backend>-<precision>)",
    )


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
        type=_names([*backend_names(), TORCH]),
        help="comma-separated; unavailable ones are reported (default: $XPNET_BACKEND and "
        f"torch, else {','.join([*timed_backends(), TORCH])})",
    )
    add(
        "--ops",
        type=_names(list(bench.OPS)),
        default=",".join(bench.OPS),
        help="comma-separated ops to time " + _DEFAULT,
    )
    fields = "; ".join(f"{name}: {op.fields}" for name, op in bench.OPS.items())
    add("--shapes", help=f"';'-separated shapes, each for the ops it fits ({fields})")
    dtypes = ["float32", "float64", "float16"]
    add("--dtype", default="float32", choices=dtypes, help="dtype of every case " + _DEFAULT)
    add("--threads", type=_thread_count, help="threads of every contender (default: the cores)")
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
    _add_bench_precision(add)
    add("--distributed", action="store_true", help=bench_distributed.HELP)
    add("--json", metavar="PATH", type=_path, help="save the report as JSON")
    add(
        "--plot",
        metavar="PATH",
        type=_path,
        help="save a PNG bar chart of the median times per mode",
    )
    _add_host_memory(add)


def timed_backends() -> list[str]:
    """The backends ``xpnet bench`` times by default: not the strict emulator, whose times
    measure the emulation (asked for by name, it runs: a dry run of what CuPy would do)."""
    return [entry.name for entry in registered_backends() if entry.timed]


def build_parser() -> argparse.ArgumentParser:
    parser = _TopParser(prog="xpnet", description="xpnet: CNN kernels on NumPy and CuPy")
    parser.add_argument("--version", action="version", version=f"xpnet {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(subparsers)
    _add_bench(subparsers)
    return parser
