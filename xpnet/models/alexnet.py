"""torchvision's AlexNet (``torchvision/models/alexnet.py``), with its builder, module names,
``state_dict`` keys and initialisation (the layers' defaults: torchvision sets none).

Krizhevsky, "One weird trick for parallelizing convolutional neural networks" (2014): the
one-GPU variant torchvision implements, not the two-tower network of 2012.
"""

from __future__ import annotations

from .. import nn
from ._weights import check_no_weights

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    """torchvision's ``AlexNet``: five convs (11x11/4, 5x5, three 3x3) with ReLU and three
    3x3/2 max pools, a 6x6 adaptive average pool, and a classifier of three linear layers
    (4096, 4096, ``num_classes``) with dropout before the first two.

    Args:
        num_classes: number of output logits. Default: 1000.
        dropout: the classifier's dropout probability. Default: 0.5.

    Shape:
        - Input: (N, 3, H, W), H and W at least 63 (the three pools need 3x3 windows)
        - Output: (N, num_classes)
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def alexnet(*, weights=None, progress: bool = True, **kwargs) -> AlexNet:
    """AlexNet, torchvision's variant.

    Args:
        weights: only ``None``: xpnet downloads no weights. To use torchvision's, load
            ``{k: v.numpy() for k, v in torchvision.models.alexnet(weights=...)
            .state_dict().items()}`` with :meth:`~xpnet.nn.Module.load_state_dict`.
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`AlexNet`'s arguments (``num_classes``, ``dropout``).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> alexnet(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: alexnet: weights='DEFAULT' is not supported...
    """
    check_no_weights("alexnet", weights, kwargs)
    return AlexNet(**kwargs)
