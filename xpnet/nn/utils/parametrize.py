"""PyTorch's ``torch.nn.utils.parametrize``: a tensor of a module computed from others.

:func:`register_parametrization` replaces ``module.<name>`` by a property that runs the
registered modules on ``module.parametrizations.<name>.original`` (or ``original0``,
``original1``, ... when ``right_inverse`` returns several tensors), so the state_dict keys are
PyTorch's (``parametrizations.weight.original``). As in PyTorch, the module's class is swapped
for a subclass (``ParametrizedLinear``) that holds the properties. The ready-made
parametrizations (``weight_norm``, ``spectral_norm``) are in
:mod:`xpnet.nn.utils.parametrizations`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from contextlib import contextmanager

from ...autograd import Tensor, as_tensor, data_of, no_grad
from ..container import ModuleDict, ModuleList
from ..module import Module
from ..parameter import Parameter

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "type_before_parametrizations",
]

_cache_enabled = 0
_cache: dict = {}


@contextmanager
def cached():
    """Compute each parametrized tensor once inside the block, as PyTorch's ``cached()``.

    Example:
        >>> import xpnet
        >>> from xpnet.nn.utils import parametrize
        >>> layer = xpnet.nn.Linear(2, 2)
        >>> _ = parametrize.register_parametrization(layer, "weight", xpnet.nn.Identity())
        >>> with parametrize.cached():
        ...     layer.weight is layer.weight
        True
    """
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


def _is_tensor(value) -> bool:
    """A Tensor or a backend array (xpnet's buffers are plain arrays)."""
    return isinstance(value, Tensor) or hasattr(value, "dtype") and hasattr(value, "shape")


def _register_parameter_or_buffer(module: Module, name: str, value) -> None:
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


def _check_like(what: str, expected, got, unsafe_hint: str = "") -> None:
    """ValueError unless ``got`` has the dtype and shape of ``expected`` (PyTorch's wording)."""
    for attr in ("dtype", "shape"):
        if getattr(got, attr) != getattr(expected, attr):
            msg = (
                f"{what} may not change the {attr} of the tensor{unsafe_hint}.\n"
                f"unparametrized {attr}: {getattr(expected, attr)}\n"
                f"parametrized {attr}: {getattr(got, attr)}"
            )
            raise ValueError(msg)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its ``original`` (or ``original0``, ...).

    Built by :func:`register_parametrization`; calling it computes the parametrized tensor.
    """

    def __init__(self, modules, original, unsafe: bool = False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not _is_tensor(new) and not isinstance(new, Sequence):
            msg = (
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                f"Got {type(new).__name__}"
            )
            raise ValueError(msg)
        self.is_tensor = _is_tensor(new)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe:
                _check_like("When `right_inverse` outputs one tensor, it", original, new)
            if new is not original and isinstance(original, Parameter):
                original.array = data_of(new)  # PyTorch's set_: the optimizer's object stays
            kept = original if isinstance(original, Parameter) else new
            _register_parameter_or_buffer(self, "original", kept)
        else:
            for i, value in enumerate(new):
                if not _is_tensor(value):
                    msg = (
                        "'right_inverse' must return a Tensor or a Sequence of tensors "
                        f"(list, tuple...). Got element {i} of the sequence with type "
                        f"{type(value).__name__}."
                    )
                    raise ValueError(msg)
                if isinstance(original, Parameter):
                    value = Parameter(data_of(value), original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", value)
        if not unsafe:
            result = self()
            if not isinstance(result, Tensor):
                msg = f"A parametrization must return a tensor. Got {type(result).__name__}."
                raise ValueError(msg)
            hint = ", unless `unsafe` flag is enabled"
            _check_like("Registering a parametrization", original, result, hint)

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
                if not _is_tensor(value) or value.dtype != original.dtype:
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


def _inject_new_class(module: Module) -> None:
    """Swap ``module``'s class for ``Parametrized<Class>``, which will hold the properties."""
    cls = type(module)

    def __setattr__(self, name, value):  # noqa: N807 - the method it overrides
        if is_parametrized(self, name):
            object.__setattr__(self, name, value)  # the property's setter, even for a Parameter
        else:
            cls.__setattr__(self, name, value)

    def __getstate__(self):  # noqa: N807 - the method it overrides
        msg = (
            "Serialization of parametrized modules is only supported through state_dict(). "
            "See: https://pytorch.org/tutorials/beginner/saving_loading_models.html"
            "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training"
        )
        raise RuntimeError(msg)

    def __deepcopy__(self, memo):  # noqa: N807 - PyTorch's: the copy shares the class
        if id(self) in memo:
            return memo[id(self)]
        replica = self.__new__(type(self))
        memo[id(self)] = replica
        object.__setattr__(replica, "__dict__", copy.deepcopy(self.__dict__, memo))
        return replica

    attrs = {"__setattr__": __setattr__, "__module__": cls.__module__}
    attrs["__getstate__"] = __getstate__
    if not hasattr(cls, "__deepcopy__"):
        attrs["__deepcopy__"] = __deepcopy__
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), attrs)


def _inject_property(module: Module, tensor_name: str) -> None:
    def get_parametrized(self):
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set_original(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(get_parametrized, set_original))


def _check_appended(module: Module, tensor_name: str, parametrization: Module) -> None:
    """PyTorch's checks before a second parametrization of the same tensor."""
    current = getattr(module, tensor_name)
    result = parametrization(current)
    if not isinstance(result, Tensor):
        msg = f"A parametrization must return a tensor. Got {type(result).__name__}."
        raise ValueError(msg)
    hint = ", unless the `unsafe` flag is enabled"
    _check_like("Registering a parametrization", current, result, hint)
    if hasattr(parametrization, "right_inverse"):
        try:
            inverse = parametrization.right_inverse(result)
        except NotImplementedError:
            return
        if not _is_tensor(inverse):
            msg = (
                f"parametrization.right_inverse must return a tensor. Got: {type(inverse).__name__}"
            )
            raise ValueError(msg)
        _check_like("parametrization.right_inverse", current, inverse, hint)


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` the output of ``parametrization`` on an original tensor.

    The original becomes ``module.parametrizations[tensor_name].original`` (the same
    Parameter object); if ``parametrization`` has ``right_inverse``, the original is its
    value on the current tensor, and when that returns a sequence the originals are
    ``original0``, ``original1``, ... and ``forward`` takes them all. Registering again
    on the same name chains the parametrizations. Assigning ``module.<tensor_name> = x``
    stores ``right_inverse(x)`` in the originals.

    Args:
        module: the module holding the parameter or buffer.
        tensor_name: its name.
        parametrization: a module computing the tensor.
        unsafe: skip the checks that the dtype and shape are kept. Default: ``False``.

    Returns:
        ``module``, whose class is now ``Parametrized<Class>``.

    Raises:
        ValueError: no parameter, buffer or parametrized tensor ``tensor_name``, or (unless
            ``unsafe``) a parametrization that changes its dtype or shape.

    Example:
        >>> import xpnet
        >>> class Symmetric(xpnet.nn.Module):
        ...     def forward(self, X):
        ...         return (X + X.transpose(0, 1)) / 2
        >>> layer = xpnet.nn.Linear(3, 3)
        >>> _ = register_parametrization(layer, "weight", Symmetric())
        >>> type(layer).__name__, list(layer.state_dict())
        ('ParametrizedLinear', ['bias', 'parametrizations.weight.original'])
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_appended(module, tensor_name, parametrization)
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = parametrizations
    else:
        msg = (
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized "
            f"element with name '{tensor_name}'"
        )
        raise ValueError(msg)
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name``, if given)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Undo :func:`register_parametrization` on ``tensor_name``.

    With ``leave_parametrized`` the tensor keeps its current (parametrized) value, stored in
    the original Parameter object; otherwise the original value comes back. The class
    returns to the unparametrized one when no parametrization is left.

    Args:
        module: the parametrized module.
        tensor_name: the parametrized tensor's name.
        leave_parametrized: keep the parametrized value. Default: ``True``.

    Returns:
        ``module``.

    Raises:
        ValueError: ``tensor_name`` is not parametrized, or ``leave_parametrized=False`` for a
            tensor parametrized by several originals.
    """
    if not is_parametrized(module, tensor_name):
        msg = f"Module {module} does not have a parametrization on {tensor_name}"
        raise ValueError(msg)
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            if isinstance(original, Parameter):
                original.array = data_of(value)
            else:
                original = data_of(value)
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        detached = data_of(value)
        original = Parameter(detached, True) if value.requires_grad else detached
    else:
        msg = (
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
            "parametrized in terms of a sequence of tensors."
        )
        raise ValueError(msg)
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before :func:`register_parametrization` swapped it."""
    if is_parametrized(module):
        return type(module).__bases__[0]
    return type(module)
