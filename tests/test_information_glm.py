"""Information criteria of the log-link regressors (diagnostics/_information_glm.py)."""

import numpy as np
import pytest
from scipy import stats

from ridgeline import (
    GammaRegressor,
    GammaRegressorCV,
    PoissonRegressor,
    PoissonRegressorCV,
    Ridge,
    TweedieRegressor,
)
from ridgeline.diagnostics import information_criteria
from ridgeline.diagnostics._information_glm import gamma_shape

RNG = np.random.default_rng(7)
X = RNG.normal(size=(300, 4))
MU = np.exp(0.4 + 0.5 * X[:, 0] - 0.3 * X[:, 1])
Y_GAMMA = RNG.gamma(3.0, MU / 3.0)
Y_COUNT = RNG.poisson(MU).astype(float)


def test_unpenalized_gamma_log_likelihood_is_scipys_at_the_shape_mle():
    m = GammaRegressor(alpha=0.0, tol=1e-12).fit(X, Y_GAMMA)
    ic = information_criteria(m, X, Y_GAMMA)
    mu = m.predict(X)
    k = gamma_shape(Y_GAMMA, mu, np.ones(mu.size))

    def ll(shape):
        return stats.gamma.logpdf(Y_GAMMA, a=shape, scale=mu / shape).sum()

    assert ic.log_likelihood == pytest.approx(ll(k), rel=1e-12)
    assert ll(k) > max(ll(k * (1 + 1e-4)), ll(k * (1 - 1e-4)))  # the shape is the maximum
    assert ic.dof == pytest.approx(X.shape[1] + 1, rel=1e-10)
    assert ic.aic == pytest.approx(2 * ic.dof - 2 * ic.log_likelihood, rel=1e-14)
    assert ic.bic == pytest.approx(np.log(300) * ic.dof - 2 * ic.log_likelihood, rel=1e-14)
    assert ic.model == "gamma"


@pytest.mark.filterwarnings("ignore:the selected λ is the smallest")  # a short grid
def test_penalized_gamma_dof_shrinks_and_the_cv_model_equals_its_single_fit():
    cv = GammaRegressorCV(alphas=[1.0, 0.1, 0.01], cv=3).fit(X, Y_GAMMA)
    single = GammaRegressor(alpha=cv.alpha_, tol=1e-12).fit(X, Y_GAMMA)
    a, b = information_criteria(cv, X, Y_GAMMA), information_criteria(single, X, Y_GAMMA)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-8)
    assert a.dof == pytest.approx(b.dof, rel=1e-8)
    assert 1.0 < information_criteria(GammaRegressor(alpha=1.0).fit(X, Y_GAMMA), X,
                                      Y_GAMMA).dof < X.shape[1] + 1


def test_poisson_cv_equals_the_poisson_regressor_at_its_alpha():
    cv = PoissonRegressorCV(alphas=[0.3, 0.03, 0.003], cv=3).fit(X, Y_COUNT)
    ref = information_criteria(PoissonRegressor(alpha=cv.alpha_, tol=1e-12).fit(X, Y_COUNT),
                               X, Y_COUNT)
    ic = information_criteria(cv, X, Y_COUNT)
    assert ic.log_likelihood == pytest.approx(ref.log_likelihood, rel=1e-8)
    assert ic.dof == pytest.approx(ref.dof, rel=1e-8)
    mu = cv.predict(X)
    assert ic.log_likelihood == pytest.approx(stats.poisson.logpmf(Y_COUNT, mu).sum(), rel=1e-12)


@pytest.mark.filterwarnings("ignore:the selected λ is the smallest")  # a short grid
def test_poisson_with_an_offset_scores_the_exposure_scaled_means():
    expo = RNG.uniform(0.5, 2.0, size=300)
    y = RNG.poisson(MU * expo).astype(float)
    m = PoissonRegressorCV(alphas=[0.1, 0.01], cv=3).fit(X, y, offset=np.log(expo))
    ic = information_criteria(m, X, y, offset=np.log(expo))
    mu = m.predict(X, offset=np.log(expo))
    assert ic.log_likelihood == pytest.approx(stats.poisson.logpmf(y, mu).sum(), rel=1e-12)


def test_tweedie_power_zero_on_the_log_link_is_the_profiled_gaussian():
    y = MU + RNG.normal(scale=0.5, size=300)
    m = TweedieRegressor(power=0, link="log", alpha=0.01, tol=1e-12).fit(X, y)
    ic = information_criteria(m, X, y)
    mu = m.predict(X)
    sigma = np.sqrt(np.mean((y - mu) ** 2))
    assert ic.log_likelihood == pytest.approx(stats.norm.logpdf(y, mu, sigma).sum(), rel=1e-12)
    assert ic.model == "normal (log link)"


@pytest.mark.parametrize(("model", "y", "words"), [
    (TweedieRegressor(power=1.5), Y_GAMMA, r"power=1.5\): the compound Poisson–gamma density"),
    (TweedieRegressor(power=0), Y_GAMMA, r"identity link is ridge regression"),
])
def test_tweedie_without_a_closed_form_likelihood_is_refused(model, y, words):
    model.fit(X, y)
    with pytest.raises(ValueError, match=words):
        information_criteria(model, X, y)


def test_offset_is_refused_for_models_without_a_log_link():
    m = Ridge().fit(X, Y_GAMMA)
    with pytest.raises(ValueError, match="offset= is for the log-link models"):
        information_criteria(m, X, Y_GAMMA, offset=np.zeros(300))


def test_unfitted_and_wrong_width_are_refused():
    with pytest.raises(ValueError, match="this GammaRegressor is not fitted"):
        information_criteria(GammaRegressor(), X, Y_GAMMA)
    m = GammaRegressor().fit(X, Y_GAMMA)
    with pytest.raises(ValueError, match="X has 3 features, but GammaRegressor was fit on 4"):
        information_criteria(m, X[:, :3], Y_GAMMA)
