"""The KAM load overview's potential and share of wallet (R27): per KAM, one query."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.core.models import Role
from kam.portfolio import services

from ..clock import TODAY
from ..factories import make_client, make_potential, make_sale, make_user

pytestmark = pytest.mark.usefixtures("clock")

YEAR = TODAY.year


def estimate(client, demand, share, year=YEAR):
    return make_potential(client, demand, share, year)


def sale(world, client, amount, year=YEAR):
    return make_sale(client, world.product, date=dt.date(year, 3, 1), amount=Decimal(amount))


def load_of(kam):
    return next(row for row in services.kam_loads() if row.kam == kam)


def test_a_kams_potential_and_share_of_wallet_cover_their_estimated_key_clients(world):
    estimate(world.own, "10000", "40")  # potential 4,000
    second = make_client(world.kam, is_key=True)
    estimate(second, "5000", "100")  # potential 5,000
    sale(world, world.own, "1000.00")
    sale(world, second, "2000.00")
    unestimated = make_client(world.kam, is_key=True)
    sale(world, unestimated, "700.00")  # no estimate: neither demand nor actual
    plain = make_client(world.kam)  # not a key client
    estimate(plain, "99999", "100")
    sale(world, plain, "555.00")
    sale(world, world.own, "8888.00", year=YEAR - 1)  # another year
    estimate(world.own, "12345", "50", year=YEAR - 1)

    row = load_of(world.kam)
    assert row.potential == Decimal("9000.00")
    assert row.demand == Decimal("15000.00")
    assert row.actual == Decimal("3000.00")
    assert row.share_of_wallet == Decimal("20.00")


def test_many_sales_and_clients_do_not_multiply_the_sums(world):
    """The clients' join (for counts and value) and the sales lines would multiply a naive sum."""
    for _ in range(3):
        client = make_client(world.kam, is_key=True)
        estimate(client, "1000", "50")
        for _ in range(4):
            sale(world, client, "25.00")
    make_client(world.kam)
    make_client(world.kam)
    row = load_of(world.kam)
    assert row.potential == Decimal("1500.00")
    assert row.demand == Decimal("3000.00")
    assert row.actual == Decimal("300.00")
    assert row.share_of_wallet == Decimal("10.00")
    assert row.total_clients == 6  # the counts are not multiplied by the subqueries either


def test_potential_matches_the_kams_portfolio_totals(world):
    estimate(world.own, "3333.33", "33.33")
    second = make_client(world.kam, is_key=True)
    estimate(second, "1234.56", "12.5")
    sale(world, second, "99.99")
    _, totals = services.portfolio(services.key_clients(world.director, owner=world.kam))
    row = load_of(world.kam)
    assert row.potential == totals.potential
    assert row.actual == totals.actual
    assert row.share_of_wallet == totals.share_of_wallet


def test_a_kam_without_estimates_has_no_share_of_wallet(world):
    row = load_of(world.outsider)
    assert row.potential == 0 and row.demand == 0 and row.actual == 0
    assert row.share_of_wallet is None


def test_the_load_page_shows_potential_and_share_of_wallet(world, login):
    estimate(world.own, "10000", "40")
    sale(world, world.own, "2500.00")
    html = login(world.director).get(reverse("portfolio:load")).content.decode()
    assert f"Potential, {YEAR}" in html and "Share of wallet" in html
    assert "4,000" in html and "25.0 %" in html


def test_the_load_takes_three_queries_whatever_the_kams(world, django_assert_num_queries):
    for n in range(4):
        kam = make_user(f"loaded{n}", Role.KAM)
        for _ in range(2):
            client = make_client(kam, is_key=True)
            estimate(client, "1000", "10")
            sale(world, client, "10.00")
    # The KAMs with their counts, the estimates per KAM, the sales per KAM.
    with django_assert_num_queries(3):
        rows = services.kam_loads()
    assert len(rows) == 6
