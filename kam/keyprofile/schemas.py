"""API schemas of the key-client profile and the stored scorings."""

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from ninja import FilterSchema, Schema
from pydantic import Field, field_validator

from kam.clients.schemas import ClientRef
from kam.core.api import UserRef
from kam.core.ids import Id

from .models import Metric, Normalisation
from .services import weight_percents

MetricName = StrEnum("MetricName", {m.upper(): m for m in Metric.values})  # type: ignore[misc]
NormalisationName = StrEnum(  # type: ignore[misc]
    "NormalisationName", {n.upper(): n for n in Normalisation.values}
)


class CriterionOut(Schema):
    metric: str
    label: str
    weight: float
    weight_percent: float = Field(
        description="The criterion's share of the score in per cent: its weight over the sum of "
        "the weights (they add up to 100); 0 for a threshold-only criterion."
    )
    normalisation: str
    bands: list[float]
    min_value: float | None

    @staticmethod
    def resolve_label(obj) -> str:
        return str(Metric(obj.metric).label)

    @staticmethod
    def resolve_bands(obj) -> list[float]:
        return obj.band_edges()


class ProfileOut(Schema):
    version: int
    is_active: bool
    created_at: dt.datetime
    created_by: UserRef | None
    note: str
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_criteria(obj):
        criteria = list(obj.criteria.all())
        shares = weight_percents({c.metric: float(c.weight) for c in criteria})
        for c in criteria:
            c.weight_percent = shares.get(c.metric, 0.0)
        return criteria


# What ProfileCriterion stores: weight DECIMAL(6, 3), min_value DECIMAL(20, 4), band edges as
# text of at most 300 characters ("%g" of each, comma-separated). Bounded here, so a number
# the column cannot hold is a 422 naming the field, not a failure of the database.
CRITERION_VALUE = Field(ge=-1e15, le=1e15)


class CriterionIn(Schema):
    metric: MetricName
    weight: float = Field(ge=0, le=999.999)
    normalisation: NormalisationName | None = Field(
        None,
        description="percentile (rank among the clients), log (log scale), minmax or bands; "
        "omitted: percentile for revenue, margin and potential, minmax for the others.",
    )
    bands: list[Annotated[float, CRITERION_VALUE]] = Field(default_factory=list, max_length=20)
    min_value: Annotated[float, CRITERION_VALUE] | None = None

    @field_validator("bands")
    @classmethod
    def ascending(cls, bands: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(bands, bands[1:], strict=False)):
            raise ValueError("band edges must be strictly ascending")
        return bands


class ProfileIn(Schema):
    criteria: list[CriterionIn] = Field(min_length=1, max_length=len(Metric.values))
    note: str = Field(default="", max_length=2000)


class PreviewRowOut(Schema):
    client: ClientRef
    score_before: float | None
    rank_before: int | None
    score_after: float
    rank_after: int


class PreviewOut(Schema):
    n: int
    entering: list[ClientRef]
    leaving: list[ClientRef]
    median_before: float | None = Field(description="Median score of all clients now.")
    median_after: float | None = Field(description="Median score under the previewed criteria.")
    rows: list[PreviewRowOut] = Field(
        description="The top clients under the previewed criteria (at least 10), score and rank "
        "now and after."
    )


class ScoringRunOut(Schema):
    id: int
    profile_version: int
    as_of: dt.date
    created_at: dt.datetime
    created_by: UserRef | None
    trigger: str
    used: list[str]
    dropped: list[str]
    clients: int
    seconds: float

    @staticmethod
    def resolve_profile_version(obj) -> int:
        return obj.profile.version


class ScoreOut(Schema):
    client: ClientRef
    erp_code: str
    owner: UserRef
    is_key: bool
    score: float
    rank: int
    previous_score: float | None
    previous_rank: int | None
    rank_change: int | None = Field(description="Places gained since the previous scoring.")
    candidate: bool = Field(description="Passes every hard threshold of the profile.")
    contributions: dict[str, float] = Field(description="Points of each criterion; they add up.")
    values: dict[str, float | None] = Field(description="The raw value of each criterion.")
    failures: list[str] = Field(description="Criteria whose threshold the client fails.")

    @staticmethod
    def resolve_erp_code(obj) -> str:
        return obj.client.erp_code

    @staticmethod
    def resolve_owner(obj):
        return obj.client.owner

    @staticmethod
    def resolve_is_key(obj) -> bool:
        return obj.client.is_key


class ScoreHistoryOut(Schema):
    run: ScoringRunOut
    score: float
    rank: int
    candidate: bool
    contributions: dict[str, float]


class ScoreFilter(FilterSchema):
    key: bool | None = Field(None, description="Only key (true) or only not key (false) clients.")
    candidates: bool | None = Field(None, description="true: only clients passing every threshold.")
    movement: Literal["up", "down", "new"] | None = None
    owner: Id | None = Field(None, description="The owner KAM's user id.")
