"""/api/sales-lines: read under the client rule (R16, R38); only the director writes."""

import datetime as dt
from decimal import Decimal

import pytest

from kam.sales.models import SalesLine
from tests.factories import add_member, make_client, make_product, make_sale

from .conftest import fields

pytestmark = pytest.mark.django_db


def documents(response):
    assert response.status_code == 200, response.content[:500]
    return [item["document_number"] for item in response.json()["items"]]


@pytest.fixture
def sales(world):
    return {
        "own": make_sale(world.own, world.product, document_number="OWN-1"),
        "foreign": make_sale(world.foreign, world.product, document_number="FOREIGN-1"),
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("director", {"OWN-1", "FOREIGN-1"}),
        ("kam", {"OWN-1"}),
        ("assistant", {"OWN-1"}),
        ("member", {"OWN-1"}),
        ("outsider", {"FOREIGN-1"}),
    ],
)
def test_each_persona_lists_the_sales_of_the_clients_it_may_see(
    persona, expected, world, sales, api
):
    assert set(documents(api(getattr(world, persona)).get("/api/sales-lines"))) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"date_from": "2025-02-01"}, ["MAR", "FEB"]),
        ({"date_to": "2025-01-31"}, ["JAN"]),
        ({"date_from": "2025-02-01", "date_to": "2025-02-28"}, ["FEB"]),
        ({"document_number": "FEB"}, ["FEB"]),
    ],
)
def test_sales_lines_can_be_filtered_by_date_and_document(params, expected, world, api):
    for number, day in (("JAN", dt.date(2025, 1, 10)), ("FEB", dt.date(2025, 2, 10))):
        make_sale(world.own, world.product, document_number=number, date=day)
    make_sale(world.own, world.product, document_number="MAR", date=dt.date(2025, 3, 10))

    assert documents(api(world.kam).get("/api/sales-lines", params)) == expected


def test_sales_lines_can_be_filtered_by_client_and_product(world, sales, api):
    second = make_client(world.kam, name="Second")
    bolt = make_product(sku="BOLT")
    make_sale(second, bolt, document_number="SECOND-1")
    client = api(world.kam)

    assert documents(client.get("/api/sales-lines", {"client": second.pk})) == ["SECOND-1"]
    assert documents(client.get("/api/sales-lines", {"product": bolt.pk})) == ["SECOND-1"]
    assert documents(client.get("/api/sales-lines", {"client": world.foreign.pk})) == []


def test_sales_lines_are_paginated_newest_first(world, api):
    for day in range(1, 6):
        make_sale(world.own, world.product, document_number=f"D{day}", date=dt.date(2025, 1, day))

    response = api(world.kam).get("/api/sales-lines", {"limit": 2, "offset": 1})

    assert documents(response) == ["D4", "D3"]
    assert response.json()["next_offset"] == 3


def test_the_last_page_of_sales_lines_has_no_next_offset_and_no_count(world, api):
    for day in range(1, 6):
        make_sale(world.own, world.product, document_number=f"D{day}", date=dt.date(2025, 1, day))
    make_sale(world.foreign, world.product, document_number="THEIRS", date=dt.date(2025, 1, 9))

    last = api(world.kam).get("/api/sales-lines", {"limit": 2, "offset": 3}).json()
    exactly_full = api(world.kam).get("/api/sales-lines", {"limit": 5}).json()

    # The client the KAM cannot see is neither listed nor does it make another page.
    assert [line["document_number"] for line in last["items"]] == ["D2", "D1"]
    assert last["next_offset"] is None
    assert len(exactly_full["items"]) == 5 and exactly_full["next_offset"] is None
    assert "count" not in last


def test_listing_50_sales_lines_takes_a_fixed_number_of_queries(
    world, api, django_assert_num_queries
):
    for n in range(50):
        make_sale(world.own, make_product(), document_number=f"BULK-{n:02d}")
    caller = api(world.member)

    # The token, its user's last use, and the page: no count of every visible line.
    with django_assert_num_queries(3):
        response = caller.get("/api/sales-lines", {"limit": 100})

    assert len(response.json()["items"]) == 50


def test_a_sales_line_reads_with_client_product_and_amounts_as_strings(world, api):
    line = make_sale(
        world.own,
        world.product,
        quantity=Decimal("2.5"),
        amount=Decimal("250"),
        cost=Decimal("100.1"),
    )

    body = api(world.assistant).get(f"/api/sales-lines/{line.pk}").json()

    assert body["client"] == {"id": world.own.pk, "name": "Own Client"}
    assert body["product"] == {
        "id": world.product.pk,
        "sku": world.product.sku,
        "name": world.product.name,
    }
    assert (body["quantity"], body["amount"], body["cost"], body["margin"]) == (
        "2.500",
        "250.00",
        "100.10",
        "149.90",
    )


def test_a_sales_line_without_cost_has_no_margin(world, api):
    line = make_sale(world.own, world.product, cost=None)

    body = api(world.kam).get(f"/api/sales-lines/{line.pk}").json()

    assert body["cost"] is None
    assert body["margin"] is None


def test_a_team_member_sees_the_sales_of_each_client_they_work_on(world, sales, api):
    other = make_client(world.outsider, name="Other")
    add_member(other, world.member)
    line = make_sale(other, world.product, document_number="OTHER-1")

    assert api(world.member).get(f"/api/sales-lines/{line.pk}").status_code == 200
    assert api(world.kam).get(f"/api/sales-lines/{line.pk}").status_code == 404


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_a_foreign_sales_line_looks_exactly_like_a_missing_one(persona, world, sales, api):
    client = api(getattr(world, persona))
    hidden = sales["own"] if persona == "outsider" else sales["foreign"]

    foreign = client.get(f"/api/sales-lines/{hidden.pk}")
    missing = client.get("/api/sales-lines/999999")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_the_director_records_a_sales_line(world, api):
    response = api(world.director).post(
        "/api/sales-lines",
        {
            "date": "2025-04-01",
            "client": world.own.pk,
            "product": world.product.pk,
            "quantity": "3",
            "amount": "300",
            "cost": "120.5",
            "document_number": "CORR-1",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["margin"]) == ("300.00", "179.50")
    assert SalesLine.objects.get(pk=body["id"]).document_number == "CORR-1"


def test_a_sales_line_is_unique_per_document_client_product_and_date(world, sales, api):
    line = sales["own"]

    response = api(world.director).post(
        "/api/sales-lines",
        {
            "date": line.date.isoformat(),
            "client": world.own.pk,
            "product": world.product.pk,
            "quantity": "1",
            "amount": "1",
            "document_number": line.document_number,
        },
    )

    assert list(fields(response)) == [None]  # the line as a whole


def test_unknown_references_in_a_sales_line_are_reported(world, api):
    response = api(world.director).post(
        "/api/sales-lines",
        {"date": "2025-04-01", "client": 999999, "product": 999999, "quantity": 1, "amount": 1},
    )

    assert fields(response) == {"client": ["Unknown client."], "product": ["Unknown product."]}


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_only_the_director_records_sales_lines(persona, world, api):
    response = api(getattr(world, persona)).post(
        "/api/sales-lines",
        {
            "date": "2025-04-01",
            "client": world.own.pk,
            "product": world.product.pk,
            "quantity": "1",
            "amount": "1",
        },
    )

    assert response.status_code == 403
    assert not SalesLine.objects.exists()


def test_the_director_corrects_a_sales_line(world, sales, api):
    response = api(world.director).patch(
        f"/api/sales-lines/{sales['own'].pk}", {"amount": "90.5", "cost": None}
    )

    assert response.status_code == 200, response.content
    assert (response.json()["amount"], response.json()["margin"]) == ("90.50", None)
    sales["own"].refresh_from_db()
    assert sales["own"].amount == Decimal("90.50")
    assert sales["own"].document_number == "OWN-1"


def test_a_sales_line_amount_cannot_be_null(world, sales, api):
    response = api(world.director).patch(f"/api/sales-lines/{sales['own'].pk}", {"amount": None})

    assert list(fields(response)) == ["amount"]


@pytest.mark.parametrize(("persona", "status"), [("kam", 403), ("member", 403), ("outsider", 404)])
def test_others_may_not_correct_sales_lines(persona, status, world, sales, api):
    response = api(getattr(world, persona)).patch(
        f"/api/sales-lines/{sales['own'].pk}", {"amount": "1"}
    )

    assert response.status_code == status
    sales["own"].refresh_from_db()
    assert sales["own"].amount == Decimal("100.00")
