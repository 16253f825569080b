"""Stored scorings: every client scored against the active profile, movement since the previous
scoring, the prioritised list for every role, the rescore button, the export and the score card."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kam.keyprofile import services
from kam.keyprofile.models import ClientScore, ScoringRun, ScoringTrigger
from kam.keyprofile.services import CriterionSpec
from kam.qualification.services import decide_key
from tests.factories import make_client, make_product, make_sale

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 31)


def sell(client, product, amount, day=DAY):
    make_sale(client, product, amount=Decimal(amount), cost=Decimal(0), date=day)


def revenue_only(world):
    return services.save_version(by=world.director, criteria=[CriterionSpec("revenue", 1)])


def scores_of(run):
    return {s.client_id: s for s in ClientScore.objects.filter(run=run)}


def test_a_scoring_stores_every_client_ranked_with_contributions_adding_up(world):
    third = make_client(world.outsider, name="Prospect Without Sales")
    sell(world.own, world.product, "900")
    sell(world.foreign, world.product, "100")
    run = services.rescore(by=world.director)
    rows = scores_of(run)
    assert run.clients == 3 == len(rows)
    assert sorted(s.rank for s in rows.values()) == [1, 2, 3]
    assert rows[world.own.pk].rank == 1 and rows[third.pk].rank == 3
    for s in rows.values():
        assert sum(s.contributions.values()) == pytest.approx(s.score)
        assert s.previous_rank is None and s.rank_change is None  # the first scoring
    assert run.profile == services.active_profile()
    assert run.as_of == DAY


def test_the_next_scoring_shows_who_moved_up_and_down(world):
    sell(world.own, world.product, "900")
    sell(world.foreign, world.product, "100")
    revenue_only(world)
    sell(world.foreign, world.product, "5000", day=DAY - dt.timedelta(days=10))
    run = services.rescore(by=world.kam)
    rows = scores_of(run)
    assert rows[world.foreign.pk].rank == 1
    assert rows[world.foreign.pk].previous_rank == 2
    assert rows[world.foreign.pk].rank_change == 1
    assert rows[world.own.pk].rank_change == -1
    assert rows[world.own.pk].score_change == pytest.approx(-100.0)


def test_saving_a_profile_version_rescores_with_it(world):
    sell(world.own, world.product, "900")
    profile = revenue_only(world)
    run = services.latest_run()
    assert run is not None
    assert (run.profile, run.trigger, run.created_by) == (profile, "profile", world.director)
    assert run.used == ["revenue"]


def test_only_the_newest_scorings_are_kept(world, monkeypatch):
    monkeypatch.setattr(services, "KEEP_RUNS", 2)
    runs = [services.rescore() for _ in range(3)]
    assert list(ScoringRun.objects.order_by("pk")) == runs[1:]
    assert not ClientScore.objects.filter(run_id=runs[0].pk).exists()


def test_rescoring_by_hand_is_for_the_director_and_kams(world):
    for user in (world.assistant, world.member):
        with pytest.raises(PermissionDenied):
            services.rescore(by=user)
    assert services.rescore(by=world.kam).created_by == world.kam


def test_a_scoring_as_of_an_earlier_day_ignores_later_sales(world):
    sell(world.own, world.product, "900", day=dt.date(2025, 1, 10))
    sell(world.foreign, world.product, "100", day=dt.date(2025, 3, 20))
    run = services.rescore(today=dt.date(2025, 2, 28))
    rows = scores_of(run)
    assert run.as_of == dt.date(2025, 2, 28)
    assert rows[world.foreign.pk].values["revenue"] is None  # bought after that day


def test_categories_flags_and_payment_discipline_are_metrics(world):
    pipes = make_product(name="Pipe", category="Pipes")
    valves = make_product(name="Valve", category="Valves")
    sell(world.own, pipes, "100")
    sell(world.own, valves, "100")
    sell(world.own, valves, "100", day=DAY - dt.timedelta(days=500))  # outside the window
    sell(world.foreign, pipes, "100")
    world.own.is_industry_leader = True
    world.own.payment_on_time_pct = Decimal("92.5")
    world.own.save()
    frame = services.metrics_frame()[0].to_dicts()
    values = {row["client_id"]: row for row in frame}
    own, foreign = values[world.own.pk], values[world.foreign.pk]
    assert (own["categories"], foreign["categories"]) == (2.0, 1.0)
    assert (own["industry_leader"], foreign["industry_leader"]) == (1.0, 0.0)
    assert (own["payment_discipline"], foreign["payment_discipline"]) == (92.5, None)


def test_a_flag_threshold_gates_key_candidates(world):
    sell(world.own, world.product, "100")
    sell(world.foreign, world.product, "900")
    world.own.is_reference_customer = True
    world.own.save()
    services.save_version(
        by=world.director,
        criteria=[
            CriterionSpec("revenue", 1),
            CriterionSpec("reference_customer", 0, min_value=1),
        ],
    )
    rows = scores_of(services.latest_run())
    assert rows[world.own.pk].candidate
    assert rows[world.foreign.pk].failures == ["reference_customer"]
    assert rows[world.foreign.pk].rank == 1  # a gate changes candidacy, not the score


# --- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["assistant", "member", "kam"])
def test_every_role_reads_the_list_of_the_clients_it_may_see(persona, world, login):
    sell(world.own, world.product, "900")
    sell(world.foreign, world.product, "100")
    page = login(getattr(world, persona)).get(reverse("keyprofile:list"))
    assert page.status_code == 200
    assert [row.client for row, *_ in page.context["rows"]] == [world.own]
    assert world.foreign.name not in page.content.decode()
    # Only the client's KAM (and the director) decides: no link for the others.
    assert [decides for *_, decides in page.context["rows"]] == [persona == "kam"]


def test_the_first_reader_triggers_the_first_scoring(world, login):
    assert not ScoringRun.objects.exists()
    login(world.kam).get(reverse("keyprofile:list"))
    assert ScoringRun.objects.count() == 1


def test_the_list_shows_movement_and_filters_by_it(world, login):
    revenue_only(world)
    other = make_client(world.kam, name="Climber")
    sell(world.own, world.product, "900")
    sell(other, world.product, "100")
    services.rescore()
    sell(other, world.product, "5000", day=DAY - dt.timedelta(days=10))
    services.rescore()
    http = login(world.kam)
    page = http.get(reverse("keyprofile:list"))
    assert [s.client for s in page.context["moved_up"]] == [other]
    assert [s.client for s in page.context["moved_down"]] == [world.own]
    assert "▲ 2" in page.content.decode()  # from #3 (behind the foreign client) to #1
    up = http.get(reverse("keyprofile:list"), {"movement": "up"}).context["rows"]
    assert [row.client for row, *_ in up] == [other]
    bad = http.get(reverse("keyprofile:list"), {"movement": "sideways", "owner": "x", "page": "z"})
    assert bad.status_code == 200  # bad filters are ignored, not a server error


def test_the_list_costs_the_same_queries_for_many_clients(
    world, login, django_assert_max_num_queries
):
    for i in range(40):
        sell(make_client(world.kam, name=f"Client {i:02}"), world.product, str(100 + i))
    services.rescore()
    http = login(world.kam)
    with django_assert_max_num_queries(20):
        page = http.get(reverse("keyprofile:list"))
    assert len(page.context["rows"]) == 41


def test_the_rescore_button_scores_again(world, login):
    http = login(world.kam)
    response = http.post(reverse("keyprofile:rescore"))
    assert response.status_code == 302
    assert ScoringRun.objects.get().trigger == ScoringTrigger.MANUAL
    assert login(world.assistant).post(reverse("keyprofile:rescore")).status_code == 403
    assert login(world.kam).get(reverse("keyprofile:rescore")).status_code == 405


def test_the_export_has_movement_and_raw_values(world, login):
    revenue_only(world)
    sell(world.own, world.product, "900")
    services.rescore()
    response = login(world.kam).get(reverse("keyprofile:export"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("Rank", "Previous rank", "Places moved", "Client")
    assert "Value: Revenue, last 12 months" in header
    assert [row[3] for row in rows] == ["Own Client"]
    assert rows[0][2] == "0"


def test_the_client_page_explains_the_score(world, login):
    sell(world.own, world.product, "900")
    services.rescore()
    page = login(world.kam).get(reverse("clients:detail", args=[world.own.pk]))
    body = page.content.decode()
    assert "Key-client score" in body and "Why this score" in body


def test_a_key_decision_records_the_profile_score(world):
    revenue_only(world)
    sell(world.own, world.product, "900")
    sell(world.foreign, world.product, "100")
    services.rescore()
    decision = decide_key(by=world.kam, client=world.own, is_key=True, reason="Potential")
    assert decision.score == pytest.approx(100.0)
