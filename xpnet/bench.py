"""The benchmark engine behind ``xpnet bench``: xpnet's kernels against PyTorch's.

A *case* is one op on one shape. Each case runs in three modes (forward, backward,
forward+backward) for every contender: xpnet on NumPy, xpnet on CuPy, PyTorch on the CPU and on
CUDA. Every timed call ends with its device's synchronize, so queued GPU work is counted, and
the repeats of all contenders are interleaved so that background load hits them alike.

The op and contender definitions here are also the ones the pytest-benchmark suite in
``benchmarks/`` times. torch, CuPy, threadpoolctl and matplotlib are optional: they are
imported only when a contender or an output needs them.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import statistics
import time
import tracemalloc

import numpy

from .autograd import Tensor, no_grad
from .backends import load_backend
from .nn import functional as autograd_functional

MODES = ("forward", "backward", "forward+backward")
# Nominal flop counts: backward does about twice the forward's work (the gradients of the input
# and of the weight), so forward+backward counts three forwards.
MODE_FLOP_FACTOR = {"forward": 1, "backward": 2, "forward+backward": 3}


@dataclasses.dataclass
class Case:
    """One op on one shape: its inputs (host arrays), static arguments and forward flops.

    ``forward(F)`` calls ``F.<op>(*arrays, **kwargs)``; the same call works for
    ``xpnet.functional`` and ``torch.nn.functional`` since their signatures are identical.
    """

    op: str
    shape: tuple[int, ...]
    arrays: dict[str, numpy.ndarray]
    grad_names: tuple[str, ...]
    kwargs: dict
    flops: float

    @property
    def label(self) -> str:
        return ",".join(str(n) for n in self.shape)


def _conv2d(N, C, H, W, C_out, k, stride, padding, rng):
    H_out = (H + 2 * padding - k) // stride + 1
    W_out = (W + 2 * padding - k) // stride + 1
    arrays = {
        "input": rng.standard_normal((N, C, H, W)),
        "weight": rng.standard_normal((C_out, C, k, k)) / (C * k * k) ** 0.5,
        "bias": rng.standard_normal(C_out),
    }
    kwargs = {"stride": stride, "padding": padding}
    return arrays, ("input", "weight", "bias"), kwargs, 2.0 * N * C_out * H_out * W_out * C * k * k


def _pool2d(N, C, H, W, k, stride, padding, rng):
    H_out = (H + 2 * padding - k) // stride + 1
    W_out = (W + 2 * padding - k) // stride + 1
    kwargs = {"kernel_size": k, "stride": stride, "padding": padding}
    return (
        {"input": rng.standard_normal((N, C, H, W))},
        ("input",),
        kwargs,
        N * C * H_out * W_out * k * k,
    )


def _batch_norm(N, C, H, W, rng):
    arrays = {
        "input": rng.standard_normal((N, C, H, W)),
        "running_mean": numpy.zeros(C),
        "running_var": numpy.ones(C),
        "weight": 1.0 + 0.1 * rng.standard_normal(C),
        "bias": 0.1 * rng.standard_normal(C),
    }
    # about ten flops per element: mean, variance, normalise, scale and shift
    return arrays, ("input", "weight", "bias"), {"training": True}, 10.0 * N * C * H * W


def _cross_entropy(N, classes, rng):
    arrays = {"input": rng.standard_normal((N, classes)), "target": rng.integers(0, classes, N)}
    # max, subtract, exp, sum, log and the pick: about five flops per logit
    return arrays, ("input",), {}, 5.0 * N * classes


@dataclasses.dataclass(frozen=True)
class Op:
    """A benchmarked kernel: how to build a case, its shape fields and its default shapes."""

    name: str
    fields: str
    build: object
    shapes: tuple[tuple[int, ...], ...]
    quick: tuple[tuple[int, ...], ...]

    def case(self, shape: tuple[int, ...], seed: int = 0) -> Case:
        rng = numpy.random.default_rng(seed)
        arrays, grad_names, kwargs, flops = self.build(*shape, rng)
        return Case(self.name, tuple(shape), arrays, grad_names, kwargs, float(flops))


CONV_SHAPES = (
    (64, 1, 28, 28, 32, 5, 1, 2),
    (64, 32, 14, 14, 64, 5, 1, 2),
    (128, 3, 32, 32, 64, 3, 1, 1),
    (128, 64, 32, 32, 64, 3, 1, 1),
    (128, 128, 16, 16, 128, 3, 1, 1),
    (128, 256, 8, 8, 256, 3, 1, 1),
    (128, 64, 32, 32, 128, 3, 2, 1),
    (128, 256, 16, 16, 64, 1, 1, 0),
    (32, 64, 56, 56, 64, 3, 1, 1),
)
_POOL_FIELDS = "N,C,H,W,kernel_size,stride,padding"
OPS = {
    op.name: op
    for op in (
        Op(
            "conv2d",
            "N,C_in,H,W,C_out,k,stride,padding",
            _conv2d,
            CONV_SHAPES,
            ((64, 1, 28, 28, 32, 5, 1, 2), (32, 32, 16, 16, 32, 3, 1, 1)),
        ),
        Op(
            "max_pool2d",
            _POOL_FIELDS,
            _pool2d,
            ((128, 64, 32, 32, 2, 2, 0), (128, 64, 32, 32, 3, 2, 1)),
            ((32, 32, 32, 32, 2, 2, 0), (32, 32, 32, 32, 3, 2, 1)),
        ),
        Op(
            "avg_pool2d",
            _POOL_FIELDS,
            _pool2d,
            ((128, 64, 32, 32, 2, 2, 0),),
            ((32, 32, 32, 32, 2, 2, 0),),
        ),
        Op("batch_norm", "N,C,H,W", _batch_norm, ((128, 64, 32, 32),), ((32, 32, 32, 32),)),
        Op("cross_entropy", "N,classes", _cross_entropy, ((1024, 1000),), ((256, 1000),)),
    )
}


def parse_shapes(text: str, ops: list[str]) -> dict[str, list[tuple[int, ...]]]:
    """``"64,1,28,28,32,5,1,2;128,64,32,32"`` -> the shapes of each op whose fields they fit.

    Raises:
        ValueError: if a shape is not comma-separated positive ints or fits none of ``ops``.
    """
    chosen: dict[str, list[tuple[int, ...]]] = {name: [] for name in ops}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        try:
            shape = tuple(int(n) for n in item.split(","))
        except ValueError:
            shape = ()
        if not shape or min(shape) < 0:
            msg = f"--shapes: {item!r} is not a comma-separated list of non-negative ints"
            raise ValueError(msg)
        fits = [name for name in ops if len(OPS[name].fields.split(",")) == len(shape)]
        if not fits:
            expected = "; ".join(f"{name}: {OPS[name].fields}" for name in ops)
            msg = f"--shapes: {item!r} has {len(shape)} fields, which fits no op ({expected})"
            raise ValueError(msg)
        for name in fits:
            chosen[name].append(shape)
    return {name: shapes for name, shapes in chosen.items() if shapes}


def _host_grad(shape) -> numpy.ndarray:
    # the same upstream gradient for every contender: a fixed seed and the output's shape
    return numpy.random.default_rng(1).standard_normal(shape)


def _cast(array: numpy.ndarray, dtype: str) -> numpy.ndarray:
    return array.astype(dtype) if array.dtype.kind == "f" else array


class XpnetContender:
    """xpnet on one backend (``numpy`` or ``cupy``), through its autograd as training uses it.

    Like PyTorch's, the forward is timed without recording a graph and the backward reuses
    what the forward saved (max-pool indices, batch-norm statistics).
    """

    def __init__(self, backend_name: str):
        self.backend = load_backend(backend_name)
        self.name = f"xpnet-{backend_name}"
        self.device = "gpu" if backend_name == "cupy" else "cpu"

    def prepare(self, case: Case, dtype: str) -> dict:
        """The three timed callables of ``case``; each waits for its device before returning."""
        backend, sync = self.backend, self.backend.synchronize
        values = []
        for name, array in case.arrays.items():
            array = backend.asarray(_cast(array, dtype))
            # buffers and targets stay plain arrays, as the layers pass them
            values.append(Tensor(array, requires_grad=True) if name in case.grad_names else array)
        leaves = [value for value in values if isinstance(value, Tensor)]
        function = getattr(autograd_functional, case.op)
        output = function(*values, **case.kwargs)
        grad = backend.asarray(_host_grad(output.shape).astype(output.dtype))

        def backward_from(output, retain_graph):
            for leaf in leaves:
                leaf.grad = None  # time the backward, not the accumulation into .grad
            output.backward(grad, retain_graph=retain_graph)

        def forward():
            with no_grad():
                function(*values, **case.kwargs)
            sync()

        def backward():
            backward_from(output, retain_graph=True)
            sync()

        def forward_backward():
            backward_from(function(*values, **case.kwargs), retain_graph=False)
            sync()

        return dict(zip(MODES, (forward, backward, forward_backward), strict=True))

    def peak_bytes(self, function) -> int:
        """Peak bytes allocated during one call of ``function`` (its outputs included)."""
        if self.device == "gpu":
            # GPU: after free_all_blocks the pool grows only to fit the call's peak
            pool = self.backend.xp.get_default_memory_pool()
            self.backend.synchronize()
            pool.free_all_blocks()
            before = pool.total_bytes()
            function()
            return pool.total_bytes() - before
        # NumPy reports its data allocations to tracemalloc
        tracemalloc.start()
        try:
            function()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


class TorchContender:
    """PyTorch's ``torch.nn.functional`` on ``cpu`` or ``cuda`` (optionally with TF32)."""

    def __init__(self, device: str, tf32: bool = False):
        self.torch = importlib.import_module("torch")
        self.device_name = device
        self.device = "gpu" if device == "cuda" else "cpu"
        self.tf32 = tf32
        self.name = "torch-cuda-tf32" if tf32 else f"torch-{device}"

    def _sync(self):
        if self.device == "gpu":
            self.torch.cuda.synchronize()  # GPU: kernels are queued asynchronously

    def prepare(self, case: Case, dtype: str) -> dict:
        torch, sync = self.torch, self._sync
        F = torch.nn.functional
        tensors = []
        for name, array in case.arrays.items():
            tensor = torch.from_numpy(_cast(array, dtype)).to(self.device_name)
            tensors.append(tensor.requires_grad_(name in case.grad_names))
        leaves = [t for t in tensors if t.requires_grad]
        kernel = getattr(F, case.op)
        output = kernel(*tensors, **case.kwargs)
        grad = torch.from_numpy(_host_grad(tuple(output.shape))).to(output)

        def run(function):
            def timed():
                # GPU: PyTorch lets cuDNN use TF32 by default; the plain contender turns it off
                torch.backends.cudnn.allow_tf32 = self.tf32
                torch.backends.cuda.matmul.allow_tf32 = self.tf32
                function()
                sync()

            return timed

        def forward():
            with torch.no_grad():
                kernel(*tensors, **case.kwargs)

        def backward():
            torch.autograd.grad(output, leaves, grad, retain_graph=True)

        def forward_backward():
            torch.autograd.grad(kernel(*tensors, **case.kwargs), leaves, grad)

        functions = (forward, backward, forward_backward)
        return {mode: run(f) for mode, f in zip(MODES, functions, strict=True)}

    def peak_bytes(self, function) -> int | None:
        """Peak CUDA bytes of one call; ``None`` on the CPU, where torch hides its allocations."""
        if self.device != "gpu":
            return None
        cuda = self.torch.cuda  # GPU: the caching allocator keeps a high-water mark
        cuda.synchronize()
        cuda.reset_peak_memory_stats()
        before = cuda.memory_allocated()
        function()
        return cuda.max_memory_allocated() - before


def make_contenders(names: list[str]) -> tuple[list, dict[str, str]]:
    """Contenders for ``--backends`` names, and a reason for each one that cannot run here.

    ``torch`` means PyTorch on the CPU, plus CUDA (with and without TF32) when it sees a GPU.
    """
    contenders, unavailable = [], {}
    for name in names:
        if name == "torch":
            try:
                torch = importlib.import_module("torch")
            except ImportError:
                unavailable["torch"] = "not installed"
                continue
            contenders.append(TorchContender("cpu"))
            if torch.cuda.is_available():
                contenders += [TorchContender("cuda"), TorchContender("cuda", tf32=True)]
            continue
        try:
            contenders.append(XpnetContender(name))
        except ImportError as error:
            unavailable[name] = str(error).split(". ")[0]
    return contenders, unavailable


def _torch_reference(contender_name: str, device: str) -> str:
    if device == "cpu":
        return "torch-cpu"
    # GPU: compare like with like; CuPy uses TF32 only when CUPY_TF32=1
    return "torch-cuda-tf32" if os.environ.get("CUPY_TF32") == "1" else "torch-cuda"


def time_case(
    case: Case, contenders: list, dtype: str, repeats: int, warmup: int, echo=print
) -> list[dict]:
    """Time every mode of ``case`` for every contender; repeats are interleaved across them.

    A contender that cannot run the case (PyTorch has no float16 convolution on the CPU, for
    instance) is reported through ``echo`` and left out of this case.
    """
    calls = {}
    peaks = {}
    for contender in contenders:
        try:
            prepared = contender.prepare(case, dtype)
        except (RuntimeError, TypeError, ValueError, NotImplementedError, MemoryError) as error:
            echo(f"  {contender.name} skipped: {type(error).__name__}: {error}")
            continue
        for mode, function in prepared.items():
            key = (contender, mode)
            calls[key] = function
            peaks[key] = contender.peak_bytes(function)  # also the first warm-up call
            for _ in range(warmup - 1):
                function()
    times = {key: [] for key in calls}
    for _ in range(repeats):
        for key, function in calls.items():
            start = time.perf_counter()
            function()
            times[key].append(time.perf_counter() - start)
    rows = []
    for (contender, mode), samples in times.items():
        quartiles = statistics.quantiles(samples, n=4) if len(samples) > 1 else samples * 3
        median = statistics.median(samples)
        flops = case.flops * MODE_FLOP_FACTOR[mode]
        rows.append(
            {
                "op": case.op,
                "shape": list(case.shape),
                "mode": mode,
                "contender": contender.name,
                "device": contender.device,
                "median_s": median,
                "q1_s": quartiles[0],
                "q3_s": quartiles[-1],
                "min_s": min(samples),
                "repeats": len(samples),
                "gflops_per_s": flops / median / 1e9,
                "peak_bytes": peaks[(contender, mode)],
            }
        )
    _add_ratios(rows)
    return rows


def _add_ratios(rows: list[dict]) -> None:
    """Add ``time_over_torch`` (same device) and ``gpu_speedup`` (CPU time / GPU time)."""
    median = {(r["mode"], r["contender"]): r["median_s"] for r in rows}
    for row in rows:
        reference = median.get((row["mode"], _torch_reference(row["contender"], row["device"])))
        row["time_over_torch"] = None if reference is None else row["median_s"] / reference
        cpu_twin = {"xpnet-cupy": "xpnet-numpy", "torch-cuda": "torch-cpu"}.get(row["contender"])
        cpu_time = median.get((row["mode"], cpu_twin))
        row["gpu_speedup"] = None if cpu_time is None else cpu_time / row["median_s"]


def environment(threads: int, contenders: list, command: str) -> dict:
    """The machine, library versions and settings a result depends on."""
    import platform

    from . import __version__

    info = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "xpnet": __version__,
        "threads": threads,
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = sorted({f"{p['internal_api']} {p['version']}" for p in threadpool_info()})
    except ImportError:
        info["blas"] = "unknown (threadpoolctl not installed)"
    names = {c.name for c in contenders}
    if any(name.startswith("torch") for name in names):
        import torch

        info["torch"] = torch.__version__
        if torch.cuda.is_available():
            info["torch_cuda"] = torch.version.cuda  # GPU
            info["torch_device"] = torch.cuda.get_device_name()
    if "xpnet-cupy" in names:
        info.update(_cupy_environment())
    return info


def _cupy_environment() -> dict:
    # GPU: what a CuPy result depends on, and the memory pool's high-water mark so far
    import cupy

    return {
        "cupy": cupy.__version__,
        "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion(),
        "gpu": load_backend("cupy").device_name(),
        "CUPY_TF32": os.environ.get("CUPY_TF32", "0"),
        "CUPY_ACCELERATORS": os.environ.get("CUPY_ACCELERATORS", ""),
        "cupy_pool_total_bytes": cupy.get_default_memory_pool().total_bytes(),
    }


def _pin_threads(stack, threads: int, contenders: list) -> str:
    """Give every contender ``threads`` threads for the run; return a sentence saying how."""
    how = []
    try:
        from threadpoolctl import threadpool_limits

        stack.enter_context(threadpool_limits(limits=threads))
        how.append("threadpoolctl for NumPy's BLAS")
    except ImportError:
        how.append("NumPy's BLAS NOT pinned (threadpoolctl not installed)")
    if any(isinstance(c, TorchContender) for c in contenders):
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        stack.callback(torch.set_num_threads, previous)
        how.append("torch.set_num_threads")
    return f"threads: {threads} per contender ({', '.join(how)})"


def format_table(rows: list[dict]) -> str:
    """The results as a fixed-width text table."""
    header = (
        f"{'op':<13} {'shape':<22} {'mode':<16} {'contender':<16} {'median ms':>10} "
        f"{'±IQR':>6} {'GFLOP/s':>8} {'time/torch':>10} {'GPU x':>6} {'peak MiB':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        spread = (r["q3_s"] - r["q1_s"]) / 2 / r["median_s"] * 100
        ratio = "-" if r["time_over_torch"] is None else f"{r['time_over_torch']:.2f}"
        speedup = "-" if r["gpu_speedup"] is None else f"{r['gpu_speedup']:.1f}"
        peak = "-" if r["peak_bytes"] is None else f"{r['peak_bytes'] / 2**20:.1f}"
        shape = ",".join(str(n) for n in r["shape"])
        lines.append(
            f"{r['op']:<13} {shape:<22} {r['mode']:<16} {r['contender']:<16} "
            f"{r['median_s'] * 1e3:>10.3f} {spread:>5.1f}% {r['gflops_per_s']:>8.2f} "
            f"{ratio:>10} {speedup:>6} {peak:>9}"
        )
    return "\n".join(lines)


def plot(rows: list[dict], path: str) -> None:
    """A PNG bar chart of median times per case, one bar per contender (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(dict.fromkeys((r["op"], tuple(r["shape"]), r["mode"]) for r in rows))
    names = list(dict.fromkeys(r["contender"] for r in rows))
    median = {(r["op"], tuple(r["shape"]), r["mode"], r["contender"]): r["median_s"] for r in rows}
    width = 0.8 / len(names)
    figure, axes = plt.subplots(figsize=(max(6, 0.6 * len(cases) * len(names)), 5))
    for i, name in enumerate(names):
        heights = [median.get((*case, name), 0) * 1e3 for case in cases]
        axes.bar([j + i * width for j in range(len(cases))], heights, width, label=name)
    labels = [f"{op}\n{','.join(map(str, shape))}\n{mode}" for op, shape, mode in cases]
    axes.set_xticks([j + 0.4 - width / 2 for j in range(len(cases))], labels, fontsize=6)
    axes.set_yscale("log")
    axes.set_ylabel("median time per call (ms, log scale)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def run(
    backends: list[str],
    ops: list[str],
    shapes: dict[str, list[tuple[int, ...]]] | None = None,
    dtype: str = "float32",
    threads: int | None = None,
    quick: bool = False,
    repeats: int | None = None,
    warmup: int = 1,
    command: str = "",
    echo=print,
) -> dict:
    """Benchmark ``ops`` on ``backends``; print progress and the table; return the report.

    ``shapes`` maps an op to its shapes (default: the op's standard, or ``--quick``, shapes).
    """
    import contextlib

    threads = threads or len(os.sched_getaffinity(0))
    repeats = repeats or (5 if quick else 7)
    contenders, unavailable = make_contenders(backends)
    for name, reason in unavailable.items():
        echo(f"{name}: {reason}")
    if not contenders:
        msg = f"no backend of {', '.join(backends)} can run here"
        raise RuntimeError(msg)
    rows = []
    with contextlib.ExitStack() as stack:
        echo(_pin_threads(stack, threads, contenders))
        for name in ops:
            op = OPS[name]
            for shape in (shapes or {}).get(name) or (op.quick if quick else op.shapes):
                echo(f"{name} {','.join(map(str, shape))} ...")
                rows += time_case(op.case(shape), contenders, dtype, repeats, warmup, echo)
    return {
        "environment": environment(threads, contenders, command),
        "settings": {"dtype": dtype, "repeats": repeats, "warmup": warmup, "quick": quick},
        "unavailable": unavailable,
        "results": rows,
    }
