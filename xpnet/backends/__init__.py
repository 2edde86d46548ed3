"""The backend registry, one line per backend, and the public names of ``xpnet.backends``.

Adding a backend is its module (the interface in :mod:`._base`) plus one
:func:`register_backend` line below; ``XPNET_BACKEND``, ``xpnet train/bench --backend``,
:func:`available_backends` and the test fixtures all read that line.

The machinery lives beside this file: :mod:`._registry` (entries, ``XPNET_BACKEND``,
:func:`use_backend` and the current backend), :mod:`._dispatch` (:func:`backend_of`,
:func:`to_backend`), :mod:`._runtime` (thread count, memory budget, host-sync guard),
:mod:`._host_memory` (the C allocator setting), :mod:`._torch_backends` (PyTorch's ``cudnn``
and ``cuda.matmul`` flags, for ported scripts). The backends: :mod:`.numpy_backend`,
:mod:`.cupy_backend` and :mod:`.strict` (the CuPy emulator, a package of its own).
"""

from __future__ import annotations

from ._deferred import discard_deferred, host_reads_forbidden, raise_deferred
from ._dispatch import backend_of, to_backend
from ._host_memory import is_freed_host_memory_kept, keep_freed_host_memory
from ._precision import (
    float32_matmul_precision,
    get_float32_matmul_precision,
    set_float32_matmul_precision,
)
from ._profile import OUTSIDE_KERNELS, Counts, Profile, kernel_scope, profile
from ._registry import (
    DEFAULT_BACKEND,
    BackendEntry,
    available_backends,
    backend_from_environment,
    backend_name_of,
    backend_names,
    default_backend_name,
    float_errors_ignored,
    get_backend,
    load_backend,
    loaded_backends,
    register_backend,
    registered_backends,
    set_backend,
    unregister_backend,
    use_backend,
)
from ._runtime import (
    get_num_threads,
    host_sync_forbidden,
    is_host_sync_forbidden,
    memory_budget,
    set_memory_budget,
    set_num_threads,
)
from ._torch_backends import cuda, cudnn, mps

# The registry: name, module, the module of its array type (dispatch without importing it).
register_backend("numpy", "xpnet.backends.numpy_backend", arrays="numpy")
register_backend("strict", "xpnet.backends.strict", arrays="xpnet.backends.strict", timed=False)
register_backend("cupy", "xpnet.backends.cupy_backend", arrays="cupy", gpu=True)

__all__ = [
    "cuda",
    "cudnn",
    "mps",
    "OUTSIDE_KERNELS",
    "Counts",
    "Profile",
    "kernel_scope",
    "profile",
    "loaded_backends",
    "DEFAULT_BACKEND",
    "BackendEntry",
    "available_backends",
    "backend_from_environment",
    "backend_name_of",
    "backend_names",
    "backend_of",
    "default_backend_name",
    "discard_deferred",
    "float32_matmul_precision",
    "float_errors_ignored",
    "get_float32_matmul_precision",
    "get_backend",
    "get_num_threads",
    "host_reads_forbidden",
    "host_sync_forbidden",
    "is_freed_host_memory_kept",
    "is_host_sync_forbidden",
    "keep_freed_host_memory",
    "load_backend",
    "memory_budget",
    "raise_deferred",
    "register_backend",
    "registered_backends",
    "set_backend",
    "set_float32_matmul_precision",
    "set_memory_budget",
    "set_num_threads",
    "to_backend",
    "unregister_backend",
    "use_backend",
]
