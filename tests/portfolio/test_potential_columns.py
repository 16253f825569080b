"""Potential vs actual in the portfolio (R27): columns, totals, the export, the query count."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.portfolio import services

from ..clock import TODAY
from ..factories import make_client, make_potential, make_sale

pytestmark = pytest.mark.usefixtures("clock")

YEAR = TODAY.year


def estimate(client, demand, share, year=YEAR):
    return make_potential(client, demand, share, year)


def sale(world, client, amount, year=YEAR, month=1):
    return make_sale(client, world.product, date=dt.date(year, month, 10), amount=Decimal(amount))


def row_of(rows, client):
    return next(row for row in rows if row.client == client)


@pytest.fixture
def estimated(world):
    """Own Client: demand 10,000, 40 % achievable (potential 4,000), bought 1,500 this year."""
    estimate(world.own, "10000", "40")
    sale(world, world.own, "1000.00")
    sale(world, world.own, "500.00", month=2)
    sale(world, world.own, "9999.00", year=YEAR - 1)  # last year's purchases do not count
    return world


def test_a_row_shows_this_years_potential_actual_share_of_wallet_and_gap(estimated):
    rows, _ = services.portfolio(services.key_clients(estimated.kam))
    row = row_of(rows, estimated.own)
    assert row.potential_revenue == Decimal("4000.00")
    assert row.actual == Decimal("1500.00")
    assert row.share_of_wallet == Decimal("15.00")
    assert row.gap == Decimal("2500.00")


def test_only_the_current_years_estimate_is_used(world):
    estimate(world.own, "5000", "50", year=YEAR - 1)
    estimate(world.own, "7000", "50", year=YEAR + 1)
    rows, totals = services.portfolio(services.key_clients(world.kam))
    row = row_of(rows, world.own)
    assert row.potential is None and row.share_of_wallet is None and row.gap is None
    assert totals.with_potential == 0 and totals.share_of_wallet is None


def test_totals_sum_the_estimated_clients_and_give_the_overall_share_of_wallet(estimated):
    second = make_client(estimated.kam, name="Second Key", is_key=True)
    estimate(second, "5000", "100")
    sale(estimated, second, "2000.00")
    unestimated = make_client(estimated.kam, name="No Estimate", is_key=True)
    sale(estimated, unestimated, "777.00")  # no estimate: in none of the sums
    _, totals = services.portfolio(services.key_clients(estimated.kam))
    assert totals.clients == 3 and totals.with_potential == 2
    assert totals.potential == Decimal("9000.00")
    assert totals.actual == Decimal("3500.00")
    assert totals.demand == Decimal("15000")
    assert totals.share_of_wallet == Decimal("23.33")  # 3,500 / 15,000
    assert totals.gap == Decimal("5500.00")


def test_zero_demand_has_no_share_of_wallet(world):
    estimate(world.own, "0", "50")
    rows, totals = services.portfolio(services.key_clients(world.kam))
    assert row_of(rows, world.own).share_of_wallet is None
    assert totals.share_of_wallet is None


def test_the_page_shows_the_figures_a_thin_bar_and_the_totals(estimated, login):
    html = login(estimated.kam).get(reverse("portfolio:mine")).content.decode()
    assert f"Potential, {YEAR}" in html and f"Actual, {YEAR}" in html
    assert "Share of wallet" in html and "Gap" in html
    assert "4,000" in html and "1,500" in html and "2,500" in html
    assert "15.0 %" in html
    assert 'class="progress' in html and "width: 15%" in html


def test_a_client_without_potential_shows_a_dash_and_a_link_to_add_one(world, login):
    html = login(world.kam).get(reverse("portfolio:mine")).content.decode()
    add = f"{reverse('potential:create', args=[world.own.pk])}?year={YEAR}"
    assert add in html and "add potential" in html


@pytest.mark.parametrize(("persona", "sees_link"), [("assistant", True), ("member", False)])
def test_only_the_dossiers_editors_get_the_add_link(persona, sees_link, world, login):
    html = login(getattr(world, persona)).get(reverse("portfolio:mine")).content.decode()
    assert (reverse("potential:create", args=[world.own.pk]) in html) is sees_link


def test_the_director_sees_the_totals_on_a_kams_page(estimated, login):
    response = login(estimated.director).get(reverse("portfolio:kam", args=[estimated.kam.pk]))
    totals = response.context["totals"]
    assert totals.potential == Decimal("4000.00") and totals.actual == Decimal("1500.00")
    assert reverse("portfolio:export") + f"?owner={estimated.kam.pk}" in response.content.decode()


def test_the_page_query_count_does_not_grow_with_estimated_clients(world, login):
    client = login(world.assistant)  # the assistant also costs the query of assisted KAMs
    url = reverse("portfolio:mine")
    estimate(world.own, "100", "50")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):
        key = make_client(world.kam, name=f"Key {n}", is_key=True)
        estimate(key, "1000", "50")
        sale(world, key, "100.00")
    make_client(world.kam, name="Key without estimate", is_key=True)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 7
    assert len(many) == len(few) <= 14  # with the page count and the totals' fixed 4


# --- export ------------------------------------------------------------------------------------


def sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_export_has_the_pages_rows_with_potential_columns(estimated, login):
    make_client(estimated.outsider, name="Foreign Key", is_key=True)
    header, rows = sheet(login(estimated.kam).get(reverse("portfolio:export")))
    assert [row["Client"] for row in rows] == ["Own Client"]
    row = rows[0]
    assert row[f"Total demand, {YEAR}"] == 10000
    assert row[f"Potential, {YEAR}"] == 4000
    assert row[f"Actual, {YEAR}"] == 1500
    assert row["Share of wallet, %"] == 15
    assert row[f"Gap, {YEAR}"] == 2500
    assert row["KAM"] == "Anna Kamova"


def test_the_export_leaves_the_potential_blank_without_an_estimate(world, login):
    _, rows = sheet(login(world.kam).get(reverse("portfolio:export")))
    assert rows[0][f"Potential, {YEAR}"] is None and rows[0]["Share of wallet, %"] is None


def test_the_export_filters_by_owner_within_what_the_reader_sees(world, login):
    make_client(world.outsider, name="Foreign Key", is_key=True)
    director = login(world.director)
    _, everything = sheet(director.get(reverse("portfolio:export")))
    assert {row["Client"] for row in everything} == {"Own Client", "Foreign Key"}
    _, one = sheet(director.get(reverse("portfolio:export"), {"owner": world.outsider.pk}))
    assert [row["Client"] for row in one] == ["Foreign Key"]
    _, none = sheet(login(world.kam).get(reverse("portfolio:export"), {"owner": world.outsider.pk}))
    assert none == []


def test_the_export_neutralises_formulas(world, login):
    world.own.name = "=HYPERLINK(1)"
    world.own.save()
    response = login(world.kam).get(reverse("portfolio:export"), {"format": "csv"})
    assert "'=HYPERLINK(1)" in response.getvalue().decode()
    _, rows = sheet(login(world.kam).get(reverse("portfolio:export")))
    assert rows[0]["Client"] == "'=HYPERLINK(1)"


def test_the_export_query_count_does_not_grow_with_rows(world, login):
    client = login(world.kam)
    url = reverse("portfolio:export")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):
        estimate(make_client(world.kam, name=f"Key {n}", is_key=True), "1000", "10")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_selling_above_the_potential_gives_a_negative_gap_and_a_green_bar(world, login):
    estimate(world.own, "1000", "50")  # potential 500
    sale(world, world.own, "600.00")
    rows, totals = services.portfolio(services.key_clients(world.kam))
    assert row_of(rows, world.own).gap == Decimal("-100.00")
    assert row_of(rows, world.own).potential_reached and totals.potential_reached
    html = login(world.kam).get(reverse("portfolio:mine")).content.decode()
    assert "progress-bar bg-success" in html and "60.0 %" in html
