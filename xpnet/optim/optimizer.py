"""The optimizer base class: parameter groups, per-parameter state, state dicts.

A parameter is any object with ``.array`` (a backend array) and ``.grad`` (a Tensor of
the same shape, or ``None`` to skip it), such as :class:`xpnet.nn.Parameter`. The first step
moves the parameters of a bucket into one flat buffer and rebinds each ``.array`` to its view
(updated in place from then on): an array the caller passed in is copied there, not
updated, unlike a PyTorch parameter's storage; read ``param.array`` after stepping. Updates
are written once against the parameter's array namespace (``backend_of(param.array).xp``),
so they run unchanged on NumPy and CuPy.

The optimizers are :mod:`xpnet.optim.sgd`, :mod:`~xpnet.optim.adam` and
:mod:`~xpnet.optim.rmsprop`; the schedulers of :mod:`xpnet.optim.lr_scheduler` change each
parameter group's ``lr``. PyTorch's hooks come from :mod:`xpnet.optim._hooks`, the checks of a
new group (names, repeats) and the state-dict form from :mod:`xpnet.optim._param_groups`.

``step(found_inf=flag)`` (:func:`takes_found_inf`) is how :class:`xpnet.GradScaler` skips a
step without reading its found-inf flag on the host: the optimizers whose ``_update`` takes
``found_inf`` pass it to :func:`~xpnet.optim._flat.update_in_place`, which keeps the old bits
where it is set, and count their steps on the device (:func:`~xpnet.optim._flat.advanced_step`).
"""

from __future__ import annotations

import copy
import functools
import inspect
import numbers
from collections.abc import Callable
from typing import Any

from .._grad_mode import enable_grad
from .._leaf_grads import clear_grad
from ..backends import backend_of, float_errors_ignored, host_sync_forbidden
from ..backends._base import fused
from ._flat import Bucket, FlatParameter, grad_array, layout_key
from ._hooks import (
    OptimizerHooks,
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)
from ._options import check_implementation, number_lr
from ._param_groups import new_group, packed_groups, saved_state, state_like

__all__ = [
    "Optimizer",
    "check_implementation",
    "register_optimizer_step_post_hook",
    "register_optimizer_step_pre_hook",
    "takes_found_inf",
]


class Optimizer(OptimizerHooks):
    """Base class of every optimizer, after :class:`torch.optim.Optimizer`.

    Args:
        params: an iterable of parameters, of ``(name, parameter)`` pairs
            (``model.named_parameters()``: the names are kept in each group's
            ``"param_names"``), or of dicts (parameter groups) with a ``"params"`` entry and
            any hyper-parameters that override ``defaults`` for that group.
        defaults: the hyper-parameters of groups that do not set them.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list) and every hyper-parameter.
        state: per-parameter state (momentum buffers, moments, step counts), keyed by
            ``id(param)`` so that parameters need not be hashable.

    Raises:
        ValueError: if ``params`` is empty, a parameter is in two groups, or some parameters
            or groups have names and others not.
        TypeError: if ``params`` is a single parameter, a group's ``params`` is a set, a
            parameter lacks ``.array`` or ``.grad``, or a hyper-parameter is not a number.

    Warns:
        UserWarning: a parameter listed twice in one group (PyTorch's warning); it is kept
            twice, and each step updates it twice.

    The hooks of :mod:`xpnet.optim._hooks` run around every :meth:`step` (of every subclass),
    :meth:`state_dict` and :meth:`load_state_dict`: ``register_step_pre_hook``,
    ``register_step_post_hook``, ``register_state_dict_pre_hook``, ...

    Subclasses implement :meth:`_update` for one parameter (which may be a bucket's flat
    arrays, :mod:`xpnet.optim._flat`: elementwise updates cannot tell) and list the allowed
    range of their numeric hyper-parameters in ``_bounds``.
    """

    #: ``{name: (low, high)}``: ``__init__`` checks ``low <= defaults[name] < high`` (for a
    #: tuple such as ``betas``, each entry)
    _bounds: dict[str, tuple[float, float]] = {}

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self._init_hooks()
        defaults = number_lr(type(self).__name__, defaults)
        self._check_bounds(defaults)
        self.defaults = dict(defaults)
        self.state: dict[Any, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        # the flat buffers of :mod:`._flat`, keyed by the ids of their parameters
        self._buckets: dict[tuple[int, ...], Bucket] = {}
        if hasattr(params, "grad"):
            msg = (
                f"{type(self).__name__}: params must be an iterable of parameters or dicts, "
                f"got one {type(params).__name__}; wrap it in a list"
            )
            raise TypeError(msg)
        groups = list(params) if not isinstance(params, dict) else [params]
        if not groups:
            msg = f"{type(self).__name__}: params must not be empty"
            raise ValueError(msg)
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _check_bounds(self, defaults: dict[str, Any]) -> None:
        """Raise ValueError unless each hyper-parameter named in ``_bounds`` is in range,
        TypeError if one is not a real number (a string from a config file, ``None``)."""
        for name, (low, high) in self._bounds.items():
            value = defaults[name]
            labelled = (
                {f"{name}[{i}]": entry for i, entry in enumerate(value)}
                if isinstance(value, tuple)
                else {name: value}
            )
            for label, entry in labelled.items():
                if not isinstance(entry, numbers.Real):
                    msg = (
                        f"{type(self).__name__}: {label} must be a real number, "
                        f"got {type(entry).__name__} {entry!r}"
                    )
                    raise TypeError(msg)
                if not low <= entry < high:
                    msg = f"{type(self).__name__}: {label} must be in [{low}, {high}), got {entry}"
                    raise ValueError(msg)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [
                f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"
            ]
        return "\n".join([*lines, ")"])

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. a smaller ``lr``).

        ``param_group["params"]`` may hold ``(name, parameter)`` pairs, as in PyTorch; then
        every group must (see :func:`~xpnet.optim._param_groups.new_group` for the checks).

        Raises:
            TypeError: ``param_group`` is not a dict, its ``params`` a set (unordered), or a
                parameter lacks ``.array`` or ``.grad``.
            ValueError: no ``params`` entry, a parameter already in a group, names for some
                parameters or groups only, or an ``lr`` array of more than one element.
        """
        where = type(self).__name__
        self.param_groups.append(new_group(where, param_group, self.param_groups, self.defaults))

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every gradient: set it to ``None`` (default) or fill it with zeros in place.

        With ``set_to_none=False`` a gradient Tensor is first taken out of any graph, as
        PyTorch's: detached in place if it was computed (``create_graph=True``), else made not
        to require a gradient, so that the zeros are a plain leaf.
        """
        for group in self.param_groups:
            for param in group["params"]:
                clear_grad(param, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None, *, found_inf=None):
        """Update every parameter that has a gradient; return ``closure()`` if given.

        The parameters of a group that share a backend, a dtype and a state layout are
        updated together, as views of flat buffers (:mod:`xpnet.optim._flat`): a constant
        number of device calls however many parameters there are.

        Args:
            closure: a function that recomputes the loss (and gradients) and returns it,
                called before the update. Default: ``None``.
            found_inf: a 0-d device array (:class:`xpnet.GradScaler`'s found-inf flag);
                where nonzero the step is a no-op on the device, decided there without a
                host read: parameters and state arrays keep their bits and the step count
                (then a 0-d float64 device array) stays. For the optimizers for which
                :func:`takes_found_inf` is true. Default: ``None``.

        Raises:
            TypeError: ``found_inf`` for an optimizer whose ``_update`` does not take it.
        """
        if found_inf is not None and not takes_found_inf(self):
            msg = f"{type(self).__name__}.step: its _update takes no found_inf flag"
            raise TypeError(msg)
        self._opt_called = True  # a scheduler stepped before this warns, as PyTorch's
        # as PyTorch: the closure records its graph even when step is called under no_grad
        loss = None if closure is None else enable_grad(closure)()
        # inf/NaN gradients make inf/NaN values (kept, or discarded by the flag), as in
        # PyTorch, without NumPy's RuntimeWarnings; the update is pure device work: the
        # strict backend proves it never waits on the GPU
        with host_sync_forbidden(), float_errors_ignored():
            for group in self.param_groups:
                for params in self._partition(group):
                    self._step_bucket(params, group, found_inf)
        return loss

    def _partition(self, group: dict[str, Any]) -> list[list]:
        """The group's parameters that have a gradient, in lists updated together: the same
        backend, dtype and state layout (keys and step), a gradient like the data. A
        parameter listed twice goes to a later list the second time: updated twice, in
        turn, as by PyTorch's loop over the group."""
        where = f"{type(self).__name__}.step"
        buckets: dict[tuple, list] = {}
        repeats: dict[int, int] = {}
        for param in group["params"]:
            if param.grad is None:
                continue
            repeat = repeats[id(param)] = repeats.get(id(param), -1) + 1
            names = ("param.array", "param.grad")
            grad = grad_array(param)
            backend = backend_of(param.array, grad, names=names, where=where)
            state = self.state.get(id(param), {})
            layout = tuple((k, layout_key(k, v)) for k, v in state.items())
            alike = grad.dtype == param.array.dtype and grad.shape == param.array.shape
            # anything else (a broadcast gradient) is updated alone, as it always was
            key = (backend.name, param.array.dtype, layout, None if alike else id(param), repeat)
            buckets.setdefault(key, []).append(param)
        return list(buckets.values())

    def _step_bucket(self, params: list, group: dict[str, Any], found_inf=None) -> None:
        xp = backend_of(params[0].array).xp
        key = tuple(id(param) for param in params)
        bucket = self._buckets.get(key)
        if bucket is None:  # new, or another subset of parameters: drop the buckets it overlaps
            members = set(key)
            self._buckets = {k: b for k, b in self._buckets.items() if members.isdisjoint(k)}
            bucket = self._buckets[key] = Bucket(xp, params)
        states = [self.state.setdefault(id(param), {}) for param in params]
        flat = FlatParameter(bucket.flat_data(), bucket.flat_grad())
        state = bucket.flat_state(states)
        grad = _prepared_grad(flat, group)
        if found_inf is None:
            self._update(xp, flat, grad, state, group)
        else:
            self._update(xp, flat, grad, state, group, found_inf=found_inf)
        if flat.array is not bucket.array:  # an update that rebinds param.array: write it back
            bucket.array[...] = flat.array
        bucket.scatter_state(state, states)

    def _update(self, xp, param, grad, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update ``param.array`` and ``state`` in place from ``grad`` (prepared by
        :func:`_prepared_grad`), elementwise: ``param`` may be many parameters' flat data.

        An ``_update`` that also takes a keyword ``found_inf`` (a 0-d device flag, or ``None``)
        makes the step skippable on the device (:func:`takes_found_inf`)."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """The state as ``{"state": {index: {...}}, "param_groups": [...]}``, as in PyTorch,
        between the hooks of :meth:`register_state_dict_pre_hook` and
        :meth:`register_state_dict_post_hook`.

        Parameters are replaced by their index in the order of the groups (PyTorch's
        numbering, :func:`~xpnet.optim._param_groups.packed_groups`); the arrays in
        ``state`` are the live buffers (copy them, e.g. to host, to keep a snapshot). A step
        count kept on the device (steps through :class:`xpnet.GradScaler`) is read back as a
        number here: one host read per bucket, as PyTorch's ``step`` reads as a number.
        """
        return self._state_dict_hooked(self._packed_state)

    def _packed_state(self) -> dict[str, Any]:
        groups, index = packed_groups(self.param_groups)
        read: dict[int, int | float] = {}  # a bucket's parameters share one step array
        # only parameters with state, as PyTorch's (SGD without momentum keeps none)
        state = {
            index[id(p)]: saved_state(self.state[id(p)], read)
            for group in self.param_groups
            for p in group["params"]
            if self.state.get(id(p))
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict` (also PyTorch's),
        between the hooks of :meth:`register_load_state_dict_pre_hook` and
        :meth:`register_load_state_dict_post_hook`.

        Arrays are copied onto each parameter's backend and cast to its dtype, so a state
        saved on one backend (or as NumPy arrays) loads on another. A hyper-parameter that a
        saved group lacks (one PyTorch added after the version that saved it, such as
        ``maximize`` or ``decoupled_weight_decay``) takes the optimizer's default, as
        PyTorch's ``__setstate__`` fills it in; a group's ``param_names`` stay when the saved
        group has none.

        Raises:
            ValueError: if the number of groups or of parameters per group differs.
        """
        self._load_state_dict_hooked(self._load_state, state_dict)

    def _load_state(self, state_dict: dict[str, Any]) -> None:
        """What :meth:`load_state_dict` does between its hooks."""
        saved_groups = state_dict["param_groups"]
        where = f"{type(self).__name__}.load_state_dict"
        if len(saved_groups) != len(self.param_groups):
            msg = (
                f"{where}: state_dict has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
            raise ValueError(msg)
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            if len(saved["params"]) != len(group["params"]):
                msg = (
                    f"{where}: a group in state_dict has {len(saved['params'])} parameters, "
                    f"the optimizer's has {len(group['params'])}"
                )
                raise ValueError(msg)
        self.state = {}
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            for index, param in zip(saved["params"], group["params"], strict=True):
                if index in state_dict["state"]:
                    self.state[id(param)] = state_like(param.array, state_dict["state"][index])
            # PyTorch's order of keys: the saved group's, with this group's parameters
            loaded = {
                key: group["params"] if key == "params" else copy.deepcopy(value)
                for key, value in saved.items()
            }
            if "param_names" in group:
                loaded.setdefault("param_names", group["param_names"])
            for key, value in self.defaults.items():
                loaded.setdefault(key, value)
            group.clear()  # the same dict: whoever holds a group sees the loaded one
            group.update(loaded)


def _prepared_grad(param, group: dict[str, Any]):
    """The gradient every update starts from, as in PyTorch's optimizers.

    Negated when ``maximize``; plus ``weight_decay * param`` (L2 weight decay folded into
    the gradient) unless the group decays the weights itself (``decoupled_weight_decay``,
    AdamW), which its ``_update`` then applies to the parameter.
    """
    grad = -param.grad if group["maximize"] else param.grad
    if group["weight_decay"] == 0 or group.get("decoupled_weight_decay", False):
        return grad
    return fused(backend_of(grad), _decayed)(grad, param.array, group["weight_decay"])


def _decayed(grad, data, weight_decay):
    """``grad + weight_decay * data`` (PyTorch's ``grad.add(param, alpha=weight_decay)``)."""
    return grad + weight_decay * data


def takes_found_inf(optimizer) -> bool:
    """Whether ``optimizer.step(found_inf=flag)`` skips its step on the device when the
    flag is set (:class:`xpnet.GradScaler` then reads nothing on the host): both its
    ``step`` and its ``_update`` take ``found_inf``, as every optimizer of :mod:`xpnet.optim`
    does. A subclass that overrides one of them without it is stepped the old way."""
    return _takes_found_inf(type(optimizer))


@functools.cache
def _takes_found_inf(cls: type) -> bool:
    methods = (getattr(cls, "step", None), getattr(cls, "_update", None))
    return all(
        callable(method) and "found_inf" in inspect.signature(method).parameters
        for method in methods
    )
