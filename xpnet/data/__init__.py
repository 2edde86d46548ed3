"""Datasets and the data loader, after :mod:`torch.utils.data`.

``datasets.py`` holds the datasets and splits (``_idx.py`` reads MNIST's files for it),
``mnist.py`` torchvision's :class:`MNIST` with its download, ``transforms.py`` torchvision's
``ToTensor``/``Normalize``/``Compose``, ``sampler.py`` PyTorch's samplers (``distributed.py``
:class:`DistributedSampler`), ``loader.py`` the :class:`DataLoader` that batches them onto
the current backend (with background worker threads).

Example:
    >>> from xpnet.data import DataLoader, TensorDataset, load_digits, random_split
    >>> train, test = random_split(TensorDataset(*load_digits()), [1500, 297], seed=0)
    >>> images, labels = next(iter(DataLoader(train, batch_size=64, shuffle=True, seed=0)))
    >>> images.shape, images.dtype, labels.dtype
    ((64, 1, 8, 8), dtype('float32'), dtype('int64'))
"""

from __future__ import annotations

from . import transforms
from .datasets import *  # noqa: F403
from .datasets import __all__ as _datasets_all
from .distributed import DistributedSampler
from .loader import DataLoader, default_collate
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "DataLoader",
    "DistributedSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "default_collate",
    "transforms",
    *_datasets_all,
]
