"""IterableDataset, ChainDataset, ConcatDataset, StackDataset, default_convert and the
DataLoader's iterable and unbatched modes and options, against torch.utils.data."""

from __future__ import annotations

import collections
import multiprocessing
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from _oracle import nested_lists as plain
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

from xpnet.data import (
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    StackDataset,
    TensorDataset,
    default_convert,
)


class Items(Dataset):
    """A map-style dataset of ``(array, int)`` samples (the same class serves both)."""

    def __init__(self, count, offset=0):
        self.count, self.offset = count, offset

    def __getitem__(self, index):
        if not 0 <= index < self.count:
            raise IndexError(index)
        value = self.offset + index
        return np.full(2, value, dtype=np.float32), value

    def __len__(self):
        return self.count


class TorchItems(tud.Dataset):
    def __init__(self, count, offset=0):
        self.inner = Items(count, offset)

    def __getitem__(self, index):
        return self.inner[index]

    def __len__(self):
        return self.inner.count


def make_stream(base):
    class Stream(base):
        """``count`` samples, or ``reported`` as its length when given."""

        def __init__(self, count, reported=None, offset=0):
            self.count, self.reported, self.offset = count, reported, offset

        def __iter__(self):
            for value in range(self.offset, self.offset + self.count):
                yield np.array([value, -value], dtype=np.int64), value

        def __len__(self):
            return self.count if self.reported is None else self.reported

    return Stream


Stream, TorchStream = make_stream(IterableDataset), make_stream(tud.IterableDataset)


def test_concat_dataset_matches_torch_including_negative_indices():
    ours = Items(3) + Items(4, offset=10) + Items(0) + Items(2, offset=20)
    theirs = TorchItems(3) + TorchItems(4, offset=10) + TorchItems(0) + TorchItems(2, offset=20)
    assert isinstance(ours, ConcatDataset) and len(ours) == len(theirs) == 9
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    for index in range(-9, 9):
        assert plain(ours[index]) == plain(theirs[index])
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        ours[-10]
    with pytest.raises(IndexError):
        ours[9]
    with pytest.warns(FutureWarning, match="renamed to `cumulative_sizes`"):
        assert ours.cummulative_sizes == theirs.cumulative_sizes == [7, 9]


def test_concat_dataset_errors_are_torchs():
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Items(2), Stream(2)])


def test_chain_dataset_and_iterable_addition_match_torch():
    ours, theirs = Stream(2) + Stream(3, offset=5), TorchStream(2) + TorchStream(3, offset=5)
    assert isinstance(ours, ChainDataset)
    assert plain(list(ours)) == plain(list(theirs)) and len(ours) == len(theirs) == 5
    for bad in (ChainDataset([Stream(1), Items(1)]),):
        with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
            list(bad)
        with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
            len(bad)


def test_stack_dataset_tuple_and_dict_forms_match_torch():
    a, b = Items(3), TensorDataset(np.arange(3.0))
    ta, tb = TorchItems(3), tud.TensorDataset(torch.arange(3.0))
    assert plain(StackDataset(a, b)[1]) == plain(tud.StackDataset(ta, tb)[1])
    assert plain(StackDataset(x=a, y=b)[2]) == plain(tud.StackDataset(x=ta, y=tb)[2])
    assert len(StackDataset(a, b)) == 3
    loader = DataLoader(StackDataset(x=a, y=b), batch_size=2)
    expected = tud.DataLoader(tud.StackDataset(x=ta, y=tb), batch_size=2)
    assert [plain(batch) for batch in loader] == [plain(batch) for batch in expected]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((Items(2),), {"y": Items(2)}, "but both types are given"),
        ((), {}, "At least one dataset should be passed"),
        ((Items(2), Items(3)), {}, "Size mismatch between datasets"),
        ((), {"x": Items(2), "y": Items(3)}, "Size mismatch between datasets"),
    ],
)
def test_stack_dataset_errors_are_torchs(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        StackDataset(*args, **kwargs)
    with pytest.raises(ValueError, match=match):
        tud.StackDataset(*args, **kwargs)


def test_default_convert_keeps_structure_as_torch():
    Point = collections.namedtuple("Point", "x y")
    sample = {"p": Point(np.int64(1), [np.float32(2.0), "a"]), "s": np.str_("b"), "n": 3}
    ours, theirs = default_convert(sample), tud.default_convert(sample)
    assert type(ours["p"]) is Point and isinstance(ours["p"].y, list)
    assert plain(ours) == plain(theirs)
    assert ours["p"].x.dtype == np.int64 and ours["s"] == "b"


@pytest.mark.parametrize(
    ("batch_size", "drop_last"), [(1, False), (2, False), (2, True), (3, True), (None, False)]
)
def test_iterable_loader_batches_and_len_match_torch(backend, batch_size, drop_last):
    ours = DataLoader(Stream(7), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(TorchStream(7), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    batches = list(ours)
    assert [plain(batch) for batch in batches] == [plain(batch) for batch in theirs]
    assert isinstance(batches[0][0], backend.xp.ndarray)


@pytest.mark.parametrize(("count", "reported"), [(6, 2), (2, 6)])
def test_iterable_loader_warns_as_torch_when_len_was_wrong(count, reported):
    ours = DataLoader(Stream(count, reported=reported), batch_size=None)
    theirs = tud.DataLoader(TorchStream(count, reported=reported), batch_size=None)
    assert len(ours) == len(theirs) == reported
    with warnings.catch_warnings(record=True) as ours_caught:
        warnings.simplefilter("always")
        list(ours)
    with warnings.catch_warnings(record=True) as theirs_caught:
        warnings.simplefilter("always")
        list(theirs)
    assert [str(w.message) for w in ours_caught] == [
        str(w.message)
        .replace("TorchStream", "Stream")
        .replace(
            repr(theirs.dataset).split(" object at ")[1], repr(ours.dataset).split(" object at ")[1]
        )
        for w in theirs_caught
    ]
    assert len(ours_caught) == max(count - reported, 0)


def test_iterable_without_len_has_torchs_type_error():
    class Endless(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    with pytest.raises(TypeError, match="object of type 'Endless' has no len()"):
        len(DataLoader(Endless()))
    assert [plain(batch) for batch in DataLoader(Endless(), batch_size=2)] == [[0, 1], [2]]


def test_unbatched_map_style_loader_matches_torch():
    ours = DataLoader(Items(3), batch_size=None, shuffle=True, seed=0)
    theirs = tud.DataLoader(TorchItems(3), batch_size=None)
    assert len(ours) == len(theirs) == 3
    assert sorted(plain(list(ours)), key=lambda s: s[1]) == plain(list(theirs))
    unbatched = DataLoader(Items(2), batch_size=None, collate_fn=lambda sample: sample[1] * 10)
    assert list(unbatched) == [0, 10]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"shuffle": True}, "expected unspecified shuffle option, but got shuffle=True"),
        ({"sampler": [0, 1]}, r"expected unspecified sampler option, but got sampler=\[0, 1\]"),
        ({"batch_sampler": [[0]]}, "expected unspecified batch_sampler option"),
    ],
)
def test_iterable_loader_rejects_what_torch_rejects(options, match):
    with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: {match}"):
        DataLoader(Stream(3), **options)
    with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: {match}"):
        tud.DataLoader(TorchStream(3), **options)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"batch_size": None, "drop_last": True}, ValueError, "mutually exclusive with drop_last"),
        ({"timeout": -1}, ValueError, "timeout option should be non-negative"),
        (
            {"multiprocessing_context": "fork"},
            ValueError,
            r"multiprocessing_context can only be used with multi-process loading \(num_workers",
        ),
        (
            {"num_workers": 1, "multiprocessing_context": "threads"},
            ValueError,
            "multiprocessing_context option should specify a valid start method in",
        ),
        (
            {"num_workers": 1, "multiprocessing_context": 3},
            TypeError,
            "multiprocessing_context option should be a valid context object",
        ),
    ],
)
def test_loader_option_errors_are_torchs(options, error, match):
    with pytest.raises(error, match=match):
        DataLoader(Items(3), **options)
    torch_options = {**options}
    with pytest.raises(error, match=match):
        tud.DataLoader(TorchItems(3), **torch_options)


def test_loader_takes_a_context_object_and_rejects_a_bad_worker_init_fn():
    loader = DataLoader(
        Items(2), num_workers=1, multiprocessing_context=multiprocessing.get_context("fork")
    )
    assert loader.multiprocessing_context.get_start_method() == "fork"
    with pytest.raises(TypeError, match="DataLoader: worker_init_fn must be callable, got int"):
        DataLoader(Items(2), num_workers=1, worker_init_fn=3)


@PROFILE
@given(
    lengths=st.lists(st.integers(0, 4), min_size=1, max_size=4),
    index=st.integers(-20, 20),
)
def test_concat_indexing_property(lengths, index):
    ours = ConcatDataset([Items(n, offset=10 * i) for i, n in enumerate(lengths)])
    theirs = tud.ConcatDataset([TorchItems(n, offset=10 * i) for i, n in enumerate(lengths)])
    outcomes = []
    for dataset in (ours, theirs):
        try:
            outcomes.append(plain(dataset[index]))
        except (IndexError, ValueError) as error:
            outcomes.append(type(error))
    assert outcomes[0] == outcomes[1]
