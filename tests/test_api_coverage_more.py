"""The ``torch.<name>`` functions of :mod:`xpnet._torch_more` against PyTorch: the switches
(stored and reported), the real-tensor forms of the complex API, ``as_strided`` and the
``*_copy`` forms, the ``unsafe_`` splits, bit shifts, ``i0``, ``gradient``, ``put``, the
deprecated norms and ``range``, the recurrent cells, DLPack, and their errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import by_name, check_tensor_method, like, random_input

import xpnet
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError

A = random_input((3, 4), seed=0, low=-2, high=2)


def same(mine, reference, rtol=1e-12):
    mine = mine.numpy() if isinstance(mine, Tensor) else np.asarray(mine)
    reference = reference.detach().numpy()
    assert mine.dtype == reference.dtype, f"dtype {mine.dtype} != {reference.dtype}"
    np.testing.assert_allclose(mine, reference, rtol=rtol, atol=1e-14)


def test_switches_store_and_report():
    model = xpnet.nn.Linear(2, 1)
    assert xpnet.compile(model, mode="max-autotune") is model
    assert xpnet.compile(fullgraph=True)(len) is len
    with pytest.raises(TypeError, match="compile: model must be"):
        xpnet.compile(3)
    try:
        xpnet.use_deterministic_algorithms(True, warn_only=True)
        assert xpnet.are_deterministic_algorithms_enabled()
        assert xpnet.is_deterministic_algorithms_warn_only_enabled()
        assert xpnet.get_deterministic_debug_mode() == 1
        xpnet.set_deterministic_debug_mode("error")
        assert xpnet.get_deterministic_debug_mode() == 2
    finally:
        xpnet.set_deterministic_debug_mode(0)
    assert not xpnet.are_deterministic_algorithms_enabled()
    with pytest.raises(RuntimeError, match="'default', 'warn' or 'error', got 'loud'"):
        xpnet.set_deterministic_debug_mode("loud")
    with pytest.raises(TypeError, match="mode must be a bool, got int"):
        xpnet.use_deterministic_algorithms(1)
    xpnet.set_num_interop_threads(3)
    assert xpnet.get_num_interop_threads() == 3
    with pytest.raises(ArgumentError, match="num must be at least 1, got 0"):
        xpnet.set_num_interop_threads(0)
    xpnet.set_warn_always(True)
    assert xpnet.is_warn_always_enabled()
    xpnet.set_warn_always(False)
    assert xpnet.set_flush_denormal(True) is False
    assert xpnet.is_inference_mode_enabled() is False
    x = xpnet.zeros(2)
    assert xpnet.is_inference(x) is False and x.is_inference() is False
    with pytest.raises(TypeError, match="is_inference: input must be a Tensor"):
        xpnet.is_inference(1.0)


def test_typename_names_the_tensor_type():
    assert xpnet.typename(xpnet.zeros(1)) == "xpnet.FloatTensor"
    assert xpnet.typename(xpnet.zeros(1, dtype=xpnet.int64)) == "xpnet.LongTensor"
    assert xpnet.typename(1.0) == torch.typename(1.0) == "float"
    assert xpnet.typename(xpnet.nn.Linear(1, 1)) == "xpnet.nn.linear.Linear"


def test_default_device_is_the_current_backend():
    assert xpnet.get_default_device() == xpnet.device("cpu")
    before = xpnet.get_backend().name
    try:
        xpnet.set_default_device(None)  # the CPU: the current backend where it is a host one
        assert xpnet.get_backend().name == before
        xpnet.set_default_device("numpy")
        assert xpnet.get_backend().name == "numpy"
    finally:
        xpnet.set_backend(before)
    with pytest.raises(ValueError):
        xpnet.set_default_device("tpu")


def test_set_printoptions_changes_the_repr():
    before = np.get_printoptions()
    try:
        xpnet.set_printoptions(precision=2)
        assert "tensor([0.33]" in repr(xpnet.tensor([1 / 3], dtype=xpnet.float64))
        xpnet.set_printoptions(sci_mode=True)
        assert "e-01" in repr(xpnet.tensor([1 / 3], dtype=xpnet.float64))
        assert np.get_printoptions() == before  # xpnet's options, not NumPy's
    finally:
        xpnet.set_printoptions(profile="default")
    with pytest.raises(ValueError, match="profile must be one of"):
        xpnet.set_printoptions(profile="long")


def test_complex_api_on_real_tensors(backend):
    x = Tensor(backend.asarray(A))
    for name in ("conj", "conj_physical", "resolve_conj", "resolve_neg", "real"):
        assert getattr(xpnet, name)(x) is x
        assert getattr(torch, name)(torch.from_numpy(A)) is not None
    xpnet.conj_physical_(x)
    assert x.real is x and x.conj() is x and x.resolve_neg() is x
    assert not xpnet.is_conj(x) and not xpnet.is_neg(x) and not x.is_neg()
    same(xpnet.isreal(x), torch.isreal(torch.from_numpy(A)))
    same(x.isreal(), torch.isreal(torch.from_numpy(A)))
    for name in ("imag", "view_as_real", "view_as_complex", "polar", "complex"):
        with pytest.raises(TypeError, match=f"{name}: xpnet has no complex dtypes"):
            getattr(xpnet, name)(x, x) if name in ("polar", "complex") else getattr(xpnet, name)(x)
    with pytest.raises(TypeError, match="conj: input must be a Tensor"):
        xpnet.conj([1.0])


COPIES = [
    ("expand_copy", [A[:1]], ((3, 4),), {}),
    ("permute_copy", [A], ((1, 0),), {}),
    ("squeeze_copy", [A[:1]], (0,), {}),
    ("t_copy", [A], (), {}),
    ("transpose_copy", [A], (0, 1), {}),
    ("unsqueeze_copy", [A], (1,), {}),
    ("view_copy", [A], ((4, 3),), {}),
    ("diagonal_copy", [A], (1,), {}),
    ("select_copy", [A], (1, 2), {}),
    ("slice_copy", [A], (1, 1, 4, 2), {}),
    ("unfold_copy", [A], (1, 2, 1), {}),
    ("narrow_copy", [A], (1, 1, 2), {}),
    ("alias_copy", [A], (), {}),
    ("as_strided_copy", [A], ((2, 2), (1, 3), 1), {}),
    ("as_strided", [A], ((3, 3), (1, 1)), {}),  # overlapping: the gradient adds up
]


@pytest.mark.parametrize(("name", "inputs", "args", "kwargs"), COPIES)
def test_copy_forms_match_torch(backend, name, inputs, args, kwargs):
    check_tensor_method(by_name(name, *args, **kwargs), inputs, backend)


@pytest.mark.parametrize("name", ["split_copy", "split_with_sizes_copy", "unbind_copy"])
def test_copied_splits_match_torch(backend, name):
    arg = {"split_copy": (2, 1), "split_with_sizes_copy": ([1, 3], 1), "unbind_copy": (1,)}[name]
    pieces = getattr(xpnet, name)(Tensor(backend.asarray(A), requires_grad=True), *arg)
    reference = getattr(torch, name)(torch.from_numpy(A), *arg)
    assert isinstance(pieces, tuple) and len(pieces) == len(reference)
    for mine, theirs in zip(pieces, reference, strict=True):
        same(mine, theirs)
    detached = xpnet.detach_copy(Tensor(backend.asarray(A), requires_grad=True))
    assert not detached.requires_grad


def test_as_strided_method_and_errors(backend):
    x = Tensor(backend.asarray(A))
    same(x.as_strided((2,), (5,), 2), torch.from_numpy(A).as_strided((2,), (5,), 2))
    with pytest.raises(ArgumentError, match="as_strided: size=.* reach element 12"):
        xpnet.as_strided(x, (2,), (12,))
    with pytest.raises(ArgumentError, match="size and stride must have one entry"):
        xpnet.as_strided(x, (2, 2), (1,))


@pytest.mark.parametrize("name", ["unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes"])
def test_unsafe_splits_write_through(backend, name):
    arg = {"unsafe_chunk": 2, "unsafe_split": 2, "unsafe_split_with_sizes": [3, 1]}[name]
    x = Tensor(backend.asarray(A.copy()))
    reference = getattr(torch, name)(torch.from_numpy(A.copy()), arg, 1)
    pieces = getattr(xpnet, name)(x, arg, 1)
    for mine, theirs in zip(pieces, reference, strict=True):
        same(mine, theirs)
    pieces[0].mul_(0.0)
    assert float(x[:, 0].abs().sum().item()) == 0.0  # in-place writes reach the input
    check_tensor_method(lambda t: getattr(xpnet, name)(t, arg, 1)[-1], [A], backend,
                        torch_method=lambda t: getattr(torch, name)(t, arg, 1)[-1])  # fmt: skip


def test_bit_shifts_match_torch(backend):
    a = np.array([1, -8, 5, 100], dtype=np.int8)
    b = np.array([1, 2, 8, -1], dtype=np.int8)
    x, y, ta, tb = (
        Tensor(backend.asarray(a)),
        Tensor(backend.asarray(b)),
        *map(torch.tensor, (a, b)),
    )
    same(xpnet.bitwise_left_shift(x, y), torch.bitwise_left_shift(ta, tb))
    same(xpnet.bitwise_right_shift(x, y), torch.bitwise_right_shift(ta, tb))
    same(x << 3, ta << 3)
    same(x >> 1, ta >> 1)
    same(2 << x.abs().clamp(max=3), 2 << ta.abs().clamp(max=3))
    same(x.bitwise_right_shift(2), ta.bitwise_right_shift(2))
    with pytest.raises(TypeError, match="bitwise_left_shift: input and other must be integer"):
        xpnet.bitwise_left_shift(xpnet.ones(2), 1)


def test_i0_matches_torch(backend):
    x = np.array([-30.0, -14.9, -2.0, 0.0, 0.5, 3.0, 15.1, 40.0])
    check_tensor_method(by_name("i0"), [x], backend)
    check_tensor_method(lambda t: t.i0(), [x[2:6]], backend, dtype=np.float32)
    same(xpnet.i0(xpnet.tensor([1, 2])), torch.i0(torch.tensor([1, 2])), rtol=1e-6)


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize(
    "spacing", [1, 0.5, [0.5, 2.0], "coordinates"], ids=["one", "step", "steps", "coords"]
)
def test_gradient_matches_torch(backend, spacing, edge_order):
    coords = [np.array([0.0, 0.3, 1.0]), np.array([-1.0, 0.0, 0.5, 2.0])]

    def call(library, t):
        steps = spacing
        if spacing == "coordinates":
            steps = [like(t, c, "float64") for c in coords]
        return library.gradient(t, spacing=steps, edge_order=edge_order)[1]

    check_tensor_method(
        lambda t: call(xpnet, t), [A], backend, torch_method=lambda t: call(torch, t)
    )
    mine = xpnet.gradient(Tensor(backend.asarray(A)), dim=0, edge_order=edge_order)
    same(mine[0], torch.gradient(torch.from_numpy(A), dim=0, edge_order=edge_order)[0])


def test_gradient_errors():
    with pytest.raises(ArgumentError, match="gradient: edge_order must be 1 or 2, got 3"):
        xpnet.gradient(xpnet.ones(4), edge_order=3)
    with pytest.raises(ArgumentError, match="at least edge_order \\+ 1 = 3 samples, got 2"):
        xpnet.gradient(xpnet.ones(2), edge_order=2)
    with pytest.raises(ArgumentError, match="spacing must have one entry per dim"):
        xpnet.gradient(xpnet.ones(3, 3), spacing=[1.0])


def test_put_matches_torch(backend):
    index, source = np.array([0, -1, 5]), random_input((3,), seed=3)
    for accumulate in (False, True):
        check_tensor_method(
            lambda t, s, acc=accumulate: t.put(like(t, index), s, acc), [A, source], backend
        )
    x = Tensor(backend.asarray(A.copy()))
    x.put_(Tensor(backend.asarray(index)), Tensor(backend.asarray(source)))
    same(x, torch.from_numpy(A.copy()).put_(torch.tensor(index), torch.from_numpy(source)))
    with pytest.raises(ArgumentError, match="put: index and source must have as many"):
        xpnet.put(x, Tensor(backend.asarray(index)), xpnet.ones(2, dtype=xpnet.float64))


def test_deprecated_forms_warn_and_match_torch(backend):
    B = random_input((4, 2), seed=1)
    for name, inputs, args in [
        ("chain_matmul", [A, B], ()),
        ("frobenius_norm", [A], ((0, 1),)),
        ("nuclear_norm", [A], ()),
    ]:
        with pytest.warns(UserWarning, match=f"{name} is deprecated"):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*deprecated", module="torch")
                warnings.filterwarnings("ignore", category=UserWarning, message="(torch|at::)")
                check_tensor_method(by_name(name, *args), inputs, backend)
    with pytest.warns(UserWarning, match="range is deprecated"):
        mine = xpnet.range(0, 1, 0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(mine, torch.range(0, 1, 0.25))
    with pytest.warns(UserWarning), pytest.raises(ArgumentError, match="step must be nonzero"):
        xpnet.range(0, 1, -1)
    with pytest.warns(UserWarning), pytest.raises(ArgumentError, match="matrices must be 2-D"):
        xpnet.chain_matmul(xpnet.ones(2), xpnet.ones(2))


@pytest.mark.parametrize("name", ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"])
def test_cells_match_torch(backend, name):
    gates = {"lstm_cell": 4, "gru_cell": 3}.get(name, 1)
    x, h, c = (random_input((2, 3), seed=s) for s in (4, 5, 6))
    w_ih, w_hh = random_input((3 * gates, 3), seed=7), random_input((3 * gates, 3), seed=8)
    b_ih, b_hh = random_input((3 * gates,), seed=9), random_input((3 * gates,), seed=10)

    def call(x, h, c, w_ih, w_hh, b_ih, b_hh):
        library = torch if isinstance(x, torch.Tensor) else xpnet
        if name == "lstm_cell":
            hy, cy = library.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
            return hy * cy
        return getattr(library, name)(x, h, w_ih, w_hh, b_ih, b_hh) * c

    check_tensor_method(call, [x, h, c, w_ih, w_hh, b_ih, b_hh], backend)


def test_ctc_loss_takes_torchs_integer_reduction(backend):
    log_probs = torch.randn(6, 2, 4, dtype=torch.float64).log_softmax(2).numpy()
    targets, lengths, target_lengths = [[1, 2], [3, 1]], [6, 5], [2, 2]

    def call(t):
        library = torch if isinstance(t, torch.Tensor) else xpnet
        args = (like(t, targets), like(t, lengths), like(t, target_lengths))
        return library.ctc_loss(t, *args, 0, 2, False)

    check_tensor_method(call, [log_probs], backend)
    with pytest.raises(ArgumentError, match="ctc_loss: reduction must be 0 \\(none\\)"):
        xpnet.ctc_loss(xpnet.ones(1), None, None, None, reduction="sum")


def test_feature_dropout_zeroes_whole_feature_maps(backend):
    x = Tensor(backend.asarray(np.ones((4, 8, 5))), requires_grad=True)
    xpnet.manual_seed(0)
    y = xpnet.feature_dropout(x, 0.5, True)
    values = y.numpy()
    assert set(np.unique(values)) <= {0.0, 2.0}
    assert (values == values[:, :, :1]).all() and 0 < (values == 0).mean() < 1
    y.sum().backward()
    np.testing.assert_array_equal(
        x.grad.numpy() if hasattr(x.grad, "numpy") else xpnet.to_numpy(x.grad), values
    )
    assert xpnet.feature_dropout(x, 0.5, False) is not None
    z = Tensor(backend.asarray(np.ones((2, 3))))
    assert xpnet.feature_dropout_(z, 1.0, True) is z and z.abs().sum().item() == 0
    with pytest.raises(ArgumentError, match="feature_dropout: input must have at least 2 dims"):
        xpnet.feature_dropout(xpnet.ones(3), 0.5, True)


def test_dlpack_and_frombuffer():
    x = np.arange(4.0)
    t = xpnet.from_dlpack(torch.from_numpy(x))
    same(t, torch.from_numpy(x))
    back = torch.from_dlpack(xpnet.to_dlpack(xpnet.tensor([1.0, 2.0])))
    assert back.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="from_dlpack: ext_tensor must support DLPack"):
        xpnet.from_dlpack([1.0])
    data = bytearray(np.arange(5, dtype=np.int32).tobytes())
    same(xpnet.frombuffer(data, dtype=xpnet.int32, count=2, offset=4),
         torch.frombuffer(data, dtype=torch.int32, count=2, offset=4))  # fmt: skip
    with pytest.raises(ArgumentError, match="frombuffer: offset=0 and count=9 must read"):
        xpnet.frombuffer(data, dtype=xpnet.int32, count=9)
