"""``torch.amp.custom_fwd`` and ``custom_bwd``: the autocast state of a custom autograd
Function's ``forward`` and ``backward`` (:mod:`xpnet._custom_function`).

Inside an :class:`~xpnet.amp.autocast` region a custom Function's own ops would be cast by the
op lists of :mod:`.autocast_mode`; a Function written for one precision declares it with
``custom_fwd(cast_inputs=...)`` (its floating inputs cast, its body run with autocast off),
and ``custom_bwd`` runs ``backward`` under the autocast state ``forward`` ran under, as
PyTorch's.
"""

from __future__ import annotations

import collections.abc
import functools

import numpy

from .autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled

__all__ = ["custom_bwd", "custom_fwd"]


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorate the ``forward(ctx, ...)`` of a custom autograd Function for autocast.

    Args:
        fwd: the ``forward`` staticmethod (left out when called with arguments only, as
            ``@custom_fwd(device_type="cuda")``).
        device_type: ``"cuda"``, ``"cpu"``, ... (required, as PyTorch's). xpnet has one
            autocast state per thread whatever the device, so it picks nothing here.
        cast_inputs: a floating dtype (``xpnet.float32``, ``"float16"``, ``torch.float32``)
            or ``None``. Given, and called inside an autocast region: the floating Tensors
            among the arguments (in lists, tuples and dicts too; float64 ones and arrays
            excepted, as PyTorch's) are cast to it by a recorded cast, and ``forward`` runs with
            autocast off. ``None``: ``forward`` runs under the current state. Outside a
            region it is a no-op. Default: ``None``.

    Returns:
        The decorated ``forward``; it records the region's state on ``ctx`` for
        :func:`custom_bwd`.

    Raises:
        ValueError: ``device_type`` not a string (PyTorch's message).

    Example:
        >>> import xpnet
        >>> class Square(xpnet.autograd.Function):
        ...     @staticmethod
        ...     @custom_fwd(device_type="cpu", cast_inputs=xpnet.float32)
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     @custom_bwd(device_type="cpu")
        ...     def backward(ctx, grad_output):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad_output
        >>> x = xpnet.ones(2, dtype=xpnet.float16, requires_grad=True)
        >>> with xpnet.autocast(dtype="float16"):
        ...     y = Square.apply(x)
        >>> y.dtype, (y.sum().backward(), x.grad.dtype)[1]
        (dtype('float32'), dtype('float16'))
    """
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    dtype = None if cast_inputs is None else _dtype_name(cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(_known(device_type))
        enabled = is_autocast_enabled(_known(device_type))
        if dtype is None:
            ctx._fwd_used_autocast = enabled
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False  # the body ran in cast_inputs, not under autocast
        if not enabled:
            return fwd(*args, **kwargs)
        with autocast(enabled=False):
            return fwd(*_cast(args, dtype), **_cast(kwargs, dtype))

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorate the ``backward(ctx, ...)`` of a custom autograd Function whose ``forward``
    has :func:`custom_fwd`: it runs under the autocast state ``forward`` ran under.

    Args:
        bwd: the ``backward`` staticmethod (left out when called with arguments only).
        device_type: as for :func:`custom_fwd`.

    Returns:
        The decorated ``backward``.

    Raises:
        ValueError: ``device_type`` not a string (PyTorch's message).

    Example:
        >>> import xpnet
        >>> @custom_bwd(device_type="cpu")
        ... def backward(ctx, grad_output):
        ...     return grad_output
        >>> callable(backward)
        True
    """
    _check_device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd


def _check_device_type(device_type) -> None:
    if not isinstance(device_type, str):
        msg = f"Expected `device_type` of type `str`, got: `{type(device_type)}`"
        raise ValueError(msg)


def _known(device_type: str):
    """``device_type`` for :func:`is_autocast_enabled`, which knows ``"cuda"`` and ``"cpu"``;
    another device's (``"xpu"``, ...) asks about the one state xpnet has."""
    return device_type if device_type in ("cuda", "cpu") else None


def _dtype_name(dtype) -> str:
    """``cast_inputs`` as a NumPy dtype name: from a string, a NumPy dtype or a
    ``torch.dtype``; it must be a floating one."""
    text = str(dtype)
    try:
        name = numpy.dtype(text.removeprefix("torch.") if text.startswith("torch.") else dtype).name
    except TypeError:
        name = None
    if name not in ("float16", "float32", "float64"):
        msg = f"custom_fwd: cast_inputs must be a floating dtype or None, got {dtype!r}"
        raise TypeError(msg)
    return name


def _cast(value, dtype: str):
    """``value`` with the floating Tensors in it cast to ``dtype`` (torch.amp's ``_cast``:
    float64 Tensors, arrays and strings stay; lists, tuples and dicts are walked)."""
    if hasattr(value, "grad_fn"):  # a Tensor
        eligible = value.dtype.kind == "f" and value.dtype != numpy.float64
        return value.to(dtype) if eligible and value.dtype != dtype else value
    if isinstance(value, (str, bytes)) or hasattr(value, "__array__"):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(key, dtype): _cast(item, dtype) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(item, dtype) for item in value)
    return value
