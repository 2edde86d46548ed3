"""torchvision 0.28 (the release built for torch 2.13) as a test oracle, on the CPU build of torch.

The only torchvision wheel on PyPI for this torch is the CUDA build. Its compiled operators
(``_C.so``: ``nms``, ``roi_align``, ``deform_conv2d``) link against CUDA's torch and cannot load
on the CPU build, and two of torchvision's start-up modules register Python helpers for those
operators, which fails when they are missing. Everything the tests compare against (transforms
v1 and v2, tv_tensors, datasets, models) is pure Python on top of torch, so those two modules
are replaced by empty ones before the import. A test that needs a compiled operator would fail
with torch's "operator does not exist", never compare against something else.

Use ``torchvision = import_torchvision()`` at the top of a test module. The test extra
installs torchvision, as it installs torch: a missing oracle fails the tests, never skips them.
"""

from __future__ import annotations

import sys
import types

# torchvision's modules that register fake and autograd kernels for its compiled operators
OPERATOR_REGISTRATIONS = ("torchvision._meta_registrations", "torchvision._autograd_registrations")


def import_torchvision():
    """torchvision, imported without its compiled operators."""
    if "torchvision" not in sys.modules:
        for name in OPERATOR_REGISTRATIONS:
            sys.modules.setdefault(name, types.ModuleType(name))
    import torchvision

    assert torchvision.__version__.startswith("0.28."), torchvision.__version__
    return torchvision
