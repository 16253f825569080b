import io
import json

import polars as pl

from kam.insights.models import AnalyticsRun
from tests.factories import make_client

from .conftest import snapshot


def chart_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="analytics-data" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def cell(data, abc, xyz) -> int:
    return next(c["clients"] for c in data["cells"] if c["abc"] == abc and c["xyz"] == xyz)


def test_a_kam_counts_only_their_clients_in_the_matrix_while_classes_stay_company_wide(
    company, login
):
    w = company.world
    response = login(w.kam).get("/analytics/")
    assert response.status_code == 200
    data = chart_data(response)
    assert sum(c["clients"] for c in data["cells"]) == 2
    assert cell(data, "C", "X") == 2 and cell(data, "A", "X") == 0
    html = response.content.decode()
    assert "Big Foreign" not in html and "Foreign Client" not in html
    assert "Recompute now" not in html


def test_the_director_counts_every_client_and_sees_the_models_and_the_recompute_button(
    company, login
):
    response = login(company.world.director).get("/analytics/")
    data = chart_data(response)
    assert cell(data, "A", "X") == 2 and cell(data, "C", "X") == 2
    html = response.content.decode()
    assert "Recompute now" in html and "Forecast models and backtest" in html
    assert data["pareto"] == company.run.pareto


def test_a_kams_pareto_curve_is_their_own_portfolio(company, login):
    data = chart_data(login(company.world.kam).get("/analytics/"))
    # Two clients worth 100 and 50 a month: the first brings two thirds of the value.
    assert data["pareto"] == [[0.0, 0.0], [0.5, 0.666667], [1.0, 1.0]]


def test_the_at_risk_list_shows_visible_clients_by_value_with_reasons(world, login):
    lost = {"risk": "lost", "rhythm_flag": "lost", "typical_gap_days": 20.0}
    snapshot(world.own, silence_days=200, p_alive=0.05, value=500, **lost)
    second = make_client(world.kam, name="Second Own")
    snapshot(
        second,
        risk="at_risk",
        rhythm_flag="at_risk",
        silence_days=45,
        typical_gap_days=14.0,
        value=900,
    )
    snapshot(world.foreign, silence_days=300, **lost)
    html = login(world.kam).get("/analytics/").content.decode()
    table = html[html.index('id="at-risk"') :]
    assert table.index("Second Own") < table.index("Own Client")
    assert "No purchase for 200 days; usually every 20 days (10.0× the usual gap)" in table
    assert "probability alive 5 %" in table
    assert "No purchase for 45 days" in table
    assert "Foreign" not in table and "300 days" not in table


def test_the_export_holds_only_visible_rows(company, login):
    response = login(company.world.kam).get("/analytics/export/")
    assert response.status_code == 200
    frame = pl.read_excel(io.BytesIO(response.content))
    assert sorted(frame["Name"].to_list()) == ["Own Client", "Own Small"]
    assert set(frame["ABC"].to_list()) == {"C"}


def test_only_the_director_recomputes_and_it_runs_the_task(company, login):
    assert login(company.world.kam).post("/analytics/recompute/").status_code == 403
    response = login(company.world.director).post("/analytics/recompute/")
    assert response.status_code == 302
    assert AnalyticsRun.objects.count() == 2
    assert AnalyticsRun.objects.first().triggered_by == company.world.director


def test_the_page_says_not_computed_yet_before_any_run(world, login):
    html = login(world.kam).get("/analytics/").content.decode()
    assert "Not computed yet" in html


def test_the_overview_queries_are_bounded(company, login, django_assert_max_num_queries):
    for n in range(20):
        snapshot(make_client(company.world.kam, name=f"Extra {n}"), risk="lost", value=n)
    client = login(company.world.kam)
    with django_assert_max_num_queries(12):
        assert client.get("/analytics/").status_code == 200


def test_the_overview_in_russian_names_segments_in_russian(company, login):
    client = login(company.world.director)
    client.cookies["django_language"] = "ru"
    data = chart_data(client.get("/analytics/", HTTP_ACCEPT_LANGUAGE="ru"))
    segments = {c["segment"] for c in data["rfm"]}
    assert "Чемпионы" in segments
