"""/api/key-profile and /api/scores: the profile and its versions, preview and save (director),
the stored scorings under the access rule, a client's score history, rescoring (R1, R3, R4)."""

import datetime as dt
from decimal import Decimal

import pytest

from kam.keyprofile import services
from kam.keyprofile.models import KeyProfile, ScoringRun
from kam.keyprofile.services import CriterionSpec
from tests.factories import make_client, make_sale

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 31)
REVENUE_ONLY = {"criteria": [{"metric": "revenue", "weight": 1}], "note": "Revenue"}


def sell(client, product, amount, day=DAY):
    make_sale(client, product, amount=Decimal(amount), cost=Decimal(0), date=day)


def test_everyone_reads_the_active_profile_with_labelled_criteria(world, api):
    body = api(world.member).get("/api/key-profile").json()
    assert body["version"] == 1 and body["is_active"] is True
    revenue = next(c for c in body["criteria"] if c["metric"] == "revenue")
    assert revenue["label"] == "Revenue, last 12 months"
    assert revenue["normalisation"] == "percentile" and revenue["bands"] == []
    # weights as shares of the score: they add up to 100 %
    assert revenue["weight_percent"] == pytest.approx(20.0)
    assert sum(c["weight_percent"] for c in body["criteria"]) == pytest.approx(100.0)


def test_a_criterion_without_normalisation_gets_the_metric_default(world, api):
    criteria = [{"metric": "revenue", "weight": 3}, {"metric": "growth", "weight": 1}]
    response = api(world.director).post("/api/key-profile/versions", {"criteria": criteria})
    assert response.status_code == 201, response.content
    saved = {c["metric"]: c for c in response.json()["criteria"]}
    assert saved["revenue"]["normalisation"] == "percentile"
    assert saved["growth"]["normalisation"] == "minmax"
    assert (saved["revenue"]["weight_percent"], saved["growth"]["weight_percent"]) == (75.0, 25.0)


def test_the_director_previews_then_saves_a_version_and_everyone_is_rescored(world, api):
    sell(world.own, world.product, "1000")
    sell(world.foreign, world.product, "100")
    director = api(world.director)
    preview = director.post("/api/key-profile/preview", REVENUE_ONLY)
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert set(body) == {"n", "entering", "leaving", "median_before", "median_after", "rows"}
    assert [r["client"]["name"] for r in body["rows"]][:1] == [world.own.name]
    assert body["rows"][0]["score_after"] == pytest.approx(100.0)
    assert KeyProfile.objects.count() == 1  # a preview saves nothing
    saved = director.post("/api/key-profile/versions", REVENUE_ONLY)
    assert saved.status_code == 201, saved.content
    assert saved.json()["version"] == 2
    assert saved.json()["created_by"]["id"] == world.director.pk
    assert ScoringRun.objects.get().profile.version == 2
    versions = director.get("/api/key-profile/versions").json()
    assert [v["version"] for v in versions["items"]] == [2, 1]


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ([{"metric": "revenue", "weight": 0}], "criteria"),
        ([{"metric": "revenue", "weight": 1}, {"metric": "revenue", "weight": 2}], "criteria"),
        ([{"metric": "fame", "weight": 1}], "criteria.0.metric"),
        ([{"metric": "revenue", "weight": -1}], "criteria.0.weight"),
        ([{"metric": "revenue", "weight": 1, "bands": [10, 5]}], "criteria.0.bands"),
        ([{"metric": "revenue", "weight": 1, "normalisation": "bands"}], "criteria"),
        ([], "criteria"),
        ([{"metric": "revenue", "weight": 1000}], "criteria.0.weight"),
        ([{"metric": "revenue", "weight": 999.9999999999999}], "criteria.0.weight"),
        ([{"metric": "revenue", "weight": 1, "min_value": 1e300}], "criteria.0.min_value"),
        ([{"metric": "revenue", "weight": 1, "bands": [-1e300]}], "criteria.0.bands.0"),
        ([{"metric": "revenue", "weight": 1, "bands": list(range(21))}], "criteria.0.bands"),
    ],
)
def test_a_bad_profile_is_a_422_naming_the_field(criteria, field, world, api):
    response = api(world.director).post("/api/key-profile/versions", {"criteria": criteria})
    assert response.status_code == 422, response.content
    assert field in [error["field"] for error in response.json()["detail"]]
    assert KeyProfile.objects.count() <= 1


def test_a_weight_and_threshold_at_the_edge_are_stored_as_the_columns_hold_them(world, api):
    """The bounds in the schema are the columns': 999.999 is the largest weight DECIMAL(6, 3)
    holds (1000 or 999.9999 were saved, rounded to 1000.000, and could not be read back: a
    server error on every rescore after), ±10^15 the widest threshold."""
    criteria = [{"metric": "revenue", "weight": 999.999, "min_value": -1e15}]
    response = api(world.director).post("/api/key-profile/versions", {"criteria": criteria})
    assert response.status_code == 201, response.content
    stored = KeyProfile.objects.get(is_active=True).criteria.get()
    assert (stored.weight, stored.min_value) == (Decimal("999.999"), Decimal("-1E+15"))


def test_only_the_director_changes_the_profile(world, api):
    for path in ("/api/key-profile/preview", "/api/key-profile/versions"):
        assert api(world.kam).post(path, REVENUE_ONLY).status_code == 403


def test_scores_list_the_visible_clients_by_company_wide_rank(world, api):
    sell(world.own, world.product, "100")
    sell(world.foreign, world.product, "1000")
    services.save_version(by=world.director, criteria=[CriterionSpec("revenue", 1)])
    services.rescore()
    items = api(world.kam).get("/api/scores").json()["items"]
    assert [(i["client"]["name"], i["rank"]) for i in items] == [("Own Client", 2)]
    item = items[0]
    assert item["rank_change"] == 0 and item["previous_rank"] == 2
    assert item["contributions"] == {"revenue": 0.0}
    assert item["values"]["revenue"] == 100.0
    assert item["owner"]["id"] == world.kam.pk and item["candidate"] is True


def test_scores_filter_by_key_candidacy_owner_and_movement(world, api):
    other = make_client(world.kam, name="Climber")
    sell(world.own, world.product, "900")
    sell(other, world.product, "100")
    services.rescore()
    sell(other, world.product, "5000", day=DAY - dt.timedelta(days=10))
    services.rescore()
    kam = api(world.kam)

    def names(**params):
        response = kam.get("/api/scores", params)
        assert response.status_code == 200, response.content
        return [i["client"]["name"] for i in response.json()["items"]]

    assert names(movement="up") == ["Climber"]
    assert names(movement="down") == ["Own Client"]
    assert names(key="false") == ["Climber"]
    assert names(key="true") == ["Own Client"]
    assert names(owner=world.outsider.pk) == []
    assert kam.get("/api/scores", {"movement": "sideways"}).status_code == 422


def test_a_clients_score_history_is_newest_first_and_hidden_from_outsiders(world, api):
    sell(world.own, world.product, "100")
    first = services.rescore()
    second = services.rescore()
    history = api(world.member).get(f"/api/clients/{world.own.pk}/scores").json()
    assert [h["run"]["id"] for h in history] == [second.pk, first.pk]
    assert history[0]["run"]["profile_version"] == 1
    assert api(world.outsider).get(f"/api/clients/{world.own.pk}/scores").status_code == 404


def test_the_latest_scoring_is_a_404_before_the_first(world, api):
    assert api(world.kam).get("/api/scores/runs/latest").status_code == 404
    services.rescore()
    assert api(world.kam).get("/api/scores/runs/latest").json()["trigger"] == "manual"


def test_kams_rescore_assistants_may_not(world, api):
    response = api(world.kam).post("/api/scores/rescore")
    assert response.status_code == 201
    assert response.json()["created_by"]["id"] == world.kam.pk
    assert api(world.assistant).post("/api/scores/rescore").status_code == 403


def test_the_score_list_costs_a_fixed_number_of_queries(world, api, django_assert_max_num_queries):
    for i in range(30):
        sell(make_client(world.kam, name=f"Client {i:02}"), world.product, str(10 + i))
    services.rescore()
    kam = api(world.kam)
    with django_assert_max_num_queries(8):
        response = kam.get("/api/scores")
    assert response.json()["count"] == 31
