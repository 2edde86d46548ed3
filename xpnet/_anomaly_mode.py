"""Autograd anomaly mode, as ``torch.autograd.detect_anomaly``: while it is on, every recorded
node keeps the traceback of the forward call that made it, and a backward node that fails, or
returns a gradient with NaN in it, names itself and shows that traceback (a warning) before
the error propagates.

It costs nothing while off: switching it on swaps :class:`xpnet.autograd.Node`'s ``__init__``
and ``apply`` for a recording and a checking version, switching it off puts the plain ones
back, so neither the forward's node recording nor the backward walk of
:mod:`xpnet._backward_pass` tests a flag per node. The state is process-wide, as PyTorch's.
Neighbours: the grad modes in :mod:`xpnet._grad_mode`, :func:`xpnet.autograd.gradcheck` in
:mod:`xpnet._gradcheck`.
"""

from __future__ import annotations

import functools
import os
import traceback
import warnings

from .backends import backend_of

__all__ = [
    "detect_anomaly",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "set_anomaly_enabled",
    "set_detect_anomaly",
]

_STATE = {"enabled": False, "check_nan": True}
_PLAIN: dict = {}  # Node's own __init__ and apply, saved when anomaly mode first starts
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep  # xpnet's own frames


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on (``torch.is_anomaly_enabled``).

    Example:
        >>> is_anomaly_enabled()
        False
    """
    return _STATE["enabled"]


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode checks backward results for NaN
    (``torch.is_anomaly_check_nan_enabled``; ``True`` unless set otherwise).

    Example:
        >>> is_anomaly_check_nan_enabled()
        True
    """
    return _STATE["check_nan"]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off (``torch.set_anomaly_enabled``).

    Args:
        enabled: record forward tracebacks and report failing backward nodes.
        check_nan: also fail on a backward node that returns NaN. Default: ``True``.

    Raises:
        TypeError: an argument that is not a bool (PyTorch's message).

    Example:
        >>> set_anomaly_enabled(True, check_nan=False)
        >>> is_anomaly_enabled(), is_anomaly_check_nan_enabled()
        (True, False)
        >>> set_anomaly_enabled(False)
    """
    for position, (name, value) in enumerate((("enabled", enabled), ("check_nan", check_nan))):
        if not isinstance(value, bool):
            msg = (
                f"set_anomaly_enabled(): argument '{name}' (position {position + 1}) must be "
                f"bool, not {type(value).__name__}"
            )
            raise TypeError(msg)
    _STATE.update(enabled=enabled, check_nan=check_nan)
    _install(enabled)


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager (or decorator) that turns anomaly mode on for its block.

    In it, each recorded operation keeps the traceback of its forward call; a backward node
    that raises, or (with ``check_nan``) returns NaN, warns ``Error detected in <node>.
    Traceback of forward call that caused the error: ...`` (the node's PyTorch name, as
    ``grad_fn.name()`` gives it: ``MulBackward0``, ``MyFunctionBackward``) and the NaN raises
    ``RuntimeError: Function '<node>' returned nan values in its <i>th output.``. It slows
    both passes: for debugging only (it warns so when made, as PyTorch's).

    Args:
        check_nan: fail on NaN in a backward node's results. Default: ``True``.

    Note:
        PyTorch 2.13's ``detect_anomaly`` is a context manager only; xpnet's is also a
        decorator (``@detect_anomaly()``), as its docs once promised.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     with detect_anomaly():
        ...         inside = is_anomaly_enabled()
        >>> inside, is_anomaly_enabled()
        (True, False)
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc_info) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Set anomaly mode on or off, now; as a context manager, restore the previous setting on
    leaving the block (``torch.autograd.set_detect_anomaly``).

    Args:
        mode: turn it on (``True``) or off.
        check_nan: fail on NaN in a backward node's results. Default: ``True``.

    Example:
        >>> with set_detect_anomaly(True):
        ...     inside = is_anomaly_enabled()
        >>> inside, is_anomaly_enabled()
        (True, False)
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


def _install(enabled: bool) -> None:
    """Give :class:`xpnet.autograd.Node` the recording and checking methods, or its own."""
    from .autograd import Node  # the Tensor module imports this one (through its package)

    if not _PLAIN:
        _PLAIN.update(init=Node.__init__, apply=Node.apply)
    Node.__init__ = _recording_init if enabled else _PLAIN["init"]
    Node.apply = _checking_apply if enabled else _PLAIN["apply"]


def _recording_init(self, *args, **kwargs) -> None:
    _PLAIN["init"](self, *args, **kwargs)
    # the forward's frames, innermost last, up to the last call from outside xpnet: the
    # user's line that made this node (PyTorch's format_stack, without its own frames)
    frames = traceback.extract_stack()
    while frames and frames[-1].filename.startswith(_PACKAGE):
        frames.pop()
    self.forward_traceback = traceback.format_list(frames)


def _checking_apply(self, grad_output, retain_graph: bool, formula=None) -> tuple:
    name = self.name()  # PyTorch's: "MulBackward0", as the grad_fn prints
    try:
        grads = _PLAIN["apply"](self, grad_output, retain_graph, formula)
    except Exception:
        _warn_forward_traceback(self, name)
        raise
    if _STATE["enabled"] and _STATE["check_nan"]:
        for index, grad in enumerate(grads):
            if _has_nan(grad):
                _warn_forward_traceback(self, name)
                msg = f"Function '{name}' returned nan values in its {index}th output."
                raise RuntimeError(msg)
    return grads


def _has_nan(grad) -> bool:
    """Whether a gradient (an array, a Tensor under ``create_graph``, or ``None``) has a NaN;
    reads one bool on the host (anomaly mode is for debugging)."""
    array = grad.array if hasattr(grad, "grad_fn") else grad
    if array is None or getattr(array, "dtype", None) is None or array.dtype.kind not in "fc":
        return False
    return bool(backend_of(array).xp.isnan(array).any())


def _warn_forward_traceback(node, name: str) -> None:
    stack = getattr(node, "forward_traceback", None)
    if stack is None:
        msg = (
            f"Error detected in {name}. No forward pass information available. Enable detect "
            "anomaly during forward pass for more information."
        )
    else:
        msg = f"Error detected in {name}. Traceback of forward call that caused the error:\n"
        msg += "".join(stack)
    warnings.warn(msg, UserWarning, stacklevel=3)
