"""The regularization path: coefficients and effective degrees of freedom for every λ.

One function for every ridgeline model, on the canonical objective ``mean loss + λ·P(w)``:

- **ridge** — one spectral factorization serves the whole grid
  (:func:`ridgeline.path.ridge_path`); dof ``= Σ_j d_j²/(d_j² + n_w λ) (+1)``, the trace of
  the hat matrix (intercept included).
- **logistic, Poisson** — warm-started Newton paths (:func:`ridgeline.path.glm_path`); dof is
  the trace of the *weighted* hat matrix ``W^½X̃(X̃ᵀWX̃ + 2λI)⁻¹X̃ᵀW^½`` at each solution, with
  ``W = ω ℓ''(η)`` the IRLS weights there (the working-response smoother of the last Newton
  step; Hastie & Tibshirani 1990, *Generalized Additive Models*). With the intercept
  eliminated this is ``Σ e/(e + 2λ) + rank(H_bb)`` over the eigenvalues ``e`` of the
  curvature's Schur complement.
- **lasso / elastic net / group lasso** — certified coordinate-descent paths
  (:func:`ridgeline.enet_path`, :func:`ridgeline.group_lasso_path`); dof of the lasso is the
  number of nonzero coefficients (Zou, Hastie & Tibshirani 2007, "On the degrees of freedom
  of the lasso", *Ann. Statist.* 35(5)); of the elastic net the trace over the active set
  ``tr[(G_A + n_w λ(1−mix) F_A)⁻¹ G_A]`` (Zou & Hastie 2005; Tibshirani & Taylor 2012,
  "Degrees of freedom in lasso problems", *Ann. Statist.* 40(2)), which reduces to the lasso's
  count at ``mix = 1``; of the group lasso the plain count of nonzero coefficients. All
  include +1 for the intercept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.diagnostics._checks import (
    check_count,
    check_data,
    check_grid_cost,
    check_lambdas,
    feature_names_of,
    input_feature_names,
)
from ridgeline.diagnostics._fits import (
    glm_dof,
    glm_problem,
    ridge_factor,
    sparse_dof,
    sparse_path,
    weight_sum,
)
from ridgeline.diagnostics._models import (
    ModelSpec,
    cv_choice,
    model_spec,
    own_grid,
    own_lambda,
)
from ridgeline.diagnostics._table import text_table, to_dict
from ridgeline.diagnostics.coefficients import feature_scale
from ridgeline.estimators._glm import warn_convergence
from ridgeline.path.glm_path import auto_glm_grid, glm_path
from ridgeline.path.grid import auto_lambda_grid
from ridgeline.path.ridge_path import ridge_path
from ridgeline.solvers.glm_fit import choose_solver


@dataclass
class RegularizationPath:
    """Coefficients along a grid of canonical λ, with effective degrees of freedom.

    Attributes
    ----------
    lambdas : ndarray (L,)
        Canonical λ (the objective ``mean loss + λ·P(w)``), in the order evaluated.
    params : ndarray (L,)
        The same grid in the estimator's own parameter (:attr:`param_name`): ``alpha = n_w λ``
        for ridge, ``C = 1/(2 n_w λ)`` for logistic, ``alpha = λ`` for Poisson,
        ``alpha = λ/(1+l1_ratio)`` for the elastic net / lasso, ``alpha = λ/2`` for the group
        lasso.
    param_name : str
        ``"alpha"`` or ``"C"``.
    coef : ndarray (L, p, m)
        Coefficients on the original feature scale; ``m`` outputs (1 for a single target or
        binary/Poisson; the number of targets for multi-target ridge; the number of classes
        for multinomial logistic).
    intercept : ndarray (L, m)
    dof : ndarray (L,)
        Effective degrees of freedom (intercept included); see :attr:`dof_method`.
    n_nonzero : ndarray (L,) of int
        Features with a nonzero coefficient (in any output).
    model : str
        ``"ridge"``, ``"logistic"``, ``"poisson"``, ``"lasso"``, ``"elasticnet"`` or
        ``"group"``.
    estimator : str
        Class name of the estimator the path was computed for.
    dof_method : str
        What :attr:`dof` is, in words.
    feature_names : list of str (p,)
    output_names : list of str (m,)
        Target names, or the classes for multinomial logistic regression.
    n_w : float
        Sum of sample weights (the λ ↔ parameter conversion uses it).
    fit_intercept : bool
    lambda_min, lambda_1se : float or None
        Canonical λ of the best CV score and of the one-standard-error rule, when the
        estimator is a fitted CV estimator.
    lambda_chosen : float or None
        The λ the estimator fits (its ``lambda_`` when fitted, else its parameter's λ).
    scale : ndarray (p,) or None
        Sample-weighted standard deviation of each feature (1 for a constant one): ``coef ·
        scale`` are the standardized coefficients, which rank the features (as
        :func:`~ridgeline.diagnostics.standardized_coefficients` does).
    """

    lambdas: np.ndarray
    params: np.ndarray
    param_name: str
    coef: np.ndarray
    intercept: np.ndarray
    dof: np.ndarray
    n_nonzero: np.ndarray
    model: str
    estimator: str
    dof_method: str
    feature_names: list
    output_names: list
    n_w: float
    fit_intercept: bool
    lambda_min: float | None = None
    lambda_1se: float | None = None
    lambda_chosen: float | None = None
    scale: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return self.coef.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.coef.shape[2]

    def coef_norm(self, ord: int = 2) -> np.ndarray:
        """``‖w(λ)‖`` per λ over all outputs (ord 1 or 2), shape (L,)."""
        flat = self.coef.reshape(self.coef.shape[0], -1)
        return np.linalg.norm(flat, ord=ord, axis=1)

    def table(self) -> str:
        """One line per λ: λ, the estimator's parameter, dof, nonzeros, ‖w‖₁, ‖w‖₂, marks."""
        l1, l2 = self.coef_norm(1), self.coef_norm(2)
        rows = []
        for i, lam in enumerate(self.lambdas):
            rows.append([f"{lam:.5g}", self.params[i], self.dof[i], int(self.n_nonzero[i]),
                         l1[i], l2[i], _marks(self, float(lam))])
        return text_table(["λ", self.param_name, "dof", "nonzero", "‖w‖₁", "‖w‖₂", ""], rows,
                          note=f"{self.estimator} path, dof: {self.dof_method}")

    def to_dict(self) -> dict:
        """All fields as JSON-ready values (arrays → lists, NaN → None)."""
        return to_dict(self)


def _marks(res, lam: float) -> str:
    out = []
    for name, val in (("λ_min", res.lambda_min), ("λ_1se", res.lambda_1se),
                      ("chosen", res.lambda_chosen)):
        if val is not None and np.isclose(lam, val, rtol=1e-9, atol=0.0):
            out.append(name)
    return ", ".join(out)


def regularization_path(estimator, X, y, *, lambdas=None, n_lambdas: int = 50,
                        sample_weight=None, feature_names=None) -> RegularizationPath:
    """Coefficients and effective degrees of freedom of ``estimator``'s model for every λ.

    Parameters
    ----------
    estimator : ridgeline estimator, fitted or not
        ``Ridge``, ``RidgeCV``, ``LogisticRegression(CV)`` (L2), ``PoissonRegressor``,
        ``Lasso``, ``ElasticNet(CV)``, ``LassoCV``, ``GroupLasso(CV)``. Only its settings are
        used (penalty, intercept, standardization, class weights, groups, tolerances); a
        fitted CV estimator also contributes its grid and its λ_min / λ_1se. Never modified.
    X : array (n, p) or sparse matrix
    y : array (n,) or (n, k)
        Targets (class labels for logistic regression).
    lambdas : array-like (L,), optional
        Canonical λ grid. Default: the estimator's own grid (a CV estimator's), else an
        automatic one — ridge: spanning 5% to 99% of the rank in dof; GLMs: the same at the
        null model's curvature; sparse: log-spaced from the exact λ_max down to 1e-3·λ_max.
    n_lambdas : int, default=50
        Size of an automatic grid.
    sample_weight : array (n,), optional
    feature_names : sequence of str (p,), optional
        Default: the columns of a DataFrame X, the estimator's ``feature_names_in_``, or
        ``x0, x1, …``.

    Returns
    -------
    RegularizationPath

    Raises
    ------
    TypeError
        ``estimator`` is not a supported ridgeline estimator.
    ValueError
        NaN/inf in X or y, inconsistent lengths, a negative or non-finite λ, a zero λ with a
        rank-deficient X (ridge).
    """
    spec = model_spec(estimator)
    names_in = input_feature_names(X)
    n_lambdas = check_count(n_lambdas, "n_lambdas", 1)
    X, y, s = check_data(X, y, sample_weight=sample_weight, y_numeric=spec.kind != "logistic")
    n_w = weight_sum(spec, X, y, s)
    names = feature_names_of(estimator, X.shape[1], feature_names if feature_names is not None
                             else names_in)
    grid = check_lambdas(lambdas) if lambdas is not None else own_grid(estimator, spec, n_w)
    check_grid_cost(grid, n_lambdas, iterative=spec.kind != "ridge",
                    per_member=(X.shape[1] + min(X.shape)) * (y.shape[1] if y.ndim == 2 else 1))
    compute = {"ridge": _ridge, "logistic": _glm, "poisson": _glm, "enet": _sparse,
               "group": _sparse}[spec.kind]
    lam, coef, intercept, dof, outputs = compute(spec, X, y, s, grid, n_lambdas)
    lam_min, lam_1se = cv_choice(estimator)
    nnz = np.count_nonzero(np.any(coef != 0, axis=2), axis=1)
    return RegularizationPath(
        lambdas=lam, params=spec.to_param(lam, n_w), param_name=spec.param_name, coef=coef,
        intercept=intercept, dof=dof, n_nonzero=nnz, model=spec.dof_kind,
        estimator=spec.name, dof_method=spec.dof_method, feature_names=names,
        output_names=outputs, n_w=n_w, fit_intercept=spec.fit_intercept,
        lambda_min=lam_min, lambda_1se=lam_1se, lambda_chosen=own_lambda(estimator, spec, n_w),
        scale=feature_scale(X, s))


# ---- ridge ------------------------------------------------------------------------------------
def _ridge(spec: ModelSpec, X, y, s, grid, n_lambdas):
    Y = y[:, None] if y.ndim == 1 else y
    sw = float(s.sum())
    F = ridge_factor(spec, X, Y, s, None if grid is None else float(grid.min()) * sw)
    lam = grid if grid is not None else auto_lambda_grid(F.e, sw, n_lambdas)
    rp = ridge_path(F, lam, fit_intercept=spec.fit_intercept)
    outputs = ["y"] if Y.shape[1] == 1 else [f"y{t}" for t in range(Y.shape[1])]
    return lam, rp.coef, rp.intercept, rp.dof, outputs


# ---- GLMs -------------------------------------------------------------------------------------
def _glm(spec: ModelSpec, X, y, s, grid, n_lambdas):
    problem, outputs, _ = glm_problem(spec, X, y, s)
    lam = grid if grid is not None else auto_glm_grid(problem, n_lambdas)
    base = spec.base
    solver = choose_solver(problem, base.solver)
    path = glm_path(problem, lam, solver=solver, tol=base.tol, max_iter=base.max_iter)
    warn_convergence(path, base.tol, base.max_iter, f"regularization_path({spec.name})",
                     stacklevel=3)
    coef, intercept = path.coef[:, 0], path.intercept[:, 0]
    dof = np.array([glm_dof(problem, coef[i], intercept[i], float(lam[i]))
                    for i in range(lam.size)])
    return lam, coef, intercept, dof, outputs


# ---- sparse -----------------------------------------------------------------------------------
def _sparse(spec: ModelSpec, X, y, s, grid, n_lambdas):
    if y.ndim != 1:
        if y.shape[1] != 1:
            raise ValueError(f"{spec.name} paths take one target, got y of shape {y.shape}")
        y = y[:, 0]
    path = sparse_path(spec, X, y, s, grid if grid is not None else n_lambdas)
    coef = path.coefs[:, :, None]
    intercept = path.intercepts[:, None]
    dof = sparse_dof(spec, X, s, path)
    return path.lambdas, coef, intercept, dof, ["y"]
