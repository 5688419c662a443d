"""scikit-learn (≥ 1.9) fit callbacks for ``LogisticRegression`` (``sklearn.callback``).

scikit-learn reports an L-BFGS fit to its callbacks as a root task ("fit") with one subtask
per iteration and a closing empty one; each subtask's ``on_fit_task_begin`` and
``on_fit_task_end`` may ask for a ``fitted_estimator``, the model as it stood at that moment.
ridgeline's solvers have no per-iteration hook, so the subtasks are reported once the solver
has run, and the model after ``i`` iterations is recomputed — a fit with ``max_iter=i``, the
same iterations cut short — only when a callback asks for it (scikit-learn's
``reconstruction_attributes`` may be given lazily). With scikit-learn < 1.9 there is no
``sklearn.callback``: :class:`CallbackSupportMixin` then adds nothing.
"""

from __future__ import annotations

import warnings

from sklearn.base import clone

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # pragma: no cover - older scikit-learn: no callbacks
    class CallbackSupportMixin:
        """Nothing to add: this scikit-learn has no callbacks."""

    def with_callbacks(method):
        return method


def _iterate(est, X, y, sample_weight, n_iter: int):
    """``coef_`` and ``intercept_`` after ``n_iter`` iterations (a fit cut short there)."""
    model = clone(est).set_params(max_iter=n_iter)
    model.__dict__.pop("_skl_callbacks", None)  # clone keeps them: this fit reports nothing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y, sample_weight=sample_weight)
    return {"coef_": model.coef_, "intercept_": model.intercept_}


@with_callbacks
def _run(est, X, y, sample_weight, fit):
    ctx = est._init_callback_context(max_subtasks=max(est.max_iter, 1) + 1)
    meta = None if sample_weight is None else {"sample_weight": sample_weight}
    ctx.call_on_fit_task_begin(estimator=est, X=X, y=y, metadata=meta)
    fit()
    n_iter = int(est.n_iter_[0])

    def state(i):
        return lambda: _iterate(est, X, y, sample_weight, i)

    for i in range(max(n_iter, 1)):
        sub = ctx.subcontext(task_name="lbfgs-iter")
        sub.call_on_fit_task_begin(estimator=est, X=X, y=y, metadata=meta,
                                   reconstruction_attributes=state(i))
        sub.call_on_fit_task_end(estimator=est, X=X, y=y, metadata=meta,
                                 reconstruction_attributes=state(min(i + 1, n_iter)))
    last = ctx.subcontext(task_name="lbfgs-iter")
    last.call_on_fit_task_begin(estimator=est, X=X, y=y, metadata=meta,
                                reconstruction_attributes=state(n_iter))
    last.call_on_fit_task_end(estimator=est)
    ctx.call_on_fit_task_end(estimator=est, X=X, y=y, metadata=meta,
                             reconstruction_attributes={})
    return est


def callback_fit(est, X, y, sample_weight, fit):
    """Run ``fit()`` (which fits ``est``) inside scikit-learn's callback tasks; returns est."""
    return _run(est, X, y, sample_weight, fit)
