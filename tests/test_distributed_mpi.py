"""Real two-process jobs: ``mpiexec -n 2`` started by pytest under a timeout.

Skipped without mpi4py or ``mpiexec`` (``pip install -e ".[distributed]"``). The jobs are
tests/distributed/job.py (collectives, float64 equivalence, failures) and ``xpnet train``
itself (float32 equivalence with one process, uneven and empty splits, resume across world
sizes). Every failure mode must end the whole job with a clear message in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from xpnet.distributed import find_mpiexec

pytest.importorskip("mpi4py", reason='needs mpi4py: pip install -e ".[distributed]"')
MPIEXEC = find_mpiexec()
if MPIEXEC is None:
    pytest.skip("needs mpiexec (the mpich wheel brings one)", allow_module_level=True)

if os.environ.get("XPNET_BACKEND") == "strict":
    pytest.skip(
        "the jobs pick their backends: they run once, in the default pass", allow_module_level=True
    )
JOB = Path(__file__).parent / "distributed" / "job.py"
ROOT = Path(__file__).parent.parent


def mpiexec(*args, ranks=2, timeout=90, env=None):
    """Run ``mpiexec -n ranks args`` from the repository root; the completed process and its
    wall time."""
    command = [MPIEXEC, "-n", str(ranks), *map(str, args)] if ranks else list(map(str, args))
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("XPNET_BACKEND", None)  # the jobs choose their backends themselves
    start = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=environment, cwd=ROOT
    )
    return done, time.perf_counter() - start


def test_collectives_threads_and_local_ranks():
    done, _ = mpiexec(sys.executable, JOB, "collectives")
    assert done.returncode == 0, done.stderr
    assert "ok rank 0 local 0" in done.stdout and "ok rank 1 local 1" in done.stdout


def test_torch_init_and_destroy_process_group_join_and_leave_the_job():
    done, _ = mpiexec(sys.executable, JOB, "torch_names")
    assert done.returncode == 0, done.stderr
    assert "ok torch_names rank 0" in done.stdout and "ok torch_names rank 1" in done.stdout


def test_cuda_aware_mpi_reads_device_arrays_in_place():
    done, _ = mpiexec(sys.executable, JOB, "cuda_aware")
    assert done.returncode == 0, done.stderr
    assert "ok cuda_aware rank 0" in done.stdout and "ok cuda_aware rank 1" in done.stdout


@pytest.mark.parametrize("sizes", ["3,3", "1,4", "0,5"])
def test_two_ranks_compute_the_gradients_of_one_process_float64(sizes):
    done, _ = mpiexec(sys.executable, JOB, "equivalence", sizes)
    assert done.returncode == 0, done.stderr
    assert "ok equivalence" in done.stdout


@pytest.mark.parametrize(
    "mode, message",
    [
        ("raise", "rank 1 of 2 raised ValueError; aborting the job"),
        ("leave", "rank 1"),
        ("kill", "signal 9"),
        ("mismatch", "ranks issued different collectives"),
        ("late", "did not complete within 2 s"),
    ],
)
def test_a_failing_rank_ends_the_job_in_seconds_with_a_message(mode, message):
    # the deadline is the test's subject only when a rank is late; elsewhere a short one
    # could pass first on a loaded machine and end the job with the wrong message
    deadline = "2" if mode == "late" else "10"
    done, seconds = mpiexec(sys.executable, JOB, mode, env={"JOB_TIMEOUT": deadline}, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "unreachable" not in output
    assert message in output, output[-2000:]
    if mode == "raise":
        assert "rank 1 fails on purpose" in output  # that rank's traceback
    if mode == "leave":  # "left the job", or its notice matched the pending collective
        assert "left the job" in output or "is not taking part" in output, output[-2000:]
    assert seconds < 30


def _train(tmp_path, name, ranks, *options):
    checkpoint = tmp_path / f"{name}.npz"
    args = [sys.executable, "-m", "xpnet", "train", "--no-progress", "--limit", "150"]
    args += ["--checkpoint", checkpoint, *options]
    # a stuck collective says so after 60 s instead of running into pytest's timeout
    done, _ = mpiexec(*args, ranks=ranks, timeout=240, env={"XPNET_DISTRIBUTED_TIMEOUT": "60"})
    assert done.returncode == 0, done.stderr[-3000:]
    from xpnet.train import load_checkpoint

    return load_checkpoint(str(checkpoint)), done.stdout


def _assert_same_weights(a, b, rtol):
    for key, value in a["model"].items():
        other = b["model"][key]
        scale = max(float(np.abs(value).max()), 1e-3)
        assert float(np.abs(value - other).max()) <= rtol * scale, key


def test_xpnet_train_matches_one_process_and_resumes_across_world_sizes(tmp_path):
    # --batch-size 149 on 150 images: 74 + 75 images, then 0 + 1 (rank 0 gets none). SGD:
    # Adam divides each gradient by its running size, which magnifies the rounding of
    # near-zero gradients past rtol (1.4e-5 on conv2's weight after 2 steps with OpenBLAS's
    # AVX-512 kernels, 5.8e-6 with its AVX2 ones; SGD: 3e-7, 2e-7)
    options = ["--batch-size", "149", "--sync-batchnorm", "--scheduler", "step"]
    options += ["--optimizer", "sgd"]
    one, _ = _train(tmp_path, "one", 0, "--epochs", "1", *options)
    two, out = _train(tmp_path, "two", 2, "--epochs", "1", *options)
    assert "2 ranks" in out and out.count("final test accuracy") == 1  # rank 0 alone prints
    _assert_same_weights(one, two, rtol=1e-5)
    # 1 -> 2 ranks and 2 -> 1 rank: both continue the same run
    on_two, _ = _train(
        tmp_path, "on_two", 2, "--epochs", "2", "--resume", tmp_path / "one.npz", *options
    )
    on_one, _ = _train(
        tmp_path, "on_one", 0, "--epochs", "2", "--resume", tmp_path / "two.npz", *options
    )
    _assert_same_weights(on_two, on_one, rtol=1e-5)
    assert [row["test_acc"] for row in on_two["history"]] == [
        row["test_acc"] for row in on_one["history"]
    ]
