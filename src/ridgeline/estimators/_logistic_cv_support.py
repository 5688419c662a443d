"""``LogisticRegressionCV``'s scikit-learn plumbing: metadata routing, ``score`` with the
``scoring`` rule, the legacy attribute layout, and the selections from one full-data path
(``method="alo"`` and ``"evidence"``).

Metadata routing (``sklearn.set_config(enable_metadata_routing=True)``) is scikit-learn's: the
splitter gets what its ``split`` requests (``groups``), the scorer what its ``score`` requests
(``sample_weight`` only when the scorer asked for it with ``set_score_request``). Without
routing, extra keyword arguments are refused and the sample weights go to the scorer, as
scikit-learn does.
"""

from __future__ import annotations

import numpy as np
from sklearn import get_config
from sklearn.metrics import get_scorer
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import check_is_fitted

from ridgeline.estimators._glm import warn_convergence
from ridgeline.estimators.logistic import centered_classes
from ridgeline.selection.glm_alo import alo_glm
from ridgeline.selection.glm_evidence import evidence_glm
from ridgeline.solvers.glm_fit import NEWTON_MAX_DIM, choose_solver


def routing_enabled() -> bool:
    return bool(get_config().get("enable_metadata_routing", False))


def refuse_params(est, method: str, params: dict) -> None:
    """Extra keyword arguments need metadata routing (scikit-learn's ValueError)."""
    if params and not routing_enabled():
        raise ValueError(f"Passing extra keyword arguments to {type(est).__name__}.{method} "
                         "is only supported if enable_metadata_routing=True, which you can "
                         "set using `sklearn.set_config`. Extra parameters passed are: "
                         f"{set(params)}")


def sk_scorer(scoring):
    """The scikit-learn scorer of ``scoring`` (None, and scikit-learn 1.9's "warn": accuracy)."""
    if scoring is None or (isinstance(scoring, str) and scoring == "warn"):
        return get_scorer("accuracy")
    return get_scorer(scoring)


def metadata_router(est) -> MetadataRouter:
    """Routing of ``fit`` (to the splitter's ``split`` and the scorer's ``score``) and of
    ``score`` (to the scorer's ``score``)."""
    return (MetadataRouter(owner=est)
            .add_self_request(est)
            .add(splitter=est.cv,
                 method_mapping=MethodMapping().add(caller="fit", callee="split"))
            .add(scorer=sk_scorer(est.scoring),
                 method_mapping=MethodMapping().add(caller="score", callee="score")
                 .add(caller="fit", callee="score")))


def fit_routing(est, sample_weight, params: dict) -> tuple[dict, bool]:
    """``(splitter's split params, whether the scorer gets the sample weights)``."""
    refuse_params(est, "fit", params)
    if not routing_enabled():
        return {}, True
    routed = process_routing(est, "fit", sample_weight=sample_weight, **params)
    return dict(routed.splitter.split), "sample_weight" in routed.scorer.score


def score(est, X, y, sample_weight, score_params: dict) -> float:
    """``scoring``'s score of the fitted ``est`` on ``(X, y)``."""
    refuse_params(est, "score", score_params)
    check_is_fitted(est)
    params = dict(score_params)
    if sample_weight is not None:
        params["sample_weight"] = sample_weight
    if routing_enabled():
        params = dict(process_routing(est, "score", **params).scorer.score)
    return sk_scorer(est.scoring)(est, X, y, **params)


def legacy_layout(est, given: bool) -> None:
    """scikit-learn's older attribute layout (dicts keyed by class; the l1-ratio axis is
    kept when ``l1_ratios`` was ``given``, as scikit-learn does)."""
    keys = est.classes_[1:] if est.classes_.size == 2 else est.classes_
    n_cls = len(keys)
    scores = est.scores_.transpose(0, 2, 1)  # (F, L, R)
    paths = est.coefs_paths_.transpose(0, 2, 3, 1, 4)  # (F, L, m, R, d)
    est.scores_ = {k: scores if given else scores[:, :, 0] for k in keys}
    cols = [0] if est.classes_.size == 2 else range(n_cls)
    est.coefs_paths_ = {k: paths[:, :, i] if given else paths[:, :, i, 0]
                        for k, i in zip(keys, cols, strict=True)}
    est.C_ = np.full(n_cls, est.C_)
    est.l1_ratio_ = np.full(n_cls, est.l1_ratio_)
    n_iter = est.n_iter_.transpose(0, 2, 1)[None]  # (1, F, L, R)
    est.n_iter_ = n_iter if given else n_iter[..., 0]


def check_evidence_params(est) -> None:
    """``method="evidence"`` ranks C by the Laplace evidence: refuse a ``scoring`` other than
    the default (or None: no scorer asked for) and ``rule="1se"`` (the evidence has no
    standard error)."""
    if est.method != "evidence":
        return
    if not (est.scoring is None or (isinstance(est.scoring, str)
                                    and est.scoring == "neg_log_loss")):
        raise ValueError(f"method='evidence' ranks C by the Laplace evidence, not by a score: "
                         f"scoring={est.scoring!r} does not apply (leave it at its default "
                         "'neg_log_loss', or use method='kfold' or 'alo')")
    if est.rule != "min":
        raise ValueError("method='evidence' has no standard error for rule='1se': use "
                         "rule='min'")


def fit_full_data(est, problem, labels, lambdas, Cs, scorer, dtype) -> None:
    """``method="alo"`` or ``"evidence"``: one warm-started Newton path on all the data scores
    every C; the model at the chosen C is taken from the path (no refit)."""
    name = choose_solver(problem, est.solver)
    if name != "newton":
        d = problem.n_features * problem.n_outputs
        why = (f"solver={est.solver!r} was asked for" if est.solver != "auto" else
               f"the Hessian would have {d} rows, above the limit of "
               f"{NEWTON_MAX_DIM['in_memory']}")
        raise ValueError(f"method={est.method!r} needs the Newton solver's Hessian ({why}): "
                         "use method='kfold'")
    if est.method == "evidence":
        sel = evidence_glm(problem, lambdas, Cs, tol=est.tol, max_iter=est.max_iter,
                           warn_stacklevel=5)
    else:
        sel = alo_glm(problem, labels, lambdas, Cs, scorer, classes=est.classes_, tol=est.tol,
                      max_iter=est.max_iter, rule=est.rule, warn_stacklevel=5)
    path, res = sel.path, sel.result
    warn_convergence(path, est.tol, est.max_iter, "LogisticRegressionCV", stacklevel=5)
    idx = int(res.index_)
    coefs, inters = centered_classes(path.coef, path.intercept)
    est._store(coefs[idx, 0], inters[idx, 0], dtype)
    est.C_, est.lambda_ = float(Cs[idx]), float(lambdas[idx])
    est.solver_, est.cv_result_ = "newton", res
    est.scores_ = res.mean_score[None, None, :]
    est.n_iter_ = path.n_iter.T[:, None, :]
    est.coefs_paths_ = est._paths(coefs.transpose(1, 0, 2, 3), inters.transpose(1, 0, 2))
