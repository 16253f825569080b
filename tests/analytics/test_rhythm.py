import polars as pl
import pytest

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.frames import AnalyticsInputError, validate_transactions
from kam.analytics.rhythm import flag, rhythm
from kam.analytics.summary import purchase_days

from .helpers import d, tx

CONFIG = AnalysisConfig()  # at risk: > 2× gap and ≥ 30 days; lost: > 4× gap and ≥ 90 days


def _flag(gap: float | None, silence: int, p: float | None = None) -> tuple[str, str]:
    frame = pl.DataFrame(
        {
            s.CLIENT: [1],
            s.LAST_PURCHASE: [d("2024-01-01")],
            s.PURCHASE_DAYS: pl.Series([1 if gap is None else 5], dtype=pl.UInt32),
            s.TYPICAL_GAP_DAYS: pl.Series([gap], dtype=pl.Float64),
            s.SILENCE_DAYS: pl.Series([silence], dtype=pl.Int64),
            s.P_ALIVE: pl.Series([p], dtype=pl.Float64),
        }
    )
    row = flag(frame, CONFIG).row(0, named=True)
    return row[s.RISK], row[s.REASON]


def test_typical_gap_is_the_median_of_gaps_between_distinct_purchase_days() -> None:
    rows = [("a", day, 10) for day in ("2024-01-01", "2024-01-11", "2024-01-11", "2024-01-14")]
    rows += [("a", "2024-02-13", 10), ("one", "2024-01-20", 5)]
    out = rhythm(tx(rows), AnalysisConfig(as_of=d("2024-03-01")))
    by = {r[s.CLIENT]: r for r in out.to_dicts()}
    assert by["a"][s.TYPICAL_GAP_DAYS] == 10.0  # gaps 10, 3, 30 → median 10
    assert by["a"][s.SILENCE_DAYS] == 17
    assert by["a"][s.PURCHASE_DAYS] == 4
    assert by["one"][s.RISK] == "new"
    assert by["one"][s.TYPICAL_GAP_DAYS] is None
    assert by["one"][s.REASON] == "Only one purchase day so far, 41 days ago; no rhythm yet"


def test_at_risk_needs_more_than_twice_the_gap_and_the_30_day_floor() -> None:
    assert _flag(15, 30)[0] == "ok"  # exactly 2× the gap is not more
    assert _flag(14.5, 30)[0] == "at_risk"
    assert _flag(10, 29)[0] == "ok"  # 2.9× but under the floor
    assert _flag(10, 30)[0] == "at_risk"


def test_lost_needs_more_than_four_times_the_gap_and_the_90_day_floor() -> None:
    assert _flag(22.5, 90)[0] == "at_risk"  # exactly 4×
    assert _flag(22, 90)[0] == "lost"
    assert _flag(10, 89)[0] == "at_risk"  # 8.9× but under the lost floor
    assert _flag(10, 90)[0] == "lost"


def test_the_reason_names_the_numbers() -> None:
    risk, reason = _flag(14, 95, 0.08)
    assert risk == "lost"
    assert reason == (
        "No purchase for 95 days; usually every 14 days (6.8× the usual gap); probability alive 8 %"
    )
    assert (
        _flag(10.5, 5)[1]
        == "Last purchase 5 days ago; usually every 10.5 days (0.5× the usual gap)"
    )


def test_a_high_p_alive_downgrades_lost_to_at_risk_and_at_risk_to_ok() -> None:
    risk, reason = _flag(10, 100, 0.5)
    assert risk == "at_risk"
    assert reason.endswith("probability alive 50 % (too high to call it lost)")
    assert _flag(10, 100, 0.19)[0] == "lost"
    assert _flag(10, 100, 0.2)[0] == "at_risk"  # p_alive_lost is a strict limit
    assert _flag(10, 40, 0.49)[0] == "at_risk"
    risk, reason = _flag(10, 40, 0.5)
    assert risk == "ok"
    assert reason.endswith("(likely still active)")


def test_the_model_alone_raises_no_flag() -> None:
    assert _flag(30, 10, 0.01)[0] == "ok"


def test_p_alive_frame_is_joined_and_missing_clients_use_rhythm_alone() -> None:
    rows = [("a", "2024-01-01", 1), ("a", "2024-01-11", 1), ("b", "2024-01-01", 1)]
    rows += [("b", "2024-01-11", 1)]
    model = pl.DataFrame({s.CLIENT: ["a"], s.P_ALIVE: [0.9]})
    out = rhythm(tx(rows), AnalysisConfig(as_of=d("2024-06-01")), p_alive=model)
    assert out[s.RISK].to_list() == ["at_risk", "lost"]


def test_a_text_p_alive_is_named() -> None:
    model = pl.DataFrame({s.CLIENT: ["a"], s.P_ALIVE: ["high"]})
    with pytest.raises(AnalyticsInputError, match="'p_alive' must be numeric"):
        rhythm(tx([("a", "2024-01-01", 1)]), p_alive=model)


def test_the_purchase_days_given_by_the_engine_give_the_same_flags() -> None:
    rows = [("a", day, 10) for day in ("2024-01-01", "2024-01-11", "2024-01-11", "2024-01-14")]
    rows += [("b", day, 5) for day in ("2023-06-01", "2023-07-01", "2023-09-01")]
    rows += [("c", "2024-02-01", 7), ("c", "2024-02-03", -7), ("c", "2024-02-10", 3)]
    frame = validate_transactions(tx(rows))
    config = AnalysisConfig(as_of=d("2024-03-01"))
    days = purchase_days(frame)
    assert rhythm(frame, config, days=days).equals(rhythm(frame, config))
