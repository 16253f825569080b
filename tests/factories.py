"""Small builders for tests. They write through the ORM directly so tests stay fast and explicit."""

import datetime as dt
import itertools
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from kam.clients.models import Client, Competitor, Contact, TeamMembership
from kam.core.models import Role, User
from kam.sales.models import Product, SalesLine

_seq = itertools.count(1)


def make_user(username: str | None = None, role: str = Role.KAM, **extra) -> User:
    username = username or f"user{next(_seq)}"
    return User.objects.create_user(username=username, password="pw", role=role, **extra)


def make_client(owner: User, **extra) -> Client:
    n = next(_seq)
    fields = {"name": f"Client {n}", "erp_code": f"C{n:05d}", "owner": owner} | extra
    return Client.objects.create(**fields)


def make_contact(client: Client, **extra) -> Contact:
    return Contact.objects.create(client=client, **({"full_name": f"Person {next(_seq)}"} | extra))


def make_product(**extra) -> Product:
    n = next(_seq)
    fields = {"sku": f"P{n:05d}", "name": f"Product {n}", "list_price": Decimal("10.00")}
    return Product.objects.create(**(fields | extra))


def make_weekly_sales(clients, product: Product, *, weeks: int, start: dt.date) -> None:
    """One line a week for each client, then fresh statistics on PostgreSQL: enough lines over
    enough clients for a query planner to choose as it would on a company's data."""
    SalesLine.objects.bulk_create(
        SalesLine(
            client=client,
            product=product,
            date=start + dt.timedelta(days=n * 7),
            quantity=Decimal(1),
            amount=Decimal(10),
            cost=Decimal(5),
            document_number=f"D{client.pk}-{n}",
        )
        for client in clients
        for n in range(weeks)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def make_sale(client: Client, product: Product, **extra) -> SalesLine:
    fields = {
        "date": dt.date(2025, 1, 15),
        "quantity": Decimal("1"),
        "amount": Decimal("100.00"),
        "cost": Decimal("60.00"),
        "document_number": f"D{next(_seq)}",
    }
    return SalesLine.objects.create(client=client, product=product, **(fields | extra))


def make_competitor(**extra) -> Competitor:
    return Competitor.objects.create(**({"name": f"Rival {next(_seq)}"} | extra))


def add_member(client: Client, user: User, function: str = "logistics") -> TeamMembership:
    return TeamMembership.objects.create(client=client, user=user, function=function)


def make_scoring(scores: dict[Client, float]):
    """A stored key-profile scoring (the newest run) with these clients' scores, ranked by score."""
    from kam.keyprofile.models import ClientScore, ScoringRun
    from kam.keyprofile.services import active_profile

    run = ScoringRun.objects.create(
        profile=active_profile(),
        as_of=dt.date(2025, 3, 31),
        trigger="manual",
        clients=len(scores),
    )
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    ClientScore.objects.bulk_create(
        ClientScore(run=run, client=client, score=score, rank=rank)
        for rank, (client, score) in enumerate(ranked, start=1)
    )
    return run


def make_potential(client: Client, demand, share, year: int | None = None, **extra):
    """A potential estimate: total ``demand`` of which ``share`` per cent is achievable."""
    from kam.potential.models import ClientPotential

    return ClientPotential.objects.create(
        client=client,
        year=year or timezone.localdate().year,
        total_demand=Decimal(demand),
        basis=extra.pop("basis", "plan"),
        achievable_share=Decimal(share),
        **extra,
    )


def make_analytics(client: Client, **fields):
    """The client's analytics snapshot with the given fields (score 72.5, a breadwinner)."""
    from kam.insights.models import ClientAnalytics

    defaults = {"score": 72.5, "suggested_type": "breadwinner", "as_of": dt.date(2025, 6, 30)}
    return ClientAnalytics.objects.create(
        client=client, computed_at=timezone.now(), **(defaults | fields)
    )
