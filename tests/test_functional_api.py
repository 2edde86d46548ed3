"""``xpnet.nn.functional`` as a porting user of ``torch.nn.functional`` meets it: every shared
name's signature against torch's (the documented differences listed), ``inplace=`` with
gradients, and the deprecated ``size_average``/``reduce`` of the class-index losses."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, random_input

import xpnet
import xpnet.nn.functional as F

# keyword-only options of xpnet's forwards that only the autograd glue passes
FORWARD_ONLY = {"return_stats", "return_mask", "return_exp"}
# documented differences (docs/kernels.md, docs/losses-and-layers.md): name -> torch's
# parameters that xpnet leaves out, and those it requires (none at present)
WITHOUT: dict[str, set[str]] = {}
REQUIRED: dict[str, set[str]] = {}
# torch's docstring header lists these as positional, but its parser takes them by keyword
# only (a 7th positional argument is a TypeError; the docstring says so for scale)
KEYWORD_ONLY = {"scaled_dot_product_attention": {"scale", "enable_gqa"}}


def _torch_parameters(name):
    """torch's parameters of ``name``: from its signature, the ``*_with_indices`` form of a
    boolean dispatch, or the first docstring line of a builtin."""
    function = getattr(TF, f"{name}_with_indices", None) or getattr(TF, name)
    try:
        return list(inspect.signature(function).parameters.values())
    except ValueError:  # a C builtin: "conv2d(input, weight, bias=None, ...) -> Tensor"
        lines = function.__doc__.strip().splitlines()
        header = lines[0]
        for line in lines[1:]:  # a header over several lines: scaled_dot_product_attention's
            if ")" in header:
                break
            header += " " + line.strip()
        arguments = header[header.index("(") + 1 : header.rindex(")")]
        return list(inspect.signature(eval(f"lambda {arguments}: None")).parameters.values())


def _expected(name):
    """torch's (name, kind, default) list of ``name`` with the documented differences applied."""
    expected = []
    for parameter in _torch_parameters(name):
        if parameter.name in WITHOUT.get(name, ()):
            continue
        kind, default = parameter.kind, parameter.default
        if parameter.name in REQUIRED.get(name, ()):
            default = inspect.Parameter.empty
        if parameter.name in KEYWORD_ONLY.get(name, ()):
            kind = inspect.Parameter.KEYWORD_ONLY
        expected.append((parameter.name, kind, default))
    # keyword-only ones after the positional ones, as Python requires
    return sorted(expected, key=lambda item: item[1] == inspect.Parameter.KEYWORD_ONLY)


@pytest.mark.parametrize("name", sorted(F.__all__))
def test_functional_signature_matches_torch(name):
    ours = [
        (parameter.name, parameter.kind, parameter.default)
        for parameter in inspect.signature(getattr(F, name)).parameters.values()
        if parameter.name not in FORWARD_ONLY
    ]
    assert ours == _expected(name)
    assert getattr(F, name).__name__ == name


ACTIVATIONS_INPLACE = [
    name for name in F.__all__ if "inplace" in inspect.signature(getattr(F, name)).parameters
]


@pytest.mark.parametrize("name", ACTIVATIONS_INPLACE)
def test_functional_inplace_keeps_gradients_and_input(backend, name):
    # elu and silu differentiate their input: an in-place forward used to overwrite it
    shape = {"dropout1d": (2, 3, 4), "dropout2d": (2, 3, 4, 4), "dropout3d": (2, 3, 2, 4, 4)}
    values = 2 * random_input(shape.get(name, (3, 4)))
    args = (0.0,) if name.startswith("dropout") else ()
    args = (0.5, -2.0) if name == "threshold" else args  # threshold and value are required
    leaf = xpnet.Tensor(xpnet.asarray(values), requires_grad=True)
    hidden = leaf * 1.0
    getattr(F, name)(hidden, *args, inplace=True).sum().backward()
    theirs = torch.tensor(values, requires_grad=True)
    getattr(TF, name)(theirs * 1.0, *args, inplace=True).sum().backward()
    assert_close(xpnet.to_numpy(leaf.grad), theirs.grad.numpy(), np.float64, "grad_input")
    np.testing.assert_array_equal(xpnet.to_numpy(hidden.array), values)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("legacy", [{"size_average": False}, {"reduce": False}])
def test_class_index_losses_refuse_size_average_by_name(backend, name, legacy):
    logits = xpnet.Tensor(xpnet.asarray(random_input((3, 4))), requires_grad=True)
    target = xpnet.asarray(np.array([0, 3, 1]))
    with pytest.raises(ValueError, match=f"{name}: size_average and reduce are deprecated"):
        getattr(F, name)(logits, target, **legacy)
    # None, PyTorch's default, is accepted and changes nothing, gradients included
    loss = getattr(F, name)(logits, target, size_average=None, reduce=None, reduction="sum")
    loss.backward()
    theirs = torch.tensor(xpnet.to_numpy(logits.array), requires_grad=True)
    expected = getattr(TF, name)(theirs, torch.tensor([0, 3, 1]), reduction="sum")
    expected.backward()
    assert_close(xpnet.to_numpy(loss.array), expected.detach().numpy(), np.float64)
    assert_close(xpnet.to_numpy(logits.grad), theirs.grad.numpy(), np.float64, "grad_input")


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_index_losses_take_torch_positional_layout(backend, name):
    # F.nll_loss(x, t, weight, size_average, ignore_index, reduce, reduction), as PyTorch's
    values = np.log(np.full((3, 4), 0.25)) + random_input((3, 4))
    target = np.array([0, 3, 1])
    logits = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    ours = getattr(F, name)(logits, backend.asarray(target), None, None, 3, None, "sum")
    ours.backward()
    theirs_input = torch.tensor(values, requires_grad=True)
    theirs = getattr(TF, name)(theirs_input, torch.tensor(target), None, None, 3, None, "sum")
    theirs.backward()
    assert_close(xpnet.to_numpy(ours.array), theirs.detach().numpy(), np.float64, "loss")
    assert_close(xpnet.to_numpy(logits.grad), theirs_input.grad.numpy(), np.float64, "grad")


@pytest.mark.parametrize(
    "name, shape, args",
    [
        ("max_pool1d", (2, 3, 7), (3, 2, 1)),
        ("max_pool2d", (2, 3, 6, 5), (2,)),
        ("max_pool3d", (1, 2, 4, 4, 4), (2, 1)),
        ("adaptive_max_pool1d", (2, 3, 7), (3,)),
        ("adaptive_max_pool2d", (2, 3, 6, 5), ((2, 3),)),
        ("adaptive_max_pool3d", (1, 2, 4, 4, 5), (2,)),
    ],
)
@pytest.mark.parametrize("requires_grad", [True, False])
def test_with_indices_forms_return_output_and_indices(backend, name, shape, args, requires_grad):
    # F.<pool>_with_indices returns (output, indices) even for return_indices=False
    values = random_input(shape)
    x = xpnet.Tensor(backend.asarray(values), requires_grad=requires_grad)
    output, indices = getattr(F, f"{name}_with_indices")(x, *args, return_indices=False)
    theirs = torch.tensor(values, requires_grad=True)
    expected, expected_indices = getattr(TF, f"{name}_with_indices")(theirs, *args)
    assert_close(xpnet.to_numpy(output.array), expected.detach().numpy(), np.float64)
    np.testing.assert_array_equal(xpnet.to_numpy(indices), expected_indices.numpy())
    if requires_grad:
        (output * output).sum().backward()
        (expected * expected).sum().backward()
        assert_close(xpnet.to_numpy(x.grad), theirs.grad.numpy(), np.float64, "grad")
