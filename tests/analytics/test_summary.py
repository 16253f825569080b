import datetime as dt

import polars as pl
import pytest

from kam.analytics import schema as s
from kam.analytics import summary
from kam.analytics.config import AnalysisConfig
from kam.analytics.summary import calibration_summary

from .helpers import d, tx


def _row(frame: pl.DataFrame, client: object) -> dict[str, object]:
    return frame.filter(pl.col(s.CLIENT) == client).to_dicts()[0]


def test_summary_counts_repeat_purchases_per_distinct_day_and_uses_weeks() -> None:
    frame = tx(
        [
            ("a", "2024-01-01", 10),
            ("a", "2024-01-01", 5),  # same day: one purchase day
            ("a", "2024-01-15", 30),
            ("a", "2024-01-22", 20),
            ("b", "2024-01-08", 7),
        ]
    )
    out = calibration_summary(frame, AnalysisConfig(as_of=d("2024-01-29")))
    a = _row(out, "a")
    assert a[s.FIRST_PURCHASE] == d("2024-01-01")
    assert a[s.LAST_PURCHASE] == d("2024-01-22")
    assert a[s.PURCHASE_DAYS] == 3
    assert a[s.FREQUENCY] == 2
    assert a[s.RECENCY] == pytest.approx(3.0)  # 21 days / 7
    assert a[s.T] == pytest.approx(4.0)  # 28 days / 7
    assert a[s.MONETARY] == pytest.approx(25.0)  # mean of 30 and 20; first day excluded


def test_a_one_time_buyer_has_frequency_zero_and_monetary_value_zero() -> None:
    out = calibration_summary(tx([("b", "2024-01-08", 7)]), AnalysisConfig(as_of=d("2024-01-29")))
    b = _row(out, "b")
    assert (b[s.FREQUENCY], b[s.RECENCY], b[s.MONETARY]) == (0, 0.0, 0.0)
    assert b[s.T] == pytest.approx(3.0)


def test_days_as_time_unit_give_whole_days() -> None:
    frame = tx([("a", "2024-01-01", 1), ("a", "2024-01-11", 1)])
    out = calibration_summary(frame, AnalysisConfig(as_of=d("2024-01-31"), time_unit="day"))
    a = _row(out, "a")
    assert (a[s.RECENCY], a[s.T]) == (10.0, 30.0)


def test_transactions_after_as_of_are_ignored_and_as_of_itself_counts() -> None:
    frame = tx([("a", "2024-01-01", 1), ("a", "2024-01-31", 4), ("a", "2024-02-01", 100)])
    out = calibration_summary(frame, AnalysisConfig(as_of=d("2024-01-31"), time_unit="day"))
    a = _row(out, "a")
    assert a[s.PURCHASE_DAYS] == 2
    assert a[s.LAST_PURCHASE] == d("2024-01-31")
    assert a[s.MONETARY] == 4.0


def test_as_of_none_means_the_last_transaction_date() -> None:
    frame = tx([("a", "2024-01-01", 1), ("b", "2024-01-15", 1)])
    out = calibration_summary(frame, AnalysisConfig(time_unit="day"))
    assert _row(out, "a")[s.T] == 14.0
    assert _row(out, "b")[s.T] == 0.0


def test_days_with_a_non_positive_total_are_not_purchase_days() -> None:
    frame = tx(
        [
            ("a", "2024-01-01", 10),
            ("a", "2024-01-05", -3),  # a return alone: not a purchase
            ("a", "2024-01-09", 4),
            ("a", "2024-01-09", -4),  # nets to zero: not a purchase
            ("r", "2024-01-02", -1),  # only returns: no summary row
        ]
    )
    out = calibration_summary(frame, AnalysisConfig(as_of=d("2024-01-31"), time_unit="day"))
    assert out.get_column(s.CLIENT).to_list() == ["a"]
    assert _row(out, "a")[s.PURCHASE_DAYS] == 1


def test_summary_column_types_are_stable() -> None:
    out = calibration_summary(tx([("a", "2024-01-01", 1)]), AnalysisConfig(as_of=d("2024-01-02")))
    assert out.schema[s.RECENCY] == pl.Float64
    assert out.schema[s.T] == pl.Float64
    assert out.schema[s.MONETARY] == pl.Float64
    assert out.schema[s.FREQUENCY] == pl.Int64
    assert out.schema[s.FIRST_PURCHASE] == pl.Date


def test_integer_client_ids_come_back_as_given() -> None:
    frame = pl.DataFrame(
        {"client_id": [7, 7], "date": [dt.date(2024, 1, 1), dt.date(2024, 1, 3)], "amount": [1, 2]}
    )
    out = calibration_summary(frame, AnalysisConfig(time_unit="day"))
    assert out.get_column(s.CLIENT).to_list() == [7]
    assert out.schema[s.CLIENT] == pl.Int64


@pytest.mark.parametrize("ids", [[-3, 7, 7, -3, 7, 12], ["b", "a", "a", "b", "a", "c"]])
def test_the_lines_summed_per_client_and_day_keep_every_pair(ids) -> None:
    # integer ids go through one packed key (negative ones included); text ids group as they are
    lines = pl.DataFrame(
        {
            s.CLIENT: ids,
            s.DATE: [d("2024-01-01"), d("2024-03-01"), d("2024-03-01"), d("2024-01-01"),
                     d("2024-12-31"), d("2023-02-28")],
            s.AMOUNT: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            s.COST: [0.5, 1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )  # fmt: skip
    daily = summary.daily_lines(lines).sort(s.CLIENT, s.DATE)
    expected = lines.group_by(s.CLIENT, s.DATE).agg(pl.col(s.AMOUNT, s.COST).sum())
    assert daily.equals(expected.sort(s.CLIENT, s.DATE))
    assert daily.schema == lines.schema
