"""``torch.utils.data.distributed``: ``DistributedSampler``, as :mod:`xpnet.data`'s own
object."""

from ...data.distributed import *  # noqa: F403
from ...data.distributed import __all__ as __all__
