"""Datasets and the data loader, after :mod:`torch.utils.data`.

``datasets.py`` holds the datasets and splits (``_idx.py`` reads MNIST's files for it),
``mnist.py`` torchvision's :class:`MNIST` with its download (``vision_datasets.py``,
``folder.py``, ``cifar.py``, ``mnist_more.py`` and ``vision_datasets_more.py`` torchvision's
other datasets), ``transforms.py`` torchvision's transforms (and ``transforms_*.py``),
``tv_tensors.py`` torchvision's ``tv_tensors`` (``Image``, ``Video``, ``Mask``,
``BoundingBoxes``, ``KeyPoints``),
``vision_utils.py`` torchvision's ``utils`` (``make_grid``, ``save_image``, ``draw_*``),
``sampler.py`` PyTorch's samplers (``distributed.py`` :class:`DistributedSampler`),
``loader.py`` the :class:`DataLoader` that batches them onto
the current backend (with background worker threads, or processes: ``worker.py``,
``workers.py``), ``iterable.py`` and ``combined.py`` PyTorch's iterable and combined datasets.

Example:
    >>> from xpnet.data import DataLoader, TensorDataset, load_digits, random_split
    >>> train, test = random_split(TensorDataset(*load_digits()), [1500, 297], seed=0)
    >>> images, labels = next(iter(DataLoader(train, batch_size=64, shuffle=True, seed=0)))
    >>> images.shape, images.dtype, labels.dtype
    ((64, 1, 8, 8), dtype('float32'), dtype('int64'))
"""

from __future__ import annotations

# isort: off
# datasets first: it imports torchvision's datasets at its end, which subclass its Dataset
from .datasets import *  # noqa: F403
from .datasets import __all__ as _datasets_all
from . import folder, transforms, tv_tensors, vision_utils

# isort: on
from .combined import ConcatDataset, StackDataset
from .distributed import DistributedSampler
from .iterable import ChainDataset, IterableDataset
from .loader import DataLoader, default_collate, default_convert
from .mnist_more import EMNIST, QMNIST
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .vision_datasets_more import SEMEION, SVHN, USPS
from .worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "DistributedSampler",
    "EMNIST",
    "IterableDataset",
    "QMNIST",
    "RandomSampler",
    "SEMEION",
    "SVHN",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "SubsetRandomSampler",
    "USPS",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "folder",
    "get_worker_info",
    "transforms",
    "tv_tensors",
    "vision_utils",
    *_datasets_all,
]
