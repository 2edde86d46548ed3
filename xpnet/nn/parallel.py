"""``torch.nn.parallel``'s names for ported imports: :class:`DataParallel` (one device per
process, :mod:`xpnet.nn.data_parallel`) and :class:`DistributedDataParallel` (one process per
device, :mod:`xpnet.distributed`), the same classes.

Example:
    >>> import xpnet
    >>> from xpnet.nn.parallel import DistributedDataParallel as DDP
    >>> DDP is xpnet.distributed.DistributedDataParallel
    True
"""

from .data_parallel import DataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]  # noqa: F822 - the second by __getattr__


def __getattr__(name: str):
    # on first use: xpnet.distributed builds on xpnet.nn, which imports this module
    if name == "DistributedDataParallel":
        from ..distributed import DistributedDataParallel

        return DistributedDataParallel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
