"""Shared validation and fitting for the sparse (L1 / elastic-net / group) estimators."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ridgeline.estimators._standardize import Standardization
from ridgeline.path.sparse_path import SparsePath, geometric_grid, ls_path
from ridgeline.penalties import ElasticNetPenalty
from ridgeline.penalties.elastic_net import check_factors, check_mix
from ridgeline.selection.result import edge_sides, warn_edges
from ridgeline.solvers.ls_problem import LSProblem, use_gram


def check_alpha(alpha, name: str = "alpha") -> float:
    """A finite, non-negative real ``alpha`` as a float."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(alpha).__name__}")
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"{name} must be finite and non-negative, got {alpha!r}")
    return float(alpha)


def check_cd_params(tol, max_iter) -> None:
    """``tol ≥ 0`` (0, as in scikit-learn: the solver runs to its rounding floor or
    ``max_iter``) and ``max_iter ≥ 1``."""
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 <= tol < np.inf:
        raise ValueError(f"tol must be a finite non-negative number, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")


def check_precompute(precompute) -> bool | str:
    """``True``, ``False`` or ``"auto"``."""
    if isinstance(precompute, (bool, np.bool_)):
        return bool(precompute)
    if isinstance(precompute, str) and precompute == "auto":
        return "auto"
    raise ValueError("precompute must be True, False or 'auto' (a user-supplied Gram matrix "
                     f"is not accepted: ridgeline forms its own), got {type(precompute).__name__}")


def warn_alpha_zero(alpha: float, who: str, stacklevel: int = 2) -> None:
    """A UserWarning for ``alpha=0`` (as scikit-learn warns): no penalty is least squares."""
    if alpha == 0:
        warnings.warn(
            f"With alpha=0, {who} has no penalty: the fit is ordinary least squares, which "
            "ridgeline solves exactly, but whose minimizer is not unique when the columns of "
            "X are linearly dependent. You are advised to use the LinearRegression estimator "
            "(or ridgeline.Ridge(alpha=0)).", UserWarning, stacklevel=stacklevel + 1)


def check_unchecked_layout(X, check_input: bool, sample_weight, precompute) -> None:
    """``check_input=False`` promises scikit-learn's layout; refuse a dense X that breaks it.

    scikit-learn skips validation then: its solver needs float32/float64 X (another dtype
    raises ``TypeError``), Fortran-ordered when it works on X itself (no ``sample_weight``, no
    ``precompute``; a C-ordered X raises ``ValueError``). ridgeline validates anyway, but
    keeps the contract, so that code passing ``check_input=False`` behaves alike on both.
    """
    if check_input or not isinstance(X, np.ndarray):
        return
    if X.dtype not in (np.float32, np.float64):
        raise TypeError(f"check_input=False needs X as float32 or float64, got {X.dtype}: "
                        "convert X or use check_input=True")
    if sample_weight is None and precompute is False and not X.flags.f_contiguous:
        raise ValueError("check_input=False needs X Fortran-ordered (the layout scikit-learn's "
                         "solver requires without checks), got a C-ordered array: pass "
                         "np.asfortranarray(X) or use check_input=True")


def check_finite_fit(est) -> None:
    """Non-finite ``coef_`` / ``intercept_`` after a fit: X or y overflowed float64."""
    if not (np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))):
        raise ValueError(
            "Coordinate descent iterations resulted in non-finite parameter values: the "
            "products of X and y overflow float64 (values near its largest, "
            f"{np.finfo(np.float64).max:.3g}); rescale X and y (e.g. StandardScaler) and refit")


def enet_penalty(l1_ratio, n_features: int, penalty_factor, positive: bool,
                 std: Standardization | None = None) -> ElasticNetPenalty:
    """The canonical penalty of scikit-learn's ``l1_ratio`` (ρ): mix = 2ρ/(1+ρ); ``std``
    reweights the L1 factors of a standardized penalty."""
    rho = check_mix(l1_ratio, "l1_ratio")
    mix = 2.0 * rho / (1.0 + rho)
    factors = check_factors(penalty_factor, n_features)
    if std is not None:
        factors = std.factors(factors)
    return ElasticNetPenalty(mix, factors, bool(positive)).check_solvable()


def enet_lambda(alpha: float, l1_ratio: float) -> float:
    """Canonical λ of scikit-learn's ``ElasticNet(alpha, l1_ratio)``: ``α(1+ρ)``.

    The formula of :func:`ridgeline.conventions.canonical_from_sklearn_enet`, for values the
    estimator has already checked (``check_alpha``; ``l1_ratio`` in [0, 1]): the general
    converter's array validation is a tenth of a small fit's time.
    """
    return float(alpha) * (1.0 + check_mix(l1_ratio, "l1_ratio"))


def ls_problem(X, y: np.ndarray, s: np.ndarray, fit_intercept: bool, precompute,
               groups: bool = False) -> LSProblem:
    """The least-squares problem of one target, on the engine ``precompute`` picks."""
    gram = use_gram(X, X.shape[0], groups, False, precompute)
    return LSProblem.from_data(X, y, s, fit_intercept, gram)


def fit_targets(X, Y: np.ndarray, s: np.ndarray, penalty, lam: float, *, fit_intercept: bool,
                precompute, tol: float, max_iter: int, coef0=None,
                groups: bool = False, std: Standardization | None = None) -> list[SparsePath]:
    """One single-λ path per target column of ``Y`` (n, k); with ``std``, of the standardized
    problem (coefficients on the solver's scale: ``std.coef_out`` maps them back).

    A warm start ``coef0`` (k, p) that already meets ``tol`` is kept as it is, with 0
    iterations (scikit-learn's contract: the gap is checked before the first sweep).
    """
    std = std if std is not None else Standardization("none")
    Xf = std.data(X)
    out = []
    for t in range(Y.shape[1]):
        problem = std.problem(ls_problem(Xf, Y[:, t], s, fit_intercept, precompute, groups))
        w0 = None if coef0 is None else coef0[t]
        out.append(ls_path(problem, penalty, np.array([lam]), tol=tol, max_epochs=max_iter,
                           w0=w0, polish=True, keep_w0=w0 is not None))
    return out


def warn_not_certified(paths: list[SparsePath], who: str, tol: float, stacklevel: int = 3) -> None:
    """A ConvergenceWarning naming the worst final certificate, if any solve fell short."""
    bad = [(p.certificates[i], p.certificate_tols[i], p.lambdas[i], p.certificate)
           for p in paths for i in np.flatnonzero(~p.converged)]
    if not bad:
        return
    cert, cert_tol, lam, kind = max(bad, key=lambda b: b[0] / max(b[1], 1e-300))
    warnings.warn(
        f"{who} did not reach its tolerance on {len(bad)} solve(s): the worst final {kind} is "
        f"{cert:.3g} (asked ≤ {cert_tol:.3g}, tol={tol:g}) at λ={lam:.4g}; increase max_iter, "
        "or loosen tol", ConvergenceWarning, stacklevel=stacklevel + 1)


def check_eps(eps) -> float:
    """``eps > 0`` as scikit-learn accepts it (``eps ≥ 1``: a grid at or above α_max, where
    every coefficient is zero)."""
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 < eps < np.inf:
        raise ValueError(f"eps must be a finite positive number, got {eps!r}")
    return float(eps)


def check_alpha_values(alphas) -> np.ndarray:
    """Given ``alphas`` (a sequence of non-negative reals) as float64, each entry checked as
    scikit-learn checks them: ``TypeError`` for a non-number, ``ValueError`` for a negative or
    non-finite value, naming the entry."""
    if isinstance(alphas, (str, bytes, numbers.Number)) or np.ndim(alphas) != 1:
        raise TypeError("alphas must be a count of alphas (an int ≥ 1) or a one-dimensional "
                        f"sequence of alpha values, got {alphas!r}")
    values = list(alphas)
    if not values:
        raise ValueError("alphas is empty: give a count (an int ≥ 1) or at least one alpha")
    for i, a in enumerate(values):
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, numbers.Real):
            raise TypeError(f"alphas[{i}] must be an instance of float, not "
                            f"{type(a).__name__}")
        if not a >= 0 or not np.isfinite(a):
            raise ValueError(f"alphas[{i}] == {a!r}, must be >= 0.0 and finite: every alpha is "
                             "a penalty strength")
    return np.asarray(values, dtype=np.float64)


#: the grid of a problem whose alpha_max is at most this is ``n`` copies of it (scikit-learn's
#: rule for a target the features cannot explain, e.g. a constant y)
ALPHA_FLOOR = float(np.finfo(np.float64).resolution)


def alpha_grid(problem_lambda_max: float, alphas, eps: float, to_alpha: float) -> np.ndarray:
    """scikit-learn's ``alphas`` (int: count; sequence: values) as its alpha grid, descending.

    A count gives ``n`` log-spaced alphas from ``alpha_max = problem_lambda_max / to_alpha``
    down to ``eps·alpha_max``, or, when ``alpha_max`` is at most :data:`ALPHA_FLOOR` (every
    coefficient is zero for any alpha, e.g. a constant y), ``n`` copies of that floor, as
    scikit-learn. Given values are checked (:func:`check_alpha_values`) and sorted. The
    canonical λ of an alpha is ``alpha·to_alpha``.
    """
    if isinstance(alphas, numbers.Integral) and not isinstance(alphas, (bool, np.bool_)):
        if alphas < 1:
            raise ValueError(f"alphas as a count must be at least 1, got {alphas}")
        alpha_max = problem_lambda_max / to_alpha
        if not alpha_max > ALPHA_FLOOR:
            return np.full(int(alphas), ALPHA_FLOOR)
        grid = geometric_grid(alpha_max, int(alphas), check_eps(eps))
    else:
        grid = check_alpha_values(alphas)
    return np.sort(grid)[::-1]


def warn_alpha_edge(alphas: np.ndarray, index: int, alpha_max: float, *, dof=None,
                    n_features: int | None = None, stacklevel: int = 2) -> None:
    """A :class:`~ridgeline.selection.GridEdgeWarning` when the chosen alpha sits on an edge of
    the grid with the CV curve still falling towards it (ridge's and logistic's rule,
    :func:`~ridgeline.selection.result.edge_sides`).

    The smallest alpha is an edge. The largest is one only while it lies below ``alpha_max``:
    at or above it every penalized coefficient is already zero, so choosing it is the null
    model, not a curve that would fall further (nor does a chosen alpha at or above
    ``alpha_max`` warn on any side). ``stacklevel`` counts from the caller of this function
    (2 = the caller's caller).
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    top = alpha_max * (1.0 - 1e-9)
    if alphas[index] >= top:
        return
    sides = edge_sides(alphas, np.array([index]))
    remedies = {"low": "lower eps (the automatic grid ends at eps·alpha_max) or give smaller "
                       "alphas",
                "high": f"give alphas up to alpha_max = {alpha_max:.4g} (where every "
                        "coefficient is zero)"}
    for side in sorted(sides):
        warn_edges({side}, dof=dof, lambdas=alphas, dof_max=n_features,
                   stacklevel=stacklevel + 1, remedy=remedies[side])
