"""Issue 10: the portfolio's totals read the year's sales of the estimated clients through an
index on the client, on SQLite and PostgreSQL, rather than scanning every sales line."""

import datetime as dt
import re
from decimal import Decimal

from kam.portfolio import services
from kam.potential.models import ClientPotential

from ..factories import make_client, make_weekly_sales


def test_the_years_sales_of_estimated_clients_are_read_through_the_client_date_index(world):
    # Enough lines over many clients, and fresh statistics, for PostgreSQL's planner to choose
    # as it would on a company's data: one estimated client among many.
    clients = [make_client(world.kam, is_key=True) for _ in range(40)]
    make_weekly_sales(clients, world.product, weeks=150, start=dt.date(2024, 1, 1))
    ClientPotential.objects.create(
        client=clients[0], year=2025, total_demand=Decimal(100), achievable_share=Decimal(50)
    )
    estimates = ClientPotential.objects.filter(
        year=2025, client_id__in=services.key_clients(world.director).order_by().values("pk")
    )

    plan = services.estimated_sales(estimates, 2025).order_by().values("amount").explain()

    # SQLite takes the (client, date) index; PostgreSQL, for a year that is a third of a
    # client's lines, the client's foreign-key index: neither reads the whole table.
    assert re.search(r"salesline_client_date|sales_salesline_client_id", plan), plan
    assert "Seq Scan on sales_salesline" not in plan and "SCAN sales_salesline" not in plan, plan
