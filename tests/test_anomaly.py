"""xpnet.autograd.detect_anomaly / set_detect_anomaly and the top-level anomaly switches
against torch's: the same state, errors and warnings for the same graphs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet.autograd import Node, detect_anomaly, set_detect_anomaly

ENABLED = "Anomaly Detection has been enabled. This mode will increase the runtime"
NAN = r"Function '{}' returned nan values in its 0th output\."
NO_FORWARD = (
    "Error detected in {}. No forward pass information available. Enable detect anomaly "
    "during forward pass for more information."
)


@pytest.fixture(autouse=True)
def anomaly_off():
    """Every test starts and ends with anomaly mode off, in both libraries."""
    yield
    torch.set_anomaly_enabled(False)
    xpnet.set_anomaly_enabled(False)


def nan_backward(lib):
    """``2 x`` as a custom Function (node ``NanBackward``) whose backward returns NaN."""

    class Nan(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * float("nan")

    return Nan.apply


def host(grad):
    """A gradient (a torch tensor or an xpnet Tensor) as a NumPy array."""
    return grad.numpy() if isinstance(grad, torch.Tensor) else xpnet.to_numpy(grad)


def leaf(lib, backend=None):
    data = np.array([1.0, 2.0])
    if lib is torch:
        return torch.tensor(data, requires_grad=True)
    return xpnet.Tensor(backend.asarray(data), requires_grad=True)


@pytest.mark.parametrize("lib", [torch, xpnet], ids=["torch", "xpnet"])
def test_detect_anomaly_raises_on_nan_and_shows_the_forward(backend, lib):
    x = leaf(lib, backend)
    with pytest.warns(UserWarning, match=ENABLED), detect_or(lib)():
        y = nan_backward(lib)(x).exp().sum()  # the forward line the warning shows
        with pytest.warns(UserWarning) as warned, pytest.raises(RuntimeError) as error:
            y.backward()
    assert error.match(NAN.format("NanBackward"))
    (message,) = [str(w.message) for w in warned if "Error detected" in str(w.message)]
    head = "Error detected in NanBackward. Traceback of forward call that caused the error:\n"
    assert message.startswith(head)
    assert "y = nan_backward(lib)(x).exp().sum()  # the forward line" in message
    assert __file__ in message


def detect_or(lib):
    return torch.autograd.detect_anomaly if lib is torch else detect_anomaly


@pytest.mark.parametrize("lib", [torch, xpnet], ids=["torch", "xpnet"])
def test_detect_anomaly_names_nodes_as_torchs_grad_fn_name(backend, lib):
    x = leaf(lib, backend)
    with pytest.warns(UserWarning, match=ENABLED), detect_or(lib)():
        y = (x * float("nan")).sum()
        with pytest.warns(UserWarning) as warned, pytest.raises(RuntimeError) as error:
            y.backward()
    # torch's words and name: "Function 'MulBackward0' returned nan values in its 0th output."
    assert str(error.value) == "Function 'MulBackward0' returned nan values in its 0th output."
    (message,) = [str(w.message) for w in warned if "Error detected" in str(w.message)]
    assert message.startswith("Error detected in MulBackward0. Traceback of forward call")


@pytest.mark.parametrize("lib", [torch, xpnet], ids=["torch", "xpnet"])
def test_anomaly_without_check_nan_or_off_lets_nan_through(backend, lib):
    x = leaf(lib, backend)
    with pytest.warns(UserWarning, match=ENABLED), detect_or(lib)(check_nan=False):
        nan_backward(lib)(x).sum().backward()
    assert np.isnan(host(x.grad)).all()
    x.grad = None
    nan_backward(lib)(x).sum().backward()  # anomaly mode off: no check at all
    assert np.isnan(host(x.grad)).all()


@pytest.mark.parametrize("lib", [torch, xpnet], ids=["torch", "xpnet"])
def test_anomaly_in_backward_only_has_no_forward_traceback(backend, lib):
    x = leaf(lib, backend)
    y = nan_backward(lib)(x).sum()  # recorded with anomaly mode off
    with pytest.warns(UserWarning, match=ENABLED), detect_or(lib)():
        with pytest.warns(UserWarning, match=NO_FORWARD.format("NanBackward")):
            with pytest.raises(RuntimeError, match=NAN.format("NanBackward")):
                y.backward()


@pytest.mark.parametrize("lib", [torch, xpnet], ids=["torch", "xpnet"])
def test_anomaly_reports_other_backward_errors_too(backend, lib):
    x = leaf(lib, backend)
    with pytest.warns(UserWarning, match=ENABLED), detect_or(lib)():
        y = x * 2
        y.sum().backward()
        with pytest.warns(UserWarning, match="Traceback of forward call that caused the error"):
            with pytest.raises(RuntimeError, match="(?i)backward through the graph a second time"):
                y.sum().backward()


@pytest.mark.parametrize("lib", [torch, xpnet], ids=["torch", "xpnet"])
def test_anomaly_checks_create_graph_backward(backend, lib):
    x = leaf(lib, backend)
    with pytest.warns(UserWarning, match=ENABLED), detect_or(lib)():
        y = (x * float("nan")).sum()
        with pytest.warns(UserWarning, match="Error detected in"):
            with pytest.raises(RuntimeError, match="returned nan values in its 0th output"):
                lib.autograd.grad(y, x, create_graph=True)


@pytest.mark.parametrize("lib", [torch, xpnet], ids=["torch", "xpnet"])
def test_anomaly_switches_and_state(lib):
    assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
    switch = lib.autograd.set_detect_anomaly(True, check_nan=False)  # on at once
    assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
    with switch:
        assert lib.is_anomaly_enabled()
    assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
    lib.set_anomaly_enabled(True, False)
    with pytest.warns(UserWarning, match=ENABLED):
        detector = lib.autograd.detect_anomaly()  # remembers the state when made
    lib.set_anomaly_enabled(False)
    with detector:
        assert lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
    assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
    lib.set_anomaly_enabled(False)


@pytest.mark.parametrize("lib", [torch, xpnet], ids=["torch", "xpnet"])
def test_set_anomaly_enabled_rejects_non_bools_as_torch(lib):
    match = r"set_anomaly_enabled\(\): argument 'enabled' \(position 1\) must be bool, not int"
    with pytest.raises(TypeError, match=match):
        lib.set_anomaly_enabled(1)


def test_detect_anomaly_as_a_decorator():
    # torch 2.13's detect_anomaly is a context manager only; xpnet's also decorates
    with pytest.warns(UserWarning, match=ENABLED):

        @detect_anomaly()
        def inside():
            return xpnet.is_anomaly_enabled()

    assert inside() and not xpnet.is_anomaly_enabled()


def test_anomaly_off_leaves_nodes_as_they_were():
    # nothing is checked per node while off: the very methods of before are back
    plain = (Node.__init__, Node.apply)
    with set_detect_anomaly(True):
        assert (Node.__init__, Node.apply) != plain
    assert (Node.__init__, Node.apply) == plain
