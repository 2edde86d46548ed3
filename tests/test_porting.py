"""What a PyTorch script needs to run by changing its imports: Tensor methods, devices, the
DataLoader's options and torchvision-style transforms, each against PyTorch."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import xpnet
from xpnet import nn
from xpnet.backends import registered_backends
from xpnet.data import DataLoader, Dataset, TensorDataset, default_collate, transforms


def host(value):
    return xpnet.to_numpy(value.array if isinstance(value, xpnet.Tensor) else value)


def on_the_host(backend):
    """Whether ``backend`` keeps its arrays on the host (numpy, strict): ``"cpu"`` is then that
    backend, and otherwise numpy (docs/porting.md, "Devices are backends")."""
    return not any(entry.gpu for entry in registered_backends() if entry.name == backend.name)


# -- Tensor methods ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin_match_torch(xp, name, dim, keepdim):
    values = np.random.default_rng(0).normal(size=(4, 5))
    ours = getattr(xpnet.Tensor(xp.asarray(values)), name)(dim=dim, keepdim=keepdim)
    theirs = getattr(torch.from_numpy(values), name)(dim=dim, keepdim=keepdim)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(host(ours), theirs.numpy())
    assert ours.dtype == np.int64 and not ours.requires_grad


def test_the_ported_accuracy_line_matches_torch(xp):
    """``pred.eq(target.view_as(pred)).sum().item()`` from pytorch/examples' mnist."""
    rng = np.random.default_rng(1)
    output, target = rng.normal(size=(32, 10)), rng.integers(0, 10, 32)
    output[np.arange(0, 32, 3), target[::3]] = 10.0  # a third at least are right
    pred = xpnet.Tensor(xp.asarray(output)).argmax(dim=1, keepdim=True)
    ours = pred.eq(xpnet.Tensor(xp.asarray(target)).view_as(pred)).sum().item()
    pred_t = torch.from_numpy(output).argmax(dim=1, keepdim=True)
    assert ours == pred_t.eq(torch.from_numpy(target).view_as(pred_t)).sum().item() >= 11
    assert isinstance(ours, int)


def test_eq_ne_broadcast_numbers_and_arrays(xp):
    tensor = xpnet.Tensor(xp.asarray([1, 2, 3]))
    assert host(tensor.eq(2)).tolist() == [False, True, False]
    assert host(tensor.ne(xp.asarray([1, 0, 3]))).tolist() == [False, True, False]
    assert tensor.eq(tensor).dtype == np.bool_


def test_view_as_is_differentiable(xp):
    x = xpnet.Tensor(xp.arange(6.0), requires_grad=True)
    y = x.view_as(xpnet.Tensor(xp.zeros((2, 3))))
    assert y.shape == (2, 3)
    (y * xp.asarray([[1.0, 2, 3], [4, 5, 6]])).sum().backward()
    np.testing.assert_array_equal(host(x.grad), np.arange(1.0, 7))


def test_float_long_double_and_to_dtype(xp):
    x = xpnet.Tensor(xp.asarray([1.5, -2.5]), requires_grad=True)
    assert x.float().dtype == np.float32 and x.double() is x
    assert x.long().dtype == np.int64 and not x.long().requires_grad
    np.testing.assert_array_equal(host(x.long()), torch.tensor([1.5, -2.5]).long().numpy())
    (x.float() * 3).sum().backward()  # the gradient goes back in float64
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(host(x.grad), [3.0, 3.0])
    assert x.to("float32").dtype == np.float32 and x.to(dtype=np.float32).dtype == np.float32


def test_sum_dim_size_dim_tolist(xp):
    x = xpnet.Tensor(xp.arange(6.0).reshape(2, 3))
    t = torch.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(host(x.sum(1)), t.sum(1).numpy())
    np.testing.assert_array_equal(host(x.sum(dim=0, keepdim=True)), t.sum(0, True).numpy())
    assert x.size() == tuple(t.size()) and x.size(1) == t.size(1) and x.dim() == t.dim()
    assert x.tolist() == t.tolist()


@pytest.mark.parametrize(("start", "end"), [(0, -1), (1, -1), (1, 2), (0, 1), (-2, -1)])
def test_flatten_matches_torch(xp, start, end):
    values = np.arange(24.0).reshape(2, 3, 4)
    ours = xpnet.flatten(xpnet.Tensor(xp.asarray(values)), start, end)
    assert ours.shape == tuple(torch.flatten(torch.from_numpy(values), start, end).shape)
    assert xpnet.flatten(xp.asarray(values), 1).shape == (2, 12)  # arrays too


# -- devices ----------------------------------------------------------------------------------
def test_device_objects_follow_torch():
    for text in ["cpu", "cuda", "cuda:0", "cuda:3"]:
        ours, theirs = xpnet.device(text), torch.device(text)
        assert (ours.type, ours.index, str(ours)) == (theirs.type, theirs.index, str(theirs))
        assert repr(ours) == repr(theirs)
    assert xpnet.device("cuda", 1) == "cuda:1" and xpnet.device(xpnet.device("cpu")) == "cpu"
    assert len({xpnet.device("cpu"), xpnet.device("cpu")}) == 1


@pytest.mark.parametrize("bad", ["mps", "cuda:x", "cuda:-1", "cpu:-1", 3, ""])
def test_device_rejects_other_types(bad):
    with pytest.raises(ValueError, match="device: "):
        xpnet.device(bad)


def test_cpu_means_the_current_host_backend(backend):
    x = xpnet.Tensor(backend.xp.ones(2))
    layer = nn.Linear(2, 2).to("cpu")
    if on_the_host(backend):
        assert x.to("cpu") is x and x.cpu() is x and x.to(xpnet.device("cpu")) is x
        assert x.device == xpnet.device("cpu")
        assert xpnet.backend_of(layer.weight.array).name == backend.name
        return
    # on a GPU backend "cpu" is numpy: a copy there, as torch's .cpu() of a CUDA tensor
    assert x.device.type == "cuda"
    for moved in (x.to("cpu"), x.cpu(), x.to(xpnet.device("cpu"))):
        assert type(moved.array) is np.ndarray and moved.device == xpnet.device("cpu")
        np.testing.assert_array_equal(moved.array, [1.0, 1.0])
    assert xpnet.backend_of(layer.weight.array).name == "numpy"


def test_to_moves_between_backends_with_gradients():
    x = xpnet.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.to("strict")
    assert xpnet.backend_of(y.array).name == "strict" and y.grad_fn is not None
    (y * 2).sum().backward()
    assert type(x.grad.array) is np.ndarray
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    moved = nn.Linear(2, 3).to("strict").to("numpy")
    assert type(moved.weight.array) is np.ndarray


@pytest.mark.skipif(xpnet.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error():
    assert xpnet.cuda.device_count() == 0 and not xpnet.accelerator.is_available()
    assert xpnet.accelerator.current_accelerator() is None
    for call in (
        lambda: xpnet.Tensor(np.ones(2)).to("cuda"),
        lambda: xpnet.Tensor(np.ones(2)).cuda(),
        lambda: nn.Linear(2, 2).to("cuda:0"),
        lambda: nn.Linear(2, 2).cuda(),
    ):
        with pytest.raises(RuntimeError, match="CUDA is not available: .*pip install"):
            call()


def test_tensor_to_rejects_what_is_neither_device_nor_dtype():
    x = xpnet.Tensor(np.ones(2))
    with pytest.raises(TypeError, match="Tensor.to: expected a device"):
        x.to(object())
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(bogus=True)  # copy= is PyTorch's, taken since 2026-12-07
    assert x.to("cpu", non_blocking=True).device == "cpu"


# -- DataLoader -------------------------------------------------------------------------------
class Samples(Dataset):
    """Sample by sample (no get_batch); records the threads that read it."""

    def __init__(self, count=23, tensors=False):
        self.count, self.tensors, self.threads = count, tensors, set()

    def __getitem__(self, index):
        self.threads.add(threading.get_ident())
        image = np.full((1, 2, 2), index, dtype=np.float32)
        return (xpnet.Tensor(image) if self.tensors else image), index

    def __len__(self):
        return self.count


def labels_of(loader):
    return [host(labels).tolist() for _, labels in loader]


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("drop_last", [False, True])
def test_workers_give_the_same_batches_in_the_same_order(backend, workers, drop_last):
    options = {"batch_size": 4, "shuffle": True, "drop_last": drop_last}
    reference = labels_of(DataLoader(Samples(), **options, seed=3))
    dataset = Samples()
    loader = DataLoader(dataset, **options, seed=3, num_workers=workers, prefetch_factor=1)
    assert labels_of(loader) == reference
    assert len(reference) == (5 if drop_last else 6) and len(loader) == len(reference)
    assert threading.get_ident() not in dataset.threads  # gathered in the background
    images, labels = next(iter(loader))
    assert type(images) is backend.ndarray and type(labels) is backend.ndarray


def test_persistent_workers_keep_their_threads_and_epochs_differ():
    loader = DataLoader(Samples(), 5, True, num_workers=2, persistent_workers=True, seed=0)
    first, second = labels_of(loader), labels_of(loader)
    pool = loader._pool
    assert pool is not None and first != second
    assert sorted(sum(first, [])) == sorted(sum(second, [])) == list(range(23))
    labels_of(loader)
    assert loader._pool is pool
    transient = DataLoader(Samples(), 5, num_workers=2)
    labels_of(transient)
    assert transient._pool is None


def test_stopping_early_with_workers_does_not_hang():
    loader = DataLoader(Samples(100), batch_size=2, num_workers=2)
    for batch_index, _ in enumerate(loader):
        if batch_index == 3:
            break
    assert labels_of(loader)[0] == [0, 1]


def test_tensor_samples_give_tensor_batches_with_to(backend):
    images, labels = next(iter(DataLoader(Samples(tensors=True), batch_size=4)))
    assert isinstance(images, xpnet.Tensor) and isinstance(labels, xpnet.Tensor)
    assert type(images.array) is backend.ndarray and labels.dtype == np.int64
    assert host(labels).tolist() == [0, 1, 2, 3]
    if on_the_host(backend):
        assert images.to("cpu") is images
    else:  # "cpu" is numpy: a copy there
        assert type(images.to("cpu").array) is np.ndarray
        np.testing.assert_array_equal(images.to("cpu").array, host(images))
    dataset = TensorDataset(xpnet.Tensor(np.zeros((5, 3))), xpnet.Tensor(np.arange(5)))
    batch = next(iter(DataLoader(dataset, batch_size=2, num_workers=1)))
    assert all(isinstance(field, xpnet.Tensor) for field in batch)
    subset = xpnet.data.Subset(dataset, [4, 2])
    assert host(next(iter(DataLoader(subset, batch_size=2)))[1]).tolist() == [4, 2]


def test_collate_fn_gets_the_samples_and_arrays_go_to_the_backend(backend):
    seen = []

    def collate(samples):
        seen.append(len(samples))
        images, labels = default_collate(samples)
        return images * 2, labels, "note"

    batches = list(DataLoader(Samples(5), batch_size=2, collate_fn=collate, num_workers=2))
    # the two workers collate concurrently, so only the batches' order is fixed, not the calls'
    assert sorted(seen) == [1, 2, 2] and [batch[2] for batch in batches] == ["note"] * 3
    assert type(batches[0][0]) is backend.ndarray
    np.testing.assert_array_equal(host(batches[1][0])[:, 0, 0, 0], [4.0, 6.0])


def test_pin_memory_is_accepted_and_a_no_op_on_cpu_backends(backend):
    plain = labels_of(DataLoader(Samples(), 4, pin_memory=True, num_workers=2))
    assert plain == labels_of(DataLoader(Samples(), 4))


def test_pin_memory_stages_in_the_backends_pinned_host(monkeypatch, backend):
    pinned = []

    def pinned_host(array):
        pinned.append(array.shape)
        return array.copy()

    monkeypatch.setattr(backend, "pinned_host", pinned_host, raising=False)
    list(DataLoader(Samples(6), batch_size=3, pin_memory=True))
    assert pinned == [(3, 1, 2, 2), (3,)] * 2


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"num_workers": -1}, ValueError, "num_workers must be a non-negative integer"),
        ({"num_workers": 1.5}, ValueError, "num_workers must be a non-negative integer"),
        ({"persistent_workers": True}, ValueError, "persistent_workers=True needs num_workers"),
        ({"prefetch_factor": 2}, ValueError, "prefetch_factor must be .* needs num_workers"),
        ({"num_workers": 1, "prefetch_factor": 0}, ValueError, "prefetch_factor must be"),
        ({"collate_fn": "stack"}, TypeError, "collate_fn must be callable, got str"),
    ],
)
def test_loader_options_are_checked(options, error, message):
    with pytest.raises(error, match=f"DataLoader: {message}"):
        DataLoader(Samples(), **options)


def test_an_error_in_a_worker_reaches_the_loop():
    class Broken(Samples):
        def __getitem__(self, index):
            if index == 6:
                raise KeyError("sample 6 is missing")
            return super().__getitem__(index)

    with pytest.raises(KeyError, match="sample 6 is missing"):
        list(DataLoader(Broken(), batch_size=2, num_workers=2))


# -- transforms -------------------------------------------------------------------------------
def test_to_tensor_and_normalize_match_torchvision_formulas():
    image = np.random.default_rng(0).integers(0, 256, (5, 4), dtype=np.uint8)
    tensor = transforms.ToTensor()(image)
    expected = torch.from_numpy(image).float().div(255).unsqueeze(0)  # torchvision's ToTensor
    assert isinstance(tensor, xpnet.Tensor) and tensor.dtype == np.float32
    np.testing.assert_array_equal(host(tensor), expected.numpy())
    normalized = transforms.Normalize((0.1307,), (0.3081,))(tensor)
    np.testing.assert_allclose(host(normalized), ((expected - 0.1307) / 0.3081).numpy(), 1e-6)
    rgb = transforms.ToTensor()(np.ones((2, 3, 3), dtype=np.float64))
    assert rgb.shape == (3, 2, 3) and rgb.dtype == np.float64 and host(rgb).max() == 1.0
    composed = transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda t: t * 2)])
    np.testing.assert_array_equal(host(composed(image)), 2 * expected.numpy())
    assert "ToTensor()" in repr(composed)


def test_transforms_reject_bad_input():
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        transforms.ToTensor()(np.zeros(3))
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to float64"):
        transforms.Normalize((0.5,), (0.0,))(np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="could not be broadcast"):
        transforms.Normalize((0.5, 0.5), (1, 1))(np.zeros((3, 2, 2)))
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        transforms.Lambda(3)


# -- the ported example and its guide --------------------------------------------------------
def test_the_porting_guide_shows_exactly_how_examples_mnist_differs():
    """The diff in docs/porting.md matches examples/mnist.py at its line numbers, and every
    line of the example that is xpnet's own is a ``+`` line of that diff."""
    root = Path(__file__).parents[1]
    guide = (root / "docs" / "porting.md").read_text()
    diff = re.search(r"```diff\n(.*?)```", guide, re.S)[1].splitlines()
    example = (root / "examples" / "mnist.py").read_text().splitlines()
    added, hunks = set(), 0
    for number, line in enumerate(diff):
        header = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@", line)
        if not header:
            continue
        hunks, position = hunks + 1, int(header[1]) - 1
        for body in diff[number + 1 :]:
            if body.startswith("@@"):
                break
            if body.startswith("-"):
                continue
            assert example[position] == body[1:], f"line {position + 1} differs from the guide"
            if body.startswith("+"):
                added.add(position)
            position += 1
    assert hunks == 2
    own = {i for i, line in enumerate(example) if "xpnet" in line or "torch.data." in line}
    assert own <= added and len(added) == 11
