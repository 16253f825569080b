"""The director sets how many months the recompute holds out for its backtest."""

from kam.core.locking import base_for
from kam.insights.models import AnalyticsRun, AnalyticsSettings
from kam.insights.services import recompute


def _post(client, months, base=None):
    form = {"backtest_months": months}
    if base is not None:
        form["edit_base"] = base
    return client.post("/analytics/settings/", form)


def test_the_default_is_six_months_and_the_director_changes_it_for_the_next_recompute(
    company, login
):
    assert company.run.backtest["as_of"] < company.run.as_of.isoformat()
    director = login(company.world.director)
    page = director.get("/analytics/settings/")
    assert page.status_code == 200 and 'value="6"' in page.content.decode()
    token = base_for(AnalyticsSettings.current(), ["backtest_months"]).token()
    response = _post(director, 3, token)
    assert response.status_code == 302
    assert AnalyticsSettings.current().backtest_months == 3
    run = recompute()
    assert run.backtest["months"] == 3
    html = director.get("/analytics/").content.decode()
    assert "holds out the last 3 months of sales" in html


def test_zero_turns_the_backtest_off_and_more_than_two_years_is_refused(company, login):
    director = login(company.world.director)
    token = base_for(AnalyticsSettings.current(), ["backtest_months"]).token()
    response = _post(director, 25, token)
    assert response.status_code == 400
    assert AnalyticsSettings.current().backtest_months == 6
    assert _post(director, 0, token).status_code == 302
    assert recompute().backtest == {}
    assert AnalyticsRun.objects.first().backtest == {}


def test_a_kam_may_not_change_the_settings(company, login):
    kam = login(company.world.kam)
    assert kam.get("/analytics/settings/").status_code == 403
    assert _post(kam, 2).status_code == 403
    assert AnalyticsSettings.current().backtest_months == 6
