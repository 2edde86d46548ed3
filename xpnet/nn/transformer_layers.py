"""``TransformerEncoderLayer`` and ``TransformerDecoderLayer``, as
``torch/nn/modules/transformer.py``; the stacks and :class:`~xpnet.nn.Transformer` are in
:mod:`xpnet.nn.transformer`, whose note (no fast path) applies here too.

Built from :class:`~xpnet.nn.MultiheadAttention`, :class:`~xpnet.nn.Linear`,
:class:`~xpnet.nn.Dropout`, :class:`~xpnet.nn.LayerNorm` and the activations of
:mod:`xpnet.nn.functional`; autograd gives the gradients. Submodule names and ``state_dict``
keys are PyTorch's (``self_attn``, ``multihead_attn``, ``linear1``, ``dropout``, ``linear2``,
``norm1``..``norm3``, ``dropout1``..``dropout3``).
"""

from __future__ import annotations

from ..autograd import as_tensor
from . import functional as F
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerDecoderLayer", "TransformerEncoderLayer"]


def _activation_fn(activation):
    """``'relu'`` or ``'gelu'`` as the function; a callable as it is (PyTorch's rule)."""
    if not isinstance(activation, str):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


class _Layer(Module):
    """What the encoder and decoder layers share: the feed-forward block and the norms."""

    def _build(self, d_model, nhead, dim_feedforward, dropout, layer_norm_eps, bias, norms, **kw):
        batch_first, device, dtype = kw["batch_first"], kw["device"], kw["dtype"]
        for name in kw["attentions"]:
            attention = MultiheadAttention(
                d_model,
                nhead,
                dropout=dropout,
                bias=bias,
                batch_first=batch_first,
                device=device,
                dtype=dtype,
            )
            setattr(self, name, attention)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, device=device, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, device=device, dtype=dtype)
        self.norm_first = kw["norm_first"]
        for i in range(1, norms + 1):
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
            setattr(self, f"norm{i}", norm)
        for i in range(1, norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))

    def _attention_block(self, attention, dropout, x, memory, attn_mask, padding, is_causal):
        x = attention(
            x,
            memory,
            memory,
            attn_mask=attn_mask,
            key_padding_mask=padding,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return dropout(x)

    def _ff_block(self, x, dropout):
        return dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_Layer):
    r"""Self-attention then a feed-forward network, each in a residual connection with a
    layer norm (Vaswani et al., 2017), as :class:`torch.nn.TransformerEncoderLayer`.

    ``norm_first=False``: ``x = norm1(x + SA(x)); x = norm2(x + FF(x))``; ``norm_first=True``
    (Xiong et al., 2020): ``x = x + SA(norm1(x)); x = x + FF(norm2(x))``, with
    ``FF(x) = dropout2(linear2(dropout(activation(linear1(x)))))`` and
    ``SA = dropout1(self_attn(x, x, x))``.

    Args:
        d_model: model size E. nhead: number of attention heads; must divide ``d_model``.
        dim_feedforward: hidden size of the feed-forward network. Default: 2048.
        dropout: dropout probability everywhere (attention weights too). Default: 0.1.
        activation: ``'relu'``, ``'gelu'`` or a unary callable (a function or a module).
            Default: :func:`xpnet.nn.functional.relu`.
        layer_norm_eps: the norms' eps. Default: 1e-5.
        batch_first: (N, S, E) instead of (S, N, E). Default: ``False``.
        norm_first: normalise before each block instead of after. Default: ``False``.
        bias: biases in the linear layers, attention and norms. Default: ``True``.
        device: backend name. Default: current. dtype: parameter dtype. Default: float32.

    Shape:
        src (S, N, E), (N, S, E) with ``batch_first``, or unbatched (S, E); the output too.
        src_mask (S, S) or (N * nhead, S, S); src_key_padding_mask (N, S) or (S,): ``True``
        (or ``-inf`` added) masks a key.

    Raises:
        RuntimeError: ``activation`` a string other than ``'relu'`` and ``'gelu'``.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> layer(np.ones((3, 5, 8), dtype=np.float32)).shape
        (3, 5, 8)
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation=F.relu,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self._build(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            layer_norm_eps,
            bias,
            2,
            attentions=("self_attn",),
            batch_first=batch_first,
            norm_first=norm_first,
            device=device,
            dtype=dtype,
        )
        activation = _activation_fn(activation)
        # PyTorch's fast path reads this; kept for code that inspects it
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        """The layer's output, of ``src``'s shape; ``is_causal`` hints that ``src_mask`` is
        the causal mask (see :meth:`xpnet.nn.MultiheadAttention.forward`)."""
        x = as_tensor(src)

        def sa_block(y):
            return self._attention_block(
                self.self_attn, self.dropout1, y, y, src_mask, src_key_padding_mask, is_causal
            )

        if self.norm_first:
            x = x + sa_block(self.norm1(x))
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + sa_block(x))
        return self.norm2(x + self._ff_block(x, self.dropout2))


class TransformerDecoderLayer(_Layer):
    r"""Self-attention, attention over the encoder's output (``memory``), then a feed-forward
    network, each in a residual connection with a layer norm, as
    :class:`torch.nn.TransformerDecoderLayer`.

    ``norm_first=False``: ``x = norm1(x + SA(x)); x = norm2(x + MHA(x, memory));
    x = norm3(x + FF(x))``; ``norm_first=True``: ``x = x + SA(norm1(x)); x = x +
    MHA(norm2(x), memory); x = x + FF(norm3(x))``. Submodules ``self_attn``,
    ``multihead_attn``, ``linear1``, ``dropout``, ``linear2``, ``norm1..3``, ``dropout1..3``.
    Arguments as :class:`TransformerEncoderLayer`.

    Shape:
        tgt (T, N, E), memory (S, N, E) ((N, T, E), (N, S, E) with ``batch_first``; unbatched
        (T, E), (S, E)); output as tgt. tgt_mask (T, T), memory_mask (T, S), or with a first
        dimension N * nhead; tgt_key_padding_mask (N, T), memory_key_padding_mask (N, S).

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
        >>> layer(np.ones((4, 3, 8), dtype=np.float32), np.ones((5, 3, 8), dtype=np.float32)).shape
        (4, 3, 8)
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation=F.relu,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self._build(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            layer_norm_eps,
            bias,
            3,
            attentions=("self_attn", "multihead_attn"),
            batch_first=batch_first,
            norm_first=norm_first,
            device=device,
            dtype=dtype,
        )
        self.activation = _activation_fn(activation)

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ):
        """The layer's output, of ``tgt``'s shape; the ``_is_causal`` flags hint that the
        matching mask is the causal mask."""
        x, memory = as_tensor(tgt), as_tensor(memory)
        self_masks = (tgt_mask, tgt_key_padding_mask, tgt_is_causal)
        memory_masks = (memory_mask, memory_key_padding_mask, memory_is_causal)

        def sa_block(y):
            return self._attention_block(self.self_attn, self.dropout1, y, y, *self_masks)

        def mha_block(y):
            attention = self.multihead_attn
            return self._attention_block(attention, self.dropout2, y, memory, *memory_masks)

        if self.norm_first:
            x = x + sa_block(self.norm1(x))
            x = x + mha_block(self.norm2(x))
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + sa_block(x))
        x = self.norm2(x + mha_block(x))
        return self.norm3(x + self._ff_block(x, self.dropout3))
