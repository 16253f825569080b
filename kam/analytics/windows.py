"""Dates: the as-of date, the analysis window, the calibration/holdout split, model times.

Rules (issue 3):

* The as-of date is the last day of the observed period, *inclusive*: transactions dated on it
  belong to the calibration period, later ones to the holdout. ``None`` → the last transaction
  date.
* The analysis window is the last ``window_months`` *complete* calendar months ending on or
  before the as-of date. As-of 2024-12-31 → 2024-01-01..2024-12-31; as-of 2024-12-15 →
  2023-12-01..2024-11-30.
* Model times are whole days between two dates, divided by the days per time unit (7 for weeks).
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from kam.analytics import schema as s


def resolve_as_of(transactions: pl.DataFrame, as_of: dt.date | None) -> dt.date:
    """Return ``as_of``, or the last transaction date when it is ``None``.

    Parameters
    ----------
    transactions
        A validated transactions frame (``date`` of type ``pl.Date``).
    as_of
        The requested as-of date, or ``None``.

    Raises
    ------
    ValueError
        When ``as_of`` is ``None`` and the frame is empty.
    """
    if as_of is not None:
        if isinstance(as_of, dt.datetime):
            return as_of.date()
        return as_of
    last = transactions.get_column(s.DATE).max()
    if last is None:
        raise ValueError("no transactions: cannot infer the as-of date")
    assert isinstance(last, dt.date)
    return last


def month_index(year: int, month: int) -> int:
    """Months since year 0: ``year * 12 + month - 1`` (consecutive months differ by 1)."""
    return year * 12 + month - 1


def month_index_expr(date: pl.Expr) -> pl.Expr:
    """Vectorised :func:`month_index` of a date expression (Int32)."""
    return date.dt.year().cast(pl.Int32) * 12 + date.dt.month().cast(pl.Int32) - 1


def analysis_window(as_of: dt.date, window_months: int = 12) -> tuple[dt.date, dt.date]:
    """First and last day (both inclusive) of the analysis window.

    Parameters
    ----------
    as_of
        Last observed day, inclusive.
    window_months
        Number of complete calendar months in the window.

    Returns
    -------
    tuple of date
        ``(start, end)``: ``start`` is the first day of the first month, ``end`` the last day of
        the last complete month on or before ``as_of``.

    Examples
    --------
    >>> analysis_window(dt.date(2024, 12, 31))
    (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    >>> analysis_window(dt.date(2024, 12, 15))
    (datetime.date(2023, 12, 1), datetime.date(2024, 11, 30))
    """
    if window_months < 1:
        raise ValueError(f"window_months must be at least 1, got {window_months}")
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    end = as_of if as_of.day == last_day else as_of.replace(day=1) - dt.timedelta(days=1)
    end_index = month_index(end.year, end.month)
    start_index = end_index - window_months + 1
    start = dt.date(start_index // 12, start_index % 12 + 1, 1)
    return start, end


def window_month_range(as_of: dt.date, window_months: int = 12) -> tuple[int, int]:
    """First and last month index (inclusive) of the analysis window (see :func:`month_index`)."""
    start, end = analysis_window(as_of, window_months)
    return month_index(start.year, start.month), month_index(end.year, end.month)


def split(transactions: pl.DataFrame, as_of: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split into calibration (``date <= as_of``) and holdout (``date > as_of``) frames."""
    in_calibration = pl.col(s.DATE) <= pl.lit(as_of)
    return transactions.filter(in_calibration), transactions.filter(~in_calibration)


def calibration(transactions: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The calibration part (``date <= as_of``) only."""
    return transactions.filter(pl.col(s.DATE) <= pl.lit(as_of))


def days_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Whole days from ``start`` to ``end`` (two date expressions), as Int64."""
    return (end - start).dt.total_days().cast(pl.Int64)


def in_units(days: pl.Expr, days_per_unit: int) -> pl.Expr:
    """Days converted to the model's time unit, as Float64."""
    return days.cast(pl.Float64) / float(days_per_unit)
