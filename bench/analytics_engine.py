"""Benchmark of the whole analytics engine (issue 3): every step, both fits, all predictions.

Usage::

    .venv/bin/python bench/analytics_engine.py [--lines 10000000 --clients 100000] [--end-to-end]

Generates the same seeded synthetic 24-month history as ``analytics_abc_xyz.py`` (plus a cost
column), outside the timing, then times :func:`kam.analytics.engine.analyze` — validation,
ABC-XYZ, Pareto, calibration summary, BG/NBD and Gamma-Gamma fits, per-client P(alive),
expected purchases, spend and CLV, RFM, rhythm and risk flags, scoring, the backtest over the
two months after as-of, and the combined per-client frame. Prints wall time per step, the total,
and the process's peak RSS (which includes the generated data itself).

``--end-to-end`` then writes the history as CSV (cached under ``var/bench/``) and times ``kam
analyze --transactions FILE --as-of … --json out.json`` in a child process as a user runs it:
start-up, reading and parsing the file, the engine and the JSON summary, with the child's CPU
time and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analytics_abc_xyz import generate
from analyze_vs_lifetimes import BENCH, ROOT, run

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.engine import analyze


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--as-of", default="2024-10-31")
    parser.add_argument("--end-to-end", action="store_true", help="also time `kam analyze`")
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
    if options.end_to_end:
        end_to_end(transactions, options)
    return 0


def end_to_end(transactions: pl.DataFrame, options: argparse.Namespace) -> None:
    """`kam analyze` on the same history written as CSV: everything a user waits for."""
    source = BENCH / f"engine-{options.lines}-{options.clients}.csv"
    if not source.exists():
        BENCH.mkdir(parents=True, exist_ok=True)
        money = pl.col(s.COST).round(2)  # as an accounting export has it
        transactions.with_columns(money).write_csv(source.with_suffix(".tmp"))
        source.with_suffix(".tmp").rename(source)
    del transactions  # not held while the child runs
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.json"
        command = [str(ROOT / ".venv" / "bin" / "kam"), "analyze", "--transactions", str(source)]
        command += ["--as-of", options.as_of, "--json", str(out), "--verbosity", "0"]
        wall, cpu, peak = run(command)
        size = out.stat().st_size / 1024**2
    print(
        f"kam analyze end to end (start-up, {source.stat().st_size / 1024**2:,.0f} MiB CSV read, "
        f"engine, {size:,.0f} MiB JSON written): {wall:.2f} s wall, {cpu:.2f} s CPU, "
        f"peak RSS {peak:,.0f} MiB"
    )


if __name__ == "__main__":
    sys.exit(main())
