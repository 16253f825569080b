"""Benchmark of the probability models: BG/NBD + Gamma-Gamma fits and per-client predictions.

Simulates customers from known parameters (the CDNOW estimates of Fader, Hardie & Lee 2005),
fits both models, predicts P(alive), expected purchases and CLV for every client, and prints the
times, the recovered parameters against the truth and the peak resident memory.

Times are in whole days converted to weeks (as the calibration summary produces them): first
purchases spread over 24 months before the as-of date.

Usage::

    .venv/bin/python bench/analytics_models.py [--clients 100000] [--seed 1] [--continuous]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kam.analytics import bgnbd, clv
from kam.analytics import gamma_gamma as gg
from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig

BG_TRUTH = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG_TRUTH = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--continuous", action="store_true", help="keep continuous times (no whole-day rounding)"
    )
    args = parser.parse_args()
    n = args.clients
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    T_days = rng.integers(1, 731, n).astype(float)  # first purchase within the last 24 months
    sim = bgnbd.simulate(n, **BG_TRUTH, T=T_days / 7, rng=rng)
    recency, T = sim.recency, sim.T
    if not args.continuous:
        recency = np.floor(recency * 7) / 7
    spend = gg.simulate_spend(sim.frequency, **GG_TRUTH, rng=rng)
    summary = pl.DataFrame(
        {
            s.CLIENT: np.arange(n),
            s.FREQUENCY: sim.frequency,
            s.RECENCY: recency,
            s.T: T,
            s.MONETARY: spend,
        }
    )
    t_sim = time.perf_counter() - t0

    t0 = time.perf_counter()
    bg_fit = bgnbd.fit_frame(summary)
    t_bg = time.perf_counter() - t0

    t0 = time.perf_counter()
    gg_fit = gg.fit_frame(summary)
    t_gg = time.perf_counter() - t0

    config = AnalysisConfig()
    t0 = time.perf_counter()
    predicted = clv.predict(summary, bg_fit, gg_fit, config)
    t_pred = time.perf_counter() - t0

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    repeat = int((sim.frequency > 0).sum())
    unit = "continuous" if args.continuous else "whole days"
    print(f"clients: {n:,} (repeat buyers {repeat:,}), times in {unit}")
    print(f"simulation          {t_sim:7.3f} s")
    print(f"BG/NBD fit          {t_bg:7.3f} s  ({bg_fit.iterations} iterations)")
    print(f"Gamma-Gamma fit     {t_gg:7.3f} s")
    print(
        f"predictions         {t_pred:7.3f} s  (p_alive, expected purchases and CLV over "
        f"{config.horizon_periods} {config.time_unit}s)"
    )
    print(f"total (fits + pred) {t_bg + t_gg + t_pred:7.3f} s")
    print(f"peak RSS            {peak_mb:7.0f} MB")
    print("BG/NBD        truth   estimate")
    for name, truth in BG_TRUTH.items():
        print(f"  {name:<6} {truth:10.3f} {getattr(bg_fit, name):10.3f}")
    print(f"  LL     {bg_fit.log_likelihood:,.1f}")
    print("Gamma-Gamma   truth   estimate")
    for name, truth in GG_TRUTH.items():
        print(f"  {name:<6} {truth:10.3f} {getattr(gg_fit, name):10.3f}")
    print(f"  LL     {gg_fit.log_likelihood:,.1f}")
    means = predicted.select(
        pl.col(s.P_ALIVE, s.EXPECTED_PURCHASES, s.EXPECTED_SPEND, s.CLV).mean()
    )
    print(
        "mean predictions:", ", ".join(f"{k}={v:.3f}" for k, v in means.row(0, named=True).items())
    )


if __name__ == "__main__":
    main()
