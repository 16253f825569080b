"""API: a client's potential per year, its whitespace per product category and its strategy
(R2, R12, R13). Reads start from the access rule; writes go through :mod:`.services`.

A client (or estimate) the user may not see is a 404; one they see but may not change — a team
member — is a 403, checked before the payload is looked at. Reads of one record and changes
answer an ETag; a change with a stale If-Match is a 412 (kam.core.locking).
"""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from kam.clients.api import editable_client_or_403, visible_client_or_404
from kam.clients.models import Client
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

from . import selectors, services
from .models import ClientPotential, ClientStrategy
from .schemas import (
    PotentialIn,
    PotentialOut,
    PotentialPatch,
    StrategyIn,
    StrategyOut,
    WhitespaceOut,
)

router = Router()


def _potentials(user) -> QuerySet:
    return ClientPotential.objects.visible_to(user).with_actual().select_related("client")


# --- potential -----------------------------------------------------------------------------


@router.get(
    "/clients/{client_id}/potentials",
    response={200: list[PotentialOut], **LIST_ERRORS},
    url_name="potential_list",
    summary="List a client's potential by year",
    tags=["potential"],
)
@paginate(Pagination)
def potential_list(request, client_id: Id):
    """The client's estimates, oldest year first, each with its potential revenue, actual
    purchases in that year, share of wallet and gap (computed, never stored)."""
    client = visible_client_or_404(request.auth, client_id)
    return _potentials(request.auth).filter(client=client).order_by("year")


@router.post(
    "/clients/{client_id}/potentials",
    response={201: PotentialOut, **ERRORS},
    url_name="potential_create",
    summary="Estimate a client's potential for a year",
    tags=["potential"],
)
def potential_create(request, client_id: Id, payload: PotentialIn):
    """One estimate per client and year. The director, the client's KAM and its assistants."""
    user = request.auth
    client = editable_client_or_403(user, client_id)
    data = payload.changes()
    potential = services.potential_save(by=user, client=client, year=data.pop("year"), **data)
    return Status(201, _potentials(user).get(pk=potential.pk))


@router.get(
    "/potentials/{potential_id}",
    response={200: PotentialOut, **READ_ERRORS},
    url_name="potential_detail",
    summary="Read a potential estimate",
    tags=["potential"],
)
def potential_detail(request, potential_id: Id, response: HttpResponse):
    """The ``ETag`` header identifies this version: send it as ``If-Match`` with a change."""
    potential = get_object_or_404(_potentials(request.auth), pk=potential_id)
    return tagged(request, response, PotentialOut, potential)


@router.patch(
    "/potentials/{potential_id}",
    response={200: PotentialOut, **WRITE_ERRORS},
    url_name="potential_update",
    summary="Change a potential estimate",
    tags=["potential"],
)
def potential_update(
    request,
    potential_id: Id,
    payload: PotentialPatch,
    response: HttpResponse,
    if_match_header: IfMatchHeader = None,
):
    """Send only the fields to change. A derived total demand is not re-derived by itself:
    send ``"total_demand": null`` with a new driver quantity or rate to derive it again. With
    ``If-Match``, an estimate changed since you read it is refused (412)."""
    user = request.auth
    potential = get_object_or_404(_potentials(user), pk=potential_id)
    require(can_edit_client(user, potential.client), _("You may not change this client."))
    data = payload.changes()
    year = data.pop("year", potential.year)
    rows = _potentials(user)
    potential = services.potential_save(
        by=user,
        client=potential.client,
        year=year,
        potential=potential,
        base=if_match(request, if_match_header, PotentialOut, lambda p: rows.get(pk=p.pk)),
        **data,
    )
    return tagged(request, response, PotentialOut, _potentials(user).get(pk=potential.pk))


# --- whitespace ----------------------------------------------------------------------------


@router.get(
    "/clients/{client_id}/whitespace",
    response={200: WhitespaceOut, **READ_ERRORS},
    url_name="client_whitespace",
    summary="A client's purchases per product category, with competitors present",
    tags=["potential"],
)
def whitespace(request, client_id: Id):
    """Every product category of the company with the client's purchases from us over the last
    12 complete calendar months (``buys_from_us`` false: whitespace), and the competitors at the
    client whose “what it supplies” names the category."""
    return selectors.whitespace(visible_client_or_404(request.auth, client_id))


# --- strategy ------------------------------------------------------------------------------


@router.get(
    "/clients/{client_id}/strategy",
    response={200: StrategyOut, **READ_ERRORS},
    url_name="strategy_detail",
    summary="Read a client's strategy and needs",
    tags=["strategy"],
)
def strategy_detail(request, client_id: Id, response: HttpResponse):
    """Before anything is recorded the texts are empty and ``updated_at`` is null (not a 404:
    a 404 always means a client you may not see). The ``ETag`` header identifies this version:
    send it as ``If-Match`` with a change."""
    client = visible_client_or_404(request.auth, client_id)
    return tagged(request, response, StrategyOut, _strategy(client))


def _strategy(client: Client) -> ClientStrategy:
    return selectors.strategy(client) or ClientStrategy(client=client)


@router.put(
    "/clients/{client_id}/strategy",
    response={200: StrategyOut, **WRITE_ERRORS},
    url_name="strategy_update",
    summary="Record a client's strategy and needs",
    tags=["strategy"],
)
def strategy_update(
    request,
    client_id: Id,
    payload: StrategyIn,
    response: HttpResponse,
    if_match_header: IfMatchHeader = None,
):
    """Replaces the record (one per client): send all three texts. The director, the client's
    KAM and its assistants; every change is kept in the audit history. With ``If-Match`` (the
    ETag of the GET, also before anything is recorded), a record changed or created since you
    read it is refused (412)."""
    user = request.auth
    client = editable_client_or_403(user, client_id)
    base = if_match(request, if_match_header, StrategyOut, lambda _s: _strategy(client))
    services.strategy_save(by=user, client=client, base=base, **payload.model_dump())
    return tagged(request, response, StrategyOut, _strategy(client))
