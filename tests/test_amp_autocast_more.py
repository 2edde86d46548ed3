"""``xpnet.autocast`` on the ops its lists gained from PyTorch 2.13's CUDA lists: the recurrent
cells and layers and ``linalg.vecdot`` (float16), ``renorm``, ``gaussian_nll_loss`` and
``multilabel_soft_margin_loss`` (float32).

The oracle is torch: ``torch.autocast("cpu")`` where its CPU list agrees (``linalg.vecdot``);
elsewhere what PyTorch's CUDA autocast does, which the CPU cannot run: its lists (as PyTorch's
tests keep them, ``torch/testing/_internal/autocast_test_lists.py``) say which ops cast, and
torch on the CPU runs the op on the arrays cast that way (a cell on float16 weights and state,
``renorm`` on float32).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import torch_cuda_autocast_lists

import xpnet
import xpnet.nn.functional as F
from xpnet.amp.autocast_mode import FLOAT32_OPS, LOWER_PRECISION_OPS

# float16 results of float16 arithmetic: a few units of float16's last place
HALF = {"rtol": 1e-2, "atol": 1e-2}


def _lower_lists() -> set[str]:
    lists = torch_cuda_autocast_lists()
    return lists["torch_fp16"] | lists["nn_fp16"] | lists["linalg_fp16"]


def _float32_lists() -> set[str]:
    lists = torch_cuda_autocast_lists()
    return lists["torch_fp32"] | lists["nn_fp32"]


def _values(shape, seed=0, dtype="float32", low=-1.0):
    return np.random.default_rng(seed).uniform(low, 1.0, shape).astype(dtype)


def _leaf(xp, values):
    return xpnet.Tensor(xp.asarray(values), requires_grad=True)


def _host(tensor):
    return xpnet.to_numpy(tensor.array)


def test_lists_agree_with_torchs_cuda_lists():
    """No op of PyTorch's CUDA lists sits on the other of xpnet's lists."""
    assert not LOWER_PRECISION_OPS & _float32_lists()
    assert not FLOAT32_OPS & _lower_lists()
    added = {"linalg_vecdot", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"}
    assert added <= LOWER_PRECISION_OPS & _lower_lists()
    assert "renorm" in FLOAT32_OPS & _float32_lists()


# -- the recurrent cells: float16, as torch's on float16 weights and state -----------------------
CELLS = {"lstm_cell": 4, "gru_cell": 3, "rnn_tanh_cell": 1, "rnn_relu_cell": 1}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_cell_runs_in_float16_as_torchs_cuda_autocast(xp, name):
    """PyTorch's CUDA autocast casts every float32 argument of the cell (input, state,
    weights) to float16; torch on the CPU runs the cell on those float16 arrays."""
    assert name in _lower_lists()
    hidden, gates = 3, 3 * CELLS[name]
    shapes = [(2, 4), (2, hidden), (gates, 4), (gates, hidden), (gates,), (gates,)]
    arrays = [_values(s, seed) for seed, s in enumerate(shapes)]
    if name == "lstm_cell":
        arrays.insert(2, _values((2, hidden), 9))
    ours_in = [_leaf(xp, a) for a in arrays]
    ours_args = [ours_in[0], tuple(ours_in[1:3]), *ours_in[3:]] if name == "lstm_cell" else ours_in
    with xpnet.autocast():
        ours = getattr(xpnet, name)(*ours_args)
    half = [torch.from_numpy(a).half() for a in arrays]
    theirs_args = [half[0], tuple(half[1:3]), *half[3:]] if name == "lstm_cell" else half
    theirs = getattr(torch, name)(*theirs_args)
    ours, theirs = (ours, theirs) if name == "lstm_cell" else ((ours,), (theirs,))
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == np.float16 and b.dtype == torch.float16
        np.testing.assert_allclose(_host(a), b.numpy(), **HALF)
    sum(o.float().sum() for o in ours).backward()
    assert all(t.grad.dtype == np.float32 for t in ours_in)  # float32 leaves, float32 grads


# -- the layers: float16 outputs and final states (cuDNN's RNN, cast by PyTorch's autocast) ------
MODULES = {
    "LSTM": lambda m: m.LSTM(4, 3, num_layers=2, bidirectional=True),
    "LSTM-proj": lambda m: m.LSTM(4, 3, proj_size=2),
    "GRU": lambda m: m.GRU(4, 3, num_layers=2),
    "RNN": lambda m: m.RNN(4, 3, nonlinearity="relu"),
    "LSTMCell": lambda m: m.LSTMCell(4, 3),
    "GRUCell": lambda m: m.GRUCell(4, 3),
    "RNNCell": lambda m: m.RNNCell(4, 3),
}


def _flat(result) -> list:
    if isinstance(result, tuple | list):
        return [t for item in result for t in _flat(item)]
    return [result]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_recurrent_module_runs_in_float16(xp, name):
    """Outputs and final states float16, values as torch's module run in float16 (what CUDA
    autocast runs: the weights, input and state cast to float16); float32 parameters get
    float32 gradients."""
    xpnet.manual_seed(0)
    ours_module = MODULES[name](xpnet.nn)
    theirs_module = MODULES[name](torch.nn)
    state = {k: torch.from_numpy(xpnet.to_numpy(v)) for k, v in ours_module.state_dict().items()}
    theirs_module.load_state_dict(state)
    values = _values((2, 4) if "Cell" in name else (5, 2, 4), 1)
    with xpnet.autocast():
        ours = _flat(ours_module(xpnet.Tensor(xp.asarray(values))))
    theirs = _flat(theirs_module.half()(torch.from_numpy(values).half()))
    assert [str(t.dtype) for t in ours] == ["float16"] * len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(_host(a), b.detach().numpy(), **HALF)
    sum(t.float().sum() for t in ours).backward()
    assert {p.grad.dtype for p in ours_module.parameters()} == {np.dtype("float32")}


def test_lstm_initial_state_keeps_its_dtype_in_the_gradient(xp):
    lstm = xpnet.nn.LSTM(4, 3)
    h0, c0 = _leaf(xp, _values((1, 2, 3), 2)), _leaf(xp, _values((1, 2, 3), 3))
    with xpnet.autocast():
        output, (h, c) = lstm(xpnet.Tensor(xp.asarray(_values((5, 2, 4), 1))), (h0, c0))
    assert output.dtype == h.dtype == c.dtype == np.float16
    (output.float().sum() + c.float().sum()).backward()
    assert h0.grad.dtype == c0.grad.dtype == np.float32


# -- linalg.vecdot: float16 on both of PyTorch's lists --------------------------------------------
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("float32", "float16")])
def test_vecdot_runs_in_float16_as_torchs_autocast(xp, dtypes):
    arrays = [_values((3, 5), 0, dtypes[0]), _values((5,), 1, dtypes[1])]
    ours_in = [_leaf(xp, a) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    with xpnet.autocast():
        ours = xpnet.linalg.vecdot(*ours_in)
    with torch.autocast("cpu", dtype=torch.float16):
        theirs = torch.linalg.vecdot(*theirs_in)
    assert ours.dtype == np.float16 and theirs.dtype == torch.float16
    np.testing.assert_allclose(_host(ours), theirs.detach().numpy(), **HALF)
    ours.float().sum().backward()
    theirs.float().sum().backward()
    for a, b in zip(ours_in, theirs_in, strict=True):
        assert str(a.grad.dtype) == str(b.grad.dtype).removeprefix("torch.")
        np.testing.assert_allclose(xpnet.to_numpy(a.grad), b.grad.numpy(), **HALF)


def test_vecdot_outside_autocast_keeps_float32(xp):
    x = xpnet.Tensor(xp.asarray(_values((3, 5))))
    assert xpnet.linalg.vecdot(x, x).dtype == np.float32


# -- float32: renorm (on the list), and two compositions of float32 ops in PyTorch ----------------
FLOAT32_CALLS = {
    # name: (xpnet call, torch call, the ops of torch's CUDA float32 lists that make it float32)
    "renorm": (
        lambda x, y, v: xpnet.renorm(x, 2, 0, 1.0),
        lambda x, y, v: torch.renorm(x, 2, 0, 1.0),
        {"renorm"},
    ),
    "gaussian_nll_loss": (
        lambda x, y, v: F.gaussian_nll_loss(x, y, v),
        lambda x, y, v: TF.gaussian_nll_loss(x, y, v),
        {"log"},
    ),
    "multilabel_soft_margin_loss": (
        lambda x, y, v: F.multilabel_soft_margin_loss(x, y),
        lambda x, y, v: TF.multilabel_soft_margin_loss(x, y),
        {"sum"},
    ),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CALLS))
def test_float32_ops_run_in_float32_as_torchs_cuda_autocast(xp, name):
    """float16 inputs are widened: the result is torch's op on the float32 inputs."""
    ours_call, theirs_call, reasons = FLOAT32_CALLS[name]
    assert reasons <= _float32_lists() and name in FLOAT32_OPS
    arrays = [_values((3, 4), seed, "float16", low=0.25) for seed in range(3)]
    ours_in = [_leaf(xp, a) for a in arrays]
    with xpnet.autocast():
        ours = ours_call(*ours_in)
    theirs = theirs_call(*(torch.from_numpy(a).float() for a in arrays))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(_host(ours), theirs.numpy(), rtol=1e-6, atol=1e-7)
    ours.sum().backward()
    assert ours_in[0].grad.dtype == np.float16  # the gradient comes back in the input's dtype
