"""PyTorch's ``torch.nn.utils`` essentials: gradient clipping, parameters as a vector, and
padding sequences.

``clip_grad.py`` (:func:`clip_grad_norm_`, :func:`clip_grad_value_`, :func:`get_total_norm`,
:func:`clip_grads_with_norm_`: in place on the ``.grad`` arrays, without host syncs),
``convert_parameters.py`` (:func:`parameters_to_vector`, :func:`vector_to_parameters`) and
``rnn.py`` (:func:`~xpnet.nn.utils.rnn.pad_sequence`, reached as ``xpnet.nn.utils.rnn``, as
in PyTorch).
"""

from __future__ import annotations

from . import rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]
