import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.clients.models import Client, ClientType
from kam.insights.models import ClientAnalytics
from kam.portfolio import services
from kam.portfolio.views import PAGE_SIZE

from ..factories import add_member, make_client, make_scoring


def analytics(client, value, **extra):
    fields = {"abc": "A", "xyz": "X", "risk": "ok", "score": 80.0} | extra
    return ClientAnalytics.objects.create(
        client=client,
        computed_at=timezone.now(),
        as_of=dt.date(2025, 6, 30),
        value=Decimal(value),
        **fields,
    )


def names(user, **kwargs):
    return {c.name for c in services.key_clients(user, **kwargs)}


def test_who_sees_which_key_clients(world):
    make_client(world.kam, name="Small Own")  # not key: no one's portfolio
    foreign_key = make_client(world.outsider, name="Foreign Key", is_key=True)
    assert names(world.kam) == {"Own Client"}
    assert names(world.assistant) == {"Own Client"}
    assert names(world.member) == {"Own Client"}
    assert names(world.outsider) == {"Foreign Key"}
    assert names(world.director) == {"Own Client", "Foreign Key"}
    add_member(foreign_key, world.member)
    assert names(world.member) == {"Own Client", "Foreign Key"}


def test_mine_shows_type_cell_risk_value_score_and_totals(world, login):
    world.own.client_type = ClientType.BREADWINNER
    world.own.save()
    analytics(world.own, "1234.00", xyz="Y", risk="at_risk", score=72.5)
    second = make_client(world.kam, name="Second Key", is_key=True)
    analytics(second, "766.00", abc="B", score=51.5)
    make_client(world.kam, name="Third Key", is_key=True)  # no analytics yet
    make_scoring({world.own: 72.5, second: 51.5})
    html = login(world.kam).get(reverse("portfolio:mine")).content.decode()
    assert "Own Client" in html and world.own.get_absolute_url() in html
    assert "Breadwinner" in html
    assert "AY" in html and "BX" in html
    assert "At risk" in html
    assert "1,234" in html and "2,000" in html  # a row and the total value
    assert "72.5" in html and "62.0" in html  # a score and the average score
    assert "3 key clients" in html
    assert "Foreign Client" not in html


def test_mine_query_count_is_bounded(world, login):
    client = login(world.kam)
    url = reverse("portfolio:mine")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(6):
        analytics(make_client(world.kam, is_key=True), "10.00")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    # 6 + the dossier completeness's fixed 3 + the page count + the totals' fixed 4
    assert len(many) == len(few) <= 14


def test_mine_shows_one_page_of_rows_and_totals_over_all(world, login):
    for n in range(PAGE_SIZE + 2):
        analytics(make_client(world.kam, name=f"Key {n:02d}", is_key=True), "10.00")
    client = login(world.kam)

    first = client.get(reverse("portfolio:mine"))
    second = client.get(reverse("portfolio:mine"), {"page": 2})

    assert len(first.context["rows"]) == PAGE_SIZE
    total = first.context["totals"]
    assert total.clients == world_key_clients(world) > PAGE_SIZE
    assert total == second.context["totals"]
    assert "Page 1 of 2" in first.content.decode()
    shown = {r.client.pk for r in first.context["rows"]} | {
        r.client.pk for r in second.context["rows"]
    }
    assert len(shown) == total.clients


def world_key_clients(world) -> int:
    return Client.objects.visible_to(world.kam).filter(is_key=True).count()


def test_kam_portfolio_query_count_is_bounded(world, login):
    client = login(world.director)
    url = reverse("portfolio:kam", args=[world.kam.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        analytics(make_client(world.kam, is_key=True), "10.00")
        analytics(make_client(world.kam, name=f"Plain {n}"), "5.00")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    # 7 + the dossier completeness's fixed 3 + the totals' fixed 4 + the page and key-account counts
    assert len(many) == len(few) <= 16


def test_kam_page_shows_the_first_other_clients_and_links_to_all(world, login):
    for n in range(PAGE_SIZE + 3):
        make_client(world.kam, name=f"Plain {n:02d}")
    others = Client.objects.filter(owner=world.kam, is_key=False).count()

    response = login(world.director).get(reverse("portfolio:kam", args=[world.kam.pk]))

    assert len(response.context["others"]) == PAGE_SIZE
    assert response.context["others_count"] == others
    assert f"All {others} other clients in the client list" in response.content.decode()


def test_kam_opens_only_their_own_portfolio(world, login):
    kam = login(world.kam)
    assert kam.get(reverse("portfolio:kam", args=[world.kam.pk])).status_code == 200
    assert kam.get(reverse("portfolio:kam", args=[world.outsider.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["assistant", "member", "outsider"])
def test_others_get_404_on_a_kams_portfolio(persona, world, login):
    response = login(getattr(world, persona)).get(reverse("portfolio:kam", args=[world.kam.pk]))
    assert response.status_code == 404


def test_director_opens_any_kam_but_not_a_non_kam(world, login):
    director = login(world.director)
    response = director.get(reverse("portfolio:kam", args=[world.outsider.pk]))
    assert response.status_code == 200
    assert reverse("portfolio:reassign", args=[world.foreign.pk]) in response.content.decode()
    assert director.get(reverse("portfolio:kam", args=[world.member.pk])).status_code == 404


def test_kam_page_shows_load_against_norm(world, login, settings):
    settings.KAM_KEY_ACCOUNT_NORM = (1, 2)
    html = login(world.kam).get(reverse("portfolio:kam", args=[world.kam.pk])).content.decode()
    assert "1 key accounts (norm 1–2)" in html and "Within norm" in html
    assert "Reassign" not in html  # only the director reassigns


def test_nav_links_to_portfolio(world, login):
    html = login(world.member).get(reverse("clients:list")).content.decode()
    assert reverse("portfolio:mine") in html


def test_each_key_client_shows_its_dossier_completeness(world, login):
    response = login(world.kam).get(reverse("portfolio:mine"))
    row = next(r for r in response.context["rows"] if r.client == world.own)
    assert row.completeness is not None and 0 <= row.completeness.score < 100
    assert f"{row.completeness.score} %" in response.content.decode()
