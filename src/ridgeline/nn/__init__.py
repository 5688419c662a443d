"""Weight decay for PyTorch networks, in ridgeline's canonical convention (``ridgeline[torch]``).

The canonical objective is ``mean loss + λ Σ w²`` over the decayed weights; biases,
normalization layers and embeddings are not decayed by default. ``2λ`` is PyTorch's coupled
``weight_decay`` (``SGD``/``Adam``); :mod:`ridgeline.conventions` converts to ``AdamW``'s given
the learning rate.

* :func:`l2_penalty` — ``λ Σ w²`` as a tensor to add to the loss.
* :func:`decay_mask`, :func:`param_groups` — what is decayed (printable), and optimizer groups.
* :class:`WeightDecay` — a coupled or decoupled decay step attached to any optimizer, with a
  schedule (:class:`TorchSchedule` reuses torch's LR schedulers).
* :class:`GroupL2` — ``λ Σ_g √|g| ‖w_g‖₂`` over channels/neurons by a proximal step; groups
  become exactly zero and :meth:`GroupL2.report` lists them.
* :class:`HypergradientLambda`, :class:`GapLambda` — controllers that adapt λ during training.
* :func:`compare_weight_decay` — a constant-λ grid against the controllers, same budget.

This subpackage is imported only on request (``import ridgeline.nn``); ``import ridgeline``
never imports torch.
"""

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "ridgeline.nn needs PyTorch, which is not installed; install it with "
        "pip install 'ridgeline[torch]'"
    ) from exc

from ridgeline.nn.compare import (
    RunResult,
    Trial,
    TrialOutcome,
    WeightDecayComparison,
    compare_weight_decay,
)
from ridgeline.nn.controller import ControllerHistory, LambdaController
from ridgeline.nn.decay import WeightDecay
from ridgeline.nn.gap import GapLambda
from ridgeline.nn.group import GroupL2, GroupReport, LayerGroups, ProxResult
from ridgeline.nn.hypergradient import HypergradientLambda
from ridgeline.nn.masks import DEFAULT_NO_DECAY_TYPES, DecayMask, decay_mask, param_groups
from ridgeline.nn.penalty import l2_penalty
from ridgeline.nn.schedule import TorchSchedule
from ridgeline.nn.trajectory import LambdaTrajectory

__all__ = [
    "DEFAULT_NO_DECAY_TYPES",
    "ControllerHistory",
    "DecayMask",
    "GapLambda",
    "GroupL2",
    "GroupReport",
    "HypergradientLambda",
    "LambdaController",
    "LambdaTrajectory",
    "LayerGroups",
    "ProxResult",
    "RunResult",
    "TorchSchedule",
    "Trial",
    "TrialOutcome",
    "WeightDecay",
    "WeightDecayComparison",
    "compare_weight_decay",
    "decay_mask",
    "l2_penalty",
    "param_groups",
]
