"""PyTorch's ``torch.nn.utils.parametrize``: a tensor of a module computed from others.

:func:`register_parametrization` replaces ``module.<name>`` by a property that runs the
registered modules on ``module.parametrizations.<name>.original`` (or ``original0``,
``original1``, ... when ``right_inverse`` returns several tensors), so the state_dict keys are
PyTorch's (``parametrizations.weight.original``). As in PyTorch, the module's class is swapped
for a subclass (``ParametrizedLinear``) that holds the properties. The ready-made
parametrizations (``weight_norm``, ``spectral_norm``) are in
:mod:`xpnet.nn.utils.parametrizations`; :class:`ParametrizationList`, which holds the
originals, in :mod:`xpnet.nn.utils._parametrization_list`.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

from ...autograd import Tensor, data_of, no_grad
from ..container import ModuleDict
from ..module import Module
from ..parameter import Parameter
from ._parametrization_list import (
    ParametrizationList,
    check_like,
    is_tensor_like,
    register_parameter_or_buffer,
)

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "transfer_parametrizations_and_params",
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
    dtype, shape = current.dtype, current.shape
    check_like("Registering a parametrization", dtype, shape, result, hint)
    if hasattr(parametrization, "right_inverse"):
        try:
            inverse = parametrization.right_inverse(result)
        except NotImplementedError:
            return
        if not is_tensor_like(inverse):
            msg = (
                f"parametrization.right_inverse must return a tensor. Got: {type(inverse).__name__}"
            )
            raise ValueError(msg)
        check_like("parametrization.right_inverse", dtype, shape, inverse, hint)


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` the output of ``parametrization`` on an original tensor.

    The original becomes ``module.parametrizations[tensor_name].original`` (the same
    Parameter object); if ``parametrization`` has ``right_inverse``, the original is its
    value on the current tensor (of its dtype, any shape), and when that returns a sequence
    the originals are ``original0``, ``original1``, ... and ``forward`` takes them all. A
    buffer stays a buffer (``right_inverse`` gets it as a Tensor). Registering again
    on the same name chains the parametrizations. Assigning ``module.<tensor_name> = x``
    stores ``right_inverse(x)`` in the originals.

    Args:
        module: the module holding the parameter or buffer.
        tensor_name: its name.
        parametrization: a module computing the tensor.
        unsafe: skip the checks that the parametrization keeps the tensor's dtype and
            shape (a ``right_inverse`` that returns one tensor must keep its dtype even so,
            as in PyTorch). Default: ``False``.

    Returns:
        ``module``, whose class is now ``Parametrized<Class>``.

    Raises:
        ValueError: no parameter, buffer or parametrized tensor ``tensor_name``; a
            ``right_inverse`` returning one tensor of another dtype; (unless ``unsafe``) a
            parametrization that changes the tensor's dtype or shape.

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
    register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before :func:`register_parametrization` swapped it."""
    if is_parametrized(module):
        return type(module).__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(
    from_module: Module, to_module: Module, tensor_name: str | None = None
) -> Module:
    """Register ``from_module``'s parametrizations (of ``tensor_name``, or of every
    parametrized tensor) on ``to_module``, sharing their originals, as PyTorch's.

    The parametrization modules and the original Parameters become ``to_module``'s too (the
    same objects, as in PyTorch); a tensor ``to_module`` lacks is first created as a
    Parameter holding ``from_module``'s parametrized value. Nothing happens if
    ``from_module`` is not parametrized.

    Args:
        from_module: the parametrized module.
        to_module: the module that gets the parametrizations.
        tensor_name: the one tensor to transfer. Default: ``None`` (all of them).

    Returns:
        ``to_module``.

    Raises:
        AttributeError: ``from_module`` has no tensor ``tensor_name``.
        ValueError: a parametrization does not fit ``to_module``'s tensor (see
            :func:`register_parametrization`).

    Example:
        >>> import xpnet
        >>> source = xpnet.nn.Linear(3, 3)
        >>> _ = register_parametrization(source, "weight", xpnet.nn.Identity())
        >>> target = transfer_parametrizations_and_params(source, xpnet.nn.Linear(3, 3))
        >>> target.parametrizations.weight.original is source.parametrizations.weight.original
        True
    """
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(data_of(getattr(from_module, name))))
        source = from_module.parametrizations[name]
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        originals = [f"original{i}" for i in range(source.ntensors)]
        for original in ["original"] if source.is_tensor else originals:
            setattr(target, original, getattr(source, original))
    return to_module
