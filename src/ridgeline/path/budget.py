"""What a grid of λ may cost, checked before any work is done.

Every point of a grid (a λ, an ``alpha``, a ``C``, an ``(l1_ratio, alpha)`` pair) costs memory:
a row of per-fold scores, the held-out predictions of a fold, a coefficient vector on every
fold's path. On the iterative paths (GLM Newton / L-BFGS, coordinate descent) each point is
also at least one solve on every training fold, so there time is the limit long before memory.
A grid asked for by its size (``n_lambdas=10**9``, ``alphas=10**8``, ``Cs=10**7``) or given
(``alphas=np.logspace(-3, 3, 10**8)``) is therefore checked here before it is built:

* memory: points × bytes per point (as the caller counts what it stores per point) against
  :func:`memory_budget`, a share :data:`MEMORY_FRACTION` of the machine's memory (or of the
  cgroup's limit, in a container);
* solves: an iterative path takes at most :data:`MAX_SOLVED_POINTS` points, whatever the memory.

A refusal is a :class:`GridBudgetError` (a ``ValueError``) that names the parameter, the size
asked for, what it would need, and the largest size that fits.
"""

from __future__ import annotations

import functools
import math
import numbers
import os

#: share of the machine's memory one grid may plan to fill
MEMORY_FRACTION = 0.5
#: most points an iterative path (each point a solve on every fold) accepts
MAX_SOLVED_POINTS = 10_000
#: the least a grid point costs anywhere: its value and the curve's mean, SE, dof, ... entries
#: (every caller's own count, made with the data, is at least this)
MIN_POINT_BYTES = 64
#: assumed memory when the machine does not say (``os.sysconf`` unavailable)
_FALLBACK_MEMORY = 8 * 2**30
_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


class GridBudgetError(ValueError):
    """A grid larger than the memory (or, for iterative paths, the solves) it may take."""


@functools.cache
def physical_memory() -> int | None:
    """Bytes of memory this process may use: the physical memory, or a smaller cgroup limit.

    Returns None when the operating system does not say. Read once per process (it does not
    change while a process runs; every fit's grid check asks for it).
    """
    try:
        total: int | None = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        total = None
    for path in _CGROUP_LIMITS:
        try:
            with open(path) as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and (total is None or 0 < int(text) < total):
            total = int(text)
    return total if total and total > 0 else None


def memory_budget() -> int:
    """Bytes one grid may use: :data:`MEMORY_FRACTION` of :func:`physical_memory` (8 GiB
    assumed when unknown)."""
    total = physical_memory()
    return int(MEMORY_FRACTION * (total if total is not None else _FALLBACK_MEMORY))


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, three significant digits (``"7.45 GiB"``)."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024.0 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024.0
    return f"{n:.3g} PiB"  # pragma: no cover - the loop returns


def grid_size(value) -> tuple[int, bool]:
    """``(number of points, given)`` of a grid parameter that is a count or the grid itself.

    A count (an integer, bools refused) is not checked for its sign here; a grid is counted
    without being converted (``len``, or ``size`` of an array; a scalar is one point).
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value), False
    size = getattr(value, "size", None)
    if isinstance(size, numbers.Integral):
        return int(size), True
    try:
        return len(value), True
    except TypeError:
        return 1, True


def check_count(value, name: str, *, solved: bool = False,
                bytes_per_point: float = MIN_POINT_BYTES) -> int:
    """A grid size: an integer ≥ 1 whose grid fits (:func:`check_grid_budget`), before any
    data are seen (``bytes_per_point`` the least a point costs).

    Raises
    ------
    TypeError
        ``value`` is not an integer (a float such as ``1e6`` or a bool).
    ValueError
        ``value < 1``; :class:`GridBudgetError` when it does not fit.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer (the number of grid points), got "
                        f"{value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    check_grid_budget(name, int(value), bytes_per_point=bytes_per_point,
                      solves_per_point=1 if solved else 0)
    return int(value)


def largest_fitting(bytes_per_point: float, factor: int = 1, solved: bool = False) -> int:
    """The most points (of a parameter multiplied by ``factor``) that fit the budgets."""
    per = max(float(bytes_per_point), 1.0) * max(factor, 1)
    most = int(memory_budget() // per)
    if solved:
        most = min(most, MAX_SOLVED_POINTS // max(factor, 1))
    return most


def check_grid_budget(name: str, size: int, *, bytes_per_point: float, given: bool = False,
                      factor: int = 1, factor_name: str = "", solves_per_point: int = 0,
                      unit: str = "λ", stored: str = "") -> None:
    """Refuse a grid whose memory or number of solves is out of bounds (GridBudgetError).

    Parameters
    ----------
    name : str
        The parameter that sets the grid (``"n_lambdas"``, ``"alphas"``, ``"Cs"``, ...).
    size : int
        Its number of points (the count asked for, or the length of the given grid).
    bytes_per_point : float
        What one point of the whole grid stores at the peak (see the callers' formulas).
    given : bool
        The grid was given as values (else asked for as a count).
    factor, factor_name : int, str
        Another axis of the grid and its parameter (``l1_ratio`` values): the grid has
        ``size × factor`` points.
    solves_per_point : int
        Iterative solves per point (training folds + refit); 0 for closed-form grids (ridge),
        which are bounded by memory only.
    unit : str
        The word for one value (``"λ"``, ``"alpha"``, ``"C"``).
    stored : str
        What a point stores, for the message (``"a coefficient vector on each of 5 folds"``).
    """
    factor = max(int(factor), 1)
    points = size * factor
    need = float(points) * float(bytes_per_point)
    too_many = solves_per_point > 0 and points > MAX_SOLVED_POINTS
    budget = memory_budget()
    if not too_many and need <= budget:
        return
    asked = f"{name} with {size:,} values" if given else f"{name}={size}"
    if factor > 1:
        asked += f" and {factor:,} {factor_name} values ({points:,} grid points)"
    most = largest_fitting(bytes_per_point, factor, solves_per_point > 0)
    by_memory = need > budget and most < MAX_SOLVED_POINTS // factor
    if too_many and not by_memory:  # the solve cap binds (memory, if short too, allows more)
        each = ("at least one iterative solve (one on every fold)" if solves_per_point == 1
                else f"{solves_per_point} iterative solves (the training folds and the refit)")
        why = (f"each grid point is {each}, {points * solves_per_point:,} solves or more in "
               f"all, and at most {MAX_SOLVED_POINTS:,} grid points are taken")
    else:
        what = f": {stored}" if stored else ""
        why = (f"it would need about {format_bytes(need)} of memory "
               f"({format_bytes(bytes_per_point * factor)} per {unit}{what}), more than the "
               f"{format_bytes(budget)} a grid may use ({MEMORY_FRACTION:.0%} of this "
               "machine's memory)")
    if most >= 1:
        with_ = f" with these {factor:,} {factor_name} values" if factor > 1 else ""
        fix = (f"give at most {most:,} values in {name}{with_}" if given else
               f"use {name} ≤ {most:,}{with_}") + " (a coarser grid)"
    else:
        fix = ("not even one point fits: use fewer " + (f"{factor_name} values, " if factor > 1
                                                         else "") + "features, targets or rows")
    raise GridBudgetError(f"{asked} is too large: {why}; {fix}")


def point_bytes(*counts: float) -> float:
    """Bytes of float64 values: ``8 × Σ counts`` (each count the values one point stores)."""
    return 8.0 * math.fsum(float(c) for c in counts)
