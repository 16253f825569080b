"""Customer lifetime value from a BG/NBD purchase model and a Gamma-Gamma spend model.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284 (eq. 10).

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430 (CLV as discounted
expected transactions times expected spend, with purchases and spend independent).

Over a horizon of ``H`` periods of the model's time unit, with a per-period discount rate ``d``:

``CLV = sum_{k=1..H} (E[Y(k) | history] - E[Y(k - 1) | history]) * E[M | x, m] * margin
/ (1 + d)^k``

where ``E[Y(t) | history]`` is eq. (10) of the BG/NBD paper and ``E[M | x, m]`` the Gamma-Gamma
posterior mean spend. The annual discount rate is converted to the time unit as
``d = (1 + annual)^(days_per_unit / 365.25) - 1``.

Fallbacks (when :mod:`kam.analytics.quality` finds a fit degenerate, or it could not be made):

- purchases follow a simple rule (:func:`rule_forecast`): the client keeps its own average pace
  since its first purchase, silence included;
- spend per purchase is the client's own average purchase (AVERAGE_PURCHASE of the summary).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

from kam.analytics import schema as s
from kam.analytics.bgnbd import BGNBDFit
from kam.analytics.config import AnalysisConfig
from kam.analytics.frames import require_columns
from kam.analytics.gamma_gamma import GammaGammaFit
from kam.analytics.quality import FitQuality, ModelCheck, check_bgnbd, check_gamma_gamma

FloatArray = NDArray[np.float64]

DAYS_PER_YEAR = 365.25


def discount_rate_per_period(annual_rate: float, days_per_unit: float) -> float:
    """Convert an annual discount rate to one period of ``days_per_unit`` days (compounded).

    Examples
    --------
    >>> round(discount_rate_per_period(0.10, 7), 6)
    0.001828
    """
    if annual_rate <= -1.0:
        raise ValueError("annual discount rate must be greater than -100 %")
    return float((1.0 + annual_rate) ** (days_per_unit / DAYS_PER_YEAR) - 1.0)


def clv(
    bgnbd_fit: BGNBDFit,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    expected_spend: ArrayLike,
    *,
    horizon_periods: int,
    discount_rate: float,
    margin: float | ArrayLike = 1.0,
) -> tuple[FloatArray, FloatArray]:
    """Discounted customer lifetime value over ``horizon_periods`` periods, per customer.

    Parameters
    ----------
    bgnbd_fit
        The purchase model.
    frequency, recency, T
        Calibration histories (model time unit), 1-d arrays of equal length.
    expected_spend
        Expected spend per purchase of each customer (e.g. the Gamma-Gamma posterior mean).
    horizon_periods
        Number of periods ``H``.
    discount_rate
        Discount rate per period ``d`` (see :func:`discount_rate_per_period`).
    margin
        Margin ratio applied to spend (scalar or per customer); 1 means revenue.

    Returns
    -------
    (expected_purchases, clv)
        Expected purchases over the whole horizon and the discounted value, per customer.
    """
    if horizon_periods < 1:
        raise ValueError("horizon_periods must be at least 1")
    ks = np.arange(1, horizon_periods + 1, dtype=np.float64)
    discount = (1.0 + discount_rate) ** -ks
    purchases, discounted_purchases = bgnbd_fit.discounted_purchases(
        ks, discount, frequency, recency, T
    )
    value = discounted_purchases * np.asarray(expected_spend, dtype=np.float64)
    value = value * np.asarray(margin, dtype=np.float64)
    return purchases, np.asarray(value, dtype=np.float64)


def expected_spend(
    gg_fit: GammaGammaFit, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Expected spend per purchase of each customer, with documented fallbacks.

    Repeat buyers with a positive mean spend get the Gamma-Gamma posterior mean
    ``p (gamma + x m) / (p x + q - 1)``; customers with no repeat purchase (or a non-positive
    mean spend, which the model does not cover) get the population mean ``p gamma / (q - 1)``.
    When ``q <= 1`` that population mean is infinite; those customers then get the mean of the
    repeat buyers' posterior means instead (NaN if there are none).
    """
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    m = np.where(np.isfinite(m), m, 0.0)
    modelled = (x > 0) & (m > 0)
    own = gg_fit.expected_average_spend(np.where(modelled, x, 0.0), np.where(modelled, m, 0.0))
    population = gg_fit.population_mean_spend
    if not np.isfinite(population):
        finite = modelled & np.isfinite(own)
        population = float(own[finite].mean()) if finite.any() else float("nan")
    result: FloatArray = np.where(modelled, own, population)
    return result


def rule_forecast(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """The fallback of a degenerate purchase model: ``(p_alive, rate while active)`` per client.

    A repeat buyer keeps buying at its own pace while active, ``x / t_x`` repeat purchases per
    period, and is active with probability ``t_x / T``, the share of its observed time up to its
    last purchase — so the expected purchases over ``t`` periods, ``p_alive * rate * t``, are its
    own average ``x / T`` per period, silence included. A client without a repeat purchase buys
    at the company's pooled rate ``sum x / sum T`` and is active with the chance
    ``exp(-pooled * T)`` that such a buyer would not have bought again yet.
    """
    x, t_x, Ta = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    total_T = float(Ta.sum())
    pooled = float(x.sum()) / total_T if total_T > 0 else 0.0
    own = (x > 0) & (t_x > 0) & (Ta > 0)
    rate = np.where(own, x / np.where(own, t_x, 1.0), pooled)
    p_alive: FloatArray = np.where(
        own, np.minimum(t_x / np.where(own, Ta, 1.0), 1.0), np.exp(-pooled * Ta)
    )
    return p_alive, rate


def _histories(summary: pl.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
    require_columns(summary, (s.CLIENT, s.FREQUENCY, s.RECENCY, s.T), "calibration summary")
    return (
        summary[s.FREQUENCY].cast(pl.Float64).to_numpy(),
        summary[s.RECENCY].cast(pl.Float64).to_numpy(),
        summary[s.T].cast(pl.Float64).to_numpy(),
    )


def forecast_spend(
    summary: pl.DataFrame, gg_fit: GammaGammaFit | None, check: ModelCheck
) -> FloatArray | None:
    """Expected spend per purchase: the model's, or the client's own average purchase when the
    check falls back (``None`` when neither is available)."""
    x = summary[s.FREQUENCY].cast(pl.Float64).to_numpy()
    if gg_fit is not None and not check.fallback:
        require_columns(summary, (s.MONETARY,), "calibration summary")
        m = summary[s.MONETARY].cast(pl.Float64).fill_null(0.0).to_numpy()
        return expected_spend(gg_fit, x, m)
    if s.AVERAGE_PURCHASE not in summary.columns:
        return None
    own: FloatArray = summary[s.AVERAGE_PURCHASE].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return own


def forecast_purchases(
    summary: pl.DataFrame, bgnbd_fit: BGNBDFit | None, check: ModelCheck, periods: float
) -> tuple[FloatArray, FloatArray]:
    """``(p_alive, expected purchases over periods)``: the model's, or :func:`rule_forecast`'s
    when the check falls back."""
    x, t_x, T = _histories(summary)
    if bgnbd_fit is not None and not check.fallback:
        return bgnbd_fit.p_alive(x, t_x, T), bgnbd_fit.expected_purchases(periods, x, t_x, T)
    p_alive, rate = rule_forecast(x, t_x, T)
    return p_alive, p_alive * rate * periods


def assess(bgnbd_fit: BGNBDFit | None, gg_fit: GammaGammaFit | None) -> FitQuality:
    """Both verdicts of :mod:`kam.analytics.quality`, before any backtest."""
    return FitQuality(bgnbd=check_bgnbd(bgnbd_fit), gamma_gamma=check_gamma_gamma(gg_fit))


def predict(
    summary: pl.DataFrame,
    bgnbd_fit: BGNBDFit | None,
    gg_fit: GammaGammaFit | None,
    config: AnalysisConfig | None = None,
    *,
    quality: FitQuality | None = None,
    margin_ratio: float | ArrayLike | None = None,
) -> pl.DataFrame:
    """Add P(alive), expected purchases, expected spend and CLV to a calibration summary.

    Parameters
    ----------
    summary
        Per-client frame with CLIENT, FREQUENCY, RECENCY, T (model time unit) and, for spend,
        MONETARY (see :mod:`kam.analytics.schema`).
    bgnbd_fit
        Fitted purchase model (``None``: it could not be fitted).
    gg_fit
        Fitted spend model (``None``: it could not be fitted).
    config
        Horizon (``horizon_periods``), ``annual_discount_rate`` and ``time_unit``.
    quality
        The verdicts (default: :func:`assess` of the fits). A model whose check falls back is
        replaced by its fallback (module docstring); without a spend model nor the summary's
        AVERAGE_PURCHASE, EXPECTED_SPEND and CLV are null.
    margin_ratio
        Optional margin ratio (scalar or per client, in summary order); default 1 (revenue).

    Returns
    -------
    polars.DataFrame
        ``summary`` with P_ALIVE, EXPECTED_PURCHASES (over the horizon), EXPECTED_SPEND and CLV.
    """
    config = AnalysisConfig() if config is None else config
    quality = assess(bgnbd_fit, gg_fit) if quality is None else quality
    x, t_x, T = _histories(summary)
    d = discount_rate_per_period(config.annual_discount_rate, config.days_per_unit)
    horizon = config.horizon_periods
    spend = forecast_spend(summary, gg_fit, quality.gamma_gamma)
    model = bgnbd_fit is not None and not quality.bgnbd.fallback
    if spend is None:
        p_alive, purchases = forecast_purchases(summary, bgnbd_fit, quality.bgnbd, horizon)
        return summary.with_columns(
            pl.Series(s.P_ALIVE, p_alive),
            pl.Series(s.EXPECTED_PURCHASES, purchases),
            pl.lit(None, dtype=pl.Float64).alias(s.EXPECTED_SPEND),
            pl.lit(None, dtype=pl.Float64).alias(s.CLV),
        )
    margin = 1.0 if margin_ratio is None else margin_ratio
    if model:
        assert bgnbd_fit is not None
        p_alive = bgnbd_fit.p_alive(x, t_x, T)
        purchases, value = clv(
            bgnbd_fit, x, t_x, T, spend, horizon_periods=horizon, discount_rate=d, margin=margin
        )
    else:
        p_alive, rate = rule_forecast(x, t_x, T)
        purchases = p_alive * rate * horizon
        discounted = float(((1.0 + d) ** -np.arange(1, horizon + 1, dtype=np.float64)).sum())
        value = p_alive * rate * discounted * spend * np.asarray(margin, dtype=np.float64)
    return summary.with_columns(
        pl.Series(s.P_ALIVE, p_alive),
        pl.Series(s.EXPECTED_PURCHASES, purchases),
        pl.Series(s.EXPECTED_SPEND, spend),
        pl.Series(s.CLV, value),
    )
