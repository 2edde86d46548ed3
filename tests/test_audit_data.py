"""Differences from torch.utils.data found by a differential audit of xpnet.data: collation of
strings, None, named tuples and mapping types, default_convert of other sequences, the
iterable loader's length warning, pin_memory_device, prefetch_factor, random_split's seeding
and warnings, and len() of a Dataset without __len__."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from _oracle import nested_lists as plain

import xpnet
from xpnet.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)

Point = collections.namedtuple("Point", "x label")


def caught(function):
    """``function()``'s result and the messages of the warnings it raised."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        result = function()
    return result, [str(record.message) for record in records]


@pytest.mark.parametrize(
    "samples",
    [
        [("a", 1), ("bc", 2)],
        [(b"a", 1.5), (b"bc", 2.5)],
        [{"name": np.str_("x"), "v": np.float32(1)}, {"name": np.str_("y"), "v": np.float32(2)}],
    ],
)
def test_default_collate_keeps_strings_as_lists_as_torch(samples):
    ours, theirs = default_collate(samples), tud.default_collate(samples)
    assert plain(ours) == plain(theirs)
    strings = ours[0] if isinstance(ours, tuple) else ours["name"]
    assert type(strings) is list


@pytest.mark.parametrize(
    ("samples", "found"),
    [
        ([None, None], "<class 'NoneType'>"),
        ([(None, 1), (None, 2)], "<class 'NoneType'>"),
        ([np.array(["a"]), np.array(["b"])], "<U1"),
        ([np.array([1], dtype=object), np.array([2], dtype=object)], "object"),
    ],
)
def test_default_collate_refuses_what_torch_refuses(samples, found):
    message = (
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {found}"
    )
    with pytest.raises(TypeError) as theirs:
        tud.default_collate(samples)
    assert str(theirs.value) == message
    with pytest.raises(TypeError, match="found " + found.replace("(", r"\(")) as ours:
        default_collate(samples)
    assert str(ours.value) == message


def test_default_collate_keeps_named_tuples_and_mapping_types_as_torch():
    for samples in (
        [Point(np.zeros(2), 0), Point(np.ones(2), 1)],
        [collections.OrderedDict(b=1, a=2.0), collections.OrderedDict(b=3, a=4.0)],
        [collections.defaultdict(int, a=1), collections.defaultdict(int, a=2)],
    ):
        ours, theirs = default_collate(samples), tud.default_collate(samples)
        assert type(ours) is type(theirs) is type(samples[0])
        assert plain(ours) == plain(theirs)


def test_default_collate_of_uneven_sequences_raises_torchs_error():
    for samples in ([(1, 2), (1, 2, 3)], [[1, 2], [1]]):
        with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
            tud.default_collate(samples)
        with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
            default_collate(samples)


class Records(Dataset):
    """Samples of one ``kind``: named tuples, (string, number) pairs or ordered dicts."""

    def __init__(self, kind):
        self.kind = kind

    def __getitem__(self, index):
        if self.kind == "point":
            return Point(np.full(2, index, dtype=np.float32), index)
        if self.kind == "named":
            return f"item{index}", np.float32(index)
        return collections.OrderedDict(label=index, name=f"item{index}")

    def __len__(self):
        return 4


@pytest.mark.parametrize("kind", ["point", "named", "ordered"])
def test_loader_delivers_named_tuples_strings_and_mapping_types_as_torch(backend, kind):
    for batch_size in (2, None):
        ours = list(DataLoader(Records(kind), batch_size=batch_size))
        theirs = list(tud.DataLoader(Records(kind), batch_size=batch_size))
        assert plain(ours) == plain(theirs)
        if kind != "named":  # a tuple sample gives a tuple batch, PyTorch's a list (documented)
            assert [type(batch) for batch in ours] == [type(batch) for batch in theirs]
    if kind == "named":
        strings, values = next(iter(DataLoader(Records(kind), batch_size=2)))
        assert strings == ["item0", "item1"] and isinstance(values, backend.xp.ndarray)


def test_default_convert_rebuilds_mappings_and_sequences_as_torch():
    for sample in (
        collections.defaultdict(int, a=np.float32(1)),
        range(3),
        collections.OrderedDict(a=[np.int64(2)]),
    ):
        ours, theirs = default_convert(sample), tud.default_convert(sample)
        assert type(ours) is type(theirs) and plain(ours) == plain(theirs)


def make_stream(base):
    class Stream(base):
        """Three samples, reporting a length of one."""

        def __iter__(self):
            return iter([np.float32(0), np.float32(1), np.float32(2)])

        def __len__(self):
            return 1

    return Stream


def test_list_of_an_iterable_loader_warns_as_torch():
    """``list(loader)`` asks ``len(loader)`` after ``iter(loader)``: PyTorch's iterator has
    read the reported length already and does not warn; asked before, both warn."""
    ours = DataLoader(make_stream(IterableDataset)(), batch_size=None)
    theirs = tud.DataLoader(make_stream(tud.IterableDataset)(), batch_size=None)
    (ours_batches, ours_warnings), (theirs_batches, theirs_warnings) = (
        caught(lambda: list(ours)),
        caught(lambda: list(theirs)),
    )
    assert plain(ours_batches) == plain(theirs_batches) and ours_warnings == theirs_warnings == []
    assert len(caught(lambda: [*iter(ours)])[1]) == len(caught(lambda: [*iter(theirs)])[1]) == 2


def test_loader_accepts_the_deprecated_pin_memory_device_as_torch():
    dataset = TensorDataset(np.arange(4.0))
    ours = DataLoader(dataset, batch_size=2, pin_memory=True, pin_memory_device="cuda")
    theirs = tud.DataLoader(dataset, batch_size=2, pin_memory=True, pin_memory_device="cuda")
    assert ours.pin_memory_device == theirs.pin_memory_device == "cuda"
    deprecated = "pin_memory_device is deprecated"
    (batches, messages), (_, torch_messages) = (
        caught(lambda: list(ours)),
        caught(lambda: list(theirs)),
    )
    assert [m for m in messages if deprecated in m] == [
        m for m in torch_messages if deprecated in m
    ]
    assert len(messages) == 1 and plain(batches) == [[[0.0, 1.0]], [[2.0, 3.0]]]
    assert caught(lambda: list(DataLoader(dataset, pin_memory_device="cuda")))[1] == []


def test_loader_prefetch_factor_attribute_is_torchs():
    for options in ({}, {"num_workers": 2}, {"num_workers": 1, "prefetch_factor": 3}):
        ours = DataLoader(TensorDataset(np.arange(4.0)), **options)
        theirs = tud.DataLoader(TensorDataset(np.arange(4.0)), **options)
        assert ours.prefetch_factor == theirs.prefetch_factor


@pytest.mark.parametrize(
    ("count", "fractions"), [(5, [0.1, 0.1, 0.8]), (2, [0.2] * 5), (0, [0.5, 0.5])]
)
def test_random_split_warns_for_empty_splits_as_torch(count, fractions):
    generator = torch.Generator().manual_seed(0)
    ours, ours_warnings = caught(lambda: random_split(TensorDataset(np.arange(count)), fractions))
    theirs, theirs_warnings = caught(
        lambda: tud.random_split(range(count), fractions, generator=generator)
    )
    assert [len(part) for part in ours] == [len(part) for part in theirs]
    assert ours_warnings == theirs_warnings and ours_warnings
    assert caught(lambda: random_split(range(10), [0.3, 0.3, 0.4], seed=0))[1] == []


def test_random_split_warning_points_at_the_caller():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0") as records:
        random_split(TensorDataset(np.arange(1)), [0.6, 0.4], seed=0)
    assert records[0].filename == __file__


def test_random_split_names_a_fraction_outside_zero_one_as_torch():
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        tud.random_split(range(10), [1.5, -0.5])
    with pytest.raises(ValueError, match="fraction at index 0 is not between 0 and 1"):
        random_split(TensorDataset(np.arange(10)), [1.5, -0.5])


def test_random_split_without_generator_follows_manual_seed_as_torch():
    """PyTorch's split without ``generator=`` draws from the default generator, which
    ``torch.manual_seed`` seeds; xpnet's from the one ``xpnet.manual_seed`` seeds."""
    splits = []
    for _ in range(2):
        xpnet.manual_seed(3)
        splits.append([part.indices.tolist() for part in random_split(range(10), [6, 4])])
    assert splits[0] == splits[1]
    assert sorted(splits[0][0] + splits[0][1]) == list(range(10))
    xpnet.manual_seed(3)
    random_split(range(10), [6, 4])
    assert [p.indices.tolist() for p in random_split(range(10), [6, 4])] != splits[0]


def test_dataset_without_len_has_torchs_type_error_and_iterates():
    class Ours(Dataset):
        def __getitem__(self, index):
            if index >= 3:
                raise IndexError(index)
            return index * 10

    class Theirs(tud.Dataset):
        __getitem__ = Ours.__getitem__

    for dataset in (Ours(), Theirs()):
        with pytest.raises(TypeError, match=f"object of type '{type(dataset).__name__}' has no"):
            len(dataset)
    assert list(Ours()) == list(Theirs()) == [0, 10, 20]
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement"):
        Dataset()[0]


def test_data_loader_takes_torchs_positional_order():
    """``DataLoader(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers,
    collate_fn, pin_memory, drop_last, ...)``, as PyTorch's: ported positional calls mean
    the same."""
    positional = (2, False, None, None, 0, None, False, True)
    ours = DataLoader(TensorDataset(np.arange(5)), *positional)
    theirs = tud.DataLoader(tud.TensorDataset(torch.arange(5)), *positional)
    assert (len(ours), ours.drop_last) == (len(theirs), theirs.drop_last) == (2, True)
    sampler = [4, 3, 2, 1, 0]
    ours = DataLoader(TensorDataset(np.arange(5)), 2, False, sampler)
    theirs = tud.DataLoader(tud.TensorDataset(torch.arange(5)), 2, False, sampler)
    assert [b.tolist() for (b,) in ours] == [b.tolist() for (b,) in theirs]


def test_shuffled_epochs_follow_manual_seed_as_torch():
    """Without ``generator`` or ``seed``, each epoch's order draws a seed from the generator
    ``xpnet.manual_seed`` seeds, as PyTorch's from ``torch.manual_seed``: reproducible runs,
    a new order every epoch."""

    def epochs():
        xpnet.manual_seed(3)
        loader = DataLoader(TensorDataset(np.arange(12)), 4, shuffle=True)
        return [[batch.tolist() for (batch,) in loader] for _ in range(2)]

    first = epochs()
    assert first == epochs()
    assert first[0] != first[1]
