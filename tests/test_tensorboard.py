"""``xpnet.utils.tensorboard.SummaryWriter``: xpnet Tensors and backend arrays reach the event
file as the NumPy values would, read back from the file's records (TensorBoard's format)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import xpnet

pytest.importorskip("tensorboardX")
from tensorboardX.proto.event_pb2 import Event  # noqa: E402

from xpnet.utils.tensorboard import SummaryWriter  # noqa: E402


def _events(log_dir):
    """Every Event in the directory's own event files (TFRecord: length, crc, data, crc)."""
    events = []
    for path in sorted(log_dir.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        while data:
            (length,) = struct.unpack("<Q", data[:8])
            events.append(Event.FromString(data[12 : 12 + length]))
            data = data[16 + length :]
    return events


def _summaries(log_dir):
    return {v.tag: v for e in _events(log_dir) for v in e.summary.value}


def test_tensors_and_backend_arrays_are_written_as_their_values(backend, tmp_path):
    values = np.linspace(-1.0, 1.0, 50, dtype=np.float32)
    on_backend = backend.asarray(values)
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_scalar("tensor", xpnet.autograd.Tensor(backend.asarray(np.float32(0.25))), 3)
        writer.add_scalar("array", on_backend[10], 3)
        writer.add_scalar("float", 0.5, 3)
        writer.add_scalars("group", {"a": xpnet.autograd.Tensor(on_backend[0])}, 4)
        writer.add_histogram("weights", xpnet.autograd.Tensor(on_backend, requires_grad=True), 5)
        writer.add_histogram("reference", values, 5)
        image = np.zeros((3, 4, 4), np.float32)
        writer.add_image("image", xpnet.autograd.Tensor(backend.asarray(image)), 6)
    found = _summaries(tmp_path)
    assert found["tensor"].simple_value == 0.25 and found["float"].simple_value == 0.5
    assert found["array"].simple_value == pytest.approx(float(values[10]))
    assert found["weights"].histo == found["reference"].histo
    assert found["image"].image.height == 4
    group = _summaries(tmp_path / "group" / "a")  # add_scalars' layout: a writer per key
    assert group["group"].simple_value == pytest.approx(-1.0)


def test_add_graph_says_why_it_is_missing(tmp_path):
    with SummaryWriter(str(tmp_path)) as writer:
        with pytest.raises(NotImplementedError, match="add_graph: tracing a model's graph"):
            writer.add_graph(xpnet.nn.Linear(2, 2), xpnet.ones(1, 2))
