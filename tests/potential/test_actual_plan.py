"""Issue 10: a potential's actual purchases are the client's sales between 1 January of its year
and 1 January of the next, read through the (client, date) index on SQLite and PostgreSQL —
not by extracting the year of every line of the client (the register took a second at 10×)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from kam.potential.models import ClientPotential
from tests.factories import make_client, make_potential, make_sale, make_weekly_sales

pytestmark = pytest.mark.django_db


def test_the_actual_counts_the_whole_year_and_nothing_of_its_neighbours(world):
    for day, amount in [
        (dt.date(2024, 12, 31), "1"),
        (dt.date(2025, 1, 1), "20"),
        (dt.date(2025, 12, 31), "300"),
        (dt.date(2026, 1, 1), "4000"),
    ]:
        make_sale(world.own, world.product, date=day, amount=Decimal(amount))
    make_sale(world.foreign, world.product, date=dt.date(2025, 6, 1), amount=Decimal("50000"))
    for year in (2024, 2025, 2026, 2027):
        make_potential(world.own, "100000", "50", year=year)

    annotated = {p.year: p.actual for p in ClientPotential.objects.with_actual()}
    plain = {p.year: p.actual for p in ClientPotential.objects.all()}

    expected = {2024: Decimal("1"), 2025: Decimal("320"), 2026: Decimal("4000"), 2027: 0}
    assert annotated == expected
    assert plain == expected


def test_the_actual_reads_the_years_lines_through_the_client_date_index(world):
    # Enough lines over many clients, and fresh statistics, for PostgreSQL's planner to choose
    # as it would on a company's data.
    clients = [make_client(world.kam) for _ in range(40)]
    make_weekly_sales(clients, world.product, weeks=200, start=dt.date(2022, 1, 1))
    make_potential(clients[0], "1000", "50", year=2024)

    plan = ClientPotential.objects.with_actual().values("actual_amount").explain()

    # The lines are found by client and date range: SQLite searches the (client, date) index
    # on both columns; PostgreSQL uses it or the client's foreign-key index. Neither reads the
    # whole table or computes the year of each line.
    if connection.vendor == "sqlite":
        assert re.search(r"salesline_client_date \(client_id=\? AND date>\? AND date<\?\)", plan), (
            plan
        )
    else:
        assert re.search(r"salesline_client_date|sales_salesline_client_id", plan), plan
    assert "Seq Scan on sales_salesline" not in plan and "SCAN sales_salesline" not in plan, plan
    assert "extract" not in plan.lower(), plan


def test_the_register_takes_a_fixed_number_of_queries(world, login, django_assert_num_queries):
    for n in range(5):
        client = make_client(world.kam, name=f"Client {n}")
        make_sale(client, world.product, date=dt.date(2025, 3, 1))
        for year in (2025, 2026):
            make_potential(client, "1000", "50", year=year)
    reader = login(world.kam)

    # The session, its user, the count that decides whether the file is written now or by a
    # worker, and the estimates with owner and actual purchases.
    with django_assert_num_queries(4):
        response = reader.get(reverse("potential:export"))

    assert response.status_code == 200
