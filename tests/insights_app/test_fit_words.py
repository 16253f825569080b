"""The Analytics page words the fit verdict and the backtest; the export keeps the raw figures."""

import io

import polars as pl

from kam.analytics import quality as q
from kam.insights.models import AnalyticsRun

DEGENERATE_MODELS = {
    "bgnbd": {"r": 2.43, "alpha": 4.06, "a": 0.576, "b": 349.8, "log_likelihood": -9936.0},
    "gamma_gamma": {"p": 162754.79, "q": 2.75, "gamma": 2.59, "log_likelihood": -1808.5},
    "model_error": None,
    "time_unit": "week",
    "quality": {
        "verdict": q.DEGENERATE,
        "bgnbd": {
            "verdict": q.DEGENERATE,
            "reasons": ["huge_se:a", "huge_se:b"],
            "source": q.RULE,
            "standard_errors": {"r": 0.12, "alpha": 0.13, "a": 2.13, "b": 2.34},
        },
        "gamma_gamma": {
            "verdict": q.DEGENERATE,
            "reasons": ["at_bound:p"],
            "source": q.OWN_AVERAGE,
            "standard_errors": {"p": 19.3, "q": 0.11, "gamma": 19.3},
        },
    },
}


def _degenerate(run: AnalyticsRun) -> AnalyticsRun:
    run.models_json = DEGENERATE_MODELS
    run.save(update_fields=["models_json"])
    return run


def test_a_degenerate_fit_is_not_called_fitted_and_the_page_names_the_fallbacks(company, login):
    _degenerate(company.run)
    html = login(company.world.director).get("/analytics/").content.decode()
    assert "BG/NBD and Gamma-Gamma fitted" not in html
    assert "not usable: simpler estimates shown" in html
    assert "the client&#x27;s own average purchase" in html
    assert "own pace since its first purchase" in html
    assert "349.8" not in html and "162754" not in html and "162,754" not in html


def test_a_usable_fit_is_shown_as_what_it_means_to_a_kam_not_as_parameters(company, login):
    run = company.run
    run.models_json = {
        **DEGENERATE_MODELS,
        "bgnbd": {"r": 1.0, "alpha": 7.0, "a": 1.0, "b": 9.0},
        "gamma_gamma": {"p": 4.0, "q": 3.0, "gamma": 500.0},
        "quality": {
            "verdict": q.OK,
            "bgnbd": {"verdict": q.OK, "reasons": [], "source": q.MODEL},
            "gamma_gamma": {"verdict": q.OK, "reasons": [], "source": q.MODEL},
        },
    }
    run.save(update_fields=["models_json"])
    html = login(company.world.director).get("/analytics/").content.decode()
    # r / alpha = 1/7 a week: about 7.5 purchases a year; a / (a + b) = 10 %; p gamma / (q - 1).
    assert "a typical one buys about 7.5 times a year" in html
    assert "the chance that a client stops buying is about 10.0 %" in html
    assert "A typical client&#x27;s purchase is about 1,000" in html
    assert "α=" not in html and "r=1" not in html


def test_the_backtest_of_the_held_out_months_is_on_the_page(company, login):
    run = company.run
    assert run.backtest.get("holdout_end") == run.as_of.isoformat()  # the last months held out
    html = login(company.world.director).get("/analytics/").content.decode()
    section = html[html.index('id="backtest"') :]
    assert "No backtest" not in section
    assert 'id="backtest-totals"' in section and "Forecast as a share of actual" in section


def test_the_export_keeps_the_raw_parameters_and_verdicts(company, login):
    _degenerate(company.run)
    response = login(company.world.director).get("/analytics/export/")
    sheet = pl.read_excel(io.BytesIO(response.content), sheet_name="Models")
    values = {(m, p): v for m, p, v in sheet.iter_rows()}
    assert values[("BG/NBD", "b")] == "349.8"
    assert values[("Gamma-Gamma", "p")] == "162754.79"
    assert values[("Gamma-Gamma", "verdict")] == "degenerate"
    assert values[("Gamma-Gamma", "figures from")] == "own_average"


def test_a_kam_gets_no_models_sheet(company, login):
    response = login(company.world.kam).get("/analytics/export/")
    with_sheets = pl.read_excel(io.BytesIO(response.content), sheet_id=0)
    assert list(with_sheets) == ["Analytics"]


def test_the_client_card_says_when_its_figures_come_from_the_fallbacks(world, login):
    from .conftest import snapshot

    snapshot(
        world.own,
        p_alive=0.4,
        silence_days=90,
        typical_gap_days=10.0,
        risk="lost",
        rhythm_flag="lost",
        purchases_source=q.RULE,
        spend_source=q.OWN_AVERAGE,
    )
    html = login(world.kam).get(f"/analytics/clients/{world.own.pk}/").content.decode()
    assert "estimated from the client's own pace" in html
    assert "uses the client's own average purchase" in html
    # The rule's P(alive) does not stand in the reason as if the model had said it.
    assert "No purchase for 90 days" in html and "probability alive 40 %" not in html
