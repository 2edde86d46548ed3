"""Regression tests for the internal errors the refusal audit against PyTorch 2.13 still found
(2026-12-06, third pass): a ``KeyError`` from the dtype promotion for ``None`` or a str, an
``AttributeError`` from the linear-algebra checks and ``channel_shuffle`` for ``None`` or a
number, an ``IndexError`` from inside ``tensordot``, and the dropout forms' ``train`` (and
``rrelu``'s ``training``) taking any value where PyTorch's parser takes only a bool.

Each case is checked twice: PyTorch raises the class given, and xpnet raises that class too
with a message naming the function and the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
import xpnet.linalg  # noqa: F401 - M.linalg below, for xpnet as for torch

# Tensor.lu_solve is deprecated in PyTorch and xpnet warns as it does; the case checks the error
pytestmark = pytest.mark.filterwarnings("ignore:torch.lu_solve is deprecated:UserWarning")


def _tensors(M):
    x = M.tensor([[1.5, -2.0, 0.5], [0.5, 3.0, 1.0], [2.0, 0.0, 4.0]], dtype=M.float32)
    pivots = M.tensor([1, 2, 3], dtype=M.int32)
    return x, pivots


# name -> (call on module M, x (float32, 3x3) and pivots (int32); PyTorch's exception class;
# a regex the message must match: the function, then the argument)
CASES = {
    "Tensor.kron(None)": (lambda M, x, p: x.kron(None), TypeError, r"kron: other\b"),
    "kron(x, 'abc')": (lambda M, x, p: M.kron(x, "abc"), TypeError, r"kron: other\b"),
    "kron(2, x)": (lambda M, x, p: M.kron(2, x), TypeError, r"kron: input\b"),
    "result_type(x, None)": (
        lambda M, x, p: M.result_type(x, None),
        TypeError,
        r"result_type: operand 1\b",
    ),
    "result_type(x, 'abc')": (
        lambda M, x, p: M.result_type(x, "abc"),
        TypeError,
        r"result_type: operand 1\b",
    ),
    "dropout(train=1)": (lambda M, x, p: M.dropout(x, 0.5, train=1), TypeError, r"dropout: train"),
    "dropout_(x, 0.5, None)": (
        lambda M, x, p: M.dropout_(x, 0.5, None),
        TypeError,
        r"dropout_: train\b",
    ),
    "alpha_dropout(x, 0.5, 1)": (
        lambda M, x, p: M.alpha_dropout(x, 0.5, 1),
        TypeError,
        r"alpha_dropout: train\b",
    ),
    "feature_alpha_dropout_(x, 0.5, 'yes')": (
        lambda M, x, p: M.feature_alpha_dropout_(x[None], 0.5, "yes"),
        TypeError,
        r"feature_alpha_dropout_: train\b",
    ),
    "rrelu(training=1)": (lambda M, x, p: M.rrelu(x, training=1), TypeError, r"rrelu: training"),
    "rrelu_(x, 0.1, 0.3, 0)": (
        lambda M, x, p: M.rrelu_(x, 0.1, 0.3, 0),
        TypeError,
        r"rrelu_: training\b",
    ),
    "linalg.det(None)": (lambda M, x, p: M.linalg.det(None), TypeError, r"linalg\.det: A\b"),
    "linalg.det(5)": (
        lambda M, x, p: M.linalg.det(5),
        TypeError,
        r"linalg\.det: A must be a Tensor",
    ),
    "inverse(None)": (lambda M, x, p: M.inverse(None), TypeError, r"linalg\.inv: A\b"),
    "linalg.matrix_exp(1.0)": (
        lambda M, x, p: M.linalg.matrix_exp(1.0),
        TypeError,
        r"linalg\.matrix_exp: A must be a Tensor",
    ),
    "linalg.matrix_power(None, 2)": (
        lambda M, x, p: M.linalg.matrix_power(None, 2),
        TypeError,
        r"linalg_matrix_power: A must be a Tensor",
    ),
    "linalg.lu_solve(x, None, x)": (
        lambda M, x, p: M.linalg.lu_solve(x, None, x),
        TypeError,
        r"linalg\.lu_solve: pivots\b",
    ),
    "linalg.lu_solve(x, p, None)": (
        lambda M, x, p: M.linalg.lu_solve(x, p, None),
        TypeError,
        r"linalg\.lu_solve: B\b",
    ),
    "Tensor.lu_solve(x, None)": (
        lambda M, x, p: x.lu_solve(x, None),
        TypeError,
        r"lu_solve: pivots\b",
    ),
    "lu_unpack(x, None)": (
        lambda M, x, p: M.lu_unpack(x, None),
        TypeError,
        r"lu_unpack: LU_pivots\b",
    ),
    "linalg.lstsq(x, None)": (
        lambda M, x, p: M.linalg.lstsq(x, None),
        TypeError,
        r"lstsq: B\b",
    ),
    "linalg.solve(x, None)": (
        lambda M, x, p: M.linalg.solve(x, None),
        TypeError,
        r"linalg\.solve: B\b",
    ),
    "linalg.householder_product(x, None)": (
        lambda M, x, p: M.linalg.householder_product(x, None),
        TypeError,
        r"linalg\.householder_product: tau\b",
    ),
    "channel_shuffle(3, 2)": (
        lambda M, x, p: M.channel_shuffle(3, 2),
        TypeError,
        r"channel_shuffle: input\b",
    ),
    "nn.functional.channel_shuffle((1, 2), 2)": (
        lambda M, x, p: M.nn.functional.channel_shuffle((1, 2), 2),
        TypeError,
        r"channel_shuffle: input\b",
    ),
    "tensordot(x, x, (4, 3))": (
        lambda M, x, p: M.tensordot(x, x, (4, 3)),
        TypeError,
        r"tensordot: dims of a\b",
    ),
    "tensordot(x, x, ([0], [5]))": (
        lambda M, x, p: M.tensordot(x, x, ([0], [5])),
        IndexError,
        r"tensordot: dims of b\b",
    ),
    "tensordot(x, x, ([0], [True]))": (
        lambda M, x, p: M.tensordot(x, x, ([0], [True])),
        TypeError,
        r"tensordot: dims of b\b",
    ),
    "tensordot(x, x, ([0, 0], [0, 1]))": (
        lambda M, x, p: M.tensordot(x, x, ([0, 0], [0, 1])),
        RuntimeError,
        r"tensordot: dims of a\b",
    ),
    "tensordot(x, x, None)": (
        lambda M, x, p: M.tensordot(x, x, None),
        RuntimeError,
        r"tensordot: dims\b",
    ),
    "feature_dropout(x, 0.5, 1)": (
        lambda M, x, p: M.feature_dropout(x[None], 0.5, 1),
        TypeError,
        r"feature_dropout: train\b",
    ),
    "feature_dropout_(x, 0.5, 1)": (
        lambda M, x, p: M.feature_dropout_(x[None], 0.5, 1),
        TypeError,
        r"feature_dropout_: train\b",
    ),
    "Tensor.view_as(3)": (
        lambda M, x, p: x.view_as(3),
        TypeError,
        r"view_as: other\b",
    ),
    "rrelu_(1.5, tensor(0))": (
        lambda M, x, p: M.rrelu_(1.5, M.tensor(0.0)),
        TypeError,
        r"rrelu_: input\b",
    ),
    "nn.functional.relu_(1.5)": (
        lambda M, x, p: M.nn.functional.relu_(1.5),
        TypeError,
        r"relu_: input\b",
    ),
    "tensordot(x, x, (1.5,))": (
        lambda M, x, p: M.tensordot(x, x, (1.5,)),
        ValueError,
        r"tensordot: dims\b",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_torch_raises_the_class_too(case):
    with pytest.raises(CASES[case][1]):
        CASES[case][0](torch, *_tensors(torch))


@pytest.mark.parametrize("case", list(CASES))
def test_xpnet_raises_torchs_class_naming_function_and_argument(case, backend):
    call, expected, pattern = CASES[case]
    with pytest.raises(expected, match=pattern):
        call(xpnet, *_tensors(xpnet))


@pytest.mark.parametrize(
    "call",
    [
        lambda M, x, p: M.tensordot(x, x, ([0, -1], [1, 0])),
        lambda M, x, p: M.tensordot(x, x, 1),
        lambda M, x, p: M.kron(x, x[:2]),
        lambda M, x, p: M.dropout(x, 0.5, False),
        lambda M, x, p: M.alpha_dropout(x, 0.5, train=False),
        lambda M, x, p: M.rrelu(x, 0.1, 0.3, False),
        lambda M, x, p: M.linalg.det(x.double()),
        lambda M, x, p: M.linalg.solve(x.double(), x[0].double()),
        lambda M, x, p: M.channel_shuffle(x.reshape(1, 9, 1), 3),
        lambda M, x, p: M.linspace(M.tensor(0.5), 1, 3),  # 0-d tensor bounds, as torch takes
        lambda M, x, p: M.logspace(M.tensor(0.5), 0, 2),
        lambda M, x, p: M.arange(M.tensor(1), M.tensor(7), M.tensor(2)),
    ],
)
def test_accepted_calls_still_match_torch(call, backend):
    np.testing.assert_allclose(
        np.asarray(call(xpnet, *_tensors(xpnet)).tolist()),
        call(torch, *_tensors(torch)).numpy(),
        rtol=1e-6,
    )


def test_result_type_of_a_tensor_and_a_number_as_torch(backend):
    x, _ = _tensors(xpnet)
    assert str(xpnet.result_type(x.long(), 2.5)) == "float32"
    assert torch.result_type(_tensors(torch)[0].long(), 2.5) == torch.float32


def test_a_zero_d_integer_bound_keeps_arange_integral_as_torch(backend):
    assert str(xpnet.arange(xpnet.tensor(3)).dtype) == "int64"
    assert torch.arange(torch.tensor(3)).dtype == torch.int64
