import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

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


def test_the_purchase_chart_draws_each_months_amount_and_margin(world, log_in):
    today = timezone.localdate()

    def month(back: int) -> dt.date:
        """The first day of the month ``back`` months before this one."""
        index = today.year * 12 + today.month - 1 - back
        return dt.date(index // 12, index % 12 + 1, 1)

    product = make_product()
    sales = [
        (world.own, month(0), "250.00", "150.00"),
        (world.own, month(5) + dt.timedelta(days=9), "1000.00", "600.00"),
        (world.own, month(5) + dt.timedelta(days=19), "500.00", "300.00"),
        (world.own, month(24), "999.00", "1.00"),  # 25 months ago: outside the chart
        (world.foreign, month(1), "777.00", "7.00"),  # someone else's client
    ]
    for client, day, amount, cost in sales:
        make_sale(client, product, date=day, amount=Decimal(amount), cost=Decimal(cost))

    page = log_in("kam")
    page.goto(f"/clients/{world.own.pk}/purchases/")
    page.wait_for_selector("#purchase-chart[data-rendered='1'] canvas")
    drawn = page.evaluate(
        """() => {
            const option = echarts.getInstanceByDom(document.getElementById('purchase-chart'))
                .getOption();
            return {months: option.xAxis[0].data, amount: option.series[0].data,
                    margin: option.series[1].data};
        }"""
    )

    months = [f"{month(back):%Y-%m}" for back in range(23, -1, -1)]
    assert drawn["months"] == months
    five_ago, this = f"{month(5):%Y-%m}", f"{month(0):%Y-%m}"
    assert dict(zip(months, drawn["amount"], strict=True)) == dict.fromkeys(months, 0) | {
        five_ago: 1500,
        this: 250,
    }
    # A month without sales has no cost, so no margin: the line has a gap there.
    assert dict(zip(months, drawn["margin"], strict=True)) == dict.fromkeys(months) | {
        five_ago: 600,
        this: 100,
    }
    assert "Total: 1,750" in page.locator(".card-body").first.inner_text()
    box = page.locator("#purchase-chart canvas").first.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    Path("var/screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path="var/screenshots/purchase-chart.png", full_page=True)


def test_switching_to_russian_translates_the_page(world, log_in):
    page = log_in("kam")
    page.click("button[name=language][value=ru]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Клиенты" in page.locator("h1").inner_text()
