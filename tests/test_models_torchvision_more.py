"""``xpnet.models``' MobileNetV3, EfficientNet, DenseNet, ShuffleNetV2, MNASNet and RegNet
against torchvision 0.28's (the test oracle), as ``test_models_torchvision.py`` does for the
others: the module tree (``repr``) and ``state_dict`` keys, shapes and dtypes of the builders
(the biggest ones through their stage tables only); for one small model per family,
torchvision's weights give the same logits in float64, in eval and train mode, and the running
statistics update the same; xpnet's initialisation draws each parameter from torchvision's
distribution and loads into torchvision; the builders' errors are torchvision's.

Speed: xpnet's models for the structure and value tests are built with the random draws
turned off; torchvision's structure models on its ``meta`` device.
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
    skip_draws,
    to_xpnet,
    torch_logits,
    without_draws,
)
from _torchvision import import_torchvision

import xpnet
from xpnet import models
from xpnet.models import efficientnet, regnet

torchvision = import_torchvision()

STRUCTURE = ["mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0", "efficientnet_v2_s"]
STRUCTURE += ["densenet121"]
STRUCTURE += [f"shufflenet_v2_x{w}" for w in ("0_5", "1_0", "1_5", "2_0")]
STRUCTURE += ["mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]
STRUCTURE += ["regnet_x_400mf", "regnet_y_400mf", "regnet_x_1_6gf"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _on_meta(monkeypatch, name, **kwargs):
    """torchvision's ``name(**kwargs)`` on the meta device; RegNet's stage widths are computed
    with tensors, which need real values: on the CPU."""
    block_params = torchvision.models.regnet.BlockParams
    from_init_params = block_params.from_init_params.__func__

    def on_cpu(cls, *args, **kw):
        with torch.device("cpu"):
            return from_init_params(cls, *args, **kw)

    with monkeypatch.context() as patch:
        patch.setattr(block_params, "from_init_params", classmethod(on_cpu))
        with torch.device("meta"):
            return getattr(torchvision.models, name)(**kwargs)


@pytest.mark.parametrize("name", STRUCTURE)
def test_module_tree_and_state_dict_are_torchvisions(name, monkeypatch):
    model = without_draws(monkeypatch, name, num_classes=10)
    assert_same_structure(model, _on_meta(monkeypatch, name, num_classes=10))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("mobilenet_v3_large", {"width_mult": 0.75, "reduced_tail": True, "dilated": True}),
        ("mobilenet_v3_small", {"dropout": 0.1, "width_mult": 0.5}),
        ("efficientnet_b0", {"dropout": 0.1, "stochastic_depth_prob": 0.5}),
        ("densenet121", {"bn_size": 2, "drop_rate": 0.1, "memory_efficient": True}),
        ("mnasnet0_5", {"dropout": 0.4}),
        ("regnet_x_400mf", {"stem_width": 16, "bottleneck_multiplier": 2.0}),
    ],
)
def test_module_tree_follows_the_builders_arguments(name, kwargs, monkeypatch):
    if "bottleneck_multiplier" in kwargs:  # torchvision passes it to RegNet too: an error
        with pytest.raises(TypeError):
            _on_meta(monkeypatch, name, **kwargs)
        with pytest.raises(TypeError):
            getattr(models, name)(**kwargs)
        kwargs = {"stem_width": 16}
    model = without_draws(monkeypatch, name, num_classes=10, **kwargs)
    assert repr(model) == repr(_on_meta(monkeypatch, name, num_classes=10, **kwargs))


def _config(cnf):
    return {k: getattr(v, "__name__", v) for k, v in vars(cnf).items()}


@pytest.mark.parametrize("name", [f"efficientnet_b{i}" for i in range(8)] + ["efficientnet_v2_l"])
def test_efficientnet_stage_tables_are_torchvisions(name):
    """The stages (channels, depths, block types) of the builders too big to build here."""
    width_mult, depth_mult, _, _ = efficientnet.BUILDERS[name]
    mults = {} if width_mult is None else {"width_mult": width_mult, "depth_mult": depth_mult}
    ours, last = efficientnet.efficientnet_conf(name, **mults)
    theirs, expected_last = torchvision.models.efficientnet._efficientnet_conf(name, **mults)
    assert [_config(c) for c in ours] == [_config(c) for c in theirs]
    assert last == expected_last


@pytest.mark.parametrize("name", ["densenet161", "densenet169", "densenet201"])
def test_densenet_builders_pass_torchvisions_arguments(name, monkeypatch):
    """The bigger DenseNets: the same class as DenseNet-121's, with torchvision's growth rate,
    block configuration and stem width (recorded instead of built)."""
    calls = []

    def record(*args, **kwargs):
        calls.append((args, kwargs))

    monkeypatch.setattr(models.densenet, "DenseNet", record)
    monkeypatch.setattr(torchvision.models.densenet, "DenseNet", record)
    getattr(models, name)(num_classes=10)
    getattr(torchvision.models, name)(num_classes=10)
    assert calls[0] == calls[1]


def test_regnet_stage_tables_are_torchvisions():
    for name, (depth, w_0, w_a, w_m, group_width) in regnet.BUILDERS.items():
        se = {"se_ratio": 0.25} if name.startswith("regnet_y") else {}
        args = (depth, w_0, w_a, w_m, group_width)
        ours = regnet.BlockParams.from_init_params(*args, **se)
        theirs = torchvision.models.regnet.BlockParams.from_init_params(*args, **se)
        assert vars(ours) == vars(theirs), name


def _small(name):
    """A small model of each family, built by ``library`` (xpnet.models or
    torchvision.models) with 10 classes; dropout and stochastic depth 0 so that train mode
    is deterministic."""

    def build(library):
        if name == "densenet":
            return library.DenseNet(8, (2, 2, 2, 2), 16, num_classes=10)
        if name == "regnet":  # a RegNetY: squeeze-excitation, grouped convs, projections
            params = library.regnet.BlockParams.from_init_params(
                depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25
            )
            return library.RegNet(params, num_classes=10, stem_width=16)
        if name == "efficientnet":  # MBConv and FusedMBConv stages, residual or not
            module = library.efficientnet
            setting = [
                module.FusedMBConvConfig(1, 3, 1, 16, 16, 2),
                module.FusedMBConvConfig(4, 3, 2, 16, 24, 1),
                module.MBConvConfig(1, 3, 1, 24, 16, 1),
                module.MBConvConfig(6, 5, 2, 16, 24, 2),
            ]
            return library.EfficientNet(setting, 0.0, 0.0, num_classes=10)
        if name == "mnasnet":
            return library.MNASNet(0.25, num_classes=10, dropout=0.0)
        kwargs = {"dropout": 0.0} if "shufflenet" not in name else {}
        if name == "mobilenet_v3_small":
            kwargs["width_mult"] = 0.5
        return getattr(library, name)(num_classes=10, **kwargs)

    return build


SMALL = ["mobilenet_v3_small", "efficientnet", "densenet", "shufflenet_v2_x0_5"]
SMALL += ["mnasnet", "regnet"]


@pytest.mark.parametrize("name", SMALL)
def test_torchvision_weights_give_the_same_logits(backend, monkeypatch, name):
    torch.manual_seed(0)
    torch_model = random_state(_small(name)(torchvision.models), 1).double()
    with monkeypatch.context() as patch:
        for draw in ("uniform_", "normal_", "kaiming_normal_", "kaiming_uniform_"):
            patch.setattr(xpnet.nn.init, draw, skip_draws)
        model = _small(name)(models).double()
    assert repr(model) == repr(torch_model)
    model.load_state_dict(to_xpnet(torch_model))
    images = random_images(32)
    expected = torch_logits(torch_model.eval(), images)
    assert_close(logits(model.eval(), images), expected, 1e-10)
    # train mode: batch statistics, and the running statistics they update. 64 x 64 images
    # so that the last norms see 8 values per channel: with 2 (32 x 32, batch 2) rounding
    # differences grow chaotically through the last stage's norms
    images = random_images(64)
    expected = torch_logits(torch_model.train(), images)
    assert_close(logits(model.train(), images), expected, 1e-7)
    for key, value in torch_model.named_buffers():
        assert_close(xpnet.to_numpy(model.get_buffer(key)), value.numpy(), 1e-7)


@pytest.mark.parametrize("name", SMALL)
def test_initialisation_is_torchvisions_and_loads_into_torchvision(backend, name):
    xpnet.manual_seed(0)
    model = _small(name)(models)
    torch.manual_seed(0)
    torch_model = _small(name)(torchvision.models)
    ours = {k: torch.from_numpy(xpnet.to_numpy(v)) for k, v in model.state_dict().items()}
    state = torch_model.state_dict()
    for key, value in state.items():
        if value.is_floating_point():
            assert_same_distribution(signature(ours[key]), signature(value), key)
    ours = type(state)(ours)
    ours._metadata = state._metadata  # torchvision's MNASNet requires the version metadata
    torch_model.load_state_dict(ours)
    images = random_images(32, np.float32)
    model.eval(), torch_model.eval()
    assert_close(logits(model, images), torch_logits(torch_model, images), 1e-5)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("efficientnet_b5", {"norm_layer": "batch"}),
        ("efficientnet_v2_s", {"norm_layer": "batch"}),
        ("regnet_y_400mf", {"se_ratio": 0.5}),
        ("regnet_x_400mf", {"group_width": 8}),
        ("mobilenet_v3_small", {"block": "not a class", "width_mult": -1.0}),
    ],
)
def test_bad_arguments_raise_torchvisions_errors(name, kwargs, monkeypatch):
    if kwargs.get("norm_layer") == "batch":
        theirs, ours = {"norm_layer": torch.nn.BatchNorm2d}, {"norm_layer": xpnet.nn.BatchNorm2d}
    else:
        theirs = ours = kwargs
    with pytest.raises(Exception) as expected:
        _on_meta(monkeypatch, name, **theirs)
    with pytest.raises(expected.type) as raised:
        getattr(models, name)(**ours)
    # Python's duplicate-keyword message names the function called: only the rest is shared
    assert str(raised.value).rpartition("() ")[2] == str(expected.value).rpartition("() ")[2]


@pytest.mark.parametrize(
    ("cls", "args"),
    [
        ("MobileNetV3", ([], 10)),
        ("MobileNetV3", ([1, 2], 10)),
        ("EfficientNet", ([], 0.2)),
        ("EfficientNet", (["not a config"], 0.2)),
        ("ShuffleNetV2", ([4, 8], [24, 48, 96, 192, 1024])),
        ("ShuffleNetV2", ([4, 8, 4], [24, 48, 96, 192])),
        ("MNASNet", (0.0,)),
    ],
)
def test_bad_settings_raise_torchvisions_errors(cls, args):
    with pytest.raises(Exception) as expected:
        getattr(torchvision.models, cls)(*args)
    with pytest.raises(expected.type) as raised:
        getattr(models, cls)(*args)
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(
    ("module", "call"),
    [
        ("mobilenetv3", lambda m: m.mobilenet_v3_conf("mobilenet_v3_medium")),
        ("efficientnet", lambda m: m.efficientnet_conf("efficientnet_v3")),
        ("shufflenetv2", lambda m: m.InvertedResidual(24, 48, 1)),
        ("shufflenetv2", lambda m: m.InvertedResidual(24, 48, 4)),
        ("mnasnet", lambda m: m.stack(16, 24, 3, 2, 3, 0, 0.1)),
        ("mnasnet", lambda m: m.stack(16, 24, 7, 2, 3, 1, 0.1)),
        ("regnet", lambda m: m.BlockParams.from_init_params(4, 12, 8.0, 2.0, 8)),
    ],
)
def test_block_errors_are_torchvisions(module, call):
    torchvision_module = getattr(torchvision.models, module)
    names = {"mobilenet_v3_conf": "_mobilenet_v3_conf", "efficientnet_conf": "_efficientnet_conf"}
    names |= {"stack": "_stack"}

    class Renamed:  # torchvision's private names for xpnet's public ones
        def __getattr__(self, name):
            return getattr(torchvision_module, names.get(name, name))

    with pytest.raises(Exception) as expected:
        call(Renamed())
    with pytest.raises(expected.type) as raised:
        call(getattr(models, module))
    assert str(raised.value) == str(expected.value)


def test_default_num_classes_is_torchvisions(monkeypatch):
    model = without_draws(monkeypatch, "shufflenet_v2_x0_5")
    assert model.fc.out_features == _on_meta(monkeypatch, "shufflenet_v2_x0_5").fc.out_features
