"""Write ``photometric_fixtures.npz``: torchvision's posterize, solarize, adjust_sharpness,
autocontrast, equalize, invert and adjust_gamma outputs, errors and reprs, which
``tests/test_transforms_photometric.py`` compares xpnet's against.

xpnet's tests never import torchvision; this script is run by hand, in a separate
environment that has it, whenever the cases change:

    python3 -m venv /tmp/tv_venv
    /tmp/tv_venv/bin/pip install torch==2.14.1 torchvision==0.29.1 pillow numpy
    /tmp/tv_venv/bin/python tests/data/make_photometric_fixtures.py

The file holds the input images, the cases (JSON: function, image, arguments), each case's
output, the errors torchvision raises (type and message) and the reprs of the random
transforms.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def images():
    """The inputs: uint8, int16, float32 and float64 images, batches, degenerate and badly
    shaped images, the PIL forms of ``u8``, and ``eq_u8``: 24 x 24 pixels of 16 levels, so
    that ``equalize``'s step is 2 (it is 1 for ``u8``)."""
    rng = np.random.default_rng(0)
    u8 = rng.integers(20, 220, (3, 16, 24), dtype=np.uint8)
    eq_u8 = (rng.integers(0, 16, (3, 24, 24)) * 9 + 40).astype(np.uint8)
    const = rng.integers(0, 256, (3, 4, 5), dtype=np.uint8)
    const[1] = 77  # a constant channel: autocontrast keeps it, equalize's step is 0
    return {
        "u8": u8,
        "f32": (rng.random((3, 7, 9), dtype=np.float32) * 0.8 + 0.1).astype(np.float32),
        "f64": rng.random((1, 7, 9)),
        "i16": rng.integers(0, 32768, (1, 4, 5), dtype=np.int16),
        "batch_u8": np.stack([u8[::-1], u8 // 2 + 60]),
        "batch_f32": rng.random((2, 3, 7, 9), dtype=np.float32),
        "batch5_u8": rng.integers(0, 256, (2, 2, 1, 5, 6), dtype=np.uint8),
        "const_u8": const,
        "tiny_u8": rng.integers(0, 256, (3, 2, 5), dtype=np.uint8),
        "u8_2d": u8[0, :4, :5].copy(),
        "u8_4c": rng.integers(0, 256, (4, 3, 3), dtype=np.uint8),
        "u8_1d": u8[0, 0, :5].copy(),
        "eq_u8": eq_u8,
        "pil_rgb": np.ascontiguousarray(u8.transpose(1, 2, 0)),
        "pil_eq": np.ascontiguousarray(eq_u8.transpose(1, 2, 0)),
        "pil_l": u8[0],
    }


def cases():
    """``(function, image, kwargs)`` for every fixture."""
    out = [("posterize", "u8", {"bits": bits}) for bits in (0, 1, 4, 8)]
    out += [("posterize", name, {"bits": 3}) for name in ("batch_u8", "batch5_u8")]
    out += [("posterize", name, {"bits": 2}) for name in ("pil_rgb", "pil_l")]
    out += [("solarize", "u8", {"threshold": t}) for t in (0, 128, 100.5, 255)]
    out += [("solarize", "f32", {"threshold": 0.5}), ("solarize", "i16", {"threshold": 20000})]
    out += [("solarize", name, {"threshold": 128}) for name in ("batch_u8", "pil_rgb", "pil_l")]
    sharpness = [("u8", 0.0), ("u8", 0.3), ("u8", 1.7), ("f32", 0.3), ("f32", 2.0)]
    sharpness += [("f64", 1.7), ("batch_u8", 0.6), ("batch_f32", 0.6), ("tiny_u8", 2.0)]
    sharpness += [("pil_rgb", 0.3), ("pil_rgb", 2.0), ("pil_l", 1.7)]
    out += [("adjust_sharpness", name, {"sharpness_factor": f}) for name, f in sharpness]
    contrast = ["u8", "f32", "f64", "i16", "batch_u8", "batch_f32", "batch5_u8", "const_u8"]
    out += [("autocontrast", name, {}) for name in [*contrast, "pil_rgb", "pil_l"]]
    equalized = ["u8", "eq_u8", "batch_u8", "const_u8", "pil_rgb", "pil_l", "pil_eq"]
    out += [("equalize", name, {}) for name in equalized]
    inverted = ["u8", "f32", "i16", "batch_f32", "batch5_u8", "pil_rgb", "pil_l"]
    out += [("invert", name, {}) for name in inverted]
    gammas = [("u8", 0.5, 1), ("u8", 2.2, 1), ("u8", 0.7, 0.8), ("u8", 1.5, 1.3), ("u8", 0, 1)]
    gammas += [("f32", 0.5, 1), ("f32", 2.2, 0.9), ("f64", 1.7, 1), ("batch_f32", 0.8, 1.2)]
    gammas += [("pil_rgb", 2.2, 1), ("pil_rgb", 0.5, 0.8), ("pil_l", 0.7, 1)]
    out += [("adjust_gamma", name, {"gamma": g, "gain": k}) for name, g, k in gammas]
    return [dict(zip(["function", "image", "kwargs"], case, strict=True)) for case in out]


def errors():
    """``(function, image, kwargs)`` that torchvision refuses; ``list`` stands for ``[1, 2]``."""
    out = [("posterize", "u8", {"bits": 9}), ("posterize", "pil_rgb", {"bits": -1})]
    out += [("posterize", name, {"bits": 2}) for name in ("f32", "u8_2d", "u8_4c", "list")]
    out += [("solarize", "u8", {"threshold": 256}), ("solarize", "f32", {"threshold": 1.5})]
    out += [("solarize", name, {"threshold": 1}) for name in ("u8_2d", "u8_4c")]
    out += [("invert", name, {}) for name in ("u8_2d", "u8_4c", "u8_1d", "list")]
    out += [("adjust_sharpness", "u8", {"sharpness_factor": -1})]
    out += [("adjust_sharpness", "u8_4c", {"sharpness_factor": 2})]
    out += [("autocontrast", name, {}) for name in ("u8_2d", "u8_4c")]
    out += [("equalize", name, {}) for name in ("f32", "batch5_u8", "u8_2d", "u8_4c", "list")]
    out += [("adjust_gamma", name, {"gamma": -1}) for name in ("u8", "pil_rgb")]
    out += [("adjust_gamma", name, {"gamma": 2}) for name in ("u8_4c", "list")]
    return [list(case) for case in out]


def as_input(name, inputs):
    import torch
    from PIL import Image

    if name == "list":
        return [1, 2]
    if name.startswith("pil"):
        return Image.fromarray(inputs[name])
    return torch.from_numpy(inputs[name])


def run(case, inputs):
    from PIL import Image
    from torchvision.transforms import functional as F

    out = getattr(F, case["function"])(as_input(case["image"], inputs), **case["kwargs"])
    return np.asarray(out) if isinstance(out, Image.Image) else out.numpy()


def raised(case, inputs):
    from torchvision.transforms import functional as F

    function, name, kwargs = case
    try:
        getattr(F, function)(as_input(name, inputs), **kwargs)
    except (TypeError, ValueError) as error:
        return [*case, type(error).__name__, str(error)]
    msg = f"torchvision accepted {case}"
    raise AssertionError(msg)


def reprs():
    """``(class, kwargs, repr)`` of the random photometric transforms."""
    from torchvision import transforms as T

    made = [
        ("RandomPosterize", {"bits": 2}),
        ("RandomPosterize", {"bits": 4, "p": 0.3}),
        ("RandomSolarize", {"threshold": 128}),
        ("RandomSolarize", {"threshold": 0.5, "p": 1.0}),
        ("RandomAdjustSharpness", {"sharpness_factor": 2}),
        ("RandomAdjustSharpness", {"sharpness_factor": 0.5, "p": 0.25}),
        ("RandomAutocontrast", {}),
        ("RandomAutocontrast", {"p": 0.1}),
        ("RandomEqualize", {}),
        ("RandomInvert", {"p": 1}),
    ]
    return [[name, kwargs, repr(getattr(T, name)(**kwargs))] for name, kwargs in made]


def main():
    inputs = images()
    all_cases = cases()
    arrays = {f"input_{name}": value for name, value in inputs.items()}
    for index, case in enumerate(all_cases):
        arrays[f"output_{index}"] = run(case, inputs)
    meta = {
        "cases": all_cases,
        "errors": [raised(case, inputs) for case in errors()],
        "reprs": reprs(),
    }
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(HERE / "photometric_fixtures.npz", **arrays)


if __name__ == "__main__":
    main()
