"""instance_norm and InstanceNorm1d/2d/3d against PyTorch: forward and backward in float64
and float32, running statistics (update and use), affine parameters, unbatched inputs,
finite differences, errors, and the modules' defaults, repr and state_dict."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import (
    assert_close,
    check_against_torch,
    check_finite_differences,
    random_input,
    requires_torch,
)

import xpnet
import xpnet.kernels as K
from xpnet import nn

SHAPES = [(2, 3, 5), (2, 3, 4, 3), (1, 2, 2, 3, 2)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_instance_norm_matches_torch(backend, shape, use_input_stats, affine, dtype):
    C = shape[1]
    x = random_input(shape, 0, low=-2, high=3)
    parameters = [random_input((C,), 1), random_input((C,), 2)] if affine else [None, None]
    mean, var = random_input((C,), 3).astype(dtype), random_input((C,), 4, low=0.5, high=2)
    var = var.astype(dtype)
    running = [backend.asarray(mean.copy()), backend.asarray(var.copy())]
    expected = [torch.tensor(mean, dtype=torch.float64), torch.tensor(var, dtype=torch.float64)]
    options = {"use_input_stats": use_input_stats, "momentum": 0.3, "eps": 1e-4}
    check_against_torch(
        lambda a, w, b: K.instance_norm(a, *running, w, b, **options),
        lambda g, a, w, b: K.instance_norm_backward(g, a, *running, w, b, **options),
        lambda a, w, b: TF.instance_norm(a, *expected, w, b, **options),
        [x, *parameters],
        backend,
        dtype=dtype,
    )
    for actual, reference in zip(running, expected, strict=True):
        assert actual.dtype == dtype
        assert_close(backend.to_host(actual), reference.numpy(), dtype, "running statistics")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_instance_norm_without_running_statistics(backend, dtype):
    check_against_torch(
        lambda a: K.instance_norm(a),
        lambda g, a: K.instance_norm_backward(g, a)[0],
        lambda a: TF.instance_norm(a),
        [random_input((3, 4, 6), 0)],
        backend,
        dtype=dtype,
    )


def test_instance_norm_saved_statistics_give_the_same_gradients(backend):
    x = backend.asarray(random_input((2, 3, 5), 0))
    weight = backend.asarray(random_input((3,), 1))
    output, save_mean, save_invstd = K.instance_norm(x, weight=weight, return_stats=True)
    assert save_mean.shape == save_invstd.shape == (6,)
    grad = backend.asarray(random_input((2, 3, 5), 2))
    saved = K.instance_norm_backward(
        grad, x, weight=weight, save_mean=save_mean, save_invstd=save_invstd
    )
    fresh = K.instance_norm_backward(grad, x, weight=weight)
    for a, b in zip(saved, fresh, strict=True):
        if a is not None:
            np.testing.assert_allclose(backend.to_host(a), backend.to_host(b), rtol=1e-12)
    np.testing.assert_array_equal(
        backend.to_host(output), backend.to_host(K.instance_norm(x, weight=weight))
    )


def test_instance_norm_stable_in_float32(backend):
    """Large mean, tiny spread: batch norm's centred float64 sums keep float32 exact."""
    x = 1e4 + random_input((2, 2, 50), 0) * 1e-3
    output = backend.to_host(K.instance_norm(backend.asarray(x.astype(np.float32))))
    expected = TF.instance_norm(torch.tensor(x.astype(np.float32).astype(np.float64))).numpy()
    np.testing.assert_allclose(output, expected, atol=2e-4)


def test_instance_norm_finite_differences(backend):
    check_finite_differences(
        lambda a, w, b: K.instance_norm(a, weight=w, bias=b),
        lambda g, a, w, b: K.instance_norm_backward(g, a, weight=w, bias=b),
        [random_input((2, 2, 3), 0), random_input((2,), 1), random_input((2,), 2)],
        backend,
    )


@pytest.mark.parametrize(
    "shape, kwargs, message",
    [
        ((3,), {}, "input must have at least 2 dimensions"),
        ((2, 3, 1), {}, "expected more than 1 spatial element"),
        ((2, 3), {}, "expected more than 1 spatial element"),
        ((2, 3, 4), {"use_input_stats": False}, "running_mean and running_var are required"),
        ((2, 3, 4), {"running_mean": np.zeros(3)}, "must be given together"),
        ((2, 3, 4), {"weight": np.ones(4)}, r"weight must have shape \(3,\)"),
        ((2, 3, 4), {"eps": "1e-5"}, "^instance_norm: eps must be a number"),
    ],
)
def test_instance_norm_rejects_bad_arguments(backend, shape, kwargs, message):
    x = backend.asarray(np.zeros(shape))
    kwargs = {k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises((ValueError, TypeError), match=message):
        K.instance_norm(x, **kwargs)


@pytest.mark.parametrize("eps", [0.0, -1e-3])
def test_instance_norm_accepts_any_eps_as_torch(backend, eps):
    """PyTorch's instance_norm accepts eps = 0 and below, unlike its batch_norm in training."""
    x = random_input((2, 3, 5), 0, low=-2, high=3)
    check_against_torch(
        lambda a: K.instance_norm(a, eps=eps),
        lambda g, a: K.instance_norm_backward(g, a, eps=eps)[0],
        lambda a: TF.instance_norm(a, eps=eps),
        [x],
        backend,
    )


def test_instance_norm_running_mean_of_an_infinite_plane_as_torch(backend):
    """Found by a random comparison: a plane whose first mean is inf gave NaN running means
    (x - shift was inf - inf) where PyTorch's are +-inf."""
    x = np.array([[[1.0, 2.0, np.inf, 3.0], [-np.inf, 0.0, 1.0, 2.0]]])
    running = [backend.asarray(np.zeros(2)), backend.asarray(np.ones(2))]
    expected = [torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)]
    output = K.instance_norm(backend.asarray(x), *running)
    reference = TF.instance_norm(torch.tensor(x), *expected)
    assert_close(backend.to_host(output), reference.numpy(), np.float64)
    for actual, wanted in zip(running, expected, strict=True):
        assert_close(backend.to_host(actual), wanted.numpy(), np.float64, "running statistics")


def test_instance_norm_rejects_bad_dtypes_and_grad_output(backend):
    x = backend.asarray(np.zeros((2, 3, 4)))
    with pytest.raises(TypeError, match="weight must have the dtype of input"):
        K.instance_norm(x, weight=backend.asarray(np.ones(3, np.float32)))
    with pytest.raises(TypeError, match="input must be a floating-point array"):
        K.instance_norm(backend.asarray(np.zeros((2, 3, 4), np.int64)))
    with pytest.raises(ValueError, match=r"grad_output must have the shape of input \(2, 3, 4\)"):
        K.instance_norm_backward(backend.asarray(np.zeros((2, 3))), x)


# -- modules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, spatial", [("InstanceNorm1d", 1), ("InstanceNorm2d", 2), ("InstanceNorm3d", 3)]
)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"affine": True},
        {"track_running_stats": True, "momentum": None},
        {"affine": True, "track_running_stats": True, "eps": 1e-3, "bias": False},
    ],
)
@requires_torch("2.13", "gives InstanceNorm a bias= argument, shown in its repr")
def test_instance_norm_modules_match_torch(backend, cls, spatial, kwargs):
    module = getattr(nn, cls)(3, device=backend.name, dtype=np.float64, **kwargs)
    reference = getattr(torch.nn, cls)(3, dtype=torch.float64, **kwargs)
    assert repr(module) == repr(reference)
    assert list(module.state_dict()) == list(reference.state_dict())
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(backend.to_host(module.state_dict()[key]), value.numpy())
    for batched, train in [(True, True), (False, True), (True, False)]:
        shape = ((2,) if batched else ()) + (3,) + (4,) * spatial
        x = random_input(shape, 0, low=-1, high=2)
        module.train(train), reference.train(train)
        input = xpnet.Tensor(backend.asarray(x), requires_grad=True)
        output = module(input)
        expected_input = torch.tensor(x, requires_grad=True)
        expected = reference(expected_input)
        assert_close(backend.to_host(output.array), expected.detach().numpy(), np.float64)
        (output * output).sum().backward()
        (expected * expected).sum().backward()
        assert_close(backend.to_host(input.grad.array), expected_input.grad.numpy(), np.float64)
        for key, value in reference.state_dict().items():
            assert_close(backend.to_host(module.state_dict()[key]), value.numpy(), np.float64, key)


def test_instance_norm_module_defaults_and_errors():
    module = nn.InstanceNorm2d(4)
    assert (module.affine, module.track_running_stats, module.momentum, module.eps) == (
        False,
        False,
        0.1,
        1e-5,
    )
    assert module.state_dict() == {} and module.weight is None
    with pytest.raises(ValueError, match="InstanceNorm2d: expected 3D or 4D input, got 2D"):
        module(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"match num_features \(4\), but got: 3"):
        nn.InstanceNorm1d(4, affine=True)(np.zeros((2, 3, 5), np.float32))
