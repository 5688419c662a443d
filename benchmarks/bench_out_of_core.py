"""Benchmark A (out of core): ridge 5-fold CV over 100 λ on a Parquet data set larger than RAM.

Generates ``--gib`` GiB of float32 Parquet parts (p features + a target; no compression and no
dictionary encoding, so the size on disk is the size of the data), then measures, each phase in
its own child process (so that no phase's memory counts in another's peak):

1. a bare ``pyarrow.dataset`` scan that reads every column of every row (it sums each column of
   each record batch): the I/O + decode floor;
2. ``RidgeCV(lambdas=<100 values>, cv=5).fit(ridgeline.read_parquet(dir, target="y"))``:
   one pass for all fold statistics, then 5 eigendecompositions score every λ.

Both scans use the same scanner settings (``ridgeline.stats.files.SCAN_OPTIONS``: batch size,
``batch_readahead``, ``fragment_readahead``, ``use_threads``), printed with the results. The
peak RSS of a phase is its child's ``VmHWM`` (the kernel's high-water mark of resident memory,
read by the child at its end). The files are deleted afterwards, also on failure.

Targets: peak RSS of the fit ≤ 2 GB, wall time of the fit ≤ 1.5× the bare scan.

    .venv/bin/python benchmarks/bench_out_of_core.py --gib 26 --features 50

``--generate-only`` writes the data set and keeps it (deleting it only on failure); a later run
with ``--reuse`` measures on it and deletes it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
META = "_bench_meta.json"


def vm_hwm() -> int:
    """This process's peak resident set size (bytes), from /proc/self/status."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


# ------------------------------------------------------------------------------ child phases
def phase_generate(root: Path, gib: float, p: int, rows_per_part: int, seed: int) -> dict:
    """Write float32 parts totalling ``gib`` GiB (columns generated contiguous, zero-copy)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    w = rng.normal(size=p).astype(np.float32)
    names = [f"x{j}" for j in range(p)] + ["y"]
    schema = pa.schema([(c, pa.float32()) for c in names])
    n_total = int(gib * (1 << 30) // (4 * (p + 1)))
    chunk = 1 << 18  # = the row-group size
    root.mkdir(parents=True, exist_ok=True)
    written, i = 0, 0
    while written < n_total:
        m_part = min(rows_per_part, n_total - written)
        with pq.ParquetWriter(root / f"part-{i:05d}.parquet", schema, compression="none",
                              use_dictionary=False, write_statistics=False) as wr:
            done = 0
            while done < m_part:
                m = min(chunk, m_part - done)
                Xt = rng.standard_normal((p, m), dtype=np.float32)  # row j = column j
                Xt[: p // 2] += 1.0  # non-zero means: the intercept matters
                y = w @ Xt + rng.standard_normal(m, dtype=np.float32) * 2.0 + 3.0
                cols = [pa.array(Xt[j]) for j in range(p)] + [pa.array(y)]
                wr.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=chunk)
                done += m
        written += m_part
        i += 1
    size = sum(f.stat().st_size for f in root.glob("*.parquet"))
    return {"rows": n_total, "bytes_on_disk": size, "parts": i,
            "generate_s": time.perf_counter() - t0}


def phase_scan(root: Path, batch_rows: int) -> dict:
    """Bare scan: every column of every row is read and summed."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    from ridgeline.stats.files import SCAN_OPTIONS

    t0 = time.perf_counter()
    rows, total = 0, 0.0
    scanner = ds.dataset(str(root), format="parquet").scanner(batch_size=batch_rows,
                                                               **SCAN_OPTIONS)
    for rb in scanner.to_batches():
        rows += rb.num_rows
        for col in rb.columns:
            total += pc.sum(col).as_py() or 0.0
    return {"scan_s": time.perf_counter() - t0, "scan_rows": rows, "scan_checksum": total}


def phase_fit(root: Path, memory: str) -> dict:
    import numpy as np

    import ridgeline
    from ridgeline import RidgeCV

    t0 = time.perf_counter()
    src = ridgeline.read_parquet(root, target="y", memory=memory)
    est = RidgeCV(lambdas=np.logspace(-6, 2, 100), cv=5).fit(src)
    return {"fit_s": time.perf_counter() - t0, "batch_rows": src.batch_rows,
            "lambda": float(est.lambda_), "cv_r2": float(est.best_score_)}


def child(args) -> None:
    root = args.dir
    if args.child == "generate":
        out = phase_generate(root, args.gib, args.features, args.rows_per_part, 0)
    elif args.child == "scan":
        out = phase_scan(root, args.batch_rows)
    else:
        out = phase_fit(root, args.memory)
    out["peak_rss"] = vm_hwm()
    print("RESULT " + json.dumps(out), flush=True)


def evict(root: Path) -> None:
    """Drop the data files' pages from the page cache (``posix_fadvise(DONTNEED)``), so that
    every phase reads the whole data set from disk: a data set only a little larger than RAM
    is otherwise largely cached, by an amount that depends on what ran before."""
    os.sync()
    for f in sorted(root.glob("*.parquet")):
        fd = os.open(f, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def run_child(args, phase: str, **extra) -> dict:
    if phase != "generate" and args.cold:
        evict(args.dir)
    cmd = [sys.executable, __file__, "--child", phase, "--dir", str(args.dir),
           "--gib", str(args.gib), "--features", str(args.features),
           "--rows-per-part", str(args.rows_per_part), "--memory", args.memory]
    for k, v in extra.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"phase {phase} failed (exit {proc.returncode})")
    line = [s for s in proc.stdout.splitlines() if s.startswith("RESULT ")][-1]
    out = json.loads(line[len("RESULT "):])
    out["process_s"] = time.perf_counter() - t0
    return out


def markdown(out: dict) -> str:
    gib = out["bytes_on_disk"] / (1 << 30)
    opts = ", ".join(f"`{k}={v}`" for k, v in out["scan_options"].items())
    lines = [
        "# Benchmark A: out-of-core ridge CV",
        "",
        f"{out['rows']:,} rows × {out['features']} float32 features + target, {out['parts']} "
        f"uncompressed Parquet parts, {gib:.2f} GiB on disk; RAM "
        f"{out['ram_bytes'] / (1 << 30):.1f} GiB; {out['cpus']} CPUs (shared with other "
        "work: the ratio of each fit to the scan just before it is what counts).",
        f"Scanner (both): `batch_size={out['scan_batch_rows']:,}`, {opts}. Each phase in its "
        "own process; peak RSS = that process's VmHWM. Page cache: "
        + ("the data files evicted (`posix_fadvise(DONTNEED)`) before every phase, so each "
           "reads the whole data set from disk." if out.get("cold") else "not evicted."),
        "",
        "| pair | bare scan (s) | scan peak RSS (GB) | RidgeCV fit (s) | fit peak RSS (GB) "
        "| fit / scan |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(out["runs"], 1):
        lines.append(f"| {i} | {r['scan_s']:.1f} | {r['scan_peak_rss'] / 1e9:.2f} | "
                     f"{r['fit_s']:.1f} | {r['fit_peak_rss'] / 1e9:.2f} | {r['ratio']:.2f} |")
    lines += [
        "",
        f"Σ fit / Σ scan = **{out['ratio']:.2f}** (target ≤ 1.5: "
        f"{'met' if out['ratio_met'] else 'NOT met'}); fit peak RSS "
        f"**{out['fit_peak_rss'] / 1e9:.2f} GB** (target ≤ 2 GB: "
        f"{'met' if out['rss_met'] else 'NOT met'}). λ = {out['runs'][0]['lambda']:.3g}, "
        f"CV R² = {out['runs'][0]['cv_r2']:.5f}.",
        "",
    ]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=float, default=26.0, help="data size on disk (GiB)")
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--rows-per-part", type=int, default=2_000_000)
    ap.add_argument("--memory", default="1GB", help="memory budget of the streamed pass")
    ap.add_argument("--dir", type=Path, default=Path("/work/ridgeline_ooc_bench"))
    ap.add_argument("--tag", default="")
    ap.add_argument("--generate-only", action="store_true",
                    help="write the data set and keep it (for a later --reuse run)")
    ap.add_argument("--reuse", action="store_true",
                    help="measure on a data set written by --generate-only, then delete it")
    ap.add_argument("--repeat", type=int, default=2, help="scan/fit pairs to run")
    ap.add_argument("--no-cold", dest="cold", action="store_false",
                    help="do not evict the data files from the page cache before each phase")
    ap.add_argument("--child", choices=["generate", "scan", "fit"], help=argparse.SUPPRESS)
    ap.add_argument("--batch-rows", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    from ridgeline.stats.files import SCAN_OPTIONS, batch_rows_for

    root = args.dir
    with open("/proc/meminfo") as fh:
        mem_total = int(fh.readline().split()[1]) * 1024
    if args.reuse:
        if not (root / META).exists():
            raise SystemExit(f"{root} has no {META}: generate it with --generate-only")
    elif root.exists():
        raise SystemExit(f"{root} exists: remove it or choose --dir")
    keep = False
    try:
        if args.reuse:
            out = json.loads((root / META).read_text())
        else:
            out = {"gib": args.gib, "features": args.features, "ram_bytes": mem_total,
                   "cpus": os.cpu_count()}
            out.update(run_child(args, "generate"))
            (root / META).write_text(json.dumps(out))
        size = out["bytes_on_disk"]
        print(f"data: {out['rows']:,} rows × {out['features']} float32 features + target in "
              f"{out['parts']} parts, {size / (1 << 30):.2f} GiB on disk, RAM "
              f"{mem_total / (1 << 30):.1f} GiB (larger than RAM: "
              f"{'yes' if size > mem_total else 'NO'}); generated in "
              f"{out['generate_s']:.0f} s", flush=True)
        if args.generate_only:
            keep = True
            return
        batch_rows = batch_rows_for(args.memory, out["features"] + 1)
        out.update(memory=args.memory, scan_batch_rows=batch_rows,
                   scan_options=dict(SCAN_OPTIONS), cold=args.cold)
        print(f"scanner settings (both scans): batch_size={batch_rows:,} rows, "
              + ", ".join(f"{k}={v}" for k, v in SCAN_OPTIONS.items()), flush=True)
        print("page cache: " + ("the data files are evicted (posix_fadvise DONTNEED) before "
                                "every phase: each reads all of its bytes from disk"
                                if args.cold else "left as it is (--no-cold)"), flush=True)
        runs = []
        for r in range(args.repeat):
            # scan and fit alternate, so that each ratio compares phases run under like load
            scan = run_child(args, "scan", batch_rows=batch_rows)
            assert scan["scan_rows"] == out["rows"], (scan["scan_rows"], out["rows"])
            print(f"[{r + 1}] bare pyarrow.dataset scan (sums every column): "
                  f"{scan['scan_s']:.1f} s, peak RSS {scan['peak_rss'] / 1e9:.2f} GB",
                  flush=True)
            fit = run_child(args, "fit")
            ratio = fit["fit_s"] / scan["scan_s"]
            print(f"[{r + 1}] RidgeCV 5-fold × 100 λ, streamed ({fit['batch_rows']:,} rows per "
                  f"batch): {fit['fit_s']:.1f} s, peak RSS {fit['peak_rss'] / 1e9:.2f} GB; "
                  f"λ = {fit['lambda']:.3g}, CV R² = {fit['cv_r2']:.5f}; "
                  f"fit / scan = {ratio:.2f}", flush=True)
            runs.append({"scan_s": scan["scan_s"], "scan_peak_rss": scan["peak_rss"],
                         "fit_s": fit["fit_s"], "fit_peak_rss": fit["peak_rss"],
                         "ratio": ratio, "batch_rows": fit["batch_rows"],
                         "lambda": fit["lambda"], "cv_r2": fit["cv_r2"]})
        out["runs"] = runs
        ratio = sum(r["fit_s"] for r in runs) / sum(r["scan_s"] for r in runs)
        peak = max(r["fit_peak_rss"] for r in runs)
        out.update(ratio=ratio, fit_peak_rss=peak, ratio_met=ratio <= 1.5, rss_met=peak <= 2e9)
        print(f"wall time / bare scan = {ratio:.2f} over {len(runs)} scan/fit pair(s) "
              f"(target ≤ 1.5): {'met' if out['ratio_met'] else 'NOT met'}")
        print(f"peak RSS of the fit = {peak / 1e9:.2f} GB (target ≤ 2 GB): "
              f"{'met' if out['rss_met'] else 'NOT met'}", flush=True)
        RESULTS.mkdir(exist_ok=True)
        name = f"out_of_core{('_' + args.tag) if args.tag else ''}"
        (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=2) + "\n")
        (RESULTS / f"{name}.md").write_text(markdown(out))
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
            print(f"removed {root}", flush=True)


if __name__ == "__main__":
    main()
