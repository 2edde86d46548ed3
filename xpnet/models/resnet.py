"""torchvision's ResNet family (``torchvision/models/resnet.py``): ResNet-18 to -152 (He et
al., 2015), ResNeXt (Xie et al., 2016) and Wide ResNet (Zagoruyko and Komodakis, 2016), with
torchvision's builders, module names, ``state_dict`` keys and initialisation, so that
torchvision's weights load into them and give the same logits. The Bottleneck strides in its
3x3 conv (ResNet V1.5), as torchvision's does.
"""

from __future__ import annotations

from .. import nn
from ._weights import check_no_weights, overwrite_named_param

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet50_2",
    "wide_resnet101_2",
]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1):
    """torchvision's 3x3 convolution with padding (no bias: a norm layer follows)."""
    padding = dilation
    return nn.Conv2d(in_planes, out_planes, 3, stride, padding, dilation, groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1):
    """torchvision's 1x1 convolution (no bias)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """torchvision's ``BasicBlock``: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + identity)``.

    ``identity`` is ``x``, or ``downsample(x)`` (a strided 1x1 conv + norm) when the shape
    changes. Module names as torchvision's, so ``state_dict`` keys match.

    Args:
        inplanes, planes: input and output channels.
        stride: stride of ``conv1``. Default: 1.
        downsample: the shortcut module, or ``None`` for the identity. Default: ``None``.
        groups, base_width, dilation: must be 1, 64 and 1 (torchvision's errors otherwise).
        norm_layer: called with a channel count; default :class:`xpnet.nn.BatchNorm2d`.
    """

    expansion: int = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample=None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer=None,
    ):
        super().__init__()
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """torchvision's ``Bottleneck``: 1x1 conv to ``width``, 3x3 conv (the stride, groups and
    dilation), 1x1 conv to ``planes * 4``, each with a norm, ReLUs, and the shortcut added.

    ``width = int(planes * base_width / 64) * groups``: ResNeXt widens by ``groups``, Wide
    ResNet by ``base_width``. Module names as torchvision's (``conv1`` to ``conv3``, ``bn1``
    to ``bn3``, ``relu``, ``downsample``).

    Args:
        inplanes, planes: input channels, and output channels divided by 4 (``expansion``).
        stride: stride of ``conv2``. Default: 1.
        downsample: the shortcut module, or ``None`` for the identity. Default: ``None``.
        groups: groups of ``conv2``. Default: 1.
        base_width: width per group. Default: 64.
        dilation: dilation (and padding) of ``conv2``. Default: 1.
        norm_layer: called with a channel count; default :class:`xpnet.nn.BatchNorm2d`.
    """

    expansion: int = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample=None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer=None,
    ):
        super().__init__()
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ``ResNet``: a 7x7/2 conv stem and a 3x3/2 max pool, four stages of
    ``block`` (64, 128, 256, 512 planes; the last three halve the size or, with
    ``replace_stride_with_dilation``, dilate instead), global average pooling and ``fc``.

    Initialisation as torchvision's: convs He-normal (``fan_out``, ReLU gain), norm layers
    weight 1 and bias 0, ``fc`` left at :class:`~xpnet.nn.Linear`'s default.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: blocks per stage, e.g. ``[2, 2, 2, 2]`` for ResNet-18.
        num_classes: number of output logits. Default: 1000.
        zero_init_residual: start each block's last norm weight (``bn2`` or ``bn3``) at 0,
            so that every block begins as the identity. Default: ``False``.
        groups: groups of the Bottleneck's 3x3 convs (ResNeXt). Default: 1.
        width_per_group: the Bottleneck's ``base_width``. Default: 64.
        replace_stride_with_dilation: three booleans, for stages 2 to 4: dilate instead of
            striding. Default: ``None`` (all ``False``).
        norm_layer: called with a channel count; default :class:`xpnet.nn.BatchNorm2d`.
        in_channels: channels of the input images (an xpnet addition; torchvision: 3).
            Default: 3.

    Shape:
        - Input: (N, in_channels, H, W)
        - Output: (N, num_classes)

    Raises:
        ValueError: ``replace_stride_with_dilation`` not of three elements (torchvision's).
    """

    def __init__(
        self,
        block,
        layers,
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        replace_stride_with_dilation=None,
        norm_layer=None,
        in_channels: int = 3,
    ):
        super().__init__()
        self._norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                "replace_stride_with_dilation should be None "
                f"or a 3-element tuple, got {replace_stride_with_dilation}"
            )
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        dilate = replace_stride_with_dilation
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=dilate[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=dilate[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=dilate[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual: bool) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d | nn.GroupNorm):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)
        if not zero_init_residual:
            return
        for module in self.modules():
            if isinstance(module, Bottleneck) and module.bn3.weight is not None:
                nn.init.constant_(module.bn3.weight, 0)
            elif isinstance(module, BasicBlock) and module.bn2.weight is not None:
                nn.init.constant_(module.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1, dilate: bool = False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:  # keep the size: the stride becomes dilation from here on
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        shared = {"groups": self.groups, "base_width": self.base_width, "norm_layer": norm_layer}
        layers = [
            block(self.inplanes, planes, stride, downsample, dilation=previous_dilation, **shared)
        ]
        self.inplanes = planes * block.expansion
        layers += [
            block(self.inplanes, planes, dilation=self.dilation, **shared) for _ in range(1, blocks)
        ]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _resnet(name, block, layers, weights, kwargs) -> ResNet:
    check_no_weights(name, weights, kwargs)
    return ResNet(block, layers, **kwargs)


def resnet18(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-18 (He et al., 2015): :class:`ResNet` with :class:`BasicBlock` ``[2, 2, 2, 2]``.

    Args:
        weights: only ``None``: xpnet downloads no weights. To use torchvision's, load
            ``{k: v.numpy() for k, v in torchvision.models.resnet18(weights=...)
            .state_dict().items()}`` with :meth:`~xpnet.nn.Module.load_state_dict`.
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`ResNet`'s arguments (``num_classes``, ``zero_init_residual``,
            ``norm_layer``, ...).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> import xpnet
        >>> model = resnet18(num_classes=10)
        >>> model(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
        >>> "layer4.1.bn2.running_var" in model.state_dict()
        True
    """
    return _resnet("resnet18", BasicBlock, [2, 2, 2, 2], weights, kwargs)


def resnet34(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-34: :class:`BasicBlock` ``[3, 4, 6, 3]``; arguments as :func:`resnet18`.

    Example:
        >>> sum(p.numel() for p in resnet34().parameters())
        21797672
    """
    return _resnet("resnet34", BasicBlock, [3, 4, 6, 3], weights, kwargs)


def resnet50(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-50 (V1.5: the stride on the 3x3 conv): :class:`Bottleneck` ``[3, 4, 6, 3]``;
    arguments as :func:`resnet18`.

    Example:
        >>> model = resnet50()
        >>> model.fc.in_features, model.layer2[0].conv2.stride
        (2048, (2, 2))
    """
    return _resnet("resnet50", Bottleneck, [3, 4, 6, 3], weights, kwargs)


def resnet101(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-101: :class:`Bottleneck` ``[3, 4, 23, 3]``; arguments as :func:`resnet18`.

    Example:
        >>> resnet101(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: resnet101: weights='DEFAULT' is not supported...
    """
    return _resnet("resnet101", Bottleneck, [3, 4, 23, 3], weights, kwargs)


def resnet152(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-152: :class:`Bottleneck` ``[3, 8, 36, 3]``; arguments as :func:`resnet18`.

    Example:
        >>> resnet152(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: resnet152: weights='DEFAULT' is not supported...
    """
    return _resnet("resnet152", Bottleneck, [3, 8, 36, 3], weights, kwargs)


def _resnext(name, layers, groups, width_per_group, weights, kwargs) -> ResNet:
    overwrite_named_param(kwargs, "groups", groups)
    overwrite_named_param(kwargs, "width_per_group", width_per_group)
    return _resnet(name, Bottleneck, layers, weights, kwargs)


def resnext50_32x4d(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNeXt-50 32x4d (Xie et al., 2016): ResNet-50 with 32 groups of width 4 in the 3x3
    convs; arguments as :func:`resnet18` (``groups`` and ``width_per_group`` fixed).

    Example:
        >>> resnext50_32x4d().layer1[0].conv2.groups
        32
    """
    return _resnext("resnext50_32x4d", [3, 4, 6, 3], 32, 4, weights, kwargs)


def resnext101_32x8d(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNeXt-101 32x8d: ResNet-101 with 32 groups of width 8; arguments as
    :func:`resnext50_32x4d`.

    Example:
        >>> resnext101_32x8d(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: resnext101_32x8d: weights='DEFAULT' is not supported...
    """
    return _resnext("resnext101_32x8d", [3, 4, 23, 3], 32, 8, weights, kwargs)


def resnext101_64x4d(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNeXt-101 64x4d: ResNet-101 with 64 groups of width 4; arguments as
    :func:`resnext50_32x4d`.

    Example:
        >>> resnext101_64x4d(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: resnext101_64x4d: weights='DEFAULT' is not supported...
    """
    return _resnext("resnext101_64x4d", [3, 4, 23, 3], 64, 4, weights, kwargs)


def wide_resnet50_2(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """Wide ResNet-50-2 (Zagoruyko and Komodakis, 2016): ResNet-50 with the 3x3 convs twice
    as wide (``width_per_group=128``); arguments as :func:`resnet18`.

    Example:
        >>> wide_resnet50_2(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: wide_resnet50_2: weights='DEFAULT' is not supported...
    """
    overwrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet("wide_resnet50_2", Bottleneck, [3, 4, 6, 3], weights, kwargs)


def wide_resnet101_2(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """Wide ResNet-101-2: ResNet-101 with the 3x3 convs twice as wide; arguments as
    :func:`resnet18`.

    Example:
        >>> wide_resnet101_2(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: wide_resnet101_2: weights='DEFAULT' is not supported...
    """
    overwrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet("wide_resnet101_2", Bottleneck, [3, 4, 23, 3], weights, kwargs)
