"""GLM fits and K-fold CV on a statistics source: Newton/IRLS with one pass per iteration.

Every pass (:meth:`~ridgeline.stats.source.StatisticsSource.glm_pass`) evaluates B models at
once — the K fold models of cross-validation, or the single full-data model — returning each
model's loss, gradient and Hessian summed over its training rows, and its held-out loss and
accuracy. The objective of model j is the one of :mod:`ridgeline.solvers.glm_problem`::

    f_j(w, b) = (1 / n_j) Σ_{i ∈ train_j} ℓ(y_i, x_iᵀw + b) + λ_j ‖w‖²

A pass at a *trial* point serves both the line search and the next step: when the trial
passes the Armijo test it is accepted and its gradient and Hessian give the next Newton
direction (one pass per iteration); otherwise the step is halved and the next pass evaluates
the shorter trial. Members step in lockstep and stop independently at ``max|∇f| ≤ tol``. The
optimum is unique (λ > 0), so this reaches the in-memory solvers' solution.

A Hessian costs ``n p²`` flops per model and a gradient ``2 n p``, so a pass asks for Hessians
only when a member needs one: the curvature is **reused** (the chord method, Kelley 1995,
*Iterative Methods for Linear and Nonlinear Equations*, §5.4, as in
:mod:`ridgeline.solvers.newton`) while a step with it still cuts ``max|∇f|`` by at least
``REFRESH_RATE``, and re-formed at the next trial point otherwise — over sources whose passes
cost flops rather than reads (:func:`reuses_curvature`). The lockstep loop is
:func:`ridgeline.selection.stream_lockstep.lockstep_newton`, shared with the softmax model.
A stale curvature still gives a descent direction, and the line search and the stopping
rule are unchanged, so the answer is the same; only the passes get cheaper. A curvature can
also be handed in (``curvature0``): from the previous λ of a path, or from a fit on a subset
of the rows (:func:`fit_on_subset_first`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ridgeline.selection.glm_scoring import GLMScorer
from ridgeline.selection.glm_select import _finish
from ridgeline.selection.result import RidgeCVResult
from ridgeline.selection.stream_lockstep import (
    EmptyTrainingRows,
    LockstepResult,
    lockstep_newton,
)
from ridgeline.solvers.glm_problem import Curvature

#: Curvature pairs kept to correct a reused Hessian (:class:`_Secants`).
_SECANT_MEMORY = 10
#: A curvature pair is skipped when ``sᵀy ≤ _PAIR_EPS ‖s‖ ‖y‖`` (:class:`CurvaturePairs`).
_PAIR_EPS = 1e-10
#: Rows per feature of the subset :func:`fit_on_subset_first` fits first, and its tolerance.
_SUBSET_ROWS_PER_FEATURE = 4000
_SUBSET_TOL = 1e-5


@dataclass
class StreamNewtonResult:
    """Solutions of B models from :func:`stream_newton`.

    Attributes
    ----------
    coef : ndarray (B, p)
    intercept : ndarray (B,)
    n_iter : ndarray of int (B,)
        Accepted Newton steps.
    grad_norm : ndarray (B,)
        Largest absolute gradient entry at the solution.
    converged : ndarray of bool (B,)
    held_sw, held_loss, held_correct : ndarray (B,)
        Held-out sums at the solution (see :class:`~ridgeline.stats.source.GLMPassResult`).
    n_passes : int
        Passes over the data.
    solver : str
    n_hessian_passes : int
        Passes that also formed Hessians (the others formed gradients only).
    n_subset_passes : int
        Passes over a subset of the rows that found the starting point
        (:func:`fit_on_subset_first`), not counted in ``n_passes``.
    curvature : list of Curvature or None, length B
        Each member's last loss curvature (to start a nearby problem with).
    objective : ndarray (B,) or None
        ``f_j`` at the solution (None where the solver does not report it).
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    grad_norm: np.ndarray
    converged: np.ndarray
    held_sw: np.ndarray
    held_loss: np.ndarray
    held_correct: np.ndarray
    n_passes: int
    solver: str = "newton"
    n_hessian_passes: int = 0
    n_subset_passes: int = 0
    curvature: list | None = None
    objective: np.ndarray | None = None

    @classmethod
    def from_lockstep(cls, out: LockstepResult):
        """The result of a :func:`~ridgeline.selection.stream_lockstep.lockstep_newton` run."""
        return cls(coef=out.coef, intercept=out.intercept, n_iter=out.n_iter,
                   grad_norm=out.grad_norm, converged=out.converged, held_sw=out.held[0],
                   held_loss=out.held[1], held_correct=out.held[2], n_passes=out.n_passes,
                   n_hessian_passes=out.n_hessian_passes, curvature=out.curvature,
                   objective=out.objective)


def _curvature(r, j: int, fit_intercept: bool) -> Curvature:
    """Schur-complement Hessian of member j (means over its training rows)."""
    sw = r.sw[j]
    Hww = r.hess_ww[j] / sw
    if not fit_intercept:
        return Curvature(S=0.5 * (Hww + Hww.T), Hwb=None, Hbb_pinv=None)
    Hwb = (r.hess_wb[j] / sw)[:, None]
    Hbb = np.array([[r.hess_bb[j] / sw]])
    Hbb_pinv = np.linalg.pinv(Hbb, rcond=1e-12, hermitian=True)
    S = Hww - Hwb @ Hbb_pinv @ Hwb.T
    return Curvature(S=0.5 * (S + S.T), Hwb=Hwb, Hbb_pinv=Hbb_pinv)


class CurvaturePairs:
    """The newest ``memory`` L-BFGS curvature pairs ``(s, y) = (Δθ, Δ∇f)`` of one model and
    the two-loop recursion over them (Nocedal & Wright, *Numerical Optimization*, Algorithm
    7.4), from any initial inverse Hessian ``h0``. Shared by :func:`stream_newton` (``h0``:
    a reused Newton matrix) and :func:`ridgeline.selection.stream_lbfgs.stream_lbfgs`.
    """

    def __init__(self, memory: int):
        self.pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=memory)

    def __len__(self) -> int:
        return len(self.pairs)

    def clear(self) -> None:
        self.pairs.clear()

    def push(self, s: np.ndarray, y: np.ndarray) -> bool:
        """Store the pair unless its curvature ``sᵀy`` is not clearly positive (rounding)."""
        sy = float(s @ y)
        if not (np.isfinite(sy) and sy > _PAIR_EPS * np.linalg.norm(s) * np.linalg.norm(y)):
            return False
        self.pairs.append((s, y, 1.0 / sy))
        return True

    def direction(self, g: np.ndarray, h0: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``−H g`` with ``H`` the pairs' update of ``h0`` (``h0(q) = H0 q``)."""
        q = g.copy()
        alpha = []
        for s, y, rho in reversed(self.pairs):
            a = rho * float(s @ q)
            q -= a * y
            alpha.append(a)
        r = h0(q)
        for (s, y, rho), a in zip(self.pairs, reversed(alpha), strict=True):
            r += (a - rho * float(y @ r)) * s
        return -r


class _Secants(CurvaturePairs):
    """Quasi-Newton corrections of one member's reused curvature.

    Between Hessians, the accepted points' gradient changes are curvature pairs and the step
    is the two-loop recursion started from the reused Newton matrix, ``H0 = (S + 2λI)⁻¹``,
    instead of ``H0`` alone. ``H0`` already matches the Hessian to a few percent (a nearby
    point's, or a subset's), and the pairs remove much of what is left along the directions
    taken, so each gradient-only pass contracts the gradient further than the chord step would.
    """

    def __init__(self, memory: int):
        super().__init__(memory)
        self.last: tuple[np.ndarray, np.ndarray] | None = None

    def restart(self, x: np.ndarray, g: np.ndarray) -> None:
        """A Hessian was formed at ``x``: forget the pairs, measure from here."""
        self.clear()
        self.last = (x, g)

    def record(self, x: np.ndarray, g: np.ndarray) -> None:
        """The accepted point ``x`` with gradient ``g``: one more pair (if clearly convex)."""
        if self.last is not None:
            self.push(x - self.last[0], g - self.last[1])
        self.last = (x, g)


def stream_newton(source, loss, lam: np.ndarray, coef0: np.ndarray, intercept0: np.ndarray,
                  held_out: np.ndarray, n_folds: int, *, fit_intercept: bool = True,
                  tol: float = 1e-8, max_iter: int = 100,
                  progress: Callable[[int], None] | None = None,
                  curvature0: Sequence[Curvature | None] | None = None,
                  reuse: bool | None = None,
                  last_step_below: float | None = None) -> StreamNewtonResult:
    """Minimize ``f_j`` for B models by damped Newton, one pass over the source per iteration.

    Parameters
    ----------
    source : StatisticsSource
    loss : BinomialLoss or PoissonLoss
    lam : ndarray (B,)
        Canonical penalty of each model.
    coef0 : ndarray (B, p), intercept0 : ndarray (B,)
        Starting point.
    held_out : ndarray of int (B,)
        Fold held out by each model (-1: none, the full data).
    n_folds : int
    fit_intercept : bool
    tol : float
        Stop a member at ``max|∇f_j| ≤ tol``.
    max_iter : int
        Most accepted steps per member.
    progress : callable, optional
        Called with the rows read.
    curvature0 : sequence of Curvature or None, length B, optional
        A loss curvature (means over training rows) per member to start with; the first
        pass then forms gradients only for those members.
    reuse : bool, optional
        Reuse Hessians while they pay (default: :func:`reuses_curvature` of the source);
        False forms one at every pass (pure Newton).
    last_step_below : float, optional
        Once a member's ``max|∇f|`` is at most this fraction of its value at the first pass,
        its next Newton step (with a fresh Hessian) is taken without a pass to evaluate it,
        and the member stops there. For fits whose answer is only a starting point
        (:func:`fit_on_subset_first`): the pass that would confirm the step is saved; the
        next fit starts from the stepped point and converges from there like from any start.
    """
    B = np.shape(coef0)[0]
    held_out = np.asarray(held_out, dtype=np.int64)
    model = _GLMModel(source, loss, held_out, n_folds, fit_intercept, progress, B)
    b0 = np.array(intercept0, dtype=np.float64) if fit_intercept else np.zeros(B)
    out = lockstep_newton(model, lam, coef0, b0, fit_intercept=fit_intercept, tol=tol,
                          max_iter=max_iter,
                          reuse=reuses_curvature(source) if reuse is None else bool(reuse),
                          curvature0=curvature0, last_step_below=last_step_below,
                          held_out=held_out)
    return StreamNewtonResult.from_lockstep(out)


class _GLMModel:
    """:class:`~ridgeline.selection.stream_lockstep.LockstepModel` of B scalar-η GLMs (W (B, p),
    b (B,)): steps with the member's curvature, corrected by secant pairs while it is reused
    (:class:`_Secants`)."""

    def __init__(self, source, loss, held_out, n_folds, fit_intercept, progress, B):
        self.source, self.loss, self.held_out, self.n_folds = source, loss, held_out, n_folds
        self.fit_intercept, self.progress = fit_intercept, progress
        self.secants = [_Secants(_SECANT_MEMORY) for _ in range(B)]

    def run_pass(self, act, W, b, hessian):
        return self.source.glm_pass(self.loss, W, b, self.held_out[act], self.n_folds,
                                    hessian=hessian, progress=self.progress)

    def gradient(self, r, i, W, lam):
        gb = r.grad_b[i] / r.sw[i] if self.fit_intercept else 0.0
        return r.grad_w[i] / r.sw[i] + 2.0 * lam * W, np.asarray(gb)

    def curvature(self, r, i):
        return _curvature(r, i, self.fit_intercept)

    def step(self, j, W, b, gW, gb, curv, lam, fresh):
        theta, grad = np.append(W, b), np.append(gW, gb)
        if fresh:
            self.secants[j].restart(theta, grad)
        else:
            self.secants[j].record(theta, grad)
        if len(self.secants[j]):
            step = self.secants[j].direction(grad, _newton_matrix(curv, lam))
            step_w, step_b = step[:-1], float(step[-1])
        else:
            sw_, sb_ = curv.solve(lam, gW[:, None], np.array([float(gb)]))
            step_w, step_b = sw_[:, 0], float(sb_[0])
        return step_w, (step_b if self.fit_intercept else 0.0)

    def intercept(self, b):
        return b


def _newton_matrix(curv: Curvature, lam: float) -> Callable[[np.ndarray], np.ndarray]:
    """``q ↦ (S + 2λI)⁻¹ q`` on ``θ = (w, b)`` (the Newton solve, sign flipped)."""
    def h0(q: np.ndarray) -> np.ndarray:
        dw, db = curv.solve(lam, q[:-1, None], q[-1:])
        return -np.append(dw[:, 0], db[0] if curv.Hwb is not None else 0.0)
    return h0


def fit_on_subset_first(source, loss, lam: np.ndarray, coef0: np.ndarray,
                        intercept0: np.ndarray, held_out: np.ndarray, n_folds: int, *,
                        fit_intercept: bool = True, tol: float = 1e-8, max_iter: int = 100,
                        progress: Callable[[int], None] | None = None) -> StreamNewtonResult:
    """:func:`stream_newton`, started from the same models fit on a subset of the rows first
    (see :func:`subset_then_full`)."""
    def newton(src, coef, intercept, **kw):
        return stream_newton(src, loss, lam, coef, intercept, held_out, n_folds, **kw)

    return subset_then_full(source, newton, coef0, intercept0, tol=tol,
                            fit_intercept=fit_intercept, max_iter=max_iter, progress=progress)


def subset_then_full(source, newton: Callable, coef0: np.ndarray, intercept0: np.ndarray, *,
                     tol: float, **kw):
    """Fit on a subset of the rows first, then on all of them from that answer.

    On a large in-memory source that can serve a subset (``source.subset(n_rows)``, e.g. some
    of a Dask collection's partitions), the models are first fit on about
    ``_SUBSET_ROWS_PER_FEATURE · (p + 1)`` rows — a handful of cheap passes — and the full fit
    starts at that answer with its curvature. The subset's optimum is within
    ``O(√(p / n_subset))`` of the full one and so is its Hessian, so the full fit then needs
    a few gradient-only passes (each contracting the error by about that factor) instead of
    several Hessian passes (the idea of subsampled-Hessian Newton methods: Byrd, Chin, Neveitt
    & Nocedal 2011, *SIAM J. Optim.* 21(3); Roosta-Khorasani & Mahoney 2019, *Math. Program.*
    174). The stopping rule is applied to the full data, so the answer is the full fit's.
    Sources without ``subset``, or too small for one, are fit directly, and so are models
    with no training rows in the subset (folds that follow the partitions). The subset's last
    Newton step is not evaluated on the subset: the full fit starts there, and its own line
    search and stopping rule (any start converges) take it from there.

    ``newton(source, coef, intercept, *, tol, reuse, curvature0, last_step_below, **kw)`` is
    the lockstep Newton fit (:func:`stream_newton`, or the multinomial
    :func:`~ridgeline.selection.stream_multinomial.stream_multinomial_newton`); its result
    has ``coef``, ``intercept``, ``curvature``, ``n_passes`` and ``n_subset_passes``.
    """
    p = source.n_features
    subset = getattr(source, "subset", None)
    sub = None
    if subset is not None and reuses_curvature(source):
        sub = subset(_SUBSET_ROWS_PER_FEATURE * (p + 1))
    if sub is None or sub is source:
        return newton(source, coef0, intercept0, tol=tol, **kw)
    # pure Newton on the subset: its passes are cheap (one fewer than with reuse on the 6M-row
    # logistic benchmark), and the curvature handed on is the one at its last pass. Once its
    # gradient is within the subset's own distance from the full data's optimum (~√(p/m) of
    # where it started), the last Newton step is taken without a pass to check it: the full
    # fit's first pass does (one subset pass fewer on the 10M-row logistic benchmark)
    try:
        first = newton(sub, coef0, intercept0, tol=max(tol, _SUBSET_TOL), reuse=False,
                       last_step_below=_SUBSET_ROWS_PER_FEATURE ** -0.5, **kw)
    except EmptyTrainingRows:  # e.g. folds that follow the partitions: a member has no
        return newton(source, coef0, intercept0, tol=tol, **kw)  # rows in the subset
    fit = newton(source, first.coef, first.intercept, tol=tol, curvature0=first.curvature,
                 **kw)
    fit.n_subset_passes = first.n_passes
    return fit


#: Features from which ``solver="auto"`` fits a source by L-BFGS instead of Newton: in memory
#: (Dask, NumPy) a Hessian pass costs ~p/30 gradient passes (measured at p = 2000: L-BFGS
#: 6–14× faster on well-conditioned data, 2× on near-collinear data at λ = 1e-2, 2.4× slower
#: at λ = 1e-4); over files a pass costs its read and Newton's fewer passes win up to at
#: least p = 2000 (the file threshold is an extrapolation).
LBFGS_MIN_FEATURES = {"in_memory": 2000, "files": 5000}


def choose_source_solver(source, solver: str = "auto") -> str:
    """``"newton"`` or ``"lbfgs"`` for a GLM fit on ``source`` (``"auto"``: by p, see
    :data:`LBFGS_MIN_FEATURES`)."""
    if solver in ("newton", "lbfgs"):
        return solver
    if solver != "auto":
        raise ValueError(f"a statistics source is fit by 'newton' or 'lbfgs', got {solver!r}")
    where = "in_memory" if getattr(source, "in_memory", False) else "files"
    return "lbfgs" if source.n_features >= LBFGS_MIN_FEATURES[where] else "newton"


def stream_fit(source, loss, lam: np.ndarray, coef0: np.ndarray, intercept0: np.ndarray,
               held_out: np.ndarray, n_folds: int, *, solver: str = "newton",
               feature_scale: tuple[np.ndarray, np.ndarray] | None = None,
               curvature0=None, subset_first: bool = False, **kw) -> StreamNewtonResult:
    """:func:`stream_newton` (through :func:`fit_on_subset_first` with ``subset_first``, for
    a start far from the answer) or, with ``solver="lbfgs"``,
    :func:`ridgeline.selection.stream_lbfgs.stream_lbfgs` preconditioned with
    ``feature_scale = (means, standard deviations)``."""
    if solver == "lbfgs":
        from ridgeline.selection.stream_lbfgs import stream_lbfgs

        mean, scale = feature_scale if feature_scale is not None else (None, None)
        return stream_lbfgs(source, loss, lam, coef0, intercept0, held_out, n_folds,
                            x_mean=mean, x_scale=scale, **kw)
    if subset_first:
        return fit_on_subset_first(source, loss, lam, coef0, intercept0, held_out, n_folds,
                                   **kw)
    return stream_newton(source, loss, lam, coef0, intercept0, held_out, n_folds,
                         curvature0=curvature0, **kw)


def reuses_curvature(source) -> bool:
    """Whether passes over ``source`` should reuse Hessians (see the module docstring).

    Over rows held in memory (NumPy, Dask) a pass costs its flops, and a Hessian (``n p²``)
    costs about ``p / 30`` gradients (``2 n p``): reusing one pays from small p on. Over files
    a pass costs the read and decode, which a Hessian adds little to until p is in the
    hundreds, so there every pass brings Hessians (fewer passes) unless ``p ≥ 400``.
    """
    return bool(getattr(source, "in_memory", False)) or source.n_features >= 400


def null_start(loss, summary, held_out: np.ndarray, p: int,
               fit_intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """The null model of each member (W = 0, b = best constant on its training rows).

    A loss that encodes its targets (two class labels → 0/1, ``loss.encode``) gets the mean of
    the encoded targets, recovered from the summary's label sums: with labels ``a`` (the
    positive class) and ``c``, ``Σ s [y = a] = (Σ s y − c Σ s) / (a − c)``.
    """
    B = held_out.size
    b = np.zeros(B)
    if fit_intercept:
        sw_k, sy_k = summary.sw, summary.sy
        positive = getattr(loss, "positive", None)
        if getattr(loss, "encode", None) is not None and positive is not None \
                and summary.values is not None and summary.values.size == 2:
            other = float(summary.values[summary.values != positive][0])
            sy_k = (sy_k - other * sw_k) / (positive - other)
        for j, k in enumerate(held_out):
            sw = sw_k.sum() - (sw_k[k] if k >= 0 else 0.0)
            sy = sy_k.sum() - (sy_k[k] if k >= 0 else 0.0)
            b[j] = loss.null_eta(np.array([sy / sw]), np.array([1.0]))
    return np.zeros((B, p)), b


@dataclass
class StreamGLMSelection:
    """K-fold CV of a GLM on a source.

    Attributes
    ----------
    result : RidgeCVResult
    coef : ndarray (L, K, p)
        Per-λ, per-fold coefficients (grid order).
    intercept : ndarray (L, K)
    n_iter : ndarray (L, K)
    n_passes : int
        Passes over all the rows (a subset fit's passes, see :func:`fit_on_subset_first`,
        are not counted).
    """

    result: RidgeCVResult
    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    n_passes: int


def stream_kfold_glm(source, loss, summary, n_folds: int, lambdas: np.ndarray,
                     alphas: np.ndarray, scorer: GLMScorer, *, fit_intercept: bool = True,
                     tol: float = 1e-8, max_iter: int = 100, rule: str = "min",
                     fixed_C: bool = True, warn_stacklevel: int = 0,
                     progress: Callable[[int], None] | None = None, solver: str = "newton",
                     feature_scale: tuple[np.ndarray, np.ndarray] | None = None
                     ) -> StreamGLMSelection:
    """K-fold CV scores of every λ, all K folds per pass, warm-started from strong to weak λ.

    As :func:`ridgeline.selection.glm_select.kfold_glm` (``fixed_C``: fold k is fit at
    ``λ·n/n_train,k``, scikit-learn's fixed C), with the folds of the source's fold rule.
    ``scorer`` must be per-sample ("accuracy", "neg_log_loss", "neg_mean_poisson_deviance").
    ``solver`` and ``feature_scale`` as :func:`stream_fit`.
    """
    if scorer.name not in ("accuracy", "neg_log_loss", "neg_mean_poisson_deviance"):
        raise ValueError(f"scoring={scorer.name!r} needs held-out predictions; on a streamed "
                         "source use 'accuracy', 'neg_log_loss' (logistic) or "
                         "'neg_mean_poisson_deviance' (Poisson)")
    lambdas = np.asarray(lambdas, dtype=np.float64)
    L, K, p = lambdas.size, n_folds, source.n_features
    folds = np.arange(K)
    n_total = summary.sw.sum()
    train_sw = n_total - summary.sw
    if np.any(summary.sw <= 0):
        raise ValueError(f"a fold has no rows: too few rows for {K} folds")
    scale = n_total / train_sw if fixed_C else np.ones(K)
    W, b = null_start(loss, summary, folds, p, fit_intercept)
    coef, inter = np.zeros((L, K, p)), np.zeros((L, K))
    n_iter = np.zeros((L, K), dtype=np.int64)
    scores = np.zeros((K, L))
    passes = 0
    curvature = None  # the previous λ's curvatures start the next (warm start along the path)
    kw = dict(fit_intercept=fit_intercept, tol=tol, max_iter=max_iter, progress=progress,
              solver=solver, feature_scale=feature_scale)
    for i in np.argsort(-lambdas, kind="stable"):
        # the first λ starts from the null models (a subset first), the next from the last
        fit = stream_fit(source, loss, lambdas[i] * scale, W, b, folds, K,
                         curvature0=curvature, subset_first=curvature is None, **kw)
        passes += fit.n_passes
        W, b, curvature = fit.coef, fit.intercept, fit.curvature
        coef[i], inter[i], n_iter[i] = W, b, fit.n_iter
        scores[:, i] = held_out_scores(fit, scorer)
    res = kfold_result(lambdas, alphas, scorer, scores, rule, warn_stacklevel)
    return StreamGLMSelection(result=res, coef=coef, intercept=inter, n_iter=n_iter,
                              n_passes=passes)


def held_out_scores(fit, scorer: GLMScorer) -> np.ndarray:
    """Each fold model's held-out score (K,) from a pass result's held-out sums: accuracy, or
    the negated mean loss."""
    if scorer.name == "accuracy":
        return fit.held_correct / fit.held_sw
    return -fit.held_loss / fit.held_sw


def kfold_result(lambdas: np.ndarray, alphas: np.ndarray, scorer: GLMScorer,
                 scores: np.ndarray, rule: str, warn_stacklevel: int) -> RidgeCVResult:
    """The K-fold CV result of fold scores (K, L): their mean and standard error per λ, and
    the chosen λ under ``rule``."""
    K, L = scores.shape
    mean = scores.mean(axis=0)
    se = scores.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 else np.full(L, np.nan)
    return _finish(lambdas, alphas, "kfold", scorer, scores[:, :, None], mean, se,
                   np.full(L, np.nan), rule, K, warn_stacklevel)
