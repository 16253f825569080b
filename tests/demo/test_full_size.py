"""The default demo company, at full size (slow: run with `pytest -m slow`)."""

from collections import Counter

import pytest

from kam.clients.models import Client
from kam.demo import build_demo

from .conftest import AS_OF

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_default_company_has_the_promised_size_and_builds_in_well_under_a_minute():
    summary = build_demo(as_of=AS_OF)
    assert summary.clients == 150
    assert 25 <= summary.key_clients <= 35
    assert summary.products == 300
    assert 40_000 <= summary.sales_lines <= 80_000
    assert summary.competitors == 8
    assert 30 <= summary.tenders <= 50
    assert 0.7 <= summary.top20_share <= 0.85
    assert summary.seconds < 60
    per_kam = Counter(Client.objects.filter(is_key=True).values_list("owner__username", flat=True))
    assert sorted(per_kam) == ["kam1", "kam2", "kam3"]
    assert all(4 <= n <= 10 for n in per_kam.values())
    non_key = Counter(Client.objects.filter(is_key=False).values_list("owner__username", flat=True))
    assert all(n >= 30 for n in non_key.values())
