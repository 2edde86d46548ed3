"""``torch.utils``'s counterparts: :mod:`xpnet.utils.checkpoint` (activation
checkpointing) and :mod:`xpnet.utils.data`, PyTorch's name for :mod:`xpnet.data`."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
