"""Issue 16: every backward checks what it is given, and the PyTorch semantics it asked for.

grad_output's shape, dtype and backend against the forward's output; the saved values that
come back (batch-norm statistics, dropout masks, cross-entropy's exps); ``None`` and
non-float arrays; eps, ignore_index, normalized_shape and hardtanh's bounds as PyTorch;
one-element sequences for int-or-pair arguments; N-d and empty batch norm; thread-safe
``.grad`` accumulation.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, random_input, requires_torch

import xpnet
import xpnet.kernels as K
from xpnet import nn
from xpnet.autograd import Tensor


def _x(backend, shape, seed=0, dtype=np.float64):
    return backend.asarray(random_input(shape, seed=seed, dtype=dtype))


def _labels(backend, values):
    return backend.asarray(np.array(values, dtype=np.int64))


# name -> (forward(backend) -> (output, backward(grad_output)))
def _cases():
    def conv(b):
        x, w = _x(b, (1, 2, 5, 5)), _x(b, (3, 2, 3, 3), 1)
        return K.conv2d(x, w, stride=2), lambda g: K.conv2d_backward(g, x, w, stride=2)

    def conv_unbatched(b):
        x, w = _x(b, (2, 5, 5)), _x(b, (3, 2, 3, 3), 1)
        return K.conv2d(x, w), lambda g: K.conv2d_backward(g, x, w)

    def linear(b):
        x, w = _x(b, (4, 3)), _x(b, (2, 3), 1)
        return K.linear(x, w), lambda g: K.linear_backward(g, x, w)

    def batch_norm(b):
        x = _x(b, (2, 3, 4))
        return K.batch_norm(x, None, None, training=True), lambda g: K.batch_norm_backward(
            g, x, None, None, training=True
        )

    def layer_norm(b):
        x = _x(b, (2, 3, 4))
        return K.layer_norm(x, 4), lambda g: K.layer_norm_backward(g, x, 4)

    def group_norm(b):
        x = _x(b, (2, 4, 3))
        return K.group_norm(x, 2), lambda g: K.group_norm_backward(g, x, 2)

    def dropout(b):
        x = _x(b, (3, 4))
        output, mask = K.dropout(x, 0.5, return_mask=True)
        return output, lambda g: K.dropout_backward(g, x, 0.5, mask=mask)

    def softmax(b):
        x = _x(b, (3, 4))
        return K.softmax(x, 1), lambda g: K.softmax_backward(g, x, 1)

    def cross_entropy(b):
        x, t = _x(b, (3, 4)), _labels(b, [0, 3, 1])
        return K.cross_entropy(x, t, reduction="none"), lambda g: K.cross_entropy_backward(
            g, x, t, reduction="none"
        )

    def nll_loss(b):
        x, t = _x(b, (3, 4)), _labels(b, [0, 3, 1])
        return K.nll_loss(x, t), lambda g: K.nll_loss_backward(g, x, t)

    def elu(b):
        x = _x(b, (3, 4))
        return K.elu(x), lambda g: K.elu_backward(g, x)

    def poisson_nll_loss(b):
        x, t = _x(b, (3, 4)), _x(b, (3, 4), 1)
        return K.poisson_nll_loss(x, t, reduction="none"), lambda g: K.poisson_nll_loss_backward(
            g, x, t, reduction="none"
        )

    def gaussian_nll_loss(b):
        x, t, var = _x(b, (3, 4)), _x(b, (3, 4), 1), _x(b, (3, 1), 2) ** 2
        return K.gaussian_nll_loss(x, t, var), lambda g: K.gaussian_nll_loss_backward(g, x, t, var)

    def unfold(b):
        x = _x(b, (2, 3, 5, 4))
        return K.unfold(x, 2, padding=1), lambda g: K.unfold_backward(g, x, 2, padding=1)

    def fold(b):
        x = _x(b, (2, 12, 6))
        return K.fold(x, (3, 4), 2), lambda g: K.fold_backward(g, x, (3, 4), 2)

    def rms_norm(b):
        x, w = _x(b, (2, 3, 4)), _x(b, (4,), 1)
        return K.rms_norm(x, 4, w), lambda g: K.rms_norm_backward(g, x, 4, w)

    def normalize(b):
        x = _x(b, (3, 4))
        return K.normalize(x, 3.0), lambda g: K.normalize_backward(g, x, 3.0)

    def pair(name, **kwargs):  # x1 broadcast against x2: the output has the broadcast shape
        def case(b):
            x1, x2 = _x(b, (3, 1, 4)), _x(b, (2, 4), 1)
            forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
            return forward(x1, x2, **kwargs), lambda g: backward(g, x1, x2, **kwargs)

        return case

    def shuffle(name):
        def case(b):
            x = _x(b, (2, 4, 2, 2))
            forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
            return forward(x, 2), lambda g: backward(g, x, 2)

        return case

    def softplus(b):
        x = _x(b, (3, 4))
        return K.softplus(x, 2.0), lambda g: K.softplus_backward(g, x, 2.0)

    def celu(b):
        x = _x(b, (3, 4))
        return K.celu(x, 0.5), lambda g: K.celu_backward(g, x, 0.5)

    def prelu(b):  # two gradients: input's and the per-channel weight's
        x, w = _x(b, (3, 4, 2)), _x(b, (4,), 1)
        return K.prelu(x, w), lambda g: K.prelu_backward(g, x, w)

    def glu(b):  # the output has half of input's size along dim
        x = _x(b, (3, 4))
        return K.glu(x, 1), lambda g: K.glu_backward(g, x, 1)

    def threshold(b):
        x = _x(b, (3, 4))
        return K.threshold(x, 0.1, 2.0), lambda g: K.threshold_backward(g, x, 0.1, 2.0)

    def max_unpool2d(b):  # indices (int64, no gradient) into 3 x 3 output planes
        x, i = _x(b, (1, 2, 2, 2)), b.asarray(np.array([[[[0, 2], [6, 8]]] * 2]))
        return K.max_unpool2d(x, i, 2, 1), lambda g: K.max_unpool2d_backward(g, x, i, 2, 1)

    def multilabel_margin_loss(b):  # class-index rows, -1 after the targets
        x, t = _x(b, (2, 3)), b.asarray(np.array([[0, -1, 2], [2, 1, -1]]))
        options = {"reduction": "none"}
        output = K.multilabel_margin_loss(x, t, **options)
        return output, lambda g: K.multilabel_margin_loss_backward(g, x, t, **options)

    def bilinear(b):  # four gradients: both inputs, the weight, the bias
        x1, x2, w, bias = _x(b, (3, 2)), _x(b, (3, 4), 1), _x(b, (5, 2, 4), 2), _x(b, (5,), 3)
        return K.bilinear(x1, x2, w, bias), lambda g: K.bilinear_backward(g, x1, x2, w, bias)

    def local_response_norm(b):
        x = _x(b, (2, 3, 4))
        return K.local_response_norm(x, 2), lambda g: K.local_response_norm_backward(g, x, 2)

    def lp_pool2d(b):
        x = _x(b, (1, 2, 4, 4))
        return K.lp_pool2d(x, 2, 2), lambda g: K.lp_pool2d_backward(g, x, 2, 2)

    def lp_pool1d_inf(b):  # the max-pool path
        x = _x(b, (2, 5))
        inf = float("inf")
        return K.lp_pool1d(x, inf, 2), lambda g: K.lp_pool1d_backward(g, x, inf, 2)

    def attention(b):  # three inputs; the output has value's last size
        q, k, v = _x(b, (2, 3, 4)), _x(b, (2, 5, 4), 1), _x(b, (2, 5, 2), 2)
        output = K.scaled_dot_product_attention(q, k, v)
        return output, lambda g: K.scaled_dot_product_attention_backward(g, q, k, v)

    def margin(name, *shapes):  # the margin and embedding losses, reduction="none"
        def case(b):
            arrays = [
                _labels(b, [0, 3, 1]) if shape == "classes" else _x(b, shape, seed)
                for seed, shape in enumerate(shapes)
            ]
            forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
            return forward(*arrays, reduction="none"), lambda g: backward(
                g, *arrays, reduction="none"
            )

        return case

    return {
        "margin_ranking_loss": margin("margin_ranking_loss", (3,), (3,), (3,)),
        "hinge_embedding_loss": margin("hinge_embedding_loss", (3, 4), (3, 4)),
        "soft_margin_loss": margin("soft_margin_loss", (3, 4), (4,)),
        "multilabel_soft_margin_loss": margin("multilabel_soft_margin_loss", (3, 4), (3, 4)),
        "multi_margin_loss": margin("multi_margin_loss", (3, 4), "classes"),
        "cosine_embedding_loss": margin("cosine_embedding_loss", (3, 4), (3, 4), (3,)),
        "triplet_margin_loss": margin("triplet_margin_loss", (3, 4), (3, 4), (3, 4)),
        "conv2d": conv,
        "conv2d unbatched": conv_unbatched,
        "linear": linear,
        "batch_norm": batch_norm,
        "layer_norm": layer_norm,
        "group_norm": group_norm,
        "dropout": dropout,
        "softmax": softmax,
        "cross_entropy": cross_entropy,
        "nll_loss": nll_loss,
        "elu": elu,
        "poisson_nll_loss": poisson_nll_loss,
        "gaussian_nll_loss": gaussian_nll_loss,
        "unfold": unfold,
        "fold": fold,
        "rms_norm": rms_norm,
        "normalize": normalize,
        "cosine_similarity": pair("cosine_similarity", dim=-1),
        "pairwise_distance": pair("pairwise_distance", p=1.5),
        "pairwise_distance keepdim": pair("pairwise_distance", keepdim=True),
        "pixel_shuffle": shuffle("pixel_shuffle"),
        "pixel_unshuffle": shuffle("pixel_unshuffle"),
        "softplus": softplus,
        "celu": celu,
        "prelu": prelu,
        "glu": glu,
        "threshold": threshold,
        "scaled_dot_product_attention": attention,
        "max_unpool2d": max_unpool2d,
        "lp_pool2d": lp_pool2d,
        "lp_pool1d inf": lp_pool1d_inf,
        "local_response_norm": local_response_norm,
        "bilinear": bilinear,
        "multilabel_margin_loss": multilabel_margin_loss,
    }


CASES = _cases()


@pytest.mark.parametrize("case", list(CASES))
def test_backward_rejects_grad_output_of_another_shape(backend, case):
    output, backward = CASES[case](backend)
    name = case.split()[0]
    last = output.shape[-1:] or (0,)
    for bad in [(2, *output.shape), output.shape[:-1] + (last[0] + 1,)]:
        grad = backend.asarray(np.ones(bad))
        message = rf"{name}_backward: grad_output must have .*{re.escape(str(output.shape))}, "
        message += rf"got {re.escape(str(bad))}"
        with pytest.raises(ValueError, match=message) as error:
            backward(grad)
        assert isinstance(error.value, K.ArgumentError)


@pytest.mark.parametrize("case", list(CASES))
def test_backward_rejects_grad_output_of_another_dtype_or_none(backend, case):
    output, backward = CASES[case](backend)
    name = case.split()[0]
    with pytest.raises(TypeError, match=rf"{name}_backward: grad_output must .*float32"):
        backward(backend.asarray(np.ones(output.shape, dtype=np.float32)))
    with pytest.raises(TypeError, match=rf"{name}_backward: grad_output must be an array"):
        backward(None)


@pytest.mark.parametrize("case", list(CASES))
def test_backward_rejects_grad_output_of_another_backend(backend, case):
    output, backward = CASES[case](backend)
    other = "strict" if backend.name == "numpy" else "numpy"
    grad = xpnet.to_backend(backend.to_host(output), other)
    with pytest.raises(TypeError, match="all arrays must be on one backend"):
        backward(grad)


def _tensor_op_cases():
    """name -> (forward(backend) -> (output, backward(grad_output))) for Tensor's operators."""
    from xpnet import _tensor_ops as ops

    def binary(name, b_shape):
        def case(b):
            x, y = _x(b, (3, 4)), _x(b, b_shape, 1)
            forward, backward = getattr(ops, name), getattr(ops, f"{name}_backward")
            return forward(x, y), lambda g: backward(g, x, y)

        return case

    def unary(name, *args):
        def case(b):
            x = _x(b, (3, 4))
            forward, backward = getattr(ops, name), getattr(ops, f"{name}_backward")
            return forward(x, *args), lambda g: backward(g, x, *args)

        return case

    def fancy(b):  # an index array: the result's shape from the index's shape alone
        x, index = _x(b, (3, 4)), _labels(b, [[0, 2], [1, 1]])
        return ops.getitem(x, index), lambda g: ops.getitem_backward(g, x, index)

    cases = {f"{name} broadcast": binary(name, (4,)) for name in ("add", "sub", "mul", "div")}
    cases |= {
        "pow": unary("pow", 3),
        "matmul": binary("matmul", (4, 2)),
        "matmul vector": binary("matmul", (4,)),
        "sum": unary("sum", 1),
        "mean keepdim": unary("mean", (0, 1), True),
        "reshape": unary("reshape", (2, -1)),
        "getitem": unary("getitem", (slice(1, None), None, 2)),
        "getitem fancy": fancy,
        "cast": unary("cast", "float32"),
    }
    return cases


TENSOR_OP_CASES = _tensor_op_cases()


@pytest.mark.parametrize("case", list(TENSOR_OP_CASES))
def test_tensor_op_backward_checks_grad_output(backend, case):
    output, backward = TENSOR_OP_CASES[case](backend)
    name = case.split()[0]
    bad = (2, *output.shape)
    with pytest.raises(K.ArgumentError, match=rf"{name}_backward: grad_output must have .*"):
        backward(backend.asarray(np.ones(bad, dtype=output.dtype)))
    other_dtype = np.float16 if output.dtype != np.float16 else np.float64
    with pytest.raises(TypeError, match=rf"{name}_backward: grad_output must have the dtype"):
        backward(backend.asarray(np.ones(output.shape, dtype=other_dtype)))
    other = "strict" if backend.name == "numpy" else "numpy"
    grad = xpnet.to_backend(np.ones(output.shape, dtype=output.dtype), other)
    with pytest.raises(TypeError, match="all arrays must be on one backend"):
        backward(grad)
    backward(backend.asarray(np.ones(output.shape, dtype=output.dtype)))  # the right one passes


def test_conv2d_backward_rejects_a_batch_2_gradient_for_a_batch_1_input(backend):
    x, w = _x(backend, (1, 4, 4, 4)), _x(backend, (4, 4, 1, 1), 1)
    with pytest.raises(
        ValueError,
        match=r"conv2d_backward: grad_output must have the shape of the forward's output "
        r"\(1, 4, 4, 4\), got \(2, 4, 4, 4\)",
    ):
        K.conv2d_backward(backend.asarray(np.ones((2, 4, 4, 4))), x, w)


def test_tensor_backward_checks_the_gradient(backend):
    x = Tensor(_x(backend, (2, 4, 4, 4)), requires_grad=True)
    y = nn.functional.relu(x)
    with pytest.raises(
        ValueError,
        match=r"backward: gradient must have the shape of the tensor \(2, 4, 4, 4\), "
        r"got \(2, 4, 1, 1\)",
    ):
        y.backward(backend.asarray(np.ones((2, 4, 1, 1))))
    with pytest.raises(TypeError, match=r"backward: gradient must have the dtype of the tensor"):
        y.backward(backend.asarray(np.ones((2, 4, 4, 4), dtype=np.float32)))
    with pytest.raises(TypeError, match=r"backward: gradient must be an array, got list"):
        y.backward([1.0])
    assert x.grad is None
    y.backward(Tensor(backend.asarray(np.ones((2, 4, 4, 4)))))  # a Tensor gradient is fine
    assert x.grad.shape == (2, 4, 4, 4)


def test_autograd_passes_each_input_its_own_dtype(backend):
    """A float32 tensor in a float64 product gets a float32 gradient, as in PyTorch."""
    a = Tensor(backend.asarray(np.ones((2, 3), dtype=np.float32)), requires_grad=True)
    b = Tensor(backend.asarray(np.full((2, 3), 2.0)), requires_grad=True)
    y = nn.functional.relu(a) * b  # relu_backward must get float32
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    assert backend.to_host(a.grad.array).tolist() == [[2.0] * 3] * 2


# -- saved values passed back ---------------------------------------------------------------


def test_batch_norm_backward_checks_saved_statistics(backend):
    x = _x(backend, (4, 3, 2))
    grad = backend.asarray(np.ones((4, 3, 2)))
    _, mean, invstd = K.batch_norm(x, None, None, training=True, return_stats=True)

    def backward(**saved):
        return K.batch_norm_backward(grad, x, None, None, training=True, **saved)

    with pytest.raises(ValueError, match=r"batch_norm_backward: save_mean must have shape \(3,\)"):
        backward(save_mean=mean[:2], save_invstd=invstd)
    with pytest.raises(TypeError, match=r"batch_norm_backward: save_invstd must have dtype"):
        backward(save_mean=mean, save_invstd=invstd.astype(np.int64))
    with pytest.raises(ValueError, match=r"save_mean and save_invstd must be given together"):
        backward(save_mean=mean)
    other = "strict" if backend.name == "numpy" else "numpy"
    with pytest.raises(TypeError, match="all arrays must be on one backend"):
        backward(save_mean=xpnet.to_backend(backend.to_host(mean), other), save_invstd=invstd)
    expected = backward()
    for got, want in zip(backward(save_mean=mean, save_invstd=invstd), expected, strict=True):
        assert got is None or np.allclose(backend.to_host(got), backend.to_host(want))


def test_dropout_backward_checks_the_mask_dtype(backend):
    x = _x(backend, (3, 4))
    _, mask = K.dropout(x, 0.5, return_mask=True)
    with pytest.raises(TypeError, match=r"dropout_backward: mask must be a bool array"):
        K.dropout_backward(x, x, 0.5, mask=mask.astype(np.float64))


def test_cross_entropy_backward_checks_saved_exps(backend):
    x, t = _x(backend, (3, 4)), _labels(backend, [0, 3, 1])
    _, e, total = K.cross_entropy(x, t, return_exp=True)
    grad = backend.asarray(np.ones(()))
    with pytest.raises(
        ValueError, match=r"cross_entropy_backward: exp_logits must have shape \(3, 4\), got"
    ):
        K.cross_entropy_backward(grad, x, t, exp_logits=e[:2], sum_exp=total)
    with pytest.raises(
        ValueError, match=r"cross_entropy_backward: sum_exp must have shape \(3,\), got \(1,\)"
    ):
        K.cross_entropy_backward(grad, x, t, exp_logits=e, sum_exp=total[:1])
    with pytest.raises(TypeError, match=r"cross_entropy_backward: sum_exp must have dtype"):
        K.cross_entropy_backward(grad, x, t, exp_logits=e, sum_exp=total.astype(np.float32))
    with pytest.raises(ValueError, match=r"exp_logits and sum_exp must be given together"):
        K.cross_entropy_backward(grad, x, t, exp_logits=e)
    with_saved = K.cross_entropy_backward(grad, x, t, exp_logits=e, sum_exp=total)
    assert np.allclose(
        backend.to_host(with_saved), backend.to_host(K.cross_entropy_backward(grad, x, t))
    )


# -- None, non-float dtypes, values PyTorch rejects -----------------------------------------


NONE_CALLS = {
    "relu": lambda x: K.relu(None),
    "relu_backward": lambda x: K.relu_backward(x, None),
    "conv2d": lambda x: K.conv2d(None, x),
    "conv2d_backward": lambda x: K.conv2d_backward(x, x, None),
    "linear": lambda x: K.linear(x, None),
    "batch_norm": lambda x: K.batch_norm(None, None, None, training=True),
    "layer_norm": lambda x: K.layer_norm(None, 4),
    "group_norm_backward": lambda x: K.group_norm_backward(x, None, 2),
    "dropout": lambda x: K.dropout(None),
    "softmax": lambda x: K.softmax(None, 0),
    "cross_entropy": lambda x: K.cross_entropy(x, None),
    "nll_loss": lambda x: K.nll_loss(None, x),
    "prelu": lambda x: K.prelu(x, None),
    "prelu_backward": lambda x: K.prelu_backward(x, x, None),
}


@pytest.mark.parametrize("name", list(NONE_CALLS))
def test_none_array_is_a_type_error_naming_the_argument(backend, name):
    x = _x(backend, (2, 4, 3, 3))
    with pytest.raises(TypeError, match=rf"{name}: \w+ must be an array, got None"):
        NONE_CALLS[name](x)


@pytest.mark.parametrize("dtype", [np.complex128, np.bool_, object])
def test_complex_bool_and_object_arrays_are_refused(backend, dtype):
    if dtype is object and backend.name != "numpy":
        pytest.skip("only NumPy has object arrays")
    x = np.ones((2, 3, 4, 4)).astype(dtype)
    x = x if dtype is object else backend.asarray(x)
    w = _x(backend, (2, 3, 1, 1))
    for call in [
        lambda: K.relu(x),
        lambda: K.conv2d(x, w),
        lambda: K.batch_norm(x, None, None, training=True),
        lambda: K.layer_norm(x, 4),
        lambda: K.softmax(x, 1),
        lambda: K.cross_entropy(x, x),
    ]:
        with pytest.raises(TypeError):
            call()
    with pytest.raises(TypeError, match="only floating-point arrays can require gradients"):
        Tensor(x, requires_grad=True)


def _torch_error(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the oracle's error kind is what we compare
        return type(error)
    return None


@pytest.mark.parametrize("training, eps", [(True, 0.0), (True, -1e-5), (False, -1e-5)])
def test_batch_norm_rejects_eps_as_torch(backend, training, eps):
    x = random_input((4, 3, 2))
    mean, var = np.zeros(3), np.ones(3)
    expected = _torch_error(
        lambda: TF.batch_norm(
            torch.tensor(x), torch.tensor(mean), torch.tensor(var), training=training, eps=eps
        )
    )
    assert expected is ValueError
    xs = [backend.asarray(a) for a in (x, mean, var)]
    rule = "positive when training" if training else "non-negative"
    with pytest.raises(ValueError, match=rf"batch_norm: eps must be {rule}, got {eps}"):
        K.batch_norm(*xs, training=training, eps=eps)
    with pytest.raises(ValueError, match=rf"batch_norm_backward: eps must be {rule}"):
        K.batch_norm_backward(xs[0], *xs, training=training, eps=eps)


@requires_torch("2.13", "accepts eps=0 in evaluation (older ones refuse any eps <= 0)")
def test_batch_norm_accepts_zero_eps_in_evaluation_as_torch(backend):
    x = random_input((4, 3, 2))
    stats = [np.zeros(3), np.full(3, 2.0)]
    check_against_torch(
        lambda x: K.batch_norm(x, *[backend.asarray(s) for s in stats], eps=0.0),
        lambda g, x: K.batch_norm_backward(g, x, *[backend.asarray(s) for s in stats], eps=0.0)[0],
        lambda x: TF.batch_norm(x, *[torch.tensor(s) for s in stats], eps=0.0),
        [x],
        backend,
    )


@pytest.mark.parametrize("eps", [-1e5, 0.0])
def test_layer_and_group_norm_take_any_eps_quietly_as_torch(backend, eps):
    """PyTorch accepts eps <= 0 here: NaN where var + eps <= 0, without a warning."""
    x = random_input((2, 4, 3), seed=8)
    x[0] = 1.0  # zero variance: NaN at eps = 0
    check_against_torch(
        lambda x: K.layer_norm(x, 3, eps=eps),
        lambda g, x: K.layer_norm_backward(g, x, 3, eps=eps)[0],
        lambda x: TF.layer_norm(x, (3,), eps=eps),
        [x],
        backend,
    )
    check_against_torch(
        lambda x: K.group_norm(x, 2, eps=eps),
        lambda g, x: K.group_norm_backward(g, x, 2, eps=eps)[0],
        lambda x: TF.group_norm(x, 2, eps=eps),
        [x],
        backend,
    )


@pytest.mark.parametrize("ignore_index", [1.0, 1.5, True])
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_loss_rejects_a_non_int_ignore_index_as_torch(backend, name, ignore_index):
    x, t = _x(backend, (3, 4)), _labels(backend, [0, 3, 1])
    assert (
        _torch_error(
            lambda: getattr(TF, name)(
                torch.zeros(3, 4), torch.tensor([0, 3, 1]), ignore_index=ignore_index
            )
        )
        is TypeError
    )
    with pytest.raises(TypeError, match=rf"{name}: ignore_index must be an int, got"):
        getattr(K, name)(x, t, ignore_index=ignore_index)
    with pytest.raises(TypeError, match=rf"{name}_backward: ignore_index must be an int"):
        getattr(K, f"{name}_backward")(
            backend.asarray(np.ones(())), x, t, ignore_index=ignore_index
        )
    assert K.cross_entropy(x, t, ignore_index=np.int64(3)).shape == ()  # NumPy ints are ints


@pytest.mark.parametrize("normalized_shape", [4.0, (2.5,), (True,), ("4",)])
def test_layer_norm_rejects_non_int_normalized_shape_as_torch(backend, normalized_shape):
    x = _x(backend, (2, 3, 4))
    expected = _torch_error(lambda: TF.layer_norm(torch.zeros(2, 3, 4), normalized_shape))
    assert expected is TypeError
    with pytest.raises(TypeError, match=r"layer_norm: normalized_shape must be an int or a tuple"):
        K.layer_norm(x, normalized_shape)
    assert K.layer_norm(x, [4]).shape == (2, 3, 4)  # a list of ints is fine, as in torch


@pytest.mark.parametrize("min_val, max_val", [(np.nan, 1.0), (-1.0, np.nan), (np.nan, np.nan)])
def test_hardtanh_nan_bounds_match_torch(backend, min_val, max_val):
    # 64 elements: all go through PyTorch's vectorised kernel, whose rule xpnet follows
    x = random_input((64,), seed=3, low=-3.0, high=3.0)
    x[::5] = np.nan
    check_against_torch(
        lambda x: K.hardtanh(x, min_val, max_val),
        lambda g, x: K.hardtanh_backward(g, x, min_val, max_val),
        lambda x: TF.hardtanh(x, min_val, max_val),
        [x],
        backend,
    )


def test_hardtanh_rejects_a_non_number_bound(backend):
    with pytest.raises(TypeError, match=r"hardtanh: min_val must be a number, got str"):
        K.hardtanh(_x(backend, (3,)), "-1")


@pytest.mark.parametrize("name", ["elu", "hardtanh", "relu6"])
def test_nan_input_gradient_matches_torch_vectorised(backend, name):
    x = np.tile(np.array([np.nan, -0.5, 0.0, 0.5, 6.0, 7.0, -2.0, 1.0]), 8)
    check_against_torch(
        getattr(K, name),
        getattr(K, f"{name}_backward"),
        getattr(TF, name),
        [x],
        backend,
    )


# -- int-or-pair arguments, N-d and empty batch norm ----------------------------------------


def test_conv2d_accepts_one_element_sequences_as_torch(backend):
    kwargs = {"stride": [2], "padding": (1,), "dilation": [1]}
    check_against_torch(
        lambda x, w: K.conv2d(x, w, **kwargs),
        lambda g, x, w: K.conv2d_backward(g, x, w, **kwargs)[:2],
        lambda x, w: TF.conv2d(x, w, **kwargs),
        [random_input((2, 3, 6, 5)), random_input((4, 3, 3, 2), seed=1)],
        backend,
    )
    with pytest.raises(TypeError, match=r"conv2d: stride must be an int or a tuple of 2 ints"):
        K.conv2d(_x(backend, (1, 1, 4, 4)), _x(backend, (1, 1, 2, 2)), stride=[1, 1, 1])


def test_avg_pool2d_accepts_a_one_element_padding_as_torch(backend):
    check_against_torch(
        lambda x: K.avg_pool2d(x, [2], padding=[1]),
        lambda g, x: K.avg_pool2d_backward(g, x, [2], padding=[1]),
        lambda x: TF.avg_pool2d(x, [2], padding=[1]),
        [random_input((1, 2, 4, 5))],
        backend,
    )


@pytest.mark.parametrize(
    "shape", [(2, 3, 3, 2, 2), (2, 3, 1, 2, 1, 3), (0, 3, 2), (0, 3, 2, 2), (2, 3, 0), (0, 3)]
)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_nd_and_empty_match_torch(backend, shape, training):
    x = random_input(shape, seed=1, low=-2.0, high=3.0)
    mean, var = random_input((3,), seed=2), random_input((3,), seed=3, low=0.5, high=2.0)
    running = [backend.asarray(mean.copy()), backend.asarray(var.copy())]
    torch_running = [torch.tensor(mean), torch.tensor(var)]
    check_against_torch(
        lambda x, w, b: K.batch_norm(x, *running, w, b, training, 0.3),
        lambda g, x, w, b: K.batch_norm_backward(g, x, *running, w, b, training, 0.3),
        lambda x, w, b: TF.batch_norm(x, *torch_running, w, b, training, 0.3),
        [x, random_input((3,), seed=4, low=0.5, high=1.5), random_input((3,), seed=5)],
        backend,
    )
    for ours, theirs in zip(running, torch_running, strict=True):
        assert np.allclose(backend.to_host(ours), theirs.numpy(), rtol=1e-12, atol=0)


def _batch_norm_grads_extended(x, g, w, eps):
    """Training batch norm's grad_input and grad_weight in extended precision (80-bit on
    x86): the textbook two-pass formulas, a reference with no float64 cancellation."""
    X, G, W = (a.astype(np.longdouble) for a in (x, g, w))
    axes = (0, 2)
    centred = X - X.mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    x_hat = centred * inv_std
    mean_g, mean_gx = G.mean(axis=axes, keepdims=True), (G * x_hat).mean(axis=axes, keepdims=True)
    grad_input = W.reshape(1, -1, 1) * inv_std * (G - mean_g - x_hat * mean_gx)
    return grad_input, (G * x_hat).sum(axis=axes)


@pytest.mark.parametrize("offset", [0.0, 10.0])
@pytest.mark.parametrize("eps", [1e-5, 1e-70])
def test_batch_norm_backward_float64_tiny_inputs_huge_gradients(backend, offset, eps):
    """|x| ~ 1e-30 and |grad| ~ 1e20: still ~1e-12 relative accuracy per element."""
    x = (offset + random_input((8, 3, 40), seed=11)) * 1e-30
    g = random_input((8, 3, 40), seed=12) * 1e20
    w = random_input((3,), seed=13, low=0.5, high=1.5)
    grad_input, grad_weight, _ = K.batch_norm_backward(
        *[backend.asarray(a) for a in (g, x)], None, None, backend.asarray(w), None, True, eps=eps
    )
    expected = _batch_norm_grads_extended(x, g, w, eps)
    for got, want in zip((grad_input, grad_weight), expected, strict=True):
        want = np.asarray(want, dtype=np.float64)
        error = np.abs(backend.to_host(got) - want) / np.abs(want)
        assert error.max() < 1e-12, f"relative error {error.max():.2g}"


def test_batch_norm_of_no_channels(backend):
    x = _x(backend, (2, 0, 3))
    assert K.batch_norm(x, None, None, training=True).shape == (2, 0, 3)
    grad_input, _, _ = K.batch_norm_backward(x, x, None, None, training=True)
    assert grad_input.shape == (2, 0, 3)


def test_batch_norm3d_matches_torch_through_autograd(backend):
    module = nn.BatchNorm3d(2).to(backend.name, dtype="float64")
    torch_module = torch.nn.BatchNorm3d(2).double()
    x = random_input((3, 2, 2, 3, 2), seed=7)
    output = module(Tensor(backend.asarray(x), requires_grad=True))
    expected = torch_module(torch.from_numpy(x))
    assert np.allclose(backend.to_host(output.array), expected.detach().numpy(), atol=1e-12)
    for key, value in torch_module.state_dict().items():
        assert np.allclose(xpnet.to_numpy(module.state_dict()[key]), value.numpy()), key


# -- thread-safe accumulation ----------------------------------------------------------------


def test_gradient_accumulation_is_thread_safe(backend):
    """Two threads, 200 backward passes each, through one shared Linear: 400 additions."""
    layer = nn.Linear(3, 2).to(backend.name, dtype="float64")
    x = backend.asarray(np.ones((1, 3)))
    start = threading.Barrier(2)

    def work():
        start.wait()
        for _ in range(200):
            layer(Tensor(x)).sum().backward()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert backend.to_host(layer.weight.grad.array).tolist() == [[400.0] * 3] * 2
    assert backend.to_host(layer.bias.grad.array).tolist() == [400.0] * 2
