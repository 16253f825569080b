import datetime as dt

import polars as pl
import pytest

from kam.analytics.frames import AnalyticsInputError, validate_transactions
from kam.analytics.summary import calibration_summary

from .helpers import tx


def test_a_missing_column_is_named() -> None:
    frame = pl.DataFrame({"client_id": [1], "date": [dt.date(2024, 1, 1)]})
    with pytest.raises(AnalyticsInputError, match="'amount'") as caught:
        calibration_summary(frame)
    assert caught.value.column == "amount"


def test_a_date_column_that_is_not_a_date_is_named() -> None:
    frame = pl.DataFrame({"client_id": [1], "date": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(AnalyticsInputError, match="'date' must be a date"):
        validate_transactions(frame)


def test_an_amount_that_is_text_is_named() -> None:
    frame = pl.DataFrame({"client_id": [1], "date": [dt.date(2024, 1, 1)], "amount": ["12"]})
    with pytest.raises(AnalyticsInputError, match="'amount' must be numeric"):
        validate_transactions(frame)


def test_empty_values_in_required_columns_are_named() -> None:
    frame = pl.DataFrame(
        {"client_id": [1, None], "date": [dt.date(2024, 1, 1)] * 2, "amount": [1.0, 2.0]}
    )
    with pytest.raises(AnalyticsInputError, match="'client_id' has 1 empty"):
        validate_transactions(frame)
    frame = pl.DataFrame(
        {"client_id": [1, 2], "date": [dt.date(2024, 1, 1), None], "amount": [1.0, 2.0]}
    )
    with pytest.raises(AnalyticsInputError, match="'date' has 1 empty"):
        validate_transactions(frame)


def test_the_error_is_a_value_error() -> None:
    assert issubclass(AnalyticsInputError, ValueError)


def test_a_text_cost_column_is_named() -> None:
    frame = tx([(1, "2024-01-01", 1.0)]).with_columns(pl.lit("x").alias("cost"))
    with pytest.raises(AnalyticsInputError, match="'cost' must be numeric"):
        validate_transactions(frame)


def test_datetimes_are_truncated_to_dates_and_integers_become_floats() -> None:
    frame = pl.DataFrame(
        {"client_id": ["a"], "date": [dt.datetime(2024, 1, 1, 13, 5)], "amount": [3]}
    )
    out = validate_transactions(frame)
    assert out.schema["date"] == pl.Date
    assert out.schema["amount"] == pl.Float64
