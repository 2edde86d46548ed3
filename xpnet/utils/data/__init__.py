"""``torch.utils.data``'s name for :mod:`xpnet.data`, so that ported imports run:
``from xpnet.utils.data import DataLoader`` and ``from xpnet.utils.data.distributed import
DistributedSampler`` give :mod:`xpnet.data`'s own objects. Its submodules ``dataloader``,
``dataset``, ``sampler`` and ``distributed`` hold the names PyTorch's do.

Example:
    >>> import xpnet
    >>> from xpnet.utils.data import DataLoader
    >>> DataLoader is xpnet.data.DataLoader
    True
"""

from ...data import *  # noqa: F403
from ...data import __all__ as _data_all
from . import dataloader, dataset, distributed, sampler

__all__ = [*_data_all, "dataloader", "dataset", "distributed", "sampler"]
