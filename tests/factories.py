"""Small builders for tests. They write through the ORM directly so tests stay fast and explicit."""

import datetime as dt
import itertools
from decimal import Decimal

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
