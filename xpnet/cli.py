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

import json
import math
import os
import shlex
import sys

from . import bench, train
from ._cli_args import TORCH, build_parser, timed_backends
from .backends import (
    backend_from_environment,
    default_backend_name,
    keep_freed_host_memory,
    load_backend,
)
from .bench import distributed as bench_distributed
from .data import download_mnist

__all__ = ["main"]

# the defaults of xpnet bench's options that --distributed does not read (xpnet._cli_args)
_DEFAULTS = {"ops": list(bench.OPS), "dtype": "float32"}
# xpnet bench warns when the 1-minute load average exceeds this share of the cores: other
# work then takes cores the contenders were pinned to, and distorts their ratios
_BUSY_SHARE = 0.25


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
    args.backends = [*timed_backends(), TORCH] if name is None else [name, TORCH]


def _backend_header(names: list[str]) -> str:
    """``backend numpy, device cpu (x86_64)`` for each of ``names`` that loads here."""
    parts = []
    for name in names:
        if name == TORCH:
            continue
        try:
            backend = load_backend(name)
        except ImportError:
            continue  # bench.run says why it cannot run
        parts.append(f"backend {name}, device {backend.device_name()}")
    return "; ".join(parts)


def _bench(args, argv) -> None:
    if args.distributed:
        return bench_distributed.command(args)
    header = _backend_header(args.backends)
    if header:
        print(header)
    warnings = [text for text in (_busy_warning(), _pinned_blas_warning()) if text]
    for text in warnings:
        print(text, file=sys.stderr)
    report = bench.run(
        args.backends,
        args.ops,
        shapes=args.shapes,
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
    for text in warnings:  # again below the table, where the ratios are read
        print(text, file=sys.stderr)
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


def _pinned_blas_warning() -> str | None:
    """A warning when ``OPENBLAS_CORETYPE`` chooses OpenBLAS's kernels, else None: pinned
    AVX2 kernels on an AVX-512 CPU ran conv2d's benchmark at 1.77x PyTorch's time, against
    1.22-1.26x with the kernels OpenBLAS picks (a Zen 5 VM, 2026-12-07)."""
    core = os.environ.get("OPENBLAS_CORETYPE")
    if not core:
        return None
    return (
        f"xpnet bench: warning: OPENBLAS_CORETYPE={core} makes OpenBLAS run its {core} "
        "kernels, not the ones it picks for this CPU: unset it (and OPENBLAS_L2_SIZE) to "
        "time those"
    )


def _environment_line(info: dict) -> str:
    """The environment of a bench run on one line (``--json`` saves all of it)."""
    parts = [f"xpnet {info['xpnet']}", f"python {info['python']}", f"numpy {info['numpy']}"]
    parts += [f"{name} {info[name]}" for name in ("torch", "cupy", "gpu") if name in info]
    parts += info.get("blas", []) + info.get("blas_settings", [])
    parts.append(f"{info['threads']} threads of {info['cpu_count']} cores ({info['machine']})")
    return f"environment: {', '.join(parts)}, {info['date']}"


def _bench_summary(rows: list[dict]) -> list[str]:
    """Per op and contender, each mode's time over torch's: the geometric mean over shapes."""
    ratios: dict[tuple[str, str], dict[str, list[float]]] = {}
    for row in rows:
        if row["time_over_torch"] is not None and not row["contender"].startswith(TORCH):
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
        lines.append(f"  {op:<16} {contender:<16} {cells}")
    return lines


def _usage_problem(args) -> str | None:
    """What makes the options unusable, found before anything runs, or None; parses
    ``--shapes`` into ``args.shapes`` (they must fit ``--ops``)."""
    if args.command == "bench":
        ignored = _distributed_ignores(args)
        if ignored:
            return f"--distributed takes only --quick, --json and --host-memory, not {ignored}"
        try:
            shapes = args.shapes
            args.shapes = None if shapes is None else bench.parse_shapes(shapes, args.ops)
        except ValueError as error:
            return str(error)
        if shapes is not None and not args.shapes:  # else every op would run its default shapes
            return f"--shapes: expected at least one shape, got {shapes!r}"
        return _same_file(args, ("json", "plot"))
    problem = train.data_problem(args.dataset, args.data, args.download)
    if problem is None and args.resume is not None:
        problem = train.checkpoint.checkpoint_file_problem(args.resume)
        problem = problem and f"--resume {args.resume}: {problem}"
    return problem or _same_file(args, ("checkpoint", "resume", "plot"))


def _distributed_ignores(args) -> str | None:
    """The options that ``xpnet bench --distributed`` would ignore, or None."""
    if not args.distributed:
        return None
    kernel_options = ("backends", "shapes", "threads", "repeats", "conv_algorithms", "precision")
    given = [name for name in kernel_options if getattr(args, name) is not None]
    given += [name for name in ("floor", "count", "plot") if getattr(args, name)]
    given += [name for name in ("ops", "dtype") if getattr(args, name) != _DEFAULTS[name]]
    return ", ".join(f"--{name.replace('_', '-')}" for name in given) or None


def _same_file(args, options) -> str | None:
    """Which two of the output ``options`` name one file (one would overwrite the other):
    ``--checkpoint`` and ``--resume`` may, the checkpoint then continues in the same file."""
    seen: dict[str, str] = {}
    for option in options:
        path = getattr(args, option)
        if path is None:
            continue
        where = os.path.realpath(path)
        other = seen.get(where)
        if other is not None and {other, option} != {"checkpoint", "resume"}:
            return f"--{other} and --{option} name one file, {path}: one would overwrite the other"
        seen.setdefault(where, option)
    return None


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
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # argparse would blame "xpnet", not the command that does not know them
        listed = " ".join(unknown)
        parser.exit(2, f"xpnet {args.command}: error: unrecognized arguments: {listed}\n")
    problem = _usage_problem(args)  # first: --distributed takes no backends, not even filled in
    if problem:
        parser.exit(2, f"xpnet {args.command}: error: {problem}\n")
    try:
        _choose_backends(args)
    except ValueError as error:  # a bad XPNET_BACKEND is a usage error, as a bad --backend is
        parser.exit(2, f"xpnet {args.command}: error: {error}\n")
    if args.host_memory == "keep":
        keep_freed_host_memory()  # for the whole process: it cannot be undone
    try:
        _prepare_outputs(args)
        if args.command == "train" and args.download:  # the split that --dataset mnist reads
            download_mnist(args.data, split="test")
        if args.command == "bench":
            _bench(args, argv)
        else:
            train.main(args)
    except train.CheckpointError as error:  # a bad --resume file is bad input, as a bad option
        if not str(error).startswith("--resume"):  # most messages start with the file's path
            text = str(error)
            start = "" if text.startswith(f"{args.resume}: ") else f"{args.resume}: "
            error = train.CheckpointError(f"--resume {start}{text}")
        _print_error(args.command, error)
        return 2
    except (ValueError, TypeError, OSError, ImportError, RuntimeError, MemoryError) as error:
        _print_error(args.command, error)
        return 1
    except KeyboardInterrupt:
        print(f"xpnet {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
