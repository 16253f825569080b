"""Two people editing one client in two real browsers, and a group of companies as a KAM sees it
(issue 8, defects 2 and 3). Set KAM_SCREENSHOTS=<dir> to keep screenshots of both languages."""

import os
from pathlib import Path

import pytest

from kam.clients.models import Client
from kam.core.models import Role

from ..factories import make_client, make_user
from .conftest import CHROMIUM  # noqa: F401  (the browser fixtures need it installed)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    folder = os.environ.get("KAM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def browser_as(browser, live_server, username: str, language: str):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1300, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("#login-submit")
    page.wait_for_url("**/clients/")
    if language == "ru":
        page.click("button[name=language][value=ru]")
        page.wait_for_load_state()
    return context, page


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_second_editor_sees_both_values_and_keeps_theirs_on_purpose(
    language, world, browser, live_server
):
    world.assistant.first_name, world.assistant.last_name = "Ada", "Assistova"
    world.assistant.save()
    url = f"/clients/{world.own.pk}/edit/"
    anna_context, anna = browser_as(browser, live_server, "kam", language)
    ada_context, ada = browser_as(browser, live_server, "assistant", language)
    try:
        anna.goto(url)
        ada.goto(url)
        anna.fill("#id_region", "Ural")
        anna.fill("#id_description", "Long-standing client, buys every month")
        anna.click("form button.btn-primary[type=submit]")
        anna.wait_for_url(f"**/clients/{world.own.pk}/")

        ada.fill("#id_region", "Volga")
        ada.fill("#id_industry", "Cement")
        ada.click("form button.btn-primary[type=submit]")
        panel = ada.locator("#edit-conflict")
        panel.wait_for()
        text = panel.inner_text()
        assert "Ural" in text and "Volga" in text and "Anna Kamova" in text
        # The form holds Anna's description (changed by her alone) and Ada's own values.
        assert ada.input_value("#id_description").startswith("Long-standing client")
        assert ada.input_value("#id_region") == "Volga"
        shot(ada, f"conflict-panel-{language}")

        panel.locator("button[name=edit_resolve]").click()
        ada.wait_for_url(f"**/clients/{world.own.pk}/")
        stored = Client.objects.values("region", "industry", "description").get(pk=world.own.pk)
        assert stored["region"] == "Volga" and stored["industry"] == "Cement"
        assert stored["description"].startswith("Long-standing client")
    finally:
        anna_context.close()
        ada_context.close()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_kam_sees_the_group_without_the_other_companies_names(
    language, world, browser, live_server
):
    rival = make_user("rival", Role.KAM)
    holding = make_client(rival, name="Secret Holding")
    Client.objects.filter(pk=world.own.pk).update(parent=holding)
    make_client(rival, name="Secret Subsidiary", parent=world.own)
    make_client(world.kam, name="Own Sister", parent=holding)
    context, page = browser_as(browser, live_server, "kam", language)
    try:
        page.goto("/clients/")
        listing = page.locator("table").inner_text()
        assert "Secret" not in listing
        shot(page, f"group-list-{language}")
        page.goto(f"/clients/{world.own.pk}/")
        general = page.locator(".dl-kam").first.inner_text()
        assert "Secret" not in page.content()
        assert ("4" in general) and ("2" in general)  # 4 companies, 2 of them the KAM's
        shot(page, f"group-page-{language}")
        page.goto(f"/clients/{world.own.pk}/edit/")
        kept = page.locator("#id_parent option:checked").inner_text()
        assert "Secret" not in kept and kept
        shot(page, f"group-edit-{language}")
    finally:
        context.close()
