"""RFM: recency, frequency and monetary quintile scores and named segments.

Over the calibration period (``date <= as_of``):

recency
    Days from the client's last purchase day to the as-of date (fewer is better).
frequency
    Number of purchase days (see :mod:`kam.analytics.summary`: days with a positive total).
monetary
    Total amount of all the client's lines in the calibration period (returns included).

Scores are 1–5, 5 best (most recent, most frequent, highest monetary). Ties: each client gets
the *average* rank of its tie group (so tied clients always share a score, and the result does
not depend on row order), and the score is the quintile of the rank's mid-point:
``score = floor(5 × (rank − 0.5) / N) + 1``. With N distinct values this gives the usual equal
fifths; a single client scores 3.

Segments follow the standard R/F grid:

===== ========================================================
R \\ F 1      2      3      4      5
===== ========================================================
5     new    potential_loyalists (2–3)  champions (4–5)
4     promising  potential_loyalists (2–3)  loyal (4–5)
3     about_to_sleep (1–2)  need_attention (3)  loyal (4–5)
1–2   hibernating (1–2; lost when R=1 and F=1)  at_risk (3–4)  cannot_lose (5)
===== ========================================================
"""

from __future__ import annotations

import polars as pl

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.summary import DAY_TOTAL, day_totals, grouped_calibration
from kam.analytics.windows import days_between

RECENCY_DAYS = "recency_days"
MONETARY_TOTAL = "monetary_total"

#: Segment key → (English label, Russian label).
SEGMENT_LABELS: dict[str, tuple[str, str]] = {
    "champions": ("Champions", "Чемпионы"),
    "loyal": ("Loyal", "Лояльные"),
    "potential_loyalists": ("Potential loyalists", "Потенциально лояльные"),
    "new": ("New", "Новые"),
    "promising": ("Promising", "Перспективные"),
    "need_attention": ("Need attention", "Требуют внимания"),
    "about_to_sleep": ("About to sleep", "Засыпающие"),
    "at_risk": ("At risk", "В зоне риска"),
    "cannot_lose": ("Cannot lose them", "Нельзя потерять"),
    "hibernating": ("Hibernating", "Спящие"),
    "lost": ("Lost", "Потерянные"),
}


def _segment_of(r: int, f: int) -> str:
    if r <= 2:
        if f <= 2:
            return "lost" if (r, f) == (1, 1) else "hibernating"
        return "at_risk" if f <= 4 else "cannot_lose"
    if r == 3:
        return "about_to_sleep" if f <= 2 else "need_attention" if f == 3 else "loyal"
    if f == 1:
        return "promising" if r == 4 else "new"
    if f <= 3:
        return "potential_loyalists"
    return "loyal" if r == 4 else "champions"


#: ``10 × R + F`` → segment key, for all 25 cells.
SEGMENT_GRID: dict[int, str] = {
    10 * r + f: _segment_of(r, f) for r in range(1, 6) for f in range(1, 6)
}


def quintile_score(values: pl.Expr) -> pl.Expr:
    """Score 1–5 of ``values`` (higher value → higher score), average rank for ties."""
    rank = values.rank("average")
    return (((rank - 0.5) * 5.0 / pl.len().cast(pl.Float64)).floor().cast(pl.Int8) + 1).clip(1, 5)


def rfm(
    transactions: pl.DataFrame,
    config: AnalysisConfig | None = None,
    *,
    totals: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """RFM scores and segments of every client with a purchase day in the calibration period.

    Parameters
    ----------
    transactions
        ``client_id``, ``date``, ``amount``.
    config
        ``as_of`` is used.
    totals
        The :func:`~kam.analytics.summary.day_totals` of ``transactions`` up to as-of when the
        caller has them already (``transactions`` must then be validated, with
        ``config.as_of`` set).

    Returns
    -------
    pl.DataFrame
        Sorted by ``client_id``: ``client_id, last_purchase, recency_days, purchase_days,
        monetary_total, r_score, f_score, m_score, rfm_segment``.
    """
    config = config or AnalysisConfig()
    as_of, totals = grouped_calibration(transactions, config, totals, day_totals)
    bought = pl.col(DAY_TOTAL) > 0
    per_client = (
        totals.lazy()
        .group_by(s.CLIENT)
        .agg(
            pl.col(s.DATE).filter(bought).max().alias(s.LAST_PURCHASE),
            bought.sum().cast(pl.UInt32).alias(s.PURCHASE_DAYS),
            pl.col(DAY_TOTAL).sum().alias(MONETARY_TOTAL),
        )
        .filter(pl.col(s.PURCHASE_DAYS) > 0)
        .with_columns(days_between(pl.col(s.LAST_PURCHASE), pl.lit(as_of)).alias(RECENCY_DAYS))
        .collect()
    )
    return rfm_scores(per_client)


def rfm_scores(per_client: pl.DataFrame) -> pl.DataFrame:
    """Scores and segments from ``recency_days``, ``purchase_days`` and ``monetary_total``."""
    scored = per_client.with_columns(
        quintile_score(-pl.col(RECENCY_DAYS)).alias(s.R_SCORE),
        quintile_score(pl.col(s.PURCHASE_DAYS)).alias(s.F_SCORE),
        quintile_score(pl.col(MONETARY_TOTAL)).alias(s.M_SCORE),
    )
    key = pl.col(s.R_SCORE).cast(pl.Int64) * 10 + pl.col(s.F_SCORE).cast(pl.Int64)
    return (
        scored.with_columns(
            key.replace_strict(SEGMENT_GRID, return_dtype=pl.String).alias(s.RFM_SEGMENT)
        )
        .select(
            s.CLIENT,
            s.LAST_PURCHASE,
            RECENCY_DAYS,
            s.PURCHASE_DAYS,
            MONETARY_TOTAL,
            s.R_SCORE,
            s.F_SCORE,
            s.M_SCORE,
            s.RFM_SEGMENT,
        )
        .sort(s.CLIENT)
    )


def segment_label(language: str = "en") -> pl.Expr:
    """Expression mapping ``rfm_segment`` to its label in ``"en"`` or ``"ru"``."""
    index = 1 if language == "ru" else 0
    mapping = {key: labels[index] for key, labels in SEGMENT_LABELS.items()}
    return pl.col(s.RFM_SEGMENT).replace_strict(mapping, return_dtype=pl.String)
