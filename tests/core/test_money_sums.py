"""Sums of money are exact decimals on every database (SQLite adds them as floats)."""

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from kam.sales.models import SalesLine
from tests.factories import make_sale


def lines(world, amount: str, count: int):
    for _ in range(count):
        make_sale(world.own, world.product, amount=Decimal(amount), date=dt.date(2025, 3, 1))


def test_a_sum_of_money_is_the_exact_decimal(world):
    lines(world, "0.07", 87)  # as floats: 6.090000000000005
    total = SalesLine.objects.aggregate(total=Sum("amount"))["total"]
    assert total == Decimal("6.09") and str(total) == "6.09"


def test_a_summed_subquery_under_coalesce_is_exact_too(world):
    lines(world, "123.45", 48)  # as floats: 5925.599999999995
    money = DecimalField(max_digits=18, decimal_places=2)
    summed = (
        SalesLine.objects.filter(client=OuterRef("client"))
        .order_by()
        .values("client")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    row = (
        SalesLine.objects.annotate(
            actual=Coalesce(
                Subquery(summed, output_field=money), Value(Decimal(0)), output_field=money
            )
        )
        .values("actual")
        .first()
    )
    assert str(row["actual"]) == "5925.60"


def test_a_negative_difference_keeps_its_cents(world):
    lines(world, "0.07", 87)
    lines(world, "-1845892.41", 1)
    assert str(SalesLine.objects.aggregate(total=Sum("amount"))["total"]) == "-1845886.32"
