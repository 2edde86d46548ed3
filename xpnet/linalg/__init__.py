"""``torch.linalg`` for xpnet Tensors and backend arrays, with PyTorch's gradients.

Each function takes a Tensor (or a backend array) and returns Tensors; batched inputs
``(*, m, n)`` work as in PyTorch. The forward/backward pairs live beside it in this package.
"""

from __future__ import annotations

from .._tensor_cross import linalg_cross as cross
from ._checks import LinAlgError
from .decompositions import eigh, eigvalsh, qr, svd, svdvals
from .inverses import cholesky, det, inv, slogdet, solve
from .matrix_functions import householder_product, matrix_exp, multi_dot
from .norms import cond, matrix_norm, norm, vector_norm
from .spectral import lstsq, matrix_power, matrix_rank, pinv

__all__: list[str] = []
__all__ += ["LinAlgError", "cholesky", "det", "householder_product", "inv", "matrix_exp"]
__all__ += ["slogdet", "solve"]
__all__ += ["cond", "cross", "eigh", "eigvalsh", "lstsq", "matrix_norm", "matrix_power"]
__all__ += ["matrix_rank", "multi_dot"]
__all__ += ["norm", "pinv", "qr", "svd", "svdvals", "vector_norm"]
