"""Jobs that outlive their worker: claiming once, staying invisible while written, the sweeper,
and running an interrupted import again."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from kam.core import jobs
from kam.core.models import WorkerProcess
from kam.imports import staging
from kam.imports.engine import run_import
from kam.imports.models import ImportJob, ImportStatus
from kam.imports.services import import_job_confirm, import_job_retry
from kam.insights.models import AnalyticsRun, RunStatus
from kam.insights.services import read_sales
from kam.sales import services as sales_services
from kam.sales.models import SalesBatch, SalesLine

from .files import csv_bytes, import_file, upload

HEADER = ["Дата", "Код клиента", "Артикул", "Кол-во", "Сумма", "Документ"]
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def sales(world, amounts: list[str]) -> bytes:
    rows = [
        [f"{day:02d}.01.2025", world.own.erp_code, world.product.sku, "1", amount, f"D{day}"]
        for day, amount in enumerate(amounts, start=1)
    ]
    return csv_bytes([HEADER, *rows])


def lines() -> list[tuple]:
    """What readers see: (document, amount), in document order."""
    return sorted((d, a) for d, a in SalesLine.objects.values_list("document_number", "amount"))


@contextmanager
def running_as(name: str):
    """Run jobs in this process as the worker ``name`` (what a worker's Heartbeat sets)."""
    previous, jobs._process_worker = jobs._process_worker, name
    try:
        yield
    finally:
        jobs._process_worker = previous


def dead_worker(name: str, minutes: int = 10) -> WorkerProcess:
    beat = NOW - dt.timedelta(minutes=minutes)
    return WorkerProcess.objects.create(name=name, host="h", pid=1, started_at=beat, beat_at=beat)


def live_worker(name: str) -> WorkerProcess:
    return WorkerProcess.objects.create(name=name, host="h", pid=2, beat_at=NOW)


class Killed(BaseException):
    """The process dies here: nothing after it runs (not even the discard)."""


def die_after_chunks(monkeypatch, chunks: int) -> None:
    """Stage one line a chunk; the process dies before chunk ``chunks + 1``; no discard."""
    staged = []
    real_stage = staging._stage

    def stage(*args):
        if len(staged) == chunks:
            raise Killed
        staged.append(args)
        real_stage(*args)

    monkeypatch.setattr(staging, "_stage", stage)
    monkeypatch.setattr(staging, "FIRST_CHUNK", 1)
    monkeypatch.setattr(staging, "_next_size", lambda size, seconds: 1)
    monkeypatch.setattr(SalesBatch, "discard", lambda self: None)


# --- claiming -------------------------------------------------------------------------------


def test_a_job_another_worker_runs_is_not_claimed_again(world):
    """A retried or duplicated task finds the job running and leaves it alone."""
    job = upload(world.director, "sales", sales(world, ["10"]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, worker="w-other")
    with running_as("w-me"):
        again = run_import(job.pk)
    assert (again.status, again.worker) == (ImportStatus.RUNNING, "w-other")
    assert not SalesLine.every_line.exists()


def test_a_claimed_job_records_its_worker(world):
    job = upload(world.director, "sales", sales(world, ["10"]))
    with running_as("w-me"):
        done = run_import(job.pk)
    assert (done.status, done.worker) == (ImportStatus.SUCCEEDED, "w-me")


# --- invisible until published --------------------------------------------------------------


def test_readers_see_the_old_lines_until_the_last_transaction_publishes(world, monkeypatch):
    import_file(world.director, "sales", sales(world, ["10", "20"]))
    before = lines()
    seen = []
    real_stage = staging._stage

    def stage_and_look(*args):
        # Earlier chunks have committed: a reader (pages, API, recompute) sees none of them.
        seen.append((lines(), read_sales()["amount"].sort().to_list()))
        real_stage(*args)

    monkeypatch.setattr(staging, "_stage", stage_and_look)
    monkeypatch.setattr(staging, "FIRST_CHUNK", 1)
    monkeypatch.setattr(staging, "_next_size", lambda size, seconds: 1)
    job = import_file(world.director, "sales", sales(world, ["10", "25", "30"]))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 1, 1)
    assert len(seen) == 3
    assert all(view == (before, [10.0, 20.0]) for view in seen)
    assert lines() == [("D1", Decimal("10.00")), ("D2", Decimal("25.00")), ("D3", Decimal("30.00"))]
    assert not SalesBatch.objects.exists()
    assert SalesLine.every_line.count() == 3  # the replaced line is gone


def test_the_import_lets_waiting_writers_in_between_its_transactions(world, monkeypatch):
    """SQLite's write lock has no queue: a loop of back-to-back transactions starves a waiting
    writer (4.7 s measured behind transactions of under 0.5 s). The import pauses between two
    of its transactions — outside any, or the pause would hold the lock — and only between."""
    from django.db import connection

    import_file(world.director, "sales", sales(world, ["10", "20", "30"]))
    outside = len(connection.atomic_blocks)  # the test's own transaction
    pauses = []
    pause = lambda: pauses.append(len(connection.atomic_blocks) == outside)  # noqa: E731
    monkeypatch.setattr(staging, "let_waiting_writers_in", pause)
    monkeypatch.setattr("kam.sales.models.let_waiting_writers_in", pause)
    monkeypatch.setattr(staging, "FIRST_CHUNK", 1)
    monkeypatch.setattr(staging, "_next_size", lambda size, seconds: 1)
    monkeypatch.setattr(SalesBatch, "FOLD_CHUNK", 1)
    job = import_file(world.director, "sales", sales(world, ["11", "21", "31", "41"]))
    assert (job.created_count, job.updated_count) == (1, 3)
    # 3 pauses between the 4 chunks; folding the 3 replaced lines one a transaction: a pause
    # after each full chunk, none after the empty last look.
    assert pauses == [True] * 6


def replace_in_batch(batch: SalesBatch, document: str, amount: str) -> None:
    """What a chunk does to one line: the stored one marked replaced, the new one in the batch."""
    old = SalesLine.objects.get(document_number=document)
    SalesLine.every_line.filter(pk=old.pk).update(superseded_by=batch)
    SalesLine.every_line.create(
        date=old.date,
        client=old.client,
        product=old.product,
        quantity=1,
        amount=Decimal(amount),
        document_number=document,
        batch=batch,
    )


def test_a_published_batch_shows_whole_before_it_is_folded(world):
    import_file(world.director, "sales", sales(world, ["10", "20"]))
    batch = SalesBatch.objects.create()
    replace_in_batch(batch, "D2", "99")
    assert lines() == [("D1", Decimal("10.00")), ("D2", Decimal("20.00"))]
    SalesBatch.objects.filter(pk=batch.pk).update(published=True)
    assert lines() == [("D1", Decimal("10.00")), ("D2", Decimal("99.00"))]
    batch.refresh_from_db()
    batch.fold()
    assert lines() == [("D1", Decimal("10.00")), ("D2", Decimal("99.00"))]
    assert SalesLine.every_line.count() == 2


def test_a_hand_made_sales_line_waits_for_an_import_being_written(world):
    SalesBatch.objects.create()
    with pytest.raises(ValidationError, match="being imported right now"):
        sales_services.sales_line_create(
            by=world.director,
            date=dt.date(2025, 1, 1),
            client=world.own,
            product=world.product,
            quantity=Decimal("1"),
            amount=Decimal("1"),
        )


def test_a_second_sales_import_waits_for_the_slot(world, monkeypatch):
    held = SalesBatch.objects.create()
    waits = []

    def wait_once(seconds):
        waits.append(seconds)
        held.delete()  # the other import finishes meanwhile

    monkeypatch.setattr(staging.time, "sleep", wait_once)
    job = import_file(world.director, "sales", sales(world, ["10"]))
    assert job.status == ImportStatus.SUCCEEDED
    assert waits == [staging.SLOT_WAIT]


# --- the sweeper ----------------------------------------------------------------------------


def test_a_job_whose_worker_died_is_interrupted_and_its_lines_undone(world, monkeypatch):
    import_file(world.director, "sales", sales(world, ["10", "20"]))
    before = lines()
    die_after_chunks(monkeypatch, 2)
    job = upload(world.director, "sales", sales(world, ["11", "21", "31"]))
    with running_as("w-dead"), pytest.raises(Killed):
        run_import(job.pk)
    monkeypatch.undo()  # the process is gone; the sweeper runs elsewhere, unpatched
    job.refresh_from_db()
    assert (job.status, job.sales_batch is not None) == (ImportStatus.RUNNING, True)
    assert SalesLine.every_line.count() == 4  # two lines written, two marked replaced
    assert lines() == before
    dead_worker("w-dead")
    live_worker("w-alive")

    assert jobs.sweep(NOW) == 1

    job.refresh_from_db()
    assert job.status == ImportStatus.INTERRUPTED
    assert "stopped" in job.message and "Nothing was saved" in job.message
    assert job.finished_at == NOW
    assert job.sales_batch is None and not SalesBatch.objects.exists()
    assert lines() == before
    assert list(SalesLine.every_line.values_list("superseded_by", flat=True)) == [None, None]
    assert job.can_retry


def test_an_interrupted_import_runs_again_for_its_author(world, monkeypatch):
    job = upload(world.director, "sales", sales(world, ["10", "20"]))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.INTERRUPTED, message="stopped", worker="w-dead"
    )
    job.refresh_from_db()
    with pytest.raises(PermissionDenied):
        import_job_retry(by=world.kam, job=job)
    again = import_job_retry(by=world.director, job=job)  # the immediate backend runs it
    assert (again.status, again.created_count, again.message) == (ImportStatus.SUCCEEDED, 2, "")
    assert len(lines()) == 2
    with pytest.raises(ValidationError, match="cannot be run again"):
        import_job_retry(by=world.director, job=again)


def test_rows_with_errors_are_not_run_again_as_they_are(world):
    job = import_file(world.director, "sales", sales(world, ["lots"]))
    assert job.status == ImportStatus.FAILED and job.error_count
    assert not job.can_retry


def test_the_sweeper_leaves_live_and_in_process_jobs_alone(world):
    live_worker("w-alive")
    dead_worker("w-dead")
    a = upload(world.director, "sales", sales(world, ["10"]))
    b = upload(world.director, "sales", sales(world, ["10"]))
    ImportJob.objects.filter(pk=a.pk).update(status=ImportStatus.RUNNING, worker="w-alive")
    ImportJob.objects.filter(pk=b.pk).update(status=ImportStatus.RUNNING, worker="")
    assert jobs.sweep(NOW) == 0
    assert set(ImportJob.objects.values_list("status", flat=True)) == {ImportStatus.RUNNING}


def test_a_worker_that_stopped_beating_only_just_is_still_alive(world, settings):
    settings.KAM_JOB_STALE_AFTER = 120
    dead_worker("w-slow", minutes=1)
    job = upload(world.director, "sales", sales(world, ["10"]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, worker="w-slow")
    assert jobs.sweep(NOW) == 0
    dead_worker("w-gone", minutes=3)
    ImportJob.objects.filter(pk=job.pk).update(worker="w-gone")
    assert jobs.sweep(NOW) == 1


def test_an_import_that_died_after_publishing_is_folded(world):
    import_file(world.director, "sales", sales(world, ["10", "20"]))
    job = ImportJob.objects.latest("pk")
    batch = SalesBatch.objects.create(published=True)
    ImportJob.objects.filter(pk=job.pk).update(sales_batch=batch, worker="w-dead")
    replace_in_batch(batch, "D2", "77")
    dead_worker("w-dead")
    jobs.sweep(NOW)
    assert not SalesBatch.objects.exists()
    assert lines() == [("D1", Decimal("10.00")), ("D2", Decimal("77.00"))]
    assert SalesLine.every_line.count() == 2


def test_a_recompute_whose_worker_died_is_failed(world):
    dead_worker("w-dead")
    run = AnalyticsRun.objects.create(started_at=NOW, worker="w-dead")
    fresh = AnalyticsRun.objects.create(started_at=NOW, worker="")
    jobs.sweep(NOW)
    run.refresh_from_db()
    fresh.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("The recompute was interrupted")
    assert fresh.status == RunStatus.RUNNING


DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@override_settings(TASKS=DB_TASKS)
def test_tasks_of_a_dead_worker_fail_and_their_queued_import_is_interrupted(world):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    job = upload(world.director, "sales", sales(world, ["10"]))
    import_job_confirm(by=world.director, job=job)
    job.refresh_from_db()
    task = DBTaskResult.objects.get(pk=job.task_id)
    task.claim("w-dead")  # the worker took the task and died before claiming the job
    dead_worker("w-dead")
    jobs.sweep(NOW)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    jobs.sweep(NOW)  # the next sweep sees the task ended and the job still queued
    job.refresh_from_db()
    assert job.status == ImportStatus.INTERRUPTED
    assert job.can_retry


@pytest.mark.django_db
def test_old_worker_rows_are_pruned():
    dead_worker("w-ancient", minutes=60 * 24 * 8)
    jobs.sweep(NOW)
    assert not WorkerProcess.objects.exists()


# --- the page -------------------------------------------------------------------------------


@override_settings(TASKS=DB_TASKS)
def test_the_page_says_when_no_worker_runs_and_when_the_worker_stopped(world, login):
    job = upload(world.director, "sales", sales(world, ["10"]))
    import_job_confirm(by=world.director, job=job)
    page = login(world.director).get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "No background worker is running" in page
    WorkerProcess.objects.create(name="w-quiet", host="h", pid=3, beat_at=timezone.now())
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, worker="w-gone")
    page = login(world.director).get(reverse("imports:progress", args=[job.pk])).content.decode()
    assert "has stopped responding" in page


def test_an_interrupted_job_offers_its_author_a_new_run(world, login):
    job = upload(world.director, "sales", sales(world, ["10"]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.INTERRUPTED, message="stopped")
    url = reverse("imports:detail", args=[job.pk])
    assert "Run the import again" in login(world.director).get(url).content.decode()
    response = login(world.director).post(reverse("imports:retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED
