"""Transformer layers and stacks against torch.nn's, float64, with torch's weights loaded.

Output and the gradients of every input and parameter, in evaluation (dropout off) and in
training with dropout=0.0; batch_first and norm_first both ways; relu, gelu, a function and a
module as the activation; causal, bool and float masks; a final norm; unbatched inputs. Then
state_dict keys, repr, the deep copies, the causal mask, initial values and the errors.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
from xpnet import nn
from xpnet.autograd import Tensor


def _pair(backend, build, train=False):
    """``build(torch.nn)`` and ``build(xpnet.nn)`` in float64, with torch's weights in ours."""
    torch.manual_seed(0)
    with warnings.catch_warnings():  # torch: "enable_nested_tensor is True, but ..."
        warnings.simplefilter("ignore", UserWarning)
        theirs = build(torch.nn).double().train(train)
    ours = build(nn).to(backend.name, dtype=np.float64).train(train)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    return ours, theirs


def _compare(backend, ours, theirs, shapes, masks=None, **options):
    """Run both on random inputs of ``shapes`` (and ``masks``: name -> bool or float array);
    compare the output and the gradients of the inputs and of every parameter."""
    arrays = [random_input(shape, seed=seed) for seed, shape in enumerate(shapes)]
    masks = masks or {}
    inputs = [Tensor(backend.asarray(a), requires_grad=True) for a in arrays]
    output = ours(*inputs, **{k: backend.asarray(m) for k, m in masks.items()}, **options)
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_output = theirs(*tensors, **{k: torch.tensor(m) for k, m in masks.items()}, **options)
    assert_close(backend.to_host(output.array), t_output.detach().numpy(), np.float64)
    grad = random_input(tuple(t_output.shape), seed=9)
    (output * Tensor(backend.asarray(grad))).sum().backward()
    (t_output * torch.tensor(grad)).sum().backward()
    for i, (tensor, t_tensor) in enumerate(zip(inputs, tensors, strict=True)):
        assert_close(
            backend.to_host(tensor.grad.array), t_tensor.grad.numpy(), np.float64, f"grad {i}"
        )
    named, t_named = list(ours.named_parameters()), list(theirs.named_parameters())
    assert [name for name, _ in named] == [name for name, _ in t_named]
    for (name, param), (_, t_param) in zip(named, t_named, strict=True):
        assert_close(backend.to_host(param.grad.array), t_param.grad.numpy(), np.float64, name)


def _causal(size):
    return np.triu(np.full((size, size), -np.inf), 1)


def _padding(batch, length, seed=0):
    """A bool key padding mask that keeps key 0 (so no query loses every key)."""
    mask = np.random.default_rng(seed).random((batch, length)) > 0.6
    mask[:, 0] = False
    return mask


def _additive(mask):
    return np.where(mask, -np.inf, 0.0)


def _shape(batch_first, length, batch=3, features=8):
    return (batch, length, features) if batch_first else (length, batch, features)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_matches_torch(backend, batch_first, norm_first):
    def build(lib):
        return lib.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first, norm_first=norm_first)

    ours, theirs = _pair(backend, build)  # evaluation: dropout=0.1 off
    shape = _shape(batch_first, 5)
    _compare(backend, ours, theirs, [shape])
    masks = {"src_mask": _causal(5)}
    _compare(backend, ours, theirs, [shape], masks)
    _compare(backend, ours, theirs, [shape], masks, is_causal=True)
    masks = {"src_mask": np.random.default_rng(1).random((5, 5)) > 0.7}
    masks["src_mask"][:, 0] = False
    masks["src_key_padding_mask"] = _padding(3, 5)
    _compare(backend, ours, theirs, [shape], masks)


@pytest.mark.parametrize(
    "activation",
    ["gelu", "relu", "function", "module"],
)
def test_encoder_layer_activations_in_training_without_dropout(backend, activation):
    def build(lib):
        chosen = {"function": lambda x: x.tanh() * x, "module": lib.SiLU()}.get(
            activation, activation
        )
        return lib.TransformerEncoderLayer(8, 2, 12, 0.0, chosen, layer_norm_eps=1e-3)

    ours, theirs = _pair(backend, build, train=True)
    masks = {"src_key_padding_mask": _padding(2, 4)}
    _compare(backend, ours, theirs, [(4, 2, 8)], masks)
    if activation == "module":
        assert list(ours.named_children())[-1][0] == "activation"
    code = {"relu": 1, "gelu": 2}.get(activation, 0)
    assert ours.activation_relu_or_gelu == theirs.activation_relu_or_gelu == code


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(backend, batch_first, norm_first):
    def build(lib):
        return lib.TransformerDecoderLayer(
            8, 2, 16, activation="gelu", batch_first=batch_first, norm_first=norm_first
        )

    ours, theirs = _pair(backend, build)
    shapes = [_shape(batch_first, 4), _shape(batch_first, 6)]
    _compare(backend, ours, theirs, shapes)
    masks = {
        "tgt_mask": _causal(4),
        "tgt_key_padding_mask": _additive(_padding(3, 4)),
        "memory_key_padding_mask": _additive(_padding(3, 6, seed=1)),
    }
    _compare(backend, ours, theirs, shapes, masks, tgt_is_causal=True)
    memory_mask = np.random.default_rng(2).random((4, 6)) > 0.5
    memory_mask[:, 0] = False
    masks = {"memory_mask": memory_mask, "memory_key_padding_mask": _padding(3, 6, seed=1)}
    _compare(backend, ours, theirs, shapes, masks)


def test_decoder_layer_in_training_without_dropout(backend):
    def build(lib):
        return lib.TransformerDecoderLayer(8, 4, 8, dropout=0.0, bias=False, norm_first=True)

    ours, theirs = _pair(backend, build, train=True)
    _compare(backend, ours, theirs, [(3, 2, 8), (5, 2, 8)], {"tgt_mask": _causal(3)})


@pytest.mark.parametrize("norm", [False, True])
def test_encoder_and_decoder_stacks_match_torch(backend, norm):
    def build_encoder(lib):
        layer = lib.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        return lib.TransformerEncoder(layer, 2, lib.LayerNorm(8) if norm else None)

    ours, theirs = _pair(backend, build_encoder)
    assert "layers.1.norm2.bias" in ours.state_dict()
    assert ("norm.weight" in ours.state_dict()) == norm
    masks = {"mask": _causal(5), "src_key_padding_mask": _additive(_padding(3, 5))}
    _compare(backend, ours, theirs, [(3, 5, 8)], masks)
    _compare(backend, ours, theirs, [(3, 5, 8)], {"mask": _causal(5)}, is_causal=True)

    def build_decoder(lib):
        layer = lib.TransformerDecoderLayer(8, 2, 16, norm_first=True)
        return lib.TransformerDecoder(layer, 2, lib.LayerNorm(8) if norm else None)

    ours, theirs = _pair(backend, build_decoder)
    masks = {"tgt_mask": _causal(4), "memory_key_padding_mask": _additive(_padding(3, 6))}
    _compare(backend, ours, theirs, [(4, 3, 8), (6, 3, 8)], masks)


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(backend, batch_first):
    def build(lib):
        return lib.Transformer(8, 2, 2, 1, 16, batch_first=batch_first, norm_first=batch_first)

    ours, theirs = _pair(backend, build)
    shapes = [_shape(batch_first, 5), _shape(batch_first, 4)]
    _compare(backend, ours, theirs, shapes)
    masks = {
        "tgt_mask": nn.Transformer.generate_square_subsequent_mask(4, dtype=np.float64).array,
        "src_key_padding_mask": _padding(3, 5),
        "memory_key_padding_mask": _padding(3, 5),
    }
    masks["tgt_mask"] = backend.to_host(masks["tgt_mask"])
    _compare(backend, ours, theirs, shapes, masks)


def test_unbatched_inputs_match_torch(backend):
    ours, theirs = _pair(backend, lambda lib: lib.Transformer(8, 2, 1, 1, 16))
    masks = {"tgt_mask": _causal(4), "src_key_padding_mask": np.array([0, 0, 1, 0, 1]) > 0}
    _compare(backend, ours, theirs, [(5, 8), (4, 8)], masks)
    ours, theirs = _pair(backend, lambda lib: lib.TransformerEncoderLayer(8, 2, 16))
    _compare(backend, ours, theirs, [(5, 8)], {"src_mask": _causal(5)})


def test_custom_encoder_and_decoder_are_used():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 1)
    model = nn.Transformer(8, 2, custom_encoder=encoder, custom_decoder=decoder)
    assert model.encoder is encoder and model.decoder is decoder
    assert len(model.encoder.layers) == 1 and model.encoder.norm is None


def test_state_dict_keys_and_repr_equal_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = torch.nn.Transformer(16, 4, 2, 2, 32, bias=False)
    ours = nn.Transformer(16, 4, 2, 2, 32, bias=False)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        layer = getattr(nn, name)(16, 4, activation="gelu", norm_first=True)
        assert repr(layer) == repr(getattr(torch.nn, name)(16, 4, activation="gelu"))
        assert layer.norm_first and layer.activation is nn.functional.gelu
    # the whole model's, with torch's ModuleList folding: "(0-1): 2 x TransformerEncoderLayer("
    assert repr(ours) == repr(theirs)


def test_stacks_hold_independent_deep_copies(backend):
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    encoder = nn.TransformerEncoder(layer, 3)
    assert not encoder.use_nested_tensor and encoder.enable_nested_tensor and encoder.mask_check
    first, second = (encoder.layers[i].linear1.weight for i in (0, 1))
    assert first is not second and first is not layer.linear1.weight
    np.testing.assert_array_equal(xpnet.to_numpy(first.array), xpnet.to_numpy(second.array))
    first.array[...] = 0.0
    assert xpnet.to_numpy(second.array).any() and xpnet.to_numpy(layer.linear1.weight.array).any()
    clone = copy.deepcopy(nn.TransformerDecoderLayer(8, 2, 16).to(backend.name))
    assert type(clone.self_attn.in_proj_weight.array) is type(backend.asarray(np.ones(1)))


def test_generate_square_subsequent_mask_equals_torch(backend):
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    expected = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    assert mask.array.dtype == np.float32
    np.testing.assert_array_equal(backend.to_host(mask.array), expected)
    assert nn.Transformer.generate_square_subsequent_mask(0).shape == (0, 0)


def test_initial_values_as_torch():
    model = nn.Transformer(16, 4, 1, 1, 32)
    for name, param in model.named_parameters():
        values = xpnet.to_numpy(param.array)
        if param.ndim > 1:  # xavier uniform over every matrix, Linear's default replaced
            bound = np.sqrt(6 / sum(values.shape))
            assert np.abs(values).max() <= bound and np.abs(values).max() > bound / 2, name
    layer = nn.TransformerEncoderLayer(16, 4, 32)  # the submodules' own defaults
    assert np.abs(xpnet.to_numpy(layer.linear1.weight.array)).max() <= 1 / 4
    assert (xpnet.to_numpy(layer.norm1.weight.array) == 1).all()
    assert not xpnet.to_numpy(layer.self_attn.in_proj_bias.array).any()


def test_dropout_is_active_in_training(backend):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5).to(backend.name)
    x = backend.asarray(random_input((4, 2, 8)).astype(np.float32))
    xpnet.manual_seed(0)
    trained = backend.to_host(layer(x).array)
    evaluated = backend.to_host(layer.eval()(x).array)
    assert not np.allclose(trained, evaluated)


def test_rejects_bad_arguments(backend):
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerDecoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerEncoderLayer(6, 4)
    layer = nn.TransformerEncoderLayer(8, 2, 16).to(backend.name)
    with pytest.raises(ValueError, match=r"query must have embed_dim=8 features"):
        layer(backend.asarray(np.ones((5, 3, 6), dtype=np.float32)))
    model = nn.Transformer(8, 2, 1, 1, 16).to(backend.name)
    src = backend.asarray(np.ones((5, 3, 8), dtype=np.float32))
    with pytest.raises(RuntimeError, match=r"Transformer: the feature number .* d_model=8"):
        model(src, backend.asarray(np.ones((4, 3, 6), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"Transformer: the batch number of src and tgt"):
        model(src, backend.asarray(np.ones((4, 2, 8), dtype=np.float32)))
