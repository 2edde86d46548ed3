"""``Embedding``: a lookup table of learnable rows, as ``torch/nn/modules/sparse.py``.

The layer calls :func:`xpnet.nn.functional.embedding`, whose numerics live in
:mod:`xpnet.kernels.embedding`.
"""

from __future__ import annotations

from ..autograd import data_of
from ..kernels import AssertedArgumentError
from ..kernels._embedding_args import padding_index
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter, check_sizes, new_array

__all__ = ["Embedding"]


def pretrained_shape(where, embeddings):
    """``(rows, cols)`` of a ``from_pretrained`` table, which must be 2-D (an
    ``AssertionError`` in PyTorch; a ``ValueError`` too)."""
    if getattr(embeddings, "ndim", None) != 2:
        shape = getattr(embeddings, "shape", type(embeddings).__name__)
        msg = f"{where}: embeddings must be 2-D, got {shape}"
        raise AssertedArgumentError(msg)
    return embeddings.shape


def embedding_table(where, num_embeddings, embedding_dim, padding_idx, _weight, device, dtype):
    """``(padding_idx, table)`` of an embedding layer: ``padding_idx`` counted from the
    start, and ``_weight``'s array checked for shape, or N(0, 1) draws with the padding row
    zeroed, as PyTorch's ``Embedding`` and ``EmbeddingBag`` initialise it."""
    check_sizes(where, num_embeddings=num_embeddings, embedding_dim=embedding_dim)
    padding_idx = padding_index(where, padding_idx, num_embeddings)
    if _weight is None:
        weight = init.normal_(new_array((num_embeddings, embedding_dim), device, dtype))
        if padding_idx is not None:
            weight[padding_idx] = 0
        return padding_idx, weight
    weight = data_of(_weight)
    if tuple(weight.shape) != (num_embeddings, embedding_dim):
        msg = (
            f"{where}: _weight must have shape {(num_embeddings, embedding_dim)}, "
            f"got {tuple(weight.shape)}"
        )
        raise AssertedArgumentError(msg)  # PyTorch asserts it
    return padding_idx, weight


class Embedding(Module):
    r"""A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by integer
    index, as :class:`torch.nn.Embedding`.

    Args:
        num_embeddings: rows of the table.
        embedding_dim: size of each row.
        padding_idx: a row initialised to zeros that gets no gradient (negative: from the
            end). Default: ``None``.
        max_norm: each forward first scales the looked-up rows whose norm is larger down to
            it, in ``weight`` itself (PyTorch's in-place renormalisation). Default: ``None``.
        norm_type: the p of ``max_norm``'s norm. Default: 2.0.
        scale_grad_by_freq: divide each row's gradient by its index's count in the batch.
            Default: ``False``.
        sparse: not implemented; must be ``False``.
        _weight: an initial (num_embeddings, embedding_dim) table instead of N(0, 1) draws.
        _freeze: the table gets no gradient. Default: ``False``.
        device: backend name. Default: current. dtype: Default: float32.

    Shape:
        - Input: integer indices of any shape. Output: ``input.shape + (embedding_dim,)``.

    Raises:
        NotImplementedError: ``sparse``.
        ValueError: ``padding_idx`` out of range, a ``_weight`` of another shape, or
            ``from_pretrained`` embeddings that are not 2-D (each also an ``AssertionError``,
            as PyTorch's).

    Example:
        >>> import xpnet
        >>> table = xpnet.nn.Embedding(10, 3, padding_idx=0)
        >>> table, table(np.array([[0, 4]])).shape, float(abs(table.weight.array[0]).sum())
        (Embedding(10, 3, padding_idx=0), (1, 2, 3), 0.0)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if sparse:
            msg = "Embedding: sparse=True is not implemented; use sparse=False"
            raise NotImplementedError(msg)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, weight = embedding_table(
            "Embedding", num_embeddings, embedding_dim, padding_idx, _weight, device, dtype
        )
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.weight = Parameter(weight, requires_grad=not _freeze)

    def forward(self, input):
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += ", scale_grad_by_freq=True"
        if self.sparse is not False:
            text += ", sparse=True"
        return text

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ):
        """An Embedding whose table is ``embeddings`` (2-D, used as is, not copied) and, with
        ``freeze`` (the default), gets no gradient.

        Example:
            >>> import xpnet
            >>> table = xpnet.nn.Embedding.from_pretrained(np.eye(3, dtype=np.float32))
            >>> table(np.array([2])).array, table.weight.requires_grad
            (array([[0., 0., 1.]], dtype=float32), False)
        """
        embeddings = data_of(embeddings)
        rows, cols = pretrained_shape("Embedding.from_pretrained", embeddings)
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )
