"""PyTorch's samplers (``xpnet.data.sampler``) against ``torch.utils.data``, and the DataLoader
fed by them.

Deterministic results (sequential and batch samplers, lengths, errors) are compared with
torch's exactly; random ones (NumPy's numbers, not PyTorch's) by the multiset of indices and,
for the weighted sampler, by frequencies under a fixed seed with a loose bound.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import xpnet
from xpnet.data import (
    BatchSampler,
    DataLoader,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)

torch = pytest.importorskip("torch")
D = torch.utils.data


def dataset_of(count):
    return TensorDataset(np.arange(count * 2.0).reshape(count, 2), np.arange(count))


def labels_of(loader):
    return [xpnet.to_numpy(labels).tolist() for _, labels in loader]


@pytest.mark.parametrize("count", [0, 1, 7])
def test_sequential_sampler_matches_torch(count):
    ours, theirs = SequentialSampler(range(count)), D.SequentialSampler(range(count))
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("count", [0, 5, 6, 7])
@pytest.mark.parametrize("batch_size", [1, 3, 8])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(count, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(count)), batch_size, drop_last)
    theirs = D.BatchSampler(D.SequentialSampler(range(count)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(BatchSampler(range(count), batch_size, drop_last)) == list(theirs)


def test_batch_sampler_of_an_iterator_has_no_length_as_torch():
    ours = BatchSampler(iter(range(5)), 2, False)
    assert list(ours) == [[0, 1], [2, 3], [4]]
    with pytest.raises(TypeError, match="has no len"):
        len(BatchSampler(iter(range(5)), 2, False))
    with pytest.raises(TypeError, match="has no len"):
        len(D.BatchSampler(iter(range(5)), 2, False))


# (our sampler, torch's, iterate?): each raises the same exception type, and our message
# holds torch's after the sampler's name
ERRORS = [
    ("RandomSampler", (range(3),), {"replacement": 1}, False),
    ("RandomSampler", (range(3),), {"num_samples": 0}, False),
    ("RandomSampler", (range(3),), {"num_samples": 2.0}, False),
    ("RandomSampler", (range(3),), {"num_samples": np.int64(2)}, False),
    ("RandomSampler", ([],), {}, False),
    ("WeightedRandomSampler", ([1.0, 2.0], 0), {}, False),
    ("WeightedRandomSampler", ([1.0, 2.0], 2.0), {}, False),
    ("WeightedRandomSampler", ([1.0, 2.0], True), {}, False),
    ("WeightedRandomSampler", ([1.0, 2.0], 2), {"replacement": 1}, False),
    ("WeightedRandomSampler", (1.0, 2), {}, False),
    ("WeightedRandomSampler", ([[1.0], [2.0]], 2), {}, False),
    ("WeightedRandomSampler", ([0.0, 0.0], 2), {}, True),
    ("WeightedRandomSampler", ([], 2), {}, True),
    ("WeightedRandomSampler", ([-1.0, 2.0], 2), {}, True),
    ("WeightedRandomSampler", ([float("nan"), 2.0], 2), {}, True),
    ("WeightedRandomSampler", ([float("inf"), 2.0], 2), {}, True),
    ("WeightedRandomSampler", ([1.0, 0.0, 2.0], 4), {"replacement": False}, True),
    ("BatchSampler", (range(3), 0, False), {}, False),
    ("BatchSampler", (range(3), True, False), {}, False),
    ("BatchSampler", (range(3), 2.0, False), {}, False),
    ("BatchSampler", (range(3), np.int64(2), False), {}, False),
    ("BatchSampler", (range(3), 2, 0), {}, False),
]


@pytest.mark.parametrize("name, args, kwargs, iterate", ERRORS)
def test_samplers_reject_what_torch_rejects(name, args, kwargs, iterate):
    def run(module):
        sampler = getattr(module, name)(*args, **kwargs)
        return list(sampler) if iterate else sampler

    with pytest.raises(Exception) as theirs:
        run(D)
    with pytest.raises(theirs.type) as ours:
        run(xpnet.data)
    assert str(ours.value) == f"{name}: {theirs.value}" or (
        str(ours.value).startswith(f"{name}: {theirs.value}, got weights of shape")
    )


def test_sampler_base_class_needs_iter_and_has_no_len():
    assert not hasattr(Sampler, "__len__") and not hasattr(D.Sampler, "__len__")
    with pytest.raises(NotImplementedError, match="Sampler: Sampler must define __iter__"):
        iter(Sampler())
    assert Sampler[int] is not None and issubclass(DistributedSampler, Sampler)
    assert isinstance(BatchSampler(range(2), 1, False), Sampler)


@pytest.mark.parametrize(
    "make",
    [
        lambda g: RandomSampler(range(3), generator=g),
        lambda g: SubsetRandomSampler([0, 1], generator=g),
        lambda g: WeightedRandomSampler([1.0], 1, generator=g),
    ],
)
def test_samplers_reject_a_torch_generator(make):
    with pytest.raises(TypeError, match="Sampler: generator must be a numpy.random.Generator"):
        make(torch.Generator())


def test_random_sampler_of_an_empty_source_with_num_samples_raises_on_iteration():
    # PyTorch: ZeroDivisionError without replacement, RuntimeError with
    for replacement in (False, True):
        sampler = RandomSampler([], replacement=replacement, num_samples=3)
        with pytest.raises(ValueError, match="RandomSampler: cannot draw 3 indices from an empty"):
            list(sampler)


@pytest.mark.parametrize("num_samples", [None, 1, 7, 23])
def test_random_sampler_without_replacement_draws_permutations(num_samples):
    ours = RandomSampler(range(7), num_samples=num_samples)
    theirs = D.RandomSampler(range(7), num_samples=num_samples)
    drawn = list(ours)
    assert len(ours) == len(theirs) == len(drawn) == len(list(theirs))
    for start in range(0, len(drawn), 7):  # each block of len(data_source) is distinct
        block = drawn[start : start + 7]
        assert len(set(block)) == len(block) and set(block) <= set(range(7))
    assert sorted(collections.Counter(drawn).values()) == sorted(
        collections.Counter(list(theirs)).values()
    )


@pytest.mark.parametrize("num_samples", [None, 1, 31, 32, 70])
def test_random_sampler_with_replacement_draws_in_range(num_samples):
    ours = RandomSampler(range(5), replacement=True, num_samples=num_samples)
    theirs = D.RandomSampler(range(5), replacement=True, num_samples=num_samples)
    drawn = list(ours)
    assert len(ours) == len(theirs) == len(drawn) and set(drawn) <= set(range(5))
    assert all(type(index) is int for index in drawn)
    if num_samples == 70:  # 70 draws of 5 values: a repeat is certain
        assert len(set(drawn)) < len(drawn)


@pytest.mark.parametrize(
    "make",
    [
        lambda g: RandomSampler(range(20), generator=g),
        lambda g: RandomSampler(range(20), replacement=True, num_samples=40, generator=g),
        lambda g: SubsetRandomSampler(list(range(3, 23)), generator=g),
        lambda g: WeightedRandomSampler(np.arange(1.0, 21.0), 30, generator=g),
        lambda g: WeightedRandomSampler(np.arange(1.0, 21.0), 20, False, generator=g),
    ],
)
def test_samplers_are_reproducible_after_manual_seed_and_with_a_generator(make):
    xpnet.manual_seed(0)
    sampler = make(None)
    first, second = list(sampler), list(sampler)
    assert first != second  # a new order each iteration, as from torch's default generator
    xpnet.manual_seed(0)
    assert [list(sampler), list(sampler)] == [first, second]
    xpnet.manual_seed(1)
    assert list(make(None)) != first
    ours = make(xpnet.Generator().manual_seed(5))
    again = make(np.random.default_rng(np.random.PCG64(5)))  # the same bits as Generator(5)
    assert [list(ours), list(ours)] == [list(again), list(again)]
    assert list(make(xpnet.Generator().manual_seed(5))) != list(ours)


def test_random_sampler_stream_is_its_own_once_started():
    """As PyTorch: a seed is drawn once per iteration, so drawing from the global generator
    between two indices does not change the rest of the order."""
    sampler = RandomSampler(range(100), replacement=True)
    xpnet.manual_seed(3)
    whole = list(sampler)
    xpnet.manual_seed(3)
    indices = iter(sampler)
    head = [next(indices)]
    xpnet.randn(10)
    assert head + list(indices) == whole


def test_subset_random_sampler_yields_its_indices_as_they_are():
    indices = np.array([9, 4, 7])
    ours, theirs = SubsetRandomSampler(indices), D.SubsetRandomSampler(indices)
    drawn = list(ours)
    assert sorted(drawn) == sorted(theirs) == [4, 7, 9] and len(ours) == len(theirs) == 3
    assert {type(i) for i in drawn} == {type(i) for i in theirs} == {np.int64}
    assert list(SubsetRandomSampler([])) == []


def test_weighted_sampler_with_replacement_follows_the_weights():
    weights = [1.0, 0.0, 2.0, 3.0, 4.0]
    expected = np.array(weights) / sum(weights)
    ours = WeightedRandomSampler(weights, 20000, generator=xpnet.Generator().manual_seed(0))
    generator = torch.Generator().manual_seed(0)
    theirs = D.WeightedRandomSampler(weights, 20000, generator=generator)
    for sampler in (ours, theirs):
        frequencies = np.bincount(list(sampler), minlength=5) / 20000
        assert frequencies[1] == 0
        assert np.abs(frequencies - expected).max() < 0.02  # about 7 standard deviations


def test_weighted_sampler_without_replacement_draws_from_what_is_left():
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    total = weights.sum()
    # P(second = j) = sum over i != j of w_i / W * w_j / (W - w_i)
    second = [
        sum(w * weights[j] / (total - w) for i, w in enumerate(weights) if i != j) / total
        for j in range(4)
    ]
    for sampler in (
        WeightedRandomSampler(weights, 2, False, generator=xpnet.Generator().manual_seed(0)),
        D.WeightedRandomSampler(weights, 2, False, generator=torch.Generator().manual_seed(0)),
    ):
        draws = np.array([list(sampler) for _ in range(4000)])
        assert (draws[:, 0] != draws[:, 1]).all()
        assert np.abs(np.bincount(draws[:, 0], minlength=4) / 4000 - weights / total).max() < 0.04
        assert np.abs(np.bincount(draws[:, 1], minlength=4) / 4000 - second).max() < 0.04


def test_weighted_sampler_without_replacement_takes_zero_weights_last():
    weights = [0.0, 1.0, 0.0, 2.0]
    ours = list(WeightedRandomSampler(weights, 4, replacement=False))
    theirs = list(D.WeightedRandomSampler(weights, 4, replacement=False))
    assert sorted(ours) == sorted(theirs) == [0, 1, 2, 3]
    assert set(ours[:2]) == set(theirs[:2]) == {1, 3}
    assert list(WeightedRandomSampler([5.0], 1, replacement=False)) == [0]


def test_weighted_sampler_handles_huge_and_tiny_weights():
    for weights in ([1e308, 1e308, 0.0], [5e-324, 5e-324, 0.0]):
        for replacement in (True, False):
            drawn = list(WeightedRandomSampler(weights, 2, replacement))
            assert set(drawn) <= {0, 1}


def test_weighted_sampler_takes_arrays_and_tensors_of_any_backend(backend):
    theirs = D.WeightedRandomSampler(np.array([1, 2, 3]), 4).weights
    for weights in ([1, 2, 3], np.array([1, 2, 3]), backend.xp.asarray([1.0, 2.0, 3.0])):
        for given in (weights, xpnet.tensor(weights) if isinstance(weights, list) else weights):
            ours = WeightedRandomSampler(given, 4)
            assert ours.weights.dtype == np.float64 and isinstance(ours.weights, np.ndarray)
            assert ours.weights.tolist() == theirs.tolist() and len(ours) == 4
            assert ours.num_samples == 4 and ours.replacement is True


def test_data_loader_defaults_are_torch_samplers(backend):
    dataset = dataset_of(5)
    ours, theirs = DataLoader(dataset, batch_size=2), D.DataLoader(range(5), batch_size=2)
    for loader in (ours, theirs):
        assert type(loader.sampler).__name__ == "SequentialSampler"
        assert type(loader.batch_sampler).__name__ == "BatchSampler"
        assert loader.batch_sampler.sampler is loader.sampler
        assert (loader.batch_size, loader.drop_last, len(loader)) == (2, False, 3)
    shuffled = DataLoader(dataset, batch_size=2, shuffle=True, seed=0)
    assert type(shuffled.sampler) is RandomSampler
    assert shuffled.sampler.generator is shuffled.generator
    for loader in (
        DataLoader(dataset, batch_sampler=[[1]]),
        D.DataLoader(dataset, batch_sampler=[[1]]),
    ):
        assert type(loader.sampler).__name__ == "SequentialSampler"
        assert loader.batch_sampler == [[1]] and (loader.batch_size, loader.drop_last) == (
            None,
            False,
        )


def test_data_loader_shuffle_keeps_its_seeded_orders(backend):
    """shuffle=True is a RandomSampler now; the epochs are still the permutations of a
    generator made from ``seed``, one per epoch, as before samplers existed."""
    loader = DataLoader(dataset_of(10), batch_size=4, shuffle=True, seed=0)
    generator = np.random.default_rng(0)
    for _ in range(3):
        order = generator.permutation(10).tolist()
        assert labels_of(loader) == [order[0:4], order[4:8], order[8:10]]


def test_data_loader_with_each_sampler(backend):
    dataset = dataset_of(9)
    ours = DataLoader(dataset, batch_size=4, sampler=SequentialSampler(dataset))
    theirs = D.DataLoader(range(9), batch_size=4, sampler=D.SequentialSampler(range(9)))
    assert labels_of(ours) == [batch.tolist() for batch in theirs] and len(ours) == len(theirs)
    ours = DataLoader(dataset, batch_sampler=BatchSampler(SequentialSampler(dataset), 4, True))
    theirs = D.DataLoader(range(9), batch_sampler=D.BatchSampler(range(9), 4, True))
    assert labels_of(ours) == [batch.tolist() for batch in theirs] and len(ours) == 2
    samplers = [
        RandomSampler(dataset),
        RandomSampler(dataset, replacement=True, num_samples=13),
        SubsetRandomSampler([2, 5, 8]),
        WeightedRandomSampler([0.0, 1.0] * 4 + [1.0], 11),
    ]
    for sampler in samplers:
        xpnet.manual_seed(0)
        loader = DataLoader(dataset, batch_size=4, sampler=sampler)
        batches = labels_of(loader)
        assert len(batches) == len(loader) == -(-len(sampler) // 4)
        assert sum(len(batch) for batch in batches) == len(sampler)
        xpnet.manual_seed(0)
        assert labels_of(loader) == batches
    assert sorted(sum(labels_of(DataLoader(dataset, sampler=samplers[2])), [])) == [2, 5, 8]
    assert set(sum(labels_of(DataLoader(dataset, sampler=samplers[3])), [])) <= {1, 3, 5, 7, 8}
    loader = DataLoader(dataset, batch_sampler=BatchSampler(RandomSampler(dataset), 4, False))
    batches = labels_of(loader)
    assert [len(batch) for batch in batches] == [4, 4, 1] and sorted(sum(batches, [])) == list(
        range(9)
    )


def test_data_loader_rejects_what_torch_rejects_through_its_samplers():
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        DataLoader(dataset_of(0), shuffle=True)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        D.DataLoader([], shuffle=True)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        DataLoader(dataset_of(3), drop_last=1)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        D.DataLoader(range(3), drop_last=1)
    assert labels_of(DataLoader(dataset_of(0))) == []
