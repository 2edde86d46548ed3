"""Layers, containers, losses and initialisers with :mod:`torch.nn`'s names and defaults.

Modules hold :class:`Parameter` objects and call :mod:`xpnet.nn.functional`, whose
operations record the autograd graph; the numerics live in :mod:`xpnet.kernels`. One file
per family, as ``torch/nn/modules/``: ``module.py`` (the base class), ``parameter.py``,
``container.py``, the layers (``linear.py``, ``conv.py``, ``pooling.py``, ``batchnorm.py``,
``normalization.py``, ``activation.py``, ``dropout.py``, ``flatten.py``), ``loss.py``, and
``init.py`` (initial values).
"""

from __future__ import annotations

from . import functional, init, parallel, utils
from .activation import *  # noqa: F403
from .activation import __all__ as _activation_all
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .attention import MultiheadAttention
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .channelshuffle import ChannelShuffle
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .ctc_loss import CTCLoss
from .data_parallel import DataParallel
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import (
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)
from .embedding_bag import EmbeddingBag
from .flatten import Flatten, Unflatten
from .fold import Fold, Unfold
from .fractional_pooling import FractionalMaxPool2d, FractionalMaxPool3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .lazy import *  # noqa: F403
from .lazy import __all__ as _lazy_all
from .legacy import CrossMapLRN2d, NLLLoss2d
from .linear import Bilinear, Identity, Linear
from .linear_cross_entropy import LinearCrossEntropyLoss, LinearCrossEntropyOptions
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
)
from .margin_loss import *  # noqa: F403
from .margin_loss import __all__ as _margin_loss_all
from .module import Module
from .normalization import GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm
from .padding import *  # noqa: F403
from .padding import __all__ as _padding_all
from .parameter import Buffer, Parameter
from .parameter_container import ParameterDict, ParameterList
from .pixelshuffle import PixelShuffle, PixelUnshuffle
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from .rnn import GRU, LSTM, RNN, RNNBase
from .rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase
from .sparse import Embedding
from .sync_batchnorm import SyncBatchNorm
from .transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .unpooling import MaxUnpool1d, MaxUnpool2d, MaxUnpool3d
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    *_activation_all,
    *_padding_all,
    *_margin_loss_all,
    *_lazy_all,
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AdaptiveLogSoftmaxWithLoss",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "BatchNorm1d",
    "Bilinear",
    "BatchNorm2d",
    "BatchNorm3d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "CrossEntropyLoss",
    "CrossMapLRN2d",
    "CTCLoss",
    "DataParallel",
    "GaussianNLLLoss",
    "Dropout",
    "Flatten",
    "Fold",
    "GroupNorm",
    "Identity",
    "LayerNorm",
    "LocalResponseNorm",
    "Linear",
    "LinearCrossEntropyLoss",
    "LinearCrossEntropyOptions",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "NLLLoss",
    "NLLLoss2d",
    "ParameterDict",
    "ParameterList",
    "PoissonNLLLoss",
    "Parameter",
    "Buffer",
    "Sequential",
    "SyncBatchNorm",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "BCELoss",
    "BCEWithLogitsLoss",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "Embedding",
    "EmbeddingBag",
    "HuberLoss",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "SmoothL1Loss",
    "RMSNorm",
    "RNNBase",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCellBase",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "Unflatten",
    "Unfold",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
    "CosineSimilarity",
    "PairwiseDistance",
    "PixelShuffle",
    "PixelUnshuffle",
    "ChannelShuffle",
    "functional",
    "init",
    "parallel",
    "utils",
]
