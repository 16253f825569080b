"""API: the three-P qualification, key / not-key decisions and the client type (R5, R8).

Reads start from the access rule (a client the user may not see is a 404); writes go through
:mod:`.services`, which decide who may (a visible client you may not act on is a 403) and
validate (422). The three-P gate of prospects lives in ``services.decide_key``, not here.
"""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from kam.clients.api import client_if_match, visible_client_or_404
from kam.clients.models import Client
from kam.core.access import can_edit_client
from kam.core.api import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    IfMatchHeader,
    Pagination,
    if_match,
    require,
    tagged,
)
from kam.core.ids import Id
from kam.insights.models import SUGGESTED_TYPES

from . import services
from .models import KeyDecision, Qualification
from .schemas import (
    ClientTypeIn,
    ClientTypeOut,
    KeyDecisionIn,
    KeyDecisionOut,
    QualificationIn,
    QualificationOut,
)

router = Router()


def _qualification(client: Client) -> Qualification:
    """The client's qualification; an unsaved blank one (all unknown) before the first."""
    qualification = services.qualification_for(client) or Qualification(client=client)
    qualification.client = client  # the same row: spare a query for the client reference
    return qualification


# --- three P's -----------------------------------------------------------------------------


@router.get(
    "/clients/{client_id}/qualification",
    response={200: QualificationOut, **READ_ERRORS},
    url_name="qualification_detail",
    summary="Read a client's three-P qualification",
    tags=["qualification"],
)
def qualification_detail(request, client_id: Id, response: HttpResponse):
    """Need, solvency and authority to decide, each with its status, evidence and who assessed
    it when; the P's still missing. Before the first assessment all three are unknown and
    ``updated_at`` is null (not a 404: a 404 always means a client you may not see). The
    ``ETag`` header identifies this version: send it as ``If-Match`` with a change."""
    client = visible_client_or_404(request.auth, client_id)
    return tagged(request, response, QualificationOut, _qualification(client))


@router.put(
    "/clients/{client_id}/qualification",
    response={200: QualificationOut, **WRITE_ERRORS},
    url_name="qualification_update",
    summary="Record a client's three-P qualification",
    tags=["qualification"],
)
def qualification_update(
    request,
    client_id: Id,
    payload: QualificationIn,
    response: HttpResponse,
    if_match_header: IfMatchHeader = None,
):
    """Replaces the three P's: send every status and evidence. Evidence is required for a P that
    is confirmed or not met. The director, the client's KAM and its assistants. With
    ``If-Match`` (the ETag of the GET, also before the first assessment), a qualification
    changed since you read it is refused (412)."""
    user = request.auth
    client = visible_client_or_404(user, client_id)
    require(can_edit_client(user, client), _("You may not change this client."))
    data = payload.model_dump()
    base = if_match(request, if_match_header, QualificationOut, lambda _q: _qualification(client))
    services.qualification_save(
        by=user, client=client, reason=data.pop("reason"), base=base, **data
    )
    return tagged(request, response, QualificationOut, _qualification(client))


# --- key decisions -------------------------------------------------------------------------


@router.get(
    "/clients/{client_id}/key-decisions",
    response={200: list[KeyDecisionOut], **LIST_ERRORS},
    url_name="key_decision_list",
    summary="List a client's key / not-key decisions",
    tags=["key decisions"],
)
@paginate(Pagination)
def key_decision_list(request, client_id: Id):
    """Every decision recorded for the client, newest first: who, when, why, and the score,
    suggested type and client status at the time. Decisions are never edited."""
    client = visible_client_or_404(request.auth, client_id)
    return (
        KeyDecision.objects.filter(client=client)
        .select_related("client", "decided_by")
        .order_by("-decided_at", "-pk")
    )


@router.post(
    "/clients/{client_id}/key-decisions",
    response={201: KeyDecisionOut, **WRITE_ERRORS},
    url_name="key_decision_create",
    summary="Decide whether a client is key",
    tags=["key decisions"],
)
def key_decision_create(
    request, client_id: Id, payload: KeyDecisionIn, if_match_header: IfMatchHeader = None
):
    """Only the director or the client's own KAM (others 403). A prospect can be made key only
    when all three P's are confirmed (otherwise 422 naming the missing ones); removing a client
    from key clients is always possible. ``If-Match`` takes the client's ETag
    (GET /clients/{id}): a client changed since is refused (412)."""
    client = visible_client_or_404(request.auth, client_id)
    decision = services.decide_key(
        by=request.auth,
        client=client,
        is_key=payload.is_key,
        reason=payload.reason,
        base=client_if_match(request, if_match_header),
    )
    return Status(201, decision)


# --- client type ---------------------------------------------------------------------------


@router.post(
    "/clients/{client_id}/type",
    response={200: ClientTypeOut, **WRITE_ERRORS},
    url_name="client_type_confirm",
    summary="Confirm or override a client's type",
    tags=["qualification"],
)
def client_type_confirm(
    request, client_id: Id, payload: ClientTypeIn, if_match_header: IfMatchHeader = None
):
    """Only the director or the client's own KAM (others 403). A reason is required when the
    type differs from the suggested one; the client's history keeps it. ``If-Match`` takes the
    client's ETag (GET /clients/{id}): a client changed since is refused (412)."""
    client = visible_client_or_404(request.auth, client_id)
    client = services.confirm_type(
        by=request.auth,
        client=client,
        client_type=payload.client_type,
        reason=payload.reason,
        base=client_if_match(request, if_match_header),
    )
    suggested = services.suggested_type(client)
    return {
        "client": client,
        "client_type": client.client_type,
        "client_type_label": client.get_client_type_display(),
        "suggested_type": suggested or None,
        "suggested_type_label": str(SUGGESTED_TYPES.get(suggested, suggested)),
        "reason": client.audit.values_list("history_change_reason", flat=True).first() or "",
    }
