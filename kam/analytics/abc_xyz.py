"""ABC and XYZ classes of clients, and the combined ABC-XYZ matrix (R7).

Rules (issue 3), with the choices this module makes where the issue leaves room:

ABC
    Value = revenue (``amount``) or margin (``margin`` column, else ``amount − cost``) summed
    over the analysis window (:func:`kam.analytics.windows.analysis_window`). Clients are ranked
    by value descending, ties by client id ascending. Shares are taken of the total *positive*
    value: a client's share is ``max(value, 0) / Σ max(value, 0)``, so shares are in [0, 1] and
    sum to 1. A client is A while the cumulative share of the clients ranked *above* it is below
    ``abc_thresholds[0]`` (80 %), B while below ``abc_thresholds[1]`` (95 %), C otherwise.
    Clients with zero or negative value are always C (and so is everyone when no client has a
    positive value). The comparison carries a relative tolerance of 1e-12 so that a client
    exactly on a limit is reliably in the lower class whatever the float rounding.
XYZ
    Coefficient of variation (population standard deviation / mean) of the client's monthly
    purchase amounts (revenue, whatever the ABC basis) over the window's months, counting months
    without a purchase as zero and excluding months before the client's first-ever purchase
    month (first-ever in the whole calibration period, not just the window). Fewer than
    ``xyz_min_months`` such months → ``"new"`` (CV still reported). X when CV ≤ 10 %, Y when
    ≤ 25 %, Z above (inclusive limits, tolerance 1e-9). A client whose mean monthly amount is
    zero or negative has no CV (null) and is Z.
Who is classified
    Clients with at least one line in the analysis window. Clients silent throughout the window
    are absent (their value would be 0: C).
"""

from __future__ import annotations

import polars as pl

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.frames import by_value, margin_expr, validate_transactions
from kam.analytics.windows import month_index_expr, resolve_as_of, window_month_range

ABC_CLASSES = ("A", "B", "C")
XYZ_CLASSES = ("X", "Y", "Z", "new")

_ABC_TOLERANCE = 1e-12
_CV_TOLERANCE = 1e-9

#: The standard reading of each cell of the ABC-XYZ matrix (English; translate by key).
CELL_READINGS: dict[str, str] = {
    "AX": "High value, stable demand: keep, automate replenishment, long-term contract",
    "AY": "High value, fluctuating demand: keep, plan jointly with the client, safety stock",
    "AZ": "High value, irregular demand: find out why, individual attention, secure the account",
    "BX": "Medium value, stable demand: grow the share of wallet, standard replenishment",
    "BY": "Medium value, fluctuating demand: develop, regular contact, forecast together",
    "BZ": "Medium value, irregular demand: watch, find the causes of irregularity",
    "CX": "Low value, stable demand: serve efficiently through low-cost channels",
    "CY": "Low value, fluctuating demand: serve at minimal cost, review the terms",
    "CZ": "Low value, irregular demand: minimise effort, review whether to keep",
    "Anew": "High value, too little history: a new large client, onboard personally",
    "Bnew": "Medium value, too little history: develop, watch the next months",
    "Cnew": "Low value, too little history: watch and qualify the potential",
}

_MONTH = "_month"
_VAL = "_val"
_AMT = "_amt"


def classify_abc(
    values: pl.DataFrame, thresholds: tuple[float, float] = (0.80, 0.95)
) -> pl.DataFrame:
    """Rank clients by value and assign ABC classes.

    Parameters
    ----------
    values
        ``client_id`` and ``value``, one row per client (other columns pass through).
    thresholds
        Cumulative-share limits of A and B, of the clients ranked above.

    Returns
    -------
    pl.DataFrame
        Sorted by rank, with ``rank`` (1 = highest value), ``share``, ``cum_share_above`` and
        ``abc`` added.
    """
    a_limit, b_limit = thresholds
    positive = pl.col(s.VALUE).clip(lower_bound=0.0)
    total = positive.sum()
    above = positive.cum_sum() - positive
    ranked = values.sort(by_value(), descending=[True, False], nulls_last=True)
    return ranked.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias(s.RANK),
        pl.when(total > 0).then(positive / total).otherwise(0.0).alias(s.SHARE),
        pl.when(total > 0).then(above / total).otherwise(1.0).alias(s.CUM_SHARE_ABOVE),
        pl.when((pl.col(s.VALUE) <= 0) | (total <= 0))
        .then(pl.lit("C"))
        .when(above < a_limit * total * (1 - _ABC_TOLERANCE))
        .then(pl.lit("A"))
        .when(above < b_limit * total * (1 - _ABC_TOLERANCE))
        .then(pl.lit("B"))
        .otherwise(pl.lit("C"))
        .alias(s.ABC),
    )


def xyz_expr(config: AnalysisConfig) -> pl.Expr:
    """The XYZ class from ``cv`` and ``months_observed`` columns."""
    x_limit, y_limit = config.xyz_thresholds
    cv = pl.col(s.CV)
    return (
        pl.when(pl.col(s.MONTHS_OBSERVED) < config.xyz_min_months)
        .then(pl.lit("new"))
        .when(cv.is_null())
        .then(pl.lit("Z"))
        .when(cv <= x_limit + _CV_TOLERANCE)
        .then(pl.lit("X"))
        .when(cv <= y_limit + _CV_TOLERANCE)
        .then(pl.lit("Y"))
        .otherwise(pl.lit("Z"))
        .alias(s.XYZ)
    )


def abc_xyz(transactions: pl.DataFrame, config: AnalysisConfig | None = None) -> pl.DataFrame:
    """ABC and XYZ class of every client active in the analysis window.

    Parameters
    ----------
    transactions
        ``client_id``, ``date``, ``amount``; with ``abc_by="margin"`` also ``margin`` or
        ``cost``.
    config
        ``as_of``, ``window_months``, ``abc_by``, ``abc_thresholds``, ``xyz_thresholds`` and
        ``xyz_min_months`` are used.

    Returns
    -------
    pl.DataFrame
        One row per client, sorted by rank: ``client_id, value, rank, share, cum_share_above,
        abc, months_observed, cv, xyz``.

    Raises
    ------
    AnalyticsInputError
        When a required column is missing or malformed (including the margin basis without a
        ``margin`` or ``cost`` column).
    """
    config = config or AnalysisConfig()
    by_margin = config.abc_by == "margin"
    tx = validate_transactions(transactions, need_margin=by_margin)
    as_of = resolve_as_of(tx, config.as_of)
    first_month, last_month = window_month_range(as_of, config.window_months)

    aggs = [pl.col(s.AMOUNT).sum().alias(_AMT)]
    if by_margin:
        aggs.append(margin_expr(tx).sum().alias(_VAL))
    monthly = client_month_totals(tx.filter(pl.col(s.DATE) <= as_of), aggs)
    value_col = _VAL if by_margin else _AMT
    in_window = pl.col(_MONTH).is_between(first_month, last_month)
    window_amount = pl.when(in_window).then(pl.col(_AMT)).otherwise(0.0)
    per_client = (
        monthly.with_columns(
            in_window.cast(pl.UInt32).alias("_k"),
            pl.when(in_window).then(pl.col(value_col)).otherwise(0.0).alias(s.VALUE),
            window_amount.alias("_s1"),
            (window_amount * window_amount).alias("_s2"),
        )
        .group_by(s.CLIENT)
        .agg(
            pl.col(_MONTH).min().alias("_first"),
            pl.col("_k").sum(),
            pl.col(s.VALUE).sum(),
            pl.col("_s1").sum(),
            pl.col("_s2").sum(),
        )
    )
    months = (
        pl.lit(last_month, dtype=pl.Int32)
        - pl.max_horizontal(pl.lit(first_month, dtype=pl.Int32), pl.col("_first"))
        + 1
    ).cast(pl.UInt32)
    mean = pl.col("_s1") / pl.col(s.MONTHS_OBSERVED).cast(pl.Float64)
    variance = (pl.col("_s2") / pl.col(s.MONTHS_OBSERVED).cast(pl.Float64) - mean * mean).clip(
        lower_bound=0.0
    )
    classified = (
        per_client.filter(pl.col("_k") > 0)
        .with_columns(months.alias(s.MONTHS_OBSERVED))
        .with_columns(pl.when(mean > 0).then(variance.sqrt() / mean).otherwise(None).alias(s.CV))
        .select(s.CLIENT, s.VALUE, s.MONTHS_OBSERVED, s.CV)
        .collect()
    )
    ranked = classify_abc(classified, config.abc_thresholds)
    return ranked.with_columns(xyz_expr(config)).select(
        s.CLIENT,
        s.VALUE,
        s.RANK,
        s.SHARE,
        s.CUM_SHARE_ABOVE,
        s.ABC,
        s.MONTHS_OBSERVED,
        s.CV,
        s.XYZ,
    )


def client_month_totals(tx: pl.DataFrame, aggs: list[pl.Expr]) -> pl.LazyFrame:
    """Group lines by client and month index (``_month``), applying ``aggs``.

    With integer client ids (the usual ERP case) the two keys are packed into one Int64 —
    ``(client − min) × months + month offset`` — which Polars groups about three times faster
    than a two-column key; the month index comes from a per-day lookup table rather than
    year/month arithmetic on every line. Other id types use the plain two-column group-by.
    """
    month = month_index_expr(pl.col(s.DATE))
    client_type = tx.schema[s.CLIENT]
    if tx.height == 0 or not client_type.is_integer():
        return tx.lazy().group_by(s.CLIENT, month.alias(_MONTH)).agg(aggs)
    bounds = tx.select(
        pl.col(s.DATE).min().alias("d0"),
        pl.col(s.DATE).max().alias("d1"),
        pl.col(s.CLIENT).cast(pl.Int64).min().alias("c0"),
        pl.col(s.CLIENT).cast(pl.Int64).max().alias("c1"),
    ).row(0)
    d0, d1, c0, c1 = bounds
    day_months = pl.date_range(d0, d1, eager=True).to_frame(s.DATE).select(month.alias("m"))
    lookup = day_months.get_column("m")
    m0 = int(lookup[0])
    span = int(lookup[-1]) - m0 + 1
    if (c1 - c0 + 1) * span >= 2**62:
        return tx.lazy().group_by(s.CLIENT, month.alias(_MONTH)).agg(aggs)
    day = pl.col(s.DATE).cast(pl.Int32) - pl.lit(d0).cast(pl.Int32)
    month_offset = pl.lit(lookup - m0).gather(day).cast(pl.Int64)
    key = (pl.col(s.CLIENT).cast(pl.Int64) - c0) * span + month_offset
    return (
        tx.lazy()
        .group_by(key.alias("_key"))
        .agg(aggs)
        .with_columns(
            (pl.col("_key") // span + c0).cast(client_type).alias(s.CLIENT),
            (pl.col("_key") % span + m0).cast(pl.Int32).alias(_MONTH),
        )
        .drop("_key")
    )


def abc_xyz_matrix(classes: pl.DataFrame) -> pl.DataFrame:
    """The ABC-XYZ matrix: 12 cells (A/B/C × X/Y/Z/new), long format.

    Parameters
    ----------
    classes
        The result of :func:`abc_xyz` (``abc``, ``xyz``, ``share`` are used).

    Returns
    -------
    pl.DataFrame
        ``abc, xyz, cell, clients, client_share, value_share, reading`` — one row per cell in
        the order AX, AY, AZ, Anew, BX, …, Cnew, empty cells included (zeros). Client shares and
        value shares each sum to 1 over the cells (when there is any client / positive value).
    """
    cells = pl.DataFrame(
        {
            s.ABC: [a for a in ABC_CLASSES for _ in XYZ_CLASSES],
            s.XYZ: [x for _ in ABC_CLASSES for x in XYZ_CLASSES],
        }
    )
    counts = classes.group_by(s.ABC, s.XYZ).agg(
        pl.len().cast(pl.UInt32).alias("clients"), pl.col(s.SHARE).sum().alias("value_share")
    )
    total = max(classes.height, 1)
    return (
        cells.join(counts, on=[s.ABC, s.XYZ], how="left", maintain_order="left")
        .with_columns(
            (pl.col(s.ABC) + pl.col(s.XYZ)).alias("cell"),
            pl.col("clients").fill_null(0),
            pl.col("value_share").fill_null(0.0),
        )
        .with_columns(
            (pl.col("clients").cast(pl.Float64) / total).alias("client_share"),
            pl.col("cell").replace_strict(CELL_READINGS, return_dtype=pl.String).alias("reading"),
        )
        .select(s.ABC, s.XYZ, "cell", "clients", "client_share", "value_share", "reading")
    )
