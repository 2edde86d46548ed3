"""The training loop and its checkpoints: atomic saves, and resume == an uninterrupted run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from xpnet import train
from xpnet.train import checkpoint

ROOT = Path(__file__).resolve().parents[1]

# A tiny run: 96 digits, 3 batches per epoch, so that every test stays well under a second
# per epoch.
TINY = {"limit": 96, "batch_size": 32, "epochs": 2, "seed": 3}


def _state():
    return {
        "format": train.CHECKPOINT_FORMAT,
        "weights": {"conv.weight": np.arange(6, dtype=np.float32).reshape(2, 3)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": np.ones(2)}}, "betas": (0.9, 0.99)},
        "values": [None, True, 1.5, "text", np.float64(0.25)],
    }


def test_save_checkpoint_round_trips_nested_state(tmp_path):
    path = tmp_path / "state.npz"
    train.save_checkpoint(path, _state())
    loaded = train.load_checkpoint(path)
    np.testing.assert_array_equal(
        loaded["weights"]["conv.weight"], _state()["weights"]["conv.weight"]
    )
    assert loaded["weights"]["conv.weight"].dtype == np.float32
    assert loaded["optimizer"]["state"][0]["step"] == 3  # int keys stay ints
    assert loaded["optimizer"]["betas"] == (0.9, 0.99)  # tuples stay tuples
    assert loaded["values"] == [None, True, 1.5, "text", 0.25]


def test_save_checkpoint_crash_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "state.npz"
    train.save_checkpoint(path, _state())
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.numpy, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        train.save_checkpoint(path, {**_state(), "values": [2.0]})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["state.npz"]  # no temporary file left behind


def test_save_checkpoint_rejects_unknown_values(tmp_path):
    with pytest.raises(TypeError, match="save_checkpoint: cannot store a set"):
        train.save_checkpoint(tmp_path / "state.npz", {"bad": {1, 2}})
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("content", [None, b"not a zip file", "other-npz"])
def test_load_checkpoint_rejects_unreadable_files(tmp_path, content):
    path = tmp_path / "state.npz"
    if content == "other-npz":
        np.savez(path, x=np.zeros(2))
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match="not a readable xpnet checkpoint"):
        train.load_checkpoint(path)


@pytest.mark.parametrize(
    "where, problem",
    [("missing", "no such file"), ("folder", "is a folder"), (os.devnull, "not a regular file")],
)
def test_load_checkpoint_refuses_what_is_not_a_file_before_reading(tmp_path, where, problem):
    # a device (/dev/zero) would be read without end: it is refused before any read
    path = tmp_path / where
    if where == "folder":
        path.mkdir()
    with pytest.raises(train.CheckpointError, match=f"{path}: not a readable .*: {problem}"):
        train.load_checkpoint(path)


def test_load_checkpoint_rejects_other_formats(tmp_path):
    path = tmp_path / "state.npz"
    train.save_checkpoint(path, {"format": "something-else"})
    with pytest.raises(ValueError, match="not an xpnet checkpoint"):
        train.load_checkpoint(path)


def _fit(progress=None, **settings):
    return train.fit(train.Config(**{**TINY, **settings}), progress, echo=lambda line: None)


def _crash_in_epoch(crash_epoch):
    """A progress hook that kills the run at the first batch of ``crash_epoch``."""

    def progress(loader, epoch):
        for batch in loader:
            if epoch == crash_epoch:
                raise KeyboardInterrupt
            yield batch

    return progress


def _losses(history):
    return [(row["train_loss"], row["test_loss"], row["test_acc"]) for row in history]


@pytest.mark.parametrize("optimizer, scheduler", [("adam", "onecycle"), ("sgd", "step")])
def test_fit_resume_matches_uninterrupted_run(tmp_path, optimizer, scheduler):
    settings = {"optimizer": optimizer, "scheduler": scheduler}
    straight = _fit(**settings)
    path = str(tmp_path / "run.npz")
    with pytest.raises(KeyboardInterrupt):
        _fit(_crash_in_epoch(2), **settings, checkpoint=path)
    assert train.load_checkpoint(path)["epoch"] == 1
    resumed = _fit(**settings, resume=path, checkpoint=path)
    assert _losses(resumed) == _losses(straight)  # bit for bit, not approximately
    assert train.load_checkpoint(path)["epoch"] == 2


def test_fit_resume_of_a_mixed_precision_run_restores_its_grad_scaler(tmp_path):
    settings = {"optimizer": "adam", "scheduler": "step", "precision": "16-mixed"}
    straight = _fit(**settings)
    path = str(tmp_path / "run.npz")
    with pytest.raises(KeyboardInterrupt):
        _fit(_crash_in_epoch(2), **settings, checkpoint=path)
    saved = train.load_checkpoint(path)
    assert set(saved["scaler"]) == {
        "scale",
        "growth_factor",
        "backoff_factor",
        "growth_interval",
        "_growth_tracker",
    }
    resumed = _fit(**settings, resume=path, checkpoint=path)
    assert _losses(resumed) == _losses(straight)  # bit for bit, the loss scale included
    with pytest.raises(ValueError, match="saved with --precision 16-mixed, this run has 32"):
        _fit(optimizer="adam", scheduler="step", resume=path)


def test_fit_resume_rejects_other_settings(tmp_path):
    path = str(tmp_path / "run.npz")
    _fit(epochs=1, checkpoint=path)
    with pytest.raises(ValueError, match="saved with --batch-size 32, this run has 16"):
        _fit(resume=path, epochs=1, batch_size=16)


def test_fit_mnist_needs_data_path():
    with pytest.raises(ValueError, match="--dataset mnist needs --data PATH"):
        _fit(dataset="mnist")


def test_fit_digits_refuses_a_data_path():
    with pytest.raises(ValueError, match="--data mnist/ is only read with --dataset mnist"):
        _fit(data="mnist/")


@pytest.mark.parametrize("scheduler", ["step", "none"])
def test_fit_resume_extends_epochs_on_the_saved_schedule(tmp_path, scheduler):
    path = str(tmp_path / "run.npz")
    _fit(scheduler=scheduler, checkpoint=path)
    extended = _fit(scheduler=scheduler, epochs=6, resume=path, checkpoint=path)
    # the 2-epoch plan (StepLR step 1) holds, not the 6-epoch one (step 2): as if planned so
    straight = _fit(scheduler=scheduler, epochs=6, schedule_epochs=2)
    assert _losses(extended) == _losses(straight)
    assert [row["lr"] for row in extended] == [row["lr"] for row in straight]
    saved = train.load_checkpoint(path)
    assert saved["epoch"] == 6 and saved["config"]["schedule_epochs"] == 2


@pytest.mark.parametrize("scheduler", ["onecycle", "cosine"])
def test_fit_resume_refuses_to_extend_whole_run_schedules(tmp_path, scheduler):
    path = str(tmp_path / "run.npz")
    _fit(scheduler=scheduler, epochs=1, checkpoint=path)
    with pytest.raises(train.CheckpointError, match=f"the {scheduler} learning-rate schedule"):
        _fit(scheduler=scheduler, resume=path)


def test_save_checkpoint_creates_its_folder(tmp_path):
    path = tmp_path / "runs" / "deep" / "run.npz"
    train.save_checkpoint(str(path), _state())
    assert train.load_checkpoint(str(path))["values"][3] == "text"


def test_save_checkpoint_error_names_the_checkpoint_not_a_temporary(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match=f"cannot save the checkpoint {blocker / 'run.npz'}") as info:
        train.save_checkpoint(str(blocker / "run.npz"), _state())
    assert ".tmp" not in str(info.value)


def test_plot_history_has_title_and_axis_labels(tmp_path, monkeypatch):
    import matplotlib.figure

    titles = []
    save = matplotlib.figure.Figure.savefig

    def record(figure, *args, **kwargs):
        titles.append(figure.get_suptitle())
        titles.extend(f"{a.get_title()}|{a.get_xlabel()}|{a.get_ylabel()}" for a in figure.axes)
        return save(figure, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", record)
    _fit(epochs=1, plot=str(tmp_path / "plots" / "run.png"))
    assert titles[0] == "lenet on digits, adam + onecycle"
    assert titles[1:] == [
        "loss|epoch|mean cross-entropy (nats, log scale)",
        "accuracy|epoch|images classified correctly (%)",
    ]
    assert (tmp_path / "plots" / "run.png").read_bytes()[:4] == b"\x89PNG"


KILLED_SAVE = """
import os, sys
import numpy
from xpnet import train

def killed(file, **arrays):
    file.write(b"half a checkpoint")
    file.flush()
    os._exit(9)  # as SIGKILL would: no except, no finally

numpy.savez = killed
train.save_checkpoint(sys.argv[1], {"format": train.CHECKPOINT_FORMAT})
"""


def test_save_checkpoint_removes_temporaries_of_a_killed_save(tmp_path):
    path = tmp_path / "state.npz"
    train.save_checkpoint(path, _state())
    before = path.read_bytes()
    killed = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], cwd=ROOT, check=False)
    assert killed.returncode == 9
    leftovers = [name for name in os.listdir(tmp_path) if name != "state.npz"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".state.npz.")
    assert path.read_bytes() == before  # the killed save left the checkpoint whole
    (tmp_path / ".state.npz.abcd_123").write_bytes(b"older xpnet's temporary name")
    (tmp_path / ".other.npz.abcd_123.tmp").write_bytes(b"another checkpoint's: kept")
    (tmp_path / ".state.npz.notes").write_bytes(b"not a temporary name: kept")
    train.save_checkpoint(path, _state())
    assert sorted(os.listdir(tmp_path)) == [
        ".other.npz.abcd_123.tmp",
        ".state.npz.notes",
        "state.npz",
    ]
    assert train.load_checkpoint(path)["values"] == [None, True, 1.5, "text", 0.25]


def test_load_checkpoint_errors_are_checkpoint_errors_naming_the_file(tmp_path):
    path = tmp_path / "state.npz"
    train.save_checkpoint(path, _state())
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(train.CheckpointError, match=f"{path}: .*truncated or corrupt"):
        train.load_checkpoint(path)
    assert issubclass(train.CheckpointError, ValueError)
