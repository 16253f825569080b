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
    cumulative = bgnbd_fit.expected_purchases_curve(ks, frequency, recency, T)
    increments = np.diff(cumulative, axis=1, prepend=0.0)
    discount = (1.0 + discount_rate) ** -ks
    discounted_purchases = np.einsum("ij,j->i", increments, discount)  # no BLAS threads
    value = discounted_purchases * np.asarray(expected_spend, dtype=np.float64)
    value = value * np.asarray(margin, dtype=np.float64)
    return cumulative[:, -1].copy(), np.asarray(value, dtype=np.float64)


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


def predict(
    summary: pl.DataFrame,
    bgnbd_fit: BGNBDFit,
    gg_fit: GammaGammaFit | None,
    config: AnalysisConfig | None = None,
    *,
    margin_ratio: float | ArrayLike | None = None,
) -> pl.DataFrame:
    """Add P(alive), expected purchases, expected spend and CLV to a calibration summary.

    Parameters
    ----------
    summary
        Per-client frame with CLIENT, FREQUENCY, RECENCY, T (model time unit) and, for spend,
        MONETARY (see :mod:`kam.analytics.schema`).
    bgnbd_fit
        Fitted purchase model.
    gg_fit
        Fitted spend model; ``None`` leaves EXPECTED_SPEND and CLV null.
    config
        Horizon (``horizon_periods``), ``annual_discount_rate`` and ``time_unit``.
    margin_ratio
        Optional margin ratio (scalar or per client, in summary order); default 1 (revenue).

    Returns
    -------
    polars.DataFrame
        ``summary`` with P_ALIVE, EXPECTED_PURCHASES (over the horizon), EXPECTED_SPEND and CLV.
    """
    config = AnalysisConfig() if config is None else config
    require_columns(summary, (s.CLIENT, s.FREQUENCY, s.RECENCY, s.T), "calibration summary")
    x = summary[s.FREQUENCY].cast(pl.Float64).to_numpy()
    t_x = summary[s.RECENCY].cast(pl.Float64).to_numpy()
    T = summary[s.T].cast(pl.Float64).to_numpy()
    p_alive = bgnbd_fit.p_alive(x, t_x, T)
    d = discount_rate_per_period(config.annual_discount_rate, config.days_per_unit)
    if gg_fit is None:
        ks = np.array([float(config.horizon_periods)])
        purchases = bgnbd_fit.expected_purchases_curve(ks, x, t_x, T)[:, 0]
        return summary.with_columns(
            pl.Series(s.P_ALIVE, p_alive),
            pl.Series(s.EXPECTED_PURCHASES, purchases),
            pl.lit(None, dtype=pl.Float64).alias(s.EXPECTED_SPEND),
            pl.lit(None, dtype=pl.Float64).alias(s.CLV),
        )
    require_columns(summary, (s.MONETARY,), "calibration summary")
    m = summary[s.MONETARY].cast(pl.Float64).fill_null(0.0).to_numpy()
    spend = expected_spend(gg_fit, x, m)
    margin = 1.0 if margin_ratio is None else margin_ratio
    purchases, value = clv(
        bgnbd_fit,
        x,
        t_x,
        T,
        spend,
        horizon_periods=config.horizon_periods,
        discount_rate=d,
        margin=margin,
    )
    return summary.with_columns(
        pl.Series(s.P_ALIVE, p_alive),
        pl.Series(s.EXPECTED_PURCHASES, purchases),
        pl.Series(s.EXPECTED_SPEND, spend),
        pl.Series(s.CLV, value),
    )
