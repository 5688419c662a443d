"""Choosing and running a GLM solver: Newton or L-BFGS, from a subset of the rows first.

:func:`fit` is the one entry point of the GLM solvers: it picks Newton (exact Hessians,
reused while they pay) or L-BFGS (gradient passes only) by the size of the Hessian, and on a
large in-memory source first fits a random subset of the rows (:func:`subset_then_full`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ridgeline.solvers.glm_models import EmptyTrainingRows, make_model
from ridgeline.solvers.lbfgs import lbfgs
from ridgeline.solvers.newton import GLMFit, PassPoint, newton
from ridgeline.solvers.problem import GLMProblem

GLM_SOLVERS = ("auto", "newton", "lbfgs")

#: scikit-learn's and earlier ridgeline solver names mapped to these (same optimum).
SOLVER_ALIASES = {
    "newton-cholesky": "newton",
    "newton-cg": "auto",
    "trust-ncg": "auto",
    "liblinear": "auto",
    "sag": "auto",
    "saga": "auto",
}

#: Largest Hessian (d = p·m rows) ``solver="auto"`` forms: in memory (NumPy, Dask) a Hessian
#: costs ~d/30 gradient passes and its eigendecomposition d³; over files a pass costs its
#: read, and Newton's fewer passes win up to larger d.
NEWTON_MAX_DIM = {"in_memory": 1000, "files": 5000}

#: Rows per feature of the subset :func:`subset_then_full` fits first, and its tolerance.
SUBSET_ROWS_PER_FEATURE = 4000
_SUBSET_TOL = 1e-5


def resolve_solver(solver: str) -> str:
    """Validate a solver name (ridgeline's or scikit-learn's) and map it to ridgeline's."""
    name = SOLVER_ALIASES.get(solver, solver)
    if name not in GLM_SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {GLM_SOLVERS} "
                         f"(or one of the names they stand for: {tuple(SOLVER_ALIASES)})")
    return name


def choose_solver(problem: GLMProblem, solver: str = "auto") -> str:
    """``"newton"`` or ``"lbfgs"`` for ``problem`` (``"auto"``: Newton while the Hessian has at
    most :data:`NEWTON_MAX_DIM` rows)."""
    name = resolve_solver(solver)
    if name != "auto":
        return name
    where = "in_memory" if getattr(problem.source, "in_memory", False) else "files"
    d = problem.n_features * problem.n_outputs
    return "newton" if d <= NEWTON_MAX_DIM[where] else "lbfgs"


def reuses_curvature(source) -> bool:
    """Whether passes over ``source`` should reuse Hessians.

    Over rows held in memory (NumPy, Dask) a pass costs its flops, and a Hessian (``n p²``)
    costs about ``p / 30`` gradients (``2 n p``): reusing one pays from small p on. Over files
    a pass costs the read and decode, which a Hessian adds little to until p is in the
    hundreds, so there every pass brings Hessians (fewer passes) unless ``p ≥ 400``.
    """
    return bool(getattr(source, "in_memory", False)) or source.n_features >= 400


def fit(problem: GLMProblem, lam, W0: np.ndarray, b0: np.ndarray, held_out, n_folds: int, *,
        solver: str = "newton", tol: float = 1e-8, max_iter: int = 100, curvature0=None,
        start: PassPoint | None = None, subset_first: bool = False,
        feature_scale: tuple[np.ndarray, np.ndarray] | None = None,
        polish: bool = False, reuse: bool | None = None) -> GLMFit:
    """Solve B models (members ``held_out`` (B,)) at penalties ``lam`` (B,) from (W0, b0).

    ``solver`` is ``"newton"`` or ``"lbfgs"`` (see :func:`choose_solver`). Newton takes a
    starting ``curvature0`` and ``start`` point (see :func:`~ridgeline.solvers.newton.newton`),
    with ``subset_first`` fits a subset of the rows first, and with ``polish`` ends with one
    more evaluated step (the gradient at rounding level); L-BFGS is preconditioned with
    ``feature_scale = (means, standard deviations)``. ``reuse`` overrides
    :func:`reuses_curvature` for Newton's Hessians (False: a fresh one every step).
    """
    held_out = np.asarray(held_out, dtype=np.int64)
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), held_out.shape).copy()
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError(f"the penalty λ must be finite and non-negative, got {lam}")
    W0, b0 = np.asarray(W0, dtype=np.float64), np.asarray(b0, dtype=np.float64)
    m = problem.n_outputs
    if W0.shape != (held_out.size, problem.n_features, m) or b0.shape != (held_out.size, m):
        raise ValueError(f"the start W0 {W0.shape}, b0 {b0.shape} does not fit "
                         f"{held_out.size} models of {problem.n_features} features and "
                         f"{m} outputs")
    if solver == "lbfgs":
        mean, scale = feature_scale if feature_scale is not None else (None, None)
        return lbfgs(make_model(problem, held_out, n_folds), lam, W0, b0,
                     fit_intercept=problem.fit_intercept, tol=tol, max_iter=max_iter,
                     x_mean=mean, x_scale=scale, null_curvature=null_curvature(problem, b0))

    def run(prob, W, b, **kw):
        kw.setdefault("reuse", reuses_curvature(prob.source) if reuse is None else reuse)
        return newton(make_model(prob, held_out, n_folds), lam, W, b,
                      fit_intercept=prob.fit_intercept, tol=kw.pop("tol", tol),
                      max_iter=max_iter, **kw)

    if subset_first:
        return subset_then_full(problem, run, W0, b0, tol=tol, polish=polish)
    return run(problem, W0, b0, curvature0=curvature0, start=start, polish=polish)


def subset_then_full(problem: GLMProblem, run: Callable, W0: np.ndarray, b0: np.ndarray, *,
                     tol: float, polish: bool = False) -> GLMFit:
    """Fit on a subset of the rows first, then on all of them from that answer.

    On a large in-memory source that can serve a subset (``source.subset(n_rows)``: random
    rows of an array, or some of a Dask collection's partitions), the models are first fit on
    about ``SUBSET_ROWS_PER_FEATURE · (p + 1)`` rows — a handful of cheap passes — and the full
    fit starts at that answer with its curvature. The subset's optimum is within
    ``O(√(p / n_subset))`` of the full one and so is its Hessian, so the full fit then needs a
    few gradient-only passes (each contracting the error by about that factor) instead of
    several Hessian passes (subsampled-Hessian Newton methods: Byrd, Chin, Neveitt & Nocedal
    2011, *SIAM J. Optim.* 21(3); Roosta-Khorasani & Mahoney 2019, *Math. Program.* 174). The
    stopping rule is applied to the full data, so the answer is the full fit's. Sources
    without ``subset``, or too small for one, are fit directly, and so are models with no
    training rows in the subset (folds that follow the partitions). The subset's last Newton
    step is not evaluated on the subset: the full fit's first pass does.

    A source may set ``subset_rows_per_feature`` (default :data:`SUBSET_ROWS_PER_FEATURE`)
    and ``subset_curvature = False`` (the full fit then forms its own first Hessian instead
    of reusing the subset's: where a Hessian costs a few gradient passes, as in memory).

    ``run(problem, W, b, **newton_options)`` is the Newton fit of the members.
    """
    p = problem.n_features
    subset = getattr(problem.source, "subset", None)
    per_feature = getattr(problem.source, "subset_rows_per_feature", SUBSET_ROWS_PER_FEATURE)
    sub = None
    if subset is not None and reuses_curvature(problem.source):
        sub = subset(per_feature * (p + 1))
    if sub is None or sub is problem.source:
        return run(problem, W0, b0, polish=polish)
    small = GLMProblem(sub, problem.loss, problem.fit_intercept, problem.classes,
                       problem.n_classes, problem.progress)
    try:
        first = run(small, W0, b0, tol=max(tol, _SUBSET_TOL), reuse=False,
                    last_step_below=per_feature ** -0.5)
    except EmptyTrainingRows:  # e.g. folds that follow the partitions
        return run(problem, W0, b0, polish=polish)
    handed = first.curvature if getattr(problem.source, "subset_curvature", True) else None
    out = run(problem, first.coef, first.intercept, curvature0=handed, polish=polish)
    out.n_subset_passes = first.n_passes
    return out


def null_curvature(problem: GLMProblem, b: np.ndarray) -> float:
    """The mean loss curvature ℓ'' at the starting intercepts (η = b on every row): the scale
    of L-BFGS's initial inverse Hessian before the first curvature pair."""
    b0 = np.asarray(b, dtype=np.float64).reshape(np.shape(b)[0], -1)[0]
    if problem.multi:
        pi = np.exp(b0 - b0.max())
        pi /= pi.sum()
        c = float(np.mean(pi * (1.0 - pi)))
    else:
        _, h = problem.loss.derivatives(np.zeros(1), b0[:1])
        c = float(h[0])
    return c if np.isfinite(c) and c > 0 else 1.0
