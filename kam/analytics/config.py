"""Every tunable of the analytics core, with the defaults the documentation describes."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class AnalysisConfig:
    """Parameters of one analysis run.

    Parameters
    ----------
    as_of
        Last day of the observed period, inclusive. Transactions after it are the holdout.
        ``None`` means the last transaction date.
    window_months
        Complete calendar months in the ABC/XYZ window, ending on or before ``as_of``.
    abc_by
        ``"revenue"`` or ``"margin"``.
    abc_thresholds
        Cumulative-share limits of classes A and B (of the clients ranked *above*).
    xyz_thresholds
        Coefficient-of-variation limits of classes X and Y (inclusive).
    xyz_min_months
        Fewer months of history than this → class ``"new"``.
    time_unit
        ``"week"`` or ``"day"``: the unit of recency, T and predictions in the BG/NBD model.
    horizon_periods
        How many time units ahead predictions and CLV look.
    annual_discount_rate
        Discount rate for customer lifetime value.
    risk_multiple, lost_multiple
        A client is at risk / lost when its silence exceeds this multiple of its typical gap.
    risk_floor_days, lost_floor_days
        ... and at least this many days.
    p_alive_at_risk, p_alive_lost
        The model's probability of being alive below which the flag is confirmed.
    scoring_weights, scoring_normalisation
        Per-criterion overrides of the scoring's default weights and normalisation methods
        (:mod:`kam.analytics.scoring`).
    backtest_months
        When nothing follows ``as_of``, hold out this many last months to backtest the models
        on the company's own history (0: no backtest).
    """

    as_of: dt.date | None = None
    window_months: int = 12
    abc_by: Literal["revenue", "margin"] = "revenue"
    abc_thresholds: tuple[float, float] = (0.80, 0.95)
    xyz_thresholds: tuple[float, float] = (0.10, 0.25)
    xyz_min_months: int = 3
    time_unit: Literal["week", "day"] = "week"
    horizon_periods: int = 52
    annual_discount_rate: float = 0.10
    risk_multiple: float = 2.0
    lost_multiple: float = 4.0
    risk_floor_days: int = 30
    lost_floor_days: int = 90
    p_alive_at_risk: float = 0.5
    p_alive_lost: float = 0.2
    backtest_months: int = 6
    scoring_weights: dict[str, float] = field(default_factory=dict)
    scoring_normalisation: dict[str, str] = field(default_factory=dict)

    @property
    def days_per_unit(self) -> int:
        return 7 if self.time_unit == "week" else 1
