import datetime as dt
from decimal import Decimal

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
