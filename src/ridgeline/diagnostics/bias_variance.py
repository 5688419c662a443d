"""Bias–variance decomposition per λ: by resampling for any estimator, in closed form for ridge.

**Squared loss.** At a test point x with true mean f(x) and noise variance σ², the expected
error of a model trained on a random training set D is::

    E_{D,y}[(y − ŷ_D(x))²] = σ²  +  (f(x) − E_D ŷ_D(x))²  +  Var_D ŷ_D(x)
                             noise    bias²                   variance

averaged over the test points (Geman, Bienenstock & Doursat 1992, "Neural networks and the
bias/variance dilemma", *Neural Computation* 4(1)). :func:`bias_variance` estimates each term
from R training sets drawn by resampling — each fit on one, all predicting the same held-out
points. With R draws, ``variance`` is the unbiased sample variance (ddof=1) and ``bias2`` is
``(f − ȳ)² − variance/R`` (unbiased: the mean prediction ȳ carries variance/R), so
``bias2 + variance`` equals ``mean (f − ŷ)²`` over the draws exactly; ``bias2`` may come out
slightly negative where the bias is far below the Monte-Carlo error.

**0-1 loss** (classifiers): Domingos' decomposition (Domingos 2000, "A unified bias-variance
decomposition and its applications", *ICML*). With y* the optimal (Bayes) prediction, the
main prediction y_m the mode of ŷ_D over training sets::

    B(x) = 1[y_m ≠ y*],   V(x) = P_D(ŷ ≠ y_m),   N(x) = P_t(t ≠ y*)
    E_{D,t}[1(t ≠ ŷ)] = c₁ N(x) + B(x) + c₂ V(x)

with ``c₂ = +1`` on unbiased points (variance adds to the error) and ``c₂ = −1`` on biased
ones for two classes (variance *removes* error there; ``c₂ = −P(ŷ = y* | ŷ ≠ y_m)`` for more
classes), and ``c₁ = 2 P_D(ŷ = y*) − 1`` (two classes). ``variance`` reports the net
``E_x[c₂V]`` and the two parts ``variance_unbiased = E_x[(1−B)V]``,
``variance_biased = E_x[B·V]``.

**Closed form for ridge** (:func:`ridge_bias_variance`, *fixed design*): the training inputs
X are fixed, the responses redrawn as ``y = Xw* + b* + ε``, ε ~ (0, σ²I). With the thin SVD
of the centered ``X_c = U diag(d) Vᵀ`` and canonical λ (penalty ``a = nλ``), the ridge fit is
linear in y, so at a test point x₀ (``t = Vᵀ(x₀ − x̄)``)::

    E ŷ(x₀) = f̄ + Σ_j t_j · d_j/(d_j² + a) · u_jᵀ(f − f̄)          (bias = E ŷ(x₀) − f(x₀))
    Var ŷ(x₀) = σ² (1/n + Σ_j t_j² d_j²/(d_j² + a)²)

(the 1/n is the intercept's variance; without an intercept X is not centered and it is
dropped). The resampling estimate in the same setting is ``method="parametric"`` with
``f_train`` the true means: the two agree within Monte-Carlo error (see the tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone, is_classifier

from ridgeline.diagnostics._checks import check_count, check_data, check_lambdas, check_rounds_grid
from ridgeline.diagnostics._decompose import (
    domingos,  # noqa: F401 (its public home)
    nonneg,
    squared_terms,
    zero_one_terms,
)
from ridgeline.diagnostics._fits import as_dense, ridge_factor, weight_sum
from ridgeline.diagnostics._models import model_spec
from ridgeline.diagnostics._sampling import sampler, test_points
from ridgeline.diagnostics._table import text_table, to_dict
from ridgeline.diagnostics.path import regularization_path
from ridgeline.path.grid import auto_lambda_grid
from ridgeline.path.ridge_path import ridge_path


@dataclass
class BiasVariance:
    """Bias, variance and noise per λ, and the measured expected test error.

    Attributes
    ----------
    lambdas : ndarray (L,)
        Canonical λ (NaN for a single setting of an estimator without a λ).
    params : ndarray (L,)
        The estimator's own parameter for a training set of the pool's size (NaN if none).
    param_name : str
    loss : str
        ``"squared"`` or ``"0-1"``.
    bias2 : ndarray (L,)
        Squared loss: mean squared bias ``E_x (f − E_D ŷ)²``. 0-1 loss: Domingos' bias
        ``E_x B(x)``, the fraction of test points whose main prediction is wrong.
    variance : ndarray (L,)
        Squared loss: ``E_x Var_D ŷ``. 0-1 loss: the net variance ``E_x[c₂ V]``.
    noise : ndarray (L,)
        Squared loss: σ² (the same for every λ). 0-1 loss: ``E_x[c₁ N]`` (0 when the labels
        are taken as noise-free).
    total : ndarray (L,)
        ``noise + bias2 + variance``.
    expected_error : ndarray (L,)
        Measured mean test error over the R training sets and the test points (against the
        observed test labels ``y_test``).
    expected_error_se : ndarray (L,)
        Its standard error over test points.
    variance_unbiased, variance_biased : ndarray (L,) or None
        0-1 loss only: ``E_x[(1−B)V]`` and ``E_x[B·V]``.
    method : str
        ``"bootstrap"``, ``"split"``, ``"parametric"``, ``"sampler"`` or
        ``"closed form (fixed design)"``.
    n_rounds : int
        Training sets drawn (0 for the closed form).
    n_test : int
    noise_source : str
        Where :attr:`noise` comes from, in words (known σ², measured from the true means,
        estimated from a least-squares fit, or assumed zero).
    estimator : str
    """

    lambdas: np.ndarray
    params: np.ndarray
    param_name: str
    loss: str
    bias2: np.ndarray
    variance: np.ndarray
    noise: np.ndarray
    total: np.ndarray
    expected_error: np.ndarray
    expected_error_se: np.ndarray
    method: str
    n_rounds: int
    n_test: int
    noise_source: str
    estimator: str
    variance_unbiased: np.ndarray | None = None
    variance_biased: np.ndarray | None = None

    def table(self) -> str:
        """One line per λ: bias², variance, noise, their sum and the measured error ± SE."""
        b = "bias²" if self.loss == "squared" else "bias"
        rows = [[f"{lam:.5g}", self.params[i], self.bias2[i], self.variance[i], self.noise[i],
                 self.total[i], self.expected_error[i], self.expected_error_se[i]]
                for i, lam in enumerate(self.lambdas)]
        return text_table(["λ", self.param_name or "param", b, "variance", "noise", "sum",
                           "measured", "± SE"], rows,
                          note=f"{self.loss} loss, {self.method}, {self.n_rounds} rounds, "
                               f"{self.n_test} test points; noise: {self.noise_source}")

    def to_dict(self) -> dict:
        """All fields as JSON-ready values (arrays → lists, NaN → None)."""
        return to_dict(self)


# ---- resampling --------------------------------------------------------------------------------
def bias_variance(estimator, X, y, *, lambdas=None, n_lambdas: int = 10,
                  method: str | Callable = "bootstrap", n_rounds: int = 50, X_test=None,
                  y_test=None, f_test=None, f_train=None, noise="auto", test_size: float = 0.3,
                  train_size: float = 0.5, loss: str = "auto",
                  random_state=None) -> BiasVariance:
    """Bias–variance decomposition per λ by repeated resampling of the training set.

    Parameters
    ----------
    estimator : estimator with ``fit``/``predict``
        A ridgeline estimator (its model is fit at every canonical λ of the grid; a CV
        estimator contributes its base model) or any scikit-learn-compatible estimator (then
        ``lambdas`` must be None and the estimator is evaluated as given). Cloned, never
        modified.
    X : array (n, p);  y : array (n,)
        The training pool.
    lambdas : array-like (L,), optional
        Canonical λ grid; default ``n_lambdas`` values of the model's automatic grid (ridge:
        from the pool's spectrum; otherwise that of
        :func:`~ridgeline.diagnostics.regularization_path`).
    n_lambdas : int, default=10
    method : {"bootstrap", "split", "parametric"} or callable, default="bootstrap"
        How each round's training set is drawn: ``"bootstrap"``, n rows of the pool with
        replacement (random design); ``"split"``, a random ``train_size`` fraction of the pool
        without replacement; ``"parametric"``, fixed design — X kept, ``y = f_train + N(0, σ²)``
        with σ² = ``noise`` (needs ``f_train`` and a numeric ``noise``); or a callable
        ``sampler(rng) -> (X_train, y_train)`` (any data-generating process).
    n_rounds : int, default=50
        Training sets R (≥ 2).
    X_test, y_test : arrays (m, p), (m,), optional
        Held-out points and their observed labels. Default: a random ``test_size`` fraction of
        the pool is held out (and the rest is the pool).
    f_test : array (m,), optional
        Known truth at the test points (simulation): the true mean E[y|x] (squared loss) or
        the optimal class y*(x) (0-1 loss).
    f_train : array (n,), optional
        True means at the pool's X (``method="parametric"``).
    noise : "auto", "estimate", float or array (m,), default="auto"
        Squared loss: the noise variance σ² if known; ``"estimate"``: the residual variance
        ``RSS/(n − p − 1)`` of least squares on the pool; ``"auto"``: measured as
        ``mean (y_test − f_test)²`` when ``f_test`` is given, else estimated when ``n > p+1``,
        else 0. Without ``f_test``, ``bias2 = mean (y_test − ȳ)² − noise − variance/R``.
        0-1 loss: the per-point (or mean) probability N(x) that the label differs from
        ``f_test`` (two classes); ``"auto"``: 0 with ``f_test`` = the observed labels when no
        truth is given (Domingos' noise-free convention). :attr:`BiasVariance.noise_source`
        says which was used.
    test_size : float, default=0.3
        Fraction of the pool held out when ``X_test`` is not given.
    train_size : float, default=0.5
        Fraction of the pool per training set (``method="split"``).
    loss : {"auto", "squared", "0-1"}
        ``"auto"``: ``"0-1"`` for classifiers, ``"squared"`` otherwise.
    random_state : int, Generator or None

    Returns
    -------
    BiasVariance
    """
    rng = np.random.default_rng(random_state)
    n_rounds = check_count(n_rounds, "n_rounds", 2)
    n_lambdas = check_count(n_lambdas, "n_lambdas", 1)
    loss = _check_loss(estimator, loss)
    X, y, _ = check_data(X, y, y_numeric=loss == "squared")
    if y.ndim == 2:
        if y.shape[1] != 1:
            raise ValueError(f"bias_variance takes one target, got y of shape {y.shape}")
        y = y[:, 0]
    X, y, X_test, y_test, f_test, f_train = test_points(X, y, X_test, y_test, f_test, f_train,
                                                         test_size, loss, rng)
    draw, method_name = sampler(method, X, y, f_train, noise, train_size, rng)
    spec, lam, params, pname = _grid(estimator, X, y, lambdas, n_lambdas)
    check_rounds_grid(spec, lam if lambdas is not None else None, n_lambdas, n_rounds, X, X_test)
    preds = _predict_rounds(estimator, spec, lam, draw, n_rounds, X_test)  # (R, L, m)
    name = type(estimator).__name__
    if loss == "squared":
        out = squared_terms(preds, y_test, f_test, noise, X, y)
    else:
        out = zero_one_terms(preds, y_test, f_test, noise)
    return BiasVariance(lambdas=lam, params=params, param_name=pname, loss=loss,
                        method=method_name, n_rounds=n_rounds, n_test=int(y_test.size),
                        estimator=name, **out)


def _check_loss(estimator, loss: str) -> str:
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
        raise TypeError(f"estimator must have fit and predict, got {type(estimator).__name__}")
    if loss == "auto":
        return "0-1" if is_classifier(estimator) else "squared"
    if loss not in ("squared", "0-1"):
        raise ValueError(f"loss must be 'auto', 'squared' or '0-1', got {loss!r}")
    return loss


def _grid(estimator, X, y, lambdas, n_lambdas):
    """``(spec or None, λ (L,), params (L,), param name)``."""
    try:
        spec = model_spec(estimator)
    except TypeError:
        if lambdas is not None:
            raise ValueError(f"{type(estimator).__name__} is not a ridgeline estimator: it has "
                             "no canonical λ, so leave lambdas=None (it is evaluated as "
                             "given)") from None
        return None, np.array([np.nan]), np.array([np.nan]), ""
    n = X.shape[0]
    if lambdas is not None:
        lam = check_lambdas(lambdas)
    elif spec.kind == "ridge":
        F = ridge_factor(spec, X, y[:, None], np.ones(n), None)
        lam = auto_lambda_grid(F.e, float(n), n_lambdas)
    else:
        lam = regularization_path(spec.base, X, y, n_lambdas=n_lambdas).lambdas
    return spec, lam, spec.to_param(lam, weight_sum(spec, X, y, np.ones(n))), spec.param_name


def _predict_rounds(estimator, spec, lam, draw, R, X_test) -> np.ndarray:
    out = None
    for r in range(R):
        Xd, yd = draw()
        P = _fit_predict(estimator, spec, lam, Xd, yd, X_test)
        if out is None:
            out = np.empty((R, *P.shape), dtype=P.dtype)
        out[r] = P
    return out


def _fit_predict(estimator, spec, lam, Xd, yd, X_test) -> np.ndarray:
    """Predictions (L, m) at ``X_test`` of the model fit on (Xd, yd) at every λ."""
    if spec is None:
        return np.asarray(clone(estimator).fit(Xd, yd).predict(X_test))[None, :]
    n_w = weight_sum(spec, Xd, yd, np.ones(Xd.shape[0]))
    if spec.kind == "ridge":  # one factorization serves every λ
        F = ridge_factor(spec, Xd, np.asarray(yd, dtype=np.float64)[:, None], np.ones(len(yd)),
                         float(np.min(lam)) * n_w)
        rp = ridge_path(F, lam, fit_intercept=spec.fit_intercept)
        Xt = X_test.toarray() if sp.issparse(X_test) else X_test
        return np.einsum("mp,lp->lm", Xt, rp.coef[:, :, 0]) + rp.intercept[:, :1]
    preds = [np.asarray(spec.at(float(v), n_w).fit(Xd, yd).predict(X_test)) for v in lam]
    return np.stack(preds)


# ---- squared loss ------------------------------------------------------------------------------
def ridge_bias_variance(X, coef, noise: float, lambdas, *, intercept: float = 0.0, X_test=None,
                        fit_intercept: bool = True) -> BiasVariance:
    """Exact bias², variance and noise of ridge regression, fixed design (SVD basis).

    The training inputs ``X`` are fixed; responses are ``y = X coef + intercept + ε`` with
    independent noise of variance ``noise``; ridge is fit with canonical λ (penalty
    ``n·λ``, unweighted) and predicts at ``X_test`` (default: the training inputs themselves —
    the in-sample, fixed-design prediction error). See the module docstring for the formulas.

    Parameters
    ----------
    X : array (n, p)
    coef : array (p,)
        True coefficients w*.
    noise : float
        Noise variance σ² ≥ 0.
    lambdas : array-like (L,)
        Canonical λ.
    intercept : float
        True intercept b*.
    X_test : array (m, p), optional
    fit_intercept : bool
        Whether the ridge fit has an (unpenalized) intercept.

    Returns
    -------
    BiasVariance
        ``method="closed form (fixed design)"``, ``n_rounds=0``; ``expected_error`` is the
        exact expected test error ``noise + bias2 + variance`` (SE 0).
    """
    X, _, _ = check_data(X)
    Xd = as_dense(X)
    n, p = Xd.shape
    w = np.asarray(coef, dtype=np.float64).ravel()
    if w.size != p or not np.all(np.isfinite(w)):
        raise ValueError(f"coef must be {p} finite values (one per feature), got shape "
                         f"{np.shape(coef)}")
    sigma2 = nonneg(noise, "noise")
    lam = check_lambdas(lambdas)
    if X_test is None:
        Xt = Xd
    else:
        Xt = as_dense(check_data(X_test, name="X_test")[0])
        if Xt.shape[1] != p:
            raise ValueError(f"X_test has {Xt.shape[1]} features, X has {p}")
    bias2, variance = _fixed_design_terms(Xd, Xt, w, float(intercept), sigma2, lam * n,
                                          fit_intercept)
    noise_arr = np.full(lam.size, sigma2)
    total = bias2 + variance + noise_arr
    return BiasVariance(lambdas=lam, params=lam * n, param_name="alpha", loss="squared",
                        bias2=bias2, variance=variance, noise=noise_arr, total=total,
                        expected_error=total.copy(), expected_error_se=np.zeros(lam.size),
                        method="closed form (fixed design)", n_rounds=0, n_test=Xt.shape[0],
                        noise_source="known: σ² given", estimator="Ridge")


def _fixed_design_terms(Xd: np.ndarray, Xt: np.ndarray, w: np.ndarray, intercept: float,
                        sigma2: float, penalties: np.ndarray,
                        fit_intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """Squared bias and variance (L,) of ridge at each penalty ``a = n·λ`` on the test rows
    ``Xt``, for the fixed design ``Xd`` with true coefficients ``w`` and noise ``σ²``, from
    one SVD of the (centered) design."""
    n, p = Xd.shape
    f = Xd @ w + intercept
    f0 = Xt @ w + intercept
    mx = Xd.mean(axis=0) if fit_intercept else np.zeros(p)
    U, d, Vt = np.linalg.svd(Xd - mx, full_matrices=False)
    keep = d > d.max(initial=0.0) * max(n, p) * np.finfo(np.float64).eps
    U, d, Vt = U[:, keep], d[keep], Vt[keep]
    T = (Xt - mx) @ Vt.T  # (m, r)
    fbar = f.mean() if fit_intercept else 0.0
    proj = U.T @ (f - fbar)  # (r,)
    if np.any(penalties == 0) and keep.sum() < p:
        raise ValueError("λ = 0 with a rank-deficient X: the ridge solution is not unique")
    bias2, variance = np.empty(penalties.size), np.empty(penalties.size)
    for i, ai in enumerate(penalties):
        g = d / (d * d + ai)  # (r,)
        mean_pred = fbar + T @ (g * proj)
        bias2[i] = np.mean((mean_pred - f0) ** 2)
        variance[i] = sigma2 * np.mean((1.0 / n if fit_intercept else 0.0) + (T * T) @ (g * g))
    return bias2, variance
