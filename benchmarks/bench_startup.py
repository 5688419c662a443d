"""Start-up time of the command line and of ``import ridgeline`` (issue 19, item 5).

Each case runs in a fresh interpreter (a new process: nothing is cached in memory between
runs, though the operating system's file cache is warm after the first). Printed per case:
the minimum and the median wall-clock time of ``--repeats`` runs, after one unrecorded warm-up
run, and the minimum CPU time (user + system) of the process. The machine may be shared: the
minimum is the figure to compare, and on a loaded machine the CPU time is the closer estimate
of the wall-clock time on an idle one.

Cases
-----
``ridgeline --help``              the console script's help (parse only: no fit)
``import ridgeline``              the library's import
``from ridgeline import RidgeCV`` an estimator: what a script that fits pays
``import sklearn.linear_model``   the reference: what ``import ridgeline`` should not exceed
``ridgeline fit (diabetes)``      ``ridgeline fit --quiet`` on the built-in diabetes data
                                  (442 × 10, ridge, 5-fold CV over the default grid)

Targets: ``ridgeline --help`` ≤ 0.5 s; ``import ridgeline`` ≤ ``import sklearn.linear_model``.

Usage::

    python benchmarks/bench_startup.py [--repeats 7] [--json results/startup.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _ridgeline_script() -> list[str]:
    """The ``ridgeline`` console script beside this interpreter (else ``python -m``)."""
    exe = Path(sys.executable).with_name("ridgeline")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ridgeline")
    return [found] if found else [sys.executable, "-m", "ridgeline.cli"]


def cases() -> dict[str, list[str]]:
    """The command line of every case, by name."""
    cli = _ridgeline_script()
    py = [sys.executable, "-c"]
    return {
        "ridgeline --help": [*cli, "--help"],
        "import ridgeline": [*py, "import ridgeline"],
        "from ridgeline import RidgeCV": [*py, "from ridgeline import RidgeCV"],
        "import sklearn.linear_model": [*py, "import sklearn.linear_model"],
        "ridgeline fit (diabetes)": [*cli, "fit", "--quiet"],
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(argv: list[str], repeats: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of ``repeats`` runs of ``argv`` (after one warm-up run).

    Raises
    ------
    RuntimeError
        If a run exits with a nonzero status (its stderr is included).
    """
    walls, cpus = [], []
    for i in range(repeats + 1):
        cpu0, start = _children_cpu(), time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True)
        elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu0
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}: "
                               f"{proc.stderr.strip()[-500:]}")
        if i > 0:
            walls.append(elapsed)
            cpus.append(cpu)
    return walls, cpus


def main(argv: list[str] | None = None) -> int:
    """Time every case and print a table (and optionally write JSON); returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--case", action="append", default=None,
                        help="run only this case (repeatable; default: all)")
    args = parser.parse_args(argv)
    results = {}
    print(f"{'case':<32} {'min s':>8} {'median s':>9} {'min CPU s':>10}   "
          f"({args.repeats} runs each)")
    for name, cmd in cases().items():
        if args.case and name not in args.case:
            continue
        times, cpus = time_command(cmd, args.repeats)
        results[name] = {"min": min(times), "median": statistics.median(times),
                         "min_cpu": min(cpus), "runs": times, "cpu": cpus}
        print(f"{name:<32} {min(times):>8.3f} {statistics.median(times):>9.3f} "
              f"{min(cpus):>10.3f}")
    base = results.get("import sklearn.linear_model")
    if base and "import ridgeline" in results:
        ratio = results["import ridgeline"]["min"] / base["min"]
        print(f"import ridgeline / import sklearn.linear_model (min): {ratio:.2f} "
              f"(target ≤ 1)")
    if "ridgeline --help" in results:
        best = results["ridgeline --help"]
        print(f"ridgeline --help ≤ 0.5 s: {'met' if best['min'] <= 0.5 else 'MISSED'} "
              f"(min wall clock {best['min']:.3f} s, min CPU {best['min_cpu']:.3f} s)")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
