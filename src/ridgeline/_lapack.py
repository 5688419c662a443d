"""NumPy's LAPACK calls of the fits, with a failure reported as a clear ValueError.

``numpy.linalg`` raises ``LinAlgError("Eigenvalues did not converge")`` and the like when a
factorization meets non-finite entries (an overflow upstream) or a matrix whose entries span
most of the float range. A user is told instead which factorization failed, of what, and
what the matrix held (:class:`LinearAlgebraError`, a ValueError). The estimators refuse such
data before they fit (``estimators/_range.py``, naming the columns); these wrappers are for
whatever still reaches a factorization. Imports only NumPy, so every layer may use it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LinearAlgebraError", "eigh", "eigvalsh", "lstsq", "pinv", "solve", "svd"]


class LinearAlgebraError(ValueError):
    """A factorization inside a fit failed (the message names it and what its matrix held)."""


def _held(A: np.ndarray) -> str:
    """What the matrix held and what to do, in words: non-finite entries, entries spanning
    much of the float range, or (otherwise) a singular or degenerate system."""
    A = np.asarray(A)
    finite = np.isfinite(A)
    if not finite.all():
        return (f"{int(A.size - finite.sum())} of its {A.size} entries are NaN or infinite: a "
                "value overflowed on the way (data whose magnitudes near float64's limit, or a "
                "diverging step); rescale the columns to comparable ranges (e.g. "
                "sklearn.preprocessing.StandardScaler) and fit again")
    mag = np.abs(A[A != 0])
    if mag.size == 0:
        return "all its entries are zero: there is nothing to fit (constant or empty columns)"
    if mag.max() > 1e100 * mag.min():
        return (f"its nonzero entries range in magnitude from {mag.min():.3g} to "
                f"{mag.max():.3g}, more than float64 can factor reliably: rescale the columns "
                "to comparable ranges (e.g. sklearn.preprocessing.StandardScaler) and fit "
                "again")
    return (f"its nonzero entries range in magnitude from {mag.min():.3g} to {mag.max():.3g}: "
            "the system is singular or degenerate; remove duplicated or constant columns, or "
            "add a penalty")


def _failed(op: str, what: str, A, exc: Exception) -> LinearAlgebraError:
    shape = "×".join(str(d) for d in np.shape(A))
    return LinearAlgebraError(f"the {op} of {what} ({shape}) failed ({exc}); {_held(A)}")


def eigh(A, what: str = "the Gram matrix XᵀX"):
    """``numpy.linalg.eigh(A)``; a failure raises :class:`LinearAlgebraError`."""
    try:
        return np.linalg.eigh(A)
    except np.linalg.LinAlgError as exc:
        raise _failed("eigendecomposition", what, A, exc) from exc


def eigvalsh(A, what: str = "the Gram matrix XᵀX"):
    """``numpy.linalg.eigvalsh(A)``; a failure raises :class:`LinearAlgebraError`."""
    try:
        return np.linalg.eigvalsh(A)
    except np.linalg.LinAlgError as exc:
        raise _failed("eigenvalue computation", what, A, exc) from exc


def svd(A, what: str = "the centered data matrix", *, full_matrices: bool = False):
    """``numpy.linalg.svd(A, full_matrices)``; a failure raises :class:`LinearAlgebraError`."""
    try:
        return np.linalg.svd(A, full_matrices=full_matrices)
    except np.linalg.LinAlgError as exc:
        raise _failed("singular value decomposition", what, A, exc) from exc


def pinv(A, what: str = "a Hessian block", **kwargs):
    """``numpy.linalg.pinv(A, **kwargs)``; a failure raises :class:`LinearAlgebraError`."""
    try:
        return np.linalg.pinv(A, **kwargs)
    except np.linalg.LinAlgError as exc:
        raise _failed("pseudo-inverse", what, A, exc) from exc


def solve(A, b, what: str = "a linear system"):
    """``numpy.linalg.solve(A, b)``; a failure (singular ``A``) raises
    :class:`LinearAlgebraError`."""
    try:
        return np.linalg.solve(A, b)
    except np.linalg.LinAlgError as exc:
        raise _failed("solution", what, A, exc) from exc


def lstsq(A, b, what: str = "a least-squares problem", rcond=None):
    """``numpy.linalg.lstsq(A, b, rcond)``; a failure raises :class:`LinearAlgebraError`."""
    try:
        return np.linalg.lstsq(A, b, rcond=rcond)
    except np.linalg.LinAlgError as exc:
        raise _failed("least-squares solution", what, A, exc) from exc
