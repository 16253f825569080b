"""The profile's normalisation per criterion: Pareto-shaped revenue, the upgrade of stored
profiles, the editor's weight shares and the preview of a normalisation change."""

import datetime as dt
import importlib
from decimal import Decimal

import polars as pl
import pytest
from django.apps import apps
from django.urls import reverse

from kam.analytics import schema as s
from kam.keyprofile import services
from kam.keyprofile.models import KeyProfile, ProfileCriterion
from kam.keyprofile.services import CriterionSpec, score
from tests.factories import make_client, make_sale

#: Revenue of 300 clients falling like a power law: the largest 400 M, the 8th 17.7 M, the
#: median about 0.3 M — the shape of a distributor's client base.
PARETO = [400e6 * rank**-1.5 for rank in range(1, 301)]
#: The profile of the report: revenue 20 points of 100, the rest elsewhere.
PROFILE = [CriterionSpec("revenue", 0.2), CriterionSpec("regularity", 0.8)]


def _pareto_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            s.CLIENT: list(range(1, len(PARETO) + 1)),
            "revenue": PARETO,
            "regularity": [1.0] * len(PARETO),  # an AX-like steady buyer everywhere
        }
    )


def _revenue_points(normalisation: str) -> float:
    specs = [CriterionSpec("revenue", 0.2, normalisation=normalisation), PROFILE[1]]
    eighth = next(r for r in score(_pareto_frame(), specs).rows if r.client_id == 8)
    return eighth.contributions["revenue"]


def test_a_top_decile_client_gets_most_of_the_revenue_points_by_percentile():
    assert PARETO[7] == pytest.approx(17.7e6, rel=0.01)
    # min–max: 17.7 M of a 400 M range is under 1 point of 20 — the reported bunching
    assert _revenue_points("minmax") < 1.0
    # percentile: above 292 of the other 299 clients → 19.5 of 20
    assert _revenue_points("percentile") == pytest.approx(20 * 292 / 299)
    # log scale: between the two
    assert 10.0 < _revenue_points("log") < 20.0


def test_percentile_spreads_the_scores_over_the_range():
    percentile = [CriterionSpec("revenue", 1, normalisation="percentile")]
    scores = [r.score for r in score(_pareto_frame(), percentile).rows]
    minmax = [
        r.score
        for r in score(_pareto_frame(), [CriterionSpec("revenue", 1, normalisation="minmax")]).rows
    ]
    assert sorted(scores)[len(scores) // 2] == pytest.approx(50.0, abs=0.5)
    assert sorted(minmax)[len(minmax) // 2] < 1.0


# --- the upgrade of stored profiles (migration 0003) -------------------------------------------


def _upgrade():
    module = importlib.import_module(
        "kam.keyprofile.migrations.0003_normalisation_percentile_and_log"
    )
    module.money_to_percentile(apps, None)


@pytest.mark.django_db
def test_the_upgrade_saves_money_criteria_on_percentile_as_a_new_version():
    old = KeyProfile.objects.create(version=1, is_active=True, note="ours")
    for metric, normalisation, bands in [
        ("revenue", "minmax", ""),
        ("margin", "bands", "10, 100"),
        ("growth", "minmax", ""),
    ]:
        ProfileCriterion.objects.create(
            profile=old,
            metric=metric,
            weight=Decimal("0.5"),
            normalisation=normalisation,
            bands=bands,
            min_value=Decimal(3) if metric == "growth" else None,
        )
    _upgrade()
    old.refresh_from_db()
    new = KeyProfile.objects.get(is_active=True)
    assert (old.is_active, new.version) == (False, 2)
    assert [(c.metric, c.normalisation, c.bands, c.min_value) for c in new.criteria.all()] == [
        ("revenue", "percentile", "", None),
        ("margin", "bands", "10, 100", None),  # bands stay bands
        ("growth", "minmax", "", Decimal(3)),
    ]
    assert {c.normalisation for c in old.criteria.all()} == {"minmax", "bands"}  # kept
    assert "version 1" in new.note
    _upgrade()  # nothing left to move: no third version
    assert KeyProfile.objects.count() == 2


@pytest.mark.django_db
def test_the_upgrade_leaves_a_fresh_installation_alone():
    _upgrade()
    assert not KeyProfile.objects.exists()


# --- the editor -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_editor_shows_each_weight_as_a_share_adding_to_100(world, login):
    services.save_version(
        by=world.director,
        criteria=[CriterionSpec("revenue", 3), CriterionSpec("growth", 1)],
    )
    page = login(world.director).get(reverse("keyprofile:edit"))
    shares = {form["metric"].value(): share for form, share in page.context["rows"]}
    assert shares["revenue"] == pytest.approx(75.0)
    assert shares["growth"] == pytest.approx(25.0)
    assert shares["margin"] is None
    html = page.content.decode()
    assert "75.0 %" in html and "25.0 %" in html and 'id="share-total">100 %' in html
    assert "Percentile rank" in html and "Log scale" in html


@pytest.mark.django_db
def test_unused_metrics_offer_their_default_normalisation(world, login):
    services.save_version(by=world.director, criteria=[CriterionSpec("growth", 1)])
    page = login(world.director).get(reverse("keyprofile:edit"))
    offered = {
        form["metric"].value(): form["normalisation"].value() for form in page.context["formset"]
    }
    assert offered["revenue"] == "percentile" and offered["tenure"] == "minmax"


@pytest.mark.django_db
def test_the_preview_shows_what_a_normalisation_change_does(world, login):
    """Revenue 1000, 20, 10 (own, foreign, third): min–max gives foreign 1.0 of 100 points,
    percentile 50; the top candidate stays the same, so only the scores show the change."""
    day = dt.date(2025, 3, 31)
    third = make_client(world.outsider, name="Third Client")
    for client, amount in [(world.own, "1000"), (world.foreign, "20"), (third, "10")]:
        make_sale(client, world.product, amount=Decimal(amount), cost=Decimal(0), date=day)
    services.save_version(
        by=world.director, criteria=[CriterionSpec("revenue", 1, normalisation="minmax")]
    )
    body = {
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-0-metric": "revenue",
        "c-0-weight": "1",
        "c-0-normalisation": "percentile",
        "action": "preview",
    }
    page = login(world.director).post(reverse("keyprofile:edit"), body)
    assert page.status_code == 200
    preview = page.context["preview"]
    assert preview.entering == [] and preview.leaving == []
    rows = {r.client.name: r for r in preview.rows}
    foreign = rows[world.foreign.name]
    assert foreign.score_before == pytest.approx(100 / 99)
    assert foreign.score_after == pytest.approx(50.0)
    assert (preview.median_before, preview.median_after) == pytest.approx((100 / 99, 50.0))
    html = page.content.decode()
    assert 'id="preview-rows"' in html and 'id="preview-median"' in html
    assert KeyProfile.objects.get(is_active=True).criteria.get().normalisation == "minmax"
