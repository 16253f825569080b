from pathlib import Path

import pytest

from kam.clients.models import Contact

from ..factories import make_contact, make_product, make_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kam_logs_in_and_sees_only_their_clients(world, log_in):
    page = log_in("kam")
    assert page.locator("#client-table").inner_text().count("Own Client") == 1
    assert "Foreign Client" not in page.content()


def test_a_wrong_password_is_refused_with_a_message(world, page):
    page.goto("/accounts/login/")
    page.fill("#id_username", "kam")
    page.fill("#id_password", "nope")
    page.click("#login-submit")
    assert page.locator(".alert-danger").is_visible()


def test_the_client_list_filters_as_you_type(world, log_in):
    page = log_in("director")
    page.fill("#id_q", "Foreign")
    page.wait_for_function(
        "() => !document.querySelector('#client-table').innerText.includes('Own Client')"
    )
    assert "Foreign Client" in page.locator("#client-table").inner_text()


def test_the_org_chart_is_drawn_on_the_contacts_tab(world, log_in):
    boss = make_contact(world.own, full_name="Irina Boss", influence=5, attitude=2)
    make_contact(world.own, full_name="Oleg Buyer", reports_to=boss, attitude=-1)
    Contact.objects.filter(pk=world.own_contact.pk).update(reports_to=boss)
    page = log_in("kam")
    page.goto(f"/clients/{world.own.pk}/contacts/")
    page.wait_for_selector("#org-chart[data-rendered='1'] canvas")
    box = page.locator("#org-chart canvas").first.bounding_box()
    assert box["width"] > 300 and box["height"] > 300
    Path("var/screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path="var/screenshots/org-chart.png", full_page=True)


def test_the_purchase_chart_is_drawn(world, log_in):
    make_sale(world.own, make_product())
    page = log_in("kam")
    page.goto(f"/clients/{world.own.pk}/purchases/")
    page.wait_for_selector("#purchase-chart[data-rendered='1'] canvas")


def test_switching_to_russian_translates_the_page(world, log_in):
    page = log_in("kam")
    page.click("button[name=language][value=ru]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Клиенты" in page.locator("h1").inner_text()
