"""The backend registry and the choice of backend: one entry per backend, and the current one.

The entries themselves, one line per backend, are in ``xpnet/backends/__init__.py``; everything
that lists backends reads them from here: :func:`load_backend`, :func:`available_backends`,
the ``--backend`` choices of ``xpnet train`` and ``xpnet bench`` (:mod:`xpnet.cli`) and the test
fixtures (``tests/conftest.py``). ``XPNET_BACKEND`` is read here and nowhere else
(:func:`backend_from_environment`). Neighbours: :mod:`._dispatch` finds the backend of an array
with :func:`backend_name_of`; :mod:`._runtime` holds the knobs that are not per backend.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import sys
import threading
from types import ModuleType

__all__ = [
    "DEFAULT_BACKEND",
    "BackendEntry",
    "available_backends",
    "backend_from_environment",
    "backend_name_of",
    "backend_names",
    "default_backend_name",
    "get_backend",
    "load_backend",
    "loaded_backends",
    "register_backend",
    "registered_backends",
    "set_backend",
    "unregister_backend",
    "use_backend",
]


@dataclasses.dataclass(frozen=True)
class BackendEntry:
    """What xpnet knows of a backend without importing it (importing CuPy is slow or fails).

    Attributes:
        name: the key users pass: ``XPNET_BACKEND``, ``--backend``, :func:`use_backend`.
        module: the import path of the backend module (the interface in :mod:`._base`).
        arrays: the module that defines its array type, or a package above it: an array whose
            ``type(x).__module__`` is ``arrays`` or inside it belongs to this backend.
        gpu: it needs a GPU; the test fixtures mark it ``gpu``.
        timed: ``xpnet bench`` offers it. ``False`` for an emulator, whose times measure the
            emulation rather than the kernels.
    """

    name: str
    module: str
    arrays: str
    gpu: bool = False
    timed: bool = True


DEFAULT_BACKEND = "numpy"  # where XPNET_BACKEND is unset

_entries: dict[str, BackendEntry] = {}  # in registration order: the order choices are listed
_owners: dict[str, str] = {}  # BackendEntry.arrays -> name, for dispatch
_type_owners: dict[type, str | None] = {}  # backend_name_of's answers: every kernel call asks
_stack = threading.local()  # per thread: use_backend on one thread must not leak into another
_default: ModuleType | None = None


def register_backend(
    name: str, module: str, arrays: str, *, gpu: bool = False, timed: bool = True
) -> BackendEntry:
    """Add a backend: ``name`` is then accepted everywhere a backend is chosen.

    See :class:`BackendEntry` for the arguments. Registering a name again replaces its entry in
    place. The module is imported only when the backend is first used.

    Raises:
        ValueError: if another backend already owns ``arrays``.

    Example:
        >>> register_backend("toy", "toy_backend", arrays="toy_backend").gpu
        False
        >>> backend_names()
        ['numpy', 'strict', 'cupy', 'toy']
        >>> unregister_backend("toy")
    """
    owner = _owners.get(arrays, name)
    if owner != name:
        msg = f"register_backend: arrays={arrays!r} already belong to the {owner!r} backend"
        raise ValueError(msg)
    previous = _entries.get(name)
    if previous is not None:
        del _owners[previous.arrays]
    entry = BackendEntry(name, module, arrays, gpu=gpu, timed=timed)
    _entries[name] = entry  # a replaced entry keeps its place in the order
    _owners[arrays] = name
    _type_owners.clear()
    return entry


def unregister_backend(name: str) -> None:
    """Remove backend ``name`` from the registry (tests that add a toy backend call this)."""
    entry = _entries.pop(name, None)
    if entry is None:
        msg = f"unregister_backend: {_not_a_backend(name)}"
        raise ValueError(msg)
    del _owners[entry.arrays]
    _type_owners.clear()


def _not_a_backend(name: str) -> str:
    choices = ", ".join(repr(key) for key in _entries)
    return f"{name!r} is not a backend; choose one of {choices}"


def registered_backends() -> tuple[BackendEntry, ...]:
    """Every registry entry, in registration order, whether or not it loads here."""
    return tuple(_entries.values())


def backend_names() -> list[str]:
    """The registered backend names, in order: the valid values of ``XPNET_BACKEND``.

    Example:
        >>> backend_names()
        ['numpy', 'strict', 'cupy']
    """
    return list(_entries)


def load_backend(name: str) -> ModuleType:
    """Import and return the backend module called ``name``.

    Raises:
        ValueError: if ``name`` is not a registered backend.
        ImportError: if the backend cannot run here (CuPy missing, no GPU), with the fix.
    """
    entry = _entries.get(name)
    if entry is None:
        raise ValueError(_not_a_backend(name))
    # every kernel call asks: sys.modules answers in 0.1 us, import_module takes 4
    return sys.modules.get(entry.module) or importlib.import_module(entry.module)


def loaded_backends() -> list[ModuleType]:
    """The registered backends already imported in this process, in registration order.

    Imports nothing: a backend that was never used holds no memory, and importing CuPy just
    to empty its pools would be slow (or fail). :func:`xpnet.empty_cache` walks this list.
    """
    modules = (sys.modules.get(entry.module) for entry in _entries.values())
    return [module for module in modules if module is not None]


def float_errors_ignored():
    """A context in which every loaded backend gives IEEE results (inf, NaN) without warnings.

    Every kernel runs in it: an inf or NaN input reaches exactly the outputs it reaches in
    PyTorch, as values, never as a NumPy ``RuntimeWarning`` (CuPy never warns).
    """
    return _FloatErrorsIgnored()


class _FloatErrorsIgnored:
    """:func:`float_errors_ignored`'s context: a class, as it wraps every kernel call
    (~2 us, where a generator context with an ``ExitStack`` took ~6)."""

    __slots__ = ("contexts",)

    def __enter__(self):
        # NumPy's even unused yet: the kernel may be its first use; strict shares its errstate
        quiet = {load_backend("numpy").ignore_float_errors}
        quiet.update(module.ignore_float_errors for module in loaded_backends())
        self.contexts = [make() for make in quiet]
        for context in self.contexts:
            context.__enter__()

    def __exit__(self, *exception):
        for context in reversed(self.contexts):
            context.__exit__(*exception)


def available_backends() -> list[str]:
    """Names of the backends that load on this machine (``cupy`` needs a GPU)."""
    names = []
    for name in _entries:
        try:
            load_backend(name)
        except ImportError:
            continue
        names.append(name)
    return names


def backend_from_environment() -> str | None:
    """The backend ``XPNET_BACKEND`` names (case and spaces ignored), or ``None`` if unset.

    Raises:
        ValueError: if it names no registered backend; the message lists the choices.
    """
    name = os.environ.get("XPNET_BACKEND", "").strip().lower()
    if not name:
        return None
    if name not in _entries:
        msg = f"XPNET_BACKEND={name!r}: {_not_a_backend(name)}"
        raise ValueError(msg)
    return name


def default_backend_name() -> str:
    """The backend ``XPNET_BACKEND`` names, else :data:`DEFAULT_BACKEND` (``"numpy"``).

    Read afresh on each call (the ``xpnet`` command asks once per run); :func:`get_backend`
    reads it once per process. Raises ``ValueError`` as :func:`backend_from_environment` does.
    """
    return backend_from_environment() or DEFAULT_BACKEND


def get_backend() -> ModuleType:
    """The current backend: the innermost :func:`use_backend`, else the default.

    The default is :func:`default_backend_name`, read the first time it is needed;
    :func:`set_backend` changes it.
    """
    stack = getattr(_stack, "backends", None)
    if stack:
        return stack[-1]
    global _default
    if _default is None:
        _default = load_backend(default_backend_name())
    return _default


def set_backend(name: str) -> ModuleType:
    """Make ``name`` the default backend for new arrays, layers and data loaders."""
    global _default
    _default = load_backend(name)
    return _default


@contextlib.contextmanager
def use_backend(name: str):
    """Use backend ``name`` inside a ``with`` block (per thread); yields the backend.

    Example:
        >>> import xpnet
        >>> with xpnet.use_backend("strict") as backend:
        ...     backend.name
        'strict'
    """
    backend = load_backend(name)
    stack = _stack.__dict__.setdefault("backends", [])
    stack.append(backend)
    try:
        yield backend
    finally:
        stack.pop()


def backend_name_of(array) -> str | None:
    """The name of the backend whose array type ``array`` has, or ``None``; imports nothing.

    The type's module and then each package above it are looked up among the entries'
    ``arrays``: ``numpy.ndarray`` (module ``numpy``) is numpy's, a type from
    ``xpnet.backends.strict._array`` is strict's.

    Example:
        >>> backend_name_of(xp.ones(2)), backend_name_of(2.0)
        ('numpy', None)
    """
    kind = type(array)
    try:
        return _type_owners[kind]
    except KeyError:
        pass
    name, module = None, kind.__module__ or ""
    while module and name is None:
        name = _owners.get(module)
        module = module.rpartition(".")[0]
    _type_owners[kind] = name
    return name
