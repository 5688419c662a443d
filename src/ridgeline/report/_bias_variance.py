"""The report's bias–variance section (private): the decomposition by resampling over a few λ
of the CV grid, one λ at a time so that the progress bar moves."""

from __future__ import annotations

import dataclasses

import numpy as np

from ridgeline.report import html as h
from ridgeline.report._context import Context, Skip, explain, figure


def bv_applies(ctx: Context) -> bool:
    """Whether the section is computed (a budget of at least 2 rounds)."""
    return ctx.bv_rounds >= 2


def bv_grid(ctx: Context) -> np.ndarray:
    """``ctx.bv_lambdas`` λ spread over the CV grid, and the chosen λ, strongest first."""
    grid = np.unique(ctx.grid[ctx.grid > 0])[::-1]
    if grid.size == 0:
        return np.array([ctx.lam])
    k = min(ctx.bv_lambdas, grid.size)
    idx = np.unique(np.round(np.linspace(0, grid.size - 1, k)).astype(int))
    picked = set(grid[idx].tolist())
    if ctx.lam > 0:
        picked.add(ctx.lam)
    return np.array(sorted(picked, reverse=True))


def bias_variance_section(ctx: Context) -> str:
    """Bias², variance and noise per λ (squared loss), or Domingos' 0-1 decomposition."""
    from ridgeline.plot import plot_bias_variance

    if not bv_applies(ctx):
        raise Skip("the bias–variance budget is 0 rounds (--bv-rounds 0).")
    f = ctx.fitted
    bv = bias_variance_with_progress(ctx, bv_grid(ctx))
    zero_one = bv.loss == "0-1"
    lines = [
        "The data were split once into a pool and held-out test rows; the model was refit on "
        f"{bv.n_rounds} bootstrap resamples of the pool at each λ shown, and its predictions "
        "on the test rows compared.",
        "Bias: how far the average prediction is from the truth (high when λ is large: "
        "underfitting). Variance: how much predictions change from one training set to "
        "another (high when λ is small: overfitting). "
        + ("For classification (0-1 loss) the decomposition is Domingos' (2000)." if zero_one
           else "Expected squared error = noise + bias² + variance: the penalty trades a "
                "little bias for a large cut in variance, and the best λ balances the two."),
    ]
    if not zero_one:
        lines.append(
            "On real data the truth is unknown: the noise level is estimated (see below the "
            "figure), and bias² is what remains of the measured error after noise and "
            "variance, so it is an estimate too — it can even come out negative where the "
            "noise estimate is high. Read the variance and the measured error first.")
    body = explain(*lines)
    body += figure(ctx, lambda fig: plot_bias_variance(bv, ax=fig.add_subplot()),
                   alt="Bias, variance and noise against λ",
                   caption=f"{bv.loss} loss, {bv.n_rounds} rounds, {bv.n_test} test rows; "
                           f"noise: {bv.noise_source}.", gid="fig-bias-variance")
    best = int(np.nanargmin(bv.expected_error))
    body += h.paragraph(f"The measured test error is smallest at λ = {h.fmt(bv.lambdas[best])}"
                        f" among the λ shown (the model's chosen λ is {h.fmt(ctx.lam)}).")
    if np.asarray(ctx.table.y).ndim == 2 and not f.is_classifier:
        ctx.note("bias_variance",
                 f"Computed for the first target ({ctx.table.target_names[0]}) only.")
    return body


def bias_variance_with_progress(ctx: Context, lambdas: np.ndarray):
    """:func:`ridgeline.diagnostics.bias_variance` one λ at a time, to report progress.

    The test rows are fixed once and every call gets the same seed, so each λ sees the same
    bootstrap resamples: the pieces are exactly one decomposition over the whole grid.
    """
    from ridgeline.diagnostics import bias_variance

    rng = np.random.default_rng(ctx.seed)
    n = ctx.X.shape[0]
    perm = rng.permutation(n)
    m = max(1, round(0.3 * n))
    test, pool = perm[:m], perm[m:]
    X = ctx.X_fit  # the scale the model's λ refers to
    parts = []
    for k, lam in enumerate(lambdas):
        if k:
            ctx.step(f"bias–variance: λ {k + 1} of {lambdas.size}")
        parts.append(bias_variance(ctx.fitted.estimator, X[pool], ctx.y[pool],
                                   lambdas=[float(lam)], n_rounds=ctx.bv_rounds,
                                   X_test=X[test], y_test=ctx.y[test], random_state=ctx.seed))
    return _concat_bias_variance(parts)


def _concat_bias_variance(parts: list):
    """One BiasVariance from per-λ pieces (array fields concatenated along λ)."""
    first = parts[0]
    changes = {}
    for fld in dataclasses.fields(first):
        value = getattr(first, fld.name)
        if isinstance(value, np.ndarray):
            changes[fld.name] = np.concatenate([getattr(p, fld.name) for p in parts])
    return dataclasses.replace(first, **changes)
