"""What :func:`ridgeline.report.fitting.fit_model` returns, and its failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ridgeline.selection import RidgeCVResult


class FitFailedError(RuntimeError):
    """The data were valid but the fit itself failed (singular system, non-finite result)."""


@dataclass
class FittedModel:
    """A model fitted with λ chosen by cross-validation, as the command line reports it.

    Attributes
    ----------
    kind : str
        One of :data:`MODELS`.
    estimator : estimator
        The final fitted estimator (``predict``; ``predict_proba`` for ``logistic``).
    result : RidgeCVResult
        The CV curve: canonical ``lambdas``, the estimator's own parameter per λ in
        ``alphas``, mean score ± SE, λ_min, λ_1se and the rule used.
    lambda_ : float or ndarray
        Canonical λ of the final fit (one per target for multi-target ridge).
    param_name : str
        The estimator's own parameter: ``"alpha"`` or ``"C"``.
    param : float or ndarray
        Its value at the chosen λ.
    cv : int or str
        Number of folds, ``"loo"``, ``"gcv"`` or ``"alo"``.
    splits : list of (ndarray, ndarray) or None
        The (train, validation) row indices of the K folds (None for loo/gcv/alo).
    scoring : str
    standardize : bool
        Whether the penalty applied to standardized features (ridge only).
    l1_ratio : float or None
        scikit-learn's ``l1_ratio`` (lasso: 1, elastic net: the given one).
    mix : float or None
        The canonical L1 share ``mix = 2ρ/(1+ρ)`` of the elastic-net penalty.
    seconds : float
        Wall time of the fit.
    notes : list of str
        Warnings worth telling the user (λ on the grid's edge, non-convergence, a refit).
    offset_column : str or None
        The data column used as the offset (``--offset``), recorded in the model file.
    """

    kind: str
    estimator: Any
    result: RidgeCVResult
    lambda_: float | np.ndarray
    param_name: str
    param: float | np.ndarray
    cv: int | str
    splits: list[tuple[np.ndarray, np.ndarray]] | None
    scoring: str
    standardize: bool
    l1_ratio: float | None = None
    mix: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    offset_column: str | None = None

    @property
    def coef(self) -> np.ndarray:
        """Coefficients as a 2-D array (one row per target or class row)."""
        return np.atleast_2d(np.asarray(self.estimator.coef_, dtype=np.float64))

    @property
    def intercept(self) -> np.ndarray:
        """Intercepts as a 1-D array (one per row of :attr:`coef`)."""
        return np.atleast_1d(np.asarray(self.estimator.intercept_, dtype=np.float64))

    @property
    def is_classifier(self) -> bool:
        """Whether the estimator predicts class labels."""
        return self.kind == "logistic"
