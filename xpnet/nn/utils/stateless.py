"""PyTorch's ``torch.nn.utils.stateless``: its deprecated ``functional_call``, which warns and
calls :func:`xpnet.func.functional_call` (PyTorch's drop-in replacement for it)."""

from __future__ import annotations

import warnings

from ...func import functional_call as func_functional_call
from ..module import Module

__all__ = ["functional_call"]


def functional_call(
    module: Module,
    parameters_and_buffers: dict,
    args=None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """Call ``module`` with the Tensors of ``parameters_and_buffers`` in place of its
    parameters and buffers, as ``torch.nn.utils.stateless.functional_call``: deprecated since
    PyTorch 2.0 for :func:`xpnet.func.functional_call`, which it calls after a
    ``FutureWarning``.

    Args:
        module: an :class:`xpnet.nn.Module`.
        parameters_and_buffers: a dict from dotted names (``state_dict``'s keys) to Tensors.
        args: the positional argument, or a tuple of them. Default: ``None`` (none).
        kwargs: keyword arguments of the call. Default: ``None``.
        tie_weights: a value given for one of several names of one tied Tensor is used for
            all of them. Default: ``True``.
        strict: the names must be exactly the module's parameters and buffers. Default:
            ``False``.

    Returns:
        What ``module(*args, **kwargs)`` returns.

    Raises:
        TypeError: ``parameters_and_buffers`` is not a dict (a sequence of dicts is for
            :func:`xpnet.func.functional_call` only; PyTorch's fails on its ``keys``).
        ValueError, RuntimeError, AttributeError: as :func:`xpnet.func.functional_call`.

    Warns:
        FutureWarning: always, with PyTorch's message.

    Example:
        >>> import warnings
        >>> import xpnet
        >>> layer = xpnet.nn.Linear(2, 1, bias=False)
        >>> weight = xpnet.tensor([[1.0, 2.0]])
        >>> with warnings.catch_warnings(record=True):
        ...     warnings.simplefilter("always")
        ...     functional_call(layer, {"weight": weight}, xpnet.ones(1, 2))
        tensor([[3.]])
    """
    msg = (
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will "
        "be removed in a future version of PyTorch. Please use `torch.func.functional_call` "
        "instead which is a drop-in replacement."
    )
    warnings.warn(msg, FutureWarning, stacklevel=2)
    if not isinstance(parameters_and_buffers, dict):
        msg = (
            "stateless.functional_call: parameters_and_buffers must be a dict, got "
            f"{type(parameters_and_buffers).__name__}"
        )
        raise TypeError(msg)
    return func_functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )
