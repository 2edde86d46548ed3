"""``xpnet.ops``' detection losses and DropBlock against torchvision 0.28's (the oracle): loss
values and gradients in float64 through ``torch.autograd``, reductions, ``eps``, dtypes and
errors; DropBlock's deterministic parts, with the random block centres given to both sides.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision

import xpnet
from xpnet import ops

torchvision = import_torchvision()
tv_ops = torchvision.ops


def _tensor(values, requires_grad=False):
    """A Tensor on the backend under test (``xpnet.tensor`` keeps a NumPy array on NumPy)."""
    return xpnet.tensor(xpnet.asarray(values), requires_grad=requires_grad)


BOX_LOSSES = ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"]


def _check(ours, theirs, rtol=1e-10, atol=1e-12):
    theirs = theirs.detach()
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(xpnet.to_numpy(ours), theirs.numpy(), rtol=rtol, atol=atol)


def _box_pairs(rng):
    """Matching ``[2, 4, 4]`` float64 box pairs: overlapping, disjoint, identical, touching."""
    corner = rng.uniform(0, 10, (2, 4, 2))
    boxes1 = np.concatenate([corner, corner + rng.uniform(0.5, 6, (2, 4, 2))], axis=-1)
    boxes2 = boxes1 + rng.uniform(-2, 2, (2, 4, 4))
    boxes2[..., 2:] = np.maximum(boxes2[..., 2:], boxes2[..., :2] + 0.25)
    boxes2[0, 1] = boxes1[0, 1] + 40.0  # disjoint
    boxes2[1, 2] = boxes1[1, 2]  # identical
    boxes2[1, 3] = boxes1[1, 3] + [boxes1[1, 3, 2] - boxes1[1, 3, 0], 0, 0, 0]  # touching in x
    boxes2[0, 2] = boxes1[0, 2] + [0, 0, 0, boxes1[0, 2, 3] - boxes1[0, 2, 1]]  # in y
    boxes2[0, 2, 1] = boxes1[0, 2, 3]
    return boxes1, boxes2


@pytest.mark.parametrize("name", BOX_LOSSES)
@pytest.mark.parametrize(("reduction", "eps"), [("none", 1e-7), ("mean", 1e-7), ("sum", 0.5)])
def test_box_losses_values_and_gradients(backend, name, reduction, eps):
    boxes = _box_pairs(np.random.default_rng(0))
    ours = [_tensor(b, requires_grad=True) for b in boxes]
    theirs = [torch.tensor(b, requires_grad=True) for b in boxes]
    result = getattr(ops, name)(*ours, reduction=reduction, eps=eps)
    expected = getattr(tv_ops, name)(*theirs, reduction=reduction, eps=eps)
    _check(result, expected)
    weights = np.random.default_rng(1).uniform(-1, 1, expected.shape)
    (result * _tensor(weights)).sum().backward()
    (expected * torch.from_numpy(weights)).sum().backward()
    for mine, reference in zip(ours, theirs, strict=True):
        _check(mine.grad, reference.grad)


@pytest.mark.parametrize("name", BOX_LOSSES)
def test_box_losses_dtypes_empty_batches_and_errors(backend, name):
    boxes = np.array([[0, 0, 4, 4], [2, 1, 7, 9]])
    targets = np.array([[1, 1, 5, 3], [2, 1, 7, 9]])
    for dtype in ("int64", "float16", "float32"):
        b1, b2 = boxes.astype(dtype), targets.astype(dtype)
        expected = getattr(tv_ops, name)(torch.from_numpy(b1), torch.from_numpy(b2))
        _check(getattr(ops, name)(_tensor(b1), _tensor(b2)), expected, rtol=1e-6, atol=1e-6)
    empty = np.zeros((0, 4))
    expected = getattr(tv_ops, name)(
        torch.from_numpy(empty), torch.from_numpy(empty), reduction="mean"
    )
    _check(getattr(ops, name)(_tensor(empty), _tensor(empty), reduction="mean"), expected)
    with pytest.raises(
        ValueError, match="Invalid Value for arg 'reduction': 'avg \n Supported reduction modes"
    ):
        getattr(ops, name)(_tensor(boxes * 1.0), _tensor(targets * 1.0), reduction="avg")


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2), (-1, 1.5), (0.0, 0)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_sigmoid_focal_loss_values_and_gradients(backend, alpha, gamma, reduction):
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 3, (3, 5))
    targets = (rng.uniform(size=(3, 5)) > 0.6).astype(np.float64)
    targets[0, 0] = 0.3  # soft targets are accepted
    ours = _tensor(logits, requires_grad=True)
    theirs = torch.tensor(logits, requires_grad=True)
    result = ops.sigmoid_focal_loss(ours, _tensor(targets), alpha, gamma, reduction)
    expected = tv_ops.sigmoid_focal_loss(theirs, torch.from_numpy(targets), alpha, gamma, reduction)
    _check(result, expected)
    result.sum().backward()
    expected.sum().backward()
    _check(ours.grad, theirs.grad)


def test_sigmoid_focal_loss_errors(backend):
    x = xpnet.zeros(2)
    with pytest.raises(
        ValueError, match=r"Invalid alpha value: 1.5. alpha must be in the range \[0,1\] or -1"
    ):
        ops.sigmoid_focal_loss(x, x, alpha=1.5)
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction': 'max \n"):
        ops.sigmoid_focal_loss(x, x, reduction="max")


def _given_centres(monkeypatch, seeds):
    """Both sides' ``bernoulli_`` fill the block centres with ``seeds`` and record ``p``."""
    drawn = {}

    def torch_fill(self, p):
        drawn["torch"] = p
        return self.copy_(torch.from_numpy(seeds))

    def xpnet_fill(self, p):
        drawn["xpnet"] = p
        return self.copy_(_tensor(seeds))

    monkeypatch.setattr(torch.Tensor, "bernoulli_", torch_fill)
    monkeypatch.setattr(xpnet.Tensor, "bernoulli_", xpnet_fill)
    return drawn


@pytest.mark.parametrize(
    ("dims", "shape", "block_size"),
    [(2, (2, 3, 6, 7), 3), (2, (1, 2, 5, 6), 9), (3, (1, 2, 4, 5, 6), 3)],
)
@pytest.mark.parametrize("inplace", [False, True])
def test_drop_block_given_centres(backend, monkeypatch, dims, shape, block_size, inplace):
    rng = np.random.default_rng(3)
    block = min(block_size, *shape[2:])
    seeds = (rng.uniform(size=(*shape[:2], *[s - block + 1 for s in shape[2:]])) > 0.7).astype(
        np.float64
    )
    drawn = _given_centres(monkeypatch, seeds)
    values = rng.normal(size=shape)
    function = f"drop_block{dims}d"
    ours = _tensor(values, requires_grad=not inplace)
    theirs = torch.tensor(values, requires_grad=not inplace)
    result = getattr(ops, function)(ours, 0.3, block_size, inplace=inplace, eps=1e-3)
    expected = getattr(tv_ops, function)(theirs, 0.3, block_size, inplace=inplace, eps=1e-3)
    assert drawn["xpnet"] == drawn["torch"]
    _check(result, expected, rtol=1e-12)
    if inplace:
        assert result is ours
        return
    result.sum().backward()
    expected.sum().backward()
    _check(ours.grad, theirs.grad, rtol=1e-12)


def test_drop_block_identity_shapes_and_errors(backend):
    x = xpnet.ones(2, 3, 5, 5)
    assert ops.drop_block2d(x, 0.0, 3) is x
    assert ops.drop_block2d(x, 0.5, 3, training=False) is x
    assert ops.drop_block2d(x, 0.5, 3).shape == (2, 3, 5, 5)
    assert ops.drop_block3d(xpnet.ones(1, 2, 3, 4, 5), 0.5, 3).shape == (1, 2, 3, 4, 5)
    with pytest.raises(
        ValueError, match="drop probability has to be between 0 and 1, but got 1.5."
    ):
        ops.drop_block2d(x, 1.5, 3)
    with pytest.raises(ValueError, match="input should be 4 dimensional. Got 3 dimensions."):
        ops.drop_block2d(xpnet.ones(3, 5, 5), 0.5, 3)
    with pytest.raises(ValueError, match="input should be 5 dimensional. Got 4 dimensions."):
        ops.drop_block3d(x, 0.5, 3)
    with pytest.raises(ValueError, match="block size should be odd. Got 4 which is even."):
        ops.drop_block2d(x, 0.5, 4)


def test_drop_block_modules(backend):
    for ours, theirs in [
        (ops.DropBlock2d(0.2, 3), tv_ops.DropBlock2d(0.2, 3)),
        (ops.DropBlock3d(0.1, 5, True), tv_ops.DropBlock3d(0.1, 5, True)),
    ]:
        assert repr(ours) == repr(theirs)
        assert (
            vars(theirs)["p"] == ours.p
            and theirs.eps == ours.eps
            and theirs.inplace == ours.inplace
        )
    layer = ops.DropBlock2d(0.5, 3).eval()
    x = xpnet.ones(1, 1, 4, 4)
    assert layer(x) is x
