"""``torch.func.functional_call`` and ``stack_module_state``: a module called with other
parameters and buffers, and the state of several modules stacked for ``vmap``.

:func:`functional_call` puts the given Tensors into the module's registries (a parameter slot
then holds a plain Tensor, as PyTorch's ``_reparametrize_module``), calls the module and puts
the originals back, even when the call raises; an entry the call rebound (a buffer assigned
anew) is written back into the caller's dict, as PyTorch's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from .._tensor_join import stack
from ..autograd import Tensor

__all__ = ["functional_call", "stack_module_state"]

_MISSING = object()  # a name the module did not have: removed again afterwards


def _merged(parameter_and_buffer_dicts) -> dict:
    """One dict from a dict or a sequence of dicts with distinct keys (PyTorch's checks)."""
    if isinstance(parameter_and_buffer_dicts, dict):
        return parameter_and_buffer_dicts
    if not isinstance(parameter_and_buffer_dicts, Sequence) or isinstance(
        parameter_and_buffer_dicts, str
    ):
        msg = (
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but "
            f"got {type(parameter_and_buffer_dicts)}"
        )
        raise ValueError(msg)
    if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
    keys = [key for d in parameter_and_buffer_dicts for key in d]
    repeated = sorted({key for key in keys if keys.count(key) > 1}, key=keys.index)
    if repeated:
        msg = (
            f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
            "ambiguous"
        )
        raise ValueError(msg)
    return {key: value for d in parameter_and_buffer_dicts for key, value in d.items()}


def _untied(module, values: dict) -> dict:
    """``values`` with every name tied to a given one (one Tensor registered under several
    names) given the same value; ValueError for different values given to tied names."""
    named = [*module.named_parameters(remove_duplicate=False)]
    named += [*module.named_buffers(remove_duplicate=False)]
    names_of: dict = {}
    for name, tensor in named:
        names_of.setdefault(id(tensor), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    result = dict(values)
    for given in [name for name in values if name in tied]:
        names = tied[given]
        if len({id(values[name]) for name in names if name in values}) > 1:
            msg = (
                f"functional_call got multiple values for keys {sorted(names)}, which are tied. "
                "Consider using tie_weights=False"
            )
            raise ValueError(msg)
        result.update({name: values[given] for name in names})
    return result


def _check_keys(module, values: dict) -> None:
    """PyTorch's RuntimeError, with ``strict``, for missing or unexpected names."""
    expected = {name for name, _ in module.named_parameters(remove_duplicate=False)}
    expected |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
    unexpected = sorted(set(values) - expected)
    missing = sorted(expected - set(values))
    errors = []
    if unexpected:
        errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if errors:
        message = "\n\t".join(errors)
        msg = f"Error(s) in reparametrizing for {type(module).__name__}:\n\t{message}"
        raise RuntimeError(msg)


def _swap(module, name: str, value):
    """Put ``value`` (``_MISSING``: remove) under the dotted ``name``; return what was there."""
    *path, attribute = name.split(".")
    owner = module
    for part in path:
        child = owner._modules.get(part) if hasattr(owner, "_modules") else None
        if child is None:
            raise AttributeError(f"{type(owner).__name__} has no attribute `{part}`")
        owner = child
    for registry in (owner._parameters, owner._buffers):
        if attribute in registry:
            old = registry[attribute]
            if value is _MISSING:
                del registry[attribute]
            else:
                registry[attribute] = value
            return old
    old = owner.__dict__.get(attribute, _MISSING)
    if value is _MISSING:
        owner.__dict__.pop(attribute, None)
    else:
        object.__setattr__(owner, attribute, value)
    return old


@contextlib.contextmanager
def _reparametrized(module, values: dict):
    originals: dict = {}
    try:
        for name, value in values.items():
            originals[name] = _swap(module, name, value)
        yield
    finally:
        for name, original in originals.items():
            now = _swap(module, name, original)
            if name in values and now is not values[name]:
                values[name] = now  # rebound by the call (a buffer assigned anew)


def functional_call(
    module,
    parameter_and_buffer_dicts,
    args=None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """Call ``module`` with the given Tensors in place of its parameters and buffers, as
    ``torch.func.functional_call``; the module is unchanged afterwards.

    Args:
        module: an :class:`xpnet.nn.Module`.
        parameter_and_buffer_dicts: a dict from dotted names (``state_dict``'s keys) to
            Tensors, or a list/tuple of such dicts with distinct keys. A name the module does
            not have is set as a plain attribute for the call.
        args: the positional argument, or a tuple of them. Default: ``None`` (none).
        kwargs: keyword arguments of the call. Default: ``None``.
        tie_weights: a value given for one of several names of one tied Tensor is used for
            all of them. Default: ``True``.
        strict: the names must be exactly the module's parameters and buffers. Default:
            ``False``.

    Returns:
        What ``module(*args, **kwargs)`` returns.

    Raises:
        ValueError: not a dict or a sequence of dicts, a key in two dicts, different values
            for tied names. RuntimeError: missing or unexpected names with ``strict``.
        AttributeError: a dotted name through a submodule the module does not have.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.Linear(2, 1)
        >>> params = {"weight": xpnet.ones(1, 2), "bias": xpnet.zeros(1)}
        >>> functional_call(layer, params, xpnet.tensor([[1.0, 2.0]])).tolist()
        [[3.0]]
    """
    values = _merged(parameter_and_buffer_dicts)
    if tie_weights:
        values = _untied(module, values)
    if strict:
        _check_keys(module, values)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrized(module, values):
        result = module(*args, **(kwargs or {}))
    if values is not parameter_and_buffer_dicts and isinstance(parameter_and_buffer_dicts, dict):
        parameter_and_buffer_dicts.update({key: values[key] for key in parameter_and_buffer_dicts})
    return result


def _stacked_leaf(values: list, name: str) -> Tensor:
    tensors = [value if isinstance(value, Tensor) else Tensor(value) for value in values]
    requires = {tensor.requires_grad for tensor in tensors}
    if len(requires) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack([tensor.detach() for tensor in tensors])
    return result.requires_grad_() if requires == {True} else result


def stack_module_state(models) -> tuple[dict, dict]:
    """The parameters and buffers of ``models`` (modules of one class) stacked along a new
    first dimension, by name, as ``torch.func.stack_module_state``: ensembling with
    :func:`vmap` over :func:`functional_call`.

    Returns:
        ``(params, buffers)``: dicts from names to Tensors of shape ``(len(models), *shape)``.
        The stacked parameters are new leaves (they require grad where the models'
        parameters do), unrelated to the models' own, so an optimizer can take them.

    Raises:
        RuntimeError: no models, models of several classes or training modes, or a
            parameter that requires grad in some models only.

    Example:
        >>> import xpnet
        >>> params, buffers = stack_module_state([xpnet.nn.Linear(3, 2) for _ in range(4)])
        >>> tuple(params["weight"].shape), params["weight"].requires_grad, buffers
        ((4, 2, 3), True, {})
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({model.training for model in models}) > 1:
        msg = "stack_module_state: Expected all models to have the same training/eval mode."
        raise RuntimeError(msg)
    if len({type(model) for model in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    stacked = []
    for named in ("named_parameters", "named_buffers"):
        states = [dict(getattr(model, named)()) for model in models]
        stacked.append(
            {name: _stacked_leaf([state[name] for state in states], name) for name in states[0]}
        )
    return stacked[0], stacked[1]
