"""What the tests of ``xpnet.models`` against torchvision's models share: building xpnet's
models without their random draws, giving torchvision's constant-initialised parameters random
values, moving weights both ways, the logits on both sides, and the statistical comparison of
two initialisations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import xpnet
from xpnet import models

# xpnet.nn.init's random initialisers, turned off by without_draws
DRAWS = ("uniform_", "normal_", "kaiming_normal_", "kaiming_uniform_")


def skip_draws(tensor, *args, **kwargs):
    return tensor


def without_draws(monkeypatch, name, **kwargs):
    """xpnet's ``models.<name>(**kwargs)`` with every random initialisation turned off (the
    values are then the layers' allocations): the tests that load weights do not pay for the
    draws."""
    with monkeypatch.context() as patch:
        for draw in DRAWS:
            patch.setattr(xpnet.nn.init, draw, skip_draws)
        return getattr(models, name)(**kwargs)


def random_state(torch_model, seed):
    """Give the parameters and buffers that torchvision initialises to constants (norm
    weights and biases, running statistics, zero biases) random values: equal values would
    hide a mix-up."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for key, value in torch_model.state_dict().items():
            if key.endswith("num_batches_tracked"):
                value.fill_(7)
            elif value.numel() and bool((value == value.flatten()[0]).all()):
                low = 0.5 if key.endswith(("weight", "running_var")) else -0.2
                value.copy_(torch.rand(value.shape, generator=generator) * 0.4 + low)
    return torch_model


def to_xpnet(torch_model):
    return {key: value.numpy() for key, value in torch_model.state_dict().items()}


def to_torch(model):
    return {key: torch.from_numpy(xpnet.to_numpy(v)) for key, v in model.state_dict().items()}


def random_images(size, dtype=np.float64, n=2, seed=1):
    return np.random.default_rng(seed).standard_normal((n, 3, size, size)).astype(dtype)


def logits(model, batch):
    return xpnet.to_numpy(model(xpnet.Tensor(xpnet.asarray(batch))).array)


def torch_logits(torch_model, batch):
    with torch.no_grad():
        return torch_model(torch.from_numpy(batch)).numpy()


def assert_close(actual, expected, tolerance):
    scale = max(1.0, float(np.abs(expected).max()))  # relative to the largest value
    np.testing.assert_allclose(actual, expected, rtol=0, atol=tolerance * scale)


def signature(values):
    """How a parameter was initialised: ``("constant", value)`` or the moments of its draws
    (of the first 100,000: the draws are independent, and VGG's 100M would take seconds)."""
    values = np.asarray(values).ravel()[:100_000].astype(np.float64)
    if (values == values[0]).all():
        return ("constant", float(values[0]))
    std = values.std()
    kurtosis = float((((values - values.mean()) / std) ** 4).mean())
    return ("random", float(values.mean()), float(std), kurtosis, values.size)


def assert_same_distribution(ours, theirs, key):
    """Loose: the means within 5 standard errors, the standard deviations within 5 %
    (+ 5 standard errors), and, with enough draws, the kurtosis (3 normal, 1.8 uniform)."""
    assert ours[0] == theirs[0], key
    if ours[0] == "constant":
        assert ours == theirs, key
        return
    _, mean, std, kurtosis, n = ours
    _, _, expected_std, expected_kurtosis, _ = theirs
    assert abs(mean - theirs[1]) < 5 * expected_std / math.sqrt(n) + 1e-12, key
    assert std == pytest.approx(expected_std, rel=0.05 + 5 / math.sqrt(2 * n)), key
    if n >= 2000:  # 0.3 + 4 standard errors of the two kurtoses
        tolerance = 0.3 + 4 * math.sqrt(24 / n)
        assert kurtosis == pytest.approx(expected_kurtosis, abs=tolerance), key


def assert_same_structure(model, expected):
    """``model``'s module tree and state_dict (keys, shapes, dtypes) are torchvision's
    ``expected``'s."""
    assert repr(model) == repr(expected)
    ours, theirs = model.state_dict(), expected.state_dict()
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        assert tuple(ours[key].shape) == tuple(value.shape), key
        assert str(ours[key].dtype) == str(value.dtype).removeprefix("torch."), key
