"""Every v2 transform prints as torchvision 0.28's v2 (``Transform.extra_repr``: each public
attribute that is a bool, number, string, tuple, list or enum, in the order set), for the
default arguments and the arguments that change what is stored."""

from __future__ import annotations

import inspect

import pytest
import torch
from _torchvision import import_torchvision

import xpnet
from xpnet.data.transforms import v2

import_torchvision()
from torchvision import tv_tensors  # noqa: E402
from torchvision.transforms import v2 as T2  # noqa: E402

# the arguments of each case, written once for both libraries (``lib``: torch or xpnet)
ARGUMENTS = {
    "Resize": ["32", "(32, 24)", "32, max_size=40", "[32], interpolation=IM.NEAREST"],
    "RandomResizedCrop": ["24", "(24, 20), scale=(0.5, 1.0), antialias=False"],
    "CenterCrop": ["8", "(8, 6)"],
    "RandomCrop": ["8", "8, padding=2", "(8, 6), padding=(1, 2), pad_if_needed=True, fill=3"],
    "Pad": ["2", "(1, 2), fill=1, padding_mode='edge'"],
    "RandomRotation": ["10", "(-5, 20), expand=True, center=(1, 2), fill=1"],
    "RandomAffine": ["5", "5, translate=(0.1, 0.2), scale=(0.9, 1.1), shear=10"],
    "RandomPerspective": ["", "0.3, p=0.7"],
    "GaussianBlur": ["3", "(3, 5), sigma=1.5"],
    "Normalize": ["[0.5], [0.2]", "[0.5, 0.4], [0.2, 0.1], inplace=True"],
    "ColorJitter": ["0.1, 0.2", "hue=0.1", ""],
    "RandomErasing": ["", "value=1", "p=0.3, value='random'"],
    "ToDtype": ["lib.float32", "lib.float32, scale=True"],
    "FiveCrop": ["4"],
    "TenCrop": ["4", "(3, 4), vertical_flip=True"],
    "RandomResize": ["8, 16"],
    "RandomShortestSize": ["[8, 10]", "8, max_size=20"],
    "ScaleJitter": ["(16, 16)"],
    "RandomAdjustSharpness": ["2.0", "0.5, p=0.2"],
    "RandomPosterize": ["4"],
    "RandomSolarize": ["0.5", "100, p=0.1"],
    "RandomGrayscale": ["", "0.3"],
    "Grayscale": ["", "3"],
    "RandomHorizontalFlip": ["", "0.2"],
    "RandomVerticalFlip": ["0.7"],
    "RandomInvert": [""],
    "RandomEqualize": [""],
    "RandomAutocontrast": [""],
    "RandomZoomOut": [""],
    "RandomIoUCrop": [""],
    "ElasticTransform": ["", "alpha=10.0, sigma=[2.0]"],
    "AutoAugment": ["", "policy=lib_aa.CIFAR10"],
    "RandAugment": ["", "num_ops=3, interpolation=IM.BILINEAR"],
    "TrivialAugmentWide": [""],
    "AugMix": ["", "severity=2, all_ops=False"],
    "MixUp": ["num_classes=3"],
    "CutMix": ["num_classes=3"],
    "ConvertBoundingBoxFormat": ["'XYXY'", "'cxcywh'", "lib_box.XYWH"],
    "ClampBoundingBoxes": [""],
    "SanitizeBoundingBoxes": [""],
    "SanitizeKeyPoints": [""],
    "SetClampingMode": ["'hard'"],
    "UniformTemporalSubsample": ["4"],
    "JPEG": ["50"],
    "GaussianNoise": ["", "mean=0.1, sigma=0.2, clip=False"],
    "ToImage": [""],
    "ToPureTensor": [""],
    "Identity": [""],
    "ConvertImageDtype": [""],
    "RandomChannelPermutation": [""],
    "RandomPhotometricDistort": [""],
    "ClampKeyPoints": [""],
    "RGB": [""],
}
CASES = [(name, arguments) for name, options in ARGUMENTS.items() for arguments in options]


def _build(lib, name, arguments):
    namespace = {"lib": lib, "IM": (T2 if lib is torch else v2).InterpolationMode}
    namespace["lib_aa"] = (T2 if lib is torch else v2).AutoAugmentPolicy
    namespace["lib_box"] = (tv_tensors if lib is torch else xpnet.data.tv_tensors).BoundingBoxFormat
    return eval(f"cls({arguments})", namespace, {"cls": getattr(T2 if lib is torch else v2, name)})


@pytest.mark.filterwarnings("ignore::UserWarning")  # ConvertImageDtype is deprecated in both
@pytest.mark.parametrize("name, arguments", CASES, ids=[f"{n}({a})" for n, a in CASES])
def test_repr_is_torchvisions(name, arguments):
    assert repr(_build(xpnet, name, arguments)) == repr(_build(torch, name, arguments))


def test_every_shared_transform_class_is_covered():
    classes = {
        name
        for name, value in vars(T2).items()
        if inspect.isclass(value) and issubclass(value, torch.nn.Module) and hasattr(v2, name)
    }
    # the containers and Lambda print their transforms (tests/test_transforms_v2.py); the
    # others take arguments of their own (tests/test_transforms_v2_more.py)
    elsewhere = {"Compose", "RandomApply", "RandomChoice", "RandomOrder", "Lambda", "Transform"}
    elsewhere |= {"ToTensor", "LinearTransformation", "PILToTensor", "ToPILImage"}
    assert classes - elsewhere - set(ARGUMENTS) == set()
