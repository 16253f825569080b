"""BG/NBD (Fader, Hardie & Lee 2005, Marketing Science 24(2)): likelihood, fit, predictions.

The likelihood oracle and the conditional-expectation oracle below are written independently of
the library: a per-customer loop straight from eq. (6) with ``math.lgamma``, and a one-dimensional
quadrature over the dropout probability ``p`` (the gamma integral over ``lambda`` done by hand),
which never touches the hypergeometric function used by the library.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray
from scipy.integrate import quad

from kam.analytics import bgnbd
from kam.analytics import schema as s
from kam.analytics.bgnbd import BGNBDFit, ModelFitError

CDNOW = (0.243, 4.414, 0.793, 2.426)  # the paper's estimates on the CDNOW sample (Table 1)


def paper_fit(params: tuple[float, float, float, float] = CDNOW) -> BGNBDFit:
    r, alpha, a, b = params
    return BGNBDFit(r, alpha, a, b, log_likelihood=0.0, n_clients=0, converged=True, iterations=0)


# --- independent oracles -----------------------------------------------------------------------


def _lbeta(u: float, v: float) -> float:
    return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)


def oracle_log_likelihood(
    params: tuple[float, float, float, float], xs: NDArray, txs: NDArray, Ts: NDArray
) -> float:
    """Sum over customers of ln L(r, alpha, a, b | x, t_x, T), eq. (6), one customer at a time."""
    r, alpha, a, b = params
    total = 0.0
    for x_, tx_, T_ in zip(xs.tolist(), txs.tolist(), Ts.tolist(), strict=True):
        x = int(x_)
        nbd = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
        first = _lbeta(a, b + x) - _lbeta(a, b) + nbd - (r + x) * math.log(alpha + T_)
        like = math.exp(first)
        if x > 0:
            second = _lbeta(a + 1, b + x - 1) - _lbeta(a, b) + nbd - (r + x) * math.log(alpha + tx_)
            like += math.exp(second)
        total += math.log(like)
    return total


def oracle_conditional_expectation(
    params: tuple[float, float, float, float], t: float, x: int, t_x: float, T: float
) -> float:
    """E[Y(t) | x, t_x, T] by quadrature over p.

    Given (lambda, p) and alive at T, E[Y(t)] = (1 - exp(-lambda p t)) / p; the posterior weight of
    "alive" is (1-p)^x lambda^x exp(-lambda T) and the full likelihood adds
    p (1-p)^(x-1) lambda^x exp(-lambda t_x). Integrating lambda against Gamma(r, alpha) by hand:
    int lambda^x e^(-lambda c) g(lambda) d lambda is proportional to c^-(r+x). The remaining
    integral over p ~ Beta(a, b) is done numerically (quad with the algebraic Beta weight).
    """
    r, alpha, a, b = params
    k = r + x

    def numerator(p: float) -> float:
        if p == 0.0:  # limit p -> 0 of (1 - (1 + p t / (alpha + T))^-k) / p
            return k * t / (alpha + T)
        inner = -math.expm1(k * (math.log(alpha + T) - math.log(alpha + T + p * t)))
        return (1 - p) ** x * inner / p

    def denominator(p: float) -> float:
        value = (1 - p) ** x
        if x > 0:
            value += p * (1 - p) ** (x - 1) * ((alpha + T) / (alpha + t_x)) ** k
        return value

    opts = {"weight": "alg", "wvar": (a - 1, b - 1), "epsabs": 0, "epsrel": 1e-11, "limit": 200}
    num = quad(numerator, 0, 1, **opts)[0]
    den = quad(denominator, 0, 1, **opts)[0]
    return num / den


def observed_information_se(grad, theta: NDArray) -> NDArray:
    """Standard errors from the observed information (central differences of the gradient)."""
    k = len(theta)
    hess = np.zeros((k, k))
    for j in range(k):
        h = 1e-5 * theta[j]
        step = np.zeros(k)
        step[j] = h
        hess[:, j] = (grad(theta + step) - grad(theta - step)) / (2 * h)
    hess = (hess + hess.T) / 2
    return np.sqrt(np.diag(np.linalg.inv(-hess)))


def random_histories(seed: int, n: int) -> tuple[NDArray, NDArray, NDArray]:
    rng = np.random.default_rng(seed)
    T = rng.uniform(1, 60, n)
    x = rng.poisson(3, n).astype(float)
    x[rng.random(n) < 0.3] = 0
    t_x = np.where(x > 0, T * rng.random(n), 0.0)
    return x, t_x, T


# --- likelihood ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_likelihood_matches_independent_loop(seed: int) -> None:
    x, t_x, T = random_histories(seed, 300)
    rng = np.random.default_rng(100 + seed)
    r, alpha, a, b = (float(v) for v in rng.uniform(0.2, 5.0, 4))
    params = (r, alpha, a, b)
    expected = oracle_log_likelihood(params, x, t_x, T)
    got = bgnbd.log_likelihood(params, x, t_x, T)
    assert got == pytest.approx(expected, rel=1e-8)


def test_weighted_aggregation_gives_the_same_likelihood() -> None:
    x, t_x, T = random_histories(3, 200)
    x, t_x, T = (np.concatenate([v, v[:50], v[:10]]) for v in (x, t_x, T))
    (ux, utx, uT), w = bgnbd.aggregate_rows(x, t_x, T)
    assert w.sum() == x.size
    assert ux.size == 200
    full = bgnbd.log_likelihood(CDNOW, x, t_x, T)
    assert bgnbd.log_likelihood(CDNOW, ux, utx, uT, weights=w) == pytest.approx(full, rel=1e-12)


@pytest.mark.parametrize(
    "params", [CDNOW, (1.0, 1.0, 1.0, 1.0), (3.0, 20.0, 2.5, 0.7), (0.05, 0.3, 0.2, 9.0)]
)
def test_analytic_gradient_matches_finite_differences(params: tuple[float, ...]) -> None:
    x, t_x, T = random_histories(4, 400)
    weights = np.random.default_rng(5).integers(1, 4, x.size).astype(float)
    theta = np.asarray(params, dtype=float)
    ll, grad = bgnbd._loglik_and_grad(theta, x, t_x, T, weights)
    assert ll == pytest.approx(bgnbd.log_likelihood(theta, x, t_x, T, weights), rel=1e-12)
    numeric = np.zeros(4)
    for j in range(4):
        h = 1e-6 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        numeric[j] = (
            bgnbd.log_likelihood(up, x, t_x, T, weights)
            - bgnbd.log_likelihood(down, x, t_x, T, weights)
        ) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-4)


# --- fitting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed,n", [(1, 5000), (2, 5000), (3, 50_000)])
def test_parameter_recovery(seed: int, n: int) -> None:
    """Simulate the CDNOW parameters, T ~ U(27, 39) weeks as in the paper's cohort, and refit.

    Every estimate must lie within 4 standard errors (observed information) of the truth; at
    5,000 customers those are about r 0.008, alpha 0.25, a 0.10-0.2, b 0.4-0.9 (a and b are the
    weakly identified pair), at 50,000 about a third of that. The MLE must also beat the truth.
    """
    rng = np.random.default_rng(seed)
    sim = bgnbd.simulate(n, *CDNOW, T=rng.uniform(27, 39, n), rng=rng)
    fit = bgnbd.fit(sim.frequency, sim.recency, sim.T)
    assert fit.converged
    assert fit.n_clients == n
    est = np.array(fit.params)
    se = observed_information_se(
        lambda p: bgnbd._loglik_and_grad(p, sim.frequency, sim.recency, sim.T, np.ones(n))[1],
        est,
    )
    z = (est - np.array(CDNOW)) / se
    assert np.all(np.abs(z) < 4), (est, se, z)
    assert fit.log_likelihood >= bgnbd.log_likelihood(CDNOW, sim.frequency, sim.recency, sim.T)
    if n >= 50_000:
        relative_error = np.abs(est / np.array(CDNOW) - 1)
        assert np.all(relative_error < [0.05, 0.08, 0.2, 0.26]), relative_error


def test_fit_is_a_stationary_point_and_reports_the_direct_likelihood() -> None:
    rng = np.random.default_rng(7)
    sim = bgnbd.simulate(3000, *CDNOW, T=rng.uniform(27, 39, 3000), rng=rng)
    fit = bgnbd.fit(sim.frequency, sim.recency, sim.T)
    ll, grad = bgnbd._loglik_and_grad(
        np.array(fit.params), sim.frequency, sim.recency, sim.T, np.ones(3000)
    )
    assert fit.log_likelihood == pytest.approx(ll, rel=1e-12)
    assert fit.log_likelihood == pytest.approx(
        oracle_log_likelihood(fit.params, sim.frequency, sim.recency, sim.T), rel=1e-8
    )
    # gradient w.r.t. log-parameters, per customer, is ~0
    assert np.max(np.abs(grad * np.array(fit.params))) / 3000 < 1e-5


def test_changing_the_time_unit_rescales_alpha_only() -> None:
    rng = np.random.default_rng(8)
    sim = bgnbd.simulate(4000, *CDNOW, T=rng.uniform(27, 39, 4000), rng=rng)
    weeks = bgnbd.fit(sim.frequency, sim.recency, sim.T)
    days = bgnbd.fit(sim.frequency, sim.recency * 7, sim.T * 7)
    assert days.r == pytest.approx(weeks.r, rel=1e-4)
    assert days.alpha == pytest.approx(weeks.alpha * 7, rel=1e-4)
    assert days.a == pytest.approx(weeks.a, rel=1e-3)
    assert days.b == pytest.approx(weeks.b, rel=1e-3)
    shift = -sim.frequency.sum() * math.log(7)
    assert days.log_likelihood == pytest.approx(weeks.log_likelihood + shift, rel=1e-8)


def test_penalty_shrinks_log_parameters_towards_zero() -> None:
    rng = np.random.default_rng(9)
    sim = bgnbd.simulate(2000, *CDNOW, T=rng.uniform(27, 39, 2000), rng=rng)
    plain = bgnbd.fit(sim.frequency, sim.recency, sim.T)
    shrunk = bgnbd.fit(sim.frequency, sim.recency, sim.T, penalty=0.1)
    assert abs(math.log(shrunk.r)) < abs(math.log(plain.r))
    assert shrunk.log_likelihood < plain.log_likelihood


def test_fit_frame_reads_the_summary_columns() -> None:
    rng = np.random.default_rng(10)
    sim = bgnbd.simulate(500, *CDNOW, T=rng.uniform(27, 39, 500), rng=rng)
    frame = pl.DataFrame(
        {s.CLIENT: range(500), s.FREQUENCY: sim.frequency, s.RECENCY: sim.recency, s.T: sim.T}
    )
    assert bgnbd.fit_frame(frame) == bgnbd.fit(sim.frequency, sim.recency, sim.T)
    with pytest.raises(ValueError, match="recency"):
        bgnbd.fit_frame(frame.drop(s.RECENCY))


def _good_data(n: int = 50) -> tuple[NDArray, NDArray, NDArray]:
    rng = np.random.default_rng(11)
    sim = bgnbd.simulate(n, *CDNOW, T=rng.uniform(27, 39, n), rng=rng)
    sim_x = sim.frequency.copy()
    sim_x[0] = 3  # make sure there are repeat purchases
    t_x = sim.recency.copy()
    t_x[0] = sim.T[0] / 2
    return sim_x, t_x, sim.T.copy()


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda x, tx, T: (x[:5], tx[:5], T[:5]), "at least 10 clients"),
        (lambda x, tx, T: (x * 0, tx * 0, T), "no client has a repeat purchase"),
        (lambda x, tx, T: (np.where(np.arange(x.size) == 1, np.nan, x), tx, T), "non-finite"),
        (lambda x, tx, T: (x, tx, np.where(np.arange(T.size) == 2, np.inf, T)), "non-finite"),
        (lambda x, tx, T: (np.where(np.arange(x.size) == 1, -1.0, x), tx, T), "negative"),
        (lambda x, tx, T: (x, np.where(np.arange(x.size) == 0, T[0] + 1, tx), T), "exceeds T"),
        (lambda x, tx, T: (np.where(np.arange(x.size) == 0, 0.5, x), tx, T), "whole"),
        (lambda x, tx, T: (x, np.where(x == 0, 1.0, tx), T), "recency must be 0"),
    ],
)
def test_fit_refuses_data_that_cannot_support_it(mutate, message: str) -> None:
    x, t_x, T = mutate(*_good_data())
    with pytest.raises(ModelFitError, match=message):
        bgnbd.fit(x, t_x, T)


def test_non_convergence_is_an_error_or_flagged() -> None:
    x, t_x, T = _good_data(2000)
    with pytest.raises(ModelFitError, match="did not converge"):
        bgnbd.fit(x, t_x, T, max_iter=1)
    flagged = bgnbd.fit(x, t_x, T, max_iter=1, raise_on_failure=False)
    assert not flagged.converged
    assert issubclass(ModelFitError, ValueError)


# --- P(alive) -----------------------------------------------------------------------------------


def test_p_alive_is_one_without_repeat_purchases() -> None:
    fit = paper_fit()
    np.testing.assert_array_equal(fit.p_alive([0, 0, 0], [0, 0, 0], [1, 10, 100]), [1, 1, 1])


def test_p_alive_matches_the_closed_form() -> None:
    r, alpha, a, b = CDNOW
    x, t_x, T = 2, 30.43, 38.86  # customer 0001 of the CDNOW sample
    expected = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    assert paper_fit().p_alive(x, t_x, T) == pytest.approx(expected, rel=1e-12)


def test_p_alive_monotonicity() -> None:
    fit = paper_fit()
    recent = fit.p_alive(5, np.linspace(1, 39, 20), 39)
    assert np.all(np.diff(recent) > 0)  # a more recent last purchase → more likely alive
    waiting = fit.p_alive(5, 20, np.linspace(20, 80, 20))
    assert np.all(np.diff(waiting) < 0)  # longer silence → less likely alive
    frequent = fit.p_alive(np.arange(1, 20), 20, 39)
    assert np.all(np.diff(frequent) < 0)  # the same silence is worse for a frequent buyer
    assert np.all((recent >= 0) & (recent <= 1))
    # at t_x = T (just bought) the odds are a / (b + x - 1)
    assert fit.p_alive(3, 39, 39) == pytest.approx(1 / (1 + 0.793 / (2.426 + 2)))


def test_p_alive_stays_finite_for_extreme_histories() -> None:
    p = paper_fit().p_alive([500, 1, 300], [0.01, 0.0, 1000.0], [1000.0, 5000.0, 1000.0])
    assert np.all(np.isfinite(p))
    assert p[0] == pytest.approx(0.0, abs=1e-300)
    assert p[2] > 0.99


# --- expected purchases -------------------------------------------------------------------------


def test_conditional_expectation_reproduces_the_papers_worked_example() -> None:
    """Paper, section 5: customer 0001 (x=2, t_x=30.43, T=38.86) expects 1.226 in 39 weeks."""
    assert paper_fit().expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=5e-4)


@pytest.mark.parametrize(
    "params",
    [
        CDNOW,
        (0.5, 10.0, 1.7, 3.0),
        (2.0, 3.0, 0.3, 0.4),
        (0.243, 4.414, 1.00003, 2.426),
        (0.243, 4.414, 1.0, 2.426),
    ],
)
@pytest.mark.parametrize(
    "t,x,t_x,T",
    [
        (39, 2, 30.43, 38.86),
        (1, 0, 0.0, 20.0),
        (52, 1, 5.0, 60.0),
        (10, 15, 36.0, 39.0),
        (104, 60, 38.5, 39.0),
        (300, 200, 100.0, 104.0),
    ],
)
def test_conditional_expectation_matches_quadrature(
    params: tuple[float, float, float, float], t: float, x: int, t_x: float, T: float
) -> None:
    expected = oracle_conditional_expectation(params, t, x, t_x, T)
    got = paper_fit(params).expected_purchases(t, x, t_x, T)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_expected_purchases_basics() -> None:
    fit = paper_fit()
    assert fit.expected_purchases(0, 4, 20, 39) == 0
    assert fit.expected_purchases_new(0) == 0
    ts = np.linspace(0, 200, 50)
    curve = fit.expected_purchases(ts, 4, 20, 39)
    assert np.all(np.diff(curve) > 0)
    # x = 0 and T = 0 is a brand-new customer: eq. (10) reduces to eq. (9)
    np.testing.assert_allclose(fit.expected_purchases(ts, 0, 0, 0), fit.expected_purchases_new(ts))
    with pytest.raises(ValueError):
        fit.expected_purchases(-1, 1, 1, 2)


def test_curve_equals_pointwise_calls() -> None:
    fit = paper_fit()
    x, t_x, T = random_histories(12, 300)
    x[:100], T[:100] = 3, 30.0  # repeated (x, T) pairs share the hypergeometric part
    t_x[:100] = np.linspace(0.5, 29, 100)
    ks = np.arange(1, 53)
    curve = fit.expected_purchases_curve(ks, x, t_x, T)
    direct = np.stack([fit.expected_purchases(k, x, t_x, T) for k in ks], axis=1)
    np.testing.assert_allclose(curve, direct, rtol=1e-12)


def test_unconditional_expectation_matches_simulation() -> None:
    rng = np.random.default_rng(13)
    n = 400_000
    for t in (10.0, 39.0, 78.0):
        sim = bgnbd.simulate(n, *CDNOW, T=t, rng=rng)
        mean = sim.frequency.mean()
        sem = sim.frequency.std() / math.sqrt(n)
        assert abs(paper_fit().expected_purchases_new(t) - mean) < 4 * sem


@pytest.mark.parametrize("x,t_x,T", [(2, 30.43, 38.86), (6, 10.0, 38.0), (0, 0.0, 30.0)])
def test_conditional_expectation_matches_monte_carlo_of_the_process(
    x: int, t_x: float, T: float
) -> None:
    """Likelihood-weighted simulation: draw (lambda, p) from the prior, weight by the chance of
    the observed history, then simulate the holdout purchases of the draws alive at T."""
    r, alpha, a, b = CDNOW
    rng = np.random.default_rng(14)
    n, t = 1_000_000, 39.0
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    alive_part = (1 - p) ** x * lam**x * np.exp(-lam * T)
    dead_part = p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x) if x > 0 else 0.0
    weight = alive_part + dead_part
    alive = rng.random(n) < alive_part / weight
    remaining = rng.geometric(p)  # memoryless: purchases left before dropping out
    future = np.minimum(rng.poisson(lam * t), remaining)
    estimate = np.sum(weight * alive * future) / np.sum(weight)
    expected = paper_fit().expected_purchases(t, x, t_x, T)
    assert estimate == pytest.approx(expected, rel=0.05)


def test_simulated_holdout_counts_match_the_conditional_expectation_in_total() -> None:
    rng = np.random.default_rng(15)
    n = 100_000
    sim = bgnbd.simulate(n, *CDNOW, T=rng.uniform(27, 39, n), holdout=39.0, rng=rng)
    predicted = paper_fit().expected_purchases(39.0, sim.frequency, sim.recency, sim.T)
    assert predicted.sum() == pytest.approx(sim.holdout_purchases.sum(), rel=0.03)
    # and by frequency bucket (the paper's Figure 4 check)
    for lo, hi in ((0, 1), (1, 3), (3, 7)):
        sel = (sim.frequency >= lo) & (sim.frequency < hi)
        assert predicted[sel].mean() == pytest.approx(sim.holdout_purchases[sel].mean(), rel=0.08)


def test_a_degenerate_fit_where_nobody_drops_out_still_predicts_finite_purchases():
    """Steady buyers drive a -> 0 with huge r and alpha; scipy's 2F1 fails there, the series
    fallback must give the no-dropout (NBD) limit t * (r + x) / (alpha + T) for the living."""
    from kam.analytics.bgnbd import BGNBDFit

    fit = BGNBDFit(
        r=162754.8,
        alpha=284016.8,
        a=6.1e-06,
        b=313.6,
        log_likelihood=0.0,
        n_clients=1,
        converged=True,
        iterations=1,
    )
    x, t_x, T = np.array([50.0, 0.0]), np.array([70.0, 0.0]), np.array([78.0, 78.0])
    expected = fit.expected_purchases(26.0, x, t_x, T)
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(expected, 26.0 * (fit.r + x) / (fit.alpha + T), rtol=1e-3)


def test_the_series_fallback_agrees_with_scipy_where_scipy_works():
    from scipy.special import hyp2f1

    from kam.analytics.bgnbd import _hyp2f1_series

    # The regime the fallback serves: large C (b + x), small z (t / (alpha + T + t)).
    z = np.array([0.0001, 0.01, 0.05, 0.2])
    c = np.array([300.0, 350.0, 400.0, 2000.0])
    for a_, b_ in [(-2.7, -0.6), (-1500.0, -0.999994), (0.5, 1.5)]:
        np.testing.assert_allclose(_hyp2f1_series(a_, b_, c, z), hyp2f1(a_, b_, c, z), rtol=1e-9)


def test_unique_rows_are_numpys_distinct_rows_with_the_index_of_each_row() -> None:
    rng = np.random.default_rng(21)
    x = rng.integers(0, 4, 2000).astype(float)
    T = rng.integers(0, 6, 2000) / 7
    t_x = np.minimum(rng.integers(0, 6, 2000) / 7, T)
    (ux, utx, uT), inverse, counts = bgnbd.unique_rows(x, t_x, T)
    expected, expected_inverse, expected_counts = np.unique(
        np.column_stack([x, t_x, T]), axis=0, return_inverse=True, return_counts=True
    )
    np.testing.assert_array_equal(np.column_stack([ux, utx, uT]), expected)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())
    np.testing.assert_array_equal(counts, expected_counts)


def test_discounted_purchases_sum_the_discounted_increments_of_the_curve() -> None:
    fit = paper_fit()
    x, t_x, T = random_histories(14, 300)
    x[:100], T[:100] = 3, 30.0  # repeated (x, T) pairs share the hypergeometric part
    ks = np.arange(1, 53, dtype=float)
    discount = 1.002**-ks
    curve = fit.expected_purchases_curve(ks, x, t_x, T)
    total, discounted = fit.discounted_purchases(ks, discount, x, t_x, T)
    np.testing.assert_allclose(total, curve[:, -1], rtol=1e-12)
    increments = np.diff(curve, axis=1, prepend=0.0)
    np.testing.assert_allclose(discounted, increments @ discount, rtol=1e-12)


def test_a_start_near_the_optimum_gives_the_same_fit() -> None:
    rng = np.random.default_rng(22)
    sim = bgnbd.simulate(3000, *CDNOW, T=rng.uniform(27, 39, 3000), rng=rng)
    cold = bgnbd.fit(sim.frequency, sim.recency, sim.T)
    near = (cold.r * 1.1, cold.alpha * 0.9, cold.a * 1.2, cold.b * 0.8)
    warm = bgnbd.fit(sim.frequency, sim.recency, sim.T, start=near)
    np.testing.assert_allclose(warm.params, cold.params, rtol=1e-3)
    assert warm.log_likelihood == pytest.approx(cold.log_likelihood, abs=1e-6)
