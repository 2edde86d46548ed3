"""Audit of the ``xpnet`` command line: bad input ends in one line naming the option, exit 2."""

from __future__ import annotations

import numpy as np
import pytest

from xpnet._cli_args import build_parser
from xpnet.cli import main


@pytest.fixture(autouse=True)
def _no_ambient_backend(monkeypatch):
    # the commands read XPNET_BACKEND: a suite run under XPNET_BACKEND=strict must not change
    # what these tests expect
    monkeypatch.delenv("XPNET_BACKEND", raising=False)


def _usage_error(capsys, argv) -> str:
    """Run ``xpnet *argv``, expect exit 2 before any work, return the one line on stderr."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # a value that starts with "-" was read as an unknown option: "expected one argument"
        (["train", "--lr", "-inf"], "argument --lr: must be a finite positive number, got -inf"),
        (["train", "--lr", "-NaN"], "argument --lr: must be a finite positive number, got -NaN"),
        (
            ["bench", "--ops", "max_pool2d", "--shapes", "-1,3,8,8,2,2,0"],
            "--shapes: '-1,3,8,8,2,2,0' is not a comma-separated list of non-negative ints",
        ),
        # past the largest seed: exit 1 from xpnet.manual_seed, not naming --seed
        (
            ["train", "--seed", str(2**64)],
            f"argument --seed: must be a non-negative integer of at most {2**64 - 1}, got",
        ),
        # past a C int: a ctypes traceback from threadpoolctl
        (
            ["bench", "--threads", str(2**31)],
            "argument --threads: must be a positive integer of at most 2147483647, got",
        ),
    ],
)
def test_out_of_range_numbers_name_the_option(capsys, argv, message):
    assert message in _usage_error(capsys, argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--checkpoint", ""],
        ["train", "--plot", " "],
        ["train", "--resume", ""],
        ["train", "--dataset", "mnist", "--data", ""],
        ["bench", "--json", ""],
        ["bench", "--plot", ""],
    ],
)
def test_empty_paths_are_refused(capsys, argv):
    # an empty --checkpoint, --plot or --json was skipped without a word: nothing was saved
    option = argv[-2]
    assert f"argument {option}: must be a path, got {argv[-1]!r}" in _usage_error(capsys, argv)


@pytest.mark.parametrize("shapes", ["", ";", " ; "])
def test_bench_shapes_without_a_shape_is_refused(capsys, shapes):
    # it ran every op's default shapes: the whole benchmark instead of the few cases asked for
    argv = ["bench", "--ops", "max_pool2d", "--shapes", shapes]
    assert f"--shapes: expected at least one shape, got {shapes!r}" in _usage_error(capsys, argv)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--plot", "x.png"], "--plot"),
        (["--ops", "conv2d", "--backends", "numpy"], "--backends, --ops"),
        (["--shapes", "2,3,8,8,2,2,0", "--floor"], "--shapes, --floor"),
    ],
)
def test_bench_distributed_refuses_the_options_it_would_ignore(capsys, monkeypatch, options, named):
    # they were ignored without a word (no plot saved); XPNET_BACKEND is not an option
    monkeypatch.setenv("XPNET_BACKEND", "numpy")
    line = _usage_error(capsys, ["bench", "--distributed", *options])
    assert line.endswith(f"--distributed takes only --quick, --json and --host-memory, not {named}")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--checkpoint", "a.npz", "--plot", "./a.npz"], "--checkpoint and --plot"),
        (["bench", "--json", "run", "--plot", "run"], "--json and --plot"),
    ],
)
def test_outputs_naming_one_file_are_refused(capsys, tmp_path, monkeypatch, argv, message):
    # the plot was saved over the checkpoint (or the JSON report) at the end of the run
    monkeypatch.chdir(tmp_path)
    assert f"{message} name one file" in _usage_error(capsys, argv)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "extra"], "xpnet train: error: unrecognized arguments: extra"),
        (["--bogus", "bench"], "xpnet bench: error: unrecognized arguments: --bogus"),
        # the usage alone, without the option it did not know
        (["--bogus"], "xpnet: error: unrecognized arguments: --bogus (see xpnet --help"),
    ],
)
def test_unrecognized_arguments_name_the_command_and_the_argument(capsys, argv, message):
    assert _usage_error(capsys, argv).startswith(message)


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "the file is empty"), (None, "truncated or corrupt")],
)
def test_resume_of_an_unreadable_file_names_the_option(capsys, tmp_path, content, problem):
    path = tmp_path / "run.npz"
    if content is None:
        np.savez(path, a=np.arange(3))  # an .npz, not a checkpoint
    else:
        path.write_bytes(content)
    argv = ["train", "--epochs", "1", "--no-progress", "--host-memory", "default"]
    assert main([*argv, "--resume", str(path)]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith(f"xpnet train: error: --resume {path}: not a readable xpnet checkpoint")
    assert problem in line


@pytest.mark.parametrize("command", ["train", "bench"])
def test_help_describes_every_option(capsys, command):
    # --dataset, --model, --epochs, --batch-size, --optimizer, --scheduler, --dtype had only
    # "(default: ...)"
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    subparsers = build_parser()._subparsers._group_actions[0].choices  # argparse keeps them so
    for action in subparsers[command]._actions:
        text = (action.help or "").replace("(default: %(default)s)", "").strip()
        assert text, f"xpnet {command} {action.option_strings[0]} has no description"
    assert capsys.readouterr().out.startswith(f"usage: xpnet {command}")
