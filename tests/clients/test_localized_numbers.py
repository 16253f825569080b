"""Edit forms show decimals in the user's number format and read back what they show, in both
languages, without the optimistic lock taking the unchanged value for someone else's edit."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kam.clients.models import Client

from ..browser_form import changed, load

NBSP = "\u00a0"


@pytest.fixture
def revenue(world):
    Client.objects.filter(pk=world.own.pk).update(
        annual_revenue=Decimal("375400000.00"), payment_on_time_pct=Decimal("97.50")
    )
    return world


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown", "percent", "typed", "typed_back"),
    [
        ("ru", f"375{NBSP}400{NBSP}000,00", "97,50", "1 234 567,5", Decimal("1234567.50")),
        ("en", "375,400,000.00", "97.50", "1,234,567.5", Decimal("1234567.50")),
    ],
)
def test_the_client_form_shows_and_reads_localized_numbers(
    revenue, login_in, language, shown, percent, typed, typed_back
):
    client = login_in(revenue.kam, language)
    url = reverse("clients:edit", args=[revenue.own.pk])
    data = load(client, url)
    assert data["annual_revenue"] == [shown] and data["payment_on_time_pct"] == [percent]
    # sent back untouched: read back as the same values, no edit conflict
    assert client.post(url, data).status_code == 302
    revenue.own.refresh_from_db()
    assert revenue.own.annual_revenue == Decimal("375400000.00")
    # typed the user's way, with ordinary spaces or separators
    assert client.post(url, changed(data, annual_revenue=typed)).status_code == 302
    revenue.own.refresh_from_db()
    assert revenue.own.annual_revenue == typed_back
    assert revenue.own.payment_on_time_pct == Decimal("97.50")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "typed"), [("ru", "12 34"), ("en", "1,2,3"), ("en", "1,234,5")]
)
def test_grouping_that_does_not_group_thousands_is_refused(revenue, login_in, language, typed):
    client = login_in(revenue.kam, language)
    url = reverse("clients:edit", args=[revenue.own.pk])
    response = client.post(url, changed(load(client, url), annual_revenue=typed))
    assert response.status_code == 400
    assert "annual_revenue" in response.context["form"].errors
