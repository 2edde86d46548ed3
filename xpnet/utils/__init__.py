"""``torch.utils``'s counterparts that are not data: :mod:`xpnet.utils.checkpoint`
(activation checkpointing). ``torch.utils.data`` is :mod:`xpnet.data`."""

from . import checkpoint

__all__ = ["checkpoint"]
