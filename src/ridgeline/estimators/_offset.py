"""Offsets of the log-link GLM estimators: the checks at ``fit`` and the prediction.

An offset o (n,) is a fixed term of the linear predictor, ``η_i = x_iᵀw + b + o_i`` (glmnet's
and glum's ``offset``); for counts over an exposure t, ``o = log t``. The engine takes it on
in-memory arrays (:meth:`ridgeline.solvers.problem.GLMProblem.from_arrays`); the file and
Dask sources have no offset column, so an offset there is refused by name.
"""

from __future__ import annotations

import numpy as np

from ridgeline.estimators._validation import is_source
from ridgeline.stats.array_source import check_offset

#: η is capped here before ``exp`` (as the losses do).
_ETA_MAX = 700.0


def check_offset_fit(X, l1_ratio: float, who: str) -> None:
    """Refuse an offset where the fit cannot take one: a statistics source or Dask
    collection, or an elastic-net penalty (``l1_ratio > 0``)."""
    if is_source(X):
        raise ValueError(f"{who}: offset= is not available on a statistics source or Dask "
                         f"collection ({type(X).__name__}); fit arrays in memory, or add "
                         "log(exposure) as a feature")
    if l1_ratio > 0:
        raise ValueError(f"{who}: offset= is available with the L2 penalty only "
                         f"(l1_ratio=0), got l1_ratio={l1_ratio:g}")


def log_link_eta(X, coef: np.ndarray, intercept: float, offset=None) -> np.ndarray:
    """``η = X coef + intercept (+ offset)`` (n,) for validated X; the offset is checked (one
    finite value per row)."""
    eta = np.asarray(X @ coef).ravel() + intercept  # float32 X stays float32 (no offset)
    if offset is not None:
        eta = eta + check_offset(offset, eta.size, True)
    return eta


def predict_log_link(X, coef: np.ndarray, intercept: float, offset=None) -> np.ndarray:
    """The mean ``μ = exp(X coef + intercept + offset)`` (n,) of a log-link model (offset 0
    when None: the mean per unit of exposure)."""
    return np.exp(np.minimum(log_link_eta(X, coef, intercept, offset), _ETA_MAX))
