"""API: clients and their contacts. Reads filter through the access rule; writes go through the
services. An object the user may not see is a 404; one they see but may not change is a 403.

A detail read and every change answer an ETag; a change sent with If-Match is refused with 412
when the object changed since (kam.core.locking)."""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from kam.core.access import can_create_clients, can_edit_client
from kam.core.api import (
    ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    IfMatchHeader,
    Pagination,
    if_match,
    known_users,
    require,
    resolve_refs,
    tagged,
)
from kam.core.ids import Id

from . import services
from .groups import attach_groups, with_parent_name
from .models import Client, Contact
from .schemas import (
    ClientFilter,
    ClientIn,
    ClientOrdering,
    ClientOut,
    ClientPatch,
    ContactFilter,
    ContactIn,
    ContactOut,
    ContactPatch,
)

router = Router()


def visible_client_or_404(user, client_id: int) -> Client:
    """The client for the API routes under ``/clients/{client_id}/…``; 404 when not visible."""
    return get_object_or_404(Client.objects.visible_to(user), pk=client_id)


def editable_client_or_403(user, client_id: int) -> Client:
    """The client for a change under ``/clients/{client_id}/…``: 404 when not visible, 403 when
    visible but not the user's to change (checked before the payload is looked at)."""
    client = visible_client_or_404(user, client_id)
    require(can_edit_client(user, client), _("You may not change this client."))
    return client


def client_rows(user) -> QuerySet:
    """The clients ``user`` may see, as the API answers them (owner, assistant, and the parent's
    name only when the user may see the parent: clients/groups.py)."""
    return with_parent_name(
        Client.objects.visible_to(user).select_related("owner", "assistant"), user
    )


class ClientPagination(Pagination):
    """Pages of clients with their groups of companies, one query for the page."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        page["items"] = attach_groups(request.auth, list(page["items"]))
        return page


def _contacts(user) -> QuerySet:
    return Contact.objects.visible_to(user).select_related(
        "client", "reports_to", "relationship_owner"
    )


def _client_refs(user) -> dict:
    return {
        "owner": (known_users(), _("Unknown user.")),
        "assistant": (known_users(), _("Unknown user.")),
        "parent": (Client.objects.visible_to(user), _("Unknown client.")),
    }


def _contact_refs(user) -> dict:
    return {
        "client": (Client.objects.visible_to(user), _("Unknown client.")),
        "reports_to": (Contact.objects.visible_to(user), _("Unknown contact.")),
        "relationship_owner": (known_users(), _("Unknown user.")),
    }


def client_if_match(request, header: str | None):
    """A service's ``base`` from ``If-Match`` holding a client's ETag (GET /clients/{id}), for
    the operations that change a client through another path (type, key decision, reassign)."""
    rows = client_rows(request.auth)
    return if_match(request, header, ClientOut, lambda c: rows.get(pk=c.pk))


def _reload(queryset: QuerySet, obj):
    """The saved object as the list shows it; the object itself if the user no longer sees it."""
    return queryset.filter(pk=obj.pk).first() or obj


# --- clients -------------------------------------------------------------------------------


@router.get(
    "/clients",
    response={200: list[ClientOut], 401: ERRORS[401], 422: ERRORS[422]},
    url_name="client_list",
    summary="List clients",
    tags=["clients"],
)
@paginate(ClientPagination)
def client_list(request, filters: Query[ClientFilter], ordering: ClientOrdering = "name"):
    """The clients you may see: all for the director, otherwise those you own, assist or work on.
    ``parent`` matches only a parent company you may see."""
    clients = filters.filter(client_rows(request.auth))
    if filters.parent is not None:
        clients = clients.filter(parent__in=Client.objects.visible_to(request.auth))
    return clients.order_by(ordering, "pk")


@router.get(
    "/clients/{client_id}",
    response={200: ClientOut, **READ_ERRORS},
    url_name="client_detail",
    summary="Read a client",
    tags=["clients"],
)
def client_detail(request, client_id: Id, response: HttpResponse):
    """The ``ETag`` header identifies this version: send it as ``If-Match`` with a change."""
    return tagged(
        request, response, ClientOut, get_object_or_404(client_rows(request.auth), pk=client_id)
    )


@router.post(
    "/clients",
    response={201: ClientOut, 401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]},
    url_name="client_create",
    summary="Create a client",
    tags=["clients"],
)
def client_create(request, payload: ClientIn):
    """Directors and KAMs create clients; a KAM always becomes the owner."""
    user = request.auth
    require(can_create_clients(user), _("You may not create clients."))
    data = resolve_refs(payload.changes(), _client_refs(user))
    client = services.client_create(by=user, **data)
    return Status(201, _reload(client_rows(user), client))


@router.patch(
    "/clients/{client_id}",
    response={200: ClientOut, **WRITE_ERRORS},
    url_name="client_update",
    summary="Change a client",
    tags=["clients"],
)
def client_update(
    request,
    client_id: Id,
    payload: ClientPatch,
    response: HttpResponse,
    if_match_header: IfMatchHeader = None,
):
    """Send only the fields to change; the others stay as they are, also those you do not see
    (a parent company outside your clients). Only the director changes the owner. With
    ``If-Match``, a client changed since you read it is refused (412)."""
    user = request.auth
    client = get_object_or_404(client_rows(user), pk=client_id)
    require(can_edit_client(user, client), _("You may not change this client."))
    data = resolve_refs(payload.changes(), _client_refs(user))
    base = client_if_match(request, if_match_header)
    client = services.client_update(by=user, client=client, base=base, **data)
    return tagged(request, response, ClientOut, _reload(client_rows(user), client))


# --- contacts ------------------------------------------------------------------------------


@router.get(
    "/contacts",
    response={200: list[ContactOut], 401: ERRORS[401], 422: ERRORS[422]},
    url_name="contact_list",
    summary="List contacts",
    tags=["contacts"],
)
@paginate(Pagination)
def contact_list(request, filters: Query[ContactFilter]):
    """The people at the clients you may see (the decision-making scheme, R11)."""
    return filters.filter(_contacts(request.auth)).order_by(*(Contact._meta.ordering or ()), "pk")


@router.get(
    "/contacts/{contact_id}",
    response={200: ContactOut, **READ_ERRORS},
    url_name="contact_detail",
    summary="Read a contact",
    tags=["contacts"],
)
def contact_detail(request, contact_id: Id, response: HttpResponse):
    """The ``ETag`` header identifies this version: send it as ``If-Match`` with a change."""
    contact = get_object_or_404(_contacts(request.auth), pk=contact_id)
    return tagged(request, response, ContactOut, contact)


@router.post(
    "/contacts",
    response={201: ContactOut, 401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]},
    url_name="contact_create",
    summary="Add a contact to a client",
    tags=["contacts"],
)
def contact_create(request, payload: ContactIn):
    """The client's KAM, its assistants and the director add contacts."""
    user = request.auth
    data = payload.changes()
    refs = _contact_refs(user)
    client = resolve_refs({"client": data.pop("client")}, {"client": refs.pop("client")})["client"]
    require(can_edit_client(user, client), _("You may not change this client."))
    data = resolve_refs(data, refs)
    contact = services.contact_create(by=user, client=client, **data)
    return Status(201, _reload(_contacts(user), contact))


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, **WRITE_ERRORS},
    url_name="contact_update",
    summary="Change a contact",
    tags=["contacts"],
)
def contact_update(
    request,
    contact_id: Id,
    payload: ContactPatch,
    response: HttpResponse,
    if_match_header: IfMatchHeader = None,
):
    """Send only the fields to change. A contact cannot move to another client. With
    ``If-Match``, a contact changed since you read it is refused (412)."""
    user = request.auth
    contact = get_object_or_404(_contacts(user), pk=contact_id)
    require(can_edit_client(user, contact.client), _("You may not change this client."))
    data = resolve_refs(payload.changes(), _contact_refs(user))
    rows = _contacts(user)
    base = if_match(request, if_match_header, ContactOut, lambda c: rows.get(pk=c.pk))
    contact = services.contact_update(by=user, contact=contact, base=base, **data)
    return tagged(request, response, ContactOut, _reload(_contacts(user), contact))
