import polars as pl

from kam.analytics.windows import analysis_window, resolve_as_of, split

from .helpers import d, tx


def test_as_of_on_a_month_end_includes_that_month() -> None:
    assert analysis_window(d("2024-12-31")) == (d("2024-01-01"), d("2024-12-31"))


def test_as_of_mid_month_ends_the_window_at_the_previous_month() -> None:
    assert analysis_window(d("2024-12-15")) == (d("2023-12-01"), d("2024-11-30"))


def test_window_months_is_configurable_and_handles_leap_february() -> None:
    assert analysis_window(d("2024-02-29"), 2) == (d("2024-01-01"), d("2024-02-29"))
    assert analysis_window(d("2024-03-01"), 1) == (d("2024-02-01"), d("2024-02-29"))


def test_as_of_none_resolves_to_the_last_transaction_date() -> None:
    frame = tx([("a", "2024-01-01", 1), ("b", "2024-03-07", 1)])
    assert resolve_as_of(frame, None) == d("2024-03-07")
    assert resolve_as_of(frame, d("2024-02-01")) == d("2024-02-01")


def test_split_puts_the_as_of_day_in_calibration_and_later_days_in_holdout() -> None:
    frame = tx([("a", "2024-01-31", 1), ("a", "2024-02-01", 2)])
    cal, hold = split(frame, d("2024-01-31"))
    assert cal.get_column("amount").to_list() == [1.0]
    assert hold.get_column("amount").to_list() == [2.0]
    assert isinstance(cal, pl.DataFrame)
