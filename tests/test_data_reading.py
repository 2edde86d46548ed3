"""How the DataLoader reads datasets, against torch.utils.data: a Subset collates as its
dataset does, keys need not be integers, ``__getitems__`` reads a batch at once, the loader's
iterator has a length and its samplers' inputs are fixed, and PyTorch's option rules."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch.utils.data as tud
from _oracle import nested_lists as plain

import xpnet
import xpnet.data as xd

Point = collections.namedtuple("Point", "x label")


def _batches(module, dataset, **options):
    return [plain(batch) for batch in module.DataLoader(dataset, **options)]


class Records:
    """A dataset of dicts with a string field (bare class: no get_batch)."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return {"x": np.float32(index), "name": f"n{index}"}


class Nested:
    def __len__(self):
        return 4

    def __getitem__(self, index):
        return (np.array([index, index + 1]), index), f"s{index}"


class Points:
    def __len__(self):
        return 4

    def __getitem__(self, index):
        return Point(np.float64(index), index)


@pytest.mark.parametrize("dataset", [Records(), Nested(), Points()], ids=type)
def test_a_subset_collates_as_its_dataset(dataset):
    subset = {module: module.Subset(dataset, [2, 0, 3]) for module in (tud, xd)}
    expected = _batches(tud, subset[tud], batch_size=2)
    assert _batches(xd, subset[xd], batch_size=2) == expected
    whole = [type(batch) for batch in xd.DataLoader(dataset, batch_size=2)]
    assert [type(batch) for batch in xd.DataLoader(subset[xd], batch_size=2)] == whole


def test_a_split_of_tensor_samples_gives_tensors():
    class Samples(xd.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return xpnet.tensor([float(index)]), index

    train, _ = xd.random_split(Samples(), [2, 2], seed=0)
    images, labels = next(iter(xd.DataLoader(train, batch_size=2)))
    assert isinstance(images, xpnet.Tensor) and isinstance(labels, xpnet.Tensor)


def test_a_subset_of_arrays_still_reads_whole_batches():
    dataset = xd.TensorDataset(np.arange(10.0), np.arange(10))
    subset = xd.Subset(dataset, [7, 1, 4])
    assert subset.get_batch is not None
    assert [b.tolist() for b in next(iter(xd.DataLoader(subset, batch_size=3)))] == [
        [7.0, 1.0, 4.0],
        [7, 1, 4],
    ]
    assert xd.Subset(Records(), [1]).get_batch is None


class Keyed:
    """A dataset indexed by strings (and by lists of them)."""

    values = {"a": 1.0, "b": 2.0, "c": 3.0}

    def __len__(self):
        return 3

    def __getitem__(self, key):
        if isinstance(key, list):
            return [self.values[k] for k in key]
        return self.values[key]


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 2, "sampler": ["a", "b", "c"]},
        {"batch_size": None, "sampler": ["c", "a"]},
        {"batch_sampler": [["a", "b"], ["c"]]},
        {"batch_size": None, "sampler": [["a", "b"], ["c"]]},
    ],
)
def test_datasets_take_keys_that_are_not_integers(options):
    assert _batches(xd, Keyed(), **options) == _batches(tud, Keyed(), **options)


def test_a_subset_keeps_keys_that_are_not_integers():
    assert tud.Subset(Keyed(), ["b"])[0] == xd.Subset(Keyed(), ["b"])[0] == 2.0
    assert xd.Subset(Keyed(), ["b", "c"]).indices == ["b", "c"]
    assert xd.Subset(Keyed(), np.array([2, 0])).indices.dtype == np.int64


def test_samplers_give_python_ints():
    seen = []

    class Checked:
        def __len__(self):
            return 3

        def __getitem__(self, index):
            seen.append(type(index))
            return float(index)

    for options in ({"batch_size": 2}, {"batch_size": None}, {"batch_size": 2, "shuffle": True}):
        list(xd.DataLoader(Checked(), **options))
    assert set(seen) == {int}


class Batched:
    """Reads a batch at once; reading one sample is an error."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        raise RuntimeError("__getitem__ called")

    def __getitems__(self, indices):
        return [float(index) * 10 for index in indices]


def test_getitems_reads_a_batch_at_once():
    assert _batches(xd, Batched(), batch_size=2) == _batches(tud, Batched(), batch_size=2)
    subset = {module: module.Subset(Batched(), [3, 1]) for module in (tud, xd)}
    assert subset[xd].__getitems__([0, 1]) == subset[tud].__getitems__([0, 1]) == [30.0, 10.0]


@pytest.mark.parametrize("named", [False, True])
def test_stack_dataset_reads_a_batch_at_once(named):
    def stack(module):
        parts = [Batched(), list(range(4))]
        return module.StackDataset(a=parts[0], b=parts[1]) if named else module.StackDataset(*parts)

    assert stack(xd).__getitems__([2, 0]) == stack(tud).__getitems__([2, 0])

    class Short(Batched):
        def __getitems__(self, indices):
            return [0.0]

    with pytest.raises(ValueError, match="output size mismatch"):
        xd.StackDataset(Short(), list(range(4))).__getitems__([0, 1])


def test_the_iterator_has_the_loaders_length():
    for module in (tud, xd):
        assert len(iter(module.DataLoader(list(range(10)), batch_size=3))) == 4


@pytest.mark.parametrize(
    "name", ["batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"]
)
def test_what_the_samplers_are_built_from_is_fixed(name):
    for module in (tud, xd):
        loader = module.DataLoader(list(range(10)), batch_size=3)
        with pytest.raises(ValueError, match=f"{name} attribute should not be set"):
            setattr(loader, name, 5)
    loader = xd.DataLoader(list(range(10)), batch_size=3)
    loader.num_workers = 0  # other attributes stay free, as in PyTorch
    assert len(loader) == 4


def test_a_timeout_needs_workers():
    with pytest.raises(ValueError, match="timeout=5 needs num_workers > 0"):
        xd.DataLoader(list(range(3)), timeout=5)
    assert len(xd.DataLoader(list(range(3)), timeout=5, num_workers=1)) == 3


@pytest.mark.parametrize("lengths", [[1], [1, 0, 0], [0, 1]])
def test_integer_lengths_summing_to_one_are_fractions(lengths):
    def sizes(module):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the empty splits' warnings, checked elsewhere
            return [len(part) for part in module.random_split(range(3), lengths)]

    assert sizes(xd) == sizes(tud)


@pytest.mark.parametrize("samples", [[1, 2.5], [2.5, 1], [True, 2], [1, True], [-(2**63), 1]])
def test_python_numbers_collate_as_pytorch(samples):
    expected = tud.default_collate(samples)
    batch = xd.default_collate(samples)
    assert str(batch.dtype) == str(expected.dtype).removeprefix("torch.")
    assert batch.tolist() == expected.tolist()


def test_ints_past_int64_are_refused():
    with pytest.raises(ValueError, match="Overflow"):
        tud.default_collate([2**63, 1])
    with pytest.raises(ValueError, match="default_collate: 9223372036854775808 overflows int64"):
        xd.default_collate([2**63, 1])
