"""Variable-length sequences padded into one batch, as ``torch.nn.utils.rnn.pad_sequence``.

Built from Tensor operations (:func:`xpnet.cat` and :func:`xpnet.stack`), so gradients flow
back to the sequences. The recurrent layers themselves are :mod:`xpnet.nn.rnn`; the packed
batches (``PackedSequence``, ``pack_padded_sequence``, ...) are in
:mod:`~xpnet.nn.utils.packed_sequence`, and exported here as in PyTorch. The other helpers of
:mod:`xpnet.nn.utils` are :mod:`~xpnet.nn.utils.clip_grad` and
:mod:`~xpnet.nn.utils.convert_parameters`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy

from ..._dtypes import checked_scalar
from ..._tensor_join import cat, stack
from ...autograd import Tensor
from ...backends import backend_of
from ...kernels._checks import ArgumentError
from .packed_sequence import (
    PackedSequence,
    invert_permutation,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    unpack_sequence,
    unpad_sequence,
)

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


def _pad(sequence: Tensor, length: int, padding_value, dtype, side: str) -> Tensor:
    """``sequence`` (L, *) in ``dtype``, padded with ``padding_value`` to (length, *)."""
    if sequence.dtype != dtype:
        sequence = sequence.to(dtype)
    missing = length - sequence.shape[0]
    if missing == 0:
        return sequence
    xp = backend_of(sequence.array).xp
    block = Tensor(xp.full((missing, *sequence.shape[1:]), padding_value, dtype=dtype))
    return cat([sequence, block] if side == "right" else [block, sequence])


def _padding_value(value, dtype) -> float:
    """``value`` as PyTorch's ``float padding_value`` written into ``dtype``: a TypeError for
    what is not a real number, PyTorch's overflow RuntimeError for a value out of ``dtype``'s
    range (NaN and inf too, for an integer dtype) even where nothing is padded (PyTorch fills
    the whole output), not NumPy's silent wrap or RuntimeWarning."""
    not_real = isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real)
    if not_real or isinstance(value, str) or not hasattr(value, "__float__"):
        msg = f"pad_sequence: padding_value must be a float, got {type(value).__name__}"
        raise TypeError(msg)
    return checked_scalar("pad_sequence", "padding_value", float(value), numpy.dtype(dtype))


def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
):
    r"""Pad sequences of different lengths with ``padding_value`` and stack them.

    Each sequence has shape ``(L, *)``, where ``*`` is any number of dimensions (including
    none), the same for all of them. With ``T`` the longest length and ``B`` the number of
    sequences, the result is ``(T, B, *)``, or ``(B, T, *)`` if ``batch_first``.

    Args:
        sequences: an iterable of Tensors or backend arrays (a Tensor is taken as the
            sequence of its slices along dimension 0, as in PyTorch).
        batch_first: put the batch dimension first. Default: ``False``.
        padding_value: the value of the padded elements (in the sequences' dtype).
            Default: ``0.0``.
        padding_side: ``'right'`` (pad after each sequence) or ``'left'`` (before).
            Default: ``'right'``.

    Returns:
        A Tensor in the dtype of the first sequence, through whose padding gradients flow
        back to the sequences; a backend array if no sequence is a Tensor.

    Raises:
        RuntimeError: ``sequences`` is not iterable or is empty, ``padding_side`` is neither
            ``'left'`` nor ``'right'``, a sequence is 0-d, the sequences' trailing
            dimensions differ, or ``padding_value`` does not fit their dtype (out of range;
            NaN or inf for integers) (:class:`~xpnet.kernels.ArgumentError` for the last four).
        TypeError: ``padding_value`` is not a real number.

    Example:
        >>> import xpnet
        >>> a, b = xpnet.ones(2), xpnet.full((1,), 2.0)
        >>> pad_sequence([a, b], batch_first=True).tolist()
        [[1.0, 1.0], [2.0, 0.0]]
        >>> pad_sequence([a, b], padding_value=-1.0, padding_side="left").tolist()
        [[1.0, -1.0], [1.0, 2.0]]
    """
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    if not isinstance(sequences, Iterable):
        msg = (
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences).__name__}"
        )
        raise RuntimeError(msg)
    sequences = list(sequences)
    any_tensor = any(isinstance(sequence, Tensor) for sequence in sequences)
    sequences = [Tensor(s) if not isinstance(s, Tensor) else s for s in sequences]
    if not sequences:
        raise ArgumentError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        msg = f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}"
        raise ArgumentError(msg)
    trailing = sequences[0].shape[1:]
    for index, sequence in enumerate(sequences):
        if sequence.ndim == 0:
            msg = f"pad_sequence: sequences need at least 1 dimension, sequences[{index}] is 0-d"
            raise ArgumentError(msg)
        if sequence.shape[1:] != trailing:
            msg = (
                "pad_sequence: the sequences' trailing dimensions must match, got "
                f"{tuple(sequences[0].shape)} at sequences[0] and {tuple(sequence.shape)} at "
                f"sequences[{index}]"
            )
            raise ArgumentError(msg)
    length = max(sequence.shape[0] for sequence in sequences)
    dtype = sequences[0].dtype
    padding_value = _padding_value(padding_value, dtype)
    padded = [_pad(s, length, padding_value, dtype, padding_side) for s in sequences]
    result = stack(padded, dim=0 if batch_first else 1)
    return result if any_tensor else result.array
