"""On the demo company the page says how far the forecast models can be trusted (issue 9 §3)."""

import pytest
from django.contrib.auth import get_user_model

from kam.insights.services import recompute

pytestmark = pytest.mark.django_db


def test_the_demo_page_never_calls_an_unusable_fit_fitted_and_backtests_the_last_months(
    small_company, client
):
    run = recompute()
    checks = run.models_json["quality"]
    director = get_user_model().objects.get(username="director")
    director.language = "en"  # rolled back with the test
    director.save(update_fields=["language"])
    client.force_login(director)
    html = client.get("/analytics/").content.decode()
    assert "BG/NBD and Gamma-Gamma fitted" not in html
    if "degenerate" in (checks["bgnbd"]["verdict"], checks["gamma_gamma"]["verdict"]):
        assert "fitted and reliable" not in html and "not usable" in html
    if checks["gamma_gamma"]["verdict"] == "degenerate":
        assert "the client&#x27;s own average purchase" in html
    for name in ("b", "p"):  # no raw parameter on the page
        value = (run.models_json.get("bgnbd") or {}).get(name) or (
            run.models_json.get("gamma_gamma") or {}
        ).get(name)
        if value is not None:
            assert f"{name}={value:.3f}" not in html
    # The last six months are held out: forecasts against what the clients then bought.
    assert run.backtest["holdout_end"] == run.as_of.isoformat()
    assert run.backtest["months"] == 6 and len(run.backtest["deciles"]) == 10
    assert 'id="backtest-totals"' in html
