"""A KAM fills the client's competitive grid in Chromium: too few criteria is refused with the
number, a full grid becomes final and the tab draws the radar with where to act first."""

from pathlib import Path

import pytest

from kam.clients.models import CompetitorPresence
from kam.competition.models import Assessment

from ..factories import make_competitor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_kam_scores_the_grid_and_marks_it_final(world, log_in, language, console_errors):
    rivals = [make_competitor(name="Rival North"), make_competitor(name="Rival South")]
    for rival in rivals:
        CompetitorPresence.objects.create(client=world.own, competitor=rival)
    page = log_in("kam")
    if language == "ru":
        page.click("button[name=language][value=ru]")
        page.wait_for_load_state()
    page.goto(f"/clients/{world.own.pk}/competition/")
    page.click(f"a[href='/clients/{world.own.pk}/competition/new/']")
    page.wait_for_url(f"**/clients/{world.own.pk}/competition/new/")
    page.click("main form button.btn-primary")
    page.wait_for_selector("#grid-table")
    found = Assessment.objects.get(client=world.own)

    # Two built-in criteria removed: marking it final is refused, naming the number, and
    # nothing is written.
    for n in (8, 9):
        page.check(f"#id_row-{n}-DELETE")
    console_errors.allow("400 (Bad Request)")  # the refusal's status
    page.click("button[name=action][value=final]")
    error = page.locator("#errors").inner_text()
    assert "8" in error and "10" in error
    found.refresh_from_db()
    assert not found.is_final and len(found.grid) == 10

    # Kept after all, scored (we trail Rival North on price), reweighted: final.
    for n in (8, 9):
        page.uncheck(f"#id_row-{n}-DELETE")
    for n in range(10):
        page.select_option(f"#id_row-{n}-us", "4")
        page.select_option(f"#id_row-{n}-c{rivals[0].pk}", "5" if n == 0 else "3")
        page.select_option(f"#id_row-{n}-c{rivals[1].pk}", "2")
    page.fill("#id_row-0-weight", "40")
    page.click("button[name=action][value=final]")
    page.wait_for_selector("#competition-radar[data-rendered='1'] canvas")
    found.refresh_from_db()
    assert found.is_final and len(found.grid) == 10
    assert found.grid[0]["weight"] == "40" and found.grid[0]["them"][str(rivals[0].pk)] == 5
    gaps = page.locator("#gaps").inner_text()
    assert "Rival North" in gaps and ("Price" in gaps or "Цена" in gaps)
    totals = page.locator("#totals").inner_text()
    assert "Rival South" in totals
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"competition-{language}.png", full_page=True)
