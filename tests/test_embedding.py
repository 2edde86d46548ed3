"""embedding (padding_idx, scale_grad_by_freq) and the Embedding module (init, padding row,
from_pretrained, state_dict, repr) against PyTorch; channel-wise dropout1d/2d/3d and their
modules (masks per channel, statistics, the backward's use of the mask, errors)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, random_input

import xpnet
import xpnet.kernels as K
from xpnet import nn
from xpnet._random import seed_dropout

INDICES = np.array([[0, 2, 4, 2], [1, 1, 3, 4], [4, 4, 4, 0]])


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"padding_idx": 2},
        {"padding_idx": -1},
        {"scale_grad_by_freq": True},
        {"padding_idx": 0, "scale_grad_by_freq": True},
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_embedding_matches_torch(backend, kwargs, dtype, index_dtype):
    index = backend.asarray(INDICES.astype(index_dtype))
    check_against_torch(
        lambda w: K.embedding(index, w, **kwargs),
        lambda g, w: K.embedding_backward(g, index, w, **kwargs)[1],
        lambda w: TF.embedding(torch.tensor(INDICES), w, **kwargs),
        [random_input((5, 3), 0)],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("shape", [(), (0,), (7,), (2, 0, 3)])
def test_embedding_index_shapes(backend, shape):
    index = np.random.default_rng(0).integers(0, 5, size=shape)
    check_against_torch(
        lambda w: K.embedding(backend.asarray(index), w),
        lambda g, w: K.embedding_backward(g, backend.asarray(index), w)[1],
        lambda w: TF.embedding(torch.tensor(index), w),
        [random_input((5, 2), 0)],
        backend,
    )


def test_embedding_backward_returns_none_for_the_indices(backend):
    weight = backend.asarray(np.ones((3, 2)))
    index = backend.asarray(np.array([0, 0]))
    grad_input, grad_weight = K.embedding_backward(backend.asarray(np.ones((2, 2))), index, weight)
    assert grad_input is None
    np.testing.assert_array_equal(backend.to_host(grad_weight), [[2, 2], [0, 0], [0, 0]])


def test_embedding_float16(backend):
    weight = random_input((4, 3), 0).astype(np.float16)
    index = backend.asarray(np.array([3, 1, 3]))
    output = K.embedding(index, backend.asarray(weight))
    assert output.dtype == np.float16
    np.testing.assert_array_equal(backend.to_host(output), weight[[3, 1, 3]])
    grad = K.embedding_backward(
        backend.asarray(np.ones((3, 3), np.float16)), index, backend.asarray(weight)
    )[1]
    assert grad.dtype == np.float16 and backend.to_host(grad)[3, 0] == 2


@pytest.mark.parametrize(
    "index, weight_shape, kwargs, error, message",
    [
        (np.array([5]), (5, 2), {}, IndexError, r"input indices must be in \[0, 5\), got 5"),
        (np.array([-1]), (5, 2), {}, IndexError, "got -1"),
        (np.array([0.0]), (5, 2), {}, TypeError, "input must hold integer indices"),
        (np.array([0]), (5,), {}, ValueError, "weight must have 2 dimensions"),
        (np.array([0]), (5, 2), {"padding_idx": 5}, ValueError, "padding_idx must be within"),
        (np.array([0]), (5, 2), {"padding_idx": 1.0}, TypeError, "padding_idx must be an int"),
        (np.array([0]), (5, 2), {"max_norm": "1"}, TypeError, "max_norm must be a number"),
        (np.array([0]), (5, 2), {"sparse": True}, NotImplementedError, "sparse gradients"),
    ],
)
def test_embedding_rejects_bad_arguments(backend, index, weight_shape, kwargs, error, message):
    weight = backend.asarray(np.zeros(weight_shape))
    with pytest.raises(error, match=message):
        K.embedding(backend.asarray(index), weight, **kwargs)


def test_embedding_rejects_bad_weight_grad_and_memory(backend):
    index = backend.asarray(np.array([0, 1]))
    with pytest.raises(TypeError, match="weight is not implemented for dtype complex128"):
        K.embedding(index, backend.asarray(np.zeros((3, 2), np.complex128)))
    with pytest.raises(TypeError, match="weight must be a floating-point array"):  # a norm
        K.embedding(index, backend.asarray(np.zeros((3, 2), np.int64)), max_norm=1.0)
    weight = backend.asarray(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"grad_output must have the shape of the forward's"):
        K.embedding_backward(backend.asarray(np.zeros((2, 3))), index, weight)
    huge = backend.asarray(np.zeros((2**20, 1), np.int64))
    wide = xpnet.backends.get_backend().xp.broadcast_to(
        backend.asarray(np.zeros((1, 1))), (3, 2**40)
    )
    with pytest.raises(MemoryError, match="embedding: an output of shape"):
        K.embedding(huge, wide)


# -- the Embedding module ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 3}, {"padding_idx": -2}, {"norm_type": 3.0, "scale_grad_by_freq": True}],
)
def test_embedding_module_matches_torch_layout(backend, kwargs):
    module, reference = nn.Embedding(10, 4, **kwargs), torch.nn.Embedding(10, 4, **kwargs)
    assert repr(module) == repr(reference)
    assert list(module.state_dict()) == list(reference.state_dict()) == ["weight"]
    assert module.weight.shape == tuple(reference.weight.shape)
    assert module.padding_idx == reference.padding_idx
    if module.padding_idx is not None:
        assert not backend.to_host(module.weight.array)[module.padding_idx].any()


def test_embedding_module_init_is_standard_normal():
    xpnet.manual_seed(0)
    weight = nn.Embedding(1000, 100).weight.numpy()
    assert weight.dtype == np.float32
    assert abs(weight.mean()) < 5 / np.sqrt(weight.size) and abs(weight.std() - 1) < 0.01


def test_embedding_module_trains_and_skips_the_padding_row(backend):
    module = nn.Embedding(5, 3, padding_idx=1, device=backend.name, dtype=np.float64)
    reference = torch.nn.Embedding(5, 3, padding_idx=1, dtype=torch.float64)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(module.weight.numpy()))
    module(backend.asarray(INDICES % 5)).sum().backward()
    reference(torch.tensor(INDICES % 5)).sum().backward()
    assert_close(
        backend.to_host(module.weight.grad.array), reference.weight.grad.numpy(), np.float64
    )


def test_embedding_from_pretrained(backend):
    table = backend.asarray(random_input((4, 2), 0))
    frozen = nn.Embedding.from_pretrained(table)
    assert frozen.weight.array is table and not frozen.weight.requires_grad
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    reference = torch.nn.Embedding.from_pretrained(torch.tensor(backend.to_host(table)))
    assert repr(frozen) == repr(reference)
    with pytest.raises(ValueError, match="embeddings must be 2-D"):
        nn.Embedding.from_pretrained(backend.asarray(np.zeros(3)))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_max_norm_renormalises_weight_in_place_as_torch(backend, norm_type, dtype):
    """The looked-up rows over max_norm (one repeated, one under it, one not looked up) are
    scaled in weight itself, as torch's embedding_renorm_; output and gradient as torch's."""
    table = random_input((5, 3), seed=3) * 2
    index = np.array([[0, 2, 2], [4, 0, 1]])
    weight = xpnet.nn.Parameter(backend.asarray(table.astype(dtype)))
    output = xpnet.nn.functional.embedding(
        backend.asarray(index), weight, max_norm=1.0, norm_type=norm_type
    )
    output.sum().backward()
    reference = torch.tensor(table, requires_grad=True)
    expected = TF.embedding(torch.tensor(index), reference, max_norm=1.0, norm_type=norm_type)
    expected.sum().backward()
    assert_close(backend.to_host(weight.array), reference.detach().numpy(), dtype, "weight")
    assert_close(backend.to_host(output.array), expected.detach().numpy(), dtype)
    assert_close(backend.to_host(weight.grad.array), reference.grad.numpy(), dtype, "grad_weight")
    assert np.array_equal(backend.to_host(weight.array)[3], table[3].astype(dtype))


def test_embedding_module_max_norm_matches_torch(backend):
    layer = nn.Embedding(6, 4, max_norm=0.5, norm_type=1.0)
    reference = torch.nn.Embedding(6, 4, max_norm=0.5, norm_type=1.0).double()
    reference.weight.data = torch.tensor(backend.to_host(layer.weight.array), dtype=torch.float64)
    index = np.array([1, 3, 3, 5])
    out = layer(backend.asarray(index))
    expected = reference(torch.tensor(index))
    assert repr(layer) == repr(reference)
    assert_close(backend.to_host(out.array), expected.detach().numpy(), np.float32)
    assert_close(
        backend.to_host(layer.weight.array), reference.weight.detach().numpy(), np.float32, "weight"
    )


def test_embedding_module_rejects_bad_arguments():
    with pytest.raises(NotImplementedError, match="sparse=True is not implemented"):
        nn.Embedding(3, 2, sparse=True)
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(ValueError, match=r"_weight must have shape \(3, 2\)"):
        nn.Embedding(3, 2, _weight=np.zeros((2, 2), np.float32))


# -- dropout1d / 2d / 3d -------------------------------------------------------------------------

CHANNEL_SHAPES = {
    "dropout1d": [(4, 6, 5), (6, 5)],
    "dropout2d": [(4, 6, 3, 2), (4, 6, 5)],
    "dropout3d": [(4, 6, 2, 2, 3), (6, 2, 2, 3)],
}


@pytest.mark.parametrize("name", list(CHANNEL_SHAPES))
@pytest.mark.parametrize("batched", [0, 1])
def test_channel_dropout_zeroes_whole_channels(backend, name, batched):
    shape = CHANNEL_SHAPES[name][batched]
    seed_dropout(0)
    x = backend.asarray(random_input(shape, 0, low=1, high=2))
    output, mask = getattr(K, name)(x, 0.5, return_mask=True)
    output, mask, host = backend.to_host(output), backend.to_host(mask), backend.to_host(x)
    # the second shape is unbatched, except dropout2d's: a 3-D input is (N, C, L), as PyTorch
    channels = 1 if batched and name != "dropout2d" else 2
    assert mask.shape == shape[:channels] + (1,) * (len(shape) - channels)
    assert 0 < mask.mean() < 1
    np.testing.assert_allclose(output, host * mask / 0.5)
    grad = getattr(K, f"{name}_backward")(
        backend.asarray(np.ones(shape)), x, 0.5, mask=backend.asarray(mask)
    )
    np.testing.assert_allclose(backend.to_host(grad), np.broadcast_to(mask / 0.5, shape))


@pytest.mark.parametrize("name", list(CHANNEL_SHAPES))
def test_channel_dropout_statistics(backend, name):
    seed_dropout(1)
    shape = (400, 100) + (1,) * (len(CHANNEL_SHAPES[name][0]) - 2)
    output = backend.to_host(getattr(K, name)(backend.asarray(np.ones(shape, np.float32)), 0.3))
    assert abs((output == 0).mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / 40_000)


@pytest.mark.parametrize("name", list(CHANNEL_SHAPES))
def test_channel_dropout_identity_in_evaluation_and_p_0_and_p_1(backend, name):
    x = backend.asarray(np.ones(CHANNEL_SHAPES[name][0]))
    assert getattr(K, name)(x, 0.5, training=False) is x
    assert getattr(K, name)(x, 0.0) is x
    assert not backend.to_host(getattr(K, name)(x, 1.0)).any()
    grad = backend.asarray(np.ones(x.shape))
    assert getattr(K, f"{name}_backward")(grad, x, 0.5, training=False) is grad


@pytest.mark.parametrize("name", list(CHANNEL_SHAPES))
def test_channel_dropout_rejects_bad_arguments(backend, name):
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    x = backend.asarray(np.ones(CHANNEL_SHAPES[name][0]))
    with pytest.raises(ValueError, match=rf"{name}: input must have"):
        forward(backend.asarray(np.ones((2,) * 6)))
    with pytest.raises(ValueError, match="p must be in"):
        forward(x, 1.5)
    with pytest.raises(ValueError, match="mask .* is required"):
        backward(x, x, 0.5)
    with pytest.raises(ValueError, match="mask must be a bool array of shape"):
        backward(x, x, 0.5, mask=backend.asarray(np.ones(x.shape, bool)))


@pytest.mark.parametrize("cls, ndim", [("Dropout1d", 3), ("Dropout2d", 4), ("Dropout3d", 5)])
def test_channel_dropout_modules(backend, cls, ndim):
    module, reference = getattr(nn, cls)(0.25), getattr(torch.nn, cls)(0.25)
    assert repr(module) == repr(reference) and module.state_dict() == {}
    x = xpnet.Tensor(backend.asarray(np.ones((2, 8) + (3,) * (ndim - 2))), requires_grad=True)
    seed_dropout(2)
    output = module(x)
    output.sum().backward()
    kept = backend.to_host(output.array) != 0
    np.testing.assert_allclose(backend.to_host(x.grad.array), kept / 0.75)
    assert (kept == kept[:, :, :1]).all()  # whole channels
    assert module.eval()(x).array is x.array


def test_embedding_rejects_huge_outputs_before_the_range_check(backend):
    """A broadcast index of 1e11 elements: MemoryError at once, before the min and max over
    every index (minutes)."""
    xp = backend.xp
    index = xp.broadcast_to(backend.asarray(np.zeros((), np.int64)), (10**11,))
    weight = backend.asarray(np.zeros((1, 4)))
    with pytest.raises(MemoryError, match=r"embedding: an output of shape \(100000000000, 4\)"):
        K.embedding(index, weight)
    grad = xp.broadcast_to(backend.asarray(np.zeros(())), (10**11, 4))
    with pytest.raises(MemoryError, match=r"embedding_backward: gradient rows of shape"):
        K.embedding_backward(grad, index, weight)
