"""The contenders of ``xpnet bench``: xpnet on a backend and PyTorch on a device.

Each contender turns a :class:`~xpnet.bench.cases.Case` into three timed callables (forward,
backward, forward+backward) that wait for their device, and measures their peak memory;
:mod:`xpnet.bench.timing` interleaves them. torch is imported only when asked for.
"""

from __future__ import annotations

import contextlib
import importlib
import tracemalloc

import numpy

from ..autograd import Tensor, no_grad
from ..backends import float32_matmul_precision, load_backend, registered_backends
from ..kernels._workspaces import empty_cache
from ..nn import functional as autograd_functional
from .cases import MODES, Case, xpnet_algorithm
from .floors import FloorContender


def _host_grad(shape) -> numpy.ndarray:
    # the same upstream gradient for every contender: a fixed seed and the output's shape
    return numpy.random.default_rng(1).standard_normal(shape)


def _cast(array: numpy.ndarray, dtype: str) -> numpy.ndarray:
    return array.astype(dtype) if array.dtype.kind == "f" else array


class XpnetContender:
    """xpnet on one backend (``numpy`` or ``cupy``), through its autograd as training uses it.

    Like PyTorch's, the forward is timed without recording a graph and the backward reuses
    what the forward saved (max-pool indices, batch-norm statistics). With a ``precision``,
    every call runs at that float32 matmul precision (:func:`xpnet.float32_matmul_precision`)
    instead of the run's, and the name says so (``xpnet-numpy-high``): one run then times
    both settings against the same PyTorch calls.
    """

    def __init__(self, backend_name: str, precision: str | None = None):
        self.backend = load_backend(backend_name)
        self.precision = precision
        self.name = f"xpnet-{backend_name}" + (f"-{precision}" if precision else "")
        entry = next(e for e in registered_backends() if e.name == backend_name)
        self.device = "gpu" if entry.gpu else "cpu"

    def _at_precision(self):
        """The context of every call: this contender's precision, or the run's."""
        if self.precision is None:
            return contextlib.nullcontext()
        return float32_matmul_precision(self.precision)

    def algorithm(self, case: Case, dtype: str) -> str | None:
        """The formula this backend runs for ``case``, see :func:`~.cases.xpnet_algorithm`."""
        with self._at_precision():
            return xpnet_algorithm(case, self.backend, dtype)

    def prepare(self, case: Case, dtype: str) -> dict:
        """The three timed callables of ``case``; each waits for its device before returning."""
        with self._at_precision():
            modes = self._prepare(case, dtype)
        if self.precision is None:
            return modes
        return {mode: self._wrapped(function) for mode, function in modes.items()}

    def _wrapped(self, function):
        def at_precision():
            with self._at_precision():
                function()

        return at_precision

    def _prepare(self, case: Case, dtype: str) -> dict:
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
        """Peak bytes allocated during one call of ``function`` (its outputs included).

        The workspaces kernels keep for reuse count: :func:`xpnet.empty_cache` drops them
        first, so the call allocates them afresh (otherwise a case would seem to need less
        memory whenever an earlier case or mode left buffers big enough behind).
        """
        self.backend.synchronize()
        empty_cache()  # GPU: also returns the pool's free blocks, which are not the call's
        if self.device == "gpu":
            # GPU: after free_all_blocks the pool grows only to fit the call's peak
            pool = self.backend.xp.get_default_memory_pool()
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

    def algorithm(self, case: Case, dtype: str) -> None:
        return None  # cuDNN's and oneDNN's choices are PyTorch's business

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


def make_contenders(
    names: list[str], floor: bool = False, precisions: tuple[str, ...] = ()
) -> tuple[list, dict[str, str]]:
    """Contenders for ``--backends`` names, and a reason for each one that cannot run here.

    ``torch`` means PyTorch on the CPU, plus CUDA (with and without TF32) when it sees a GPU.
    With ``floor``, each xpnet backend also gets its :class:`~xpnet.bench.floors.FloorContender`;
    with ``precisions``, one more :class:`XpnetContender` per precision (besides the run's).
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
            continue
        if floor:
            contenders.append(FloorContender(contenders[-1]))
        contenders += [XpnetContender(name, precision) for precision in precisions]
    return contenders, unavailable
