"""Regression tests for what the audit of the index-driven layers and losses found
(2026-12-07): ``embedding``'s backward with ``embedding_dim == 0``, and PyTorch's exception
classes for float or bool indices, offsets, class values and lengths (``RuntimeError``),
indices outside the table (``embedding_bag``'s ``RuntimeError``), and the ``padding_idx``,
``_weight`` and ``from_pretrained`` checks that PyTorch asserts (``AssertionError``).

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
with a message naming the function and the argument, a value PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import refused_as_torch

import xpnet
from xpnet.backends import raise_deferred


def _run(module, call):
    result = call(module, module.tensor)
    if module is xpnet:
        raise_deferred()  # strict defers the index checks to the next host read
    return result


def _weight(T, shape=(5, 3)):
    return T(np.arange(float(np.prod(shape))).reshape(shape).tolist())  # the current backend


# 1. embedding's backward with embedding_dim == 0: a (num_embeddings, 0) gradient
def test_embedding_backward_with_zero_embedding_dim(backend):
    grads = []
    for module in (torch, xpnet):
        weight = module.zeros(5, 0, dtype=module.float64, requires_grad=True)
        output = module.nn.functional.embedding(module.tensor([[0, 4], [2, 2]]), weight)
        assert tuple(output.shape) == (2, 2, 0)
        output.sum().backward()
        grads.append(tuple(weight.grad.shape))
    assert grads[0] == grads[1] == (5, 0)


# 2. float and bool indices: PyTorch's RuntimeError (xpnet's TypeError too)
NOT_INTEGERS = {"float": [1.0, 2.0], "bool": [True, False]}
INDEX_CALLS = {
    "embedding input": (
        lambda M, T, a: M.nn.functional.embedding(T(a), _weight(T)),
        r"embedding: input must hold integer",
    ),
    "embedding_bag input": (
        lambda M, T, a: M.nn.functional.embedding_bag(T(a), _weight(T), T([0])),
        r"embedding_bag: input must hold integer",
    ),
    "embedding_bag offsets": (
        lambda M, T, a: M.nn.functional.embedding_bag(T([1, 2]), _weight(T), T(a[:1])),
        r"embedding_bag: offsets must hold integer",
    ),
    "one_hot tensor": (
        lambda M, T, a: M.nn.functional.one_hot(T(a), 3),
        r"one_hot: tensor must hold integer",
    ),
    "ctc_loss input_lengths": (
        lambda M, T, a: M.nn.functional.ctc_loss(
            T(np.zeros((2, 2, 3)).tolist()), T([[1], [2]]), T(a), T([1, 1])
        ),
        r"ctc_loss: input_lengths must be integral",
    ),
}


# PyTorch's embedding_bag promotes bool indices with int64 offsets to int64: not copied
CASES = [(name, kind) for name in INDEX_CALLS for kind in NOT_INTEGERS]
CASES.remove(("embedding_bag input", "bool"))


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_non_integer_indices_are_refused_as_torch(name, kind, backend):
    call, pattern = INDEX_CALLS[name]
    values = NOT_INTEGERS[kind]
    refused_as_torch(_run, lambda M, T: call(M, T, values), pattern)
    with pytest.raises(TypeError):
        _run(xpnet, lambda M, T: call(M, T, values))


# 3. indices outside the table: embedding's RuntimeError for an empty table (else an
# IndexError, which the error stays), embedding_bag's RuntimeError
RANGE_CALLS = {
    "embedding empty table": lambda M, T: M.nn.functional.embedding(
        T([0]), M.zeros(0, 3, dtype=M.float64)
    ),
    "embedding_bag past the end": lambda M, T: M.nn.functional.embedding_bag(
        T([1, 5]), _weight(T), T([0])
    ),
    "embedding_bag negative": lambda M, T: M.nn.functional.embedding_bag(
        T([[-1, 2]]), _weight(T), mode="max"
    ),
}


@pytest.mark.parametrize("name", list(RANGE_CALLS))
def test_indices_out_of_range_are_refused_as_torch(name, backend):
    pattern = r"embedding(_bag)?: input indices must be in \[0, [05]\)"
    refused_as_torch(_run, RANGE_CALLS[name], pattern)
    with pytest.raises(IndexError):
        _run(xpnet, RANGE_CALLS[name])


# 4. padding_idx out of range, a _weight of another shape, from_pretrained of a non-matrix:
# PyTorch's AssertionError (xpnet's ValueError too)
ASSERTED = {
    "F.embedding padding_idx": (
        lambda M, T: M.nn.functional.embedding(T([1]), _weight(T), padding_idx=5),
        r"embedding: padding_idx must be within num_embeddings",
    ),
    "Embedding padding_idx": (
        lambda M, T: M.nn.Embedding(5, 3, padding_idx=-6),
        r"Embedding: padding_idx must be within num_embeddings",
    ),
    "EmbeddingBag padding_idx": (
        lambda M, T: M.nn.EmbeddingBag(5, 3, padding_idx=5),
        r"EmbeddingBag: padding_idx must be within num_embeddings",
    ),
    "Embedding _weight": (
        lambda M, T: M.nn.Embedding(5, 3, _weight=_weight(T, (3, 5))),
        r"Embedding: _weight must have shape \(5, 3\)",
    ),
    "EmbeddingBag _weight": (
        lambda M, T: M.nn.EmbeddingBag(5, 3, _weight=_weight(T, (5, 2))),
        r"EmbeddingBag: _weight must have shape \(5, 3\)",
    ),
    "Embedding.from_pretrained": (
        lambda M, T: M.nn.Embedding.from_pretrained(_weight(T, (5,))),
        r"Embedding\.from_pretrained: embeddings must be 2-D",
    ),
    "EmbeddingBag.from_pretrained": (
        lambda M, T: M.nn.EmbeddingBag.from_pretrained(_weight(T, (1, 5, 3))),
        r"EmbeddingBag\.from_pretrained: embeddings must be 2-D",
    ),
}


@pytest.mark.parametrize("name", list(ASSERTED))
def test_asserted_arguments_are_refused_as_torch(name, backend):
    call, pattern = ASSERTED[name]
    refused_as_torch(_run, call, pattern)
    with pytest.raises(ValueError, match=pattern):
        _run(xpnet, call)
