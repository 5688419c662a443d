"""The HTML report: sections per model, its numbers, self-containment, atomic writes, and a
real browser (headless Chromium) rendering every figure without console errors."""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from ridgeline.diagnostics import bias_variance, standardized_coefficients
from ridgeline.io import Table, load_builtin
from ridgeline.io import modelfile as modelfile_module
from ridgeline.report import _bias_variance as bv_module
from ridgeline.report import _context as context_module
from ridgeline.report import build as build_module
from ridgeline.report import build_report, fit_model, write_report
from ridgeline.report import html as html_module
from ridgeline.report.html import fmt

ARTIFACTS = Path(os.environ.get("RIDGELINE_TEST_ARTIFACTS",
                                Path(__file__).parent / "artifacts"))
CHROMIUM_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1200,1000")

EXPECTED = {  # sections skipped per model kind (all others must be shown)
    "ridge": set(),
    "lasso": {"shrinkage"},
    "elasticnet": {"shrinkage", "l1_vs_l2"},  # compare=False here (the others cover it)
    "logistic": {"shrinkage", "l1_vs_l2"},
    "poisson": {"shrinkage", "l1_vs_l2"},
}


def _table(kind: str) -> Table:
    rng = np.random.default_rng(3)
    n, p = 160, 5
    X = rng.normal(size=(n, p))
    eta = X @ np.array([1.0, -0.8, 0.4, 0.0, 0.2])
    if kind == "logistic":
        y = np.where(eta + rng.logistic(size=n) > 0, "yes", "no")
    elif kind == "poisson":
        y = rng.poisson(np.exp(0.4 * eta)).astype(float)
    else:
        y = eta + rng.normal(size=n)
    names = [f"x{j}" for j in range(p)]
    from ridgeline.io import FeatureEncoding

    return Table(X, y, names, ["y"], f"synthetic-{kind}", n, FeatureEncoding(tuple(names)))


@pytest.fixture(scope="module")
def reports():
    out = {}
    for kind in EXPECTED:
        table = _table(kind)
        fitted = fit_model(kind, table.X, table.y, cv=4, n_lambdas=12)
        steps = []
        rep = build_report(fitted, table, bv_rounds=3, bv_lambdas=3, dpi=60,
                           compare=kind != "elasticnet",
                           progress=lambda d, i, n, s=steps: s.append((d, i, n)))
        out[kind] = (fitted, table, rep, steps)
    return out


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_sections_shown_or_skipped_with_a_reason(reports, kind):
    _, _, rep, _ = reports[kind]
    status = {s.ident: s.status for s in rep.sections}
    assert not rep.failed, [(s.ident, s.note) for s in rep.failed]
    assert {k for k, v in status.items() if v == "skipped"} == EXPECTED[kind]
    assert len(status) == 9 + (kind == "logistic")  # + classification, for classifiers only
    assert ("classification" in status) == (kind == "logistic")
    for s in rep.sections:
        assert f'<section id="{s.ident}">' in rep.html
        if s.status == "skipped":
            assert s.note and f"Not shown: {s.note}"[:60] in rep.html.replace("&#x27;", "'")
        else:
            assert s.images >= (s.ident != "data")
    shown = sum(1 for s in rep.sections if s.status == "shown")
    assert rep.n_images >= shown - 1 and rep.html.count("<img ") == rep.n_images


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_page_is_self_contained(reports, kind):
    page = reports[kind][2].html
    assert "<script" not in page.lower()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith(("data:", "#")) for s in sources), sources
    assert not re.search(r"url\(|@import|https?://", page)
    for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_reaches_every_step(reports):
    _, _, _, steps = reports["ridge"]
    totals = {n for _, _, n in steps}
    assert len(totals) == 1
    total = totals.pop()
    n_bv = {int(d.split(" of ")[1]) for d, _, _ in steps if d.startswith("bias–variance: λ")}
    assert n_bv == {4}  # 3 λ spread over the grid, and the chosen λ
    assert total == 9 + 4 - 1  # 9 sections; bias–variance: one more step per λ after the first
    assert [i for _, i, _ in steps] == list(range(total + 1))
    assert steps[-1][0] == "done"


def test_summary_states_lambda_and_own_parameter(reports):
    fitted, _, rep, _ = reports["logistic"]
    n = 160
    assert fitted.param == pytest.approx(1.0 / (2.0 * fitted.lambda_ * n))
    assert f"Chosen λ = {fmt(fitted.lambda_)} (the estimator's own C = {fmt(fitted.param)}" \
        in html.unescape(rep.html)
    fitted, _, rep, _ = reports["lasso"]
    assert fitted.param == pytest.approx(fitted.lambda_ / 2.0)  # λ = alpha (1 + l1_ratio)
    assert f"own alpha = {fmt(fitted.param)}" in html.unescape(rep.html)


def test_cv_table_has_the_two_candidates(reports):
    fitted, _, rep, _ = reports["ridge"]
    res = fitted.result
    page = rep.html
    for lam, alpha in ((res.lambda_min, res.alphas[res.index_min]),
                       (res.lambda_1se, res.alphas[res.index_1se])):
        assert f'<td class="num">{fmt(lam)}</td><td class="num">{fmt(alpha)}</td>' in page
    assert alpha == pytest.approx(res.lambda_1se * 160)  # alpha = n λ for ridge


def test_coefficient_table_is_ranked_by_standardized_size(reports):
    fitted, table, rep, _ = reports["ridge"]
    ranking = standardized_coefficients(fitted.estimator, table.X,
                                        feature_names=table.feature_names)
    coef = np.asarray(fitted.estimator.coef_)
    std = coef * table.X.std(axis=0)
    first = int(np.argmax(np.abs(std)))
    assert ranking.order[0] == first
    section = rep.html.split('<section id="coefficients">')[1].split("</section>")[0]
    rows = re.findall(r"<tr data-key=\"x\d\"><td>(x\d)</td><td class=\"num\">([^<]+)</td>"
                      r"<td class=\"num\">([^<]+)</td>", section)
    assert [r[0] for r in rows] == [table.feature_names[j] for j in np.argsort(-np.abs(std))]
    assert float(rows[0][1]) == pytest.approx(coef[first], rel=1e-3)
    assert float(rows[0][2]) == pytest.approx(std[first], rel=1e-3)


def test_bias_variance_per_lambda_equals_one_call_over_the_grid():
    """The report's per-λ calls (for its progress bar) are exactly one decomposition."""
    table = _table("ridge")
    fitted = fit_model("ridge", table.X, table.y, cv=4, n_lambdas=12)
    ctx = context_module.make_context(fitted, table, 4, 3, False, 7, None)
    grid = bv_module.bv_grid(ctx)
    pieces = bv_module.bias_variance_with_progress(ctx, grid)
    rng = np.random.default_rng(7)
    perm = rng.permutation(table.n_rows)
    test, pool = perm[:48], perm[48:]
    whole = bias_variance(fitted.estimator, table.X[pool], table.y[pool], lambdas=grid,
                          n_rounds=4, X_test=table.X[test], y_test=table.y[test],
                          random_state=7)
    for name in ("lambdas", "bias2", "variance", "noise", "expected_error"):
        np.testing.assert_allclose(getattr(pieces, name), getattr(whole, name), rtol=1e-10)
    assert grid.size == 4 and fitted.lambda_ in grid  # 3 spread over the grid + the chosen λ


def test_bias_variance_budget_zero_skips_the_section():
    table = _table("ridge")
    fitted = fit_model("ridge", table.X, table.y, cv=3, n_lambdas=8)
    rep = build_report(fitted, table, bv_rounds=0, compare=False, dpi=40)
    status = {s.ident: (s.status, s.note) for s in rep.sections}
    assert status["bias_variance"] == ("skipped", "the bias–variance budget is 0 rounds "
                                                  "(--bv-rounds 0).")
    assert status["l1_vs_l2"][0] == "skipped"
    with pytest.raises(ValueError, match="bv_rounds must be 0"):
        build_report(fitted, table, bv_rounds=1)
    with pytest.raises(ValueError, match=r"dpi must lie in \[30, 600\]"):
        build_report(fitted, table, dpi=10)


def test_a_failing_section_is_reported_not_fatal(monkeypatch):
    table = _table("ridge")
    fitted = fit_model("ridge", table.X, table.y, cv=3, n_lambdas=8)

    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setitem(build_module.BUILDERS, "shrinkage", broken)
    rep = build_report(fitted, table, bv_rounds=0, compare=False, dpi=40)
    assert [s.ident for s in rep.failed] == ["shrinkage"]
    assert rep.failed[0].note == "RuntimeError: boom"
    assert "could not be computed (RuntimeError: boom" in rep.html


def test_write_report_is_atomic(tmp_path, monkeypatch, reports):
    rep = reports["poisson"][2]
    target = tmp_path / "r.html"
    assert write_report(target, rep) == target
    assert target.read_text(encoding="utf-8") == rep.html
    target.write_text("old")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(modelfile_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_report(target, rep)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_multi_target_ridge_report():
    table = load_builtin("linnerud")
    fitted = fit_model("ridge", table.X, table.y, cv=4, n_lambdas=10)
    rep = build_report(fitted, table, bv_rounds=2, bv_lambdas=2, dpi=40)
    status = {s.ident: s.status for s in rep.sections}
    assert not rep.failed, [(s.ident, s.note) for s in rep.failed]
    assert status["l1_vs_l2"] == "skipped"
    assert "Computed for the first target (Weight) only." in rep.html


# --------------------------------------------------------------------------- the browser


def _chromium_paths() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return (browser, driver) if browser and driver else None


def chromium():
    """A headless Chromium (Debian's chromium + chromium-driver) for a module's tests; skips
    when it is not installed. A generator: ``yield from chromium()`` in a fixture."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                    "(pip install -e '.[test]')")
    paths = _chromium_paths()
    if paths is None:
        pytest.skip("chromium and chromium-driver are not installed and could not be: "
                    "'make test' installs them with apt-get (needs root and the Debian "
                    "package registry)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ridgeline-chromium-")
    options = Options()
    options.binary_location = paths[0]
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(paths[1]), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    yield from chromium()


_RENDER_CHECK = """
const imgs = Array.from(document.images).map((img, i) => ({
    kind: 'img', index: i, ok: img.complete && img.naturalWidth > 0 && img.naturalHeight > 0,
    width: img.naturalWidth, height: img.naturalHeight}));
const svgs = Array.from(document.querySelectorAll('svg')).map((svg, i) => {
    const box = svg.getBoundingClientRect();
    return {kind: 'svg', index: i, ok: box.width > 0 && box.height > 0,
            width: box.width, height: box.height};
});
return imgs.concat(svgs);
"""


def _load(driver, path: Path) -> tuple[list[dict], list[dict]]:
    """Open a file; return (every image/SVG with whether it rendered, SEVERE console logs)."""
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(path.resolve().as_uri())
    driver.execute_script("return document.readyState")
    figures = driver.execute_script(_RENDER_CHECK)
    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    return figures, severe


def _screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1200, min(max(height, 800), 16000))
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1200, 1000)
    return path


@pytest.fixture(scope="module")
def cli_report(tmp_path_factory):
    """The report of the built-in data set, written by the command line."""
    from typer.testing import CliRunner

    from ridgeline.cli import app

    out = tmp_path_factory.mktemp("cli") / "diabetes.html"
    res = CliRunner().invoke(app, ["report", "--bv-rounds", "2", "--n-lambdas", "30", "-o",
                                   str(out)])
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize("kind", ["ridge", "logistic", "cli"])
def test_report_renders_in_a_real_browser(browser, reports, cli_report, tmp_path, kind):
    if kind == "cli":
        page, n_images, title = cli_report, 9, "ridgeline report: ridge on builtin:diabetes"
    else:
        rep = reports[kind][2]
        page = write_report(tmp_path / f"report-{kind}.html", rep)
        n_images, title = rep.n_images, f"ridgeline report: {kind} on synthetic-{kind}"
    figures, severe = _load(browser, page)
    assert severe == []
    imgs = [f for f in figures if f["kind"] == "img"]
    assert len(imgs) == n_images >= 5
    assert all(f["ok"] for f in figures), [f for f in figures if not f["ok"]]
    assert min(f["width"] for f in imgs) >= 250 and min(f["height"] for f in imgs) >= 150
    shot = _screenshot(browser, f"report-{kind}.png")
    assert shot.stat().st_size > 10_000
    assert browser.title == title


def test_the_browser_check_detects_broken_images_and_console_errors(browser, tmp_path):
    good = base64.b64encode(html_module.figure_to_png(html_module.new_figure(2, 1)))
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
        "</head><body>"
        f"<img id='good' src='data:image/png;base64,{good.decode()}'>"
        "<img id='bad' src='data:image/png;base64,AAAAAAAA'>"
        "<svg width='0' height='0'></svg><svg width='20' height='10'></svg>"
        "<script>console.error('deliberate error')</script></body></html>")
    figures, severe = _load(browser, page)
    assert [f["ok"] for f in figures if f["kind"] == "img"] == [True, False]
    assert [f["ok"] for f in figures if f["kind"] == "svg"] == [False, True]
    assert any("deliberate error" in e["message"] for e in severe)
