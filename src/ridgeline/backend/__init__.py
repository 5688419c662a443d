"""Array-API backends: spectral ridge CV and Newton logistic regression on NumPy, CuPy, PyTorch.

The same code runs on any namespace that ``array_api_compat`` recognizes; results come back in
the input's namespace and on its device (``.to_numpy()`` converts a result). ``import ridgeline``
does not import torch or CuPy.

- :func:`ridge_cv`: K-fold ridge CV for every λ from per-fold Grams (one pass, K + 1 ``eigh``).
- :func:`logistic_fit`: binary L2 logistic regression by damped Newton.
- :func:`logistic_cv`: K-fold CV of it over a λ grid with warm starts.
"""

from ridgeline.backend.array_api import Backend, get_namespace, make_backend, to_numpy
from ridgeline.backend.logistic import (
    ArrayLogisticCVResult,
    ArrayLogisticFit,
    logistic_cv,
    logistic_fit,
)
from ridgeline.backend.ridge import ArrayRidgeCVResult, ridge_cv

__all__ = [
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
