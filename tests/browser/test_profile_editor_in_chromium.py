"""The profile editor in a browser: each weight's share of the score follows the typing."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_shares_follow_the_weights_as_they_are_typed(world, log_in):
    page = log_in("director")
    page.goto("/key-clients/profile/")
    rows = page.locator("#id_c-0-weight").locator("xpath=ancestor::tr")
    assert rows.locator("[data-share]").inner_text() == "20.0 %"  # the default profile
    for i in range(1, 13):
        page.fill(f"#id_c-{i}-weight", "0")
    page.fill("#id_c-0-weight", "3")
    page.fill("#id_c-1-weight", "1")
    assert rows.locator("[data-share]").inner_text() == "75.0 %"
    margin = page.locator("#id_c-1-weight").locator("xpath=ancestor::tr")
    assert margin.locator("[data-share]").inner_text() == "25.0 %"
    growth = page.locator("#id_c-2-weight").locator("xpath=ancestor::tr")
    assert growth.locator("[data-share]").inner_text() == "—"
    assert page.locator("#share-total").inner_text() == "100 %"
    for i in range(13):
        page.fill(f"#id_c-{i}-weight", "0")
    assert page.locator("#share-total").inner_text() == "—"
