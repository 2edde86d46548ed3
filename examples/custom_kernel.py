"""A new operation in 20 lines: squareplus, written once with ``xp`` and an autograd ``Function``.

``squareplus(input) = (input + sqrt(input^2 + 4)) / 2`` (Barron, 2021): a smooth ReLU that
neither PyTorch nor xpnet has. The forward and backward are plain array functions of ``xp``
(NumPy, or CuPy on a GPU: the same code), following xpnet's kernel convention:
``squareplus(input)`` and ``squareplus_backward(grad_output, input)``.
:class:`xpnet.autograd.Function` turns the pair into a differentiable op, checked here
against central finite differences, then used in a layer that trains.

Run ``python examples/custom_kernel.py``.
"""

import argparse

import numpy as np

import xpnet
from xpnet import nn, optim
from xpnet.backends import backend_of
from xpnet.data import DataLoader, TensorDataset, load_digits


def squareplus(input):
    xp = backend_of(input).xp
    return (input + xp.sqrt(input * input + 4)) / 2


def squareplus_backward(grad_output, input):
    xp = backend_of(input).xp
    return grad_output * (1 + input / xp.sqrt(input * input + 4)) / 2


squareplus_op = xpnet.autograd.Function(squareplus, squareplus_backward, wrt=("input",))


class Squareplus(nn.Module):
    """The layer: ``Squareplus()(x) == squareplus(x)``."""

    def forward(self, input):
        return squareplus_op(input)


def gradient_error(size=50, eps=1e-6):
    """Largest gap between the backward and central finite differences (float64)."""
    x = np.random.default_rng(0).normal(scale=3, size=size)
    tensor = xpnet.Tensor(xpnet.asarray(x), requires_grad=True)
    squareplus_op(tensor).sum().backward()
    numeric = (
        xpnet.to_numpy(squareplus(xpnet.asarray(x + eps)))
        - xpnet.to_numpy(squareplus(xpnet.asarray(x - eps)))
    ) / (2 * eps)
    return float(np.abs(xpnet.to_numpy(tensor.grad) - numeric).max())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args(argv)

    error = gradient_error()
    print(f"squareplus_backward vs finite differences: max error {error:.1e}")
    assert error < 1e-6, error

    xpnet.manual_seed(0)
    images, labels = load_digits()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), Squareplus(), nn.Linear(32, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True, seed=0)
    step = 0
    while step < args.steps:
        for x, y in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            step += 1
            if step == 1 or step == args.steps:
                print(f"step {step}: loss {loss.item():.3f}")
            if step == args.steps:
                break


if __name__ == "__main__":
    main()
