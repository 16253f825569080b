"""Fit-quality verdicts, fallbacks and the automatic hold-out backtest (issue 9 §3)."""

import datetime as dt

import numpy as np
import polars as pl
import pytest

from kam.analytics import backtest as bt
from kam.analytics import bgnbd, clv, gamma_gamma, quality
from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.engine import analyze

from .helpers import tx


def test_a_model_simulated_from_known_parameters_is_recovered_and_judged_ok():
    rng = np.random.default_rng(7)
    truth = (0.8, 4.0, 0.6, 3.0)
    sim = bgnbd.simulate(4000, *truth, T=rng.uniform(30, 104, 4000), rng=rng)
    fit = bgnbd.fit(sim.frequency, sim.recency, sim.T)
    assert fit.params == pytest.approx(truth, rel=0.3)
    check = quality.check_bgnbd(fit)
    assert check.verdict == quality.OK and check.reasons == () and not check.fallback
    assert all(se < quality.SE_UNSTABLE for se in fit.log_se)


def test_almost_no_repeat_buyers_is_not_judged_ok():
    rng = np.random.default_rng(3)
    sim = bgnbd.simulate(300, 0.05, 40.0, 0.6, 3.0, T=52.0, rng=rng)
    assert 0 < (sim.frequency > 0).sum() < quality.MIN_REPEAT_BUYERS
    fit = bgnbd.fit(sim.frequency, sim.recency, sim.T)
    check = quality.check_bgnbd(fit)
    assert check.verdict != quality.OK
    assert quality.FEW_REPEAT_BUYERS in check.reasons


def test_on_a_ridge_loose_parameters_make_the_fit_unstable_while_what_they_imply_holds():
    # Hardly anyone drops out (the demo company's case, b = 349.8): the data say that
    # a / (a + b) is small, not what a and b are one by one.
    fit = _demo_like(seed=0)
    assert fit.at_bound == ()
    check = quality.check_bgnbd(fit)
    assert check.verdict == quality.UNSTABLE and check.source == quality.MODEL
    assert f"{quality.LOOSE_PARAMETER}:b" in check.reasons
    assert check.standard_errors["b"] > quality.SE_DEGENERATE
    assert check.standard_errors[quality.DROPOUT] < quality.SE_UNSTABLE


def _demo_like(seed: int) -> bgnbd.BGNBDFit:
    """150 clients drawn from the demo company's fit (r 2.43, alpha 4.06, a 0.576, b 349.8)."""
    rng = np.random.default_rng(seed)
    sim = bgnbd.simulate(150, 2.43, 4.06, 0.576, 349.8, T=rng.uniform(60, 150, 150), rng=rng)
    return bgnbd.fit(sim.frequency, sim.recency, sim.T)


def test_a_parameter_run_to_the_bound_is_degenerate_and_falls_back_to_the_rule():
    fit = _demo_like(seed=4)
    check = quality.check_bgnbd(fit)
    assert fit.at_bound == ("b",)
    assert check.verdict == quality.DEGENERATE and check.reasons == ("at_bound:b",)
    assert check.source == quality.RULE


def test_a_likelihood_flat_in_some_direction_is_degenerate_and_falls_back_to_the_rule():
    flat = float("inf")
    fit = bgnbd.BGNBDFit(
        r=1.0, alpha=2.0, a=0.5, b=3.0, log_likelihood=-10.0, n_clients=500, converged=True,
        iterations=5, log_cov=tuple((flat,) * 4 for _ in range(4)), repeat_buyers=400,
    )  # fmt: skip
    check = quality.check_bgnbd(fit)
    assert check.verdict == quality.DEGENERATE and check.source == quality.RULE
    assert f"{quality.HUGE_SE}:{quality.PURCHASE_RATE}" in check.reasons


def test_a_parameter_next_to_the_optimisers_bound_is_reported():
    theta = np.array([bgnbd.LOG_BOUND - 0.1, 0.3, -bgnbd.LOG_BOUND])
    assert bgnbd.params_at_bound(theta, ("p", "q", "gamma")) == ("p", "gamma")


def test_gamma_gamma_with_p_at_the_bound_is_degenerate_and_spend_is_the_own_average():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 20, 200).astype(float)
    own = rng.gamma(3.0, 1000.0, 200)
    # The demo company's fit: p = e^12, the optimiser's bound.
    fit = gamma_gamma.GammaGammaFit(
        p=162754.79, q=2.75, gamma=2.59, log_likelihood=-1808.5, n_clients=200, converged=True,
        log_cov=((373.0, 0.0, 0.0), (0.0, 0.0121, 0.0), (0.0, 0.0, 373.0)), at_bound=("p",),
    )  # fmt: skip
    check = quality.check_gamma_gamma(fit)
    assert check.verdict == quality.DEGENERATE
    assert f"{quality.AT_BOUND}:p" in check.reasons and check.source == quality.OWN_AVERAGE
    summary = pl.DataFrame(
        {
            s.CLIENT: range(200),
            s.FREQUENCY: x.astype(int),
            s.MONETARY: own,
            s.AVERAGE_PURCHASE: own * 1.1,
        }
    )
    spend = clv.forecast_spend(summary, fit, check)
    assert spend is not None and spend == pytest.approx(own * 1.1)


def test_the_rule_forecast_is_the_clients_own_pace():
    p_alive, rate = clv.rule_forecast([4.0, 0.0], [8.0, 0.0], [10.0, 5.0])
    assert p_alive[0] == pytest.approx(0.8) and rate[0] == pytest.approx(0.5)
    assert p_alive[0] * rate[0] == pytest.approx(4.0 / 10.0)  # x / T
    pooled = 4.0 / 15.0
    assert rate[1] == pytest.approx(pooled) and p_alive[1] == pytest.approx(np.exp(-pooled * 5))


def test_a_poor_backtest_makes_an_ok_model_unstable_but_not_degenerate_ones_better():
    ok = quality.ModelCheck(quality.OK, (), quality.MODEL, {})
    assert quality.with_backtest(ok, quality.POOR).verdict == quality.UNSTABLE
    assert quality.with_backtest(ok, quality.GOOD) == ok
    bad = quality.ModelCheck(quality.DEGENERATE, ("not_fitted",), quality.RULE, {})
    assert quality.with_backtest(bad, quality.POOR).verdict == quality.DEGENERATE
    assert quality.rate(1.1, 0.8) == quality.GOOD
    assert quality.rate(0.7, 0.8) == quality.FAIR
    assert quality.rate(0.4, 0.9) == quality.POOR
    assert quality.rate(None, None) is None


def test_holdout_start_is_whole_months():
    assert bt.holdout_start(dt.date(2026, 11, 30), 6) == dt.date(2026, 5, 31)
    assert bt.holdout_start(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)
    assert bt.holdout_start(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)


def _steady_history(months: int = 30, clients: int = 60) -> pl.DataFrame:
    rows = []
    start = dt.date(2024, 1, 1)
    for c in range(clients):
        gap = 7 + c % 20
        day = start + dt.timedelta(days=c % 11)
        while day < start + dt.timedelta(days=months * 30):
            rows.append((c, day.isoformat(), 100.0 + 10 * c + (day.day % 5) * 7))
            day += dt.timedelta(days=gap)
    return tx(rows)


def test_the_engine_holds_out_the_last_months_and_reports_by_decile():
    history = _steady_history()
    result = analyze(history, AnalysisConfig(backtest_months=4))
    checked = result.backtest
    assert checked is not None and checked.holdout_end == result.config.as_of
    assert checked.as_of == bt.holdout_start(result.config.as_of, 4)
    deciles = checked.deciles
    assert deciles is not None and deciles[s.DECILE].to_list() == list(range(1, 11))
    assert deciles["clients"].sum() == checked.summary["n_clients"]
    assert deciles[s.ACTUAL_PURCHASES].sum() == pytest.approx(checked.summary["purchases_actual"])
    assert checked.rating is not None and checked.rating["purchases"] in {"good", "fair", "poor"}
    assert result.quality.verdict in {quality.OK, quality.UNSTABLE, quality.DEGENERATE}


def test_when_a_fit_is_degenerate_the_figures_come_from_the_fallbacks():
    history = tx([(n, "2024-03-01", 100.0 + n) for n in range(40)])
    result = analyze(history, AnalysisConfig(as_of=dt.date(2024, 12, 31)))
    assert result.bgnbd is None
    assert result.quality.bgnbd.verdict == quality.DEGENERATE
    assert result.quality.bgnbd.reasons == (quality.NOT_FITTED,)
    spend = result.clients.sort(s.CLIENT)[s.EXPECTED_SPEND].to_list()
    assert spend == pytest.approx([100.0 + n for n in range(40)])  # the client's own average
