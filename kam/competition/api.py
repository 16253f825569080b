"""API: a client's competitive assessments and who holds its spend (R17), and the company's
criteria. Reads start from the access rule; writes go through :mod:`.services`.

A client or assessment the user may not see is a 404; one they see but may not change (a team
member) a 403, checked before the payload is looked at. An assessment answers an ETag; a change
with a stale If-Match is a 412 (kam.core.locking).
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from kam.clients.api import editable_client_or_403, visible_client_or_404
from kam.clients.models import Competitor
from kam.core.access import can_edit_client
from kam.core.api import (
    ERRORS,
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

from . import services
from .models import Assessment, Criterion
from .schemas import (
    AssessmentIn,
    AssessmentOut,
    AssessmentUpdate,
    CompetitiveCriterionOut,
    SpendHolderOut,
    SpendIn,
)

router = Router(tags=["competition"])


def _assessments(user) -> QuerySet:
    return (
        Assessment.objects.visible_to(user)
        .select_related("client", "created_by", "updated_by")
        .prefetch_related(Prefetch("competitors", queryset=Competitor.objects.order_by("name")))
    )


@router.get(
    "/clients/{client_id}/assessments",
    response={200: list[AssessmentOut], **LIST_ERRORS},
    url_name="assessment_list",
    summary="List a client's competitive assessments",
)
@paginate(Pagination)
def assessment_list(request, client_id: Id):
    """Newest first: each with its criteria as the client weighs them (weights and their
    shares), the scores of us and of each compared competitor, and the weighted totals."""
    client = visible_client_or_404(request.auth, client_id)
    return _assessments(request.auth).filter(client=client).order_by("-assessed_on", "-pk")


@router.post(
    "/clients/{client_id}/assessments",
    response={201: AssessmentOut, **ERRORS},
    url_name="assessment_create",
    summary="Start or record a competitive assessment",
)
def assessment_create(request, client_id: Id, payload: AssessmentIn):
    """Without ``criteria`` the grid is a copy of ``start_from`` or the company's criteria,
    unscored (a draft). ``final`` needs at least 10 criteria, a competitor and every score: a
    grid with fewer is refused with the number (422)."""
    user = request.auth
    client = editable_client_or_403(user, client_id)
    start_from = None
    if payload.start_from is not None:
        start_from = client.assessments.filter(pk=payload.start_from).first()
        if start_from is None:
            raise ValidationError({"start_from": _("No such assessment of this client.")})
    made = services.assessment_create(
        by=user,
        client=client,
        assessed_on=payload.assessed_on,
        competitors=payload.competitors,
        start_from=start_from,
        rows=None if payload.criteria is None else [r.row() for r in payload.criteria],
        note=payload.note,
        final=payload.final,
    )
    return Status(201, _assessments(user).get(pk=made.pk))


@router.get(
    "/assessments/{assessment_id}",
    response={200: AssessmentOut, **READ_ERRORS},
    url_name="assessment_detail",
    summary="Read a competitive assessment",
)
def assessment_detail(request, assessment_id: Id, response: HttpResponse):
    """The ``ETag`` header identifies this version: send it as ``If-Match`` with a change."""
    found = get_object_or_404(_assessments(request.auth), pk=assessment_id)
    return tagged(request, response, AssessmentOut, found)


@router.put(
    "/assessments/{assessment_id}",
    response={200: AssessmentOut, **WRITE_ERRORS},
    url_name="assessment_update",
    summary="Replace a draft assessment's grid",
)
def assessment_update(
    request,
    assessment_id: Id,
    payload: AssessmentUpdate,
    response: HttpResponse,
    if_match_header: IfMatchHeader = None,
):
    """The whole grid, competitors and (when sent) date and note; ``final`` closes it. A final
    assessment is kept as it was (422): start a new one from it. With ``If-Match``, an
    assessment changed since you read it is refused (412)."""
    user = request.auth
    rows = _assessments(user)
    found = get_object_or_404(rows, pk=assessment_id)
    require(can_edit_client(user, found.client), _("You may not change this client."))
    services.assessment_save(
        by=user,
        assessment=found,
        version=None,
        rows=[r.row() for r in payload.criteria],
        competitors=payload.competitors,
        assessed_on=payload.assessed_on,
        note=payload.note,
        final=payload.final,
        if_match=if_match(request, if_match_header, AssessmentOut, lambda a: rows.get(pk=a.pk)),
    )
    return tagged(request, response, AssessmentOut, rows.get(pk=found.pk))


@router.get(
    "/clients/{client_id}/spend-holders",
    response={200: list[SpendHolderOut], **LIST_ERRORS},
    url_name="spend_list",
    summary="Who holds a client's spend, by product category",
)
@paginate(Pagination)
def spend_list(request, client_id: Id):
    """Per product category: us, a competitor present at the client, its own staff or nobody,
    with the share of the category when known."""
    client = visible_client_or_404(request.auth, client_id)
    return client.spend_holders.select_related("competitor").order_by("category", "pk")


@router.put(
    "/clients/{client_id}/spend-holders",
    response={200: list[SpendHolderOut], **ERRORS},
    url_name="spend_update",
    summary="Replace who holds a client's spend",
)
def spend_update(request, client_id: Id, payload: SpendIn):
    """The list replaces the recorded one (all or nothing; each problem names its row). The
    shares of one category add up to at most 100 %."""
    user = request.auth
    client = editable_client_or_403(user, client_id)
    rows = [h.model_dump() for h in payload.holders]
    for row in rows:
        row["competitor"] = row.pop("competitor_id")
    services.spend_save(by=user, client=client, rows=rows)
    return list(client.spend_holders.select_related("competitor").order_by("category", "pk"))


@router.get(
    "/competitive-criteria",
    response={200: list[CompetitiveCriterionOut], **READ_ERRORS},
    url_name="criteria_list",
    summary="The company's default competitive criteria",
)
def criteria_list(request):
    """Every new assessment starts from those in use; the director keeps them (on the page)."""
    return Criterion.objects.company()
