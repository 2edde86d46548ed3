"""xpnet.nn's recurrent layers and cells against torch.nn's, with torch's weights loaded.

Each check joins every output (the sequence output and the final states) into one vector and
compares it, and the gradients of the input, the initial states and every parameter, with
``check_against_torch``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _oracle import check_against_torch, random_input

import xpnet
from xpnet import nn
from xpnet.autograd import Tensor

LAYERS = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM)}
LAYERS["GRU"] = (nn.GRU, torch.nn.GRU)
CELLS = {"RNNCell": (nn.RNNCell, torch.nn.RNNCell), "LSTMCell": (nn.LSTMCell, torch.nn.LSTMCell)}
CELLS["GRUCell"] = (nn.GRUCell, torch.nn.GRUCell)
L, N, I, H = 5, 3, 3, 4  # sequence length, batch, input and hidden features


def leaves(result) -> list:
    """The tensors of ``output, h_n``, ``output, (h_n, c_n)``, ``h`` or ``(h, c)``, in order."""
    if isinstance(result, tuple):
        return [tensor for item in result for tensor in leaves(item)]
    return [result]


def load_torch_weights(module, torch_module, backend, dtype):
    torch_module.double()
    module.to(backend.name, dtype=dtype)
    state = {key: value.detach().numpy() for key, value in torch_module.state_dict().items()}
    module.load_state_dict(state)
    assert list(module.state_dict()) == list(torch_module.state_dict())
    names = [name for name, _ in torch_module.named_parameters()]
    assert [name for name, _ in module.named_parameters()] == names
    return names


def check_recurrent(module, torch_module, x, states, backend, dtype=np.float64):
    """Outputs, final states and the gradients of ``x``, ``states`` (a list of arrays: h_0,
    or h_0 and c_0; empty for the default zeros) and every parameter, against torch."""
    names = load_torch_weights(module, torch_module, backend, dtype)
    params = list(module.parameters())
    pair = isinstance(torch_module, torch.nn.LSTM | torch.nn.LSTMCell)

    def hidden(tensors):
        return (tuple(tensors) if pair else tensors[0]) if tensors else None

    def run(x, *arrays):
        for param, array in zip(params, arrays[len(states) :], strict=True):
            param.array, param.grad = array, None
        tensors = [Tensor(a, requires_grad=True) for a in (x, *arrays[: len(states)])]
        result = module(tensors[0], hidden(tensors[1:]))
        return tensors, xpnet.cat([t.reshape(-1) for t in leaves(result)])

    def backward(grad_output, x, *arrays):
        tensors, output = run(x, *arrays)
        output.backward(grad_output)
        return (*[t.grad for t in tensors], *[param.grad for param in params])

    def torch_forward(x, *tensors):
        weights = dict(zip(names, tensors[len(states) :], strict=True))
        call = (x, hidden(tensors[: len(states)]))
        result = torch.func.functional_call(torch_module, weights, call)
        return torch.cat([t.reshape(-1) for t in leaves(result)])

    inputs = [x, *states, *[p.detach().numpy() for p in torch_module.parameters()]]
    forward = lambda *arrays: run(*arrays)[1].array  # noqa: E731
    check_against_torch(forward, backward, torch_forward, inputs, backend, dtype)


def state_arrays(kind, shape, cell_shape=None, seed=5):
    pair = kind.startswith("LSTM")
    shapes = [shape, cell_shape or shape] if pair else [shape]
    return [random_input(s, seed=seed + i) for i, s in enumerate(shapes)]


CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True, "bias": False}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"batch_first": True, "bias": False, "num_layers": 2}),
]


@pytest.mark.parametrize("given", [True, False], ids=["h0", "zeros"])
@pytest.mark.parametrize("kind, kwargs", CONFIGS)
def test_recurrent_layer_matches_torch(backend, kind, kwargs, given):
    ours, theirs = LAYERS[kind]
    torch.manual_seed(0)
    module, torch_module = ours(I, H, **kwargs), theirs(I, H, **kwargs)
    shape = (N, L, I) if kwargs.get("batch_first") else (L, N, I)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h_shape = (layers, N, kwargs.get("proj_size") or H)
    states = state_arrays(kind, h_shape, (layers, N, H)) if given else []
    check_recurrent(module, torch_module, random_input(shape), states, backend)


@pytest.mark.parametrize("given", [True, False], ids=["h0", "zeros"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kind", list(LAYERS))
def test_recurrent_layer_unbatched_matches_torch(backend, kind, batch_first, given):
    ours, theirs = LAYERS[kind]
    kwargs = {"num_layers": 2, "bidirectional": True, "batch_first": batch_first}
    module, torch_module = ours(I, H, **kwargs), theirs(I, H, **kwargs)
    states = state_arrays(kind, (4, H)) if given else []
    check_recurrent(module, torch_module, random_input((L, I)), states, backend)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_recurrent_layer_in_eval_skips_dropout(backend, kind):
    ours, theirs = LAYERS[kind]
    module, torch_module = ours(I, H, 2, dropout=0.5).eval(), theirs(I, H, 2, dropout=0.5).eval()
    check_recurrent(module, torch_module, random_input((L, N, I)), [], backend)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_recurrent_layer_training_drops_between_layers(backend, kind):
    # dropout=1 zeros the second layer's whole input in training, in PyTorch too: a
    # deterministic check that dropout sits between the layers, in training only
    ours, theirs = LAYERS[kind]
    module, torch_module = ours(I, H, 2, dropout=1.0), theirs(I, H, 2, dropout=1.0)
    check_recurrent(module, torch_module, random_input((L, N, I)), [], backend)


def test_recurrent_layer_dropout_is_seeded(backend):
    module = nn.GRU(I, H, 2, dropout=0.5).to(backend.name, dtype=np.float64)
    x = backend.asarray(random_input((L, N, I)))
    outputs = []
    for _ in range(2):
        xpnet.manual_seed(3)
        outputs.append(backend.to_host(module(x)[0].array))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    evaluated = backend.to_host(module.eval()(x)[0].array)
    assert not np.allclose(outputs[0], evaluated)


def test_recurrent_layer_float32_matches_torch(backend):
    module, torch_module = nn.LSTM(I, H, 2), torch.nn.LSTM(I, H, 2)
    check_recurrent(module, torch_module, random_input((L, N, I)), [], backend, np.float32)


@pytest.mark.parametrize("given", [True, False], ids=["hx", "zeros"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize(
    "kind, kwargs",
    [(name, {}) for name in CELLS] + [("RNNCell", {"nonlinearity": "relu", "bias": False})],
)
def test_cell_matches_torch(backend, kind, kwargs, batched, given):
    ours, theirs = CELLS[kind]
    module, torch_module = ours(I, H, **kwargs), theirs(I, H, **kwargs)
    states = state_arrays(kind, (N, H) if batched else (H,)) if given else []
    x = random_input((N, I) if batched else (I,))
    check_recurrent(module, torch_module, x, states, backend)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((3, 4), {}),
        ((3, 4, 2), {"bias": False, "batch_first": True, "dropout": 0.25}),
        ((3, 4), {"bidirectional": True, "num_layers": 3}),
    ],
)
@pytest.mark.parametrize("kind", list(LAYERS))
def test_recurrent_layer_repr_and_keys_match_torch(kind, args, kwargs):
    ours, theirs = LAYERS[kind]
    module, torch_module = ours(*args, **kwargs), theirs(*args, **kwargs)
    assert repr(module) == repr(torch_module)
    assert list(module.state_dict()) == list(torch_module.state_dict())
    shapes = [tuple(p.shape) for p in module.parameters()]
    assert shapes == [tuple(p.shape) for p in torch_module.parameters()]


def test_repr_and_keys_of_variants_match_torch():
    pairs = [
        (nn.RNN(3, 4, nonlinearity="relu"), torch.nn.RNN(3, 4, nonlinearity="relu")),
        (nn.LSTM(3, 4, proj_size=2, num_layers=2), torch.nn.LSTM(3, 4, proj_size=2, num_layers=2)),
        (nn.RNNCell(3, 4, False, "relu"), torch.nn.RNNCell(3, 4, False, "relu")),
        (nn.LSTMCell(3, 4), torch.nn.LSTMCell(3, 4)),
        (nn.GRUCell(3, 4, bias=False), torch.nn.GRUCell(3, 4, bias=False)),
    ]
    for module, torch_module in pairs:
        assert repr(module) == repr(torch_module)
        assert list(module.state_dict()) == list(torch_module.state_dict())


@pytest.mark.parametrize("kind", [*LAYERS, *CELLS])
def test_recurrent_initialisation_is_uniform_in_bound_and_seeded(kind):
    ours = {**LAYERS, **CELLS}[kind][0]
    xpnet.manual_seed(0)
    first = [p.numpy() for p in ours(3, 16).parameters()]
    xpnet.manual_seed(0)
    second = [p.numpy() for p in ours(3, 16).parameters()]
    bound = 1 / math.sqrt(16)
    for a, b in zip(first, second, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
        assert np.abs(a).max() <= bound
        assert np.abs(a).max() > 0.8 * bound and np.unique(a).size == a.size


def test_recurrent_layer_attributes():
    lstm = nn.LSTM(3, 4, 2, bidirectional=True)
    assert lstm.flatten_parameters() is None
    assert [len(weights) for weights in lstm.all_weights] == [4] * 4
    assert lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse


def _errors(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        return error
    raise AssertionError("no error raised")


LAYER_ERRORS = [  # (kind, input shape, states shapes): each raises as PyTorch
    ("GRU", (L, N, 5), None),
    ("GRU", (L, N, I, 1), None),
    ("GRU", (L, N, I), [(1, N + 1, H)]),
    ("GRU", (L, N, I), [(N, H)]),
    ("RNN", (L, I), [(1, 1, H)]),
    ("RNN", (L, N, I), [(1, N, H + 1)]),
    ("RNN", (0, N, I), None),
    ("LSTM", (L, N, I), [(1, N, H), (1, N + 1, H)]),
    ("LSTM", (L, N, I), [(1, N, H), (N, H)]),
    ("LSTM", (L, I), [(1, H), (1, 1, H)]),
    ("LSTM", (L, N, 2), [(1, N, H), (1, N, H)]),
]


@pytest.mark.parametrize("kind, shape, states", LAYER_ERRORS)
def test_recurrent_layer_rejects_bad_sizes_as_torch(kind, shape, states):
    ours, theirs = LAYERS[kind]
    module, torch_module = ours(I, H), theirs(I, H).double()
    hx = [np.zeros(s) for s in states] if states else None
    hx = hx if hx is None else (tuple(hx) if kind == "LSTM" else hx[0])
    torch_hx = None if hx is None else torch.utils._pytree.tree_map(torch.tensor, hx)
    expected = _errors(lambda: torch_module(torch.zeros(shape, dtype=torch.float64), torch_hx))
    error = _errors(lambda: module.double()(np.zeros(shape), hx))
    assert isinstance(error, type(expected)), (error, expected)
    assert str(error) in (f"{kind}: {expected}", str(expected)), (error, expected)


CELL_ERRORS = [
    ("RNNCell", (N, 5), None),
    ("RNNCell", (N, I, 1), None),
    ("RNNCell", (N, I), [(N + 1, H)]),
    ("GRUCell", (N, I), [(N, H + 1)]),
    ("GRUCell", (N, I), [(N, H, 1)]),
    ("GRUCell", (I,), [(N, H)]),
    ("LSTMCell", (N, I), [(N, H), (N, H + 1)]),
    ("LSTMCell", (N, I), [(N, H), (N, H, 1)]),
]


@pytest.mark.parametrize("kind, shape, states", CELL_ERRORS)
def test_cell_rejects_bad_sizes_as_torch(kind, shape, states):
    ours, theirs = CELLS[kind]
    module, torch_module = ours(I, H).double(), theirs(I, H).double()
    hx = [np.zeros(s) for s in states] if states else None
    hx = hx if hx is None else (tuple(hx) if kind == "LSTMCell" else hx[0])
    torch_hx = None if hx is None else torch.utils._pytree.tree_map(torch.tensor, hx)
    expected = _errors(lambda: torch_module(torch.zeros(shape, dtype=torch.float64), torch_hx))
    error = _errors(lambda: module(np.zeros(shape), hx))
    assert isinstance(error, type(expected)), (error, expected)
    assert str(error) in (f"{kind}: {expected}", str(expected)), (error, expected)


def test_recurrent_layer_rejects_another_dtype():
    with pytest.raises(ValueError, match=r"LSTM: input dtype \(float64\) does not match weight"):
        nn.LSTM(I, H)(np.zeros((L, N, I)))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"dropout": 1.5}, ValueError, "dropout must be a number in"),
        ({"dropout": True}, ValueError, "dropout must be a number in"),
        ({"bias": 1}, TypeError, "bias should be of type bool"),
        ({"batch_first": None}, TypeError, "batch_first should be of type bool"),
        ({"num_layers": 0}, ValueError, "num_layers must be greater than zero"),
        ({"hidden_size": 0}, ValueError, "hidden_size must be greater than zero"),
        ({"input_size": 2.0}, TypeError, "input_size should be of type int"),
        ({"proj_size": 4}, ValueError, "proj_size has to be smaller than hidden_size"),
        ({"proj_size": -1}, ValueError, "proj_size should be a positive integer or zero"),
    ],
)
def test_recurrent_layer_rejects_bad_arguments_as_torch(kwargs, error, match):
    arguments = {"input_size": I, "hidden_size": H, **kwargs}
    with pytest.raises(error):
        torch.nn.LSTM(**arguments)
    with pytest.raises(error, match=f"LSTM: {match}"):
        nn.LSTM(**arguments)


def test_recurrent_layer_argument_errors_of_rnn():
    with pytest.raises(ValueError, match="RNN: Unknown nonlinearity 'gelu'"):
        nn.RNN(I, H, nonlinearity="gelu")
    with pytest.raises(RuntimeError, match="RNNCell: Unknown nonlinearity: gelu"):
        nn.RNNCell(I, H, nonlinearity="gelu")(np.zeros((N, I), dtype=np.float32))
    with pytest.raises(TypeError, match="LSTM: hx must be a pair"):
        nn.LSTM(I, H)(np.zeros((L, N, I), dtype=np.float32), np.zeros((1, N, H), np.float32))


def test_recurrent_layer_warns_of_dropout_with_one_layer():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(I, H, dropout=0.5)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_recurrent_layer_takes_an_empty_batch_as_torch(backend, kind):
    ours, theirs = LAYERS[kind]
    module = ours(I, H, 2, bidirectional=True).to(backend.name, dtype=np.float64)
    expected = theirs(I, H, 2, bidirectional=True).double()(torch.zeros(L, 0, I).double())
    result = module(backend.asarray(np.zeros((L, 0, I))))
    assert [t.shape for t in leaves(result)] == [tuple(t.shape) for t in leaves(expected)]


def test_base_classes_are_exported_as_torch():
    """Ported code checks ``isinstance(m, nn.RNNBase)`` (to init or to flatten weights)."""
    for name, base in (("LSTM", "RNNBase"), ("GRU", "RNNBase"), ("RNN", "RNNBase")):
        assert isinstance(getattr(xpnet.nn, name)(3, 4), getattr(xpnet.nn, base))
    for name in ("RNNCell", "LSTMCell", "GRUCell"):
        assert isinstance(getattr(xpnet.nn, name)(3, 4), xpnet.nn.RNNCellBase)
    assert repr(xpnet.nn.RNNBase("GRU", 3, 4, num_layers=2)) == repr(
        torch.nn.RNNBase("GRU", 3, 4, num_layers=2)
    )
