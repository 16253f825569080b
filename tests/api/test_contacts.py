"""/api/contacts: the people at a client and the decision-making scheme (R11, R34, R38)."""

import datetime as dt

import pytest

from kam.clients.models import Contact
from tests.factories import make_client, make_contact

from .conftest import fields

pytestmark = pytest.mark.django_db


def names(response):
    assert response.status_code == 200, response.content[:500]
    return [item["full_name"] for item in response.json()["items"]]


# --- list ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("director", {"Own Person", "Foreign Person"}),
        ("kam", {"Own Person"}),
        ("assistant", {"Own Person"}),
        ("member", {"Own Person"}),
        ("outsider", {"Foreign Person"}),
    ],
)
def test_each_persona_lists_the_contacts_of_the_clients_it_may_see(persona, expected, world, api):
    assert set(names(api(getattr(world, persona)).get("/api/contacts"))) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"decision_role": "decision_maker"}, ["Boss"]),
        ({"has_left": "true"}, ["Gone"]),
        ({"q": "procure"}, ["Buyer"]),  # position
        ({"q": "boss@"}, ["Boss"]),  # email
        ({"q": "BUY"}, ["Buyer"]),
    ],
)
def test_contacts_can_be_filtered(params, expected, world, api):
    world.own_contact.delete()
    make_contact(world.own, full_name="Boss", decision_role="decision_maker", email="boss@own.ru")
    make_contact(world.own, full_name="Buyer", position="Procurement", influence=2)
    make_contact(world.own, full_name="Gone", has_left=True, left_on=dt.date(2024, 5, 1))

    assert names(api(world.kam).get("/api/contacts", params)) == expected


def test_contacts_can_be_filtered_by_client(world, api):
    second = make_client(world.kam, name="Second")
    make_contact(second, full_name="Second Person")
    client = api(world.kam)

    assert names(client.get("/api/contacts", {"client": second.pk})) == ["Second Person"]
    assert names(client.get("/api/contacts", {"client": world.foreign.pk})) == []


def test_contacts_are_listed_by_influence_and_paginated(world, api):
    world.own_contact.delete()
    for influence in (1, 5, 3):
        make_contact(world.own, full_name=f"Influence {influence}", influence=influence)

    response = api(world.kam).get("/api/contacts", {"limit": 2})

    assert response.json()["count"] == 3
    assert names(response) == ["Influence 5", "Influence 3"]


def test_listing_50_contacts_takes_a_fixed_number_of_queries(
    world, api, django_assert_max_num_queries
):
    boss = make_contact(world.own, full_name="Boss")
    for n in range(50):
        make_contact(
            world.own, full_name=f"Person {n:02d}", reports_to=boss, relationship_owner=world.kam
        )
    caller = api(world.assistant)

    with django_assert_max_num_queries(4):
        response = caller.get("/api/contacts", {"limit": 100})

    assert response.json()["count"] == 52


# --- read ----------------------------------------------------------------------------------


def test_a_contact_reads_with_its_client_manager_and_labels(world, api):
    boss = make_contact(world.own, full_name="Boss")
    contact = make_contact(
        world.own,
        full_name="Buyer",
        decision_role="economic_buyer",
        attitude=-1,
        reports_to=boss,
        relationship_owner=world.kam,
        bonus_drivers="Savings on purchases",
    )

    body = api(world.member).get(f"/api/contacts/{contact.pk}").json()

    assert body["client"] == {"id": world.own.pk, "name": "Own Client"}
    assert body["reports_to"] == {"id": boss.pk, "name": "Boss"}
    assert body["relationship_owner"] == {"id": world.kam.pk, "name": "Anna Kamova"}
    assert body["decision_role_label"] == "Economic buyer"
    assert body["attitude"] == -1
    assert body["attitude_label"] == "Sceptic"
    assert body["bonus_drivers"] == "Savings on purchases"


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_a_foreign_contact_looks_exactly_like_a_missing_one(persona, world, api):
    client = api(getattr(world, persona))
    hidden = world.own_contact if persona == "outsider" else world.foreign_contact

    foreign = client.get(f"/api/contacts/{hidden.pk}")
    missing = client.get("/api/contacts/999999")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


# --- create --------------------------------------------------------------------------------


def test_an_assistant_adds_a_contact_and_is_recorded_as_its_author(world, api):
    response = api(world.assistant).post(
        "/api/contacts",
        {
            "client": world.own.pk,
            "full_name": "New Person",
            "decision_role": "influencer",
            "influence": 4,
            "reports_to": world.own_contact.pk,
            "relationship_owner": world.kam.pk,
            "last_contact_on": "2025-03-01",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client"]["id"] == world.own.pk
    assert body["reports_to"]["id"] == world.own_contact.pk
    assert body["last_contact_on"] == "2025-03-01"
    contact = Contact.objects.get(pk=body["id"])
    assert contact.audit.first().history_user == world.assistant


@pytest.mark.parametrize("persona", ["kam", "assistant", "member"])
def test_a_contact_cannot_be_added_to_a_foreign_client(persona, world, api):
    client = api(getattr(world, persona))

    foreign = client.post("/api/contacts", {"client": world.foreign.pk, "full_name": "X"})
    missing = client.post("/api/contacts", {"client": 999999, "full_name": "X"})

    assert fields(foreign) == fields(missing) == {"client": ["Unknown client."]}
    assert not Contact.objects.filter(full_name="X").exists()


def test_a_team_member_may_not_add_contacts(world, api):
    response = api(world.member).post("/api/contacts", {"client": world.own.pk, "full_name": "X"})

    assert response.status_code == 403


def test_a_manager_at_another_client_is_refused(world, api):
    second = make_client(world.kam, name="Second")
    elsewhere = make_contact(second, full_name="Elsewhere")
    client = api(world.kam)

    visible = client.post(
        "/api/contacts", {"client": world.own.pk, "full_name": "X", "reports_to": elsewhere.pk}
    )
    hidden = client.post(
        "/api/contacts",
        {"client": world.own.pk, "full_name": "X", "reports_to": world.foreign_contact.pk},
    )

    assert fields(visible) == {"reports_to": ["The manager must work at the same client."]}
    assert fields(hidden) == {"reports_to": ["Unknown contact."]}


def test_contact_validation_reports_every_field(world, api):
    response = api(world.kam).post(
        "/api/contacts",
        {
            "client": world.own.pk,
            "full_name": "",
            "influence": 7,
            "email": "not-an-email",
            "left_on": "2025-01-01",
        },
    )

    assert set(fields(response)) == {"full_name", "influence", "email", "left_on"}


def test_an_unknown_choice_is_refused(world, api):
    response = api(world.kam).post(
        "/api/contacts",
        {"client": world.own.pk, "full_name": "X", "decision_role": "boss", "attitude": 9},
    )

    assert set(fields(response)) == {"decision_role", "attitude"}


# --- update --------------------------------------------------------------------------------


def test_a_patch_changes_only_the_fields_sent_and_records_who(world, api):
    world.own_contact.position = "CEO"
    world.own_contact.save()

    response = api(world.kam).patch(
        f"/api/contacts/{world.own_contact.pk}",
        {"has_left": True, "left_on": "2025-06-30", "motivation": "Retiring"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["position"] == "CEO"
    world.own_contact.refresh_from_db()
    assert world.own_contact.has_left
    assert world.own_contact.left_on == dt.date(2025, 6, 30)
    assert world.own_contact.audit.first().history_user == world.kam


def test_a_contact_cannot_move_to_another_client(world, api):
    response = api(world.director).patch(
        f"/api/contacts/{world.own_contact.pk}", {"client": world.foreign.pk}
    )

    assert list(fields(response)) == ["client"]


def test_a_reporting_loop_is_refused(world, api):
    deputy = make_contact(world.own, full_name="Deputy", reports_to=world.own_contact)

    response = api(world.kam).patch(
        f"/api/contacts/{world.own_contact.pk}", {"reports_to": deputy.pk}
    )

    assert fields(response) == {"reports_to": ["This would make a reporting loop."]}


def test_a_team_member_may_not_change_contacts(world, api):
    response = api(world.member).patch(f"/api/contacts/{world.own_contact.pk}", {"position": "CFO"})

    assert response.status_code == 403
    world.own_contact.refresh_from_db()
    assert world.own_contact.position == ""


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_patching_a_foreign_contact_is_404(persona, world, api):
    hidden = world.own_contact if persona == "outsider" else world.foreign_contact

    response = api(getattr(world, persona)).patch(f"/api/contacts/{hidden.pk}", {"position": "Spy"})

    assert response.status_code == 404
    hidden.refresh_from_db()
    assert hidden.position == ""


def test_a_forbidden_create_is_refused_before_its_payload_is_checked(world, api):
    response = api(world.member).post(
        "/api/contacts", {"client": world.own.pk, "full_name": "X", "reports_to": 999999}
    )

    assert response.status_code == 403
