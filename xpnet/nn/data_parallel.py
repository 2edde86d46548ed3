"""``DataParallel``: :class:`torch.nn.DataParallel` where xpnet has one device per process.

PyTorch's ``DataParallel`` splits a batch over the GPUs of one process, runs a replica of the
module on each and gathers the outputs. xpnet drives one device per process, so its
multi-GPU path is :class:`xpnet.distributed.DistributedDataParallel` (one process per GPU;
see ``docs/distributed.md``), which PyTorch recommends over ``DataParallel`` too. What is left
is what PyTorch does with no GPU or with one device: call the module, and keep it under
``.module`` so that ``state_dict`` keys carry the ``module.`` prefix.
"""

from __future__ import annotations

from .. import cuda
from ..devices import device
from .module import Module

__all__ = ["DataParallel"]

_USE_DDP = (
    "xpnet drives one device per process: for several GPUs use "
    "xpnet.distributed.DistributedDataParallel, one process per GPU (docs/distributed.md)"
)


def _device_index(value, where: str) -> int:
    """The CUDA index of ``value`` (an int, ``"cuda:i"`` or a ``device``), as torch's
    ``_get_device_index(value, optional=True)``: a ``"cuda"`` without index is the current one."""
    if isinstance(value, bool) or not isinstance(value, (int, str, device)):
        msg = f"DataParallel: {where} must be an int or a cuda device, got {value!r}"
        raise ValueError(msg)
    if isinstance(value, int):
        return value
    place = device(value)
    if place.type != "cuda":
        msg = f"Expected a cuda device, but got: {place}"  # torch's message
        raise ValueError(msg)
    return 0 if place.index is None else place.index


class DataParallel(Module):
    r"""Wrap ``module`` as :class:`torch.nn.DataParallel` does with one device.

    Without a GPU (the NumPy backends), as PyTorch without CUDA: ``device_ids`` and
    ``output_device`` are ignored, ``self.device_ids == []`` and ``forward`` calls
    ``self.module(*inputs, **kwargs)``. With a GPU, ``device_ids`` (default: the current
    device) and ``output_device`` (default: ``device_ids[0]``) are checked as PyTorch checks
    them, the module is moved to ``device_ids[0]`` and called there.

    Args:
        module: the module to wrap; reachable as ``self.module``.
        device_ids: CUDA devices (ints or devices). At most one: xpnet drives one device per
            process. Default: ``None`` (the current device).
        output_device: the device of the output. Default: ``device_ids[0]``.
        dim: the batch dimension PyTorch would scatter along. Default: 0.

    Note:
        Several GPUs in one process are not supported: xpnet's multi-GPU path is
        :class:`xpnet.distributed.DistributedDataParallel`, one process per GPU (see
        ``docs/distributed.md``), which PyTorch recommends over ``DataParallel`` as well.

    Raises:
        ValueError: with a GPU, for more than one of ``device_ids``, an empty list, an
            ``output_device`` other than ``device_ids[0]`` or a device that is not a CUDA one.

    Example:
        >>> import xpnet
        >>> net = xpnet.nn.DataParallel(xpnet.nn.Linear(3, 2))
        >>> sorted(net.state_dict())
        ['module.bias', 'module.weight']
        >>> tuple(net(xpnet.ones(4, 3)).shape)
        (4, 2)
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if not cuda.is_available():
            # torch without an accelerator: everything but the module is ignored
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = [0]  # the one device this process drives
        device_ids = list(device_ids)
        if not device_ids:
            msg = f"DataParallel: device_ids must name one device, got {device_ids!r}"
            raise ValueError(msg)
        if len(device_ids) > 1:
            msg = f"DataParallel: device_ids={device_ids!r} names several devices; {_USE_DDP}"
            raise ValueError(msg)
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_device_index(x, "device_ids") for x in device_ids]
        self.output_device = _device_index(output_device, "output_device")
        if self.output_device != self.device_ids[0]:
            msg = (
                f"DataParallel: output_device must be device_ids[0]={self.device_ids[0]} with "
                f"one device, got {self.output_device}; {_USE_DDP}"
            )
            raise ValueError(msg)
        self.src_device_obj = device("cuda", self.device_ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        """``self.module(*inputs, **kwargs)``: one device holds the whole batch."""
        return self.module(*inputs, **kwargs)
