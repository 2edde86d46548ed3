"""torchvision's ``torchvision/ops/drop_block.py``: DropBlock (Ghiasi et al., "DropBlock: A
regularization method for convolutional networks", 2018), which zeroes square (cubic) blocks
of feature maps in training and rescales the rest.
"""

from __future__ import annotations

from .. import nn
from ..nn import functional as F

__all__ = ["DropBlock2d", "DropBlock3d", "drop_block2d", "drop_block3d"]


def _drop_block(input, p, block_size, inplace, eps, training, dims):
    """What drop_block2d (``dims=2``) and drop_block3d (``dims=3``) share, in torchvision's order
    of checks and draws."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != dims + 2:
        raise ValueError(f"input should be {dims + 2} dimensional. Got {input.ndim} dimensions.")
    if not training or p == 0.0:
        return input
    spatial = tuple(input.shape[2:])
    block_size = min(block_size, *spatial)
    if block_size % 2 == 0:
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")
    valid = [size - block_size + 1 for size in spatial]
    # torchvision's order of operations, so that gamma rounds the same
    numerator, count = p, 1
    for size, fits in zip(spatial, valid, strict=True):
        numerator, count = numerator * size, count * fits
    gamma = numerator / ((block_size**dims) * count)
    # the block centres, drawn where a whole block fits, then grown to blocks by a max pool
    noise = input.new_empty((*input.shape[:2], *valid)).bernoulli_(gamma)
    noise = F.pad(noise, [block_size // 2] * (2 * dims), value=0)
    pool = F.max_pool2d if dims == 2 else F.max_pool3d
    noise = pool(
        noise, stride=(1,) * dims, kernel_size=(block_size,) * dims, padding=block_size // 2
    )
    noise = 1 - noise
    normalize_scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(normalize_scale)
    return input * noise * normalize_scale


def drop_block2d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """DropBlock on ``[N, C, H, W]`` feature maps (``torchvision.ops.drop_block2d``).

    Args:
        input: the feature maps.
        p: the probability of dropping an element, in [0, 1].
        block_size: the (odd) side of the dropped blocks, at most the map's sides.
        inplace: write into ``input``.
        eps: added to the kept count before rescaling.
        training: apply it; otherwise, or when ``p`` is 0, ``input`` itself is returned.

    Raises:
        ValueError: ``p`` outside [0, 1], ``input`` not 4-D, an even block (torchvision's
            messages).

    Example:
        >>> import xpnet
        >>> from xpnet.ops import drop_block2d
        >>> x = xpnet.ones(1, 1, 4, 4)
        >>> drop_block2d(x, 0.0, 3) is x
        True
    """
    return _drop_block(input, p, block_size, inplace, eps, training, dims=2)


def drop_block3d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """DropBlock on ``[N, C, D, H, W]`` feature maps (``torchvision.ops.drop_block3d``);
    arguments as :func:`drop_block2d`.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import drop_block3d
        >>> x = xpnet.ones(1, 1, 3, 3, 3)
        >>> drop_block3d(x, 0.5, 3, training=False) is x
        True
    """
    return _drop_block(input, p, block_size, inplace, eps, training, dims=3)


class DropBlock2d(nn.Module):
    """:func:`drop_block2d` as a layer, applied in training mode only.

    Example:
        >>> from xpnet.ops import DropBlock2d
        >>> DropBlock2d(0.1, 3)
        DropBlock2d(p=0.1, block_size=3, inplace=False)
    """

    def __init__(self, p, block_size, inplace=False, eps=1e-06):
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input):
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def __repr__(self):
        name = self.__class__.__name__
        return f"{name}(p={self.p}, block_size={self.block_size}, inplace={self.inplace})"


class DropBlock3d(DropBlock2d):
    """:func:`drop_block3d` as a layer, applied in training mode only.

    Example:
        >>> from xpnet.ops import DropBlock3d
        >>> DropBlock3d(0.1, 3)
        DropBlock3d(p=0.1, block_size=3, inplace=False)
    """

    def forward(self, input):
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps, self.training)
