"""The lifetimes 0.11.3 pipeline that `bench/analyze_vs_lifetimes.py` times against `kam analyze`.

Runs in the lifetimes venv (var/bench/lifetimes-venv), not KAM's; never imported by KAM::

    python bench/lifetimes_pipeline.py TRANSACTIONS.csv AS_OF PARAMS.json

Reads the CSV with pandas, builds the calibration summary as KAM does (repeat purchases counted
in distinct days, recency and T in days / 7: ``freq="D", freq_multiplier=7``), fits BG/NBD and
Gamma-Gamma (repeat buyers), predicts P(alive), expected purchases over 52 weeks, expected spend
and a 12-month CLV at 10 % a year (kept in memory, not written: the pipeline as the issue timed
it), and writes the fitted parameters with each step's seconds as JSON.
"""

import json
import sys
import time

import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

HORIZON_WEEKS = 52
MONTHLY_DISCOUNT = 1.10 ** (1 / 12) - 1


def main(source: str, as_of: str, params_path: str) -> None:
    seconds = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = now - started
        started = now

    transactions = pd.read_csv(source, parse_dates=["date"])
    lap("read")
    summary = summary_data_from_transaction_data(
        transactions,
        "client_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=as_of,
        freq="D",
        freq_multiplier=7,
    )
    lap("summary")
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    lap("fits")
    f, r, t = summary["frequency"], summary["recency"], summary["T"]
    summary["p_alive"] = bgf.conditional_probability_alive(f, r, t)
    summary["expected_purchases"] = bgf.conditional_expected_number_of_purchases_up_to_time(
        HORIZON_WEEKS, f, r, t
    )
    summary["expected_spend"] = ggf.conditional_expected_average_profit(
        f, summary["monetary_value"]
    )
    summary["clv"] = ggf.customer_lifetime_value(
        bgf, f, r, t, summary["monetary_value"], time=12, discount_rate=MONTHLY_DISCOUNT, freq="W"
    )
    lap("predictions")
    bg, gg = bgf.params_, ggf.params_
    with open(params_path, "w", encoding="utf-8") as out:
        json.dump(
            {
                "bgnbd": {name: float(bg[name]) for name in ("r", "alpha", "a", "b")},
                "gamma_gamma": {"p": float(gg["p"]), "q": float(gg["q"]), "gamma": float(gg["v"])},
                "seconds": seconds,
            },
            out,
        )


if __name__ == "__main__":
    main(*sys.argv[1:4])
