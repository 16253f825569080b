import io

import openpyxl
import pytest
from django.utils.translation import gettext, override

from kam.imports import bulk, engine
from kam.imports.engine import Tracker, error_report, run_import
from kam.imports.models import ImportJob, ImportPhase, ImportStatus
from kam.imports.spreadsheets import write_errors
from kam.sales.models import SalesLine

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
        (ImportPhase.WRITING, 0, 3),
        (ImportPhase.WRITING, 3, 3),
    ]


def test_the_tracker_writes_progress_to_the_job_but_not_inside_the_transaction(world):
    job = upload(world.director, "sales", sales(world, 1))
    tracker = Tracker(job.pk)
    tracker(ImportPhase.CHECKING, 10, 40)
    job.refresh_from_db()
    assert (job.phase, job.processed_rows, job.total_rows, job.percent) == ("checking", 10, 40, 25)
    tracker.in_transaction = True
    tracker(ImportPhase.WRITING, 40, 40)
    job.refresh_from_db()
    assert job.phase == "checking"


def test_a_job_is_imported_once_however_often_it_is_run(world):
    job = upload(world.director, "sales", sales(world, 2))
    assert run_import(job.pk).status == ImportStatus.SUCCEEDED
    again = run_import(job.pk)
    assert (again.status, again.created_count) == (ImportStatus.SUCCEEDED, 2)
    assert SalesLine.objects.count() == 2


def test_an_error_while_writing_rolls_everything_back(world, monkeypatch):
    def write_then_fail(*args, **kwargs):
        real_upsert(*args, **kwargs)
        raise RuntimeError("disk full")

    real_upsert = bulk.upsert
    monkeypatch.setattr(bulk, "upsert", write_then_fail)
    job = import_file(world.director, "sales", sales(world, 2))
    assert job.status == ImportStatus.FAILED
    assert job.message == "The import stopped on an unexpected error; nothing was saved."
    assert SalesLine.objects.count() == 0


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
    assert (job.finished_at - job.started_at).total_seconds() < 30
    assert ImportJob.objects.get().status == ImportStatus.SUCCEEDED


def test_a_formula_in_a_bad_cell_stays_inert_text_in_the_error_report(world):
    job = import_file(world.director, "sales", sales(world, 1, amount='=HYPERLINK("http://x","y")'))
    buffer = io.BytesIO()
    write_errors(error_report(job), buffer)
    book = openpyxl.load_workbook(buffer)
    value = book.active.cell(row=2, column=3)
    assert value.data_type == "s"
    assert value.value == '\'=HYPERLINK("http://x","y")'
