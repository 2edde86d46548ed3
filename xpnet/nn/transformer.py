"""``Transformer``, ``TransformerEncoder`` and ``TransformerDecoder``, as
``torch/nn/modules/transformer.py``; the layers they stack are in
:mod:`xpnet.nn.transformer_layers` (and exported here too).

Stacks of deep-copied layers (``layers.0``, ``layers.1``, ...) and an optional final norm;
autograd gives the gradients. Submodule names, ``state_dict`` keys, constructor and forward
signatures are PyTorch's, so weights move between the two.

Note:
    PyTorch's inference "fast path" (fused kernels and nested tensors, taken in evaluation
    without gradients) is not reproduced: every call runs the math path, which PyTorch takes
    whenever gradients are recorded. So where PyTorch's fast path would return nested-tensor
    zeros at padded positions (``TransformerEncoder`` with ``src_key_padding_mask``, in
    evaluation, under ``no_grad``), xpnet returns the math path's values there.
    ``is_causal=None`` (the default of ``TransformerEncoder``, ``TransformerDecoder`` and
    ``Transformer``) is taken as ``False`` instead of reading the mask on the host to detect a
    causal one: PyTorch uses that detection only to choose a kernel, the result is the same.
"""

from __future__ import annotations

import copy

from .._creation import full
from ..autograd import Tensor, as_tensor
from ..backends import backend_of
from ..kernels import ArgumentError
from . import functional as F
from . import init
from .container import ModuleList
from .module import Module
from .normalization import LayerNorm
from .transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]


def _clones(module, N) -> ModuleList:
    """``N`` independent deep copies of ``module`` (each with its own parameters)."""
    return ModuleList([copy.deepcopy(module) for _ in range(N)])


class TransformerEncoder(Module):
    r"""``num_layers`` deep copies of ``encoder_layer`` in sequence (``layers.0``, ...), then
    ``norm`` if given, as :class:`torch.nn.TransformerEncoder`. Every copy starts with the
    same parameters as ``encoder_layer``.

    Args:
        encoder_layer: the layer to copy (a :class:`TransformerEncoderLayer` or any module with
            its forward signature). num_layers: number of copies.
        norm: a module applied to the last layer's output. Default: ``None``.
        enable_nested_tensor, mask_check: accepted and kept as attributes; nested tensors are
            never used (see this module's note). Default: ``True``.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
        >>> encoder = xpnet.nn.TransformerEncoder(layer, 2)
        >>> list(encoder.state_dict())[:2]
        ['layers.0.self_attn.in_proj_weight', 'layers.0.self_attn.in_proj_bias']
    """

    def __init__(
        self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True
    ):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check
        self.use_nested_tensor = False  # no nested-tensor fast path here

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """The encoded ``src``, of its shape; ``is_causal``: hint that ``mask`` is causal
        (``None``: no hint)."""
        output = as_tensor(src)
        for layer in self.layers:
            output = layer(
                output,
                src_mask=mask,
                is_causal=is_causal is True,
                src_key_padding_mask=src_key_padding_mask,
            )
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    r"""``num_layers`` deep copies of ``decoder_layer`` in sequence, each attending to
    ``memory``, then ``norm`` if given, as :class:`torch.nn.TransformerDecoder`.

    Args:
        decoder_layer: the layer to copy. num_layers: number of copies.
        norm: a module applied to the last layer's output. Default: ``None``.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
        >>> len(xpnet.nn.TransformerDecoder(layer, 3).layers)
        3
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal: bool = False,
    ):
        """The decoded ``tgt``, of its shape."""
        output, memory = as_tensor(tgt), as_tensor(memory)
        for layer in self.layers:
            output = layer(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=tgt_is_causal is True,
                memory_is_causal=memory_is_causal,
            )
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    r"""An encoder-decoder Transformer (Vaswani et al., 2017), as
    :class:`torch.nn.Transformer`: ``encoder`` (``num_encoder_layers`` layers and a final
    :class:`LayerNorm`) and ``decoder`` (likewise); every parameter of more than one
    dimension starts xavier-uniform. Arguments as :class:`TransformerEncoderLayer`, plus
    ``num_encoder_layers``, ``num_decoder_layers`` (Default: 6 each) and ``custom_encoder``,
    ``custom_decoder`` (modules used instead). Defaults: ``d_model=512``, ``nhead=8``.

    Shape:
        src (S, N, E), tgt (T, N, E) ((N, S, E), (N, T, E) with ``batch_first``; unbatched
        (S, E), (T, E)); output as tgt. Masks as :class:`TransformerDecoderLayer`, src_mask
        (S, S), src_key_padding_mask (N, S).

    Raises:
        RuntimeError (an ``ArgumentError``): src and tgt with different batch sizes, or
        a feature size other than ``d_model``.

    Example:
        >>> import xpnet
        >>> model = xpnet.nn.Transformer(8, 2, 1, 1, dim_feedforward=16)
        >>> model.generate_square_subsequent_mask(3).array
        array([[  0., -inf, -inf],
               [  0.,   0., -inf],
               [  0.,   0.,   0.]], dtype=float32)
    """

    def __init__(
        self,
        d_model=512,
        nhead=8,
        num_encoder_layers=6,
        num_decoder_layers=6,
        dim_feedforward=2048,
        dropout=0.1,
        activation=F.relu,
        custom_encoder=None,
        custom_decoder=None,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        options = (dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first)
        factory = {"bias": bias, "device": device, "dtype": dtype}
        stacks = (
            ("encoder", custom_encoder, TransformerEncoderLayer, TransformerEncoder),
            ("decoder", custom_decoder, TransformerDecoderLayer, TransformerDecoder),
        )
        counts = (num_encoder_layers, num_decoder_layers)
        for (name, custom, layer_class, stack_class), count in zip(stacks, counts, strict=True):
            if custom is None:
                layer = layer_class(d_model, nhead, *options, **factory)
                norm = LayerNorm(d_model, eps=layer_norm_eps, **factory)
                custom = stack_class(layer, count, norm)
            setattr(self, name, custom)
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal: bool = False,
    ):
        """The decoder's output for ``tgt`` given the encoded ``src``, of ``tgt``'s shape."""
        src, tgt = as_tensor(src), as_tensor(tgt)
        batch = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch] != tgt.shape[batch]:
            msg = "Transformer: the batch number of src and tgt must be equal, got shapes "
            raise ArgumentError(msg + f"{tuple(src.shape)} and {tuple(tgt.shape)}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            msg = "Transformer: the feature number of src and tgt must be equal to d_model="
            raise ArgumentError(msg + f"{self.d_model}, got {tuple(src.shape)}, {tuple(tgt.shape)}")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None) -> Tensor:
        """The (sz, sz) causal mask: ``-inf`` above the diagonal, 0 on and below it."""
        data = full((sz, sz), float("-inf"), dtype=dtype, device=device).array
        return Tensor(backend_of(data).xp.triu(data, 1))
