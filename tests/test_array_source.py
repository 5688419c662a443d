"""ArraySource: in-memory arrays as a statistics source.

Its GLM and softmax passes (whole-array products, float32 widened in blocks, SciPy sparse kept
sparse) are checked against the per-batch kernels that files and Dask run
(:func:`~ridgeline.stats.batch_glm.batch_glm_stats`,
:func:`~ridgeline.stats.multinomial.batch_multinomial_stats`) and against a direct NumPy
computation from the definitions (:class:`~ridgeline.stats.source.GLMPassResult`); explicit
(train, test) splits — overlapping and partial ones — against the same sums on each split's
rows; ``subset`` against the rows it keeps; and bad input against clear errors.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, logsumexp, softmax, xlogy
from sklearn.model_selection import ShuffleSplit, TimeSeriesSplit

from ridgeline.estimators._glm import LabeledBinomialLoss
from ridgeline.losses import BinomialLoss, MultinomialLoss, PoissonLoss
from ridgeline.path.glm_path import glm_path
from ridgeline.solvers.glm_models import make_model
from ridgeline.solvers.newton import newton
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats import ArraySource, SourceError, predefined_test_fold
from ridgeline.stats.batch import Batch
from ridgeline.stats.batch_glm import batch_glm_stats
from ridgeline.stats.members import member_roles, train_sums
from ridgeline.stats.multinomial import MultinomialPassResult, batch_multinomial_stats
from ridgeline.stats.source import GLMPassResult

K, SEED = 4, 3
N, P, C = 600, 5, 3
GLM_FIELDS = ("sw", "loss", "grad_w", "grad_b", "hess_ww", "hess_wb", "hess_bb", "held_sw",
              "held_loss", "held_correct")
SOFTMAX_FIELDS = ("sw", "loss", "grad", "hess", "held_sw", "held_loss", "held_correct")
LAYOUTS = ["f64", "f32C", "f32F", "csr", "csc", "csr32"]


# ------------------------------------------------------------------------------ data
def _rows(seed=0, n=N, p=P):
    """Offset, unevenly scaled features with a few exact zeros (for the sparse layouts);
    binary, count and class targets; positive weights."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, p) + rng.normal(size=p)
    X[rng.random((n, p)) < 0.3] = 0.0
    X = X.astype(np.float32).astype(np.float64)  # float32 copies hold the same numbers
    eta = X @ rng.normal(size=p) * 0.4
    y01 = (rng.random(n) < expit(eta - 0.2)).astype(np.float64)
    counts = rng.poisson(np.exp(0.3 * eta + 0.2)).astype(np.float64)
    classes = np.argmax(X @ rng.normal(size=(p, C)) + rng.gumbel(size=(n, C)), axis=1)
    s = rng.uniform(0.2, 3.0, n)
    return X, y01, counts, classes.astype(np.float64), s


def _layout(X, kind):
    """X in one of the layouts an ArraySource serves."""
    return {"f64": lambda: np.ascontiguousarray(X),
            "f32C": lambda: np.ascontiguousarray(X, dtype=np.float32),
            "f32F": lambda: np.asfortranarray(X, dtype=np.float32),
            "csr": lambda: sp.csr_matrix(X),
            "csc": lambda: sp.csc_matrix(X),
            "csr32": lambda: sp.csr_matrix(X, dtype=np.float32)}[kind]()


def _models(B, p, m=None, seed=1):
    rng = np.random.default_rng(seed)
    shape = (B, p) if m is None else (B, p, m)
    return 0.3 * rng.normal(size=shape), 0.5 * rng.normal(size=shape[:1] + shape[2:])


def _fold_masks(fold, held_out):
    """Training and held-out masks (B, n) of members holding out ``held_out`` (B,)."""
    held = fold[None, :] == np.asarray(held_out)[:, None]
    return ~held, held


def _split_masks(splits, held_out, n):
    """The same for members naming splits (``-1``: all rows, nothing held out)."""
    tr, te = np.zeros((len(held_out), n), bool), np.zeros((len(held_out), n), bool)
    for j, k in enumerate(held_out):
        if k < 0:
            tr[j] = True
        else:
            tr[j, splits[k][0]] = True
            te[j, splits[k][1]] = True
    return tr, te


def _close(got, ref, tol=1e-11, what=""):
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    assert got.shape == ref.shape, what
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol * max(1.0, float(np.abs(ref).max())),
                               err_msg=what)


def _same_sums(got, ref, fields, hessian, tol=1e-11):
    for f in fields:
        a, b = getattr(got, f), getattr(ref, f)
        if f.startswith("hess") and not hessian:
            assert a is None and b is None, f
            continue
        _close(a, b, tol, f)


# ------------------------------------------------------------------------ the definitions
def _direct_glm(X, y, s, train, test, loss_name, coef, intercept, hessian):
    """:class:`GLMPassResult` from the definitions: model j sums ``s_i ℓ(y_i, x_iᵀw_j + b_j)``
    and its derivatives over its training rows and scores its held-out rows."""
    Xd = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
    B, p = coef.shape
    out = GLMPassResult.zeros(B, p, hessian)
    for j in range(B):
        eta = Xd @ coef[j] + intercept[j]
        if loss_name == "binomial":
            val = np.logaddexp(0.0, eta) - y * eta
            g, h = expit(eta) - y, expit(eta) * expit(-eta)
        else:
            mu = np.exp(eta)
            val = 2.0 * (xlogy(y, y) - y * eta - y + mu)
            g, h = 2.0 * (mu - y), 2.0 * mu
        tw, hw = s * train[j], s * test[j]
        out.sw[j], out.loss[j] = tw.sum(), tw @ val
        out.grad_w[j], out.grad_b[j] = Xd.T @ (tw * g), tw @ g
        if hessian:
            out.hess_ww[j] = Xd.T @ ((tw * h)[:, None] * Xd)
            out.hess_wb[j], out.hess_bb[j] = Xd.T @ (tw * h), tw @ h
        out.held_sw[j], out.held_loss[j] = hw.sum(), hw @ val
        out.held_correct[j] = hw @ ((eta > 0) == (y > 0.5))
    return out


def _direct_softmax(X, lab, s, train, test, coef, intercept, hessian):
    """:class:`MultinomialPassResult` from the definitions (blocks π_c(δ_cd − π_d) x̃ x̃ᵀ)."""
    Xd = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
    B, p, m = coef.shape
    Xt = np.column_stack([Xd, np.ones(Xd.shape[0])])
    Y = np.eye(m)[lab]
    out = MultinomialPassResult.zeros(B, p, m, hessian)
    for j in range(B):
        eta = Xd @ coef[j] + intercept[j]
        pi = softmax(eta, axis=1)
        val = logsumexp(eta, axis=1) - np.sum(Y * eta, axis=1)
        tw, hw = s * train[j], s * test[j]
        out.sw[j], out.loss[j] = tw.sum(), tw @ val
        out.grad[j] = Xt.T @ (tw[:, None] * (pi - Y))
        if hessian:
            A = np.einsum("ic,cd->icd", pi, np.eye(m)) - pi[:, :, None] * pi[:, None, :]
            out.hess[j] = np.einsum("i,icd,ia,ib->cdab", tw, A, Xt, Xt)
        out.held_sw[j], out.held_loss[j] = hw.sum(), hw @ val
        out.held_correct[j] = hw @ (np.argmax(eta, axis=1) == lab)
    return out


# ------------------------------------------------------------------------ the kernels
_CUTS = (0, 170, 171, 420, N)  # uneven batches, one of a single row


def _kernel_glm(X, y, s, fold, loss, coef, intercept, held_out, hessian):
    """The per-batch GLM kernel over batches of the same rows, added (files' and Dask's way)."""
    Xd = X.toarray() if sp.issparse(X) else X  # batches of files and Dask are dense
    total = None
    for a, b in itertools.pairwise(_CUTS):
        w = None if s is None else s[a:b]
        batch = Batch(Xd[a:b], y[a:b], fold[a:b], "array", a, w)
        r = batch_glm_stats(batch, loss, coef, intercept, held_out, hessian, weights=w)
        total = r if total is None else total + r
    return total


def _kernel_softmax(X, lab, s, fold, coef, intercept, held_out, hessian):
    Xd = X.toarray() if sp.issparse(X) else X
    B, p, m = coef.shape
    out = MultinomialPassResult.zeros(B, p, m, hessian)
    for a, b in itertools.pairwise(_CUTS):
        batch_multinomial_stats(Xd[a:b], lab[a:b], fold[a:b], coef, intercept, held_out,
                                hessian, None if s is None else s[a:b], out=out)
    return out


# ------------------------------------------------------------------------ passes
@pytest.mark.parametrize("kind", LAYOUTS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("held", ["full", "folds"])
def test_glm_pass_equals_kernels_and_definition(kind, weighted, held):
    X, y01, counts, _, s = _rows()
    Xk = _layout(X, kind)
    w = s if weighted else None
    held_out = np.array([-1]) if held == "full" else np.array([-1, 0, 2])
    coef, intercept = _models(held_out.size, P)
    for loss, y in [(BinomialLoss(), y01), (PoissonLoss(), counts)]:
        src = ArraySource(Xk, y, sample_weight=w, seed=SEED)
        assert src.X.dtype == (np.float32 if "32" in kind else np.float64)  # kept
        assert sp.issparse(src.X) == kind.startswith("cs")  # never densified
        fold = src.fold_ids(K)
        train, test = _fold_masks(fold, held_out)
        for hessian in (True, False):
            got = src.glm_pass(loss, coef, intercept, held_out, K, hessian=hessian)
            ref = _direct_glm(X, y, src.weights, train, test, loss.name, coef, intercept,
                              hessian)
            _same_sums(got, ref, GLM_FIELDS, hessian)
            kern = _kernel_glm(Xk, y, w, fold, loss, coef, intercept, held_out, hessian)
            _same_sums(got, kern, GLM_FIELDS, hessian)
            if hessian:
                for j in range(held_out.size):  # exactly symmetric, as the solvers take it
                    np.testing.assert_array_equal(got.hess_ww[j], got.hess_ww[j].T)


def test_glm_pass_encodes_labels_for_the_loss():
    """Two class labels and ``LabeledBinomialLoss`` give the 0/1 pass."""
    X, y01, _, _, s = _rows(seed=2)
    labels = np.where(y01 > 0, 5.0, -3.0)
    held_out = np.array([-1, 1])
    coef, intercept = _models(2, P)
    a = ArraySource(X, labels, sample_weight=s, seed=SEED).glm_pass(
        LabeledBinomialLoss(5.0), coef, intercept, held_out, K)
    b = ArraySource(X, y01, sample_weight=s, seed=SEED).glm_pass(
        BinomialLoss(), coef, intercept, held_out, K)
    _same_sums(a, b, GLM_FIELDS, True, tol=0.0)


@pytest.mark.parametrize("kind", LAYOUTS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("held", ["full", "folds"])
def test_multinomial_pass_equals_kernels_and_definition(kind, weighted, held):
    X, _, _, lab, s = _rows(seed=4)
    Xk = _layout(X, kind)
    w = s if weighted else None
    held_out = np.array([-1]) if held == "full" else np.array([-1, 0, 3])
    coef, intercept = _models(held_out.size, P, C)
    values = np.array([-1.0, 2.0, 7.5])
    idx = lab.astype(np.int64)
    # class indices as targets, and labels with their classes: the same pass
    for y, classes in [(lab, None), (values[idx], values)]:
        src = ArraySource(Xk, y, sample_weight=w, seed=SEED)
        fold = src.fold_ids(K)
        train, test = _fold_masks(fold, held_out)
        for hessian in (True, False):
            got = src.multinomial_pass(coef, intercept, held_out, K, classes=classes,
                                       hessian=hessian)
            ref = _direct_softmax(X, idx, src.weights, train, test, coef, intercept, hessian)
            _same_sums(got, ref, SOFTMAX_FIELDS, hessian)
            kern = _kernel_softmax(Xk, idx, w, fold, coef, intercept, held_out, hessian)
            _same_sums(got, kern, SOFTMAX_FIELDS, hessian)


@pytest.mark.parametrize("order", ["C", "F"])
def test_float32_passes_over_many_widened_blocks_equal_float64(order):
    """float32 rows are widened block by block (``_WIDEN_ROWS`` at a time): over several
    blocks, with weights and held-out folds, the passes are the float64 ones."""
    from ridgeline.stats.array_source import _WIDEN_ROWS

    rng = np.random.default_rng(11)
    n, p = 2 * _WIDEN_ROWS + 123, 3
    X32 = np.asarray(rng.normal(size=(n, p)), dtype=np.float32, order=order)
    y = (rng.random(n) < 0.4).astype(np.float64)
    lab = rng.integers(0, C, n).astype(np.float64)
    s = rng.uniform(0.5, 2.0, n)
    held_out = np.array([-1, 1, 3])
    coef, intercept = _models(3, p)
    W, b = _models(3, p, C)
    for yy, run in [(y, lambda src: src.glm_pass(BinomialLoss(), coef, intercept, held_out, K)),
                    (lab, lambda src: src.multinomial_pass(W, b, held_out, K))]:
        got = run(ArraySource(X32, yy, sample_weight=s, seed=SEED))
        ref = run(ArraySource(X32.astype(np.float64), yy, sample_weight=s, seed=SEED))
        fields = GLM_FIELDS if yy is y else SOFTMAX_FIELDS
        _same_sums(got, ref, fields, True)


def test_hashed_folds_are_the_files_and_predefined_ones():
    X, y01, _, _, _ = _rows()
    src = ArraySource(X, y01, seed=SEED, batch_rows=128)
    for k in (1, 3, K):
        np.testing.assert_array_equal(src.fold_ids(k), predefined_test_fold(N, k, SEED))
    np.testing.assert_array_equal(np.concatenate([b.fold for b in src.batches(K)]),
                                  src.fold_ids(K))
    np.testing.assert_array_equal(ArraySource(X, y01).fold_ids(K), predefined_test_fold(N, K))
    summary = src.target_summary(K)
    fold = src.fold_ids(K)
    np.testing.assert_array_equal(summary.n, np.bincount(fold, minlength=K))
    _close(summary.sy, np.bincount(fold, weights=y01, minlength=K), 1e-14)


# ------------------------------------------------------------------------ explicit splits
def _custom_splits(n):
    """Hand-made splits: a boolean mask, negative indices, a split leaving rows out."""
    mask = np.zeros(n, bool)
    mask[::3] = True
    return [(mask, ~mask), (np.arange(0, n // 2), np.array([-1, -2, n // 2])),
            (np.arange(n // 4, n), np.arange(0, 10))]


def _as_indices(split, n):
    return [np.flatnonzero(r) if np.asarray(r).dtype == bool else np.sort(np.asarray(r) % n)
            for r in split]


SPLITTERS = {
    "shuffle": lambda X: list(ShuffleSplit(4, train_size=0.5, test_size=0.3,
                                           random_state=0).split(X)),
    "time": lambda X: list(TimeSeriesSplit(3).split(X)),
    "custom": lambda X: _custom_splits(X.shape[0]),
}


@pytest.mark.parametrize("splitter", list(SPLITTERS))
@pytest.mark.parametrize("kind", ["f64", "csr"])
def test_splits_roles_summary_and_passes_are_each_splits_rows(splitter, kind):
    """Overlapping and partial splits: every member trains on exactly its split's training
    rows and is scored on its test rows (a row may train one split and test another, or take
    no part); fold ids, roles, the target summary and both passes agree with sums over each
    split's rows."""
    X, y01, _, lab, s = _rows(seed=6)
    raw = SPLITTERS[splitter](X)
    splits = [_as_indices(sp_, N) for sp_ in raw]
    S = len(splits)
    src = ArraySource(_layout(X, kind), y01, sample_weight=s, splits=raw)
    codes = src.fold_ids(K)
    np.testing.assert_array_equal(codes, src.fold_ids(2))  # the split patterns, whatever K
    held_out = np.append(np.arange(S), -1)
    tr, te = src.roles(held_out, K)
    np.testing.assert_array_equal(tr, member_roles(src, held_out, K)[0])
    for k, (train, test) in enumerate(splits):
        np.testing.assert_array_equal(np.flatnonzero(tr[k, codes]), np.unique(train))
        np.testing.assert_array_equal(np.flatnonzero(te[k, codes]), np.unique(test))
    assert tr[-1].all() and not te[-1].any()  # -1: the full data, nothing held out
    summary = src.target_summary(K)
    for k, (train, test) in enumerate(splits):
        assert train_sums(tr, summary.n)[k] == np.unique(train).size
        _close(train_sums(tr, summary.sw)[k], s[train].sum(), 1e-14)
        _close(train_sums(tr, summary.sy)[k], s[train] @ y01[train], 1e-14)
        _close(train_sums(te, summary.sw)[k], s[test].sum(), 1e-14)
    train, test = _split_masks(splits, held_out, N)
    coef, intercept = _models(held_out.size, P)
    for hessian in (True, False):
        got = src.glm_pass(BinomialLoss(), coef, intercept, held_out, K, hessian=hessian)
        ref = _direct_glm(X, y01, s, train, test, "binomial", coef, intercept, hessian)
        _same_sums(got, ref, GLM_FIELDS, hessian)
    msrc = ArraySource(_layout(X, kind), lab, sample_weight=s, splits=raw)
    W, b = _models(held_out.size, P, C)
    got = msrc.multinomial_pass(W, b, held_out, K)
    ref = _direct_softmax(X, lab.astype(np.int64), s, train, test, W, b, True)
    _same_sums(got, ref, SOFTMAX_FIELDS, True)
    with pytest.raises(ValueError, match=f"holds {S} splits; a pass asked for split {S}"):
        src.glm_pass(BinomialLoss(), coef[:1], intercept[:1], np.array([S]), K)


def test_split_members_equal_fits_on_each_splits_rows():
    """The path over splits' members is, member by member, the fit on that split's training
    rows (the same canonical λ), and its held-out sums are those of the split's test rows."""
    X, y01, _, _, s = _rows(seed=7)
    raw = SPLITTERS["shuffle"](X)
    problem = GLMProblem(ArraySource(X, y01, sample_weight=s, splits=raw), BinomialLoss())
    S = len(raw)
    lambdas = np.array([3e-2, 3e-3])
    path = glm_path(problem, lambdas, held_out=np.arange(S), n_folds=S, solver="newton",
                    tol=1e-11)
    assert path.converged.all()
    for k, (train, test) in enumerate(raw):
        one = GLMProblem(ArraySource(X[train], y01[train], sample_weight=s[train]),
                         BinomialLoss())
        for i, lam in enumerate(lambdas):
            fit = newton(make_model(one, np.array([-1]), 1), np.array([lam]),
                         np.zeros((1, P, 1)), np.zeros((1, 1)), fit_intercept=True, tol=1e-11,
                         max_iter=100, reuse=False)
            _close(path.coef[i, k], fit.coef[0], 1e-8)
            _close(path.intercept[i, k], fit.intercept[0], 1e-8)
            eta = X[test] @ fit.coef[0, :, 0] + fit.intercept[0, 0]
            _close(path.held_sw[i, k], s[test].sum(), 1e-14)
            _close(path.held_loss[i, k],
                   s[test] @ (np.logaddexp(0.0, eta) - y01[test] * eta), 1e-8)


# ------------------------------------------------------------------------ subset
@pytest.mark.parametrize("rule", ["hashed", "folds", "splits"])
def test_subset_keeps_each_rows_fold_and_weight(rule):
    X, y01, _, _, s = _rows(seed=8)
    X[:, 0] = np.arange(N)  # each row's position, to find the rows a subset kept
    kw = {"hashed": {"seed": SEED},
          "folds": {"folds": np.random.default_rng(1).integers(0, K, N)},
          "splits": {"splits": SPLITTERS["shuffle"](X)}}[rule]
    src = ArraySource(X, y01, sample_weight=s, **kw)
    assert src.subset(N // 2) is src and src.subset(N) is src  # half the rows or more
    sub = src.subset(150)
    rows = sub.X[:, 0].astype(np.int64)
    assert rows.size == 150 and np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(sub.y, y01[rows])
    np.testing.assert_array_equal(sub.s, s[rows])
    np.testing.assert_array_equal(sub.fold_ids(K), src.fold_ids(K)[rows])
    if rule == "hashed":  # under any K
        np.testing.assert_array_equal(sub.fold_ids(3), src.fold_ids(3)[rows])
    sub2 = sub.subset(40)  # a subset of a subset: still the original rows' folds
    rows2 = sub2.X[:, 0].astype(np.int64)
    np.testing.assert_array_equal(sub2.fold_ids(K), src.fold_ids(K)[rows2])
    np.testing.assert_array_equal(sub2.s, s[rows2])
    assert src.fold_ids(K).size == N and src.X.shape[0] == N  # the source is unchanged
    held_out = np.array([-1, 0, 1])
    tr, te = sub.roles(held_out, K)
    codes = sub.fold_ids(K)
    coef, intercept = _models(3, P)
    got = sub.glm_pass(BinomialLoss(), coef, intercept, held_out, K)
    ref = _direct_glm(X[rows], y01[rows], s[rows], tr[:, codes], te[:, codes], "binomial",
                      coef, intercept, True)
    _same_sums(got, ref, GLM_FIELDS, True)


# ------------------------------------------------------------------------ bad input
def test_bad_values_are_named():
    X, y01, _, _, s = _rows(seed=9)
    Xn = X.copy()
    Xn[7, 1] = np.nan
    with pytest.raises(SourceError, match=r"array rows 0–599: column 'x1' has 1 NaN value, "
                                          r"first at row 7"):
        ArraySource(Xn, y01)
    Xi = X.astype(np.float32)
    Xi[[11, 12], 3] = np.inf
    with pytest.raises(SourceError, match=r"column 'x3' has 2 infinite values, first at row 11"):
        ArraySource(np.asfortranarray(Xi), y01)
    Xs = sp.csr_matrix(X)
    Xs.data[5] = -np.inf
    with pytest.raises(SourceError, match="has 1 infinite value"):
        ArraySource(Xs, y01)
    yn = y01.copy()
    yn[3] = np.nan
    with pytest.raises(SourceError, match=r"column 'y' has 1 NaN value, first at row 3"):
        ArraySource(X, yn)
    for bad, what in [(np.inf, "infinite"), (np.nan, "NaN")]:
        w = s.copy()
        w[20] = bad
        with pytest.raises(SourceError, match=rf"column 'sample_weight' has 1 {what} value, "
                                              r"first at row 20"):
            ArraySource(X, y01, sample_weight=w)
    w = s.copy()
    w[[30, 40]] = -0.5
    with pytest.raises(SourceError, match="sample_weight has negative values, first at row 30"):
        ArraySource(X, y01, sample_weight=w)
    ArraySource(Xn, yn, check=False)  # estimators that validated already skip the checks


def test_bad_splits_and_arguments_are_named():
    X, y01, _, _, s = _rows(seed=10)
    n = N
    with pytest.raises(ValueError, match="split 1: test indices out of range for 600 rows"):
        ArraySource(X, y01, splits=[(np.arange(10), np.arange(10, 20)),
                                    (np.arange(10), np.array([5, n]))])
    with pytest.raises(ValueError, match="split 0: train indices out of range"):
        ArraySource(X, y01, splits=[(np.array([-n - 1]), np.arange(5))])
    with pytest.raises(ValueError, match="split 0 has rows in both its training and its test "
                                         "set"):
        ArraySource(X, y01, splits=[(np.arange(100), np.arange(99, 200))])
    with pytest.raises(ValueError, match="split 1 has rows in both"):  # -1 is row 599
        ArraySource(X, y01, splits=[(np.arange(10), np.arange(10, 20)),
                                    (np.array([n - 1]), np.array([-1]))])
    with pytest.raises(ValueError, match=r"split 0: the train mask has shape \(10,\)"):
        ArraySource(X, y01, splits=[(np.ones(10, bool), np.arange(5))])
    with pytest.raises(ValueError, match="splits is empty"):
        ArraySource(X, y01, splits=[])
    with pytest.raises(ValueError, match="at most one of folds, groups and splits"):
        ArraySource(X, y01, folds=np.zeros(n, int), splits=[(np.arange(5), np.arange(5, 9))])
    with pytest.raises(ValueError, match=r"needs X \(n, p\) and y \(n,\)"):
        ArraySource(X, y01[:-1])
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(600,\)"):
        ArraySource(X, y01, sample_weight=s[:10])
    with pytest.raises(ValueError, match="batch_rows must be positive"):
        ArraySource(X, y01, batch_rows=0)
    src = ArraySource(X.astype(np.int64), y01)  # other dtypes become float64
    assert src.X.dtype == np.float64
    with pytest.raises(ValueError, match=r"glm_pass: coef \(2, 4\)"):
        src.glm_pass(BinomialLoss(), np.zeros((2, 4)), np.zeros(2), np.array([-1, 0]), K)
    with pytest.raises(ValueError, match=r"multinomial_pass: coef \(1, 5, 3\), intercept "
                                         r"\(1, 2\)"):
        src.multinomial_pass(np.zeros((1, P, 3)), np.zeros((1, 2)), np.array([-1]), K)
    with pytest.raises(ValueError, match="a multinomial problem needs classes or n_classes"):
        GLMProblem(src, MultinomialLoss())
