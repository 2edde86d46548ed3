"""Gathers, for :mod:`xpnet._torch_aliases` and so the top level, the ``torch.<name>``
functions of :mod:`xpnet._torch_switches` (``compile``, the deterministic settings,
``set_printoptions``, ...), :mod:`xpnet._torch_real` (the real-tensor forms of the complex
API), :mod:`xpnet._torch_copies` (``as_strided``, the ``*_copy`` forms, the ``unsafe_``
splits), :mod:`xpnet._torch_ops_more` (bit shifts, ``i0``, ``put``, the recurrent cells, ...)
and :mod:`xpnet._torch_numerics` (``gradient``, DLPack, ``frombuffer``), as :data:`__all__`,
and their Tensor methods, as :data:`METHODS` for :mod:`xpnet._tensor_methods`.
"""

from __future__ import annotations

from . import _torch_copies, _torch_numerics, _torch_ops_more, _torch_real, _torch_switches
from ._torch_copies import *  # noqa: F403
from ._torch_numerics import *  # noqa: F403
from ._torch_ops_more import *  # noqa: F403
from ._torch_real import *  # noqa: F403
from ._torch_switches import *  # noqa: F403

__all__ = [
    *_torch_switches.__all__,
    *_torch_real.__all__,
    *_torch_copies.__all__,
    *_torch_ops_more.__all__,
    *_torch_numerics.__all__,
]
METHODS = {
    **_torch_switches.METHODS,
    **_torch_real.METHODS,
    **_torch_copies.METHODS,
    **_torch_ops_more.METHODS,
}
