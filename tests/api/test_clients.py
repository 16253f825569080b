"""/api/clients: list with filters and pagination, read, create, partial update (R9, R38, R39)."""

from decimal import Decimal

import pytest

from kam.clients.models import Client
from kam.core.models import Role
from tests.factories import add_member, make_client, make_user

from .conftest import fields

pytestmark = pytest.mark.django_db


def names(response):
    assert response.status_code == 200, response.content[:500]
    return [item["name"] for item in response.json()["items"]]


# --- list ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("director", ["Foreign Client", "Own Client"]),
        ("kam", ["Own Client"]),
        ("assistant", ["Own Client"]),
        ("member", ["Own Client"]),
        ("outsider", ["Foreign Client"]),
    ],
)
def test_each_persona_lists_exactly_the_clients_it_may_see(persona, expected, world, api):
    response = api(getattr(world, persona)).get("/api/clients")

    assert names(response) == expected
    assert response.json()["count"] == len(expected)


def test_the_direct_assistant_of_a_client_sees_it(world, api):
    helper = make_user("helper", Role.ASSISTANT)
    make_client(world.outsider, name="Helped", assistant=helper)

    assert names(api(helper).get("/api/clients")) == ["Helped"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "acme"}, ["Acme Steel"]),
        ({"q": "holding llc"}, ["Beta Build"]),  # legal name
        ({"q": "ERP-C"}, ["Gamma Tools"]),  # ERP code
        ({"status": "at_risk"}, ["Beta Build"]),
        ({"client_type": "expert"}, ["Gamma Tools"]),
        ({"is_key": "true"}, ["Acme Steel", "Own Client"]),
        ({"is_key": "false"}, ["Beta Build", "Gamma Tools"]),
        ({"region": "Ural"}, ["Acme Steel", "Gamma Tools"]),
        ({"industry": "Construction"}, ["Beta Build"]),
        ({"region": "Ural", "client_type": "expert"}, ["Gamma Tools"]),
    ],
)
def test_clients_can_be_filtered(params, expected, world, api):
    make_client(world.kam, name="Acme Steel", region="Ural", is_key=True)
    make_client(
        world.kam,
        name="Beta Build",
        legal_name="Beta Holding LLC",
        status="at_risk",
        industry="Construction",
    )
    make_client(
        world.kam, name="Gamma Tools", erp_code="ERP-C", region="Ural", client_type="expert"
    )

    assert names(api(world.kam).get("/api/clients", params)) == expected


def test_clients_can_be_filtered_by_owner_and_parent(world, api):
    holding = make_client(world.outsider, name="Holding")
    make_client(world.outsider, name="Daughter", parent=holding)
    director = api(world.director)

    assert names(director.get("/api/clients", {"owner": world.kam.pk})) == ["Own Client"]
    assert names(director.get("/api/clients", {"parent": holding.pk})) == ["Daughter"]


def test_filters_never_widen_what_a_user_sees(world, api):
    response = api(world.kam).get("/api/clients", {"owner": world.outsider.pk})

    assert names(response) == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Alpha", "Bravo", "Charlie"]),
        ("-name", ["Charlie", "Bravo", "Alpha"]),
        ("erp_code", ["Bravo", "Charlie", "Alpha"]),
        ("-erp_code", ["Alpha", "Charlie", "Bravo"]),
    ],
)
def test_clients_can_be_ordered(ordering, expected, world, api):
    world.own.delete()
    make_client(world.kam, name="Charlie", erp_code="B-2")
    make_client(world.kam, name="Alpha", erp_code="C-3")
    make_client(world.kam, name="Bravo", erp_code="A-1")

    assert names(api(world.kam).get("/api/clients", {"ordering": ordering})) == expected


def test_an_unknown_ordering_is_a_validation_error(world, api):
    assert "ordering" in fields(api(world.kam).get("/api/clients", {"ordering": "owner__password"}))


def test_the_list_is_paginated_with_a_total_count(world, api):
    for n in range(7):
        make_client(world.kam, name=f"Page {n}")
    client = api(world.kam)

    first = client.get("/api/clients", {"limit": 3})
    last = client.get("/api/clients", {"limit": 3, "offset": 6})

    assert first.json()["count"] == 8
    assert names(first) == ["Own Client", "Page 0", "Page 1"]
    assert names(last) == ["Page 5", "Page 6"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 501}, "limit"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset")],
)
def test_page_size_is_limited_to_500(params, field, world, api):
    assert field in fields(api(world.kam).get("/api/clients", params))


def test_limit_500_is_allowed(world, api):
    assert api(world.kam).get("/api/clients", {"limit": 500}).status_code == 200


def test_a_bad_filter_value_is_a_validation_error(world, api):
    errors = fields(api(world.kam).get("/api/clients", {"status": "sleeping", "owner": "x"}))

    assert set(errors) == {"status", "owner"}


@pytest.mark.parametrize(("persona", "count"), [("director", 52), ("kam", 51), ("member", 51)])
def test_listing_50_clients_takes_a_fixed_number_of_queries(
    persona, count, world, api, django_assert_max_num_queries
):
    assistant = make_user("second_assistant", Role.ASSISTANT)
    for n in range(50):
        client = make_client(
            world.kam, name=f"Bulk {n:02d}", assistant=assistant, parent=world.foreign
        )
        add_member(client, world.member)
    caller = api(getattr(world, persona))

    # token lookup + last_used_at update + count + page + the page's groups of companies
    with django_assert_max_num_queries(5):
        response = caller.get("/api/clients", {"limit": 100})

    assert response.json()["count"] == count
    assert len(response.json()["items"]) == count


# --- read ----------------------------------------------------------------------------------


def test_a_client_reads_with_labels_references_and_money_as_a_string(world, api):
    assistant = make_user("helper", Role.ASSISTANT, first_name="Ivan", last_name="Petrov")
    holding = make_client(world.kam, name="Holding")
    client = make_client(
        world.kam,
        name="Acme",
        status="at_risk",
        client_type="breadwinner",
        annual_revenue=Decimal("1234.5"),
        assistant=assistant,
        parent=holding,
    )

    body = api(world.kam).get(f"/api/clients/{client.pk}").json()

    assert body["annual_revenue"] == "1234.50"
    assert body["status"] == "at_risk"
    assert body["status_label"] == "At risk"
    assert body["client_type_label"] == "Breadwinner"
    assert body["owner"] == {"id": world.kam.pk, "name": "Anna Kamova"}
    assert body["assistant"] == {"id": assistant.pk, "name": "Ivan Petrov"}
    assert body["parent"] == {"id": holding.pk, "name": "Holding"}
    assert body["created_at"].endswith("Z") or "+" in body["created_at"]  # timezone-aware


def test_a_parent_you_may_not_see_is_neither_named_nor_identified(world, api):
    world.own.parent = world.foreign
    world.own.save()

    body = api(world.kam).get(f"/api/clients/{world.own.pk}").json()
    listed = api(world.kam).get("/api/clients").json()["items"][0]

    for shown in (body, listed):
        assert shown["parent"] is None
        assert shown["parent_hidden"] is True
        assert shown["group"] == {"size": 2, "yours": 1}
    director = api(world.director).get(f"/api/clients/{world.own.pk}").json()
    assert director["parent"] == {"id": world.foreign.pk, "name": "Foreign Client"}
    assert director["parent_hidden"] is False
    assert director["group"] == {"size": 2, "yours": 2}


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_a_foreign_client_looks_exactly_like_a_missing_one(persona, world, api):
    client = api(getattr(world, persona))
    hidden = world.own if persona == "outsider" else world.foreign

    foreign = client.get(f"/api/clients/{hidden.pk}")
    missing = client.get("/api/clients/999999")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Not found."}


# --- create --------------------------------------------------------------------------------


def test_a_kam_creates_a_client_and_owns_it(world, api):
    response = api(world.kam).post(
        "/api/clients",
        {
            "name": "New Co",
            "erp_code": "NEW-1",
            "annual_revenue": "1000000.5",
            "status": "prospect",
            "owner": world.outsider.pk,  # ignored: a KAM creates clients for themselves
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"]["id"] == world.kam.pk
    assert body["annual_revenue"] == "1000000.50"
    assert body["status"] == "prospect"
    assert body["client_type"] == ""  # model default
    client = Client.objects.get(pk=body["id"])
    assert client.audit.first().history_user == world.kam


def test_the_director_creates_a_client_for_a_kam(world, api):
    response = api(world.director).post(
        "/api/clients",
        {"name": "Assigned", "erp_code": "AS-1", "owner": world.kam.pk, "parent": world.own.pk},
    )

    assert response.status_code == 201, response.content
    assert response.json()["owner"]["id"] == world.kam.pk
    assert response.json()["parent"] == {"id": world.own.pk, "name": "Own Client"}


def test_creating_a_client_reports_every_bad_field(world, api):
    response = api(world.kam).post(
        "/api/clients",
        {"name": "", "erp_code": world.own.erp_code, "website": "not a url", "employees": -1},
    )

    errors = fields(response)
    assert set(errors) == {"name", "erp_code", "website", "employees"}
    assert errors["name"] == ["This field cannot be blank."]
    assert "already exists" in errors["erp_code"][0]
    assert Client.objects.count() == 2


def test_missing_and_misspelt_fields_are_reported(world, api):
    errors = fields(api(world.kam).post("/api/clients", {"nmae": "Typo"}))

    assert set(errors) == {"name", "erp_code", "nmae"}


def test_money_with_too_many_decimals_is_refused(world, api):
    errors = fields(
        api(world.kam).post(
            "/api/clients", {"name": "X", "erp_code": "X-1", "annual_revenue": "10.005"}
        )
    )

    assert list(errors) == ["annual_revenue"]


def test_a_parent_you_may_not_see_is_reported_like_a_missing_one(world, api):
    client = api(world.kam)

    foreign = client.post(
        "/api/clients", {"name": "A", "erp_code": "A", "parent": world.foreign.pk}
    )
    missing = client.post("/api/clients", {"name": "B", "erp_code": "B", "parent": 999999})

    assert fields(foreign) == fields(missing) == {"parent": ["Unknown client."]}


def test_unknown_and_unsuitable_people_are_reported(world, api):
    errors = fields(
        api(world.director).post(
            "/api/clients",
            {"name": "A", "erp_code": "A", "owner": 999999, "assistant": world.member.pk},
        )
    )

    assert errors == {"owner": ["Unknown user."]}

    errors = fields(
        api(world.director).post(
            "/api/clients",
            {"name": "A", "erp_code": "A", "owner": world.member.pk, "assistant": world.member.pk},
        )
    )
    assert errors == {
        "owner": ["The owner must be a key account manager."],
        "assistant": ["Choose a user with the assistant role."],
    }


@pytest.mark.parametrize("persona", ["assistant", "member"])
def test_only_directors_and_kams_create_clients(persona, world, api):
    response = api(getattr(world, persona)).post("/api/clients", {"name": "X", "erp_code": "X"})

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not create clients."}


# --- update --------------------------------------------------------------------------------


def test_a_patch_changes_only_the_fields_sent_and_records_who(world, api):
    world.own.legal_name = "Own LLC"
    world.own.save()

    response = api(world.assistant).patch(
        f"/api/clients/{world.own.pk}", {"region": "Siberia", "annual_revenue": "99.9"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["region"] == "Siberia"
    assert body["annual_revenue"] == "99.90"
    assert body["legal_name"] == "Own LLC"
    world.own.refresh_from_db()
    assert world.own.region == "Siberia"
    assert world.own.legal_name == "Own LLC"
    latest = world.own.audit.first()
    assert latest.history_user == world.assistant
    assert latest.region == "Siberia"


def test_null_clears_an_optional_link_but_not_a_required_field(world, api):
    world.own.parent = make_client(world.kam, name="Holding")
    world.own.save()
    client = api(world.kam)

    cleared = client.patch(f"/api/clients/{world.own.pk}", {"parent": None})
    refused = client.patch(f"/api/clients/{world.own.pk}", {"name": None})

    assert cleared.status_code == 200
    assert cleared.json()["parent"] is None
    assert list(fields(refused)) == ["name"]


def test_an_invalid_patch_changes_nothing(world, api):
    response = api(world.kam).patch(
        f"/api/clients/{world.own.pk}", {"region": "Ural", "erp_code": world.foreign.erp_code}
    )

    assert list(fields(response)) == ["erp_code"]
    world.own.refresh_from_db()
    assert world.own.region == ""


def test_a_company_cannot_become_its_own_ancestor(world, api):
    daughter = make_client(world.kam, name="Daughter", parent=world.own)

    response = api(world.kam).patch(f"/api/clients/{world.own.pk}", {"parent": daughter.pk})

    assert fields(response) == {"parent": ["This parent would make a loop of companies."]}


def test_a_kam_may_not_reassign_a_client(world, api):
    response = api(world.kam).patch(f"/api/clients/{world.own.pk}", {"owner": world.outsider.pk})

    assert response.status_code == 403
    assert response.json() == {"detail": "Only the director reassigns clients."}


def test_the_director_reassigns_a_client(world, api):
    response = api(world.director).patch(
        f"/api/clients/{world.own.pk}", {"owner": world.outsider.pk}
    )

    assert response.status_code == 200
    assert response.json()["owner"]["id"] == world.outsider.pk
    assert world.own.audit.first().history_user == world.director


def test_a_team_member_sees_but_may_not_change_a_client(world, api):
    response = api(world.member).patch(f"/api/clients/{world.own.pk}", {"region": "X"})

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not change this client."}


def test_a_forbidden_patch_is_refused_before_its_payload_is_checked(world, api):
    response = api(world.member).patch(f"/api/clients/{world.own.pk}", {"parent": 999999})

    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_patching_a_foreign_client_is_404_even_with_a_bad_payload(persona, world, api):
    hidden = world.own if persona == "outsider" else world.foreign

    response = api(getattr(world, persona)).patch(
        f"/api/clients/{hidden.pk}", {"erp_code": "", "parent": 999999}
    )

    assert response.status_code == 404
