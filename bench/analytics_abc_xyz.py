"""Benchmark of the ABC-XYZ step against an equivalent DuckDB SQL query (issue 3).

Usage::

    .venv/bin/python bench/analytics_abc_xyz.py [--lines 10000000 --clients 100000]

Generates a seeded synthetic 24-month history with numpy (heavy-tailed client sizes, clients
starting at different times, yearly seasonality), outside the timing. Then, best of 3 runs each:
the ABC-XYZ step (:func:`kam.analytics.abc_xyz.abc_xyz`) and the same rules as one DuckDB SQL
query over the same in-memory columns (numpy views of the Polars buffers, zero-copy; the date is
handed over as days since 1970 because this environment has no pyarrow), checks both give the
same classes, and prints both times, the ratio and the peak RSS. Also times the calibration
summary, RFM and rhythm steps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kam.analytics import schema as s
from kam.analytics.abc_xyz import abc_xyz
from kam.analytics.config import AnalysisConfig
from kam.analytics.rfm import rfm
from kam.analytics.rhythm import rhythm
from kam.analytics.summary import calibration_summary
from kam.analytics.windows import window_month_range

START = dt.date(2023, 1, 1)
DAYS = 731  # 2023-01-01 .. 2024-12-31


def generate(lines: int, clients: int, seed: int = 42) -> pl.DataFrame:
    """A synthetic transaction history (see the module docstring)."""
    rng = np.random.default_rng(seed)
    size = rng.pareto(1.2, clients) + 0.05  # heavy-tailed purchase intensity
    client = np.searchsorted(np.cumsum(size / size.sum()), rng.random(lines)).astype(np.int64)
    client = np.minimum(client, clients - 1)
    # a third of the clients start buying somewhere in the two years
    start = np.where(rng.random(clients) < 0.33, rng.integers(0, DAYS, clients), 0)
    day_weight = 1.0 + 0.3 * np.sin(2 * np.pi * (np.arange(DAYS) - 60) / 365.25)
    day = np.searchsorted(np.cumsum(day_weight / day_weight.sum()), rng.random(lines))
    day = np.minimum(day, DAYS - 1)
    first = start[client]
    day = np.where(day >= first, day, first + (day % np.maximum(DAYS - first, 1)))
    amount = np.round(rng.lognormal(4.0, 1.0, lines), 2)
    dates = (np.datetime64(START.isoformat()) + day.astype("timedelta64[D]")).astype(
        "datetime64[D]"
    )
    return pl.DataFrame({s.CLIENT: client, s.DATE: dates, s.AMOUNT: amount})


def duckdb_abc_xyz(con: Any, config: AnalysisConfig, as_of: dt.date) -> pl.DataFrame:
    """The ABC-XYZ rules of :mod:`kam.analytics.abc_xyz` as one SQL query over ``tx``."""
    m0, m1 = window_month_range(as_of, config.window_months)
    a_limit, b_limit = config.abc_thresholds
    x_limit, y_limit = config.xyz_thresholds
    as_of_days = (as_of - dt.date(1970, 1, 1)).days
    sql = f"""
    WITH monthly AS (
        SELECT client_id, year(d) * 12 + month(d) - 1 AS m, sum(amount) AS amt
        FROM (SELECT client_id, DATE '1970-01-01' + date AS d, amount
              FROM tx WHERE date <= {as_of_days})
        GROUP BY ALL
    ), per AS (
        SELECT client_id, min(m) AS first_m,
               count(*) FILTER (WHERE m BETWEEN {m0} AND {m1}) AS k,
               coalesce(sum(amt) FILTER (WHERE m BETWEEN {m0} AND {m1}), 0) AS s1,
               coalesce(sum(amt * amt) FILTER (WHERE m BETWEEN {m0} AND {m1}), 0) AS s2
        FROM monthly GROUP BY client_id
    ), cls AS (
        SELECT client_id, s1 AS value, s2, {m1} - greatest({m0}, first_m) + 1 AS n
        FROM per WHERE k > 0
    ), ranked AS (
        SELECT *, greatest(value, 0) AS pos, s1_mean,
               sum(greatest(value, 0)) OVER () AS total,
               sum(greatest(value, 0)) OVER (ORDER BY value DESC, client_id
                   ROWS UNBOUNDED PRECEDING) - greatest(value, 0) AS above
        FROM (SELECT *, value / n AS s1_mean FROM cls)
    )
    SELECT client_id,
        CASE WHEN value <= 0 OR total <= 0 THEN 'C'
             WHEN above < {a_limit} * total * (1 - 1e-12) THEN 'A'
             WHEN above < {b_limit} * total * (1 - 1e-12) THEN 'B' ELSE 'C' END AS abc,
        CASE WHEN n < {config.xyz_min_months} THEN 'new'
             WHEN s1_mean <= 0 THEN 'Z'
             WHEN sqrt(greatest(s2 / n - s1_mean * s1_mean, 0)) / s1_mean <= {x_limit} + 1e-9
                  THEN 'X'
             WHEN sqrt(greatest(s2 / n - s1_mean * s1_mean, 0)) / s1_mean <= {y_limit} + 1e-9
                  THEN 'Y'
             ELSE 'Z' END AS xyz
    FROM ranked
    """
    result = con.sql(sql).fetchnumpy()
    return pl.DataFrame({k: np.asarray(v) for k, v in result.items()})


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``runs`` calls and the last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    import duckdb

    started = time.perf_counter()
    tx = generate(args.lines, args.clients)
    as_of = tx.get_column(s.DATE).max()
    assert isinstance(as_of, dt.date)
    config = AnalysisConfig(as_of=as_of)
    print(
        f"generated {tx.height:,} lines, {args.clients:,} clients in "
        f"{time.perf_counter() - started:.1f} s (not timed); as-of {as_of}"
    )
    print(
        f"polars {pl.__version__}, duckdb {duckdb.__version__}, "
        f"threads polars={pl.thread_pool_size()}"
    )

    # the same buffers, zero-copy (the date as Int32 days since 1970)
    columns = {
        s.CLIENT: tx.get_column(s.CLIENT).to_numpy(),
        s.DATE: tx.get_column(s.DATE).cast(pl.Int32).to_numpy(),
        s.AMOUNT: tx.get_column(s.AMOUNT).to_numpy(),
    }
    con = duckdb.connect()
    con.execute(f"SET threads = {pl.thread_pool_size()}")
    con.register("tx", columns)

    polars_time, ours = best_of(args.runs, lambda: abc_xyz(tx, config))
    duck_time, theirs = best_of(args.runs, lambda: duckdb_abc_xyz(con, config, as_of))
    joined = ours.select(s.CLIENT, s.ABC, s.XYZ).join(
        theirs, on=s.CLIENT, how="full", suffix="_sql"
    )
    mismatched = joined.filter(
        pl.col(s.ABC).ne_missing(pl.col("abc_sql")) | pl.col(s.XYZ).ne_missing(pl.col("xyz_sql"))
    ).height
    print(
        f"ABC-XYZ  polars {polars_time:6.3f} s   duckdb {duck_time:6.3f} s   "
        f"ratio {polars_time / duck_time:4.2f}   "
        f"clients {ours.height:,}   mismatched classes {mismatched}"
    )
    counts = ours.group_by(s.ABC, s.XYZ).len().sort(s.ABC, s.XYZ)
    print("cells: " + ", ".join(f"{a}{x}={n}" for a, x, n in counts.iter_rows()))

    for name, step in (
        ("summary (frequency/recency/T)", lambda: calibration_summary(tx, config)),
        ("RFM", lambda: rfm(tx, config)),
        ("rhythm", lambda: rhythm(tx, config)),
    ):
        elapsed, _ = best_of(args.runs, step)
        print(f"{name:30s} {elapsed:6.3f} s")

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mib:,.0f} MiB")
    return 1 if mismatched else 0


if __name__ == "__main__":
    raise SystemExit(main())
