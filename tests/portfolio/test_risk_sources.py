"""The portfolio's two risk sources: the status the KAM sets by hand and the analytics' risk,
shown side by side with their meaning and date instead of contradicting each other silently."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.clients.models import ClientStatus
from kam.insights.models import ClientAnalytics
from kam.portfolio import services
from tests.factories import make_client


def _model_risk(client, risk):
    return ClientAnalytics.objects.create(
        client=client,
        computed_at=timezone.now(),
        as_of=dt.date(2026, 11, 30),
        value=Decimal("1000"),
        abc="A",
        xyz="X",
        risk=risk,
    )


def _set_status(client, status, by):
    client.status = status
    client._history_user = by  # what the request middleware does for an edit in the app
    client.save()


@pytest.mark.django_db
def test_a_status_at_risk_beside_a_normal_model_risk_names_both(world, login):
    """The report: "at risk" in the badge, "normal" in the risk column, nothing saying why."""
    _set_status(world.own, ClientStatus.AT_RISK, world.kam)
    _model_risk(world.own, "ok")
    html = login(world.kam).get(reverse("portfolio:mine")).content.decode()
    assert "Risk (model)" in html and "as of 11/30/2026" in html
    assert f"Status set by {world.kam} on" in html
    when = world.own.audit.latest().history_date
    assert f"KAM: At risk since {timezone.localtime(when):%m/%d/%Y}" in html
    assert 'id="risk-legend"' in html


@pytest.mark.django_db
def test_agreeing_sources_show_no_second_line(world, login):
    _set_status(world.own, ClientStatus.AT_RISK, world.kam)
    _model_risk(world.own, "at_risk")
    html = login(world.kam).get(reverse("portfolio:mine")).content.decode()
    assert "risk-status" not in html


@pytest.mark.django_db
def test_the_model_at_risk_beside_an_active_status_is_named_too(world):
    _model_risk(world.own, "lost")
    [row], _totals = services.portfolio(services.key_clients(world.kam))
    assert row.risk_disagrees
    assert row.status_change is None  # active: no badge, nothing to date


@pytest.mark.django_db
def test_the_status_date_is_when_the_current_status_began(world):
    _set_status(world.own, ClientStatus.AT_RISK, world.kam)
    began = world.own.audit.latest().history_date
    world.own.name = "Own Client, renamed"
    world.own.save()  # a later edit of something else keeps the date
    _set_status(world.own, ClientStatus.AT_RISK, world.director)
    changes = services.status_changes([world.own])
    assert changes[world.own.pk] == services.StatusChange(began, world.kam)


@pytest.mark.django_db
def test_status_dates_take_one_query_for_all_clients(world):
    clients = [make_client(world.kam, name=f"K{i}", is_key=True) for i in range(5)]
    for client in clients:
        _set_status(client, ClientStatus.LOST, world.kam)
    with CaptureQueriesContext(connection) as queries:
        changes = services.status_changes(clients)
    assert len(queries) == 1 and len(changes) == 5
