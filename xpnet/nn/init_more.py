"""PyTorch's deprecated names of the initialisers of :mod:`xpnet.nn.init`: ``uniform``,
``normal``, ``constant``, ``eye``, ``dirac``, ``xavier_uniform``, ``xavier_normal``,
``kaiming_uniform``, ``kaiming_normal``, ``orthogonal`` and ``sparse``.

Each warns as ``torch.nn.init``'s does (``FutureWarning``: "`nn.init.uniform` is now
deprecated in favor of `nn.init.uniform_`.") and calls the function with the trailing
underscore. :mod:`xpnet.nn.init` imports them, so they are its names too, as in PyTorch.
"""

from __future__ import annotations

import warnings

from .init import (
    constant_,
    dirac_,
    eye_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    orthogonal_,
    sparse_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
)

__all__ = [
    "constant",
    "dirac",
    "eye",
    "kaiming_normal",
    "kaiming_uniform",
    "normal",
    "orthogonal",
    "sparse",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
]


def deprecated_alias(method):
    """``method`` under its name without the trailing underscore, warning as PyTorch's
    ``torch.nn.init._make_deprecate`` does.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     _ = deprecated_alias(constant_)(np.zeros(2), 3.0)
        >>> _, str(caught[0].message)
        (array([3., 3.]), '`nn.init.constant` is now deprecated in favor of `nn.init.constant_`.')
    """
    new_name = method.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        msg = f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`."
        warnings.warn(msg, FutureWarning, stacklevel=2)
        return method(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old_name
    deprecated_init.__doc__ = (
        f"``{old_name}(...)``: deprecated in favor of :func:`~xpnet.nn.init.{new_name}`, which "
        "it calls after a ``FutureWarning``, as PyTorch's."
    )
    return deprecated_init


uniform = deprecated_alias(uniform_)
normal = deprecated_alias(normal_)
constant = deprecated_alias(constant_)
eye = deprecated_alias(eye_)
dirac = deprecated_alias(dirac_)
xavier_uniform = deprecated_alias(xavier_uniform_)
xavier_normal = deprecated_alias(xavier_normal_)
kaiming_uniform = deprecated_alias(kaiming_uniform_)
kaiming_normal = deprecated_alias(kaiming_normal_)
orthogonal = deprecated_alias(orthogonal_)
sparse = deprecated_alias(sparse_)
