"""PyTorch's ``ParametrizationList``: the parametrizations of one tensor and its originals.

:mod:`xpnet.nn.utils.parametrize` builds one per parametrized tensor and exports it; the
checks it shares with that module (:func:`check_like`, :func:`is_tensor_like`) live here too.
As in PyTorch, registration checks that ``right_inverse`` keeps the dtype when it returns one
tensor (whatever ``unsafe`` says: the original's object, which the optimizer holds, takes the
new value, so its shape may change but not its dtype), and, unless ``unsafe``, that the
parametrization gives back the tensor's dtype and shape.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...autograd import Tensor, as_tensor, data_of, no_grad
from ..container import ModuleList
from ..module import Module
from ..parameter import Parameter

__all__ = ["ParametrizationList", "check_like", "is_tensor_like", "register_parameter_or_buffer"]


def is_tensor_like(value) -> bool:
    """A Tensor or a backend array (xpnet's buffers are plain arrays)."""
    return isinstance(value, Tensor) or hasattr(value, "dtype") and hasattr(value, "shape")


def register_parameter_or_buffer(module: Module, name: str, value) -> None:
    """``value`` as ``module.<name>``: a Parameter as itself, anything else as a buffer."""
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, data_of(value))


def _set(module: Module, name: str, value) -> None:
    """PyTorch's ``original.set_(value)``: a Parameter keeps its identity, a buffer is replaced."""
    if name in module._parameters:
        module._parameters[name].array = data_of(value)
    else:
        module._buffers[name] = data_of(value)


def check_like(what: str, dtype, shape, got, unsafe_hint: str = "") -> None:
    """ValueError unless ``got`` has ``dtype`` and ``shape`` (PyTorch's wording)."""
    pairs = (("dtype", dtype, got.dtype), ("shape", tuple(shape), tuple(got.shape)))
    for attr, expected, actual in pairs:
        if actual != expected:
            msg = (
                f"{what} may not change the {attr} of the tensor{unsafe_hint}.\n"
                f"unparametrized {attr}: {expected}\n"
                f"parametrized {attr}: {actual}"
            )
            raise ValueError(msg)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its ``original`` (or ``original0``, ...).

    Built by :func:`~xpnet.nn.utils.parametrize.register_parametrization`; calling it
    computes the parametrized tensor.
    """

    def __init__(self, modules, original, unsafe: bool = False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        # PyTorch compares the result with the tensor as it was: ``original`` may take the
        # value (and so the shape) of ``right_inverse``'s output below
        dtype, shape = original.dtype, tuple(original.shape)
        with no_grad():
            new = as_tensor(original)  # a buffer is an array: right_inverse gets a Tensor
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not is_tensor_like(new) and not isinstance(new, Sequence):
            msg = (
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                f"Got {type(new).__name__}"
            )
            raise ValueError(msg)
        self.is_tensor = is_tensor_like(new)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            self._register_original(original, new)
        else:
            self._register_originals(original, new)
        if not unsafe:
            result = self()
            if not isinstance(result, Tensor):
                msg = f"A parametrization must return a tensor. Got {type(result).__name__}."
                raise ValueError(msg)
            hint = ", unless `unsafe` flag is enabled"
            check_like("Registering a parametrization", dtype, shape, result, hint)

    def _register_original(self, original, new) -> None:
        """``original``, set to ``new`` (one tensor, of its dtype: any shape, as PyTorch's)."""
        if new.dtype != original.dtype:  # checked even when unsafe, as PyTorch
            msg = (
                "When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                f"original.dtype: {original.dtype}\n"
                f"right_inverse(original).dtype: {new.dtype}"
            )
            raise ValueError(msg)
        if new is not original and isinstance(original, Parameter):
            original.array = data_of(new)  # PyTorch's set_: the optimizer's object stays
        kept = original if isinstance(original, Parameter) else new
        register_parameter_or_buffer(self, "original", kept)

    def _register_originals(self, original, new) -> None:
        """``original0``, ``original1``, ...: the tensors ``right_inverse`` returned."""
        for i, value in enumerate(new):
            if not is_tensor_like(value):
                msg = (
                    "'right_inverse' must return a Tensor or a Sequence of tensors "
                    f"(list, tuple...). Got element {i} of the sequence with type "
                    f"{type(value).__name__}."
                )
                raise ValueError(msg)
            if isinstance(original, Parameter):
                value = Parameter(data_of(value), original.requires_grad)
            register_parameter_or_buffer(self, f"original{i}", value)

    def _originals(self) -> list:
        # buffers are arrays: the parametrizations get Tensors, as PyTorch's get tensors
        return [as_tensor(getattr(self, name)) for name in self._names()]

    def _names(self) -> list:
        if self.is_tensor:
            return ["original"]
        return [f"original{i}" for i in range(self.ntensors)]

    def right_inverse(self, value) -> None:
        """Assign ``value`` to the parametrized tensor: the inverses, last first, into the
        originals (what ``module.<name> = value`` does)."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    msg = (
                        f"parametrization {type(module).__name__} does not implement right_inverse."
                    )
                    raise RuntimeError(msg)
                value = module.right_inverse(value)
            values = [value] if self.is_tensor else value
            if not self.is_tensor and (
                not isinstance(value, Sequence) or len(value) != self.ntensors
            ):
                msg = (
                    "'right_inverse' must return a sequence of tensors of length "
                    f"{self.ntensors}. Got {type(value).__name__}."
                )
                raise ValueError(msg)
            for original, value in zip(self._originals(), values, strict=True):
                if not is_tensor_like(value) or value.dtype != original.dtype:
                    msg = (
                        "`right_inverse` must return tensors of the originals' dtype "
                        f"{original.dtype}, got {getattr(value, 'dtype', type(value).__name__)}"
                    )
                    raise ValueError(msg)
            for name, value in zip(self._names(), values, strict=True):
                _set(self, name, value)

    def forward(self):
        modules = list(self)
        x = modules[0](*self._originals())
        for module in modules[1:]:
            x = module(x)
        return x
