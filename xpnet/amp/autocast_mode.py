"""``autocast``: run matmul-class operations in float16 and precision-sensitive ones in float32.

PyTorch's automatic mixed precision (``torch.autocast``), for every
:class:`xpnet.autograd.Function`: inside an enabled region, ``Function.__call__`` hands the
arrays of each call to :func:`cast_arguments` before the kernel runs. The op's name (its kernel's
``__name__``) picks the policy, by PyTorch's CUDA lists (:mod:`.autocast_lists`):

- :data:`LOWER_PRECISION_OPS` (convolutions, ``linear``, ``matmul``, ``prelu``): floating arrays
  are cast to the region's dtype (float16). The kernels compute float16 in float32 and round
  the result once (:func:`xpnet.kernels._blocks.compute_dtype`): float32 accumulation.
- :data:`FLOAT32_OPS` (reductions, ``exp``/``log`` and the other pointwise functions that
  overflow or lose precision, norms, distances, softmax, losses, ``interpolate`` but its
  ``'area'`` mode): floating arrays narrower than float32 are cast to float32, so these ops
  run and return float32. Those of :data:`SET_OPT_DTYPE_OPS` (``sum``, ``softmax``,
  ``cumsum``, the norms, ...) keep a ``dtype=`` given instead (:func:`keep_given_dtype`).
- :data:`BANNED_OPS` (``binary_cross_entropy``): refused, as in PyTorch.
- :data:`PROMOTE_OPS` (``dot``, ``tensordot``, ``cross``, ``bilinear``, ``index_put``, ...):
  PyTorch's "promote" list (most refuse two dtypes outside a region): floating arrays are
  cast to the widest floating dtype among them (float16 beside float32: float32; float64 is
  left alone, as in PyTorch). :func:`promote_operands` does it for those xpnet composes of
  others, before their dtype checks.
- any other op (activations, pooling, dropout, ``+``, ...) runs in the dtype it gets; where two
  dtypes meet (``float16 + float32``), the op's own promotion to the wider one applies.

Casting happens on the arrays handed to the kernel, not on the Tensors of the graph: the
backward gets the cast arrays, returns gradients in their dtype, and
:meth:`Tensor.backward <xpnet.Tensor.backward>` casts each gradient to its input's dtype
(float32 master weights get float32 gradients). Kernel code never sees autocast.

The state is per thread, as PyTorch's: a region in one thread does not change another.
"""

from __future__ import annotations

import functools
import inspect
import threading

import numpy

from .autocast_lists import (
    BANNED_OPS,
    FLOAT32_OPS,
    LOWER_PRECISION_OPS,
    PROMOTE_OPS,
    SET_OPT_DTYPE_OPS,
)

__all__ = [
    "BANNED_OPS",
    "FLOAT32_OPS",
    "LOWER_PRECISION_OPS",
    "PROMOTE_OPS",
    "SET_OPT_DTYPE_OPS",
    "autocast",
    "cast_arguments",
    "get_autocast_dtype",
    "is_autocast_available",
    "is_autocast_enabled",
    "keep_given_dtype",
    "promote_operands",
]

LOWER_DTYPES = ("float16",)

_state = threading.local()


def is_autocast_enabled(device_type=None) -> bool:
    """True inside an enabled :class:`autocast` region of this thread, as
    ``torch.is_autocast_enabled`` (also ``xpnet.is_autocast_enabled``).

    ``device_type`` (``"cuda"``, ``"cpu"`` or ``None``; ``ValueError`` otherwise) is accepted
    for PyTorch scripts: xpnet has one region state per thread, whichever device the arrays
    are on, so a region opened for ``"cpu"`` answers ``True`` for ``"cuda"`` too (PyTorch keeps
    one state per device type).
    """
    _check_device_type("is_autocast_enabled", device_type)
    return getattr(_state, "dtype", None) is not None


def get_autocast_dtype(device_type=None) -> numpy.dtype:
    """The lower-precision dtype of the current region, float16 (also outside one), as a NumPy
    dtype (``xpnet.float16``), as ``torch.get_autocast_dtype`` (also
    ``xpnet.get_autocast_dtype``).

    ``device_type``: as for :func:`is_autocast_enabled`; PyTorch requires it, xpnet's one state
    also answers without. PyTorch's CPU default, bfloat16, xpnet lacks: ``"cpu"`` answers
    float16 too.

    Example:
        >>> import xpnet
        >>> with xpnet.autocast("cuda"):
        ...     xpnet.is_autocast_enabled("cuda"), xpnet.get_autocast_dtype("cuda")
        (True, dtype('float16'))
    """
    _check_device_type("get_autocast_dtype", device_type)
    return numpy.dtype(_region_dtype())


def is_autocast_available(device_type: str) -> bool:
    """Whether :class:`autocast` runs for ``device_type``, as
    ``torch.amp.is_autocast_available``: ``True`` for xpnet's device types ``"cuda"`` and
    ``"cpu"`` (with an index, ``"cuda:0"``, too), GPU or not (PyTorch's CPU build also answers
    ``True`` for ``"cuda"``); ``False`` for any other string (a device xpnet does not have,
    where PyTorch raises ``RuntimeError`` for a name that is no device type).

    Args:
        device_type: a device type, as ``Tensor.device.type``.

    Returns:
        Whether autocast is available there.

    Raises:
        TypeError: ``device_type`` is not a string (as PyTorch).

    Example:
        >>> is_autocast_available("cuda"), is_autocast_available("xpu")
        (True, False)
    """
    if not isinstance(device_type, str):
        msg = (
            "is_autocast_available: device_type must be a str, got "
            f"{type(device_type).__name__} {device_type!r}"
        )
        raise TypeError(msg)
    return device_type.partition(":")[0] in ("cuda", "cpu")


def _region_dtype() -> str:
    """The name of the current region's lower-precision dtype (``"float16"`` outside one)."""
    return getattr(_state, "dtype", None) or "float16"


def _check_device_type(where: str, device_type) -> None:
    if device_type not in (None, "cuda", "cpu"):
        msg = f"{where}: device_type must be 'cuda', 'cpu' or None, got {device_type!r}"
        raise ValueError(msg)


def _check_flag(name: str, value) -> None:
    if not isinstance(value, bool):
        msg = f"autocast: {name} must be a bool, got {type(value).__name__} {value!r}"
        raise TypeError(msg)


def _checked_dtype(dtype) -> str:
    """The dtype's name: from a string, a NumPy dtype or type, or a ``torch.dtype``."""
    name = "float16" if dtype is None else str(dtype).removeprefix("torch.")
    if name not in (*LOWER_DTYPES, "bfloat16"):
        try:
            name = numpy.dtype(dtype).name
        except TypeError:
            pass
    if name == "bfloat16":
        msg = (
            "autocast: dtype bfloat16 is not supported: neither NumPy nor CuPy has a bfloat16 "
            "dtype (ml_dtypes is not a dependency); use float16"
        )
        raise TypeError(msg)
    if name not in LOWER_DTYPES:
        msg = f"autocast: dtype must be float16, got {dtype!r}"
        raise TypeError(msg)
    return name


class autocast:  # noqa: N801 - the name PyTorch users know
    """Context manager (or decorator) in which operations run in mixed precision.

    Convolutions, ``linear`` and ``matmul`` run in ``dtype`` (with float32 accumulation);
    reductions, norms, softmax and losses in float32; ``dot``, ``tensordot``, ``cross`` and the
    other ops of PyTorch's "promote" list in the widest dtype of their operands; other ops in
    the dtype they get (see :mod:`xpnet.amp.autocast_mode` for the lists). Parameters stay
    float32 ("master weights") and get float32 gradients. Regions nest: an inner
    ``autocast(enabled=False)`` turns it off for its block (cast float16 activations back with
    ``.astype`` yourself there, as in PyTorch), and the outer setting returns when the block
    ends.

    Args:
        device_type: ``"cuda"``, ``"cpu"`` or ``None``, accepted for PyTorch scripts: the
            arrays' backend decides where ops run. Default: ``None``.
        dtype: the lower precision, ``"float16"`` (a NumPy dtype or ``torch.float16`` also
            work). Default: float16.
        enabled: whether casting happens in the region. Default: ``True``.
        cache_enabled: accepted for PyTorch scripts; xpnet casts weights at each op call
            (no cache). Default: ``None``.

    Raises:
        TypeError: ``dtype`` is not float16 (bfloat16: NumPy and CuPy lack the dtype), or
            ``enabled`` is not a bool, or ``cache_enabled`` neither a bool nor ``None`` (as in
            PyTorch).
        ValueError: ``device_type`` is not ``"cuda"``, ``"cpu"`` or ``None``.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.Linear(4, 2)
        >>> with xpnet.autocast(dtype="float16"):
        ...     out = layer(xpnet.Tensor(np.ones((3, 4), dtype="float32")))
        >>> out.dtype, layer.weight.dtype
        (dtype('float16'), dtype('float32'))
    """

    def __init__(self, device_type=None, dtype=None, enabled: bool = True, cache_enabled=None):
        _check_device_type("autocast", device_type)
        # as torch: a truthy string such as "false" must not silently turn autocast on
        _check_flag("enabled", enabled)
        if cache_enabled is not None:
            _check_flag("cache_enabled", cache_enabled)
        self.device_type = device_type
        self.fast_dtype = _checked_dtype(dtype)
        self.enabled = enabled
        self.cache_enabled = cache_enabled
        # a stack per thread: the same object may be entered again (recursion), and a decorated
        # function may run in several threads at once, each restoring its own previous state
        self._local = threading.local()

    def __getstate__(self) -> dict:
        # a thread-local cannot be pickled or deep-copied; a copy starts outside any region
        return {key: value for key, value in self.__dict__.items() if key != "_local"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _local=threading.local())

    def _previous(self) -> list:
        return self._local.__dict__.setdefault("previous", [])

    def __enter__(self):
        self._previous().append(getattr(_state, "dtype", None))
        _state.dtype = self.fast_dtype if self.enabled else None
        return self

    def __exit__(self, *exc_info):
        _state.dtype = self._previous().pop()

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return wrapper


def _cast(value, dtype: str, widen_only: bool):
    """``value`` as ``dtype`` if it is a floating array (only if narrower, if ``widen_only``)."""
    array_dtype = getattr(value, "dtype", None)
    if array_dtype is None or array_dtype.kind != "f" or array_dtype == dtype:
        return value
    if widen_only and array_dtype.itemsize >= 4:  # float64 stays float64, as in PyTorch
        return value
    if not widen_only and array_dtype != "float32":  # float64 stays float64, as in PyTorch
        return value
    return value.astype(dtype)


def cast_operand(name: str, tensor):
    """``tensor`` cast by the current region's policy for op ``name``, as a recorded
    ``Tensor.to`` (its gradient flows back in the tensor's own dtype).

    For the ops xpnet composes of others (``addmm``: a product plus ``input``), where
    :class:`xpnet.autograd.Function` sees only the parts: the product is cast as ``matmul``,
    and ``input`` must be cast too, or adding it would promote the result back to float32.
    Likewise the hidden state of a recurrent cell, the operands of ``linalg.vecdot``, and the
    input of ``renorm`` and of ``linalg.matrix_norm`` (float32 ops).
    """
    policy = _policy(name) if is_autocast_enabled() else None
    if policy is None:
        return tensor
    dtype, widen_only = policy
    return tensor if _cast(tensor.array, dtype, widen_only) is tensor.array else tensor.to(dtype)


def keep_given_dtype(function):
    """``function`` (an op of :data:`SET_OPT_DTYPE_OPS` with a ``dtype`` argument) run outside
    the autocast region when the call gives a ``dtype``: PyTorch's ``fp32_set_opt_dtype``
    policy widens to float32 only an op called without one (``sum(x16)`` is float32,
    ``sum(x16, dtype=torch.float16)`` float16), and runs the op itself outside autocast.

    Example:
        >>> import xpnet
        >>> with xpnet.autocast():
        ...     x = xpnet.ones(3, dtype=xpnet.float16)
        ...     x.sum().dtype, x.sum(dtype=xpnet.float16).dtype
        (dtype('float32'), dtype('float16'))
    """
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if not is_autocast_enabled() or _given_dtype(signature, args, kwargs) is None:
            return function(*args, **kwargs)
        with autocast(enabled=False):
            return function(*args, **kwargs)

    return wrapper


def _given_dtype(signature: inspect.Signature, args: tuple, kwargs: dict):
    """The ``dtype`` argument of a call, ``None`` if not given (or the call does not bind:
    the op then raises its own error)."""
    if "dtype" in kwargs:
        return kwargs["dtype"]
    try:
        return signature.bind(*args, **kwargs).arguments.get("dtype")
    except TypeError:
        return None


def _interpolate_policy(args: tuple, kwargs: dict) -> tuple[str, bool] | None:
    """float32 for every mode of ``interpolate`` but ``'area'``: PyTorch's upsample ops are on
    its float32 list, its ``'area'`` mode (an adaptive average pool) on none."""
    mode = kwargs.get("mode", args[3] if len(args) > 3 else "nearest")  # input, size, scale
    return None if mode == "area" else ("float32", True)


def _policy(name: str) -> tuple[str, bool] | None:
    """``(dtype, widen_only)`` for op ``name`` in the current region, ``None`` for an op on
    no list (run as it comes)."""
    if name in LOWER_PRECISION_OPS:
        return _region_dtype(), False
    if name in FLOAT32_OPS:
        return "float32", True
    if name in BANNED_OPS:
        msg = (
            f"{name}: unsafe to autocast (float16 probabilities round to 0 and 1); use "
            "binary_cross_entropy_with_logits, or an autocast(enabled=False) region with "
            "float32 inputs"
        )
        raise RuntimeError(msg)
    return None


def _widest(values) -> tuple[str, bool] | None:
    """The "promote" policy for ``values``: widen to float32 if one is float32 (PyTorch's
    widest of float16 and float32; float64 is no candidate), else nothing to cast."""
    float32 = numpy.dtype("float32")
    return ("float32", True) if any(getattr(v, "dtype", None) == float32 for v in values) else None


def promote_operands(*values) -> tuple:
    """``values`` as PyTorch's autocast hands them to an op of its "promote" list: inside an
    enabled region, float16 Tensors and arrays widened to float32 if one of ``values`` is
    float32 (a Tensor by a recorded ``Tensor.to``: its gradient comes back as float16);
    unchanged outside one, and for non-floating, float64 and non-array values.

    For the ops of :data:`PROMOTE_OPS` that xpnet composes of others (``tensordot``, ``dot``,
    ``cross``, ``index_put``, ...): called before their checks, which refuse two dtypes.

    Example:
        >>> import xpnet
        >>> half, single = xpnet.ones(2, dtype=xpnet.float16), xpnet.ones(2)
        >>> with xpnet.autocast():
        ...     a, b, c = promote_operands(half, single, 2.0)
        >>> a.dtype, b.dtype, c
        (dtype('float32'), dtype('float32'), 2.0)
    """
    if not is_autocast_enabled() or _widest(values) is None:
        return values
    return tuple(_widened(value) for value in values)


def _widened(value):
    """A float16 Tensor or array as float32 (the Tensor's cast recorded); others unchanged."""
    dtype = getattr(value, "dtype", None)
    if dtype is None or dtype.kind != "f" or dtype.itemsize >= 4:
        return value
    # Tensors cast with ``to`` (recorded), backend arrays (no ``requires_grad``) with astype
    return value.to("float32") if hasattr(value, "requires_grad") else value.astype("float32")


def cast_arguments(name: str, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The arrays of a call of op ``name``, cast by the current region's policy.

    Called by :class:`xpnet.autograd.Function` on the arrays (not Tensors) of every call while
    :func:`is_autocast_enabled`; returns ``(args, kwargs)`` unchanged for ops on no list.

    Raises:
        RuntimeError: ``name`` is in :data:`BANNED_OPS`.
    """
    if name in PROMOTE_OPS:
        policy = _widest((*args, *kwargs.values()))
    elif name == "interpolate":
        policy = _interpolate_policy(args, kwargs)
    else:
        policy = _policy(name)
    if policy is None:
        return args, kwargs
    dtype, widen_only = policy
    args = tuple(_cast(value, dtype, widen_only) for value in args)
    kwargs = {key: _cast(value, dtype, widen_only) for key, value in kwargs.items()}
    return args, kwargs
