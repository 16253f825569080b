"""One rule for the company-wide analytics (kam.core.access.can_see_company_analytics): the
Analytics page and /api/analytics/runs/latest show the whole company's matrix, Pareto curve,
models and backtest to directors only; every other role gets the figures of its own clients."""

import pytest
from django.test import Client as HttpClient

from .test_pages import chart_data

RUN = "/api/analytics/runs/latest"
#: Classified clients each persona may see in the ``company`` fixture (see conftest).
VISIBLE = {"director": 4, "kam": 2, "assistant": 2, "member": 1, "outsider": 2}


def matrix_total(cells) -> int:
    return sum(cell["clients"] for cell in cells)


def test_the_director_gets_the_company_figures_on_both_paths(company, api, login):
    run = company.run
    body = api(company.world.director).get(RUN).json()
    assert body["scope"] == "company"
    assert body["matrix"] == run.matrix and body["pareto"] == run.pareto
    assert body["top20_share"] == run.top20_share
    assert body["models"] == run.models_json and "bgnbd" in body["models"]
    assert body["backtest"] == run.backtest and body["timings"] == run.timings
    page = login(company.world.director).get("/analytics/")
    assert "Forecast models and backtest" in page.content.decode()
    assert "The whole company." in page.content.decode()
    assert chart_data(page)["pareto"] == body["pareto"]


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_everyone_else_gets_their_own_figures_on_both_paths(company, api, login, persona):
    user = getattr(company.world, persona)
    response = api(user).get(RUN)
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "yours"
    assert body["models"] is None and body["backtest"] is None and body["timings"] is None
    assert matrix_total(body["matrix"]) == VISIBLE[persona]
    assert body["matrix"] != company.run.matrix and body["pareto"] != company.run.pareto
    # The status of the run is everyone's, as on the page.
    assert body["status"] == "succeeded" and body["clients"] == 4
    page = login(user).get("/analytics/")
    html = page.content.decode()
    assert "Models and backtest" not in html and "The whole company." not in html
    data = chart_data(page)
    assert data["pareto"] == body["pareto"]
    assert matrix_total(data["cells"]) == matrix_total(body["matrix"])
    shares = {(c["abc"], c["xyz"]): c["value_share"] for c in body["matrix"] if c["clients"]}
    assert shares == {(c["abc"], c["xyz"]): c["value_share"] for c in data["cells"] if c["clients"]}


def test_the_kam_does_not_see_the_outsiders_big_clients_in_the_matrix(company, api):
    body = api(company.world.kam).get(RUN).json()
    a_cells = [c for c in body["matrix"] if c["abc"] == "A"]
    assert matrix_total(a_cells) == 0  # the outsider's two big clients are the company's A
    assert matrix_total(c for c in company.run.matrix if c["abc"] == "A") == 2


def test_anonymous_gets_neither(company):
    anonymous = HttpClient()
    assert anonymous.get(RUN).status_code == 401
    response = anonymous.get("/analytics/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
