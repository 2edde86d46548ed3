"""``PackedSequence`` and the functions that make and undo it, as ``torch.nn.utils.rnn``:
:func:`pack_padded_sequence`, :func:`pad_packed_sequence`, :func:`pack_sequence`,
:func:`unpack_sequence` and :func:`unpad_sequence`.

A packed batch holds the time steps of sequences sorted by length, longest first, one after
the other: step ``t`` is the rows of the ``batch_sizes[t]`` sequences still running. The
lengths and ``batch_sizes`` are host data (a list, a NumPy array or an int64 Tensor on a
``"cpu"`` backend), as in PyTorch; the row positions are worked out on the host, and the data
moves by one :meth:`~xpnet.Tensor.index_select` each way, so gradients flow back through
packing and padding. The recurrent layers run on packed batches in :mod:`xpnet.nn.rnn_packed`;
``pad_sequence`` is in :mod:`xpnet.nn.utils.rnn`, which also exports these names.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from ..._tensor_join import cat
from ...autograd import Tensor, as_tensor, data_of
from ...backends import backend_of
from ...devices import device_of
from ...kernels._checks import ArgumentError, check_int

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _is_cuda(tensor) -> bool:
    return device_of(backend_of(data_of(tensor)).name).type == "cuda"


def invert_permutation(permutation):
    """The inverse of the permutation ``permutation`` (an int64 Tensor), or ``None``."""
    if permutation is None:
        return None
    array = data_of(permutation)
    return Tensor(backend_of(array).xp.argsort(array))


class PackedSequence(_PackedFields):
    """A batch of sequences of different lengths, packed, as ``torch.nn.utils.rnn.
    PackedSequence`` (a named tuple): make one with :func:`pack_padded_sequence` or
    :func:`pack_sequence`, not by hand.

    Attributes:
        data: (sum of the lengths, *): the time steps of the sorted sequences, one after the
            other.
        batch_sizes: int64 Tensor on the host (numpy): how many sequences run at each step.
        sorted_indices: int64 Tensor (on ``data``'s backend) or ``None``: the batch positions
            of the sequences in packed order (longest first).
        unsorted_indices: the inverse permutation of ``sorted_indices``, or ``None``.

    Raises:
        ValueError: ``batch_sizes`` on the GPU backend.
        TypeError: no ``batch_sizes``, and ``data`` not a tuple or list of two (PyTorch
            raises an AssertionError).
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), ...)
            # checked, as a Tensor would unpack too: its rows taken for data and batch_sizes
            if not isinstance(data, tuple | list) or len(data) != 2:
                size = f" of {len(data)}" if isinstance(data, tuple | list) else ""
                msg = "PackedSequence: without batch_sizes, data must be a pair (data, batch_sizes)"
                raise TypeError(f"{msg}, got a {type(data).__name__}{size}")
            data, batch_sizes = data
        if _is_cuda(batch_sizes):
            msg = (
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
            raise ValueError(msg)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data`` moved or cast by :meth:`xpnet.Tensor.to`, the indices moved with it;
        ``batch_sizes`` stays on the host. ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        place = backend_of(data.array).name
        sorted_indices, unsorted_indices = (
            None if index is None else index.to(place)
            for index in (self.sorted_indices, self.unsorted_indices)
        )
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs) -> PackedSequence:
        return self.to("cuda")

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to("float64")

    def float(self) -> PackedSequence:
        return self.to("float32")

    def half(self) -> PackedSequence:
        return self.to("float16")

    def long(self) -> PackedSequence:
        return self.to("int64")

    def int(self) -> PackedSequence:
        return self.to("int32")

    def short(self) -> PackedSequence:
        return self.to("int16")

    def char(self) -> PackedSequence:
        return self.to("int8")

    def byte(self) -> PackedSequence:
        return self.to("uint8")

    def pin_memory(self) -> PackedSequence:
        """``self``: a no-op, as pinning is for the copies to the GPU (see ``DataLoader``)."""
        return self

    def is_pinned(self) -> bool:
        return False

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` lives on the GPU backend."""
        return _is_cuda(self.data)


def host_lengths(where: str, lengths, integer: bool = True) -> numpy.ndarray:
    """``lengths`` (a list, a NumPy array or a Tensor on a ``"cpu"`` backend) as a 1-d int64
    NumPy array (floats truncated, as PyTorch's ``as_tensor(lengths, dtype=torch.int64)``), or
    in their own dtype if not ``integer``; RuntimeError as PyTorch's for one on the GPU backend
    or not 1-d."""
    array = data_of(lengths)
    if hasattr(array, "dtype") and not isinstance(array, numpy.ndarray):
        if _is_cuda(array):
            msg = (
                f"{where}: 'lengths' argument should be a 1D CPU int64 tensor, but got "
                f"{array.ndim}D cuda tensor"
            )
            raise RuntimeError(msg)
        array = backend_of(array).to_host(array)
    host = numpy.asarray(array)
    if host.dtype.kind not in "biuf":
        msg = f"{where}: lengths must be integers, got dtype {host.dtype}"
        raise TypeError(msg)
    if host.ndim != 1:
        msg = (
            f"{where}: 'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{host.ndim}D cpu tensor"
        )
        raise RuntimeError(msg)
    return host.astype(numpy.int64) if integer else host


def _check_lengths(lengths: numpy.ndarray, batch: int, steps: int) -> None:
    """PyTorch's checks of ``pack_padded_sequence``'s lengths (sorted ones, but their count)."""
    where = "pack_padded_sequence"
    if lengths.shape[0] != batch:
        msg = (
            f"{where}: Expected `len(lengths)` to be equal to batch_size, but got "
            f"{lengths.shape[0]} (batch_size={batch})"
        )
        raise ArgumentError(msg)
    if lengths[-1] <= 0:  # the smallest, once sorted: PyTorch checks it first
        msg = (
            f"{where}: Length of all samples has to be greater than 0, but found an element "
            "in 'lengths' that is <= 0"
        )
        raise ArgumentError(msg)
    if (lengths[1:] > lengths[:-1]).any():
        msg = (
            f"{where}: `lengths` array must be sorted in decreasing order when "
            "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
            "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you "
            "do not need ONNX exportability."
        )
        raise ArgumentError(msg)
    if lengths[0] > steps:  # PyTorch reads past the input here
        msg = f"{where}: lengths must be at most the sequence length {steps}, got {lengths[0]}"
        raise ArgumentError(msg)


def pack_padded_sequence(input, lengths, batch_first: bool = False, enforce_sorted: bool = True):
    r"""Pack a padded batch of sequences of different lengths, as
    ``torch.nn.utils.rnn.pack_padded_sequence``.

    Args:
        input: (T, B, \*), or (B, T, \*) with ``batch_first``: the padded sequences.
        lengths: the B lengths, host data (a list, a NumPy array or an int64 Tensor on a
            ``"cpu"`` backend).
        batch_first: ``input`` is batch first. Default: ``False``.
        enforce_sorted: require the lengths in decreasing order; otherwise the batch is
            sorted here and the order kept in ``sorted_indices``. Default: ``True``.

    Returns:
        A :class:`PackedSequence`, through whose ``data`` gradients flow back to ``input``.

    Raises:
        RuntimeError (an ``ArgumentError``): an empty input; as many lengths as sequences;
            a length below 1, or above T (PyTorch reads past the input); lengths not sorted
            with ``enforce_sorted``; lengths on the GPU backend or not 1-d (RuntimeError).
        IndexError: an input of fewer than 2 dimensions.

    Example:
        >>> import xpnet
        >>> x = xpnet.arange(6.0).reshape(3, 2)  # (T, B)
        >>> packed = pack_padded_sequence(x, [3, 1])
        >>> packed.data.tolist(), packed.batch_sizes.tolist()
        ([0.0, 1.0, 2.0, 4.0], [2, 1, 1])
    """
    input = as_tensor(input)
    lengths = host_lengths("pack_padded_sequence", lengths)
    if input.ndim < 2:
        msg = f"pack_padded_sequence: input must have at least 2 dimensions, got {input.ndim}"
        raise IndexError(msg)
    if input.array.size == 0:
        raise ArgumentError("pack_padded_sequence: Cannot pack empty tensors.")
    batch, steps = input.shape[:2] if batch_first else input.shape[1::-1]
    order = numpy.arange(lengths.shape[0])
    if not enforce_sorted:
        order = numpy.argsort(-lengths, kind="stable")
    _check_lengths(lengths[order], batch, steps)
    sorted_lengths = lengths[order]
    # packed row (t, j): sequence order[j] at step t, for the j whose length exceeds t
    t, j = numpy.nonzero(sorted_lengths[None, :] > numpy.arange(sorted_lengths[0])[:, None])
    rows = order[j] * steps + t if batch_first else t * batch + order[j]
    backend = backend_of(input.array)
    flat = input.reshape(batch * steps, *input.shape[2:])  # (T * B, *) or (B * T, *)
    data = flat.index_select(0, Tensor(backend.asarray(rows)))
    batch_sizes = Tensor(numpy.bincount(t).astype(numpy.int64))
    sorted_indices = None if enforce_sorted else Tensor(backend.asarray(order))
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
):
    r"""Undo :func:`pack_padded_sequence`, as ``torch.nn.utils.rnn.pad_packed_sequence``.

    Args:
        sequence: a :class:`PackedSequence`.
        batch_first: return (B, T, \*) instead of (T, B, \*). Default: ``False``.
        padding_value: the value of the padded elements. Default: ``0.0``.
        total_length: pad to this many steps instead of the longest length. Default:
            ``None``.

    Returns:
        ``(padded, lengths)``: the padded batch in the original order (gradients flow back to
        ``sequence.data``), and the lengths as an int64 Tensor on the host.

    Raises:
        ValueError: ``total_length`` below the longest length.
        TypeError: ``total_length`` not an int (a float, even ``5.0``, or a bool).

    Example:
        >>> import xpnet
        >>> packed = pack_sequence([xpnet.ones(1), xpnet.ones(2)], enforce_sorted=False)
        >>> padded, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=-1.0)
        >>> padded.tolist(), lengths.tolist()
        ([[1.0, -1.0], [1.0, 1.0]], [1, 2])
    """
    data, batch_sizes, _, unsorted_indices = sequence
    sizes = host_lengths("pad_packed_sequence", batch_sizes)
    steps = sizes.shape[0]
    if total_length is not None:
        total_length = check_int("pad_packed_sequence", "total_length", total_length)
        if total_length < steps:
            msg = (
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
            raise ValueError(msg)
        steps = total_length
    batch = int(sizes[0])
    backend = backend_of(data.array)
    unsorted = numpy.arange(batch)
    if unsorted_indices is not None:  # a host read of the permutation, as PyTorch's
        unsorted = backend_of(unsorted_indices.array).to_host(unsorted_indices.array)
    sorted_lengths = (sizes[:, None] > numpy.arange(batch)).sum(0)
    lengths = sorted_lengths[unsorted]
    starts = numpy.concatenate([[0], numpy.cumsum(sizes)[:-1]])
    t = numpy.arange(steps)[:, None]  # (T, 1) against the batch (1, B)
    # the packed row of step t of sequence b, or the padding row after the data
    rows = starts[numpy.minimum(t, sizes.shape[0] - 1)] + unsorted[None, :]
    rows = numpy.where(t < lengths[None, :], rows, data.shape[0])  # (T, B)
    rows = rows.T if batch_first else rows  # (B, T) or (T, B)
    padding = Tensor(backend.xp.full((1, *data.shape[1:]), padding_value, dtype=data.dtype))
    padded = cat([data, padding]).index_select(0, Tensor(backend.asarray(rows.reshape(-1))))
    padded = padded.reshape(*rows.shape, *data.shape[1:])
    return padded, Tensor(lengths.astype(numpy.int64))


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    r"""Pack a list of sequences of different lengths, as ``torch.nn.utils.rnn.pack_sequence``:
    :func:`~xpnet.nn.utils.rnn.pad_sequence`, then :func:`pack_padded_sequence`.

    Args:
        sequences: Tensors (L, \*) with the same trailing dimensions, longest first unless
            ``enforce_sorted`` is ``False``.
        enforce_sorted: require the sequences sorted by decreasing length. Default: ``True``.

    Returns:
        A :class:`PackedSequence`; gradients flow back to the sequences.

    Raises:
        RuntimeError: as :func:`pack_padded_sequence` and ``pad_sequence`` (an empty list).

    Example:
        >>> import xpnet
        >>> packed = pack_sequence([xpnet.tensor([1.0, 2.0]), xpnet.tensor([3.0])])
        >>> packed.data.tolist(), packed.batch_sizes.tolist()
        ([1.0, 3.0, 2.0], [2, 1])
    """
    from .rnn import pad_sequence  # rnn.py exports this module's names

    sequences = [as_tensor(sequence) for sequence in sequences]
    lengths = [sequence.shape[0] if sequence.ndim else 0 for sequence in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    r"""The sequences of a padded batch, each cut to its length, as
    ``torch.nn.utils.rnn.unpad_sequence``.

    Args:
        padded_sequences: (T, B, \*), or (B, T, \*) with ``batch_first``.
        lengths: the B lengths, host data as :func:`pack_padded_sequence`'s. Sequence ``b``
            keeps the steps ``t < lengths[b]``, as PyTorch's: a float length is rounded up.
        batch_first: the batch is the first dimension. Default: ``False``.

    Returns:
        A list of B Tensors (length, \*), views through which gradients flow back. Unlike
        PyTorch's, ``padded_sequences`` is left as it is (PyTorch transposes it in place when
        ``batch_first`` is ``False``).

    Example:
        >>> import xpnet
        >>> padded = xpnet.tensor([[1.0, 2.0], [3.0, 0.0]])  # (T, B)
        >>> [s.tolist() for s in unpad_sequence(padded, [2, 1])]
        [[1.0, 3.0], [2.0]]
    """
    padded = as_tensor(padded_sequences)
    lengths = host_lengths("unpad_sequence", lengths, integer=False)
    steps = padded.shape[1 if batch_first else 0]
    pieces = padded.unbind(0 if batch_first else 1)
    if len(pieces) != lengths.shape[0]:
        msg = f"unpad_sequence: expected {len(pieces)} lengths, got {lengths.shape[0]}"
        raise ArgumentError(msg)
    # the steps t < length, as PyTorch's mask: a float length of 3.5 keeps 4 steps, not 3
    kept = (numpy.arange(steps)[:, None] < lengths[None, :]).sum(0)
    return [piece.narrow(0, 0, int(count)) for piece, count in zip(pieces, kept, strict=True)]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    r"""The sequences of a :class:`PackedSequence`, in their original order, as
    ``torch.nn.utils.rnn.unpack_sequence``.

    Returns:
        A list of Tensors (length, \*); gradients flow back to the packed data.

    Example:
        >>> import xpnet
        >>> packed = pack_sequence([xpnet.ones(1), xpnet.ones(2)], enforce_sorted=False)
        >>> [s.tolist() for s in unpack_sequence(packed)]
        [[1.0], [1.0, 1.0]]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
