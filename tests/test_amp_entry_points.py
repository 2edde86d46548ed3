"""Mixed precision's entry points against torch: ``GradScaler`` pickled only between
iterations, ``xpnet.is_autocast_enabled``/``get_autocast_dtype``,
``xpnet.amp.is_autocast_available``, and ``torch.cuda.amp``'s deprecated names."""

from __future__ import annotations

import copy
import inspect
import pickle
import warnings

import numpy as np
import pytest
import torch

import xpnet

PICKLE_MESSAGE = (
    "A GradScaler instance may only be pickled at the beginning of an iteration, "
    "or at the end after scaler.update()."
)
COPIERS = {"pickle": lambda s: pickle.loads(pickle.dumps(s)), "deepcopy": copy.deepcopy}


def scaler_pair(backend, **kwargs):
    """An xpnet and a torch scaler with an SGD optimizer each, on the same weight."""
    ours_weight = xpnet.nn.Parameter(xpnet.tensor(backend.asarray([1.0, 2.0], dtype="float32")))
    theirs_weight = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    ours = (xpnet.GradScaler("cpu", **kwargs), xpnet.optim.SGD([ours_weight], lr=0.1))
    theirs = (torch.amp.GradScaler("cpu", **kwargs), torch.optim.SGD([theirs_weight], lr=0.1))
    return (*ours, ours_weight), (*theirs, theirs_weight)


def iteration(scaler, optimizer, weight, stages):
    """Run the first ``stages`` of one iteration: scale+backward, unscale_, step, update."""
    optimizer.zero_grad()
    scaler.scale((weight * weight).sum()).backward()
    for stage in ("unscale_", "step", "update")[: stages - 1]:
        getattr(scaler, stage)(*(() if stage == "update" else (optimizer,)))


# -- 6. GradScaler copies -----------------------------------------------------------------------
@pytest.mark.parametrize("copier", list(COPIERS))
@pytest.mark.parametrize("stages", [2, 3], ids=["after_unscale", "after_step"])
def test_scaler_refuses_copies_mid_iteration_as_torch(backend, copier, stages):
    for scaler, optimizer, weight in scaler_pair(backend):
        iteration(scaler, optimizer, weight, stages)
        with pytest.raises(AssertionError) as caught:
            COPIERS[copier](scaler)
        assert str(caught.value) == PICKLE_MESSAGE


@pytest.mark.parametrize("copier", list(COPIERS))
def test_scaler_copied_between_iterations_goes_on_as_torch(backend, copier):
    """At the start (after scale() only) and after update(): the copy has the scale and the
    growth tracker, and steps on as the original."""
    pairs = scaler_pair(backend, init_scale=4.0, growth_interval=2)
    copies = []
    for scaler, optimizer, weight in pairs:
        iteration(scaler, optimizer, weight, 4)
        COPIERS[copier](scaler)  # also after a scale() with nothing unscaled yet
        iteration(scaler, optimizer, weight, 1)
        copies.append(COPIERS[copier](scaler))
        scaler.update(8.0)
    ours, theirs = copies
    assert ours.state_dict() == theirs.state_dict()
    assert ours.get_scale() == theirs.get_scale() == 4.0
    for copied, (_, optimizer, weight) in zip(copies, pairs, strict=True):
        iteration(copied, optimizer, weight, 4)  # put on the device again by scale()
    assert ours.state_dict() == theirs.state_dict() == {**theirs.state_dict(), "scale": 8.0}


def test_disabled_scaler_copies_any_time(backend):
    for scaler, optimizer, weight in scaler_pair(backend, enabled=False):
        optimizer.zero_grad()
        scaler.scale((weight * weight).sum()).backward()
        scaler.step(optimizer)
        assert COPIERS["pickle"](scaler).is_enabled() is False


# -- 8. autocast's queries ----------------------------------------------------------------------
def test_autocast_queries_at_top_level_as_torch():
    """``xpnet.is_autocast_enabled`` and ``xpnet.get_autocast_dtype`` are ``xpnet.amp``'s: in
    and out of a region, for ``"cuda"``, the dtype as a NumPy dtype (torch's is a dtype too)."""
    assert xpnet.is_autocast_enabled is xpnet.amp.is_autocast_enabled
    assert xpnet.get_autocast_dtype is xpnet.amp.get_autocast_dtype
    assert "is_autocast_enabled" in xpnet.__all__ and "get_autocast_dtype" in xpnet.__all__
    for lib in (xpnet, torch):
        assert lib.is_autocast_enabled("cuda") is lib.is_autocast_enabled() is False
        assert str(lib.get_autocast_dtype("cuda")).removeprefix("torch.") == "float16"
    with xpnet.autocast("cpu", dtype=xpnet.float16), torch.autocast("cpu", torch.float16):
        assert xpnet.is_autocast_enabled("cpu") is torch.is_autocast_enabled("cpu") is True
        assert xpnet.get_autocast_dtype("cpu") == xpnet.float16
        assert torch.get_autocast_dtype("cpu") == torch.float16
    assert isinstance(xpnet.get_autocast_dtype("cpu"), np.dtype)


def test_autocast_dtype_is_a_dtype_the_library_takes():
    dtype = xpnet.get_autocast_dtype("cuda")
    assert dtype == np.float16 and dtype.itemsize == 2
    assert xpnet.ones(2).to(dtype).dtype == dtype
    with xpnet.autocast(dtype=dtype):
        assert xpnet.get_autocast_dtype("cuda") is not None


@pytest.mark.parametrize("device_type", ["cpu", "cuda", "cuda:0"])
def test_autocast_available_for_xpnets_devices_as_torch(device_type):
    assert xpnet.amp.is_autocast_available(device_type) is True
    assert torch.amp.is_autocast_available(device_type) is True


@pytest.mark.parametrize("device_type", [3, None])
def test_autocast_available_refuses_a_non_string_as_torch(device_type):
    with pytest.raises(TypeError, match="must be str"):
        torch.amp.is_autocast_available(device_type)
    with pytest.raises(TypeError, match="is_autocast_available: device_type must be a str"):
        xpnet.amp.is_autocast_available(device_type)


def test_autocast_not_available_on_devices_xpnet_lacks():
    """``"xpu"`` and ``"mps"``: xpnet has no such device, so no autocast there (torch's
    builds have them)."""
    assert not xpnet.amp.is_autocast_available("xpu")
    assert not xpnet.amp.is_autocast_available("mps")


# -- 8. torch.cuda.amp's deprecated names -------------------------------------------------------
@pytest.fixture
def cuda_amp():
    import xpnet.cuda.amp

    return xpnet.cuda.amp


def caught_warnings(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = make()
    return made, [(w.category, str(w.message)) for w in caught]


def torch_name(message: str) -> str:
    return message.replace("xpnet.", "torch.")


@pytest.mark.parametrize("name", ["autocast", "GradScaler"])
def test_cuda_amp_names_warn_as_torch(cuda_amp, name):
    """Each warns ``FutureWarning`` with torch's message, xpnet's names in it; the same
    signature as torch's."""
    _, ours = caught_warnings(lambda: getattr(cuda_amp, name)(enabled=False))
    _, theirs = caught_warnings(lambda: getattr(torch.cuda.amp, name)(enabled=False))
    assert [(c, torch_name(m)) for c, m in ours] == theirs
    assert ours[0][0] is FutureWarning
    mine = inspect.signature(getattr(cuda_amp, name)).parameters
    torchs = inspect.signature(getattr(torch.cuda.amp, name)).parameters
    assert list(mine) == list(torchs)
    for key, parameter in mine.items():
        if key != "dtype":  # torch.float16, xpnet.float16
            assert parameter.default == torchs[key].default, key


def test_cuda_amp_autocast_is_a_cuda_region(cuda_amp):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        region = cuda_amp.autocast()
        from xpnet.cuda.amp import GradScaler, autocast  # as ported scripts import them

    assert autocast is cuda_amp.autocast and GradScaler is cuda_amp.GradScaler
    assert isinstance(region, xpnet.amp.autocast) and region.device_type == "cuda"
    assert not xpnet.is_autocast_enabled("cuda")
    with region:
        assert xpnet.is_autocast_enabled("cuda")
        assert xpnet.get_autocast_dtype("cuda") == xpnet.float16
    with pytest.raises(TypeError, match="dtype must be float16"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        cuda_amp.autocast(dtype=xpnet.float64)


def test_cuda_amp_grad_scaler_scales_as_torch(cuda_amp, backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ours = cuda_amp.GradScaler(init_scale=8.0, growth_interval=1)
    theirs = torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=1)
    assert isinstance(ours, xpnet.GradScaler)
    pairs = scaler_pair(backend)
    for scaler, (_, optimizer, weight) in zip((ours, theirs), pairs, strict=True):
        iteration(scaler, optimizer, weight, 4)
    assert ours.state_dict() == theirs.state_dict()


def test_cuda_amp_custom_functions_warn_and_decorate(cuda_amp):
    class Square(xpnet.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    forward, caught = caught_warnings(
        lambda: cuda_amp.custom_fwd(Square.forward, cast_inputs=xpnet.float32)
    )
    assert caught == [
        (
            FutureWarning,
            "`xpnet.cuda.amp.custom_fwd(args...)` is deprecated. "
            "Please use `xpnet.amp.custom_fwd(args..., device_type='cuda')` instead.",
        )
    ]
    backward, caught = caught_warnings(lambda: cuda_amp.custom_bwd(Square.backward))
    assert [category for category, _ in caught] == [FutureWarning]
    Square.forward, Square.backward = staticmethod(forward), staticmethod(backward)
    x = xpnet.ones(2, dtype=xpnet.float16, requires_grad=True)
    with xpnet.autocast("cuda"):
        y = Square.apply(x)
    assert y.dtype == np.float32  # cast_inputs ran forward in float32


@pytest.mark.parametrize("lib", [xpnet, torch])
def test_custom_fwd_for_another_device_type_runs_as_torch(lib):
    """``custom_fwd(device_type="xpu")`` (a device xpnet lacks) runs, as torch's: xpnet asks
    its one autocast state (it used to refuse ``"xpu"`` when the forward ran)."""

    class Square(lib.autograd.Function):
        @staticmethod
        @lib.amp.custom_fwd(device_type="xpu")
        def forward(ctx, x):
            return x * x

        @staticmethod
        @lib.amp.custom_bwd(device_type="xpu")
        def backward(ctx, grad_output):
            return grad_output

    x = lib.ones(2, requires_grad=True)
    y = Square.apply(x)
    y.sum().backward()
    assert y.tolist() == [1.0, 1.0] and x.grad.tolist() == [1.0, 1.0]
