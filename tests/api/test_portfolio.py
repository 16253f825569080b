"""/api/portfolio, /api/portfolio/load and /api/clients/{id}/reassign (R26, R27, R38)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.clients.models import ClientType
from kam.core.models import Role, User
from kam.insights.models import ClientAnalytics
from tests.clock import TODAY
from tests.factories import make_client, make_potential, make_sale, make_scoring, make_user

from .conftest import fields

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

YEAR = TODAY.year


def estimate(client, demand, share, year=YEAR):
    return make_potential(client, demand, share, year)


def analytics(client, value, **extra):
    fields = {"abc": "A", "xyz": "Y", "risk": "at_risk", "score": 72.5} | extra
    return ClientAnalytics.objects.create(
        client=client,
        computed_at=timezone.now(),
        as_of=dt.date(YEAR, 1, 1),
        value=Decimal(value),
        **fields,
    )


def items(response):
    assert response.status_code == 200, response.content[:500]
    return response.json()["items"]


# --- GET /api/portfolio --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("director", ["Foreign Key", "Own Client"]),
        ("kam", ["Own Client"]),
        ("assistant", ["Own Client"]),
        ("member", ["Own Client"]),
        ("outsider", ["Foreign Key"]),
    ],
)
def test_each_persona_lists_the_key_clients_it_may_see(persona, expected, world, api):
    make_client(world.outsider, name="Foreign Key", is_key=True)
    make_client(world.kam, name="Not Key")
    response = api(getattr(world, persona)).get("/api/portfolio")
    assert [item["client"]["name"] for item in items(response)] == expected
    assert response.json()["count"] == len(expected)


def test_a_row_carries_classes_risk_value_score_dossier_and_potential(world, api):
    world.own.client_type = ClientType.BREADWINNER
    world.own.save()
    analytics(world.own, "1234.50")
    make_scoring({world.own: 72.5})
    estimate(world.own, "10000", "40")
    make_sale(world.own, world.product, date=dt.date(YEAR, 2, 1), amount=Decimal("1500.00"))

    (row,) = items(api(world.kam).get("/api/portfolio"))
    assert row["client"] == {"id": world.own.pk, "name": "Own Client"}
    assert row["owner"] == {"id": world.kam.pk, "name": "Anna Kamova"}
    assert row["client_type"] == "breadwinner" and row["client_type_label"] == "Breadwinner"
    assert (row["abc"], row["xyz"], row["risk"]) == ("A", "Y", "at_risk")
    assert row["risk_label"] == "At risk"
    assert row["value"] == "1234.50" and row["score"] == 72.5
    assert row["rank"] == 1 and row["rank_change"] is None
    assert 0 <= row["completeness"] < 100
    assert {"name", "label", "message"} <= set(row["missing"][0])
    assert "potential" not in {item["name"] for item in row["missing"]}
    assert row["year"] == YEAR
    assert row["total_demand"] == "10000.00"
    assert row["potential"] == "4000.00"
    assert row["actual"] == "1500.00"
    assert row["share_of_wallet"] == 15.0
    assert row["gap"] == "2500.00"


def test_a_row_without_analytics_or_estimate_has_nulls(world, api):
    (row,) = items(api(world.kam).get("/api/portfolio"))
    assert row["abc"] is None and row["risk"] is None and row["value"] is None
    assert row["score"] is None
    for name in ("total_demand", "potential", "actual", "share_of_wallet", "gap"):
        assert row[name] is None
    assert "potential" in {item["name"] for item in row["missing"]}


def test_the_owner_filter_narrows_what_you_see(world, api):
    make_client(world.outsider, name="Foreign Key", is_key=True)
    director = api(world.director)
    rows = items(director.get("/api/portfolio", {"owner": world.outsider.pk}))
    assert [row["client"]["name"] for row in rows] == ["Foreign Key"]
    assert items(api(world.kam).get("/api/portfolio", {"owner": world.outsider.pk})) == []


def test_the_list_pages_with_limit_and_offset(world, api):
    for name in ("B Key", "C Key", "D Key"):
        make_client(world.kam, name=name, is_key=True)
    response = api(world.kam).get("/api/portfolio", {"limit": 2, "offset": 1})
    assert [row["client"]["name"] for row in items(response)] == ["C Key", "D Key"]
    assert response.json()["count"] == 4
    assert api(world.kam).get("/api/portfolio", {"limit": 501}).status_code == 422


def test_the_list_query_count_does_not_grow_with_rows(world, api):
    caller = api(world.assistant)
    caller.get("/api/portfolio")
    with CaptureQueriesContext(connection) as few:
        caller.get("/api/portfolio")
    for n in range(6):
        client = make_client(world.kam, name=f"Key {n}", is_key=True)
        analytics(client, "10.00")
        estimate(client, "1000", "50")
    with CaptureQueriesContext(connection) as many:
        response = caller.get("/api/portfolio")
    assert len(items(response)) == 7
    assert len(many) == len(few)


def test_only_a_full_page_counts_the_list_again(world, api):
    for name in ("B Key", "C Key", "D Key"):
        make_client(world.kam, name=name, is_key=True)
    caller = api(world.assistant)

    def read(params):
        with CaptureQueriesContext(connection) as queries:
            response = caller.get("/api/portfolio", params)
        counted = any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
        return response.json()["count"], len(items(response)), counted, len(queries)

    full = read({"limit": 2})
    last = read({"limit": 3, "offset": 2})
    beyond = read({"limit": 3, "offset": 10})

    # The last page (not full) tells the total itself; a full page or one past the end cannot.
    assert full[:3] == (4, 2, True)
    assert last[:3] == (4, 2, False)
    assert beyond[:3] == (4, 0, True)
    assert last[3] < full[3]


# --- GET /api/portfolio/load ---------------------------------------------------------------


def test_the_director_reads_every_kams_load_with_potential(world, api, settings):
    settings.KAM_KEY_ACCOUNT_NORM = (1, 2)
    estimate(world.own, "10000", "40")
    make_sale(world.own, world.product, date=dt.date(YEAR, 2, 1), amount=Decimal("2500.00"))
    response = api(world.director).get("/api/portfolio/load")
    rows = {row["kam"]["id"]: row for row in items(response)}
    assert response.json()["count"] == 2
    row = rows[world.kam.pk]
    assert row["key_accounts"] == 1 and row["total_clients"] == 1
    assert row["status"] == "within" and row["status_label"] == "Within norm"
    assert (row["norm_min"], row["norm_max"]) == (1, 2)
    assert row["year"] == YEAR
    assert row["potential"] == "4000.00" and row["total_demand"] == "10000.00"
    assert row["actual"] == "2500.00" and row["share_of_wallet"] == 25.0
    assert rows[world.outsider.pk]["share_of_wallet"] is None


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_only_the_director_reads_the_load(persona, world, api):
    assert api(getattr(world, persona)).get("/api/portfolio/load").status_code == 403


# --- POST /api/clients/{id}/reassign -------------------------------------------------------


def test_the_director_reassigns_a_client_with_a_reason(world, api):
    response = api(world.director).post(
        f"/api/clients/{world.own.pk}/reassign",
        {"owner": world.outsider.pk, "reason": "Rebalancing the load"},
    )
    assert response.status_code == 200, response.content[:500]
    assert response.json()["owner"]["id"] == world.outsider.pk
    assert response.json()["assistant"] is None  # the old KAM's assistant does not follow
    world.own.refresh_from_db()
    assert world.own.owner == world.outsider
    entry = world.own.audit.first()
    assert entry.history_user == world.director
    assert entry.history_change_reason == "Rebalancing the load"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reason": "   "}, "reason"),
        ({"owner": "member"}, "owner"),  # not a KAM
        ({"owner": "kam"}, "owner"),  # the same KAM
        ({"owner": 999999}, "owner"),  # no such user
        ({"owner": "inactive"}, "owner"),
    ],
)
def test_errors_are_422_with_the_field(payload, field, world, api):
    make_user("inactive", Role.KAM, is_active=False)
    body = {"owner": world.outsider.pk, "reason": "Because"} | payload
    if isinstance(body["owner"], str):
        body["owner"] = User.objects.get(username=body["owner"]).pk
    response = api(world.director).post(f"/api/clients/{world.own.pk}/reassign", body)
    assert field in fields(response)
    world.own.refresh_from_db()
    assert world.own.owner == world.kam


def test_a_missing_field_is_422(world, api):
    response = api(world.director).post(
        f"/api/clients/{world.own.pk}/reassign", {"owner": world.outsider.pk}
    )
    assert "reason" in fields(response)


@pytest.mark.parametrize("persona", ["kam", "assistant", "member"])
def test_others_who_see_the_client_get_403(persona, world, api):
    response = api(getattr(world, persona)).post(
        f"/api/clients/{world.own.pk}/reassign", {"owner": world.outsider.pk, "reason": "x"}
    )
    assert response.status_code == 403
    world.own.refresh_from_db()
    assert world.own.owner == world.kam


def test_a_client_you_may_not_see_is_404(world, api):
    response = api(world.kam).post(
        f"/api/clients/{world.foreign.pk}/reassign", {"owner": world.kam.pk, "reason": "x"}
    )
    assert response.status_code == 404
    assert (
        api(world.director)
        .post("/api/clients/999999/reassign", {"owner": world.kam.pk, "reason": "x"})
        .status_code
        == 404
    )
