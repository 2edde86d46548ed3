"""``torch.linalg`` for xpnet Tensors and backend arrays, with PyTorch's gradients.

Each function takes a Tensor (or a backend array) and returns Tensors; batched inputs
``(*, m, n)`` work as in PyTorch. The forward/backward pairs live beside it in this package.
"""

from __future__ import annotations

from .._tensor_cross import linalg_cross as cross
from ._checks import LinAlgError
from .compositions import cholesky_ex, diagonal, matmul, tensorinv, tensorsolve, vander, vecdot
from .decompositions import eigh, eigvalsh, qr, svd, svdvals
from .inverses import cholesky, det, inv, slogdet, solve
from .lu_decomposition import lu, lu_factor, lu_factor_ex
from .lu_solvers import inv_ex, lu_solve, solve_ex
from .matrix_functions import householder_product, matrix_exp, multi_dot
from .norms import cond, matrix_norm, norm, vector_norm
from .spectral import lstsq, matrix_power, matrix_rank, pinv
from .triangular import solve_triangular

__all__: list[str] = []
__all__ += ["LinAlgError", "cholesky", "det", "householder_product", "inv", "matrix_exp"]
__all__ += ["slogdet", "solve"]
__all__ += ["cond", "cross", "eigh", "eigvalsh", "lstsq", "matrix_norm", "matrix_power"]
__all__ += ["matrix_rank", "multi_dot"]
__all__ += ["norm", "pinv", "qr", "svd", "svdvals", "vector_norm"]
__all__ += ["cholesky_ex", "diagonal", "inv_ex", "lu", "lu_factor", "lu_factor_ex", "lu_solve"]
__all__ += ["matmul", "solve_ex", "solve_triangular", "tensorinv", "tensorsolve"]
__all__ += ["vander", "vecdot"]
