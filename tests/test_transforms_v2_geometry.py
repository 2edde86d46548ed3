"""torchvision v2's ``RandomResize``, ``ScaleJitter``, ``RandomShortestSize``, ``RandomZoomOut``
and ``ElasticTransform``: torchvision's ``make_params`` re-computed in torch (float32 where
torchvision computes on ``torch.rand``'s tensor) on the draws replayed from xpnet's host
generator, the images against torch's ``interpolate``, ``pad`` and ``grid_sample``, the
argument checks and the reprs (torchvision is not installed here)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from _torchvision import import_torchvision
from xpnet.data.transforms.v2 import functional as F2

import xpnet
from xpnet.data.transforms import v2

import_torchvision()  # torchvision's ElasticTransform draws the displacement below
Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(13)
HWC = RNG.integers(0, 256, (10, 14, 3), dtype=np.uint8)
CHW = np.ascontiguousarray(HWC.transpose(2, 0, 1))
F64 = RNG.random((3, 10, 14))
PIC = Image.fromarray(HWC)
MASK = Image.fromarray(HWC[:, :, 0])
NEAREST = v2.InterpolationMode.NEAREST


def seeded(transform, *inputs, seed):
    xpnet.manual_seed(seed)
    return transform(*inputs)


def rand32(generator, size=1):
    """``torch.rand(size)``, replayed: the float32 draws xpnet makes for it."""
    return torch.from_numpy(np.atleast_1d(generator.random(size, dtype=np.float32)))


def torch_resize(image, size):
    x = torch.from_numpy(image)[None]
    return tF.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)[0]


# ------------------------------------------------------------------------------ resizing


def test_random_resize_draws_the_smaller_edge():
    sizes = set()
    for seed in range(30):
        out, label = seeded(v2.RandomResize(4, 9), F64, 3, seed=seed)
        size = int(xpnet.manual_seed(seed).integers(4, 9))  # torch.randint(4, 9, ())
        expected = torch_resize(F64, (size, int(size * 14 / 10)))
        np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)
        assert label == 3
        sizes.add(size)
    assert sizes == set(range(4, 9))
    with pytest.raises(RuntimeError, match="min_size must be less than max_size, got"):
        v2.RandomResize(5, 5)(F64)
    assert repr(v2.RandomResize(4, 9)) == (
        "RandomResize(min_size=4, max_size=9, interpolation=bilinear, antialias=True)"
    )


@pytest.mark.parametrize("scale_range", [(0.1, 2.0), (0.5, 1.7)])
def test_scale_jitter_matches_torchvision_float32_formula(scale_range):
    target = (16, 8)
    for seed in range(8):
        out = seeded(v2.ScaleJitter(target, scale_range), F64, seed=seed)
        low, high = scale_range
        scale = low + rand32(xpnet.manual_seed(seed)) * (high - low)  # a float32 tensor
        r = min(target[1] / 10, target[0] / 14) * scale
        size = (int(10 * r), int(14 * r))
        expected = torch_resize(F64, size)
        np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)
    assert repr(v2.ScaleJitter((8, 8))).startswith("ScaleJitter(target_size=(8, 8), scale_range")


def test_float32_draws_give_torchvisions_sizes_on_large_images():
    # sizes where float64 arithmetic truncates to another size in about 1 draw of 10
    H, W, target = 1234567, 3000017, 2000003
    image = np.broadcast_to(np.zeros((), np.uint8), (3, H, W))  # the size alone, no memory
    jitter, zoom = v2.ScaleJitter((target, target)), v2.RandomZoomOut(side_range=(1.0, 3.3))
    for seed in range(100):
        xpnet.manual_seed(seed)
        size = jitter.make_params([image])["size"]
        scale = 0.1 + rand32(xpnet.manual_seed(seed)) * (2.0 - 0.1)
        r = min(target / H, target / W) * scale
        assert size == (int(H * r), int(W * r))
        xpnet.manual_seed(seed)
        padding = zoom.make_params([image])["padding"]
        generator = xpnet.manual_seed(seed)
        expected = torchvision_zoom_padding(generator, 0.5, (1.0, 3.3), H, W, coin=False)
        assert padding == expected


def test_random_shortest_size_picks_a_size_and_caps_the_longer_edge():
    transform = v2.RandomShortestSize([4, 6, 8], max_size=10)
    for seed in range(8):
        out = seeded(transform, F64, seed=seed)
        min_size = [4, 6, 8][int(xpnet.manual_seed(seed).integers(3))]
        r = min(min_size / 10, 10 / 14)
        assert out.shape == (3, int(10 * r), int(14 * r))
        expected = torch_resize(F64, out.shape[1:])
        np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)
    assert seeded(v2.RandomShortestSize(5), CHW, seed=0).shape == (3, 5, 7)
    image, mask = seeded(v2.RandomShortestSize(5, interpolation=NEAREST), PIC, MASK, seed=0)
    assert image.size == mask.size == (7, 5)
    assert (np.asarray(image)[:, :, 0] == np.asarray(mask)).all()


# ------------------------------------------------------------------------------ zoom out


def torchvision_zoom_padding(generator, p, side_range, height, width, coin=True):
    """torchvision's coin (``forward``'s) and ``make_params``, in torch, on the replayed draws."""
    if coin and generator.random() >= p:
        return None
    r = side_range[0] + rand32(generator) * (side_range[1] - side_range[0])
    canvas_width, canvas_height = int(width * r), int(height * r)
    r = rand32(generator, 2)
    left, top = int((canvas_width - width) * r[0]), int((canvas_height - height) * r[1])
    return [left, top, canvas_width - (left + width), canvas_height - (top + height)]


@pytest.mark.parametrize("fill", [0, 7, [1, 2, 3]])
def test_random_zoom_out_matches_torchvision_formula(fill):
    transform = v2.RandomZoomOut(fill=fill, side_range=(1.0, 2.5))
    skipped = 0
    for seed in range(10):
        out, label = seeded(transform, CHW, 5, seed=seed)
        padding = torchvision_zoom_padding(xpnet.manual_seed(seed), 0.5, (1.0, 2.5), 10, 14)
        if padding is None:
            assert out is CHW
            skipped += 1
            continue
        left, top, right, bottom = padding
        canvas = torch.tensor(fill, dtype=torch.uint8).reshape(-1, 1, 1)
        canvas = canvas.expand(3, top + 10 + bottom, left + 14 + right).clone()
        canvas[:, top : top + 10, left : left + 14] = torch.from_numpy(CHW)
        np.testing.assert_array_equal(out, canvas.numpy())
        assert label == 5
        picture = seeded(transform, PIC, seed=seed)
        np.testing.assert_array_equal(np.asarray(picture), canvas.permute(1, 2, 0).numpy())
    assert 0 < skipped < 10


def test_random_zoom_out_errors_and_repr():
    with pytest.raises(ValueError, match=r"Invalid side range provided \(0.5, 2.0\)"):
        v2.RandomZoomOut(side_range=(0.5, 2.0))
    with pytest.raises(ValueError, match=r"Invalid side range provided \(3.0, 2.0\)"):
        v2.RandomZoomOut(side_range=(3.0, 2.0))
    with pytest.raises(TypeError, match="side_range should be a sequence of length 2"):
        v2.RandomZoomOut(side_range=2.0)
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        v2.RandomZoomOut(fill="white")
    with pytest.raises(ValueError, match=r"`p` should be a floating point value"):
        v2.RandomZoomOut(p=1.5)
    assert repr(v2.RandomZoomOut()) == "RandomZoomOut(p=0.5, fill=0, side_range=(1.0, 4.0))"


# ------------------------------------------------------------------------------- elastic


def torch_blur(noise, kernel, sigma):
    """torchvision's ``gaussian_blur`` of a (1, 1, H, W) float32 tensor."""

    def kernel1d(s):
        x = torch.linspace(-(kernel - 1) * 0.5, (kernel - 1) * 0.5, steps=kernel)
        pdf = torch.exp(-0.5 * (x / s).pow(2))
        return pdf / pdf.sum()

    weight = torch.mm(kernel1d(sigma[1])[:, None], kernel1d(sigma[0])[None, :])[None, None]
    half = kernel // 2
    return tF.conv2d(tF.pad(noise, [half] * 4, mode="reflect"), weight)


def torchvision_displacement(generator, alpha, sigma, height, width):
    """torchvision's own ``ElasticTransform.make_params``, its ``torch.rand`` replayed."""
    draws = iter([rand32(generator, (1, 1, height, width)) for _ in range(2)])
    from torchvision import tv_tensors
    from torchvision.transforms import v2 as tv2

    image = tv_tensors.Image(torch.zeros(1, height, width))
    transform = tv2.ElasticTransform(alpha=alpha, sigma=sigma)
    with mock.patch.object(torch, "rand", lambda *size: next(draws)):
        return transform.make_params([image])["displacement"]


def torchvision_elastic(image, displacement, mode, fill):
    """torchvision's ``elastic_image`` and ``_apply_grid_transform``, in torch."""
    dtype = image.dtype if image.is_floating_point() else torch.float32
    H, W = image.shape[-2:]
    grid = torch.empty(1, H, W, 2, dtype=dtype)
    grid[..., 0] = torch.linspace((-W + 1) / W, (W - 1) / W, W, dtype=dtype)
    grid[..., 1] = torch.linspace((-H + 1) / H, (H - 1) / H, H, dtype=dtype)[:, None]
    grid = grid + displacement.to(dtype)
    x = torch.cat([image[None].to(dtype), torch.ones(1, 1, H, W, dtype=dtype)], 1)
    out = tF.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    out, mask = out[:, :-1], out[:, -1:].expand(1, image.shape[0], H, W)
    fill_image = torch.tensor(fill, dtype=dtype).reshape(1, -1, 1, 1).expand_as(out)
    if mode == "nearest":
        out = torch.where(mask < 0.5, fill_image, out)
    else:
        out = (out - fill_image) * mask + fill_image
    return out[0] if image.is_floating_point() else out[0].round().to(image.dtype)


@pytest.mark.parametrize("alpha, sigma, fill", [(30.0, 1.5, 0), ((8.0, 3.0), (1.0, 0.5), 0.5)])
def test_elastic_transform_matches_torchvision_formula(alpha, sigma, fill):
    transform = v2.ElasticTransform(alpha=alpha, sigma=sigma, fill=fill)
    alphas, sigmas = transform.alpha, transform.sigma
    for seed in range(3):
        out, label = seeded(transform, F64, 1, seed=seed)
        displacement = torchvision_displacement(xpnet.manual_seed(seed), alphas, sigmas, 10, 14)
        expected = torchvision_elastic(torch.from_numpy(F64), displacement, "bilinear", fill)
        # the displacement is float32 (torchvision's), blurred by sums in another order
        np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-6)
        assert label == 1 and not np.allclose(out, F64)
        out8 = seeded(transform, CHW, seed=seed)
        expected8 = torchvision_elastic(torch.from_numpy(CHW), displacement, "bilinear", fill)
        # float32 sums in another order may round a .5 the other way: at most 1 apart
        assert np.abs(out8.astype(int) - expected8.numpy().astype(int)).max() <= 1


def test_elastic_gives_an_image_and_its_mask_the_same_field():
    transform = v2.ElasticTransform(alpha=40.0, sigma=1.0, interpolation=NEAREST)
    image, mask = seeded(transform, PIC, MASK, seed=2)
    assert (np.asarray(image)[:, :, 0] == np.asarray(mask)).all()
    assert not (np.asarray(mask) == HWC[:, :, 0]).all()


def test_elastic_errors_and_repr():
    with pytest.raises(TypeError, match="Argument displacement should be a Tensor"):
        F2.elastic(F64, [[0.0]])
    with pytest.raises(ValueError, match=r"displacement shape should be \(1, 10, 14, 2\)"):
        F2.elastic(F64, np.zeros((1, 14, 10, 2)))
    with pytest.raises(ValueError, match="Interpolation mode 'bicubic' is unsupported"):
        F2.elastic(F64, np.zeros((1, 10, 14, 2)), v2.InterpolationMode.BICUBIC)
    with pytest.raises(TypeError, match="alpha should be a number or a sequence of numbers"):
        v2.ElasticTransform(alpha=None)
    with pytest.raises(ValueError, match="If sigma is a sequence its length should be 1 or 2"):
        v2.ElasticTransform(sigma=[1.0, 2.0, 3.0])
    assert F2.elastic_transform is F2.elastic
    assert repr(v2.ElasticTransform(sigma=[2])) == (
        "ElasticTransform(alpha=[50.0, 50.0], sigma=[2.0, 2.0], interpolation=bilinear, fill=0)"
    )
