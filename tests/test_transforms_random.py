"""torchvision's random transforms: ``get_params`` draws and their use, reproducibility under
``xpnet.manual_seed``, argument errors, reprs, and an end-to-end pipeline into a DataLoader."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet.data import DataLoader, Dataset
from xpnet.data import transforms as T
from xpnet.data.transforms import functional as F

Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(1)
U8 = RNG.integers(0, 256, (3, 20, 24), dtype=np.uint8)
PIC = Image.fromarray(np.ascontiguousarray(U8.transpose(1, 2, 0)))


def twice(transform, image, seed=3):
    """The transform's result twice after the same seed, as arrays."""
    results = []
    for _ in range(2):
        xpnet.manual_seed(seed)
        out = transform(image)
        results.append(np.asarray(out.numpy() if isinstance(out, xpnet.Tensor) else out))
    np.testing.assert_array_equal(results[0], results[1])
    return results[0]


def test_random_crop_uses_get_params_and_pads():
    xpnet.manual_seed(0)
    params = [T.RandomCrop.get_params(U8, (8, 10)) for _ in range(50)]
    assert {p[2:] for p in params} == {(8, 10)} and len({p[:2] for p in params}) > 10
    assert all(0 <= i <= 12 and 0 <= j <= 14 for i, j, _, _ in params)
    assert T.RandomCrop.get_params(U8, (20, 24)) == (0, 0, 20, 24)
    crop = T.RandomCrop(16, padding=4, fill=9, padding_mode="constant")
    xpnet.manual_seed(5)
    i, j, h, w = T.RandomCrop.get_params(F.pad(U8, 4, 9), (16, 16))
    expected = F.crop(F.pad(U8, 4, 9), i, j, h, w)
    np.testing.assert_array_equal(twice(crop, U8, seed=5), expected)
    np.testing.assert_array_equal(twice(crop, PIC, seed=5), expected.transpose(1, 2, 0))
    assert T.RandomCrop((30, 30), pad_if_needed=True)(PIC).size == (30, 30)
    assert T.RandomCrop((30, 26), pad_if_needed=True, padding_mode="edge")(U8).shape == (3, 30, 26)
    with pytest.raises(ValueError, match=r"Required crop size \(30, 30\) is larger than input"):
        T.RandomCrop(30)(U8)
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"


@pytest.mark.parametrize("cls", [T.RandomHorizontalFlip, T.RandomVerticalFlip])
def test_random_flips(cls):
    flip = F.hflip if cls is T.RandomHorizontalFlip else F.vflip
    np.testing.assert_array_equal(cls(p=1.0)(U8), flip(U8))
    assert cls(p=0.0)(U8) is U8
    xpnet.manual_seed(0)
    flipped = sum(cls()(U8) is not U8 for _ in range(200))
    assert 70 < flipped < 130
    assert repr(cls(0.3)) == f"{cls.__name__}(p=0.3)"


def test_random_resized_crop_params_and_fallback():
    xpnet.manual_seed(0)
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(U8, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 < h <= 20 and 0 < w <= 24 and i + h <= 20 and j + w <= 24
        assert 0.08 * 480 * 0.7 <= h * w <= 480
    # no try fits: the central crop of the ratio's bound
    assert T.RandomResizedCrop.get_params(U8, (4.0, 5.0), (0.5, 1.0)) == (0, 2, 20, 20)
    assert T.RandomResizedCrop.get_params(U8, (4.0, 5.0), (0.5, 1.5)) == (0, 0, 20, 24)
    wide = np.zeros((1, 10, 40), np.uint8)
    assert T.RandomResizedCrop.get_params(wide, (4.0, 5.0), (1.0, 2.0)) == (0, 10, 10, 20)
    tall = np.zeros((1, 41, 10), np.uint8)
    assert T.RandomResizedCrop.get_params(tall, (4.0, 5.0), (1.0, 2.0)) == (15, 0, 10, 10)
    transform = T.RandomResizedCrop(8)
    xpnet.manual_seed(2)
    i, j, h, w = T.RandomResizedCrop.get_params(U8, transform.scale, transform.ratio)
    np.testing.assert_array_equal(
        twice(transform, U8, seed=2), F.resized_crop(U8, i, j, h, w, [8, 8])
    )
    assert twice(transform, PIC, seed=2).shape == (8, 8, 3)
    assert repr(transform) == (
        "RandomResizedCrop(size=(8, 8), scale=(0.08, 1.0), ratio=(0.75, 1.3333), "
        "interpolation=bilinear, antialias=True)"
    )
    with pytest.raises(TypeError, match="Scale should be a sequence"):
        T.RandomResizedCrop(8, scale=0.5)
    with pytest.raises(TypeError, match="Ratio should be a sequence"):
        T.RandomResizedCrop(8, ratio=1)
    with pytest.warns(UserWarning, match=r"Scale and ratio should be of kind \(min, max\)"):
        T.RandomResizedCrop(8, scale=(1.0, 0.5))


def test_random_apply_choice_order():
    add_one, double = T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 2)
    assert T.RandomApply([add_one, double], p=1.0)(1) == 4
    assert T.RandomApply([add_one], p=0.0)(1) == 1
    assert twice(T.RandomApply([add_one, double]), 1) in (1, 4)
    xpnet.manual_seed(0)
    assert {T.RandomOrder([add_one, double])(1) for _ in range(30)} == {3, 4}
    assert {T.RandomChoice([add_one, double])(1) for _ in range(30)} == {2, 2 * 1}
    assert {T.RandomChoice([add_one, double], p=[0, 1])(5) for _ in range(10)} == {10}
    assert repr(T.RandomApply([add_one], p=0.3)) == "RandomApply(\n    p=0.3\n    Lambda()\n)"
    assert repr(T.RandomChoice([add_one])) == "RandomChoice(\n    Lambda()\n)(p=None)"
    assert repr(T.RandomOrder([add_one])) == "RandomOrder(\n    Lambda()\n)"
    with pytest.raises(TypeError, match="Argument transforms should be a sequence"):
        T.RandomOrder(add_one)
    with pytest.raises(TypeError, match="Argument p should be a sequence"):
        T.RandomChoice([add_one], p=1)


def test_random_grayscale_keeps_channels():
    assert T.RandomGrayscale(p=1.0)(PIC).mode == "RGB"
    assert T.RandomGrayscale(p=1.0)(U8).shape == (3, 20, 24)
    assert T.RandomGrayscale(p=1.0)(PIC.convert("L")).mode == "L"
    assert T.RandomGrayscale(p=0.0)(U8) is U8
    assert repr(T.RandomGrayscale()) == "RandomGrayscale(p=0.1)"


def test_color_jitter_params_order_and_checks():
    jitter = T.ColorJitter(brightness=0.4, contrast=(0.5, 1.5), saturation=0, hue=0.1)
    assert (
        jitter.brightness == (0.6, 1.4) and jitter.saturation is None and jitter.hue == (-0.1, 0.1)
    )
    assert T.ColorJitter(brightness=1.5).brightness == (0.0, 2.5)
    xpnet.manual_seed(4)
    order, b, c, s, h = T.ColorJitter.get_params(
        jitter.brightness, jitter.contrast, None, jitter.hue
    )
    assert sorted(order.tolist()) == [0, 1, 2, 3] and s is None
    assert 0.6 <= b <= 1.4 and 0.5 <= c <= 1.5 and -0.1 <= h <= 0.1
    expected = U8
    for fn_id in order:
        adjust = {0: (F.adjust_brightness, b), 1: (F.adjust_contrast, c), 3: (F.adjust_hue, h)}
        if int(fn_id) in adjust:
            expected = adjust[int(fn_id)][0](expected, adjust[int(fn_id)][1])
    np.testing.assert_array_equal(twice(jitter, U8, seed=4), expected)
    assert twice(jitter, PIC).shape == (20, 24, 3)
    assert (
        repr(T.ColorJitter(0.2))
        == "ColorJitter(brightness=(0.8, 1.2), contrast=None, saturation=None, hue=None)"
    )
    with pytest.raises(
        ValueError, match="If brightness is a single number, it must be non negative."
    ):
        T.ColorJitter(brightness=-1)
    with pytest.raises(
        TypeError, match="contrast should be a single number or a list/tuple with length 2."
    ):
        T.ColorJitter(contrast=[1, 2, 3])
    with pytest.raises(
        ValueError, match=r"hue values should be between \(-0.5, 0.5\), but got \[-0.6, 0.6\]."
    ):
        T.ColorJitter(hue=0.6)


def test_random_erasing_params_and_checks():
    image = RNG.random((3, 20, 24), dtype=np.float32)
    xpnet.manual_seed(0)
    for _ in range(20):
        i, j, h, w, v = T.RandomErasing.get_params(image, (0.02, 0.33), (0.3, 3.3), value=[0.5])
        assert 0 < h < 20 and 0 < w < 24 and i + h <= 20 and j + w <= 24 and v.shape == (1, 1, 1)
    _, _, h, w, v = T.RandomErasing.get_params(image, (0.02, 0.33), (0.3, 3.3), value=None)
    assert v.shape == (3, h, w) and v.dtype == np.float32
    assert T.RandomErasing.get_params(image, (2.0, 3.0), (1.0, 1.0))[:4] == (0, 0, 20, 24)
    erased = twice(T.RandomErasing(p=1.0, value=(1, 2, 3)), image)
    xpnet.manual_seed(3)
    _ = float(xpnet._random.host_generator().random())  # the draw for p
    i, j, h, w, v = T.RandomErasing.get_params(image, (0.02, 0.33), (0.3, 3.3), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(erased, F.erase(image, i, j, h, w, v))
    assert twice(T.RandomErasing(p=1.0, value="random"), xpnet.Tensor(image)).shape == image.shape
    assert repr(T.RandomErasing()) == (
        "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)"
    )
    with pytest.raises(ValueError, match="If value is a sequence, it should have either a single"):
        T.RandomErasing(p=1.0, value=[1, 2])(image)
    with pytest.raises(TypeError, match="Argument value should be either a number or str or a"):
        T.RandomErasing(value=None)
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="zero")
    with pytest.raises(ValueError, match="Scale should be between 0 and 1"):
        T.RandomErasing(scale=(0.5, 2))
    with pytest.raises(ValueError, match="Random erasing probability should be between 0 and 1"):
        T.RandomErasing(p=2)
    with pytest.raises(
        TypeError, match="img should be Tensor Image. Got <class 'PIL.Image.Image'>"
    ):
        T.RandomErasing()(PIC)


def test_gaussian_blur_transform():
    blur = T.GaussianBlur(5, sigma=(0.5, 1.5))
    xpnet.manual_seed(1)
    sigma = T.GaussianBlur.get_params(0.5, 1.5)
    assert 0.5 <= sigma <= 1.5
    np.testing.assert_array_equal(
        twice(blur, U8, seed=1), F.gaussian_blur(U8, (5, 5), [sigma, sigma])
    )
    assert twice(blur, PIC).shape == (20, 24, 3)
    assert repr(blur) == "GaussianBlur(kernel_size=(5, 5), sigma=(0.5, 1.5))"
    with pytest.raises(ValueError, match="Kernel size value should be an odd and positive number."):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="If sigma is a single number, it must be positive."):
        T.GaussianBlur(3, 0)
    with pytest.raises(
        ValueError, match=r"sigma values should be positive and of the form \(min, max\)."
    ):
        T.GaussianBlur(3, (2, 1))
    with pytest.raises(
        ValueError, match="sigma should be a single number or a list/tuple with length 2."
    ):
        T.GaussianBlur(3, (1, 2, 3))


def test_compose_lambda_to_tensor_reprs():
    composed = T.Compose([T.CenterCrop(10), T.ToTensor()])
    assert repr(composed) == "Compose(\n    CenterCrop(size=(10, 10))\n    ToTensor()\n)"
    assert repr(T.Lambda(abs)) == "Lambda()" and repr(T.PILToTensor()) == "PILToTensor()"
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


class Pictures(Dataset):
    def __init__(self, images, transform):
        self.images, self.transform = images, transform

    def __getitem__(self, index):
        return self.transform(self.images[index]), index

    def __len__(self):
        return len(self.images)


@pytest.mark.parametrize("kind", ["pil", "array"])
def test_cifar_style_pipeline_end_to_end(kind):
    mean, std = (0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)
    transform = T.Compose(
        [
            T.RandomCrop(32, padding=4),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize(mean, std),
        ]
    )
    raw = RNG.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    images = [Image.fromarray(a) for a in raw] if kind == "pil" else list(raw)
    if kind == "array":  # the tensor path wants (C, H, W); ToTensor wants (H, W, C)
        to_chw, to_hwc = (
            T.Lambda(lambda a: a.transpose(2, 0, 1)),
            T.Lambda(lambda a: a.transpose(1, 2, 0)),
        )
        transform = T.Compose(
            [
                to_chw,
                T.RandomCrop(32, padding=4),
                T.RandomHorizontalFlip(),
                to_hwc,
                T.ToTensor(),
                T.Normalize(mean, std),
            ]
        )
    xpnet.manual_seed(7)
    first = transform(images[0])
    xpnet.manual_seed(7)
    i, j, _, _ = T.RandomCrop.get_params(np.zeros((1, 40, 40)), (32, 32))
    flip = float(xpnet._random.host_generator().random()) < 0.5
    padded = np.pad(raw[0], ((4, 4), (4, 4), (0, 0)))[i : i + 32, j : j + 32]
    padded = padded[:, ::-1] if flip else padded
    expected = torch.from_numpy(padded.copy()).permute(2, 0, 1).float().div(255)
    expected = (expected - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    np.testing.assert_allclose(first.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
    loader = DataLoader(Pictures(images, transform), batch_size=4)
    batch, labels = next(iter(loader))
    assert batch.shape == (4, 3, 32, 32) and batch.dtype == np.float32
    assert labels.numpy().tolist() == [0, 1, 2, 3]
    assert math.isfinite(float(batch.numpy().sum()))


def test_tensors_on_another_backend_are_refused(backend):
    if backend.name == "numpy":
        assert isinstance(F.hflip(xpnet.Tensor(U8)), xpnet.Tensor)
        return
    device = xpnet.Tensor(backend.xp.asarray(U8))
    if isinstance(device.array, np.ndarray):  # the backend keeps NumPy arrays: on the host
        return
    with pytest.raises(TypeError, match="transforms work on host images"):
        F.hflip(device)


def test_library_imports_without_pillow_loaded():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['PIL'] = None; import numpy as np; "
        "from xpnet.data import transforms as T; "
        "print(T.RandomHorizontalFlip(1.0)(np.arange(4).reshape(1, 2, 2))[0, 0].tolist())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[1, 0]"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.to_tensor(PIC)
