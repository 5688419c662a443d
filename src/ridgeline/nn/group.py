"""``GroupL2``: the group penalty ``λ Σ_g √|g| ‖w_g‖₂`` by a proximal step, so groups die exactly.

A group is an output channel of a convolution (``weight[c]``, shape ``(in/groups, *kernel)``),
an output neuron of a linear layer (``weight[j]``, its incoming weights), or any user-defined
set of entries of one parameter. The penalty is ridgeline's group penalty (``shared/DESIGN.md``)
applied to a network: ``√|g|`` (``|g|`` the number of weights in the group) makes groups of
different sizes comparable. It is not differentiable at ``w_g = 0``, so instead of adding a
subgradient to the loss, :class:`GroupL2` follows every optimizer step with the proximal
operator of ``η · penalty`` (``η`` the step's learning rate):

    w_g ← max(0, 1 − ηλ√|g| / ‖w_g‖₂) · w_g

(proximal gradient descent; for group penalties see Yuan & Lin, "Model selection and estimation
in regression with grouped variables", JRSS-B 2006, and for networks Scardapane et al., "Group
sparse regularization for deep neural networks", Neurocomputing 2017). Groups whose norm is at
most the threshold ``ηλ√|g|`` become exactly zero: the channel or neuron is removed and
:meth:`GroupL2.report` lists it. With plain SGD this is exactly proximal SGD on
``mean loss + penalty``; with momentum or Adam the step is a heuristic (the prox uses ``η``, not
the optimizer's per-coordinate scaling).
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from rich.table import Table
from torch import nn

from ridgeline.nn._checks import check_lambda, check_module, check_optimizer, check_positive
from ridgeline.nn._display import TableView

__all__ = ["GroupL2", "GroupReport", "LayerGroups", "ProxResult"]

DEFAULT_LAYERS: tuple[type[nn.Module], ...] = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


@dataclass(frozen=True)
class _Member:
    """One parameter's share of a set of groups: groups along ``dim`` or by ``labels``."""

    name: str
    param: torch.Tensor
    dim: int | None = None
    labels: torch.Tensor | None = None  # flat long tensor, -1 = not in any group

    def squares(self, n_groups: int) -> torch.Tensor:
        """Sum of squares per group, float64, shape ``(n_groups,)``."""
        w = self.param.detach().to(torch.float64)
        if self.dim is not None:
            return w.movedim(self.dim, 0).reshape(n_groups, -1).pow(2).sum(dim=1)
        assert self.labels is not None
        keep = self.labels >= 0
        out = torch.zeros(n_groups, dtype=torch.float64, device=w.device)
        return out.index_add_(0, self.labels[keep], w.reshape(-1)[keep].pow(2))

    def sizes(self, n_groups: int) -> torch.Tensor:
        """Weights per group, float64, shape ``(n_groups,)``."""
        if self.dim is not None:
            per = self.param.numel() // max(self.param.shape[self.dim], 1)
            return torch.full((n_groups,), float(per), dtype=torch.float64)
        assert self.labels is not None
        keep = self.labels >= 0
        return torch.bincount(self.labels[keep].cpu(), minlength=n_groups).to(torch.float64)

    def scale_(self, factor: torch.Tensor) -> None:
        """Multiply every group's entries by ``factor[g]`` in place."""
        p = self.param
        f = factor.to(device=p.device, dtype=p.dtype)
        if self.dim is not None:
            shape = [1] * p.ndim
            shape[self.dim] = -1
            p.mul_(f.view(shape))
            return
        assert self.labels is not None
        keep = self.labels >= 0
        flat = p.view(-1)
        flat[keep] = flat[keep] * f[self.labels[keep]]


@dataclass(frozen=True)
class _GroupSet:
    """Groups of one layer (or one user-grouped parameter)."""

    name: str
    kind: str
    members: tuple[_Member, ...]
    n_groups: int
    ids: tuple[int, ...]  # the reported id of every group (channel index or user label)

    def norms(self) -> torch.Tensor:
        return torch.sqrt(sum(m.squares(self.n_groups) for m in self.members))

    def sizes(self) -> torch.Tensor:
        return sum(m.sizes(self.n_groups) for m in self.members)


@dataclass(frozen=True)
class ProxResult:
    """Outcome of one proximal step.

    Attributes
    ----------
    n_zero : int
        Groups exactly zero after the step.
    n_groups : int
        Groups in all.
    step_size : float
        The ``η`` used (threshold ``ηλ√|g|``).
    """

    n_zero: int
    n_groups: int
    step_size: float


@dataclass(frozen=True)
class LayerGroups:
    """The groups of one layer in a :class:`GroupReport`.

    Attributes
    ----------
    name : str
        Layer (module) name, or parameter name for user groups.
    kind : str
        ``"output channels"``, ``"neurons"`` or ``"groups"``.
    n_groups : int
        Number of groups.
    removed : tuple of int
        Ids (channel / neuron index, or user label) of the groups that are exactly zero.
    norms : ndarray, shape (n_groups,)
        ``‖w_g‖₂`` of every group.
    """

    name: str
    kind: str
    n_groups: int
    removed: tuple[int, ...]
    norms: np.ndarray = field(repr=False)

    @property
    def n_removed(self) -> int:
        """Number of removed groups."""
        return len(self.removed)

    @property
    def fraction_removed(self) -> float:
        """Removed share of the layer's groups."""
        return self.n_removed / self.n_groups if self.n_groups else 0.0


@dataclass(frozen=True)
class GroupReport(TableView):
    """Which channels and neurons :class:`GroupL2` has removed (norm exactly 0).

    Attributes
    ----------
    layers : tuple of LayerGroups
        One entry per grouped layer.
    lam : float
        The ``λ`` of the penalty.
    """

    layers: tuple[LayerGroups, ...]
    lam: float

    @property
    def n_groups(self) -> int:
        """Groups in all layers."""
        return sum(layer.n_groups for layer in self.layers)

    @property
    def n_removed(self) -> int:
        """Removed groups in all layers."""
        return sum(layer.n_removed for layer in self.layers)

    @property
    def fraction_removed(self) -> float:
        """Removed share of all groups."""
        return self.n_removed / self.n_groups if self.n_groups else 0.0

    def removed(self) -> dict[str, list[int]]:
        """Layer name -> ids of its removed groups."""
        return {layer.name: list(layer.removed) for layer in self.layers}

    def table(self) -> Table:
        """A ``rich`` table: per layer, groups, removed count and the removed ids."""
        table = Table(title=f"GroupL2 (λ = {self.lam:.4g}): removed groups")
        for col, justify in (("layer", "left"), ("groups", "left"), ("removed", "right"),
                             ("share", "right"), ("removed ids", "left")):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for layer in self.layers:
            ids = _compress(layer.removed)
            table.add_row(layer.name, f"{layer.n_groups} {layer.kind}",
                          str(layer.n_removed), f"{100 * layer.fraction_removed:.1f}%", ids)
        table.caption = (f"{self.n_removed} of {self.n_groups} groups removed "
                         f"({100 * self.fraction_removed:.1f}%)")
        return table



class GroupL2:
    """Group L2 penalty ``λ Σ_g √|g| ‖w_g‖₂`` applied by a proximal step after each update.

    Parameters
    ----------
    module : torch.nn.Module
        The model.
    lam : float
        ``λ >= 0``.
    groups : mapping, optional
        User groups: parameter name -> an ``int`` (every slice along that dimension is a
        group) or an integer array of the parameter's shape (equal labels form a group,
        ``-1`` leaves an entry ungrouped). Replaces the automatic layer groups.
    layers : sequence of type, default (Conv1d, Conv2d, Conv3d, Linear)
        Layer types grouped automatically: output channels of convolutions, output neurons
        of linear layers (subclasses included).
    exclude : sequence of str, default ()
        ``fnmatch`` patterns on module names to leave ungrouped; each must match a layer.
    exclude_last : bool, default True
        Leave the model's last ``Linear``/convolution (registration order) ungrouped: its
        units are usually the model's outputs (class logits).
    include_bias : bool, default False
        Put ``bias[c]`` in group ``c`` (then a removed unit outputs exactly zero before the
        activation). By default biases stay unpenalized, as everywhere in ridgeline; a
        removed unit then outputs the constant ``act(bias[c])``, which can be folded into
        the next layer's bias.

    Raises
    ------
    TypeError
        If ``module`` is not a module or a label array is not integer.
    ValueError
        For an invalid ``lam``, a user group naming no parameter, a label array of the wrong
        shape, a dimension out of range, an ``exclude`` pattern matching no layer, or no
        group at all.
    """

    def __init__(
        self,
        module: nn.Module,
        lam: float,
        *,
        groups: Mapping[str, int | torch.Tensor | np.ndarray] | None = None,
        layers: Sequence[type[nn.Module]] = DEFAULT_LAYERS,
        exclude: Sequence[str] = (),
        exclude_last: bool = True,
        include_bias: bool = False,
    ) -> None:
        check_module(module)
        self.lam = check_lambda(lam)
        if groups is not None:
            if exclude:
                raise ValueError("exclude= applies to the automatic layer groups, not to groups=")
            self._sets = _user_sets(module, groups)
        else:
            self._sets = _layer_sets(module, tuple(layers), tuple(exclude), exclude_last,
                                     include_bias)
        if not self._sets:
            raise ValueError(f"no group to penalize in {type(module).__name__}: no layer of "
                             f"types {[t.__name__ for t in layers]} (after exclusions)")
        self._sizes = [s.sizes() for s in self._sets]
        self._handle = None
        self.step_count = 0

    @property
    def layer_names(self) -> tuple[str, ...]:
        """The grouped layers (or parameters)."""
        return tuple(s.name for s in self._sets)

    def penalty(self) -> float:
        """The current value of ``λ Σ_g √|g| ‖w_g‖₂`` (float64, not differentiable)."""
        total = 0.0
        for gset, size in zip(self._sets, self._sizes, strict=True):
            norms = gset.norms()
            total += float((norms * size.to(norms.device).sqrt()).sum())
        return self.lam * total

    def prox(self, step_size: float) -> ProxResult:
        """Apply ``w_g ← max(0, 1 − step_size·λ√|g| / ‖w_g‖) w_g`` to every group, in place.

        Parameters
        ----------
        step_size : float
            ``η > 0``, the learning rate of the step just taken.

        Returns
        -------
        ProxResult
            Groups at exactly zero afterwards.
        """
        eta = check_positive(step_size, "step_size")
        n_zero = self._prox([eta] * len(self._sets))
        return ProxResult(n_zero, sum(s.n_groups for s in self._sets), eta)

    def _prox(self, step_sizes: list[float]) -> int:
        n_zero = 0
        with torch.no_grad():
            for gset, size, eta in zip(self._sets, self._sizes, step_sizes, strict=True):
                norms = gset.norms()
                factor = _shrink_factor(norms, eta * self.lam * size.to(norms.device).sqrt())
                for m in gset.members:
                    m.scale_(factor)
                n_zero += int((factor == 0).sum())
        self.step_count += 1
        return n_zero

    def attach(self, optimizer: torch.optim.Optimizer) -> GroupL2:
        """Run :meth:`prox` after every ``optimizer.step()`` with the step's learning rate.

        The learning rate is that of the parameter group holding each layer's first member.

        Raises
        ------
        TypeError
            If ``optimizer`` is not a ``torch.optim.Optimizer``.
        ValueError
            If a grouped parameter is not optimized by it, or a hook is already attached.
        """
        check_optimizer(optimizer)
        if self._handle is not None:
            raise ValueError("this GroupL2 is already attached; call detach() first")
        self._lr_per_set(optimizer)
        self._handle = optimizer.register_step_post_hook(self._post_hook)
        return self

    def detach(self) -> None:
        """Stop the proximal steps."""
        if self._handle is not None:
            self._handle.remove()
        self._handle = None

    def _post_hook(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        self._prox(self._lr_per_set(optimizer))

    def _lr_per_set(self, optimizer: torch.optim.Optimizer) -> list[float]:
        lr_by_id = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
        out = []
        for gset in self._sets:
            first = gset.members[0]
            if id(first.param) not in lr_by_id:
                raise ValueError(f"the optimizer does not optimize {first.name!r}")
            lr = lr_by_id[id(first.param)]
            out.append(float(lr.item() if isinstance(lr, torch.Tensor) else lr))
        return out

    def norms(self) -> dict[str, np.ndarray]:
        """Layer name -> ``‖w_g‖₂`` of each of its groups."""
        return {s.name: s.norms().cpu().numpy() for s in self._sets}

    def report(self) -> GroupReport:
        """Which groups are exactly zero now (removed channels / neurons)."""
        layers = []
        for gset in self._sets:
            norms = gset.norms().cpu().numpy()
            removed = tuple(gset.ids[i] for i in np.flatnonzero(norms == 0))
            layers.append(LayerGroups(gset.name, gset.kind, gset.n_groups, removed, norms))
        return GroupReport(tuple(layers), self.lam)

    def __repr__(self) -> str:
        n = sum(s.n_groups for s in self._sets)
        return f"GroupL2(lam={self.lam:.4g}, {len(self._sets)} layers, {n} groups)"


def _shrink_factor(norms: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """``max(0, 1 - τ/‖w_g‖)``, exactly 0 where ``‖w_g‖ <= τ`` (including ``‖w_g‖ = 0``)."""
    safe = torch.where(norms > 0, norms, torch.ones_like(norms))
    factor = 1.0 - threshold / safe
    return torch.where(norms > threshold, factor, torch.zeros_like(factor))


def _layer_sets(module: nn.Module, layers: tuple[type[nn.Module], ...], exclude: tuple[str, ...],
                exclude_last: bool, include_bias: bool) -> list[_GroupSet]:
    for t in layers:
        if not (isinstance(t, type) and issubclass(t, nn.Conv1d | nn.Conv2d | nn.Conv3d
                                                   | nn.Linear)):
            raise ValueError(f"layers must be Conv1d/2d/3d or Linear (sub)classes; got {t!r}; "
                             "use groups= for other parameters")
    candidates = [(n, m) for n, m in module.named_modules() if isinstance(m, layers)]
    for pattern in exclude:
        if not any(fnmatch.fnmatchcase(n, pattern) for n, _ in candidates):
            names = ", ".join(n for n, _ in candidates) or "none"
            raise ValueError(f"exclude pattern {pattern!r} matches no grouped layer; "
                             f"the grouped layers are: {names}")
    last = _last_unit_layer(module) if exclude_last else None
    sets = []
    for name, mod in candidates:
        if any(fnmatch.fnmatchcase(name, p) for p in exclude) or mod is last:
            continue
        sets.append(_unit_set(name or type(mod).__name__, mod, include_bias))
    return sets


def _last_unit_layer(module: nn.Module) -> nn.Module | None:
    units = [m for m in module.modules() if isinstance(m, DEFAULT_LAYERS)]
    return units[-1] if units else None


def _unit_set(name: str, mod: nn.Module, include_bias: bool) -> _GroupSet:
    weight = mod.weight
    n_out = weight.shape[0]
    members = [_Member(f"{name}.weight", weight, dim=0)]
    if include_bias and getattr(mod, "bias", None) is not None:
        members.append(_Member(f"{name}.bias", mod.bias, dim=0))
    kind = "neurons" if isinstance(mod, nn.Linear) else "output channels"
    return _GroupSet(name, kind, tuple(members), n_out, tuple(range(n_out)))


def _user_sets(module: nn.Module,
               groups: Mapping[str, int | torch.Tensor | np.ndarray]) -> list[_GroupSet]:
    if not isinstance(groups, Mapping):
        raise TypeError(f"groups must be a mapping name -> dim or labels; got "
                        f"{type(groups).__name__}")
    params = dict(module.named_parameters())
    sets = []
    for name, spec in groups.items():
        if name not in params:
            shown = ", ".join(list(params)[:12])
            raise ValueError(f"groups names no parameter {name!r}; the parameters are: {shown}")
        sets.append(_user_set(name, params[name], spec))
    return sets


def _user_set(name: str, param: torch.Tensor, spec: int | torch.Tensor | np.ndarray) -> _GroupSet:
    if isinstance(spec, int) and not isinstance(spec, bool):
        if not -param.ndim <= spec < param.ndim:
            raise ValueError(f"groups[{name!r}] = {spec} is not a dimension of the parameter "
                             f"(shape {tuple(param.shape)})")
        dim = spec % param.ndim
        n = param.shape[dim]
        return _GroupSet(name, "groups", (_Member(name, param, dim=dim),), n, tuple(range(n)))
    labels = _labels(name, param, spec)
    keep = labels >= 0
    ids, codes = torch.unique(labels[keep], return_inverse=True)
    if ids.numel() == 0:
        raise ValueError(f"groups[{name!r}] puts no entry in a group (all labels are -1)")
    flat = torch.full_like(labels, -1)
    flat[keep] = codes
    member = _Member(name, param, labels=flat.to(param.device))
    return _GroupSet(name, "groups", (member,), int(ids.numel()), tuple(ids.tolist()))


def _labels(name: str, param: torch.Tensor, spec: object) -> torch.Tensor:
    arr = spec.detach().cpu() if isinstance(spec, torch.Tensor) else torch.as_tensor(
        np.asarray(spec))
    if arr.is_floating_point() or arr.is_complex() or arr.dtype == torch.bool:
        raise TypeError(f"groups[{name!r}] must be an int (a dimension) or an integer label "
                        f"array; got dtype {arr.dtype}")
    if tuple(arr.shape) != tuple(param.shape):
        raise ValueError(f"groups[{name!r}] has shape {tuple(arr.shape)} but the parameter has "
                         f"shape {tuple(param.shape)}; labels need one entry per weight")
    flat = arr.reshape(-1).to(torch.long)
    if (flat < -1).any():
        raise ValueError(f"groups[{name!r}] labels must be >= 0 (or -1 for no group)")
    return flat


def _compress(ids: tuple[int, ...], limit: int = 24) -> str:
    """``0-3, 7, 9-10`` style list, truncated after ``limit`` ids."""
    if not ids:
        return "—"
    shown = sorted(ids)[:limit]
    runs: list[str] = []
    start = prev = shown[0]
    for i in [*shown[1:], math.inf]:
        if i != prev + 1:
            runs.append(str(start) if start == prev else f"{start}-{prev}")
            start = i
        prev = i
    more = f", … (+{len(ids) - limit})" if len(ids) > limit else ""
    return ", ".join(runs) + more
