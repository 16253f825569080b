from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_client

from .conftest import snapshot


def names(response) -> set[str]:
    return {c.name for c in response.context["page"]}


def test_the_heat_map_click_filter_opens_the_clients_of_that_cell(company, login):
    w = company.world
    response = login(w.director).get("/clients/", {"abc": "A", "xyz": "X"})
    assert names(response) == {"Foreign Client", "Big Foreign"}
    assert names(login(w.kam).get("/clients/", {"abc": "A", "xyz": "X"})) == set()
    assert names(login(w.kam).get("/clients/", {"abc": "C"})) == {"Own Client", "Own Small"}


def test_the_risk_and_segment_filters(world, login):
    snapshot(world.own, risk="lost", rfm_segment="hibernating")
    other = make_client(world.kam, name="Fine Client")
    snapshot(other, risk="ok", rfm_segment="champions")
    client = login(world.kam)
    assert names(client.get("/clients/", {"risk": "lost"})) == {"Own Client"}
    assert names(client.get("/clients/", {"risk": "ok"})) == {"Fine Client"}
    assert names(client.get("/clients/", {"rfm_segment": "champions"})) == {"Fine Client"}
    assert names(client.get("/clients/", {"xyz": "new"})) == set()


def test_the_list_shows_abc_xyz_and_risk_badges(world, login):
    snapshot(world.own, abc="A", xyz="Y", risk="at_risk")
    html = login(world.kam).get("/clients/").content.decode()
    assert ">AY</span>" in html and "At risk</span>" in html


def test_the_client_list_does_not_query_per_row(world, login):
    for n in range(15):
        snapshot(make_client(world.kam, name=f"Row {n}"), abc="B", risk="lost")
    client = login(world.kam)
    with CaptureQueriesContext(connection) as few:
        client.get("/clients/", {"risk": "lost"})
    for n in range(15, 30):
        snapshot(make_client(world.kam, name=f"Row {n}"), abc="B", risk="lost")
    with CaptureQueriesContext(connection) as more:
        client.get("/clients/", {"risk": "lost"})
    assert len(more) == len(few)


def test_the_client_page_shows_the_analytics_card(company, login):
    html = login(company.world.kam).get(f"/clients/{company.world.own.pk}/").content.decode()
    card = html[html.index('id="analytics-card"') :]
    assert "ABC-XYZ cell" in card and ">CX</span>" in card
    assert "Low value, stable demand" in card
    assert "Probability alive" in card and "Lifetime value" in card


def test_the_card_says_not_computed_yet(world, login):
    html = login(world.kam).get(f"/clients/{world.own.pk}/").content.decode()
    assert "Not computed yet" in html


def test_the_card_in_russian(world, login):
    snapshot(world.own, rfm_segment="champions")
    client = login(world.kam)
    client.cookies["django_language"] = "ru"
    html = client.get(f"/clients/{world.own.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Чемпионы" in html


def test_an_outsider_gets_404_for_foreign_client_analytics(company, login):
    w = company.world
    assert login(w.outsider).get(f"/analytics/clients/{w.own.pk}/").status_code == 404
    assert login(w.kam).get(f"/analytics/clients/{w.foreign.pk}/").status_code == 404
    assert login(w.kam).get(f"/analytics/clients/{w.own.pk}/").status_code == 200
