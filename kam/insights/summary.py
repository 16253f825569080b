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
                        (one client object a line)

Client ids are strings exactly as in the input file. Money is rounded to 2 decimals, shares,
probabilities and expectations to 4, model parameters to 6 significant digits. The reason is the
analytics core's English text (the workbook carries it in the report's language).
"""

import datetime as dt
import io
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
    """The summary of one analysis as plain JSON-ready data, but for ``clients``: a frame that
    :func:`write` writes as the array of client objects."""
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


def clients(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per client, in rank order (clients without a class last), with the columns of a
    client object: rounded numbers (NaN and infinities null), the RFM scores as one struct."""

    def column(name: str, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)

    def rounded(name: str, places: int) -> pl.Expr:
        value = column(name, pl.Float64()).cast(pl.Float64)
        near = value.round(places)
        # 0.0 for a rounded zero: no "-0.0"
        return pl.when(~value.is_finite()).then(None).when(near == 0).then(0.0).otherwise(near)

    text, score = pl.String(), pl.Int64()
    return frame.select(
        pl.col(s.CLIENT).cast(pl.String).alias("client_id"),
        column(s.ABC, text).alias("abc"),
        column(s.XYZ, text).alias("xyz"),
        rounded(s.VALUE, MONEY).alias("value"),
        rounded(s.CV, SHARE).alias("cv"),
        pl.struct(
            column(s.R_SCORE, score).cast(pl.Int64).alias("r"),
            column(s.F_SCORE, score).cast(pl.Int64).alias("f"),
            column(s.M_SCORE, score).cast(pl.Int64).alias("m"),
            column(s.RFM_SEGMENT, text).alias("segment"),
        ).alias("rfm"),
        rounded(s.P_ALIVE, SHARE).alias("p_alive"),
        rounded(s.EXPECTED_PURCHASES, SHARE).alias("expected_purchases"),
        rounded(s.EXPECTED_SPEND, MONEY).alias("expected_spend"),
        rounded(s.CLV, MONEY).alias("clv"),
        column(s.RISK, text).alias("risk"),
        column(s.REASON, text).alias("reason"),
        rounded(s.SCORE, MONEY).alias("score"),
    )


def write(path: Path, summary: dict[str, Any]) -> None:
    """Write the summary as UTF-8 JSON (strictly valid: no NaN or Infinity).

    Everything but the clients is indented; the clients (a frame, see :func:`clients`) are one
    array written by Polars, one object per line — hundreds of thousands of clients in well under
    a second, where building a Python dict per client took seconds.
    """
    head = {key: value for key, value in summary.items() if key != "clients"}
    text = json.dumps(head, ensure_ascii=False, indent=2, allow_nan=False, default=_default)
    with path.open("wb") as out:
        out.write(text[:-2].encode("utf-8"))  # the closing "\n}" follows the clients
        out.write(b',\n  "clients": [')
        frame: pl.DataFrame = summary["clients"]
        if frame.height:
            out.write(b"\n")
            # write_ndjson: one object per line, the newlines then become the array's commas.
            # Written as bytes: as text it took half as long again to make and encode.
            buffer = io.BytesIO()
            frame.write_ndjson(buffer)
            lines = buffer.getvalue()
            out.write(lines[:-1].replace(b"}\n{", b"},\n{"))
            out.write(b"\n  ")
        out.write(b"]\n}\n")


def _default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
