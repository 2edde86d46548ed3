"""torchvision's ``DatasetFolder`` and ``ImageFolder``: one subfolder of ``root`` per class.

``root/cat/1.png``, ``root/dog/a/2.jpg``, ...: the classes are the sorted names of ``root``'s
subfolders (:func:`find_classes`), the samples every valid file under each, walked in sorted
order (:func:`make_dataset`), exactly as torchvision lists them. :func:`default_loader`
opens an image with Pillow and converts it to RGB.
"""

from __future__ import annotations

import os

from .vision_datasets import VisionDataset, apply_transforms, pil_image_module

__all__ = [
    "IMG_EXTENSIONS",
    "DatasetFolder",
    "ImageFolder",
    "default_loader",
    "find_classes",
    "has_file_allowed_extension",
    "is_image_file",
    "make_dataset",
    "pil_loader",
]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions) -> bool:
    """Whether ``filename`` ends (case-insensitively) with one of ``extensions``."""
    extensions = extensions if isinstance(extensions, str) else tuple(extensions)
    return str(filename).lower().endswith(extensions)


def is_image_file(filename) -> bool:
    """Whether ``filename`` has one of :data:`IMG_EXTENSIONS`."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """The class folders of ``directory``: ``(sorted names, {name: index})``.

    Raises:
        FileNotFoundError: when ``directory`` has no subfolder (or does not exist).
    """
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(
    directory, class_to_idx=None, extensions=None, is_valid_file=None, allow_empty=False
) -> list:
    """The ``(path, class index)`` samples under ``directory``, in torchvision's order.

    Args:
        directory: the root folder.
        class_to_idx: ``{class folder name: index}``. Default: ``None``
            (:func:`find_classes`).
        extensions: the file endings to keep; exactly one of it and ``is_valid_file``.
            Default: ``None``.
        is_valid_file: ``path -> bool``, which files to keep. Default: ``None``.
        allow_empty: accept a class folder with no valid file. Default: ``False``.

    Returns:
        A list of ``(path, class index)``: classes in sorted order, each folder walked
        (following links) in sorted order, files sorted by name.

    Raises:
        ValueError: for an empty ``class_to_idx``, or for both or neither of
            ``extensions`` and ``is_valid_file``.
        FileNotFoundError: when a class has no valid file and ``allow_empty`` is false.
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        msg = "Both extensions and is_valid_file cannot be None or not None at the same time"
        raise ValueError(msg)
    if extensions is not None:

        def is_valid_file(path) -> bool:
            return has_file_allowed_extension(path, extensions)

    instances, found = [], set()
    for target_class in sorted(class_to_idx):
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, names in sorted(os.walk(target_dir, followlinks=True)):
            for name in sorted(names):
                path = os.path.join(root, name)
                if is_valid_file(path):
                    instances.append((path, class_to_idx[target_class]))
                    found.add(target_class)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            listed = extensions if isinstance(extensions, str) else ", ".join(extensions)
            msg += f"Supported extensions are: {listed}"
        raise FileNotFoundError(msg)
    return instances


def pil_loader(path):
    """The image at ``path`` as an RGB PIL image (read whole, the file closed)."""
    with open(path, "rb") as stream:
        return pil_image_module().open(stream).convert("RGB")


def default_loader(path):
    """torchvision's default image loader: :func:`pil_loader`."""
    return pil_loader(path)


class DatasetFolder(VisionDataset):
    """Samples in ``root/<class>/.../<file>``, read by ``loader`` (torchvision's class).

    Args:
        root: the folder whose subfolders are the classes.
        loader: ``path -> sample``.
        extensions: the file endings to keep; exactly one of it and ``is_valid_file``.
            Default: ``None``.
        transform: applied to each sample. Default: ``None``.
        target_transform: applied to each class index. Default: ``None``.
        is_valid_file: ``path -> bool``, which files to keep. Default: ``None``.
        allow_empty: accept a class folder with no valid file. Default: ``False``.

    Attributes:
        classes: the sorted class folder names. class_to_idx: ``{name: index}``.
        samples: ``(path, class index)`` pairs. targets: the class index of each sample.

    Raises:
        FileNotFoundError: when ``root`` has no class folder, or a class has no valid file
            (unless ``allow_empty``).
        ValueError: for both or neither of ``extensions`` and ``is_valid_file``.

    Example:
        >>> import os, tempfile
        >>> from xpnet.data import DatasetFolder
        >>> root = tempfile.mkdtemp()
        >>> for path in ("b/1.txt", "a/2.txt", "a/3.csv"):
        ...     os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        ...     open(os.path.join(root, path), "w").close()
        >>> folder = DatasetFolder(root, loader=os.path.getsize, extensions=(".txt",))
        >>> folder.classes, folder.targets, folder[0]
        (['a', 'b'], [0, 1], (0, 0))
    """

    def __init__(
        self,
        root,
        loader,
        extensions=None,
        transform=None,
        target_transform=None,
        is_valid_file=None,
        allow_empty=False,
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(
            self.root, class_to_idx, extensions, is_valid_file, allow_empty=allow_empty
        )
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.targets = [target for _, target in self.samples]

    @staticmethod
    def make_dataset(
        directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False
    ) -> list:
        """:func:`make_dataset`, with ``class_to_idx`` required (override to list otherwise)."""
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory):
        """:func:`find_classes` (override to choose the classes otherwise)."""
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        return apply_transforms(self.transform, self.target_transform, sample, target)

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/.../<image>``, as RGB PIL images (torchvision's class).

    A :class:`DatasetFolder` whose files are those with one of :data:`IMG_EXTENSIONS`
    (unless ``is_valid_file`` is given) and whose loader is :func:`default_loader`.

    Args:
        root: the folder whose subfolders are the classes.
        transform: applied to each PIL image, e.g. ``lambda image: numpy.asarray(image)``
            or :class:`xpnet.data.transforms.ToTensor`. Default: ``None``.
        target_transform: applied to each class index. Default: ``None``.
        loader: ``path -> image``. Default: :func:`default_loader`.
        is_valid_file: ``path -> bool``, which files to keep. Default: ``None``.
        allow_empty: accept a class folder with no image. Default: ``False``.

    Attributes:
        classes, class_to_idx, samples, targets: as :class:`DatasetFolder`'s;
        imgs: the same list as ``samples``.

    Raises:
        FileNotFoundError: when ``root`` has no class folder ("Couldn't find any class
            folder"), or a class has no image ("Found no valid file for the classes").
        ImportError: on reading an image without Pillow installed.

    Example:
        >>> import os, tempfile
        >>> from xpnet.data import FakeData, ImageFolder
        >>> root = tempfile.mkdtemp()
        >>> os.mkdir(os.path.join(root, "noise"))
        >>> FakeData(1, image_size=(3, 4, 6))[0][0].save(os.path.join(root, "noise", "0.png"))
        >>> image, label = ImageFolder(root)[0]
        >>> image.mode, image.size, label
        ('RGB', (6, 4), 0)
    """

    def __init__(
        self,
        root,
        transform=None,
        target_transform=None,
        loader=default_loader,
        is_valid_file=None,
        allow_empty=False,
    ):
        super().__init__(
            root,
            loader,
            IMG_EXTENSIONS if is_valid_file is None else None,
            transform=transform,
            target_transform=target_transform,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
        self.imgs = self.samples
