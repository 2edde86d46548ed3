"""Write ``autoaugment_fixtures.npz``: torchvision's automatic augmentation tables and
``_apply_op`` outputs, which ``tests/test_transforms_autoaugment.py`` compares xpnet's against.

xpnet's tests never import torchvision; this script is run by hand, in a separate
environment that has it, whenever the cases change:

    python3 -m venv /tmp/tv_venv
    /tmp/tv_venv/bin/pip install torch==2.14.1 torchvision==0.29.1 pillow numpy
    /tmp/tv_venv/bin/python tests/data/make_autoaugment_fixtures.py

The random draws of the transforms are torch's (xpnet draws its own), so the file holds the
deterministic pieces: the policies and each class's op table (names, magnitudes per bin,
signed flags), ``_apply_op``'s output for every op on uint8 PIL and tensor images, AugMix's
mix with fixed Dirichlet weights and a one-op table (no random choice left), and reprs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SIZE = (8, 10)  # (H, W) of the images; the tables are written for (32, 40) too


def images():
    """Small uint8 inputs: an RGB tensor image, a batch, one channel, and their PIL forms."""
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, (3, *SIZE), dtype=np.uint8)
    return {
        "u8": u8,
        "batch": rng.integers(0, 256, (2, 3, *SIZE), dtype=np.uint8),
        "gray": rng.integers(30, 200, (1, *SIZE), dtype=np.uint8),
        "pil_rgb": np.ascontiguousarray(u8.transpose(1, 2, 0)),
        "pil_l": u8[1],
    }


def op_cases():
    """``(op_name, magnitude, interpolation, fill)`` for every ``_apply_op`` fixture."""
    geometric = [
        ("ShearX", 0.3),
        ("ShearX", -0.17),
        ("ShearY", 0.25),
        ("TranslateX", 4.6),
        ("TranslateX", -3.0),
        ("TranslateY", 2.9),
        ("Rotate", 30.0),
        ("Rotate", -13.5),
    ]
    out = [(name, m, "NEAREST", None) for name, m in geometric]
    out += [(name, m, "BILINEAR", 7) for name, m in geometric if m > 0]
    out += [("Brightness", 0.5), ("Brightness", -0.6), ("Color", 0.9), ("Color", -0.45)]
    out += [("Contrast", 0.7), ("Contrast", -0.3), ("Sharpness", 0.9), ("Sharpness", -0.45)]
    out += [("Posterize", 4.0), ("Posterize", 7.0), ("Solarize", 128.0), ("Solarize", 200.5)]
    out += [("AutoContrast", 0.0), ("Equalize", 0.0), ("Invert", 0.0), ("Identity", 0.0)]
    return [case if len(case) == 4 else (*case, "NEAREST", None) for case in out]


def apply_op(name, image, case):
    import torch
    from PIL import Image
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.autoaugment import _apply_op

    op_name, magnitude, interpolation, fill = case
    if name.startswith("pil"):
        img = Image.fromarray(image)
    else:  # as the transforms' forward: a tensor's fill is a list of floats
        img = torch.from_numpy(image)
        fill = None if fill is None else [float(fill)] * image.shape[-3]
    out = _apply_op(img, op_name, magnitude, InterpolationMode[interpolation], fill)
    return np.asarray(out) if isinstance(out, Image.Image) else out.numpy()


def as_lists(space):
    """An op table as JSON: ``{name: [magnitudes (a list, or a number for 0-d), signed]}``."""
    return {name: [m.tolist(), signed] for name, (m, signed) in space.items()}


def tables():
    """Every class's op table at a few bin counts and sizes, and the AutoAugment policies."""
    from torchvision.transforms import autoaugment as A

    policies = {p.name: A.AutoAugment(p).policies for p in A.AutoAugmentPolicy}
    spaces = []
    for size in [(32, 40), SIZE]:
        spaces.append(["AutoAugment", {}, 10, size, A.AutoAugment()._augmentation_space(10, size)])
        for bins in [31, 11, 5]:
            space = A.RandAugment()._augmentation_space(bins, size)
            spaces.append(["RandAugment", {}, bins, size, space])
        for all_ops in [True, False]:
            space = A.AugMix(all_ops=all_ops)._augmentation_space(10, size)
            spaces.append(["AugMix", {"all_ops": all_ops}, 10, size, space])
    for bins in [31, 7, 2]:
        space = A.TrivialAugmentWide()._augmentation_space(bins)
        spaces.append(["TrivialAugmentWide", {}, bins, None, space])
    spaces = [[*row[:4], as_lists(row[4])] for row in spaces]
    return {"policies": policies, "spaces": spaces}


def augmix_cases():
    """``(image, op_name, magnitude, kwargs)``: AugMix with a one-op, unsigned table."""
    return [  # a fixed chain_depth, or an op that is the same twice (no random depth left)
        ("u8", "Rotate", 30.0, {"chain_depth": 1}),
        ("batch", "Rotate", -20.0, {"chain_depth": 2, "interpolation": "NEAREST", "fill": 9}),
        ("pil_rgb", "Brightness", 0.4, {"mixture_width": 2, "chain_depth": 2}),
        ("batch", "Posterize", 3.0, {"mixture_width": 4, "chain_depth": 1}),
        ("u8", "Equalize", 0.0, {"alpha": 0.5}),
    ]


def augmix_weights(batch, width, seed):
    """Fixed Dirichlet draws: ``(batch, 2)`` then ``(batch, width)`` rows that sum to 1."""
    rng = np.random.default_rng(seed)
    return [rng.dirichlet([1.0, 1.0], batch), rng.dirichlet([1.0] * width, batch)]


def augmix(image, case, weights):
    import torch
    from PIL import Image
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.autoaugment import AugMix

    name, op_name, magnitude, kwargs = case
    draws = [torch.tensor(w, dtype=torch.float32) for w in weights]

    class FixedAugMix(AugMix):
        def _augmentation_space(self, num_bins, image_size):
            return {op_name: (torch.full((num_bins,), magnitude), False)}

        def _sample_dirichlet(self, params):
            return draws.pop(0)

    kwargs = dict(kwargs)
    if "interpolation" in kwargs:
        kwargs["interpolation"] = InterpolationMode[kwargs["interpolation"]]
    img = Image.fromarray(image) if name.startswith("pil") else torch.from_numpy(image)
    out = FixedAugMix(**kwargs)(img)
    return np.asarray(out) if isinstance(out, Image.Image) else out.numpy()


def reprs():
    """``(class, kwargs, repr)`` of the four transforms."""
    from torchvision.transforms import autoaugment as A

    made = [
        ("AutoAugment", {}),
        ("AutoAugment", {"policy": "CIFAR10", "fill": 5}),
        ("AutoAugment", {"policy": "SVHN", "interpolation": "BILINEAR", "fill": [1, 2, 3]}),
        ("RandAugment", {}),
        ("RandAugment", {"num_ops": 3, "magnitude": 5, "num_magnitude_bins": 11, "fill": 1}),
        ("TrivialAugmentWide", {}),
        ("TrivialAugmentWide", {"num_magnitude_bins": 7, "interpolation": "BILINEAR"}),
        ("AugMix", {}),
        ("AugMix", {"severity": 5, "mixture_width": 2, "chain_depth": 3, "alpha": 0.5}),
        ("AugMix", {"all_ops": False, "interpolation": "NEAREST", "fill": [0, 0, 0]}),
    ]
    out = []
    for name, kwargs in made:
        built = dict(kwargs)
        if "interpolation" in built:
            built["interpolation"] = A.InterpolationMode[built["interpolation"]]
        if "policy" in built:
            built["policy"] = A.AutoAugmentPolicy[built["policy"]]
        out.append([name, kwargs, repr(getattr(A, name)(**built))])
    return out


def main():
    inputs = images()
    arrays = {f"input_{name}": value for name, value in inputs.items()}
    ops = op_cases()
    for name, image in inputs.items():  # (cases, *image.shape): one array per input
        arrays[f"ops_{name}"] = np.stack([apply_op(name, image, case) for case in ops])
    mixes = augmix_cases()
    for index, case in enumerate(mixes):
        image = inputs[case[0]]
        batch = image.shape[0] if image.ndim == 4 else 1
        weights = augmix_weights(batch, case[3].get("mixture_width", 3), seed=index)
        arrays[f"augmix_{index}_m"], arrays[f"augmix_{index}_w"] = weights
        arrays[f"augmix_{index}"] = augmix(image, case, weights)
    meta = {"ops": ops, "augmix": mixes, "reprs": reprs(), **tables()}
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(HERE / "autoaugment_fixtures.npz", **arrays)


if __name__ == "__main__":
    main()
