"""Arrays of any array-API library (NumPy, CuPy, PyTorch on any device) in ridgeline's engine.

:class:`ArrayAPISource` is the numeric layer: a statistics source (:mod:`ridgeline.stats.source`)
whose passes — the Gram GEMMs of the fold moments, the per-row loss and the gradient and
Hessian GEMMs of a GLM pass — run in X's namespace and on its device, returning small NumPy
float64 sums. Everything above it is ridgeline's one engine (one ridge CV from moments, one
Newton, one L-BFGS), so the estimators also accept the source as ``X``
(``ridgeline.LogisticRegression().fit(ArrayAPISource(X_gpu, y_gpu))``). The functions below are
thin wrappers that return their results in the input's namespace and on its device
(``.to_numpy()`` converts a result). ``import ridgeline`` does not import torch or CuPy.

- :func:`ridge_cv`: K-fold ridge CV for every λ from per-fold moments (one pass, K + 1 ``eigh``).
- :func:`logistic_fit`: binary L2 logistic regression by Newton.
- :func:`logistic_cv`: K-fold CV of it over a λ grid, every fold warm-started along the grid.
"""

from ridgeline.backend.array_api import Backend, get_namespace, make_backend, to_numpy
from ridgeline.backend.logistic import (
    ArrayLogisticCVResult,
    ArrayLogisticFit,
    logistic_cv,
    logistic_fit,
)
from ridgeline.backend.ridge import ArrayRidgeCVResult, ridge_cv
from ridgeline.backend.source import ArrayAPISource

__all__ = [
    "ArrayAPISource",
    "ArrayLogisticCVResult",
    "ArrayLogisticFit",
    "ArrayRidgeCVResult",
    "Backend",
    "get_namespace",
    "logistic_cv",
    "logistic_fit",
    "make_backend",
    "ridge_cv",
    "to_numpy",
]
