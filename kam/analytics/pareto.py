"""Pareto 80/20 (R6): the concentration curve and the share of value from the top clients.

Clients are sorted by value descending, ties by client id ascending (as in ABC). Value shares
are of the total *positive* value (negative values count as zero), so the curve rises from 0 to 1
and never falls. The "top 20 %" is the first ``ceil(0.2 × N)`` clients of that order, N being
the number of clients in the frame (so at least one client whenever N ≥ 1; a float guard makes
``ceil(0.2 × 15)`` exactly 3).
"""

from __future__ import annotations

import math

import polars as pl

from kam.analytics import schema as s
from kam.analytics.frames import by_value, numeric_column, require_columns

CLIENT_SHARE = "client_share"
VALUE_SHARE = "cum_value_share"


def _ranked(values: pl.DataFrame) -> pl.DataFrame:
    require_columns(values, (s.CLIENT, s.VALUE), "client values")
    return values.select(
        s.CLIENT, numeric_column(values, s.VALUE, "client values").alias(s.VALUE)
    ).sort(by_value(), descending=[True, False])


def pareto_curve(values: pl.DataFrame) -> pl.DataFrame:
    """The concentration curve.

    Parameters
    ----------
    values
        ``client_id`` and ``value``, one row per client (e.g. the result of
        :func:`kam.analytics.abc_xyz.abc_xyz`).

    Returns
    -------
    pl.DataFrame
        One row per client in rank order: ``rank``, ``client_id``, ``value``,
        ``client_share`` (rank / N) and ``cum_value_share`` (cumulative share of positive value).
        The origin (0, 0) is not included; add it when drawing.
    """
    positive = pl.col(s.VALUE).clip(lower_bound=0.0)
    total = positive.sum()
    return _ranked(values).select(
        pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias(s.RANK),
        s.CLIENT,
        s.VALUE,
        (pl.int_range(1, pl.len() + 1).cast(pl.Float64) / pl.len()).alias(CLIENT_SHARE),
        pl.when(total > 0).then(positive.cum_sum() / total).otherwise(0.0).alias(VALUE_SHARE),
    )


def top_count(n_clients: int, fraction: float = 0.2) -> int:
    """How many clients are the top ``fraction``: ``ceil(fraction × N)`` (float-guarded)."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be within [0, 1], got {fraction}")
    return min(n_clients, math.ceil(fraction * n_clients - 1e-9))


def top_share(values: pl.DataFrame, fraction: float = 0.2) -> float:
    """Share of the total positive value brought by the top ``fraction`` of clients.

    Parameters
    ----------
    values
        ``client_id`` and ``value``, one row per client.
    fraction
        0.2 for the classic 80/20 reading.

    Returns
    -------
    float
        In [0, 1]; 0.0 when there are no clients or no positive value.
    """
    ranked = _ranked(values)
    positive = ranked.get_column(s.VALUE).clip(lower_bound=0.0)
    total = float(positive.sum())
    if total <= 0:
        return 0.0
    return float(positive.head(top_count(ranked.height, fraction)).sum()) / total
