"""The key-decisions log: every decision on the clients the reader may see, filters, export."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from kam.qualification import services
from tests.factories import make_client, make_scoring

pytestmark = pytest.mark.django_db


@pytest.fixture
def decisions(world):
    make_scoring({world.own: 64.0})
    made = services.decide_key(by=world.kam, client=world.own, is_key=False, reason="Shrinking")
    other = make_client(world.outsider, name="Other Client")
    services.decide_key(by=world.outsider, client=other, is_key=True, reason="Regional leader")
    return made


def test_a_reader_sees_the_decisions_on_their_clients_only(world, decisions, login):
    for persona in ("kam", "assistant", "member"):
        page = login(getattr(world, persona)).get(reverse("qualification:log"))
        body = page.content.decode()
        assert page.status_code == 200
        assert "Shrinking" in body and "Regional leader" not in body
        assert "64.0" in body  # the score then
    director = login(world.director).get(reverse("qualification:log")).content.decode()
    assert "Shrinking" in director and "Regional leader" in director


def test_the_log_filters_by_direction_person_client_and_period(world, decisions, login):
    http = login(world.director)

    def reasons(**params):
        return [d.reason for d in http.get(reverse("qualification:log"), params).context["page"]]

    assert reasons(direction="key") == ["Regional leader"]
    assert reasons(direction="not_key") == ["Shrinking"]
    assert reasons(decided_by=world.kam.pk) == ["Shrinking"]
    assert reasons(q="other") == ["Regional leader"]
    today = timezone.localdate()
    assert reasons(since=(today + dt.timedelta(days=1)).isoformat()) == []
    assert len(reasons(until=today.isoformat())) == 2
    assert len(reasons(since="not a date", direction="sideways")) == 2  # ignored, no error


def test_the_export_has_the_visible_decisions_with_the_score_then(world, decisions, login):
    response = login(world.kam).get(reverse("qualification:log_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:5] == ("Decided at", "Client", "ERP code", "Owner KAM", "Decision")
    assert [(r[1], r[4], r[5], r[7]) for r in rows] == [
        ("Own Client", "Removed from key", "Shrinking", 64.0)
    ]


def test_the_log_costs_the_same_queries_for_many_decisions(
    world, login, django_assert_max_num_queries
):
    for i in range(30):
        client = make_client(world.kam, name=f"Client {i:02}")
        services.decide_key(by=world.kam, client=client, is_key=True, reason=f"Why {i}")
    http = login(world.kam)
    with django_assert_max_num_queries(12):
        page = http.get(reverse("qualification:log"))
    assert len(page.context["page"]) == 30


def test_the_log_shows_the_score_and_suggested_type_then_or_says_not_recorded(world, login):
    from tests.factories import make_analytics

    make_analytics(world.own, suggested_type="image_maker")
    make_scoring({world.own: 64.0})
    services.decide_key(by=world.kam, client=world.own, is_key=False, reason="Shrinking")
    bare = make_client(world.kam, name="Bare Client")  # decided before any scoring of it
    services.decide_key(by=world.kam, client=bare, is_key=True, reason="New leader")
    page = login(world.kam).get(reverse("qualification:log"))
    rows = {d.reason: (d.score, d.suggested_type_label) for d in page.context["page"]}
    assert rows == {"Shrinking": (64.0, "Image-maker"), "New leader": (None, "")}
    body = page.content.decode()
    assert "64.0" in body and "Image-maker" in body and body.count("not recorded") == 2
    outsider = login(world.outsider).get(reverse("qualification:log")).content.decode()
    assert "Shrinking" not in outsider and "New leader" not in outsider
