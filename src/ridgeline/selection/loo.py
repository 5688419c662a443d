"""Exact leave-one-out and generalized cross-validation from the full-data factorization.

With the hat matrix of the weighted, centered ridge fit,
``h_i(a) = s_i/n_w + s_i · u_iᵀ diag(1/(e + a)) u_i`` (``u_i`` = the i-th row of ``Xc V``), the
leave-one-out residual is exactly ``r_i(a) / (1 − h_i(a))`` (the penalty ``a`` held fixed), and
GCV replaces every ``h_i`` by their mean (Golub, Heath & Wahba 1979, "Generalized cross-
validation as a method for choosing a good ridge parameter", Technometrics 21(2)):
``GCV(a) = (RSS(a)/n_w) / (1 − dof(a)/n)²``.

When the fit can interpolate (the factor's rank, plus one for the intercept, equals the number
of rows of positive weight: p ≥ n), ``r_i`` and ``1 − h_i`` both vanish as ``a → 0`` and the
formula above loses digits to cancellation. There the complement of the column space is empty,
so with ``g_j = 1/(e_j (e_j + a))`` both are sums of positive terms and ``a`` cancels::

    e_i = Σ_j u_ij g_j z_j / (s_i Σ_j u_ij² g_j)

(:func:`span_directions`, :func:`_span_residuals`): full accuracy at every ``a``.
"""

from __future__ import annotations

import numpy as np

from ridgeline.selection.scoring import Scorer
from ridgeline.solvers.spectral import Factor
from ridgeline.stats.batch_loo import (
    LooModel,
    LooPassResult,
    add_loo_sums,
    inverse_one_minus_leverage,
)


def projected_rows(X, F: Factor) -> np.ndarray:
    """``((X − mean_x)/scale) V`` for all rows, shape (n, r), computed in row chunks."""
    out = np.empty((X.shape[0], F.e.size))
    for idx, U in F.iter_projection(X):
        out[idx] = U
    return out


def loo_residuals(U: np.ndarray, F: Factor, Y: np.ndarray, s: np.ndarray, penalty: float,
                  fit_intercept: bool) -> np.ndarray:
    """Exact LOO residuals ``y_i − ŷ_i^{(−i)}`` for one penalty, shape (n, k)."""
    return loo_residual_block(U, U * U, F, Y - F.mean_y, s, np.array([penalty]),
                              fit_intercept)[0]


def loo_residual_block(U: np.ndarray, U2: np.ndarray, F: Factor, Yc: np.ndarray, s: np.ndarray,
                       penalties: np.ndarray, fit_intercept: bool,
                       span: np.ndarray | None = None) -> np.ndarray:
    """Exact LOO residuals for several penalties at once, shape (L, n, k).

    ``U = ((X − mean_x)/scale) V``, ``U2 = U ⊙ U`` and ``Yc = Y − mean_y`` are precomputed.
    ``span`` (from :func:`span_directions` of all the rows; computed here when ``s`` holds all
    of them and it is None) selects the cancellation-free formula of an interpolating fit.
    """
    if span is None and s.shape[0] == F.n:
        span = span_directions(F, s, fit_intercept)
    if span is not None and span.size:
        return _span_residuals(U, F, Yc, s, penalties, span)
    D = F.shrink(penalties)  # (L, r)
    if Yc.shape[1] == 1:
        fitted = (U @ (D * F.Z[:, 0]).T).T[:, :, None]  # (L, n, 1)
    else:
        fitted = np.stack([U @ (d[:, None] * F.Z) for d in D])  # (L, n, k)
    inv = inverse_one_minus_leverage(U2, D, s, F.sw, fit_intercept)  # (n, L)
    with np.errstate(invalid="ignore", over="ignore"):
        return (Yc[None, :, :] - fitted) * inv.T[:, :, None]


def span_directions(F: Factor, s: np.ndarray, fit_intercept: bool) -> np.ndarray | None:
    """Positions of the factor's non-null directions when they (with the intercept) span the
    rows of positive weight, so that the fit interpolates as ``a → 0``; else None."""
    if F.rank == 0:
        return None
    n_pos = int(np.count_nonzero(s > 0))
    if F.rank + (1 if fit_intercept else 0) != n_pos:
        return None
    return np.argsort(F.e)[F.e.size - F.rank:]


def _span_residuals(U: np.ndarray, F: Factor, Yc: np.ndarray, s: np.ndarray,
                    penalties: np.ndarray, span: np.ndarray) -> np.ndarray:
    """LOO residuals (L, m, k) of an interpolating fit: ``Σ u g z / (s Σ u² g)`` (module doc),
    with ``g`` scaled by its largest value; rows of zero weight get the plain residual."""
    e = F.e[span]
    Us, Z = U[:, span], F.Z[span]
    U2 = Us * Us
    e0 = float(e.min())
    zero = s <= 0
    out = np.empty((penalties.size, U.shape[0], Yc.shape[1]))
    for i, a in enumerate(np.asarray(penalties, dtype=np.float64)):
        g = (e0 / e) * ((e0 + a) / (e + a))  # ∝ 1/(e (e + a)), at most 1
        den = s * (U2 @ g)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[i] = (Us @ (g[:, None] * Z)) / den[:, None]
        out[i][den <= 0] = np.inf
        if zero.any():
            out[i][zero] = Yc[zero] - U[zero] @ (F.shrink(np.array([a]))[0][:, None] * F.Z)
    return out


def _block_size(n: int, k: int, budget: int = 20_000_000) -> int:
    return max(1, budget // max(n * k, 1))


def loo_curve(
    X, Y: np.ndarray, s: np.ndarray, F: Factor, penalties: np.ndarray, scorer: Scorer,
    *, fit_intercept: bool, score_estimator=None, y_score=None, score_weighted: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean LOO score and its standard error for every penalty, each of shape (L, k).

    ``score_estimator``/``y_score`` serve scikit-learn scorer callables (kind ``estimator``):
    the scorer is called as ``scorer(score_estimator, loo_predictions, y_score)``, with
    ``sample_weight=s`` only when ``score_weighted`` (else every score is unweighted).
    Without a standard error (NaN) except for the mean squared error.
    """
    uniform = bool(np.all(s == s[0]))
    if scorer.kind == "stats" and (score_weighted or uniform):  # from the LOO error sums
        sums = loo_sums(X, Y, s, F, penalties, fit_intercept=fit_intercept)
        sw = float(s.sum())
        sst = s @ (Y - (s @ Y) / sw) ** 2
        return loo_scores(sums, scorer, sw=sw, n=Y.shape[0], sst=sst)
    w = s if score_weighted else np.ones_like(s)
    kw = {"sample_weight": s} if score_weighted else {}
    U = projected_rows(X, F)
    U2 = U * U
    Yc = Y - F.mean_y
    L, k = penalties.size, Y.shape[1]
    mean = np.empty((L, k))
    se = np.full((L, k), np.nan)
    step = _block_size(Y.shape[0], k)
    for a in range(0, L, step):
        E = loo_residual_block(U, U2, F, Yc, s, penalties[a : a + step], fit_intercept)
        for j, e in enumerate(E):
            i = a + j
            if scorer.kind == "estimator":
                pred = Y - e
                mean[i] = scorer.fn(score_estimator, pred if k > 1 else pred[:, 0], y_score,
                                    **kw)
            else:
                mean[i] = scorer.from_predictions(Y, Y - e, w)
    return np.where(np.isfinite(mean), mean, -np.inf), se


def loo_sums(X, Y: np.ndarray, s: np.ndarray, F: Factor, penalties: np.ndarray, *,
             fit_intercept: bool) -> LooPassResult:
    """``Σ s_i e_i²`` and ``Σ s_i e_i⁴`` of the exact LOO errors, each (L, k), of in-memory rows.

    One pass over the rows in chunks: each chunk is projected on the eigenvectors and its
    leave-one-out errors for every penalty are reduced at once
    (:func:`ridgeline.stats.batch_loo.add_loo_sums`, the kernel a statistics source's LOO
    pass runs), so neither the n×r projection nor any n×L array is ever held in memory. An
    interpolating fit (:func:`span_directions`) takes the cancellation-free formula instead.
    """
    model = loo_model(F, penalties, fit_intercept=fit_intercept)
    sums = LooPassResult.zeros(penalties.size, Y.shape[1])
    span = span_directions(F, s, fit_intercept)
    for idx, U in F.iter_projection(X):  # U: (m, r)
        Yc = Y[idx] - F.mean_y
        if span is None:
            add_loo_sums(model, U, Yc, s[idx], sums)
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            E2 = _span_residuals(U, F, Yc, s[idx], penalties, span) ** 2  # (L, m, k)
            sums.sse += np.einsum("m,lmk->lk", s[idx], E2)
            sums.sse2 += np.einsum("m,lmk->lk", s[idx], E2 * E2)
        sums.n_rows += U.shape[0]
    return sums


def loo_model(F: Factor, penalties: np.ndarray, *, fit_intercept: bool) -> LooModel:
    """What a LOO pass needs of the full-data factor ``F`` for every penalty (L,); without
    the basis for a kernel-form (dual) factor, whose projections only its own rows have."""
    D = F.shrink(penalties)  # (L, r)
    basis = None if F.V is None else F.V / F.scale[:, None]
    return LooModel(basis=basis, center=None if basis is None else F.mean_x @ basis,
                    mean_y=np.asarray(F.mean_y).copy(),
                    shrink=D, coef=D[:, :, None] * F.Z[None, :, :], sw=float(F.sw),
                    fit_intercept=bool(fit_intercept))


def loo_scores(sums: LooPassResult, scorer: Scorer, *, sw: float, n: int,
               sst: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """LOO scores and standard errors (L, k) from the sums of a LOO pass.

    With ``sse = Σ s_i e_i²``: the mean squared error ``sse/n_w`` (negated) with standard error
    ``√(max(Σ s_i e_i⁴/n_w − mse², 0)/n)``; RMSE and R² (``1 − sse/sst``, ``sst`` (k,) the
    weighted sum of squares of y about its weighted mean) without one (NaN). An undefined
    LOO error (a row of leverage 1) scores ``−inf``. Only scorers of kind ``stats``.
    """
    if scorer.kind != "stats":
        raise ValueError(f"scoring={scorer.name!r} needs the leave-one-out predictions")
    with np.errstate(invalid="ignore", over="ignore"):
        if scorer.name == "neg_mean_squared_error":
            mean = sums.sse / sw
            var = np.maximum(sums.sse2 / sw - mean * mean, 0.0)
            score, se = -mean, np.sqrt(var / n)
        else:
            if sst is None and scorer.name == "r2":
                raise ValueError("LOO R² needs the total sum of squares sst")
            score = scorer.from_sse(sums.sse, sst, sw)
            se = np.full_like(score, np.nan)
    return np.where(np.isfinite(score), score, -np.inf), se


def check_exact(method: str, scorer: Scorer, rule: str) -> None:
    """The scorers and rules exact LOO (``method="loo"``) and GCV (``"gcv"``) support."""
    if method == "gcv" and scorer.name != "neg_mean_squared_error":
        raise ValueError("GCV estimates the mean squared error only: leave scoring=None")
    if rule == "1se" and method == "gcv":
        raise ValueError("the one-standard-error rule needs per-fold scores; GCV has none")


def gcv_curve(F: Factor, penalties: np.ndarray, *, fit_intercept: bool) -> np.ndarray:
    """Negative GCV criterion for every penalty, shape (L, k)."""
    rss = F.rss(penalties)
    dof = F.dof(penalties) + (1.0 if fit_intercept else 0.0)
    denom = (1.0 - dof / F.n) ** 2
    with np.errstate(divide="ignore"):
        g = np.where(denom[:, None] > 0, (rss / F.sw) / denom[:, None], np.inf)
    return -g
