"""``xpnet.models``' torchvision models against torchvision 0.28's (the test oracle).

For every builder: the module tree (``repr``: names, types, strides, groups, dilations, ...)
and the ``state_dict`` keys, shapes and dtypes are torchvision's. For one model per block
type and option (BasicBlock, Bottleneck, groups, dilation, a norm layer, VGG, AlexNet,
MobileNetV2, SqueezeNet): torchvision's weights give the same logits in float64 (VGG and AlexNet:
float32), in eval mode and in train mode, and the running statistics update the same; xpnet's
own initialisation loads into torchvision and draws each parameter from torchvision's
distribution. The biggest ResNets (ResNet-152, ResNeXt-101) get one float32 eval forward
each. ``resnet18`` has its own file, ``test_resnet18.py``.

Speed: the structure tests build xpnet's models with the random draws turned off and
torchvision's on its ``meta`` device (both allocate only); the value tests build xpnet's
without draws too and load torchvision's weights, except where the initialisation is tested.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _models_oracle import (
    assert_close,
    assert_same_distribution,
    assert_same_structure,
    logits,
    random_images,
    random_state,
    signature,
    to_torch,
    to_xpnet,
    torch_logits,
    without_draws,
)
from _torchvision import import_torchvision

import xpnet
from xpnet import models

torchvision = import_torchvision()

RESNETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
RESNETS += ["resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d"]
RESNETS += ["wide_resnet50_2", "wide_resnet101_2"]
VGGS = [f"vgg{depth}{bn}" for depth in (11, 13, 16, 19) for bn in ("", "_bn")]
BUILDERS = RESNETS + VGGS + ["alexnet", "mobilenet_v2", "squeezenet1_0", "squeezenet1_1"]


def _on_meta(name, **kwargs):
    with torch.device("meta"):
        return getattr(torchvision.models, name)(**kwargs)


@pytest.mark.parametrize("name", BUILDERS)
def test_module_tree_and_state_dict_are_torchvisions(name, monkeypatch):
    model = without_draws(monkeypatch, name, num_classes=10)
    expected = _on_meta(name, num_classes=10)
    assert_same_structure(model, expected)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in expected.named_parameters()]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("resnet101", {"replace_stride_with_dilation": [False, False, True]}),
        ("wide_resnet50_2", {"replace_stride_with_dilation": (True, True, True)}),
        ("resnext101_64x4d", {"zero_init_residual": True}),
        ("mobilenet_v2", {"width_mult": 0.5, "round_nearest": 4, "dropout": 0.1}),
        ("mobilenet_v2", {"inverted_residual_setting": [[2, 8, 2, 2], [1, 16, 1, 1]]}),
        ("vgg13_bn", {"dropout": 0.25, "init_weights": False}),
        ("squeezenet1_1", {"dropout": 0.0}),
    ],
)
def test_module_tree_follows_the_builders_arguments(name, kwargs, monkeypatch):
    model = without_draws(monkeypatch, name, num_classes=10, **kwargs)
    assert repr(model) == repr(_on_meta(name, num_classes=10, **kwargs))


def test_in_channels_is_an_xpnet_addition_to_resnet():
    model = models.resnet18(num_classes=10, in_channels=1)
    assert tuple(model.conv1.weight.shape) == (64, 1, 7, 7)
    assert tuple(model(xpnet.zeros(2, 1, 32, 32)).shape) == (2, 10)


@pytest.mark.parametrize("name", ["resnet50", "vgg11", "alexnet"])
def test_default_num_classes_is_torchvisions(name, monkeypatch):
    last_bias = list(without_draws(monkeypatch, name).state_dict().values())[-1]
    expected = list(_on_meta(name).state_dict().values())[-1]
    assert tuple(last_bias.shape) == tuple(expected.shape) == (1000,)


DILATE = [False, True, True]  # stages 3 and 4 dilated: the grouped 3x3 convs with dilation 2, 4

# (id, builder, keyword arguments, image size, dtype): one case per block type and option.
# The classifiers' dropout is 0 so that train mode is deterministic (eval mode ignores it);
# VGG and AlexNet in float32: their 100M-parameter classifiers make float64 copies slow.
VALUE_CASES = [
    ("resnet18", "resnet18", {}, 32, np.float64),
    ("resnet50", "resnet50", {}, 32, np.float64),
    (
        "resnext50-dilated",
        "resnext50_32x4d",
        {"replace_stride_with_dilation": DILATE},
        32,
        np.float64,
    ),
    ("vgg19_bn", "vgg19_bn", {"dropout": 0.0}, 32, np.float32),  # the biggest VGG
    ("alexnet", "alexnet", {"dropout": 0.0}, 63, np.float32),  # 63: AlexNet's smallest size
    ("mobilenet_v2", "mobilenet_v2", {"dropout": 0.0}, 32, np.float64),
    ("squeezenet1_0", "squeezenet1_0", {"dropout": 0.0}, 32, np.float64),
    ("squeezenet1_1", "squeezenet1_1", {"dropout": 0.0}, 32, np.float64),
]
# (eval, train): in train mode the last stages' norms see few values per channel (1x1 maps,
# batch 2), which amplifies rounding in the logits and the running statistics they update
TOLERANCES = {np.float64: (1e-10, 1e-7), np.float32: (1e-5, 1e-4)}


@pytest.mark.parametrize(
    ("name", "kwargs", "size", "dtype"),
    [pytest.param(*case[1:], id=case[0]) for case in VALUE_CASES],
)
def test_torchvision_weights_give_the_same_logits(backend, monkeypatch, name, kwargs, size, dtype):
    torch.manual_seed(0)
    torch_model = random_state(getattr(torchvision.models, name)(num_classes=10, **kwargs), 1)
    model = without_draws(monkeypatch, name, num_classes=10, **kwargs)
    if dtype == np.float64:
        torch_model, model = torch_model.double(), model.double()
    model.load_state_dict(to_xpnet(torch_model))
    images, (eval_tolerance, train_tolerance) = random_images(size, dtype), TOLERANCES[dtype]
    expected = torch_logits(torch_model.eval(), images)
    assert_close(logits(model.eval(), images), expected, eval_tolerance)
    # train mode: batch statistics, and the running statistics they update
    expected = torch_logits(torch_model.train(), images)
    assert_close(logits(model.train(), images), expected, train_tolerance)
    for key, value in torch_model.named_buffers():
        assert_close(xpnet.to_numpy(model.get_buffer(key)), value.numpy(), train_tolerance)


def _norm_layers():
    """A norm layer other than batch norm, in each library: ``norm_layer`` must be used for
    every norm, and GroupNorm must get torchvision's init (weight 1, bias 0) too."""
    return (lambda c: xpnet.nn.GroupNorm(4, c)), (lambda c: torch.nn.GroupNorm(4, c))


def test_norm_layer_is_used_everywhere(backend, monkeypatch):
    ours, theirs = _norm_layers()
    model = without_draws(monkeypatch, "resnet50", norm_layer=ours)
    assert repr(model) == repr(_on_meta("resnet50", norm_layer=theirs))
    torch.manual_seed(0)
    torch_model = torchvision.models.resnet18(num_classes=10, norm_layer=theirs).double()
    model = without_draws(monkeypatch, "resnet18", num_classes=10, norm_layer=ours).double()
    model.load_state_dict(to_xpnet(random_state(torch_model, 2)))
    images = random_images(32, np.float64)
    assert_close(logits(model, images), torch_logits(torch_model, images), 1e-10)


# (id, builder, keyword arguments): the initialisation of each kind of layer torchvision sets
INIT_CASES = [
    ("resnet18", "resnet18", {}),
    ("resnet18-zero-init", "resnet18", {"zero_init_residual": True}),
    ("resnext50-zero-init", "resnext50_32x4d", {"zero_init_residual": True}),
    ("resnet18-groupnorm", "resnet18", {"norm_layer": "group"}),
    ("vgg11_bn", "vgg11_bn", {}),
    ("alexnet", "alexnet", {}),
    ("mobilenet_v2", "mobilenet_v2", {}),
    ("squeezenet1_0", "squeezenet1_0", {}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), [pytest.param(*case[1:], id=case[0]) for case in INIT_CASES]
)
def test_initialisation_is_torchvisions_and_loads_into_torchvision(backend, name, kwargs):
    ours_kwargs, theirs_kwargs = dict(kwargs), dict(kwargs)
    if kwargs.get("norm_layer") == "group":
        ours_kwargs["norm_layer"], theirs_kwargs["norm_layer"] = _norm_layers()
    xpnet.manual_seed(0)
    model = getattr(models, name)(num_classes=10, **ours_kwargs)
    torch.manual_seed(0)
    torch_model = getattr(torchvision.models, name)(num_classes=10, **theirs_kwargs)
    ours, theirs = to_torch(model), torch_model.state_dict()
    for key, value in theirs.items():
        if value.is_floating_point():
            assert_same_distribution(signature(ours[key]), signature(value), key)
    # xpnet's weights into torchvision (strict: every key, every shape), same logits
    torch_model.load_state_dict(ours)
    images = random_images(63 if name == "alexnet" else 32, np.float32)
    model.eval(), torch_model.eval()
    assert_close(logits(model, images), torch_logits(torch_model, images), 1e-5)


@pytest.mark.parametrize("name", ["resnet152", "resnext101_32x8d"])
def test_biggest_resnets_give_the_same_logits_float32(backend, monkeypatch, name):
    """One eval forward in float32 each, of one image: the deep stacks the smaller models do
    not have (VGG-19-BN is a case of the float64 test above, in float32)."""
    torch.manual_seed(0)
    torch_model = random_state(getattr(torchvision.models, name)(num_classes=10), 3).eval()
    model = without_draws(monkeypatch, name, num_classes=10)
    model.load_state_dict(to_xpnet(torch_model))
    images = random_images(32, np.float32, n=1)
    assert_close(logits(model.eval(), images), torch_logits(torch_model, images), 1e-4)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("resnet18", {"groups": 2}),
        ("resnet34", {"width_per_group": 32}),
        ("resnet18", {"replace_stride_with_dilation": [True, False, False]}),
        ("resnet50", {"replace_stride_with_dilation": [True]}),
        ("resnext50_32x4d", {"groups": 2}),
        ("resnext101_64x4d", {"width_per_group": 8}),
        ("wide_resnet50_2", {"width_per_group": 64}),
        ("vgg11", {"depth": 3}),
        ("alexnet", {"init_weights": False}),
        ("mobilenet_v2", {"inverted_residual_setting": [[1, 16, 1]]}),
        ("mobilenet_v2", {"inverted_residual_setting": []}),
    ],
)
def test_bad_arguments_raise_torchvisions_errors(name, kwargs):
    with pytest.raises(Exception) as expected:
        _on_meta(name, **kwargs)
    with pytest.raises(expected.type) as raised:
        getattr(models, name)(**kwargs)
    assert str(raised.value) == str(expected.value)


# every builder of xpnet.models, this file's and test_models_torchvision_more.py's
@pytest.mark.parametrize("name", [name for name in models.__all__ if name.islower()])
def test_pretrained_weights_are_refused_with_how_to_load_them(name):
    with pytest.raises(NotImplementedError, match=f"{name}: weights='DEFAULT' is not supported"):
        getattr(models, name)(weights="DEFAULT")
    with pytest.raises(NotImplementedError, match=rf"torchvision.models.{name}\(weights=...\)"):
        getattr(models, name)(pretrained=True)


def test_legacy_pretrained_false_warns_as_torchvision(monkeypatch):
    with pytest.warns(UserWarning) as expected:
        _on_meta("resnet18", pretrained=False)
    with pytest.warns(UserWarning) as raised:
        model = without_draws(monkeypatch, "resnet18", pretrained=False)
    assert [str(w.message) for w in raised] == [str(w.message) for w in expected]
    assert model.fc.out_features == 1000


def test_progress_is_accepted(monkeypatch):
    assert without_draws(monkeypatch, "resnet18", progress=False).fc.out_features == 1000


def test_torchvision_classes_in_the_package_namespace():
    assert models.TorchvisionResNet is models.resnet.ResNet
    assert models.TorchvisionBottleneck is models.resnet.Bottleneck
    assert models.ResNet is not models.resnet.ResNet  # the small model of xpnet train
    assert isinstance(models.vgg.make_layers(models.vgg.cfgs["A"]), xpnet.nn.Sequential)
