"""embedding_bag (sum, mean, max; offsets, 2-D bags, include_last_offset, padding_idx,
per_sample_weights, scale_grad_by_freq, max_norm) and the EmbeddingBag module (init,
from_pretrained, state_dict, repr) against PyTorch; errors and a property test."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, random_input
from _strategies import PROFILE, Invalid, check_rejected, common_mistakes, values_of
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
from xpnet import nn
from xpnet.backends import host_reads_forbidden

INDICES = np.array([0, 2, 4, 2, 1, 5, 5, 3, 0, 4])
OFFSETS = np.array([0, 2, 2, 7])  # a bag of 2, an empty bag, a bag of 5, a bag of 3


def check_bag(backend, input, offsets, kwargs, dtype=np.float64, psw=None, shape=(6, 3)):
    """embedding_bag's output and its weight (and per_sample_weights) gradients against
    PyTorch's F.embedding_bag."""
    index = backend.asarray(input)
    off = None if offsets is None else backend.asarray(offsets)
    inputs = [random_input(shape, 0)] + ([] if psw is None else [psw])

    def forward(w, *p):
        return K.embedding_bag(index, w, off, per_sample_weights=p[0] if p else None, **kwargs)

    def backward(g, w, *p):
        grads = K.embedding_bag_backward(
            g, index, w, off, per_sample_weights=p[0] if p else None, **kwargs
        )
        return grads[1] if psw is None else (grads[1], grads[3])

    def torch_forward(w, *p):
        t_off = None if offsets is None else torch.tensor(offsets)
        psw_t = p[0] if p else None
        return TF.embedding_bag(torch.tensor(input), w, t_off, per_sample_weights=psw_t, **kwargs)

    check_against_torch(forward, backward, torch_forward, inputs, backend, dtype=dtype)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"include_last_offset": True}],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_bag_matches_torch(backend, mode, kwargs, dtype):
    check_bag(backend, INDICES, OFFSETS, {"mode": mode, **kwargs}, dtype)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_embedding_bag_two_dimensional_bags(backend, mode, index_dtype):
    check_bag(backend, INDICES.reshape(2, 5).astype(index_dtype), None, {"mode": mode})


@pytest.mark.parametrize("padding_idx", [None, 5])
def test_embedding_bag_per_sample_weights(backend, padding_idx):
    psw = random_input(INDICES.shape, 3)
    kwargs = {"mode": "sum", "padding_idx": padding_idx}
    check_bag(backend, INDICES, OFFSETS, kwargs, psw=psw)
    check_bag(backend, INDICES.reshape(5, 2), None, kwargs, np.float32, psw.reshape(5, 2))


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_bag_scale_grad_by_freq(backend, mode, padding_idx):
    """Each row's gradient over its index's count in the whole input. PyTorch's CPU kernel
    divides by another index's count (pytorch/pytorch#190063), so the oracle is
    F.embedding's (correct) scale_grad_by_freq summed per bag."""
    bag = np.searchsorted(OFFSETS, np.arange(len(INDICES)), side="right") - 1
    keep = torch.tensor(INDICES != (-1 if padding_idx is None else padding_idx)).double()
    sizes = torch.zeros(len(OFFSETS), dtype=torch.float64).index_add(0, torch.tensor(bag), keep)
    kwargs = {"mode": mode, "padding_idx": padding_idx, "scale_grad_by_freq": True}

    def torch_forward(w):
        rows = TF.embedding(torch.tensor(INDICES), w, scale_grad_by_freq=True) * keep[:, None]
        out = torch.zeros(len(OFFSETS), w.shape[1], dtype=w.dtype)
        out = out.index_add(0, torch.tensor(bag), rows)
        return out / sizes.clamp(min=1)[:, None] if mode == "mean" else out

    index, off = backend.asarray(INDICES), backend.asarray(OFFSETS)
    check_against_torch(
        lambda w: K.embedding_bag(index, w, off, **kwargs),
        lambda g, w: K.embedding_bag_backward(g, index, w, off, **kwargs)[1],
        torch_forward,
        [random_input((6, 3), 0)],
        backend,
    )


def test_embedding_bag_max_ties_nan_and_padding(backend):
    """Per column the first largest value wins; a NaN only as its bag's first entry."""
    weight = np.array([[1.0, np.nan], [1.0, 2.0], [np.nan, 2.0], [3.0, -np.inf], [-0.0, 0.0]])
    index = np.array([2, 0, 1, 1, 3, 2, 0, 4, 4, 3, 4])
    offsets = np.array([0, 3, 5, 7, 7, 9])
    for kwargs in [{}, {"padding_idx": 3}, {"padding_idx": 2}]:
        w = torch.tensor(weight, requires_grad=True)
        off_t = torch.tensor(offsets)
        expected = TF.embedding_bag(torch.tensor(index), w, off_t, mode="max", **kwargs)
        grad = random_input(tuple(expected.shape), 1)
        expected.backward(torch.tensor(grad))
        args = (backend.asarray(index), backend.asarray(weight), backend.asarray(offsets))
        output = K.embedding_bag(*args, mode="max", **kwargs)
        assert_close(backend.to_host(output), expected.detach().numpy(), np.float64)
        grads = K.embedding_bag_backward(backend.asarray(grad), *args, mode="max", **kwargs)
        assert grads[0] is None and grads[2] is None and grads[3] is None
        assert_close(backend.to_host(grads[1]), w.grad.numpy(), np.float64, "grad")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_empty_input_and_bags(backend, mode):
    check_bag(backend, np.zeros(0, np.int64), np.array([0, 0, 0]), {"mode": mode})
    check_bag(backend, np.zeros((0, 3), np.int64), None, {"mode": mode})
    check_bag(backend, np.array([1, 1]), np.array([0, 2, 2]), {"mode": mode})
    output = K.embedding_bag(  # PyTorch refuses (B, 0): here B empty bags
        backend.asarray(np.zeros((2, 0), np.int64)), backend.asarray(np.ones((3, 2)))
    )
    np.testing.assert_array_equal(backend.to_host(output), np.zeros((2, 2)))


def test_embedding_bag_trailing_entries_join_the_last_bag(backend):
    """With include_last_offset, entries past offsets[-1] join the last bag (PyTorch CPU)."""
    check_bag(backend, INDICES, np.array([0, 3, 6]), {"mode": "mean", "include_last_offset": True})


def test_embedding_bag_float16(backend):
    weight = random_input((6, 3), 0).astype(np.float16)
    args = (backend.asarray(INDICES), backend.asarray(weight), backend.asarray(OFFSETS))
    for mode in ["sum", "mean", "max"]:
        output = K.embedding_bag(*args, mode=mode)
        expected = TF.embedding_bag(
            torch.tensor(INDICES),
            torch.tensor(weight.astype(np.float64)),
            torch.tensor(OFFSETS),
            mode=mode,
        )
        assert output.dtype == np.float16
        assert_close(backend.to_host(output), expected.numpy(), np.float16)
        grad = K.embedding_bag_backward(backend.asarray(np.ones((4, 3), np.float16)), *args)
        assert grad[1].dtype == np.float16


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5])
@pytest.mark.parametrize("mode", ["sum", "max"])
def test_embedding_bag_max_norm_renormalises_in_place(backend, norm_type, mode):
    weight = random_input((6, 3), 0) * 3
    reference = torch.tensor(weight)
    expected = TF.embedding_bag(
        torch.tensor(INDICES[:6]),
        reference,
        torch.tensor([0, 4]),
        max_norm=1.0,
        norm_type=norm_type,
        mode=mode,
    )
    table = backend.asarray(weight.copy())
    args = (backend.asarray(INDICES[:6]), table, backend.asarray(np.array([0, 4])))
    output = K.embedding_bag(*args, max_norm=1.0, norm_type=norm_type, mode=mode)
    assert_close(backend.to_host(output), expected.numpy(), np.float64)
    assert_close(backend.to_host(table), reference.numpy(), np.float64, "weight")
    assert np.array_equal(backend.to_host(table)[3], weight[3])  # not looked up: unchanged
    assert not np.array_equal(backend.to_host(table)[5], weight[5])


@pytest.mark.parametrize(
    "call, error, message",
    [
        ({"input": np.array([6])}, IndexError, r"input indices must be in \[0, 6\), got 6"),
        ({"input": np.array([-1])}, IndexError, "got -1"),
        ({"input": np.array([0.0])}, TypeError, "input must hold integer indices"),
        ({"offsets": np.array([0.0])}, TypeError, "offsets must hold integer indices"),
        ({"offsets": np.array([1, 2])}, ValueError, r"offsets\[0\] must be 0"),
        ({"offsets": np.array([0, 11])}, ValueError, r"offsets\[-1\] must be at most input's"),
        ({"offsets": np.array([], np.int64)}, ValueError, "offsets must hold at least 1"),
        ({"offsets": None}, ValueError, "offsets must be a 1-D array for a 1-D input"),
        ({"offsets": np.array([[0]])}, ValueError, "offsets must be a 1-D array"),
        ({"input": np.zeros((1, 1, 2), np.int64)}, ValueError, "input must have 1 or 2 dim"),
        ({"input": np.zeros((1, 2), np.int64)}, ValueError, "offsets must be None for a 2-D"),
        ({"weight": np.zeros(6)}, ValueError, "weight must have 2 dimensions"),
        ({"weight": np.zeros((6, 3), np.int64)}, TypeError, "weight must be a floating-point"),
        ({"mode": "min"}, ValueError, "mode must be one of 'sum', 'mean' or 'max'"),
        ({"mode": "max", "scale_grad_by_freq": True}, ValueError, "max mode does not support sc"),
        ({"mode": "max", "sparse": True}, ValueError, "max mode does not support sparse"),
        ({"sparse": True}, NotImplementedError, "sparse gradients are not implemented"),
        ({"per_sample_weights": np.ones(10)}, NotImplementedError, "only supported for mode='s"),
        ({"mode": "sum", "per_sample_weights": np.ones(9)}, ValueError, "must have the shape"),
        (
            {"mode": "sum", "per_sample_weights": np.ones(10, np.float32)},
            TypeError,
            "per_sample_weights must have the dtype of weight",
        ),
        ({"padding_idx": 6}, ValueError, r"padding_idx must be within num_embeddings \(6\)"),
        ({"padding_idx": 1.0}, TypeError, "padding_idx must be an int"),
        ({"max_norm": "1"}, TypeError, "max_norm must be a number"),
    ],
)
def test_embedding_bag_rejects_bad_arguments(backend, call, error, message):
    arguments = {"input": INDICES, "weight": np.zeros((6, 3)), "offsets": np.array([0, 2])}
    arguments.update(call)
    arguments = {
        key: backend.asarray(value) if isinstance(value, np.ndarray) else value
        for key, value in arguments.items()
    }
    with pytest.raises(error, match=message):
        K.embedding_bag(**arguments)
        backend.to_host(backend.asarray(np.zeros(1)))  # a deferred check raises at a host read


def test_embedding_bag_backward_rejects_bad_grad_output(backend):
    args = (backend.asarray(INDICES), backend.asarray(np.zeros((6, 3))), backend.asarray(OFFSETS))
    with pytest.raises(ValueError, match=r"grad_output must have the shape of the forward's"):
        K.embedding_bag_backward(backend.asarray(np.zeros((3, 3))), *args)
    with pytest.raises(TypeError, match="grad_output must have the dtype"):
        K.embedding_bag_backward(backend.asarray(np.zeros((4, 3), np.float32)), *args)


@PROFILE
@given(
    bags=st.lists(st.lists(st.integers(0, 4), max_size=4), min_size=1, max_size=4),
    mode=st.sampled_from(["sum", "mean", "max"]),
    padding_idx=st.sampled_from([None, 0, -1]),
    seed=st.integers(0, 2**16),
)
def test_embedding_bag_matches_torch_on_generated_bags(backend, bags, mode, padding_idx, seed):
    index = np.array([i for bag in bags for i in bag], np.int64)
    offsets = np.cumsum([0] + [len(bag) for bag in bags[:-1]])
    kwargs = {"mode": mode, "padding_idx": padding_idx}
    check_bag(backend, index, offsets, kwargs, shape=(5, 2))


# -- the EmbeddingBag module ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "sum", "padding_idx": 3},
        {"mode": "max", "padding_idx": -2, "include_last_offset": True},
        {"max_norm": 1.5, "norm_type": 3.0, "scale_grad_by_freq": True},
    ],
)
def test_embedding_bag_module_matches_torch(backend, kwargs):
    module, reference = nn.EmbeddingBag(10, 4, **kwargs), torch.nn.EmbeddingBag(10, 4, **kwargs)
    assert repr(module) == repr(reference)
    assert list(module.state_dict()) == list(reference.state_dict())
    assert module.weight.shape == (10, 4) and module.weight.dtype == np.float32
    if module.padding_idx is not None:
        assert not np.any(backend.to_host(module.weight.array)[module.padding_idx])
    reference.weight.data = torch.tensor(backend.to_host(module.weight.array))
    index, offsets = np.array([1, 3, 8, 3, 7, 8]), np.array([0, 2, 2, 6])
    output = module(backend.asarray(index), backend.asarray(offsets))
    expected = reference(torch.tensor(index), torch.tensor(offsets))
    assert_close(backend.to_host(output.array), expected.detach().numpy(), np.float32)
    output.sum().backward()
    if not kwargs.get("scale_grad_by_freq"):  # PyTorch CPU's is wrong (see the kernel test)
        expected.sum().backward()
        assert_close(backend.to_host(module.weight.grad.array), reference.weight.grad, np.float32)


def test_embedding_bag_module_per_sample_weights_get_gradients(backend):
    module = nn.EmbeddingBag(5, 2, mode="sum")
    weights = xpnet.Tensor(backend.asarray(np.full((2, 2), 2.0, np.float32)), requires_grad=True)
    index = backend.asarray(np.array([[0, 1], [2, 3]]))
    module(index, per_sample_weights=weights).sum().backward()
    table = backend.to_host(module.weight.array)
    expected = table[:4].sum(axis=1).reshape(2, 2)
    np.testing.assert_allclose(backend.to_host(weights.grad.array), expected, rtol=1e-6)
    np.testing.assert_allclose(backend.to_host(module.weight.grad.array)[:4], np.full((4, 2), 2.0))


def test_embedding_bag_from_pretrained_and_errors():
    table = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    bag = nn.EmbeddingBag.from_pretrained(table, mode="sum", padding_idx=1)
    reference = torch.nn.EmbeddingBag.from_pretrained(
        torch.tensor(table), mode="sum", padding_idx=1
    )
    assert repr(bag) == repr(reference) and not bag.weight.requires_grad
    np.testing.assert_array_equal(bag(np.array([[0, 1, 2]])).array, [[4.0, 6.0]])
    assert nn.EmbeddingBag.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(ValueError, match="embeddings must be 2-D"):
        nn.EmbeddingBag.from_pretrained(np.zeros(3))
    with pytest.raises(NotImplementedError, match="sparse=True is not implemented"):
        nn.EmbeddingBag(3, 2, sparse=True)
    with pytest.raises(ValueError, match="padding_idx must be within"):
        nn.EmbeddingBag(3, 2, padding_idx=3)
    with pytest.raises(ValueError, match=r"_weight must have shape \(3, 2\)"):
        nn.EmbeddingBag(3, 2, _weight=np.zeros((2, 2)))


def _mistakes():
    valid = {
        "input": INDICES,
        "weight": values_of((6, 3)),
        "offsets": OFFSETS,
        "mode": "sum",
        "per_sample_weights": values_of((10,), 1),
    }
    mistakes = [
        Invalid(
            "embedding_bag", valid, "index 6", {"input": INDICES + 1}, "input", errors=(IndexError,)
        ),
        Invalid("embedding_bag", valid, "first offset", {"offsets": OFFSETS + 1}, "offsets"),
        Invalid("embedding_bag", valid, "last offset", {"offsets": OFFSETS * 2}, "offsets"),
        Invalid("embedding_bag", valid, "3-d input", {"input": INDICES.reshape(1, 2, 5)}, "input"),
        Invalid("embedding_bag", valid, "mode", {"mode": "median"}, "mode"),
        Invalid("embedding_bag", valid, "padding_idx", {"padding_idx": 9}, "padding_idx"),
        Invalid(
            "embedding_bag",
            valid,
            "weights shape",
            {"per_sample_weights": values_of((9,))},
            "per_sample_weights",
        ),
        Invalid("embedding_bag", valid, "float offsets", {"offsets": OFFSETS * 1.0}, "offsets"),
    ]
    common = common_mistakes(
        "embedding_bag", valid, ("weight", "per_sample_weights"), ("weight",), (4, 3)
    )
    return mistakes + common


@PROFILE
@given(data=st.data())
def test_embedding_bag_rejects_invalid_arguments(backend, data):
    check_rejected(backend, "embedding_bag", data.draw(st.sampled_from(_mistakes()), label="case"))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_reads_nothing_back_and_takes_views(backend, mode):
    """No host read in a forward and backward (strict raises on one); a transposed weight view
    and strided indices give the same results."""
    table = random_input((3, 6), 0)
    index = np.stack([INDICES, INDICES[::-1]], axis=1)  # (10, 2): column 0 is INDICES
    weight, indices = backend.asarray(table.copy()).T, backend.asarray(index)[:, 0]
    offsets = backend.asarray(OFFSETS)
    with host_reads_forbidden():
        output = K.embedding_bag(indices, weight, offsets, max_norm=2.0, mode=mode)
        grad = K.embedding_bag_backward(
            backend.xp.ones_like(output), indices, weight, offsets, mode=mode
        )[1]
    reference = torch.tensor(table.T.copy(), requires_grad=True)
    expected = TF.embedding_bag(
        torch.tensor(INDICES), reference, torch.tensor(OFFSETS), max_norm=2.0, mode=mode
    )
    expected.sum().backward()
    assert_close(backend.to_host(output), expected.detach().numpy(), np.float64)
    assert_close(backend.to_host(grad), reference.grad.numpy(), np.float64, "grad")
