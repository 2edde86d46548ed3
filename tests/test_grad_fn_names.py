"""``grad_fn.name()`` where xpnet records the same operation as PyTorch under another name:
the node names of torch 2.13 (CPU) for the same calls (``tests/test_tensor_print.py`` has
those whose names agree by construction). The differences left are listed in
docs/porting.md."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import xpnet
import xpnet.nn.functional as XF


def _functional(m):
    return TF if m is torch else XF


# name -> the call on namespace m and a (2, 4, 4, 4) tensor x that requires grad
CALLS = {
    "max": lambda m, x: x.max(),
    "min": lambda m, x: x.min(),
    "maximum": lambda m, x: m.maximum(x, x * 2),
    "minimum": lambda m, x: m.minimum(x, x * 2),
    "where": lambda m, x: m.where(x > 0, x, 0.0),
    "masked_fill": lambda m, x: x.masked_fill(x > 0, 0.0),
    "gather": lambda m, x: x.gather(1, m.zeros((2, 1, 4, 4), dtype=m.int64)),
    "take_along_dim": lambda m, x: m.take_along_dim(x, m.zeros((1, 1, 1, 1), dtype=m.int64), 1),
    "index_select": lambda m, x: x.index_select(0, m.tensor([1, 0])),
    "cumsum": lambda m, x: x.cumsum(1),
    "norm": lambda m, x: x.norm(),
    "linalg.vector_norm": lambda m, x: m.linalg.vector_norm(x, 3, dim=1),
    "logsigmoid": lambda m, x: _functional(m).logsigmoid(x),
    "relu6": lambda m, x: _functional(m).relu6(x),
    "unfold": lambda m, x: _functional(m).unfold(x, 2),
    "fold": lambda m, x: _functional(m).fold(x.reshape(2, 16, 4), (4, 4), 2, stride=2),
    "conv1d": lambda m, x: _functional(m).conv1d(x.flatten(2), x[:2, :, 0, :2]),
    "conv2d": lambda m, x: _functional(m).conv2d(x, x[:2, :, :2, :2]),
    "conv_transpose2d": lambda m, x: _functional(m).conv_transpose2d(x, x[0, :, :2, :2, None]),
    "max_pool2d": lambda m, x: _functional(m).max_pool2d(x, 2),
    "max_pool3d": lambda m, x: _functional(m).max_pool3d(x.unsqueeze(0), 2),
    "avg_pool2d": lambda m, x: _functional(m).avg_pool2d(x, 2),
    "avg_pool3d": lambda m, x: _functional(m).avg_pool3d(x.unsqueeze(0), 2),
    "batch_norm": lambda m, x: _functional(m).batch_norm(x, None, None, training=True),
    "layer_norm": lambda m, x: _functional(m).layer_norm(x, (4,)),
    "group_norm": lambda m, x: _functional(m).group_norm(x, 2),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_grad_fn_name_is_torchs_for_the_same_operation(backend, name):
    values = np.linspace(-1.0, 1.0, 128).reshape(2, 4, 4, 4)
    ours = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    assert CALLS[name](xpnet, ours).grad_fn.name() == CALLS[name](torch, theirs).grad_fn.name()
