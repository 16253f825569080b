"""Every write to clients and their dossier goes through these functions.

Views, the API, imports and the demo generator all call them.

Each takes the acting user as ``by``: it is checked against the access rule and recorded in the
audit history. Validation errors are raised as django.core.exceptions.ValidationError with
field-level messages, before anything is written.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.core.access import can_create_clients, can_edit_client
from kam.core.models import Role, User
from kam.core.services import assign_fields, save_audited

from .models import Client, CompetitorPresence, Contact, TeamMembership, Tender

# Editable fields in the order forms show them; forms and the API derive from these.
CLIENT_FIELDS = (
    "name",
    "legal_name",
    "erp_code",
    "status",
    "client_type",
    "owner",
    "assistant",
    "parent",
    "industry",
    "region",
    "employees",
    "annual_revenue",
    "website",
    # strategic flags and payment discipline (STRATEGIC_FIELDS)
    "is_industry_leader",
    "is_reference_customer",
    "is_expert",
    "payment_on_time_pct",
    "description",
    "history",
    "org_structure",
)
# The client's strategic flags and payment discipline: one group on the form (R1, R5).
STRATEGIC_FIELDS = (
    "is_industry_leader",
    "is_reference_customer",
    "is_expert",
    "payment_on_time_pct",
)
CONTACT_FIELDS = (
    "full_name",
    "position",
    "department",
    "email",
    "phone",
    "decision_role",
    "influence",
    "attitude",
    "reports_to",
    "motivation",
    "bonus_drivers",
    "relationship_owner",
    "last_contact_on",
    "has_left",
    "left_on",
    "external_id",
    "notes",
)
PRESENCE_FIELDS = {"competitor", "supplies", "strength", "notes"}
TENDER_FIELDS = {"date", "subject", "value", "result", "reason"}


def _check_edit(by: User, client: Client) -> None:
    if not can_edit_client(by, client):
        raise PermissionDenied(_("You may not change this client."))


def _check_people(client: Client) -> None:
    errors = {}
    owner = client.owner if client.owner_id else None
    if owner is not None and owner.role not in (Role.KAM, Role.DIRECTOR):
        errors["owner"] = _("The owner must be a key account manager.")
    assistant = client.assistant if client.assistant_id else None
    if assistant is not None and assistant.role != Role.ASSISTANT:
        errors["assistant"] = _("Choose a user with the assistant role.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def client_create(*, by: User, reason: str = "", **fields) -> Client:
    if not can_create_clients(by):
        raise PermissionDenied(_("You may not create clients."))
    if not by.is_director:
        fields["owner"] = by  # a KAM creates clients for themselves
    fields.setdefault("owner", by)
    client = Client()
    assign_fields(client, fields, CLIENT_FIELDS)
    _check_people(client)
    save_audited(client, by=by, reason=reason)
    return client


@transaction.atomic
def client_set_key(*, by: User, client: Client, is_key: bool, reason: str) -> Client:
    """Mark a client key or not. Call it through kam.qualification.services.decide_key, which
    decides who may, gates prospects on the three P's and records the decision."""
    _check_edit(by, client)
    client.is_key = is_key
    save_audited(client, by=by, reason=reason)
    return client


@transaction.atomic
def client_update(*, by: User, client: Client, reason: str = "", **fields) -> Client:
    _check_edit(by, client)
    if ("owner" in fields and fields["owner"] != client.owner) and not by.is_director:
        raise PermissionDenied(_("Only the director reassigns clients."))
    assign_fields(client, fields, CLIENT_FIELDS)
    _check_people(client)
    save_audited(client, by=by, reason=reason)
    return client


def _check_contact_links(contact: Contact) -> None:
    manager = contact.reports_to if contact.reports_to_id else None
    if manager is not None and manager.client_id != contact.client_id:
        raise ValidationError({"reports_to": _("The manager must work at the same client.")})


@transaction.atomic
def contact_create(*, by: User, client: Client, reason: str = "", **fields) -> Contact:
    _check_edit(by, client)
    contact = Contact(client=client)
    assign_fields(contact, fields, CONTACT_FIELDS)
    _check_contact_links(contact)
    save_audited(contact, by=by, reason=reason)
    return contact


@transaction.atomic
def contact_update(*, by: User, contact: Contact, reason: str = "", **fields) -> Contact:
    _check_edit(by, contact.client)
    assign_fields(contact, fields, CONTACT_FIELDS)
    _check_contact_links(contact)
    save_audited(contact, by=by, reason=reason)
    return contact


@transaction.atomic
def contact_delete(*, by: User, contact: Contact) -> None:
    _check_edit(by, contact.client)
    contact._history_user = by  # type: ignore[attr-defined]  # read by simple_history
    contact.delete()


@transaction.atomic
def presence_save(
    *, by: User, client: Client, presence: CompetitorPresence | None = None, **fields
) -> CompetitorPresence:
    _check_edit(by, client)
    presence = presence or CompetitorPresence(client=client)
    assign_fields(presence, fields, PRESENCE_FIELDS)
    save_audited(presence, by=by)
    return presence


@transaction.atomic
def presence_delete(*, by: User, presence: CompetitorPresence) -> None:
    _check_edit(by, presence.client)
    presence._history_user = by  # type: ignore[attr-defined]  # read by simple_history
    presence.delete()


@transaction.atomic
def tender_save(
    *,
    by: User,
    client: Client,
    tender: Tender | None = None,
    competitors: Iterable | None = None,
    **fields,
) -> Tender:
    _check_edit(by, client)
    tender = tender or Tender(client=client)
    assign_fields(tender, fields, TENDER_FIELDS)
    save_audited(tender, by=by)
    if competitors is not None:
        tender.competitors.set(competitors)
    return tender


@transaction.atomic
def tender_delete(*, by: User, tender: Tender) -> None:
    _check_edit(by, tender.client)
    tender._history_user = by  # type: ignore[attr-defined]  # read by simple_history
    tender.delete()


@transaction.atomic
def team_member_add(
    *, by: User, client: Client, user: User, function: str, note: str = ""
) -> TeamMembership:
    _check_edit(by, client)
    membership = TeamMembership.objects.filter(client=client, user=user).first()
    membership = membership or TeamMembership(client=client, user=user)
    membership.function, membership.note = function, note
    save_audited(membership, by=by)
    return membership


@transaction.atomic
def team_member_remove(*, by: User, membership: TeamMembership) -> None:
    _check_edit(by, membership.client)
    membership._history_user = by  # type: ignore[attr-defined]  # read by simple_history
    membership.delete()
