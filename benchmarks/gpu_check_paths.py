"""The paths step of ``benchmarks/gpu_check.sh``: GPU-only code the test suite cannot reach.

``python benchmarks/gpu_check_paths.py`` runs each probe below on ``GPU_CHECK_BACKEND`` and
saves what it saw to ``paths.json``; a probe that raises is recorded and the others still
run. Each probe also asserts what must hold, so its record says ``"ok": true`` or names the
failure:

- ``pinned``: :func:`backend.pinned_host` copies into page-locked memory (CuPy's pointer
  attributes say so) and the host-to-device copy from it is timed against pageable memory;
  ``DataLoader(pin_memory=True)`` gives the same batches as without, with 0 and 2 workers;
- ``empty_cache``: after a convolution, with no array left alive, :func:`xpnet.empty_cache`
  drops xpnet's workspaces and leaves no free block in CuPy's pool;
- ``small_budget``: a convolution whose window copy exceeds a GPU chunk (256 MiB) under a
  64 MiB memory budget: its results against the default budget's, its peak pool bytes, and a
  sample that cannot fit the budget refused with a ``MemoryError`` within a second;
- ``floor``: ``xpnet bench --floor`` on the backend (the ``floor-cupy`` contender);
- ``resume``: ``xpnet train`` for 3 epochs against 2 epochs, a checkpoint and a resumed third
  (the generators' states restored; CuPy's dropout generator is not saved);
- ``conv_formulas``: forward+backward time of every conv2d formula on each benchmark shape,
  at both precisions, beside the one the cost model chooses.

In a dry run (``GPU_CHECK_DRY_RUN=1``, on strict) the sizes are tiny and the probes that need
CuPy record why they were skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gpu_check import BACKEND, DRY_RUN, save

import xpnet
import xpnet.kernels as K
import xpnet.train
from xpnet.bench.cases import CONV_SHAPES
from xpnet.data import DataLoader, TensorDataset
from xpnet.kernels import conv_algorithms
from xpnet.kernels._workspaces import kept_workspace_bytes

ROOT = Path(__file__).resolve().parent.parent
RESULT: dict = {}


def probe(name: str, function) -> None:
    start = time.perf_counter()
    try:
        RESULT[name] = {"ok": True, **function()}
    except Exception as error:  # noqa: BLE001  (a failed probe must not stop the others)
        RESULT[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    RESULT[name]["seconds"] = round(time.perf_counter() - start, 2)
    print(f"  {name}: {json.dumps(RESULT[name])[:400]}", flush=True)
    save("paths.json", RESULT)


def device_pool(backend):
    """CuPy's device memory pool, or None on a backend without one."""
    pool = getattr(backend.xp, "get_default_memory_pool", None)
    return pool() if pool else None


def best_seconds(backend, function, repeats=5) -> float:
    times = []
    for _ in range(repeats):
        backend.synchronize()
        start = time.perf_counter()
        function()
        backend.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def pinned(backend) -> dict:
    if not hasattr(backend, "pinned_host"):
        return {"skipped": f"{backend.name} has no pinned_host"}
    xp = backend.xp
    host = np.random.default_rng(0).standard_normal(1 << (12 if DRY_RUN else 24), np.float32)
    page_locked = backend.pinned_host(host)
    assert np.array_equal(page_locked, host), "pinned_host changed the values"
    kind = xp.cuda.runtime.pointerGetAttributes(page_locked.ctypes.data).type
    host_kind = getattr(xp.cuda.runtime, "memoryTypeHost", 1)
    assert kind == host_kind, f"memory type {kind}, not page-locked host ({host_kind})"
    pageable_s = best_seconds(backend, lambda: xp.asarray(host))
    pinned_s = best_seconds(backend, lambda: xp.asarray(page_locked))
    images = np.random.default_rng(1).standard_normal((100, 1, 8, 8)).astype(np.float32)
    dataset = TensorDataset(images, np.arange(100) % 10)
    for workers in (0, 2):
        plain = DataLoader(dataset, batch_size=32, num_workers=workers)
        staged = DataLoader(dataset, batch_size=32, num_workers=workers, pin_memory=True)
        for a, b in zip(plain, staged, strict=True):
            for field_a, field_b in zip(a, b, strict=True):
                assert np.array_equal(backend.to_host(field_a), backend.to_host(field_b))
    return {
        "bytes": host.nbytes,
        "pageable_GBps": round(host.nbytes / pageable_s / 1e9, 2),
        "pinned_GBps": round(host.nbytes / pinned_s / 1e9, 2),
    }


def conv_inputs(backend, shape, out_channels, kernel_size=3):
    """Random input of ``shape`` and (out_channels, C, k, k) weights on the backend."""
    rng = np.random.default_rng(0)
    x = backend.xp.asarray(rng.standard_normal(shape, np.float32))
    weight_shape = (out_channels, shape[1], kernel_size, kernel_size)
    return x, backend.xp.asarray(rng.standard_normal(weight_shape, np.float32))


def pool_bytes(pool) -> dict:
    return {"used": pool.used_bytes(), "free": pool.free_bytes()} if pool else {}


def empty_cache(backend) -> dict:
    """With no array left alive, xpnet.empty_cache leaves no workspace and an empty pool (a
    free block that shares an allocation with a live array cannot be released, on CuPy as in
    PyTorch)."""
    pool = device_pool(backend)

    def convolve():
        x, w = conv_inputs(backend, (4, 8, 16, 16) if DRY_RUN else (64, 64, 32, 32), 64)
        K.conv2d_backward(K.conv2d(x, w, padding=1), x, w, padding=1)
        backend.synchronize()

    convolve()
    before = {"kept_workspace_bytes": kept_workspace_bytes(), **pool_bytes(pool)}
    xpnet.empty_cache()
    after = {"kept_workspace_bytes": kept_workspace_bytes(), **pool_bytes(pool)}
    assert after["kept_workspace_bytes"] == 0, after
    assert pool is None or after["free"] == 0, after
    return {"before": before, "after": after}


def small_budget(backend) -> dict:
    pool = device_pool(backend)
    shape = (4, 8, 12, 12) if DRY_RUN else (64, 64, 56, 56)
    x, w = conv_inputs(backend, shape, 64 if not DRY_RUN else 8)
    grad_shape = (shape[0], w.shape[0], *shape[2:])
    grad = backend.xp.asarray(np.random.default_rng(2).standard_normal(grad_shape, np.float32))
    window_bytes = 4 * shape[0] * shape[1] * 9 * shape[2] * shape[3]

    def run():
        with conv_algorithms("im2col"):
            return (K.conv2d(x, w, padding=1), *K.conv2d_backward(grad, x, w, padding=1))

    record = {"window_copy_bytes": window_bytes}
    results = {}
    for budget in (None, 64 << 20 if not DRY_RUN else 64 << 10):
        xpnet.set_memory_budget(budget)
        try:
            xpnet.empty_cache()
            seconds = best_seconds(backend, run, repeats=3)
            results[budget] = [backend.to_host(a) for a in run() if a is not None]
            record[f"budget {budget}"] = {
                "seconds": round(seconds, 4),
                "pool_total_bytes": pool.total_bytes() if pool else None,
            }
        finally:
            xpnet.set_memory_budget(None)
    default, small = results.values()
    record["max_relative_difference"] = max(
        float(np.max(np.abs(a - b)) / np.max(np.abs(a)))
        for a, b in zip(default, small, strict=True)
    )
    assert record["max_relative_difference"] < 1e-5, record
    record["too_large"] = refused_quickly(backend)
    return record


def refused_quickly(backend) -> str:
    """A sample whose window copy cannot fit a 1 MiB budget: a MemoryError within a second."""
    x, w = conv_inputs(backend, (1, 64, 64, 64), 8)
    xpnet.set_memory_budget(1 << 20)
    start = time.perf_counter()
    try:
        with conv_algorithms("im2col"):
            K.conv2d(x, w, padding=1)
    except MemoryError as error:
        seconds = time.perf_counter() - start
        assert seconds < 1.0, f"refused after {seconds:.2f} s"
        return f"MemoryError after {seconds:.3f} s: {error}"
    finally:
        xpnet.set_memory_budget(None)
    raise AssertionError("conv2d ran under a 1 MiB budget; expected a MemoryError")


def run_command(arguments, seconds) -> subprocess.CompletedProcess:
    env = {**os.environ, "XPNET_BACKEND": BACKEND, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "xpnet", *arguments],
        capture_output=True,
        text=True,
        timeout=seconds,
        env=env,
        cwd=ROOT,
        check=False,
    )
    command = " ".join(arguments)
    assert done.returncode == 0, f"xpnet {command}: exit {done.returncode}: {done.stderr[-800:]}"
    return done


def floor(backend) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder, "floor.json")
        ops = "batch_norm,max_pool2d" if DRY_RUN else "conv2d,batch_norm,max_pool2d"
        options = ["--ops", ops, "--backends", backend.name, "--json", str(report)]
        run_command(["bench", "--quick", "--floor", "--repeats", "3", *options], 120)
        rows = json.loads(report.read_text())["results"]
    floors = [row for row in rows if str(row.get("contender", "")).startswith("floor-")]
    assert floors, "no floor contender in the report"
    return {"floor_rows": len(floors), "contenders": sorted({row["contender"] for row in rows})}


def resume(backend) -> dict:
    tiny = ["train", "--no-progress", "--limit", "256", "--scheduler", "step", "--seed", "3"]
    with tempfile.TemporaryDirectory() as folder:
        straight, resumed = Path(folder, "straight.npz"), Path(folder, "resumed.npz")
        run_command([*tiny, "--epochs", "3", "--checkpoint", str(straight)], 120)
        run_command([*tiny, "--epochs", "2", "--checkpoint", str(resumed)], 120)
        run_command([*tiny, "--epochs", "3", "--resume", str(resumed)], 120)
        a, b = (xpnet.train.load_checkpoint(str(path)) for path in (straight, resumed))
    differences = {k: float(np.max(np.abs(a["model"][k] - b["model"][k]))) for k in a["model"]}
    assert max(differences.values()) == 0.0, differences
    return {"weights_identical": True, "epochs": b["epoch"]}


def formula_times(backend, x, w, stride, padding) -> dict:
    """Forward+backward ms of each formula that runs this call, at each precision."""
    grad = backend.xp.ones(K.conv2d(x, w, stride=stride, padding=padding).shape, np.float32)

    def run():
        K.conv2d(x, w, stride=stride, padding=padding)
        K.conv2d_backward(grad, x, w, stride=stride, padding=padding)

    times = {}
    for precision in ("highest", "high"):
        with xpnet.float32_matmul_precision(precision):
            chosen = K.select_conv_algorithm(x, w, None, stride, padding)
            times[f"chosen {precision}"] = chosen.value
            for formula in ("im2col", "im2col_per_row", "fourier", "pointwise"):
                try:
                    with conv_algorithms(formula):
                        run()  # the first call plans and compiles
                        seconds = best_seconds(backend, run, 3)
                except (ValueError, TypeError):
                    continue  # the formula cannot run this call
                times[f"{formula} {precision} ms"] = round(1e3 * seconds, 3)
    return times


def conv_formulas(backend) -> dict:
    """Each benchmark shape's formula times beside the formula chosen: the data to tune the
    backend's conv cost constants."""
    record = {}
    for N, C, H, W, C_out, k, stride, padding in CONV_SHAPES[:2] if DRY_RUN else CONV_SHAPES:
        if DRY_RUN:
            N, C, C_out = 2, min(C, 8), min(C_out, 8)
        x, w = conv_inputs(backend, (N, C, H, W), C_out, k)
        shape = (N, C, H, W, C_out, k, stride, padding)
        record[",".join(map(str, shape))] = formula_times(backend, x, w, stride, padding)
    return record


def main() -> None:
    backend = xpnet.backends.set_backend(BACKEND)
    for name, function in [
        ("pinned", pinned),
        ("empty_cache", empty_cache),
        ("small_budget", small_budget),
        ("floor", floor),
        ("resume", resume),
        ("conv_formulas", conv_formulas),
    ]:
        probe(name, lambda function=function: function(backend))
    sys.exit(0 if all(record["ok"] for record in RESULT.values()) else 1)


if __name__ == "__main__":
    main()
