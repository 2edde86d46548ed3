"""Parameter groups and per-parameter state of :class:`xpnet.optim.Optimizer` as PyTorch
has them: a new group checked against the others; the groups and the state packed for
``state_dict``, and the state copied back by ``load_state_dict``.

A group may list ``(name, parameter)`` pairs (``model.named_parameters()``): the names go to
its ``"param_names"`` entry, in every group or in none. A parameter listed twice in one group
is kept twice with PyTorch's ``UserWarning`` (its step then updates it twice, as PyTorch's
single-tensor loop); a parameter in two groups is an error.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy

from ..backends import backend_name_of, backend_of, to_backend
from ._flat import SHARED_KEYS
from ._options import number_lr

__all__ = [
    "DUPLICATE_WARNING",
    "host_number",
    "new_group",
    "packed_groups",
    "saved_state",
    "state_like",
]

#: PyTorch's warning for a parameter listed twice in one group, word for word
DUPLICATE_WARNING = (
    "optimizer contains a parameter group with duplicate parameters; "
    "in future, this will cause an error; "
    "see github.com/pytorch/pytorch/issues/40967 for more information"
)


def new_group(
    where: str, param_group: dict[str, Any], groups: list[dict], defaults: dict[str, Any]
) -> dict[str, Any]:
    """A copy of ``param_group`` ready to join ``groups``: its ``params`` a list of parameters,
    its names in ``param_names``, the hyper-parameters it lacks from ``defaults``.

    Raises:
        TypeError: ``param_group`` is not a dict, its ``params`` a set (unordered), or a
            parameter lacks ``.array`` or ``.grad``.
        ValueError: no ``params`` entry; names for some parameters only, or for the
            parameters of some groups only; a parameter already in another group; an ``lr``
            array of more than one element.
    """
    if not isinstance(param_group, dict):
        msg = f"{where}: param_group must be a dict, got {type(param_group).__name__}"
        raise TypeError(msg)
    group = number_lr(where, param_group)
    params = group.get("params")
    if params is None:
        msg = f"{where}: a parameter group must have a 'params' entry, got keys {list(group)}"
        raise ValueError(msg)
    if isinstance(params, set | frozenset):  # no order: state_dict's indices would shuffle
        msg = f"{where}: a group's params must be an ordered collection (a list), got a set"
        raise TypeError(msg)
    _take_names(where, group, [params] if hasattr(params, "array") else list(params))
    for param in group["params"]:
        if not hasattr(param, "array") or not hasattr(param, "grad"):
            msg = f"{where}: parameters must have .array and .grad, got {type(param).__name__}"
            raise TypeError(msg)
    for key, value in defaults.items():
        group.setdefault(key, value)
    ids = [id(param) for param in group["params"]]
    if len(set(ids)) != len(ids):  # 4: the frame that called the optimizer's __init__
        warnings.warn(DUPLICATE_WARNING, UserWarning, stacklevel=4)
    for existing in groups:
        if ("param_names" in existing) != ("param_names" in group):
            which = ("with", "without") if "param_names" in group else ("without", "with")
            msg = (
                f"{where}: all parameter groups must be with or without names, got a group "
                f"{which[0]} names after groups {which[1]}"
            )
            raise ValueError(msg)
    seen = {id(param) for existing in groups for param in existing["params"]}
    if not seen.isdisjoint(ids):
        msg = f"{where}: a parameter appears in more than one place in the parameter groups"
        raise ValueError(msg)
    return group


def _take_names(where: str, group: dict[str, Any], params: list) -> None:
    """Set ``group["params"]`` to ``params``, with ``(name, parameter)`` pairs split into
    the parameters and ``group["param_names"]``, as PyTorch's ``add_param_group``."""
    named = [entry for entry in params if isinstance(entry, tuple)]
    group["params"] = [entry[1] if isinstance(entry, tuple) else entry for entry in params]
    if not named:
        return
    if len(named) != len(params):
        msg = (
            f"{where}: the params of a group must all be (name, parameter) pairs or all "
            f"parameters, got {len(named)} pairs among {len(params)} entries"
        )
        raise ValueError(msg)
    group["param_names"] = [entry[0] for entry in named]


def packed_groups(groups: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """``(packed, index)``: the groups with each parameter replaced by its index, and
    ``{id(parameter): index}``, numbered as PyTorch's ``state_dict``: each group's entries
    from the count of the entries before it; a parameter listed twice takes its last index."""
    index: dict[int, int] = {}
    packed, start = [], 0
    for group in groups:
        params = group["params"]
        # built before the update, as PyTorch's: a repeat within the group overwrites
        index.update({id(p): i for i, p in enumerate(params, start) if id(p) not in index})
        saved = {key: value for key, value in group.items() if key != "params"}
        packed.append({**saved, "params": [index[id(p)] for p in params]})
        start += len(params)
    return packed, index


def state_like(data, state: dict[str, Any]) -> dict[str, Any]:
    """A copy of one parameter's state with its arrays on ``data``'s backend and dtype, and
    its step count a Python number (also when saved as an array, as PyTorch saves it)."""
    name = backend_of(data).name
    return {
        key: host_number(value)
        if key in SHARED_KEYS
        else to_backend(_array(value), name).astype(data.dtype, copy=True)
        if hasattr(value, "shape")
        else copy.deepcopy(value)
        for key, value in state.items()
    }


def _array(value):
    """``value`` if it is an array of a backend, else (a PyTorch Tensor of a state dict saved
    by PyTorch) its NumPy array: ``numpy.asarray`` asks no copy of its ``__array__``, which
    NumPy 2 deprecates for an ``__array__`` without a ``copy`` argument, as PyTorch's."""
    return value if backend_name_of(value) is not None else numpy.asarray(value)


def saved_state(state: dict[str, Any], read: dict[int, int | float]) -> dict[str, Any]:
    """A copy of one parameter's state for :meth:`xpnet.optim.Optimizer.state_dict`: the
    arrays as they are, a step count on the device as a number (read once per array, cached
    in ``read``)."""
    saved = dict(state)
    for key in SHARED_KEYS & saved.keys():
        value = saved[key]
        if hasattr(value, "shape"):
            if id(value) not in read:
                read[id(value)] = host_number(value)
            saved[key] = read[id(value)]
    return saved


def host_number(value) -> int | float:
    """``value`` (a number, or a 1-element array of any backend) as a Python number: an int
    where it is integral, as a step count (a host read for a device array)."""
    if hasattr(value, "shape"):
        value = to_backend(value, "numpy").item()
    return int(value) if float(value).is_integer() else float(value)
