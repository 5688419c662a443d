"""Which parameters are decayed: biases, normalization layers and embeddings are not.

The canonical objective (``shared/DESIGN.md``) penalizes weights and never the intercept. In a
network the analogues of the intercept are the biases, and the affine parameters of
normalization layers (a scale and a shift per channel, which re-introduce exactly the freedom
the normalization removed); embeddings are lookup tables whose rows are updated only when their
token occurs, so a uniform decay pulls rare rows to zero. All three are excluded by default.
:func:`decay_mask` makes the split explicit and printable, :func:`param_groups` turns it into
the parameter groups every ``torch.optim`` optimizer accepts.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from rich.table import Table
from torch import nn

from ridgeline.nn._checks import check_lambda, check_module
from ridgeline.nn._display import TableView

__all__ = ["DEFAULT_NO_DECAY_TYPES", "DecayMask", "decay_mask", "decayed_named", "param_groups"]

DEFAULT_NO_DECAY_TYPES: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase,  # BatchNorm*, SyncBatchNorm, InstanceNorm*, lazy variants
    nn.LayerNorm,
    nn.GroupNorm,
    nn.RMSNorm,
    nn.LocalResponseNorm,
    nn.Embedding,
    nn.EmbeddingBag,
)
"""Module types whose parameters are not decayed by default."""

Rule = str | type[nn.Module]


@dataclass(frozen=True)
class DecayMask(TableView):
    """The split of a module's parameters into decayed and excluded ones.

    Attributes
    ----------
    decay : tuple of str
        Qualified names (``module.named_parameters()`` order) of the decayed parameters.
    no_decay : tuple of str
        Names of the excluded parameters.
    reasons : Mapping[str, str]
        Why each parameter is where it is (``"weight"``, ``"bias"``, ``"normalization
        (LayerNorm)"``, ``"pattern '*.pos'"``...), for every parameter.
    parameters : Mapping[str, torch.nn.Parameter]
        Every parameter by name (shared parameters appear once, under their first name).
    module_type : str
        Class name of the module the mask was built from.
    """

    decay: tuple[str, ...]
    no_decay: tuple[str, ...]
    reasons: Mapping[str, str] = field(repr=False)
    parameters: Mapping[str, nn.Parameter] = field(repr=False)
    module_type: str = "Module"

    def decayed_parameters(self) -> list[nn.Parameter]:
        """The decayed parameters, in module order."""
        return [self.parameters[n] for n in self.decay]

    def excluded_parameters(self) -> list[nn.Parameter]:
        """The parameters left undecayed, in module order."""
        return [self.parameters[n] for n in self.no_decay]

    def is_decayed(self, name: str) -> bool:
        """Whether the parameter called ``name`` is decayed (KeyError for unknown names)."""
        if name not in self.parameters:
            raise KeyError(f"no parameter named {name!r}")
        return name in self.decay

    @property
    def numel_decayed(self) -> int:
        """Number of decayed scalar weights."""
        return sum(self.parameters[n].numel() for n in self.decay)

    @property
    def numel_excluded(self) -> int:
        """Number of undecayed scalar weights."""
        return sum(self.parameters[n].numel() for n in self.no_decay)

    def table(self) -> Table:
        """A ``rich`` table: one row per parameter with its shape, size and reason."""
        total = max(self.numel_decayed + self.numel_excluded, 1)
        table = Table(title=f"weight decay mask: {self.module_type}")
        for col, justify in (("parameter", "left"), ("shape", "left"), ("numel", "right"),
                             ("decayed", "center"), ("reason", "left")):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for name, param in self.parameters.items():
            decayed = name in self.decay
            table.add_row(name, str(tuple(param.shape)), f"{param.numel():,}",
                          "yes" if decayed else "no", self.reasons[name])
        table.caption = (
            f"decayed: {len(self.decay)} tensors, {self.numel_decayed:,} weights "
            f"({100 * self.numel_decayed / total:.1f}%)\nexcluded: {len(self.no_decay)} "
            f"tensors, {self.numel_excluded:,} weights"
        )
        return table



def decay_mask(
    module: nn.Module,
    *,
    no_decay: Sequence[Rule] = (),
    decay: Sequence[Rule] = (),
    no_decay_types: Sequence[type[nn.Module]] | None = None,
    exclude_bias: bool = True,
) -> DecayMask:
    """Split ``module``'s parameters into decayed weights and excluded ones.

    A parameter is excluded when its name ends in ``bias`` (with ``exclude_bias``), when the
    module that owns it is an instance of one of ``no_decay_types`` (default
    :data:`DEFAULT_NO_DECAY_TYPES`: normalization layers and embeddings), or when it matches
    a ``no_decay`` rule; a ``decay`` rule overrides all of these.

    Parameters
    ----------
    module : torch.nn.Module
        The model.
    no_decay : sequence of str or type, default ()
        Extra exclusions: ``fnmatch`` patterns on qualified parameter names (``"head.*"``,
        ``"*.pos_embed"``) or module types (``nn.PReLU``).
    decay : sequence of str or type, default ()
        Rules of the same kind whose parameters are decayed whatever the other rules say.
    no_decay_types : sequence of type, optional
        Replaces :data:`DEFAULT_NO_DECAY_TYPES` (``()`` to exclude no type).
    exclude_bias : bool, default True
        Exclude every parameter whose name ends in ``bias``.

    Returns
    -------
    DecayMask
        The split, with a printable summary (``print(mask)``).

    Raises
    ------
    TypeError
        If ``module`` is not a ``torch.nn.Module`` or a rule is neither a string nor a module
        type.
    ValueError
        If the module has no parameters, or a ``no_decay`` / ``decay`` rule matches no
        parameter (a typo would otherwise silently decay everything).
    """
    check_module(module)
    params = dict(module.named_parameters())
    if not params:
        raise ValueError(f"{type(module).__name__} has no parameters to decay")
    owners = _owners(module)
    types = tuple(DEFAULT_NO_DECAY_TYPES if no_decay_types is None else no_decay_types)
    _check_types(types, "no_decay_types")
    forced = _match_rules(decay, params, owners, "decay")
    excluded = _match_rules(no_decay, params, owners, "no_decay")
    reasons: dict[str, str] = {}
    for name in params:
        owner = owners[name]
        if name in forced:
            reasons[name] = f"decay rule {forced[name]}"
        elif name in excluded:
            reasons[name] = f"no_decay rule {excluded[name]}"
        elif types and isinstance(owner, types):
            reasons[name] = _type_reason(owner)
        elif exclude_bias and name.rsplit(".", 1)[-1].endswith("bias"):
            reasons[name] = "bias"
        else:
            reasons[name] = "weight"
    decayed = tuple(n for n in params if reasons[n] == "weight" or n in forced)
    kept = tuple(n for n in params if not (reasons[n] == "weight" or n in forced))
    return DecayMask(decayed, kept, MappingProxyType(reasons), MappingProxyType(params),
                     type(module).__name__)


def param_groups(
    module: nn.Module | DecayMask,
    weight_decay: float,
    *,
    no_decay: Sequence[Rule] = (),
    decay: Sequence[Rule] = (),
    no_decay_types: Sequence[type[nn.Module]] | None = None,
    exclude_bias: bool = True,
    verbose: bool = False,
) -> list[dict[str, Any]]:
    """Parameter groups for any ``torch.optim`` optimizer: decay on weights only.

    Parameters
    ----------
    module : torch.nn.Module or DecayMask
        The model (split with :func:`decay_mask` and the keyword rules) or a ready mask.
    weight_decay : float
        The optimizer's own ``weight_decay`` for the decayed group, ``>= 0``. For
        ``SGD``/``Adam`` (coupled) that is ``2λ``
        (:func:`ridgeline.conventions.torch_weight_decay`); for ``AdamW`` see
        :func:`ridgeline.conventions.adamw_weight_decay`.
    no_decay, decay, no_decay_types, exclude_bias
        As in :func:`decay_mask` (only with a module).
    verbose : bool, default False
        Print the mask's table (what is decayed and why).

    Returns
    -------
    list of dict
        ``[{"params", "param_names", "weight_decay": weight_decay}, {"params", "param_names",
        "weight_decay": 0.0}]``, empty groups left out. Pass it as the optimizer's first
        argument: ``torch.optim.SGD(param_groups(model, 2 * lam), lr=0.1)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`decay_mask`; ``ValueError`` for a NaN, negative or infinite
        ``weight_decay``.
    """
    wd = check_lambda(weight_decay, "weight_decay")
    mask = _as_mask(module, no_decay=no_decay, decay=decay, no_decay_types=no_decay_types,
                    exclude_bias=exclude_bias)
    if verbose:
        mask.print()
    groups = []
    for names, value in ((mask.decay, wd), (mask.no_decay, 0.0)):
        if names:
            groups.append({"params": [mask.parameters[n] for n in names],
                           "param_names": list(names), "weight_decay": value})
    return groups


def decayed_named(
    target: nn.Module | DecayMask | Iterable[nn.Parameter],
) -> list[tuple[str, nn.Parameter]]:
    """``(name, parameter)`` pairs to decay: a module's default mask, a mask, or all given.

    Parameters
    ----------
    target : torch.nn.Module, DecayMask or iterable of tensors
        A module is split with :func:`decay_mask` defaults; an iterable is taken as is (its
        tensors are named ``"params[i]"``).

    Returns
    -------
    list of (str, torch.nn.Parameter)

    Raises
    ------
    TypeError
        For anything else, or an iterable holding non-tensors.
    ValueError
        If nothing would be decayed.
    """
    if isinstance(target, torch.Tensor):
        named = [("params[0]", target)]
    elif isinstance(target, DecayMask):
        named = [(n, target.parameters[n]) for n in target.decay]
    elif isinstance(target, nn.Module):
        mask = decay_mask(target)
        named = [(n, mask.parameters[n]) for n in mask.decay]
    elif isinstance(target, Iterable) and not isinstance(target, str | bytes | Mapping):
        named = [(f"params[{i}]", p) for i, p in enumerate(target)]
        bad = [type(p).__name__ for _, p in named if not isinstance(p, torch.Tensor)]
        if bad:
            raise TypeError(f"expected tensors in the parameter list; got {bad[0]}")
    else:
        raise TypeError("expected a torch.nn.Module, a DecayMask or an iterable of parameters; "
                        f"got {type(target).__name__}")
    if not named:
        raise ValueError("no parameter to decay: the mask excludes every parameter")
    return named


def _as_mask(module: nn.Module | DecayMask, **rules: Any) -> DecayMask:
    if isinstance(module, DecayMask):
        if any(rules[k] for k in ("no_decay", "decay")) or rules["no_decay_types"] is not None:
            raise ValueError("pass the no_decay/decay rules to decay_mask(), not with a mask")
        return module
    return decay_mask(check_module(module), **rules)


def _type_reason(owner: nn.Module) -> str:
    if isinstance(owner, nn.Embedding | nn.EmbeddingBag):
        kind = "embedding"
    elif isinstance(owner, DEFAULT_NO_DECAY_TYPES):
        kind = "normalization"
    else:
        kind = "no_decay type"
    return f"{kind} ({type(owner).__name__})"


def _owners(module: nn.Module) -> dict[str, nn.Module]:
    """Qualified parameter name -> the module that registered it (first name if shared)."""
    seen: set[int] = set()
    owners: dict[str, nn.Module] = {}
    for mod_name, mod in module.named_modules():
        for p_name, param in mod.named_parameters(recurse=False):
            if id(param) in seen:
                continue
            seen.add(id(param))
            owners[f"{mod_name}.{p_name}" if mod_name else p_name] = mod
    return owners


def _check_types(types: Iterable[object], role: str) -> None:
    for t in types:
        if not (isinstance(t, type) and issubclass(t, nn.Module)):
            raise TypeError(f"{role} must contain torch.nn.Module subclasses; got {t!r}")


def _match_rules(rules: Sequence[Rule], params: Mapping[str, nn.Parameter],
                 owners: Mapping[str, nn.Module], role: str) -> dict[str, str]:
    """Parameter name -> description of the first rule matching it; every rule must match."""
    if isinstance(rules, str | type):
        rules = (rules,)
    matched: dict[str, str] = {}
    for rule in rules:
        hits = list(_hits(rule, params, owners, role))
        if not hits:
            raise ValueError(_no_match_message(rule, params, role))
        for name in hits:
            matched.setdefault(name, _describe(rule))
    return matched


def _hits(rule: Rule, params: Mapping[str, nn.Parameter], owners: Mapping[str, nn.Module],
          role: str) -> Iterator[str]:
    if isinstance(rule, str):
        return (n for n in params if fnmatch.fnmatchcase(n, rule))
    _check_types((rule,), role)
    return (n for n in params if isinstance(owners[n], rule))


def _describe(rule: Rule) -> str:
    return f"'{rule}'" if isinstance(rule, str) else rule.__name__


def _no_match_message(rule: Rule, params: Mapping[str, nn.Parameter], role: str) -> str:
    names = list(params)
    shown = ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12 else "")
    what = f"pattern {rule!r}" if isinstance(rule, str) else f"type {rule.__name__}"
    return f"{role} {what} matches no parameter; the parameters are: {shown}"
