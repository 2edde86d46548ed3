"""Kernels with ``torch.nn.functional``'s signatures, and their backward functions.

Every ``<name>(...)`` has a ``<name>_backward(grad_output, <the forward's arguments>)`` that
returns the gradients of the forward's array inputs, in order (``None`` for an input that is
``None``). Kernels dispatch on the arrays they receive: NumPy, strict or CuPy.
"""

from __future__ import annotations

from ._checks import (
    ArgumentError,
    AssertedArgumentError,
    DtypeMismatchError,
    IndexOutOfRangeError,
    UnsupportedDtypeError,
    UnsupportedLayoutError,
)
from .activation import *  # noqa: F403
from .activation import __all__ as _activation_all
from .activation_piecewise import *  # noqa: F403
from .activation_piecewise import __all__ as _activation_piecewise_all
from .activation_smooth import *  # noqa: F403
from .activation_smooth import __all__ as _activation_smooth_all
from .adaptive_pooling import *  # noqa: F403
from .adaptive_pooling import __all__ as _adaptive_pooling_all
from .affine_grid import *  # noqa: F403
from .affine_grid import __all__ as _affine_grid_all
from .alpha_dropout import *  # noqa: F403
from .alpha_dropout import __all__ as _alpha_dropout_all
from .attention import *  # noqa: F403
from .attention import __all__ as _attention_all
from .avg_pooling import *  # noqa: F403
from .avg_pooling import __all__ as _avg_pooling_all
from .batch_norm import *  # noqa: F403
from .batch_norm import __all__ as _batch_norm_all
from .bilinear import *  # noqa: F403
from .bilinear import __all__ as _bilinear_all
from .binary_loss import *  # noqa: F403
from .binary_loss import __all__ as _binary_loss_all
from .channel_shuffle import *  # noqa: F403
from .channel_shuffle import __all__ as _channel_shuffle_all
from .conv import *  # noqa: F403
from .conv import __all__ as _conv_all
from .conv_nd import *  # noqa: F403
from .conv_nd import __all__ as _conv_nd_all
from .conv_transpose import *  # noqa: F403
from .conv_transpose import __all__ as _conv_transpose_all
from .ctc_loss import *  # noqa: F403
from .ctc_loss import __all__ as _ctc_loss_all
from .distance import *  # noqa: F403
from .distance import __all__ as _distance_all
from .dropout import *  # noqa: F403
from .dropout import __all__ as _dropout_all
from .embedding import *  # noqa: F403
from .embedding import __all__ as _embedding_all
from .embedding_bag import *  # noqa: F403
from .embedding_bag import __all__ as _embedding_bag_all
from .embedding_loss import *  # noqa: F403
from .embedding_loss import __all__ as _embedding_loss_all
from .fold import *  # noqa: F403
from .fold import __all__ as _fold_all
from .fractional_max_pooling import *  # noqa: F403
from .fractional_max_pooling import __all__ as _fractional_max_pooling_all
from .grid_sample import *  # noqa: F403
from .grid_sample import __all__ as _grid_sample_all
from .group_norm import *  # noqa: F403
from .group_norm import __all__ as _group_norm_all
from .instance_norm import *  # noqa: F403
from .instance_norm import __all__ as _instance_norm_all
from .interpolate import *  # noqa: F403
from .interpolate import __all__ as _interpolate_all
from .layer_norm import *  # noqa: F403
from .layer_norm import __all__ as _layer_norm_all
from .likelihood_loss import *  # noqa: F403
from .likelihood_loss import __all__ as _likelihood_loss_all
from .linear import *  # noqa: F403
from .linear import __all__ as _linear_all
from .linear_cross_entropy import *  # noqa: F403
from .linear_cross_entropy import __all__ as _linear_cross_entropy_all
from .local_response_norm import *  # noqa: F403
from .local_response_norm import __all__ as _local_response_norm_all
from .loss import *  # noqa: F403
from .loss import __all__ as _loss_all
from .lp_pooling import *  # noqa: F403
from .lp_pooling import __all__ as _lp_pooling_all
from .margin_loss import *  # noqa: F403
from .margin_loss import __all__ as _margin_loss_all
from .max_pooling import *  # noqa: F403
from .max_pooling import __all__ as _max_pooling_all
from .multi_margin_loss import *  # noqa: F403
from .multi_margin_loss import __all__ as _multi_margin_loss_all
from .multilabel_margin_loss import *  # noqa: F403
from .multilabel_margin_loss import __all__ as _multilabel_margin_loss_all
from .one_hot import *  # noqa: F403
from .one_hot import __all__ as _one_hot_all
from .padding import *  # noqa: F403
from .padding import __all__ as _padding_all
from .pdist import *  # noqa: F403
from .pdist import __all__ as _pdist_all
from .pixel_shuffle import *  # noqa: F403
from .pixel_shuffle import __all__ as _pixel_shuffle_all
from .pooling_nd import *  # noqa: F403
from .pooling_nd import __all__ as _pooling_nd_all
from .regression_loss import *  # noqa: F403
from .regression_loss import __all__ as _regression_loss_all
from .rms_norm import *  # noqa: F403
from .rms_norm import __all__ as _rms_norm_all
from .rrelu import *  # noqa: F403
from .rrelu import __all__ as _rrelu_all
from .softmax import *  # noqa: F403
from .softmax import __all__ as _softmax_all
from .unpooling import *  # noqa: F403
from .unpooling import __all__ as _unpooling_all

__all__ = [
    "ArgumentError",
    "AssertedArgumentError",
    "DtypeMismatchError",
    "IndexOutOfRangeError",
    "UnsupportedDtypeError",
    "UnsupportedLayoutError",
    *_activation_all,
    *_activation_piecewise_all,
    *_activation_smooth_all,
    *_adaptive_pooling_all,
    *_attention_all,
    *_avg_pooling_all,
    *_batch_norm_all,
    *_conv_all,
    *_conv_nd_all,
    *_conv_transpose_all,
    *_dropout_all,
    *_group_norm_all,
    *_layer_norm_all,
    *_linear_all,
    *_loss_all,
    *_max_pooling_all,
    *_pooling_nd_all,
    *_softmax_all,
    *_binary_loss_all,
    *_embedding_all,
    *_embedding_bag_all,
    *_instance_norm_all,
    *_interpolate_all,
    *_grid_sample_all,
    *_affine_grid_all,
    *_padding_all,
    *_distance_all,
    *_one_hot_all,
    *_pixel_shuffle_all,
    *_channel_shuffle_all,
    *_pdist_all,
    *_regression_loss_all,
    *_fold_all,
    *_fractional_max_pooling_all,
    *_rms_norm_all,
    *_likelihood_loss_all,
    *_margin_loss_all,
    *_multi_margin_loss_all,
    *_embedding_loss_all,
    *_unpooling_all,
    *_lp_pooling_all,
    *_local_response_norm_all,
    *_bilinear_all,
    *_multilabel_margin_loss_all,
    *_alpha_dropout_all,
    *_rrelu_all,
    *_ctc_loss_all,
    *_linear_cross_entropy_all,
]
