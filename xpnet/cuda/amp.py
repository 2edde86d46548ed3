"""``xpnet.cuda.amp``: ``torch.cuda.amp``'s names, deprecated in PyTorch and here, for older
training scripts (``from torch.cuda.amp import autocast, GradScaler``).

Each is :mod:`xpnet.amp`'s with ``device_type="cuda"`` and PyTorch's signature, and warns
``FutureWarning`` when called, as PyTorch's, naming its replacement. ``"cuda"`` decides
nothing in xpnet: the arrays' backend does (see :class:`xpnet.amp.autocast`).

Example:
    >>> import warnings
    >>> import xpnet
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", FutureWarning)
    ...     with autocast():
    ...         xpnet.is_autocast_enabled("cuda")
    True
"""

from __future__ import annotations

import warnings

from .. import amp
from .._dtypes import float16

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd"]


def _warn(name: str, replacement: str) -> None:
    message = f"`xpnet.cuda.amp.{name}(args...)` is deprecated. Please use `{replacement}` instead."
    warnings.warn(message, FutureWarning, stacklevel=3)  # 3: the caller of the deprecated name


class autocast(amp.autocast):  # noqa: N801 - PyTorch's name
    """``torch.cuda.amp.autocast``: :class:`xpnet.amp.autocast` with ``device_type="cuda"``.

    Args:
        enabled: whether casting happens in the region. Default: ``True``.
        dtype: the lower precision (float16 only, see :class:`xpnet.amp.autocast`).
            Default: ``xpnet.float16``.
        cache_enabled: accepted and ignored, as by :class:`xpnet.amp.autocast`.
            Default: ``True``.

    Raises:
        TypeError: as :class:`xpnet.amp.autocast`.

    Warns:
        FutureWarning: always: use ``xpnet.amp.autocast("cuda", ...)``.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     region = autocast()
        >>> caught[0].category.__name__, region.device_type
        ('FutureWarning', 'cuda')
    """

    def __init__(self, enabled: bool = True, dtype=float16, cache_enabled: bool = True) -> None:
        _warn("autocast", "xpnet.amp.autocast('cuda', args...)")
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(amp.GradScaler):
    """``torch.cuda.amp.GradScaler``: :class:`xpnet.amp.GradScaler` with ``device="cuda"``.

    Args:
        init_scale: the initial scale factor. Default: ``2.0**16``.
        growth_factor: factor of the scale after ``growth_interval`` clean steps. Default:
            ``2.0``.
        backoff_factor: factor of the scale after a step with inf/NaN gradients. Default:
            ``0.5``.
        growth_interval: clean steps in a row before the scale grows. Default: ``2000``.
        enabled: if ``False``, every method is a no-op. Default: ``True``.

    Raises:
        ValueError: as :class:`xpnet.amp.GradScaler`.

    Warns:
        FutureWarning: always: use ``xpnet.amp.GradScaler("cuda", ...)``.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     scaler = GradScaler(init_scale=1024.0)
        >>> caught[0].category.__name__, scaler.get_scale()
        ('FutureWarning', 1024.0)
    """

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        _warn("GradScaler", "xpnet.amp.GradScaler('cuda', args...)")
        super().__init__(
            "cuda",
            init_scale=init_scale,
            growth_factor=growth_factor,
            backoff_factor=backoff_factor,
            growth_interval=growth_interval,
            enabled=enabled,
        )


def custom_fwd(fwd=None, *, cast_inputs=None):
    """``torch.cuda.amp.custom_fwd``: :func:`xpnet.amp.custom_fwd` with
    ``device_type="cuda"``.

    Args:
        fwd: the ``forward`` staticmethod (left out when called with arguments only).
        cast_inputs: as for :func:`xpnet.amp.custom_fwd`. Default: ``None``.

    Returns:
        The decorated ``forward`` (or, without ``fwd``, the decorator).

    Warns:
        FutureWarning: always: use ``xpnet.amp.custom_fwd(args..., device_type="cuda")``.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     forward = custom_fwd(lambda ctx, x: x)
        >>> caught[0].category.__name__, callable(forward)
        ('FutureWarning', True)
    """
    _warn("custom_fwd", "xpnet.amp.custom_fwd(args..., device_type='cuda')")
    return amp.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """``torch.cuda.amp.custom_bwd``: :func:`xpnet.amp.custom_bwd` with
    ``device_type="cuda"``.

    Args:
        bwd: the ``backward`` staticmethod.

    Returns:
        The decorated ``backward``.

    Warns:
        FutureWarning: always: use ``xpnet.amp.custom_bwd(args..., device_type="cuda")``.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     backward = custom_bwd(lambda ctx, grad_output: grad_output)
        >>> caught[0].category.__name__, callable(backward)
        ('FutureWarning', True)
    """
    _warn("custom_bwd", "xpnet.amp.custom_bwd(args..., device_type='cuda')")
    return amp.custom_bwd(bwd, device_type="cuda")
