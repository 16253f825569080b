"""API schemas for clients and contacts: what comes in, what goes out, and the list filters."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema
from pydantic import PlainSerializer

from kam.core.api import Money, Payload, UserRef, patch_schema
from kam.core.ids import Date, Id

from .groups import attach_groups
from .models import Attitude, ClientStatus, ClientType, DecisionRole

# "" (no role) or one of DecisionRole, as one enum in the OpenAPI schema. Built at runtime from
# the choices, which mypy cannot follow.
DecisionRoleOrBlank = Literal[("", *DecisionRole.values)]  # type: ignore[valid-type]

Percent = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]
"""A percentage 0–100, serialised as a string with two decimals: ``"97.50"``."""

INN = (
    "Taxpayer number (ИНН): 10 digits for a company, 12 for a sole trader, control digits "
    "checked; unique among clients; empty when unknown."
)
KPP = (
    "Tax registration reason code (КПП): 9 characters, 4 digits, 2 digits or capital Latin "
    "letters, 3 digits; a company's only (10-digit INN); empty when unknown."
)
PAYMENT_ON_TIME = (
    "Share of invoices paid by their due date over the last 12 months, from the ERP, "
    'in per cent (0–100, two decimals) as a string: "97.50"; null when unknown.'
)

# --- references ----------------------------------------------------------------------------


class ClientRef(Schema):
    id: int
    name: str


class GroupOut(Schema):
    """The client's group of companies as you may know it: how many, not which."""

    size: int = Field(
        description="Companies in the group (every company linked through parent "
        "companies), this one included."
    )
    yours: int = Field(description="Of them, the clients you see (their names you can read).")


class ContactRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.full_name


# --- clients -------------------------------------------------------------------------------


class ClientOut(Schema):
    id: int
    name: str
    legal_name: str
    erp_code: str
    inn: str = Field(description=INN)
    kpp: str = Field(description=KPP)
    industry: str
    region: str
    employees: int | None
    annual_revenue: Money | None
    website: str
    description: str
    history: str
    org_structure: str
    status: ClientStatus
    status_label: str
    client_type: ClientType
    client_type_label: str
    is_key: bool
    is_industry_leader: bool
    is_reference_customer: bool
    is_expert: bool
    payment_on_time_pct: Percent | None = Field(description=PAYMENT_ON_TIME)
    owner: UserRef
    assistant: UserRef | None
    parent: ClientRef | None = Field(
        description="The parent company when you may see it; see parent_hidden."
    )
    parent_hidden: bool = Field(
        description="The client has a parent company you may not see: no name, no id."
    )
    group: GroupOut | None = Field(
        description="The group of companies the client belongs to; null when it has none."
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_client_type_label(obj) -> str:
        return obj.get_client_type_display()

    @staticmethod
    def resolve_parent(obj):
        # The queryset annotates the name only when the user may see the parent (groups.py).
        if obj.parent_id is None or obj.parent_name is None:
            return None
        return {"id": obj.parent_id, "name": obj.parent_name}

    @staticmethod
    def resolve_parent_hidden(obj) -> bool:
        return obj.parent_id is not None and obj.parent_name is None

    @staticmethod
    def resolve_group(obj, context):
        if not hasattr(obj, "group"):  # one object: the list attaches its page's groups at once
            attach_groups(context["request"].auth, [obj])
        return obj.group


class ClientIn(Payload):
    name: str
    erp_code: str = Field(description="The client's code in your ERP; unique.")
    legal_name: str = ""
    inn: str = Field("", description=INN)
    kpp: str = Field("", description=KPP)
    industry: str = ""
    region: str = ""
    employees: int | None = None
    annual_revenue: Decimal | None = Field(None, description='Money as a string: "1234.50".')
    website: str = ""
    description: str = ""
    history: str = ""
    org_structure: str = ""
    status: ClientStatus = ClientStatus.ACTIVE
    client_type: ClientType = ClientType.NONE
    is_industry_leader: bool = Field(
        False,
        description="A recognised leader of its industry; suggested as an image-maker.",
    )
    is_reference_customer: bool = Field(False, description="Agrees to be named as a reference.")
    is_expert: bool = Field(
        False, description="A demanding, knowledgeable client; suggested as an expert client."
    )
    payment_on_time_pct: Decimal | None = Field(
        None, ge=0, le=100, max_digits=5, decimal_places=2, description=PAYMENT_ON_TIME
    )
    owner: Id | None = Field(
        None, description="User id of the KAM; only the director chooses (default: you)."
    )
    assistant: Id | None = Field(None, description="User id of the assistant.")
    parent: Id | None = Field(None, description="Client id of the parent company.")


ClientPatch = patch_schema(ClientIn, "ClientPatch")

ClientOrdering = Literal[
    "name",
    "-name",
    "erp_code",
    "-erp_code",
    "region",
    "-region",
    "status",
    "-status",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
]


class ClientFilter(FilterSchema):
    q: Annotated[
        str | None,
        FilterLookup(
            ["name__icontains", "legal_name__icontains", "erp_code__icontains", "inn__startswith"]
        ),
    ] = Field(None, description="Text in the name, legal name or ERP code, or the INN's start.")
    status: ClientStatus | None = None
    client_type: ClientType | None = None
    is_key: bool | None = None
    is_industry_leader: bool | None = None
    is_reference_customer: bool | None = None
    is_expert: bool | None = None
    owner: Annotated[Id | None, FilterLookup("owner_id")] = Field(
        None, description="User id of the owner KAM."
    )
    region: str | None = None
    industry: str | None = None
    parent: Annotated[Id | None, FilterLookup("parent_id")] = Field(
        None, description="Client id of the parent company (one you may see)."
    )


# --- contacts ------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    client: ClientRef
    external_id: str
    full_name: str
    position: str
    department: str
    email: str
    phone: str
    decision_role: DecisionRoleOrBlank
    decision_role_label: str
    influence: int = Field(description="1 = little, 5 = decisive.")
    attitude: Attitude
    attitude_label: str
    reports_to: ContactRef | None
    motivation: str
    bonus_drivers: str
    relationship_owner: UserRef | None
    last_contact_on: dt.date | None
    has_left: bool
    left_on: dt.date | None
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_decision_role_label(obj) -> str:
        return obj.get_decision_role_display()

    @staticmethod
    def resolve_attitude_label(obj) -> str:
        return obj.get_attitude_display()


class ContactIn(Payload):
    client: Id = Field(description="Client id; the contact stays with this client.")
    full_name: str
    external_id: str = ""
    position: str = ""
    department: str = ""
    email: str = ""
    phone: str = ""
    decision_role: DecisionRoleOrBlank = ""
    influence: int = Field(3, description="1 = little, 5 = decisive.")
    attitude: Attitude = Attitude.NEUTRAL
    reports_to: Id | None = Field(None, description="Contact id at the same client.")
    motivation: str = ""
    bonus_drivers: str = ""
    relationship_owner: Id | None = Field(None, description="User id on our side.")
    last_contact_on: Date | None = None
    has_left: bool = False
    left_on: Date | None = None
    notes: str = ""


ContactPatch = patch_schema(ContactIn, "ContactPatch", exclude={"client"})


class ContactFilter(FilterSchema):
    client: Annotated[Id | None, FilterLookup("client_id")] = Field(None, description="Client id.")
    decision_role: DecisionRole | None = None
    has_left: bool | None = None
    q: Annotated[
        str | None,
        FilterLookup(
            [
                "full_name__icontains",
                "position__icontains",
                "department__icontains",
                "email__icontains",
                "phone__icontains",
            ]
        ),
    ] = Field(None, description="Text in the name, position, department, email or phone.")
