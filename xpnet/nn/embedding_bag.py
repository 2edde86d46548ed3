"""``EmbeddingBag``: sums, means or maxes of bags of learnable rows, as
``torch/nn/modules/sparse.py``.

The layer calls :func:`xpnet.nn.functional.embedding_bag`, whose numerics live in
:mod:`xpnet.kernels.embedding_bag`; :mod:`.sparse` holds ``Embedding``.
"""

from __future__ import annotations

from ..autograd import data_of
from . import functional as F
from .module import Module
from .parameter import Parameter
from .sparse import embedding_table, pretrained_shape

__all__ = ["EmbeddingBag"]


class EmbeddingBag(Module):
    r"""A table of ``num_embeddings`` vectors of size ``embedding_dim`` whose rows are summed,
    averaged or max-reduced per bag of indices, as :class:`torch.nn.EmbeddingBag`, without
    the per-index ``(N, embedding_dim)`` result of an :class:`Embedding` for the caller.

    Args:
        num_embeddings: rows of the table.
        embedding_dim: size of each row.
        max_norm: rows looked up whose ``norm_type``-norm is larger are rescaled to it, in
            place in ``weight``, before each lookup. Default: ``None``.
        norm_type: the p of ``max_norm``'s norm. Default: 2.0.
        scale_grad_by_freq: divide each row's gradient by its index's count in the batch
            (not with ``'max'``). Default: ``False``.
        mode: ``'sum'``, ``'mean'`` or ``'max'``. Default: ``'mean'``.
        sparse: not implemented; must be ``False`` (dense gradients only).
        _weight: an initial (num_embeddings, embedding_dim) table instead of N(0, 1) draws.
        include_last_offset: ``offsets`` has one more value, the end of the last bag (CSR).
            Default: ``False``.
        padding_idx: an index left out of every bag, whose row starts at zero and gets no
            gradient (negative: from the end). Default: ``None``.
        device: backend name. Default: current. dtype: Default: float32.

    Shape:
        - Input: (B, N) for B bags of N indices, or (L,) with ``offsets`` (B,) holding where
          each bag starts (B + 1 values with ``include_last_offset``). ``per_sample_weights``:
          the shape of input (``'sum'`` only). Output: (B, embedding_dim); zeros for an
          empty bag.

    Raises:
        NotImplementedError: ``sparse=True``.
        ValueError: ``padding_idx`` out of range, a ``_weight`` of another shape, or
            ``from_pretrained`` embeddings that are not 2-D (each also an ``AssertionError``,
            as PyTorch's).

    Note:
        Unlike PyTorch's CPU kernel (pytorch/pytorch#190063), ``scale_grad_by_freq`` divides
        by each index's own count, as its CUDA kernel and the documentation do.

    Example:
        >>> import xpnet
        >>> bag = xpnet.nn.EmbeddingBag(10, 3, mode="sum")
        >>> bag, bag(np.array([1, 2, 4, 5, 4]), np.array([0, 2])).shape
        (EmbeddingBag(10, 3, mode='sum'), (2, 3))
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight=None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if sparse:
            msg = "EmbeddingBag: sparse=True is not implemented; use sparse=False"
            raise NotImplementedError(msg)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.padding_idx, weight = embedding_table(
            "EmbeddingBag", num_embeddings, embedding_dim, padding_idx, _weight, device, dtype
        )
        self.weight = Parameter(weight)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx!r}"
        return text

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ):
        """An EmbeddingBag whose table is ``embeddings`` (2-D, used as is, not copied) and,
        with ``freeze`` (the default), gets no gradient.

        Example:
            >>> import xpnet
            >>> bag = xpnet.nn.EmbeddingBag.from_pretrained(np.eye(3, dtype=np.float32))
            >>> bag(np.array([[0, 2]])).array, bag.weight.requires_grad
            (array([[0.5, 0. , 0.5]], dtype=float32), False)
        """
        embeddings = data_of(embeddings)
        rows, cols = pretrained_shape("EmbeddingBag.from_pretrained", embeddings)
        bag = cls(
            rows,
            cols,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            _weight=embeddings,
            include_last_offset=include_last_offset,
            padding_idx=padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag
