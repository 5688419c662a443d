"""The report's section "Choosing λ by evidence and information criteria" (report/evidence.py):
it is on the page, and its numbers equal the functions' values computed independently."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from ridgeline import LogisticRegression, Ridge
from ridgeline.diagnostics import information_criteria
from ridgeline.losses import BinomialLoss
from ridgeline.report import build_report, fit_model
from ridgeline.report._context import make_context
from ridgeline.report.evidence import evidence_section
from ridgeline.report.html import fmt
from ridgeline.selection.glm_evidence import glm_evidence_path
from ridgeline.solvers.problem import GLMProblem

sys.path.insert(0, str(Path(__file__).parent))
from test_report import _table  # the report tests' synthetic tables

KINDS = ("ridge", "logistic", "poisson", "lasso")


@pytest.fixture(scope="module")
def sections():
    """Per kind: the fitted model, its table and the section's HTML (built alone: the whole
    page is built once, in the first test)."""
    out = {}
    for kind in KINDS:
        table = _table(kind)
        fitted = fit_model(kind, table.X, table.y, cv=4, n_lambdas=8)
        ctx = make_context(fitted, table, 0, 1, False, 0, None)
        ctx.dpi = 40
        out[kind] = (fitted, table, evidence_section(ctx))
    return out


def _table_of(section: str, ident: str) -> str:
    start = section.index(f'<table id="{ident}">')
    return section[start:section.index("</table>", start)]


def _choice(section: str, key: str) -> tuple[str, str, str]:
    m = re.search(rf'<tr data-key="{key}"><td>[^<]*</td><td class="num">([^<]+)</td>'
                  r'<td class="num">([^<]+)</td><td(?: class="num")?>([^<]*)</td>',
                  _table_of(section, "criteria-choices"))
    assert m, key
    return m.group(1), m.group(2), m.group(3)


def _ic_value(section: str, key: str) -> str:
    m = re.search(rf'<tr data-key="{key}"><td>[^<]*</td><td class="num">([^<]+)</td>',
                  _table_of(section, "information-criteria"))
    assert m, key
    return m.group(1)


def test_the_page_has_the_section_with_its_figure():
    table = _table("poisson")
    fitted = fit_model("poisson", table.X, table.y, cv=3, n_lambdas=6)
    rep = build_report(fitted, table, bv_rounds=0, dpi=40, compare=False)
    outcome = {s.ident: s for s in rep.sections}["evidence"]
    assert outcome.status == "shown", outcome.note
    assert outcome.title == "Choosing λ by evidence and information criteria"
    assert outcome.images == 1
    start = rep.html.index('<section id="evidence">')
    assert '<table id="criteria-choices">' in rep.html[start:]
    assert 'href="#evidence"' in rep.html  # listed in the contents


@pytest.mark.parametrize("kind", KINDS)
def test_section_states_the_fitted_models_criteria(sections, kind):
    fitted, table, sec = sections[kind]
    assert sec.count("<img ") == 1
    ic = information_criteria(fitted.estimator, table.X, table.y)
    for key, value in (("log_likelihood", ic.log_likelihood), ("dof", ic.dof),
                       ("aic", ic.aic), ("bic", ic.bic), ("n", ic.n)):
        assert _ic_value(sec, key) == fmt(value)
    assert _choice(sec, "model")[0] == fmt(float(np.atleast_1d(fitted.lambda_)[0]))
    assert ('data-key="evidence"' in sec) == (kind != "lasso")  # no Gaussian prior for L1


def _ridge_log_evidence(X, y, lam):
    """The profiled Gaussian marginal likelihood of centered ridge, by explicit matrices."""
    n = y.size
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    C = np.eye(n) + Xc @ Xc.T / (n * lam)  # cov(y)/σ² with w ~ N(0, σ²/(nλ) I)
    q = yc @ np.linalg.solve(C, yc)
    return -0.5 * n * (np.log(2 * np.pi * q / n) + 1) - 0.5 * np.linalg.slogdet(C)[1]


def test_ridge_picks_equal_explicit_evidence_and_refit_aic_bic(sections):
    fitted, table, sec = sections["ridge"]
    X, y = np.asarray(table.X), np.asarray(table.y, dtype=np.float64)
    grid = np.asarray(fitted.result.lambdas)
    if fitted.standardize:  # RidgeCV(standardize=True) penalizes the columns of X / sd
        X = X / X.std(axis=0)
    ev = np.array([-2 * _ridge_log_evidence(X, y, lam) for lam in grid])
    ics = [information_criteria(Ridge(alpha=lam * y.size).fit(X, y), X, y) for lam in grid]
    for key, curve in (("evidence", ev), ("aic", np.array([c.aic for c in ics])),
                       ("bic", np.array([c.bic for c in ics]))):
        i = int(np.argmin(curve))
        assert _choice(sec, key)[0] == fmt(grid[i]) and _choice(sec, key)[2] == fmt(curve[i])


def test_logistic_picks_equal_the_laplace_path_and_refit_aic(sections):
    fitted, table, sec = sections["logistic"]
    X = np.asarray(table.X)
    grid = np.asarray(fitted.result.lambdas)
    codes = (np.asarray(table.y) == "yes").astype(float)  # classes ["no", "yes"]
    ev = glm_evidence_path(GLMProblem.from_arrays(X, codes, np.ones(codes.size),
                                                  BinomialLoss()), grid)
    i = int(np.argmax(ev.log_evidence))
    assert _choice(sec, "evidence")[0] == fmt(grid[i])
    assert _choice(sec, "evidence")[2] == fmt(-2 * ev.log_evidence[i])
    aic = np.array([information_criteria(
        LogisticRegression(C=1 / (2 * lam * codes.size), tol=1e-10).fit(X, table.y), X,
        table.y).aic for lam in grid])
    j = int(np.argmin(aic))
    assert _choice(sec, "aic")[0] == fmt(grid[j]) and _choice(sec, "aic")[2] == fmt(aic[j])
