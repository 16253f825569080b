import io

import openpyxl
import pytest
from django.utils.translation import gettext, override

from kam.clients.models import Client
from kam.imports import engine, staging
from kam.imports.engine import JobLost, Tracker, error_report, run_import
from kam.imports.kinds import base
from kam.imports.models import ImportJob, ImportPhase, ImportStatus
from kam.imports.spreadsheets import write_errors
from kam.sales.models import SalesBatch, SalesLine

from .files import csv_bytes, import_file, upload

HEADER = ["Дата", "Код клиента", "Артикул", "Кол-во", "Сумма"]


def sales(world, count: int, amount: str = "1") -> bytes:
    rows = [
        [f"{day:02d}.01.2025", world.own.erp_code, world.product.sku, "1", amount]
        for day in range(1, count + 1)
    ]
    return csv_bytes([HEADER, *rows])


def test_progress_is_reported_phase_by_phase(world):
    job = upload(world.director, "sales", sales(world, 3))
    heard = []
    run_import(job.pk, progress=lambda phase, done, total: heard.append((phase, done, total)))
    assert heard == [
        (ImportPhase.CHECKING, 3, 3),
        (ImportPhase.WRITING, 0, 3),  # preparing
        (ImportPhase.WRITING, 0, 3),  # the fence of the one chunk's transaction
        (ImportPhase.WRITING, 3, 3),  # the fence of the publishing transaction
    ]


def test_the_tracker_writes_progress_to_a_job_it_runs_and_fences_writes(world):
    job = upload(world.director, "sales", sales(world, 1))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, worker="w1")
    tracker = Tracker(job.pk, "w1")
    tracker(ImportPhase.CHECKING, 10, 40)
    job.refresh_from_db()
    assert (job.phase, job.processed_rows, job.total_rows, job.percent) == ("checking", 10, 40, 25)
    tracker.fence(20, 40)
    job.refresh_from_db()
    assert (job.phase, job.processed_rows) == ("writing", 20)
    # The sweeper took the job for dead: this process must stop writing.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.INTERRUPTED)
    with pytest.raises(JobLost):
        tracker.fence(30, 40)
    assert Tracker(job.pk, "another worker")._mine().count() == 0


def test_a_job_is_imported_once_however_often_it_is_run(world):
    job = upload(world.director, "sales", sales(world, 2))
    assert run_import(job.pk).status == ImportStatus.SUCCEEDED
    again = run_import(job.pk)
    assert (again.status, again.created_count) == (ImportStatus.SUCCEEDED, 2)
    assert SalesLine.objects.count() == 2


def test_an_error_after_some_chunks_are_written_leaves_nothing_behind(world, monkeypatch):
    old = import_file(world.director, "sales", sales(world, 2, amount="5"))
    assert old.created_count == 2
    chunks = []

    def stage_then_fail(*args):
        chunks.append(args)
        if len(chunks) == 3:
            raise RuntimeError("disk full")
        real_stage(*args)

    real_stage = staging._stage
    monkeypatch.setattr(staging, "_stage", stage_then_fail)
    monkeypatch.setattr(staging, "FIRST_CHUNK", 1)
    monkeypatch.setattr(staging, "_next_size", lambda size, seconds: 1)
    job = import_file(world.director, "sales", sales(world, 4, amount="7"))
    assert job.status == ImportStatus.FAILED
    assert job.message == "The import stopped on an unexpected error; nothing was saved."
    # Two chunks had committed (both lines changed); all of it was undone.
    assert sorted(SalesLine.every_line.values_list("amount", "superseded_by")) == [
        (5, None),
        (5, None),
    ]
    assert not SalesBatch.objects.exists()
    assert job.sales_batch is None


def test_an_error_while_writing_clients_rolls_everything_back(world, monkeypatch):
    def apply_then_fail(prepared):
        real_apply(prepared)
        raise RuntimeError("disk full")

    real_apply = base.Prepared.apply
    monkeypatch.setattr(base.Prepared, "apply", apply_then_fail)
    before = Client.objects.count()
    job = import_file(
        world.director, "clients", csv_bytes([["Код", "Наименование"], ["N-1", "New"]])
    )
    assert job.status == ImportStatus.FAILED
    assert Client.objects.count() == before
    assert not Client.audit.filter(erp_code="N-1").exists()


def test_only_the_first_errors_are_kept_but_the_report_has_them_all(world, monkeypatch):
    monkeypatch.setattr(engine, "ERRORS_KEPT", 2)
    job = import_file(world.director, "sales", sales(world, 5, amount="lots"))
    assert (job.error_count, len(job.errors)) == (5, 2)
    report = error_report(job)
    assert report["row"].to_list() == [2, 3, 4, 5, 6]
    buffer = io.BytesIO()
    write_errors(report, buffer)
    sheet = openpyxl.load_workbook(buffer, read_only=True).active
    assert len(list(sheet.iter_rows(values_only=True))) == 6


def test_errors_are_written_in_the_language_of_the_importing_user(world):
    world.director.language = "ru"
    world.director.save()
    job = import_file(world.director, "sales", sales(world, 1, amount="lots"))
    with override("ru"):
        assert job.errors[0]["reason"] == gettext("Not a number; write 1 234,50 or 1234.50.")


@pytest.mark.slow
def test_a_hundred_thousand_lines_import_in_seconds(world, tmp_path):
    rows = [
        [
            f"{1 + n % 28:02d}.01.2025",
            world.own.erp_code,
            world.product.sku,
            "1",
            f"{n},00",
            f"D{n}",
        ]
        for n in range(100_000)
    ]
    content = csv_bytes([[*HEADER, "Документ"], *rows])
    job = import_file(world.director, "sales", content)
    assert job.created_count == 100_000
    assert ImportJob.objects.get().status == ImportStatus.SUCCEEDED
    assert SalesLine.objects.count() == 100_000


def test_a_formula_in_a_bad_cell_stays_inert_text_in_the_error_report(world):
    job = import_file(world.director, "sales", sales(world, 1, amount='=HYPERLINK("http://x","y")'))
    buffer = io.BytesIO()
    write_errors(error_report(job), buffer)
    book = openpyxl.load_workbook(buffer)
    value = book.active.cell(row=2, column=3)
    assert value.data_type == "s"
    assert value.value == '\'=HYPERLINK("http://x","y")'
