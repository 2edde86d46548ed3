"""Regression tests for the differences from PyTorch 2.13 the audit of the recurrent layers
found (2026-12-07): the types of ``num_layers``, ``proj_size`` and ``bidirectional``, the
count of LSTM states, dtype mismatches of the input (packed too) and of the states, named by
the layer and the argument rather than by the matrix product inside, and ``hx`` given as a
list or holding ``None``.

PyTorch is the oracle: where it raises, ours must raise an instance of its class with a
message naming the layer and the argument. Where PyTorch fails from inside (an
AttributeError on ``hx.dim()``), ours is a TypeError, as the cells' already are.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from _oracle import refused_as_torch
from torch.nn.utils import rnn as torch_rnn

import xpnet
from xpnet.autograd import Tensor
from xpnet.backends import to_backend
from xpnet.nn.utils import rnn

L, N, I, H = 3, 2, 3, 4  # sequence length, batch, input and hidden features


def _refused_as_torch(backend, call, pattern):
    """``call(M, make, place)`` refused by torch and by xpnet alike; ``make(shape, dtype)``
    makes zeros, ``place(module)`` puts a module on ``backend``."""

    def run(M, call):
        def make(shape, dtype="float32"):
            array = np.zeros(shape, dtype=dtype)
            return (
                torch.from_numpy(array) if M is torch else Tensor(to_backend(array, backend.name))
            )

        def place(module):
            return module if M is torch else module.to(backend.name)

        return call(M, make, place)

    refused_as_torch(run, call, pattern)


def _pack(M, sequences):
    return (torch_rnn if M is torch else rnn).pack_sequence(sequences, enforce_sorted=False)


# 1. num_layers and proj_size of the wrong type: PyTorch's TypeError, not a ValueError
@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda M: M.nn.GRU(I, H, 2.0), "GRU: num_layers should be of type int, got: float"),
        (lambda M: M.nn.LSTM(I, H, proj_size=2.0), "LSTM: proj_size should be of type int"),
        (lambda M: M.nn.LSTM(I, H, proj_size=True), "LSTM: proj_size should be .* got: bool"),
    ],
    ids=["num_layers-float", "proj_size-float", "proj_size-bool"],
)
def test_layer_options_of_wrong_type_are_type_errors(backend, call, pattern):
    _refused_as_torch(backend, lambda M, make, place: call(M), pattern)


# 2. bidirectional=1 and num_layers=True: built, as PyTorch's, but refused by the forward
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("options", [{"bidirectional": 1}, {"num_layers": True}])
def test_non_bool_bidirectional_and_bool_num_layers_refused_at_forward(backend, kind, options):
    def call(M, make, place):
        module = place(getattr(M.nn, kind)(I, H, **options))
        return module(make((L, N, I)))

    _refused_as_torch(backend, call, f"{kind}: bidirectional must be a bool and num_layers an int")


# 3. LSTM given three states: PyTorch's RuntimeError "lstm expects two hidden states"
def test_lstm_given_three_states_is_a_runtime_error(backend):
    def call(M, make, place):
        return place(M.nn.LSTM(I, H))(make((L, N, I)), (make((1, N, H)),) * 3)

    pattern = r"LSTM: expects two hidden states \(h_0, c_0\) in hx, got a tuple of 3"
    _refused_as_torch(backend, call, pattern)


# 4. an input of another dtype than the weights: PyTorch's ValueError, but its RuntimeError for
# a packed input to LSTM (whose forward skips the dtype check then): ours is both
def test_lstm_input_dtype_mismatch_is_torch_class_packed_or_not(backend):
    def call(M, make, place, packed):
        module = place(M.nn.LSTM(I, H))
        if packed:
            return module(_pack(M, [make((2, I), "float64"), make((L, I), "float64")]))
        return module(make((L, N, I), "float64"))

    pattern = r"LSTM: input dtype \(float64\) does not match weight dtype \(float32\)"
    for packed in (False, True):
        _refused_as_torch(backend, functools.partial(call, packed=packed), pattern)


# 5. states (or a cell's input) of another dtype: named by the layer and the argument
STATE_DTYPES = {
    "GRU-h0": (
        lambda M, make, place: place(M.nn.GRU(I, H))(make((L, N, I)), make((1, N, H), "float64")),
        r"GRU: hx dtype \(float64\) does not match input dtype \(float32\)",
    ),
    "RNN-packed-h0": (
        lambda M, make, place: place(M.nn.RNN(I, H))(
            _pack(M, [make((2, I)), make((L, I))]), make((1, 2, H), "float64")
        ),
        r"RNN: hx dtype \(float64\) does not match input dtype \(float32\)",
    ),
    "LSTM-c0": (
        lambda M, make, place: place(M.nn.LSTM(I, H))(
            make((L, N, I)), (make((1, N, H)), make((1, N, H), "float64"))
        ),
        r"LSTM: hx\[1\] dtype \(float64\) does not match input dtype \(float32\)",
    ),
    "RNNCell-h": (
        lambda M, make, place: place(M.nn.RNNCell(I, H))(make((N, I)), make((N, H), "float64")),
        r"RNNCell: hx dtype \(float64\) does not match input dtype \(float32\)",
    ),
    "LSTMCell-input": (
        lambda M, make, place: place(M.nn.LSTMCell(I, H))(make((N, I), "float64")),
        r"LSTMCell: input dtype \(float64\) does not match weight dtype \(float32\)",
    ),
    "GRUCell-int-input": (
        lambda M, make, place: place(M.nn.GRUCell(I, H))(make((N, I), "int64")),
        r"GRUCell: input dtype \(int64\) does not match weight dtype \(float32\)",
    ),
}


@pytest.mark.parametrize("name", list(STATE_DTYPES))
def test_dtype_mismatch_of_states_and_cell_inputs_names_the_argument(backend, name):
    call, pattern = STATE_DTYPES[name]
    _refused_as_torch(backend, call, pattern)


# 6. hx a list or a tuple for RNN and GRU (PyTorch: AttributeError on hx.dim()), or holding
# None for LSTM: a TypeError, not a stacked 4-D state or a 0-d array of objects
@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("kind", ["RNN", "GRU"])
def test_rnn_and_gru_refuse_a_list_of_states(backend, kind, packed):
    module = getattr(xpnet.nn, kind)(I, H).to(backend.name)
    h = xpnet.zeros((1, N, H)).to(backend.name)
    sequences = [xpnet.zeros((L, I)).to(backend.name), xpnet.zeros((2, I)).to(backend.name)]
    input = rnn.pack_sequence(sequences) if packed else xpnet.zeros((L, N, I)).to(backend.name)
    with pytest.raises(TypeError, match=f"{kind}: hx must be a Tensor, not list"):
        module(input, [h, h])


@pytest.mark.parametrize("kind", ["LSTM", "LSTMCell"])
def test_lstm_states_holding_none_are_type_errors(backend, kind):
    module = getattr(xpnet.nn, kind)(I, H).to(backend.name)
    shape = (L, N, I) if kind == "LSTM" else (N, I)
    with pytest.raises(TypeError, match=rf"{kind}: hx\[0\] must be a Tensor, not NoneType"):
        module(xpnet.zeros(shape).to(backend.name), (None, None))
