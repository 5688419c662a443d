"""Parameters of the logistic estimators as scikit-learn 1.9 reads them, with its warnings.

scikit-learn 1.8 deprecated ``penalty`` (to be removed in 1.10): ``l1_ratio`` and ``C`` say the
same thing. ridgeline accepts the old spelling the same way — ``penalty='l1'`` is
``l1_ratio=1``, ``'l2'`` is ``l1_ratio=0``, ``'elasticnet'`` takes ``l1_ratio`` as given and
``None`` is ``C=np.inf`` — and emits the warnings scikit-learn emits for it, so that code moving
between the two libraries sees the same messages.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ridgeline.estimators._glm import check_C, check_l1_ratio

#: the values of the deprecated ``penalty``
PENALTIES = ("l1", "l2", "elasticnet", None)


def _penalty_deprecated(cv: bool, stacklevel: int) -> None:
    ratio, cs = ("l1_ratios", "Cs") if cv else ("l1_ratio", "C")
    inf = "Cs=(np.inf,)" if cv else "C=np.inf"
    warnings.warn(
        f"'penalty' was deprecated in version 1.8 and will be removed in 1.10 (as in "
        f"scikit-learn). To avoid this warning, leave 'penalty' set to its default value and "
        f"use '{ratio}' or '{cs}' instead: {ratio}=0 for penalty='l2', {ratio}=1 for "
        f"penalty='l1', a value in (0, 1) for penalty='elasticnet' and {inf} for "
        "penalty=None.", FutureWarning, stacklevel=stacklevel)


def check_penalty_value(penalty) -> None:
    """``penalty`` is ``"deprecated"`` (the default) or one of :data:`PENALTIES`."""
    if penalty == "deprecated" or penalty in PENALTIES:
        return
    raise ValueError(f"penalty must be one of {PENALTIES} (deprecated: use l1_ratio and C), "
                     f"got {penalty!r}")


def logistic_penalty(est, stacklevel: int = 4) -> tuple[float, float]:
    """``(C, l1_ratio)`` of a ``LogisticRegression``, from ``C``, ``l1_ratio`` and the
    deprecated ``penalty``, with scikit-learn 1.9's warnings.

    ``penalty=None`` means no penalty (``C = inf``; a ``C`` other than the default 1.0 is then
    ignored with a UserWarning); ``'l1'``/``'l2'`` fix the ratio to 1/0 (an ``l1_ratio`` that
    says otherwise draws a UserWarning); ``'elasticnet'`` needs ``l1_ratio``.
    ``l1_ratio=None`` means 0 (deprecated, FutureWarning).
    """
    penalty, l1 = est.penalty, est.l1_ratio
    check_penalty_value(penalty)
    C = check_C(est.C)
    if penalty == "deprecated":
        if l1 is None:
            warnings.warn("'l1_ratio=None' was deprecated in version 1.8 and will trigger an "
                          "error in 1.10 (as in scikit-learn). Use 0 <= l1_ratio <= 1 instead.",
                          FutureWarning, stacklevel=stacklevel)
        return C, float(check_l1_ratio(l1)[0])
    _penalty_deprecated(False, stacklevel + 1)
    if l1 is not None:
        check_l1_ratio(l1)
    if penalty != "elasticnet" and l1 is not None and 0 < l1 < 1:
        warnings.warn("l1_ratio parameter is only used when penalty is 'elasticnet'. Got "
                      f"(penalty={penalty})", UserWarning, stacklevel=stacklevel)
    if (penalty == "l2" and l1 != 0) or (penalty == "l1" and l1 != 1):
        warnings.warn(f"Inconsistent values: penalty={penalty} with l1_ratio={l1}. penalty is "
                      "deprecated. Please use l1_ratio only.", UserWarning,
                      stacklevel=stacklevel)
    if penalty is None:
        if est.C != 1.0:
            warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters",
                          UserWarning, stacklevel=stacklevel)
        return np.inf, 0.0
    if penalty == "elasticnet":
        if l1 is None:
            raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
        return C, float(l1)
    return C, 1.0 if penalty == "l1" else 0.0


def warn_n_jobs(n_jobs, stacklevel: int = 4) -> None:
    """``LogisticRegression(n_jobs=...)`` has no effect (scikit-learn's FutureWarning)."""
    if n_jobs is not None:
        warnings.warn("'n_jobs' has no effect since 1.8 and will be removed in 1.10 (as in "
                      f"scikit-learn). You provided 'n_jobs={n_jobs}', please leave it "
                      "unspecified.", FutureWarning, stacklevel=stacklevel)


def check_max_iter(max_iter, allow_zero: bool = True) -> int:
    """A non-negative int (0: return the starting model, as scikit-learn does)."""
    low = 0 if allow_zero else 1
    if not isinstance(max_iter, numbers.Integral) or isinstance(max_iter, bool) or \
            max_iter < low:
        what = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"max_iter must be {what} integer, got {max_iter!r}")
    return int(max_iter)


#: LogisticRegressionCV's default ``l1_ratios``: None, the L2 penalty, with no warning (a
#: deliberate difference from scikit-learn 1.9, whose default ``"warn"`` means the same with a
#: FutureWarning and whose None is deprecated; its 1.10 default ``(0.0,)`` is the same fit)
DEFAULT_L1_RATIOS = None


def cv_l1_ratios(est, stacklevel: int = 4) -> tuple[np.ndarray, bool]:
    """``(l1 ratios, given)`` of a ``LogisticRegressionCV``, from ``l1_ratios`` and the
    deprecated ``penalty``, with scikit-learn 1.9's warnings; ``given`` is whether the ratios
    were set (the legacy attribute layout then keeps an l1-ratio axis).

    The default None and scikit-learn 1.9's default ``"warn"`` mean the L2 penalty, ``[0]``,
    with no l1-ratio axis in the legacy attributes; only ``"warn"`` warns, as scikit-learn 1.9
    does (``(0.0,)``, its 1.10 default, is the same fit with an l1-ratio axis).
    """
    check_penalty_value(est.penalty)
    l1 = est.l1_ratios
    warn = isinstance(l1, str) and l1 == "warn"
    default = warn or l1 is None
    if warn:
        warnings.warn("The default value for l1_ratios will change from None to (0.0,) in "
                      "version 1.10 (as in scikit-learn). From version 1.10 onwards, only "
                      "array-like with values in [0, 1] will be allowed, None will be "
                      "forbidden. To avoid this warning, explicitly set a value, e.g. "
                      "l1_ratios=(0,).", FutureWarning, stacklevel=stacklevel)
    given = not (default or l1 is None)
    ratios = check_l1_ratio(l1, "l1_ratios") if given else np.array([0.0])
    if est.penalty == "deprecated":
        return ratios, given
    _penalty_deprecated(True, stacklevel + 1)
    if est.penalty != "elasticnet" and given:
        warnings.warn("l1_ratios parameter is only used when penalty is 'elasticnet'. Got "
                      f"(penalty={est.penalty})", UserWarning, stacklevel=stacklevel)
    if est.penalty == "elasticnet":
        if not given:
            raise ValueError("l1_ratios must be an array-like of numbers between 0 and 1; "
                             f"got (l1_ratios={l1!r})")
        return ratios, given
    if est.penalty is None:
        raise ValueError("penalty=None is not available for LogisticRegressionCV: there is "
                         "no C to choose (use LogisticRegression(C=np.inf))")
    return np.array([1.0 if est.penalty == "l1" else 0.0]), given


def cv_scoring(scoring):
    """``scoring`` of a ``LogisticRegressionCV``, resolved for its fit: the default
    ``"neg_log_loss"`` (a proper scoring rule: it ranks C by the predicted probabilities, where
    accuracy is flat on imbalanced classes) is kept, and ``None`` is ``"accuracy"``, as
    scikit-learn reads None. scikit-learn 1.9's default ``"warn"`` (accuracy with a
    FutureWarning) is not ridgeline's: it is refused with a ValueError."""
    if scoring is None:
        return "accuracy"
    if isinstance(scoring, str) and scoring == "warn":
        raise ValueError("scoring='warn' is scikit-learn 1.9's placeholder for its default; "
                         "ridgeline's default is scoring='neg_log_loss' (use "
                         "scoring='accuracy' or None for accuracy)")
    return scoring
