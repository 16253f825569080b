"""Every write to clients and their dossier goes through these functions.

Views, the API, imports and the demo generator all call them.

Each takes the acting user as ``by``: it is checked against the access rule and recorded in the
audit history. Validation errors are raised as django.core.exceptions.ValidationError with
field-level messages, before anything is written.

Each change of an existing record takes the editor's optional ``base`` (what they loaded: a form's
hidden base or an API If-Match) and re-reads the row under lock before writing: fields changed
meanwhile by someone else are kept, a field both changed is an EditConflict, a stale ETag a
PreconditionFailed (kam.core.locking). Without a base the given fields are written as they are.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.core.access import can_create_clients, can_edit_client
from kam.core.locking import Base, IfMatch
from kam.core.models import Role, User
from kam.core.services import assign_fields, delete_audited, locked_edit, save_audited

from .models import Client, CompetitorPresence, Contact, TeamMembership, Tender

# Editable fields in the order forms show them; forms and the API derive from these.
CLIENT_FIELDS = (
    "name",
    "legal_name",
    "erp_code",
    "inn",
    "kpp",
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


def _check_edit_of(by: User):
    """``permit`` for :func:`locked_edit` of a client's record: may ``by`` change its client?"""
    return lambda record: _check_edit(by, record.client)


BaseArg = Base | IfMatch | None


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


def inn_holders(by: User, inns: Iterable[str], exclude: Iterable[int] = ()) -> dict[str, str]:
    """For each ИНН of ``inns`` a client other than ``exclude`` holds: why it cannot be used
    again. The message names the holder when ``by`` may see it; otherwise it says only that a
    client exists, as everywhere a foreign client is concerned (clients/groups.py)."""
    inns, skipped = sorted({inn for inn in inns if inn}), set(exclude)
    holders = []
    for start in range(0, len(inns), 10_000):  # below every database's parameter limit
        found = Client.objects.filter(inn__in=inns[start : start + 10_000])
        holders += [
            row
            for row in found.values_list("pk", "inn", "name", "erp_code")
            if row[0] not in skipped
        ]
    if not holders:
        return {}
    visible = set(
        Client.objects.visible_to(by)
        .filter(pk__in=[pk for pk, *_rest in holders])
        .values_list("pk", flat=True)
    )
    return {
        inn: (
            _("The client “%(name)s” (ERP code %(code)s) already has this INN.")
            % {"name": name, "code": code}
            if pk in visible
            else _("A client outside your clients already has this INN; ask the director.")
        )
        for pk, inn, name, code in holders
    }


def _check_inn_free(by: User, client: Client) -> None:
    if client.inn and (taken := inn_holders(by, [client.inn], [client.pk] if client.pk else [])):
        raise ValidationError({"inn": taken[client.inn]})


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
    _check_inn_free(by, client)
    save_audited(client, by=by, reason=reason)
    return client


@transaction.atomic
def client_set_key(
    *, by: User, client: Client, is_key: bool, reason: str, base: BaseArg = None
) -> Client:
    """Mark a client key or not. Call it through kam.qualification.services.decide_key, which
    decides who may, gates prospects on the three P's and records the decision."""
    client, fields = locked_edit(
        client, base, {"is_key": is_key}, permit=lambda c: _check_edit(by, c)
    )
    client.is_key = fields.get("is_key", client.is_key)
    save_audited(client, by=by, reason=reason)
    return client


@transaction.atomic
def client_update(
    *, by: User, client: Client, reason: str = "", base: BaseArg = None, **fields
) -> Client:
    client, fields = locked_edit(client, base, fields, permit=lambda c: _check_edit(by, c))
    owner = fields.get("owner")
    if owner is not None and owner.pk != client.owner_id and not by.is_director:
        raise PermissionDenied(_("Only the director reassigns clients."))
    assign_fields(client, fields, CLIENT_FIELDS)
    _check_people(client)
    _check_inn_free(by, client)
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
def contact_update(
    *, by: User, contact: Contact, reason: str = "", base: BaseArg = None, **fields
) -> Contact:
    contact, fields = locked_edit(contact, base, fields, permit=_check_edit_of(by))
    assign_fields(contact, fields, CONTACT_FIELDS)
    _check_contact_links(contact)
    save_audited(contact, by=by, reason=reason)
    return contact


@transaction.atomic
def contact_delete(*, by: User, contact: Contact) -> None:
    _check_edit(by, contact.client)
    delete_audited(contact, by=by)


@transaction.atomic
def presence_save(
    *,
    by: User,
    client: Client,
    presence: CompetitorPresence | None = None,
    base: BaseArg = None,
    **fields,
) -> CompetitorPresence:
    if presence is None or presence.pk is None:
        _check_edit(by, client)
        presence = presence or CompetitorPresence(client=client)
    else:
        presence, fields = locked_edit(presence, base, fields, permit=_check_edit_of(by))
    assign_fields(presence, fields, PRESENCE_FIELDS)
    save_audited(presence, by=by)
    return presence


@transaction.atomic
def presence_delete(*, by: User, presence: CompetitorPresence) -> None:
    _check_edit(by, presence.client)
    delete_audited(presence, by=by)


@transaction.atomic
def tender_save(
    *,
    by: User,
    client: Client,
    tender: Tender | None = None,
    competitors: Iterable | None = None,
    base: BaseArg = None,
    **fields,
) -> Tender:
    if competitors is not None:
        fields["competitors"] = list(competitors)
    if tender is None or tender.pk is None:
        _check_edit(by, client)
        tender = tender or Tender(client=client)
    else:
        tender, fields = locked_edit(tender, base, fields, permit=_check_edit_of(by))
    competitors = fields.pop("competitors", None)
    assign_fields(tender, fields, TENDER_FIELDS)
    save_audited(tender, by=by)
    if competitors is not None:
        tender.competitors.set(competitors)
    return tender


@transaction.atomic
def tender_delete(*, by: User, tender: Tender) -> None:
    _check_edit(by, tender.client)
    delete_audited(tender, by=by)


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
def team_member_update(
    *, by: User, membership: TeamMembership, base: BaseArg = None, **fields
) -> TeamMembership:
    """Change a team member's function or note (the person stays: remove and add instead)."""
    membership, fields = locked_edit(membership, base, fields, permit=_check_edit_of(by))
    assign_fields(membership, fields, {"function", "note"})
    save_audited(membership, by=by)
    return membership


@transaction.atomic
def team_member_remove(*, by: User, membership: TeamMembership) -> None:
    _check_edit(by, membership.client)
    delete_audited(membership, by=by)
