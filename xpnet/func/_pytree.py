"""The nested containers :mod:`xpnet.func` maps over: tuples, lists, dicts and named tuples.

A *tree* is such a container of containers whose other values are its *leaves* (Tensors,
numbers, anything else); ``None`` is an empty container, as in ``torch.utils._pytree``.
:func:`tree_flatten` gives the leaves in order and a *spec* (nested plain tuples, so that two
specs compare with ``==``) that :func:`tree_unflatten` rebuilds the tree from;
:func:`broadcast_prefix` spreads a prefix tree (``vmap``'s ``in_dims``/``out_dims``) over a
spec. Used by :mod:`xpnet.func._transforms` and :mod:`xpnet.func._vmap`.

Example:
    >>> leaves, spec = tree_flatten(({"a": 1, "b": [2, 3]}, 4))
    >>> leaves, tree_unflatten([5, 6, 7, 8], spec)
    ([1, 2, 3, 4], ({'a': 5, 'b': [6, 7]}, 8))
"""

from __future__ import annotations

LEAF = "*"
NONE = ("None",)


def tree_flatten(tree) -> tuple[list, object]:
    """``(leaves, spec)`` of ``tree``, its leaves depth first and left to right."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(node, leaves: list):
    if node is None:
        return NONE
    if isinstance(node, dict):
        keys = tuple(node)
        return (type(node), keys, tuple(_flatten(node[key], leaves) for key in keys))
    if isinstance(node, tuple | list):
        return (type(node), None, tuple(_flatten(value, leaves) for value in node))
    leaves.append(node)
    return LEAF


def tree_unflatten(leaves, spec):
    """The tree of ``spec`` with ``leaves`` in its leaves' places (the inverse of
    :func:`tree_flatten`)."""
    values = iter(leaves)
    return _unflatten(values, spec)


def _unflatten(values, spec):
    if spec == LEAF:
        return next(values)
    if spec == NONE:
        return None
    kind, keys, children = spec
    items = [_unflatten(values, child) for child in children]
    if keys is not None:
        return kind(zip(keys, items, strict=True))
    if issubclass(kind, tuple) and hasattr(kind, "_fields"):
        return kind(*items)
    return kind(items)


def tree_map(function, tree):
    """``tree`` with ``function`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([function(leaf) for leaf in leaves], spec)


def leaf_count(spec) -> int:
    if spec == LEAF:
        return 1
    return 0 if spec == NONE else sum(leaf_count(child) for child in spec[2])


def broadcast_prefix(prefix, spec) -> list | None:
    """One value of ``prefix`` per leaf of ``spec``: a non-container value of ``prefix``
    (an int, ``None``) stands for every leaf below its place. ``None`` where ``prefix`` is not
    a prefix of ``spec`` (another container type, length or keys)."""
    if not isinstance(prefix, tuple | list | dict):
        return [prefix] * leaf_count(spec)
    if spec in (LEAF, NONE):
        return None
    kind, keys, children = spec
    # dicts go with dicts, lists with lists, tuples (named or not) with tuples
    if isinstance(prefix, dict) != (keys is not None) or isinstance(prefix, list) != issubclass(
        kind, list
    ):
        return None
    if keys is not None:
        if tuple(prefix) != keys:
            return None
        prefix = [prefix[key] for key in keys]
    if len(prefix) != len(children):
        return None
    flat: list = []
    for value, child in zip(prefix, children, strict=True):
        spread = broadcast_prefix(value, child)
        if spread is None:
            return None
        flat.extend(spread)
    return flat


def describe(spec) -> str:
    """``spec`` written out for an error message: ``*`` a leaf, ``(*, [*, *])`` containers."""
    if spec == LEAF:
        return "*"
    if spec == NONE:
        return "None"
    kind, keys, children = spec
    parts = [describe(child) for child in children]
    if keys is not None:
        return (
            "{" + ", ".join(f"{key!r}: {part}" for key, part in zip(keys, parts, strict=True)) + "}"
        )
    if issubclass(kind, list):
        return "[" + ", ".join(parts) + "]"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
