"""What torchvision's model builders share: the ``weights``/``pretrained`` arguments, which
xpnet accepts only as "no pretrained weights", and torchvision's fixed keyword arguments.

xpnet downloads no weights (no network access at build time, no checksum registry): a
builder given weights other than ``None`` says how to load torchvision's instead.
"""

from __future__ import annotations

import warnings

__all__ = ["LEGACY_PRETRAINED_WARNINGS", "check_no_weights", "overwrite_named_param"]

# torchvision's warnings for the legacy pretrained=False (torchvision/models/_utils.py)
LEGACY_PRETRAINED_WARNINGS = (
    "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
    "please use 'weights' instead.",
    "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and "
    "may be removed in the future. The current behavior is equivalent to passing `weights=None`.",
)


def check_no_weights(builder: str, weights, kwargs: dict) -> None:
    """Refuse pretrained weights for ``builder``; take torchvision's legacy ``pretrained``
    keyword out of ``kwargs`` (``pretrained=False`` gives torchvision's deprecation warnings).

    Args:
        builder: the builder's name, e.g. ``"resnet50"``, for the message.
        weights: the builder's ``weights`` argument; only ``None`` is accepted.
        kwargs: the builder's other keyword arguments, changed in place.

    Raises:
        NotImplementedError: ``weights`` not ``None``, or ``pretrained=True``.

    Example:
        >>> check_no_weights("resnet18", None, {})
        >>> check_no_weights("resnet18", "DEFAULT", {})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: resnet18: weights='DEFAULT' is not supported: xpnet downloads no ...
    """
    if "pretrained" in kwargs:
        if kwargs.pop("pretrained"):
            weights = "DEFAULT"  # torchvision's meaning of pretrained=True
        else:  # torchvision's two warnings, then no weights
            for message in LEGACY_PRETRAINED_WARNINGS:
                warnings.warn(message, UserWarning, stacklevel=3)
    if weights is None:
        return
    msg = (
        f"{builder}: weights={weights!r} is not supported: xpnet downloads no pretrained "
        f"weights. Build {builder}(weights=None) and load torchvision's: "
        f"model.load_state_dict({{k: v.numpy() for k, v in "
        f"torchvision.models.{builder}(weights=...).state_dict().items()}})"
    )
    raise NotImplementedError(msg)


def overwrite_named_param(kwargs: dict, param: str, new_value) -> None:
    """Set ``kwargs[param]`` to ``new_value``, which a builder fixes (e.g. ResNeXt's
    ``groups``); a different value passed by the caller is torchvision's ValueError.

    Example:
        >>> kwargs = {}
        >>> overwrite_named_param(kwargs, "groups", 32)
        >>> kwargs
        {'groups': 32}
    """
    if param in kwargs:
        if kwargs[param] != new_value:
            msg = (
                f"The parameter '{param}' expected value {new_value} "
                f"but got {kwargs[param]} instead."
            )
            raise ValueError(msg)
    else:
        kwargs[param] = new_value
