"""API: clients and their contacts. Reads filter through the access rule; writes go through the
services. An object the user may not see is a 404; one they see but may not change is a 403."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from kam.core.access import can_create_clients, can_edit_client
from kam.core.api import ERRORS, Pagination, known_users, require, resolve_refs

from . import services
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

READ_ERRORS = {401: ERRORS[401], 404: ERRORS[404]}


def visible_client_or_404(user, client_id: int) -> Client:
    """The client for the API routes under ``/clients/{client_id}/…``; 404 when not visible."""
    return get_object_or_404(Client.objects.visible_to(user), pk=client_id)


def client_rows(user) -> QuerySet:
    """The clients ``user`` may see, as the API answers them (owner, assistant, parent name)."""
    visible = Client.objects.visible_to(user)
    return visible.select_related("owner", "assistant").annotate(
        # The parent's name only when the user may see the parent (R38).
        parent_name=Subquery(visible.filter(pk=OuterRef("parent_id")).values("name")[:1])
    )


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
@paginate(Pagination)
def client_list(request, filters: Query[ClientFilter], ordering: ClientOrdering = "name"):
    """The clients you may see: all for the director, otherwise those you own, assist or work on."""
    return filters.filter(client_rows(request.auth)).order_by(ordering, "pk")


@router.get(
    "/clients/{client_id}",
    response={200: ClientOut, **READ_ERRORS},
    url_name="client_detail",
    summary="Read a client",
    tags=["clients"],
)
def client_detail(request, client_id: int):
    return get_object_or_404(client_rows(request.auth), pk=client_id)


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
    response={200: ClientOut, **ERRORS},
    url_name="client_update",
    summary="Change a client",
    tags=["clients"],
)
def client_update(request, client_id: int, payload: ClientPatch):
    """Send only the fields to change. Only the director changes the owner."""
    user = request.auth
    client = get_object_or_404(client_rows(user), pk=client_id)
    require(can_edit_client(user, client), _("You may not change this client."))
    data = resolve_refs(payload.changes(), _client_refs(user))
    client = services.client_update(by=user, client=client, **data)
    return _reload(client_rows(user), client)


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
def contact_detail(request, contact_id: int):
    return get_object_or_404(_contacts(request.auth), pk=contact_id)


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
    response={200: ContactOut, **ERRORS},
    url_name="contact_update",
    summary="Change a contact",
    tags=["contacts"],
)
def contact_update(request, contact_id: int, payload: ContactPatch):
    """Send only the fields to change. A contact cannot move to another client."""
    user = request.auth
    contact = get_object_or_404(_contacts(user), pk=contact_id)
    require(can_edit_client(user, contact.client), _("You may not change this client."))
    data = resolve_refs(payload.changes(), _contact_refs(user))
    contact = services.contact_update(by=user, contact=contact, **data)
    return _reload(_contacts(user), contact)
