"""``torch.utils.data.distributed``: ``DistributedSampler``, as :mod:`xpnet.data`'s own objects."""

from ...data import DistributedSampler

__all__ = ["DistributedSampler"]
