"""Binary L2-regularized logistic regression for arrays of any array-API library.

Objective (DESIGN.md), labels ``y_i ∈ {0, 1}``, weights ``s_i``, ``n_w = Σ s_i``::

    f(w, b) = (1/n_w) Σ_i s_i [log(1 + e^{η_i}) − y_i η_i]  +  λ ‖w‖²,      η_i = x_iᵀw + b

(natural log; the intercept ``b`` is unpenalized; λ = 1/(2 C n_w) for scikit-learn's C).

Thin wrappers over ridgeline's one GLM engine: the data are an
:class:`~ridgeline.backend.source.ArrayAPISource` (every pass — ``X W``, the per-row loss,
gradient and Hessian GEMMs — runs in X's namespace and on its device), and the solver is the
Newton (or, for more than 1,000 features, L-BFGS) of :func:`ridgeline.path.glm_path`;
cross-validation is :func:`ridgeline.selection.glm_select.kfold_glm`, every fold advanced by
the same pass, warm-started along the λ grid. :class:`ridgeline.LogisticRegression` and
:class:`ridgeline.LogisticRegressionCV` run the same code on NumPy arrays, files and Dask.

Precision: with float32 X the Hessian GEMMs run in float32 (accumulated in float64) and the
loss and gradient are float64-accurate, so the fixed point — where the float64 gradient
vanishes — is that of the float64 problem of the float32 data.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ridgeline.backend.array_api import (
    DEFAULT_CHUNK_ROWS,
    Backend,
    check_lambdas,
    get_namespace,
    to_numpy,
)
from ridgeline.backend.source import ArrayAPISource
from ridgeline.losses import BinomialLoss
from ridgeline.path.glm_path import GLMPath, glm_path
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import held_out_scores, kfold_glm
from ridgeline.solvers.problem import GLMProblem

#: The held-out accuracy every pass returns beside the log loss.
ACCURACY = resolve_glm_scorer("accuracy", BinomialLoss())


@dataclass
class ArrayLogisticFit:
    """What :func:`logistic_fit` returns; arrays in the input's namespace and device.

    Attributes
    ----------
    coef : array (p,)
    intercept : array (0-d)
        0 without ``fit_intercept``.
    lambda_ : float
        Canonical λ of the fit.
    objective : float
        ``f(w, b)`` at the solution.
    grad_norm : float
        ``max |∇f|`` at the solution (the optimality certificate).
    n_iter : int
        Newton (or, above 1,000 features, L-BFGS) steps taken.
    converged : bool
        ``grad_norm ≤ tol``, or no further decrease possible in floating point.
    backend : str
    """

    coef: Any
    intercept: Any
    lambda_: float
    objective: float
    grad_norm: float
    n_iter: int
    converged: bool
    backend: str

    def to_numpy(self) -> ArrayLogisticFit:
        """A copy whose arrays are NumPy arrays (on the host)."""
        return replace(self, **{f.name: to_numpy(getattr(self, f.name)) for f in fields(self)})


@dataclass
class ArrayLogisticCVResult:
    """What :func:`logistic_cv` returns; arrays in the input's namespace and device.

    Attributes
    ----------
    lambdas : array (L,)
        Canonical λ grid of the full data, in the order given.
    fold_log_loss : array (K, L)
        Weighted mean held-out log loss of each fold (row k: the k-th smallest fold id).
    fold_accuracy : array (K, L)
        Weighted held-out accuracy (η > 0 predicts the positive class).
    mean_log_loss, se_log_loss : array (L,)
        Mean over folds and its standard error ``std(ddof=1)/√K``.
    index_min, index_1se : int
    lambda_min, lambda_1se, lambda_ : float
        Smallest mean log loss; largest λ within one standard error of it; the one ``rule``
        chose (used for the full-data refit).
    rule : str
    convention : str
        ``"canonical"``: training folds are fit at the same λ; ``"fixed"``: at the same C
        (λ·n_w/n_w,train), as scikit-learn's ``LogisticRegressionCV``.
    coef : array (p,), intercept : array (0-d)
        Full-data refit at ``lambda_`` (warm-started from the folds' mean).
    n_iter : ndarray (K, L)
        Solver steps per fold and λ (NumPy).
    refit : ArrayLogisticFit
        The full-data fit.
    fold_ids : ndarray (K,)
    backend : str
    """

    lambdas: Any
    fold_log_loss: Any
    fold_accuracy: Any
    mean_log_loss: Any
    se_log_loss: Any
    index_min: int
    index_1se: int
    lambda_min: float
    lambda_1se: float
    lambda_: float
    rule: str
    convention: str
    coef: Any
    intercept: Any
    n_iter: np.ndarray
    refit: ArrayLogisticFit
    fold_ids: np.ndarray
    backend: str

    def to_numpy(self) -> ArrayLogisticCVResult:
        """A copy whose arrays are NumPy arrays (on the host)."""
        out = {f.name: to_numpy(getattr(self, f.name)) for f in fields(self)}
        out["refit"] = self.refit.to_numpy()
        return replace(self, **out)


def _check_solver(tol: float, max_iter: int) -> None:
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be positive, got {tol!r}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")


def _binary_source(X, y, folds, sample_weight, chunk_rows: int) -> ArrayAPISource:
    """The validated rows with labels encoded as 0/1 on the device: of the two distinct
    values of y the larger is the positive class."""
    source = ArrayAPISource(X, y, folds, sample_weight, chunk_rows=chunk_rows)
    bk, xp = source.backend, source.backend.xp
    vals = np.asarray(to_numpy(xp.unique_values(source.target)))
    if vals.size < 2:
        raise ValueError(f"y has a single class ({vals[0]!r}): logistic regression needs two "
                         "classes")
    if vals.size > 2:
        raise ValueError(f"y has {vals.size} classes; this backend is binary only (use "
                         "ridgeline.LogisticRegression for multinomial)")
    return source.with_target(xp.astype(source.target == float(vals[1]), bk.acc))


def _start(X, coef_init, intercept_init, p: int):
    """The starting point ``(W (1, p, 1), b (1, 1))``, or None (the null model) when neither
    is given."""
    if coef_init is None and intercept_init is None:
        return None
    W = np.zeros((1, p, 1))
    if coef_init is not None:
        get_namespace(X, coef_init)  # one library
        w = np.asarray(to_numpy(coef_init), dtype=np.float64)
        if w.size != p or w.ndim > 2:
            raise ValueError(f"coef_init must be 1-D of length {p}, got shape {w.shape}")
        W[0, :, 0] = w.reshape(-1)
    return W, np.full((1, 1), 0.0 if intercept_init is None else float(intercept_init))


def _fit(bk: Backend, path: GLMPath, i: int, j: int) -> ArrayLogisticFit:
    """Member j's fit at grid point i of a path, as an :class:`ArrayLogisticFit`."""
    return ArrayLogisticFit(coef=bk.from_host(path.coef[i, j, :, 0]),
                            intercept=bk.from_host(path.intercept[i, j, 0]),
                            lambda_=float(path.lambdas[i]),
                            objective=float(path.objective[i, j]),
                            grad_norm=float(path.grad_norm[i, j]),
                            n_iter=int(path.n_iter[i, j]),
                            converged=bool(path.converged[i, j]),
                            backend=f"{bk.name}:{bk.device}")


def logistic_fit(X, y, lam: float, *, sample_weight=None, fit_intercept: bool = True,
                 tol: float = 1e-8, max_iter: int = 100, coef_init=None,
                 intercept_init: float | None = None,
                 chunk_rows: int = DEFAULT_CHUNK_ROWS) -> ArrayLogisticFit:
    """Binary L2 logistic regression by damped Newton, in X's array namespace.

    Minimizes ``(1/n_w) Σ s_i [log(1 + e^{η_i}) − y_i η_i] + λ‖w‖²`` with ``η = Xw + b``:
    ridgeline's Newton (:func:`ridgeline.path.glm_path`, Hessians reused while they pay) over
    the passes of an :class:`~ridgeline.backend.source.ArrayAPISource`.

    Parameters
    ----------
    X : array (n, p)
        NumPy, CuPy, PyTorch or another array-API array (float32 stays float32 at the boundary).
    y : array (n,)
        Two distinct label values; the larger one is the positive class.
    lam : float
        Canonical λ ≥ 0 (λ = 1/(2 C n_w) for scikit-learn's C).
    sample_weight : array (n,), optional
    fit_intercept : bool, default=True
    tol : float, default=1e-8
        Stop when ``max |∇f| ≤ tol``.
    max_iter : int, default=100
    coef_init : array (p,), optional;  intercept_init : float, optional
        Starting point (default: the null model, ``w = 0`` and the best constant intercept).
    chunk_rows : int
        Rows per GEMM / upcast chunk.

    Returns
    -------
    ArrayLogisticFit
    """
    _check_solver(tol, max_iter)
    if np.ndim(to_numpy(lam)) != 0:
        raise ValueError("lam must be a single number (use logistic_cv for a grid)")
    lam_v = check_lambdas(lam)
    source = _binary_source(X, y, None, sample_weight, chunk_rows)
    start = _start(X, coef_init, intercept_init, source.n_features)
    problem = GLMProblem(source, BinomialLoss(), fit_intercept)
    path = glm_path(problem, lam_v, tol=tol, max_iter=int(max_iter), start=start)
    return _fit(source.backend, path, 0, 0)


def logistic_cv(X, y, lambdas, folds, *, sample_weight=None, fit_intercept: bool = True,
                rule: str = "min", convention: str = "canonical", tol: float = 1e-8,
                max_iter: int = 100,
                chunk_rows: int = DEFAULT_CHUNK_ROWS) -> ArrayLogisticCVResult:
    """K-fold cross-validated binary L2 logistic regression over a λ grid, warm-started.

    The K training sets are fit together along the grid from the largest λ to the smallest
    (one pass over X advances every fold; :func:`ridgeline.selection.glm_select.kfold_glm`),
    each minimizing

        (1/n_T) Σ_{i∈T} s_i [log(1 + e^{η_i}) − y_i η_i] + λ_T ‖w‖²

    with ``λ_T = λ`` (``convention="canonical"``) or ``λ_T = λ n_w / n_T`` (``"fixed"``: the same
    scikit-learn C on every fold). Every pass also returns each fold model's held-out log loss
    and accuracy; λ is picked by the minimum mean log loss or the one-standard-error rule, and
    the full data are refit at it, starting from the folds' mean solution.

    Parameters
    ----------
    X : array (n, p);  y : array (n,) with two distinct values
    lambdas : array-like (L,)
        Canonical λ ≥ 0 on the full data.
    folds : array (n,) of int
        Fold id of each row; at least two distinct ids.
    sample_weight : array (n,), optional
    fit_intercept : bool, default=True
    rule : {"min", "1se"}
    convention : {"canonical", "fixed"}
    tol, max_iter : as :func:`logistic_fit`
    chunk_rows : int

    Returns
    -------
    ArrayLogisticCVResult
    """
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    if convention not in ("canonical", "fixed"):
        raise ValueError(f"convention must be 'canonical' or 'fixed', got {convention!r}")
    _check_solver(tol, max_iter)
    source = _binary_source(X, y, folds, sample_weight, chunk_rows)
    lam = check_lambdas(lambdas)
    K = source.fold_labels.size
    summary = source.target_summary(K)
    _check_training_classes(source, summary)
    problem = GLMProblem(source, BinomialLoss(), fit_intercept)
    sel = kfold_glm(problem, lam, lam, resolve_glm_scorer("neg_log_loss", problem.loss),
                    n_folds=K, summary=summary, tol=tol, max_iter=int(max_iter), rule=rule,
                    fixed_C=convention == "fixed")
    path, idx = sel.path, int(sel.result.index_)
    start = (path.coef[idx].mean(axis=0)[None], path.intercept[idx].mean(axis=0)[None])
    full = glm_path(problem, lam[idx:idx + 1], n_folds=K, tol=tol, max_iter=int(max_iter),
                    start=start, summary=summary)
    return _cv_result(source, sel, _fit(source.backend, full, 0, 0), convention)


def _cv_result(source: ArrayAPISource, sel, refit: ArrayLogisticFit,
               convention: str) -> ArrayLogisticCVResult:
    """The folds' scores, the choice and the refit as an :class:`ArrayLogisticCVResult`."""
    bk, path, res = source.backend, sel.path, sel.result
    return ArrayLogisticCVResult(
        lambdas=bk.from_host(res.lambdas),
        fold_log_loss=bk.from_host(-res.fold_scores[:, :, 0]),
        fold_accuracy=bk.from_host(held_out_scores(path, ACCURACY).T),
        mean_log_loss=bk.from_host(-res.mean_score),
        se_log_loss=bk.from_host(res.se),
        index_min=int(res.index_min),
        index_1se=int(res.index_1se),
        lambda_min=float(res.lambda_min),
        lambda_1se=float(res.lambda_1se),
        lambda_=float(res.lambda_),
        rule=res.rule,
        convention=convention,
        coef=refit.coef,
        intercept=refit.intercept,
        n_iter=path.n_iter.T.copy(),
        refit=refit,
        fold_ids=source.fold_labels,
        backend=refit.backend,
    )


def _check_training_classes(source: ArrayAPISource, summary) -> None:
    """A ValueError naming the first fold whose training set holds one class (0/1 targets:
    its positive weight is 0 or all of its weight)."""
    pos = summary.sy.sum() - summary.sy
    tot = summary.sw.sum() - summary.sw
    for k in np.flatnonzero((pos <= 0) | (pos >= tot)):
        raise ValueError(f"the training set of fold {source.fold_labels[k]!r} has a single "
                         "class")
