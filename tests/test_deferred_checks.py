"""Value checks on device arrays are deferred to the next host read, and a training step
reads nothing from the device (xpnet/backends/_deferred.py, issue 17 section 3)."""

from __future__ import annotations

import numpy as np
import pytest

from xpnet import models, nn, optim
from xpnet.autograd import Tensor
from xpnet.backends import host_reads_forbidden, raise_deferred, use_backend
from xpnet.backends._profile import profile
from xpnet.kernels import loss as K

MESSAGE = r"cross_entropy: target values must be in \[0, 4\) or ignore_index=-100, got 4"


def _bad_call(backend):
    x = backend.asarray(np.zeros((3, 4)))
    return K.cross_entropy(x, backend.asarray(np.array([0, 4, 1])))


def test_label_check_raises_at_once_on_numpy_and_at_the_next_host_read_on_strict(strict):
    from xpnet.backends import load_backend

    with pytest.raises(IndexError, match=MESSAGE):
        _bad_call(load_backend("numpy"))
    with profile(strict) as counted:
        loss = _bad_call(strict)  # no copy to the host, no sync
    assert (counted.device_to_host, counted.syncs) == (0, 0)
    with pytest.raises(IndexError, match=MESSAGE):
        strict.to_host(loss)
    assert float(strict.to_host(loss)) >= 0  # raised once, then the reads work again


@pytest.mark.parametrize("read", ["item", "float", "to_host", "get"])
def test_every_host_read_raises_the_pending_check(strict, read):
    loss = _bad_call(strict)
    reads = {
        "item": lambda: loss.item(),
        "float": lambda: float(loss),
        "to_host": lambda: strict.to_host(loss),
        "get": lambda: loss.get(),
    }
    with pytest.raises(IndexError, match=MESSAGE):
        reads[read]()


def test_valid_labels_leave_nothing_to_raise(strict):
    x = strict.asarray(np.zeros((3, 4)))
    loss = K.cross_entropy(x, strict.asarray(np.array([0, 3, -100])))
    np.testing.assert_allclose(strict.to_host(loss), np.log(4.0))
    raise_deferred()  # nothing pending


@pytest.mark.parametrize("read", ["item", "float", "to_host", "get"])
def test_host_reads_forbidden_refuses_every_read(strict, read):
    x = strict.xp.arange(3.0).sum()
    reads = {
        "item": lambda: x.item(),
        "float": lambda: float(x),
        "to_host": lambda: strict.to_host(x),
        "get": lambda: x.get(),
    }
    with host_reads_forbidden(), pytest.raises(RuntimeError, match="host_reads_forbidden"):
        reads[read]()
    assert reads[read]() is not None  # allowed again outside


@pytest.mark.parametrize(
    ("model_class", "shape"), [(models.LeNet, (8, 1, 28, 28)), (models.ResNet, (4, 3, 32, 32))]
)
def test_a_training_step_never_reads_the_device(strict, model_class, shape):
    rng = np.random.default_rng(0)
    with use_backend("strict"):
        model = model_class(in_channels=shape[1], image_size=shape[2])
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        images = Tensor(strict.asarray(rng.standard_normal(shape).astype(np.float32)))
        labels = strict.asarray(rng.integers(0, 10, shape[0]))
        with host_reads_forbidden():
            for _ in range(2):
                optimizer.zero_grad()
                loss = nn.CrossEntropyLoss()(model(images), labels)
                loss.backward()
                optimizer.step()
                scheduler.step()
    assert np.isfinite(loss.item())  # the read after the steps works
