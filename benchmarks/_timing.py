"""The timing rule of the ``bench_beyond.py`` parts: the best of a few calls after a warm-up."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def best_time(fn: Callable, repeats: int):
    """``(best wall time in s, the last call's result)`` of ``repeats`` calls of ``fn`` after
    one untimed warm-up call (JIT compilation, caches and page faults do not count)."""
    fn()  # warm-up
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
