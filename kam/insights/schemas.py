"""API schemas of the analytics snapshot. Client classes are company-wide; the list is not."""

import datetime as dt
from typing import TYPE_CHECKING, Literal

from ninja import Field, FilterSchema, Schema

from kam.analytics.rfm import SEGMENT_LABELS
from kam.clients.schemas import ClientRef
from kam.core.api import Money

# One enum in the OpenAPI schema, built at runtime from the core's segment keys (which mypy
# cannot follow, so it sees a plain string).
if TYPE_CHECKING:
    Segment = str
else:
    Segment = Literal[tuple(SEGMENT_LABELS)]
AbcClass = Literal["A", "B", "C"]
XyzClass = Literal["X", "Y", "Z", "new"]
RiskLevel = Literal["ok", "at_risk", "lost", "new"]


class ClientAnalyticsOut(Schema):
    client: ClientRef
    computed_at: dt.datetime
    as_of: dt.date
    abc: AbcClass | None = Field(description="Null when the client had no sales in the window.")
    xyz: XyzClass | None
    cell_reading: str = Field(description="The standard reading of the ABC-XYZ cell.")
    value: Money = Field(
        description="Sales, 12 months: the last 12 complete calendar months up to the as-of date "
        "(the day of the last sale); the same figure as on the client list and card."
    )
    share: float | None = Field(description="Share of the company's total value, 0–1.")
    cv: float | None = Field(description="Coefficient of variation of monthly amounts.")
    r_score: int | None
    f_score: int | None
    m_score: int | None
    rfm_segment: Segment | None
    rfm_segment_label: str
    typical_gap_days: float | None
    silence_days: int | None
    p_alive: float | None = Field(description="BG/NBD probability the client is still active.")
    expected_purchases: float | None = Field(description="Purchase days expected over the horizon.")
    expected_spend: Money | None = Field(description="Gamma-Gamma expected spend per purchase.")
    clv: Money | None = Field(description="Discounted lifetime value over the horizon.")
    risk: RiskLevel | None
    reason: str
    score: float | None = Field(
        description="Score 0–100 at the engine's default weights; the key-client profile's "
        "score, which the prioritised list uses, is GET /api/scores."
    )
    score_rank: int | None
    suggested_type: str

    @staticmethod
    def resolve_abc(obj):
        return obj.abc or None

    @staticmethod
    def resolve_xyz(obj):
        return obj.xyz or None

    @staticmethod
    def resolve_rfm_segment(obj):
        return obj.rfm_segment or None

    @staticmethod
    def resolve_rfm_segment_label(obj) -> str:
        return obj.segment_label

    @staticmethod
    def resolve_risk(obj):
        return obj.risk or None


class ClientAnalyticsFilter(FilterSchema):
    abc: AbcClass | None = None
    xyz: XyzClass | None = None
    rfm_segment: Segment | None = None
    risk: RiskLevel | None = None


class MatrixCell(Schema):
    abc: str
    xyz: str
    clients: int
    client_share: float | None
    value_share: float | None


class RunOut(Schema):
    """The latest recompute as the caller may see it. It names no client."""

    id: int
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    as_of: dt.date | None
    window_start: dt.date | None
    window_end: dt.date | None
    clients: int = Field(description="Clients in the recompute, company-wide.")
    lines: int = Field(description="Sales lines in the recompute, company-wide.")
    scope: Literal["company", "yours"] = Field(
        description="Whose figures the matrix and the curve are: the whole company's (directors) "
        "or those of the clients you may see."
    )
    top20_share: float | None
    matrix: list[MatrixCell]
    pareto: list[list[float]] = Field(description="(share of clients, share of value) points.")
    models: dict | None = Field(
        description="{bgnbd, gamma_gamma, model_error, quality, time_unit, horizon_periods}: the "
        "fitted parameters and, under quality, each model's verdict (ok, unstable, degenerate), "
        "reason codes, standard errors and where its figures come from (model, rule, "
        "own_average); directors only."
    )
    backtest: dict | None = Field(
        description="Forecast vs actual over the held-out months (as_of, holdout_end, months, "
        "totals, ratios, rating, deciles); directors only."
    )
    timings: dict | None = Field(description="Directors only.")
