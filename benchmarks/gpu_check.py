"""The Python half of ``benchmarks/gpu_check.sh``: the environment, CuPy facts, the pytest
counts, the timings against PyTorch, and the summary against issue 17's GPU targets.

Run by the script from the repository root (``PYTHONPATH=.``) as
``python benchmarks/gpu_check.py STEP``; every step writes JSON into ``$GPU_CHECK_OUT``:

- ``smoke``: ``env.json`` (versions, device, git commit) and ``smoke.json``: the cost of one
  call, whether :func:`xpnet.float32_matmul_precision` ``"high"`` really puts CuPy's 2-D *and*
  batched float32 products on TF32 (their error against float64 and their speed at each
  precision), the device-to-device copy bandwidth (the yardstick of the bandwidth target) and
  whether a training step waits for the GPU (a host sync) while a spin kernel keeps it busy;
- ``tests JUNIT``: ``tests.json``, the counts and failures of the pytest run;
- ``bench``: ``bench.json``, the timings of :mod:`gpu_check_bench`;
- ``summary``: ``summary.json`` and ``summary.md`` (printed): each step's status and each
  target, met or not.

Settings (the script sets them): ``GPU_CHECK_BACKEND`` (``cupy``; ``strict`` in a dry run),
``GPU_CHECK_TORCH`` (``cuda``; ``cpu`` in a dry run), ``GPU_CHECK_DRY_RUN`` (``1``: tiny sizes;
the numbers then check the script, not the GPU), ``GPU_CHECK_BUDGET_S`` (the timings' budget).
"""

from __future__ import annotations

import json
import os
import pathlib
import platform
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree

import numpy as np

OUT = pathlib.Path(os.environ.get("GPU_CHECK_OUT", "gpu-check-out"))
BACKEND = os.environ.get("GPU_CHECK_BACKEND", "cupy")
DRY_RUN = os.environ.get("GPU_CHECK_DRY_RUN") == "1"
# issue 17's GPU targets
CONV_TARGET = 2.0  # 3x3 conv forward+backward time over PyTorch+cuDNN's (TF32 off)
BANDWIDTH_TARGET = 0.5  # elementwise, batch norm and pooling: share of the copy bandwidth
STEP_TARGET = 2.0  # LeNet SGD step time over PyTorch CUDA's
# nominal HBM bandwidth (bytes/s) by device name, for the record next to the measured copy
NOMINAL_BANDWIDTH = {"H200": 4.8e12, "H100 PCIe": 2.0e12, "H100 NVL": 3.9e12, "H100": 3.35e12}


def save(name: str, data) -> None:
    (OUT / name).write_text(json.dumps(data, indent=1, default=str))


def load(name: str) -> dict:
    try:
        return json.loads((OUT / name).read_text())
    except (OSError, ValueError) as error:
        return {"error": f"{name}: {type(error).__name__}: {error}"}


def section(result: dict, name: str, function) -> None:
    """``result[name] = function()``, or the error it raised; saved after each section."""
    start = time.perf_counter()
    try:
        result[name] = function()
    except Exception as error:  # noqa: BLE001  (a failed section must not stop the others)
        result[name] = {"error": f"{type(error).__name__}: {error}"}
    print(f"  {name} ({time.perf_counter() - start:.1f} s): {json.dumps(result[name])[:300]}")
    save("smoke.json", result)


# ------------------------------------------------------------------------------ environment
def environment(backend) -> dict:
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("cupy", "torch", "pytest", "xdist"):
        try:
            versions[name] = getattr(__import__(name), "__version__", "?")
        except ImportError:
            versions[name] = None
    import xpnet

    info = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "command": os.environ.get("GPU_CHECK_COMMAND", ""),
        "dry_run": DRY_RUN,
        "backend": BACKEND,
        "device": backend.device_name(),
        "host": platform.node(),
        "xpnet": xpnet.__version__,
        "versions": versions,
        "env": {k: os.environ.get(k) for k in ("CUPY_TF32", "CUPY_ACCELERATORS", "XPNET_BACKEND")},
    }
    try:  # a copy of the tree may carry a stale .git: GPU_CHECK_COMMIT then says which commit
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
        info["git_commit"] = os.environ.get("GPU_CHECK_COMMIT") or commit.stdout.strip() or None
    except OSError:
        info["git_commit"] = os.environ.get("GPU_CHECK_COMMIT")
    if versions["torch"]:
        import torch

        info["torch_cuda"] = torch.version.cuda if torch.cuda.is_available() else None
        if torch.cuda.is_available():
            info["cudnn"] = torch.backends.cudnn.version()
    if BACKEND == "cupy":
        import cupy

        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        info["compute_capability"] = cupy.cuda.Device().compute_capability
    return info


# ------------------------------------------------------------------------------ smoke
def per_call_us(backend, function, n) -> float:
    """Host microseconds to issue one call, over ``n`` back-to-back calls."""
    function()
    backend.synchronize()
    start = time.perf_counter()
    for _ in range(n):
        function()
    issued = (time.perf_counter() - start) / n * 1e6
    backend.synchronize()
    return round(issued, 2)


def overhead(backend) -> dict:
    xp, n = backend.xp, 50 if DRY_RUN else 2000
    one, a, b = xp.ones(1, "float32"), xp.ones((64, 64), "float32"), xp.ones((8, 64, 64), "float32")
    return {
        "x + 1 (one element)": per_call_us(backend, lambda: one + 1, n),
        "x.sum() (one element)": per_call_us(backend, lambda: one.sum(), n),
        "matmul 64x64": per_call_us(backend, lambda: a @ a, n),
        "matmul (8,64,64) batched": per_call_us(backend, lambda: b @ b, n),
    }


def matmul_check(backend, shape_a, shape_b, repeats) -> dict:
    """Relative error against float64 and TFLOP/s of ``a @ b`` in float32."""
    xp = backend.xp
    rng = np.random.default_rng(0)
    a_host, b_host = (rng.standard_normal(s).astype(np.float32) for s in (shape_a, shape_b))
    a, b = backend.asarray(a_host), backend.asarray(b_host)
    # the float64 reference on the device too: seconds less than NumPy's on large shapes
    exact = backend.to_host(xp.matmul(a.astype("float64"), b.astype("float64")))
    out = backend.to_host(xp.matmul(a, b))
    error = float(np.linalg.norm(out - exact) / np.linalg.norm(exact))
    backend.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        xp.matmul(a, b)
    backend.synchronize()
    seconds = (time.perf_counter() - start) / repeats
    flops = 2.0 * exact.size * shape_a[-1]
    return {"rel_err": float(f"{error:.2e}"), "tflops": round(flops / seconds / 1e12, 2)}


def cupy_switches() -> dict:
    """What CuPy's TF32 switches read now (the precision hook sets them)."""
    import cupy
    from cupy._core import _routines_linalg as linalg

    handle = cupy.cuda.device.get_cublas_handle()
    return {
        "compute_type": linalg.compute_type_to_str(linalg.get_compute_type(np.float32)),
        "math_mode": cupy.cuda.cublas.getMathMode(handle),
    }


def tf32_check(backend) -> dict:
    """float32 products at each precision: TF32 shows as an error of ~1e-4 instead of ~1e-7."""
    import xpnet

    n, m = (64, 32) if DRY_RUN else (4096, 1024)
    shapes = {
        "2-D (dot path)": ((n, n), (n, n)),
        "batched, strided": ((16, m, m), (16, m, m)),
        "batched, broadcast": ((16, m, m), (m, m)),
    }
    result = {}
    for precision in ("highest", "high"):
        with xpnet.float32_matmul_precision(precision):
            row = {
                name: matmul_check(backend, *s, 3 if DRY_RUN else 10) for name, s in shapes.items()
            }
            if BACKEND == "cupy":
                row["switches"] = cupy_switches()
        result[precision] = row
    result["tf32_engaged"] = {
        name: result["high"][name]["rel_err"] > 10 * result["highest"][name]["rel_err"]
        for name in shapes
    }
    return result


def copy_bandwidth(backend) -> dict:
    x = backend.xp.ones((2**18 if DRY_RUN else 2**29,), "float32")  # 2 GiB on the GPU
    y = backend.xp.empty_like(x)
    y[...] = x
    backend.synchronize()
    start = time.perf_counter()
    for _ in range(5):
        y[...] = x
    backend.synchronize()
    seconds = (time.perf_counter() - start) / 5
    return {"bytes_per_s": 2 * x.nbytes / seconds, "GB_per_s": round(2 * x.nbytes / seconds / 1e9)}


def step_waits(backend) -> dict:
    """Whether steady-state LeNet SGD steps wait for the GPU: each is issued while a spin
    kernel keeps the GPU busy for 1 s, under a profiler; a sync-free step returns long before
    the spin ends.
    For each step that waits, the deepest calls that took over 0.5 s say where."""
    if BACKEND != "cupy":
        return {"skipped": "needs CuPy's RawKernel (GPU only)"}
    import cupy
    import gpu_check_bench

    kernel = cupy.RawKernel(
        'extern "C" __global__ void spin(long long n) {'
        " long long t = clock64(); while (clock64() - t < n) {} }",
        "spin",
    )
    step = gpu_check_bench.xpnet_step(backend, "lenet", (64, 1, 28, 28), synchronize=False)
    # the first step compiles its kernels, the second the momentum chain: loading a module
    # (cuModuleLoad) waits for the GPU, 0.97 s in step 2 on an H200; steps 3-5 are steady
    step()
    step()
    kernel((1,), (1,), (np.int64(10**7),))
    backend.synchronize()
    start = time.perf_counter()
    kernel((1,), (1,), (np.int64(10**7),))
    backend.synchronize()
    per_ms = 10**7 / ((time.perf_counter() - start) * 1e3)
    issued_ms, waited_in = [], {}
    for index in range(3, 6):  # steady-state steps
        kernel((1,), (1,), (np.int64(int(1000 * per_ms)),))
        start = time.perf_counter()
        calls = slow_calls(step, 0.5)
        issued_ms.append(round((time.perf_counter() - start) * 1e3, 1))
        if calls:
            waited_in[f"step {index}"] = calls
        backend.synchronize()
    synced = any(ms > 500 for ms in issued_ms)
    return {"issue_ms_while_gpu_busy_1s": issued_ms, "synced": synced, "waited_in": waited_in}


def slow_calls(function, seconds: float) -> list[str]:
    """The deepest Python and C calls of ``function()`` that took over ``seconds``, each as
    ``depth file:line name ms``."""
    stack, slow = [], []

    def profile(frame, event, arg):
        if event in ("call", "c_call"):
            stack.append(time.perf_counter())
        elif event in ("return", "c_return", "c_exception") and stack:
            took = time.perf_counter() - stack.pop()
            if took > seconds:
                code = frame.f_code
                name = (
                    getattr(arg, "__qualname__", repr(arg))
                    if event != "return"
                    else code.co_qualname
                )
                where = f"{'/'.join(code.co_filename.rsplit('/', 2)[-2:])}:{frame.f_lineno}"
                slow.append((len(stack), f"{where} {name} {took * 1e3:.0f} ms"))

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    deepest = sorted(slow, reverse=True)[:6]
    return [f"{depth} {text}" for depth, text in deepest]


def smoke() -> None:
    from xpnet.backends import load_backend, memory_budget

    backend = load_backend(BACKEND)
    env = environment(backend)
    env["memory_budget_bytes"] = memory_budget(backend)
    save("env.json", env)
    print(f"  {env['device']}, versions {env['versions']}")
    result: dict = {"dry_run": DRY_RUN}
    section(result, "us_per_call", lambda: overhead(backend))
    section(result, "tf32", lambda: tf32_check(backend))
    section(result, "copy_bandwidth", lambda: copy_bandwidth(backend))
    section(result, "training_step_host_sync", lambda: step_waits(backend))


# ------------------------------------------------------------------------------ tests
def tests(junit: str) -> None:
    """Counts and failures of the pytest run, from its JUnit XML (partial if it timed out)."""
    try:
        root = ElementTree.parse(junit).getroot()
    except (OSError, ElementTree.ParseError) as error:
        save("tests.json", {"error": f"no JUnit XML: {error}"})
        return
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failed = []
    for case in root.iter("testcase"):
        counts["tests"] += 1
        for kind in ("failure", "error"):
            element = case.find(kind)
            if element is not None:
                counts["failures" if kind == "failure" else "errors"] += 1
                message = (element.get("message") or "").strip().splitlines()[:1]
                failed.append(f"{case.get('classname')}::{case.get('name')} {''.join(message)}")
        counts["skipped"] += case.find("skipped") is not None
    save("tests.json", {**counts, "failed": failed[:100]})
    print(f"  {counts}")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    step, args = sys.argv[1], sys.argv[2:]
    if step == "smoke":
        smoke()
    elif step == "tests":
        tests(*args)
    elif step == "bench":
        import gpu_check_bench

        gpu_check_bench.main()
    elif step == "summary":
        import gpu_check_summary

        gpu_check_summary.main()
    else:
        sys.exit(f"gpu_check.py: unknown step {step!r} (smoke, tests, bench, summary)")
