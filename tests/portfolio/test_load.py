import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.clients.models import ClientStatus
from kam.core.models import Role
from kam.insights.models import ClientAnalytics
from kam.portfolio import services
from kam.portfolio.services import OVERLOADED, UNDERLOADED, WITHIN_NORM, load_status

from ..factories import make_client, make_user


def analytics(client, value, risk="ok", **extra):
    return ClientAnalytics.objects.create(
        client=client,
        computed_at=timezone.now(),
        as_of=dt.date(2025, 6, 30),
        value=Decimal(value),
        risk=risk,
        **extra,
    )


@pytest.mark.parametrize(
    ("count", "status"),
    [(0, UNDERLOADED), (3, UNDERLOADED), (4, WITHIN_NORM), (10, WITHIN_NORM), (11, OVERLOADED)],
)
def test_status_against_the_default_norm(count, status, settings):
    settings.KAM_KEY_ACCOUNT_NORM = (4, 10)
    assert load_status(count) == status


def test_norm_is_configurable(settings):
    settings.KAM_KEY_ACCOUNT_NORM = (2, 3)
    assert load_status(1) == UNDERLOADED
    assert load_status(3) == WITHIN_NORM
    assert load_status(4) == OVERLOADED


@pytest.mark.parametrize(
    ("count", "label"),
    [(3, "Underloaded"), (4, "Within norm"), (10, "Within norm"), (11, "Overloaded")],
)
def test_load_page_counts_key_accounts_per_kam(count, label, world, login):
    kam = make_user("busy", Role.KAM, first_name="Boris", last_name="Busy")
    for _ in range(count):
        make_client(kam, is_key=True)
    make_client(kam)  # not key: counts among all clients only
    make_client(kam, is_key=True, status=ClientStatus.LOST)  # a lost account is not handled
    rows = {row.kam.pk: row for row in services.kam_loads()}
    assert rows[kam.pk].key_accounts == count
    assert rows[kam.pk].total_clients == count + 2
    assert rows[kam.pk].troubled == 1
    assert str(rows[kam.pk].status_label) == label

    response = login(world.director).get(reverse("portfolio:load"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Boris Busy" in html and label in html
    assert reverse("portfolio:kam", args=[kam.pk]) in html


def test_load_lists_only_active_kams(world):
    make_user("gone", Role.KAM, is_active=False)
    make_user("helper", Role.ASSISTANT)
    names = {row.kam.username for row in services.kam_loads()}
    assert names == {"kam", "outsider"}


def test_value_share_and_risk(world):
    other = make_client(world.kam)  # not key
    analytics(world.own, "300.00")
    analytics(other, "100.00", risk="at_risk")
    row = next(r for r in services.kam_loads() if r.kam == world.kam)
    assert row.key_value == Decimal("300.00")
    assert row.total_value == Decimal("400.00")
    assert row.key_value_share == pytest.approx(75.0)
    assert row.troubled == 1
    outsider = next(r for r in services.kam_loads() if r.kam == world.outsider)
    assert outsider.key_value_share is None  # no analytics yet: no share, no division by zero


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_load_is_director_only(persona, world, login):
    assert login(getattr(world, persona)).get(reverse("portfolio:load")).status_code == 403


def test_load_query_count_does_not_grow_with_kams(world, login, django_assert_max_num_queries):
    client = login(world.director)
    client.get(reverse("portfolio:load"))  # warm the session
    for n in range(5):
        kam = make_user(f"extra{n}", Role.KAM)
        for _ in range(3):
            analytics(make_client(kam, is_key=True), "10.00")
    # The session, the user, then kam_loads' three: the KAMs, estimates and sales per KAM.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("portfolio:load"))
    assert response.status_code == 200
