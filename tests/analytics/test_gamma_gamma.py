"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, JMR 42(4); Fader & Hardie 2013 note)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray

from kam.analytics import gamma_gamma as gg
from kam.analytics import schema as s
from kam.analytics.bgnbd import ModelFitError
from kam.analytics.gamma_gamma import GammaGammaFit

CDNOW = (6.25, 3.74, 15.44)  # p, q, gamma reported for the CDNOW repeat buyers


def oracle_log_likelihood(params: tuple[float, float, float], xs: NDArray, ms: NDArray) -> float:
    """Sum of ln f(m | p, q, gamma, x), one customer at a time, straight from the density

    f = Gamma(px + q) / (Gamma(px) Gamma(q)) * gamma^q * m^(px - 1) * x^(px)
        / (gamma + x m)^(px + q)
    """
    p, q, gamma = params
    total = 0.0
    for x, m in zip(xs.tolist(), ms.tolist(), strict=True):
        px = p * x
        total += (
            math.lgamma(px + q)
            - math.lgamma(px)
            - math.lgamma(q)
            + q * math.log(gamma)
            + (px - 1) * math.log(m)
            + px * math.log(x)
            - (px + q) * math.log(gamma + x * m)
        )
    return total


def _data(seed: int, n: int, params: tuple[float, float, float] = CDNOW) -> tuple[NDArray, NDArray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 11, n).astype(float)
    return x, gg.simulate_spend(x, *params, rng=rng)


def test_density_integrates_to_one() -> None:
    from scipy.integrate import quad

    p, q, gamma = CDNOW
    for x in (1, 3, 10):
        total = quad(
            lambda m, x=x: math.exp(gg.log_likelihood(CDNOW, [x], [m])), 0, np.inf, limit=200
        )[0]
        assert total == pytest.approx(1.0, rel=1e-7)
        # and its mean is p * gamma / (q - 1), whatever x
        mean = quad(
            lambda m, x=x: m * math.exp(gg.log_likelihood(CDNOW, [x], [m])), 0, np.inf, limit=200
        )[0]
        assert mean == pytest.approx(p * gamma / (q - 1), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_log_likelihood_matches_independent_loop(seed: int) -> None:
    x, m = _data(seed, 300)
    p, q, gamma = (float(v) for v in np.random.default_rng(50 + seed).uniform(0.5, 10, 3))
    params = (p, q, gamma)
    assert gg.log_likelihood(params, x, m) == pytest.approx(
        oracle_log_likelihood(params, x, m), rel=1e-8
    )


@pytest.mark.parametrize("params", [CDNOW, (1.0, 2.0, 1.0), (0.3, 1.2, 50.0)])
def test_analytic_gradient_matches_finite_differences(params: tuple[float, ...]) -> None:
    x, m = _data(2, 400)
    w = np.random.default_rng(3).integers(1, 4, x.size).astype(float)
    theta = np.asarray(params)
    ll, grad = gg._loglik_and_grad(theta, x, m, w)
    assert ll == pytest.approx(gg.log_likelihood(theta, x, m, w), rel=1e-12)
    numeric = np.zeros(3)
    for j in range(3):
        h = 1e-6 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        numeric[j] = (gg.log_likelihood(up, x, m, w) - gg.log_likelihood(down, x, m, w)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parameter_recovery(seed: int) -> None:
    """5,000 repeat buyers (x uniform 1..10) from the CDNOW values. p, q and gamma are strongly
    correlated, so single parameters wander (SE of p about 0.8, gamma about 2.2) while the
    population mean spend p gamma / (q - 1) is pinned to a few per cent: check both."""
    x, m = _data(seed, 5000)
    fit = gg.fit(x, m)
    assert fit.converged
    assert fit.n_clients == 5000
    est = np.array([fit.p, fit.q, fit.gamma])
    k = 3
    hess = np.zeros((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = 1e-5 * est[j]
        hess[:, j] = (
            gg._loglik_and_grad(est + step, x, m, np.ones(x.size))[1]
            - gg._loglik_and_grad(est - step, x, m, np.ones(x.size))[1]
        ) / (2 * step[j])
    se = np.sqrt(np.diag(np.linalg.inv(-(hess + hess.T) / 2)))
    z = (est - np.array(CDNOW)) / se
    assert np.all(np.abs(z) < 4), (est, se, z)
    truth_mean = CDNOW[0] * CDNOW[2] / (CDNOW[1] - 1)
    assert fit.population_mean_spend == pytest.approx(truth_mean, rel=0.04)
    assert fit.log_likelihood >= gg.log_likelihood(CDNOW, x, m)
    assert fit.log_likelihood == pytest.approx(oracle_log_likelihood(tuple(est), x, m), rel=1e-8)


def test_currency_scale_moves_gamma_only() -> None:
    x, m = _data(4, 2000)
    base = gg.fit(x, m)
    kopecks = gg.fit(x, m * 100)
    assert kopecks.p == pytest.approx(base.p, rel=1e-4)
    assert kopecks.q == pytest.approx(base.q, rel=1e-4)
    assert kopecks.gamma == pytest.approx(base.gamma * 100, rel=1e-4)
    assert kopecks.log_likelihood == pytest.approx(base.log_likelihood - 2000 * math.log(100))


def test_non_repeat_buyers_are_ignored() -> None:
    x, m = _data(5, 500)
    with_zeros = gg.fit(np.concatenate([x, np.zeros(100)]), np.concatenate([m, np.zeros(100)]))
    assert with_zeros == gg.fit(x, m)
    assert with_zeros.n_clients == 500


def test_expected_average_spend() -> None:
    fit = GammaGammaFit(6.25, 3.74, 15.44, 0.0, 0, True)
    population = 6.25 * 15.44 / 2.74
    assert fit.population_mean_spend == pytest.approx(population)
    got = fit.expected_average_spend([0, 1, 4, 4], [99.0, 20.0, 20.0, 50.0])
    expected = [
        population,  # x = 0: the population mean, m ignored
        6.25 * (15.44 + 20) / (6.25 + 2.74),
        6.25 * (15.44 + 80) / (25 + 2.74),
        6.25 * (15.44 + 200) / (25 + 2.74),
    ]
    np.testing.assert_allclose(got, expected)
    # a weighted average of the population mean and the customer's own mean
    for x, m in ((1, 20.0), (4, 20.0), (4, 50.0)):
        weight = 6.25 * x / (6.25 * x + 2.74)
        value = fit.expected_average_spend(x, m)
        assert value == pytest.approx(weight * m + (1 - weight) * population)
    # more transactions → closer to the customer's own mean
    many = fit.expected_average_spend(np.arange(1, 200), 80.0)
    assert np.all(np.diff(np.abs(many - 80.0)) < 0)


def test_heavy_tailed_spend_rates_give_nan_where_the_mean_is_infinite() -> None:
    fit = GammaGammaFit(0.05, 0.9, 10.0, 0.0, 0, True)
    assert math.isnan(fit.population_mean_spend)
    got = fit.expected_average_spend([0, 1, 5], [0.0, 30.0, 30.0])
    assert math.isnan(got[0]) and math.isnan(got[1])  # p x + q - 1 = -0.1, -0.05
    assert got[2] == pytest.approx(0.05 * (10 + 150) / (0.25 + 0.9 - 1))


def test_fit_frame() -> None:
    x, m = _data(6, 300)
    frame = pl.DataFrame({s.CLIENT: range(300), s.FREQUENCY: x, s.MONETARY: m})
    assert gg.fit_frame(frame) == gg.fit(x, m)
    with pytest.raises(ValueError, match=s.MONETARY):
        gg.fit_frame(frame.drop(s.MONETARY))


@pytest.mark.parametrize(
    "x,m,message",
    [
        (np.zeros(50), np.zeros(50), "no repeat buyers"),
        (np.ones(5), np.ones(5), "at least 10 repeat buyers"),
        (np.ones(50), np.r_[np.ones(49), -3.0], "non-positive mean spend"),
        (np.ones(50), np.r_[np.ones(49), 0.0], "non-positive mean spend"),
        (np.ones(50), np.r_[np.ones(49), np.nan], "non-finite"),
        (np.r_[np.ones(49), -1.0], np.ones(50), "non-negative"),
    ],
)
def test_fit_refuses_unsupported_data(x: NDArray, m: NDArray, message: str) -> None:
    with pytest.raises(ModelFitError, match=message):
        gg.fit(x, m)


def test_nonpositive_spend_can_be_dropped() -> None:
    x, m = _data(7, 300)
    m2 = m.copy()
    m2[:3] = [-5.0, 0.0, -1.0]
    fit = gg.fit(x, m2, drop_nonpositive=True)
    assert fit.n_clients == 297
    assert fit == gg.fit(x[3:], m[3:])


def test_non_convergence() -> None:
    x, m = _data(8, 1000)
    with pytest.raises(ModelFitError, match="did not converge"):
        gg.fit(x, m, max_iter=1)
    assert not gg.fit(x, m, max_iter=1, raise_on_failure=False).converged


def test_a_start_near_the_optimum_gives_the_same_fit() -> None:
    x, m = _data(23, 3000)
    cold = gg.fit(x, m)
    warm = gg.fit(x, m, start=(cold.p * 1.2, cold.q * 0.9, cold.gamma * 1.1))
    np.testing.assert_allclose(
        (warm.p, warm.q, warm.gamma), (cold.p, cold.q, cold.gamma), rtol=1e-3
    )
    assert warm.log_likelihood == pytest.approx(cold.log_likelihood, abs=1e-6)
