"""v1's transforms under v2: their parameters drawn once per call (torchvision's
``make_params`` then ``transform`` per leaf), the same draws as v1's call, an image and its mask
transformed alike, and worker threads that neither repeat nor interleave each other's draws.
The oracle is v1's transform (itself tested against torchvision's formulas in torch) on each
leaf alone, from the same seed."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import xpnet
from xpnet._random import host_generator
from xpnet.data import transforms as T
from xpnet.data import transforms_v2_wrap as wrap
from xpnet.data.transforms import v2

Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(8)
HWC = RNG.integers(0, 256, (12, 14, 3), dtype=np.uint8)
CHW = np.ascontiguousarray(HWC.transpose(2, 0, 1))
PIC = Image.fromarray(HWC)
MASK = Image.fromarray(HWC[:, :, 0])
NEAREST = T.InterpolationMode.NEAREST

# (name, arguments): every v1 class with a parameter split, and some without draws
SPLIT_CASES = [
    ("RandomCrop", (5,), {"padding": [1, 2, 3, 0], "pad_if_needed": True}),
    ("RandomCrop", ((14, 17),), {"pad_if_needed": True, "fill": 3}),
    ("RandomResizedCrop", (6,), {"interpolation": NEAREST}),
    ("RandomHorizontalFlip", (), {}),
    ("RandomVerticalFlip", (), {}),
    ("RandomGrayscale", (), {"p": 0.5}),
    ("ColorJitter", (0.4, 0.4, 0.4, 0.1), {}),
    ("GaussianBlur", (3,), {"sigma": (0.1, 2.0)}),
    ("RandomRotation", (30,), {"fill": 7}),
    ("RandomAffine", (20,), {"translate": (0.2, 0.1), "scale": (0.8, 1.2), "shear": 10}),
    ("RandomPerspective", (), {"p": 0.7}),
    ("AutoAugment", (), {}),
    ("RandomInvert", (), {}),
    ("RandomPosterize", (3,), {}),
    ("RandomSolarize", (100,), {}),
    ("RandomAdjustSharpness", (2.0,), {}),
    ("RandomAutocontrast", (), {}),
    ("RandomEqualize", (), {}),
    ("CenterCrop", (5,), {}),
    ("Pad", (2,), {}),
]


def seeded(transform, *inputs, seed):
    xpnet.manual_seed(seed)
    return transform(*inputs)


def same(a, b):
    a = xpnet.to_numpy(a) if isinstance(a, xpnet.Tensor) else np.asarray(a)
    b = xpnet.to_numpy(b) if isinstance(b, xpnet.Tensor) else np.asarray(b)
    np.testing.assert_array_equal(a, b)


# v2's kernels round as torchvision v2's: up to one unit from v1's on tensor images
# (test_transforms_v2_color, test_transforms_v2_blend, test_transforms_v2_autoaugment)
V2_FORMULA = (
    "RandomAutocontrast",
    "RandomAdjustSharpness",
    "ColorJitter",
    "RandomGrayscale",
    "AutoAugment",
)


@pytest.mark.parametrize("name, args, kwargs", SPLIT_CASES)
def test_split_draws_what_v1_draws(name, args, kwargs):
    new, old = getattr(v2, name)(*args, **kwargs), getattr(T, name)(*args, **kwargs)
    for seed in range(6):
        for image in (CHW, xpnet.tensor(CHW), PIC):
            out, label = seeded(new, image, 3, seed=seed)
            state = host_generator().bit_generator.state
            expected = seeded(old, image, seed=seed)
            if name in V2_FORMULA and not isinstance(image, type(PIC)):
                difference = np.asarray(out, np.int16) - np.asarray(expected, np.int16)
                assert np.abs(difference).max() <= 1
            else:
                same(out, expected)
            assert label == 3
            # one set of draws, exactly v1's: the generator ends where v1's call leaves it
            assert state == host_generator().bit_generator.state


RGB_ONLY = ("ColorJitter", "RandomGrayscale", "AutoAugment", "RandomEqualize")


@pytest.mark.parametrize("name, args, kwargs", [c for c in SPLIT_CASES if c[0] not in RGB_ONLY])
def test_image_and_mask_get_the_same_parameters(name, args, kwargs):
    new, old = getattr(v2, name)(*args, **kwargs), getattr(T, name)(*args, **kwargs)
    for seed in range(6):
        image, mask = seeded(new, {"image": PIC, "mask": MASK}, seed=seed).values()
        same(image, seeded(old, PIC, seed=seed))
        same(mask, seeded(old, MASK, seed=seed))


def test_random_erasing_takes_the_first_tensor_and_draws_once():
    new, old = v2.RandomErasing(p=0.8, value="random"), T.RandomErasing(p=0.8, value="random")
    image = CHW.astype(np.float32) / 255
    for seed in range(6):
        same(seeded(new, image, seed=seed), seeded(old, image, seed=seed))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        new(PIC, MASK)
    with pytest.raises(ValueError, match="should have either a single value or 3"):
        seeded(v2.RandomErasing(p=1.0, value=[0.0, 1.0]), image, seed=0)


class DrawsAnOffset:
    """A v1-style transform without a parameter split: it draws as it applies."""

    def __call__(self, img):
        offset = int(host_generator().integers(0, 100))
        return np.asarray(img, dtype=np.int64) + offset


def test_only_the_three_op_loops_replay_their_draws():
    rewound = {
        name
        for name in set(v2.__all__) - {"V1Transform"}
        if isinstance(getattr(v2, name), type)
        and issubclass(getattr(v2, name), wrap.V1Transform)
        and getattr(v2, name).make_params is wrap.V1Transform.make_params
    }
    assert rewound == {"RandAugment", "TrivialAugmentWide", "AugMix"}
    for seed in range(4):  # one image each, as torchvision's: nothing to replay; v1's draws
        seeded(T.TrivialAugmentWide(), PIC, seed=seed)
        state = host_generator().bit_generator.state
        seeded(v2.TrivialAugmentWide(), PIC, seed=seed)  # v2's ops: test_transforms_v2_autoaugment
        assert host_generator().bit_generator.state == state
    # the fallback, for a v1 class without a split: the mask replays the image's draws
    transform = wrap.wrap_v1(DrawsAnOffset)()
    for seed in range(4):
        image, mask = seeded(transform, PIC, MASK, seed=seed)
        same(image, seeded(DrawsAnOffset(), PIC, seed=seed))
        same(mask, seeded(DrawsAnOffset(), MASK, seed=seed))


def run_in_threads(transform, samples, threads=2):
    """``transform`` on each of ``samples``, split between ``threads`` threads run at once."""
    results = [None] * len(samples)
    start = threading.Barrier(threads)

    def work(offset):
        start.wait()
        for index in range(offset, len(samples), threads):
            results[index] = transform(samples[index])

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to provoke races
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(old_interval)
    return results


@pytest.mark.parametrize("name", ["RandomResizedCrop", "RandAugment"])
def test_threads_draw_as_sequential_calls(name):
    # RandAugment's v1 loop under the fallback, which replays the image's draws for the mask
    if name == "RandAugment":
        transform = wrap.wrap_v1(T.RandAugment)()
    else:
        transform = v2.RandomResizedCrop(6)
    samples = [(PIC, MASK)] * 300
    xpnet.manual_seed(0)
    sequential = [transform(sample) for sample in samples]
    xpnet.manual_seed(0)
    concurrent = run_in_threads(transform, samples)

    def key(pair):
        return np.asarray(pair[0]).tobytes() + np.asarray(pair[1]).tobytes()

    # which thread got which draws depends on the schedule; the draws themselves do not
    assert sorted(map(key, concurrent)) == sorted(map(key, sequential))
    expected = {key(pair) for pair in sequential}
    assert all(key(pair) in expected for pair in concurrent)  # each mask cut as its image
