"""xpnet.data's ImageFolder, DatasetFolder and their helpers (xpnet.data.folder), FakeData and
VisionDataset against torchvision's, on the same folder trees written here: samples, classes,
repr, transforms and errors. FakeData's values come from another generator than torch's, so
only its shapes, modes, targets' range, len and repr are compared."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from _datasets_oracle import MultiLine, assert_same_dataset, assert_same_value, pixels
from _torchvision import import_torchvision
from PIL import Image

from xpnet.data import DatasetFolder, FakeData, ImageFolder, VisionDataset, folder, vision_datasets

torchvision = import_torchvision()
tv = torchvision.datasets
ATTRIBUTES = ("classes", "class_to_idx", "samples", "targets", "extensions")


def write_tree(root) -> None:
    """Classes ``b``, ``a`` (a nested folder, a grey and an RGBA image, a text file), ``c``
    (a ``.JPG`` and a ``.txt``), ``empty`` (no file) and a file at the top."""
    files = {
        "b/0.png": ("RGB", (5, 4)),
        "a/z.png": ("L", (3, 2)),
        "a/nested/deeper/1.bmp": ("RGB", (2, 3)),
        "a/nested/0.png": ("RGBA", (4, 4)),
        "a/2.PNG": ("P", (2, 2)),
        "c/photo.JPG": ("RGB", (8, 8)),
    }
    for seed, (name, (mode, size)) in enumerate(files.items()):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        channels = {"L": 1, "P": 1, "RGB": 3, "RGBA": 4}[mode]
        array = pixels(seed, (size[1], size[0], channels)).squeeze(-1 if channels == 1 else ())
        image = Image.fromarray(array if mode != "P" else array % 4)
        (image.convert(mode) if mode == "P" else image).save(path)
    (root / "a" / "notes.txt").write_text("not an image")
    (root / "c" / "labels.txt").write_text("not an image either")
    (root / "empty").mkdir()
    (root / "top.png").write_bytes((root / "b" / "0.png").read_bytes())


@pytest.fixture
def tree(tmp_path):
    write_tree(tmp_path)
    return tmp_path


def test_image_folder_allow_empty_matches_torchvision(backend, tree):
    kwargs = {"allow_empty": True, "transform": MultiLine("image"), "target_transform": hex}
    ours, theirs = ImageFolder(tree, **kwargs), tv.ImageFolder(tree, **kwargs)
    assert_same_dataset(ours, theirs, ATTRIBUTES + ("imgs", "root"))
    root = str(tree)
    ours, theirs = ImageFolder(root, allow_empty=True), tv.ImageFolder(root, allow_empty=True)
    assert_same_dataset(ours, theirs, ATTRIBUTES + ("imgs", "root"))
    assert {image.mode for image, _ in ours} == {"RGB"} and len(ours) == 6


def test_image_folder_is_valid_file_matches_torchvision(backend, tree):
    def is_valid_file(path):
        return "nested" in path or path.endswith(".txt")

    kwargs = {"is_valid_file": is_valid_file, "loader": os.path.getsize, "allow_empty": True}
    ours, theirs = ImageFolder(tree, **kwargs), tv.ImageFolder(tree, **kwargs)
    assert_same_dataset(ours, theirs, ATTRIBUTES)


def test_empty_class_raises_torchvision_error(backend, tree):
    for kwargs in ({}, {"is_valid_file": lambda path: path.endswith(".png")}):
        with pytest.raises(FileNotFoundError) as theirs:
            tv.ImageFolder(tree, **kwargs)
        with pytest.raises(FileNotFoundError) as ours:
            ImageFolder(tree, **kwargs)
        assert str(ours.value) == str(theirs.value)


def test_dataset_folder_extensions_match_torchvision(backend, tree):
    for extensions in (".txt", (".png", ".bmp"), ("png",)):
        kwargs = {"extensions": extensions, "allow_empty": True}
        ours = DatasetFolder(tree, os.path.getsize, **kwargs)
        theirs = tv.DatasetFolder(tree, os.path.getsize, **kwargs)
        assert_same_dataset(ours, theirs, ATTRIBUTES)
    with pytest.raises(FileNotFoundError) as theirs:
        tv.DatasetFolder(tree, os.path.getsize, extensions=(".txt", ".bmp"))
    with pytest.raises(FileNotFoundError) as ours:
        DatasetFolder(tree, os.path.getsize, extensions=(".txt", ".bmp"))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "kwargs", [{}, {"extensions": ".png", "is_valid_file": bool}], ids=["neither", "both"]
)
def test_dataset_folder_argument_errors_match_torchvision(backend, tree, kwargs):
    with pytest.raises(ValueError) as theirs:
        tv.DatasetFolder(tree, os.path.getsize, **kwargs)
    with pytest.raises(ValueError) as ours:
        DatasetFolder(tree, os.path.getsize, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_missing_or_classless_root_raises_torchvision_error(backend, tmp_path):
    (tmp_path / "only_a_file.png").write_bytes(b"")
    for root in (tmp_path, tmp_path / "missing"):
        with pytest.raises(FileNotFoundError) as theirs:
            tv.ImageFolder(root)
        with pytest.raises(FileNotFoundError) as ours:
            ImageFolder(root)
        assert str(ours.value) == str(theirs.value)


def test_folder_helpers_match_torchvision(backend, tree):
    ours, theirs = folder, tv.folder
    assert ours.IMG_EXTENSIONS == theirs.IMG_EXTENSIONS
    assert_same_value(ours.find_classes(tree), theirs.find_classes(tree))
    assert_same_value(ours.find_classes(str(tree)), theirs.find_classes(str(tree)))
    for name in ("a.PNG", "a.png.txt", "a.Tiff", "a.webp", "jpeg", "a.jpeg", "a.pgm"):
        assert ours.is_image_file(name) == theirs.is_image_file(name)
        for extensions in ((".txt", ".jpeg"), ".PNG", "png"):
            expected = theirs.has_file_allowed_extension(name, extensions)
            assert ours.has_file_allowed_extension(name, extensions) == expected
    _, class_to_idx = theirs.find_classes(tree)
    for kwargs in (
        {"extensions": (".png",), "allow_empty": True},
        {"class_to_idx": {"c": 7, "a": 1, "missing": 2}, "extensions": ".jpg"},
        {"class_to_idx": class_to_idx, "is_valid_file": lambda path: "a" in path},
    ):
        kwargs = {"allow_empty": True, **kwargs}
        assert_same_value(ours.make_dataset(tree, **kwargs), theirs.make_dataset(tree, **kwargs))
    assert_same_value(
        ours.make_dataset(str(tree), extensions=".bmp", allow_empty=True),
        theirs.make_dataset(str(tree), extensions=".bmp", allow_empty=True),
    )
    with pytest.raises(ValueError) as expected:
        theirs.make_dataset(tree, class_to_idx={}, extensions=".png")
    with pytest.raises(ValueError) as actual:
        ours.make_dataset(tree, class_to_idx={}, extensions=".png")
    assert str(actual.value) == str(expected.value)


def test_loaders_match_torchvision(backend, tree):
    for name in ("a/z.png", "a/nested/0.png", "a/2.PNG", "c/photo.JPG"):
        for loader in ("pil_loader", "default_loader"):
            path = str(tree / name)
            assert_same_value(getattr(folder, loader)(path), getattr(tv.folder, loader)(path))


# ----------------------------------------------------------------------------- FakeData


@pytest.mark.parametrize(
    "image_size", [(3, 5, 4), (1, 6, 2), (2, 3, 3), (4, 2, 5), (7, 3)], ids=str
)
def test_fake_data_shapes_modes_and_repr_match_torchvision(backend, image_size):
    kwargs = {"size": 6, "image_size": image_size, "num_classes": 3, "random_offset": 5}
    ours, theirs = FakeData(**kwargs), tv.FakeData(**kwargs)
    assert len(ours) == len(theirs) == 6
    assert repr(ours) == repr(theirs)
    for index in (0, 5, -1):
        (image, target), (expected, expected_target) = ours[index], theirs[index]
        assert (image.mode, image.size) == (expected.mode, expected.size)
        assert type(target) is type(expected_target) and 0 <= target < 3
    for fake in (ours, theirs):
        with pytest.raises(IndexError, match="^FakeData index out of range$"):
            fake[6]


class TorchDraws:
    """A stand-in for FakeData's NumPy generator that draws torch's values, as torchvision's
    FakeData does after ``torch.manual_seed(index + random_offset)``."""

    def __init__(self, seed) -> None:
        self.generator = torch.Generator().manual_seed(seed)

    def standard_normal(self, shape, dtype):
        return torch.randn(*shape, generator=self.generator).numpy().astype(dtype)

    def integers(self, high):
        return int(torch.randint(0, high, size=(1,), generator=self.generator)[0])


@pytest.mark.parametrize("image_size", [(3, 5, 4), (1, 6, 2), (2, 3, 3), (4, 2, 5), (7, 3)])
def test_fake_data_pixels_match_torchvision_given_torchs_draws(backend, monkeypatch, image_size):
    """With torch's normal values, xpnet's conversion to a PIL image (times 255, wrapped to
    uint8, channels last) gives torchvision's pixels and target."""
    monkeypatch.setattr(vision_datasets.numpy.random, "default_rng", TorchDraws)
    kwargs = {"size": 4, "image_size": image_size, "num_classes": 7, "random_offset": 3}
    ours, theirs = FakeData(**kwargs), tv.FakeData(**kwargs)
    for index in (0, 3, -5):
        assert_same_value(ours[index], theirs[index])


def test_fake_data_transforms_and_repr_match_torchvision(backend):
    kwargs = {"size": 2, "image_size": (3, 2, 2), "transform": MultiLine("image")}
    ours, theirs = FakeData(**kwargs), tv.FakeData(**kwargs)
    assert repr(ours) == repr(theirs)
    assert ours[1][0][:2] == theirs[1][0][:2] == ("seen by", "image")
    assert ours[0] == ours[0]  # the same sample on every read, as torchvision's


# ----------------------------------------------------------------------------- VisionDataset


class Sized:
    """A VisionDataset of three samples, for both libraries' base class."""

    def __len__(self) -> int:
        return 3

    def extra_repr(self) -> str:
        return "Split: first\nSecond line"


# one name for both: the repr starts with the class name
OurDataset = type("Three", (Sized, VisionDataset), {})
TheirDataset = type("Three", (Sized, tv.VisionDataset), {})


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"transform": MultiLine("image")},
        {"target_transform": MultiLine("target")},
        {"transforms": MultiLine("both")},
        {"transform": np.asarray, "target_transform": MultiLine("target")},
    ],
    ids=["none", "transform", "target", "transforms", "both"],
)
@pytest.mark.parametrize("root", ["~/data", None, "relative"])
def test_vision_dataset_repr_and_attributes_match_torchvision(backend, kwargs, root):
    ours, theirs = OurDataset(root, **kwargs), TheirDataset(root, **kwargs)
    assert repr(ours) == repr(theirs)
    assert ours.root == theirs.root
    for name in ("transform", "target_transform"):
        assert getattr(ours, name) is getattr(theirs, name)
    assert repr(ours.transforms) == repr(theirs.transforms)


def test_vision_dataset_transforms_with_transform_raise_torchvision_error(backend):
    kwargs = {"transforms": MultiLine("both"), "target_transform": MultiLine("target")}
    with pytest.raises(ValueError) as theirs:
        TheirDataset("data", **kwargs)
    with pytest.raises(ValueError) as ours:
        OurDataset("data", **kwargs)
    assert str(ours.value) == str(theirs.value)
    for dataset in (tv.VisionDataset("data"), VisionDataset("data")):
        with pytest.raises(NotImplementedError):
            dataset[0]
        with pytest.raises(NotImplementedError):
            len(dataset)


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("b", "arg", ("a", "b")), {}),
        (("c", "split", ("a", "b")), {}),
        (("c", None, ["a", "b"]), {}),
        ((3, "split", ("a",)), {}),
        ((3,), {}),
        (("anything",), {}),
        (("c", "what", "ab"), {"custom_msg": "pick a or b"}),
    ],
)
def test_verify_str_arg_matches_torchvision(backend, args, kwargs):
    from torchvision.datasets.utils import verify_str_arg as theirs

    from xpnet.data.vision_datasets_more import verify_str_arg as ours

    try:
        expected = theirs(*args, **kwargs)
    except ValueError as error:
        with pytest.raises(ValueError) as raised:
            ours(*args, **kwargs)
        assert str(raised.value) == str(error)
    else:
        assert ours(*args, **kwargs) == expected


def test_check_integrity_and_kept_download_match_torchvision(backend, tmp_path):
    from torchvision.datasets import utils

    from xpnet.data import _download, vision_datasets_more

    path = tmp_path / "file.bin"
    for _ in range(2):  # missing, then present
        for checksum in (None, "0" * 32, "9a0364b9e99bb480dd25e1f0284c8555"):
            expected = utils.check_integrity(str(path), checksum)
            assert _download.check_integrity(str(path), checksum) == expected
        path.write_bytes(b"content")
    url = "https://example.invalid/file.bin"  # a file already there is not downloaded
    assert utils.download_url(url, str(tmp_path)) is None
    assert vision_datasets_more.download_url(url, str(tmp_path)) == path


def test_dataset_folder_make_dataset_needs_class_to_idx_as_torchvision(backend, tree):
    with pytest.raises(ValueError) as theirs:
        tv.DatasetFolder.make_dataset(str(tree), None, extensions=".png")
    with pytest.raises(ValueError) as ours:
        DatasetFolder.make_dataset(str(tree), None, extensions=".png")
    assert str(ours.value) == str(theirs.value)


def test_vision_dataset_subclass_without_base_init_and_format_helper(backend):
    """A subclass that sets ``root`` itself (no ``transforms``) and calls torchvision's
    ``_format_transform_repr`` from its ``extra_repr``."""

    def extra_repr(self):
        return "\n".join(self._format_transform_repr(MultiLine("x"), "Target: "))

    def init(self):
        self.root = "data"

    body = {"__init__": init, "extra_repr": extra_repr}
    ours = type("Three", (Sized, VisionDataset), body)()
    theirs = type("Three", (Sized, tv.VisionDataset), body)()
    assert repr(ours) == repr(theirs)
