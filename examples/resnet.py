"""Train xpnet's small ResNet on scikit-learn's 8x8 digits, on the GPU when there is one.

PyTorch's idioms throughout: a device chosen by availability, ``model.to(device)``,
``batch.to(device)``, a DataLoader with background workers, ``argmax``/``eq`` for accuracy,
and the weights saved as ``.safetensors`` (readable by ``safetensors.torch.load_file``).

Run ``python examples/resnet.py`` (about a minute on a laptop CPU for 3 epochs), or
``python examples/resnet.py --epochs 1 --limit 256`` for a quick check.
"""

import argparse

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset, load_digits, random_split
from xpnet.models import ResNet


def accuracy(model, loader, device):
    model.eval()
    correct = total = 0
    with xpnet.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            pred = model(images).argmax(dim=1)
            correct += pred.eq(labels).sum().item()
            total += len(labels)
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--limit", type=int, help="use N images of each split only")
    parser.add_argument("--save", metavar="PATH", help="save the weights (.safetensors, .npz)")
    args = parser.parse_args(argv)

    device = xpnet.device("cuda" if xpnet.cuda.is_available() else "cpu")
    xpnet.manual_seed(0)
    images, labels = load_digits()
    data = TensorDataset(xpnet.Tensor(images), xpnet.Tensor(labels))  # Tensors in, Tensors out
    train, test = random_split(data, [0.8, 0.2], seed=0)
    if args.limit:  # a quick run: fewer images in both splits
        train.indices, test.indices = train.indices[: args.limit], test.indices[: args.limit]
    train_loader = DataLoader(train, args.batch_size, shuffle=True, seed=0, num_workers=2)
    test_loader = DataLoader(test, batch_size=256)

    model = ResNet(in_channels=1, num_classes=10).to(device)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    print(f"ResNet with {sum(p.numel() for p in model.parameters())} parameters on {device}")
    for epoch in range(1, args.epochs + 1):
        model.train()
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
        score = accuracy(model, test_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.3f}, test accuracy {score:.1%}")
    if args.save:
        xpnet.save(model.state_dict(), args.save)
        print(f"saved {args.save}")


if __name__ == "__main__":
    main()
