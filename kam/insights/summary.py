"""The machine-readable summary of an analysis (`kam analyze --json`).

Layout (every key always present; undefined numbers are ``null``)::

    as_of               "2024-12-31"
    time_unit           "week" | "day"
    window              {"start": "2024-01-01", "end": "2024-12-31"}
    models              {"bgnbd": {r, alpha, a, b, log_likelihood} | null,
                         "gamma_gamma": {p, q, gamma, log_likelihood} | null,
                         "error": null | "why a model could not be fitted",
                         "quality": {"verdict": "ok" | "unstable" | "degenerate",
                                     "bgnbd": {verdict, reasons, source, standard_errors},
                                     "gamma_gamma": {…}}}
    backtest            {n_clients, purchases_predicted, …} | null (no holdout)
    pareto_top20_share  0.7931
    matrix              {"AX": {"clients": 3, "client_share": 0.05, "value_share": 0.41}, …}
    clients             [{client_id, abc, xyz, value, cv, rfm: {r, f, m, segment}, p_alive,
                          expected_purchases, expected_spend, clv, risk, reason, score}, …]

Client ids are strings exactly as in the input file. Money is rounded to 2 decimals, shares,
probabilities and expectations to 4, model parameters to 6 significant digits. The reason is the
analytics core's English text (the workbook carries it in the report's language).
"""

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import polars as pl

from kam.analytics import schema as s
from kam.analytics.engine import AnalysisResult

MONEY = 2
SHARE = 4


def number(value: Any, places: int | None = None) -> float | int | None:
    """A JSON-safe number: NaN/inf → None; ``places`` decimals, or 6 significant digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    value = float(value)
    if not math.isfinite(value):
        return None
    if places is None:
        return float(f"{value:.6g}")
    rounded = round(value, places)
    return rounded + 0.0  # no "-0.0"


def build(result: AnalysisResult) -> dict[str, Any]:
    """The summary of one analysis as plain JSON-ready data."""
    config = result.config
    assert config.as_of is not None
    return {
        "as_of": config.as_of.isoformat(),
        "time_unit": config.time_unit,
        "window": {"start": result.window[0].isoformat(), "end": result.window[1].isoformat()},
        "models": models(result),
        "backtest": _backtest(result),
        "pareto_top20_share": number(result.top20_share, SHARE),
        "matrix": {
            cell: {
                "clients": int(clients),
                "client_share": number(client_share, SHARE),
                "value_share": number(value_share, SHARE),
            }
            for cell, clients, client_share, value_share in result.matrix.select(
                "cell", "clients", "client_share", "value_share"
            ).iter_rows()
        },
        "clients": clients(result.clients),
    }


def models(result: AnalysisResult) -> dict[str, Any]:
    """The fitted parameters, the model error and the verdicts (``quality``)."""
    bg, gg = result.bgnbd, result.gamma_gamma
    return {
        "bgnbd": None
        if bg is None
        else {
            "r": number(bg.r),
            "alpha": number(bg.alpha),
            "a": number(bg.a),
            "b": number(bg.b),
            "log_likelihood": number(bg.log_likelihood, SHARE),
        },
        "gamma_gamma": None
        if gg is None
        else {
            "p": number(gg.p),
            "q": number(gg.q),
            "gamma": number(gg.gamma),
            "log_likelihood": number(gg.log_likelihood, SHARE),
        },
        "error": result.model_error,
        "quality": result.quality.as_dict(),
        "time_unit": result.config.time_unit,
    }


def _backtest(result: AnalysisResult) -> dict[str, Any] | None:
    if result.backtest is None:
        return None
    bt = result.backtest
    out: dict[str, Any] = {
        "as_of": bt.as_of.isoformat() if bt.as_of else None,
        "holdout_end": bt.holdout_end.isoformat() if bt.holdout_end else None,
        "rating": bt.rating,
    }
    for key, value in result.backtest.summary.items():
        money = key.startswith("amount_") and not key.endswith(("_ratio", "_correlation"))
        out[key] = number(value, MONEY if money else SHARE)
    return out


def clients(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """One object per client, in rank order (clients without a class last)."""

    def column(name: str) -> list:
        return frame[name].to_list() if name in frame.columns else [None] * frame.height

    ids = frame[s.CLIENT].cast(pl.String).to_list()
    columns = {
        name: column(name)
        for name in (
            s.ABC,
            s.XYZ,
            s.VALUE,
            s.CV,
            s.R_SCORE,
            s.F_SCORE,
            s.M_SCORE,
            s.RFM_SEGMENT,
            s.P_ALIVE,
            s.EXPECTED_PURCHASES,
            s.EXPECTED_SPEND,
            s.CLV,
            s.RISK,
            s.REASON,
            s.SCORE,
        )
    }
    out = []
    for i, client in enumerate(ids):
        c = {name: values[i] for name, values in columns.items()}
        out.append(
            {
                "client_id": client,
                "abc": c[s.ABC],
                "xyz": c[s.XYZ],
                "value": number(c[s.VALUE], MONEY),
                "cv": number(c[s.CV], SHARE),
                "rfm": {
                    "r": number(c[s.R_SCORE]),
                    "f": number(c[s.F_SCORE]),
                    "m": number(c[s.M_SCORE]),
                    "segment": c[s.RFM_SEGMENT],
                },
                "p_alive": number(c[s.P_ALIVE], SHARE),
                "expected_purchases": number(c[s.EXPECTED_PURCHASES], SHARE),
                "expected_spend": number(c[s.EXPECTED_SPEND], MONEY),
                "clv": number(c[s.CLV], MONEY),
                "risk": c[s.RISK],
                "reason": c[s.REASON],
                "score": number(c[s.SCORE], MONEY),
            }
        )
    return out


def write(path: Path, summary: dict[str, Any]) -> None:
    """Write the summary as UTF-8 JSON (strictly valid: no NaN or Infinity)."""
    text = json.dumps(summary, ensure_ascii=False, indent=2, allow_nan=False, default=_default)
    path.write_text(text + "\n", encoding="utf-8")


def _default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
