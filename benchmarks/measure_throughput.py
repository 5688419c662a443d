"""Measure the per-core throughputs that docs/scaling.md's cost model uses.

1. Gram accumulation on one thread: ``X.T @ X`` on row chunks (NumPy; BLAS limited to one thread
   with threadpoolctl), float64 and float32, as GFLOP/s in the GEMM convention (2·m·p² flops per
   chunk). NumPy recognizes ``X.T @ X`` and calls SYRK, which computes one triangle (half the
   arithmetic), so the same product written as a general GEMM ``X.T @ Y`` is timed too.
2. p×p symmetric eigendecomposition (``numpy.linalg.eigh``) on one thread.
3. Parquet decode on one core: a generated file (float32 and float64 columns, snappy and zstd)
   read with ``pyarrow.parquet.read_table(use_threads=False)``, and read + converted to one
   (rows, p) NumPy array; MB/s of *decoded* (uncompressed) data, and the compression ratio.

Writes ``benchmarks/results/throughput.json`` and ``throughput.md``.

Usage::

    .venv/bin/python benchmarks/measure_throughput.py            # p = 1,000 (~1-2 min)
    .venv/bin/python benchmarks/measure_throughput.py --quick    # smaller, for a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

RESULTS = Path(__file__).resolve().parent / "results"


def _best(fn, repeats: int) -> float:
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def gram_throughput(p: int, rows: int, repeats: int) -> dict:
    """GFLOP/s (2·rows·p² per product) of X.T @ X (SYRK) and X.T @ Y (GEMM), one thread."""
    rng = np.random.default_rng(0)
    out = {}
    for dt in (np.float64, np.float32):
        X = rng.standard_normal((rows, p)).astype(dt)
        Y = rng.standard_normal((rows, p)).astype(dt)
        flops = 2.0 * rows * p * p
        t_syrk = _best(lambda X=X: X.T @ X, repeats)
        t_gemm = _best(lambda X=X, Y=Y: X.T @ Y, repeats)
        name = np.dtype(dt).name
        out[name] = {"syrk_XtX_gflops": flops / t_syrk / 1e9,
                     "gemm_XtY_gflops": flops / t_gemm / 1e9,
                     "rows": rows, "p": p}
        print(f"Gram, 1 thread, {name}: X.T@X (SYRK) {out[name]['syrk_XtX_gflops']:.1f} "
              f"GFLOP/s, X.T@Y (GEMM) {out[name]['gemm_XtY_gflops']:.1f} GFLOP/s "
              f"(GEMM-convention flops 2·{rows}·{p}², best of {repeats})", flush=True)
    return out


def eigh_time(p: int, repeats: int) -> float:
    rng = np.random.default_rng(1)
    A = rng.standard_normal((2 * p, p))
    G = A.T @ A
    t = _best(lambda: np.linalg.eigh(G), repeats)
    print(f"eigh of a {p}x{p} Gram, 1 thread: {t:.3f} s", flush=True)
    return t


def parquet_throughput(p: int, rows: int, repeats: int) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(2)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dt in (np.float32, np.float64):
            # features with a few significant digits, as measured data usually have
            X = np.round(rng.standard_normal((rows, p)), 3).astype(dt)
            table = pa.table({f"x{j}": X[:, j] for j in range(p)})
            raw = X.nbytes
            for codec in ("snappy", "zstd"):
                path = Path(tmp) / f"{np.dtype(dt).name}_{codec}.parquet"
                pq.write_table(table, path, compression=codec, row_group_size=min(rows, 65_536))
                size = path.stat().st_size

                def read(path=path):
                    return pq.read_table(path, use_threads=False)

                def read_numpy(path=path):
                    t = pq.read_table(path, use_threads=False)
                    return np.column_stack([c.to_numpy() for c in t.columns])

                t_read = _best(read, repeats)
                t_np = _best(read_numpy, repeats)
                key = f"{np.dtype(dt).name}_{codec}"
                out[key] = {"rows": rows, "p": p, "uncompressed_MB": raw / 1e6,
                            "file_MB": size / 1e6, "compression_ratio": raw / size,
                            "decode_MBps": raw / t_read / 1e6,
                            "decode_to_numpy_MBps": raw / t_np / 1e6}
                print(f"Parquet {key}: {raw / 1e6:.0f} MB decoded from {size / 1e6:.0f} MB "
                      f"(ratio {raw / size:.2f}); 1 core: decode {raw / t_read / 1e6:.0f} MB/s, "
                      f"decode + to one NumPy array {raw / t_np / 1e6:.0f} MB/s", flush=True)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", type=int, default=1_000)
    ap.add_argument("--gram-rows", type=int, default=16_384)
    ap.add_argument("--parquet-rows", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.p, args.gram_rows, args.parquet_rows = 300, 4096, 5_000
    with threadpool_limits(1):
        blas = [{k: i.get(k) for k in ("internal_api", "version", "num_threads")}
                for i in threadpool_info()]
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs; "
              f"BLAS: {blas}")
        gram = gram_throughput(args.p, args.gram_rows, args.repeats)
        t_eigh = eigh_time(args.p, args.repeats)
        parq = parquet_throughput(args.p, args.parquet_rows, args.repeats)
    out = {"machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                       "blas": blas},
           "command": "benchmarks/measure_throughput.py" + (" --quick" if args.quick else ""),
           "gram_one_thread": gram, "eigh_one_thread_s": {"p": args.p, "seconds": t_eigh},
           "parquet_one_core": parq}
    stem = args.out or ("throughput_quick" if args.quick else "throughput")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = ["# Measured per-core throughput (this machine)", "",
             f"`{out['command']}` on {out['machine']['platform']}, "
             f"{out['machine']['cpu_count']} logical CPUs, BLAS limited to 1 thread.", "",
             "| Gram, 1 thread | X.T@X (SYRK) GFLOP/s | X.T@Y (GEMM) GFLOP/s |", "|---|---|---|"]
    for k, v in gram.items():
        lines.append(f"| {k}, {v['rows']}×{v['p']} chunk | {v['syrk_XtX_gflops']:.1f} | "
                     f"{v['gemm_XtY_gflops']:.1f} |")
    lines += ["", f"eigh of a {args.p}×{args.p} Gram, 1 thread: {t_eigh:.3f} s", "",
              "| Parquet, 1 core | decoded MB | file MB | ratio | decode MB/s | "
              "decode→NumPy MB/s |", "|---|---|---|---|---|---|"]
    for k, v in parq.items():
        lines.append(f"| {k} | {v['uncompressed_MB']:.0f} | {v['file_MB']:.0f} | "
                     f"{v['compression_ratio']:.2f} | {v['decode_MBps']:.0f} | "
                     f"{v['decode_to_numpy_MBps']:.0f} |")
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS / (stem + '.json')} and .md")
    return out


if __name__ == "__main__":
    main()
