"""The float32 matmul precision: exact conv2d by default, the Fourier formula as an opt-in."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import random_input

import xpnet
import xpnet.kernels as K

A = K.ConvAlgorithm
# LeNet's second convolution (32 -> 64 channels on 14x14, 5x5, padding 2): Fourier pays here
LENET_INPUT, LENET_WEIGHT, LENET_PADDING = (8, 32, 14, 14), (64, 32, 5, 5), 2


def _lenet_arrays(backend, dtype="float32"):
    x = random_input(LENET_INPUT, seed=1).astype(dtype)
    w = (random_input(LENET_WEIGHT, seed=2) * 0.1).astype(dtype)
    return x, w


def _torch_conv(x, w):
    return TF.conv2d(
        torch.tensor(x, dtype=torch.float64),
        torch.tensor(w, dtype=torch.float64),
        padding=LENET_PADDING,
    ).numpy()


def test_highest_never_chooses_fourier_high_does(backend, precision):
    x, w = (backend.xp.empty(shape, dtype="float32") for shape in (LENET_INPUT, LENET_WEIGHT))
    precision("highest")
    assert K.select_conv_algorithm(x, w, padding=LENET_PADDING) is not A.FOURIER
    for setting in ("high", "medium"):
        precision(setting)
        assert K.select_conv_algorithm(x, w, padding=LENET_PADDING) is A.FOURIER


def test_naming_fourier_in_conv_algorithms_opts_in_at_highest(backend, precision):
    precision("highest")
    x, w = (backend.xp.empty(shape, dtype="float32") for shape in (LENET_INPUT, LENET_WEIGHT))
    with K.conv_algorithms(["fourier", "im2col"]):
        assert K.select_conv_algorithm(x, w, padding=LENET_PADDING) is A.FOURIER


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_highest_puts_nan_and_inf_exactly_where_torch_does(backend, precision, value):
    precision("highest")
    x, w = _lenet_arrays(backend)
    x[3, 5, 7, 9] = value
    x[6, 0, 0, 13] = value
    output = backend.to_host(K.conv2d(backend.asarray(x), backend.asarray(w), padding=2))
    expected = _torch_conv(x.astype(np.float64), w.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(output), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(output), np.isinf(expected))
    np.testing.assert_array_equal(
        np.sign(output[np.isinf(output)]), np.sign(expected[np.isinf(expected)])
    )
    assert 0 < np.isnan(expected).sum() + np.isinf(expected).sum() < expected.size // 20


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_high_spreads_nan_and_inf_over_their_sample_without_a_warning(backend, precision, value):
    # the documented price of the Fourier formula (inf - inf: NaN); NumPy would warn
    # "invalid value encountered in matmul", and pytest turns any warning into an error
    precision("high")
    x, w = _lenet_arrays(backend)
    x[3, 5, 7, 9] = value
    output = backend.to_host(K.conv2d(backend.asarray(x), backend.asarray(w), padding=2))
    K.conv2d_backward(  # quiet too
        backend.asarray(np.ones_like(output)), backend.asarray(x), backend.asarray(w), padding=2
    )
    assert np.isnan(output[3]).all() and not np.isnan(np.delete(output, 3, axis=0)).any()


def test_highest_keeps_small_outputs_accurate_beside_large_ones(backend, precision):
    """A plane whose left half is 1e4 times its right half: float32 outputs in the small
    half stay within PyTorch-level relative error at "highest"; at "high" the error is
    relative to the plane's largest value, as documented."""
    x, w = _lenet_arrays(backend)
    x[..., :7] *= 1e4
    expected = _torch_conv(x.astype(np.float64), w.astype(np.float64))
    small = (slice(None), slice(None), slice(None), slice(11, None))  # windows in the small half
    errors = {}
    for setting in ("highest", "high"):
        precision(setting)
        output = backend.to_host(K.conv2d(backend.asarray(x), backend.asarray(w), padding=2))
        relative = np.abs(output[small] - expected[small]) / np.abs(expected[small])
        errors[setting] = np.median(relative)
    assert errors["highest"] < 2e-6
    assert errors["high"] > 10 * errors["highest"]  # the trade the setting documents


@pytest.mark.parametrize("setting", ["low", "HIGH", None, 1])
def test_bad_precision_is_refused(setting):
    with pytest.raises(ValueError, match=r"set_float32_matmul_precision: precision must be one"):
        xpnet.set_float32_matmul_precision(setting)
    with pytest.raises(ValueError, match=r"float32_matmul_precision: precision must be one"):
        with xpnet.float32_matmul_precision(setting):
            pass


def test_precision_block_restores_after_an_exception(precision):
    precision("highest")
    with pytest.raises(RuntimeError), xpnet.float32_matmul_precision("high"):
        assert xpnet.get_float32_matmul_precision() == "high"
        raise RuntimeError
    assert xpnet.get_float32_matmul_precision() == "highest"
