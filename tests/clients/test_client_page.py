import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.clients import selectors, services

from ..factories import make_contact, make_product, make_sale


def test_the_org_chart_is_a_tree_of_who_reports_to_whom(world):
    boss = make_contact(world.own, full_name="Director", influence=5, attitude=2)
    make_contact(world.own, full_name="Buyer", reports_to=boss, attitude=-1)
    make_contact(world.own, full_name="Gone", reports_to=boss, has_left=True)
    chart = selectors.org_chart(world.own)
    roots = {node["name"]: node for node in chart["children"]}
    assert set(roots) == {"Director", "Own Person"}
    assert [c["name"] for c in roots["Director"]["children"]] == ["Buyer"]
    assert roots["Director"]["influence"] == 5
    with_left = selectors.org_chart(world.own, include_left=True)
    director = next(n for n in with_left["children"] if n["name"] == "Director")
    assert {c["name"] for c in director["children"]} == {"Buyer", "Gone"}


def test_the_contacts_tab_embeds_the_chart_data(world, login):
    response = login(world.member).get(reverse("clients:contacts", args=[world.own.pk]))
    assert b'id="org-data"' in response.content
    assert b'id="org-chart"' in response.content


def test_monthly_purchases_are_zero_filled_for_24_months(world):
    product = make_product()
    make_sale(
        world.own, product, date=dt.date(2025, 3, 5), amount=Decimal("100"), cost=Decimal("70")
    )
    make_sale(
        world.own, product, date=dt.date(2025, 3, 20), amount=Decimal("50"), cost=Decimal("20")
    )
    months = selectors.monthly_purchases(world.own, today=dt.date(2025, 6, 30))
    assert len(months) == 24
    assert months[-1]["month"] == dt.date(2025, 6, 1)
    march = next(m for m in months if m["month"] == dt.date(2025, 3, 1))
    assert march["amount"] == Decimal("150") and march["margin"] == Decimal("60")
    assert months[0]["amount"] == 0 and months[0]["margin"] is None


def test_the_history_tab_shows_who_changed_what_from_and_to(world, login):
    services.client_update(by=world.kam, client=world.own, status="at_risk", reason="No orders")
    services.contact_update(by=world.assistant, contact=world.own_contact, attitude=2)
    response = login(world.kam).get(reverse("clients:history", args=[world.own.pk]))
    events = response.context["events"]
    status_change = next(e for e in events if e["kind"] == "client" and e["type"] == "~")
    assert status_change["who"] == world.kam
    assert status_change["reason"] == "No orders"
    assert {"field": "status", "old": "Active", "new": "At risk"} in status_change["changes"]
    contact_change = next(e for e in events if e["kind"] == "contact" and e["type"] == "~")
    assert contact_change["who"] == world.assistant
    assert contact_change["changes"][0]["new"] == "Supporter"


def test_every_tab_renders_for_a_client_with_a_full_dossier(world, login):
    product = make_product()
    make_sale(world.own, product)
    client = login(world.kam)
    for tab in ("detail", "contacts", "competitors", "tenders", "purchases", "history"):
        response = client.get(reverse(f"clients:{tab}", args=[world.own.pk]))
        assert response.status_code == 200, tab
        assert world.own.name in response.content.decode()


def test_a_team_member_sees_the_dossier_but_no_edit_buttons(world, login):
    response = login(world.member).get(reverse("clients:detail", args=[world.own.pk]))
    assert response.context["can_edit"] is False
    assert reverse("clients:edit", args=[world.own.pk]).encode() not in response.content


def test_the_history_tab_costs_the_same_few_queries_however_long_the_history(
    world, login, django_assert_max_num_queries
):
    from ..access.routes_clients import membership, presence

    boss = make_contact(world.own, full_name="Boss")
    for n in range(15):
        contact = make_contact(world.own, full_name=f"P{n}")
        services.contact_update(
            by=world.kam, contact=contact, reports_to=boss, relationship_owner=world.kam
        )
        presence(world.own)
    for user in (world.director, world.outsider):
        membership(world.own, user)
    client = login(world.kam)
    url = reverse("clients:history", args=[world.own.pk])
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert len(response.context["events"]) > 45


def _dossier_edits(world, rounds: int) -> None:
    """Strategy, potential and three-P edits by the KAM, ``rounds`` times each."""
    from kam.potential.models import ClientPotential
    from kam.potential.services import potential_save, strategy_save
    from kam.qualification.services import qualification_save

    potential = ClientPotential.objects.filter(client=world.own, year=2026).first()
    for n in range(rounds):
        strategy_save(by=world.kam, client=world.own, strategy=f"Grow in the region ({n})")
        potential = potential_save(
            by=world.kam,
            client=world.own,
            year=2026,
            potential=potential,
            total_demand=Decimal("1000000"),
            basis="Builds 120,000 m²",
            achievable_share=Decimal(20 + n),
        )
        qualification_save(
            by=world.kam,
            client=world.own,
            need_status="confirmed",
            need_evidence=f"Tender plan {n}",
        )


def test_the_history_tab_shows_strategy_potential_and_qualification_edits(world, login):
    _dossier_edits(world, rounds=2)
    response = login(world.assistant).get(reverse("clients:history", args=[world.own.pk]))
    events = response.context["events"]
    by_kind = {e["kind"]: [x for x in events if x["kind"] == e["kind"]] for e in events}
    assert {"strategy", "potential", "qualification"} <= by_kind.keys()
    strategy = by_kind["strategy"][0]  # newest first: the edit, then the creation
    assert (strategy["type"], strategy["who"]) == ("~", world.kam)
    assert strategy["changes"] == [
        {
            "field": "the client's strategy",
            "old": "Grow in the region (0)",
            "new": "Grow in the region (1)",
        }
    ]
    created = by_kind["strategy"][1]
    assert created["type"] == "+"
    assert created["changes"][0]["new"] == "Grow in the region (0)"
    potential = by_kind["potential"][0]
    assert potential["object"] == "2026"
    assert [c["field"] for c in potential["changes"]] == ["achievable share, %"]
    qualification = by_kind["qualification"][0]
    assert qualification["changes"] == [
        {"field": "evidence of need", "old": "Tender plan 0", "new": "Tender plan 1"}
    ]  # who assessed it and when are the event's own, not repeated as changes
    first = by_kind["qualification"][1]["changes"]
    assert {"field": "need", "old": "—", "new": "Confirmed"} in first
    page = response.content.decode()
    assert "Grow in the region (1)" in page and "Tender plan 1" in page


def test_dossier_edits_in_the_history_tab_are_in_russian(world, login, settings):
    settings.LANGUAGE_CODE = "ru"
    _dossier_edits(world, rounds=2)
    world.kam.language = "ru"
    world.kam.save()
    page = login(world.kam).get(reverse("clients:history", args=[world.own.pk]))
    html = page.content.decode()
    assert "Стратегия клиента" in html and "Достижимая доля, %" in html
    assert "Tender plan 1" in html


@pytest.mark.parametrize(
    ("language", "amount", "share"),
    [("en", "1,000,000.00", "20.00"), ("ru", "1\xa0000\xa0000,00", "20,00")],
)
def test_amounts_in_the_history_tab_are_written_as_the_reader_writes_them(
    world, login_in, language, amount, share
):
    _dossier_edits(world, rounds=1)
    page = login_in(world.kam, language).get(reverse("clients:history", args=[world.own.pk]))
    html = page.content.decode()
    assert f": {amount}" in html and f": {share}" in html
    assert "1000000.00" not in html


def test_the_history_tab_is_404_for_an_outsider_also_with_dossier_edits(world, login):
    _dossier_edits(world, rounds=1)
    response = login(world.outsider).get(reverse("clients:history", args=[world.own.pk]))
    assert response.status_code == 404


def test_dossier_edits_cost_no_query_per_edit(world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world.kam)
    url = reverse("clients:history", args=[world.own.pk])
    _dossier_edits(world, rounds=1)
    client.get(url)  # warm: session, user
    with CaptureQueriesContext(connection) as few:
        short = client.get(url)
    _dossier_edits(world, rounds=5)
    with CaptureQueriesContext(connection) as many:
        long = client.get(url)
    assert len(long.context["events"]) > len(short.context["events"]) + 10
    assert len(many) == len(few)
