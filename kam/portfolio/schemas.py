"""API schemas of the portfolio (R27): a key client's row, a KAM's load, the reassignment."""

from decimal import Decimal

from ninja import Field, Schema

from kam.clients.models import ClientStatus, ClientType
from kam.clients.schemas import ClientRef
from kam.core.api import Money, Payload, UserRef, choice_label
from kam.core.ids import Id
from kam.insights.models import Risk
from kam.insights.schemas import AbcClass, RiskLevel, XyzClass


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class MissingItem(Schema):
    """A dossier check that fails: its stable name, its title and what is missing."""

    name: str
    label: str
    message: str

    @staticmethod
    def resolve_label(obj) -> str:
        return str(obj.label)

    @staticmethod
    def resolve_message(obj) -> str:
        return str(obj.message)


class PortfolioRowOut(Schema):
    client: ClientRef
    owner: UserRef
    status: ClientStatus
    status_label: str
    client_type: ClientType
    client_type_label: str
    abc: AbcClass | None = Field(description="Null before the first recompute or without sales.")
    xyz: XyzClass | None
    risk: RiskLevel | None
    risk_label: str
    value: Money | None = Field(
        description="Sales, 12 months, as of the last analytics recompute: the last 12 complete "
        "calendar months up to its as-of date; null before the first recompute."
    )
    score: float | None = Field(
        description="Key-client score, 0–100, of the latest scoring against the profile."
    )
    rank: int | None = Field(description="Company-wide rank in the prioritised list.")
    rank_change: int | None = Field(
        description="Places gained since the previous scoring; null when new or not scored."
    )
    completeness: int | None = Field(description="Dossier completeness, 0–100.")
    missing: list[MissingItem] = Field(description="What the dossier lacks.")
    year: int = Field(description="The year of the potential: the current one.")
    total_demand: Money | None = Field(
        description="The client's estimated total demand this year; null without an estimate."
    )
    potential: Money | None = Field(
        description="Potential revenue this year: total demand × achievable share."
    )
    actual: Money | None = Field(
        description="The client's purchases this year; null without an estimate."
    )
    share_of_wallet: float | None = Field(
        description="Actual / total demand, in per cent; null without an estimate or demand."
    )
    gap: Money | None = Field(description="Potential − actual (negative when we sell more).")

    @staticmethod
    def resolve_client(row):
        return row.client

    @staticmethod
    def resolve_owner(row):
        return row.client.owner

    @staticmethod
    def resolve_status(row):
        return row.client.status

    @staticmethod
    def resolve_status_label(row) -> str:
        return choice_label(ClientStatus, row.client.status)

    @staticmethod
    def resolve_client_type(row):
        return row.client.client_type

    @staticmethod
    def resolve_client_type_label(row) -> str:
        return choice_label(ClientType, row.client.client_type)

    @staticmethod
    def resolve_abc(row):
        return getattr(row.analytics, "abc", "") or None

    @staticmethod
    def resolve_xyz(row):
        return getattr(row.analytics, "xyz", "") or None

    @staticmethod
    def resolve_risk(row):
        return getattr(row.analytics, "risk", "") or None

    @staticmethod
    def resolve_risk_label(row) -> str:
        return choice_label(Risk, row.analytics.risk) if row.analytics else ""

    @staticmethod
    def resolve_value(row):
        return row.analytics.value if row.analytics is not None else None

    @staticmethod
    def resolve_rank(row):
        return row.scored.rank if row.scored else None

    @staticmethod
    def resolve_rank_change(row):
        return row.scored.rank_change if row.scored else None

    @staticmethod
    def resolve_completeness(row):
        return row.completeness.score if row.completeness else None

    @staticmethod
    def resolve_missing(row):
        return row.completeness.missing if row.completeness else []

    @staticmethod
    def resolve_total_demand(row):
        return row.potential.total_demand if row.potential else None

    @staticmethod
    def resolve_potential(row):
        return row.potential_revenue

    @staticmethod
    def resolve_share_of_wallet(row):
        return _percent(row.share_of_wallet)


class KamLoadOut(Schema):
    kam: UserRef
    key_accounts: int = Field(description="Key clients that are not lost.")
    total_clients: int
    status: str = Field(description="underloaded, within or overloaded against the norm.")
    status_label: str
    norm_min: int
    norm_max: int
    key_value: Money = Field(description="12-month value of the key clients.")
    total_value: Money = Field(description="12-month value of all the KAM's clients.")
    key_value_share: float | None = Field(description="Key clients' share of value, per cent.")
    troubled: int = Field(description="Clients at risk or lost (by status or analytics).")
    year: int
    potential: Money = Field(
        description="Potential revenue of the key clients estimated for the year."
    )
    total_demand: Money = Field(description="Their total demand in the year.")
    actual: Money = Field(description="Their purchases in the year.")
    share_of_wallet: float | None = Field(
        description="Actual / total demand, in per cent; null without demand."
    )

    @staticmethod
    def resolve_norm_min(row) -> int:
        return row.norm[0]

    @staticmethod
    def resolve_norm_max(row) -> int:
        return row.norm[1]

    @staticmethod
    def resolve_total_demand(row):
        return row.demand

    @staticmethod
    def resolve_share_of_wallet(row):
        return _percent(row.share_of_wallet)


class ReassignIn(Payload):
    owner: Id = Field(description="User id of the new owner: an active KAM.")
    reason: str = Field(description="Why the client moves; kept in the client's history.")
