"""Regression tests for the differences from PyTorch 2.13 that the audit of the normalisation
and pooling variants found (2026-12-07): ``layer_norm`` over a normalized_shape holding a 0,
``group_norm``'s and ``layer_norm``'s argument checks (``num_groups``, ``eps``, PyTorch's
"more than 1 value per channel"), ``max_unpool`` into empty output planes, and the instance
norm layers given another channel count without ``affine``.

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
with a message naming the function and the argument, a value PyTorch's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import xpnet
import xpnet.nn.functional as F
from xpnet.backends import raise_deferred


def _host(tensor):
    return np.asarray(tensor.detach().numpy())  # a torch or an xpnet Tensor


def _ours(backend, array, requires_grad=False):
    """An xpnet Tensor of ``array`` on the backend under test (strict: a StrictArray)."""
    return xpnet.Tensor(backend.asarray(np.asarray(array)), requires_grad=requires_grad)


def _both(backend, call, *arrays):
    """``call(M, F, *tensors)`` on torch and xpnet (float64, requiring grad), then backward
    with one upstream gradient: ``[(output, grads)]`` for torch, then xpnet, as NumPy. ``M``
    has ``tensor`` and ``nn``: torch's, or xpnet's on the backend."""
    results = []
    ours = type("xpnet_on_backend", (), {"tensor": staticmethod(lambda a: _ours(backend, a))})
    for M, functional in ((torch, TF), (ours, F)):
        inputs = [
            torch.tensor(a, requires_grad=True) if M is torch else _ours(backend, a, True)
            for a in arrays
        ]
        output = call(M, functional, *inputs)
        grad = np.random.default_rng(0).standard_normal(tuple(output.shape))
        output.backward(M.tensor(grad))
        if M is ours:
            raise_deferred()  # strict defers the value checks to the next host read
        results.append((_host(output), [_host(t.grad) for t in inputs]))
    return results


# 1. layer_norm over a normalized_shape with a 0: an empty result, as PyTorch (was a
#    ZeroDivisionError from viewing the input as (size // 0, 0))
@pytest.mark.parametrize(
    "shape, normalized_shape",
    [((2, 0, 3), (0, 3)), ((3, 0), (0,)), ((3, 0), [3, 0])],
)
def test_layer_norm_over_an_empty_normalized_shape(backend, shape, normalized_shape):
    rng = np.random.default_rng(1)
    params = tuple(normalized_shape)
    arrays = (rng.standard_normal(shape), rng.standard_normal(params), rng.standard_normal(params))
    call = lambda M, f, x, w, b: f.layer_norm(x, normalized_shape, w, b)  # noqa: E731
    expected, actual = _both(backend, call, *arrays)
    assert actual[0].shape == expected[0].shape
    for ours, theirs in zip(actual[1], expected[1], strict=True):
        np.testing.assert_array_equal(ours, theirs)  # empty, or the zeros of an empty batch


# 2. eps that is not a number: PyTorch's TypeError, naming the function and eps (was NumPy's
#    UFuncTypeError or "unsupported operand type(s) for +"); a 0-d tensor is still a number
@pytest.mark.parametrize("eps", ["x", None])
@pytest.mark.parametrize("name", ["layer_norm", "group_norm"])
def test_norm_eps_must_be_a_number(backend, name, eps):
    calls = {
        "layer_norm": lambda M, f, x, eps: f.layer_norm(x, [5], eps=eps),
        "group_norm": lambda M, f, x, eps: f.group_norm(x, 2, eps=eps),
    }
    with pytest.raises(TypeError):
        calls[name](torch, TF, torch.zeros(2, 4, 5, dtype=torch.float64), eps)
    with pytest.raises(TypeError, match=rf"^{name}: eps must be a number"):
        calls[name](xpnet, F, _ours(backend, np.zeros((2, 4, 5))), eps)
    x = np.random.default_rng(2).standard_normal((2, 4, 5))
    zero_dim = lambda M, f, x: calls[name](M, f, x, M.tensor(0.5))  # noqa: E731
    (expected, _), (actual, _) = _both(backend, zero_dim, x)
    np.testing.assert_allclose(actual, expected, rtol=1e-6)  # eps=tensor(0.5) is float32


# 3. group_norm's num_groups: a float or a bool is PyTorch's TypeError (was a ValueError);
#    a one-element integer tensor is taken, as PyTorch takes it (was refused)
@pytest.mark.parametrize("num_groups", [2.0, True])
def test_group_norm_num_groups_of_another_type_is_a_type_error(backend, num_groups):
    with pytest.raises(TypeError):
        TF.group_norm(torch.zeros(2, 4, 5, dtype=torch.float64), num_groups)
    with pytest.raises(TypeError, match=r"^group_norm: num_groups must be an int"):
        F.group_norm(_ours(backend, np.zeros((2, 4, 5))), num_groups)


def test_group_norm_num_groups_may_be_an_integer_tensor(backend):
    x = np.random.default_rng(3).standard_normal((2, 4, 5))
    call = lambda M, f, x: f.group_norm(x, M.tensor(np.int64(2)))  # noqa: E731
    (expected, grads), (actual, ours) = _both(backend, call, x)
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[0], grads[0], rtol=1e-10, atol=1e-12)


# 4. group_norm with one value per channel of the (N * C / G, G, *) view: PyTorch's ValueError
#    (torch.nn.functional.group_norm's _verify_batch_size); was normalised to zeros. One more
#    sample (each group still of one value) passes, as in PyTorch
@pytest.mark.parametrize("shape, groups", [((1, 1), 1), ((1, 2), 2), ((1, 1, 1), 1)])
def test_group_norm_refuses_one_value_per_channel(backend, shape, groups):
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        TF.group_norm(torch.zeros(shape, dtype=torch.float64), groups)
    with pytest.raises(ValueError, match=r"^group_norm: expected more than 1 value per channel"):
        F.group_norm(_ours(backend, np.zeros(shape)), groups)
    with pytest.raises(ValueError, match=r"^group_norm: expected more than 1 value"):
        xpnet.nn.GroupNorm(groups, shape[1]).double()(_ours(backend, np.zeros(shape)))
    x = np.random.default_rng(4).standard_normal((2, *shape[1:]))
    (expected, grads), (actual, ours) = _both(backend, lambda M, f, x: f.group_norm(x, groups), x)
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[0], grads[0], rtol=1e-10, atol=1e-12)


# 4b. instance_norm's momentum that is not a number: PyTorch's TypeError naming it (was
#    "unsupported operand type(s) for -: 'float' and 'NoneType'"); a bool or a 0-d tensor is
#    taken, as PyTorch takes them
@pytest.mark.parametrize("momentum", [None, "x"])
@pytest.mark.parametrize("running", [True, False])
def test_instance_norm_momentum_must_be_a_number(backend, momentum, running):
    def call(M, f, x, momentum):
        stats = (M.tensor(np.zeros(3)), M.tensor(np.ones(3))) if running else (None, None)
        return f.instance_norm(x, *stats, momentum=momentum)

    with pytest.raises(TypeError, match="momentum"):
        call(torch, TF, torch.zeros(2, 3, 4, dtype=torch.float64), momentum)
    ours = type("ours", (), {"tensor": staticmethod(lambda a: _ours(backend, a))})
    with pytest.raises(TypeError, match=r"^instance_norm: momentum must be a number"):
        call(ours, F, _ours(backend, np.zeros((2, 3, 4))), momentum)
    x = np.random.default_rng(7).standard_normal((2, 3, 4))
    for taken in (True, 0.5):
        forward = lambda M, f, x, taken=taken: call(M, f, x, taken)  # noqa: E731
        (expected, _), (actual, _) = _both(backend, forward, x)
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


# 5. max_unpool into output planes of size 0 (the default size of a padded pool of one
#    element): PyTorch's empty output, whatever the indices (was an ArgumentError)
@pytest.mark.parametrize(
    "nd, input_shape, options",
    [
        (1, (2, 1), (2, 2, 1)),  # unbatched; (1 - 1) * 2 + 2 - 2 * 1 = 0
        (2, (2, 2, 2, 1), (2, 3, 1)),  # W: (1 - 1) * 3 + 2 - 2 = 0
        (3, (1, 2, 1, 2, 2), (2, 2, 1)),
    ],
)
def test_max_unpool_into_empty_output_planes(backend, nd, input_shape, options):
    values = np.random.default_rng(5).standard_normal(input_shape)
    indices = np.full(input_shape, 5, dtype=np.int64)  # never read: there is no plane element
    expected = getattr(TF, f"max_unpool{nd}d")(
        torch.tensor(values), torch.tensor(indices), *options
    )
    x = _ours(backend, values, requires_grad=True)
    output = getattr(F, f"max_unpool{nd}d")(x, _ours(backend, indices), *options)
    assert output.shape == tuple(expected.shape) and 0 in output.shape
    output.sum().backward()  # PyTorch's backward fails here ("index 0 is out of bounds")
    raise_deferred()
    np.testing.assert_array_equal(_host(x.grad), np.zeros(input_shape))


# 6. an instance norm layer given another channel count than num_features without affine:
#    PyTorch's UserWarning, then its result (was silent); with running statistics of
#    num_features, the warning and then instance_norm's RuntimeError (was a bare ValueError)
@pytest.mark.parametrize(
    "nd, shape", [(1, (2, 4, 5)), (1, (4, 5)), (2, (2, 4, 3, 3)), (3, (4, 2, 2, 2))]
)
def test_instance_norm_layer_warns_of_another_channel_count(backend, nd, shape):
    x = np.random.default_rng(6).standard_normal(shape)
    expected, actual = [], []
    for M, out in ((torch, expected), (xpnet, actual)):
        layer = getattr(M.nn, f"InstanceNorm{nd}d")(3).double()
        given = torch.tensor(x) if M is torch else _ours(backend, x)
        with pytest.warns(UserWarning, match=r"does not match num_features") as caught:
            out.append(_host(layer(given)))
        batched = len(shape) == nd + 2
        assert f"input's size at dim={int(batched)} does not match" in str(caught[0].message)
    np.testing.assert_allclose(actual[0], expected[0], rtol=1e-10, atol=1e-12)


def test_instance_norm_layer_with_running_stats_of_another_channel_count(backend):
    """And with ``affine``, PyTorch's ValueError before any warning, as before."""
    x = np.zeros((2, 4, 5))
    for M, pattern in ((torch, "running_mean"), (xpnet, r"^instance_norm: running_mean")):
        layer = M.nn.InstanceNorm1d(3, track_running_stats=True).double()
        given = torch.tensor(x) if M is torch else _ours(backend, x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the warning of the test above
            with pytest.raises(RuntimeError, match=pattern):
                layer(given)
        with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match"):
            M.nn.InstanceNorm1d(3, affine=True).double()(given)
