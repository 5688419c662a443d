"""The grid checks of the CV estimators: what one grid point stores, before any fit.

Each function counts, per point of the estimator's grid, the float64 values its selection
holds at the peak, and hands them to :func:`ridgeline.path.budget.check_grid_budget` (memory
against the machine's, and for the iterative paths the number of solves). The counts are
estimates of the largest arrays (held-out predictions, per-fold coefficient paths, the
``coefs_paths_`` attribute), not of every temporary.
"""

from __future__ import annotations

import math
import numbers

from ridgeline.path.budget import check_grid_budget, grid_size, point_bytes


def n_splits(cv, n: int, default: int = 5) -> int:
    """The number of training folds ``cv`` makes on ``n`` rows (an estimate for splitters that
    cannot say without the data)."""
    if cv is None:
        return default
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        return max(int(cv), 1)
    get = getattr(cv, "get_n_splits", None)
    if get is not None:
        for args in ((), (range(n),)):
            try:
                return max(int(get(*args)), 1)
            except (TypeError, ValueError):
                continue
        return default
    try:
        return max(len(cv), 1)
    except TypeError:
        return default


def ridge_cv_grid(est, lam, n: int, p: int, k: int, *, source: bool = False) -> None:
    """``RidgeCV`` / ``RidgeClassifierCV``: the grid against memory (a closed-form grid: no
    cap on its size otherwise).

    Per λ: the fold's shrinkage factors (rank ``r = min(n, p)``), the curve (mean, SE, dof, …
    per target), K-fold's per-fold scores and the held-out predictions of one fold (in memory),
    and ``store_cv_results``'s per-row values.
    """
    if lam is None:
        name, size, given = "n_lambdas", int(est.n_lambdas), False
    else:
        name = "lambdas" if est.lambdas is not None else "alphas"
        size, given = int(lam.size), True
    r = min(n, p) + 1
    cv = est.cv
    kfold = not (cv is None or isinstance(cv, str))
    K = n_splits(cv, n) if kfold else 1
    held = 0 if source or not kfold else math.ceil(n / K) * k
    stored = 2 * n * k if getattr(est, "store_cv_results", False) else 0
    what = ("the held-out predictions of a fold, per-fold scores and the fold's shrinkage "
            "factors" if held else "the shrinkage factors and the curve")
    if stored:
        what += f", and cv_results_ ({n:,} rows × {k} targets)"
    check_grid_budget(name, size, given=given, unit="λ" if name != "alphas" else "alpha",
                      bytes_per_point=point_bytes(r, 8 * k, 2 * K * k, held, stored),
                      stored=what)


def sparse_cv_grid(alphas, n_ratios: int, n: int, p: int, splits) -> None:
    """``LassoCV`` / ``ElasticNetCV`` / ``GroupLassoCV``: ``alphas`` (a count or the grid)
    times the ``l1_ratio`` values, each point a coordinate-descent solve on every fold.

    Per point: a coefficient vector (and its certificates) on each fold's path and the
    refit's, the held-out predictions of a fold, the per-fold MSE.
    """
    size, given = grid_size(alphas)
    K = max(len(splits), 1)
    m = max((len(te) for _, te in splits), default=n)
    per = point_bytes((K + 1) * (p + 6), m, 2 * K)
    stored = f"a coefficient vector of {p:,} features on each of {K} folds and the refit"
    if n_ratios > 1:
        check_grid_budget("l1_ratio", n_ratios, given=True, bytes_per_point=per,
                          solves_per_point=K + 1, unit="l1_ratio", stored=stored)
    check_grid_budget("alphas", size, given=given, factor=n_ratios, factor_name="l1_ratio",
                      bytes_per_point=per, solves_per_point=K + 1, unit="alpha",
                      stored=stored)


def logistic_cv_count(est, n_ratios: int) -> None:
    """``LogisticRegressionCV``: the number of (l1_ratio, C) points of ``est.Cs``, before any
    data are seen (each C is an iterative solve on every fold, and ALO's one fit)."""
    if isinstance(est.Cs, str):
        return
    size, given = grid_size(est.Cs)
    solves = 1 if getattr(est, "method", "kfold") == "alo" else n_splits(est.cv, 1) + 1
    if n_ratios > 1:
        check_grid_budget("l1_ratios", n_ratios, given=True, bytes_per_point=1,
                          solves_per_point=solves, unit="l1_ratio")
    check_grid_budget("Cs", size, given=given, factor=n_ratios, factor_name="l1_ratios",
                      bytes_per_point=1, solves_per_point=solves, unit="C")


def logistic_cv_grid(est, Cs, n_ratios: int, n: int, p: int, n_classes: int) -> None:
    """``LogisticRegressionCV``: the (l1_ratio, C) grid against memory and the solve cap.

    Per point: the coefficients of every fold (``n_classes'`` outputs × ``p + 1``) on the
    path, their class-centered copy and ``coefs_paths_``; ALO (one member) the per-row
    leave-one-out values instead of folds.
    """
    if isinstance(Cs, str):
        return
    size, given = grid_size(Cs)
    m = 1 if n_classes <= 2 else n_classes
    alo = getattr(est, "method", "kfold") == "alo"
    K = 1 if alo else n_splits(est.cv, n)
    rows = n * m if alo else math.ceil(n / K) * m
    per = point_bytes(3 * K * m * (p + 1), 8 * K, rows)
    stored = (f"{K} fold{'s' if K > 1 else ''} × {m} output{'s' if m > 1 else ''} × "
              f"{p + 1:,} coefficients, kept in coefs_paths_")
    check_grid_budget("Cs", size, given=given, factor=n_ratios, factor_name="l1_ratios",
                      bytes_per_point=per, solves_per_point=K + (0 if alo else 1), unit="C",
                      stored=stored)
