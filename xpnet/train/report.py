"""What ``xpnet train`` shows: the per-epoch table and the loss and accuracy plot.

:func:`xpnet.train.loop.fit` prints a :func:`format_row` per epoch and calls :func:`plot_history`
at the end of a run given ``--plot``.
"""

from __future__ import annotations

import os

_COLUMNS = (  # key, header, format
    ("epoch", "epoch", "{:>5d}"),
    ("lr", "lr", "{:>9.2e}"),
    ("train_loss", "train loss", "{:>10.4f}"),
    ("train_acc", "train acc", "{:>9.2%}"),
    ("test_loss", "test loss", "{:>9.4f}"),
    ("test_acc", "test acc", "{:>8.2%}"),
    ("images_per_s", "img/s", "{:>8.0f}"),
    ("seconds", "s", "{:>6.1f}"),
)


def format_row(row: dict | None) -> str:
    """One line of the per-epoch table; the header when ``row`` is None."""
    if row is None:
        return "  ".join(f"{header:>{len(fmt.format(0))}}" for _, header, fmt in _COLUMNS)
    return "  ".join(fmt.format(row[key]) for key, _, fmt in _COLUMNS)


def row_problem(row) -> str | None:
    """What keeps ``row`` (of a saved history) from :func:`format_row` and the plot, or None."""
    if not isinstance(row, dict):
        return f"must be a dict, got {type(row).__name__}"
    for key, _, _ in _COLUMNS:
        if key not in row:
            return f"has no {key!r}"
        kinds, expected = (int, "an int") if key == "epoch" else (int | float, "a number")
        if isinstance(row[key], bool) or not isinstance(row[key], kinds):
            return f"has {key!r} {row[key]!r}, expected {expected}"
    return None


def plot_history(history: list[dict], path: str, title: str | None = None) -> None:
    """Save loss and accuracy per epoch (train and test) as a PNG, titled ``title``; the
    folder of ``path`` is created if missing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    figure, (loss_axes, acc_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "test"):
        loss_axes.plot(epochs, [row[f"{split}_loss"] for row in history], "o-", label=split)
        acc_axes.plot(epochs, [100 * row[f"{split}_acc"] for row in history], "o-", label=split)
    loss_axes.set(
        title="loss", xlabel="epoch", ylabel="mean cross-entropy (nats, log scale)", yscale="log"
    )
    acc_axes.set(title="accuracy", xlabel="epoch", ylabel="images classified correctly (%)")
    for axes in (loss_axes, acc_axes):
        axes.legend()
        axes.grid(alpha=0.3)
        axes.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
