"""Exports too large to write during the request: a job written by the worker, with a page
showing its progress and a download link that only its author may open."""

import datetime as dt
import io
import os

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from kam.core import exports
from kam.core.exports import run_export
from kam.core.jobs import Sweep
from kam.core.models import ExportJob, ExportStatus
from kam.insights.services import recompute
from kam.qualification.services import decide_key

from ..factories import make_client, make_potential, make_weekly_sales


@pytest.fixture
def big(settings, world):
    """More of the KAM's clients than an export writes during the request."""
    settings.KAM_EXPORT_INLINE_ROWS = 2
    for number in range(3):
        make_client(world.kam, name=f"Big {number}")
    return world


def workbook(response) -> openpyxl.Workbook:
    body = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(body))


def test_a_large_export_is_written_by_the_worker_and_downloaded_from_its_page(big, login):
    reader = login(big.kam)
    response = reader.get(reverse("clients:export"), HTTP_REFERER="http://testserver/clients/")

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    # The immediate task backend of the tests ran the job at once.
    assert job.status == ExportStatus.SUCCEEDED and job.total_rows == 4
    assert job.filename == f"clients-{timezone.localdate().isoformat()}.xlsx"
    page = reader.get(job.get_absolute_url())
    assert page.status_code == 200
    download = reverse("exports:download", args=[job.pk])
    assert download in page.content.decode() and 'href="/clients/"' in page.content.decode()
    assert job.get_absolute_url() in reader.get(reverse("exports:list")).content.decode()

    file = reader.get(download)
    assert file.status_code == 200
    assert file["Content-Disposition"].startswith(f'attachment; filename="{job.filename}"')
    sheet = workbook(file).active
    names = sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True))
    # The KAM's clients only: the foreign client is not in the file.
    assert names == ["Big 0", "Big 1", "Big 2", "Own Client"]


def test_the_worker_applies_the_page_filters_and_the_authors_language(big, login_in):
    reader = login_in(big.kam, "ru")
    reader.get(reverse("clients:export"), {"q": "Big", "sort": "-name"})

    job = ExportJob.objects.get()
    assert job.language == "ru" and job.title == "Клиенты" and job.total_rows == 3
    sheet = workbook(reader.get(reverse("exports:download", args=[job.pk]))).active
    assert sheet["A1"].value == "Код в ERP"
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Big 2",
        "Big 1",
        "Big 0",
    ]


def test_a_small_export_and_a_csv_are_sent_at_once(big, login, settings):
    reader = login(big.kam)
    csv = reader.get(reverse("clients:export"), {"format": "csv"})  # streamed, any size
    assert csv.status_code == 200 and b"Big 2" in b"".join(csv.streaming_content)
    settings.KAM_EXPORT_INLINE_ROWS = 100
    xlsx = reader.get(reverse("clients:export"))
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == exports.XLSX_TYPE
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "director", "assistant"])
def test_only_the_author_sees_an_export(big, login, who):
    login(big.kam).get(reverse("clients:export"))
    job = ExportJob.objects.get()
    other = login(getattr(big, who))
    for name in ("detail", "progress", "download"):
        assert other.get(reverse(f"exports:{name}", args=[job.pk])).status_code == 404
    assert job.get_absolute_url() not in other.get(reverse("exports:list")).content.decode()


def test_a_second_click_while_it_waits_is_the_same_job(big, login, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    reader = login(big.kam)
    first = reader.get(reverse("clients:export"))
    second = reader.get(reverse("clients:export"))
    assert first["Location"] == second["Location"]
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.QUEUED
    progress = reader.get(reverse("exports:progress", args=[job.pk])).content.decode()
    assert "hx-trigger" in progress and "0 of 4 rows written" in progress
    assert reader.get(reverse("exports:download", args=[job.pk])).status_code == 404

    run_export(job.pk)
    run_export(job.pk)  # a task delivered twice writes the file once
    job.refresh_from_db()
    assert job.status == ExportStatus.SUCCEEDED and job.processed_rows == 4
    done = reader.get(reverse("exports:progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in done and "The file is ready: 4 rows." in done
    # Another filter is another export.
    reader.get(reverse("clients:export"), {"q": "Big"})
    assert ExportJob.objects.count() == 2


def test_a_failure_is_said_on_the_page_and_leaves_no_file(big, login, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_xlsx", broken)
    reader = login(big.kam)
    reader.get(reverse("clients:export"))
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED and not job.file
    assert "The export failed: disk full" in reader.get(job.get_absolute_url()).content.decode()


def test_an_author_deactivated_before_the_worker_runs_gets_no_file(big, login, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    login(big.kam).get(reverse("clients:export"))
    big.kam.is_active = False
    big.kam.save(update_fields=["is_active"])
    job = ExportJob.objects.get()
    run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and not job.file
    assert "no longer active" in job.message


def test_the_sweeper_interrupts_orphans_and_removes_old_files(big, login, settings):
    login(big.kam).get(reverse("clients:export"))
    old = ExportJob.objects.get()
    path = old.file.path
    now = timezone.now()
    ExportJob.objects.filter(pk=old.pk).update(
        created_at=now - dt.timedelta(days=settings.KAM_EXPORT_KEEP_DAYS + 1)
    )
    orphan = ExportJob.objects.create(
        name="x", title="x", created_by=big.kam, status=ExportStatus.RUNNING, worker="gone"
    )
    alive = ExportJob.objects.create(
        name="x", title="x", created_by=big.kam, status=ExportStatus.RUNNING, worker="here"
    )

    assert exports.sweep(Sweep(now=now, alive=frozenset({"here"}))) == 1

    orphan.refresh_from_db()
    alive.refresh_from_db()
    assert orphan.status == ExportStatus.INTERRUPTED and "interrupted" in orphan.message
    assert alive.status == ExportStatus.RUNNING
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not os.path.exists(path)


def test_each_export_of_the_app_goes_to_the_worker_when_large(world, login, settings):
    """Every export view is made by @exporter: none writes a large XLSX inside the request."""
    settings.KAM_EXPORT_INLINE_ROWS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    make_potential(world.own, 1000, 50)
    decide_key(by=world.director, client=world.foreign, is_key=True, reason="Big")
    make_weekly_sales(
        [world.own, world.foreign], world.product, weeks=30, start=dt.date(2025, 1, 6)
    )
    recompute(by=world.director)
    reader = login(world.director)
    views = {
        "clients:export": "kam.clients.views.client_export",
        "portfolio:export": "kam.portfolio.views.export",
        "insights:export": "kam.insights.views.export",
        "keyprofile:export": "kam.keyprofile.views.export",
        "potential:export": "kam.potential.views.potential_export",
        "qualification:log_export": "kam.qualification.views.decision_log_export",
    }
    for url_name, path in views.items():
        response = reader.get(reverse(url_name))
        job = ExportJob.objects.get(name=path)
        assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
        run_export(job.pk)
        job.refresh_from_db()
        assert job.status == ExportStatus.SUCCEEDED, (url_name, job.message)
        assert job.total_rows > 0
