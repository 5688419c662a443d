"""Benchmark A (out of core): ridge 5-fold CV over 100 λ on a Parquet data set larger than RAM.

Generates ``--gib`` GiB of float32 Parquet parts (p features + a target, uncompressed, so the
size on disk is the size of the data), then measures, in this order:

1. a bare ``pyarrow.dataset`` scan reading every column of every part (the I/O floor);
2. ``RidgeCV(lambdas=<100 values>, cv=5).fit(ridgeline.read_parquet(dir, target="y"))``:
   one pass for all fold statistics, then 5 eigendecompositions score every λ;

with the peak resident set size of each phase (a sampling thread reading VmRSS every 20 ms)
and the process's ``ru_maxrss``. The files are deleted afterwards, also on failure.

Targets: peak RSS of the fit ≤ 2 GB, wall time of the fit ≤ 1.5× the bare scan.

    .venv/bin/python benchmarks/bench_out_of_core.py --gib 26 --features 50
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

import ridgeline
from ridgeline import RidgeCV

RESULTS = Path(__file__).parent / "results"


def rss_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakRSS:
    """Peak VmRSS while the ``with`` block runs (sampled every ``interval`` seconds)."""

    def __init__(self, interval: float = 0.02):
        self.interval, self.peak = interval, 0
        self._stop = threading.Event()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def generate(root: Path, gib: float, p: int, rows_per_part: int, seed: int) -> tuple[int, int]:
    """Write float32 parts totalling ``gib`` GiB; returns (rows, bytes on disk)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=p).astype(np.float32)
    row_bytes = 4 * (p + 1)
    n_total = int(gib * (1 << 30) // row_bytes)
    root.mkdir(parents=True, exist_ok=True)
    written, i = 0, 0
    while written < n_total:
        m = min(rows_per_part, n_total - written)
        X = rng.standard_normal((m, p), dtype=np.float32)
        X[:, : p // 2] += 1.0  # non-zero means: the intercept matters
        y = X @ w + rng.standard_normal(m, dtype=np.float32) * 2.0 + 3.0
        cols = {f"x{j}": X[:, j] for j in range(p)}
        cols["y"] = y
        pq.write_table(pa.table(cols), root / f"part-{i:05d}.parquet", compression="none",
                       row_group_size=1 << 18)
        written += m
        i += 1
    size = sum(f.stat().st_size for f in root.glob("*.parquet"))
    return n_total, size


def bare_scan(root: Path) -> int:
    rows = 0
    for batch in ds.dataset(str(root), format="parquet").to_batches():
        rows += batch.num_rows
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=float, default=26.0, help="data size on disk (GiB)")
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--rows-per-part", type=int, default=2_000_000)
    ap.add_argument("--memory", default="1GB", help="memory budget of the streamed pass")
    ap.add_argument("--dir", type=Path, default=Path("/work/ridgeline_ooc_bench"))
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    root = args.dir
    if root.exists():
        raise SystemExit(f"{root} exists: remove it or choose --dir")
    mem_total = 0
    with open("/proc/meminfo") as fh:
        mem_total = int(fh.readline().split()[1]) * 1024
    out = {"gib": args.gib, "features": args.features, "memory": args.memory,
           "ram_bytes": mem_total}
    try:
        t0 = time.perf_counter()
        # in a child process, so that its buffers do not count in this process's RSS
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(1) as pool:
            n, size = pool.apply(generate, (root, args.gib, args.features, args.rows_per_part,
                                            0))
        out.update(rows=n, bytes_on_disk=size, parts=len(list(root.glob("*.parquet"))),
                   generate_s=time.perf_counter() - t0)
        print(f"generated {n:,} rows × {args.features} float32 features + target in "
              f"{out['parts']} parts: {size / (1 << 30):.2f} GiB on disk "
              f"(RAM {mem_total / (1 << 30):.1f} GiB) in {out['generate_s']:.0f} s", flush=True)

        with PeakRSS() as rss:
            t0 = time.perf_counter()
            rows = bare_scan(root)
            out["scan_s"] = time.perf_counter() - t0
        out["scan_peak_rss"] = rss.peak
        assert rows == n, (rows, n)
        print(f"bare pyarrow.dataset scan (all columns): {out['scan_s']:.1f} s, "
              f"peak RSS {rss.peak / 1e9:.2f} GB", flush=True)

        lambdas = np.logspace(-6, 2, 100)
        with PeakRSS() as rss:
            t0 = time.perf_counter()
            src = ridgeline.read_parquet(root, target="y", memory=args.memory)
            est = RidgeCV(lambdas=lambdas, cv=5).fit(src)
            out["ridge_s"] = time.perf_counter() - t0
        out["ridge_peak_rss"] = rss.peak
        out["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out["batch_rows"] = src.batch_rows
        out["lambda"] = est.lambda_
        out["cv_r2"] = est.best_score_
        ratio = out["ridge_s"] / out["scan_s"]
        out["ratio"] = ratio
        print(f"RidgeCV 5-fold × 100 λ, streamed ({src.batch_rows:,} rows per batch): "
              f"{out['ridge_s']:.1f} s, peak RSS {rss.peak / 1e9:.2f} GB; "
              f"λ = {est.lambda_:.3g}, CV R² = {est.best_score_:.5f}")
        print(f"wall time / bare scan = {ratio:.2f} (target ≤ 1.5): "
              f"{'met' if ratio <= 1.5 else 'NOT met'}")
        print(f"peak RSS of the fit = {rss.peak / 1e9:.2f} GB (target ≤ 2 GB): "
              f"{'met' if rss.peak <= 2e9 else 'NOT met'}; process ru_maxrss "
              f"{out['ru_maxrss'] / 1e9:.2f} GB")
        print(f"data larger than RAM: {'yes' if size > mem_total else 'NO'}")
        RESULTS.mkdir(exist_ok=True)
        name = f"out_of_core{('_' + args.tag) if args.tag else ''}.json"
        (RESULTS / name).write_text(json.dumps(out, indent=2) + "\n")
    finally:
        shutil.rmtree(root, ignore_errors=True)
        print(f"removed {root}")


if __name__ == "__main__":
    main()
