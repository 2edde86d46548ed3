"""``memory_format=`` where PyTorch takes it beyond ``contiguous``/``clone``/``to`` and the
filled ``*_like`` creators: ``empty``, ``rand_like``, ``randn_like``, ``randint_like``, the
dtype shortcuts (``float()``, ``long()``, ...), ``cpu``/``cuda``, ``xpnet.clone`` and
``nn.Module.to``; strides, contiguity flags, values and errors against PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet

LAYOUTS = {
    "contiguous": lambda t: t,
    "channels_last": lambda t: t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
    "unit_dims": lambda t: t[:, :1, :1],  # steps along length-1 dimensions do not count
}
FORMATS = ["contiguous_format", "channels_last", "preserve_format"]


def both(layout: str, dtype=np.float64):
    """The same (2, 3, 4, 5) data, laid out as ``layout``, as an xpnet Tensor and a torch
    tensor."""
    values = np.arange(120.0).reshape(2, 3, 4, 5).astype(dtype)
    ours = xpnet.tensor(values, device=xpnet.get_backend().name)
    return LAYOUTS[layout](ours), LAYOUTS[layout](torch.tensor(values))


def same_layout(ours, theirs) -> None:
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    for fmt in ("contiguous_format", "channels_last"):
        flag = ours.is_contiguous(memory_format=getattr(xpnet, fmt))
        assert flag == theirs.is_contiguous(memory_format=getattr(torch, fmt))


@pytest.mark.parametrize(
    "size, fmt",
    [((2, 3, 4, 5), "contiguous_format"), ((2, 3, 4, 5), "channels_last"),
     ((2, 3, 1, 4, 5), "channels_last_3d"), ((1, 3, 1, 1), "channels_last")],
)  # fmt: skip
def test_empty_memory_format_matches_torch(backend, size, fmt):
    ours = xpnet.empty(*size, dtype=xpnet.float64, memory_format=getattr(xpnet, fmt))
    theirs = torch.empty(*size, dtype=torch.float64, memory_format=getattr(torch, fmt))
    same_layout(ours, theirs)
    assert ours.dtype == np.float64
    assert xpnet.empty(size, memory_format=getattr(xpnet, fmt)).stride() == theirs.stride()


def test_empty_memory_format_errors_match_torch(backend):
    with pytest.raises(RuntimeError, match="unsupported memory format"):
        torch.empty(2, 3, 4, 5, memory_format=torch.preserve_format)
    with pytest.raises(RuntimeError, match="empty: unsupported memory format preserve_format"):
        xpnet.empty(2, 3, 4, 5, memory_format=xpnet.preserve_format)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
        torch.empty(2, 3, 4, memory_format=torch.channels_last)
    with pytest.raises(RuntimeError, match="empty: required rank 4 tensor to use channels_last"):
        xpnet.empty(2, 3, 4, memory_format=xpnet.channels_last)
    with pytest.raises(TypeError, match="argument 'memory_format' must be torch.memory_format"):
        torch.empty(2, memory_format="channels_last")
    with pytest.raises(TypeError, match="empty: argument 'memory_format' must be xpnet.memory"):
        xpnet.empty(2, memory_format="channels_last")


RANDOM_LIKES = {
    "rand_like": ((), {}),
    "randn_like": ((), {}),
    "randint_like": ((3, 7), {}),
}


@pytest.mark.parametrize("name", RANDOM_LIKES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_random_likes_take_memory_format(backend, name, layout, fmt):
    x, tx = both(layout)
    args, _ = RANDOM_LIKES[name]
    xpnet.manual_seed(0)
    ours = getattr(xpnet, name)(x, *args, memory_format=getattr(xpnet, fmt))
    theirs = getattr(torch, name)(tx, *args, memory_format=getattr(torch, fmt))
    same_layout(ours, theirs)
    assert ours.dtype == np.float64
    xpnet.manual_seed(0)  # the layout changes where the values lie, not which values
    plain = getattr(xpnet, name)(x, *args, memory_format=xpnet.contiguous_format)
    np.testing.assert_array_equal(xpnet.to_numpy(ours), xpnet.to_numpy(plain))
    if name == "randint_like":
        values = xpnet.to_numpy(ours)
        assert values.min() >= 3 and values.max() < 7


@pytest.mark.parametrize("name", RANDOM_LIKES)
def test_random_likes_memory_format_errors_match_torch(backend, name):
    args, _ = RANDOM_LIKES[name]
    flat, tflat = xpnet.zeros(2, 3, dtype=xpnet.float64), torch.zeros(2, 3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
        getattr(torch, name)(tflat, *args, memory_format=torch.channels_last)
    with pytest.raises(RuntimeError, match=f"{name}: required rank 4 tensor to use channels"):
        getattr(xpnet, name)(flat, *args, memory_format=xpnet.channels_last)
    with pytest.raises(TypeError):
        getattr(torch, name)(tflat, *args, memory_format=1)
    with pytest.raises(TypeError, match=f"{name}: argument 'memory_format' must be xpnet"):
        getattr(xpnet, name)(flat, *args, memory_format=1)


def test_rand_like_takes_a_generator(backend):
    x = xpnet.zeros(2, 3)
    first = xpnet.rand_like(x, generator=np.random.default_rng(5))
    again = xpnet.rand_like(x, generator=np.random.default_rng(5))
    np.testing.assert_array_equal(xpnet.to_numpy(first), xpnet.to_numpy(again))
    torch.rand_like(torch.zeros(2, 3), generator=torch.Generator().manual_seed(5))  # as torch


SHORTCUTS = ["float", "double", "half", "long", "int", "short", "char", "byte", "bool", "cpu"]


@pytest.mark.parametrize("name", SHORTCUTS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_dtype_shortcuts_take_memory_format(backend, name, layout, fmt):
    x, tx = both(layout, np.float32)
    ours = getattr(x, name)(memory_format=getattr(xpnet, fmt))
    theirs = getattr(tx, name)(memory_format=getattr(torch, fmt))
    same_layout(ours, theirs)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_array_equal(xpnet.to_numpy(ours), theirs.numpy())
    assert (ours is x) == (theirs is tx)  # no copy where PyTorch makes none
    assert getattr(x, name)().stride() == getattr(tx, name)().stride()


@pytest.mark.parametrize("name", [*SHORTCUTS, "cuda"])
def test_dtype_shortcuts_memory_format_errors_match_torch(backend, name):
    flat, tflat = xpnet.zeros(2, 3), torch.zeros(2, 3)
    with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'memory_format' must be"):
        getattr(tflat, name)(memory_format=3)
    with pytest.raises(TypeError, match=f"Tensor.{name}: argument 'memory_format' must be"):
        getattr(flat, name)(memory_format=3)
    with pytest.raises(RuntimeError, match=f"Tensor.{name}: required rank 4 tensor to use"):
        getattr(flat, name)(memory_format=xpnet.channels_last)
    if name != "cuda":  # torch's CPU build has no CUDA to move to
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            getattr(tflat, name)(memory_format=torch.channels_last)
    with pytest.raises(TypeError):  # memory_format is keyword-only, as PyTorch's
        getattr(flat, name)(xpnet.channels_last)


@pytest.mark.parametrize("fmt", FORMATS)
def test_clone_function_takes_memory_format(backend, fmt):
    x, tx = both("channels_last")
    same_layout(
        xpnet.clone(x, memory_format=getattr(xpnet, fmt)),
        torch.clone(tx, memory_format=getattr(torch, fmt)),
    )


def test_new_creators_take_no_memory_format(backend):
    x, tx = both("contiguous")
    for name, args in (("new_empty", ((2,),)), ("new_zeros", ((2,),)), ("new_ones", ((2,),)),
                       ("new_full", ((2,), 1.0))):  # fmt: skip
        with pytest.raises(TypeError, match="memory_format"):
            getattr(tx, name)(*args, memory_format=torch.channels_last)
        with pytest.raises(TypeError, match="memory_format"):
            getattr(x, name)(*args, memory_format=xpnet.channels_last)


def conv_pair(module, torch_module, *, grad: bool = True):
    """``module`` with ``torch_module``'s float64 parameters (and gradients of ones)."""
    module.to(xpnet.float64)
    torch_module.double()
    for name, param in module.named_parameters():
        theirs = dict(torch_module.named_parameters())[name]
        param.array[...] = xpnet.tensor(theirs.detach().numpy(), device=param.device).array
        if grad:
            param.grad = xpnet.ones_like(param)
            theirs.grad = torch.ones_like(theirs)
    return module, torch_module


def same_parameters(module, torch_module) -> None:
    theirs = dict(torch_module.named_parameters())
    for name, param in module.named_parameters():
        same_layout(param, theirs[name].data)
        np.testing.assert_array_equal(xpnet.to_numpy(param), theirs[name].detach().numpy())
        if param.grad is not None:
            same_layout(param.grad, theirs[name].grad)


@pytest.mark.parametrize(
    "make, fmt",
    [
        (lambda nn: nn.Conv2d(3, 4, 3), "channels_last"),
        (lambda nn: nn.Conv2d(3, 4, 3), "contiguous_format"),
        (lambda nn: nn.Conv2d(3, 4, 3), "preserve_format"),
        (lambda nn: nn.Conv3d(2, 3, 2), "channels_last_3d"),
        (lambda nn: nn.Linear(3, 4), "channels_last"),  # 2-d weights: left as they are
    ],
)
def test_module_to_memory_format_matches_torch(backend, make, fmt):
    torch.manual_seed(0)
    module, torch_module = conv_pair(make(xpnet.nn), make(torch.nn))
    assert module.to(memory_format=getattr(xpnet, fmt)) is module
    torch_module.to(memory_format=getattr(torch, fmt))
    same_parameters(module, torch_module)
    module.to(xpnet.float32)  # a later cast keeps the layout, as PyTorch's
    torch_module.to(torch.float32)
    same_parameters(module, torch_module)
    module.to(memory_format=xpnet.contiguous_format)
    torch_module.to(memory_format=torch.contiguous_format)
    same_parameters(module, torch_module)


def test_module_to_memory_format_converts_buffers_and_keeps_dtype(backend):
    module, torch_module = xpnet.nn.Module(), torch.nn.Module()
    module.register_buffer("image", xpnet.zeros(1, 2, 3, 4, dtype=xpnet.int64))
    torch_module.register_buffer("image", torch.zeros(1, 2, 3, 4, dtype=torch.int64))
    module.to(xpnet.float64, memory_format=xpnet.channels_last)
    torch_module.to(torch.float64, memory_format=torch.channels_last)
    same_layout(module.image, torch_module.image)
    assert module.image.dtype == np.int64


def test_module_to_memory_format_errors_match_torch(backend):
    torch_module = torch.nn.Conv2d(3, 4, 3)
    torch_module.register_buffer("volume", torch.zeros(1, 2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
        torch_module.to(memory_format=torch.channels_last)
    module = xpnet.nn.Conv2d(3, 4, 3)
    module.register_buffer("volume", xpnet.zeros(1, 2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="Conv2d.to: required rank 4 tensor to use channels"):
        module.to(memory_format=xpnet.channels_last)
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d"):
        torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last_3d)
    with pytest.raises(RuntimeError, match="Conv2d.to: required rank 5 tensor to use channels"):
        xpnet.nn.Conv2d(3, 4, 3).to(memory_format=xpnet.channels_last_3d)
    with pytest.raises(TypeError):
        torch.nn.Conv2d(3, 4, 3).to(memory_format=3)
    with pytest.raises(TypeError, match="Conv2d.to: argument 'memory_format' must be xpnet"):
        xpnet.nn.Conv2d(3, 4, 3).to(memory_format=3)
