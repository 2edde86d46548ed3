"""``einsum``'s sublist form (operands interleaved with lists of ints in [0, 52), optional
output sublist, ``Ellipsis``) against ``torch.einsum``'s sublist form and xpnet's string form,
in float64 and float32, values and gradients, with its argument errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_tensor_method, random_input

import xpnet
from xpnet.kernels import ArgumentError


def sublist_einsum(sublists, output=None):
    def call(*tensors):
        namespace = torch if isinstance(tensors[0], torch.Tensor) else xpnet
        arguments = [x for pair in zip(tensors, sublists, strict=True) for x in pair]
        if output is not None:
            arguments.append(output)
        return namespace.einsum(*arguments)

    return call


SUBLISTS = [
    ([[0, 1], [1, 2]], [0, 2], [(2, 3), (3, 4)], "ab,bc->ac"),
    ([[0, 1], [1, 2]], None, [(2, 3), (3, 4)], "ab,bc"),
    ([[0, 0]], [0], [(3, 3)], "aa->a"),
    ([[51, 26]], None, [(2, 3)], "ZA"),
    ([[..., 0, 1], [..., 1, 2]], [..., 0, 2], [(2, 3, 4), (2, 4, 5)], "...ab,...bc->...ac"),
    ([[Ellipsis, 1], [1]], None, [(3, 4), (4,)], "...b,b"),
    ([[0], [0], [0]], [], [(4,), (4,), (4,)], "a,a,a->"),
]


@pytest.mark.parametrize(("sublists", "output", "shapes", "equation"), SUBLISTS)
def test_einsum_sublists_match_torch_and_string_form(backend, sublists, output, shapes, equation):
    inputs = [random_input(s, seed=i) for i, s in enumerate(shapes)]
    call = sublist_einsum(sublists, output)
    check_tensor_method(call, inputs, backend)
    check_tensor_method(call, inputs, backend, dtype=np.float32)
    tensors = [xpnet.tensor(x) for x in inputs]
    expected = xpnet.einsum(equation, *tensors).numpy()
    np.testing.assert_array_equal(call(*tensors).numpy(), expected)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        (lambda a: (a, [0, 52]), ArgumentError, r"einsum.*\[0, 52\)"),
        (lambda a: (a, [-1, 0]), ArgumentError, r"einsum.*\[0, 52\)"),
        (lambda a: (a, [0, True]), ArgumentError, r"einsum.*\[0, 52\)"),
        (lambda a: (a, [0, 1], a), TypeError, r"einsum.*sublist"),
        (lambda a: (a, a), TypeError, r"einsum.*sublist"),
        (lambda a: (a, 0), TypeError, r"einsum.*sublists must be lists"),
        (lambda a: (a, [0, 1], [0, 1, 2]), ArgumentError, r"einsum"),
    ],
)
def test_einsum_bad_sublists(backend, arguments, error, match):
    a = xpnet.ones(2, 3)
    with pytest.raises(error, match=match):
        xpnet.einsum(*arguments(a))
