"""Customer lifetime value (kam.analytics.clv) and the holdout backtest (kam.analytics.backtest)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from kam.analytics import backtest as bt
from kam.analytics import bgnbd, clv
from kam.analytics import gamma_gamma as gg
from kam.analytics import schema as s
from kam.analytics.bgnbd import BGNBDFit
from kam.analytics.config import AnalysisConfig
from kam.analytics.gamma_gamma import GammaGammaFit

BG = BGNBDFit(0.243, 4.414, 0.793, 2.426, 0.0, 0, True, 0)
GG = GammaGammaFit(6.25, 3.74, 15.44, 0.0, 0, True)
POPULATION_SPEND = 6.25 * 15.44 / 2.74


def summary_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            s.CLIENT: ["a", "b", "c", "d"],
            s.FREQUENCY: [2.0, 0.0, 7.0, 1.0],
            s.RECENCY: [30.43, 0.0, 20.0, 2.0],
            s.T: [38.86, 12.0, 39.0, 39.0],
            s.MONETARY: [40.0, None, 25.0, 100.0],
        }
    )


# --- discounting and CLV ------------------------------------------------------------------------


def test_discount_rate_per_period() -> None:
    assert clv.discount_rate_per_period(0.10, 365.25) == pytest.approx(0.10)
    weekly = clv.discount_rate_per_period(0.10, 7)
    assert (1 + weekly) ** (365.25 / 7) == pytest.approx(1.10)
    assert clv.discount_rate_per_period(0.0, 7) == 0.0
    with pytest.raises(ValueError):
        clv.discount_rate_per_period(-1.0, 7)


def test_clv_by_hand() -> None:
    x, t_x, T = np.array([2.0, 0.0]), np.array([30.43, 0.0]), np.array([38.86, 12.0])
    spend = np.array([30.0, 50.0])
    d = 0.01
    purchases, value = clv.clv(BG, x, t_x, T, spend, horizon_periods=3, discount_rate=d, margin=0.5)
    for i in range(2):
        cumulative = [0.0] + [
            float(BG.expected_purchases(k, x[i], t_x[i], T[i])) for k in (1, 2, 3)
        ]
        by_hand = sum(
            (cumulative[k] - cumulative[k - 1]) * spend[i] * 0.5 / (1 + d) ** k for k in (1, 2, 3)
        )
        assert value[i] == pytest.approx(by_hand, rel=1e-12)
        assert purchases[i] == pytest.approx(cumulative[3], rel=1e-12)


def test_undiscounted_clv_is_purchases_times_spend() -> None:
    x, t_x, T = np.array([5.0, 1.0]), np.array([10.0, 3.0]), np.array([20.0, 30.0])
    purchases, value = clv.clv(
        BG, x, t_x, T, np.array([10.0, 20.0]), horizon_periods=52, discount_rate=0.0
    )
    np.testing.assert_allclose(purchases, BG.expected_purchases(52, x, t_x, T), rtol=1e-12)
    np.testing.assert_allclose(value, purchases * [10.0, 20.0], rtol=1e-12)
    _, discounted = clv.clv(
        BG, x, t_x, T, np.array([10.0, 20.0]), horizon_periods=52, discount_rate=0.002
    )
    assert np.all(discounted < value)
    with pytest.raises(ValueError):
        clv.clv(BG, x, t_x, T, np.ones(2), horizon_periods=0, discount_rate=0.0)


def test_expected_spend_fallbacks() -> None:
    got = clv.expected_spend(GG, [0, 3, 2, 1], [np.nan, 20.0, -5.0, 0.0])
    assert got[0] == pytest.approx(POPULATION_SPEND)  # no repeat purchase
    assert got[1] == pytest.approx(6.25 * (15.44 + 60) / (18.75 + 2.74))
    assert got[2] == pytest.approx(POPULATION_SPEND)  # net returns: outside the model
    assert got[3] == pytest.approx(POPULATION_SPEND)
    heavy = GammaGammaFit(2.0, 0.8, 10.0, 0.0, 0, True)  # q <= 1: infinite population mean
    got = clv.expected_spend(heavy, [0, 1, 3], [0.0, 10.0, 30.0])
    own = heavy.expected_average_spend([1, 3], [10.0, 30.0])
    np.testing.assert_allclose(got, [own.mean(), own[0], own[1]])


def test_predict_adds_the_model_columns() -> None:
    frame = summary_frame()
    config = AnalysisConfig(horizon_periods=26, annual_discount_rate=0.12)
    out = clv.predict(frame, BG, GG, config)
    assert out.columns == [*frame.columns, s.P_ALIVE, s.EXPECTED_PURCHASES, s.EXPECTED_SPEND, s.CLV]
    assert out[s.CLIENT].to_list() == ["a", "b", "c", "d"]
    x, t_x, T = (frame[c].to_numpy() for c in (s.FREQUENCY, s.RECENCY, s.T))
    np.testing.assert_allclose(out[s.P_ALIVE].to_numpy(), BG.p_alive(x, t_x, T))
    assert out[s.P_ALIVE][1] == 1.0
    np.testing.assert_allclose(
        out[s.EXPECTED_PURCHASES].to_numpy(), BG.expected_purchases(26, x, t_x, T), rtol=1e-12
    )
    assert out[s.EXPECTED_SPEND][1] == pytest.approx(POPULATION_SPEND)
    assert out[s.EXPECTED_SPEND][0] == pytest.approx(6.25 * (15.44 + 80) / (12.5 + 2.74))
    d = clv.discount_rate_per_period(0.12, 7)
    _, expected_clv = clv.clv(
        BG, x, t_x, T, out[s.EXPECTED_SPEND].to_numpy(), horizon_periods=26, discount_rate=d
    )
    np.testing.assert_allclose(out[s.CLV].to_numpy(), expected_clv)
    halved = clv.predict(frame, BG, GG, config, margin_ratio=0.5)
    np.testing.assert_allclose(halved[s.CLV].to_numpy(), expected_clv / 2)


def test_predict_without_a_spend_model() -> None:
    out = clv.predict(summary_frame().drop(s.MONETARY), BG, None, AnalysisConfig())
    assert out[s.EXPECTED_SPEND].null_count() == 4
    assert out[s.CLV].null_count() == 4
    assert out[s.EXPECTED_PURCHASES].null_count() == 0


def test_predict_names_a_missing_column() -> None:
    with pytest.raises(ValueError, match=s.RECENCY):
        clv.predict(summary_frame().drop(s.RECENCY), BG, GG)


def test_day_unit_gives_the_same_purchases_as_weeks() -> None:
    frame = summary_frame()
    in_days = frame.with_columns(pl.col(s.RECENCY) * 7, pl.col(s.T) * 7)
    bg_days = BGNBDFit(BG.r, BG.alpha * 7, BG.a, BG.b, 0.0, 0, True, 0)
    weeks = clv.predict(frame, BG, GG, AnalysisConfig(horizon_periods=4))
    days = clv.predict(in_days, bg_days, GG, AnalysisConfig(time_unit="day", horizon_periods=28))
    np.testing.assert_allclose(days[s.EXPECTED_PURCHASES], weeks[s.EXPECTED_PURCHASES])
    np.testing.assert_allclose(days[s.P_ALIVE], weeks[s.P_ALIVE])
    # finer discounting steps differ only slightly
    np.testing.assert_allclose(days[s.CLV], weeks[s.CLV], rtol=2e-3)


# --- backtest -----------------------------------------------------------------------------------

AS_OF = dt.date(2024, 12, 31)
END = dt.date(2025, 3, 31)


def holdout_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            s.CLIENT: ["a", "a", "a", "b", "b", "c", "z"],
            s.DATE: [
                dt.date(2025, 1, 5),
                dt.date(2025, 1, 5),  # same day: one purchase day
                dt.date(2025, 2, 1),
                AS_OF,  # on the as-of date: calibration, not holdout
                dt.date(2025, 4, 5),  # after the holdout
                END,  # last day of the holdout counts
                dt.date(2025, 1, 10),  # a client first seen in the holdout
            ],
            s.AMOUNT: [5.0, 7.0, 8.0, 100.0, 60.0, 30.0, 50.0],
        }
    )


def predictions_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            s.CLIENT: ["a", "b", "c"],
            s.EXPECTED_PURCHASES: [2.0, 1.0, 0.5],
            s.EXPECTED_SPEND: [10.0, 20.0, 40.0],
        }
    )


def test_backtest_by_hand() -> None:
    result = bt.backtest(predictions_frame(), holdout_frame(), as_of=AS_OF, holdout_end=END)
    clients = result.clients
    assert clients[s.CLIENT].to_list() == ["a", "b", "c"]
    assert clients[s.ACTUAL_PURCHASES].to_list() == [2.0, 0.0, 1.0]
    assert clients[s.ACTUAL_AMOUNT].to_list() == [20.0, 0.0, 30.0]
    assert clients[s.PREDICTED_AMOUNT].to_list() == [20.0, 20.0, 20.0]
    summary = result.summary
    assert summary["n_clients"] == 3
    assert summary["new_clients_in_holdout"] == 1
    # purchases: predicted [2, 1, 0.5], actual [2, 0, 1]
    assert summary["purchases_predicted"] == 3.5
    assert summary["purchases_actual"] == 3.0
    assert summary["purchases_ratio"] == pytest.approx(3.5 / 3)
    assert summary["purchases_mae"] == pytest.approx(0.5)
    assert summary["purchases_rmse"] == pytest.approx(math.sqrt(1.25 / 3))
    assert summary["purchases_correlation"] == pytest.approx(1 / math.sqrt(7 / 6 * 2))
    # amounts: predicted [20, 20, 20], actual [20, 0, 30]
    assert summary["amount_predicted"] == 60.0
    assert summary["amount_actual"] == 50.0
    assert summary["amount_ratio"] == pytest.approx(1.2)
    assert summary["amount_mae"] == pytest.approx(10.0)
    assert summary["amount_rmse"] == pytest.approx(math.sqrt(500 / 3))
    assert summary["amount_correlation"] is None  # constant prediction


def test_backtest_without_spend_and_without_date_filter() -> None:
    holdout = holdout_frame().filter(pl.col(s.DATE) > AS_OF, pl.col(s.DATE) <= END)
    preds = predictions_frame().drop(s.EXPECTED_SPEND)
    result = bt.backtest(preds, holdout, periods=13.0)
    assert s.PREDICTED_AMOUNT not in result.clients.columns
    assert s.ACTUAL_AMOUNT not in result.clients.columns
    assert "amount_mae" not in result.summary
    assert result.summary["holdout_periods"] == 13.0
    assert result.summary["purchases_actual"] == 3.0


def test_backtest_with_no_actual_purchases() -> None:
    empty = holdout_frame().filter(pl.col(s.DATE) > END).filter(pl.col(s.CLIENT) == "nobody")
    result = bt.backtest(predictions_frame(), empty)
    assert result.summary["purchases_actual"] == 0.0
    assert result.summary["purchases_ratio"] is None
    assert result.summary["purchases_correlation"] is None
    assert result.summary["purchases_mae"] == pytest.approx(3.5 / 3)


def test_backtest_accepts_integer_ids_and_datetimes() -> None:
    preds = pl.DataFrame({s.CLIENT: [1, 2], s.EXPECTED_PURCHASES: [1.0, 2.0]})
    holdout = pl.DataFrame(
        {
            s.CLIENT: [1, 1, 2],
            s.DATE: [
                dt.datetime(2025, 1, 1, 9),
                dt.datetime(2025, 1, 1, 17),
                dt.datetime(2025, 1, 2),
            ],
            s.AMOUNT: [1, 2, 3],
        }
    )
    result = bt.backtest(preds, holdout)
    assert result.clients[s.ACTUAL_PURCHASES].to_list() == [1.0, 1.0]
    with pytest.raises(ValueError, match=s.AMOUNT):
        bt.backtest(preds, holdout.drop(s.AMOUNT))


def test_holdout_periods() -> None:
    assert bt.holdout_periods(AS_OF, END, AnalysisConfig()) == pytest.approx(90 / 7)
    assert bt.holdout_periods(AS_OF, END, AnalysisConfig(time_unit="day")) == 90
    with pytest.raises(ValueError):
        bt.holdout_periods(END, AS_OF, AnalysisConfig())


def test_backtest_on_simulated_customers_is_unbiased() -> None:
    """End to end: simulate calibration + 39-week holdout, fit both models, predict, compare."""
    rng = np.random.default_rng(21)
    n = 20_000
    sim = bgnbd.simulate(
        n, 0.243, 4.414, 0.793, 2.426, T=rng.uniform(27, 39, n), holdout=39, rng=rng
    )
    spend = gg.simulate_spend(sim.frequency, 6.25, 3.74, 15.44, rng=rng)
    summary = pl.DataFrame(
        {
            s.CLIENT: np.arange(n),
            s.FREQUENCY: sim.frequency,
            s.RECENCY: sim.recency,
            s.T: sim.T,
            s.MONETARY: spend,
        }
    )
    bg_fit = bgnbd.fit_frame(summary)
    gg_fit = gg.fit_frame(summary)
    preds = bt.predict_holdout(summary, bg_fit, gg_fit, 39.0)
    np.testing.assert_allclose(
        preds[s.EXPECTED_PURCHASES].to_numpy(),
        bg_fit.expected_purchases(39.0, sim.frequency, sim.recency, sim.T),
    )
    # one transaction per simulated holdout purchase, on distinct days after the as-of date
    counts = sim.holdout_purchases.astype(int)
    ids = np.repeat(np.arange(n), counts)
    day = np.concatenate([np.arange(c) for c in counts]) if counts.sum() else np.array([], int)
    holdout = pl.DataFrame(
        {
            s.CLIENT: ids,
            s.DATE: [AS_OF + dt.timedelta(days=int(k) + 1) for k in day],
            s.AMOUNT: np.full(ids.size, 10.0),
        }
    )
    result = bt.backtest(preds, holdout, as_of=AS_OF)
    assert result.summary["purchases_ratio"] == pytest.approx(1.0, abs=0.05)
    correlation = result.summary["purchases_correlation"]
    assert correlation is not None and correlation > 0.5
    assert result.summary["new_clients_in_holdout"] == 0
