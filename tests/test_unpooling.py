"""Max unpooling (``max_unpool1d/2d/3d``) against PyTorch float64, its modules against torch.nn,
its errors, and a hypothesis property test."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn as nn
from xpnet.backends import host_reads_forbidden, raise_deferred

SHAPES = {1: (2, 3, 9), 2: (2, 3, 7, 6), 3: (2, 2, 5, 4, 5)}
CASES = [
    (1, {"kernel_size": 2}, {}),
    (1, {"kernel_size": 3, "stride": 2, "padding": 1}, {"output_size": [9]}),
    (2, {"kernel_size": 2}, {"output_size": (7, 6)}),
    (2, {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0)}, {}),
    (2, {"kernel_size": 3, "stride": 2}, {"output_size": (2, 3, 8, 6)}),
    (3, {"kernel_size": 2}, {"output_size": (5, 4, 5)}),
    (3, {"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": 1}, {}),
]


def _pooled(nd, x, kwargs):
    """Torch's max_pool{nd}d output and indices of ``x``, as NumPy (the unpool's inputs)."""
    output, indices = getattr(TF, f"max_pool{nd}d")(torch.tensor(x), **kwargs, return_indices=True)
    return output.numpy(), indices.numpy()


def _check(backend, nd, pooled, indices, kwargs, dtype=np.float64):
    name = f"max_unpool{nd}d"
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    device_indices = backend.asarray(indices)
    return check_against_torch(
        lambda x: forward(x, device_indices, **kwargs),
        lambda g, x: backward(g, x, device_indices, **kwargs),
        lambda x: getattr(TF, name)(x, torch.tensor(indices), **kwargs),
        [pooled],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("nd, pool, extra", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_max_unpool_matches_torch(backend, nd, pool, extra, dtype):
    pooled, indices = _pooled(nd, random_input(SHAPES[nd], seed=nd), pool)
    _check(backend, nd, pooled, indices, {**pool, **extra}, dtype)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool_inverts_max_pool_unbatched(backend, nd):
    x = backend.asarray(random_input(SHAPES[nd][1:], seed=5))
    pooled, indices = getattr(K, f"max_pool{nd}d")(x, 2, return_indices=True)
    torch_pooled, torch_indices = getattr(TF, f"max_pool{nd}d")(
        torch.tensor(backend.to_host(x)), 2, return_indices=True
    )
    np.testing.assert_array_equal(backend.to_host(indices), torch_indices.numpy())
    size = SHAPES[nd][2:]
    expected = getattr(TF, f"max_unpool{nd}d")(torch_pooled, torch_indices, 2, output_size=size)
    actual = getattr(K, f"max_unpool{nd}d")(pooled, indices, 2, output_size=size)
    np.testing.assert_array_equal(backend.to_host(actual), expected.numpy())


def test_max_unpool2d_repeated_indices_last_wins(backend):
    """PyTorch's CPU writes in row-major order: the last value at an index stays; the
    gradient is gathered for every repeat."""
    x = np.array([[[[1.0, 2.0, 3.0, 4.0], [5.0, -0.0, np.nan, np.inf]]]])
    indices = np.array([[[[0, 0, 5, 0], [7, 7, 1, 1]]]])
    _check(backend, 2, x, indices, {"kernel_size": (1, 2)})


def test_max_unpool_empty_batch_and_nan(backend):
    pooled, indices = np.zeros((0, 2, 3)), np.zeros((0, 2, 3), dtype=np.int64)
    _check(backend, 1, pooled, indices, {"kernel_size": 2})
    x = random_input(SHAPES[2], seed=3)
    x[0, 0, 0, 0], x[1, 2, 3, 3] = np.nan, -np.inf
    pooled, indices = _pooled(2, x, {"kernel_size": 2})
    _check(backend, 2, pooled, indices, {"kernel_size": 2})


def test_max_unpool_rejects_bad_arguments(backend):
    x = backend.asarray(np.zeros((1, 1, 2, 2)))
    i = backend.asarray(np.zeros((1, 1, 2, 2), dtype=np.int64))
    with pytest.raises(TypeError, match="^max_unpool2d: input must be an array"):
        K.max_unpool2d(None, i, 2)
    with pytest.raises(TypeError, match="^max_unpool2d: indices must have dtype int64"):
        K.max_unpool2d(x, i.astype(np.int32), 2)
    with pytest.raises(TypeError, match="^max_unpool2d: input must be a floating-point"):
        K.max_unpool2d(i, i, 2)
    with pytest.raises(K.ArgumentError, match=r"^max_unpool2d: indices must have the shape"):
        K.max_unpool2d(x, i[..., :1], 2)
    with pytest.raises(K.ArgumentError, match=r"^max_unpool2d: input must have 3 or 4 dim"):
        K.max_unpool2d(x[0, 0], i[0, 0], 2)
    with pytest.raises(K.ArgumentError, match=r"^max_unpool1d: input must have non-zero"):
        K.max_unpool1d(x[:, :0, 0], i[:, :0, 0], 2)
    with pytest.raises(ValueError, match=r"^max_unpool2d: output_size should be a sequence"):
        K.max_unpool2d(x, i, 2, output_size=(1, 4, 4))
    with pytest.raises(ValueError, match=r"^max_unpool2d: invalid output_size"):
        K.max_unpool2d(x, i, 2, output_size=(4, 6))
    with pytest.raises(ValueError, match=r"^max_unpool2d: output_size must contain non-neg"):
        K.max_unpool2d(x, i, 2, padding=3)
    with pytest.raises(TypeError, match=r"^max_unpool2d: kernel_size must be an int"):
        K.max_unpool2d(x, i, 2.0)
    with pytest.raises(TypeError, match=r"^max_unpool2d_backward: grad_output must be"):
        K.max_unpool2d_backward(None, x, i, 2)
    with pytest.raises(K.ArgumentError, match=r"^max_unpool2d_backward: grad_output must"):
        K.max_unpool2d_backward(backend.xp.zeros((1, 1, 4, 3)), x, i, 2)


@pytest.mark.parametrize("index", [16, -1])
def test_max_unpool_rejects_index_outside_plane(backend, index):
    x = backend.asarray(np.zeros((1, 1, 2, 2)))
    i = backend.asarray(np.array([[[[0, 1], [2, index]]]]))
    if getattr(backend, "host_reads_free", False):
        with pytest.raises(IndexError, match=r"^max_unpool2d: indices must be in \[0, H \* W\)"):
            K.max_unpool2d(x, i, 2)
        return
    with host_reads_forbidden():
        K.max_unpool2d(x, i, 2)  # no sync: the check waits for the next host read
    with pytest.raises(IndexError, match=r"^max_unpool2d: indices must be in"):
        raise_deferred()


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool_modules_match_torch(backend, nd):
    kwargs = {"kernel_size": 3, "stride": 2, "padding": 1}
    module, reference = (
        getattr(nn, f"MaxUnpool{nd}d")(**kwargs),
        getattr(torch.nn, f"MaxUnpool{nd}d")(**kwargs),
    )
    assert repr(module) == repr(reference)
    assert module.state_dict().keys() == reference.state_dict().keys()
    pooled, indices = _pooled(nd, random_input(SHAPES[nd], seed=7), kwargs)
    size = SHAPES[nd][2:]
    x = xpnet.Tensor(backend.asarray(pooled), requires_grad=True)
    output = module(x, backend.asarray(indices), output_size=size)
    expected = reference(torch.tensor(pooled), torch.tensor(indices), output_size=size)
    np.testing.assert_array_equal(backend.to_host(output.array), expected.numpy())
    output.sum().backward()
    assert backend.to_host(x.grad.array).sum() == pooled.size


@PROFILE
@given(
    nd=st.sampled_from([1, 2, 3]),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 3),
    padding=st.integers(0, 1),
    length=st.integers(3, 6),
    slack=st.integers(-2, 2),
    seed=st.integers(0, 2**16),
)
def test_max_unpool_property(backend, nd, kernel, stride, padding, length, slack, seed):
    padding = min(padding, kernel // 2)
    shape = (2, 2, *[length] * nd)
    pooled, indices = _pooled(
        nd,
        random_input(shape, seed=seed),
        {"kernel_size": kernel, "stride": stride, "padding": padding},
    )
    kwargs = {"kernel_size": kernel, "stride": stride, "padding": padding}
    default = (pooled.shape[2] - 1) * stride + kernel - 2 * padding
    size = max(default + max(-stride + 1, min(slack, stride - 1)), length)
    if abs(size - default) < stride:
        kwargs["output_size"] = [size] * nd
    _check(backend, nd, pooled, indices, kwargs)
