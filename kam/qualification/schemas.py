"""API schemas of the three-P qualification, key decisions and the client type (R5, R8)."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from kam.clients.models import ClientStatus, ClientType
from kam.clients.schemas import ClientRef
from kam.core.api import Payload, UserRef

from .models import THREE_P, PStatus

P = Literal["need", "solvency", "authority"]
REASON_MAX = 200  # as the change reason of the web form

# --- three P's -----------------------------------------------------------------------------


class QualificationOut(Schema):
    client: ClientRef
    is_prospect: bool = Field(
        description="The three-P gate applies: a prospect becomes key only when fully qualified."
    )
    need_status: PStatus
    need_status_label: str
    need_evidence: str
    need_by: UserRef | None = Field(description="Who assessed the need; null while unknown.")
    need_at: dt.datetime | None
    solvency_status: PStatus
    solvency_status_label: str
    solvency_evidence: str
    solvency_by: UserRef | None
    solvency_at: dt.datetime | None
    authority_status: PStatus
    authority_status_label: str
    authority_evidence: str
    authority_by: UserRef | None
    authority_at: dt.datetime | None
    missing: list[P] = Field(description="The P's not confirmed yet.")
    missing_labels: list[str] = Field(description="Their names in your language.")
    is_fully_qualified: bool
    updated_at: dt.datetime | None = Field(description="Null while nothing is recorded.")

    @staticmethod
    def resolve_is_prospect(obj) -> bool:
        return obj.client.status == ClientStatus.PROSPECT

    @staticmethod
    def resolve_need_status_label(obj) -> str:
        return obj.get_need_status_display()

    @staticmethod
    def resolve_solvency_status_label(obj) -> str:
        return obj.get_solvency_status_display()

    @staticmethod
    def resolve_authority_status_label(obj) -> str:
        return obj.get_authority_status_display()

    @staticmethod
    def resolve_missing_labels(obj) -> list[str]:
        return [str(THREE_P[p]) for p in obj.missing]


class QualificationIn(Payload):
    """The whole three-P check: every status and evidence ("" for none)."""

    need_status: PStatus
    need_evidence: str = Field(description="Required unless the status is unknown.")
    solvency_status: PStatus
    solvency_evidence: str
    authority_status: PStatus
    authority_evidence: str
    reason: str = Field(
        "", max_length=REASON_MAX, description="Why it changed; kept in the audit history."
    )


# --- key decisions -------------------------------------------------------------------------


class KeyDecisionOut(Schema):
    id: int
    client: ClientRef
    decided_by: UserRef
    decided_at: dt.datetime
    is_key: bool
    reason: str
    score: float | None = Field(description="The client's key-client score at the time.")
    suggested_type: ClientType | None = Field(description="The suggested type at the time.")
    suggested_type_label: str
    client_status: ClientStatus | None = Field(description="The client's status at the time.")
    client_status_label: str

    @staticmethod
    def resolve_suggested_type(obj):
        return obj.suggested_type or None

    @staticmethod
    def resolve_suggested_type_label(obj) -> str:
        return obj.suggested_type_label

    @staticmethod
    def resolve_client_status(obj):
        return obj.client_status or None

    @staticmethod
    def resolve_client_status_label(obj) -> str:
        return obj.get_client_status_display() if obj.client_status else ""


class KeyDecisionIn(Payload):
    is_key: bool = Field(description="true: make the client key; false: remove it from key.")
    reason: str = Field(description="Why; recorded with the decision and in the client's history.")


# --- client type ---------------------------------------------------------------------------


class ClientTypeOut(Schema):
    client: ClientRef
    client_type: ClientType
    client_type_label: str
    suggested_type: ClientType | None = Field(
        description="The type suggested by the latest analytics; null without one."
    )
    suggested_type_label: str
    reason: str = Field(description="The reason recorded in the client's history.")


class ClientTypeIn(Payload):
    client_type: ClientType = Field(description='The type to confirm or set; "" for none.')
    reason: str = Field(
        "",
        description=(
            "Required when the type differs from the suggested one (or there is none); "
            "confirming the suggestion without one records a standard reason."
        ),
    )
