"""Binary L2-regularized logistic regression by damped Newton, written against the array API.

Objective (DESIGN.md), labels ``y_i ∈ {0, 1}``, weights ``s_i``, ``n_w = Σ s_i``::

    f(w, b) = (1/n_w) Σ_i s_i [log(1 + e^{η_i}) − y_i η_i]  +  λ ‖w‖²,      η_i = x_iᵀw + b

(natural log; the intercept ``b`` is unpenalized; λ = 1/(2 C n_w) for scikit-learn's C).

Each Newton step solves the (p + 1)×(p + 1) system

    [ XᵀDX/n_w + 2λI    XᵀD1/n_w ] [Δw]     [∇_w f]
    [ 1ᵀDX/n_w          1ᵀD1/n_w ] [Δb] = − [∇_b f],      D = diag(s_i σ_i (1 − σ_i))

with ``linalg.solve`` (a Levenberg shift is added only if the system is numerically singular,
e.g. λ = 0 on separable data), followed by a backtracking Armijo line search on f. The
iteration stops when ``max |∇f| ≤ tol``.

Precision: the Hessian's Gram GEMM runs in the input dtype (float32 on a GPU) and is accumulated
in float64; the linear predictor ``Xw`` and the gradient ``Xᵀr`` are formed from row chunks
upcast to float64. A float32 Hessian only slows Newton's convergence (an inexact Newton method);
the fixed point — where the float64 gradient vanishes — is that of the float64 problem.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ridgeline.backend.array_api import (
    DEFAULT_CHUNK_ROWS,
    Backend,
    as_vector,
    check_design,
    check_finite,
    check_folds,
    check_lambdas,
    check_weights,
    make_backend,
    take_rows,
    to_numpy,
)
from ridgeline.backend.gram import matvec, rmatvec, weighted_gram

_ARMIJO = 1e-4
_MAX_HALVINGS = 40


@dataclass
class ArrayLogisticFit:
    """What :func:`logistic_fit` returns; arrays in the input's namespace and device.

    Attributes
    ----------
    coef : array (p,)
    intercept : array (0-d)
        0 without ``fit_intercept``.
    lambda_ : float
        Canonical λ of the fit.
    objective : float
        ``f(w, b)`` at the solution.
    grad_norm : float
        ``max |∇f|`` at the solution (the optimality certificate).
    n_iter : int
        Newton steps taken.
    converged : bool
        ``grad_norm ≤ tol``, or no further decrease possible in floating point.
    backend : str
    """

    coef: Any
    intercept: Any
    lambda_: float
    objective: float
    grad_norm: float
    n_iter: int
    converged: bool
    backend: str

    def to_numpy(self) -> ArrayLogisticFit:
        """A copy whose arrays are NumPy arrays (on the host)."""
        return replace(self, **{f.name: to_numpy(getattr(self, f.name)) for f in fields(self)})


@dataclass
class ArrayLogisticCVResult:
    """What :func:`logistic_cv` returns; arrays in the input's namespace and device.

    Attributes
    ----------
    lambdas : array (L,)
        Canonical λ grid of the full data, in the order given.
    fold_log_loss : array (K, L)
        Weighted mean held-out log loss of each fold (row k: the k-th smallest fold id).
    fold_accuracy : array (K, L)
        Weighted held-out accuracy (η > 0 predicts the positive class).
    mean_log_loss, se_log_loss : array (L,)
        Mean over folds and its standard error ``std(ddof=1)/√K``.
    index_min, index_1se : int
    lambda_min, lambda_1se, lambda_ : float
        Smallest mean log loss; largest λ within one standard error of it; the one ``rule``
        chose (used for the full-data refit).
    rule : str
    convention : str
        ``"canonical"``: training folds are fit at the same λ; ``"fixed"``: at the same C
        (λ·n_w/n_w,train), as scikit-learn's ``LogisticRegressionCV``.
    coef : array (p,), intercept : array (0-d)
        Full-data refit at ``lambda_`` (warm-started from the folds' mean).
    n_iter : ndarray (K, L)
        Newton steps per fold and λ (NumPy).
    refit : ArrayLogisticFit
        The full-data fit.
    fold_ids : ndarray (K,)
    backend : str
    """

    lambdas: Any
    fold_log_loss: Any
    fold_accuracy: Any
    mean_log_loss: Any
    se_log_loss: Any
    index_min: int
    index_1se: int
    lambda_min: float
    lambda_1se: float
    lambda_: float
    rule: str
    convention: str
    coef: Any
    intercept: Any
    n_iter: np.ndarray
    refit: ArrayLogisticFit
    fold_ids: np.ndarray
    backend: str

    def to_numpy(self) -> ArrayLogisticCVResult:
        """A copy whose arrays are NumPy arrays (on the host)."""
        out = {f.name: to_numpy(getattr(self, f.name)) for f in fields(self)}
        out["refit"] = self.refit.to_numpy()
        return replace(self, **out)


def _log_loss(xp, y, eta):
    """Per-sample ``log(1 + e^η) − y η``, finite for every η."""
    return xp.where(eta > 0, eta, xp.zeros_like(eta)) + xp.log1p(xp.exp(-xp.abs(eta))) - y * eta


def _sigmoid(xp, eta):
    """σ(η) without overflow."""
    z = xp.exp(-xp.abs(eta))
    return xp.where(eta >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _binary_labels(bk: Backend, y, n: int, what: str = "y"):
    """Labels as 0/1 in the accumulation dtype: the larger of the two values is the positive."""
    xp = bk.xp
    y = as_vector(bk, y, n, what)
    if xp.isdtype(y.dtype, "real floating"):
        check_finite(bk, y, what)
    vals = np.unique(to_numpy(y))
    if vals.size < 2:
        raise ValueError(f"{what} has a single class ({vals[0]!r}): logistic regression needs "
                         "two classes")
    if vals.size > 2:
        raise ValueError(f"{what} has {vals.size} classes; this backend is binary only (use "
                         "ridgeline.LogisticRegression for multinomial)")
    pos = vals[1].item()
    return xp.astype(y == pos, bk.acc)


@dataclass
class _Problem:
    """Training data of one Newton solve (arrays of the backend; y, s in accumulation dtype)."""

    bk: Backend
    X: Any
    y: Any
    s: Any
    sw: float
    fit_intercept: bool
    chunk_rows: int

    def eta(self, w, b):
        return matvec(self.bk, self.X, w, chunk_rows=self.chunk_rows) + b

    def value(self, eta, lam: float, w) -> float:
        xp = self.bk.xp
        return float(xp.sum(self.s * _log_loss(xp, self.y, eta)) / self.sw
                     + lam * xp.sum(w * w))

    def gradient(self, eta, lam: float, w):
        """(∇_w f, ∇_b f, σ(η))."""
        xp = self.bk.xp
        mu = _sigmoid(xp, eta)
        r = self.s * (mu - self.y) / self.sw
        gw = rmatvec(self.bk, self.X, r, chunk_rows=self.chunk_rows) + 2.0 * lam * w
        gb = xp.sum(r) if self.fit_intercept else self.bk.asarray(0.0)
        return gw, gb, mu

    def newton_step(self, mu, lam: float, gw, gb):
        """Solve the (p+1)-system for (Δw, Δb)."""
        bk, xp = self.bk, self.bk.xp
        p = self.X.shape[1]
        d = self.s * mu * (1.0 - mu) / self.sw
        zero = xp.zeros((p,), dtype=bk.dtype, device=bk.device)
        H, h = weighted_gram(bk, self.X, d, zero, chunk_rows=self.chunk_rows)
        eye = xp.eye(p, dtype=bk.acc, device=bk.device)
        H = H + 2.0 * lam * eye
        if self.fit_intercept:
            top = xp.concat([H, h[:, None]], axis=1)
            bottom = xp.concat([h[None, :], xp.reshape(xp.sum(d), (1, 1))], axis=1)
            M = xp.concat([top, bottom], axis=0)
            g = xp.concat([gw, xp.reshape(gb, (1,))])
        else:
            M, g = H, gw
        scale = float(xp.max(xp.abs(xp.linalg.diagonal(M)))) or 1.0
        shift = 0.0
        for _ in range(12):
            try:
                step = xp.linalg.solve(M + shift * xp.eye(M.shape[0], dtype=bk.acc,
                                                          device=bk.device), -g)
            except Exception:  # LAPACK / torch singular-matrix errors differ by library
                step = None
            if step is not None and bool(xp.all(xp.isfinite(step))) \
                    and float(xp.sum(step * g)) < 0:
                break
            shift = scale * (1e-12 if shift == 0.0 else 100.0 * shift / scale)
        else:
            raise FloatingPointError("the Newton system could not be solved (is X finite?)")
        if self.fit_intercept:
            return step[:p], step[p]
        return step, bk.asarray(0.0)


def _newton(pr: _Problem, lam: float, w, b, *, tol: float, max_iter: int):
    """Damped Newton from (w, b); returns (w, b, f, grad_norm, n_iter, converged)."""
    xp = pr.bk.xp
    eta = pr.eta(w, b)
    f = pr.value(eta, lam, w)
    gw, gb, mu = pr.gradient(eta, lam, w)
    gnorm = max(float(xp.max(xp.abs(gw))), abs(float(gb)))
    it, converged = 0, gnorm <= tol
    while not converged and it < max_iter:
        dw, db = pr.newton_step(mu, lam, gw, gb)
        slope = float(xp.sum(gw * dw) + gb * db)
        d_eta = matvec(pr.bk, pr.X, dw, chunk_rows=pr.chunk_rows) + db
        t, accepted = 1.0, False
        for _ in range(_MAX_HALVINGS):
            w_t = w + t * dw
            eta_t = eta + t * d_eta
            f_t = pr.value(eta_t, lam, w_t)
            scale = max(abs(f), 1e-300)
            if np.isfinite(f_t) and (f_t <= f + _ARMIJO * t * slope
                                     or (t == 1.0 and -slope <= 1e-10 * scale
                                         and f_t <= f + 1e-12 * scale)):
                accepted = True
                break
            t *= 0.5
        if not accepted:  # no decrease representable: at the rounding floor?
            converged = -slope <= 1e-13 * max(abs(f), 1.0)
            break
        w, b, eta, f = w_t, b + t * db, eta_t, f_t
        it += 1
        gw, gb, mu = pr.gradient(eta, lam, w)
        gnorm = max(float(xp.max(xp.abs(gw))), abs(float(gb)))
        converged = gnorm <= tol
    return w, b, f, gnorm, it, converged


def _check_solver(tol: float, max_iter: int) -> None:
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be positive, got {tol!r}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")


def logistic_fit(X, y, lam: float, *, sample_weight=None, fit_intercept: bool = True,
                 tol: float = 1e-8, max_iter: int = 100, coef_init=None,
                 intercept_init: float | None = None,
                 chunk_rows: int = DEFAULT_CHUNK_ROWS) -> ArrayLogisticFit:
    """Binary L2 logistic regression by damped Newton, in X's array namespace.

    Minimizes ``(1/n_w) Σ s_i [log(1 + e^{η_i}) − y_i η_i] + λ‖w‖²`` with ``η = Xw + b``.

    Parameters
    ----------
    X : array (n, p)
        NumPy, CuPy, PyTorch or another array-API array (float32 stays float32 at the boundary).
    y : array (n,)
        Two distinct label values; the larger one is the positive class.
    lam : float
        Canonical λ ≥ 0 (λ = 1/(2 C n_w) for scikit-learn's C).
    sample_weight : array (n,), optional
    fit_intercept : bool, default=True
    tol : float, default=1e-8
        Stop when ``max |∇f| ≤ tol``.
    max_iter : int, default=100
    coef_init : array (p,), optional;  intercept_init : float, optional
        Starting point (default zeros).
    chunk_rows : int
        Rows per GEMM / upcast chunk.

    Returns
    -------
    ArrayLogisticFit
    """
    _check_solver(tol, max_iter)
    bk = make_backend(X, y, sample_weight, coef_init)
    X = check_design(bk, X)
    n, p = X.shape
    y = _binary_labels(bk, y, n)
    s = check_weights(bk, sample_weight, n)
    if np.ndim(to_numpy(lam)) != 0:
        raise ValueError("lam must be a single number (use logistic_cv for a grid)")
    lam_v = float(check_lambdas(lam)[0])
    pr = _Problem(bk, X, y, s, float(bk.xp.sum(s)), fit_intercept, chunk_rows)
    w = bk.zeros((p,)) if coef_init is None else bk.to_acc(as_vector(bk, coef_init, p,
                                                                      "coef_init"))
    b = bk.asarray(0.0 if intercept_init is None or not fit_intercept else intercept_init)
    return _finish_fit(bk, pr, lam_v, w, b, tol=tol, max_iter=max_iter)


def _finish_fit(bk: Backend, pr: _Problem, lam: float, w, b, *, tol, max_iter):
    w, b, f, gnorm, it, conv = _newton(pr, lam, w, b, tol=tol, max_iter=max_iter)
    return ArrayLogisticFit(coef=bk.to_out(w), intercept=bk.to_out(b), lambda_=lam,
                            objective=f, grad_norm=gnorm, n_iter=it, converged=bool(conv),
                            backend=f"{bk.name}:{bk.device}")


def logistic_cv(X, y, lambdas, folds, *, sample_weight=None, fit_intercept: bool = True,
                rule: str = "min", convention: str = "canonical", tol: float = 1e-8,
                max_iter: int = 100,
                chunk_rows: int = DEFAULT_CHUNK_ROWS) -> ArrayLogisticCVResult:
    """K-fold cross-validated binary L2 logistic regression over a λ grid, warm-started.

    For every fold k the other folds are fit along the grid from the largest λ to the smallest,
    each fit starting at the previous solution, minimizing

        (1/n_T) Σ_{i∈T} s_i [log(1 + e^{η_i}) − y_i η_i] + λ_T ‖w‖²

    with ``λ_T = λ`` (``convention="canonical"``) or ``λ_T = λ n_w / n_T`` (``"fixed"``: the same
    scikit-learn C on every fold). The held-out weighted mean log loss for all λ comes from one
    product ``X_k W`` (W of shape (p, L)); λ is picked by the minimum or the one-standard-error
    rule, and the full data are refit at it.

    Parameters
    ----------
    X : array (n, p);  y : array (n,) with two distinct values
    lambdas : array-like (L,)
        Canonical λ ≥ 0 on the full data.
    folds : array (n,) of int
        Fold id of each row; at least two distinct ids.
    sample_weight : array (n,), optional
    fit_intercept : bool, default=True
    rule : {"min", "1se"}
    convention : {"canonical", "fixed"}
    tol, max_iter : as :func:`logistic_fit`
    chunk_rows : int

    Returns
    -------
    ArrayLogisticCVResult
    """
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    if convention not in ("canonical", "fixed"):
        raise ValueError(f"convention must be 'canonical' or 'fixed', got {convention!r}")
    _check_solver(tol, max_iter)
    bk = make_backend(X, y, sample_weight)
    xp = bk.xp
    X = check_design(bk, X)
    n, p = X.shape
    y = _binary_labels(bk, y, n)
    s = check_weights(bk, sample_weight, n)
    lam = check_lambdas(lambdas)
    ids, rows = check_folds(folds, n)
    sw = float(xp.sum(s))
    order = np.argsort(-lam, kind="stable")
    K, L = len(rows), lam.size
    losses, accs, n_iter = [], [], np.zeros((K, L), dtype=np.int64)
    coef_at = []  # per fold: (p, L) coefficients, (L,) intercepts
    for k, te in enumerate(rows):
        tr = np.setdiff1d(np.arange(n), te, assume_unique=True)
        y_tr = take_rows(bk, y, tr)
        if float(xp.min(y_tr)) == float(xp.max(y_tr)):
            raise ValueError(f"the training set of fold {ids[k]} has a single class")
        s_tr = take_rows(bk, s, tr)
        sw_tr = float(xp.sum(s_tr))
        if sw_tr <= 0:
            raise ValueError(f"the training set of fold {ids[k]} has zero total sample weight")
        pr = _Problem(bk, take_rows(bk, X, tr), y_tr, s_tr, sw_tr, fit_intercept, chunk_rows)
        Wk = [None] * L
        bk_ = [None] * L
        w, b = bk.zeros((p,)), bk.asarray(0.0)
        for i in order:
            lam_t = float(lam[i]) * (sw / sw_tr if convention == "fixed" else 1.0)
            w, b, _, _, it, _ = _newton(pr, lam_t, w, b, tol=tol, max_iter=max_iter)
            Wk[i], bk_[i], n_iter[k, i] = w, b, it
        W = xp.stack(Wk, axis=1)  # (p, L)
        B = xp.stack(bk_)  # (L,)
        coef_at.append((W, B))
        eta = matvec(bk, take_rows(bk, X, te), W, chunk_rows=chunk_rows) + B[None, :]  # (m, L)
        y_te, s_te = take_rows(bk, y, te), take_rows(bk, s, te)
        w_te = float(xp.sum(s_te))
        if w_te <= 0:
            raise ValueError(f"fold {ids[k]} has zero total sample weight")
        losses.append(s_te @ _log_loss(xp, y_te[:, None], eta) / w_te)
        hit = xp.astype((eta > 0) == (y_te[:, None] > 0.5), bk.acc)
        accs.append(s_te @ hit / w_te)
    fold_loss = xp.stack(losses, axis=0)
    mean = xp.mean(fold_loss, axis=0)
    se = xp.std(fold_loss, axis=0, correction=1) / float(np.sqrt(K))
    mean_h, se_h = to_numpy(mean), to_numpy(se)
    i_min = int(np.argmin(mean_h))
    ok = np.flatnonzero(mean_h <= mean_h[i_min] + se_h[i_min])
    i_1se = int(ok[np.argmax(lam[ok])])
    idx = i_min if rule == "min" else i_1se
    w0 = sum(W[:, idx] for W, _ in coef_at) / K
    b0 = sum(B[idx] for _, B in coef_at) / K
    pr = _Problem(bk, X, y, s, sw, fit_intercept, chunk_rows)
    fit = _finish_fit(bk, pr, float(lam[idx]), w0, b0, tol=tol, max_iter=max_iter)
    out = bk.to_out
    return ArrayLogisticCVResult(
        lambdas=bk.asarray(lam, dtype=bk.dtype),
        fold_log_loss=out(fold_loss),
        fold_accuracy=out(xp.stack(accs, axis=0)),
        mean_log_loss=out(mean),
        se_log_loss=out(se),
        index_min=i_min,
        index_1se=i_1se,
        lambda_min=float(lam[i_min]),
        lambda_1se=float(lam[i_1se]),
        lambda_=float(lam[idx]),
        rule=rule,
        convention=convention,
        coef=fit.coef,
        intercept=fit.intercept,
        n_iter=n_iter,
        refit=fit,
        fold_ids=ids,
        backend=f"{bk.name}:{bk.device}",
    )
