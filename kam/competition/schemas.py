"""API schemas of the competitive analysis from the client's side (R17)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import PlainSerializer, StrictBool, StrictInt

from kam.clients.schemas import ClientRef
from kam.core.api import IsoDate, Payload, UserRef, choice_label
from kam.potential.schemas import CompetitorRef, Percent

from . import grid as G
from .models import AssessmentStatus, Holder, WeightSource, criterion_label

Weight = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]
"""A criterion's weight as the client gives it, any non-negative number: ``"25.00"``."""

Total = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]
"""A weighted mean of scores 1–5, two decimals: ``"3.85"``."""

# Strict: a number sent as a string (or a bool as 0/1) is refused, not coerced.
Score = Annotated[StrictInt, Field(ge=1, le=5)]


class CriterionScoreOut(Schema):
    competitor_id: int
    score: int | None = Field(description="1 (poor) … 5 (excellent); null while not scored.")


class CriterionRowOut(Schema):
    key: str = Field(
        description="A built-in criterion's code (price, quality, …); empty for one named by a "
        "person."
    )
    name: str = Field(description="A built-in criterion in the reader's language.")
    weight: Weight
    share: Percent = Field(description="The weight's share of the assessment's weights, %.")
    source: WeightSource
    source_label: str
    us: int | None = Field(description="Our score 1–5; null while not scored.")
    them: list[CriterionScoreOut] = Field(description="Each compared competitor's score.")
    gap: int | None = Field(
        description="Our score − the best competitor's; negative: behind. Null when unscored."
    )


class SupplierTotalOut(Schema):
    competitor: CompetitorRef | None = Field(description="Null: us.")
    total: Total | None = Field(
        description="Share-weighted mean score 1–5; null while a weighted criterion is unscored."
    )


class AssessmentOut(Schema):
    id: int
    client: ClientRef
    assessed_on: dt.date
    status: AssessmentStatus
    status_label: str
    competitors: list[CompetitorRef]
    criteria: list[CriterionRowOut]
    totals: list[SupplierTotalOut] = Field(description="Us first, then each competitor.")
    note: str
    created_by: UserRef | None
    updated_by: UserRef | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status_label(obj) -> str:
        return choice_label(AssessmentStatus, obj.status)

    @staticmethod
    def resolve_competitors(obj) -> list:
        return sorted(obj.competitors.all(), key=lambda c: c.name)

    @staticmethod
    def resolve_criteria(obj) -> list[dict]:
        analysis = _analysis(obj)
        return [
            {
                "key": s.row.key,
                "name": criterion_label(s.row.key, s.row.name),
                "weight": s.row.weight,
                "share": s.share * 100,
                "source": s.row.source,
                "source_label": choice_label(WeightSource, s.row.source),
                "us": s.row.us,
                "them": [
                    {"competitor_id": c, "score": s.row.them.get(c)} for c in analysis.competitors
                ],
                "gap": s.gap,
            }
            for s in analysis.standings
        ]

    @staticmethod
    def resolve_totals(obj) -> list[dict]:
        analysis = _analysis(obj)
        return [{"competitor": None, "total": analysis.totals[G.US]}] + [
            {"competitor": c, "total": analysis.totals[c.pk]}
            for c in sorted(obj.competitors.all(), key=lambda c: c.name)
        ]


def _analysis(obj) -> G.Analysis:
    compared = sorted(obj.competitors.all(), key=lambda c: c.name)
    return G.analyse([G.Row.from_json(r) for r in obj.grid], [c.pk for c in compared])


class ScoreIn(Payload):
    competitor_id: StrictInt
    score: Score | None = None


class CriterionRowIn(Payload):
    key: str = Field(
        "",
        description="A built-in criterion's code, to keep its translations; empty otherwise.",
    )
    name: str = Field("", description="Required unless ``key`` names a built-in criterion.")
    weight: Decimal = Field(description='The client\'s weight, 0–1000, as a string: "25".')
    source: WeightSource = WeightSource.ESTIMATE
    us: Score | None = None
    them: list[ScoreIn] = Field(
        default_factory=list, description="Scores of the compared competitors."
    )

    def row(self) -> dict:
        """The service's row."""
        data = self.model_dump()
        data["them"] = {s["competitor_id"]: s["score"] for s in data["them"]}
        return data


class AssessmentIn(Payload):
    assessed_on: IsoDate | None = Field(None, description="Today when left out; not in future.")
    competitors: list[StrictInt] | None = Field(
        None,
        description="Ids of competitors present at the client; all of them when left out.",
    )
    criteria: list[CriterionRowIn] | None = Field(
        None,
        description="The grid. Left out: a copy of ``start_from``, else the company's criteria.",
    )
    start_from: StrictInt | None = Field(
        None, description="An earlier assessment of the client whose grid to start from."
    )
    note: str = ""
    final: StrictBool = Field(
        False,
        description="Mark it final: at least 10 criteria, a competitor, every score given.",
    )


class AssessmentUpdate(Payload):
    """The whole grid, replaced (a draft only; a final assessment is kept as it was)."""

    assessed_on: IsoDate | None = None
    competitors: list[StrictInt]
    criteria: list[CriterionRowIn]
    note: str | None = None
    final: StrictBool = False


class SpendHolderOut(Schema):
    id: int
    category: str
    holder: Holder
    holder_label: str
    competitor: CompetitorRef | None
    share: Percent | None = Field(description="Share of the category, %; null when not known.")
    note: str

    @staticmethod
    def resolve_holder_label(obj) -> str:
        return choice_label(Holder, obj.holder)


class SpendHolderIn(Payload):
    category: str
    holder: Holder
    competitor_id: StrictInt | None = Field(
        None, description="Only when a competitor holds it: one present at the client."
    )
    share: Decimal | None = Field(None, description='Percent 0–100 as a string: "40".')
    note: str = ""


class SpendIn(Payload):
    holders: list[SpendHolderIn] = Field(
        description="Every holder of the client's spend: the list replaces the recorded one."
    )


class CompetitiveCriterionOut(Schema):
    id: int | None = Field(description="Null for a built-in one until the director saves the list.")
    key: str = Field(description="A built-in criterion's code; empty for the director's own.")
    name: str
    weight: Weight
    position: int
    is_active: bool

    @staticmethod
    def resolve_key(obj) -> str:
        return obj.code

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.label
