"""Choosing λ beyond the grid (issue 20), side by side with the peers — with checks.

Four parts, each in a module of its own beside this one, each running ridgeline and its peer in
this process on the same data (fixed seeds), the same folds and the same objective, and checking
that both give the same answer:

evidence     ``RidgeCV(cv="evidence")`` (the exact maximizer of the ridge marginal likelihood
             from one factorization) vs scikit-learn's ``BayesianRidge`` with its gamma
             hyperpriors at 0 and a tight ``tol`` (iterations of a fixed-point update). Answer:
             Ridge ``alpha`` = its ``lambda_ / alpha_``, relative difference.
continuous   the exact minimizer of the K-fold / LOO curve over continuous log λ
             (``RidgeCV(refine=True)``) vs scoring a 1,000-point grid on the same folds: times
             and both scores (the continuous one must be at least as good).
banded       ``BandedRidgeCV`` (one λ per feature group, K-fold CV with exact gradients in log λ)
             vs himalaya's ``BandedRidgeCV`` (random search + hypergradients), both scored by
             the same CV evaluation on the same folds. Target: an equal or better CV score,
             ≥ 10× faster.
glm          ``GammaRegressor`` and ``TweedieRegressor(power=1.5)`` single fits vs
             scikit-learn's (lbfgs at its default, newton-cholesky at a tight tol): times and
             the objective difference.

Every timing is taken by the part's own module (the best of a few calls after a warm-up);
ratio = peer time ÷ ridgeline time (> 1: ridgeline faster).

Usage::

    .venv/bin/python benchmarks/bench_beyond.py                 # every part
    .venv/bin/python benchmarks/bench_beyond.py --part banded   # one part
    .venv/bin/python benchmarks/bench_beyond.py --quick         # smoke run (small sizes)

Run it on a quiet machine (no other heavy job; the load average is printed). Results go to
``benchmarks/results/beyond.json`` and ``beyond.md`` (``beyond_quick.*`` with ``--quick``).
Needs the ``bench`` extra (himalaya) for the banded part.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

PARTS = {
    "evidence": "_beyond_evidence",
    "continuous": "_beyond_continuous",
    "banded": "_beyond_banded",
    "glm": "_beyond_glm",
}


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown(part: str, rows: list[dict]) -> str:
    """One Markdown table per part: the union of the rows' keys, in first-seen order."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    lines = [f"### {part}", "", "| " + " | ".join(keys) + " |",
             "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_fmt(row.get(k, "")) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", nargs="*", choices=sorted(PARTS), default=list(PARTS))
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    print(f"load average at start: {os.getloadavg()}")
    results, text = {}, []
    for part in args.part:
        module = importlib.import_module(PARTS[part])
        rows = module.run(quick=args.quick)
        results[part] = rows
        text.append(markdown(part, rows))
        print(text[-1], "\n", flush=True)
    print(f"load average at end: {os.getloadavg()}")
    out = Path(__file__).parent / "results"
    stem = "beyond_quick" if args.quick else "beyond"
    old = {}
    if (out / f"{stem}.json").exists():
        old = json.loads((out / f"{stem}.json").read_text())
    old.update(results)
    (out / f"{stem}.json").write_text(json.dumps(old, indent=1, default=float) + "\n")
    (out / f"{stem}.md").write_text("\n\n".join(markdown(k, v) for k, v in old.items()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
