"""``Tensor.stride`` and ``Tensor.is_contiguous`` against PyTorch's on contiguous, permuted,
sliced, expanded, empty and 0-d tensors, and their argument errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet

LAYOUTS = {
    "contiguous": lambda x: x,
    "permuted": lambda x: x.permute(2, 0, 1),
    "transposed": lambda x: x.transpose(0, 1),
    "sliced": lambda x: x[:, 1:, ::2],
    "row": lambda x: x[1],
    "expanded": lambda x: x[:, :1].expand(2, 5, 4),
    "unsqueezed": lambda x: x.unsqueeze(1),
    "empty": lambda x: x[:, :0],
    "empty permuted": lambda x: x[:0].permute(1, 0, 2),
    "0-d": lambda x: x[0, 0, 0],
    "contiguous copy": lambda x: x.permute(2, 0, 1).contiguous(),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_stride_and_is_contiguous_match_pytorch(layout):
    values = np.arange(24.0).reshape(2, 3, 4)
    ours = LAYOUTS[layout](xpnet.tensor(values))
    theirs = LAYOUTS[layout](torch.tensor(values))
    assert ours.shape == tuple(theirs.shape)
    assert ours.is_contiguous() == theirs.is_contiguous()
    if theirs.numel():  # an empty array keeps no steps: it reports contiguous ones
        assert ours.stride() == theirs.stride()
    else:
        assert ours.stride() == torch.empty(theirs.shape).stride()
    for dim in range(-ours.ndim, ours.ndim):
        assert ours.stride(dim) == ours.stride()[dim]


def test_stride_errors_name_the_method():
    x = xpnet.zeros(2, 3)
    with pytest.raises(IndexError, match=r"Tensor\.stride: dim must be in \[-2, 1\]"):
        x.stride(2)
    with pytest.raises(TypeError, match=r"Tensor\.stride: dim must be an int"):
        x.stride("a")
    with pytest.raises(IndexError, match=r"Tensor\.stride: a 0-d tensor"):
        xpnet.tensor(1.0).stride(0)
    assert xpnet.tensor(1.0).stride() == ()
