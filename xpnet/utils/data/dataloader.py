"""``torch.utils.data.dataloader``: the loader, its collate functions and
``get_worker_info``, as :mod:`xpnet.data`'s own objects."""

from ...data import DataLoader, default_collate, default_convert, get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
