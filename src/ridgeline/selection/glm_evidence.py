"""The Laplace-approximate evidence (marginal likelihood) of L2 logistic and Poisson models.

MacKay 1992, "The evidence framework applied to classification networks", *Neural
Computation* 4(5): read the penalized objective as a log posterior and approximate the
marginal likelihood of λ by a Gaussian integral at the optimum.

The canonical objective (DESIGN.md) ``f(w, b) = (1/n_w) Σ_i s_i ℓ_i + λ‖w‖²`` becomes a
posterior as follows (weights ``s_i`` act as frequency weights: powers of the likelihood):

=============  =========================  ===========  ===================  ==================
family         ℓ_i                         NLL_i        κ (NLL = κ ℓ + c)    prior precision α
=============  =========================  ===========  ===================  ==================
binomial       log loss                    ℓ_i          1, c = 0             2 n_w λ
multinomial    softmax log loss            ℓ_i          1, c = 0             2 n_w λ
Poisson        unhalved deviance           ℓ_i / 2 + c  ½, c = log y! − y log y + y    n_w λ
=============  =========================  ===========  ===================  ==================

so that ``κ n_w f = Σ s NLL − Σ s c + (α/2)‖w‖²`` with the prior ``w ~ N(0, α⁻¹ I_d)`` on
the d = p·m coefficients. The intercept has a flat (improper, unit-density) prior. With
``H_f`` the Hessian of f at the optimum, the posterior precision is ``κ n_w H_f`` and::

    log Z(λ) ≈ log L(ŵ, b̂) − (α/2)‖ŵ‖² + (d/2) log α − ½ log det(κ n_w H_f) + (m_b/2) log 2π

where ``log L = −Σ s NLL`` is the exact log-likelihood (``log y!`` included for Poisson).
The last term is the constant the flat intercept prior leaves: it is the same for every λ
(it does not move the choice of λ) and it depends on the units of b, as any improper prior's
evidence does. m_b is the number of free intercepts: 1 for binomial and Poisson, C − 1 for
the softmax, whose C intercepts are only defined up to a common shift (the likelihood is flat
along it): b is integrated over the sum-zero subspace, where ``H_bb`` has full rank, and
``det`` is taken there (the pseudo-determinant of ``H_bb``). The p directions of W that shift
every class alike are likewise flat in the likelihood; the prior alone fixes them and their
factors cancel exactly. With the intercept eliminated (:class:`~ridgeline.solvers.curvature.
Curvature`), ``log det H_f = log pdet(H_bb) + log det(S + 2λI)``: one Cholesky factor of the
Schur complement per λ, from the exact Hessian at the optimum (one pass, float64); the same
factor gives the effective number of parameters ``d − 2λ tr[(S + 2λI)⁻¹] + m_b``.

The Laplace error is O(1/n) relative in Z (the posterior is close to Gaussian when every
parameter is informed by many rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import gammaln, xlogy

from ridgeline.path.glm_path import GLMPath
from ridgeline.selection.glm_alo import in_memory_rows
from ridgeline.selection.glm_select import GLMSelection, finish
from ridgeline.solvers.curvature import Curvature
from ridgeline.solvers.glm_fit import fit
from ridgeline.solvers.glm_models import make_model
from ridgeline.solvers.problem import GLMProblem

_FULL = np.array([-1])
_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass
class GLMEvidence:
    """The Laplace evidence of an L2 GLM along a λ grid.

    Attributes
    ----------
    lambdas : ndarray (L,)
        Canonical λ, in the order given.
    log_evidence : ndarray (L,)
        Laplace log marginal likelihood per λ (natural log; module docstring).
    log_likelihood : ndarray (L,)
        Exact log-likelihood ``Σ s_i log p(y_i | ŵ, b̂)`` at each optimum.
    log_det : ndarray (L,)
        ``log det`` of the posterior precision ``κ n_w H_f`` (intercept subspace included).
    dof : ndarray (L,)
        Effective number of parameters ``tr[(H_loss + prior)⁻¹ H_loss]`` (free intercepts
        included): ``Σ e/(e + 2λ) + m_b``.
    index_ : int
        Position of the largest log evidence (the first of ties).
    lambda_ : float
    log_evidence_ : float
        The largest log evidence.
    n_w : float
        Sum of the sample weights.
    family : str
        ``"binomial"``, ``"multinomial"`` or ``"poisson"``.
    path : GLMPath or None
        The full-data fits (batch of 1), so the chosen model needs no refit.
    """

    lambdas: np.ndarray
    log_evidence: np.ndarray
    log_likelihood: np.ndarray
    log_det: np.ndarray
    dof: np.ndarray
    index_: int
    lambda_: float
    log_evidence_: float
    n_w: float
    family: str
    path: GLMPath | None = None


def likelihood_scale(loss) -> float:
    """κ with ``NLL = κ ℓ + c``: 1 for the log losses, ½ for the (unhalved) Poisson deviance."""
    return 0.5 if loss.name == "poisson" else 1.0


def likelihood_constant(loss, y: np.ndarray, s: np.ndarray) -> float:
    """``Σ s c``, the part of the negative log-likelihood the loss leaves out (Poisson:
    ``c = log y! − y log y + y``, with ``log y! = lgamma(y + 1)`` for non-integer counts)."""
    if loss.name != "poisson":
        return 0.0
    y = np.asarray(y, dtype=np.float64)
    return float(s @ (gammaln(y + 1.0) - xlogy(y, y) + y))


def free_intercepts(problem: GLMProblem) -> int:
    """m_b: 0 without an intercept, C − 1 for the softmax, else 1."""
    if not problem.fit_intercept:
        return 0
    return problem.n_outputs - 1 if problem.multi else 1


def log_det_shifted(S: np.ndarray, lam: float) -> tuple[float, float]:
    """``(log det(S + 2λI), tr[(S + 2λI)⁻¹])`` from one Cholesky factor ``L`` (the trace is
    ``‖L⁻¹‖²_F``, a triangular inverse: no eigendecomposition); eigenvalues where Cholesky
    fails."""
    A = S + 2.0 * lam * np.eye(S.shape[0])
    try:
        L = np.linalg.cholesky(A)
        Linv = solve_triangular(L, np.eye(L.shape[0]), lower=True, check_finite=False)
        return float(2.0 * np.sum(np.log(np.diag(L)))), float(np.sum(Linv * Linv))
    except np.linalg.LinAlgError:
        e = np.linalg.eigvalsh(0.5 * (A + A.T))
        if e.size and e[0] <= 0:
            raise ValueError(f"the posterior Hessian at λ = {lam:g} is not positive definite "
                             "(λ too small for this data): the evidence is undefined "
                             "there") from None
        return float(np.sum(np.log(e))), float(np.sum(1.0 / e))


def log_pdet_intercept(curv: Curvature, m_b: int) -> float:
    """``log pdet(H_bb)`` over the m_b free intercept directions (from ``H_bb⁺``)."""
    if m_b == 0:
        return 0.0
    inv = np.sort(np.linalg.eigvalsh(curv.Hbb_pinv))[::-1][:m_b]
    if inv.size < m_b or not np.all(inv > 0):
        raise ValueError("the intercept block of the Hessian is singular at the optimum "
                         "(the fitted probabilities or means are all at 0 or 1): the "
                         "evidence is undefined there")
    return float(-np.sum(np.log(inv)))


def laplace_terms(problem: GLMProblem, W: np.ndarray, b: np.ndarray, lam: float,
                  const: float) -> tuple[dict, Curvature]:
    """The evidence and its parts at one optimum (W (1, p, m), b (1, m)), from one exact pass.

    ``const`` is :func:`likelihood_constant` of the data. Returns the parts (``log_evidence``,
    ``log_likelihood``, ``log_det``, ``dof``) and the curvature there.
    """
    if not lam > 0:
        raise ValueError(f"the evidence needs a positive λ (a proper Gaussian prior), got "
                         f"{lam!r}")
    r = problem.run_pass(W, b, _FULL, 1, True)
    curv = make_model(problem, _FULL, 1).curvature(r, 0)
    n_w = float(r.sw[0])
    kappa = likelihood_scale(problem.loss)
    d, m_b = curv.S.shape[0], free_intercepts(problem)
    alpha = 2.0 * kappa * n_w * lam
    log_lik = -kappa * float(r.loss[0]) - const
    log_det_s, trace_inv = log_det_shifted(curv.S, lam)
    log_det = (d + m_b) * np.log(kappa * n_w) + log_pdet_intercept(curv, m_b) + log_det_s
    dof = d - 2.0 * lam * trace_inv + m_b  # Σ e/(e + 2λ) = d − 2λ tr[(S + 2λI)⁻¹]
    log_ev = (log_lik - 0.5 * alpha * float(np.sum(W * W)) + 0.5 * d * np.log(alpha)
              - 0.5 * log_det + 0.5 * m_b * _LOG_2PI)
    parts = {"log_evidence": float(log_ev), "log_likelihood": log_lik,
             "log_det": float(log_det), "dof": dof, "n_w": n_w}
    return parts, curv


def glm_evidence_path(problem: GLMProblem, lambdas, *, tol: float = 1e-8,
                      max_iter: int = 100) -> GLMEvidence:
    """The Laplace evidence of every λ along one warm-started full-data Newton path.

    Parameters
    ----------
    problem : GLMProblem
        An in-memory (array) problem: binomial, multinomial or Poisson loss.
    lambdas : array-like (L,)
        Canonical λ > 0 (any order; results in this order).
    tol, max_iter : the Newton stopping rule of each fit

    Returns
    -------
    GLMEvidence
        The curve, its best λ, and the path (so the chosen model needs no refit).

    Notes
    -----
    The fits run from strong to weak regularization; the exact Hessian formed at each optimum
    for its log-determinant is the next λ's starting Newton curvature.
    """
    if problem.loss.name not in ("binomial", "multinomial", "poisson"):
        raise ValueError(f"the Laplace evidence covers the binomial, multinomial and Poisson "
                         f"likelihoods; the {problem.loss.name} loss has a dispersion it "
                         "does not model")
    _, y, _ = in_memory_rows(problem)  # the Poisson constant needs the counts
    src = problem.source
    lambdas = np.asarray(lambdas, dtype=np.float64).ravel()
    if lambdas.size == 0 or not np.all(np.isfinite(lambdas)) or np.any(lambdas <= 0):
        raise ValueError("the evidence needs a non-empty grid of finite λ > 0 (C < inf), got "
                         f"{lambdas[:5].tolist()}")
    s = np.ones(y.size) if src.s is None else src.s
    const = likelihood_constant(problem.loss, y, s)
    L = lambdas.size
    path = GLMPath.empty(lambdas, 1, problem.n_features, problem.n_outputs, "newton")
    out = {k: np.zeros(L) for k in ("log_evidence", "log_likelihood", "log_det", "dof")}
    W, b = problem.null_start(src.target_summary(1), _FULL, 1)
    curvature = point = None
    n_w = float(s.sum())
    for i in np.argsort(-lambdas, kind="stable"):
        res = fit(problem, float(lambdas[i]), W, b, _FULL, 1, solver="newton", tol=tol,
                  max_iter=max_iter, curvature0=curvature, start=point)
        W, b, point = res.coef, res.intercept, res.point
        path.record(i, res)
        parts, curv = laplace_terms(problem, W, b, float(lambdas[i]), const)
        curvature = [curv]
        for k in out:
            out[k][i] = parts[k]
    best = int(np.argmax(out["log_evidence"]))
    return GLMEvidence(lambdas=lambdas, **out, index_=best, lambda_=float(lambdas[best]),
                       log_evidence_=float(out["log_evidence"][best]), n_w=n_w,
                       family=problem.loss.name, path=path)


class _EvidenceName:
    """The scorer slot of a CV result: the criterion's name."""

    name = "log_evidence"


def evidence_glm(problem: GLMProblem, lambdas, alphas, *, tol: float = 1e-8,
                 max_iter: int = 100, warn_stacklevel: int = 0) -> GLMSelection:
    """λ selection by the largest Laplace evidence, as a CV result (``method="evidence"``).

    ``mean_score`` is the log evidence (greater is better), ``se`` NaN (no standard error:
    the rule is ``"min"``), ``dof`` the effective number of parameters; the path is the
    full-data one (batch of 1).
    """
    ev = glm_evidence_path(problem, lambdas, tol=tol, max_iter=max_iter)
    L = ev.lambdas.size
    res = finish(ev.lambdas, np.asarray(alphas, dtype=np.float64), "evidence", _EvidenceName,
                 None, ev.log_evidence, np.full(L, np.nan), ev.dof, "min", 1, warn_stacklevel)
    return GLMSelection(result=res, path=ev.path)


def poisson_evidence(X, y, lambdas=None, *, sample_weight=None, fit_intercept: bool = True,
                     n_lambdas: int = 20, tol: float = 1e-8,
                     max_iter: int = 100) -> GLMEvidence:
    """The Laplace evidence of L2 Poisson regression (log link) along a λ grid.

    Parameters
    ----------
    X : array (n, p) or sparse matrix
    y : array (n,)
        Non-negative counts (not all zero).
    lambdas : array-like (L,), optional
        Canonical λ > 0 (``PoissonRegressor``'s ``alpha``, equal to it). Default: ``n_lambdas``
        values spanning 5% to 99% of the rank in effective dof at the null model
        (:func:`ridgeline.path.auto_glm_grid`).
    sample_weight : array (n,), optional
    fit_intercept : bool, default=True
    n_lambdas : int, default=20
    tol, max_iter : Newton's stopping rule

    Returns
    -------
    GLMEvidence
        ``lambda_`` is the λ of the largest evidence; ``path`` the fits.
    """
    from sklearn.utils.validation import check_array, check_consistent_length

    from ridgeline.losses import PoissonLoss
    from ridgeline.path.glm_path import auto_glm_grid

    X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32],
                    input_name="X")
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    if y.ndim != 1:
        raise ValueError(f"y must be one count per sample (shape (n,)), got shape {y.shape}")
    check_consistent_length(X, y)
    s = np.ones(y.size) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if s.shape != y.shape or not np.all(np.isfinite(s)) or np.any(s < 0) or not s.sum() > 0:
        raise ValueError("sample_weight must hold one finite, non-negative weight per row "
                         "with a positive sum")
    if np.any(y < 0):
        raise ValueError(f"Poisson targets must be non-negative; {int(np.sum(y < 0))} "
                         "value(s) of y are negative")
    if not (s @ y) > 0:
        raise ValueError("Poisson targets are all zero (weighted): the mean count must be "
                         "positive for a log-link model")
    problem = GLMProblem.from_arrays(X, y, s, PoissonLoss(), fit_intercept)
    grid = auto_glm_grid(problem, n_lambdas) if lambdas is None else lambdas
    return glm_evidence_path(problem, grid, tol=tol, max_iter=max_iter)
