"""``RNN``, ``LSTM`` and ``GRU``: multi-layer, optionally bidirectional recurrent layers, as
``torch/nn/modules/rnn.py``.

The layers are composed of xpnet's differentiable operations, not a fused kernel: per layer
and direction, one :func:`xpnet.nn.functional.linear` projects the input of every time step
at once, then a loop runs the one-step updates of :mod:`xpnet.nn.rnn_cells` (the hidden
product and the gates) and :func:`xpnet.stack` joins the steps; autograd gives the
gradients. Parameter names, shapes, order and ``state_dict`` keys are PyTorch's
(``weight_ih_l0``, ..., ``bias_hh_l1_reverse``, ``weight_hr_l0``), so weights move between the
two. A ``PackedSequence`` input runs through :mod:`xpnet.nn.rnn_packed`.
"""

from __future__ import annotations

from .._tensor_join import cat, stack
from ..amp.autocast_mode import is_autocast_enabled
from ..autograd import as_tensor
from ..kernels._checks import ArgumentError
from . import functional as F
from .module import Module
from .parameter import Parameter, new_array
from .rnn_cells import (
    check_dtypes,
    check_layer_options,
    gru_step,
    lstm_step,
    reset_uniform,
    rnn_step,
    state_tuple,
    time_steps,
)
from .rnn_packed import packed_forward
from .utils.packed_sequence import PackedSequence

__all__ = ["GRU", "LSTM", "RNN"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: the parameters, their checks, the layer and
    direction loop. ``mode``: ``'LSTM'``, ``'GRU'``, ``'RNN_TANH'`` or ``'RNN_RELU'``."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        check_layer_options(name, input_size, hidden_size, num_layers, dropout, bias, batch_first)
        if not isinstance(proj_size, int) or isinstance(proj_size, bool):
            msg = f"{name}: proj_size should be of type int, got: {type(proj_size).__name__}"
            raise TypeError(msg)
        if proj_size < 0:
            msg = f"{name}: proj_size should be a positive integer or zero to disable projections"
            raise ValueError(f"{msg}, got {proj_size!r}")
        if proj_size >= hidden_size:
            msg = f"{name}: proj_size has to be smaller than hidden_size, got {proj_size}"
            raise ValueError(f"{msg} and hidden_size={hidden_size}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        self._all_weights = [
            self._add_parameters(layer, suffix, device, dtype)
            for layer in range(num_layers)
            for suffix in ("", "_reverse")[: self.num_directions]
        ]
        self.reset_parameters()

    num_directions = property(lambda self: 2 if self.bidirectional else 1)
    _state_size = property(lambda self: self.proj_size or self.hidden_size)  # h's features

    def _add_parameters(self, layer, suffix, device, dtype) -> list:
        """Register one layer and direction's parameters, in PyTorch's order; their names."""
        gates = _GATES[self.mode] * self.hidden_size
        inputs = self.input_size if layer == 0 else self._state_size * self.num_directions
        shapes = {"weight_ih": (gates, inputs), "weight_hh": (gates, self._state_size)}
        if self.bias:
            shapes.update(bias_ih=(gates,), bias_hh=(gates,))
        if self.proj_size:
            shapes["weight_hr"] = (self.proj_size, self.hidden_size)
        for kind, shape in shapes.items():
            setattr(self, f"{kind}_l{layer}{suffix}", Parameter(new_array(shape, device, dtype)))
        return [f"{kind}_l{layer}{suffix}" for kind in shapes]

    def reset_parameters(self) -> None:
        reset_uniform(self)

    def flatten_parameters(self) -> None:
        """A no-op, as PyTorch's off cuDNN: the parameters stay separate arrays."""

    @property
    def all_weights(self) -> list:
        """The Parameters of each layer and direction, as lists in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        for option, default in (("num_layers", 1), ("bias", True), ("batch_first", False)):
            if getattr(self, option) != default:
                text += f", {option}={getattr(self, option)}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # -- the forward pass ---------------------------------------------------------------------
    def forward(self, input, hx=None):
        """``(output, h_n)``, or ``(output, (h_n, c_n))`` for LSTM: see the class."""
        name, states = type(self).__name__, 2 if self.mode == "LSTM" else 1
        if isinstance(input, PackedSequence):
            return packed_forward(self, input, hx)
        input = as_tensor(input)
        if input.ndim not in (2, 3):
            tensor = " tensor" if self.mode.startswith("RNN") else ""  # PyTorch's wording
            msg = f"{name}: Expected input to be 2D or 3D, got {input.ndim}D{tensor} instead"
            raise ValueError(msg)
        batched, batch_dim = input.ndim == 3, 0 if self.batch_first else 1
        hx = self._given_states(hx, states, batched)
        if not batched:
            input = input.unsqueeze(batch_dim)
            hx = None if hx is None else tuple(h.unsqueeze(1) for h in hx)
        if self.batch_first:
            input = input.transpose(0, 1)  # (L, N, H_in): time first inside
        hx = self._default_states(input, input.shape[1]) if hx is None else hx
        self._check_forward_args(input, hx, input.shape[1])
        if input.shape[0] == 0:
            raise ArgumentError(f"{name}: Expected sequence length to be larger than 0 in RNN")
        output, final = self._layers(input, hx)
        if self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output, final = output.squeeze(batch_dim), tuple(h.squeeze(1) for h in final)
        return output, (final if states == 2 else final[0])

    def _given_states(self, hx, states, batched):
        """``hx`` as a tuple of Tensors, its dimensions checked as PyTorch; ``None`` kept."""
        name, wanted = type(self).__name__, 3 if batched else 2
        if hx is None:
            return None
        hx = state_tuple(name, hx, states, "a pair")
        if any(h.ndim != wanted for h in hx):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if states == 2:
                dims = ", ".join(f"{h.ndim}-D" for h in hx)
                what = f"hx and cx should also be {wanted}-D but got ({dims}) tensors"
            else:
                what = f"hx should also be {wanted}-D but got {hx[0].ndim}-D tensor"
            raise ArgumentError(f"{name}: For {kind} input, {what}")
        return hx

    def _expected_sizes(self, batch: int) -> list:
        """The shapes of h_0 (and c_0) for a batch of ``batch`` sequences."""
        layers = self.num_layers * self.num_directions
        sizes = [(layers, batch, self._state_size)]
        return sizes + [(layers, batch, self.hidden_size)] if self.mode == "LSTM" else sizes

    def _default_states(self, input, batch: int) -> tuple:
        return tuple(input.new_zeros(size) for size in self._expected_sizes(batch))

    def _check_forward_args(self, input, hx, batch: int) -> None:
        """PyTorch's checks: the options' types (its ``_VF`` call refuses ``bidirectional=1``
        or ``num_layers=True``, which its constructor lets pass), dtypes, input size, state
        sizes for ``batch`` sequences."""
        name, weight = type(self).__name__, self.weight_ih_l0
        if not isinstance(self.bidirectional, bool) or isinstance(self.num_layers, bool):
            msg = f"{name}: bidirectional must be a bool and num_layers an int, got "
            raise TypeError(f"{msg}{self.bidirectional!r} and {self.num_layers!r}")
        if input.dtype != weight.dtype and not is_autocast_enabled():
            msg = (
                f"{name}: input dtype ({input.dtype}) does not match weight dtype "
                f"({weight.dtype}). Convert input: input.to({weight.dtype}), or convert "
                f"model: model.to({input.dtype})"
            )
            raise ArgumentError(msg)  # PyTorch: a ValueError, a RuntimeError when packed
        check_dtypes(name, input, hx)
        if input.shape[-1] != self.input_size:
            msg = (
                f"{name}: input.size(-1) must be equal to input_size. "
                f"Expected {self.input_size}, got {input.shape[-1]}"
            )
            raise ArgumentError(msg)
        for index, (h, size) in enumerate(zip(hx, self._expected_sizes(batch), strict=True)):
            if tuple(h.shape) != size:
                label = "hidden" if len(hx) == 1 else f"hidden[{index}]"
                msg = f"{name}: Expected {label} size {size}, got {list(h.shape)}"
                raise ArgumentError(msg)

    def _layers(self, input, hx, run_direction=None) -> tuple:
        """``(output (L, N, D * H_out), final states)`` of every layer and direction, each
        run by ``run_direction`` (default :meth:`_direction`; a packed input's its own)."""
        run = self._direction if run_direction is None else run_direction
        initial = [h.unbind(0) for h in hx]  # per state: one (N, H) per layer and direction
        finals = [[] for _ in hx]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                state = tuple(h[index] for h in initial)
                output, state = run(input, state, index, reverse=direction == 1)
                outputs.append(output)
                for kept, h in zip(finals, state, strict=True):
                    kept.append(h)
            input = outputs[0] if len(outputs) == 1 else cat(outputs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                input = F.dropout(input, self.dropout, True)
        return input, tuple(stack(kept) for kept in finals)

    def _direction(self, input, state, index, reverse) -> tuple:
        """One layer and direction over the sequence: ``(outputs (L, N, H_out), state)``."""
        weight_ih, bias_ih, *weights = self._weights(index)
        gates = F.linear(input, weight_ih, bias_ih)  # (L, N, G): every step's share at once
        steps = time_steps(gates)
        outputs = []
        for gates_t in reversed(steps) if reverse else steps:
            state = self._step(gates_t, state, *weights)
            outputs.append(state[0])
        if reverse:
            outputs.reverse()
        return stack(outputs), state

    def _weights(self, index) -> tuple:
        """``(weight_ih, bias_ih, weight_hh, bias_hh, weight_hr)`` of a layer and direction,
        ``None`` for those it lacks."""
        weight_ih, weight_hh, *rest = self.all_weights[index]
        bias_ih, bias_hh = rest[:2] if self.bias else (None, None)
        return weight_ih, bias_ih, weight_hh, bias_hh, rest[-1] if self.proj_size else None

    def _step(self, gates_x, state, weight_hh, bias_hh, weight_hr):
        if self.mode == "LSTM":
            return lstm_step(gates_x, state, weight_hh, bias_hh, weight_hr)
        if self.mode == "GRU":
            return gru_step(gates_x, state, weight_hh, bias_hh)
        nonlinearity = "tanh" if self.mode == "RNN_TANH" else "relu"
        return rnn_step(gates_x, state, weight_hh, bias_hh, nonlinearity)


class RNN(RNNBase):
    r"""Elman RNN, as :class:`torch.nn.RNN`: for each layer and each t,
    ``h_t = act(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)``, ``act`` tanh or relu, where x_t
    is the input, or the previous layer's h_t (after dropout, in training).

    Composed of xpnet's differentiable operations, not a fused kernel (see
    :mod:`xpnet.nn.rnn`). Parameters, U(-k, k) with k = 1/sqrt(hidden_size):
    ``weight_ih_l[k]`` (hidden_size, input_size or D * hidden_size), ``weight_hh_l[k]``
    (hidden_size, hidden_size), ``bias_ih_l[k]`` and ``bias_hh_l[k]`` (hidden_size,), and
    ``weight_ih_l[k]_reverse`` ... when bidirectional.

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state (H_out).
        num_layers: stacked recurrent layers. Default: 1.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.
        bias: learn the biases. Default: ``True``.
        batch_first: input and output (not the states) are (N, L, H). Default: ``False``.
        dropout: dropout on every layer's output but the last, in training. Default: 0.
        bidirectional: also run each layer backwards in time. Default: ``False``.
        device: backend name. Default: current. dtype: Default: float32.

    Shape (L sequence length, N batch, D = 2 if bidirectional else 1):
        - input: (L, N, input_size), (N, L, input_size) with ``batch_first``, unbatched
          (L, input_size), or a ``PackedSequence`` (then so is the output, and h_n holds
          each sequence's state after its own last step).
        - h_0: (D * num_layers, N, H_out), or (D * num_layers, H_out); zeros if omitted.
        - output: (L, N, D * H_out), batch first with ``batch_first``: the last layer's h_t
          for every t, the directions joined (forward first).
        - h_n: like h_0, every layer and direction's final state (the reverse one's at t = 0).

    Raises:
        ValueError: bad arguments; an input that is not 2-D or 3-D, or not of the weights'
            dtype (also a RuntimeError). TypeError: options of the wrong type; hx a list
            (a pair, for LSTM). RuntimeError: sizes of the input or states that do not
            match, states not of the input's dtype, or a sequence of length 0.

    Example:
        >>> import xpnet
        >>> rnn = xpnet.nn.RNN(10, 20, 2)
        >>> output, h_n = rnn(np.ones((5, 3, 10), dtype=np.float32))
        >>> rnn, output.shape, h_n.shape
        (RNN(10, 20, num_layers=2), (5, 3, 20), (2, 3, 20))
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            msg = f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            raise ValueError(msg)
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        options = (bias, batch_first, dropout, bidirectional)
        super().__init__(mode, input_size, hidden_size, num_layers, *options, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    r"""Long short-term memory, as :class:`torch.nn.LSTM`: for each layer and each t, with
    PyTorch's gate order i, f, g, o::

        i, f, g, o = chunks of (x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)
        c_t = sigmoid(f) * c_(t-1) + sigmoid(i) * tanh(g)
        h_t = sigmoid(o) * tanh(c_t)              (then h_t W_hr^T if proj_size > 0)

    Arguments, shapes and errors as :class:`RNN` (no ``nonlinearity``), with the states a
    pair: ``output, (h_n, c_n) = lstm(input, (h_0, c_0))``; c_0 and c_n have hidden_size
    features, h_0, h_n and the output H_out = ``proj_size or hidden_size``. Parameters as
    RNN's with 4 * hidden_size rows (``weight_hh_l[k]`` has H_out columns), plus
    ``weight_hr_l[k]`` (proj_size, hidden_size) with a projection.

    Args:
        proj_size: project h_t to this many features (< hidden_size). Default: 0 (none).

    Example:
        >>> import xpnet
        >>> lstm = xpnet.nn.LSTM(10, 20, batch_first=True, bidirectional=True)
        >>> output, (h_n, c_n) = lstm(np.ones((3, 5, 10), dtype=np.float32))
        >>> lstm
        LSTM(10, 20, batch_first=True, bidirectional=True)
        >>> output.shape, h_n.shape, c_n.shape
        ((3, 5, 40), (2, 3, 20), (2, 3, 20))
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        options = (num_layers, bias, batch_first, dropout, bidirectional, proj_size)
        super().__init__("LSTM", input_size, hidden_size, *options, device, dtype)


class GRU(RNNBase):
    r"""Gated recurrent unit, as :class:`torch.nn.GRU`: for each layer and each t, with
    PyTorch's gate order r, z, n::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_(t-1) + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_(t-1) + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_(t-1) + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_(t-1)

    Arguments, shapes and errors as :class:`RNN` (no ``nonlinearity``); parameters as RNN's
    with 3 * hidden_size rows.

    Example:
        >>> import xpnet
        >>> output, h_n = xpnet.nn.GRU(10, 20)(np.ones((5, 10), dtype=np.float32))
        >>> output.shape, h_n.shape
        ((5, 20), (1, 20))
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        options = (num_layers, bias, batch_first, dropout, bidirectional, 0)
        super().__init__("GRU", input_size, hidden_size, *options, device, dtype)
