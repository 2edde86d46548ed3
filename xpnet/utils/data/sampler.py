"""``torch.utils.data.sampler``: the samplers, as :mod:`xpnet.data`'s own objects."""

from ...data.sampler import *  # noqa: F403
from ...data.sampler import __all__ as __all__
