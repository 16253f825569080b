"""Backtest: compare model predictions with what happened after the as-of date.

When the transactions extend past the as-of date, the part after it is a holdout: the models are
fitted on the calibration period, asked to predict the holdout, and the predictions compared with
the actual purchase days and amounts, per client and in total — the check recommended by Fader,
Hardie & Lee (2005, *Marketing Science* 24(2), section 5, "conditional expectations" in the
holdout period) before trusting the model on one's own data.

Only clients known at the as-of date are compared; clients whose first purchase falls in the
holdout are counted in the summary (``new_clients_in_holdout``) but have no prediction.

When nothing follows the as-of date (the application's case: as-of is the last sale), the engine
holds out the last ``backtest_months`` months itself (:func:`holdout_start`): the models are fitted
again on the history before them and their forecasts — with the same fallbacks the real run would
use — compared with what the clients then bought.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from kam.analytics import quality as q
from kam.analytics import schema as s
from kam.analytics.bgnbd import BGNBDFit
from kam.analytics.clv import assess, forecast_purchases, forecast_spend
from kam.analytics.config import AnalysisConfig
from kam.analytics.frames import require_columns
from kam.analytics.gamma_gamma import GammaGammaFit

#: Groups of clients by predicted purchases in :attr:`BacktestResult.deciles`.
DECILES = 10

Metric = float | int | None


@dataclass(frozen=True)
class BacktestResult:
    """Per-client comparison and summary of a backtest.

    Attributes
    ----------
    clients
        One row per predicted client: CLIENT, EXPECTED_PURCHASES, ACTUAL_PURCHASES and, when
        spend was predicted, PREDICTED_AMOUNT and ACTUAL_AMOUNT.
    summary
        ``n_clients``, ``new_clients_in_holdout``, ``holdout_periods`` (if known) and, for
        ``purchases`` and ``amount``: ``*_predicted``, ``*_actual`` (totals), ``*_ratio``
        (predicted / actual total), ``*_correlation`` (Pearson, per client), ``*_mae`` and
        ``*_rmse`` (per client). Undefined figures (ratio with no actual purchases, correlation of
        a constant) are ``None``.
    deciles
        DECILE (1 = the tenth with the most predicted purchases), ``clients``, the predicted and
        actual purchases and (when predicted) amounts summed over the group.
    as_of, holdout_end
        The holdout is ``(as_of, holdout_end]`` when known.
    rating
        :func:`kam.analytics.quality.rate` of purchases and of amounts (``good``/``fair``/
        ``poor``, ``None`` when there was nothing to rate).
    """

    clients: pl.DataFrame
    summary: dict[str, Metric]
    deciles: pl.DataFrame | None = None
    as_of: dt.date | None = None
    holdout_end: dt.date | None = None
    rating: dict[str, str | None] | None = None


def holdout_periods(as_of: dt.date, holdout_end: dt.date, config: AnalysisConfig) -> float:
    """Length of the holdout ``(as_of, holdout_end]`` in the model's time unit."""
    days = (holdout_end - as_of).days
    if days <= 0:
        raise ValueError("the holdout must end after the as-of date")
    return days / config.days_per_unit


def holdout_start(as_of: dt.date, months: int) -> dt.date:
    """The as-of date of a backtest holding out the last ``months`` months up to ``as_of``.

    The same day ``months`` months earlier, clipped to the month's length; a month-end as-of gives
    a month-end start (30.11 → 31.05 for six months), so the holdout is whole calendar months.
    """
    if months < 1:
        raise ValueError("the holdout must be at least one month")
    index = as_of.year * 12 + as_of.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    month_end = as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]
    return dt.date(year, month, last if month_end else min(as_of.day, last))


def predict_holdout(
    summary: pl.DataFrame,
    bgnbd_fit: BGNBDFit | None,
    gg_fit: GammaGammaFit | None,
    periods: float,
    quality: q.FitQuality | None = None,
) -> pl.DataFrame:
    """Predicted purchases (eq. 10 of the BG/NBD paper) and spend over a holdout of ``periods``,
    or their fallbacks where ``quality`` (default: the verdicts of the fits) says so.

    Returns CLIENT, EXPECTED_PURCHASES and (when spend is forecast) EXPECTED_SPEND.
    """
    quality = assess(bgnbd_fit, gg_fit) if quality is None else quality
    _p_alive, purchases = forecast_purchases(summary, bgnbd_fit, quality.bgnbd, periods)
    out = summary.select(s.CLIENT).with_columns(pl.Series(s.EXPECTED_PURCHASES, purchases))
    spend = forecast_spend(summary, gg_fit, quality.gamma_gamma)
    if spend is not None:
        out = out.with_columns(pl.Series(s.EXPECTED_SPEND, spend))
    return out


def _metrics(
    prefix: str, predicted: NDArray[np.float64], actual: NDArray[np.float64]
) -> dict[str, Metric]:
    pred_total = float(predicted.sum())
    act_total = float(actual.sum())
    err = predicted - actual
    corr: float | None = None
    if predicted.size > 1 and predicted.std() > 0 and actual.std() > 0:
        corr = float(np.corrcoef(predicted, actual)[0, 1])
    n = predicted.size
    return {
        f"{prefix}_predicted": pred_total,
        f"{prefix}_actual": act_total,
        f"{prefix}_ratio": pred_total / act_total if act_total != 0 else None,
        f"{prefix}_correlation": corr,
        f"{prefix}_mae": float(np.abs(err).mean()) if n else None,
        f"{prefix}_rmse": float(np.sqrt((err**2).mean())) if n else None,
    }


def backtest(
    predictions: pl.DataFrame,
    holdout_transactions: pl.DataFrame,
    *,
    as_of: dt.date | None = None,
    holdout_end: dt.date | None = None,
    periods: float | None = None,
) -> BacktestResult:
    """Compare predicted with actual holdout purchases (and amounts), per client and in total.

    Parameters
    ----------
    predictions
        CLIENT and EXPECTED_PURCHASES for the holdout length (see :func:`predict_holdout`);
        optionally EXPECTED_SPEND (expected amount per purchase day) or PREDICTED_AMOUNT.
    holdout_transactions
        CLIENT, DATE and AMOUNT of the transactions after the as-of date. Actual purchases are
        counted as distinct purchase days, like the model's frequency.
    as_of, holdout_end
        If given, only transactions with ``as_of < date <= holdout_end`` are used.
    periods
        Holdout length in the model's time unit, reported in the summary.

    Returns
    -------
    BacktestResult
    """
    require_columns(predictions, (s.CLIENT, s.EXPECTED_PURCHASES), "predictions")
    require_columns(holdout_transactions, (s.CLIENT, s.DATE, s.AMOUNT), "holdout transactions")
    tx = holdout_transactions.select(
        pl.col(s.CLIENT).cast(predictions.schema[s.CLIENT]),
        pl.col(s.DATE).cast(pl.Date),
        pl.col(s.AMOUNT).cast(pl.Float64),
    )
    if as_of is not None:
        tx = tx.filter(pl.col(s.DATE) > as_of)
    if holdout_end is not None:
        tx = tx.filter(pl.col(s.DATE) <= holdout_end)
    actual = tx.group_by(s.CLIENT).agg(
        pl.col(s.DATE).n_unique().cast(pl.Float64).alias(s.ACTUAL_PURCHASES),
        pl.col(s.AMOUNT).sum().alias(s.ACTUAL_AMOUNT),
    )
    pred = predictions.select(
        pl.col(s.CLIENT),
        pl.col(s.EXPECTED_PURCHASES).cast(pl.Float64),
        *(
            [(pl.col(s.EXPECTED_PURCHASES) * pl.col(s.EXPECTED_SPEND)).alias(s.PREDICTED_AMOUNT)]
            if s.EXPECTED_SPEND in predictions.columns
            else [pl.col(s.PREDICTED_AMOUNT).cast(pl.Float64)]
            if s.PREDICTED_AMOUNT in predictions.columns
            else []
        ),
    )
    has_amount = s.PREDICTED_AMOUNT in pred.columns
    clients = pred.join(actual, on=s.CLIENT, how="left", maintain_order="left").with_columns(
        pl.col(s.ACTUAL_PURCHASES).fill_null(0.0),
        pl.col(s.ACTUAL_AMOUNT).fill_null(0.0),
    )
    if not has_amount:
        clients = clients.drop(s.ACTUAL_AMOUNT)
    new_clients = actual.join(pred.select(s.CLIENT), on=s.CLIENT, how="anti").height
    summary: dict[str, Metric] = {
        "n_clients": clients.height,
        "new_clients_in_holdout": new_clients,
    }
    if periods is not None:
        summary["holdout_periods"] = float(periods)
    summary.update(
        _metrics(
            "purchases",
            clients[s.EXPECTED_PURCHASES].to_numpy().astype(np.float64),
            clients[s.ACTUAL_PURCHASES].to_numpy().astype(np.float64),
        )
    )
    if has_amount:
        summary.update(
            _metrics(
                "amount",
                clients[s.PREDICTED_AMOUNT].to_numpy().astype(np.float64),
                clients[s.ACTUAL_AMOUNT].to_numpy().astype(np.float64),
            )
        )
    rating = {
        key: q.rate(_float(summary.get(f"{key}_ratio")), _float(summary.get(f"{key}_correlation")))
        for key in ("purchases", "amount")
    }
    if not has_amount:
        rating["amount"] = None
    return BacktestResult(
        clients=clients,
        summary=summary,
        deciles=deciles(clients),
        as_of=as_of,
        holdout_end=holdout_end,
        rating=rating,
    )


def _float(value: Metric) -> float | None:
    return None if value is None else float(value)


def deciles(clients: pl.DataFrame) -> pl.DataFrame:
    """Predicted against actual totals per tenth of the clients ranked by predicted purchases.

    Ties are broken by order (``ordinal`` rank), so every group has ``n / 10`` clients within
    one; with fewer than ten clients there are fewer groups.
    """
    n = clients.height
    sums = [
        pl.col(c).sum()
        for c in (s.EXPECTED_PURCHASES, s.ACTUAL_PURCHASES, s.PREDICTED_AMOUNT, s.ACTUAL_AMOUNT)
        if c in clients.columns
    ]
    rank = pl.col(s.EXPECTED_PURCHASES).rank("ordinal", descending=True).cast(pl.Int64) - 1
    return (
        clients.with_columns((rank * DECILES // max(n, 1) + 1).cast(pl.Int32).alias(s.DECILE))
        .group_by(s.DECILE)
        .agg(pl.len().cast(pl.Int64).alias("clients"), *sums)
        .sort(s.DECILE)
    )
