"""Regression tests for the differences from PyTorch 2.13 that the resampling audit found
(2026-12-07): ``interpolate`` and ``pad`` refusing a rank or mode with PyTorch's
``NotImplementedError``, ``interpolate`` taking a bool ``scale_factor`` and refusing one that
overflows the size, ``pad`` converting its ``value`` only when something is padded and
cropping reflect/replicate/circular dimensions to 0 where PyTorch does, the reflection and
replication modules leaving the rank to ``F.pad``, ``affine_grid``'s ``ValueError`` for an
integer ``theta``, and ``channel_shuffle``'s gradient with no channels.

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
with a message naming the function and the argument, a value PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import refused_as_torch

import xpnet
from xpnet.backends import raise_deferred


def _run(module, call):
    result = call(module)
    if module is xpnet:
        raise_deferred()
    return result


def _same_as_torch(call, grad=False):
    """``call(module)`` gives PyTorch's shape, dtype and values (and float64 gradients of
    the input it returns second, with ``grad``)."""
    results = []
    for module in (torch, xpnet):
        output, leaf = call(module)
        if module is xpnet:
            raise_deferred()
        values = output.detach().numpy() if module is torch else np.asarray(output.numpy())
        if grad:
            upstream = np.arange(output.numel(), dtype=np.float64).reshape(tuple(output.shape))
            output.backward(module.tensor(upstream))
            gradient = leaf.grad.numpy() if module is torch else np.asarray(leaf.grad.numpy())
            values = (values, gradient)
        results.append((tuple(output.shape), str(output.dtype).split(".")[-1], values))
    (shape, dtype, values), (our_shape, our_dtype, ours) = results
    assert (our_shape, our_dtype) == (shape, dtype)
    for expected, actual in zip(
        values if grad else [values], ours if grad else [ours], strict=True
    ):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=0)


def _input(module, shape, dtype="float64", grad=False):
    array = np.arange(np.prod(shape), dtype=dtype).reshape(shape)
    return module.tensor(array, requires_grad=grad) if grad else module.tensor(array)


# 1. ranks and modes PyTorch has no kernel for: its NotImplementedError (still a ValueError)
NOT_IMPLEMENTED = {
    "interpolate 2-D": (
        lambda M: M.nn.functional.interpolate(_input(M, (2, 2)), size=2),
        "3 or 4 or 5",
    ),
    "interpolate 6-D": (
        lambda M: M.nn.functional.interpolate(_input(M, (1,) * 6), size=2),
        "3 or 4 or 5",
    ),
    "interpolate bilinear 3-D": (
        lambda M: M.nn.functional.interpolate(_input(M, (1, 1, 3)), size=2, mode="bilinear"),
        "mode='bilinear' needs a 4-D input",
    ),
    "interpolate linear 4-D": (
        lambda M: M.nn.functional.interpolate(_input(M, (1, 1, 3, 3)), size=2, mode="linear"),
        "mode='linear' needs a 3-D input",
    ),
    "interpolate trilinear 4-D": (
        lambda M: M.nn.functional.interpolate(_input(M, (1, 1, 3, 3)), size=2, mode="trilinear"),
        "needs a 5-D input",
    ),
    "interpolate bad mode": (
        lambda M: M.nn.functional.interpolate(_input(M, (1, 1, 3, 3)), size=2, mode="foo"),
        "mode must be one of",
    ),
    "pad reflect rank": (
        lambda M: M.nn.functional.pad(_input(M, (2, 3, 4, 5)), (1, 1), mode="reflect"),
        r"pad: reflect padding of 1 dimension\(s\) needs a 2-D or 3-D input",
    ),
    "pad replicate rank": (
        lambda M: M.nn.functional.pad(_input(M, (5, 4)), (1, 1, 1, 1), mode="replicate"),
        "needs a 3-D or 4-D input",
    ),
    "pad circular rank": (
        lambda M: M.nn.functional.pad(_input(M, (3,)), (1, 1), mode="circular"),
        "needs a 2-D or 3-D input",
    ),
    "pad bad mode": (
        lambda M: M.nn.functional.pad(_input(M, (2, 3)), (1, 1), mode="wrap"),
        "pad: mode must be one of",
    ),
}


@pytest.mark.parametrize("case", NOT_IMPLEMENTED)
def test_not_implemented_as_torch(case):
    call, pattern = NOT_IMPLEMENTED[case]
    refused_as_torch(_run, call, pattern)
    with pytest.raises(ValueError, match=pattern):  # xpnet's convention for a bad argument
        _run(xpnet, call)


# 2. interpolate's scale_factor: a bool is a float to PyTorch; an overflowing size its RuntimeError
def test_interpolate_bool_scale_factor():
    _same_as_torch(
        lambda M: (
            M.nn.functional.interpolate(x := _input(M, (1, 1, 3, 3), grad=True), scale_factor=True),
            x,
        ),
        grad=True,
    )


def test_interpolate_scale_factor_overflowing_int64():
    call = lambda M: M.nn.functional.interpolate(_input(M, (1, 1, 4, 4)), scale_factor=1e300)  # noqa: E731
    refused_as_torch(_run, call, r"interpolate: scale_factor=1e\+300 overflows")


# 3. pad's value is converted only when something is padded
@pytest.mark.parametrize(
    ("shape", "dtype", "pads", "value"),
    [
        ((2, 3), "uint8", (0, 0), -1),
        ((2, 3), "uint8", (-1, 0), -1.0),
        ((2, 3), "int64", (0, -1, 0, 0), float("nan")),
        ((1, 5, 0), "int64", (0, 0), float("inf")),
    ],
)
def test_pad_value_unconverted_without_padding(shape, dtype, pads, value):
    _same_as_torch(
        lambda M: (M.nn.functional.pad(_input(M, shape, dtype), pads, value=value), None)
    )


# 4. reflect and replicate crop a dimension to 0 while another padded one keeps a size (PyTorch's
# reflection_pad/replication_pad), circular crops to 0 within its bounds
@pytest.mark.parametrize(
    ("shape", "pads", "mode"),
    [
        ((2, 5, 4), (0, 0, -5, 0), "reflect"),
        ((2, 5, 4), (-4, 0, 0, 0), "replicate"),
        ((2, 5, 4, 3), (-3, 0, -4, 0, 0, 0), "reflect"),
        ((1, 2, 3, 2, 5), (-3, 2, -1, -1, 2, -2), "replicate"),
        ((1, 1, 1), (-2, 1), "circular"),
        ((2, 4, 2), (2, -4), "circular"),
    ],
)
def test_pad_crops_to_zero_as_torch(shape, pads, mode):
    _same_as_torch(lambda M: (M.nn.functional.pad(_input(M, shape), pads, mode=mode), None))
    # an empty output's gradient is 0 (PyTorch's reflect backward leaves it uninitialized)
    x = _input(xpnet, shape, grad=True)
    xpnet.nn.functional.pad(x, pads, mode=mode).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(shape))


@pytest.mark.parametrize(
    ("shape", "pads", "mode"),
    [
        ((2, 5), (-5, 0), "replicate"),
        ((2, 5, 4), (-4, 0, -5, 0), "reflect"),
        ((1, 2, 5), (0, -5), "reflect"),
    ],
)
def test_pad_refuses_emptying_every_padded_dimension(shape, pads, mode):
    call = lambda M: M.nn.functional.pad(_input(M, shape), pads, mode=mode)  # noqa: E731
    refused_as_torch(_run, call, rf"pad: {mode} padding .* empties dimension .* every other padded")


# 5. the reflection and replication modules take any rank F.pad takes for their padding
@pytest.mark.parametrize(
    "name", ["ReflectionPad2d", "ReflectionPad3d", "ReplicationPad2d", "ReplicationPad3d"]
)
def test_padding_module_rank_left_to_pad(name):
    _same_as_torch(
        lambda M: (getattr(M.nn, name)((1, 2))(x := _input(M, (3, 3), grad=True)), x), grad=True
    )


# 6. affine_grid: an integer theta is PyTorch's ValueError (and xpnet's TypeError)
def test_affine_grid_integer_theta():
    call = lambda M: M.nn.functional.affine_grid(  # noqa: E731
        M.tensor(np.zeros((1, 2, 3), np.int64)), (1, 1, 2, 2), align_corners=False
    )
    refused_as_torch(
        _run, call, "affine_grid: theta must be a floating-point array, got dtype int64"
    )
    with pytest.raises(TypeError, match="theta must be a floating-point"):
        _run(xpnet, call)


# 7. channel_shuffle's gradient with no channels (PyTorch's own backward divides by 0 groups)
@pytest.mark.parametrize("name", ["channel_shuffle", "native_channel_shuffle"])
def test_channel_shuffle_backward_without_channels(name):
    x = xpnet.tensor(np.zeros((1, 0, 2, 1)), requires_grad=True)
    y = getattr(xpnet.nn.functional, name)(x, 2)
    y.backward(xpnet.tensor(np.zeros((1, 0, 2, 1))))
    assert x.grad.shape == (1, 0, 2, 1)
