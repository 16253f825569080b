"""API schemas of a client's potential per year, its whitespace and its strategy (R2, R12, R13)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import PlainSerializer

from kam.clients.models import Strength
from kam.clients.schemas import ClientRef
from kam.core.api import Money, Payload, Quantity, UserRef, patch_schema

Percent = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]
"""A percentage 0–100, serialised as a string with two decimals: ``"40.00"``."""

Rate = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.4f}", return_type=str)]
"""Money per driver unit, serialised as a string with four decimals: ``"12.5000"``."""

MONEY_IN = 'Money as a string: "1234.50".'

# --- potential -----------------------------------------------------------------------------


class PotentialOut(Schema):
    id: int
    client: ClientRef
    year: int
    total_demand: Money = Field(description="The client's total demand in the year, in money.")
    basis: str
    driver: str
    driver_quantity: Quantity | None
    rate: Rate | None = Field(description="Money per driver unit, four decimals.")
    achievable_share: Percent = Field(description="Share of the demand we can win, 0–100 %.")
    potential_revenue: Money = Field(description="Total demand × achievable share.")
    actual: Money = Field(description="The client's purchases from us in the calendar year.")
    share_of_wallet: Percent | None = Field(
        description="Actual / total demand × 100 %; null when the demand is 0."
    )
    gap: Money = Field(description="Potential revenue − actual; negative when we sell more.")
    created_at: dt.datetime
    updated_at: dt.datetime


class PotentialIn(Payload):
    year: int = Field(description="2000–2100; one estimate per client and year.")
    total_demand: Decimal | None = Field(
        None,
        description=(
            f"{MONEY_IN} Leave it out (or null) to derive it from driver_quantity × rate; "
            "when all three are given they must agree."
        ),
    )
    basis: str = Field(description="How the estimate was made.")
    driver: str = Field("", description="What the demand follows, e.g. “m² built”.")
    driver_quantity: Decimal | None = Field(None, description='A decimal as a string: "12.500".')
    rate: Decimal | None = Field(None, description="Money per driver unit, up to four decimals.")
    achievable_share: Decimal = Field(description='Percent 0–100 as a string: "40".')


PotentialPatch = patch_schema(PotentialIn, "PotentialPatch")


# --- whitespace ----------------------------------------------------------------------------


class CompetitorRef(Schema):
    id: int
    name: str


class CompetitorAtClientOut(Schema):
    competitor: CompetitorRef
    supplies: str = Field(description="What it supplies to the client.")
    strength: Strength
    strength_label: str

    @staticmethod
    def resolve_strength_label(obj) -> str:
        return obj.get_strength_display()


class CategoryOut(Schema):
    category: str
    amount: Money = Field(description="The client's purchases from us in the window.")
    buys_from_us: bool
    competitors: list[CompetitorAtClientOut] = Field(
        description="Competitors at the client whose supplies name this category."
    )


class WhitespaceOut(Schema):
    since: dt.date = Field(
        description="The window's first day: the last 12 complete calendar months up to the "
        "as-of date (the day of the last sale), as for every 12-month figure."
    )
    until: dt.date = Field(description="The window's last day.")
    categories: list[CategoryOut]
    other_competitors: list[CompetitorAtClientOut] = Field(
        description="Competitors at the client whose supplies name no product category."
    )

    @staticmethod
    def resolve_categories(obj):
        return obj.rows


# --- strategy ------------------------------------------------------------------------------


class StrategyOut(Schema):
    client: ClientRef
    strategy: str = Field(description="Where the client's business is going.")
    needs: str = Field(description="What the client needs from suppliers like us.")
    how_we_help: str = Field(
        description="How we help the client earn more, beat its competitors, gain market share."
    )
    updated_by: UserRef | None
    updated_at: dt.datetime | None = Field(description="Null while nothing is recorded.")


class StrategyIn(Payload):
    """The whole record: send all three texts ("" clears one)."""

    strategy: str
    needs: str
    how_we_help: str
