"""Datasets: in-memory arrays, subsets and seeded splits, scikit-learn's digits, MNIST IDX.

Datasets live on the host as NumPy arrays; :class:`~xpnet.data.DataLoader` moves each batch
to the current backend. A dataset is anything with ``__len__`` and ``__getitem__`` returning
one sample (an array or a tuple of arrays and numbers); one that also has
``get_batch(indices)`` (as :class:`TensorDataset` and :class:`Subset` do) is read a whole
batch at a time by fancy indexing instead of sample by sample. MNIST's IDX files are read by
:mod:`xpnet.data._idx`.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy

from .._random import check_generator, host_generator
from ..autograd import Tensor
from ._idx import read_mnist
from .collate import default_collate

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "EMNIST",
    "KMNIST",
    "MNIST",
    "QMNIST",
    "SEMEION",
    "SVHN",
    "USPS",
    "DatasetFolder",
    "FakeData",
    "FashionMNIST",
    "ImageFolder",
    "VisionDataset",
    "Dataset",
    "Subset",
    "TensorDataset",
    "fetch_batch",
    "index_batch",
    "plain_index",
    "read_samples",
    "download_mnist",
    "load_digits",
    "load_mnist",
    "random_split",
]


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    As PyTorch's, the base class has no ``__len__``: ``len()`` of a subclass without one is
    Python's ``TypeError``, and ``list(dataset)`` reads ``dataset[0], dataset[1], ...`` up to
    the first ``IndexError``.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        """``a + b``: the samples of ``a`` then those of ``b`` (a
        :class:`~xpnet.data.ConcatDataset`), as PyTorch's."""
        from .combined import ConcatDataset

        return ConcatDataset([self, other])


def _host_array(array):
    """A NumPy view or copy of ``array`` (NumPy, list, or an array of any xpnet backend)."""
    if isinstance(array, numpy.ndarray):
        return array
    array = array.array if isinstance(array, Tensor) else array
    if hasattr(array, "shape") and not isinstance(array, numpy.generic):
        from ..backends import backend_of

        return backend_of(array).to_host(array)
    return numpy.asarray(array)


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays: ``dataset[i] = (a[i], b[i], ...)``.

    Args:
        *arrays: arrays (NumPy, lists, or backend arrays: copied to the host) sharing their
            first dimension.

    Raises:
        ValueError: with no arrays, or arrays of different lengths.

    Example:
        >>> images, labels = xp.zeros((5, 1, 2, 2), "float32"), xp.arange(5)
        >>> dataset = TensorDataset(images, labels)
        >>> len(dataset), dataset[3][1]
        (5, np.int64(3))
        >>> [batch.shape for batch in dataset.get_batch(xp.array([0, 4]))]
        [(2, 1, 2, 2), (2,)]
    """

    def __init__(self, *arrays) -> None:
        if not arrays:
            msg = "TensorDataset: needs at least one array, got none"
            raise ValueError(msg)
        self.arrays = tuple(_host_array(array) for array in arrays)
        # Tensors in, Tensors out: the DataLoader gives batches of Tensors (with .to(device))
        self.yields_tensors = any(isinstance(array, Tensor) for array in arrays)
        lengths = [len(array) for array in self.arrays]
        if len(set(lengths)) != 1:
            msg = f"TensorDataset: arrays must have the same first dimension, got lengths {lengths}"
            raise ValueError(msg)

    def __getitem__(self, index):
        return tuple(array[index] for array in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def get_batch(self, indices) -> tuple:
        """The samples at ``indices`` (an integer array), stacked: one fancy index per array."""
        return tuple(array[indices] for array in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the whole dataset.
        indices: indices into ``dataset``: integers (kept as an int64 array), or any keys
            its ``__getitem__`` takes (kept as a list), as PyTorch's.
    """

    def __init__(self, dataset, indices) -> None:
        self.dataset = dataset
        self.indices = index_batch(list(indices))

    def __getitem__(self, index):
        if isinstance(index, list):  # as PyTorch's Subset: the dataset's items at those
            return self.dataset[[plain_index(self.indices[i]) for i in index]]
        return self.dataset[plain_index(self.indices[index])]

    def __getitems__(self, indices) -> list:
        """The samples at ``indices`` of this subset, as PyTorch's: one ``__getitems__``
        call of the whole dataset where it has one, else one item each."""
        keys = [plain_index(self.indices[index]) for index in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(keys)
        return [self.dataset[key] for key in keys]

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def yields_tensors(self) -> bool:
        """Whether the whole dataset gives Tensors (see :class:`TensorDataset`)."""
        return bool(getattr(self.dataset, "yields_tensors", False))

    @property
    def get_batch(self):
        """``get_batch(indices)``, the samples at ``indices`` of this subset by the whole
        dataset's ``get_batch``; ``None`` where it has none, so that the loader reads and
        collates the samples one by one, as for the whole dataset."""
        whole = getattr(self.dataset, "get_batch", None)
        if whole is None or isinstance(self.indices, list):
            return None
        return lambda indices: whole(self.indices[indices])


def index_batch(indices: list):
    """Indices as datasets are read by them: an int64 array where they are integers (a
    batch then read by fancy indexing), else the list of keys as the sampler gave them."""
    array = numpy.asarray(indices) if indices else numpy.zeros(0, numpy.int64)
    return array.astype(numpy.int64) if array.dtype.kind in "iu" else indices


def plain_index(index):
    """A dataset index as PyTorch's samplers give it: a NumPy integer as a Python int, any
    other key (a string, a list) as it is."""
    return int(index) if isinstance(index, numpy.integer) else index


def read_samples(dataset, indices) -> list:
    """The samples of ``dataset`` at ``indices``, as PyTorch's fetcher reads them: one
    ``__getitems__`` call where the dataset has one, else one ``__getitem__`` each."""
    keys = [plain_index(index) for index in indices]
    if callable(getattr(dataset, "__getitems__", None)):
        return dataset.__getitems__(keys)
    return [dataset[key] for key in keys]


def fetch_batch(dataset, indices):
    """The samples of ``dataset`` at ``indices`` as one host batch: by ``dataset.get_batch``
    where it has one (a fancy index per array), else read as :func:`read_samples` does and
    collated by :func:`~xpnet.data.default_collate`."""
    get_batch = getattr(dataset, "get_batch", None)
    if get_batch is not None:
        return get_batch(indices)
    return default_collate(read_samples(dataset, indices))


def _split_lengths(lengths, total: int) -> list[int]:
    """Integer lengths from counts (summing to ``total``) or fractions (summing to 1)."""
    # fractions first, as PyTorch's: integer lengths [1, 0] are fractions too
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for index, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                msg = (
                    f"random_split: fraction at index {index} is not between 0 and 1, got {lengths}"
                )
                raise ValueError(msg)
        # PyTorch's rule: floor each fraction, then hand out the remainder one by one
        counts = [int(numpy.floor(total * fraction)) for fraction in lengths]
        for index in range(total - sum(counts)):
            counts[index % len(counts)] += 1
        for index in (index for index, count in enumerate(counts) if count == 0):
            msg = f"Length of split at index {index} is 0. This might result in an empty dataset."
            warnings.warn(msg, stacklevel=3)  # PyTorch's warning, at random_split's caller
    elif all(isinstance(length, numbers.Integral) for length in lengths):  # NumPy's ints too
        counts = [int(length) for length in lengths]
    else:
        msg = f"random_split: lengths must be counts or fractions summing to 1, got {lengths}"
        raise ValueError(msg)
    if sum(counts) != total or min(counts) < 0:
        msg = f"random_split: lengths must sum to the dataset length {total}, got {lengths}"
        raise ValueError(msg)
    return counts


def random_split(dataset, lengths, generator=None, *, seed: int | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets, reproducibly from ``generator``
    or ``seed``.

    Args:
        dataset: the dataset to split.
        lengths: the subset sizes (summing to ``len(dataset)``), or fractions summing to 1.
        generator: a ``numpy.random.Generator`` (an :class:`xpnet.Generator`, as PyTorch's
            ``generator=torch.Generator().manual_seed(42)``) that draws the shuffle; it
            advances. Default: ``None``.
        seed: or the seed of a new generator; the same seed gives the same split. Default:
            ``None`` (with no generator either, the generator :func:`xpnet.manual_seed` seeds
            draws the split, as PyTorch's default generator does).

    Returns:
        A list of :class:`Subset`, one per entry of ``lengths``.

    Raises:
        ValueError: if ``lengths`` do not add up to the dataset, a fraction is outside
            [0, 1], or both ``generator`` and ``seed`` are given.
        TypeError: for a ``generator`` that is not a NumPy generator.

    Warns:
        UserWarning: for each split of fractions that comes out empty, as PyTorch's.

    Example:
        >>> train, test = random_split(TensorDataset(xp.arange(10)), [0.8, 0.2], seed=0)
        >>> len(train), len(test)
        (8, 2)
        >>> sorted(train.indices.tolist() + test.indices.tolist()) == list(range(10))
        True
    """
    if generator is not None and seed is not None:
        msg = f"random_split: give generator or seed, not both (got seed={seed})"
        raise ValueError(msg)
    if generator is not None:
        check_generator("random_split", generator)
    counts = _split_lengths(list(lengths), len(dataset))
    if generator is None:
        generator = host_generator() if seed is None else numpy.random.default_rng(seed)
    order = generator.permutation(len(dataset))
    bounds = numpy.cumsum([0, *counts])
    return [
        Subset(dataset, order[start:stop])
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def load_digits():
    """scikit-learn's 1,797 handwritten digits, 8x8 pixels (embedded: nothing to download).

    Returns:
        ``(images, labels)``: NumPy float32 images of shape (1797, 1, 8, 8) scaled from the
        original 0..16 to [0, 1], and int64 labels 0..9.

    Raises:
        ImportError: if scikit-learn is not installed.

    Example:
        >>> images, labels = load_digits()
        >>> images.shape, images.dtype, float(images.max()), labels[:5]
        ((1797, 1, 8, 8), dtype('float32'), 1.0, array([0, 1, 2, 3, 4]))
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as error:
        msg = 'load_digits needs scikit-learn: pip install -e ".[train]" (from a clone)'
        raise ImportError(msg) from error
    digits = sklearn_load_digits()
    images = (digits.images / 16.0).astype(numpy.float32).reshape(-1, 1, 8, 8)
    return images, digits.target.astype(numpy.int64)


def load_mnist(path, split: str = "test"):
    """Read an MNIST split from the IDX files in folder ``path`` (gzipped or not).

    Looks for ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (``train-...`` for
    ``split="train"``), each with or without ``.gz``. When the folder has a ``SHA256SUMS``
    file, it must list both files, and their checksums are verified.

    Args:
        path: the folder holding the files.
        split: ``"test"`` (10,000 images) or ``"train"`` (60,000). Default: ``"test"``.

    Returns:
        ``(images, labels)``: NumPy float32 images of shape (N, 1, 28, 28) scaled from
        0..255 to [0, 1], and int64 labels 0..9.

    Raises:
        FileNotFoundError: if a file is missing (the message names it).
        ValueError: if a file is not valid gzip, has a bad IDX magic number or header, is
            truncated or too long, fails its checksum or is not listed in ``SHA256SUMS``, or
            the two files disagree; the message names the file and the problem.
    """
    images, labels = read_mnist(path, split)
    return (images.astype(numpy.float32) / 255.0).reshape(-1, 1, 28, 28), labels


# torchvision's datasets, here too so that ported ``from xpnet.data import datasets`` then
# ``datasets.MNIST(...)`` finds them (they subclass Dataset above, hence the imports at the end)
# isort: off
from .vision_datasets import FakeData, VisionDataset  # noqa: E402
from .mnist import KMNIST, MNIST, FashionMNIST, download_mnist  # noqa: E402
from .folder import DatasetFolder, ImageFolder  # noqa: E402
from .cifar import CIFAR10, CIFAR100  # noqa: E402
from .mnist_more import EMNIST, QMNIST  # noqa: E402
from .vision_datasets_more import SEMEION, SVHN, USPS  # noqa: E402
# isort: on
