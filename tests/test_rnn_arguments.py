"""The arguments of xpnet's recurrent cells and packed-sequence helpers against PyTorch's.

Where PyTorch gives a value, ours must be the same; where it raises, ours raises the same
kind of error (or a TypeError where PyTorch's is an AssertionError or AttributeError), with a
message that names the cell or function and the argument.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import random_input
from test_rnn import load_torch_weights
from torch.nn.utils import rnn as torch_rnn

import xpnet
from xpnet import nn
from xpnet.autograd import Tensor
from xpnet.nn.utils import rnn

N, I, H = 2, 3, 4  # batch, input and hidden features


def raised(call) -> Exception:
    """The exception ``call()`` raises; AssertionError if none."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the caller judges its type and message
        return error
    raise AssertionError("no error raised")


@pytest.mark.parametrize(
    "batched, hx_shapes, stacked",
    [
        (True, [(2, N, H)], True),  # h and c stacked in one Tensor
        (True, [(N, H)], False),
        (True, [(N, H)] * 3, False),
        (True, [], False),
    ],
    ids=["stacked", "one", "three", "none"],
)
def test_lstm_cell_refuses_hx_not_a_pair_as_torch(batched, hx_shapes, stacked):
    module, torch_module = nn.LSTMCell(I, H).double(), torch.nn.LSTMCell(I, H).double()
    shape = (N, I) if batched else (I,)
    arrays = [np.zeros(s) for s in hx_shapes]
    hx = Tensor(arrays[0]) if stacked else tuple(arrays)
    torch_hx = torch.tensor(arrays[0]) if stacked else tuple(map(torch.tensor, arrays))
    expected = raised(lambda: torch_module(torch.zeros(shape, dtype=torch.float64), torch_hx))
    error = raised(lambda: module(np.zeros(shape), hx))
    assert isinstance(error, type(expected)), (error, expected)  # TypeError or RuntimeError
    if stacked:
        assert str(error) == "LSTMCell: hx must be a tuple of two Tensors (h_0, c_0), not Tensor"
    else:
        assert str(error) == (
            f"LSTMCell: expects two hidden states (h_0, c_0) in hx, got a tuple of {len(arrays)}"
        )


def test_lstm_cell_refuses_an_unbatched_hx_not_a_pair():
    """PyTorch's unbatched path indexes hx[0] and hx[1]: it splits a stacked (2, H) Tensor,
    ignores a third state and raises an IndexError for one; ours refuses all three as it
    does batched ones."""
    module = nn.LSTMCell(I, H).double()
    with pytest.raises(TypeError, match="LSTMCell: hx must be a tuple of two Tensors"):
        module(np.zeros(I), Tensor(np.zeros((2, H))))
    for count in (1, 3):
        with pytest.raises(RuntimeError, match=f"LSTMCell: .* in hx, got a tuple of {count}"):
            module(np.zeros(I), (np.zeros(H),) * count)


def test_lstm_cell_takes_a_list_pair_as_torch(backend):
    module, torch_module = nn.LSTMCell(I, H), torch.nn.LSTMCell(I, H)
    load_torch_weights(module, torch_module, backend, np.float64)
    x, h, c = (random_input(shape, seed) for seed, shape in enumerate([(N, I), (N, H), (N, H)]))
    ours = module(Tensor(backend.asarray(x)), [Tensor(backend.asarray(a)) for a in (h, c)])
    theirs = torch_module(torch.tensor(x), [torch.tensor(h), torch.tensor(c)])
    for mine, torchs in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(backend.to_host(mine.array), torchs.detach().numpy())


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell"])
@pytest.mark.parametrize("container", [tuple, list])
def test_one_state_cells_refuse_a_sequence_hx(kind, container):
    ours, theirs = getattr(nn, kind)(I, H).double(), getattr(torch.nn, kind)(I, H).double()
    with pytest.raises(AttributeError):  # PyTorch's: "'tuple' object has no attribute 'dim'"
        theirs(torch.zeros(N, I, dtype=torch.float64), container([torch.zeros(N, H)]))
    with pytest.raises(TypeError) as error:
        ours(np.zeros((N, I)), container([np.zeros((N, H))]))
    assert str(error.value) == f"{kind}: hx must be a Tensor, not {container.__name__}"


def _packed(backend):
    """The same batch of 2 sequences (lengths 4 and 2), packed by xpnet and by PyTorch."""
    x = random_input((4, 2, 1))
    ours = rnn.pack_padded_sequence(Tensor(backend.asarray(x)), [4, 2])
    return ours, torch_rnn.pack_padded_sequence(torch.tensor(x), [4, 2])


@pytest.mark.parametrize(
    "ours, theirs",
    [(int, int), (np.int64, np.int64), (np.int32, np.int32), (xpnet.tensor, torch.tensor)],
    ids=["int", "int64", "int32", "tensor"],
)
def test_pad_packed_sequence_takes_an_integer_total_length_as_torch(backend, ours, theirs):
    packed, torch_packed = _packed(backend)
    padded, lengths = rnn.pad_packed_sequence(packed, total_length=ours(6))
    expected, torch_lengths = torch_rnn.pad_packed_sequence(torch_packed, total_length=theirs(6))
    np.testing.assert_array_equal(backend.to_host(padded.array), expected.numpy())
    assert lengths.tolist() == torch_lengths.tolist()


@pytest.mark.parametrize("total_length", [5.0, np.float64(5.0), float("nan"), "5"])
def test_pad_packed_sequence_refuses_total_length_not_an_int(backend, total_length):
    packed, torch_packed = _packed(backend)
    with pytest.raises(TypeError):
        torch_rnn.pad_packed_sequence(torch_packed, total_length=total_length)
    with pytest.raises(TypeError) as error:
        rnn.pad_packed_sequence(packed, total_length=total_length)
    name = type(total_length).__name__
    assert str(error.value).startswith(
        f"pad_packed_sequence: total_length must be an int, got {name}"
    )


def test_pad_packed_sequence_refuses_a_bool_total_length_as_torch(backend):
    x = random_input((1, 2, 1))
    packed = rnn.pack_padded_sequence(Tensor(backend.asarray(x)), [1, 1])
    torch_packed = torch_rnn.pack_padded_sequence(torch.tensor(x), [1, 1])
    for flag in (True, np.True_):
        with pytest.raises(TypeError, match="must be int, not"):
            torch_rnn.pad_packed_sequence(torch_packed, total_length=flag)
        with pytest.raises(TypeError, match="pad_packed_sequence: total_length must be an int"):
            rnn.pad_packed_sequence(packed, total_length=flag)


@pytest.mark.parametrize("rows", [2, 3])
def test_packed_sequence_refuses_a_tensor_without_batch_sizes(backend, rows):
    data = np.arange(rows * 2.0).reshape(rows, 2)
    with pytest.raises(AssertionError, match="Expected data to be a list or tuple of length 2"):
        torch_rnn.PackedSequence(torch.tensor(data))
    with pytest.raises(TypeError) as error:
        rnn.PackedSequence(Tensor(backend.asarray(data)))
    expected = "PackedSequence: without batch_sizes, data must be a pair (data, batch_sizes)"
    assert str(error.value) == f"{expected}, got a Tensor"


def test_packed_sequence_takes_a_pair_without_batch_sizes_as_torch(backend):
    packed, torch_packed = _packed(backend)
    for container in (tuple, list):
        again = rnn.PackedSequence(container([packed.data, packed.batch_sizes]))
        assert again.data is packed.data and again.batch_sizes is packed.batch_sizes
        torch_again = torch_rnn.PackedSequence(
            container([torch_packed.data, torch_packed.batch_sizes])
        )
        assert again.batch_sizes.tolist() == torch_again.batch_sizes.tolist()
    with pytest.raises(AssertionError):
        torch_rnn.PackedSequence((torch_packed.data,) * 3)
    with pytest.raises(TypeError, match=r"data must be a pair .*, got a tuple of 3"):
        rnn.PackedSequence((packed.data,) * 3)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_keeps_the_steps_below_a_float_length_as_torch(backend, batch_first):
    """PyTorch keeps the steps ``t < length``: 3.5 keeps 4, a negative or NaN length none."""
    steps, lengths = 4, [3.5, 2.0, 0.5, -1.0, 9.0, float("nan")]
    x = random_input((len(lengths), steps, 2) if batch_first else (steps, len(lengths), 2))
    for given in (lengths, np.array(lengths, dtype=np.float32)):
        ours = rnn.unpad_sequence(Tensor(backend.asarray(x)), given, batch_first)
        theirs = torch_rnn.unpad_sequence(torch.tensor(x), torch.tensor(given), batch_first)
        assert [s.shape[0] for s in ours] == [4, 2, 1, 0, 4, 0]
        for mine, torchs in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(backend.to_host(mine.array), torchs.numpy())


def test_pack_padded_sequence_truncates_float_lengths_as_torch(backend):
    """PyTorch reads the lengths as int64 here (3.9 packs 3 steps), unlike unpad_sequence."""
    x = random_input((4, 2, 1))
    for lengths in ([3.9, 1.5], [3.5, 2.9]):
        expected = torch_rnn.pack_padded_sequence(torch.tensor(x), torch.tensor(lengths))
        for given in (lengths, np.array(lengths), xpnet.tensor(lengths)):
            packed = rnn.pack_padded_sequence(Tensor(backend.asarray(x)), given)
            np.testing.assert_array_equal(backend.to_host(packed.data.array), expected.data)
            assert packed.batch_sizes.tolist() == expected.batch_sizes.tolist()
