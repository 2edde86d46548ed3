"""The small torch names of :mod:`xpnet._torch_names` and :mod:`xpnet._memory_formats` and the
random fills ``cauchy_``/``log_normal_``/``geometric_`` and ``binomial``: constants, ``dtype``,
layouts and memory formats (strides against PyTorch's), the Tensor flags and helpers,
``new``, the post-accumulate-grad hook, ``apply_``/``map_``, on every backend."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest
import torch

import xpnet
from xpnet.kernels import ArgumentError

N = 20000  # draws per distribution: quantiles within a few hundredths of PyTorch's


def both(array):
    """The same float64 data as an xpnet Tensor (current backend) and a torch tensor."""
    array = np.asarray(array, dtype=np.float64)
    return xpnet.tensor(array), torch.tensor(array)


def test_constants_and_dtype_match_torch(backend):
    assert (xpnet.pi, xpnet.e, xpnet.inf) == (torch.pi, torch.e, torch.inf)
    assert math.isnan(xpnet.nan) and xpnet.newaxis is torch.newaxis
    x, tx = both(np.arange(6.0).reshape(2, 3))
    assert x[:, xpnet.newaxis].shape == tuple(tx[:, torch.newaxis].shape)
    assert isinstance(x.dtype, xpnet.dtype) and isinstance(xpnet.float16, xpnet.dtype)
    assert not isinstance("float32", xpnet.dtype)  # as isinstance("float32", torch.dtype)


def test_layout_is_strided(backend):
    x = xpnet.zeros(2, 3)
    assert x.layout is xpnet.strided and isinstance(xpnet.strided, xpnet.layout)
    assert torch.zeros(2, 3).layout is torch.strided
    for name in ("strided", "channels_last", "preserve_format"):  # one object each, as torch's
        assert copy.deepcopy(getattr(xpnet, name)) is getattr(xpnet, name)
        assert pickle.loads(pickle.dumps(getattr(xpnet, name))) is getattr(xpnet, name)
    assert (
        repr(xpnet.strided) == "xpnet.strided"
        and repr(xpnet.channels_last) == "xpnet.channels_last"
    )


LAYOUTS = {
    "contiguous": lambda t: t,
    "channels_last": lambda t: t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
    "transposed": lambda t: t.transpose(2, 3),
    "unit_dims": lambda t: t[:, :1, :1],  # steps along length-1 dimensions do not count
}
FORMATS = ["contiguous_format", "channels_last", "preserve_format"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_memory_formats_match_torch(backend, layout, fmt):
    x, tx = (LAYOUTS[layout](t) for t in both(np.arange(120.0).reshape(2, 3, 4, 5)))
    f, tf = getattr(xpnet, fmt), getattr(torch, fmt)
    assert x.stride() == tx.stride()
    assert x.is_contiguous(memory_format=f) == tx.is_contiguous(memory_format=tf)
    if fmt != "preserve_format":  # torch's contiguous(preserve_format) is self: checked below
        y, ty = x.contiguous(memory_format=f), tx.contiguous(memory_format=tf)
        assert y.stride() == ty.stride() and (y is x) == (ty is tx)
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
    y, ty = x.to(memory_format=f), tx.to(memory_format=tf)
    assert y.stride() == ty.stride() and (y is x) == (ty is tx)
    if layout != "transposed":  # torch's preserve keeps any dense layout; xpnet's channels-last
        assert x.clone(memory_format=f).stride() == tx.clone(memory_format=tf).stride()
        for like in ("empty_like", "zeros_like", "ones_like"):
            made = getattr(xpnet, like)(x, memory_format=f)
            assert made.stride() == getattr(torch, like)(tx, memory_format=tf).stride()


def test_full_like_and_defaults_keep_channels_last(backend):
    x, tx = (LAYOUTS["channels_last"](t) for t in both(np.zeros((2, 3, 4, 5))))
    assert xpnet.full_like(x, 2.0).stride() == torch.full_like(tx, 2.0).stride()
    assert xpnet.empty_like(x).stride() == torch.empty_like(tx).stride() == (60, 1, 15, 3)
    assert x.clone().stride() == tx.clone().stride()
    assert float(xpnet.full_like(x, 2.0).sum()) == 240.0


def test_channels_last_3d_and_preserve_match_torch(backend):
    x, tx = both(np.arange(720.0).reshape(2, 3, 4, 5, 6))
    y = x.contiguous(memory_format=xpnet.channels_last_3d)
    ty = tx.contiguous(memory_format=torch.channels_last_3d)
    assert y.stride() == ty.stride() == (360, 1, 90, 18, 3)
    assert y.is_contiguous(memory_format=xpnet.channels_last_3d)
    assert not y.is_contiguous(memory_format=xpnet.channels_last)  # 5-d: never channels_last
    assert x.contiguous(memory_format=xpnet.preserve_format) is x
    assert tx.contiguous(memory_format=torch.preserve_format) is tx
    x, tx = x.transpose(3, 4), tx.transpose(3, 4)
    preserve, tpreserve = xpnet.preserve_format, torch.preserve_format
    assert x.is_contiguous(memory_format=preserve) == tx.is_contiguous(memory_format=tpreserve)
    for method in ("contiguous", "is_contiguous", "clone"):  # memory_format: a keyword only
        with pytest.raises(TypeError, match="positional"):
            getattr(tx, method)(tpreserve)
        with pytest.raises(TypeError, match="positional"):
            getattr(x, method)(preserve)


def test_channels_last_copy_is_differentiable(backend):
    x, tx = both(np.random.default_rng(0).normal(size=(2, 3, 4, 5)))
    x.requires_grad_(), tx.requires_grad_()
    weight, tweight = both(np.arange(120.0).reshape(2, 3, 4, 5))
    (x.contiguous(memory_format=xpnet.channels_last) * weight).sum().backward()
    (tx.contiguous(memory_format=torch.channels_last) * tweight).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), tx.grad.numpy(), rtol=1e-12)


def test_memory_format_errors_match_torch(backend):
    x, tx = both(np.zeros((2, 3)))
    for method in ("contiguous", "clone", "to"):
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            getattr(tx, method)(memory_format=torch.channels_last)
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            getattr(x, method)(memory_format=xpnet.channels_last)
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d"):
        xpnet.empty_like(x, memory_format=xpnet.channels_last_3d)
    for bad in ("channels_last", None):
        with pytest.raises(TypeError, match="must be torch.memory_format"):
            tx.is_contiguous(memory_format=bad)
        with pytest.raises(TypeError, match="is_contiguous: argument 'memory_format' must be"):
            x.is_contiguous(memory_format=bad)
    with pytest.raises(TypeError, match="contiguous: argument 'memory_format' must be"):
        x.contiguous(memory_format="channels_last")


def _quantiles(draws) -> np.ndarray:
    return np.quantile(np.asarray(draws, dtype=np.float64), [0.25, 0.5, 0.75])


@pytest.mark.parametrize(
    "name, args, atol",
    [("cauchy_", (1.0, 2.0), 0.1), ("log_normal_", (0.5, 0.4), 0.03), ("geometric_", (0.3,), 0)],
)
def test_random_fills_match_torch_quantiles(backend, name, args, atol):
    xpnet.manual_seed(0), torch.manual_seed(0)
    x = getattr(xpnet.empty(N, dtype=xpnet.float64), name)(*args)
    tx = getattr(torch.empty(N, dtype=torch.float64), name)(*args)
    assert x.dtype == np.float64
    np.testing.assert_allclose(_quantiles(x.numpy()), _quantiles(tx.numpy()), atol=atol)
    if name == "geometric_":  # integers 1, 2, ...: the mean is 1 / p
        assert x.numpy().min() == 1 and abs(x.numpy().mean() - tx.numpy().mean()) < 0.1
        ints = xpnet.zeros(5, dtype=xpnet.int64).geometric_(0.5)
        assert ints.dtype == np.int64 and ints.numpy().min() >= 1
    else:
        assert xpnet.zeros(3, dtype=xpnet.float16).__getattribute__(name)(*args).dtype == np.float16


@pytest.mark.parametrize(
    "name, args, error, match",
    [
        ("geometric_", (0.0,), RuntimeError, r"geometric_ expects p to be in \(0, 1\)"),
        ("geometric_", (1.5,), RuntimeError, r"geometric_ expects p to be in \(0, 1\)"),
        ("cauchy_", (0.0, 0.0), RuntimeError, "cauchy_ expects sigma > 0.0"),
        ("log_normal_", (1.0, -1.0), RuntimeError, "log_normal_ expects std > 0.0"),
        ("cauchy_", ("a",), TypeError, "median"),
        ("geometric_", (), TypeError, "missing.* required .*p"),
    ],
)
def test_random_fill_errors_match_torch(backend, name, args, error, match):
    with pytest.raises(error, match=match):
        getattr(torch.zeros(3), name)(*args)
    with pytest.raises(error, match=match):
        getattr(xpnet.zeros(3), name)(*args)


@pytest.mark.parametrize(
    "dtype, name, args",
    [("int64", "cauchy_", ()), ("int64", "log_normal_", ()), ("bool", "geometric_", (0.5,))],
)
def test_random_fills_refuse_dtypes_as_torch(backend, dtype, name, args):
    with pytest.raises((RuntimeError, NotImplementedError)):
        getattr(torch.zeros(3, dtype=getattr(torch, dtype)), name)(*args)
    with pytest.raises(TypeError, match=f"Tensor.{name}: self must be"):
        getattr(xpnet.zeros(3, dtype=dtype), name)(*args)


def test_binomial_matches_torch(backend):
    xpnet.manual_seed(1), torch.manual_seed(1)
    count, tcount = both(np.full(N, 20.0))
    prob, tprob = both(np.full(N, 0.3))
    draws, tdraws = xpnet.binomial(count, prob), torch.binomial(tcount, tprob)
    assert draws.dtype == np.float64 and draws.shape == tuple(tdraws.shape)
    np.testing.assert_allclose(_quantiles(draws.numpy()), _quantiles(tdraws.numpy()), atol=1)
    assert abs(draws.numpy().mean() - tdraws.numpy().mean()) < 0.1
    edge = xpnet.binomial(xpnet.tensor([0.0, 7.0, 7.0]), xpnet.tensor([0.5, 1.0, 0.0]))
    assert edge.dtype == np.float32 and edge.tolist() == [0.0, 7.0, 0.0]
    generator = np.random.default_rng(3)
    assert xpnet.binomial(count[:3], prob[:3], generator=generator).shape == (3,)


def test_binomial_errors(backend):
    count, tcount = both([4.0, 5.0])
    with pytest.raises(ValueError, match="binomial only supports floating-point dtypes"):
        torch.binomial(tcount.long(), tcount.float())
    with pytest.raises(ValueError, match="binomial only supports floating-point dtypes"):
        xpnet.binomial(count.long(), count.float())
    with pytest.raises(RuntimeError):
        torch.binomial(tcount, tcount.float())
    with pytest.raises(RuntimeError, match="prob must have count's dtype float64"):
        xpnet.binomial(count, xpnet.tensor([0.5, 0.5]))
    # PyTorch's result is undefined here (and a NaN count hangs it): xpnet refuses
    with pytest.raises(ArgumentError, match=r"prob in \[0, 1\]"):
        xpnet.binomial(count, xpnet.tensor([1.5, 0.5], dtype=xpnet.float64))


FLAGS = ["is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_mps", "is_xpu"]


@pytest.mark.parametrize("flag", [*FLAGS, "is_mkldnn", "is_nested"])
def test_storage_flags_match_torch(backend, flag):
    x, tx = both([1.0, 2.0])
    assert getattr(x, flag) is getattr(tx, flag) is False
    assert x.is_pinned() is tx.is_pinned() is False


def test_pin_memory_and_share_memory(backend):
    x, tx = both([1.0, 2.0])
    assert x.share_memory_() is x and tx.share_memory_() is tx
    assert x.is_shared() is x.is_cuda  # xpnet: host arrays are not moved (documented)
    if torch.cuda.is_available() or xpnet.cuda.is_available():
        pytest.skip("pin_memory with a GPU: PyTorch copies into pinned memory")
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        tx.pin_memory()
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        x.pin_memory()


VIEWS = {
    "rows": lambda t: t[1:],
    "column": lambda t: t[:, 1],
    "element": lambda t: t[1, 2],
    "transposed_row": lambda t: t.t()[1],
    "reshaped": lambda t: t.reshape(4, 3)[2:],
    "strided": lambda t: t[::2, 1:],
    "whole": lambda t: t,
}


@pytest.mark.parametrize("view", VIEWS)
def test_storage_offset_and_data_ptr_match_torch(backend, view):
    x, tx = both(np.arange(12.0).reshape(3, 4))
    y, ty = VIEWS[view](x), VIEWS[view](tx)
    assert y.storage_offset() == ty.storage_offset()
    assert y.data_ptr() - x.data_ptr() == ty.data_ptr() - tx.data_ptr()
    assert xpnet.zeros(0).data_ptr() == torch.zeros(0).data_ptr() == 0
    assert isinstance(x.data_ptr(), int) and x.data_ptr() != 0


@pytest.mark.parametrize(
    "args",
    [(), (2, 3), (4,), ([1.5, -2.5],), ((2, 3),), ([[1, 2], [3, 4]],)],
    ids=["empty", "sizes", "size", "list", "tuple_is_data", "nested"],
)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_new_matches_torch(backend, args, dtype):
    x, tx = xpnet.zeros(2, dtype=dtype), torch.zeros(2, dtype=getattr(torch, dtype))
    y, ty = x.new(*args), tx.new(*args)
    assert y.shape == tuple(ty.shape) and y.dtype == np.dtype(dtype)
    if args and isinstance(args[0], list | tuple):  # data, in this tensor's dtype
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
    assert x.new(xpnet.Size([2, 3])).shape == tuple(tx.new(torch.Size([2, 3])).shape)
    other, tother = xpnet.ones(3, dtype=dtype), torch.ones(3, dtype=getattr(torch, dtype))
    np.testing.assert_array_equal(x.new(other).numpy(), tx.new(tother).numpy())


@pytest.mark.parametrize("bad", [2.5, "a"])
def test_new_refuses_non_sequences_as_torch(backend, bad):
    with pytest.raises(TypeError):
        torch.zeros(2).new(bad)
    with pytest.raises(TypeError, match="Tensor.new: data must be a sequence"):
        xpnet.zeros(2).new(bad)
    with pytest.raises(TypeError):
        torch.zeros(2).new(torch.zeros(2, dtype=torch.int64))
    with pytest.raises(TypeError, match="Tensor.new: expected a Tensor of dtype float32"):
        xpnet.zeros(2).new(xpnet.zeros(2, dtype=xpnet.int64))


def test_copies_splits_and_to_dense_match_torch(backend):
    x, tx = both(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(x.narrow_copy(1, 1, 2).numpy(), tx.narrow_copy(1, 1, 2).numpy())
    assert x.narrow_copy(1, 1, 2).is_contiguous()
    pairs = [
        (x.unsafe_chunk(2, 1), tx.unsafe_chunk(2, 1)),
        (x.unsafe_split(3, 1), tx.unsafe_split(3, 1)),
        (x.unsafe_split_with_sizes([1, 3], 1), tx.unsafe_split_with_sizes([1, 3], 1)),
    ]
    for pieces, tpieces in pairs:
        assert len(pieces) == len(tpieces)
        for piece, tpiece in zip(pieces, tpieces, strict=True):
            np.testing.assert_array_equal(piece.numpy(), tpiece.numpy())
    assert x.to_dense() is x and tx.to_dense() is tx
    assert x.to_dense(xpnet.float32).dtype == np.float32


def test_post_accumulate_grad_hook_matches_torch(backend):
    seen, tseen = [], []
    w, tw = both([1.0, 1.0])
    w.requires_grad_(), tw.requires_grad_()
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    thandle = tw.register_post_accumulate_grad_hook(lambda t: tseen.append(t.grad.tolist()))
    for scale in (3.0, 2.0):  # the second call sees the sum: the hook runs after accumulating
        (w * scale).sum().backward()
        (tw * scale).sum().backward()
    xpnet.autograd.grad((w * 5.0).sum(), w)  # no .grad is filled: no call
    torch.autograd.grad((tw * 5.0).sum(), tw)
    handle.remove(), thandle.remove()
    (w * 2.0).sum().backward()
    (tw * 2.0).sum().backward()
    assert seen == tseen == [[3.0, 3.0], [5.0, 5.0]]


def test_post_accumulate_grad_hook_refusals_match_torch(backend):
    w, tw = both([1.0, 2.0])
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tw.register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="does not require grad"):
        w.register_post_accumulate_grad_hook(print)
    w.requires_grad_(), tw.requires_grad_()
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (tw * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(print)


def test_apply_and_map_match_torch(backend):
    if backend.name == "cupy":  # GPU: PyTorch's CUDA tensors refuse too
        with pytest.raises(TypeError, match="apply_ is only implemented on CPU tensors"):
            xpnet.zeros(2).apply_(abs)
        return
    x, tx = xpnet.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    assert x.apply_(lambda v: v / 2) is x  # floats into integers truncate, as PyTorch's
    np.testing.assert_array_equal(x.numpy(), tx.apply_(lambda v: v / 2).numpy())
    y, ty = both([[1.0, 2.0], [3.0, 4.0]])
    other, tother = both([10.0, 20.0])
    assert y.map_(other, lambda a, b: a - 2 * b) is y
    np.testing.assert_array_equal(y.numpy(), ty.map_(tother, lambda a, b: a - 2 * b).numpy())


def test_apply_and_map_refusals_match_torch(backend):
    w, tw = both([1.0, 2.0])
    w.requires_grad_(), tw.requires_grad_()
    with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires"):
        tw.apply_(abs)
    with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires"):
        w.apply_(abs)
    x, tx = both([1.0, 2.0])
    with pytest.raises(TypeError, match="map_"):
        tx.map_(torch.tensor([1, 2]), max)
    with pytest.raises(TypeError, match="map_: expected a Tensor of dtype float64"):
        x.map_(xpnet.tensor([1, 2]), max)
    with pytest.raises(RuntimeError):
        tx.map_(torch.zeros(3, dtype=torch.float64), max)
    with pytest.raises(RuntimeError, match=r"map_: tensor of shape \(3,\) does not broadcast"):
        x.map_(xpnet.zeros(3, dtype=xpnet.float64), max)
