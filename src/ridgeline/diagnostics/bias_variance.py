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

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone, is_classifier

from ridgeline.diagnostics._checks import check_count, check_data, check_lambdas, check_rounds_grid
from ridgeline.diagnostics._fits import as_dense, ridge_factor, weight_sum
from ridgeline.diagnostics._models import model_spec
from ridgeline.diagnostics._table import text_table, to_dict
from ridgeline.diagnostics.path import regularization_path
from ridgeline.path.grid import auto_lambda_grid
from ridgeline.path.ridge_path import ridge_path

METHODS = ("bootstrap", "split", "parametric")


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
    X, y, X_test, y_test, f_test, f_train = _test_points(X, y, X_test, y_test, f_test, f_train,
                                                         test_size, loss, rng)
    draw, method_name = _sampler(method, X, y, f_train, noise, train_size, rng)
    spec, lam, params, pname = _grid(estimator, X, y, lambdas, n_lambdas)
    check_rounds_grid(spec, lam if lambdas is not None else None, n_lambdas, n_rounds, X, X_test)
    preds = _predict_rounds(estimator, spec, lam, draw, n_rounds, X_test)  # (R, L, m)
    name = type(estimator).__name__
    if loss == "squared":
        out = _squared(preds, y_test, f_test, noise, X, y)
    else:
        out = _zero_one(preds, y_test, f_test, noise)
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


def _vector(v, name: str, m: int, numeric: bool = True) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64 if numeric else None)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or a.shape[0] != m:
        raise ValueError(f"{name} must have shape ({m},), got {a.shape}")
    if numeric and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def _test_points(X, y, X_test, y_test, f_test, f_train, test_size, loss, rng):
    numeric = loss == "squared"
    if X_test is None:
        if y_test is not None or f_test is not None:
            raise ValueError("y_test/f_test need X_test (the held-out points they belong to)")
        if f_train is not None:
            raise ValueError("f_train (method='parametric') needs an explicit X_test: the "
                             "fixed design is the whole pool")
        if not (isinstance(test_size, numbers.Real) and 0 < test_size < 1):
            raise ValueError(f"test_size must lie in (0, 1), got {test_size!r}")
        n = X.shape[0]
        m = round(test_size * n)
        if m < 1 or n - m < 2:
            raise ValueError(f"test_size={test_size} leaves no test points or too small a pool "
                             f"of {n} rows")
        perm = rng.permutation(n)
        te, tr = perm[:m], perm[m:]
        return X[tr], y[tr], X[te], y[te], None, None
    if y_test is None:
        raise ValueError("X_test needs y_test (the observed labels at the test points)")
    X_test, _, _ = check_data(X_test, name="X_test")
    if X_test.shape[1] != X.shape[1]:
        raise ValueError(f"X_test has {X_test.shape[1]} features, X has {X.shape[1]}")
    m = X_test.shape[0]
    y_test = _vector(y_test, "y_test", m, numeric)
    if f_test is not None:
        f_test = _vector(f_test, "f_test", m, numeric)
    if f_train is not None:
        f_train = _vector(f_train, "f_train", X.shape[0])
    return X, y, X_test, y_test, f_test, f_train


def _sampler(method, X, y, f_train, noise, train_size, rng):
    n = X.shape[0]
    if callable(method):
        def draw():
            Xd, yd = method(rng)
            return Xd, np.asarray(yd)
        return draw, "sampler"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} or a callable sampler(rng), got "
                         f"{method!r}")
    if method == "bootstrap":
        def draw():
            idx = rng.integers(0, n, size=n)
            return X[idx], y[idx]
    elif method == "split":
        if not (isinstance(train_size, numbers.Real) and 0 < train_size <= 1):
            raise ValueError(f"train_size must lie in (0, 1], got {train_size!r}")
        k = round(train_size * n)
        if k < 2:
            raise ValueError(f"train_size={train_size} gives fewer than 2 training rows")

        def draw():
            idx = rng.choice(n, size=k, replace=False)
            return X[idx], y[idx]
    else:
        if f_train is None or isinstance(noise, str) or np.ndim(noise) != 0:
            raise ValueError("method='parametric' needs f_train (true means at X) and the noise "
                             "variance as a number (noise=σ²)")
        sigma = float(np.sqrt(_nonneg(noise, "noise")))

        def draw():
            return X, f_train + sigma * rng.standard_normal(n)
    return draw, method


def _nonneg(v, name) -> float:
    v = float(v)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be finite and non-negative, got {v!r}")
    return v


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
def _squared(P, y_test, f_test, noise, X, y) -> dict:
    R = P.shape[0]
    P = P.astype(np.float64)
    main = P.mean(axis=0)  # (L, m)
    var_pt = P.var(axis=0, ddof=1)  # (L, m)
    variance = var_pt.mean(axis=1)
    err_pt = ((P - y_test) ** 2).mean(axis=0)  # (L, m)
    measured = err_pt.mean(axis=1)
    se = err_pt.std(axis=1, ddof=1) / np.sqrt(err_pt.shape[1]) if err_pt.shape[1] > 1 \
        else np.full(err_pt.shape[0], np.nan)
    sigma2, source = _noise_squared(noise, y_test, f_test, X, y)
    target = f_test if f_test is not None else y_test
    bias2 = ((main - target) ** 2 - var_pt / R).mean(axis=1)
    if f_test is None:
        bias2 = bias2 - sigma2
    noise_arr = np.full(variance.size, sigma2)
    return {"bias2": bias2, "variance": variance, "noise": noise_arr,
            "total": bias2 + variance + noise_arr, "expected_error": measured,
            "expected_error_se": se, "noise_source": source}


def _noise_squared(noise, y_test, f_test, X, y) -> tuple[float, str]:
    if isinstance(noise, str):
        if noise not in ("auto", "estimate"):
            raise ValueError(f"noise must be 'auto', 'estimate' or a number, got {noise!r}")
        if noise == "auto" and f_test is not None:
            return float(np.mean((y_test - f_test) ** 2)), \
                "measured: mean (y_test − f_test)² at the test points"
        n, p = X.shape
        if n > p + 1:
            return _ols_noise(X, y), f"estimated: least-squares RSS/(n − p − 1) on the pool " \
                                     f"(n={n}, p={p})"
        if noise == "estimate":
            raise ValueError(f"cannot estimate the noise by least squares with n={n} ≤ p+1="
                             f"{p + 1}: give noise=σ² or f_test")
        return 0.0, "assumed zero (n ≤ p+1, no truth given): bias² includes the noise"
    if np.ndim(noise) != 0:
        raise ValueError("for squared loss, noise is the variance σ² (a number)")
    return _nonneg(noise, "noise"), "known: σ² given"


def _ols_noise(X, y) -> float:
    Xd = as_dense(X)
    A = np.column_stack([Xd, np.ones(Xd.shape[0])])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    r = y - A @ coef
    rank = np.linalg.matrix_rank(A)
    return float(r @ r / (Xd.shape[0] - rank))


# ---- 0-1 loss (Domingos) -----------------------------------------------------------------------
def _zero_one(P, y_test, f_test, noise) -> dict:
    classes = np.unique(np.concatenate([np.unique(P), np.unique(y_test)] +
                                       ([np.unique(f_test)] if f_test is not None else [])))
    codes = np.searchsorted(classes, P)  # (R, L, m)
    t = np.searchsorted(classes, y_test)
    ystar = np.searchsorted(classes, f_test) if f_test is not None else t
    noise_free = f_test is None
    out = domingos(codes, ystar, classes.size)
    wrong = (codes != t[None, None, :]).mean(axis=0)  # (L, m)
    measured = wrong.mean(axis=1)
    se = wrong.std(axis=1, ddof=1) / np.sqrt(wrong.shape[1]) if wrong.shape[1] > 1 \
        else np.full(wrong.shape[0], np.nan)
    if noise_free:
        if not (isinstance(noise, str) and noise == "auto"):
            raise ValueError("a 0-1 noise level needs the optimal classes f_test")
        noise_term, source = np.zeros(measured.size), \
            "assumed zero: the observed test labels are taken as the optimal predictions " \
            "(Domingos 2000)"
    else:
        N, source = _noise_zero_one(noise, y_test, f_test)
        if classes.size > 2 and np.any(N > 0):
            raise ValueError("the Domingos noise term is implemented for two classes; with more "
                             "classes give noise=0")
        p_star = (codes == ystar[None, None, :]).mean(axis=0)  # (L, m)
        noise_term = ((2.0 * p_star - 1.0) * N[None, :]).mean(axis=1)
    return {"bias2": out["bias"], "variance": out["variance"], "noise": noise_term,
            "total": noise_term + out["bias"] + out["variance"], "expected_error": measured,
            "expected_error_se": se, "noise_source": source,
            "variance_unbiased": out["variance_unbiased"],
            "variance_biased": out["variance_biased"]}


def _noise_zero_one(noise, y_test, f_test) -> tuple[np.ndarray, str]:
    m = y_test.size
    if isinstance(noise, str):
        if noise != "auto":
            raise ValueError(f"for 0-1 loss, noise must be 'auto', a probability or an array, "
                             f"got {noise!r}")
        return np.zeros(m), "assumed zero: f_test taken as noise-free labels"
    N = np.broadcast_to(np.asarray(noise, dtype=np.float64), (m,)).copy()
    if not np.all(np.isfinite(N)) or np.any((N < 0) | (N > 1)):
        raise ValueError("for 0-1 loss, noise is P(t ≠ y*) per test point: values in [0, 1]")
    return N, "known: P(t ≠ y*) given"


def domingos(codes: np.ndarray, ystar: np.ndarray, n_classes: int) -> dict:
    """Domingos (2000) terms from class codes ``codes`` (R, L, m) and optimal codes (m,).

    Returns ``bias``, net ``variance``, ``variance_unbiased``, ``variance_biased`` (each (L,))
    and ``main`` (L, m) (the mode over rounds; ties go to the smallest class code).
    """
    R = codes.shape[0]
    counts = np.stack([(codes == k).sum(axis=0) for k in range(n_classes)])  # (C, L, m)
    main = np.argmax(counts, axis=0)  # (L, m)
    B = (main != ystar[None, :]).astype(np.float64)
    n_main = np.take_along_axis(counts, main[None], axis=0)[0]
    V = 1.0 - n_main / R
    hits = (codes == ystar[None, None, :]).sum(axis=0)  # (L, m) rounds predicting y*
    off = R - n_main  # rounds predicting anything but y_m
    with np.errstate(invalid="ignore", divide="ignore"):
        c_biased = -np.where(off > 0, hits / np.where(off > 0, off, 1), 1.0)
    c2 = np.where(B > 0, c_biased, 1.0)
    return {"bias": B.mean(axis=1), "variance": (c2 * V).mean(axis=1),
            "variance_unbiased": ((1.0 - B) * V).mean(axis=1),
            "variance_biased": (B * V).mean(axis=1), "main": main}


# ---- closed form for ridge ---------------------------------------------------------------------
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
    sigma2 = _nonneg(noise, "noise")
    lam = check_lambdas(lambdas)
    if X_test is None:
        Xt = Xd
    else:
        Xt = as_dense(check_data(X_test, name="X_test")[0])
        if Xt.shape[1] != p:
            raise ValueError(f"X_test has {Xt.shape[1]} features, X has {p}")
    f = Xd @ w + float(intercept)
    f0 = Xt @ w + float(intercept)
    mx = Xd.mean(axis=0) if fit_intercept else np.zeros(p)
    U, d, Vt = np.linalg.svd(Xd - mx, full_matrices=False)
    keep = d > d.max(initial=0.0) * max(n, p) * np.finfo(np.float64).eps
    U, d, Vt = U[:, keep], d[keep], Vt[keep]
    T = (Xt - mx) @ Vt.T  # (m, r)
    fbar = f.mean() if fit_intercept else 0.0
    proj = U.T @ (f - fbar)  # (r,)
    a = lam * n
    if np.any(a == 0) and keep.sum() < p:
        raise ValueError("λ = 0 with a rank-deficient X: the ridge solution is not unique")
    bias2, variance = np.empty(lam.size), np.empty(lam.size)
    for i, ai in enumerate(a):
        g = d / (d * d + ai)  # (r,)
        mean_pred = fbar + T @ (g * proj)
        bias2[i] = np.mean((mean_pred - f0) ** 2)
        variance[i] = sigma2 * np.mean((1.0 / n if fit_intercept else 0.0) + (T * T) @ (g * g))
    noise_arr = np.full(lam.size, sigma2)
    total = bias2 + variance + noise_arr
    return BiasVariance(lambdas=lam, params=lam * n, param_name="alpha", loss="squared",
                        bias2=bias2, variance=variance, noise=noise_arr, total=total,
                        expected_error=total.copy(), expected_error_se=np.zeros(lam.size),
                        method="closed form (fixed design)", n_rounds=0, n_test=Xt.shape[0],
                        noise_source="known: σ² given", estimator="Ridge")
