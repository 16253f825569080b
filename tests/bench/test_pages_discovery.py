"""bench/pages.py finds every page by itself: a new route cannot escape the benchmark.

Behaviour only (which URLs it would open, with which objects); no timing.
"""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from kam.api import api
from kam.clients.models import CompetitorPresence, Tender
from kam.competition.models import Assessment
from kam.core.models import ApiToken, ExportJob
from kam.imports.models import ImportJob, MappingPreset
from tests.factories import make_competitor, make_potential, make_sale

PAGES = Path(__file__).resolve().parents[2] / "bench" / "pages.py"


@pytest.fixture(scope="module")
def pages():
    spec = importlib.util.spec_from_file_location("bench_pages", PAGES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def every_route() -> set[str]:
    """The URL configuration walked independently of the benchmark (the admin aside)."""
    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            text = prefix + str(entry.pattern)
            if text.startswith(("admin/", "api/")):
                continue
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, text)
            else:
                assert isinstance(entry, URLPattern)
                found.add("/" + text)

    walk(get_resolver().url_patterns, "")
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            if any("GET" in operation.methods for operation in view.operations):
                found.add("/api" + path)
    return found


def test_discovery_covers_every_route_and_can_fill_each_one(pages):
    routes, unfilled = pages.discover()
    assert unfilled == []
    assert {r.route for r in routes} == every_route()
    kinds = {r.route: r.kind for r in routes}
    assert kinds["/clients/export/"] == kinds["/key-clients/export.xlsx"] == "export"
    assert kinds["/portfolio/load/"] == "page" and kinds["/api/clients"] == "api"
    # The pages of background exports are pages (page budgets); their download is an export.
    assert kinds["/exports/"] == kinds["/exports/<id:pk>/"] == "page"
    assert kinds["/exports/<id:pk>/download/"] == "export"


def test_a_route_without_a_rule_is_reported_not_skipped(pages):
    assert pages.fill_rule("id", "pk", None, "no-such-things") is None
    assert pages.fill_rule(None, "mystery", None, "x") is None
    assert pages.fill_rule(None, "", "client_id", "") == "clients.Client"
    assert pages.fill_rule("id", "pk", None, "contacts") == "clients.Contact"


@pytest.mark.django_db
def test_parameters_are_filled_with_objects_each_role_may_see(pages, world):
    big = world.own
    make_sale(big, world.product)
    CompetitorPresence.objects.create(client=big, competitor=make_competitor())
    Tender.objects.create(client=big, date=dt.date(2025, 5, 1), subject="Roof")
    make_potential(big, 1000, 50)
    Assessment.objects.create(client=big, assessed_on=dt.date(2025, 6, 1), status="final")
    draft = Assessment.objects.create(client=big, assessed_on=dt.date(2025, 7, 1))
    ImportJob.objects.create(kind="sales", original_name="a.csv", created_by=world.director)
    MappingPreset.objects.create(kind="sales", name="1C", created_by=world.director)
    ExportJob.objects.create(name="x", title="x", created_by=world.director)
    for user in (world.director, world.kam, world.assistant, world.member, world.outsider):
        ApiToken.issue(user=user, name="bench")
    routes, _ = pages.discover()
    by_route = {r.route: r for r in routes}

    for route in routes:
        url = pages.url_for(route, world.director)
        assert url is not None, route
        assert "<" not in url and "{" not in url
    detail = by_route["/clients/<id:pk>/"]
    assert pages.url_for(detail, world.kam) == f"/clients/{big.pk}/"
    assert pages.url_for(detail, world.member) == f"/clients/{big.pk}/"
    # The outsider owns only the foreign client: never another KAM's.
    assert pages.url_for(detail, world.outsider) == f"/clients/{world.foreign.pk}/"
    contact = by_route["/clients/contacts/<id:pk>/edit/"]
    assert pages.url_for(contact, world.outsider) == (
        f"/clients/contacts/{world.foreign_contact.pk}/edit/"
    )
    # Imports are their author's: a KAM who imported nothing has no import page to open.
    assert pages.url_for(by_route["/imports/<id:pk>/"], world.kam) is None
    assert pages.url_for(by_route["/portfolio/kam/<id:pk>/"], world.kam) == (
        f"/portfolio/kam/{world.kam.pk}/"
    )
    # A draft assessment, so that its edit page is timed (a final one only redirects).
    edit = by_route["/competition/<id:pk>/edit/"]
    assert pages.url_for(edit, world.kam) == f"/competition/{draft.pk}/edit/"


def test_a_page_filling_up_is_not_a_page_growing_with_the_company(pages):
    def at(ms, rows, kind="api"):
        return [{"kind": kind, "route": "/api/x", "role": "member1", "status": 200, "ms": ms,
                 "queries": 5, "rows": rows}]  # fmt: skip

    # 12 rows at 1×, a full page of 100 at 10×: 3.2× the time but less per row
    _, breaches = pages.table([1, 10], {1: at(60, 12), 10: at(190, 100)})
    assert breaches == []
    # the same rows, three times the time: the page grew with the company
    _, breaches = pages.table([1, 10], {1: at(60, 100), 10: at(190, 100)})
    assert breaches == ["/api/x as member1: grows ×3.2 from 1× to 10×"]
    # per row too: 12 rows in 60 ms, 100 rows in 1,900 ms
    _, breaches = pages.table([1, 10], {1: at(60, 12), 10: at(1900, 100)})
    assert "/api/x as member1: grows ×3.8 from 1× to 10×" in breaches
    assert "/api/x as member1: 1900 ms at 10× > 200 ms" in breaches
