"""PyTorch's window functions for spectral analysis (:data:`__all__`): ``hann_window``,
``hamming_window``, ``blackman_window``, ``bartlett_window`` and ``kaiser_window``, with
``torch``'s arguments (``periodic=True`` by default: the first ``window_length`` values of the
symmetric window one longer, as ``torch.stft`` wants), ``dtype``, ``device`` and
``requires_grad``.

The values are PyTorch's formulas (``TensorFactories.cpp``) computed on the host in float64,
in PyTorch's order of operations, then rounded once to ``dtype`` and moved to the backend:
float64 windows are PyTorch's, float32 ones may differ from PyTorch's float32 arithmetic in
the last bit.

Example:
    >>> import xpnet
    >>> xpnet.hann_window(4).tolist(), xpnet.bartlett_window(5, periodic=False).tolist()
    ([0.0, 0.5, 1.0, 0.5], [0.0, 0.5, 1.0, 0.5, 0.0])
"""

from __future__ import annotations

import math

import numpy

from ._creation import resolve_dtype, target_backend, tensor
from ._dtypes import get_default_dtype
from .autograd import Tensor
from .backends import to_backend
from .kernels import ArgumentError
from .kernels._checks import check_int

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window"]
__all__ += ["kaiser_window"]


def _window(where: str, window_length, periodic: bool, formula, dtype, device, requires_grad):
    """``formula(n, N)`` for ``n = 0, ..., N - 1`` (float64 host values) as a Tensor; ``N`` is
    ``window_length``, one more for a periodic window, whose last value is then dropped."""
    length = check_int(where, "window_length", window_length)
    if length < 0:
        msg = f"{where}: window_length must be non-negative, got window_length={length}"
        raise ArgumentError(msg)
    dtype = resolve_dtype(where, dtype, get_default_dtype())
    if dtype.kind != "f":
        msg = f"{where}: expects a floating point dtype, got {dtype}"
        raise TypeError(msg)
    if length <= 1:
        values = numpy.ones(length)
    else:
        size = length + 1 if periodic else length
        values = formula(numpy.arange(size, dtype=numpy.float64), size)[:length]
    array = to_backend(values, target_backend(device).name)  # the current backend by default
    return tensor(array, dtype=dtype, requires_grad=requires_grad)


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    r"""The Hamming window :math:`w[n] = \alpha - \beta \cos(2 \pi n / (N - 1))`, as
    ``torch.hamming_window``.

    Args:
        window_length: the number of values, ``N`` (``N + 1`` when ``periodic``).
        periodic: the first ``window_length`` values of the window one longer (for spectral
            analysis); else the symmetric window (for filter design). Default: ``True``.
        alpha: the constant. Default: 0.54.
        beta: the cosine's weight. Default: 0.46.
        dtype: a floating-point dtype. Default: :func:`xpnet.get_default_dtype`.
        device: the device or backend. Default: the current backend.
        requires_grad: record operations on the result. Default: ``False``.

    Returns:
        A 1-D Tensor of ``window_length`` values (``[1.0]`` for 1, empty for 0).

    Raises:
        ArgumentError: a negative ``window_length``. TypeError: an integer ``dtype``.

    Example:
        >>> import xpnet
        >>> [round(v, 4) for v in xpnet.hamming_window(4).tolist()]
        [0.08, 0.54, 1.0, 0.54]
    """

    def formula(n, size):
        return numpy.cos(n * (2 * math.pi / (size - 1))) * -beta + alpha

    where = "hamming_window"
    return _window(where, window_length, periodic, formula, dtype, device, requires_grad)


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    r"""The Hann window :math:`w[n] = 0.5 - 0.5 \cos(2 \pi n / (N - 1))`, as
    ``torch.hann_window``; the arguments are :func:`hamming_window`'s.

    Example:
        >>> import xpnet
        >>> xpnet.hann_window(3, periodic=False).tolist()
        [0.0, 1.0, 0.0]
    """

    def formula(n, size):
        return numpy.cos(n * (2 * math.pi / (size - 1))) * -0.5 + 0.5

    where = "hann_window"
    return _window(where, window_length, periodic, formula, dtype, device, requires_grad)


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    r"""The Blackman window :math:`w[n] = 0.42 - 0.5 \cos(2 \pi n / (N - 1)) + 0.08 \cos(4
    \pi n / (N - 1))`, as ``torch.blackman_window``; the arguments are
    :func:`hamming_window`'s.

    Example:
        >>> import xpnet
        >>> [round(v, 4) + 0.0 for v in xpnet.blackman_window(3, periodic=False).tolist()]
        [0.0, 1.0, 0.0]
    """

    def formula(n, size):
        angle = n * (math.pi / (size - 1))
        return numpy.cos(angle * 4) * 0.08 - numpy.cos(angle * 2) * 0.5 + 0.42

    where = "blackman_window"
    return _window(where, window_length, periodic, formula, dtype, device, requires_grad)


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    r"""The triangular Bartlett window :math:`w[n] = 1 - |2 n / (N - 1) - 1|`, as
    ``torch.bartlett_window``; the arguments are :func:`hamming_window`'s.

    Example:
        >>> import xpnet
        >>> xpnet.bartlett_window(4).tolist()
        [0.0, 0.5, 1.0, 0.5]
    """

    def formula(n, size):
        window = n * (2.0 / (size - 1))
        half = (size - 1) // 2 + 1  # PyTorch's: the second half is 2 - 2n / (N - 1)
        window[half:] = 2 - window[half:]
        return window

    where = "bartlett_window"
    return _window(where, window_length, periodic, formula, dtype, device, requires_grad)


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    r"""The Kaiser window :math:`w[n] = I_0(\beta \sqrt{1 - ((n - N/2) / (N/2))^2}) /
    I_0(\beta)` (``N/2`` meaning ``(N - 1) / 2``), as ``torch.kaiser_window``; ``beta``
    shapes it (default 12.0), the other arguments are :func:`hamming_window`'s.

    Example:
        >>> import xpnet
        >>> [round(v, 4) for v in xpnet.kaiser_window(4, periodic=False, beta=3.0).tolist()]
        [0.2049, 0.8712, 0.8712, 0.2049]
    """

    def formula(n, size):
        alpha = (size - 1) / 2.0
        return numpy.i0(beta * numpy.sqrt(1 - ((n - alpha) / alpha) ** 2)) / numpy.i0(beta)

    where = "kaiser_window"
    return _window(where, window_length, periodic, formula, dtype, device, requires_grad)
