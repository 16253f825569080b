"""API: the portfolio of key clients, the director's KAM load, and reassignment (R26, R27).

Thin: reads go through :mod:`kam.portfolio.services` from the access rule, the write through
``services.reassign_client``. A client the user may not see is a 404; the load overview and the
reassignment are the director's (others 403), as on the pages.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from kam.clients.api import client_if_match, client_rows
from kam.clients.schemas import ClientOut
from kam.core.api import (
    ERRORS,
    WRITE_ERRORS,
    IfMatchHeader,
    PageParams,
    Pagination,
    known_users,
    last_page_total,
    require,
    resolve_refs,
    tagged,
)
from kam.core.ids import Id

from . import services
from .schemas import KamLoadOut, PortfolioRowOut, ReassignIn

router = Router()


class PortfolioFilter(Schema):
    owner: Id | None = Field(None, description="User id of the owner KAM.")


class PortfolioPage(Schema):
    items: list[PortfolioRowOut]
    count: int


@router.get(
    "/portfolio",
    response={200: PortfolioPage, 401: ERRORS[401], 422: ERRORS[422]},
    url_name="portfolio_list",
    summary="List your key clients with their figures",
    tags=["portfolio"],
)
def portfolio_list(request, filters: Query[PortfolioFilter], page: Query[PageParams]):
    """The key clients you may see, by name: classes, risk, value, score, dossier completeness,
    and this year's potential against actual purchases. Figures are computed for the page only,
    in a fixed number of queries."""
    clients = services.key_clients(request.auth)
    if filters.owner is not None:
        clients = clients.filter(owner_id=filters.owner)
    shown = list(clients[page.offset : page.offset + page.limit])
    total = last_page_total(page.offset, page.limit, shown)
    count = clients.count() if total is None else total
    return {"items": services.portfolio_rows(shown), "count": count}


@router.get(
    "/portfolio/load",
    response={200: list[KamLoadOut], 401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]},
    url_name="portfolio_load",
    summary="Load of every active KAM (director)",
    tags=["portfolio"],
)
@paginate(Pagination)
def portfolio_load(request):
    """Per active KAM: key accounts against the norm, value, clients at risk, and this year's
    potential and share of wallet of their key clients. The director only."""
    require(request.auth.is_director, _("Only the director sees the load of KAMs."))
    return services.kam_loads()


@router.post(
    "/clients/{client_id}/reassign",
    response={200: ClientOut, **WRITE_ERRORS},
    url_name="client_reassign",
    summary="Reassign a client to another KAM (director)",
    tags=["portfolio"],
)
def client_reassign(
    request,
    client_id: Id,
    payload: ReassignIn,
    response: HttpResponse,
    if_match_header: IfMatchHeader = None,
):
    """Moves the client with its assistant; the cross-functional team stays. The client's history
    records the director, the old and new owner and the reason. ``If-Match`` takes the client's
    ETag (GET /clients/{id}): a client changed since is refused (412)."""
    user = request.auth
    client = get_object_or_404(client_rows(user), pk=client_id)
    require(user.is_director, _("Only the director reassigns clients."))
    refs = {"owner": (known_users(), _("Unknown user."))}
    owner = resolve_refs({"owner": payload.owner}, refs)["owner"]
    services.reassign_client(
        by=user,
        client=client,
        new_owner=owner,
        reason=payload.reason,
        base=client_if_match(request, if_match_header),
    )
    return tagged(request, response, ClientOut, client_rows(user).get(pk=client.pk))
