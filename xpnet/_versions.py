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
"""

from __future__ import annotations


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
