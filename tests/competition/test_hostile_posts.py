"""What a browser (or anyone) may post to the competition pages: every hostile value answers
400 with the form, or saves what is valid — never a server error."""

import pytest
from django.urls import reverse

from kam.clients.models import CompetitorPresence
from kam.competition import services

from ..factories import make_competitor

CASES = [
    {"row-TOTAL_FORMS": "100000"},
    {"row-TOTAL_FORMS": "abc"},
    {"version": "abc"},
    {"version": "-5"},
    {"assessed_on": "2999-01-01"},
    {"assessed_on": "31.02.2026"},
    {"competitors": "999999"},
    {"competitors": "abc"},
    {"row-0-weight": "1e400"},
    {"row-0-weight": "NaN"},
    {"row-0-weight": "-1"},
    {"row-0-us": "7"},
    {"row-0-name": "x" * 5000},
    {"row-0-source": "bogus"},
    {"row-0-key": "'; drop table"},
    {"row-0-c1": "9"},
    {"action": "final"},
]


@pytest.mark.parametrize("case", CASES)
def test_the_grid_page_answers_hostile_posts(case, world, login):
    rival = make_competitor(name="R")
    CompetitorPresence.objects.create(client=world.own, competitor=rival)
    a = services.assessment_create(by=world.kam, client=world.own)
    data = {
        "assessed_on": a.assessed_on.isoformat(),
        "version": a.version,
        "competitors": rival.pk,
        "row-TOTAL_FORMS": "1",
        "row-INITIAL_FORMS": "1",
        "row-MIN_NUM_FORMS": "0",
        "row-MAX_NUM_FORMS": "40",
        "row-0-key": "price",
        "row-0-name": "Price",
        "row-0-weight": "10",
        "row-0-source": "client",
        "row-0-us": "3",
        f"row-0-c{rival.pk}": "4",
        "action": "draft",
    } | case
    r = login(world.kam).post(reverse("competition:edit", args=[a.pk]), data)
    assert r.status_code in (302, 400), r.status_code


SPEND = [
    {"spend-0-share": "1e400"},
    {"spend-0-share": "NaN"},
    {"spend-0-holder": "x"},
    {"spend-0-competitor": "abc"},
    {"spend-0-competitor": "99999"},
    {"spend-TOTAL_FORMS": "9999"},
    {"spend-0-category": "y" * 500},
]


@pytest.mark.parametrize("case", SPEND)
def test_the_spend_page_answers_hostile_posts(case, world, login):
    data = {
        "spend-TOTAL_FORMS": "1",
        "spend-INITIAL_FORMS": "0",
        "spend-MIN_NUM_FORMS": "0",
        "spend-MAX_NUM_FORMS": "60",
        "spend-0-category": "Pipes",
        "spend-0-holder": "us",
    } | case
    r = login(world.kam).post(reverse("competition:spend", args=[world.own.pk]), data)
    assert r.status_code in (302, 400), r.status_code


CRIT = [
    {"criterion-TOTAL_FORMS": "99999"},
    {"criterion-0-weight": "Infinity"},
    {"criterion-0-id": "abc"},
    {"criterion-0-id": "99999"},
]


@pytest.mark.parametrize("case", CRIT)
def test_the_criteria_page_answers_hostile_posts(case, world, login):
    data = {
        "criterion-TOTAL_FORMS": "1",
        "criterion-INITIAL_FORMS": "0",
        "criterion-MIN_NUM_FORMS": "0",
        "criterion-MAX_NUM_FORMS": "40",
        "criterion-0-name": "A",
        "criterion-0-weight": "5",
    } | case
    r = login(world.director).post(reverse("competition:criteria"), data)
    assert r.status_code in (302, 400), r.status_code
