"""The switches ported scripts set at the top, as ``torch.<name>`` (:data:`__all__`):
``compile`` (which returns its model unchanged: xpnet does not compile), the deterministic
algorithm settings (stored and reported: xpnet's kernels are deterministic by design),
``set_printoptions`` (how Tensors print: :mod:`xpnet._tensor_print`), the default device (the
current backend, :mod:`xpnet.devices`), the inter-op thread count, ``set_warn_always``,
``set_flush_denormal``, ``is_inference_mode_enabled``/``is_inference`` and ``typename``.
Neighbours: the grad modes (:mod:`xpnet._grad_mode`), the backends' thread and precision
settings (:mod:`xpnet.backends`).

Example:
    >>> import xpnet
    >>> model = xpnet.compile(xpnet.nn.Linear(2, 1))
    >>> type(model).__name__, xpnet.are_deterministic_algorithms_enabled()
    ('Linear', False)
    >>> xpnet.typename(xpnet.zeros(1)), xpnet.get_default_device()
    ('xpnet.FloatTensor', device(type='cpu'))
"""

from __future__ import annotations

import numbers

from . import devices
from ._tensor_print import set_printoptions  # how Tensors print: PyTorch's port
from .autograd import Tensor
from .backends import get_backend, set_backend
from .kernels import ArgumentError

__all__ = ["compile", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled"]
__all__ += ["is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode"]
__all__ += ["get_deterministic_debug_mode", "set_printoptions", "set_default_device"]
__all__ += ["get_default_device", "get_num_interop_threads", "set_num_interop_threads"]
__all__ += ["set_warn_always", "is_warn_always_enabled", "set_flush_denormal"]
__all__ += ["is_inference_mode_enabled", "is_inference", "typename"]

# the settings scripts store and read back: xpnet runs the same way whatever they say
_settings = {"deterministic": False, "warn_only": False, "warn_always": False, "interop": 1}
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def compile(  # noqa: A001 - torch's name
    model=None,
    *,
    fullgraph: bool = False,
    dynamic=None,
    backend="inductor",
    mode=None,
    options=None,
    disable: bool = False,
):
    """``model`` (a Module or a function) unchanged, as ``torch.compile`` returns it compiled;
    called without ``model``, a decorator that returns its function unchanged.

    Note:
        xpnet does not compile: its kernels are NumPy/CuPy calls (CuPy fuses elementwise
        chains of its own, see :mod:`xpnet.backends`). The options are accepted and ignored,
        so that a ported script runs as written.

    Raises:
        TypeError: ``model`` neither callable nor ``None``.

    Example:
        >>> import xpnet
        >>> @xpnet.compile(mode="max-autotune")
        ... def double(x):
        ...     return 2 * x
        >>> double(xpnet.tensor([1.0])).tolist()
        [2.0]
    """
    if model is None:
        return lambda function: compile(function)
    if not callable(model):
        msg = f"compile: model must be a Module or a function, got {type(model).__name__}"
        raise TypeError(msg)
    return model


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms, as ``torch.use_deterministic_algorithms``: stored
    and reported by :func:`are_deterministic_algorithms_enabled`; xpnet's kernels (scatter
    adds included) give the same bits on every run whatever it says.

    Raises:
        TypeError: ``mode`` or ``warn_only`` not a bool, as PyTorch.
    """
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            msg = f"use_deterministic_algorithms: {name} must be a bool, got "
            raise TypeError(f"{msg}{type(value).__name__}")
    _settings["deterministic"], _settings["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` was last given ``True``."""
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` was last given ``warn_only=True``."""
    return _settings["warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    """``torch.set_deterministic_debug_mode``: 0 or ``'default'`` (off), 1 or ``'warn'``,
    2 or ``'error'`` (on, ``warn_only`` as 1 says), through
    :func:`use_deterministic_algorithms`.

    Raises:
        RuntimeError: a string other than the three, or an int other than 0, 1, 2 (PyTorch's).
        TypeError: neither a string nor an int.
    """
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            msg = "set_deterministic_debug_mode: debug_mode must be 'default', 'warn' or "
            raise RuntimeError(f"{msg}'error', got {debug_mode!r}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, numbers.Integral) or isinstance(debug_mode, bool):
        msg = "set_deterministic_debug_mode: debug_mode must be a str or an int, got "
        raise TypeError(f"{msg}{type(debug_mode).__name__}")
    if debug_mode not in (0, 1, 2):
        msg = f"set_deterministic_debug_mode: debug_mode must be 0, 1 or 2, got {debug_mode}"
        raise RuntimeError(msg)
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0, 1 or 2, as ``torch.get_deterministic_debug_mode``: off, on with warnings, on."""
    if not _settings["deterministic"]:
        return 0
    return 1 if _settings["warn_only"] else 2


def set_default_device(device) -> None:
    """Make ``device`` (``'cpu'``, ``'cuda'``, a :class:`xpnet.device` or a backend name;
    ``None`` for the CPU) where new tensors go, as ``torch.set_default_device``: xpnet's
    default backend (:func:`xpnet.set_backend`, the backend of :func:`xpnet.devices.backend_name`).

    Raises:
        RuntimeError: ``'cuda'`` without CUDA. ValueError: an unknown device.
    """
    set_backend(devices.backend_name("cpu" if device is None else device))


def get_default_device() -> devices.device:
    """The device new tensors go to (the current backend's), as ``torch.get_default_device``."""
    return devices.device_of(get_backend().name)


def get_num_interop_threads() -> int:
    """The inter-op thread count last set (1 at first), as ``torch.get_num_interop_threads``;
    xpnet runs one op at a time: its threads are :func:`xpnet.get_num_threads`."""
    return _settings["interop"]


def set_num_interop_threads(num: int) -> None:
    """Store ``num`` for :func:`get_num_interop_threads`, as ``torch.set_num_interop_threads``
    (xpnet runs one op at a time, whatever it is).

    Raises:
        TypeError: ``num`` not an int. ArgumentError: ``num`` below 1.
    """
    if not isinstance(num, numbers.Integral) or isinstance(num, bool):
        raise TypeError(f"set_num_interop_threads: num must be an int, got {type(num).__name__}")
    if num < 1:
        raise ArgumentError(f"set_num_interop_threads: num must be at least 1, got {num}")
    _settings["interop"] = int(num)


def set_warn_always(b: bool) -> None:
    """Store ``b`` for :func:`is_warn_always_enabled`, as ``torch.set_warn_always`` (xpnet's
    warnings follow Python's ``warnings`` filters)."""
    _settings["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    """What :func:`set_warn_always` last stored (``False`` at first)."""
    return _settings["warn_always"]


def set_flush_denormal(mode: bool) -> bool:
    """``False``, as ``torch.set_flush_denormal`` on a CPU without the switch: NumPy has no
    flush-to-zero mode, so subnormal numbers stay (``mode`` is ignored)."""
    return False


def is_inference_mode_enabled() -> bool:
    """``False``: xpnet's :class:`xpnet.inference_mode` is :class:`xpnet.no_grad` (there are
    no inference tensors), so :func:`xpnet.is_grad_enabled` is the question to ask."""
    return False


def is_inference(input) -> bool:
    """``False``, as ``torch.is_inference`` of a tensor made outside inference mode: xpnet has
    no inference tensors (also the Tensor method).

    Raises:
        TypeError: ``input`` not a Tensor.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"is_inference: input must be a Tensor, got {type(input).__name__}")
    return False


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}
_TYPE_NAMES.update(int32="Int", int16="Short", int8="Char", uint8="Byte", bool="Bool")


def typename(obj) -> str:
    """The type of ``obj`` as a string, as ``torch.typename``: ``'xpnet.FloatTensor'`` for a
    float32 Tensor (PyTorch's ``torch.FloatTensor``), a class's module and name otherwise
    (without the module for builtins).
    """
    if isinstance(obj, Tensor):
        return f"xpnet.{_TYPE_NAMES.get(obj.dtype.name, obj.dtype.name)}Tensor"
    module, name = type(obj).__module__, type(obj).__qualname__
    return name if module == "builtins" else f"{module}.{name}"


METHODS = {"is_inference": is_inference}
