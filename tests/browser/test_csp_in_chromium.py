"""Every main page works under the Content-Security-Policy, for the director and a KAM, in both
languages: charts draw, HTMX swaps, Swagger UI and the admin run, and Chromium reports no
violation and no console error (the ``page`` fixture fails the test on any)."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from kam.clients.models import CompetitorPresence, Contact, Tender
from kam.insights.services import recompute

from ..factories import make_competitor, make_contact, make_potential, make_product, make_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("var/screenshots")


@pytest.fixture
def company(world):
    """Enough data for every chart and tab to draw something."""
    product = make_product()
    for month in range(1, 13):
        day = dt.date(2025, month, 10)
        make_sale(world.own, product, date=day, amount=Decimal("1000"))
        make_sale(world.foreign, product, date=day, amount=Decimal(str(300 + 50 * month)))
    boss = make_contact(world.own, full_name="Irina Boss", influence=5, attitude=2)
    Contact.objects.filter(pk=world.own_contact.pk).update(reports_to=boss)
    CompetitorPresence.objects.create(client=world.own, competitor=make_competitor())
    Tender.objects.create(client=world.own, date=dt.date(2025, 3, 1), subject="Cement supply")
    make_potential(world.own, "50000", "40")
    recompute()
    return world


def pages(world, persona: str) -> list[str]:
    own = {"pk": world.own.pk}
    names = [
        ("clients:list", {}),
        ("clients:detail", own),
        ("clients:contacts", own),
        ("clients:competitors", own),
        ("clients:tenders", own),
        ("clients:purchases", own),
        ("clients:history", own),
        ("clients:edit", own),
        ("potential:tab", own),
        ("products:list", {}),
        ("portfolio:mine", {}),
        ("keyprofile:list", {}),
        ("insights:overview", {}),
        ("qualification:log", {}),
        ("imports:list", {}),
        ("imports:new", {}),
        ("tokens", {}),
        ("api:openapi-view", {}),
    ]
    if persona == "director":
        names += [
            ("portfolio:load", {}),
            ("keyprofile:edit", {}),
            ("lockouts", {}),
            ("admin:index", {}),
            ("admin:core_user_changelist", {}),
            ("admin:core_user_change", {"object_id": world.kam.pk}),
        ]
    return [reverse(name, kwargs=kwargs) for name, kwargs in names]


ANALYTICS_CHARTS = ("#abc-xyz-chart", "#pareto-chart", "#rfm-chart")


def charts(world) -> dict[str, tuple[str, ...]]:
    """The pages with charts, and their charts."""
    own = {"pk": world.own.pk}
    return {
        reverse("insights:overview"): ANALYTICS_CHARTS,
        reverse("clients:purchases", kwargs=own): ("#purchase-chart",),
        reverse("clients:contacts", kwargs=own): ("#org-chart",),
    }


def hover_charts(page, selectors):
    """Draw each chart and show its tooltip: ECharts writes tooltips as HTML."""
    for selector in selectors:
        page.wait_for_selector(f"{selector}[data-rendered='1'] canvas")
        box = page.locator(f"{selector} canvas").first.bounding_box()
        for fx, fy in ((0.5, 0.5), (0.3, 0.6), (0.7, 0.4)):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(150)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("persona", ["director", "kam"])
def test_the_main_pages_run_under_the_policy(company, log_in, console_errors, persona, language):
    page = log_in(persona)
    if language == "ru":
        page.click("button[name=language][value=ru]")
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language
    drawn = charts(company)
    for url in pages(company, persona):
        response = page.goto(url)
        assert response.status < 400, url
        policy = response.headers.get("content-security-policy", "")
        # django-csp writes the directives in no fixed order: compare them as a mapping.
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives.get("script-src") == "'self'", url
        if url in drawn:
            hover_charts(page, drawn[url])
        if url == reverse("api:openapi-view"):
            page.wait_for_selector(".swagger-ui .opblock")
        page.wait_for_load_state("networkidle")
    # HTMX: the client list filters as one types, a request and a swap under the policy.
    page.goto(reverse("clients:list"))
    page.fill("#id_q", "Own")
    page.wait_for_function(
        "() => { const t = document.querySelector('#client-table').innerText;"
        " return t.includes('Own Client') && !t.includes('Foreign Client'); }"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(reverse("insights:overview"))
    hover_charts(page, ANALYTICS_CHARTS)
    page.screenshot(path=SHOTS / f"csp-analytics-{persona}-{language}.png", full_page=True)
    assert not console_errors.unexpected()


def test_a_confirmation_comes_from_the_static_script(company, log_in):
    page = log_in("kam")
    page.goto(reverse("clients:contacts", kwargs={"pk": company.own.pk}))
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator(f"#contact-{company.own_contact.pk} form[data-confirm] button").click()
    page.wait_for_timeout(300)
    assert asked == ["Delete this contact?"]
    assert Contact.objects.filter(pk=company.own_contact.pk).exists()  # dismissed: not deleted


def test_choosing_a_category_filters_the_products(company, log_in):
    make_product(category="Cement")
    page = log_in("kam")
    page.goto(reverse("products:list"))
    page.select_option("select[name=category]", "Cement")
    page.wait_for_url("**category=Cement**")
