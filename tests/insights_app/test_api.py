from .conftest import snapshot


def test_the_api_lists_visible_snapshots_with_company_wide_classes(company, api):
    w = company.world
    body = api(w.kam).get("/api/analytics/clients").json()
    assert body["count"] == 2
    assert {i["client"]["name"] for i in body["items"]} == {"Own Client", "Own Small"}
    assert {i["abc"] for i in body["items"]} == {"C"}
    everyone = api(w.director).get("/api/analytics/clients", {"abc": "A"}).json()
    assert {i["client"]["name"] for i in everyone["items"]} == {"Foreign Client", "Big Foreign"}


def test_the_api_filters_and_paginates(world, api):
    snapshot(world.own, risk="lost", rfm_segment="lost")
    snapshot(world.foreign, risk="lost")
    body = api(world.director).get("/api/analytics/clients", {"risk": "lost", "limit": 1}).json()
    assert body["count"] == 2 and len(body["items"]) == 1
    body = api(world.kam).get("/api/analytics/clients", {"rfm_segment": "lost"}).json()
    assert [i["client"]["id"] for i in body["items"]] == [world.own.pk]
    assert body["items"][0]["rfm_segment_label"] == "Lost"
    assert api(world.kam).get("/api/analytics/clients", {"abc": "Q"}).status_code == 422


def test_a_foreign_clients_analytics_is_a_404(company, api):
    w = company.world
    assert api(w.outsider).get(f"/api/analytics/clients/{w.own.pk}").status_code == 404
    response = api(w.kam).get(f"/api/analytics/clients/{w.own.pk}")
    assert response.status_code == 200
    # The window is Dec 2024 – Nov 2025 (complete months up to the as-of date, 15 Dec 2025).
    assert response.json()["abc"] == "C" and response.json()["value"] == "1100.00"


def test_the_latest_run_names_no_client(company, api):
    response = api(company.world.kam).get("/api/analytics/runs/latest")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded" and body["clients"] == 4
    for name in ("Own Client", "Foreign Client", "Big Foreign"):
        assert name not in response.content.decode()


def test_no_run_yet_is_a_404(world, api):
    assert api(world.kam).get("/api/analytics/runs/latest").status_code == 404
