"""PyTorch's ``torch.nn.utils`` essentials: gradient clipping, parameters as a vector, and
padding sequences.

``clip_grad.py`` (:func:`clip_grad_norm_`, :func:`clip_grad_value_`, :func:`get_total_norm`,
:func:`clip_grads_with_norm_`: in place on the ``.grad`` arrays, without host syncs; and the
deprecated ``clip_grad_norm``), ``convert_parameters.py`` (:func:`parameters_to_vector`,
:func:`vector_to_parameters`, and PyTorch's ``memory_format.py``:
``convert_conv2d_weight_memory_format``, ``convert_conv3d_weight_memory_format``),
``parametrize.py`` and ``parametrizations.py`` (``register_parametrization``,
``transfer_parametrizations_and_params``, ``weight_norm``, ``spectral_norm``; the originals'
``ParametrizationList`` in ``_parametrization_list.py``), ``weight_norm.py`` (the older hook
forms of both) and ``rnn.py`` (:func:`~xpnet.nn.utils.rnn.pad_sequence`, and the packed
sequences of ``packed_sequence.py``: ``PackedSequence``, ``pack_padded_sequence``, ...,
reached as ``xpnet.nn.utils.rnn``, as in PyTorch), ``fusion.py`` (``fuse_conv_bn_eval``, ... :
an eval-mode BatchNorm folded into the layer before it), ``init.py`` (``skip_init``),
``stateless.py`` (the deprecated ``stateless.functional_call``) and ``prune.py`` (pruning:
``l1_unstructured``, ``ln_structured``, ``global_unstructured``, ``remove``, ..., with the
methods of ``prune_methods.py``; imported as PyTorch's, ``import xpnet.nn.utils.prune``).
"""

from __future__ import annotations

from . import parametrizations, parametrize, rnn, stateless
from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import (
    convert_conv2d_weight_memory_format,
    convert_conv3d_weight_memory_format,
    parameters_to_vector,
    vector_to_parameters,
)
from .fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from .init import skip_init
from .weight_norm import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "convert_conv2d_weight_memory_format",
    "convert_conv3d_weight_memory_format",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "get_total_norm",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "remove_spectral_norm",
    "remove_weight_norm",
    "rnn",
    "skip_init",
    "spectral_norm",
    "stateless",
    "vector_to_parameters",
    "weight_norm",
]
