"""xpnet.amp.custom_fwd / custom_bwd against torch.amp's: the same dtypes out of a custom
Function's forward and backward, and the same autocast state inside them, in and out of an
autocast region."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
from xpnet.amp import custom_bwd, custom_fwd


def make_function(lib, cast_inputs, seen: dict):
    """A custom ``x @ w`` of library ``lib`` (torch or xpnet) whose forward and backward
    record whether autocast is on inside them."""
    amp = lib.amp
    enabled = torch.is_autocast_enabled if lib is torch else xpnet.amp.is_autocast_enabled

    class MatMul(lib.autograd.Function):
        @staticmethod
        @amp.custom_fwd(device_type="cpu", cast_inputs=cast_inputs)
        def forward(ctx, x, w):
            seen["forward"] = enabled("cpu")
            seen["input dtypes"] = tuple(str(t.dtype).removeprefix("torch.") for t in (x, w))
            ctx.save_for_backward(x, w)
            return x @ w

        @staticmethod
        @amp.custom_bwd(device_type="cpu")
        def backward(ctx, grad_output):
            seen["backward"] = enabled("cpu")
            x, w = ctx.saved_tensors
            return grad_output @ w.t(), x.t() @ grad_output

    return MatMul


def run(lib, cast_inputs, region: bool):
    seen = {}
    function = make_function(lib, cast_inputs, seen)
    x = lib.tensor(random_input((3, 4), seed=0).astype(np.float32), requires_grad=True)
    w = lib.tensor(random_input((4, 2), seed=1).astype(np.float32), requires_grad=True)
    if region:
        with lib.autocast("cpu", dtype=lib.float16):
            y = function.apply(x, w)
    else:
        y = function.apply(x, w)
    y.float().sum().backward()
    dtypes = {
        "output": str(y.dtype),
        "x.grad": str(x.grad.dtype),
        "w.grad": str(w.grad.dtype),
    }
    values = y.detach().float().numpy() if lib is torch else np.asarray(y.float().array)
    return {key: str(v).removeprefix("torch.") for key, v in {**seen, **dtypes}.items()}, values


@pytest.mark.parametrize("cast_inputs", [None, "float32", "float16"])
@pytest.mark.parametrize("region", [True, False])
def test_custom_fwd_bwd_match_torch(backend, cast_inputs, region):
    torch_cast = None if cast_inputs is None else getattr(torch, cast_inputs)
    xpnet_cast = None if cast_inputs is None else getattr(xpnet, cast_inputs)
    expected, want = run(torch, torch_cast, region)
    got, values = run(xpnet, xpnet_cast, region)
    assert got == expected
    dtype = np.float16 if "float16" in expected["output"] else np.float32
    assert_close(backend.to_host(values) if hasattr(values, "shape") else values, want, dtype)


def test_custom_fwd_leaves_float64_alone_as_torch(backend):
    seen = {}
    function = make_function(xpnet, xpnet.float16, seen)
    x = xpnet.tensor(random_input((3, 4), seed=0), requires_grad=True)
    w = xpnet.tensor(random_input((4, 2), seed=1).astype(np.float32))
    with xpnet.autocast("cpu", dtype=xpnet.float16):
        function.apply(x, w)
    assert seen["input dtypes"] == ("float64", "float16")
    torch_seen = {}
    torch_function = make_function(torch, torch.float16, torch_seen)
    # torch's matmul then refuses the mixed dtypes; what forward got is recorded before
    with torch.autocast("cpu", dtype=torch.float16), pytest.raises(RuntimeError):
        torch_function.apply(
            torch.tensor(random_input((3, 4), seed=0), requires_grad=True),
            torch.tensor(random_input((4, 2), seed=1).astype(np.float32)),
        )
    assert torch_seen["input dtypes"] == ("float64", "float16")


def test_custom_fwd_bwd_reject_device_type_that_is_not_a_string():
    match = "Expected `device_type` of type `str`, got: `<class 'NoneType'>`"
    for decorator in (custom_fwd, custom_bwd, torch.amp.custom_fwd, torch.amp.custom_bwd):
        with pytest.raises(ValueError, match=match):
            decorator(device_type=None)


def test_custom_fwd_rejects_a_cast_that_is_not_floating():
    with pytest.raises(TypeError, match="custom_fwd: cast_inputs must be a floating dtype"):
        custom_fwd(lambda ctx: None, device_type="cpu", cast_inputs="int64")
