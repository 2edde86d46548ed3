"""Kernels that move values without arithmetic take PyTorch's dtypes, and padding's crop
rules, against torch: pad (integers and bools, its fill value's conversion, reflect and
replicate crops after padding, no empty pad without a constant), pixel_shuffle and
pixel_unshuffle, interpolate's nearest modes on uint8 (and its empty channels), embedding of
an integer weight."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, random_input

import xpnet
import xpnet.nn.functional as F
from xpnet.autograd import Tensor

DTYPES = [np.int64, np.int8, np.uint8, np.bool_]


def _same(backend, ours, theirs):
    """``ours`` (a Tensor) holds ``theirs`` (a torch tensor): values and dtype."""
    array = backend.to_host(ours.array)
    assert str(array.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert array.tolist() == theirs.tolist()


def _both(backend, array):
    return Tensor(backend.asarray(array)), torch.tensor(array)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "mode, value", [("constant", None), ("constant", 5), ("constant", -1.7), ("circular", None)]
)
def test_pad_moves_integers_and_bools(backend, dtype, mode, value):
    if value is not None and value < 0 and dtype == np.uint8:
        value = 2.9  # a negative value does not fit uint8 (checked below)
    x = np.arange(12).reshape(1, 3, 4).astype(dtype)
    ours, theirs = _both(backend, x)
    options = {"mode": mode} if mode != "constant" else {"value": value}
    pads = [1, 2, 2, 0]
    _same(backend, F.pad(ours, pads, **options), TF.pad(theirs, pads, **options))


@pytest.mark.parametrize("dtype", [np.int64, np.uint8])
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_reflect_and_replicate_pad_integers(backend, dtype, mode):
    ours, theirs = _both(backend, np.arange(12).reshape(1, 3, 4).astype(dtype))
    _same(backend, F.pad(ours, [2, 1], mode=mode), TF.pad(theirs, [2, 1], mode=mode))


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_reflect_and_replicate_refuse_bools(backend, mode):
    ours, theirs = _both(backend, np.ones((1, 2, 3), bool))
    with pytest.raises(NotImplementedError):
        TF.pad(theirs, [1, 1], mode=mode)
    with pytest.raises(NotImplementedError, match=f"pad: {mode} padding is not implemented"):
        F.pad(ours, [1, 1], mode=mode)


@pytest.mark.parametrize(
    "dtype, value", [(np.uint8, -1), (np.uint8, 256), (np.int8, 300), (np.int64, np.nan)]
)
def test_a_fill_value_past_the_dtype_is_refused(backend, dtype, value):
    ours, theirs = _both(backend, np.ones((2, 2), dtype))
    with pytest.raises(RuntimeError, match="cannot be converted"):
        TF.pad(theirs, [1, 1], value=value)
    with pytest.raises(RuntimeError, match=f"pad: value {value!r} cannot be converted"):
        F.pad(ours, [1, 1], value=value)


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("pads", [(-3, 2), (2, -3), (-1, -1), (-2, 1), (-5, 3)])
def test_reflect_and_replicate_pad_then_crop(backend, mode, pads):
    x = random_input((2, 3, 4), seed=0)
    if mode == "reflect" and max(pads) >= x.shape[-1]:
        pytest.skip("beyond reflect's limit")
    ours = Tensor(backend.asarray(x), requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    output, t_output = F.pad(ours, pads, mode=mode), TF.pad(theirs, pads, mode=mode)
    assert_close(backend.to_host(output.array), t_output.detach().numpy(), np.float64)
    grad = random_input(tuple(t_output.shape), seed=1)
    (output * Tensor(backend.asarray(grad))).sum().backward()
    (t_output * torch.tensor(grad)).sum().backward()
    assert_close(backend.to_host(ours.grad.array), theirs.grad.numpy(), np.float64)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_an_empty_pad_needs_the_constant_mode(backend, mode, ndim):
    ours, theirs = _both(backend, np.zeros((2,) * ndim))
    with pytest.raises(NotImplementedError, match="Padding size 0 is not supported"):
        TF.pad(theirs, [], mode=mode)
    with pytest.raises(NotImplementedError, match=f"pad: {mode} padding of size 0"):
        F.pad(ours, [], mode=mode)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pixel_shuffles_move_any_dtype(backend, dtype):
    ours, theirs = _both(backend, (np.arange(32).reshape(2, 4, 2, 2) % 3).astype(dtype))
    _same(backend, F.pixel_shuffle(ours, 2), TF.pixel_shuffle(theirs, 2))
    _same(backend, F.pixel_unshuffle(ours, 2), TF.pixel_unshuffle(theirs, 2))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize(
    "shape, options",
    [
        ((2, 3, 5), {"scale_factor": 2.5}),
        ((2, 3, 5, 7), {"scale_factor": 1.7}),
        ((2, 3, 5, 7), {"size": (9, 2)}),
        ((1, 2, 3, 4, 5), {"scale_factor": (2, 1.5, 0.5)}),
    ],
)
def test_interpolate_nearest_moves_uint8(backend, mode, shape, options):
    x = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
    ours, theirs = _both(backend, x)
    expected = TF.interpolate(theirs, mode=mode, **options)
    _same(backend, F.interpolate(ours, mode=mode, **options), expected)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "area"])
def test_interpolate_refuses_uint8_where_it_would_round(backend, mode):
    ours = Tensor(backend.asarray(np.zeros((1, 1, 2, 2), np.uint8)))
    with pytest.raises(NotImplementedError, match=f"interpolate: mode '{mode}' of a uint8"):
        F.interpolate(ours, scale_factor=2, mode=mode)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_interpolate_needs_channels(backend, mode):
    ours, theirs = _both(backend, np.zeros((1, 0, 4)))
    with pytest.raises(RuntimeError, match="Non-empty 3D data tensor expected"):
        TF.interpolate(theirs, scale_factor=2, mode=mode)
    with pytest.raises(RuntimeError, match=r"interpolate: input must be non-empty but for the"):
        F.interpolate(ours, scale_factor=2, mode=mode)
    empty_batch = Tensor(backend.asarray(np.zeros((0, 2, 4))))
    assert F.interpolate(empty_batch, scale_factor=2, mode=mode).shape == (0, 2, 8)
    assert F.interpolate(ours, scale_factor=2, mode="area").shape == (1, 0, 8)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_embedding_looks_up_integer_weights(backend, dtype):
    weight, t_weight = _both(backend, (np.arange(6).reshape(3, 2) % 4).astype(dtype))
    indices, t_indices = _both(backend, np.array([[2, 0], [1, 1]]))
    _same(backend, F.embedding(indices, weight), TF.embedding(t_indices, t_weight))
    with pytest.raises(TypeError, match="embedding: weight must be a floating-point array"):
        F.embedding(indices, weight, max_norm=1.0)
    assert xpnet.nn.Embedding(3, 2)(indices).shape == (2, 2, 2)
