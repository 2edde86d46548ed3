"""Write ``geometry_fixtures.npz``: torchvision's rotate, affine and perspective outputs,
which ``tests/test_transforms_geometry.py`` compares xpnet's against.

xpnet's tests never import torchvision; this script is run by hand, in a separate
environment that has it, whenever the cases change:

    python3 -m venv /tmp/tv_venv
    /tmp/tv_venv/bin/pip install torch==2.14.1 torchvision==0.29.1 pillow numpy
    /tmp/tv_venv/bin/python tests/data/make_geometry_fixtures.py

The file holds the input images, the cases (JSON: function, image, arguments), each case's
output, torchvision's ``_compute_affine_output_size`` for a few rotations, and the reprs
of the random transforms.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CORNERS = [[0, 0], [8, 0], [8, 6], [0, 6]]


def images():
    """The inputs: small uint8, float32 and float64 images, a batch, and their PIL forms."""
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, (3, 7, 9), dtype=np.uint8)
    return {
        "u8": u8,
        "f32": rng.random((3, 7, 9), dtype=np.float32),
        "f64": rng.random((1, 7, 9)),
        "batch": rng.random((2, 3, 7, 9), dtype=np.float32),
        "pil_rgb": np.ascontiguousarray(u8.transpose(1, 2, 0)),
        "pil_l": u8[0],
    }


def cases():
    """``(function, image, interpolation, kwargs)`` for every fixture."""
    out = []
    tensors, pils = ["u8", "f32", "batch"], ["pil_rgb", "pil_l"]
    rotations = [
        {"angle": 30.0},
        {"angle": -45.5, "expand": True},
        {"angle": 90, "expand": True},
        {"angle": 17.0, "center": [2, 3], "fill": 7},
        {"angle": 200.0, "fill": [10, 20, 30]},
    ]
    affines = [
        {"angle": 25.0, "translate": [1, -2], "scale": 0.8, "shear": 10.0},
        {"angle": -10, "translate": [0, 1], "scale": 1.3, "shear": [5.0, -8.0], "fill": 9},
        {"angle": 40.0, "translate": [2, 0], "scale": 1.0, "shear": [12.0], "center": [1, 5]},
    ]
    perspectives = [
        {"endpoints": [[1, 1], [7, 0], [8, 5], [0, 6]]},
        {"endpoints": [[2, 0], [8, 2], [6, 6], [1, 4]], "fill": [3, 60, 200]},
    ]
    for mode in ["NEAREST", "BILINEAR"]:
        for kwargs in rotations:
            out += [("rotate", name, mode, kwargs) for name in tensors + pils]
        for kwargs in affines:
            out += [("affine", name, mode, kwargs) for name in tensors + pils]
        for kwargs in perspectives:
            kwargs = {"startpoints": CORNERS, **kwargs}
            out += [("perspective", name, mode, kwargs) for name in tensors + pils]
    out += [("rotate", "f64", "BILINEAR", {"angle": 33.0, "expand": True, "fill": 0.25})]
    out += [("affine", "f32", "BILINEAR", {**affines[0], "fill": 0.5})]
    out += [("rotate", "pil_rgb", "BICUBIC", {"angle": 20.0, "expand": True})]
    keys = ["function", "image", "interpolation", "kwargs"]
    return [dict(zip(keys, case, strict=True)) for case in out]


def _single_fill(case, channels):
    """RGB fills are per channel: an L image gets the first value only."""
    fill = case["kwargs"].get("fill")
    if isinstance(fill, list) and channels == 1:
        case["kwargs"] = {**case["kwargs"], "fill": fill[:1]}
    return case


def run(case, inputs):
    import torch
    from PIL import Image
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as F

    image = inputs[case["image"]]
    if case["image"].startswith("pil"):
        image = Image.fromarray(image)
    else:
        image = torch.from_numpy(image)
    kwargs = dict(case["kwargs"])
    mode = InterpolationMode[case["interpolation"]]
    out = getattr(F, case["function"])(image, interpolation=mode, **kwargs)
    return np.asarray(out) if isinstance(out, Image.Image) else out.numpy()


def reprs():
    """``(class, kwargs, repr)`` of the random geometric transforms."""
    from torchvision import transforms as T

    made = [
        ("RandomRotation", {"degrees": 30}),
        ("RandomRotation", {"degrees": [-10, 20], "expand": True, "center": [1, 2], "fill": 5}),
        ("RandomRotation", {"degrees": 3.5, "interpolation": "BILINEAR", "fill": [1, 2, 3]}),
        ("RandomAffine", {"degrees": 0}),
        ("RandomAffine", {"degrees": 15, "translate": (0.1, 0.2), "scale": (0.9, 1.1)}),
        ("RandomAffine", {"degrees": (-5, 5), "shear": 8, "interpolation": "BILINEAR"}),
        ("RandomAffine", {"degrees": 5, "shear": [1, 2, 3, 4], "fill": 3, "center": (2, 2)}),
        ("RandomPerspective", {}),
        ("RandomPerspective", {"distortion_scale": 0.3, "p": 1.0, "fill": [1, 2, 3]}),
    ]
    out = []
    for name, kwargs in made:
        kwargs = json.loads(json.dumps(kwargs))  # tuples become lists, as the test reads them
        built = dict(kwargs)
        if "interpolation" in built:
            built["interpolation"] = T.InterpolationMode[built["interpolation"]]
        out.append([name, kwargs, repr(getattr(T, name)(**built))])
    return out


def output_sizes():
    """``[w, h, angle, (ow, oh)]`` of ``_compute_affine_output_size`` for rotations."""
    from torchvision.transforms import _functional_tensor as FT
    from torchvision.transforms import functional as F

    out = []
    for w, h in [(9, 7), (3, 2), (16, 16), (31, 5)]:
        for angle in [0.0, 30.0, -45.5, 90.0, 135.0, 180.0, 271.3]:
            matrix = F._get_inverse_affine_matrix([0.0, 0.0], -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
            out.append([w, h, angle, list(FT._compute_affine_output_size(matrix, w, h))])
    return out


def main():
    from torchvision.transforms import functional as F

    inputs = images()
    all_cases = cases()
    arrays = {f"input_{name}": value for name, value in inputs.items()}
    for index, case in enumerate(all_cases):
        channels = 1 if case["image"] == "pil_l" else 3
        _single_fill(case, 1 if case["image"] == "f64" else channels)
        arrays[f"output_{index}"] = run(case, inputs)
    coeffs = [
        [CORNERS, ends, F._get_perspective_coeffs(CORNERS, ends)]
        for ends in ([[1, 1], [7, 0], [8, 5], [0, 6]], [[2, 0], [8, 2], [6, 6], [1, 4]])
    ]
    meta = {"cases": all_cases, "reprs": reprs(), "sizes": output_sizes(), "coeffs": coeffs}
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(HERE / "geometry_fixtures.npz", **arrays)


if __name__ == "__main__":
    main()
