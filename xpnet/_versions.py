"""PyTorch's version counter: how many times a tensor's value changed in place.

An op records the versions of its inputs (:class:`xpnet.autograd.Node`) and refuses its
backward if one changed since. A recorded change (:func:`mark_modified`) gives the tensor a
new array and counts for it alone; an unrecorded one writes the array itself
(:func:`mark_written`) and counts for every tensor that shares it (:func:`share_writes`: views,
bases, ``detach()`` results), as PyTorch's views share one counter with their base. A
Tensor's ``_version`` is the sum of its own changes and its array's writes.

Example:
    >>> import xpnet
    >>> h = xpnet.ones(2)
    >>> d = h.detach()
    >>> _ = d.zero_()
    >>> h._version, d._version
    (1, 1)

Tensors that share one array outside the graph (``detach()``, ``view(dtype)``: aliases,
:func:`share_array`) see each other's recorded changes too: such a change is written into the
shared array (:mod:`xpnet._tensor_inplace`), as PyTorch's in-place ops write the storage.
"""

from __future__ import annotations

import weakref


def mark_modified(tensor) -> None:
    """Record that ``tensor``'s value changed in place (PyTorch's version counter): an op
    recorded before with it as input refuses its backward (:meth:`Node.apply`). A recorded
    change, which gives ``tensor`` a new array, counts for it alone."""
    tensor._own_version += 1


def mark_written(tensor) -> None:
    """Record that ``tensor``'s array was written in place (an unrecorded change): it counts
    in the version of every tensor that shares the array's writes (:func:`share_writes`: its
    views, its base, ``detach()`` results), as PyTorch's views share one version counter."""
    tensor._storage_writes[0] += 1


def share_writes(tensor, source):
    """Make ``tensor`` (a view of ``source``'s array, or its ``detach()``) count the
    unrecorded writes of ``source``'s array and ``source`` count its; returns ``tensor``."""
    tensor._storage_writes = source._storage_writes
    return tensor


def share_array(tensor, source):
    """Make ``tensor`` an alias of ``source``: it holds ``source``'s array (or a view of it)
    outside the graph (``detach()``, ``view(dtype)``), so a recorded change of either, or of
    a view of either, must be written into that array (:func:`has_aliases`); it also shares
    the writes' count (:func:`share_writes`). Returns ``tensor``."""
    source = _base(source)  # x[0].detach() shares x's array
    group = source.__dict__.get("_aliases")
    if group is None:
        group = source._aliases = weakref.WeakSet((source,))
    group.add(tensor)
    tensor._aliases = group
    return share_writes(tensor, source)


def has_aliases(tensor) -> bool:
    """Whether another live Tensor holds the array of ``tensor``, or of the base it is a
    view of, outside the graph (:func:`share_array`)."""
    tensor = _base(tensor)
    return any(other is not tensor for other in tensor.__dict__.get("_aliases", ()))


def _base(tensor):
    """The tensor that ``tensor`` is a view of (``x[0]``, ``x.t()``), or itself."""
    while tensor._view_of is not None:
        tensor = tensor._view_of[0]
    return tensor


def data_alias(tensor):
    """``tensor.data``: a new leaf Tensor on ``tensor``'s array, outside the graph, as
    PyTorch's. Unlike ``detach()`` its changes do not count in ``tensor``'s version (PyTorch's
    ``.data`` hides them from autograd: ``p.data.normal_()`` on a leaf that requires grad);
    a recorded change of ``tensor`` is still written into the shared array (an alias)."""
    from .autograd import Tensor  # the Tensor module imports this one

    alias = share_array(Tensor(tensor.array), tensor)
    alias._storage_writes = [0]
    return alias


def assign_data(tensor, value) -> None:
    """``tensor.data = value``: ``tensor`` takes ``value``'s array (a Tensor's, or a backend
    array itself), of any shape and dtype, as PyTorch's; its version and graph stay."""
    if hasattr(value, "grad_fn"):
        value = value.array
    elif not (hasattr(value, "dtype") and hasattr(value, "shape")):
        msg = f"Variable data has to be a tensor, but got {type(value).__name__}"
        raise TypeError(msg)
    tensor.array = value


def weak_set(tensor, name: str) -> weakref.WeakSet:
    """``tensor``'s weak set ``name`` (``_views``, ``_consumers``), made on first use."""
    return tensor.__dict__.get(name) or tensor.__dict__.setdefault(name, weakref.WeakSet())
