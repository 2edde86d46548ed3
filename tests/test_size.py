"""``xpnet.Size``, the shape of a Tensor, against ``torch.Size``: what returns one, what it
keeps (slicing, ``+``, ``*``), ``numel``, its constructor, and that arrays take it as a shape."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import xpnet


def kind(value):
    """``("Size", items)`` for either library's Size, ``(type name, value)`` otherwise."""
    if isinstance(value, torch.Size | xpnet.Size):
        return "Size", tuple(value)
    return type(value).__name__, value


SOURCES = {
    "shape": lambda L: L.zeros(2, 3, 4).shape,
    "size()": lambda L: L.zeros(2, 3, 4).size(),
    "size(dim)": lambda L: L.zeros(2, 3, 4).size(1),
    "broadcast_shapes": lambda L: L.broadcast_shapes((2, 1, 4), (3, 1), 4),
    "Size(list)": lambda L: L.Size([2, 3]),
    "Size()": lambda L: L.Size(),
    "Size(numpy ints)": lambda L: L.Size(np.array([2, 3])),
    "Size(bools)": lambda L: L.Size([True, False]),
    "result shape": lambda L: (L.ones(2, 3) @ L.ones(3, 4)).sum(0, keepdim=True).shape,
}


@pytest.mark.parametrize("source", SOURCES)
def test_shapes_are_sizes_as_torch(backend, source):
    assert kind(SOURCES[source](xpnet)) == kind(SOURCES[source](torch))


OPERATIONS = {
    "slice": lambda s: s[1:],
    "reversed slice": lambda s: s[::-1],
    "empty slice": lambda s: s[0:0],
    "item": lambda s: s[-1],
    "add tuple": lambda s: s + (5,),
    "tuple add": lambda s: (5,) + s,
    "add size": lambda s: s + s,
    "times": lambda s: s * 2,
    "times right": lambda s: 2 * s,
    "numel": lambda s: s.numel(),
    "equals tuple": lambda s: s == (2, 3, 4),
    "hash": lambda s: hash(s) == hash((2, 3, 4)),
    "count": lambda s: s.count(3),
    "index": lambda s: s.index(4),
    "unpack": lambda s: tuple(n * 2 for n in s),
    "pickle": lambda s: pickle.loads(pickle.dumps(s)),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_size_operations_keep_the_type_as_torch(backend, operation):
    ours = OPERATIONS[operation](xpnet.zeros(2, 3, 4).shape)
    assert kind(ours) == kind(OPERATIONS[operation](torch.zeros(2, 3, 4).shape))


def test_size_of_no_dimensions_has_one_element_as_torch(backend):
    assert xpnet.tensor(3.0).shape.numel() == torch.tensor(3.0).shape.numel() == 1
    assert xpnet.zeros(0, 5).shape.numel() == torch.zeros(0, 5).shape.numel() == 0


@pytest.mark.parametrize("items", [[1.5], ["a"], [None], 5], ids=str)
def test_size_refuses_what_is_not_an_int_as_torch(items):
    with pytest.raises(TypeError):
        torch.Size(items)
    with pytest.raises(TypeError, match="Size"):
        xpnet.Size(items)
    with pytest.raises(TypeError):  # a list is not concatenated, as to a tuple
        xpnet.Size([2]) + [3]


def test_size_prints_as_a_tuple(backend):
    # deliberately unlike torch.Size([2, 3]): messages and examples show shapes as tuples
    shape = xpnet.zeros(2, 3).shape
    assert repr(shape) == str(shape) == f"{shape}" == "(2, 3)"


def test_arrays_and_tensors_take_a_size_as_a_shape(backend):
    shape = xpnet.zeros(2, 3).shape
    assert backend.xp.zeros(shape).shape == (2, 3)
    assert backend.xp.ones(shape[1:]).shape == (3,)
    x = xpnet.arange(6.0)
    assert x.reshape(shape).shape == x.view(shape).shape == xpnet.zeros(shape).shape == shape
    assert xpnet.ones(3).expand(shape).shape == shape
