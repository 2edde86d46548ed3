"""xpnet.nn.utils.rnn's packed sequences, and the recurrent layers on them, against PyTorch's.

Packing and padding are compared value for value (data, batch_sizes, the indices, lengths) and
through their gradients; ``RNN``, ``LSTM`` and ``GRU`` on a packed batch with torch's weights
loaded: the packed output, h_n (and c_n) and the gradients of the input, the initial states
and every parameter, with ``check_against_torch``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rnn import LAYERS, leaves, load_torch_weights, state_arrays
from torch.nn.utils import rnn as torch_rnn

import xpnet
from xpnet.autograd import Tensor
from xpnet.nn.utils import rnn

T, B, I, H = 5, 4, 3, 4  # longest length, batch, input and hidden features
LENGTHS = {
    "sorted": ([5, 3, 3, 1], True),
    "unsorted": ([2, 5, 1, 3], False),
    "ties": ([3, 5, 3, 3], False),
    "full": ([5, 5, 5, 5], False),
}


def host(tensor):
    return None if tensor is None else xpnet.to_backend(tensor.array, "numpy")


def assert_same_packing(ours, theirs):
    np.testing.assert_array_equal(host(ours.data), theirs.data.detach().numpy())
    assert ours.batch_sizes.tolist() == theirs.batch_sizes.tolist()
    assert type(ours.batch_sizes.array) is np.ndarray and ours.batch_sizes.dtype == np.int64
    for index in ("sorted_indices", "unsorted_indices"):
        mine, torchs = getattr(ours, index), getattr(theirs, index)
        assert (mine is None) == (torchs is None), index
        if mine is not None:
            assert mine.dtype == np.int64
            assert host(mine).tolist() == torchs.tolist(), index


@pytest.mark.parametrize("trailing", [(), (3,)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("case", list(LENGTHS))
def test_pack_padded_and_pad_packed_match_torch(backend, case, batch_first, trailing):
    lengths, enforce_sorted = LENGTHS[case]
    shape = (B, T, *trailing) if batch_first else (T, B, *trailing)
    x = random_input(shape)
    options = {"batch_first": batch_first, "enforce_sorted": enforce_sorted}
    packed = rnn.pack_padded_sequence(Tensor(backend.asarray(x)), lengths, **options)
    expected = torch_rnn.pack_padded_sequence(torch.tensor(x), torch.tensor(lengths), **options)
    assert_same_packing(packed, expected)
    padded, sizes = rnn.pad_packed_sequence(packed, batch_first, -2.0, T + 1)
    theirs, torch_sizes = torch_rnn.pad_packed_sequence(expected, batch_first, -2.0, T + 1)
    np.testing.assert_array_equal(host(padded), theirs.numpy())
    assert type(sizes.array) is np.ndarray and sizes.dtype == np.int64
    assert sizes.tolist() == torch_sizes.tolist() == lengths

    def forward(x):  # packed data, then padded again: both directions' gradients
        packed = rnn.pack_padded_sequence(Tensor(x, requires_grad=True), lengths, **options)
        padded = rnn.pad_packed_sequence(packed, batch_first, 0.5)[0]
        return xpnet.cat([packed.data.reshape(-1), padded.reshape(-1)]).array

    def backward(grad_output, x):
        tensor = Tensor(x, requires_grad=True)
        packed = rnn.pack_padded_sequence(tensor, lengths, **options)
        padded = rnn.pad_packed_sequence(packed, batch_first, 0.5)[0]
        xpnet.cat([packed.data.reshape(-1), padded.reshape(-1)]).backward(grad_output)
        return tensor.grad

    def torch_forward(x):
        packed = torch_rnn.pack_padded_sequence(x, torch.tensor(lengths), **options)
        padded = torch_rnn.pad_packed_sequence(packed, batch_first, 0.5)[0]
        return torch.cat([packed.data.reshape(-1), padded.reshape(-1)])

    check_against_torch(forward, backward, torch_forward, [x], backend)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_match_torch(backend, enforce_sorted):
    shapes = [(4, 2), (3, 2), (1, 2)] if enforce_sorted else [(2, 2), (4, 2), (1, 2)]
    arrays = [random_input(shape, seed=index) for index, shape in enumerate(shapes)]

    def forward(*arrays):
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        packed = rnn.pack_sequence(tensors, enforce_sorted)
        unpacked = rnn.unpack_sequence(packed)
        return tensors, xpnet.cat([packed.data.reshape(-1)] + [u.reshape(-1) for u in unpacked])

    def backward(grad_output, *arrays):
        tensors, output = forward(*arrays)
        output.backward(grad_output)
        return tuple(tensor.grad for tensor in tensors)

    def torch_forward(*tensors):
        packed = torch_rnn.pack_sequence(list(tensors), enforce_sorted)
        unpacked = torch_rnn.unpack_sequence(packed)
        return torch.cat([packed.data.reshape(-1)] + [u.reshape(-1) for u in unpacked])

    device = [backend.asarray(a) for a in arrays]
    packed = rnn.pack_sequence([Tensor(a) for a in device], enforce_sorted)
    assert_same_packing(
        packed, torch_rnn.pack_sequence(list(map(torch.tensor, arrays)), enforce_sorted)
    )
    forward_data = lambda *a: forward(*a)[1].array  # noqa: E731
    check_against_torch(forward_data, backward, torch_forward, arrays, backend)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_torch(backend, batch_first):
    x = random_input((B, T, 2) if batch_first else (T, B, 2))
    lengths = [5, 2, 4, 1]
    ours = rnn.unpad_sequence(Tensor(backend.asarray(x)), xpnet.tensor(lengths), batch_first)
    theirs = torch_rnn.unpad_sequence(torch.tensor(x), torch.tensor(lengths), batch_first)
    assert len(ours) == len(theirs) == B
    for mine, torchs in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(host(mine), torchs.numpy())
    padded = Tensor(backend.asarray(x), requires_grad=True)
    xpnet.cat(
        [s.reshape(-1) for s in rnn.unpad_sequence(padded, lengths, batch_first)]
    ).sum().backward()
    expected = torch.tensor(x, requires_grad=True)
    torch.cat(
        [
            s.reshape(-1)
            for s in torch_rnn.unpad_sequence(expected.clone(), torch.tensor(lengths), batch_first)
        ]
    ).sum().backward()
    np.testing.assert_array_equal(backend.to_host(padded.grad.array), expected.grad.numpy())
    assert padded.shape == x.shape  # PyTorch's transposes its argument in place; ours does not


def test_packed_sequence_methods(backend):
    packed = rnn.pack_padded_sequence(
        Tensor(backend.asarray(random_input((3, 2)))), [3, 1], enforce_sorted=False
    )
    assert isinstance(packed, tuple) and packed._fields == torch_rnn.PackedSequence._fields
    assert packed.is_cuda is False and packed.is_pinned() is False and packed.pin_memory() is packed
    assert packed.to("float64") is packed and packed.cpu() is packed
    single = packed.float()
    assert single.data.dtype == np.float32 and single.batch_sizes is packed.batch_sizes
    assert single.sorted_indices.tolist() == packed.sorted_indices.tolist()
    assert packed.half().data.dtype == np.float16 and packed.double().data.dtype == np.float64
    assert packed.long().data.dtype == np.int64 and packed.int().data.dtype == np.int32
    assert packed.byte().data.dtype == np.uint8 and packed.char().data.dtype == np.int8
    assert packed.short().data.dtype == np.int16
    again = rnn.PackedSequence(
        (packed.data, packed.batch_sizes), sorted_indices=packed.sorted_indices
    )
    assert again.unsorted_indices.tolist() == packed.unsorted_indices.tolist() == [0, 1]
    assert rnn.invert_permutation(None) is None
    assert rnn.invert_permutation(xpnet.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    other = "numpy" if backend.name != "numpy" else "strict"
    moved = packed.to(other)
    assert xpnet.backends.backend_of(moved.data.array).name == other
    assert xpnet.backends.backend_of(moved.sorted_indices.array).name == other
    assert type(moved.batch_sizes.array) is np.ndarray


PACK_ERRORS = [
    ([2, 3, 1, 1], {}, RuntimeError, "must be sorted in decreasing order when `enforce_sorted`"),
    ([3, 2, 1, 0], {}, RuntimeError, "Length of all samples has to be greater than 0"),
    ([3, 0, 1, 2], {"enforce_sorted": False}, RuntimeError, "has to be greater than 0"),
    ([3, 2], {}, RuntimeError, r"Expected `len\(lengths\)` to be equal to batch_size, but got 2"),
    ([[3, 2, 1, 1]], {}, RuntimeError, "should be a 1D CPU int64 tensor, but got 2D cpu"),
    (["a", "b", "c", "d"], {}, TypeError, "lengths must be integers"),
    ([6, 2, 1, 1], {}, RuntimeError, "lengths must be at most the sequence length 5, got 6"),
]


@pytest.mark.parametrize("lengths, kwargs, error, match", PACK_ERRORS)
def test_pack_padded_sequence_errors(backend, lengths, kwargs, error, match):
    x = Tensor(backend.asarray(random_input((T, B, 2))))
    with pytest.raises(error, match=match):
        rnn.pack_padded_sequence(x, lengths, **kwargs)
    if error is RuntimeError and "at most" not in match:  # PyTorch reads past the input there
        with pytest.raises(RuntimeError):
            torch_rnn.pack_padded_sequence(torch.zeros(T, B, 2), lengths, **kwargs)


def test_pack_and_pad_refuse_bad_inputs(backend):
    with pytest.raises(RuntimeError, match="Cannot pack empty tensors"):
        rnn.pack_padded_sequence(Tensor(backend.xp.zeros((0, 2, 3))), [1, 1])
    with pytest.raises(IndexError, match="at least 2 dimensions, got 1"):
        rnn.pack_padded_sequence(Tensor(backend.xp.zeros(3)), [3])
    packed = rnn.pack_sequence([xpnet.ones(3), xpnet.ones(1)])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        rnn.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        rnn.pack_sequence([])
    with pytest.raises(RuntimeError, match="unpad_sequence: expected 2 lengths, got 1"):
        rnn.unpad_sequence(xpnet.zeros((3, 2)), [1])


@settings(PROFILE, max_examples=30)
@given(
    lengths=st.lists(st.integers(0, 6), min_size=1, max_size=5),
    batch_first=st.booleans(),
    enforce_sorted=st.booleans(),
)
def test_pack_padded_sequence_property(lengths, batch_first, enforce_sorted):
    steps = max(max(lengths), 1)
    x = random_input((len(lengths), steps, 2) if batch_first else (steps, len(lengths), 2))
    options = {"batch_first": batch_first, "enforce_sorted": enforce_sorted}
    try:
        expected = torch_rnn.pack_padded_sequence(torch.tensor(x), lengths, **options)
    except RuntimeError as error:
        with pytest.raises(RuntimeError, match=str(error)[:30].replace("`", ".").replace("(", ".")):
            rnn.pack_padded_sequence(xpnet.tensor(x), lengths, **options)
        return
    packed = rnn.pack_padded_sequence(xpnet.tensor(x), lengths, **options)
    assert_same_packing(packed, expected)
    padded, sizes = rnn.pad_packed_sequence(packed, batch_first)
    theirs, torch_sizes = torch_rnn.pad_packed_sequence(expected, batch_first)
    np.testing.assert_array_equal(padded.numpy(), theirs.numpy())
    assert sizes.tolist() == torch_sizes.tolist()


# -- the recurrent layers on packed batches ---------------------------------------------------
def check_packed_layer(kind, kwargs, lengths, enforce_sorted, given, backend, dtype=np.float64):
    ours, theirs = LAYERS[kind]
    torch.manual_seed(0)
    module, torch_module = ours(I, H, **kwargs), theirs(I, H, **kwargs)
    names = load_torch_weights(module, torch_module, backend, dtype)
    params = list(module.parameters())
    batch_first, pair = kwargs.get("batch_first", False), kind == "LSTM"
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h_shape = (layers, len(lengths), kwargs.get("proj_size") or H)
    states = state_arrays(kind, h_shape, (layers, len(lengths), H)) if given else []
    x = random_input((len(lengths), T, I) if batch_first else (T, len(lengths), I))
    options = {"batch_first": batch_first, "enforce_sorted": enforce_sorted}

    def hidden(tensors):
        return (tuple(tensors) if pair else tensors[0]) if tensors else None

    def run(x, *arrays):
        for param, array in zip(params, arrays[len(states) :], strict=True):
            param.array, param.grad = array, None
        tensors = [Tensor(a, requires_grad=True) for a in (x, *arrays[: len(states)])]
        packed = rnn.pack_padded_sequence(tensors[0], lengths, **options)
        output, final = module(packed, hidden(tensors[1:]))
        assert isinstance(output, rnn.PackedSequence)
        assert output.batch_sizes is packed.batch_sizes
        assert output.sorted_indices is packed.sorted_indices
        return tensors, xpnet.cat([t.reshape(-1) for t in [output.data, *leaves(final)]])

    def backward(grad_output, x, *arrays):
        tensors, output = run(x, *arrays)
        output.backward(grad_output)
        return (*[t.grad for t in tensors], *[param.grad for param in params])

    def torch_forward(x, *tensors):
        weights = dict(zip(names, tensors[len(states) :], strict=True))
        packed = torch_rnn.pack_padded_sequence(x, torch.tensor(lengths), **options)
        call = (packed, hidden(tensors[: len(states)]))
        output, final = torch.func.functional_call(torch_module, weights, call)
        return torch.cat([t.reshape(-1) for t in [output.data, *leaves(final)]])

    inputs = [x, *states, *[p.detach().numpy() for p in torch_module.parameters()]]
    forward = lambda *arrays: run(*arrays)[1].array  # noqa: E731
    check_against_torch(forward, backward, torch_forward, inputs, backend, dtype)


PACKED_CONFIGS = [
    ("RNN", {}, "sorted"),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}, "unsorted"),
    ("LSTM", {}, "unsorted"),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}, "ties"),
    ("LSTM", {"proj_size": 2, "bidirectional": True}, "unsorted"),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "bias": False}, "sorted"),
    ("GRU", {}, "full"),
    ("GRU", {"num_layers": 2, "bidirectional": True}, "unsorted"),
    ("GRU", {"batch_first": True, "bias": False}, "sorted"),
]


@pytest.mark.parametrize("given", [True, False], ids=["h0", "zeros"])
@pytest.mark.parametrize("kind, kwargs, case", PACKED_CONFIGS)
def test_recurrent_layer_on_packed_input_matches_torch(backend, kind, kwargs, case, given):
    lengths, enforce_sorted = LENGTHS[case]
    check_packed_layer(kind, kwargs, lengths, enforce_sorted, given, backend)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_recurrent_layer_on_packed_input_float32(backend, kind):
    kwargs = {"bidirectional": True}
    check_packed_layer(kind, kwargs, [2, 5, 1, 3], False, True, backend, np.float32)


def test_recurrent_layer_on_packed_input_single_sequence(backend):
    check_packed_layer("LSTM", {"bidirectional": True}, [3], True, True, backend)


def test_recurrent_layer_on_packed_input_errors(backend):
    lstm, gru = xpnet.nn.LSTM(I, H).to(backend.name), xpnet.nn.GRU(I, H).to(backend.name)
    x = Tensor(backend.asarray(random_input((T, 2, I), dtype=np.float32)))
    packed = rnn.pack_padded_sequence(x, [4, 2])
    with pytest.raises(
        RuntimeError, match=r"GRU: Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"
    ):
        gru(packed, xpnet.zeros((1, 3, H)).to(backend.name))
    with pytest.raises(TypeError, match=r"LSTM: hx must be a pair \(h_0, c_0\)"):
        lstm(packed, xpnet.zeros((1, 2, H)).to(backend.name))
    three_d = rnn.PackedSequence(x, packed.batch_sizes)
    with pytest.raises(RuntimeError, match="LSTM: input must have 2 dimensions, got 3"):
        lstm(three_d)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        xpnet.nn.GRU(I + 1, H).to(backend.name)(packed)
