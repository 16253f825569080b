"""The JSON API in the access matrix. Requests carry a bearer token of the persona (api=True)."""

import datetime as dt
from decimal import Decimal

from kam.clients.models import Client, Contact
from kam.sales.models import Product, SalesLine
from tests.factories import make_sale

from .matrix import (
    DIRECTOR_ONLY,
    DOSSIER_EDITORS,
    DOSSIER_READERS,
    EVERYONE,
    PUBLIC,
    Route,
    exists,
    field_is,
)
from .routes_core import own_token, token_named, token_revoked

JSON = "application/json"


def _sale(world, client):
    """One sales line of ``client`` (world.own or world.foreign), made on first use."""
    sales = world.__dict__.setdefault("sales", {})
    if client.pk not in sales:
        sales[client.pk] = make_sale(
            client, world.product, document_number=f"DOC-{client.name.upper().replace(' ', '-')}"
        )
    return sales[client.pk]


def _both_sales(world):
    _sale(world, world.own)
    _sale(world, world.foreign)
    return {}


def _hidden(own_text, foreign_text):
    """What must not show in a list: the foreign object's text; for the outsider, the own one's."""
    return lambda w: own_text(w) if w.persona == "outsider" else foreign_text(w)


def _not_director(persona):
    return 403


ROUTES = [
    # Ninja's root view is a 404 for everyone: it only anchors the docs URL.
    Route("api:api-root", api=True, ok_status=(404,), allowed=PUBLIC),
    # The docs and the schema are public by design: they hold no data.
    Route("api:openapi-json", allowed=PUBLIC),
    Route("api:openapi-view", allowed=PUBLIC),
    # --- tokens: one's own only --------------------------------------------------------------
    Route("api:token_list", api=True),
    Route(
        "api:token_create",
        api=True,
        method="post",
        content_type=JSON,
        data=lambda w: {"name": "script"},
        ok_status=(201,),
        done=token_named("script"),
    ),
    Route(
        "api:token_revoke",
        api=True,
        method="post",
        content_type=JSON,
        own=lambda w: {"token_id": own_token(w).pk},
        done=token_revoked("token_id"),
        # Someone else's token is a 404 for everyone, the director included.
        foreign=lambda w: {"token_id": w.tokens["outsider"].pk},
        extra={"foreign_for_director": True},
    ),
    # --- clients -----------------------------------------------------------------------------
    Route(
        "api:client_list",
        api=True,
        hidden_from_list=_hidden(lambda w: w.own.name, lambda w: w.foreign.name),
    ),
    Route(
        "api:client_detail",
        api=True,
        own=lambda w: {"client_id": w.own.pk},
        foreign=lambda w: {"client_id": w.foreign.pk},
        allowed=DOSSIER_READERS,
    ),
    Route(
        "api:client_create",
        api=True,
        method="post",
        content_type=JSON,
        data=lambda w: {"name": "New Client", "erp_code": "NEW-0001"},
        allowed=frozenset({"director", "kam", "outsider"}),
        ok_status=(201,),
        denied_status=_not_director,
        done=exists(Client, erp_code="NEW-0001"),
    ),
    Route(
        "api:client_update",
        api=True,
        method="patch",
        content_type=JSON,
        own=lambda w: {"client_id": w.own.pk},
        foreign=lambda w: {"client_id": w.foreign.pk},
        data=lambda w: {"region": "North"},
        allowed=DOSSIER_EDITORS,
        done=field_is(Client, "client_id", "region", "North"),
    ),
    # --- contacts ----------------------------------------------------------------------------
    Route(
        "api:contact_list",
        api=True,
        hidden_from_list=_hidden(
            lambda w: w.own_contact.full_name, lambda w: w.foreign_contact.full_name
        ),
    ),
    Route(
        "api:contact_detail",
        api=True,
        own=lambda w: {"contact_id": w.own_contact.pk},
        foreign=lambda w: {"contact_id": w.foreign_contact.pk},
        allowed=DOSSIER_READERS,
    ),
    Route(
        "api:contact_create",
        api=True,
        method="post",
        content_type=JSON,
        data=lambda w: {"client": w.own.pk, "full_name": "New Person"},
        allowed=DOSSIER_EDITORS,
        ok_status=(201,),
        # The member sees the client but may not edit; to the outsider it is an unknown id.
        denied_status=lambda p: 422 if p == "outsider" else 403,
        done=exists(Contact, full_name="New Person", client=lambda w: w.own),
    ),
    Route(
        "api:contact_update",
        api=True,
        method="patch",
        content_type=JSON,
        own=lambda w: {"contact_id": w.own_contact.pk},
        foreign=lambda w: {"contact_id": w.foreign_contact.pk},
        data=lambda w: {"position": "CFO"},
        allowed=DOSSIER_EDITORS,
        done=field_is(Contact, "contact_id", "position", "CFO"),
    ),
    # --- products: everyone reads, the director writes ---------------------------------------
    Route("api:product_list", api=True),
    Route("api:product_detail", api=True, own=lambda w: {"product_id": w.product.pk}),
    Route(
        "api:product_create",
        api=True,
        method="post",
        content_type=JSON,
        data=lambda w: {"sku": "NEW-SKU", "name": "New product", "list_price": "12.50"},
        allowed=DIRECTOR_ONLY,
        ok_status=(201,),
        denied_status=_not_director,
        done=exists(Product, sku="NEW-SKU", list_price=Decimal("12.50")),
    ),
    Route(
        "api:product_update",
        api=True,
        method="patch",
        content_type=JSON,
        own=lambda w: {"product_id": w.product.pk},
        data=lambda w: {"list_price": "11.00"},
        allowed=DIRECTOR_ONLY,
        denied_status=_not_director,
        done=field_is(Product, "product_id", "list_price", Decimal("11.00")),
    ),
    # --- sales lines: read under the client rule, the director writes ------------------------
    Route(
        "api:sales_line_list",
        api=True,
        own=_both_sales,
        hidden_from_list=_hidden(
            lambda w: _sale(w, w.own).document_number,
            lambda w: _sale(w, w.foreign).document_number,
        ),
        allowed=EVERYONE,
    ),
    Route(
        "api:sales_line_detail",
        api=True,
        own=lambda w: {"line_id": _sale(w, w.own).pk},
        foreign=lambda w: {"line_id": _sale(w, w.foreign).pk},
        allowed=DOSSIER_READERS,
    ),
    Route(
        "api:sales_line_create",
        api=True,
        method="post",
        content_type=JSON,
        data=lambda w: {
            "date": dt.date(2025, 2, 1).isoformat(),
            "client": w.own.pk,
            "product": w.product.pk,
            "quantity": "2",
            "amount": "200.00",
            "document_number": "NEW-DOC",
        },
        allowed=DIRECTOR_ONLY,
        ok_status=(201,),
        denied_status=_not_director,
        done=exists(SalesLine, document_number="NEW-DOC", client=lambda w: w.own),
    ),
    Route(
        "api:sales_line_update",
        api=True,
        method="patch",
        content_type=JSON,
        own=lambda w: {"line_id": _sale(w, w.own).pk},
        foreign=lambda w: {"line_id": _sale(w, w.foreign).pk},
        data=lambda w: {"amount": "150.00"},
        allowed=DIRECTOR_ONLY,
        done=field_is(SalesLine, "line_id", "amount", Decimal("150.00")),
        # The KAM, assistant and member see the line but may not change it; the outsider
        # does not see it at all.
    ),
]
