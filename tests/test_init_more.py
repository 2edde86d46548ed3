"""xpnet.nn.init's deprecated aliases (``uniform``, ``normal``, ...): PyTorch's names, its
``FutureWarning``, and the values of the function with the trailing underscore."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet.nn import init

# alias -> arguments after the tensor; the tensor's shape suits every initializer here
ALIASES = {
    "uniform": (-0.5, 2.0),
    "normal": (0.3, 2.0),
    "constant": (0.25,),
    "eye": (),
    "dirac": (),
    "xavier_uniform": (),
    "xavier_normal": (1.5,),
    "kaiming_uniform": (),
    "kaiming_normal": (0.1, "fan_out"),
    "orthogonal": (2.0,),
    "sparse": (0.3,),
}


def test_aliases_are_torch_deprecated_names():
    deprecated = [n for n in torch.nn.init.__all__ if not n.endswith("_") and "calc" not in n]
    assert sorted(deprecated) == sorted(ALIASES) == sorted(xpnet.nn.init_more.__all__)
    assert set(ALIASES) <= set(init.__all__)
    for name in ALIASES:
        assert getattr(init, name).__name__ == name


@pytest.mark.parametrize("name, args", sorted(ALIASES.items()))
def test_alias_warns_as_torch_and_fills_as_the_new_function(backend, name, args):
    shape = (6, 4, 3) if name == "dirac" else (6, 4)
    message = f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`."
    with pytest.warns(FutureWarning, match=message) as caught:
        getattr(torch.nn.init, name)(torch.empty(shape), *args)
    assert caught[0].filename == __file__  # stacklevel 2: the caller's line
    xpnet.manual_seed(3)
    expected = getattr(init, f"{name}_")(backend.asarray(np.zeros(shape)), *args)
    xpnet.manual_seed(3)
    tensor = xpnet.Tensor(backend.asarray(np.zeros(shape)))
    with pytest.warns(FutureWarning, match=message) as caught:
        assert getattr(init, name)(tensor, *args) is tensor
    assert caught[0].filename == __file__
    np.testing.assert_array_equal(tensor.numpy(), backend.to_host(expected))


def test_alias_passes_errors_and_keywords_through():
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="2 dimensions"):
        init.eye(np.zeros(3))
    with pytest.warns(FutureWarning):
        values = init.constant(np.zeros(2), val=4.0)
    np.testing.assert_array_equal(values, [4.0, 4.0])
