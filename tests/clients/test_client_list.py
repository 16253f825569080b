import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from ..factories import make_client, make_product, make_sale


def names(response):
    return [c.name for c in response.context["page"]]


def test_a_kam_sees_their_clients_and_those_whose_team_they_are_on(world, login):
    response = login(world.kam).get(reverse("clients:list"))
    assert names(response) == ["Own Client"]
    response = login(world.member).get(reverse("clients:list"))
    assert names(response) == ["Own Client"]
    response = login(world.director).get(reverse("clients:list"))
    assert names(response) == ["Foreign Client", "Own Client"]


def test_search_matches_name_legal_name_and_erp_code(world, login):
    make_client(world.kam, name="Alpha", legal_name="OOO Betonstroy", erp_code="ZX-1")
    make_client(world.kam, name="Gamma")
    client = login(world.kam)
    for query in ("alp", "betonstroy", "zx-1"):
        assert names(client.get(reverse("clients:list"), {"q": query})) == ["Alpha"]


def test_filters_by_status_type_key_kam_and_region(world, login):
    make_client(world.kam, name="Risky", status="at_risk", region="Kazan")
    make_client(world.kam, name="Feeder", client_type="breadwinner", region="Omsk")
    client = login(world.director)
    url = reverse("clients:list")
    assert names(client.get(url, {"status": "at_risk"})) == ["Risky"]
    assert names(client.get(url, {"client_type": "breadwinner"})) == ["Feeder"]
    assert names(client.get(url, {"region": "Omsk"})) == ["Feeder"]
    assert names(client.get(url, {"key": "yes"})) == ["Own Client"]
    assert names(client.get(url, {"owner": world.outsider.pk})) == ["Foreign Client"]


def test_a_filter_value_that_makes_no_sense_is_ignored_not_an_error(world, login):
    response = login(world.kam).get(reverse("clients:list"), {"owner": "abc", "sort": "x;drop"})
    assert response.status_code == 200


def test_sorting_by_revenue_puts_the_biggest_buyer_first(world, login):
    product = make_product()
    small = make_client(world.kam, name="Small")
    big = make_client(world.kam, name="Big")
    from django.utils import timezone

    # The 12 months are complete months: last month's last day is in them.
    day = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    make_sale(small, product, date=day, amount=Decimal("10"))
    make_sale(big, product, date=day, amount=Decimal("1000"))
    response = login(world.kam).get(reverse("clients:list"), {"sort": "-revenue"})
    assert names(response)[:2] == ["Big", "Small"]
    assert response.context["page"][0].sales_12m == Decimal("1000")


def test_the_list_paginates_and_costs_a_fixed_number_of_queries(
    world, login, django_assert_max_num_queries
):
    for _ in range(60):
        make_client(world.kam, parent=world.own)
    client = login(world.kam)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("clients:list"), {"page": 2})
    assert len(response.context["page"]) == 25
    assert response.context["page"].paginator.count == 61


def test_htmx_filtering_returns_only_the_table(world, login):
    response = login(world.kam).get(reverse("clients:list"), HTTP_HX_TARGET="client-table")
    assert b"<nav" not in response.content
    assert b"Own Client" in response.content


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_exports_neutralise_formula_injection(world, login, evil):
    make_client(world.kam, name=evil)
    client = login(world.kam)
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("clients:export"), {"format": "xlsx"}).content)
    )
    cells = [row[1] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert "'" + evil in cells
    assert all(not str(c).startswith(("=", "+", "-", "@")) for c in cells)
    text = client.get(reverse("clients:export"), {"format": "csv"}).getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert ["'" + evil] == [r[1] for r in rows[1:] if r[1].endswith(evil)]


def test_export_follows_the_filters_and_the_access_rule(world, login):
    make_client(world.kam, name="Kazan Buyer", region="Kazan")
    text = (
        login(world.kam)
        .get(reverse("clients:export"), {"format": "csv", "region": "Kazan"})
        .getvalue()
        .decode("utf-8-sig")
    )
    assert "Kazan Buyer" in text
    assert "Own Client" not in text
    assert "Foreign Client" not in text
