"""Benchmark of the whole analytics engine (issue 3): every step, both fits, all predictions.

Usage::

    .venv/bin/python bench/analytics_engine.py [--lines 10000000 --clients 100000]

Generates the same seeded synthetic 24-month history as ``analytics_abc_xyz.py`` (plus a cost
column), outside the timing, then times :func:`kam.analytics.engine.analyze` — validation,
ABC-XYZ, Pareto, calibration summary, BG/NBD and Gamma-Gamma fits, per-client P(alive),
expected purchases, spend and CLV, RFM, rhythm and risk flags, scoring, the backtest over the
two months after as-of, and the combined per-client frame. Prints wall time per step, the total,
and the process's peak RSS (which includes the generated data itself).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analytics_abc_xyz import generate

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.engine import analyze


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--as-of", default="2024-10-31")
    options = parser.parse_args(argv)

    started = time.perf_counter()
    transactions = generate(options.lines, options.clients)
    rng = np.random.default_rng(7)
    transactions = transactions.with_columns(
        (pl.col(s.AMOUNT) * pl.Series(rng.uniform(0.55, 0.85, transactions.height))).alias(s.COST)
    )
    generated = time.perf_counter() - started
    print(
        f"generated {transactions.height:,} lines, {options.clients:,} clients "
        f"in {generated:.1f} s (not timed)"
    )

    config = AnalysisConfig(as_of=dt.date.fromisoformat(options.as_of))
    started = time.perf_counter()
    result = analyze(transactions, config)
    total = time.perf_counter() - started

    for name, seconds in result.timings.items():
        print(f"  {name:<10} {seconds:7.2f} s")
    print(f"whole engine {total:.2f} s for {transactions.height:,} lines")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mib:,.0f} MiB (including the generated data)")
    print(f"clients analysed {result.clients.height:,}; model error: {result.model_error}")
    if result.bgnbd:
        fit = result.bgnbd
        print(f"BG/NBD r={fit.r:.3f} alpha={fit.alpha:.3f} a={fit.a:.3f} b={fit.b:.3f}")
    if result.backtest:
        summary = result.backtest.summary
        print(
            f"backtest: purchases predicted {summary['purchases_predicted']:,.0f} "
            f"vs actual {summary['purchases_actual']:,.0f}"
        )
    finite = result.clients.select(pl.col(s.CLV).is_finite().all()).item()
    print(f"all CLV values finite: {finite}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
