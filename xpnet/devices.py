"""PyTorch's device strings (``"cpu"``, ``"cuda"``, ``"cuda:0"``) mapped to xpnet's backends.

A :class:`device` names where arrays live, as :class:`torch.device` does; xpnet keeps arrays
on a *backend*, so ``"cpu"`` means a host backend (the current one when it is a CPU backend,
``numpy`` or ``strict``; otherwise ``numpy``) and ``"cuda"`` means the CuPy backend, on the
current CUDA device. :meth:`xpnet.nn.Module.to`, :meth:`xpnet.Tensor.to` and the data
loader's batches accept either form. :mod:`xpnet.cuda` and :mod:`xpnet.accelerator` answer
whether a GPU is there.

Example:
    >>> import xpnet
    >>> xpnet.device("cuda:0"), str(xpnet.device("cpu")), xpnet.device("cpu").type
    (device(type='cuda', index=0), 'cpu', 'cpu')
    >>> xpnet.devices.backend_name("cpu") in ("numpy", "strict")
    True
"""

from __future__ import annotations

import numpy

from .backends import backend_names, backend_of, get_backend, load_backend, registered_backends
from .kernels import ArgumentError

__all__ = [
    "backend_name",
    "DeviceError",
    "device",
    "device_of",
    "gpu_backend_name",
    "gpu_problem",
    "to_arguments",
]

_TYPES = ("cpu", "cuda")


class DeviceError(ArgumentError):
    """A malformed device or one of another type: an :class:`~xpnet.kernels.ArgumentError`
    (a ``ValueError``, and the ``RuntimeError`` that ``torch.device`` raises)."""


class device:  # noqa: N801 - PyTorch's name
    """A place for arrays: ``device("cpu")``, ``device("cuda")``, ``device("cuda", 0)``.

    Args:
        type: ``"cpu"`` or ``"cuda"``, optionally with ``":<index>"``; or a :class:`device`.
        index: the device number. Default: ``None`` (the current device). A ``cpu`` index
            is kept, as PyTorch's, and means the host as ``"cpu"`` does.

    Raises:
        DeviceError: (a ``ValueError``) for another device type, a malformed string, a
            negative index, or an index given twice.

    Example:
        >>> device("cuda", 1), device(device("cpu")) == device("cpu")
        (device(type='cuda', index=1), True)
    """

    def __init__(self, type, index: int | None = None) -> None:  # noqa: A002 - torch's name
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            msg = f"device: expected a string such as 'cpu' or 'cuda:0', got {type!r}"
            raise DeviceError(msg)
        kind, _, number = type.strip().lower().partition(":")
        if number:
            if index is not None or not number.isdigit():
                msg = f"device: expected '<type>' or '<type>:<index>' (index >= 0), got {type!r}"
                raise DeviceError(msg)
            index = int(number)
        if kind not in _TYPES:
            msg = f"device: expected a device type in {list(_TYPES)}, got {type!r}"
            raise DeviceError(msg)
        if index is not None and (not isinstance(index, int) or index < 0):
            msg = f"device: index must be a non-negative int, got {index!r} for {kind!r}"
            raise DeviceError(msg)
        self.type, self.index = kind, index

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except DeviceError:
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def gpu_backend_name() -> str:
    """The name of the registered backend that needs a GPU (``"cupy"``)."""
    return next(entry.name for entry in registered_backends() if entry.gpu)


def gpu_problem() -> str | None:
    """Why the GPU backend does not load here (CuPy or a CUDA device missing), or None."""
    try:
        load_backend(gpu_backend_name())
    except ImportError as error:
        return str(error)
    return None


def _is_gpu(name: str) -> bool:
    return any(entry.gpu for entry in registered_backends() if entry.name == name)


def backend_name(where) -> str:
    """The backend that a device or a backend name stands for.

    Args:
        where: a :class:`device`, a device string (``"cpu"``, ``"cuda"``, ``"cuda:0"``) or a
            backend name (``"numpy"``, ``"strict"``, ``"cupy"``).

    Returns:
        A backend name: for ``"cpu"``, the current backend if it runs on the host, else
        ``"numpy"``; for ``"cuda"``, the GPU backend.

    Raises:
        RuntimeError: for ``"cuda"`` when CUDA is not available (the message says why), or
            for an index other than the current CUDA device's.
        DeviceError: (a ``ValueError``) for anything else.
    """
    if isinstance(where, str) and where.strip().lower() in {e.name for e in registered_backends()}:
        return where.strip().lower()
    where = device(where)
    if where.type == "cpu":
        current = get_backend().name
        return "numpy" if _is_gpu(current) else current
    problem = gpu_problem()
    if problem is not None:
        msg = f"device {str(where)!r}: CUDA is not available: {problem}"
        raise RuntimeError(msg)
    current = load_backend(gpu_backend_name()).xp.cuda.Device().id
    if where.index is not None and where.index != current:
        msg = (
            f"device {str(where)!r}: xpnet uses one GPU per process, the current CUDA device "
            f"{current}; choose it with CUDA_VISIBLE_DEVICES or cupy.cuda.Device({where.index})"
        )
        raise RuntimeError(msg)
    return gpu_backend_name()


def device_of(backend: str) -> device:
    """The :class:`device` of arrays on ``backend`` (a backend name)."""
    return device("cuda" if _is_gpu(backend) else "cpu")


def _is_place(value) -> bool:
    if isinstance(value, device):
        return True
    name = value.strip().lower() if isinstance(value, str) else ""
    return name in backend_names() or name.partition(":")[0] in _TYPES


def to_arguments(where: str, args: tuple, kwargs: dict) -> tuple:
    """``(place, dtype)``, each ``None`` where not given, from the arguments of PyTorch's
    ``to`` (``Tensor.to`` and ``Module.to``): positional devices (a :class:`device`, a device
    string or a backend name; ``None``: none), dtypes and Tensors (their backend and dtype), in
    any order;
    bools (``non_blocking``, positionally) and the keyword ``non_blocking`` are accepted
    (copies are synchronous); ``device=`` and ``dtype=`` keywords.

    Raises:
        DeviceError: a string that is neither a device nor a dtype (a ``ValueError``).
        TypeError: another argument that is neither a device, a dtype nor a Tensor, or
            another keyword.

    Example:
        >>> to_arguments("Tensor.to", ("cpu", "float64"), {})
        ('cpu', dtype('float64'))
    """
    kwargs = dict(kwargs)
    place, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        msg = f"{where}: unexpected keyword arguments {sorted(kwargs)}"
        raise TypeError(msg)
    for arg in args:
        if arg is None or isinstance(arg, bool):  # no device (PyTorch's too); non_blocking
            continue
        if _is_place(arg):
            place = arg
        elif hasattr(arg, "grad_fn"):  # a Tensor: its backend and dtype
            place, dtype = backend_of(arg.array).name, arg.dtype
        else:
            try:
                dtype = numpy.dtype(arg)
            except TypeError:
                msg = f"{where}: expected a device (e.g. 'cuda') or a dtype, got {arg!r}"
                # a string: a malformed device to PyTorch (its RuntimeError), else a TypeError
                raise (DeviceError if isinstance(arg, str) else TypeError)(msg) from None
    return place, None if dtype is None else numpy.dtype(dtype)
