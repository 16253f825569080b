"""`kam analyze` end to end against the lifetimes library (0.11.3), side by side (issue 10).

Usage::

    .venv/bin/python bench/analyze_vs_lifetimes.py [--clients 200000] [--repeat 1]

1. Simulates a transaction history from the BG/NBD and Gamma-Gamma models at the CDNOW
   parameters with the generators the parameter-recovery tests use
   (:func:`kam.analytics.bgnbd.simulate`, :func:`kam.analytics.gamma_gamma.simulate_spend`):
   first purchases spread over the two years before the as-of date, each purchase day split into
   one or more lines (about 5.5 lines a client, 1.1 M lines for 200,000 clients). The CSV is
   cached under ``var/bench/``.
2. Creates ``var/bench/lifetimes-venv`` (``python -m venv`` and the pinned lifetimes 0.11.3
   stack) on first use.
3. Runs, each in a child process timed from spawn to exit (start-up included) with its peak RSS
   from ``wait4``: ``kam analyze --transactions FILE --as-of … --time-unit week --json out.json``
   and ``bench/lifetimes_pipeline.py`` in the lifetimes venv (read the CSV, calibration summary,
   BG/NBD and Gamma-Gamma fits, P(alive), expected purchases, expected spend and CLV, kept in
   memory: the pipeline the issue timed; `kam analyze` writes its JSON summary on top).
4. Prints wall time, peak memory and the ratio, and both tools' fitted parameters with their
   relative difference; exits non-zero when a parameter differs by more than 1 %.

Both tools measure the history the same way: a repeat purchase is a distinct purchase day,
recency and T in days / 7 (lifetimes' ``freq="D", freq_multiplier=7``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kam.analytics import bgnbd  # noqa: E402
from kam.analytics import gamma_gamma as gg  # noqa: E402

BENCH = ROOT / "var" / "bench"
VENV = BENCH / "lifetimes-venv"
PINS = (
    "lifetimes==0.11.3",
    "setuptools==65.5.0",
    "numpy==1.26.4",
    "pandas==1.5.3",
    "scipy==1.11.4",
    "autograd==1.6.2",
)
#: The paper's estimates on the CDNOW sample, as in tests/analytics/test_bgnbd.py and
#: test_gamma_gamma.py.
BG_TRUTH = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG_TRUTH = {"p": 6.25, "q": 3.74, "gamma": 15.44}
AS_OF = dt.date(2024, 12, 31)
HISTORY_DAYS = 730
#: Extra lines per purchase day (Poisson mean): products on one invoice.
EXTRA_LINES = 1.33
TOLERANCE = 0.01


def simulate(clients: int, seed: int) -> pl.DataFrame:
    """``client_id, date, amount``: one history per client drawn from BG/NBD + Gamma-Gamma.

    A client's first purchase is ``T`` whole days before as-of; of its ``x`` repeat purchases the
    last falls at ``t_x`` and the others uniformly before it (the Poisson process given its
    ``x``-th event). Its ``x + 1`` spends are iid ``Gamma(p, nu)``: their mean comes from
    :func:`~kam.analytics.gamma_gamma.simulate_spend`, and given their sum the shares are
    Dirichlet(p, …, p). Each purchase day's spend is split over ``1 + Poisson`` lines.
    """
    rng = np.random.default_rng(seed)
    T_days = rng.integers(1, HISTORY_DAYS + 1, clients)
    sim = bgnbd.simulate(clients, **BG_TRUTH, T=T_days / 7, rng=rng)
    x = sim.frequency.astype(np.int64)
    last = np.floor(sim.recency * 7).astype(np.int64)  # days after the first purchase
    mean = gg.simulate_spend(x + 1, **GG_TRUTH, rng=rng)

    client = np.repeat(np.arange(clients), x + 1)
    order = np.arange(client.size) - np.repeat(np.cumsum(x + 1) - (x + 1), x + 1)
    # order 0: the first purchase (day 0); order x: the last repeat (t_x); others uniform before
    xr, lastr = x[client], last[client]
    offset = np.where(
        order == 0,
        0,
        np.where(order == xr, lastr, rng.integers(0, np.maximum(lastr, 1) + 1)),
    )
    offset = np.minimum(np.maximum(offset, np.minimum(order, 1)), lastr)
    share = rng.gamma(GG_TRUTH["p"], 1.0, client.size)
    share /= np.bincount(client, weights=share)[client]
    spend = share * (mean * (x + 1))[client]
    date = (np.datetime64(AS_OF) - T_days[client] + offset).astype("datetime64[D]")

    lines = 1 + rng.poisson(EXTRA_LINES, client.size)
    day = np.repeat(np.arange(client.size), lines)
    part = rng.random(day.size)
    part /= np.bincount(day, weights=part)[day]
    return (
        pl.DataFrame(
            {
                "client_id": client[day] + 1,
                "date": date[day],
                "amount": np.round(np.maximum(spend[day] * part, 0.01), 2),
            }
        )
        .sort("date", "client_id")
        .with_columns(pl.col("date").cast(pl.Date))
    )


def transactions_file(clients: int, seed: int) -> Path:
    path = BENCH / f"analyze-{clients}-{seed}.csv"
    if not path.exists():
        started = time.perf_counter()
        frame = simulate(clients, seed)
        BENCH.mkdir(parents=True, exist_ok=True)
        frame.write_csv(path.with_suffix(".tmp"))
        path.with_suffix(".tmp").rename(path)
        print(
            f"simulated {frame.height:,} lines of {clients:,} clients in "
            f"{time.perf_counter() - started:.1f} s → {path.relative_to(ROOT)}"
        )
    return path


def lifetimes_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV.relative_to(ROOT)} with {', '.join(PINS)} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PINS], check=True)
    return python


def run(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds (spawn to exit), CPU seconds (user + system) and peak RSS in MiB of one
    child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{command[0]} … failed with exit code {child.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tool (median shown)")
    options = parser.parse_args(argv)

    source = transactions_file(options.clients, options.seed)
    python = lifetimes_python()
    lines = pl.scan_csv(source).select(pl.len()).collect().item()
    with tempfile.TemporaryDirectory() as folder:
        kam_json = Path(folder) / "out.json"
        lt_params = Path(folder) / "lifetimes.json"
        kam = [str(ROOT / ".venv" / "bin" / "kam"), "analyze", "--transactions", str(source)]
        kam += ["--as-of", AS_OF.isoformat(), "--time-unit", "week", "--json", str(kam_json)]
        kam += ["--verbosity", "0"]
        lifetimes = [str(python), str(ROOT / "bench" / "lifetimes_pipeline.py"), str(source)]
        lifetimes += [AS_OF.isoformat(), str(lt_params)]
        runs: dict[str, list[tuple[float, float, float]]] = {"kam analyze": [], "lifetimes": []}
        for _ in range(options.repeat):  # alternated, so both see the same machine load
            runs["kam analyze"].append(run(kam))
            runs["lifetimes"].append(run(lifetimes))
        ours = json.loads(kam_json.read_text(encoding="utf-8"))["models"]
        theirs = json.loads(lt_params.read_text(encoding="utf-8"))

    print(f"\n{lines:,} lines, {options.clients:,} clients, as of {AS_OF}, weeks")
    print(f"{'':<14}{'wall s':>9}{'CPU s':>9}{'peak RSS MiB':>15}   (median; every run's wall s)")
    wall, cpu = {}, {}
    for name, measured in runs.items():
        wall[name] = statistics.median(seconds for seconds, _, _ in measured)
        cpu[name] = statistics.median(used for _, used, _ in measured)
        peak = max(mib for _, _, mib in measured)
        each = ", ".join(f"{seconds:.2f}" for seconds, _, _ in measured)
        print(f"{name:<14}{wall[name]:>9.2f}{cpu[name]:>9.2f}{peak:>15,.0f}   ({each})")
    ratio = wall["lifetimes"] / wall["kam analyze"]
    print(
        f"lifetimes / kam analyze: {ratio:.2f}× in wall time, "
        f"{cpu['lifetimes'] / cpu['kam analyze']:.2f}× in CPU time"
    )
    print("lifetimes steps (s): " + ", ".join(f"{k} {v:.2f}" for k, v in theirs["seconds"].items()))

    print(f"\n{'parameter':<12}{'truth':>10}{'kam':>12}{'lifetimes':>12}{'rel. diff':>11}")
    worst = 0.0
    for model, truth in (("bgnbd", BG_TRUTH), ("gamma_gamma", GG_TRUTH)):
        for name, true in truth.items():
            a, b = ours[model][name], theirs[model][name]
            diff = abs(a - b) / abs(b)
            worst = max(worst, diff)
            print(f"{model[:2]} {name:<9}{true:>10.3f}{a:>12.4f}{b:>12.4f}{diff:>10.3%}")
    agree = worst <= TOLERANCE
    print(f"largest relative difference {worst:.3%}: " + ("agree" if agree else "DISAGREE"))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
