"""Benchmark ridgeline's L2 logistic regression against scikit-learn and glum — and check answers.

Three cases (``--quick`` divides n by 10, case C also p):

A  binary, n=100,000, p=100, 20 C ``np.logspace(-4, 4, 20)``, 5-fold ``StratifiedKFold``,
   ``neg_log_loss``. ridgeline ``LogisticRegressionCV`` (K-fold and ``method="alo"``) against
   scikit-learn ``LogisticRegressionCV`` with lbfgs and newton-cholesky at their default
   tolerance (1e-4), lbfgs at tol=1e-8 ("equal accuracy": the converged answer), and glum
   ``GeneralizedLinearRegressorCV`` (binomial, l1_ratio=0) on the same folds with the grid
   translated to glum's alpha (verified numerically, see ``glum_alpha``).
B  multinomial: (i) digits (standardized), (ii) synthetic n=50,000, p=200, 10 classes. Same
   grid, folds and scoring; peers scikit-learn lbfgs at tol=1e-4 and at tol=1e-8. glum has no
   multinomial family.
C  sparse, text-like: n=100,000, p=200,000, density 2e-4 (CSR, non-negative values), one C.
   ridgeline ``LogisticRegression`` against scikit-learn ``LogisticRegression`` with lbfgs,
   liblinear (primal and dual), newton-cg and saga. Every solution is scored by one objective
   function (mean log loss + λ‖w‖², ``objective``); each peer climbs a ladder of tolerances
   until its objective is within 1e-6 (relative) of the best found, and that run is the one
   timed "at equal objective". No intercept for anyone (liblinear would penalize it).

Every method gets the same data (fixed seeds), the same grid and the same fold object;
ridgeline's choice of C must equal the converged scikit-learn choice, its refit coefficients
must be within 1e-5 (relative) of scikit-learn's tight fit at that C, and its CV curve is
compared with scikit-learn's. Timing helpers, the table and the machine report are those of
``bench_ridge_cv.py``.

Usage::

    .venv/bin/python benchmarks/bench_logistic_cv.py --scipy-blas-threads 1   # all (~10 min)
    .venv/bin/python benchmarks/bench_logistic_cv.py --case A --repeats 5
    .venv/bin/python benchmarks/bench_logistic_cv.py --quick         # smoke run (~2 min)

On a 2-core machine pass ``--scipy-blas-threads 1``: numpy and scipy wheels each bring their
own OpenBLAS, and the two thread pools starve each other on code that alternates small calls to
both (scipy's L-BFGS-B: scikit-learn's multinomial lbfgs on digits takes 9 s instead of 0.5 s).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logsumexp
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.linear_model import LogisticRegressionCV as SkLRCV
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

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
    print_case,
    print_machine,
    rel_err,
    say,
    timed,
)

N_SPLITS = 5
#: The C grid of cases A and B (scikit-learn's default grid with 20 points).
CS = np.logspace(-4, 4, 20)
#: Tolerance of the "equal accuracy" scikit-learn runs (and its max_iter).
TIGHT_TOL, TIGHT_MAX_ITER = 1e-8, 10_000
#: Tolerance of the reference single fits (newton-cholesky / lbfgs) used to check coefficients.
REF_TOL = 1e-10
#: ridgeline's refit must be this close (relative) to scikit-learn's tight fit.
COEF_RTOL = 1e-5
#: CV curves (mean held-out log loss per C) must agree to this (absolute) for converged solvers.
CURVE_ATOL = 1e-6
#: glum stops at gradient_tol=1e-4 by default: its coefficients are compared to this only.
GLUM_RTOL = 1e-3
#: Case C: "equal objective" means within this relative distance of the best objective found.
OBJ_RTOL = 1e-6
#: Case C: tolerance ladder (the first rung is scikit-learn's default).
TOL_LADDER = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)
#: Case C: stop a peer's ladder once it has used this many seconds.
LADDER_BUDGET_S = 150.0
#: A peer run shorter than this is repeated (--repeats) for a median; longer ones run once.
REPEAT_BELOW_S = 20.0


# ---- shared helpers --------------------------------------------------------------------------
def quiet(fn):
    """Call fn() with warnings recorded; return (result, sorted unique 'Category: text')."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    msgs = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0][:110]}"
                   for w in caught})
    return out, msgs


def timed_peer(fn, repeats: int, warmup: bool = False):
    """Wall times of up to ``repeats`` calls of fn, the last result and the warnings raised.

    A first call that takes REPEAT_BELOW_S or more is the only one (one-time costs are
    negligible next to it). A shorter one is repeated ``repeats`` times; with ``warmup`` the
    first call then counts as the untimed warm-up (as ``timed(..., warmup=True)``).
    """
    box: dict = {"warnings": set()}

    def call():
        out, msgs = quiet(fn)
        box["warnings"].update(msgs)
        return out

    times, out = timed(call, 1)
    if times[0] < REPEAT_BELOW_S and (repeats > 1 or warmup):
        more, out = timed(call, repeats if warmup else repeats - 1)
        times = more if warmup else times + more
    return times, out, sorted(box["warnings"])


def objective(X, y_idx: np.ndarray, coef, intercept, C: float) -> float:
    """Mean log loss + λ‖W‖², λ = 1/(2 C n): scikit-learn's objective divided by C·n.

    ``coef`` (1, p) for two classes (``y_idx`` in {0, 1}) or (K, p) (``y_idx`` in 0..K-1);
    X dense or sparse. The one function that scores every library's solution.
    """
    n = X.shape[0]
    coef = np.asarray(coef, dtype=np.float64)
    Z = np.asarray(X @ coef.T) + np.asarray(intercept, dtype=np.float64)
    if coef.shape[0] == 1:
        z = Z[:, 0]
        loss = np.mean(np.logaddexp(0.0, z) - y_idx * z)
    else:
        loss = np.mean(logsumexp(Z, axis=1) - Z[np.arange(n), y_idx])
    return float(loss + np.sum(coef**2) / (2.0 * C * n))


def speedup(rep: CaseReport, peer: str, ours: str) -> str:
    """'peer median ÷ ours median' as text, e.g. '2.31× (ridgeline faster)'."""
    a, b = rep.row(peer), rep.row(ours)
    if a is None or b is None or not a.times or not b.times:
        return "not measured"
    q = a.t_med / b.t_med
    return f"{q:.2f}× ({'ridgeline faster' if q >= 1 else 'ridgeline SLOWER'})"


def grid_pos(C: float) -> int:
    return int(np.argmin(np.abs(np.log(CS) - np.log(float(C)))))


def same_C(a, b) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=1e-10, atol=0.0))


def c_text(C: float) -> str:
    return f"C={float(C):.4g} (grid {grid_pos(C)}/{CS.size - 1})"


def fold_objective_gaps(X, y_idx, folds, ours_paths, sk_paths, idx) -> np.ndarray:
    """Per C in idx: max over folds of (f_ours − f_sklearn)/f_sklearn on the training fold.

    ``*_paths``: ``coefs_paths_`` of shape (n_folds, 1, n_cs, m, p + 1) (intercept last).
    Negative: ridgeline's fold solution has the lower objective (is the better optimized).
    """
    out = []
    for i in idx:
        g = -np.inf
        for k, (tr, _) in enumerate(folds):
            Wo = np.asarray(ours_paths[k, 0, i])
            Ws = np.asarray(sk_paths[k, 0, i]).reshape(Wo.shape)
            fo = objective(X[tr], y_idx[tr], Wo[:, :-1], Wo[:, -1], CS[i])
            fs = objective(X[tr], y_idx[tr], Ws[:, :-1], Ws[:, -1], CS[i])
            g = max(g, (fo - fs) / abs(fs))
        out.append(g)
    return np.asarray(out)


def sk_cv(solver: str, tol: float, max_iter: int = 100) -> SkLRCV:
    return SkLRCV(Cs=CS, cv=None, scoring="neg_log_loss", solver=solver, tol=tol,
                  max_iter=max_iter, l1_ratios=(0,), use_legacy_attributes=False)


def sk_reference(X, y, C: float):
    """Tight single scikit-learn fit at C (newton-cholesky where p allows, else lbfgs)."""
    solver = "newton-cholesky" if X.shape[1] <= 1000 and not sp.issparse(X) else "lbfgs"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SkLR(C=float(C), solver=solver, tol=REF_TOL, max_iter=TIGHT_MAX_ITER).fit(X, y)


def label_index(y) -> np.ndarray:
    return np.unique(y, return_inverse=True)[1]


# ---- cases A and B: cross-validated C --------------------------------------------------------
def cv_case(rep: CaseReport, X, y, args, *, prefix: str = "", glum: bool = False,
            alo: bool = True, newton_cholesky: bool = True) -> None:
    """Time ridgeline LogisticRegressionCV (K-fold, ALO) and the peers on (X, y); check answers.

    Rows are appended to ``rep``; ``prefix`` distinguishes sub-cases (B digits / synthetic).
    """
    R = args.repeats
    cv = StratifiedKFold(N_SPLITS)  # the one fold object everyone gets
    folds = list(cv.split(X, y))
    yi = label_index(y)
    multi = np.unique(y).size > 2
    ours_label = f"{prefix}ridgeline LRCV(kfold)"
    alo_label = f"{prefix}ridgeline LRCV(method='alo')"

    def ours_fit(method):
        return lambda: ridgeline.LogisticRegressionCV(
            Cs=CS, cv=cv, scoring="neg_log_loss", method=method).fit(X, y)

    t, ours, w = timed_peer(ours_fit("kfold"), R, warmup=True)
    rep.rows.append(Row(ours_label, t, note=f"solver_={ours.solver_}, tol=1e-8 (default)"
                        + (f"; warnings: {w}" if w else "")))
    rep.extra[prefix + "ridgeline_kfold"] = {"C_": ours.C_, "solver_": ours.solver_,
                                             "mean_score": np.ravel(
                                                 ours.cv_result_.mean_score).tolist()}

    ours_alo = None
    if alo:
        try:
            t, ours_alo, w = timed_peer(ours_fit("alo"), R, warmup=True)
        except (ValueError, NotImplementedError, MemoryError) as exc:
            rep.rows.append(Row(alo_label, [], agreement="not available",
                                note=f"{type(exc).__name__}: {str(exc)[:160]}"))
        else:
            rep.rows.append(Row(alo_label, t, note=f"approximate LOO, {c_text(ours_alo.C_)}"
                                + (f"; warnings: {w}" if w else "")))
            rep.extra[prefix + "ridgeline_alo"] = {"C_": ours_alo.C_, "mean_score": np.ravel(
                ours_alo.cv_result_.mean_score).tolist()}

    # scikit-learn ------------------------------------------------------------------------------
    peers = [("lbfgs", 1e-4, 100, "default tol")]
    if newton_cholesky:
        peers.append(("newton-cholesky", 1e-4, 100, "default tol"))
    peers.append(("lbfgs", TIGHT_TOL, TIGHT_MAX_ITER, "equal accuracy"))
    sk_runs = {}
    for solver, tol, max_iter, what in peers:
        est = sk_cv(solver, tol, max_iter).set_params(cv=cv)
        label = f"{prefix}sklearn LRCV({solver}, tol={tol:g})"
        say(f"    {label} ...")
        t, fitted, w = timed_peer(lambda est=est: est.fit(X, y), R)
        sk_runs[(solver, tol)] = (label, t, fitted, w, what)

    tight = sk_runs[("lbfgs", TIGHT_TOL)][2]
    C_ref = float(tight.C_)
    curve_ref = tight.scores_.mean(axis=0).ravel()
    ref = sk_reference(X, y, C_ref)  # independent tight single fit at the converged C
    obj_ref = objective(X, yi, ref.coef_, ref.intercept_, C_ref)
    rep.extra[prefix + "converged_C"] = C_ref
    rep.extra[prefix + "sklearn_tight_mean_score"] = curve_ref.tolist()

    def params(est) -> np.ndarray:
        """coef_ and intercept_ in one vector; softmax intercepts (defined up to a common shift)
        are centred."""
        b = np.ravel(est.intercept_).astype(float)
        return np.concatenate([np.ravel(est.coef_), b - b.mean() if multi else b])

    def check_refit(est, C) -> tuple[float, float, float]:
        """(coef, intercept) rel.err vs scikit-learn's tight refit and vs the tol=REF_TOL
        single fit, and the objective's rel. difference to the latter's."""
        e1 = rel_err(params(est), params(tight))
        e2 = rel_err(params(est), params(ref))
        od = (objective(X, yi, est.coef_, est.intercept_, C) - obj_ref) / abs(obj_ref)
        return e1, e2, od

    # ridgeline K-fold against the converged answer
    curve = np.ravel(ours.cv_result_.mean_score)
    cdiff = float(np.max(np.abs(curve - curve_ref)))
    c_ok = same_C(ours.C_, C_ref)
    text = (f"{c_text(ours.C_)} {'= ' if c_ok else '≠ '}converged choice {c_text(C_ref)}; "
            f"CV curve max|diff| vs sklearn tol=1e-8: {cdiff:.1e}")
    curve_ok = cdiff <= CURVE_ATOL
    if not curve_ok:  # who solved the fold problems better where the curves differ?
        bad = np.flatnonzero(np.abs(curve - curve_ref) > CURVE_ATOL)
        gaps = fold_objective_gaps(X, yi, folds, ours.coefs_paths_, tight.coefs_paths_, bad)
        worst = float(np.max(gaps))
        i = int(np.argmax(np.abs(curve - curve_ref)))
        text += (f" (> {CURVE_ATOL:g} at {bad.size} C, most at {c_text(CS[i])}: ridgeline "
                 f"{curve[i]:.6f}, sklearn {curve_ref[i]:.6f}; training-fold objectives there: "
                 f"ridgeline − sklearn ≤ {worst:+.1e} relative")
        curve_ok = worst <= 1e-9  # ridgeline's fold solutions are the better optimized ones
        text += (": ridgeline's fold solutions are at least as optimal there)" if curve_ok
                 else ": RIDGELINE LESS CONVERGED there)")
        rep.extra[prefix + "fold_objective_gaps"] = {
            "C": CS[bad].tolist(), "max_rel_gap_ours_minus_sklearn": gaps.tolist()}
    ok = c_ok and curve_ok
    if c_ok:
        ce, ce2, od = check_refit(ours, C_ref)
        text += (f"; refit (coef, intercept) rel.err {ce:.1e} vs sklearn tol=1e-8 refit, "
                 f"{ce2:.1e} vs a tol={REF_TOL:g} {ref.solver} fit; objective rel.diff to the "
                 f"latter {od:+.1e}")
        ok = ok and min(ce, ce2) <= COEF_RTOL
    else:
        alt = sk_reference(X, y, ours.C_)
        ce = rel_err(params(ours), params(alt))
        text += f"; refit coef rel.err vs sklearn tight single fit at its C {ce:.1e}"
    row = rep.row(ours_label)
    row.agreement, row.agrees = text, ok

    # ALO: may legitimately pick another C than 5-fold; check its refit at its own C
    if ours_alo is not None:
        row = rep.row(alo_label)
        alt = ref if same_C(ours_alo.C_, C_ref) else sk_reference(X, y, ours_alo.C_)
        ce = rel_err(params(ours_alo), params(alt))
        row.agreement = (f"ALO picks {c_text(ours_alo.C_)}; K-fold (converged) picks "
                         f"{c_text(C_ref)}; (coef, intercept) at its C vs a tol={REF_TOL:g} "
                         f"sklearn fit: rel.err {ce:.1e}")
        row.agrees = ce <= COEF_RTOL

    # peer rows
    for (solver, tol), (label, t, fitted, w, what) in sk_runs.items():
        cd = float(np.max(np.abs(fitted.scores_.mean(axis=0).ravel() - curve_ref)))
        same = same_C(fitted.C_, C_ref)
        verdict = "= converged choice" if same else "≠ converged " + c_text(C_ref)
        text = f"{c_text(fitted.C_)} {verdict}; CV curve max|diff| vs tol=1e-8: {cd:.1e}"
        if same:
            ce, ce2, od = check_refit(fitted, C_ref)
            text += (f"; refit (coef, intercept) rel.err vs tol={REF_TOL:g} fit {ce2:.1e}, "
                     f"objective rel.diff {od:+.1e}")
        note = what + (f"; max_iter={TIGHT_MAX_ITER}" if tol == TIGHT_TOL else "")
        n_iter = int(np.max(fitted.n_iter_))
        note += f"; max n_iter {n_iter}"
        if w:
            note += f"; warnings: {w}"
        rep.rows.append(Row(label, t, vs=ours_label, agreement=text, note=note))
        rep.extra[f"{prefix}sklearn_{solver}_{tol:g}"] = {
            "C_": float(fitted.C_), "mean_score": fitted.scores_.mean(axis=0).ravel().tolist(),
            "max_n_iter": n_iter, "warnings": w}

    # the fastest scikit-learn default, against ridgeline ALO
    defaults = [v for k, v in sk_runs.items() if k[1] != TIGHT_TOL]
    fastest = min(defaults, key=lambda v: np.median(v[1]))
    rep.extra[prefix + "fastest_default"] = fastest[0]
    if ours_alo is not None:
        rep.rows.append(Row(f"{prefix}sklearn fastest default [÷ ridgeline ALO]", fastest[1],
                            vs=alo_label, note=f"the runs of {fastest[0].strip()}"))

    T = rep.extra.setdefault("targets", [])
    T.append(f"{prefix}ridgeline K-fold picks the converged C: {'YES' if c_ok else 'NO'} "
             f"({c_text(ours.C_)}; converged {c_text(C_ref)}); answers agree: "
             f"{'yes' if ok else 'NO'}")
    T.append(f"{prefix}ridgeline K-fold vs the fastest sklearn default "
             f"({fastest[0][len(prefix):]}): {speedup(rep, fastest[0], ours_label)}")
    T.append(f"{prefix}ridgeline K-fold vs sklearn at equal accuracy (lbfgs tol=1e-8): "
             f"{speedup(rep, sk_runs[('lbfgs', TIGHT_TOL)][0], ours_label)}")
    if ours_alo is not None:
        T.append(f"{prefix}ridgeline ALO vs the fastest sklearn default: "
                 f"{speedup(rep, fastest[0], alo_label)}; ALO picks {c_text(ours_alo.C_)}, "
                 f"K-fold {c_text(ours.C_)}")
    elif alo:
        T.append(f"{prefix}ridgeline ALO: not available ({rep.row(alo_label).note})")
    if glum:
        glum_rows(rep, X, y, cv, ours_label, C_ref, curve_ref, args)
    rep.notes.append(f"{prefix}converged (sklearn lbfgs tol=1e-8) choice: {c_text(C_ref)}; "
                     f"ridgeline K-fold {c_text(ours.C_)}"
                     + (f"; ridgeline ALO {c_text(ours_alo.C_)}" if ours_alo is not None else ""))


def glum_alpha(C, n_train: int):
    """glum's alpha for scikit-learn's C on a training set of n_train samples.

    glum minimizes (1/Σs) Σ s·d_i/2 + (α/2)‖w‖² (l1_ratio=0) with the binomial unit deviance
    d_i = 2·logloss_i, i.e. mean log loss + (α/2)‖w‖²; scikit-learn's C·Σ logloss + ½‖w‖²
    divided by C·n is mean log loss + ‖w‖²/(2Cn). Hence α = 1/(C·n). ``verify_glum_alpha``
    checks this by fitting both libraries.
    """
    return 1.0 / (np.asarray(C, dtype=np.float64) * n_train)


def verify_glum_alpha(X, y) -> str:
    from glum import GeneralizedLinearRegressor

    n = X.shape[0]
    C = 0.01
    sk = SkLR(C=C, solver="newton-cholesky", tol=REF_TOL).fit(X, y)
    errs = {}
    for name, factor in (("1/(C n)", 1.0), ("1/(2 C n)", 0.5), ("2/(C n)", 2.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = GeneralizedLinearRegressor(family="binomial", l1_ratio=0.0,
                                           alpha=float(factor * glum_alpha(C, n)),
                                           gradient_tol=1e-12, max_iter=1000).fit(X, y)
        errs[name] = rel_err(g.coef_, sk.coef_.ravel())
    return ("glum alpha mapping verified on the first 5,000 rows at C=0.01: coef rel.err vs "
            "sklearn " + ", ".join(f"α={k}: {v:.1e}" for k, v in errs.items()))


def glum_rows(rep, X, y, cv, ours_label, C_ref, curve_ref, args) -> None:
    try:
        from glum import GeneralizedLinearRegressorCV
    except ImportError:
        rep.notes.append("glum not installed (pip install -e '.[bench]'): skipped")
        return
    rep.notes.append(verify_glum_alpha(X[:5000], y[:5000]))
    sizes = {len(tr) for tr, _ in cv.split(X, y)}
    n_train = round(float(np.mean(list(sizes))))
    alphas = glum_alpha(CS, n_train)
    if args.skip_slow_peers:
        rep.notes.append("glum GeneralizedLinearRegressorCV skipped (--skip-slow-peers)")
        return
    say("    glum GeneralizedLinearRegressorCV ...")
    t, gl, w = timed_peer(lambda: GeneralizedLinearRegressorCV(
        family="binomial", l1_ratio=0.0, alphas=alphas, cv=cv, fit_intercept=True,
        n_jobs=1).fit(X, y.astype(np.float64)), args.slow_repeats)
    C_glum = float(1.0 / (gl.alpha_ * n_train))
    # glum: alphas_ descending; deviance_path_ (folds, 1, alphas); deviance = 2·log loss
    glum_curve = -np.asarray(gl.deviance_path_).mean(axis=0).ravel() / 2.0
    glum_C = 1.0 / (np.asarray(gl.alphas_) * n_train)
    order = np.argsort(glum_C)
    cd = float(np.max(np.abs(glum_curve[order] - curve_ref)))
    same = same_C(C_glum, C_ref)
    # glum refits on all n rows with the same alpha: scikit-learn's C·n_train/n there
    C_eq = C_glum * n_train / X.shape[0]
    refit_ref = sk_reference(X, y, C_eq)
    ce = rel_err(gl.coef_, refit_ref.coef_.ravel())
    text = (f"{c_text(C_glum)} {'= converged choice' if same else '≠ converged ' + c_text(C_ref)}"
            f"; CV curve max|diff| vs sklearn tol=1e-8: {cd:.1e}; refit coef rel.err {ce:.1e} vs "
            f"sklearn tight fit at the equivalent C·n_train/n = {C_eq:.4g} (tol {GLUM_RTOL:g})")
    note = (f"alphas = 1/(C·n_train), n_train = {n_train:,} (train fold sizes {sorted(sizes)}), "
            f"default gradient_tol=1e-4, solver {getattr(gl, '_solver', '?')!r}, n_jobs=1; it also "
            f"refits the whole path on all the data")
    if w:
        note += f"; warnings: {w}"
    rep.rows.append(Row("glum GeneralizedLinearRegressorCV", t, vs=ours_label, agreement=text,
                        agrees=same and ce <= GLUM_RTOL, note=note))
    rep.extra["glum"] = {"C_": C_glum, "mean_score": glum_curve[order].tolist(),
                         "n_train": n_train}
    rep.extra.setdefault("targets", []).append(
        f"ridgeline K-fold vs glum: {speedup(rep, 'glum GeneralizedLinearRegressorCV', ours_label)}"
        f"; glum picks {c_text(C_glum)}")


# ---- case A ----------------------------------------------------------------------------------
def data_a(quick: bool):
    n, p = (10_000, 100) if quick else (100_000, 100)
    rng = np.random.default_rng(SEED + 10)
    X = rng.standard_normal((n, p))
    w = rng.normal(0.0, 0.3, p)
    y = (rng.random(n) < expit(0.5 + X @ w)).astype(np.int64)
    return X, y


def case_a(args) -> CaseReport:
    X, y = data_a(args.quick)
    n, p = X.shape
    rep = CaseReport("A", f"binary, n={n:,}, p={p}, X ~ N(0,1), w ~ N(0, 0.3²), b = 0.5, "
                          f"{CS.size} C np.logspace(-4, 4, 20), 5-fold StratifiedKFold, "
                          "neg_log_loss")
    say(f"\n--- Case A: {rep.description} (load {loadavg()})")
    cv_case(rep, X, y, args, glum=True)
    return rep


# ---- case B ----------------------------------------------------------------------------------
def data_b_digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def data_b_synthetic(quick: bool):
    n, p, K = (5_000, 200, 10) if quick else (50_000, 200, 10)
    rng = np.random.default_rng(SEED + 11)
    X = rng.standard_normal((n, p))
    W = rng.normal(0.0, 0.3, (p, K))
    P = np.exp((X @ W) - logsumexp(X @ W, axis=1, keepdims=True))
    y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    return X, np.minimum(y, K - 1)


def case_b(args) -> CaseReport:
    Xd, yd = data_b_digits()
    Xs, ys = data_b_synthetic(args.quick)
    rep = CaseReport("B", f"multinomial: (i) digits n={Xd.shape[0]:,}, p={Xd.shape[1]}, "
                          f"10 classes, standardized; (ii) synthetic n={Xs.shape[0]:,}, "
                          f"p={Xs.shape[1]}, 10 classes; {CS.size} C, 5-fold StratifiedKFold, "
                          "neg_log_loss")
    say(f"\n--- Case B: {rep.description} (load {loadavg()})")
    cv_case(rep, Xd, yd, args, prefix="digits: ", newton_cholesky=False)
    cv_case(rep, Xs, ys, args, prefix="synth: ", newton_cholesky=False)
    rep.notes.append("glum: no multinomial family (binomial only), not run in case B")
    return rep


# ---- case C ----------------------------------------------------------------------------------
def data_c(quick: bool):
    n, p = (10_000, 20_000) if quick else (100_000, 200_000)
    density = 2e-4 if not quick else 2e-3  # ~40 non-zeros per row either way
    rng = np.random.default_rng(SEED + 12)
    X = sp.random(n, p, density=density, format="csr", random_state=rng, data_rvs=rng.random)
    w = np.zeros(p)
    support = rng.choice(p, p // 20, replace=False)
    w[support] = rng.normal(0.0, 3.0, support.size)
    y = (rng.random(n) < expit(X @ w)).astype(np.int64)
    return X, y


C_SPARSE = 1.0
SPARSE_PEERS = (  # (label, LogisticRegression kwargs, max_iter)
    ("lbfgs", {"solver": "lbfgs"}, 100_000),
    ("liblinear", {"solver": "liblinear"}, 100_000),
    ("liblinear dual", {"solver": "liblinear", "dual": True}, 100_000),
    ("newton-cg", {"solver": "newton-cg"}, 100_000),
    ("saga", {"solver": "saga", "random_state": 0}, 1_000),
)


def case_c(args) -> CaseReport:
    X, y = data_c(args.quick)
    n, p = X.shape
    C = C_SPARSE
    rep = CaseReport("C", f"sparse CSR n={n:,}, p={p:,}, nnz={X.nnz:,} ({X.nnz / n:.0f} per row), "
                          f"non-negative values, sparse true w (5 %); one C={C:g}, "
                          "fit_intercept=False for everyone")
    say(f"\n--- Case C: {rep.description} (load {loadavg()})")
    R = args.repeats

    def obj(est):
        return objective(X, y, est.coef_, 0.0, C)

    t, ours, w = timed_peer(lambda: ridgeline.LogisticRegression(
        C=C, fit_intercept=False).fit(X, y), R, warmup=True)
    f_ours = obj(ours)
    ours_label = "ridgeline LogisticRegression"
    rep.rows.append(Row(ours_label, t, note=f"solver_={ours.solver_}, tol=1e-8 (default), "
                        f"n_iter_={int(ours.n_iter_[0])}" + (f"; warnings: {w}" if w else "")))
    best = f_ours
    say(f"    ridgeline: {np.median(t):.2f} s, objective {f_ours:.12g}")

    # each peer: loosest tolerance first, tighter until within OBJ_RTOL of the best so far
    ladders = {}
    for name, kw, max_iter in SPARSE_PEERS:
        ladder, spent = [], 0.0
        for tol in TOL_LADDER:
            est = SkLR(C=C, fit_intercept=False, tol=tol, max_iter=max_iter, **kw)
            (tt, fitted, w) = timed_peer(lambda est=est: est.fit(X, y), 1)
            f = obj(fitted)
            best = min(best, f)
            ladder.append({"tol": tol, "seconds": tt[0], "objective": f,
                           "n_iter": int(np.max(fitted.n_iter_)), "warnings": w})
            spent += tt[0]
            say(f"    sklearn {name:<15} tol={tol:<6g} {tt[0]:7.2f} s  objective {f:.12g}  "
                f"n_iter {int(np.max(fitted.n_iter_))}")
            if (f - best) / best <= OBJ_RTOL * 0.5 or spent > LADDER_BUDGET_S:
                break  # (half the margin: the best may still improve a little)
        ladders[name] = ladder
    # ridgeline: also score against the final best
    rep.extra["best_objective"] = best
    rep.extra["ladders"] = ladders
    gap_ours = (f_ours - best) / best
    row = rep.row(ours_label)
    row.agreement = (f"objective {f_ours:.12g}, rel. gap to the best found {gap_ours:.1e} "
                     f"({'within' if gap_ours <= OBJ_RTOL else 'NOT within'} {OBJ_RTOL:g})")
    row.agrees = gap_ours <= OBJ_RTOL

    for name, kw, _ in SPARSE_PEERS:
        ladder = ladders[name]
        first = ladder[0]
        g0 = (first["objective"] - best) / best
        rep.rows.append(Row(f"sklearn {name} (default tol=1e-4)", [first["seconds"]],
                            vs=ours_label, agreement=f"objective rel. gap {g0:.1e} "
                            + ("(returns w = 0)" if np.isclose(first["objective"], np.log(2))
                               else ""),
                            note=f"n_iter {first['n_iter']}"
                            + (f"; warnings: {first['warnings']}" if first["warnings"] else "")))
        hit = next((r for r in ladder if (r["objective"] - best) / best <= OBJ_RTOL), None)
        label = f"sklearn {name} at equal objective"
        if hit is None:
            last = ladder[-1]
            rep.rows.append(Row(label, [], agreement=(
                f"NOT REACHED within {LADDER_BUDGET_S:g} s of ladder: best rel. gap "
                f"{(last['objective'] - best) / best:.1e} at tol={last['tol']:g} "
                f"({last['seconds']:.1f} s)")))
            continue
        times = [hit["seconds"]]
        if R > 1 and hit["seconds"] < REPEAT_BELOW_S:
            est = SkLR(C=C, fit_intercept=False, tol=hit["tol"],
                       max_iter=dict((a, m) for a, _, m in SPARSE_PEERS)[name], **kw)
            more, _, _ = timed_peer(lambda est=est: est.fit(X, y), R - 1)
            times += more
        spent = sum(r["seconds"] for r in ladder)
        rep.rows.append(Row(f"{label} (tol={hit['tol']:g})", times, vs=ours_label,
                            agreement=f"objective rel. gap {(hit['objective'] - best) / best:.1e}",
                            agrees=True, note=f"n_iter {hit['n_iter']}; whole ladder "
                            f"{len(ladder)} runs, {spent:.1f} s"))
    T = rep.extra.setdefault("targets", [])
    T.append(f"ridgeline objective within {OBJ_RTOL:g} of the best found: "
             f"{'YES' if gap_ours <= OBJ_RTOL else 'NO'} (rel. gap {gap_ours:.1e})")
    for name, _, _ in SPARSE_PEERS:
        r = next(r for r in rep.rows if r.label.startswith(f"sklearn {name} at equal objective"))
        T.append(f"vs sklearn {name} at equal objective: "
                 + (speedup(rep, r.label, ours_label) + r.label[len(f"sklearn {name} at equal "
                                                                    "objective"):]
                    if r.times else "peer did not reach it"))
    rep.notes.append(f"objective = mean log loss + λ‖w‖², λ = 1/(2·C·n) = {1 / (2 * C * n):.3g}; "
                     f"best found {best:.12g}; 'equal objective' = within {OBJ_RTOL:g} relative")
    rep.notes.append("newton-cholesky not run: it factors a p×p Hessian (p = 200,000)")
    return rep


# ---- report ----------------------------------------------------------------------------------
def summary(reports: list[CaseReport], quick: bool) -> list[str]:
    lines = ["Targets to report" + (" (quick sizes: indicative only)" if quick else "")
             + "; ratio = peer median ÷ ridgeline median"]
    for rep in reports:
        lines += [f"  {rep.name}: {t}" for t in rep.extra.get("targets", [])]
        lines += [f"  {rep.name}: DISAGREEMENT: {r.label}: {r.agreement}"
                  for r in rep.rows if r.agrees is False]
    for line in lines:
        say(line)
    return lines


def markdown(rep: CaseReport, info: dict, args) -> str:
    out = [f"# ridgeline logistic benchmark — case {rep.name}", "",
           f"{rep.description}", "",
           f"Machine: {info['cpu_model']}, {info['cpu_count']} cores, {info['memory_gib']} GiB; "
           + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
           + f"; ridgeline at {info['ridgeline_commit']}; "
           + f"{time.strftime('%Y-%m-%d %H:%M')}; repeats {args.repeats}"
           + (f"; BLAS threads limited to {args.blas_threads}" if args.blas_threads else "")
           + (f"; scipy's BLAS limited to {args.scipy_blas_threads} thread(s)"
              if args.scipy_blas_threads else "")
           + ("; **--quick**" if args.quick else ""), "",
           "| method | runs | min s | median s | ratio (median) | ratio (min) | agreement |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for r in rep.rows:
        q, qm = rep.ratio(r), rep.ratio(r, "min")
        flag = "" if r.agrees is None else ("✓ " if r.agrees else "**✗** ")
        agree = (flag + r.agreement).replace("|", "\\|")
        if r.note:
            agree += f" <br>_{r.note.replace('|', '/')}_"
        out.append(f"| {r.label} | {len(r.times)} | {fmt_t(r.t_min)} | {fmt_t(r.t_med)} | "
                   f"{'—' if q is None else f'{q:.2f}×'} | {'—' if qm is None else f'{qm:.2f}×'}"
                   f" | {agree} |")
    out += ["", "ratio = peer time ÷ ridgeline time (> 1: ridgeline faster).", "",
            "Targets to report:", ""]
    out += [f"* {t}" for t in rep.extra.get("targets", [])]
    out += ["", "Notes:", ""]
    out += [f"* {note}" for note in rep.notes]
    return "\n".join(out) + "\n"


def write_results(rep: CaseReport, info: dict, args) -> None:
    suffix = "_quick" if args.quick else ""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in rep.rows:
        d = asdict(r)
        d.update(min_s=r.t_min if r.times else None, median_s=r.t_med if r.times else None,
                 ratio=rep.ratio(r), ratio_on_min=rep.ratio(r, "min"))
        rows.append(d)
    data = {"machine": info, "quick": args.quick, "repeats": args.repeats,
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"), "case": rep.name,
            "description": rep.description, "rows": rows, "notes": rep.notes,
            "extra": rep.extra}
    base = RESULTS_DIR / f"logistic_{rep.name}{suffix}"
    base.with_suffix(".json").write_text(json.dumps(data, indent=1, default=float))
    base.with_suffix(".md").write_text(markdown(rep, info, args))
    say(f"Results written to {base}.json and .md")


def limit_scipy_blas(n_threads: int, info: dict) -> None:
    """Limit the BLAS library under scipy.libs (if distinct from numpy's) to n_threads."""
    from threadpoolctl import ThreadpoolController

    ctl = ThreadpoolController()
    libs = [d["filepath"] for d in ctl.info()
            if d["user_api"] == "blas" and "scipy.libs" in d["filepath"].replace("\\", "/")]
    if not libs:
        say("--scipy-blas-threads: scipy uses numpy's BLAS here; nothing limited")
        return
    for fp in libs:
        ctl.select(filepath=fp).limit(limits=n_threads)
    info["scipy_blas_threads_limit"] = n_threads
    say(f"BLAS of scipy ({', '.join(Path(fp).name for fp in libs)}) limited to {n_threads} "
        "thread(s) (--scipy-blas-threads); numpy's BLAS unchanged")


CASES = {"A": case_a, "B": case_b, "C": case_c}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", choices=["A", "B", "C", "all"], default="all")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of ridgeline and of the "
                    f"peers that take under {REPEAT_BELOW_S:g} s (median and min reported)")
    ap.add_argument("--slow-repeats", type=int, default=1, help="timed runs of glum")
    ap.add_argument("--quick", action="store_true", help="n/10 (case C: n/10, p/10): smoke run")
    ap.add_argument("--skip-slow-peers", action="store_true", help="skip glum")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/")
    ap.add_argument("--blas-threads", type=int, default=None, metavar="N",
                    help="limit BLAS/OpenMP threads to N for the whole run (threadpoolctl; "
                    "default: leave them as they are). On a shared machine 1 avoids the large "
                    "slow-downs of multi-threaded BLAS on small products when cores are busy")
    ap.add_argument("--scipy-blas-threads", type=int, default=None, metavar="N",
                    help="limit only the BLAS library that scipy loads (when it is not numpy's: "
                    "the PyPI wheels ship two OpenBLAS builds, each with its own thread pool) "
                    "to N threads. With 2 cores the two pools' spinning threads starve each "
                    "other on code that alternates small numpy and scipy BLAS calls (scipy's "
                    "L-BFGS-B, scipy.linalg): 1 removes that 10-15x slow-down")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="before each timed run wait up to S seconds for other processes to "
                    "leave the CPUs (default 0: do not wait)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    IDLE["max_wait"] = args.wait_idle
    info = machine_info()
    info["blas_threads_limit"] = args.blas_threads
    print_machine(info)
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads)
        say(f"BLAS/OpenMP threads limited to {args.blas_threads} (--blas-threads)")
    if args.scipy_blas_threads is not None:
        limit_scipy_blas(args.scipy_blas_threads, info)
    names = "ABC" if args.case == "all" else args.case
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
    say("")
    summary(reports, args.quick)
    say(f"Total {time.perf_counter() - t0:.0f} s; load average at end: {loadavg()}")
    if IDLE["runs"]:
        say(f"Idle wait: {IDLE['contended']} of {IDLE['runs']} timed runs started while other "
            f"processes still used ≥15% of the CPUs after {IDLE['max_wait']:g} s of waiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
