"""Benchmark ridgeline's sparse (L1 / elastic-net / group-lasso) paths against scikit-learn,
glum, skglm and celer — and check the answers (issue #4).

Three cases (``--quick`` shrinks every case for a ~30 s smoke run), and the small-data cases D
(diabetes against scikit-learn) and E (Bikeshare lasso path against R glmnet) of issue 16 in
``bench_sparse_small.py``:

A  elastic net, n=50,000, p=500 (Toeplitz ρ=0.5 design, 50 non-zero coefficients, intercept),
   l1_ratio 0.5, 100 α (scikit-learn's grid, eps=1e-3, computed once on the full data and given
   to everyone), 5-fold ``KFold`` (no shuffle). ridgeline ``ElasticNetCV`` against scikit-learn
   ``ElasticNetCV`` at its default tol (1e-4; timed) and at tol=1e-10 (the converged answer the
   others are compared with), and glum ``GeneralizedLinearRegressorCV(l1_ratio=[0.5])``. glum is
   slow (the issue measured 247 s): by default one training-fold path is timed and the CV fit is
   **extrapolated** (5 fold paths + one full-data path, linear in n); ``--with-glum`` runs the
   real thing. Certification: every fold's path of ridgeline must be certified (duality gap ≤
   gap tolerance, ``fold_converged_`` all true); one fold path is re-certified independently
   (``enet_gap``).
B  lasso path, n=1,000, p=100,000 (dense Gaussian, Toeplitz ρ=0.5, 20 non-zero coefficients),
   100 λ, eps=1e-3 (scikit-learn's grid), data centered and ``fit_intercept=False`` for everyone
   (scikit-learn's ``lasso_path`` and ``celer_path`` have no intercept). scikit-learn
   ``lasso_path``, skglm ``Lasso.path`` (AndersonCD, warm-started along the grid), celer
   ``celer_path``. Every solution is scored by one objective function; its sub-optimality
   against the best objective anyone found must be within what its tolerance certifies; a tight
   celer run (tol 1e-10) is the reference for supports and for ridgeline at tol 1e-8.
C  group lasso, n=10,000, p=5,000 in 1,000 groups of 5 (Toeplitz ρ=0.5, 20 active groups),
   data centered, no intercept, a path of 50 λ from λ_max down to 1e-2·λ_max (log-spaced),
   group weights √5. skglm ``GeneralizedLinearEstimator(QuadraticGroup, WeightedGroupL2,
   GroupBCD(warm_start=True))`` refit along the grid; celer ``celer_path(pb="grouplasso")`` as an
   extra peer. Same checks as B (reference: celer at tol 1e-10).

Conventions (ridgeline's canonical objective is (1/n)‖y − Xw − b‖² + λ·P(w)):
  * scikit-learn / glum / celer elastic net (1/2n)‖r‖² + α(ρ‖w‖₁ + (1−ρ)/2‖w‖²):
    λ = α(1+ρ), mix = 2ρ/(1+ρ); lasso λ = 2α.
  * skglm / celer group lasso (1/2n)‖r‖² + α Σ_g c_g‖w_g‖ with c_g = √|g|: λ = 2α.
  * tolerances: scikit-learn and celer stop at gap ≤ tol·‖y‖²/n on the halved objective, i.e.
    canonical gap ≤ 2·tol·var(y) for centered y; ridgeline stops at canonical gap ≤ tol·var(y),
    so at the same tol ridgeline is 2× tighter. skglm stops on the KKT violation (max distance of
    −∇ to the subdifferential), not a gap.

Every library runs with BLAS/OpenMP limited to one thread (threadpoolctl; ``--threads``).
Timings are min and median of ``--repeats`` runs (ridgeline after one untimed warm-up call;
skglm's numba functions are compiled on a tiny problem first; the peers are not warmed up);
ratio = peer time ÷ ridgeline time, judged on the minimum
because the machine is shared (the median is printed too).

Usage::

    .venv/bin/python benchmarks/bench_sparse.py                 # all cases
    .venv/bin/python benchmarks/bench_sparse.py --case B --repeats 5
    .venv/bin/python benchmarks/bench_sparse.py --quick         # smoke run (~30 s)
    .venv/bin/python benchmarks/bench_sparse.py --case A --with-glum   # + the full glum CV (~4 min)
    .venv/bin/python benchmarks/bench_sparse.py --case D       # diabetes vs scikit-learn
    .venv/bin/python benchmarks/bench_sparse.py --case E       # Bikeshare path vs R glmnet
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import asdict

import numpy as np
from sklearn.linear_model import ElasticNetCV as SkENCV
from sklearn.linear_model import lasso_path
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

import ridgeline
from bench_ridge_cv import (
    IDLE,
    RESULTS_DIR,
    SEED,
    CaseReport,
    Row,
    fmt_t,
    loadavg,
    machine_info,
    print_machine,
    rel_err,
    say,
    timed,
)

N_SPLITS = 5
L1_RATIO = 0.5
#: scikit-learn ElasticNetCV at this tol is "the converged answer" of case A.
SK_TIGHT_TOL, SK_TIGHT_MAX_ITER = 1e-10, 1_000_000
#: Reference (tight) tolerance of celer / skglm in cases B and C.
REF_TOL = 1e-10
#: ridgeline's own tolerance (its default).
OURS_TOL = 1e-4
#: Objectives of converged solvers must agree to this (relative) in the tight check.
TIGHT_OBJ_RTOL = 1e-6
#: A coefficient counts as non-zero above this (relative to max |w| on the path) for supports.
SUPPORT_RTOL = 1e-10


# ---- conventions, objectives and duality gaps (one implementation for every library) --------
def canonical_from_sklearn(alpha, l1_ratio):
    """(λ, mix) of ridgeline for scikit-learn's (alpha, l1_ratio)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    return alpha * (1.0 + l1_ratio), 2.0 * l1_ratio / (1.0 + l1_ratio)


def enet_objective(X, y, w, b, lam, mix) -> float:
    """Canonical (1/n)‖y − Xw − b‖² + λ(mix‖w‖₁ + (1−mix)‖w‖²)."""
    r = y - X @ w - b
    return float(r @ r / y.size + lam * (mix * np.abs(w).sum() + (1 - mix) * (w @ w)))


def enet_gap(X, y, w, b, lam, mix, fit_intercept: bool) -> float:
    """Canonical duality gap of (w, b) (intercept re-optimized when fit_intercept).

    Halved problem (1/2n)‖r‖² + a‖w‖₁ + (c/2)‖w‖², a = λ·mix/2, c = λ(1−mix), dual point
    θ = r / max(1, ‖Xᵀr/n − c w‖∞ / a) (scikit-learn's cd_fast gap, divided by n); returned ×2.
    """
    n = y.size
    a, c = lam * mix / 2.0, lam * (1.0 - mix)
    if fit_intercept:
        xm = X.mean(axis=0)
        yc = y - y.mean()
        r = yc - (X @ w - xm @ w)
        xtr = X.T @ r  # r has mean zero: Xᵀr = X_cᵀr
        yy = yc
    else:
        r = y - X @ w
        xtr = X.T @ r
        yy = y
    xta = xtr / n - c * w
    dual_norm = np.max(np.abs(xta)) if w.size else 0.0
    s = a / dual_norm if dual_norm > a else 1.0
    rr = r @ r / n
    gap = 0.5 * rr * (1 + s * s) + a * np.abs(w).sum() - s * (r @ yy) / n \
        + 0.5 * c * (1 + s * s) * (w @ w)
    return float(2.0 * gap)


def group_objective(X, y, w, lam, size: int) -> float:
    """Canonical (1/n)‖y − Xw‖² + λ Σ_g √|g| ‖w_g‖ (consecutive groups of ``size``)."""
    r = y - X @ w
    return float(r @ r / y.size + lam * np.sqrt(size) * np.linalg.norm(w.reshape(-1, size),
                                                                      axis=1).sum())


def group_gap(X, y, w, lam, size: int) -> float:
    """Canonical duality gap of the group lasso (no intercept; lasso for size=1).

    Halved primal P = (1/2n)‖r‖² + a Σ c_g‖w_g‖ (a = λ/2, c_g = √size), dual
    D(θ) = ‖y‖²/(2n) − (n/2)‖θ − y/n‖² on ‖X_gᵀθ‖ ≤ a c_g,
    θ = r/(n·max(1, max_g ‖X_gᵀr‖/(n a c_g))).
    """
    n = y.size
    a, cg = lam / 2.0, np.sqrt(size)
    r = y - X @ w
    g = np.linalg.norm((X.T @ r).reshape(-1, size), axis=1) / (n * a * cg)
    theta = r / (n * max(1.0, float(g.max())))
    primal = r @ r / (2 * n) + a * cg * np.linalg.norm(w.reshape(-1, size), axis=1).sum()
    d = theta - y / n
    dual = y @ y / (2 * n) - 0.5 * n * (d @ d)
    return float(2.0 * (primal - dual))


def toeplitz_design(rng, n: int, p: int, rho: float = 0.5, order: str = "F") -> np.ndarray:
    """Gaussian rows with corr(x_j, x_k) = ρ^|j−k| (an AR(1) across columns), Fortran order."""
    X = np.empty((n, p), order=order)
    X[:, 0] = rng.standard_normal(n)
    s = np.sqrt(1.0 - rho * rho)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + s * rng.standard_normal(n)
    return X


def sk_grid(X, y, l1_ratio: float, n_alphas: int, eps: float, fit_intercept: bool):
    """scikit-learn's α grid (α_max = ‖X_cᵀy_c‖∞/(n·l1_ratio), down to eps·α_max, log-spaced)."""
    n = y.size
    xty = X.T @ (y - y.mean()) if fit_intercept else X.T @ y
    a_max = np.max(np.abs(xty)) / (n * l1_ratio)
    return np.geomspace(a_max, a_max * eps, n_alphas)


def support_stats(coefs: np.ndarray, ref: np.ndarray) -> str:
    """coefs, ref: (L, p). Number of λ with identical supports and the largest difference."""
    def supp(C):
        tol = SUPPORT_RTOL * max(float(np.max(np.abs(C))), 1e-300)
        return np.abs(C) > tol
    s, r = supp(coefs), supp(ref)
    diff = np.sum(s != r, axis=1)
    return (f"supports identical at {int(np.sum(diff == 0))}/{diff.size} λ, largest symmetric "
            f"difference {int(diff.max())} features (reference support up to "
            f"{int(r.sum(axis=1).max())})")


def first_attr(obj, *names):
    """The first of ``names`` that ``obj`` has (ridgeline's field names were in flux)."""
    return next((getattr(obj, nm) for nm in names if hasattr(obj, nm)), None)


def path_certificate(out) -> str:
    """ridgeline SparsePath: how many λ certified, epochs, worst reported gap/gap tolerance."""
    conv = np.asarray(out.converged)
    gaps = first_attr(out, "gaps", "certificates")
    tols = first_attr(out, "gap_tols", "certificate_tols")
    ep = first_attr(out, "n_epochs", "n_iter")
    text = f"certified {int(conv.sum())}/{conv.size} λ"
    if ep is not None:
        text += f"; coordinate sweeps in all {int(np.sum(ep))}"
    if gaps is not None and tols is not None:
        text += f"; reported max gap/gap_tol {np.max(np.asarray(gaps) / np.asarray(tols)):.2f}"
    return text


def quiet(fn):
    """fn() with warnings collected; returns (result, sorted unique messages)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0][:100]}"
                        for w in caught})


def run_timed(fn, repeats: int, warmup: bool = True):
    """(times, result, warnings) over ``repeats`` timed calls after an optional warm-up."""
    box: set = set()

    def call():
        out, msgs = quiet(fn)
        box.update(msgs)
        return out

    times, out = timed(call, repeats, warmup=warmup)
    return times, out, sorted(box)


def wnote(w) -> str:
    return f"; warnings: {w}" if w else ""


def ridgeline_has(*names: str) -> bool:
    return all(hasattr(ridgeline, nm) for nm in names)


def ratio_text(rep: CaseReport, peer: str, ours: str) -> str:
    a, b = rep.row(peer), rep.row(ours)
    if a is None or b is None or not a.times or not b.times:
        return "not measured"
    return (f"{a.t_min / b.t_min:.2f}× on min, {a.t_med / b.t_med:.2f}× on median"
            + (" (extrapolated peer time)" if a.extrapolated else ""))


def set_target(rep: CaseReport, peer: str, ours: str, target: float, what: str) -> None:
    row = rep.row(peer)
    if row is None:
        return
    row.vs, row.target = ours, target
    if not row.times or rep.row(ours) is None or not rep.row(ours).times:
        rep.extra.setdefault("targets", []).append(f"{what} ≥ {target:g}×: not measured")
        return
    q = row.t_min / rep.row(ours).t_min
    rep.extra.setdefault("targets", []).append(
        f"{what} ≥ {target:g}×: {ratio_text(rep, peer, ours)} → "
        f"{'MET' if q >= target else 'NOT MET'}")


# ---- case A: elastic-net CV ------------------------------------------------------------------
def data_a(quick: bool):
    n, p, k = (5_000, 100, 10) if quick else (50_000, 500, 50)
    rng = np.random.default_rng(SEED + 41)
    X = toeplitz_design(rng, n, p, order="C") + rng.normal(0.0, 1.0, p)  # non-zero means
    w = np.zeros(p)
    idx = rng.choice(p, k, replace=False)
    w[idx] = rng.normal(0.0, 1.0, k)
    y = X @ w + 3.0 + 4.0 * rng.standard_normal(n)
    return np.ascontiguousarray(X), y


def glum_fold_path(X, y, train, test, alphas):
    """glum's regularization path on one training fold (what GeneralizedLinearRegressorCV runs
    K times, plus once on all data); returns (coefs (L, p), intercepts (L,), test MSE (L,))."""
    from glum import GeneralizedLinearRegressor

    m = GeneralizedLinearRegressor(family="normal", l1_ratio=L1_RATIO, alpha_search=True,
                                   alphas=alphas, fit_intercept=True, scale_predictors=False)
    with warnings.catch_warnings():  # glum 3.4: "alphas is deprecated" but alpha=array fails
        warnings.filterwarnings("ignore", "alphas is deprecated", DeprecationWarning)
        m.fit(X[train], y[train])
    coefs = np.asarray(m.coef_path_)
    ints = np.asarray(m.intercept_path_)
    pred = X[test] @ coefs.T + ints
    mse = np.mean((y[test, None] - pred) ** 2, axis=0)
    return coefs, ints, mse


def glum_alpha_check(X, y) -> str:
    """glum's α is scikit-learn's (same halved objective): fit both on a subsample, compare."""
    from glum import GeneralizedLinearRegressor
    from sklearn.linear_model import ElasticNet

    Xs, ys = X[:2000, :50], y[:2000]
    a = 0.05
    g = GeneralizedLinearRegressor(family="normal", l1_ratio=L1_RATIO, alpha=a,
                                   gradient_tol=1e-12, scale_predictors=False).fit(Xs, ys)
    s = ElasticNet(alpha=a, l1_ratio=L1_RATIO, tol=1e-14, max_iter=100_000).fit(Xs, ys)
    return (f"glum α = scikit-learn α checked on a 2000×50 subsample at α={a}: coef rel.err "
            f"{rel_err(g.coef_, s.coef_):.1e}")


def case_a(args) -> CaseReport:
    X, y = data_a(args.quick)
    n, p = X.shape
    R = args.repeats
    alphas = sk_grid(X, y, L1_RATIO, 100, 1e-3, True)
    lams, mix = canonical_from_sklearn(alphas, L1_RATIO)
    cv = KFold(N_SPLITS)
    folds = list(cv.split(X, y))
    rep = CaseReport("A", f"elastic net n={n:,}, p={p}, Toeplitz ρ=0.5, l1_ratio={L1_RATIO}, "
                          f"100 α (sklearn grid, eps=1e-3, α_max={alphas[0]:.4g}), "
                          "5-fold KFold, intercept")
    say(f"\n--- Case A: {rep.description} (load {loadavg()})")
    ours_label = "ridgeline ElasticNetCV (tol=1e-4)"

    # scikit-learn at its default tolerance (timed) and tight (the converged answer)
    say("    sklearn ElasticNetCV (default tol) ...")
    sk_default = lambda: SkENCV(l1_ratio=L1_RATIO, alphas=alphas, cv=cv).fit(X, y)  # noqa: E731
    t_sk, sk, w_sk = run_timed(sk_default, R, warmup=False)
    say(f"      {min(t_sk):.2f} s")
    say(f"    sklearn ElasticNetCV (tol={SK_TIGHT_TOL:g}) ...")
    t_skt, skt, w_skt = run_timed(lambda: SkENCV(
        l1_ratio=L1_RATIO, alphas=alphas, cv=cv, tol=SK_TIGHT_TOL,
        max_iter=SK_TIGHT_MAX_ITER).fit(X, y), 1, warmup=False)
    say(f"      {t_skt[0]:.2f} s")
    a_ref = float(skt.alpha_)
    i_ref = int(np.argmin(np.abs(alphas - a_ref)))
    mse_ref = skt.mse_path_.mean(axis=1)
    lam_ref = float(lams[i_ref])
    obj_ref = enet_objective(X, y, skt.coef_, skt.intercept_, lam_ref, mix)
    rep.extra.update(alphas=alphas.tolist(), converged_alpha=a_ref, converged_index=i_ref,
                     sklearn_tight_mse=mse_ref.tolist())
    edge = "interior" if 0 < i_ref < alphas.size - 1 else "AT AN EDGE"
    rep.notes.append(f"converged choice (sklearn tol={SK_TIGHT_TOL:g}): α={a_ref:.6g}, grid "
                     f"index {i_ref}/{alphas.size - 1} ({edge}); canonical λ={lam_ref:.6g}, "
                     f"mix={mix:.4g}")

    def sk_agreement(est) -> tuple[bool, str]:
        same = bool(np.isclose(est.alpha_, a_ref, rtol=1e-10))
        curve = est.mse_path_.mean(axis=1)
        cd = float(np.max(np.abs(curve - mse_ref) / mse_ref))
        ce = rel_err(est.coef_, skt.coef_)
        od = (enet_objective(X, y, est.coef_, est.intercept_, lam_ref, mix) - obj_ref) / obj_ref
        pos = int(np.argmin(np.abs(alphas - est.alpha_)))
        return same, (f"α {'=' if same else '≠'} converged (grid {pos}); "
                      f"CV curve max rel.diff {cd:.1e}; coef rel.err {ce:.1e}; refit objective "
                      f"rel.diff {od:+.1e}")

    # ridgeline
    if ridgeline_has("ElasticNetCV"):
        say("    ridgeline ElasticNetCV ...")
        t, ours, w = run_timed(lambda: ridgeline.ElasticNetCV(
            l1_ratio=L1_RATIO, alphas=alphas, cv=cv, tol=OURS_TOL).fit(X, y), R)
        say(f"      {min(t):.3f} s")
        ok, text = sk_agreement(ours)
        ok_cert, cert = certify_cv(ours, y, folds, OURS_TOL)
        row = Row(ours_label, t, agreement=text + "; " + cert, agrees=ok and ok_cert,
                  note="canonical gap ≤ 1e-4·var(y) per fit" + wnote(w))
        rep.rows.append(row)
        rep.extra["ridgeline"] = {"alpha_": float(ours.alpha_), "lambda_": float(
            getattr(ours, "lambda_", np.nan)), "mse": np.asarray(ours.mse_path_).mean(
                axis=1).tolist()}
        # independent certificate of one fold's path (fold 0), untimed
        if ridgeline_has("enet_path"):
            tr = folds[0][0]
            path = ridgeline.enet_path(X[tr], y[tr], mix=mix, lambdas=lams, tol=OURS_TOL)
            gaps = np.array([enet_gap(X[tr], y[tr], path.coefs[i], path.intercepts[i],
                                      lams[i], mix, True) for i in range(lams.size)])
            vy = float(np.var(y[tr]))
            rep.notes.append(
                f"independent check of ridgeline.enet_path on training fold 0: max gap "
                f"recomputed here / var(y) = {gaps.max() / vy:.2e} (tol {OURS_TOL:g}); "
                f"ridgeline's reported max gap/var(y) {np.max(path.gaps) / vy:.2e}; "
                f"all converged: {bool(np.all(path.converged))}")
            rep.extra["fold0_independent_gap_over_var"] = (gaps / vy).tolist()
    else:
        rep.rows.append(Row(ours_label, [], agreement="ridgeline.ElasticNetCV not available"))

    ok, text = sk_agreement(sk)
    rep.rows.append(Row("sklearn ElasticNetCV (default tol=1e-4)", t_sk, agreement=text,
                        agrees=None, note="timed peer" + wnote(w_sk)))
    ok, text = sk_agreement(skt)
    rep.rows.append(Row(f"sklearn ElasticNetCV (tol={SK_TIGHT_TOL:g})", t_skt,
                        agreement="reference (converged answer)", note=wnote(w_skt)[2:]))

    # glum
    if not args.skip_glum:
        say("    glum: convention check ...")
        rep.notes.append(glum_alpha_check(X, y))
        tr, te = folds[0]
        say("    glum: one training-fold path ...")
        t_g, (_, _, gmse), w_g = run_timed(
            lambda: glum_fold_path(X, y, tr, te, alphas), 1, warmup=False)
        proj = t_g[0] * (N_SPLITS + n / tr.size)
        say(f"      {t_g[0]:.1f} s → extrapolated CV {proj:.0f} s")
        cd = float(np.max(np.abs(gmse - skt.mse_path_[:, 0]) / skt.mse_path_[:, 0]))
        rep.rows.append(Row("glum CV — EXTRAPOLATED from one fold path", [proj],
                            extrapolated=True,
                            agreement=f"fold-0 test MSE curve vs sklearn tol=1e-10: max rel.diff "
                                      f"{cd:.1e}",
                            note=f"one training-fold path took {t_g[0]:.1f} s; × (5 folds + "
                                 f"full-data refit path n/n_train={n / tr.size:.2f})" + wnote(w_g)))
        if args.with_glum:
            from glum import GeneralizedLinearRegressorCV

            say("    glum GeneralizedLinearRegressorCV (full) ...")
            t_gf, g, w_gf = run_timed(lambda: GeneralizedLinearRegressorCV(
                family="normal", l1_ratio=[L1_RATIO], alphas=alphas, cv=cv, n_jobs=1,
                scale_predictors=False, fit_intercept=True).fit(X, y), 1, warmup=False)
            same = bool(np.isclose(g.alpha_, a_ref, rtol=1e-10))
            gcurve = g.deviance_path_.mean(axis=0).ravel()
            rep.rows.append(Row("glum GeneralizedLinearRegressorCV (measured)", t_gf,
                                agreement=f"α {'=' if same else '≠'} converged; coef rel.err "
                                f"{rel_err(g.coef_, skt.coef_):.1e}; CV curve max rel.diff "
                                f"{np.max(np.abs(gcurve - mse_ref) / mse_ref):.1e}",
                                agrees=same, note=wnote(w_gf)[2:]))

    if rep.row(ours_label) is not None and rep.row(ours_label).times:
        set_target(rep, "sklearn ElasticNetCV (default tol=1e-4)", ours_label, 3.0,
                   "vs sklearn ElasticNetCV (default tol)")
        g_label = ("glum GeneralizedLinearRegressorCV (measured)" if args.with_glum
                   else "glum CV — EXTRAPOLATED from one fold path")
        set_target(rep, g_label, ours_label, 100.0, "vs glum CV")
        rep.row(f"sklearn ElasticNetCV (tol={SK_TIGHT_TOL:g})").vs = ours_label
    return rep


def certify_cv(est, y, folds, tol) -> tuple[bool, str]:
    """Every fold's path certified? ``fold_converged_`` all true and ``fold_gaps_`` (K, L)
    within tol·var(y_train) (ridgeline's stopping rule) on every training fold."""
    gaps = first_attr(est, "fold_gaps_", "fold_certificates_", "fold_gaps")
    conv = first_attr(est, "fold_converged_", "converged_")
    if conv is None or gaps is None:
        return False, "NO per-fold certificate exposed (fold_converged_/fold_gaps_ missing)"
    conv, gaps = np.asarray(conv), np.asarray(gaps)
    bound = np.array([tol * np.var(y[tr]) for tr, _ in folds])[:, None]
    q = gaps / bound
    ok = bool(conv.all()) and bool(np.all(q <= 1 + 1e-9))
    return ok, (f"fold paths certified: {int(conv.sum())}/{conv.size} fits converged, max "
                f"fold gap / (tol·var(y_train)) = {q.max():.2f}")


# ---- case B: lasso path, p >> n --------------------------------------------------------------
def data_b(quick: bool):
    n, p, k = (100, 2_000, 10) if quick else (1_000, 100_000, 20)
    rng = np.random.default_rng(SEED + 42)
    X = toeplitz_design(rng, n, p)
    w = np.zeros(p)
    idx = rng.choice(p, k, replace=False)
    w[idx] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 2.0, k)
    y = X @ w + 1.0 * rng.standard_normal(n)
    X -= X.mean(axis=0)  # centered: no intercept needed (lasso_path / celer_path have none)
    y = y - y.mean()
    return X, y


def path_report(rep, label, times, coefs, lams, score, gapf, best, ref_coefs, var_y, note="",
                tol_bound=None):
    """Append a row for a path (coefs (L, p)) scored by one objective/gap function.

    Agreement: the primal sub-optimality against the best objective found by anyone,
    (f − f_best)/var(y), must be within the bound its tolerance certifies (gap-based solvers).
    The recomputed gap uses the rescaled-residual dual point (scikit-learn's), which is looser
    than the extrapolated dual points of celer/ridgeline: informative only.
    """
    objs = np.array([score(coefs[i], lams[i]) for i in range(lams.size)])
    gaps = np.array([gapf(coefs[i], lams[i]) for i in range(lams.size)])
    sub = (objs - best) / var_y
    text = (f"sub-optimality vs best found max {sub.max():.1e}·var(y) (relative to the "
            f"objective: {np.max((objs - best) / best):.1e}); residual-dual gap max "
            f"{gaps.max() / var_y:.1e}·var(y); " + support_stats(coefs, ref_coefs))
    ok = None
    if tol_bound is not None:
        ok = bool(sub.max() <= tol_bound * (1 + 1e-6))
        text += f" [within its tol's bound {tol_bound:g}·var(y): {'yes' if ok else 'NO'}]"
    rep.rows.append(Row(label, times, agreement=text, agrees=ok, note=note))
    rep.extra.setdefault("paths", {})[label] = {
        "objective": objs.tolist(), "suboptimality_over_var_y": sub.tolist(),
        "residual_dual_gap_over_var_y": (gaps / var_y).tolist()}
    return objs


def report_runs(rep, runs: dict, ours_label: str, lams, score, gapf, best, ref_coefs,
                ref_objs, var_y, bounds: dict) -> None:
    """One row per timed path (ridgeline first): agreement, certificate, tight-check verdict."""
    order = [ours_label] + [k for k in runs if k != ours_label]
    for label in order:
        if label not in runs:
            continue
        t, out, w = runs[label]
        note = wnote(w)[2:]
        if hasattr(out, "converged"):
            note = path_certificate(out) + "; " + note
        objs = path_report(rep, label, t, coefs_of(out), lams, score, gapf, best, ref_coefs,
                           var_y, note=note, tol_bound=bounds.get(label))
        if hasattr(out, "converged") and not np.all(out.converged):
            r = rep.rows[-1]
            r.agrees = False
            r.agreement = (f"NOT CERTIFIED at {int(np.sum(~np.asarray(out.converged)))} λ "
                           f"(converged=False); "
                           + r.agreement)
        if label.endswith("tight check"):
            d = float(np.max(np.abs(objs - ref_objs) / ref_objs))
            r = rep.rows[-1]
            r.agreement = (f"objectives vs celer tol=1e-10: max rel.diff {d:.1e} (≤ "
                           f"{TIGHT_OBJ_RTOL:g}: {'ok' if d <= TIGHT_OBJ_RTOL else 'NO'}); "
                           + r.agreement)
            r.agrees = bool(d <= TIGHT_OBJ_RTOL) and r.agrees is not False


def coefs_of(out) -> np.ndarray:
    """(L, p) coefficients of a ridgeline path or of a peer's array."""
    return np.asarray(out.coefs) if hasattr(out, "coefs") else out


def case_b(args) -> CaseReport:
    X, y = data_b(args.quick)
    n, p = X.shape
    R = args.repeats
    alphas = sk_grid(X, y, 1.0, 100, 1e-3, False)
    lams = 2.0 * alphas
    var_y = float(np.var(y))
    rep = CaseReport("B", f"lasso path n={n:,}, p={p:,}, Toeplitz ρ=0.5, 20 non-zero, 100 λ "
                          f"(sklearn grid, eps=1e-3), centered, no intercept")
    say(f"\n--- Case B: {rep.description} (load {loadavg()})")

    def score(w, lam):
        return enet_objective(X, y, w, 0.0, lam, 1.0)

    def gapf(w, lam):
        return group_gap(X, y, w, lam, 1)

    import celer
    from skglm import Lasso as SkglmLasso

    runs = {}
    say("    reference: celer_path tol=1e-10 ...")
    t_ref, ref, _ = run_timed(lambda: celer.celer_path(X, y, "lasso", alphas=alphas,
                                                       tol=REF_TOL), 1, warmup=False)
    ref_coefs = np.asarray(ref[1]).T
    say(f"      {t_ref[0]:.1f} s")

    say("    sklearn lasso_path ...")
    runs["sklearn lasso_path (tol=1e-4)"] = run_timed(lambda: np.asarray(lasso_path(
        X, y, alphas=alphas, copy_X=False)[1]).T, R, warmup=False)
    say("    skglm Lasso.path ...")
    SkglmLasso(fit_intercept=False).path(X[:50, :200], y[:50], alphas[:3])  # numba compile
    runs["skglm Lasso.path (AndersonCD, tol=1e-4)"] = run_timed(lambda: np.asarray(SkglmLasso(
        fit_intercept=False, tol=1e-4).path(X, y, alphas)[1]).T, R, warmup=False)
    say("    celer celer_path ...")
    runs["celer celer_path (tol=1e-4)"] = run_timed(lambda: np.asarray(celer.celer_path(
        X, y, "lasso", alphas=alphas, tol=1e-4)[1]).T, R, warmup=False)
    ours_label = "ridgeline enet_path(mix=1, tol=1e-4)"
    if ridgeline_has("enet_path"):
        say("    ridgeline enet_path ...")
        runs[ours_label] = run_timed(lambda: ridgeline.enet_path(
            X, y, mix=1.0, lambdas=lams, fit_intercept=False, tol=OURS_TOL), R)
        say("    ridgeline enet_path tol=1e-8, max_iter=20000 (tight check) ...")
        # p ≫ n with a support near n at the small λ: coordinate descent needs more than the
        # default 1,000 sweeps per λ to *certify* 1e-8 (the tight check is about agreement)
        runs["ridgeline enet_path(mix=1, tol=1e-8) — tight check"] = run_timed(
            lambda: ridgeline.enet_path(X, y, mix=1.0, lambdas=lams, fit_intercept=False,
                                        tol=1e-8, max_iter=20_000), 1, warmup=False)

    all_objs = [np.array([score(ref_coefs[i], lams[i]) for i in range(lams.size)])]
    for _, out, _ in runs.values():
        c = coefs_of(out)
        all_objs.append(np.array([score(c[i], lams[i]) for i in range(lams.size)]))
    best = np.min(all_objs, axis=0)

    bounds = {"sklearn lasso_path (tol=1e-4)": 2e-4, "celer celer_path (tol=1e-4)": 2e-4,
              ours_label: OURS_TOL, "ridgeline enet_path(mix=1, tol=1e-8) — tight check": 1e-8}
    report_runs(rep, runs, ours_label, lams, score, gapf, best, ref_coefs, all_objs[0], var_y,
                bounds)
    path_report(rep, "celer celer_path (tol=1e-10) — reference", t_ref, ref_coefs, lams, score,
                gapf, best, ref_coefs, var_y, note="untimed reference (one run)")
    rep.notes.append("gap bound: scikit-learn/celer tol t ⇒ canonical gap ≤ 2t·var(y) (y "
                     "centered); ridgeline tol t ⇒ gap ≤ t·var(y); skglm stops on a KKT "
                     "criterion (no gap bound)")
    rep.notes.append("sklearn lasso_path gets copy_X=False (X is already Fortran-ordered "
                     "float64; its default would copy 800 MB per call)")
    if ours_label in runs:
        set_target(rep, "sklearn lasso_path (tol=1e-4)", ours_label, 3.0, "vs sklearn lasso_path")
        set_target(rep, "skglm Lasso.path (AndersonCD, tol=1e-4)", ours_label, 1.0,
                   "vs skglm Lasso.path")
        rep.row("celer celer_path (tol=1e-4)").vs = ours_label
    return rep


# ---- case C: group lasso path ----------------------------------------------------------------
GROUP_SIZE = 5
C_N_LAMBDAS, C_EPS = 50, 1e-2


def data_c(quick: bool):
    n, n_groups, k = (1_000, 100, 10) if quick else (10_000, 1_000, 20)
    p = n_groups * GROUP_SIZE
    rng = np.random.default_rng(SEED + 43)
    X = toeplitz_design(rng, n, p)
    w = np.zeros(p)
    for g in rng.choice(n_groups, k, replace=False):
        w[g * GROUP_SIZE:(g + 1) * GROUP_SIZE] = rng.normal(0.0, 1.0, GROUP_SIZE)
    y = X @ w + 3.0 * rng.standard_normal(n)
    X -= X.mean(axis=0)
    y = y - y.mean()
    return X, y


def skglm_group_path(X, y, alphas, tol):
    from skglm import GeneralizedLinearEstimator
    from skglm.datafits import QuadraticGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupBCD
    from skglm.utils.data import grp_converter

    p = X.shape[1]
    grp_indices, grp_ptr = grp_converter(GROUP_SIZE, p)
    weights = np.full(p // GROUP_SIZE, np.sqrt(GROUP_SIZE))
    est = GeneralizedLinearEstimator(
        QuadraticGroup(grp_ptr, grp_indices),
        WeightedGroupL2(alphas[0], weights, grp_ptr, grp_indices),
        GroupBCD(tol=tol, fit_intercept=False, warm_start=True))
    coefs = np.empty((alphas.size, p))
    for i, a in enumerate(alphas):
        est.penalty.alpha = a
        est.fit(X, y)
        coefs[i] = est.coef_
    return coefs


def case_c(args) -> CaseReport:
    X, y = data_c(args.quick)
    n, p = X.shape
    R = args.repeats
    xty = np.linalg.norm((X.T @ y).reshape(-1, GROUP_SIZE), axis=1)
    a_max = xty.max() / (n * np.sqrt(GROUP_SIZE))
    alphas = np.geomspace(a_max, C_EPS * a_max, C_N_LAMBDAS)
    lams = 2.0 * alphas
    var_y = float(np.var(y))
    rep = CaseReport("C", f"group lasso n={n:,}, p={p:,} ({p // GROUP_SIZE} groups of "
                          f"{GROUP_SIZE}, weights √{GROUP_SIZE}), Toeplitz ρ=0.5, 20 active "
                          f"groups, {C_N_LAMBDAS} λ from λ_max to {C_EPS:g}·λ_max, centered, "
                          "no intercept")
    say(f"\n--- Case C: {rep.description} (load {loadavg()})")

    def score(w, lam):
        return group_objective(X, y, w, lam, GROUP_SIZE)

    def gapf(w, lam):
        return group_gap(X, y, w, lam, GROUP_SIZE)

    import celer

    wts = np.full(p // GROUP_SIZE, np.sqrt(GROUP_SIZE))
    say("    reference: celer_path grouplasso tol=1e-10 ...")
    t_ref, ref, _ = run_timed(lambda: celer.celer_path(
        X, y, "grouplasso", alphas=alphas, groups=GROUP_SIZE, weights=wts, tol=REF_TOL), 1,
        warmup=False)
    ref_coefs = np.asarray(ref[1]).T
    say(f"      {t_ref[0]:.1f} s")
    runs = {}
    say("    skglm group lasso path ...")
    skglm_group_path(X[:100, :50], y[:100], alphas[:3], 1e-4)  # numba compile
    runs["skglm GroupBCD path (tol=1e-4)"] = run_timed(
        lambda: skglm_group_path(X, y, alphas, 1e-4), R, warmup=False)
    say("    celer group lasso path ...")
    runs["celer celer_path grouplasso (tol=1e-4)"] = run_timed(lambda: np.asarray(
        celer.celer_path(X, y, "grouplasso", alphas=alphas, groups=GROUP_SIZE, weights=wts,
                         tol=1e-4)[1]).T, R, warmup=False)
    ours_label = "ridgeline group_lasso_path (tol=1e-4)"
    if ridgeline_has("group_lasso_path"):
        say("    ridgeline group_lasso_path ...")
        runs[ours_label] = run_timed(lambda: ridgeline.group_lasso_path(
            X, y, GROUP_SIZE, lambdas=lams, fit_intercept=False, tol=OURS_TOL), R)
        say("    ridgeline group_lasso_path tol=1e-8 (tight check) ...")
        runs["ridgeline group_lasso_path (tol=1e-8) — tight check"] = run_timed(
            lambda: ridgeline.group_lasso_path(X, y, GROUP_SIZE, lambdas=lams,
                                               fit_intercept=False, tol=1e-8), 1, warmup=False)

    ref_objs = np.array([score(ref_coefs[i], lams[i]) for i in range(lams.size)])
    all_objs = [ref_objs] + [np.array([score(coefs_of(o)[i], lams[i]) for i in range(lams.size)])
                             for (_, o, _) in runs.values()]
    best = np.min(all_objs, axis=0)
    bounds = {"celer celer_path grouplasso (tol=1e-4)": 2e-4, ours_label: OURS_TOL,
              "ridgeline group_lasso_path (tol=1e-8) — tight check": 1e-8}
    report_runs(rep, runs, ours_label, lams, score, gapf, best, ref_coefs, ref_objs, var_y,
                bounds)
    path_report(rep, "celer celer_path grouplasso (tol=1e-10) — reference", t_ref, ref_coefs,
                lams, score, gapf, best, ref_coefs, var_y, note="untimed reference (one run)")
    rep.notes.append("skglm: one GeneralizedLinearEstimator refit per λ with GroupBCD("
                     "warm_start=True) (skglm has no group path API); celer_path(pb='grouplasso')"
                     " is an extra peer (its tol bounds the gap by 2·tol·var(y))")
    if ours_label in runs:
        set_target(rep, "skglm GroupBCD path (tol=1e-4)", ours_label, 1.0, "vs skglm group lasso")
        rep.row("celer celer_path grouplasso (tol=1e-4)").vs = ours_label
    return rep


# ---- report ----------------------------------------------------------------------------------
def print_case(rep: CaseReport) -> None:
    say(f"\nCase {rep.name}: {rep.description}")
    head = (f"{'method':<58} {'runs':>4} {'min s':>8} {'median s':>9} {'ratio(min)':>10} "
            f"{'ratio(med)':>10} {'target':>10}")
    say(head)
    say("-" * len(head))
    for r in rep.rows:
        qm, qd = rep.ratio(r, "min"), rep.ratio(r)
        ts = "—"
        if r.target is not None and qm is not None:
            ts = f"≥{r.target:g}× " + ("ok" if qm >= r.target else "MISS")
        say(f"{r.label:<58} {len(r.times):>4} {fmt_t(r.t_min):>8} {fmt_t(r.t_med):>9} "
            f"{'—' if qm is None else f'{qm:,.2f}×':>10} {'—' if qd is None else f'{qd:,.2f}×':>10}"
            f" {ts:>10}")
        if r.agreement:
            flag = "" if r.agrees is None else ("[agree] " if r.agrees else "[DISAGREE] ")
            say(f"      {flag}{r.agreement}")
        if r.note:
            say(f"      note: {r.note}")
    for note in rep.notes:
        say(f"  * {note}")
    say("  (ratio = peer time ÷ ridgeline time, > 1: ridgeline faster; targets judged on min)")


def markdown(rep: CaseReport, info: dict, args) -> str:
    out = [f"# ridgeline sparse benchmark — case {rep.name}", "", rep.description, "",
           f"Machine: {info['cpu_model']}, {info['cpu_count']} cores, {info['memory_gib']} GiB; "
           + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
           + f"; ridgeline at {info['ridgeline_commit']}; {time.strftime('%Y-%m-%d %H:%M')}; "
           f"repeats {args.repeats}; threads: {info['threads']}"
           + ("; **--quick**" if args.quick else ""), "",
           "| method | runs | min s | median s | ratio (min) | ratio (median) | target | "
           "agreement |", "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rep.rows:
        qm, qd = rep.ratio(r, "min"), rep.ratio(r)
        flag = "" if r.agrees is None else ("✓ " if r.agrees else "**✗** ")
        agree = (flag + r.agreement).replace("|", "\\|")
        if r.note:
            agree += f" <br>_{r.note.replace('|', '/')}_"
        tgt = "—" if r.target is None or qm is None else (
            f"≥ {r.target:g}×: {'met' if qm >= r.target else '**not met**'}")
        out.append(f"| {r.label} | {len(r.times)} | {fmt_t(r.t_min)} | {fmt_t(r.t_med)} | "
                   f"{'—' if qm is None else f'{qm:.2f}×'} | {'—' if qd is None else f'{qd:.2f}×'}"
                   f" | {tgt} | {agree} |")
    out += ["", "ratio = peer time ÷ ridgeline time (> 1: ridgeline faster).", "",
            "Targets:", ""]
    out += [f"* {t}" for t in rep.extra.get("targets", [])]
    out += ["", "Notes:", ""] + [f"* {n}" for n in rep.notes]
    return "\n".join(out) + "\n"


def write_results(rep: CaseReport, info: dict, args) -> None:
    suffix = (("_quick" if args.quick else "") + ("" if args.threads == "1"
                                                  else f"_threads_{args.threads}")
              + ("_with_glum" if args.with_glum and rep.name == "A" else ""))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in rep.rows:
        d = asdict(r)
        d.update(min_s=r.t_min if r.times else None, median_s=r.t_med if r.times else None,
                 ratio_on_min=rep.ratio(r, "min"), ratio_on_median=rep.ratio(r))
        rows.append(d)
    data = {"machine": info, "quick": args.quick, "repeats": args.repeats,
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"), "case": rep.name,
            "description": rep.description, "rows": rows, "notes": rep.notes,
            "extra": rep.extra}
    base = RESULTS_DIR / f"sparse_{rep.name}{suffix}"
    base.with_suffix(".json").write_text(json.dumps(data, indent=1, default=float))
    base.with_suffix(".md").write_text(markdown(rep, info, args))
    say(f"Results written to {base}.json and .md")


def case_small(name):
    """Cases D and E (issue 16, small data) live in bench_sparse_small.py."""
    def run(args):
        import bench_sparse_small

        return getattr(bench_sparse_small, f"case_{name.lower()}")(args)
    return run


CASES = {"A": case_a, "B": case_b, "C": case_c, "D": case_small("D"), "E": case_small("E")}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", choices=["A", "B", "C", "D", "E", "all"], default="all")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs (after one warm-up) of "
                    "ridgeline and the fast peers; min and median reported")
    ap.add_argument("--quick", action="store_true", help="small sizes: smoke run (~30 s)")
    ap.add_argument("--with-glum", action="store_true",
                    help="case A: run glum's full GeneralizedLinearRegressorCV (~4 min)")
    ap.add_argument("--skip-glum", action="store_true", help="case A: no glum at all")
    ap.add_argument("--threads", default="1", help="BLAS/OpenMP threads for every library "
                    "(threadpoolctl); 'default' leaves them as they are (default: 1)")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="before each timed run wait up to S s for other processes to leave "
                    "the CPUs")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    IDLE["max_wait"] = args.wait_idle
    info = machine_info()
    for mod in ("skglm", "celer"):
        try:
            info["versions"][mod] = __import__(mod).__version__
        except Exception as exc:  # pragma: no cover - informative only
            info["versions"][mod] = f"unavailable ({type(exc).__name__})"
    info["versions"].pop("himalaya", None)
    info["threads"] = ("library defaults" if args.threads == "default"
                       else f"BLAS/OpenMP limited to {args.threads} (threadpoolctl)")
    print_machine(info)
    limiter = None
    if args.threads != "default":
        limiter = threadpool_limits(limits=int(args.threads))
    say(f"Threads: {info['threads']}")
    names = "ABCDE" if args.case == "all" else args.case
    reports = []
    t0 = time.perf_counter()
    for name in names:
        t_case = time.perf_counter()
        rep = CASES[name](args)
        rep.extra["case_seconds"] = time.perf_counter() - t_case
        print_case(rep)
        say(f"  (case {name} took {rep.extra['case_seconds']:.0f} s in all)")
        reports.append(rep)
        if not args.no_write:
            write_results(rep, info, args)
    say("\nTargets" + (" (quick sizes: indicative only)" if args.quick else ""))
    for rep in reports:
        for t in rep.extra.get("targets", []):
            say(f"  {rep.name}: {t}")
        for r in rep.rows:
            if r.agrees is False:
                say(f"  {rep.name}: DISAGREEMENT: {r.label}: {r.agreement}")
        for f in rep.extra.get("failures", []):  # cases D and E: answer checks that fail
            say(f"  {rep.name}: ANSWER CHECK FAILED: {f}")
    say(f"Total {time.perf_counter() - t0:.0f} s; load average at end: {loadavg()}")
    del limiter
    return 1 if any(rep.extra.get("answer_failed") for rep in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
