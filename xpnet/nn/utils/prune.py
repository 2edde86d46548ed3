"""Pruning, as ``torch.nn.utils.prune``: a parameter ``name`` of a module becomes
``name + "_orig"`` (the parameter, still trained) times ``name + "_mask"`` (a buffer of 0s and
1s), recomputed into the plain attribute ``name`` by a forward pre-hook before every call.

The functions (``l1_unstructured``, ``random_unstructured``, ``ln_structured``,
``random_structured``, ``global_unstructured``, ``custom_from_mask``, ``identity``) apply a
pruning method; pruning the same parameter again combines the masks in a
:class:`PruningContainer`, the new method acting on what is still unpruned; :func:`remove`
makes the pruning permanent (``name`` is a parameter again, with the zeros in it) and
:func:`is_pruned` tells whether any submodule has a pruning hook. The ``state_dict`` keys,
``weight_orig`` and ``weight_mask``, are PyTorch's, so pruned weights move both ways.
A method's ``compute_mask(t, default_mask)`` gets Tensors and returns a Tensor, so custom
methods written for PyTorch (subclasses of :class:`BasePruningMethod`) run unchanged. Random
pruning draws from xpnet's generator (:func:`xpnet.manual_seed`), not PyTorch's.

Example:
    >>> import xpnet
    >>> from xpnet.nn.utils import prune
    >>> layer = xpnet.nn.Linear(4, 3)
    >>> _ = prune.l1_unstructured(layer, "weight", amount=0.5)
    >>> sorted(name for name, _ in layer.named_parameters()), int(layer.weight_mask.sum())
    (['bias', 'weight_orig'], 6)
    >>> _ = prune.remove(layer, "weight")
    >>> int((layer.weight == 0).sum())
    6
"""

from __future__ import annotations

from collections.abc import Iterable

from ... import _creation
from ...autograd import as_tensor
from .convert_parameters import parameters_to_vector
from .prune_methods import (
    BasePruningMethod,
    CustomFromMask,
    Identity,
    L1Unstructured,
    LnStructured,
    PruningContainer,
    RandomStructured,
    RandomUnstructured,
    prunes,
)
from .prune_methods import __all__ as methods_all

__all__ = [
    *methods_all,
    "custom_from_mask",
    "global_unstructured",
    "identity",
    "is_pruned",
    "l1_unstructured",
    "ln_structured",
    "random_structured",
    "random_unstructured",
    "remove",
]


def identity(module, name):
    """The pruning reparametrization of ``module.<name>`` without pruning anything."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` (a count, or a fraction) of ``module.<name>``'s entries at random."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune ``amount`` of ``module.<name>``'s entries, those of the smallest absolute value
    (of ``importance_scores`` where given)."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` of ``module.<name>``'s channels along ``dim`` at random."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune ``amount`` of ``module.<name>``'s channels along ``dim``, those of the smallest
    L``n`` norm."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` is 0."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None:
    """Prune several parameters together: ``pruning_method(**kwargs)`` (an unstructured one,
    e.g. ``L1Unstructured`` with ``amount=``) chooses among all their entries at once, then
    each gets its share as a :class:`CustomFromMask`.

    Args:
        parameters: ``(module, name)`` pairs.
        pruning_method: an unstructured pruning method class.
        importance_scores: a dict from ``(module, name)`` to that parameter's scores.
        **kwargs: the method's arguments (``amount``).

    Raises:
        TypeError: ``parameters`` not iterable, ``importance_scores`` not a dict, or a
            method whose ``PRUNING_TYPE`` is not ``'unstructured'``.
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = [importance_scores.get((m, n), getattr(m, n)) for m, n in parameters]
    masks = [
        as_tensor(getattr(m, n + "_mask")) if hasattr(m, n + "_mask") else _creation.ones_like(s)
        for (m, n), s in zip(parameters, scores, strict=True)
    ]
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(
            'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
            f"{pruning_method} of type {method.PRUNING_TYPE}"
        )
    container = PruningContainer()
    container._tensor_name = method._tensor_name = "temp"
    container.add_pruning_method(method)
    mask = container.compute_mask(
        parameters_to_vector([as_tensor(s).detach() for s in scores]), parameters_to_vector(masks)
    )
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        custom_from_mask(module, name, mask[start : start + param.numel()].view_as(param))
        start += param.numel()


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent and take its hook off (the pruned
    entries stay zero).

    Raises:
        ValueError: ``module.<name>`` is not pruned.
    """
    for key, hook in tuple(module._forward_pre_hooks.items()):
        if prunes(hook, name):
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(
        f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed"
    )


def is_pruned(module) -> bool:
    """Whether ``module`` or a submodule has a pruning hook."""
    return any(
        isinstance(hook, BasePruningMethod)
        for _, submodule in module.named_modules()
        for hook in submodule._forward_pre_hooks.values()
    )
