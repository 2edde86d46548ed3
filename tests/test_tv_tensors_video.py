"""tv_tensors.Video through v2's functions and transforms, against torchvision 0.28's
(the real calls, same inputs): every frame gets the same parameters, Videos stay Videos."""

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision
from xpnet.data.transforms.v2 import functional as F

import xpnet
from xpnet.data import tv_tensors
from xpnet.data.transforms import v2

torchvision = import_torchvision()
from torchvision import tv_tensors as tv  # noqa: E402
from torchvision.transforms import v2 as T  # noqa: E402
from torchvision.transforms.v2 import functional as TF  # noqa: E402

RNG = np.random.default_rng(3)
VIDEO = RNG.random((2, 3, 6, 7))  # (T, C, H, W), float64
FRAMES = np.arange(3).reshape(3, 1, 1, 1) * np.ones((1, 3, 2, 2))
QUAD = [[0, 0], [6, 0], [6, 5], [0, 5]]

CALLS = [
    ("horizontal_flip", {}),
    ("crop", {"top": 1, "left": 2, "height": 3, "width": 4}),
    ("pad", {"padding": [1, 2]}),
    ("resize", {"size": [5, 9]}),
    ("rotate", {"angle": 30.0}),
    ("affine", {"angle": 10.0, "translate": [1, 2], "scale": 1.1, "shear": [5.0, 2.0]}),
    ("perspective", {"startpoints": QUAD, "endpoints": [[1, 0], [5, 1], [6, 5], [0, 4]]}),
    ("adjust_hue", {"hue_factor": 0.1}),  # an Image's float64 hue differs by 1e-6 too
    ("gaussian_blur", {"kernel_size": [3, 3]}),
    ("normalize", {"mean": [0.5] * 3, "std": [0.2] * 3}),
    ("permute_channels", {"permutation": [2, 0, 1]}),
    ("uniform_temporal_subsample", {"num_samples": 3}),
]


def video_pair(array):
    return tv_tensors.Video(array.copy()), tv.Video(torch.from_numpy(array.copy()))


def check(ours, theirs, atol=1e-12):
    assert type(ours).__name__ == type(theirs).__name__
    expected = theirs.numpy()
    assert xpnet.to_numpy(ours).dtype == expected.dtype
    np.testing.assert_allclose(xpnet.to_numpy(ours), expected, rtol=0, atol=atol)


@pytest.mark.parametrize(("name", "kwargs"), CALLS, ids=[name for name, _ in CALLS])
def test_functional_video_matches_torchvision(backend, name, kwargs):
    ours, theirs = video_pair(VIDEO)
    atol = 1e-6 if name == "adjust_hue" else 1e-12
    check(getattr(F, name)(ours, **kwargs), getattr(TF, name)(theirs, **kwargs), atol)
    kernel = getattr(F, f"{name}_video")  # torchvision's kernel name, on the plain array
    np.testing.assert_allclose(
        xpnet.to_numpy(kernel(ours.array, **kwargs)),
        getattr(TF, f"{name}_video")(theirs.as_subclass(torch.Tensor), **kwargs).numpy(),
        atol=atol,
    )


def test_video_construction_and_queries(backend):
    video = tv_tensors.Video(np.zeros((4, 3, 5, 6), np.uint8))
    theirs = tv.Video(torch.zeros(4, 3, 5, 6, dtype=torch.uint8))
    assert F.get_num_frames(video) == TF.get_num_frames(theirs) == 4
    assert F.get_num_channels(video) == TF.get_num_channels(theirs) == 3
    assert F.get_size(video) == TF.get_size(theirs)
    # torchvision prints "Video([[[[0., 0.]]]], )"; xpnet drops the empty ", " as for Image
    text = repr(tv.Video(torch.zeros(1, 1, 1, 2))).replace(", )", ")")
    assert repr(tv_tensors.Video(np.zeros((1, 1, 1, 2), np.float32))) == text
    with pytest.raises(ValueError):  # torchvision: ValueError for fewer than 4 dimensions
        tv.Video(torch.zeros(3, 5, 6))
    with pytest.raises(ValueError, match="4 dimensions"):
        tv_tensors.Video(np.zeros((3, 5, 6)))


def test_video_refused_where_torchvision_has_no_kernel(backend):
    ours, theirs = video_pair(VIDEO)
    image = tv_tensors.Image(VIDEO[0])
    for function in ("rgb_to_grayscale",):
        with pytest.raises(TypeError):
            getattr(TF, function)(theirs)
        with pytest.raises(TypeError, match=function):
            getattr(F, function)(ours)
    for function in ("get_num_frames", "uniform_temporal_subsample"):
        args = (3,) * (function != "get_num_frames")
        with pytest.raises(TypeError):
            getattr(TF, function)(tv.Image(torch.from_numpy(VIDEO[0])), *args)
        with pytest.raises(TypeError, match=function):
            getattr(F, function)(image, *args)


@pytest.mark.parametrize("num_samples", [1, 4, 15])
def test_uniform_temporal_subsample_indices(backend, num_samples):
    # 15 from 3 frames: torch's float32 linspace lands under 1 at the 8th (one rounding)
    ours, theirs = video_pair(FRAMES)
    expected = TF.uniform_temporal_subsample(theirs, num_samples)
    check(F.uniform_temporal_subsample(ours, num_samples), expected)
    plain = F.uniform_temporal_subsample(FRAMES, num_samples)
    assert isinstance(plain, np.ndarray)


TRANSFORMS = [
    ("Resize", ([4, 5],), {}),
    ("CenterCrop", (4,), {}),
    ("RandomHorizontalFlip", (), {"p": 1.0}),
    ("Grayscale", (), {}),  # no video kernel: the video passes through
    ("Normalize", ([0.5] * 3, [0.2] * 3), {}),
    ("UniformTemporalSubsample", (3,), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_transform_video_sample_matches_torchvision(backend, name, args, kwargs):
    ours, theirs = video_pair(VIDEO)
    label = np.arange(3)
    got_video, got_label = getattr(v2, name)(*args, **kwargs)(ours, label)
    video, expected = getattr(T, name)(*args, **kwargs)(theirs, torch.from_numpy(label))
    check(got_video, video)
    np.testing.assert_array_equal(got_label, expected.numpy())  # the label is no image


def test_to_dtype_scales_videos(backend):
    ours, theirs = video_pair((VIDEO * 255).astype(np.uint8))
    got = v2.ToDtype(xpnet.float32, scale=True)(ours)
    check(got, T.ToDtype(torch.float32, scale=True)(theirs), atol=0)


def test_random_transform_same_parameters_for_every_frame(backend):
    xpnet.manual_seed(0)
    video = tv_tensors.Video(np.repeat(VIDEO[:1], 3, axis=0))
    out = xpnet.to_numpy(v2.RandomResizedCrop(4)(video))
    assert type(v2.RandomResizedCrop(4)(video)) is tv_tensors.Video
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(out[0], out[2])


@pytest.mark.parametrize("channels", [1, 3])
def test_grayscale_to_rgb_and_rgb_transform(backend, channels):
    array = (RNG.random((2, channels, 3, 4)) * 255).astype(np.uint8)
    ours, theirs = tv_tensors.Image(array), tv.Image(torch.from_numpy(array))
    check(F.grayscale_to_rgb(ours), TF.grayscale_to_rgb(theirs), atol=0)
    check(v2.RGB()(ours), T.RGB()(theirs), atol=0)
    plain = F.grayscale_to_rgb_image(array)
    np.testing.assert_array_equal(plain, TF.grayscale_to_rgb_image(torch.from_numpy(array)))
    video, torch_video = video_pair(array)  # no video kernel: refused, passed through by RGB
    with pytest.raises(TypeError):
        TF.grayscale_to_rgb(torch_video)
    with pytest.raises(TypeError, match="grayscale_to_rgb"):
        F.grayscale_to_rgb(video)
    check(v2.RGB()(video), T.RGB()(torch_video), atol=0)
    assert F.get_num_channels(ours) == TF.get_num_channels(theirs) == channels


def test_mixup_cutmix_take_video_batches(backend):
    batch = RNG.random((2, 3, 3, 4, 4))
    for name in ("MixUp", "CutMix"):
        video, label = getattr(v2, name)(num_classes=3)(tv_tensors.Video(batch), np.array([0, 1]))
        assert type(video) is tv_tensors.Video and video.shape == batch.shape
        with pytest.raises(ValueError) as expected:  # one video is no batch: 5 dims expected
            getattr(T, name)(num_classes=3)(tv.Video(torch.from_numpy(batch[0])), torch.tensor([0]))
        with pytest.raises(ValueError, match=str(expected.value)):
            getattr(v2, name)(num_classes=3)(tv_tensors.Video(batch[0]), np.array([0]))
