"""K-fold ridge cross-validation over a λ grid for arrays of any array-API library.

Objective (DESIGN.md), for each training set T and each λ of the grid::

    minimize  (1/n_T) Σ_{i∈T} s_i (y_i − x_iᵀw − b)²  +  λ ‖w‖²,      n_T = Σ_{i∈T} s_i

(the intercept ``b`` unpenalized). :func:`ridge_cv` is a thin wrapper over ridgeline's one
ridge CV: the data answer one moments pass (:meth:`ArrayAPISource.fold_moments
<ridgeline.backend.source.ArrayAPISource.fold_moments>`, the Gram GEMMs in X's namespace and
on its device), and the p×p algebra — one eigendecomposition per training fold
(``total − held-out`` moments) scoring every λ, the choice of λ and the full-data path — is
:func:`ridgeline.selection.engine.select_ridge_moments` and :func:`ridgeline.path.ridge_path`,
the code that :class:`ridgeline.RidgeCV` runs on files and Dask collections.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ridgeline.backend.array_api import DEFAULT_CHUNK_ROWS, check_lambdas, to_numpy
from ridgeline.backend.source import ArrayAPISource
from ridgeline.path.ridge_path import ridge_path
from ridgeline.selection.engine import select_ridge_moments
from ridgeline.selection.glm_select import finish
from ridgeline.selection.kfold import moment_folds
from ridgeline.selection.scoring import resolve_scorer

_SCORING = "neg_mean_squared_error"


@dataclass
class ArrayRidgeCVResult:
    """What :func:`ridge_cv` returns; arrays live in the input's namespace and device.

    Attributes
    ----------
    lambdas : array (L,)
        Canonical λ grid, in the order given.
    fold_mse : array (K, L)
        Weighted held-out mean squared error of each fold (row k: the k-th smallest fold id).
    mean_mse : array (L,)
        Mean of ``fold_mse`` over folds (the CV curve).
    se_mse : array (L,)
        Standard error of that mean: ``std(fold_mse, ddof=1) / √K``.
    index_min, index_1se : int
        Grid position of the smallest mean MSE (first in grid order on ties) and of the largest
        λ whose mean MSE is within one standard error of it.
    lambda_min, lambda_1se, lambda_ : float
        The corresponding λ; ``lambda_`` is the one chosen by ``rule``.
    rule : str
        ``"min"`` or ``"1se"``.
    coef : array (p,)
        Full-data coefficients at ``lambda_``.
    intercept : array (0-d)
        Full-data intercept at ``lambda_`` (0 without ``fit_intercept``).
    coef_path : array (L, p), intercept_path : array (L,)
        Full-data fits for every λ of the grid.
    dof : array (L,)
        Effective degrees of freedom of the full-data fits (``Σ e/(e + n_w λ)``, + 1 with an
        intercept).
    fold_ids : ndarray (K,)
        The distinct fold ids (NumPy).
    backend : str
        Namespace the computation ran in (``"numpy"``, ``"torch"``, ...), with its device.
    """

    lambdas: Any
    fold_mse: Any
    mean_mse: Any
    se_mse: Any
    index_min: int
    index_1se: int
    lambda_min: float
    lambda_1se: float
    lambda_: float
    rule: str
    coef: Any
    intercept: Any
    coef_path: Any
    intercept_path: Any
    dof: Any
    fold_ids: np.ndarray
    backend: str

    def to_numpy(self) -> ArrayRidgeCVResult:
        """A copy whose arrays are NumPy arrays (on the host)."""
        return replace(self, **{f.name: to_numpy(getattr(self, f.name)) for f in fields(self)})


def ridge_cv(X, y, lambdas, folds, *, fit_intercept: bool = True, sample_weight=None,
             rule: str = "min", held_out: str = "moments",
             chunk_rows: int = DEFAULT_CHUNK_ROWS) -> ArrayRidgeCVResult:
    """K-fold cross-validated ridge regression for every λ of a grid, in X's array namespace.

    For every fold k and every λ, fits on the other folds

        minimize  (1/n_T) Σ_{i∈T} s_i (y_i − x_iᵀw − b)² + λ‖w‖²

    (``n_T`` the training weight sum, ``b`` unpenalized), scores the weighted mean squared error
    on fold k, and picks λ from the mean CV curve: one pass over X (GEMMs on X's device), then
    K + 1 p×p eigendecompositions for all λ (see the module docstring).

    Parameters
    ----------
    X : array (n, p)
        NumPy, CuPy, PyTorch (any device) or another array-API array. float32 stays float32:
        the Gram GEMMs run in float32 and are accumulated in float64.
    y : array (n,)
        Targets, same namespace and device.
    lambdas : array-like (L,)
        Canonical λ ≥ 0 (λ = 0 only when every training Gram is non-singular).
    folds : array (n,) of int
        Fold id of each row (any namespace); at least two distinct ids.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (center at the training means).
    sample_weight : array (n,), optional
        Non-negative weights ``s_i`` (default 1).
    rule : {"min", "1se"}, default="min"
        Which λ the full-data fit uses: the CV minimum, or the largest λ within one standard
        error of it.
    held_out : {"moments", "predictions"}, default="moments"
        Score held-out folds from their moments (no second pass), or from explicit
        predictions ``X_k w + b`` of every fold's K·L models, formed on the device in one more
        pass (:meth:`~ridgeline.backend.source.ArrayAPISource.squared_error_pass`); the two
        agree to rounding.
    chunk_rows : int
        Rows per GEMM (bounds float32 rounding and the size of temporaries).

    Returns
    -------
    ArrayRidgeCVResult
        Arrays in X's namespace and device, float32 for float32 X.
    """
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    if held_out not in ("moments", "predictions"):
        raise ValueError(f"held_out must be 'moments' or 'predictions', got {held_out!r}")
    source = ArrayAPISource(X, y, folds, sample_weight, chunk_rows=chunk_rows)
    lam = check_lambdas(lambdas)
    mom = source.fold_moments(source.fold_labels.size)
    sel = select_ridge_moments(mom.total, mom.folds, lambdas=lam, scoring=_SCORING, rule=rule,
                               fit_intercept=fit_intercept, convention="canonical",
                               warn_edge=False)
    result = sel.result
    if held_out == "predictions":
        result = _predicted_result(source, mom, lam, result, fit_intercept)
    return _result(source, result, ridge_path(sel.factor, lam, fit_intercept=fit_intercept))


def _result(source: ArrayAPISource, result, path) -> ArrayRidgeCVResult:
    """The CV result and the full-data path as arrays of the source's namespace and device."""
    bk = source.backend
    out = bk.from_host
    idx = int(result.index_)
    return ArrayRidgeCVResult(
        lambdas=out(path.lambdas),
        fold_mse=out(-result.fold_scores[:, :, 0]),
        mean_mse=out(-result.mean_score),
        se_mse=out(result.se),
        index_min=int(result.index_min),
        index_1se=int(result.index_1se),
        lambda_min=float(result.lambda_min),
        lambda_1se=float(result.lambda_1se),
        lambda_=float(result.lambda_),
        rule=result.rule,
        coef=out(path.coef[idx, :, 0]),
        intercept=out(path.intercept[idx, 0]),
        coef_path=out(path.coef[:, :, 0]),
        intercept_path=out(path.intercept[:, 0]),
        dof=out(path.dof),
        fold_ids=source.fold_labels,
        backend=f"{bk.name}:{bk.device}",
    )


def _predicted_result(source: ArrayAPISource, mom, lam: np.ndarray, result,
                      fit_intercept: bool):
    """The CV result rescored from explicit held-out predictions.

    Each training fold's coefficients for every λ come from its factorization
    (:func:`ridgeline.selection.kfold.moment_folds`); the held-out squared errors of the K·L
    models are one :meth:`~ridgeline.backend.source.ArrayAPISource.squared_error_pass`, and
    the scores and the choice of λ are the engine's (``Scorer.from_sse``,
    :func:`ridgeline.selection.glm_select.finish`).
    """
    folds = moment_folds(mom.total, mom.folds, fit_intercept=fit_intercept, standardize=False)
    K, L = len(folds), lam.size
    coef = np.stack([f.factor.coef(lam * f.factor.sw)[:, :, 0] for f in folds])  # (K, L, p)
    inter = np.stack([f.factor.intercept(c[:, :, None])[:, 0] for f, c in zip(folds, coef,
                                                                             strict=True)])
    sse = source.squared_error_pass(coef.reshape(K * L, -1), inter.reshape(-1),
                                    np.repeat(np.arange(K), L), K).reshape(K, L)
    scorer = resolve_scorer(_SCORING, _SCORING)
    scores = np.stack([scorer.from_sse(sse[k][:, None], f.sst(), f.held_sw())
                       for k, f in enumerate(folds)])  # (K, L, 1)
    mean = scores[:, :, 0].mean(axis=0)
    se = scores[:, :, 0].std(axis=0, ddof=1) / np.sqrt(K)
    return finish(lam, result.alphas, "kfold", scorer, scores, mean, se, result.dof,
                  result.rule, K, 0)
