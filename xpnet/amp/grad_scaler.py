"""``GradScaler``: loss scaling for float16 training, with PyTorch's semantics.

Float16 gradients of small magnitude flush to zero. The scaler multiplies the loss by a
large factor (initially 2**16) before ``backward``, divides the gradients by it before the
optimizer step, and skips the step when a gradient holds inf or NaN (the factor was too
large): then it halves the factor (``backoff_factor``). After ``growth_interval`` (2000)
clean steps in a row it doubles it (``growth_factor``). Same arithmetic, messages and
``state_dict`` as ``torch.amp.GradScaler``.

Host syncs: none per step. The scale, the growth tracker and the found-inf flags are device
arrays of the gradients' backend. :meth:`GradScaler.scale`, :meth:`~GradScaler.unscale_` (a
multiply and an ``isfinite(...).all()`` per gradient, or-ed into the flag) and
:meth:`~GradScaler.update` (``where`` on the flag) only enqueue device work, and so does
:meth:`~GradScaler.step` for the optimizers of :mod:`xpnet.optim`: it passes the flag to
``optimizer.step(found_inf=flag)``, whose update keeps the old parameters and state where the
flag is set (``where`` inside its fused chain) and counts steps on the device, as PyTorch's
fused optimizers do. (SGD with momentum reads the flag once, at the step that makes its
momentum buffers.) For an optimizer that does not take the flag
(:func:`xpnet.optim.optimizer.takes_found_inf`: a custom subclass), ``step`` copies the 4-byte
flag to the host (``backend.to_host``) to decide whether to call ``optimizer.step()``, as
PyTorch does for non-fused optimizers (``found_inf.item()``).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..backends import backend_of
from ..backends._base import fused
from ..optim._flat import grad_array
from ..optim.optimizer import takes_found_inf

__all__ = ["GradScaler"]

_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


def _inverse_factors(xp, scale):
    """``1 / scale`` rounded to float32, as PyTorch's ``inv_scale``, as two float32 factors
    ``(coarse, fine)`` whose product it is: ``coarse`` is ``2**-64`` where the reciprocal is
    subnormal (a scale above ``2**126``), else 1. A GPU flushes float32 subnormals to 0 (CuPy
    on an H200: such a step unscaled every gradient to 0); the power of two keeps the product
    exact, and both factors normal."""
    inverse = 1.0 / scale.astype(xp.float64)
    subnormal = inverse < 2.0**-126
    # float32's rounding, on its subnormal grid (multiples of 2**-149) too, done in float64
    rounded = xp.where(
        subnormal,
        xp.rint(inverse * 2.0**149) * 2.0**-149,
        inverse.astype(xp.float32).astype(xp.float64),
    )
    coarse = xp.where(subnormal, 2.0**-64, 1.0)
    return coarse.astype(xp.float32), (rounded / coarse).astype(xp.float32)


def _unscale(grad, coarse, fine):
    # (grad * coarse) is exact (a power of two), so one rounding, as grad * inv_scale
    grad[...] = grad * coarse * fine


def _fresh_state() -> dict:
    return {"stage": _READY, "found_inf": None}


def _data(value):
    return value.array if hasattr(value, "grad_fn") else value  # a Tensor's array


def _grads(optimizer) -> list:
    return [
        grad_array(param)  # as the optimizer reads it
        for group in optimizer.param_groups
        for param in group["params"]
        if param.grad is not None
    ]


def _check_factors(growth_factor, backoff_factor, growth_interval) -> None:
    if growth_factor <= 1.0:
        raise ValueError(f"GradScaler: the growth factor must be > 1.0, got {growth_factor}")
    if backoff_factor >= 1.0:
        raise ValueError(f"GradScaler: the backoff factor must be < 1.0, got {backoff_factor}")
    if int(growth_interval) != growth_interval or growth_interval < 1:
        msg = f"GradScaler: growth_interval must be a positive int, got {growth_interval!r}"
        raise ValueError(msg)


class GradScaler:
    """Scale the loss, unscale the gradients, skip steps with inf/NaN gradients.

    Args:
        device: ``"cuda"`` or ``"cpu"``, accepted for PyTorch scripts: the scale lives on
            the backend of the first output passed to :meth:`scale`. Default: ``"cuda"``.
        init_scale: the initial scale factor. Default: ``2.0**16``.
        growth_factor: factor of the scale after ``growth_interval`` clean steps; > 1.
            Default: ``2.0``.
        backoff_factor: factor of the scale after a step with inf/NaN gradients; < 1.
            Default: ``0.5``.
        growth_interval: clean steps in a row before the scale grows. Default: ``2000``.
        enabled: if ``False``, every method is a no-op (``scale`` returns its input and
            ``step`` just calls ``optimizer.step()``). Default: ``True``.

    Raises:
        ValueError: ``growth_factor <= 1``, ``backoff_factor >= 1`` or ``growth_interval < 1``
            (checked only when ``enabled``, as PyTorch).

    Example:
        >>> import xpnet
        >>> w = xpnet.Parameter(np.ones(3, dtype="float32"))
        >>> opt = xpnet.optim.SGD([w], lr=0.1)
        >>> scaler = xpnet.GradScaler()
        >>> scaler.scale((w * w).sum()).backward()
        >>> scaler.step(opt)  # unscales, checks for inf/NaN, steps (on the device)
        >>> scaler.update()
        >>> scaler.get_scale(), w.array
        (65536.0, array([0.8, 0.8, 0.8], dtype=float32))
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if enabled:  # as PyTorch: a disabled scaler (a no-op) checks nothing
            _check_factors(growth_factor, backoff_factor, growth_interval)
        self._device = device
        self._enabled = bool(enabled)
        self._init_scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._init_growth_tracker = 0
        self._scale = self._growth_tracker = None  # device arrays, made by the first scale()
        self._per_optimizer_states: dict[int, dict] = {}

    # -- the four calls of a training step ------------------------------------------------------
    def scale(self, outputs):
        """``outputs`` (a Tensor, an array, or a list/tuple of them) times the scale factor.

        The scale is a 0-d float32 array, as in PyTorch 2.13: a 0-d loss stays 0-d. Any other
        iterable (a generator) gives a lazy ``map`` of the scaled items, as PyTorch's.

        Raises:
            ValueError: ``outputs`` is neither an array nor an iterable (a number, ``None``),
                as PyTorch.
        """
        if not self._enabled:
            return outputs
        if isinstance(outputs, list | tuple):
            return type(outputs)(self.scale(output) for output in outputs)
        if not hasattr(outputs, "shape"):
            if isinstance(outputs, Iterable):
                return map(self.scale, outputs)
            # PyTorch's error and type, not NumPy's for ``None * scale``
            msg = (
                "GradScaler.scale: outputs must be a Tensor or an iterable of Tensors, got "
                f"{type(outputs).__name__}"
            )
            raise ValueError(msg)
        backend = backend_of(_data(outputs))
        if self._scale is None:
            self._lazy_init(backend)
        with backend.ignore_float_errors():  # an overflow to inf is what step() looks for
            return outputs * self._scale

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale, in place, and record whether any
        holds inf or NaN (on the device). At most once per optimizer between updates; call it
        before clipping gradients, or let :meth:`step` call it.

        Raises:
            RuntimeError: called twice, or after :meth:`step`, since the last :meth:`update`;
                or before any :meth:`scale`.
            ValueError: a gradient is float16 (master weights must be float32).
        """
        if not self._enabled:
            return
        self._check_scale("unscale_")
        state = self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())
        if state["stage"] == _UNSCALED:
            msg = "unscale_() has already been called on this optimizer since the last update()."
            raise RuntimeError(msg)
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        backend = backend_of(self._scale)
        xp = backend.xp
        found_inf, grads = xp.zeros((), dtype=xp.float32), list(_grads(optimizer))
        # every gradient checked before any is divided, as PyTorch: a refusal changes nothing
        if any(grad.dtype == xp.float16 for grad in grads):
            raise ValueError("Attempting to unscale FP16 gradients.")
        with backend.ignore_float_errors():
            coarse, fine = _inverse_factors(xp, self._scale)
            for grad in grads:
                # a device flag: or-ed without reading it (no host sync)
                found_inf = xp.maximum(found_inf, (~xp.isfinite(grad).all()).astype(xp.float32))
                fused(backend, _unscale)(grad, coarse, fine)
        state["found_inf"] = found_inf if grads else None  # no gradient: no check, as PyTorch
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale ``optimizer``'s gradients (if :meth:`unscale_` was not called), then step
        ``optimizer`` unless they hold inf or NaN.

        For the optimizers of :mod:`xpnet.optim` that is decided on the device, with no host
        read: ``optimizer.step(*args, found_inf=flag, **kwargs)`` is always called, and is a
        no-op there when the flag is set (PyTorch's path for its fused optimizers). For other
        optimizers it reads the flag on the host and calls ``optimizer.step(*args,
        **kwargs)`` only if it is clear.

        Returns:
            what ``optimizer.step`` returns, whether or not the device skipped the step
            (knowing that would need a host read), as PyTorch's fused optimizers; for an
            optimizer without the flag, ``None`` when the step is skipped.

        Raises:
            RuntimeError: a ``closure`` argument, a second step before :meth:`update`, or no
                :meth:`scale` before.
            AssertionError: no parameter of ``optimizer`` has a gradient (PyTorch's).
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        state = self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        found_inf = state["found_inf"]
        if found_inf is None:  # PyTorch's assertion: no parameter of optimizer has a gradient
            raise AssertionError("No inf checks were recorded for this optimizer.")
        if takes_found_inf(optimizer):  # skipped on the device: no host read
            result = optimizer.step(*args, found_inf=found_inf, **kwargs)
        else:  # a custom optimizer: one host read
            found = backend_of(found_inf).to_host(found_inf)
            result = None if found.item() else optimizer.step(*args, **kwargs)
        # stepped only now, as PyTorch: after a refusal above or an error of the optimizer's
        # step, calling step again repeats it (the gradients stay unscaled, once)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale=None) -> None:
        """Adjust the scale for the next iteration, on the device (no host read): times
        ``backoff_factor`` if any optimizer stepped on inf/NaN gradients; times
        ``growth_factor`` after ``growth_interval`` clean steps in a row (unless that
        overflows float32). Or set it to ``new_scale`` (a float or a 1-element array).

        Raises:
            RuntimeError: no :meth:`scale` before.
            AssertionError: no gradient checked since the last update (without
                ``new_scale``): PyTorch's assertion.
            TypeError: ``new_scale`` is not a float or a 1-element floating array.
        """
        if not self._enabled:
            return
        self._check_scale("update")
        if new_scale is not None:
            self._set_scale(new_scale)
        else:
            flags = [s["found_inf"] for s in self._per_optimizer_states.values()]
            flags = [flag for flag in flags if flag is not None]
            if not flags:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._update_scale(sum(flags[1:], flags[0]))
        self._per_optimizer_states = {}

    # -- device arithmetic ----------------------------------------------------------------------
    def _lazy_init(self, backend) -> None:
        xp = backend.xp
        self._scale = xp.full((), self._init_scale, dtype=xp.float32)
        self._growth_tracker = xp.full((), self._init_growth_tracker, dtype=xp.int32)

    def _update_scale(self, found_inf) -> None:
        """``torch._amp_update_scale_`` as ``where`` calls: no branch reads the device."""
        backend = backend_of(self._scale)
        xp = backend.xp
        scale64 = self._scale.astype(xp.float64)
        found = found_inf > 0
        successful = self._growth_tracker + 1
        at_interval = ~found & (successful == self._growth_interval)
        with backend.ignore_float_errors():
            grown = (scale64 * self._growth_factor).astype(xp.float32)
            shrunk = (scale64 * self._backoff_factor).astype(xp.float32)
        kept = xp.where(at_interval & xp.isfinite(grown), grown, self._scale)
        self._scale = xp.where(found, shrunk, kept).astype(xp.float32)
        reset = found | at_interval
        self._growth_tracker = xp.where(reset, 0, successful).astype(xp.int32)

    def _set_scale(self, new_scale) -> None:
        xp = backend_of(self._scale).xp
        if isinstance(new_scale, int | float) and not isinstance(new_scale, bool):
            self._scale = xp.full((), new_scale, dtype=xp.float32)
            return
        array = _data(new_scale)
        if getattr(array, "size", None) != 1 or array.dtype.kind != "f":
            msg = (
                "GradScaler.update: new_scale should be a float or a 1-element floating "
                f"array, got {type(new_scale).__name__} {new_scale!r}"
            )
            raise TypeError(msg)
        self._scale = array.reshape(()).astype(xp.float32)

    def _check_scale(self, where: str) -> None:
        if self._scale is None:
            msg = (
                f"Attempted {where} but _scale is None.  This may indicate your script did not "
                "use scaler.scale(loss or outputs) earlier in the iteration."
            )
            raise RuntimeError(msg)

    # -- settings and state ---------------------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale as a Python float (a host read); 1.0 when disabled."""
        if not self._enabled:
            return 1.0
        if self._scale is None:
            return self._init_scale
        return float(backend_of(self._scale).to_host(self._scale))

    def _get_growth_tracker(self) -> int:
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return int(backend_of(self._growth_tracker).to_host(self._growth_tracker))

    def is_enabled(self) -> bool:
        return self._enabled

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict:
        """``{"scale", "growth_factor", "backoff_factor", "growth_interval",
        "_growth_tracker"}`` as Python numbers (PyTorch's keys); ``{}`` when disabled."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def __getstate__(self) -> dict:
        # as PyTorch's: only between iterations (no optimizer unscaled or stepped), with the
        # scale and tracker as numbers, put on the device again by the next scale()
        state = dict(self.__dict__)
        if self._enabled:
            if self._per_optimizer_states:
                msg = (
                    "A GradScaler instance may only be pickled at the beginning of an "
                    "iteration, or at the end after scaler.update()."
                )
                raise AssertionError(msg)
            state.update(_init_scale=self.get_scale(), _scale=None, _growth_tracker=None)
            state["_init_growth_tracker"] = self._get_growth_tracker()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a :meth:`state_dict` (also one saved by ``torch.amp.GradScaler``).

        Raises:
            RuntimeError: ``state_dict`` is empty (saved from a disabled scaler).
        """
        if not self._enabled:
            return
        if len(state_dict) == 0:
            msg = (
                "The source state dict is empty, possibly because it was saved from a "
                "disabled instance of GradScaler."
            )
            raise RuntimeError(msg)
        self._init_scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._scale is not None:
            self._lazy_init(backend_of(self._scale))
