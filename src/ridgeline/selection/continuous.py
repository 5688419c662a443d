"""λ off the grid: the maximizer of a K-fold, LOO or GCV curve over continuous log λ.

A scored grid (:class:`~ridgeline.selection.RidgeCVResult`) brackets the optimum: the best grid
point and its two neighbours (in log λ). :func:`refine_lambda` searches that bracket with the
same evaluation that scored the grid (``_Context.kfold``, ``loo`` or ``gcv``: each takes an
array of λ, and costs little once the folds are factored), down to a bracket of width
``xatol`` in log λ.

The search is a bracketed multi-point zoom, the golden-section idea with ``points`` trial
points per round instead of one: each round evaluates ``points`` values evenly spaced (in
log λ) strictly inside the current bracket in **one call** of the evaluation (one batch: the
fixed cost of an evaluation — projecting the held-out rows, per fold — is paid once per round,
not once per point), and the new bracket is the two neighbours of the best value seen so far.
With 16 points the bracket shrinks about 8.5-fold per round: from two intervals of a
100-point grid over 6 decades (0.28 in log λ) to 1e-8 in 8 rounds (about 130 λ in all). It
needs no derivative and no smoothness; on a unimodal curve inside the bracket it converges to
the maximizer, and on any curve it returns the best value it evaluated.

Documented behaviour:

* **Greater is better** (scores as ``mean_score``), and the returned score is never below the
  best grid point's: the grid point is the starting best and is replaced only by a strictly
  better score, so when nothing better is found it is returned itself (its λ exactly).
* **Local search around the grid's best**: a curve with several local maxima is searched only
  between the best grid point's neighbours (another maximum elsewhere is not looked for).
* **At a grid end** the bracket is the edge interval (the end and its one neighbour): the
  optimum is not looked for beyond the grid (``extend_grid`` widens the grid first);
  :attr:`OffGridOptimum.at_edge` says so.
* A bracket that reaches λ = 0 is searched in λ itself (log λ is unbounded there), to a
  width of ``xatol`` times its upper end.
* **Per target** (``per_target``): one search per target, all run in lockstep (one
  evaluation call per round for every target still searching). The evaluations score every
  target at each λ, so a round costs about ``k × points`` λ for all ``k`` targets.
* A **piecewise-constant score** (accuracy and other label scores of classifiers) has no
  isolated maximizer: the search then returns a λ at least as good as the grid's best, on a
  higher step between grid points when it meets one, else the grid point itself.
* The score at about 1e-8 in log λ is flat to rounding: the answer is the maximizer to
  within the precision of the curve, about ``sqrt(eps)`` relative to its curvature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ridgeline.selection.result import RidgeCVResult

__all__ = ["OffGridOptimum", "check_refine", "mean_curve", "refine_lambda", "refine_result"]

#: default width of the final bracket, in log λ
XATOL = 1e-8
#: default number of trial points per round (one evaluation call)
POINTS = 16
#: at most this many rounds (a guard: about 10 are needed from any grid bracket)
MAX_ROUNDS = 200


@dataclass
class OffGridOptimum:
    """The result of :func:`refine_lambda`.

    Attributes
    ----------
    lambda_ : float or ndarray (k,)
        Canonical λ of the best score found (per target with ``per_target``).
    score : float or ndarray (k,)
        Its mean score ("greater is better"); ≥ the best grid point's.
    bracket : ndarray (2,) or (k, 2)
        The initial bracket ``[low, high]`` in λ: the best grid point's neighbours.
    at_edge : bool or ndarray (k,)
        Whether the best grid point is an end of the grid (the bracket is its edge interval).
    n_rounds : int
        Evaluation calls made.
    n_lambdas : int
        λ values evaluated in all (over every target).
    """

    lambda_: float | np.ndarray
    score: float | np.ndarray
    bracket: np.ndarray
    at_edge: bool | np.ndarray
    n_rounds: int
    n_lambdas: int


def check_refine(refine, rule: str) -> bool:
    """``refine`` is a bool, and with it the rule is ``"min"`` (TypeError/ValueError)."""
    if not isinstance(refine, bool | np.bool_):
        raise TypeError(f"refine must be True or False, got {refine!r} "
                        f"({type(refine).__name__})")
    if refine and rule != "min":
        raise ValueError(f"refine=True finds the λ of the best mean score (rule='min'); the "
                         f"rule {rule!r} chooses a λ of the grid by design: use rule='min' "
                         "with refine=True, or refine=False")
    return bool(refine)


def refine_result(result: RidgeCVResult, evaluate: Callable[[np.ndarray], dict],
                  to_alpha: Callable[[np.ndarray], np.ndarray] | None = None,
                  **options) -> OffGridOptimum | None:
    """Set ``result.lambda_off_grid``, ``score_off_grid`` and ``alpha_off_grid`` from
    :func:`refine_lambda` (``options``: its ``xatol``, ``points``).

    ``to_alpha`` maps λ to the caller's parameter (as for the grid: a grid value maps to the
    given alpha itself). A result whose off-grid λ is already set (an exact criterion) is left
    as it is (returns None).
    """
    if result.lambda_off_grid is not None:
        return None
    opt = refine_lambda(evaluate, result, **options)
    lam = np.asarray(opt.lambda_, dtype=np.float64)
    alpha = to_alpha(lam) if to_alpha is not None else lam.copy()
    result.lambda_off_grid = opt.lambda_
    result.score_off_grid = opt.score
    result.alpha_off_grid = float(alpha) if np.ndim(opt.lambda_) == 0 \
        else np.asarray(alpha, dtype=np.float64)
    return opt


def mean_curve(ev: dict, per_target: bool) -> np.ndarray:
    """The mean score per λ of one evaluation, as ``RidgeCVResult.mean_score``.

    ``ev`` holds ``fold_scores`` (K, L, k) (K-fold: their mean over folds) or ``mean`` (L, k)
    (LOO, GCV). Returns (L, k) with ``per_target``, else the mean over targets (L,).
    """
    folds = ev.get("fold_scores")
    mean_t = folds.mean(axis=0) if folds is not None else np.asarray(ev["mean"])
    return mean_t if per_target else mean_t.mean(axis=1)


def refine_lambda(evaluate: Callable[[np.ndarray], dict], result: RidgeCVResult, *,
                  xatol: float = XATOL, points: int = POINTS) -> OffGridOptimum:
    """The maximizer of the mean CV score over continuous log λ, bracketed by the grid.

    Parameters
    ----------
    evaluate : callable ``ndarray (L,) of λ -> dict``
        The evaluation that scored ``result`` (K-fold ``fold_scores`` or LOO/GCV ``mean``;
        see :func:`mean_curve`).
    result : RidgeCVResult
        The scored grid: ``lambdas``, ``mean_score``, ``index_min`` and ``per_target``.
    xatol : float, default=1e-8
        Width in log λ of the final bracket.
    points : int, default=16
        Trial points per round (one call of ``evaluate`` per round), at least 2.

    Returns
    -------
    OffGridOptimum
        Floats, or arrays (k,) per target. Where every grid score is NaN the grid's choice
        is returned unsearched.
    """
    if not xatol > 0 or int(points) < 2:
        raise ValueError(f"xatol must be positive and points at least 2, got xatol={xatol!r}, "
                         f"points={points!r}")
    lam = np.asarray(result.lambdas, dtype=np.float64)
    best = np.atleast_1d(result.index_min).astype(np.int64)
    mean = np.asarray(result.mean_score, dtype=np.float64).reshape(lam.size, -1)
    f0 = mean[best, np.arange(best.size)]
    search = _Search.start(lam, best, f0)
    nan = np.isnan(mean).all(axis=0)
    search.active &= ~nan
    rounds = n_lam = 0
    while search.active.any() and rounds < MAX_ROUNDS:
        rows = np.flatnonzero(search.active)
        trial = search.trials(rows, int(points))
        M = mean_curve(evaluate(search.to_lambda(rows, trial).ravel()), result.per_target)
        M = M.reshape(rows.size, trial.shape[1], -1)
        col = rows if result.per_target else np.zeros(rows.size, dtype=np.int64)
        scores = M[np.arange(rows.size), :, col]
        search.update(rows, trial, np.where(np.isnan(scores), -np.inf, scores), xatol)
        rounds += 1
        n_lam += trial.size
    one = not result.per_target
    return OffGridOptimum(
        lambda_=float(search.x_lam[0]) if one else search.x_lam,
        score=float(search.f[0]) if one else search.f,
        bracket=search.bracket[0] if one else search.bracket,
        at_edge=bool(search.at_edge[0]) if one else search.at_edge,
        n_rounds=rounds, n_lambdas=n_lam)


@dataclass
class _Search:
    """State of the lockstep search, one row per curve (target).

    The variable is ``u = log λ``, or ``u = λ`` where the bracket reaches λ = 0 (``linear``);
    ``[a, b]`` is the current bracket in ``u``, ``x`` the best point, ``x_lam`` its λ (the grid
    value itself until a better one is found) and ``f`` its score.
    """

    a: np.ndarray
    b: np.ndarray
    x: np.ndarray
    x_lam: np.ndarray
    f: np.ndarray
    linear: np.ndarray
    scale: np.ndarray  # the tolerance's unit in u: 1 (log λ), or the bracket's upper λ
    active: np.ndarray
    bracket: np.ndarray
    at_edge: np.ndarray

    @classmethod
    def start(cls, lam: np.ndarray, best: np.ndarray, f0: np.ndarray) -> _Search:
        uniq = np.unique(lam)
        j = np.searchsorted(uniq, lam[best])
        lo = uniq[np.maximum(j - 1, 0)]
        hi = uniq[np.minimum(j + 1, uniq.size - 1)]
        linear = lo <= 0
        with np.errstate(divide="ignore"):
            u = lambda v: np.where(linear, v, np.log(np.where(linear, 1.0, v)))  # noqa: E731
        return cls(a=u(lo), b=u(hi), x=u(lam[best]), x_lam=lam[best].copy(), f=f0.copy(),
                   linear=linear, scale=np.where(linear, hi, 1.0), active=hi > lo,
                   bracket=np.stack([lo, hi], axis=1),
                   at_edge=(uniq.size > 1) & ((j == 0) | (j == uniq.size - 1)))

    def trials(self, rows: np.ndarray, m: int) -> np.ndarray:
        """``m`` points evenly spaced strictly inside each row's bracket, shape (rows, m)."""
        frac = np.arange(1, m + 1) / (m + 1)
        a, b = self.a[rows, None], self.b[rows, None]
        return a + (b - a) * frac

    def to_lambda(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        lin = self.linear[rows, None]
        return np.where(lin, u, np.exp(np.where(lin, 0.0, u)))

    def update(self, rows: np.ndarray, trial: np.ndarray, scores: np.ndarray,
               xatol: float) -> None:
        """Keep a strictly better trial as the best point; the new bracket is the best
        point's neighbours among the bracket ends and the trials."""
        i = np.argmax(scores, axis=1)
        r = np.arange(rows.size)
        better = scores[r, i] > self.f[rows]
        x = np.where(better, trial[r, i], self.x[rows])
        self.x_lam[rows] = np.where(better, self.to_lambda(rows, trial)[r, i], self.x_lam[rows])
        self.f[rows] = np.where(better, scores[r, i], self.f[rows])
        pts = np.concatenate([self.a[rows, None], trial, self.b[rows, None]], axis=1)
        below = np.where(pts < x[:, None], pts, -np.inf).max(axis=1)
        above = np.where(pts > x[:, None], pts, np.inf).min(axis=1)
        self.a[rows] = np.where(np.isfinite(below), below, x)
        self.b[rows] = np.where(np.isfinite(above), above, x)
        self.x[rows] = x
        done = self.b[rows] - self.a[rows] <= xatol * self.scale[rows]
        self.active[rows] = ~done
