"""A fair comparison of constant-λ grids and adaptive controllers under one step budget."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from rich.table import Table
from torch import nn

from ridgeline.nn._checks import check_lambda, check_positive
from ridgeline.nn._display import TableView, fmt
from ridgeline.nn.controller import LambdaController, LossFn
from ridgeline.nn.decay import WeightDecay
from ridgeline.nn.gap import GapLambda
from ridgeline.nn.hypergradient import HypergradientLambda
from ridgeline.nn.masks import DecayMask
from ridgeline.nn.trajectory import LambdaTrajectory

__all__ = ["RunResult", "Trial", "TrialOutcome", "WeightDecayComparison", "compare_weight_decay"]

ControllerFactory = Callable[[WeightDecay], LambdaController]
Kind = Literal["none", "constant", "adaptive"]
DEFAULT_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
DEFAULT_ADAPTIVE: Mapping[str, ControllerFactory] = {
    "hypergradient": HypergradientLambda,
    "gap": GapLambda,
}


@dataclass(frozen=True)
class TrialOutcome:
    """What ``train_fn`` returns (a bare float is read as ``val_loss``).

    Attributes
    ----------
    val_loss : float
        Final loss on the validation set (the set λ is chosen on).
    test_loss : float, optional
        Final loss on a held-out test set, never used for choosing λ.
    metrics : dict
        Anything else to report (accuracy, ...).
    """

    val_loss: float
    test_loss: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Trial:
    """One run of a comparison, handed to ``train_fn``.

    ``train_fn`` builds the model from ``seed``, creates the run's decay with
    :meth:`weight_decay`, takes at most ``steps`` optimizer steps and calls
    :meth:`after_step` after each (it runs the controller of an adaptive run and costs nothing
    otherwise).

    Attributes
    ----------
    name : str
        ``"no decay"``, ``"λ=…"`` or the controller's name.
    kind : {"none", "constant", "adaptive"}
    lam : float
        The constant λ, or the starting λ of an adaptive run (0 for ``"none"``).
    steps : int
        The budget: optimizer steps allowed.
    seed : int
        The same for every run of a comparison.
    decay, controller
        Set by :meth:`weight_decay`.
    """

    name: str
    kind: Kind
    lam: float
    steps: int
    seed: int
    factory: ControllerFactory | None = field(default=None, repr=False)
    decay: WeightDecay | None = None
    controller: LambdaController | None = None

    def weight_decay(self, target: nn.Module | DecayMask | Iterable[torch.Tensor],
                     optimizer: torch.optim.Optimizer, **kwargs: Any) -> WeightDecay:
        """This run's :class:`WeightDecay` at ``lam``, attached to ``optimizer``.

        ``kwargs`` go to :class:`WeightDecay` (``mode``, ``schedule``, ...).
        """
        if self.decay is not None:
            raise RuntimeError("weight_decay() was already called for this trial")
        self.decay = WeightDecay(target, self.lam, **kwargs).attach(optimizer)
        if self.factory is not None:
            self.controller = self.factory(self.decay)
        return self.decay

    def after_step(self, val_loss: LossFn, train_loss: float | LossFn | None = None) -> float:
        """Call after every optimizer step; returns the λ in force.

        Raises
        ------
        RuntimeError
            Before :meth:`weight_decay`, or once the step budget is exceeded.
        """
        if self.decay is None:
            raise RuntimeError("call trial.weight_decay(model, optimizer) before training")
        if self.decay.step_count > self.steps:
            raise RuntimeError(f"{self.name}: {self.decay.step_count} steps exceed the budget "
                               f"of {self.steps}")
        if self.controller is None:
            return self.decay.lam
        return self.controller.update(val_loss, train_loss)


@dataclass(frozen=True)
class RunResult:
    """One run's outcome.

    Attributes
    ----------
    name, kind : str
        As in :class:`Trial`.
    lam_start, lam_final : float
        λ at the first and after the last step.
    val_loss, test_loss : float
        Final losses (``test_loss`` NaN when not reported).
    steps : int
        Optimizer steps taken (counted by the decay, not reported by ``train_fn``).
    val_evals : int
        Validation-batch evaluations made by the controller (0 for constant λ).
    seconds : float
        Wall-clock time of the run.
    trajectory : LambdaTrajectory
        λ at every step.
    metrics : dict
        Extra numbers from :class:`TrialOutcome`.
    """

    name: str
    kind: str
    lam_start: float
    lam_final: float
    val_loss: float
    test_loss: float
    steps: int
    val_evals: int
    seconds: float
    trajectory: LambdaTrajectory = field(repr=False)
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self, max_points: int = 50) -> dict[str, Any]:
        """JSON-ready dict, trajectory thinned to ``max_points``."""
        return {"name": self.name, "kind": self.kind, "lam_start": self.lam_start,
                "lam_final": self.lam_final, "val_loss": _nan_none(self.val_loss),
                "test_loss": _nan_none(self.test_loss), "steps": self.steps,
                "val_evals": self.val_evals, "seconds": self.seconds, "metrics": self.metrics,
                "trajectory": self.trajectory.thin(max_points).to_dict()}


@dataclass(frozen=True)
class WeightDecayComparison(TableView):
    """Result of :func:`compare_weight_decay`: every run under the same step budget.

    Attributes
    ----------
    runs : tuple of RunResult
        ``"no decay"`` (if run), the grid in increasing λ, then the adaptive controllers.
    budget : int
        Steps allowed per run.
    """

    _text_width = 120

    runs: tuple[RunResult, ...]
    budget: int

    def __getitem__(self, name: str) -> RunResult:
        for run in self.runs:
            if run.name == name:
                return run
        raise KeyError(name)

    @property
    def grid(self) -> tuple[RunResult, ...]:
        """The constant-λ runs."""
        return tuple(r for r in self.runs if r.kind == "constant")

    @property
    def best_constant(self) -> RunResult:
        """The grid run with the lowest validation loss (an optimistic choice: it is picked
        on the same validation set it is scored on; compare test losses too)."""
        grid = self.grid
        if not grid:
            raise ValueError("the comparison has no constant-λ run")
        return min(grid, key=lambda r: r.val_loss)

    @property
    def grid_steps(self) -> int:
        """Steps spent by the whole grid."""
        return sum(r.steps for r in self.grid)

    def relative_val_loss(self, name: str) -> float:
        """``val_loss(name) / val_loss(best constant) - 1``."""
        return self[name].val_loss / self.best_constant.val_loss - 1.0

    def step_fraction(self, name: str) -> float:
        """``steps(name) / steps of the whole grid``."""
        return self[name].steps / self.grid_steps

    def table(self) -> Table:
        """A ``rich`` table of all runs."""
        best = self.best_constant if self.grid else None
        table = Table(title=f"weight decay comparison (budget {self.budget} steps per run)")
        for col in ("run", "λ start", "λ final", "val loss", "vs best grid", "test loss",
                    "steps", "val evals"):
            table.add_column(col, justify="left" if col == "run" else "right")
        for r in self.runs:
            rel = "" if best is None else f"{100 * (r.val_loss / best.val_loss - 1):+.1f}%"
            name = f"{r.name} *" if r is best else r.name
            table.add_row(name, fmt(r.lam_start, ".3g"), fmt(r.lam_final, ".3g"),
                          fmt(r.val_loss, ".4f"), rel, fmt(r.test_loss, ".4f"), str(r.steps),
                          str(r.val_evals))
        if best is not None:
            table.caption = (f"* best constant λ on the validation set; the grid spent "
                             f"{self.grid_steps} steps in {len(self.grid)} runs")
        return table


    def to_dict(self, max_points: int = 50) -> dict[str, Any]:
        """JSON-ready dict of all runs and the grid totals."""
        out: dict[str, Any] = {"budget": self.budget,
                               "runs": [r.to_dict(max_points) for r in self.runs]}
        if self.grid:
            out["best_constant"] = self.best_constant.name
            out["grid_steps"] = self.grid_steps
        return out


def compare_weight_decay(
    train_fn: Callable[[Trial], TrialOutcome | float],
    *,
    steps: int,
    grid: Sequence[float] = DEFAULT_GRID,
    adaptive: Mapping[str, ControllerFactory] | None = None,
    start: float | None = None,
    include_none: bool = True,
    seed: int = 0,
) -> WeightDecayComparison:
    """Run a grid of constant λ and adaptive controllers with the same budget, and tabulate.

    Every run gets the same ``seed`` (so the same initialization and data order, if
    ``train_fn`` uses it) and the same budget of ``steps`` optimizer steps, counted by the
    run's :class:`WeightDecay`. The grid's cost is the sum over its runs; an adaptive run costs
    one run (plus its validation-batch evaluations, reported separately).

    Parameters
    ----------
    train_fn : callable
        ``train_fn(trial) -> TrialOutcome | float``: builds the model from ``trial.seed``,
        calls ``trial.weight_decay(model, optimizer, ...)``, trains for ``trial.steps`` steps
        calling ``trial.after_step(val_loss=..., train_loss=...)`` after each, and returns the
        final validation loss (and optionally a test loss).
    steps : int
        The step budget of every run.
    grid : sequence of float, default (1e-5, 1e-4, ..., 1)
        Constant canonical λ values (``> 0``).
    adaptive : mapping, optional
        Name -> ``factory(decay) -> controller``; default :class:`HypergradientLambda` and
        :class:`GapLambda` with their defaults. ``{}`` runs none.
    start : float, optional
        Starting λ of the adaptive runs; default the geometric mean of the grid.
    include_none : bool, default True
        Also run without decay (λ = 0).
    seed : int, default 0
        Passed to every run.

    Returns
    -------
    WeightDecayComparison

    Raises
    ------
    ValueError
        For an empty or invalid grid, a non-positive budget, or a run that did not create its
        decay or took more steps than the budget.
    """
    budget = int(check_positive(steps, "steps"))
    lams = sorted(check_lambda(v, "grid value") for v in grid)
    if any(v == 0 for v in lams):
        raise ValueError("grid values must be > 0 (the no-decay run is include_none=True)")
    controllers = DEFAULT_ADAPTIVE if adaptive is None else adaptive
    if not lams and not controllers:
        raise ValueError("nothing to compare: empty grid and no adaptive controller")
    lam0 = check_positive(start, "start") if start is not None else _geomean(lams)
    trials = [Trial("no decay", "none", 0.0, budget, seed)] if include_none else []
    trials += [Trial(f"λ={v:.3g}", "constant", v, budget, seed) for v in lams]
    trials += [Trial(name, "adaptive", lam0, budget, seed, factory)
               for name, factory in controllers.items()]
    return WeightDecayComparison(tuple(_run(train_fn, t) for t in trials), budget)


def _run(train_fn: Callable[[Trial], TrialOutcome | float], trial: Trial) -> RunResult:
    t0 = time.perf_counter()
    out = train_fn(trial)
    seconds = time.perf_counter() - t0
    if trial.decay is None:
        raise ValueError(f"train_fn did not call trial.weight_decay(...) in run {trial.name!r}")
    if trial.decay.step_count > trial.steps:
        raise ValueError(f"run {trial.name!r} took {trial.decay.step_count} steps; the budget "
                         f"is {trial.steps}")
    outcome = out if isinstance(out, TrialOutcome) else TrialOutcome(float(out))
    traj = trial.decay.trajectory()
    evals = trial.controller.n_val_evals if trial.controller is not None else 0
    test = math.nan if outcome.test_loss is None else float(outcome.test_loss)
    return RunResult(trial.name, trial.kind, trial.lam, trial.decay.current_lam,
                     float(outcome.val_loss), test, trial.decay.step_count, evals, seconds,
                     traj, dict(outcome.metrics))


def _geomean(values: Sequence[float]) -> float:
    if not values:
        return 1e-3
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _nan_none(x: float) -> float | None:
    return None if x != x else x
