import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from kam.insights.models import ClientAnalytics
from kam.insights.services import recompute
from tests.factories import make_client, make_sale


def monthly_sales(client, product, amount, months=12, start=dt.date(2025, 1, 15)):
    """One sale a month from ``start``: a regular client (X) of the given size."""
    for month in range(months):
        year, index = divmod(start.month - 1 + month, 12)
        day = start.replace(year=start.year + year, month=index + 1)
        make_sale(client, product, date=day, amount=Decimal(amount), cost=Decimal(amount) / 2)


@pytest.fixture
def company(world):
    """The KAM's clients are small; the outsider's are big. Classes are company-wide, so the
    KAM's biggest client is still C."""
    big = make_client(world.outsider, name="Big Foreign")
    small = make_client(world.kam, name="Own Small")
    monthly_sales(world.foreign, world.product, "10000")
    monthly_sales(big, world.product, "5000")
    monthly_sales(world.own, world.product, "100")
    monthly_sales(small, world.product, "50")
    run = recompute()
    return SimpleNamespace(world=world, big=big, small=small, run=run)


def snapshot(client, **fields):
    """A hand-made snapshot row, for filters and pages that do not need the engine."""
    values = {
        "computed_at": timezone.now(),
        "as_of": dt.date(2025, 12, 31),
        "abc": "C",
        "xyz": "X",
        "value": Decimal("100"),
        "risk": "ok",
    }
    return ClientAnalytics.objects.update_or_create(client=client, defaults=values | fields)[0]


@pytest.fixture
def api():
    """``api(user)``: an API client with a bearer token of that user (as in tests/api)."""
    from tests.api.conftest import ApiClient

    return ApiClient
