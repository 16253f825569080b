"""Key-client scoring (R1–R4) and the suggested client type (R5).

Criteria (per client active in the analysis window; metric → what "more" means):

``revenue``      amount over the window.
``margin``       margin over the window (only when a ``margin`` or ``cost`` column exists).
``growth``       year on year: window revenue vs the same-length period just before it,
                 ``cur / prev − 1`` clipped to [−1, ``growth_cap``]; no previous revenue and
                 some current revenue → ``growth_cap``; neither → 0.
``tenure``       years from the first purchase (any line in the calibration period) to as-of.
``regularity``   ``1 − min(cv, cv_cap) / cv_cap`` (cv from XYZ; no cv → 0).
``frequency``    distinct transaction days in the window.
``potential``, ``share_of_wallet``, ``strategic``
                 taken from an optional client-attributes frame when it has these columns
                 (``strategic`` is a boolean flag → 0/1). Higher is better for all three.

Each criterion is normalised to 0–1 over the scored clients by one of :data:`METHODS`:

``percentile``   the share of the other clients with a lower value (ties share their average
                 rank): the client above 90 % of the others gets 0.9 whatever the gaps. The
                 default for money measures (:data:`DEFAULT_NORMALISATION`), whose Pareto-shaped
                 spread would push everyone but the largest clients towards 0 under min–max.
``log``          min–max of ``sign(x) · ln(1 + |x|)``: big values still count for more, but
                 orders of magnitude instead of absolute gaps; zeros and negatives are allowed.
``minmax``       ``(x − min) / (max − min)``: proportional to the raw gaps.
``bands``        the share of the given band edges the value reaches.

A **constant** criterion (including a single client) normalises to 0.5 for everybody under
percentile, log and min–max: it carries no information, so it shifts every score equally and
changes no rank. Missing values normalise to 0. Every method is monotone: a higher raw value
never gets a lower normalised one. Weights come from
:data:`DEFAULT_WEIGHTS` updated by ``AnalysisConfig.scoring_weights`` (methods: by
``scoring_normalisation``); criteria whose data are
absent are dropped and the remaining weights are rescaled to sum to 1. Then
``contribution_<name> = 100 × weight × normalised`` and ``score`` = their sum (0–100).

Suggested type (first that applies): ``"breadwinner"`` when the client's margin is at least
``breadwinner_share`` (10 %) of the total margin of all scored clients (revenue when there is no
margin) and tenure ≥ ``breadwinner_min_tenure_years``; ``"image_maker"`` when a boolean
``is_leader`` attribute is true; ``"expert"`` when ``is_expert`` is true; ``"prospective"`` when
growth is positive and in the top quartile (≥ the ``prospective_growth_quantile`` quantile) and
the client's share of revenue is below ``prospective_max_share`` — or, when the attributes give
``potential`` and ``share_of_wallet`` (R5: high potential, low current share), when its potential
is at least the ``prospective_potential_quantile`` quantile (the median) of the potentials
estimated and its share of wallet is below ``prospective_max_wallet_share`` per cent; else ``""``.
"""

from __future__ import annotations

import dataclasses
import sys

import polars as pl

from kam.analytics import schema as s
from kam.analytics.abc_xyz import abc_xyz
from kam.analytics.config import AnalysisConfig
from kam.analytics.frames import margin_expr, require_columns, validate_transactions
from kam.analytics.windows import (
    analysis_window,
    days_between,
    month_index,
    resolve_as_of,
)

#: Default weight of each criterion (rescaled over the criteria with data).
DEFAULT_WEIGHTS: dict[str, float] = {
    "revenue": 0.20,
    "margin": 0.20,
    "growth": 0.15,
    "tenure": 0.10,
    "regularity": 0.10,
    "frequency": 0.10,
    "potential": 0.10,
    "share_of_wallet": 0.0,
    "strategic": 0.05,
}

PERCENTILE, LOG, MINMAX, BANDS = "percentile", "log", "minmax", "bands"
#: The normalisation methods (see the module docstring).
METHODS = (PERCENTILE, LOG, MINMAX, BANDS)
#: Money measures default to percentile rank; the others keep min–max.
MONEY_CRITERIA = frozenset({"revenue", "margin", "potential"})
DEFAULT_NORMALISATION: dict[str, str] = {
    name: PERCENTILE if name in MONEY_CRITERIA else MINMAX for name in DEFAULT_WEIGHTS
}

#: Other tunables of scoring and the suggested type.
SCORING_DEFAULTS: dict[str, float] = {
    "growth_cap": 1.0,
    "cv_cap": 1.0,
    "breadwinner_share": 0.10,
    "breadwinner_min_tenure_years": 1.0,
    "prospective_growth_quantile": 0.75,
    "prospective_max_share": 0.02,
    "prospective_potential_quantile": 0.5,
    "prospective_max_wallet_share": 30.0,
}

POTENTIAL = "potential"
SHARE_OF_WALLET = "share_of_wallet"
STRATEGIC = "is_strategic"
IS_LEADER = "is_leader"
IS_EXPERT = "is_expert"
REVENUE = "revenue"
TENURE_YEARS = "tenure_years"
GROWTH = "growth"
REGULARITY = "regularity"
FREQUENCY_DAYS = "frequency_days"

CRITERION_COLUMN = {
    "revenue": REVENUE,
    "margin": s.MARGIN,
    "growth": GROWTH,
    "tenure": TENURE_YEARS,
    "regularity": REGULARITY,
    "frequency": FREQUENCY_DAYS,
    "potential": POTENTIAL,
    "share_of_wallet": SHARE_OF_WALLET,
    "strategic": STRATEGIC,
}


def client_metrics(
    transactions: pl.DataFrame, config: AnalysisConfig, classes: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per-client raw metrics of the criteria (see the module docstring); ``classes``: the
    revenue ABC-XYZ classes of ``transactions`` when the caller has them already."""
    tx = validate_transactions(transactions)
    as_of = resolve_as_of(tx, config.as_of)
    start, end = analysis_window(as_of, config.window_months)
    prev_start_index = month_index(start.year, start.month) - config.window_months
    prev_start = start.replace(year=prev_start_index // 12, month=prev_start_index % 12 + 1)
    has_margin = s.MARGIN in tx.columns or s.COST in tx.columns
    cap = SCORING_DEFAULTS["growth_cap"]
    date = pl.col(s.DATE)
    in_window = date.is_between(start, end)
    aggs = [
        date.min().alias("_first"),
        pl.col(s.AMOUNT)
        .filter(date.is_between(prev_start, start, closed="left"))
        .sum()
        .alias("_prev"),
        date.filter(in_window).n_unique().cast(pl.Float64).alias(FREQUENCY_DAYS),
    ]
    if has_margin:
        aggs.append(margin_expr(tx).filter(in_window).sum().alias(s.MARGIN))
    extra = tx.lazy().filter(date <= as_of).group_by(s.CLIENT).agg(aggs).collect()
    if classes is None:
        classes = abc_xyz(tx, dataclasses.replace(config, as_of=as_of, abc_by="revenue"))
    cur, prev = pl.col(REVENUE), pl.col("_prev")
    cv_cap = SCORING_DEFAULTS["cv_cap"]
    return (
        classes.select(s.CLIENT, pl.col(s.VALUE).alias(REVENUE), s.CV)
        .join(extra, on=s.CLIENT, how="left")
        .with_columns(
            pl.when(prev > 0)
            .then((cur / prev - 1).clip(-1.0, cap))
            .when(cur > 0)
            .then(pl.lit(cap))
            .otherwise(0.0)
            .alias(GROWTH),
            (days_between(pl.col("_first"), pl.lit(as_of)).cast(pl.Float64) / 365.25).alias(
                TENURE_YEARS
            ),
            (1 - pl.col(s.CV).clip(0.0, cv_cap) / cv_cap).fill_null(0.0).alias(REGULARITY),
        )
        .drop("_first", "_prev")
    )


def _minmax(x: pl.Expr) -> pl.Expr:
    low, high = x.min(), x.max()
    # A spread below the smallest normal float is no spread: dividing by it gives inf and NaN.
    spread = high - low
    return (
        pl.when(spread >= sys.float_info.min).then((x - low) / spread).otherwise(0.5).clip(0.0, 1.0)
    )


def _percentile(x: pl.Expr) -> pl.Expr:
    # Average ranks 1…n over the clients with a value; all equal → (n + 1) / 2 → 0.5.
    n = x.count()
    return pl.when(n > 1).then((x.rank("average") - 1) / (n - 1)).otherwise(0.5)


def _log(x: pl.Expr) -> pl.Expr:
    return _minmax(x.sign() * x.abs().log1p())


def banded(column: str, edges: tuple[float, ...] | list[float]) -> pl.Expr:
    """Share of the band edges the value reaches: 0 below the first, 1 from the last."""
    x = pl.col(column).cast(pl.Float64)
    reached = pl.sum_horizontal([(x >= e).cast(pl.Float64).fill_null(0.0) for e in edges])
    return (reached / len(edges)).fill_null(0.0)


def normalised(
    column: str, method: str = MINMAX, edges: tuple[float, ...] | list[float] = ()
) -> pl.Expr:
    """``column`` normalised to 0–1 by ``method`` (:data:`METHODS`); missing values → 0.

    ``bands`` needs ``edges``; without them it falls back to min–max."""
    if method == BANDS and edges:
        return banded(column, edges)
    x = pl.col(column).cast(pl.Float64)
    x = pl.when(x.is_finite()).then(x)  # NaN or infinity carry no rank: treated as missing
    scale = {PERCENTILE: _percentile, LOG: _log}.get(method, _minmax)
    return scale(x).fill_null(0.0)


def score_clients(
    transactions: pl.DataFrame,
    config: AnalysisConfig | None = None,
    attributes: pl.DataFrame | None = None,
    *,
    classes: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Score every client active in the analysis window.

    Parameters
    ----------
    transactions
        ``client_id``, ``date``, ``amount``; ``margin`` or ``cost`` enable the margin criterion.
    config
        ``as_of``, ``window_months``, ``scoring_weights`` (overrides of
        :data:`DEFAULT_WEIGHTS`) and ``scoring_normalisation`` (overrides of
        :data:`DEFAULT_NORMALISATION`; bands need edges, so the engine does not offer them) are
        used.
    attributes
        Optional per-client ``client_id`` with any of ``potential``, ``share_of_wallet``,
        ``is_strategic``, ``is_leader``, ``is_expert``.
    classes
        The ABC-XYZ classes by revenue (:func:`kam.analytics.abc_xyz.abc_xyz`) of the same
        transactions and as-of, when the caller has them already.

    Returns
    -------
    pl.DataFrame
        Sorted by ``score_rank``: ``client_id``, the raw metrics, ``contribution_<criterion>``
        for each criterion used, ``score`` (0–100), ``score_rank`` and ``suggested_type``.
    """
    config = config or AnalysisConfig()
    metrics = client_metrics(transactions, config, classes)
    if attributes is not None:
        require_columns(attributes, (s.CLIENT,), "client attributes")
        wanted = [
            c
            for c in (POTENTIAL, SHARE_OF_WALLET, STRATEGIC, IS_LEADER, IS_EXPERT)
            if c in attributes.columns
        ]
        metrics = metrics.join(attributes.select(s.CLIENT, *wanted), on=s.CLIENT, how="left")

    weights = {**DEFAULT_WEIGHTS, **config.scoring_weights}
    methods = {**DEFAULT_NORMALISATION, **config.scoring_normalisation}
    unknown = (set(weights) | set(methods)) - set(CRITERION_COLUMN)
    if unknown:
        raise ValueError(f"unknown scoring criteria: {', '.join(sorted(unknown))}")
    wrong = {m for m in methods.values() if m not in METHODS or m == BANDS}
    if wrong:
        raise ValueError(f"unknown normalisation: {', '.join(sorted(wrong))}")
    used = {
        name: w
        for name, w in weights.items()
        if w > 0 and CRITERION_COLUMN[name] in metrics.columns
    }
    total_weight = sum(used.values()) or 1.0
    contributions = [
        (100.0 * w / total_weight * normalised(CRITERION_COLUMN[name], methods[name])).alias(
            s.CONTRIBUTION_PREFIX + name
        )
        for name, w in used.items()
    ]
    scored = metrics.with_columns(contributions).with_columns(
        pl.sum_horizontal([s.CONTRIBUTION_PREFIX + n for n in used]).alias(s.SCORE)
        if used
        else pl.lit(0.0).alias(s.SCORE)
    )
    scored = scored.sort([s.SCORE, s.CLIENT], descending=[True, False]).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias(s.SCORE_RANK),
        suggested_type(scored).alias(s.SUGGESTED_TYPE),
    )
    return scored


def suggested_type(metrics: pl.DataFrame) -> pl.Expr:
    """The R5 client type expression (see the module docstring) for a metrics frame."""
    basis = pl.col(s.MARGIN) if s.MARGIN in metrics.columns else pl.col(REVENUE)
    revenue_total = pl.col(REVENUE).clip(lower_bound=0.0).sum()
    revenue_share = pl.when(revenue_total > 0).then(pl.col(REVENUE) / revenue_total).otherwise(0.0)
    breadwinner = (
        (basis >= SCORING_DEFAULTS["breadwinner_share"] * basis.sum())
        & (basis > 0)
        & (pl.col(TENURE_YEARS) >= SCORING_DEFAULTS["breadwinner_min_tenure_years"])
    )
    growth = pl.col(GROWTH)
    prospective = (
        (growth > 0)
        & (growth >= growth.quantile(SCORING_DEFAULTS["prospective_growth_quantile"], "linear"))
        & (revenue_share < SCORING_DEFAULTS["prospective_max_share"])
    )
    if POTENTIAL in metrics.columns and SHARE_OF_WALLET in metrics.columns:
        potential = pl.col(POTENTIAL)
        untapped = (
            (potential > 0)
            & (potential >= potential.quantile(SCORING_DEFAULTS["prospective_potential_quantile"]))
            & (pl.col(SHARE_OF_WALLET) < SCORING_DEFAULTS["prospective_max_wallet_share"])
        ).fill_null(False)
        prospective = prospective | untapped
    leader = pl.col(IS_LEADER).fill_null(False) if IS_LEADER in metrics.columns else pl.lit(False)
    expert = pl.col(IS_EXPERT).fill_null(False) if IS_EXPERT in metrics.columns else pl.lit(False)
    return (
        pl.when(breadwinner)
        .then(pl.lit("breadwinner"))
        .when(leader)
        .then(pl.lit("image_maker"))
        .when(expert)
        .then(pl.lit("expert"))
        .when(prospective)
        .then(pl.lit("prospective"))
        .otherwise(pl.lit(""))
    )
