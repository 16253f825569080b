import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kam.keyprofile import services
from kam.keyprofile.models import KeyProfile
from kam.keyprofile.services import CriterionSpec
from tests.factories import make_client, make_sale

pytestmark = pytest.mark.django_db


def sell(client, product, amount, cost, day=dt.date(2025, 3, 31)):
    make_sale(client, product, amount=Decimal(amount), cost=Decimal(cost), date=day)


#: The default profile as docs/keyprofile.md publishes it (R1, R4); the engine's criteria carry
#: the engine's published defaults (docs/analytics.md: revenue 20 %, margin 20 %, growth 15 %,
#: tenure 10 %, regularity 10 %, potential 10 %, strategic 5 %); purchase days are 5 % here.
PUBLISHED_DEFAULT_PROFILE = {
    "revenue": 0.20,
    "margin": 0.20,
    "growth": 0.15,
    "regularity": 0.10,
    "payment_discipline": 0.05,
    "tenure": 0.10,
    "frequency": 0.05,
    "potential": 0.10,
    "industry_leader": 0.05,
}


def test_default_profile_is_created_once_with_the_published_weights():
    profile = services.active_profile()
    assert services.active_profile() == profile
    assert KeyProfile.objects.count() == 1
    weights = {c.metric: float(c.weight) for c in profile.criteria.all()}
    assert weights == PUBLISHED_DEFAULT_PROFILE
    # money measures by percentile rank, the rest min–max
    normalisation = {c.metric: c.normalisation for c in profile.criteria.all()}
    assert {m for m, n in normalisation.items() if n == "percentile"} == {
        "revenue",
        "margin",
        "potential",
    }
    assert {n for m, n in normalisation.items() if n != "percentile"} == {"minmax"}
    assert all(c.min_value is None for c in profile.criteria.all())


def test_edit_creates_a_new_version_and_keeps_the_old(world):
    first = services.active_profile()
    second = services.save_version(
        by=world.director, criteria=[CriterionSpec("revenue", 1, min_value=5)], note="x"
    )
    first.refresh_from_db()
    assert (first.version, first.is_active) == (1, False)
    assert (second.version, second.is_active) == (2, True)
    assert first.criteria.count() == len(services.DEFAULT_PROFILE)
    assert [(c.metric, c.min_value) for c in second.criteria.all()] == [("revenue", 5)]
    assert services.active_profile() == second


def test_only_the_director_saves(world):
    with pytest.raises(PermissionDenied):
        services.save_version(by=world.kam, criteria=[CriterionSpec("revenue", 1)])


def _market(world):
    """own (key) sells a lot with thin margin; foreign and third sell less with fat margins."""
    third = make_client(world.outsider, name="Third Client")
    sell(world.own, world.product, "1000", "990")
    sell(world.foreign, world.product, "500", "100")
    sell(third, world.product, "100", "10")
    return third


def test_preview_lists_entering_and_leaving(world):
    _market(world)
    services.save_version(by=world.director, criteria=[CriterionSpec("revenue", 1)])
    result = services.preview([CriterionSpec("margin", 1)])
    assert result.n == 1
    assert [c.name for c in result.entering] == ["Foreign Client"]
    assert [c.name for c in result.leaving] == ["Own Client"]


def test_preview_page_then_confirm(world, login):
    _market(world)
    services.save_version(by=world.director, criteria=[CriterionSpec("revenue", 1)])
    body = {
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-0-metric": "margin",
        "c-0-weight": "1",
        "c-0-normalisation": "minmax",
        "note": "Profit first",
    }
    http = login(world.director)
    url = reverse("keyprofile:edit")
    page = http.post(url, body | {"action": "preview"})
    assert page.status_code == 200
    assert page.context["preview"].entering == [world.foreign]
    assert KeyProfile.objects.get(is_active=True).version == 1  # preview saves nothing
    saved = http.post(url, body | {"action": "save"})
    assert saved.status_code == 302
    active = KeyProfile.objects.get(is_active=True)
    assert active.version == 2 and active.note == "Profit first"


def test_bands_need_edges(world, login):
    body = {
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-0-metric": "revenue",
        "c-0-weight": "1",
        "c-0-normalisation": "bands",
        "c-0-bands": "100, 10",
        "action": "save",
    }
    page = login(world.director).post(reverse("keyprofile:edit"), body)
    assert page.status_code == 200
    assert KeyProfile.objects.count() == 1


def test_kam_sees_only_their_rows_but_company_wide_scores(world, login):
    third = _market(world)
    services.save_version(by=world.director, criteria=[CriterionSpec("revenue", 1)])
    page = login(world.kam).get(reverse("keyprofile:list"))
    rows = page.context["rows"]
    assert [row.client for row, *_ in rows] == [world.own]
    assert rows[0][0].rank == 1 and rows[0][0].score == pytest.approx(100.0)
    outsider = login(world.outsider).get(reverse("keyprofile:list")).context["rows"]
    assert [(row.client, row.rank) for row, *_ in outsider] == [
        (world.foreign, 2),
        (third, 3),
    ]
    assert login(world.kam).get(reverse("keyprofile:edit")).status_code == 403


def test_export_has_the_visible_rows(world, login):
    _market(world)
    response = login(world.outsider).get(reverse("keyprofile:export"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    names = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["Foreign Client", "Third Client"]
