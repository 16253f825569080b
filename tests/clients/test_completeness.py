import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.clients.completeness import (
    CHECKS,
    Item,
    completeness_for,
    evaluate,
    score_items,
    with_completeness_data,
)
from kam.clients.models import Client, CompetitorPresence, Tender
from kam.core.models import Role
from kam.potential.models import ClientPotential, ClientStrategy

from ..factories import add_member, make_client, make_competitor, make_contact, make_user

TODAY = dt.date(2025, 6, 30)
GENERAL = {
    "industry": "Retail",
    "region": "North",
    "employees": 1200,
    "annual_revenue": Decimal("5000000"),
    "description": "A chain of stores.",
    "history": "Founded 1998.",
    "org_structure": "Head office and 40 stores.",
}


def items(client: Client) -> dict:
    fetched = with_completeness_data(Client.objects.filter(pk=client.pk), TODAY).get()
    return {item.name: item for item in evaluate(fetched, TODAY).items}


def complete_client(owner, **extra) -> Client:
    """A client whose dossier passes every check."""
    client = make_client(owner, **(GENERAL | extra))
    boss = make_contact(
        client,
        full_name="Boss",
        decision_role="decision_maker",
        motivation="Growth",
        bonus_drivers="EBITDA",
        last_contact_on=TODAY - dt.timedelta(days=10),
    )
    make_contact(
        client,
        full_name="Buyer",
        decision_role="economic_buyer",
        motivation="Savings",
        bonus_drivers="Purchase price",
        reports_to=boss,
    )
    make_contact(client, full_name="User", reports_to=boss)
    CompetitorPresence.objects.create(client=client, competitor=make_competitor())
    Tender.objects.create(client=client, date=TODAY, subject="Frame deal", result="won", reason="x")
    add_member(client, make_user(role=Role.MEMBER))
    ClientPotential.objects.create(
        client=client, year=TODAY.year, total_demand=1000, basis="b", achievable_share=50
    )
    ClientStrategy.objects.create(client=client, strategy="Grow north", needs="Fast delivery")
    return client


@pytest.fixture
def kam(db):
    return make_user(role=Role.KAM)


def test_the_weights_add_up_to_100_and_names_are_unique():
    assert sum(check.weight for check in CHECKS) == 100
    assert len({check.name for check in CHECKS}) == len(CHECKS)


def test_a_complete_dossier_scores_100_with_nothing_missing(kam):
    result = completeness_for(Client.objects.filter(pk=complete_client(kam).pk), TODAY)
    (completeness,) = result.values()
    assert completeness.score == 100
    assert completeness.missing == []
    assert [item.name for item in completeness.items] == [check.name for check in CHECKS]


def test_an_empty_dossier_scores_0_and_lists_every_check(kam):
    client = make_client(kam)
    completeness = completeness_for(Client.objects.filter(pk=client.pk), TODAY)[client.pk]
    assert completeness.score == 0
    assert {item.name for item in completeness.missing} == {check.name for check in CHECKS}
    assert all(str(item.message) for item in completeness.missing)


def test_general_data_names_each_missing_field(kam):
    client = complete_client(kam, region="", employees=None, history="  ")
    item = items(client)["general_data"]
    assert not item.passed
    assert str(item.message) == "General data missing: region, employees, history."
    Client.objects.filter(pk=client.pk).update(region="R", employees=0, history="h")
    assert items(client)["general_data"].passed


def test_a_decision_maker_must_be_current(kam):
    client = complete_client(kam)
    client.contacts.filter(full_name="Boss").update(has_left=True)
    assert not items(client)["decision_maker"].passed
    client.contacts.filter(full_name="Boss").update(has_left=False, decision_role="influencer")
    assert not items(client)["decision_maker"].passed
    client.contacts.filter(full_name="Boss").update(decision_role="decision_maker")
    assert items(client)["decision_maker"].passed


def test_motivation_and_bonus_are_needed_for_current_decision_makers_and_buyers(kam):
    client = complete_client(kam)
    client.contacts.filter(full_name="Buyer").update(bonus_drivers="")
    item = items(client)["motivation"]
    assert not item.passed
    assert str(item.message) == "Motivation or bonus drivers not recorded: Buyer."
    client.contacts.filter(full_name="Buyer").update(has_left=True)  # gone: no longer counts
    assert items(client)["motivation"].passed
    make_contact(client, full_name="Gone boss", decision_role="decision_maker", has_left=True)
    assert items(client)["motivation"].passed


def test_motivation_fails_when_nobody_decides(kam):
    client = make_client(kam)
    make_contact(client, decision_role="user", motivation="m", bonus_drivers="b")
    assert not items(client)["motivation"].passed


def test_the_org_chart_needs_three_current_people_reporting_to_one_top(kam):
    client = complete_client(kam)
    assert items(client)["org_chart"].passed
    make_contact(client, full_name="Loose end")
    item = items(client)["org_chart"]
    assert not item.passed
    assert str(item.message) == "Org chart incomplete: no manager recorded for Loose end."
    client.contacts.filter(full_name__in=["Loose end", "User"]).update(has_left=True)
    item = items(client)["org_chart"]
    assert not item.passed
    assert str(item.message) == ("Org chart incomplete: 2 current contacts, at least 3 needed.")


def test_the_last_contact_with_a_decision_maker_must_be_within_90_days(kam):
    client = complete_client(kam)
    boss = client.contacts.filter(full_name="Boss")
    boss.update(last_contact_on=TODAY - dt.timedelta(days=90))
    assert items(client)["recent_contact"].passed
    boss.update(last_contact_on=TODAY - dt.timedelta(days=91))
    assert not items(client)["recent_contact"].passed
    # A recent talk with the buyer does not count; nor does one with a decision maker who left.
    client.contacts.filter(full_name="Buyer").update(last_contact_on=TODAY)
    make_contact(client, decision_role="decision_maker", last_contact_on=TODAY, has_left=True)
    assert not items(client)["recent_contact"].passed
    boss.update(last_contact_on=None)
    assert not items(client)["recent_contact"].passed


def test_at_least_one_competitor(kam):
    client = complete_client(kam)
    assert items(client)["competitors"].passed
    client.competitor_presence.all().delete()
    assert not items(client)["competitors"].passed


def test_tender_history_needs_a_tender_and_a_reason_for_each_decided_one(kam):
    client = complete_client(kam)
    assert items(client)["tenders"].passed
    Tender.objects.create(client=client, date=TODAY, subject="Pending one")
    Tender.objects.create(client=client, date=TODAY, subject="Cancelled", result="cancelled")
    assert items(client)["tenders"].passed
    Tender.objects.create(client=client, date=dt.date(2025, 2, 1), subject="Lost", result="lost")
    item = items(client)["tenders"]
    assert not item.passed
    assert str(item.message) == "Tender history incomplete: no reason for 2025-02-01 Lost."
    client.tenders.all().delete()
    assert str(items(client)["tenders"].message) == (
        "Tender history incomplete: no tender recorded."
    )


def test_a_team_beyond_the_kam_is_an_assistant_or_a_member(kam):
    client = complete_client(kam)
    assert items(client)["team"].passed
    client.team.all().delete()
    assert not items(client)["team"].passed
    Client.objects.filter(pk=client.pk).update(assistant=make_user(role=Role.ASSISTANT))
    assert items(client)["team"].passed


@pytest.mark.parametrize(
    ("weights", "passed", "score"),
    [
        ((20, 15, 15, 10, 10, 10, 10, 10), (1, 0, 0, 0, 0, 0, 0, 0), 20),
        ((20, 15, 15, 10, 10, 10, 10, 10), (1, 1, 1, 0, 0, 0, 0, 1), 60),
        ((1, 1, 1), (1, 1, 0), 66),  # rounded down: 100 only when everything passes
        ((3, 1), (0, 1), 25),
        ((), (), 100),
    ],
)
def test_the_score_is_the_weighted_share_of_passed_checks(weights, passed, score):
    checks = [
        Item(str(n), "label", weight, bool(ok), "", "clients:detail")
        for n, (weight, ok) in enumerate(zip(weights, passed, strict=True))
    ]
    assert score_items(checks) == score


def test_a_partial_dossier_scores_the_weights_of_what_passes(kam):
    client = complete_client(kam)
    client.competitor_presence.all().delete()  # -10
    Client.objects.filter(pk=client.pk).update(industry="")  # -20
    completeness = completeness_for(Client.objects.filter(pk=client.pk), TODAY)[client.pk]
    assert completeness.score == 70
    assert {item.name for item in completeness.missing} == {"competitors", "general_data"}


@pytest.mark.parametrize("count", [1, 20])
def test_scoring_many_clients_takes_three_queries(count, kam, django_assert_num_queries):
    for _ in range(count):
        client = complete_client(kam)
        make_contact(client, full_name="Loose", decision_role="decision_maker")
        Tender.objects.create(client=client, date=TODAY, subject="L", result="lost")
    # the clients with their annotations, their current contacts, their unexplained tenders
    with django_assert_num_queries(3):
        result = completeness_for(Client.objects.all(), TODAY)
        messages = [str(item.message) for c in result.values() for item in c.items]
    assert len(result) == count
    assert all(c.score < 100 for c in result.values())
    assert any(messages)


def test_the_overview_shows_the_card_with_what_is_missing_and_where_to_fix_it(world, login):
    Client.objects.filter(pk=world.own.pk).update(**(GENERAL | {"region": ""}))
    response = login(world.kam).get(reverse("clients:detail", args=[world.own.pk]))
    html = response.content.decode()
    completeness = response.context["completeness"]
    assert 0 < completeness.score < 100
    assert 'id="completeness-card"' in html
    assert "Dossier completeness" in html
    assert f"{completeness.score}%" in html
    assert "General data missing: region." in html
    assert "No competitors recorded." in html
    assert reverse("clients:competitors", args=[world.own.pk]) in html
    assert reverse("clients:edit", args=[world.own.pk]) in html
    # The team member is on the team, so that check passes.
    assert "No assistant or team member besides the KAM." not in html


def test_a_team_member_sees_the_card_without_links_to_forms_they_cannot_open(world, login):
    response = login(world.member).get(reverse("clients:detail", args=[world.own.pk]))
    html = response.content.decode()
    assert 'id="completeness-card"' in html
    assert "General data missing:" in html
    assert reverse("clients:edit", args=[world.own.pk]) not in html
    assert reverse("clients:tenders", args=[world.own.pk]) in html


def test_the_card_speaks_russian(world, login, settings):
    settings.LANGUAGE_CODE = "ru"
    response = login(world.kam).get(
        reverse("clients:detail", args=[world.own.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 200
    assert 'id="completeness-card"' in response.content.decode()
