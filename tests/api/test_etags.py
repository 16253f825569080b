"""Issue 8, defect 3 in the API: ETag on reads and writes, If-Match refused with 412 when stale.

Every operation that changes an existing object: a reader takes the ETag, someone else changes
the object, the reader's change sent with the old ETag is refused (412, the current ETag in the
body and header, nothing written); sent with the fresh ETag it succeeds and answers the new ETag.
On the old code the stale change was applied, silently reverting the other one.
"""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from kam.clients.models import Client, Contact
from kam.core.models import Role
from kam.keyprofile.services import active_profile
from kam.potential.models import ClientPotential, ClientStrategy
from kam.qualification.models import Qualification
from kam.sales.models import Product, SalesLine

from ..access.routes_qualification import qualification_data
from ..factories import make_potential, make_sale, make_user

QUALIFIED = qualification_data(None)


def call(api_client, method: str, path: str, data=None, etag: str | None = None):
    extra = {"HTTP_IF_MATCH": etag} if etag else {}
    if method == "get":
        return api_client.http.get(path, **api_client.headers, **extra)
    return getattr(api_client.http, method)(
        path, json.dumps(data or {}), content_type="application/json", **api_client.headers, **extra
    )


@dataclass
class Op:
    """A write: ``read`` is the GET whose ETag it takes; ``theirs`` and ``mine`` the two writes
    (method, path, body); ``stored`` reads what the writes change."""

    read: Any  # world -> path
    writer: str
    theirs: Any  # world -> (method, path, body)
    mine: Any
    stored: Any  # world -> value
    ok: int = 200


def kam_c(world):
    return make_user("kam_c", Role.KAM)


def potential(w):
    return ClientPotential.objects.first() or make_potential(w.own, "1000", "40")


def line(w):
    return SalesLine.objects.first() or make_sale(w.own, w.product)


OPS = {
    "client": Op(
        read=lambda w: f"/api/clients/{w.own.pk}",
        writer="kam",
        theirs=lambda w: ("patch", f"/api/clients/{w.own.pk}", {"region": "Ural"}),
        mine=lambda w: ("patch", f"/api/clients/{w.own.pk}", {"region": "Volga"}),
        stored=lambda w: Client.objects.get(pk=w.own.pk).region,
    ),
    "contact": Op(
        read=lambda w: f"/api/contacts/{w.own_contact.pk}",
        writer="kam",
        theirs=lambda w: ("patch", f"/api/contacts/{w.own_contact.pk}", {"phone": "1"}),
        mine=lambda w: ("patch", f"/api/contacts/{w.own_contact.pk}", {"phone": "2"}),
        stored=lambda w: Contact.objects.get(pk=w.own_contact.pk).phone,
    ),
    "potential": Op(
        read=lambda w: f"/api/potentials/{potential(w).pk}",
        writer="kam",
        theirs=lambda w: ("patch", f"/api/potentials/{potential(w).pk}", {"basis": "A"}),
        mine=lambda w: ("patch", f"/api/potentials/{potential(w).pk}", {"basis": "B"}),
        stored=lambda w: ClientPotential.objects.get().basis,
    ),
    "strategy": Op(
        read=lambda w: f"/api/clients/{w.own.pk}/strategy",
        writer="kam",
        theirs=lambda w: (
            "put",
            f"/api/clients/{w.own.pk}/strategy",
            {"strategy": "A", "needs": "", "how_we_help": ""},
        ),
        mine=lambda w: (
            "put",
            f"/api/clients/{w.own.pk}/strategy",
            {"strategy": "B", "needs": "", "how_we_help": ""},
        ),
        stored=lambda w: ClientStrategy.objects.get().strategy,
    ),
    "qualification": Op(
        read=lambda w: f"/api/clients/{w.own.pk}/qualification",
        writer="kam",
        theirs=lambda w: ("put", f"/api/clients/{w.own.pk}/qualification", QUALIFIED),
        mine=lambda w: (
            "put",
            f"/api/clients/{w.own.pk}/qualification",
            QUALIFIED | {"need_evidence": "Mine"},
        ),
        stored=lambda w: Qualification.objects.get().need_evidence,
    ),
    "product": Op(
        read=lambda w: f"/api/products/{w.product.pk}",
        writer="director",
        theirs=lambda w: ("patch", f"/api/products/{w.product.pk}", {"list_price": "11.00"}),
        mine=lambda w: ("patch", f"/api/products/{w.product.pk}", {"list_price": "12.00"}),
        stored=lambda w: Product.objects.get(pk=w.product.pk).list_price,
    ),
    "sales line": Op(
        read=lambda w: f"/api/sales-lines/{line(w).pk}",
        writer="director",
        theirs=lambda w: ("patch", f"/api/sales-lines/{line(w).pk}", {"amount": "150.00"}),
        mine=lambda w: ("patch", f"/api/sales-lines/{line(w).pk}", {"amount": "175.00"}),
        stored=lambda w: SalesLine.objects.get().amount,
    ),
    "key-client profile": Op(
        read=lambda w: "/api/key-profile",
        writer="director",
        theirs=lambda w: (
            "post",
            "/api/key-profile/versions",
            {"criteria": [{"metric": "revenue", "weight": 1}]},
        ),
        mine=lambda w: (
            "post",
            "/api/key-profile/versions",
            {"criteria": [{"metric": "margin", "weight": 1}]},
        ),
        stored=lambda w: list(active_profile().criteria.values_list("metric", flat=True)),
        ok=201,
    ),
    "client type": Op(
        read=lambda w: f"/api/clients/{w.own.pk}",
        writer="director",
        theirs=lambda w: ("patch", f"/api/clients/{w.own.pk}", {"region": "Ural"}),
        mine=lambda w: (
            "post",
            f"/api/clients/{w.own.pk}/type",
            {"client_type": "expert", "reason": "Knows better"},
        ),
        stored=lambda w: Client.objects.get(pk=w.own.pk).client_type,
    ),
    "key decision": Op(
        read=lambda w: f"/api/clients/{w.own.pk}",
        writer="director",
        theirs=lambda w: ("patch", f"/api/clients/{w.own.pk}", {"region": "Ural"}),
        mine=lambda w: (
            "post",
            f"/api/clients/{w.own.pk}/key-decisions",
            {"is_key": False, "reason": "Moved abroad"},
        ),
        stored=lambda w: Client.objects.get(pk=w.own.pk).is_key,
        ok=201,
    ),
    "reassignment": Op(
        read=lambda w: f"/api/clients/{w.own.pk}",
        writer="director",
        theirs=lambda w: ("patch", f"/api/clients/{w.own.pk}", {"region": "Ural"}),
        mine=lambda w: (
            "post",
            f"/api/clients/{w.own.pk}/reassign",
            {"owner": kam_c(w).pk, "reason": "Load"},
        ),
        stored=lambda w: Client.objects.get(pk=w.own.pk).owner_id,
    ),
}


@pytest.mark.parametrize("name", list(OPS))
def test_a_stale_if_match_is_refused_with_412_and_the_current_etag(name, world, api):
    op = OPS[name]
    me = api(getattr(world, op.writer))
    other = api(world.director)
    read = call(me, "get", op.read(world))
    assert read.status_code == 200 and read["ETag"].startswith('"')
    stale = read["ETag"]
    method, path, body = op.theirs(world)
    assert call(other, method, path, body).status_code in (200, 201)
    before = op.stored(world)

    method, path, body = op.mine(world)
    refused = call(me, method, path, body, etag=stale)

    assert refused.status_code == 412, refused.content
    current = call(me, "get", op.read(world))["ETag"]
    assert refused.json()["etag"] == refused["ETag"] == current != stale
    assert "Changed since you read it" in refused.json()["detail"]
    assert op.stored(world) == before


@pytest.mark.parametrize("name", list(OPS))
def test_a_fresh_if_match_succeeds_and_answers_the_new_etag(name, world, api):
    op = OPS[name]
    me = api(getattr(world, op.writer))
    fresh = call(me, "get", op.read(world))["ETag"]

    method, path, body = op.mine(world)
    done = call(me, method, path, body, etag=fresh)

    assert done.status_code == op.ok, done.content
    if method in ("patch", "put") and path == op.read(world):
        assert done["ETag"] == call(me, "get", op.read(world))["ETag"] != fresh


def test_the_412_names_who_changed_it(world, api):
    world.director.first_name, world.director.last_name = "Dina", "Directorova"
    world.director.save()
    me = api(world.kam)
    stale = call(me, "get", f"/api/clients/{world.own.pk}")["ETag"]
    call(api(world.director), "patch", f"/api/clients/{world.own.pk}", {"region": "Ural"})

    refused = call(me, "patch", f"/api/clients/{world.own.pk}", {"region": "X"}, etag=stale)

    assert "Dina Directorova" in refused.json()["detail"]


def test_without_if_match_a_patch_changes_only_what_it_sends(world, api):
    call(api(world.director), "patch", f"/api/clients/{world.own.pk}", {"region": "Ural"})

    done = call(api(world.kam), "patch", f"/api/clients/{world.own.pk}", {"industry": "Cement"})

    assert done.status_code == 200
    stored = Client.objects.values("region", "industry").get(pk=world.own.pk)
    assert stored == {"region": "Ural", "industry": "Cement"}


def test_a_patch_that_leaves_out_a_hidden_parent_keeps_it(world, api):
    Client.objects.filter(pk=world.own.pk).update(parent=world.foreign)

    call(api(world.kam), "patch", f"/api/clients/{world.own.pk}", {"region": "Ural"})

    assert Client.objects.get(pk=world.own.pk).parent_id == world.foreign.pk


def test_if_match_star_matches_any_current_version(world, api):
    done = call(api(world.kam), "patch", f"/api/clients/{world.own.pk}", {"region": "X"}, "*")

    assert done.status_code == 200


def test_a_weak_etag_never_matches(world, api):
    me = api(world.kam)
    tag = call(me, "get", f"/api/clients/{world.own.pk}")["ETag"]

    refused = call(me, "patch", f"/api/clients/{world.own.pk}", {"region": "X"}, "W/" + tag)

    assert refused.status_code == 412


def test_the_etag_is_the_same_for_the_same_representation_and_differs_by_reader(world, api):
    kam, director = api(world.kam), api(world.director)
    path = f"/api/clients/{world.own.pk}"
    Client.objects.filter(pk=world.own.pk).update(parent=world.foreign)

    assert call(kam, "get", path)["ETag"] == call(kam, "get", path)["ETag"]
    # The director reads the parent's name, the KAM does not: two representations.
    assert call(kam, "get", path)["ETag"] != call(director, "get", path)["ETag"]


def test_the_schema_declares_412_and_if_match_on_every_write_of_an_existing_object(world, api):
    schema = api(world.kam).get("/api/openapi.json").json()
    writes = [
        ("/api/clients/{client_id}", "patch"),
        ("/api/contacts/{contact_id}", "patch"),
        ("/api/potentials/{potential_id}", "patch"),
        ("/api/clients/{client_id}/strategy", "put"),
        ("/api/clients/{client_id}/qualification", "put"),
        ("/api/products/{product_id}", "patch"),
        ("/api/sales-lines/{line_id}", "patch"),
        ("/api/key-profile/versions", "post"),
        ("/api/clients/{client_id}/type", "post"),
        ("/api/clients/{client_id}/key-decisions", "post"),
        ("/api/clients/{client_id}/reassign", "post"),
    ]
    for path, method in writes:
        operation = schema["paths"][path][method]
        assert "412" in operation["responses"], (path, method)
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["If-Match"], (path, method)
    methods = {m for ops in schema["paths"].values() for m in ops}
    assert "delete" not in methods  # no DELETE in the API to guard


def test_an_etag_changes_when_only_a_computed_figure_changes(world, api):
    """The ETag validates the whole answer: new sales change a potential's actual purchases."""
    estimate = make_potential(world.own, "1000", "40", year=2025)
    me = api(world.kam)
    before = call(me, "get", f"/api/potentials/{estimate.pk}")["ETag"]
    make_sale(world.own, world.product, date=dt.date(2025, 5, 1), amount=Decimal("10.00"))

    assert call(me, "get", f"/api/potentials/{estimate.pk}")["ETag"] != before
