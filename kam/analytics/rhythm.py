"""Purchase rhythm and lost-client flags (R29, R33).

For every client with a purchase day in the calibration period (see
:mod:`kam.analytics.summary` for what a purchase day is):

typical gap
    Median of the gaps, in days, between consecutive distinct purchase days. Clients with fewer
    than two purchase days have no gap and get risk ``"new"``.
silence
    Days from the last purchase day to the as-of date.
rhythm flag
    ``"lost"`` when silence > ``lost_multiple`` × gap **and** silence ≥ ``lost_floor_days``;
    else ``"at_risk"`` when silence > ``risk_multiple`` × gap **and** silence ≥
    ``risk_floor_days``; else ``"ok"``.
model confirmation (only when a ``p_alive`` value is given for the client)
    ``"lost"`` stands only if ``p_alive < p_alive_lost``; otherwise it is *downgraded* to
    ``"at_risk"`` (the rhythm evidence is strong enough to keep watching the client).
    ``"at_risk"`` stands only if ``p_alive < p_alive_at_risk``; otherwise it becomes ``"ok"``.
    The model never raises a flag on its own: a short silence stays ``"ok"`` whatever
    ``p_alive`` says. A client without a ``p_alive`` (null, or no frame) is judged on rhythm
    alone. The result is monotone: a longer silence never gives a milder flag.

Every row carries an English reason naming the numbers, e.g. ``"No purchase for 95 days;
usually every 14 days (6.8× the usual gap); probability alive 8 %"``.
"""

from __future__ import annotations

import polars as pl

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.frames import numeric_column, require_columns
from kam.analytics.summary import client_day_key, grouped_calibration, purchase_days
from kam.analytics.windows import days_between


def _number(expr: pl.Expr) -> pl.Expr:
    """Whole numbers without decimals, others with one decimal, as text."""
    return (
        pl.when(expr == expr.round(0))
        .then(expr.round(0).cast(pl.Int64).cast(pl.String))
        .otherwise(expr.round(1).cast(pl.String))
    )


def rhythm(
    transactions: pl.DataFrame,
    config: AnalysisConfig | None = None,
    p_alive: pl.DataFrame | None = None,
    *,
    days: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Typical gap, silence, risk and reason of every client.

    Parameters
    ----------
    transactions
        ``client_id``, ``date``, ``amount``.
    config
        ``as_of``, ``risk_multiple``, ``lost_multiple``, ``risk_floor_days``,
        ``lost_floor_days``, ``p_alive_at_risk`` and ``p_alive_lost`` are used.
    p_alive
        Optional ``client_id`` and ``p_alive`` (0–1) per client, e.g. from BG/NBD.
    days
        The :func:`~kam.analytics.summary.purchase_days` of ``transactions`` up to as-of when
        the caller has them already (``transactions`` must then be validated, with
        ``config.as_of`` set).

    Returns
    -------
    pl.DataFrame
        Sorted by ``client_id``: ``client_id, last_purchase, purchase_days, typical_gap_days,
        silence_days, p_alive, risk, reason``.

    Raises
    ------
    AnalyticsInputError
        When a column of ``transactions`` or ``p_alive`` is missing or malformed.
    """
    config = config or AnalysisConfig()
    as_of, days = grouped_calibration(transactions, config, days, purchase_days)
    # Gaps over all clients' days sorted once: a per-client sort and diff inside the
    # aggregation is several times slower with hundreds of thousands of clients.
    same_client = pl.col(s.CLIENT) == pl.col(s.CLIENT).shift(1)
    gap = pl.when(same_client).then((pl.col(s.DATE) - pl.col(s.DATE).shift(1)).dt.total_days())
    packed = client_day_key(days)
    order = [packed[0]] if packed is not None else [pl.col(s.CLIENT), pl.col(s.DATE)]
    per_client = (
        days.lazy()
        .sort(order)
        .with_columns(gap.alias("_gap"))
        .group_by(s.CLIENT)
        .agg(
            pl.col(s.DATE).max().alias(s.LAST_PURCHASE),
            pl.len().cast(pl.UInt32).alias(s.PURCHASE_DAYS),
            pl.col("_gap").median().cast(pl.Float64).alias(s.TYPICAL_GAP_DAYS),
        )
        .with_columns(days_between(pl.col(s.LAST_PURCHASE), pl.lit(as_of)).alias(s.SILENCE_DAYS))
        .collect()
    )
    if p_alive is not None:
        require_columns(p_alive, (s.CLIENT, s.P_ALIVE), "p_alive")
        model = p_alive.select(
            s.CLIENT, numeric_column_nullable(p_alive, s.P_ALIVE).alias(s.P_ALIVE)
        )
        per_client = per_client.join(model, on=s.CLIENT, how="left")
    else:
        per_client = per_client.with_columns(pl.lit(None, dtype=pl.Float64).alias(s.P_ALIVE))
    return flag(per_client, config).sort(s.CLIENT)


def numeric_column_nullable(frame: pl.DataFrame, name: str) -> pl.Expr:
    """Like :func:`kam.analytics.frames.numeric_column` but nulls are allowed."""
    if frame.get_column(name).null_count() == 0:
        return numeric_column(frame, name, name)
    return numeric_column(frame.drop_nulls(name), name, name)


def flag(per_client: pl.DataFrame, config: AnalysisConfig) -> pl.DataFrame:
    """Risk and reason from ``purchase_days``, ``typical_gap_days``, ``silence_days`` and
    ``p_alive`` (see the module docstring for the rules)."""
    silence = pl.col(s.SILENCE_DAYS).cast(pl.Float64)
    gap = pl.col(s.TYPICAL_GAP_DAYS)
    prob = pl.col(s.P_ALIVE)
    rhythm_flag = (
        pl.when(gap.is_null())
        .then(pl.lit("new"))
        .when((silence > config.lost_multiple * gap) & (silence >= config.lost_floor_days))
        .then(pl.lit("lost"))
        .when((silence > config.risk_multiple * gap) & (silence >= config.risk_floor_days))
        .then(pl.lit("at_risk"))
        .otherwise(pl.lit("ok"))
    )
    base = pl.col("_rhythm")
    risk = (
        pl.when(prob.is_null() | base.is_in(["new", "ok"]))
        .then(base)
        .when(base == "lost")
        .then(pl.when(prob < config.p_alive_lost).then(pl.lit("lost")).otherwise(pl.lit("at_risk")))
        .otherwise(
            pl.when(prob < config.p_alive_at_risk).then(pl.lit("at_risk")).otherwise(pl.lit("ok"))
        )
    )
    silence_text = pl.col(s.SILENCE_DAYS).cast(pl.String)
    silence_days = (
        pl.when(pl.col(s.SILENCE_DAYS) == 1)
        .then(pl.lit("1 day"))
        .otherwise(pl.format("{} days", silence_text))
    )
    rhythm_text = pl.format(
        "usually every {} days ({}× the usual gap)",
        _number(gap),
        (silence / gap).round(1).cast(pl.String),
    )
    opening = (
        pl.when(pl.col(s.RISK) == "ok")
        .then(pl.format("Last purchase {} ago", silence_days))
        .otherwise(pl.format("No purchase for {}", silence_days))
    )
    percent = (prob * 100).round(0).cast(pl.Int64).cast(pl.String)
    model_text = (
        pl.when(prob.is_null())
        .then(pl.lit(""))
        .when((base == "lost") & (pl.col(s.RISK) == "at_risk"))
        .then(pl.format("; probability alive {} % (too high to call it lost)", percent))
        .when((base == "at_risk") & (pl.col(s.RISK) == "ok"))
        .then(pl.format("; probability alive {} % (likely still active)", percent))
        .otherwise(pl.format("; probability alive {} %", percent))
    )
    reason = (
        pl.when(base == "new")
        .then(pl.format("Only one purchase day so far, {} ago; no rhythm yet", silence_days))
        .otherwise(pl.concat_str(opening, pl.lit("; "), rhythm_text, model_text))
    )
    return (
        per_client.with_columns(rhythm_flag.alias("_rhythm"))
        .with_columns(risk.alias(s.RISK))
        .with_columns(reason.alias(s.REASON))
        .select(
            s.CLIENT,
            s.LAST_PURCHASE,
            s.PURCHASE_DAYS,
            s.TYPICAL_GAP_DAYS,
            s.SILENCE_DAYS,
            s.P_ALIVE,
            pl.col("_rhythm").alias(s.RHYTHM_FLAG),
            s.RISK,
            s.REASON,
        )
    )
