"""Datasets, splits, the DataLoader, scikit-learn digits and the MNIST IDX reader."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import xpnet
from xpnet.data import (
    DataLoader,
    Dataset,
    DistributedSampler,
    Subset,
    TensorDataset,
    load_digits,
    load_mnist,
    random_split,
)

MNIST = Path(__file__).parents[2] / "shared/data/mnist"
needs_mnist = pytest.mark.skipif(not MNIST.is_dir(), reason=f"MNIST not found at {MNIST}")


def toy_dataset(count=10):
    images = np.arange(count * 4, dtype=np.float32).reshape(count, 1, 2, 2)
    return TensorDataset(images, np.arange(count, dtype=np.int64))


class Samples(Dataset):
    """A dataset without get_batch: the loader must read it sample by sample."""

    def __init__(self, count, bare=False):
        self.count, self.bare = count, bare

    def __getitem__(self, index):
        image = np.full((2, 3), index, dtype=np.float32)
        return image if self.bare else (image, index)

    def __len__(self):
        return self.count


def labels_of(loader):
    return [xpnet.to_numpy(labels).tolist() for _, labels in loader]


def test_tensor_dataset_items_and_batches():
    dataset = toy_dataset()
    image, label = dataset[3]
    assert len(dataset) == 10 and label == 3 and image.shape == (1, 2, 2)
    images, labels = dataset.get_batch(np.array([7, 2]))
    assert labels.tolist() == [7, 2] and images.shape == (2, 1, 2, 2)


def test_tensor_dataset_takes_backend_arrays(backend):
    dataset = TensorDataset(backend.asarray(np.arange(3.0)), [4, 5, 6])
    assert type(dataset.arrays[0]) is np.ndarray and dataset[2] == (2.0, 6)


@pytest.mark.parametrize(
    "arrays, match",
    [
        ((), "TensorDataset: needs at least one array, got none"),
        ((np.zeros(3), np.zeros(4)), r"same first dimension, got lengths \[3, 4\]"),
    ],
)
def test_tensor_dataset_rejects_bad_arrays(arrays, match):
    with pytest.raises(ValueError, match=match):
        TensorDataset(*arrays)


def test_data_loader_batches_on_current_backend(backend):
    batches = list(DataLoader(toy_dataset(), batch_size=4))
    assert len(batches) == 3
    for images, labels in batches:
        assert type(images) is backend.ndarray and type(labels) is backend.ndarray
        assert images.dtype == np.float32 and labels.dtype == np.int64
    assert [backend.to_host(labels).tolist() for _, labels in batches] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
    expected = toy_dataset().arrays[0][4:8]
    assert np.array_equal(backend.to_host(batches[1][0]), expected)


@pytest.mark.parametrize("drop_last, expected", [(False, 4), (True, 3)])
def test_data_loader_len_and_drop_last(drop_last, expected):
    loader = DataLoader(toy_dataset(11), batch_size=3, drop_last=drop_last)
    sizes = [len(labels) for _, labels in loader]
    assert len(loader) == expected == len(sizes)
    assert sizes == ([3, 3, 3, 2] if not drop_last else [3, 3, 3])


def test_data_loader_shuffle_is_seeded_and_changes_per_epoch():
    loader = DataLoader(toy_dataset(), batch_size=4, shuffle=True, seed=7)
    again = DataLoader(toy_dataset(), batch_size=4, shuffle=True, seed=7)
    epochs = [labels_of(loader) for _ in range(3)]
    assert epochs == [labels_of(again) for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2]
    for epoch in epochs:
        assert sorted(sum(epoch, [])) == list(range(10))
    other = DataLoader(toy_dataset(), batch_size=4, shuffle=True, seed=8)
    assert labels_of(other) != epochs[0]


def test_data_loader_generator_can_be_saved_and_restored():
    generator = np.random.default_rng(5)
    loader = DataLoader(toy_dataset(), batch_size=4, shuffle=True, generator=generator)
    labels_of(loader)
    saved = generator.bit_generator.state
    expected = [labels_of(loader) for _ in range(2)]
    resumed = np.random.default_rng(0)
    resumed.bit_generator.state = saved
    again = DataLoader(toy_dataset(), batch_size=4, shuffle=True, generator=resumed)
    assert [labels_of(again) for _ in range(2)] == expected


def test_data_loader_rejects_generator_and_seed():
    with pytest.raises(ValueError, match="DataLoader: give generator or seed, not both"):
        DataLoader(toy_dataset(), shuffle=True, generator=np.random.default_rng(0), seed=1)


def test_data_loader_shuffle_without_seed_visits_every_sample():
    loader = DataLoader(toy_dataset(), batch_size=3, shuffle=True)
    assert sorted(sum(labels_of(loader), [])) == list(range(10))


def test_data_loader_reads_tensor_datasets_by_fancy_indexing():
    class Counting(TensorDataset):
        calls = 0

        def __getitem__(self, index):
            Counting.calls += 1
            return super().__getitem__(index)

    dataset = Counting(np.arange(6.0), np.arange(6))
    train, _ = random_split(dataset, [4, 2], seed=0)
    list(DataLoader(dataset, batch_size=4, shuffle=True, seed=0))
    list(DataLoader(train, batch_size=3))
    assert Counting.calls == 0


@pytest.mark.parametrize("bare", [False, True])
def test_data_loader_stacks_samples_of_plain_datasets(backend, bare):
    batches = list(DataLoader(Samples(5, bare=bare), batch_size=2))
    first = batches[0] if bare else batches[0][0]
    assert type(first) is backend.ndarray and first.shape == (2, 2, 3)
    assert backend.to_host(first)[1, 0, 0] == 1.0
    if not bare:
        assert backend.to_host(batches[2][1]).tolist() == [4]


@pytest.mark.parametrize("batch_size", [0, -2, 2.0, True])
def test_data_loader_rejects_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="DataLoader: batch_size must be a positive integer"):
        DataLoader(toy_dataset(), batch_size=batch_size)


def test_random_split_is_seeded_disjoint_and_complete():
    dataset = toy_dataset(20)
    parts = random_split(dataset, [12, 5, 3], seed=3)
    again = random_split(dataset, [12, 5, 3], seed=3)
    assert [len(part) for part in parts] == [12, 5, 3]
    assert all(np.array_equal(a.indices, b.indices) for a, b in zip(parts, again, strict=True))
    together = np.concatenate([part.indices for part in parts])
    assert sorted(together.tolist()) == list(range(20))
    assert not np.array_equal(random_split(dataset, [12, 8], seed=4)[0].indices, parts[0].indices)
    image, label = parts[1][0]
    assert label == parts[1].indices[0] and isinstance(parts[1], Subset)


def test_random_split_fractions_follow_torch_rounding():
    parts = random_split(toy_dataset(10), [0.33, 0.33, 0.34], seed=0)
    assert [len(part) for part in parts] == [4, 3, 3]  # torch.utils.data.random_split's sizes


def test_random_split_and_subset_take_what_torch_takes():
    """Found by a random comparison with PyTorch: NumPy int lengths were refused, and a
    Subset could not be indexed by a list (PyTorch returns the dataset's items there)."""
    parts = random_split(toy_dataset(10), [np.int64(3), np.int64(7)], seed=0)
    assert [len(part) for part in parts] == [3, 7]
    subset = Subset(TensorDataset(np.arange(10)), [3, 1, 7])
    (picked,) = subset[[0, 2]]
    assert picked.tolist() == [3, 7]


@pytest.mark.parametrize("lengths", [[5, 4], [0.5, 0.6], [11, -1]])
def test_random_split_rejects_bad_lengths(lengths):
    with pytest.raises(ValueError, match="random_split: lengths must"):
        random_split(toy_dataset(10), lengths, seed=0)


def test_load_digits_shapes_and_range():
    images, labels = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.float32
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert sorted(set(labels.tolist())) == list(range(10))


@needs_mnist
def test_load_mnist_reads_the_test_split():
    images, labels = load_mnist(MNIST)
    assert images.shape == (10000, 1, 28, 28) and images.dtype == np.float32
    assert labels.dtype == np.int64 and images.min() == 0.0 and images.max() == 1.0
    # the label counts stated in the data's README
    counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(labels).tolist() == counts
    train, test = random_split(TensorDataset(images, labels), [8000, 2000], seed=0)
    batch, _ = next(iter(DataLoader(test, batch_size=500)))
    assert len(train) == 8000 and batch.shape == (500, 1, 28, 28)


def idx_bytes(magic: int, array: np.ndarray) -> bytes:
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return magic.to_bytes(4, "big") + dims + array.astype(np.uint8).tobytes()


def write_mnist(folder: Path, count=3, images=None, labels=None, gz=True, sums=False):
    """A small fake test split; ``images``/``labels`` replace a file's bytes."""
    rng = np.random.default_rng(0)
    contents = {
        "t10k-images-idx3-ubyte": images
        if images is not None
        else idx_bytes(2051, rng.integers(0, 256, (count, 28, 28))),
        "t10k-labels-idx1-ubyte": labels
        if labels is not None
        else idx_bytes(2049, np.arange(count) % 10),
    }
    lines = []
    for name, data in contents.items():
        path = folder / (name + ".gz" if gz else name)
        path.write_bytes(gzip.compress(data) if gz else data)
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    if sums:
        (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_reads_idx_files(tmp_path, gz):
    images, labels = load_mnist(write_mnist(tmp_path, count=4, gz=gz, sums=True))
    assert images.shape == (4, 1, 28, 28) and labels.tolist() == [0, 1, 2, 3]
    assert images.max() <= 1.0 and images.dtype == np.float32


def test_load_mnist_missing_file(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz .or t10k-labels"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="load_mnist: folder .*nowhere not found"):
        load_mnist(tmp_path / "nowhere")


LABELS = idx_bytes(2049, np.arange(3))


@pytest.mark.parametrize(
    "labels, match",
    [
        (LABELS[:-1], "labels-idx1-ubyte.gz is truncated: 10 bytes, expected 11 for shape"),
        (LABELS + b"\0", "is longer than its header says: 12 bytes, expected 11"),
        (idx_bytes(2051, np.zeros((3, 28, 28))), "has magic number 2051, expected 2049"),
        (LABELS[:2], "has 2 bytes, too short for an IDX header"),
        (LABELS[:6], "is truncated inside its IDX header"),
        (idx_bytes(2049, np.arange(4)), "has 3 images but 4 labels"),
        (
            idx_bytes(2049, np.array([1, 2, 10])),
            "labels in .* must be in 0..9, got a maximum of 10",
        ),
    ],
)
def test_load_mnist_rejects_corrupt_labels(tmp_path, labels, match):
    with pytest.raises(ValueError, match=match):
        load_mnist(write_mnist(tmp_path, labels=labels))


def test_load_mnist_rejects_images_of_wrong_shape(tmp_path):
    images = idx_bytes(2051, np.zeros((3, 28, 27)))
    with pytest.raises(ValueError, match=r"images of shape \(28, 27\), expected \(28, 28\)"):
        load_mnist(write_mnist(tmp_path, images=images))


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_load_mnist_rejects_bad_gzip(tmp_path, damage):
    write_mnist(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    data = path.read_bytes()
    path.write_bytes(b"not gzip at all" if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(ValueError, match="images-idx3-ubyte.gz is not a valid gzip file"):
        load_mnist(tmp_path)


def test_load_mnist_rejects_checksum_mismatch(tmp_path):
    write_mnist(tmp_path, sums=True)
    # still a valid file, but not the one the checksum list names
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(LABELS[:-1] + b"\1"))
    with pytest.raises(ValueError, match="labels-idx1-ubyte.gz fails its checksum: SHA-256"):
        load_mnist(tmp_path)


@pytest.mark.parametrize(
    "sums, match",
    [
        ("folder", "SHA256SUMS is a folder, not a list of checksums"),
        ("", "SHA256SUMS lists no checksum for t10k-images-idx3-ubyte.gz; add its line"),
        ("labels only", "SHA256SUMS lists no checksum for t10k-images-idx3-ubyte.gz"),
    ],
)
def test_load_mnist_refuses_a_sha256sums_that_checks_nothing(tmp_path, sums, match):
    write_mnist(tmp_path, sums=True)
    listed = tmp_path / "SHA256SUMS"
    if sums == "folder":
        listed.unlink()
        listed.mkdir()
    else:
        lines = listed.read_text().splitlines()
        listed.write_text("\n".join(line for line in lines if "labels" in line) if sums else "")
    with pytest.raises(ValueError, match="load_mnist: " + re.escape(str(tmp_path)) + "/" + match):
        load_mnist(tmp_path)


def test_load_mnist_without_sha256sums_skips_the_check(tmp_path):
    write_mnist(tmp_path, sums=False)
    assert not (tmp_path / "SHA256SUMS").exists()
    assert len(load_mnist(tmp_path)[1]) == 3


def test_load_mnist_rejects_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="load_mnist: split must be 'test' or 'train', got 'val'"):
        load_mnist(tmp_path, split="val")


def _real_mnist_copy(folder: Path) -> Path:
    for file in MNIST.iterdir():
        if file.name.startswith("t10k-") or file.name == "SHA256SUMS":
            shutil.copyfile(file, folder / file.name)
    return folder


@needs_mnist
@pytest.mark.parametrize(
    "sums, match",
    [
        (
            b"\x8b\x1f\xff\xfe" * 64,
            r"SHA256SUMS is not a SHA256SUMS text file \(byte 0 is not UTF-8",
        ),
        (b"hello world\n", r"SHA256SUMS line 1 is not '<sha256> <file name>'.*got 'hello world'"),
        (b"# sums\n\n" + b"abc  t10k-images-idx3-ubyte.gz\n", r"SHA256SUMS line 3 is not"),
    ],
    ids=["binary", "other text", "short digest"],
)
def test_load_mnist_names_a_garbage_sha256sums(tmp_path, sums, match):
    folder = _real_mnist_copy(tmp_path)
    (folder / "SHA256SUMS").write_bytes(sums)
    with pytest.raises(ValueError, match="load_mnist: " + re.escape(str(folder)) + "/" + match):
        load_mnist(folder)


@needs_mnist
def test_load_mnist_real_split_passes_its_checksums_and_fails_a_flipped_byte(tmp_path):
    folder = _real_mnist_copy(tmp_path)
    assert load_mnist(folder)[0].shape == (10000, 1, 28, 28)
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(labels.read_bytes())
    data[3] ^= 0x01  # a gzip header flag byte: still decompresses, but not the listed file
    labels.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="labels-idx1-ubyte.gz"):
        load_mnist(folder)


def test_load_mnist_accepts_binary_mode_and_comments_in_sha256sums(tmp_path):
    write_mnist(tmp_path, sums=True)
    sums = tmp_path / "SHA256SUMS"
    lines = sums.read_text().splitlines()
    sums.write_text("# made by sha256sum -b\n" + "\n".join(" *".join(l.split("  ")) for l in lines))
    assert len(load_mnist(tmp_path)[1]) == 3
    corrupt = lines[0].replace(lines[0][:4], "0000")
    sums.write_text(corrupt + "\n" + lines[1] + "\n")
    with pytest.raises(ValueError, match="fails its checksum"):
        load_mnist(tmp_path)


class Records(Dataset):
    """Samples as dicts, as many PyTorch datasets give them."""

    def __getitem__(self, index):
        return {"image": np.full(2, float(index)), "label": index}

    def __len__(self):
        return 5


def test_data_loader_collates_dicts_key_by_key(backend):
    """Dict samples were stacked as a NumPy object array of dicts (silent garbage)."""
    batch = next(iter(DataLoader(Records(), batch_size=2)))
    assert sorted(batch) == ["image", "label"] and type(batch["image"]) is backend.ndarray
    assert backend.to_host(batch["image"]).tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert backend.to_host(batch["label"]).tolist() == [0, 1]


def test_data_loader_takes_a_distributed_sampler_as_torch():
    """DataLoader had no sampler argument, so DistributedSampler could not feed it."""
    torch = pytest.importorskip("torch")
    dataset = toy_dataset(10)
    sampler = DistributedSampler(dataset, num_replicas=3, rank=1, shuffle=False)
    torch_sampler = torch.utils.data.DistributedSampler(range(10), 3, 1, shuffle=False)
    for batch_size, drop_last in [(1, False), (2, True), (2, False), (3, True)]:
        loader = DataLoader(dataset, batch_size, sampler=sampler, drop_last=drop_last)
        expected = torch.utils.data.DataLoader(
            range(10), batch_size, sampler=torch_sampler, drop_last=drop_last
        )
        assert labels_of(loader) == [batch.tolist() for batch in expected]
        assert len(loader) == len(expected)


def test_data_loader_takes_a_batch_sampler():
    loader = DataLoader(Samples(5), batch_sampler=[[3, 1], [0]])
    assert len(loader) == 2 and labels_of(loader) == [[3, 1], [0]]


@pytest.mark.parametrize(
    "options, match",
    [
        ({"sampler": [0, 1], "shuffle": True}, "sampler is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler is mutually exclusive"),
        ({"batch_sampler": [[0]], "sampler": [0]}, "batch_sampler is mutually exclusive"),
    ],
)
def test_data_loader_rejects_samplers_with_the_options_they_replace(options, match):
    with pytest.raises(ValueError, match=f"DataLoader: {match}"):
        DataLoader(toy_dataset(), **options)


def test_distributed_sampler_takes_numpy_integers():
    sampler = DistributedSampler(range(5), num_replicas=np.int64(2), rank=np.int64(1))
    assert len(sampler) == 3 and type(sampler.rank) is int
