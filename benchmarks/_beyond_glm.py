"""Gamma and Tweedie(power=1.5) single fits: ridgeline vs scikit-learn, on the same data.

Part ``glm`` of ``bench_beyond.py``. For two sizes (n = 50,000, p = 100 and n = 1,000,
p = 10; ``quick``: 2,000 × 20 and 300 × 5) and each model — ``GammaRegressor`` and
``TweedieRegressor(power=1.5)``, log link, ``alpha = 1e-3``, with an intercept — three fits:

* ``ridgeline``: ridgeline's estimator at its defaults (``solver="auto"``, ``tol=1e-8``:
  Newton, its gradient polished to rounding level);
* ``sk_lbfgs``: scikit-learn's at its defaults (``solver="lbfgs"``, ``tol=1e-4``);
* ``sk_newton``: scikit-learn's ``solver="newton-cholesky"`` at ``tol=1e-12``,
  ``max_iter=1000`` (its tight answer).

Reported: best-of-``repeats`` wall times (after a warm-up call), ``ratio_*`` = scikit-learn
time ÷ ridgeline time (> 1: ridgeline faster), and the objective differences
``f_sk − f_ridgeline`` of scikit-learn's objective ``(1/2n) Σ dev + (α/2)‖w‖²`` (> 0:
ridgeline's is lower), with ``ok``: ridgeline's objective is at most the tight newton-cholesky
one plus 1e-12 relative.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_tweedie_deviance

from _timing import best_time
from ridgeline import GammaRegressor, TweedieRegressor

ALPHA = 1e-3


def _data(n: int, p: int, power: float, seed: int = 0):
    """Correlated features and targets of the family with mean e^{Xw + 0.5}."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) @ (np.eye(p) + 0.3 * rng.normal(size=(p, p)) / np.sqrt(p))
    X /= X.std(axis=0)
    mu = np.exp(X @ (rng.normal(size=p) * 0.5 / np.sqrt(p)) + 0.5)
    if power == 2.0:
        return X, rng.gamma(2.0, mu / 2.0)
    # compound Poisson–gamma: a Poisson number of gamma summands (zeros included)
    counts = rng.poisson(mu / 1.5)
    return X, np.array([rng.gamma(2.0, 0.75, size=k).sum() for k in counts])


def _objective(est, X, y, power: float) -> float:
    """scikit-learn's objective ``(1/2n) Σ dev + (α/2)‖w‖²`` at an estimator's solution."""
    dev = mean_tweedie_deviance(y, est.predict(X), power=power)
    return 0.5 * dev + 0.5 * ALPHA * float(est.coef_ @ est.coef_)


def _models(power: float):
    if power == 2.0:
        return (lambda: GammaRegressor(alpha=ALPHA),
                lambda **kw: sk.GammaRegressor(alpha=ALPHA, **kw))
    return (lambda: TweedieRegressor(power=power, alpha=ALPHA),
            lambda **kw: sk.TweedieRegressor(power=power, link="log", alpha=ALPHA, **kw))


def _one(n: int, p: int, power: float, repeats: int) -> dict:
    X, y = _data(n, p, power)
    ours, theirs = _models(power)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t_ours, e_ours = best_time(lambda: ours().fit(X, y), repeats)
        t_lb, e_lb = best_time(lambda: theirs().fit(X, y), repeats)
        t_nc, e_nc = best_time(
            lambda: theirs(solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y),
            repeats)
    f_ours, f_lb, f_nc = (_objective(e, X, y, power) for e in (e_ours, e_lb, e_nc))
    return {
        "model": "Gamma" if power == 2.0 else f"Tweedie({power:g})", "n": n, "p": p,
        "ridgeline_s": t_ours, "sk_lbfgs_s": t_lb, "sk_newton_s": t_nc,
        "ratio_lbfgs": t_lb / t_ours, "ratio_newton": t_nc / t_ours,
        "ridgeline_iter": int(e_ours.n_iter_), "ridgeline_grad": float(e_ours.grad_norm_),
        "f_lbfgs_minus_ours": f_lb - f_ours, "f_newton_minus_ours": f_nc - f_ours,
        "coef_diff_newton": float(np.abs(e_ours.coef_ - e_nc.coef_).max()),
        "ok": bool(f_ours <= f_nc + 1e-12 * abs(f_nc)),
    }


def run(quick: bool) -> list[dict]:
    """The rows of the ``glm`` part (see the module docstring)."""
    sizes = [(2000, 20), (300, 5)] if quick else [(50_000, 100), (1000, 10)]
    repeats = 1 if quick else 3
    return [_one(n, p, power, repeats) for power in (2.0, 1.5) for n, p in sizes]


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
