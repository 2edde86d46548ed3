"""dropout: statistics under a fixed seed, the backward's use of the mask, and errors.

A random mask cannot be compared with PyTorch's; the tests check its distribution instead.
"""

from __future__ import annotations

import numpy as np
import pytest

import xpnet
import xpnet.kernels as K
from xpnet import _random
from xpnet._random import dropout_generator, seed_dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_dropout_statistics(backend, p, dtype):
    """Fraction zeroed ~ p and mean preserved, within 5 standard errors of 200k draws."""
    seed_dropout(0)
    n = 200_000
    output = backend.to_host(K.dropout(backend.asarray(np.ones(n, dtype=dtype)), p))
    assert output.dtype == dtype
    zeroed = (output == 0).mean()
    assert abs(zeroed - p) < 5 * np.sqrt(p * (1 - p) / n)
    kept = output[output != 0]
    np.testing.assert_allclose(kept, np.float64(dtype(1 / (1 - p))), rtol=0)
    assert abs(output.astype(np.float64).mean() - 1) < 5 * np.sqrt(p / (1 - p) / n) + 1e-3


def test_dropout_backward_uses_the_forward_mask(backend):
    seed_dropout(1)
    x = backend.asarray(np.arange(1.0, 1001.0).reshape(10, 100))
    output, mask = K.dropout(x, 0.3, return_mask=True)
    grad = backend.to_host(
        K.dropout_backward(backend.asarray(np.ones((10, 100))), x, 0.3, mask=mask)
    )
    output, mask = backend.to_host(output), backend.to_host(mask)
    assert mask.dtype == bool and 0 < mask.mean() < 1
    np.testing.assert_array_equal(grad == 0, output == 0)
    np.testing.assert_allclose(grad[mask], 1 / 0.7)
    np.testing.assert_allclose(output, backend.to_host(x) * grad)


def test_dropout_manual_seed_repeats_masks(backend):
    x = backend.asarray(np.ones(64))
    seed_dropout(5)
    first = backend.to_host(K.dropout(x))
    second = backend.to_host(K.dropout(x))
    seed_dropout(5)
    assert (backend.to_host(K.dropout(x)) == first).all()
    assert not (first == second).all()  # the generator advances between calls
    assert dropout_generator(backend) is dropout_generator(backend)


def test_dropout_generators_are_seeded_by_xpnet_manual_seed(backend):
    x = backend.asarray(np.ones(64))
    xpnet.manual_seed(5)
    first = backend.to_host(K.dropout(x))
    seed_dropout(5)
    assert (backend.to_host(K.dropout(x)) == first).all()


def test_dropout_generator_names_stay_importable_from_the_kernel():
    # the state moved to xpnet._random; code written against the kernel module still runs
    from xpnet.kernels.dropout import default_generator, manual_seed

    assert manual_seed is _random.seed_dropout
    assert default_generator is _random.dropout_generator


@pytest.mark.parametrize("p, training", [(0.0, True), (0.5, False)])
def test_dropout_identity_without_training_or_p(backend, p, training):
    x = backend.asarray(np.arange(6.0))
    output, mask = K.dropout(x, p, training, return_mask=True)
    assert mask is None
    np.testing.assert_array_equal(backend.to_host(output), np.arange(6.0))
    grad = K.dropout_backward(x, x, p, training)
    np.testing.assert_array_equal(backend.to_host(grad), np.arange(6.0))


def test_dropout_p_one_zeroes_everything(backend):
    output, mask = K.dropout(backend.asarray(np.ones(10)), 1.0, return_mask=True)
    assert not backend.to_host(output).any()
    grad = K.dropout_backward(backend.asarray(np.ones(10)), output, 1.0, mask=mask)
    assert not backend.to_host(grad).any()


def test_dropout_inplace(backend):
    seed_dropout(2)
    x = backend.asarray(np.ones((4, 5)))
    output = K.dropout(x, 0.5, inplace=True)
    assert output is x
    assert set(np.unique(backend.to_host(x)).tolist()) <= {0.0, 2.0}


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_p(backend, p):
    x = backend.asarray(np.ones(3))
    with pytest.raises(ValueError, match=rf"dropout: p must be in \[0, 1\], got {p}"):
        K.dropout(x, p)
    with pytest.raises(ValueError, match=rf"dropout_backward: p must be in \[0, 1\], got {p}"):
        K.dropout_backward(x, x, p)


def test_dropout_backward_rejects_missing_or_bad_mask(backend):
    x = backend.asarray(np.ones(3))
    with pytest.raises(
        ValueError,
        match=r"dropout_backward: mask .* is required when training "
        r"with p > 0, got mask=None, p=0.5",
    ):
        K.dropout_backward(x, x, 0.5)
    with pytest.raises(
        ValueError, match=r"dropout_backward: mask must have the shape of input \(3,\), got \(4,\)"
    ):
        K.dropout_backward(x, x, 0.5, mask=backend.asarray(np.ones(4, dtype=bool)))
    with pytest.raises(TypeError, match=r"dropout: input must be a floating-point array"):
        K.dropout(backend.asarray(np.ones(3, dtype=np.int32)))


@pytest.mark.parametrize(
    "name, shape", [("dropout", (4, 6, 3)), ("dropout1d", (4, 6, 3)), ("dropout2d", (4, 6, 3, 2))]
)
def test_dropout_backward_rejects_non_bool_mask_with_type_error(backend, name, shape):
    """A float mask is a TypeError in every dropout's backward, as dropout_backward's; a bool
    mask of the wrong shape stays a ValueError."""
    x = backend.asarray(np.ones(shape))
    _, mask = getattr(K, name)(x, 0.5, return_mask=True)
    backward = getattr(K, f"{name}_backward")
    with pytest.raises(TypeError, match=rf"{name}_backward: mask must be a bool array .*float64"):
        backward(x, x, 0.5, mask=mask.astype(np.float64))
    with pytest.raises(ValueError, match=rf"{name}_backward: mask must"):
        backward(x, x, 0.5, mask=backend.asarray(np.ones((5,), bool)))
