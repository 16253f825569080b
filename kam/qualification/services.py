"""The one write path of qualification and key decisions (R5, R8).

Each function takes the acting user as ``by``, checks the access rule and raises
django.core.exceptions.ValidationError with field-level messages before anything is written.
Changes to the client itself (``is_key``, ``client_type``) go through
:func:`kam.clients.services.client_update`, so the client's audit history records them with
the reason.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.clients.models import Client, ClientStatus, ClientType
from kam.clients.services import client_set_key, client_update
from kam.core.access import can_edit_client
from kam.core.locking import Base, IfMatch, check, lock
from kam.core.models import User
from kam.core.services import assign_fields, save_audited
from kam.insights.models import ClientAnalytics
from kam.keyprofile.models import ClientScore

from .models import THREE_P, KeyDecision, PStatus, Qualification

QUALIFICATION_FIELDS = tuple(f"{p}_{part}" for p in THREE_P for part in ("status", "evidence"))


def can_decide(user, client: Client) -> bool:
    """Who decides key / not key and confirms the type: the director or the client's own KAM.

    Assistants and team members (even a KAM sitting on the team) prepare, but do not decide.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_director or client.owner_id == user.pk)


def _check_decide(by: User, client: Client) -> None:
    if not can_decide(by, client):
        raise PermissionDenied(_("Only the director or the client's KAM may decide this."))


def suggested_type(client: Client) -> str:
    """The client type the latest analytics suggest; "" without analytics or a suggestion."""
    return (
        ClientAnalytics.objects.filter(client=client)
        .values_list("suggested_type", flat=True)
        .first()
        or ""
    )


def qualification_for(client: Client) -> Qualification | None:
    return Qualification.objects.filter(client=client).select_related(*_by_fields()).first()


def _by_fields() -> list[str]:
    return [f"{p}_by" for p in THREE_P]


def missing_names(qualification: Qualification | None) -> list[str]:
    """The names of the P's not confirmed yet (all three without a qualification)."""
    missing = qualification.missing if qualification else list(THREE_P)
    return [str(THREE_P[p]) for p in missing]


@transaction.atomic
def qualification_save(
    *,
    by: User,
    client: Client,
    reason: str = "",
    base: Base | IfMatch | None = None,
    **fields,
) -> Qualification:
    """Set the three P's of ``client``; evidence is required for a confirmed or not-met P.

    Who assessed a P and when is stamped when its status or evidence changes. ``base`` is what
    the editor loaded (kam.core.locking): P's changed meanwhile by someone else are kept.
    """
    lock(client)  # one record per client: two first saves wait for each other
    if not can_edit_client(by, client):
        raise PermissionDenied(_("You may not change this client."))
    qualification = Qualification.objects.select_for_update().filter(
        client=client
    ).first() or Qualification(client=client)
    fields = check(base, qualification, fields)
    before = {name: getattr(qualification, name) for name in QUALIFICATION_FIELDS}
    assign_fields(qualification, fields, QUALIFICATION_FIELDS)
    now = timezone.now()
    for p in THREE_P:
        status, evidence = f"{p}_status", f"{p}_evidence"
        changed = (
            getattr(qualification, status) != before[status]
            or getattr(qualification, evidence) != before[evidence]
        )
        if not changed:
            continue
        if getattr(qualification, status) == PStatus.UNKNOWN:
            setattr(qualification, f"{p}_by", None)
            setattr(qualification, f"{p}_at", None)
        else:
            setattr(qualification, f"{p}_by", by)
            setattr(qualification, f"{p}_at", now)
    save_audited(qualification, by=by, reason=reason)
    return qualification


@transaction.atomic
def decide_key(
    *, by: User, client: Client, is_key: bool, reason: str, base: Base | IfMatch | None = None
) -> KeyDecision:
    """Make ``client`` key or not key, recording who, when, why and the score at the time.

    A prospect can be made key only when all three P's are confirmed. ``base`` is the client as
    the decider saw it: a decision taken meanwhile by someone else is an EditConflict.
    """
    lock(client)
    _check_decide(by, client)
    check(base, client, {"is_key": is_key})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: the decision is recorded with its reason.")})
    if is_key and client.status == ClientStatus.PROSPECT:
        missing = missing_names(qualification_for(client))
        if missing:
            raise ValidationError(
                _(
                    "A prospect can be made key only when fully qualified. "
                    "Not confirmed yet: %(missing)s."
                )
                % {"missing": ", ".join(missing)},
                code="not_qualified",
            )
    # The score the decision was suggested by: the key-client profile's, not the engine default.
    score = (
        ClientScore.objects.of_latest_run()
        .filter(client=client)
        .values_list("score", flat=True)
        .first()
    )
    client_set_key(by=by, client=client, is_key=is_key, reason=reason)  # checked above
    decision = KeyDecision(
        client=client,
        decided_by=by,
        is_key=is_key,
        reason=reason,
        score=score,
        suggested_type=suggested_type(client),
        client_status=client.status,
    )
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
def confirm_type(
    *,
    by: User,
    client: Client,
    client_type: str,
    reason: str = "",
    base: Base | IfMatch | None = None,
) -> Client:
    """Confirm the suggested type or override it; the client's history keeps the reason.

    Overriding the suggestion (or setting a type with no suggestion) needs a reason; confirming
    the suggestion without one records a standard reason. ``base`` is the client as the decider
    saw it: a type set meanwhile by someone else is an EditConflict.
    """
    lock(client)
    _check_decide(by, client)
    check(base, client, {"client_type": client_type})
    if client_type not in ClientType.values:
        raise ValidationError({"client_type": _("Choose a client type from the list.")})
    suggested = suggested_type(client)
    reason = (reason or "").strip()
    if not reason:
        if suggested and client_type == suggested:
            reason = _("Confirmed the suggested type: %(type)s.") % {
                "type": ClientType(client_type).label
            }
        else:
            raise ValidationError(
                {"reason": _("Say why: the type differs from the suggested one.")}
            )
    return client_update(by=by, client=client, reason=reason, client_type=client_type)
