"""A large export as its author meets it: the page follows the worker, then offers the file."""

from pathlib import Path

import pytest

from kam.core.exports import run_export
from kam.core.models import ExportJob, ExportStatus

from ..factories import make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_large_export_shows_its_progress_then_its_download(world, log_in, settings, language):
    settings.KAM_EXPORT_INLINE_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    for number in range(4):
        make_client(world.kam, name=f"Big {number}")
    page = log_in("kam")
    if language == "ru":
        page.click("button[name=language][value=ru]")
        page.wait_for_load_state()
    page.goto("/clients/")
    page.click("a[href*='format=xlsx']")
    page.wait_for_selector("#export-progress .progress")
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.QUEUED and page.url.endswith(job.get_absolute_url())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"export-queued-{language}.png", full_page=True)

    # The worker writes the file; the page, polling, turns into the download.
    run_export(job.pk)
    link = page.locator("#export-progress a[download]")
    link.wait_for()
    page.screenshot(path=SHOTS / f"export-ready-{language}.png", full_page=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == job.filename
    page.goto("/exports/")
    assert job.filename in page.locator("main table").inner_text()
