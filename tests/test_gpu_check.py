"""benchmarks/gpu_check.sh, the GPU check: its dry run (the same steps on the strict backend
against PyTorch on the CPU, tiny sizes) runs through and writes every result, so that the
script is ready whenever a GPU is."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from xpnet.backends import backend_from_environment

# the script picks its own backends (strict for the dry run) and drops XPNET_BACKEND: one run,
# in the suite's NumPy pass, checks it; the strict pass would repeat the same minute
pytestmark = pytest.mark.skipif(
    backend_from_environment() not in (None, "numpy"),
    reason="the GPU check's dry run sets its own backends: it runs in the numpy pass",
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"


def _run(*args, cwd=ROOT, out=None, timeout=150):
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("XPNET_BACKEND", None)  # the script sets it per step
    if out is not None:
        env["OUT"] = str(out)
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu-check")
    result = _run("--dry-run", out=out)
    return result, out


def _json(out, name):
    return json.loads((out / name).read_text())


def test_gpu_check_dry_run_runs_every_step(dry_run):
    result, out = dry_run
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    steps = [line.split() for line in (out / "status.txt").read_text().splitlines()]
    assert [(name, code) for name, code, _ in steps] == [
        ("smoke", "0"),
        ("tests", "0"),
        ("train", "0"),
        ("distributed", "0"),
        ("paths", "0"),
        ("bench", "0"),
    ]
    assert "DRY RUN" in result.stdout and "## Targets" in result.stdout


def test_gpu_check_dry_run_writes_environment_tests_and_training(dry_run):
    _, out = dry_run
    env = _json(out, "env.json")
    assert env["dry_run"] is True and env["backend"] == "strict"
    assert env["command"] == "bash benchmarks/gpu_check.sh --dry-run" and env["date_utc"]
    tests = _json(out, "tests.json")
    assert tests["tests"] > 0 and tests["failures"] == tests["errors"] == 0
    summary = _json(out, "summary.json")
    # XPNET_BACKEND alone chose the backend that xpnet train ran on
    assert summary["training"]["trained_on_the_asked_backend"] is True
    assert summary["training"]["final_test_accuracy_percent"] is not None


def test_gpu_check_dry_run_runs_the_distributed_jobs(dry_run):
    _, out = dry_run
    jobs = _json(out, "distributed.json")
    if "skipped" in jobs:  # no mpiexec: the mpich wheel is not installed
        pytest.skip(jobs["skipped"])
    two = jobs["mpi, 2 ranks"]
    assert two["ok"] and two["world_size"] == 2 and two["backend"] == "strict", two
    assert two["cuda_aware"] is False and set(two["all_reduce"]) == {"1 KiB", "64 MiB"}
    assert jobs["nccl, 1 rank"] == {"skipped": "needs the cupy backend"}
    pair = jobs["train, 1 process vs 2 ranks"]
    assert pair["max_relative_gap"] < 1e-4 and jobs["ok"] is True, jobs


def test_gpu_check_dry_run_probes_the_gpu_only_paths(dry_run):
    _, out = dry_run
    paths = _json(out, "paths.json")
    assert all(record["ok"] for record in paths.values()), paths
    assert paths["pinned"]["skipped"] == "strict has no pinned_host"
    assert paths["empty_cache"]["after"]["kept_workspace_bytes"] == 0
    assert paths["small_budget"]["too_large"].startswith("MemoryError")
    assert paths["floor"]["contenders"] == ["floor-strict", "xpnet-strict"]
    assert paths["resume"]["weights_identical"] is True
    shapes = [times for times in paths["conv_formulas"].values() if isinstance(times, dict)]
    assert len(shapes) == 2 and all("chosen highest" in times for times in shapes)


def test_gpu_check_dry_run_checks_precision_on_every_product_path(dry_run):
    _, out = dry_run
    tf32 = _json(out, "smoke.json")["tf32"]
    for precision in ("highest", "high"):
        assert set(tf32[precision]) >= {"2-D (dot path)", "batched, strided", "batched, broadcast"}
        # NumPy's products are float32 at every precision: no TF32 on the CPU
        assert all(row["rel_err"] < 1e-5 for row in tf32[precision].values())
    assert not any(tf32["tf32_engaged"].values())


def test_gpu_check_dry_run_times_like_for_like(dry_run):
    _, out = dry_run
    bench = _json(out, "bench.json")
    assert bench["skipped"] == []
    ops = {(row["op"], row["precision"], row["contender"]) for row in bench["ops"]}
    for op in ("conv2d", "max_pool2d", "batch_norm", "relu", "cross_entropy"):
        assert {(op, "highest", "xpnet-strict"), (op, "highest", "torch-cpu")} <= ops
    # TF32 on (precision "high") is compared with PyTorch's TF32, and xpnet-numpy is timed
    assert {("conv2d", "high", "xpnet-strict"), ("conv2d", "high", "torch-cuda-tf32")} <= ops
    assert ("conv2d", "highest", "xpnet-numpy") in ops
    steps = {(row["case"].split()[0], row["precision"], row["contender"]) for row in bench["steps"]}
    for model in ("lenet", "resnet"):
        assert {(model, "highest", "torch-cpu"), (model, "high", "torch-cuda-tf32")} <= steps
    assert not [row for row in bench["steps"] if "error" in row]
    targets = {row["target"].split()[0] for row in _json(out, "summary.json")["targets"]}
    assert targets == {"conv2d", "fwd+bwd", "LeNet"}


def test_gpu_check_refuses_bad_arguments_and_other_folders(tmp_path):
    result = _run("--fast", out=tmp_path, timeout=30)
    assert result.returncode == 2 and "usage" in result.stderr
    result = _run("--dry-run", cwd=tmp_path, out=tmp_path, timeout=30)
    assert result.returncode == 2 and "repository root" in result.stderr


def test_gpu_check_budgets_fit_in_eight_minutes():
    text = SCRIPT.read_text()
    real = text.split("GPU_CHECK_BACKEND=cupy", 1)[1].split("fi\n", 1)[0]  # the GPU run's
    limits = {name: int(s) for name, s in re.findall(r"(\w+_S)=\$\{\w+_S:-(\d+)\}", real)}
    assert set(limits) == {"SMOKE_S", "TEST_S", "TRAIN_S", "DIST_S", "PATHS_S", "BENCH_S"}
    # each step's limit, plus 15 s of kill grace for one step and ~15 s for the summary
    assert sum(limits.values()) + 30 <= 8 * 60
