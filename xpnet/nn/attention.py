"""``MultiheadAttention``, as :class:`torch.nn.MultiheadAttention`.

Built from :mod:`xpnet.nn.functional` (``linear``, ``softmax``, ``dropout``, ``pad`` and
``scaled_dot_product_attention``, whose numerics live in :mod:`xpnet.kernels.attention`) and
Tensor reshapes, step by step as PyTorch's ``multi_head_attention_forward``; initial values
from :mod:`xpnet.nn.init`.
"""

from __future__ import annotations

import math

from ..autograd import Tensor, data_of
from ..backends import backend_of
from ..kernels import ArgumentError, AssertedArgumentError
from . import functional as F
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter, check_sizes, new_array

__all__ = ["MultiheadAttention"]

_WHERE = "MultiheadAttention"


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for ``out_proj``'s class (it shows in the module's repr)."""


class _MaskDtypeError(TypeError, AssertionError):
    """PyTorch asserts a mask's dtype (``_canonical_mask``); a TypeError too, as a kind."""


def _tensor(value):
    return value if value is None or isinstance(value, Tensor) else Tensor(value)


def _canonical_mask(name, mask, dtype):
    """A bool mask (``True``: masked out) as an additive float mask of ``dtype``; a float mask
    as it is (gradients flow to it); PyTorch's ``_canonical_mask``."""
    if mask is None:
        return None
    data = data_of(mask)
    xp = backend_of(data).xp
    if data.dtype == xp.bool_:
        return Tensor(xp.where(data, -xp.inf, 0.0).astype(dtype))
    if data.dtype.kind != "f":
        msg = f"{_WHERE}: {name} must be a bool or floating-point mask, got {data.dtype}"
        raise _MaskDtypeError(msg)
    return _tensor(mask)


def _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the call is batched (3-D query), after PyTorch's ``_mha_shape_check`` (whose
    refusals are AssertionErrors)."""
    batched = query.ndim == 3
    ranks = {"key": key.ndim, "value": value.ndim}
    if query.ndim not in (2, 3) or any(r != query.ndim for r in ranks.values()):
        msg = (
            f"{_WHERE}: query, key and value must all be 3-D (batched) or 2-D (unbatched), "
            f"got shapes {query.shape}, {key.shape}, {value.shape}"
        )
        raise AssertedArgumentError(msg)
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        msg = (
            f"{_WHERE}: key_padding_mask must be {query.ndim - 1}-D for {query.ndim}-D query, "
            f"got shape {key_padding_mask.shape}"
        )
        raise AssertedArgumentError(msg)
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        msg = f"{_WHERE}: attn_mask must be 2-D or 3-D, got shape {attn_mask.shape}"
        raise AssertedArgumentError(msg)
    if attn_mask is not None and not batched and attn_mask.ndim == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != expected:
            msg = f"{_WHERE}: a 3-D attn_mask must have shape {expected}, got {attn_mask.shape}"
            raise AssertedArgumentError(msg)
    return batched


class MultiheadAttention(Module):
    r"""Attention over ``num_heads`` heads: ``Concat(head_1, ..., head_h) W_O``, with
    ``head_i = softmax(Q W_i^Q (K W_i^K)^T / sqrt(d) + mask) V W_i^V``, as
    :class:`torch.nn.MultiheadAttention`.

    Args:
        embed_dim: model size ``E``; split into ``num_heads`` heads of ``E // num_heads``.
        num_heads: number of heads; must divide ``embed_dim``.
        dropout: dropout on the attention weights while training. Default: 0.0.
        bias: learn biases for the input and output projections. Default: ``True``.
        add_bias_kv: append a learnt key and value to the sequences. Default: ``False``.
        add_zero_attn: append a zero key and value to the sequences. Default: ``False``.
        kdim, vdim: key and value sizes. Default: ``embed_dim``.
        batch_first: inputs and output as (N, L, E) instead of (L, N, E). Default: ``False``.
        device: backend name. Default: current. dtype: parameter dtype. Default: float32.

    Shape:
        - query (L, N, E), key (S, N, kdim), value (S, N, vdim); unbatched (L, E), (S, kdim),
          (S, vdim). key_padding_mask (N, S) or (S,): ``True`` (or a float added) masks a key.
          attn_mask (L, S) or (N * num_heads, L, S): ``True`` masks a pair.
        - Output: attn_output (L, N, E) and the weights (N, L, S) averaged over heads, or
          (N, num_heads, L, S); unbatched without N.

    Attributes:
        in_proj_weight: (3 * E, E), xavier uniform (``q/k/v_proj_weight`` instead when
            ``kdim`` or ``vdim`` differ). in_proj_bias: (3 * E,), zeros.
        bias_k, bias_v: (1, 1, E), xavier normal, with ``add_bias_kv``.
        out_proj: ``Linear(E, E)``, its bias zeros.

    Raises:
        ValueError: sizes or shapes that do not fit; those PyTorch asserts (``num_heads`` not
            dividing ``embed_dim``, the ranks and feature sizes of the inputs, the masks' ranks,
            the padding mask's shape) are ``AssertionError`` too. TypeError: a mask neither
            bool nor float (an ``AssertionError`` too).

    Example:
        >>> import xpnet
        >>> attention = xpnet.nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = np.ones((3, 5, 8), dtype=np.float32)
        >>> output, weights = attention(x, x, x)
        >>> output.shape, weights.shape
        ((3, 5, 8), (3, 5, 5))
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        kdim = embed_dim if kdim is None else kdim
        vdim = embed_dim if vdim is None else vdim
        check_sizes(_WHERE, embed_dim=embed_dim, num_heads=num_heads, kdim=kdim, vdim=vdim)
        if embed_dim < 1 or num_heads < 1:  # PyTorch's check (0 would divide by 0 in init)
            msg = (
                f"{_WHERE}: embed_dim and num_heads must be greater than 0, got "
                f"embed_dim={embed_dim} and num_heads={num_heads}"
            )
            raise ArgumentError(msg)
        if embed_dim % num_heads:
            msg = (
                f"{_WHERE}: embed_dim must be divisible by num_heads, got {embed_dim}, {num_heads}"
            )
            raise AssertedArgumentError(msg)
        self.embed_dim, self.kdim, self.vdim = embed_dim, kdim, vdim
        self._qkv_same_embed_dim = kdim == embed_dim and vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads

        def parameter(*shape):
            return Parameter(new_array(shape, device, dtype))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = parameter(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = parameter(embed_dim, embed_dim)
            self.k_proj_weight = parameter(embed_dim, kdim)
            self.v_proj_weight = parameter(embed_dim, vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = parameter(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(
            embed_dim, embed_dim, bias=bias, device=device, dtype=dtype
        )
        if add_bias_kv:
            self.bias_k, self.bias_v = parameter(1, 1, embed_dim), parameter(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's: xavier uniform projections, zero biases, xavier normal bias_k/bias_v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        for extra in (self.bias_k, self.bias_v):
            if extra is not None:
                init.xavier_normal_(extra)

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        """``(attn_output, attn_weights)``; the weights are ``None`` unless ``need_weights``.

        ``is_causal`` is a hint, as in PyTorch: it needs ``attn_mask`` (the causal mask) and
        uses the causal kernel instead where neither weights nor a padding mask are asked for.
        """
        query, key, value = _tensor(query), _tensor(key), _tensor(value)
        batched = _check_shapes(query, key, value, key_padding_mask, attn_mask, self.num_heads)
        if batched and self.batch_first:
            query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        if not batched:
            query, key, value = (x.unsqueeze(1) for x in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = _tensor(key_padding_mask).unsqueeze(0)
        padding = _canonical_mask("key_padding_mask", key_padding_mask, query.dtype)
        if is_causal and attn_mask is None:
            msg = f"{_WHERE}: is_causal=True needs attn_mask (the causal mask), got None"
            raise ArgumentError(msg)
        if is_causal and padding is None and not need_weights:
            attn_mask = None  # the hint alone: sdpa's causal path
        else:
            attn_mask = _canonical_mask("attn_mask", attn_mask, query.dtype)
            is_causal = is_causal and padding is None
        q, k, v = self._project(query, key, value)
        attn_mask = self._mask_3d(attn_mask, query.shape[:2], k.shape[0])
        q, k, v, attn_mask, padding = self._heads(q, k, v, attn_mask, padding)
        output, weights = self._attend(q, k, v, attn_mask, need_weights, is_causal)
        length, batch = query.shape[:2]
        output = F.linear(output, self.out_proj.weight, self.out_proj.bias)
        output = output.reshape(length, batch, self.embed_dim)  # (L, N, E)
        if weights is not None:
            weights = weights.reshape(batch, self.num_heads, length, weights.shape[-1])
            weights = weights.mean(dim=1) if average_attn_weights else weights
        if not batched:
            output = output.squeeze(1)
            weights = None if weights is None else weights.squeeze(0)
        elif self.batch_first:
            output = output.transpose(1, 0)
        return output, weights

    def _project(self, query, key, value):
        """The input projections: (L, N, E), (S, N, E), (S, N, E)."""
        E = self.embed_dim
        if query.shape[-1] != E:
            msg = f"{_WHERE}: query must have embed_dim={E} features, got shape {query.shape}"
            raise AssertedArgumentError(msg)
        # one packed projection: key and value of one shape; separate ones: of one length, batch
        same = 3 if self._qkv_same_embed_dim else 2
        if key.shape[:same] != value.shape[:same]:
            what = "shape" if same == 3 else "length and batch"
            msg = f"{_WHERE}: key and value must have one {what}, got {key.shape}, {value.shape}"
            raise AssertedArgumentError(msg)
        features = (key.shape[-1], value.shape[-1])
        if not self._qkv_same_embed_dim and features != (self.kdim, self.vdim):
            msg = f"{_WHERE}: key and value must have kdim={self.kdim} and vdim={self.vdim} "
            raise AssertedArgumentError(msg + f"features, got shapes {key.shape}, {value.shape}")
        bias = self.in_proj_bias
        biases = (None,) * 3 if bias is None else (bias[:E], bias[E : 2 * E], bias[2 * E :])
        if self._qkv_same_embed_dim:
            weight = self.in_proj_weight
            weights = (weight[:E], weight[E : 2 * E], weight[2 * E :])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        inputs = (query, key, value)
        return tuple(F.linear(x, w, b) for x, w, b in zip(inputs, weights, biases, strict=True))

    def _mask_3d(self, attn_mask, query_shape, source):
        """attn_mask as (1, L, S) or (N * num_heads, L, S), its shape checked."""
        if attn_mask is None:
            return None
        length, batch = query_shape
        expected = (length, source) if attn_mask.ndim == 2 else (batch * self.num_heads,)
        expected = expected if attn_mask.ndim == 2 else (*expected, length, source)
        if tuple(attn_mask.shape) != expected:
            msg = f"{_WHERE}: a {attn_mask.ndim}-D attn_mask must have shape {expected}, "
            raise ArgumentError(msg + f"got {tuple(attn_mask.shape)}")
        return attn_mask.unsqueeze(0) if attn_mask.ndim == 2 else attn_mask

    def _heads(self, q, k, v, attn_mask, padding):
        """(N * num_heads, L or S, head_dim) views, with bias_kv and the zero key appended and
        the key padding mask merged into attn_mask."""
        batch, heads, head_dim = q.shape[1], self.num_heads, self.head_dim
        if self.bias_k is not None:
            k = _cat([k, self.bias_k.repeat(1, batch, 1)], 0)
            v = _cat([v, self.bias_v.repeat(1, batch, 1)], 0)
            attn_mask, padding = _pad(attn_mask), _pad(padding)
        q, k, v = (
            x.reshape(x.shape[0], batch * heads, head_dim).transpose(0, 1) for x in (q, k, v)
        )
        if self.add_zero_attn:
            k = _cat([k, k.new_zeros((batch * heads, 1, head_dim))], 1)
            v = _cat([v, v.new_zeros((batch * heads, 1, head_dim))], 1)
            attn_mask, padding = _pad(attn_mask), _pad(padding)
        source = k.shape[1]
        if padding is not None:
            if tuple(padding.shape) != (batch, source):
                msg = f"{_WHERE}: key_padding_mask must have shape {(batch, source)}, "
                raise AssertedArgumentError(msg + f"got {tuple(padding.shape)}")
            padding = padding.reshape(batch, 1, 1, source).expand(batch, heads, 1, source)
            padding = padding.reshape(batch * heads, 1, source)
            attn_mask = padding if attn_mask is None else attn_mask + padding
        return q, k, v, attn_mask, padding

    def _attend(self, q, k, v, attn_mask, need_weights, is_causal):
        """``(output (L * N, E), weights (N * num_heads, L, S) or None)`` from the heads."""
        p = self.dropout if self.training else 0.0
        heads_batch, length, head_dim = q.shape
        batch, source = heads_batch // self.num_heads, k.shape[1]
        if need_weights:  # the weights themselves: softmax without the safe rows, as PyTorch
            scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
            scores = scores if attn_mask is None else attn_mask + scores
            weights = F.softmax(scores, -1)
            weights = F.dropout(weights, p) if p > 0 else weights
            output = (weights @ v).transpose(0, 1).reshape(length * batch, self.embed_dim)
            return output, weights
        if attn_mask is not None:
            # (1 or N * num_heads, L or 1, S): a key padding mask alone has one row, which
            # broadcasts over L; a mask shared by every head and sample has one leading entry
            rows = attn_mask.shape[1]
            shape = (1, 1) if attn_mask.shape[0] == 1 else (batch, self.num_heads)
            attn_mask = attn_mask.reshape(*shape, rows, source)
        q, k, v = (x.reshape(batch, self.num_heads, x.shape[1], head_dim) for x in (q, k, v))
        output = F.scaled_dot_product_attention(q, k, v, attn_mask, p, is_causal)
        return output.permute(2, 0, 1, 3).reshape(length * batch, self.embed_dim), None


def _cat(tensors, dim):
    from .. import cat  # the top-level package imports xpnet.nn: import at call time

    return cat(tensors, dim)


def _pad(mask):
    """A float mask with one more key (column) that takes part: PyTorch's ``pad(mask, (0, 1))``."""
    return None if mask is None else F.pad(mask, (0, 1))
