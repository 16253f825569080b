"""Imports and workers as real processes (slow; CI runs them on SQLite and on PostgreSQL)."""

import os
import signal
import sqlite3
import threading
import time

import pytest
from django.db import connection

from tests.processes import Site, confirm, retry, sales_file, seed, upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

SQLITE_ONLY = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
POSTGRES_ONLY = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@pytest.fixture
def site(tmp_path):
    site = Site(tmp_path)
    yield site
    output = site.close()
    print(output[-5000:])  # shown when the test fails


def status(site: Site, job: int) -> tuple:
    return site.query(
        "SELECT status, phase, processed_rows, worker, sales_batch_id FROM imports_importjob "
        "WHERE id = %s",
        job,
    )[0]


def visible_lines(site: Site) -> int:
    """Lines readers see (the app's predicate: no unpublished batch's, none replaced)."""
    return site.value(
        "SELECT count(*) FROM sales_salesline WHERE (batch_id IS NULL OR batch_id NOT IN "
        "(SELECT id FROM sales_salesbatch WHERE NOT published)) AND (superseded_by_id IS NULL "
        "OR superseded_by_id IN (SELECT id FROM sales_salesbatch WHERE NOT published))"
    )


def writing(site: Site, job: int):
    """The job is writing and has committed at least one chunk."""
    state, phase, done, worker, batch = status(site, job)
    return state == "running" and phase == "writing" and done > 0 and batch and worker


def pid_of(worker: str) -> int:
    return int(worker.split(":")[1])  # host:pid:random, kam.core.jobs.new_worker_name


def test_a_worker_killed_midway_leaves_nothing_and_the_job_runs_again(site, tmp_path):
    """kill -9 while an import writes: the next worker's sweeper ends it and undoes its lines;
    its author runs it again and it imports once."""
    seed(site)
    first = upload(site, sales_file(tmp_path / "first.csv", 20_000))
    doomed = site.worker()
    site.wait_for(lambda: status(site, first)[0] == "succeeded")
    before = visible_lines(site)
    assert before == 20_000

    job = upload(site, sales_file(tmp_path / "big.csv", 400_000, start=10_000))
    site.wait_for(lambda: writing(site, job))
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()
    # Dead in the middle: the job still says running, its lines are there but unseen.
    assert status(site, job)[0] == "running"
    assert site.value("SELECT count(*) FROM sales_salesline") > before
    assert visible_lines(site) == before

    site.worker()
    site.wait_for(lambda: status(site, job)[0] == "interrupted")
    site.wait_for(lambda: site.value("SELECT count(*) FROM sales_salesbatch") == 0)
    assert site.value("SELECT count(*) FROM sales_salesline") == before
    assert (
        site.value("SELECT count(*) FROM sales_salesline WHERE superseded_by_id IS NOT NULL") == 0
    )
    message = site.value("SELECT message FROM imports_importjob WHERE id = %s", job)
    assert "process running it stopped" in message

    retry(site, job)
    site.wait_for(lambda: status(site, job)[0] == "succeeded")
    created, updated, unchanged = site.query(
        "SELECT created_count, updated_count, unchanged_count FROM imports_importjob WHERE id = %s",
        job,
    )[0]
    assert (created, updated, unchanged) == (390_000, 0, 10_000)
    assert visible_lines(site) == 410_000
    assert site.value("SELECT count(*) FROM sales_salesline") == 410_000


@SQLITE_ONLY
def test_other_users_write_while_a_long_import_runs(site, tmp_path):
    """The probe's defect: during a long import, other writers waited up to 26 s and failed at
    the busy timeout. Here another user writes every 20 ms with a 2 s busy timeout, and reads,
    while 600,000 lines import: no write and no read fails."""
    seed(site)
    path = sales_file(tmp_path / "sales.csv", 600_000)
    failures, waits, done = [], [], threading.Event()

    def other_user():
        db = sqlite3.connect(site.path, timeout=2, isolation_level=None)
        while not done.is_set():
            started = time.perf_counter()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute(
                    "UPDATE core_user SET first_name = ? WHERE username = 'other'", [started]
                )
                db.execute("COMMIT")
                db.execute("SELECT count(*) FROM clients_client").fetchone()
                waits.append(time.perf_counter() - started)
            except sqlite3.OperationalError as error:
                failures.append((str(error), round(time.perf_counter() - started, 2)))
                if db.in_transaction:
                    db.execute("ROLLBACK")
            time.sleep(0.02)
        db.close()

    probe = threading.Thread(target=other_user)
    probe.start()
    try:
        importer = site.start("import", "sales", str(path), "--as", "boss")
        output, _ = importer.communicate(timeout=900)
    finally:
        done.set()
        probe.join()
    assert importer.returncode == 0, output
    assert site.query("SELECT status, created_count FROM imports_importjob") == [
        ("succeeded", 600_000)
    ]
    assert failures == []
    assert len(waits) > 10  # the probe ran throughout
    print(f"other user's longest wait: {max(waits) * 1000:.0f} ms over {len(waits)} writes")


@SQLITE_ONLY
def test_a_worker_outlives_a_locked_database(site, tmp_path):
    """A lock held longer than the busy timeout: the worker waits it out, then imports."""
    seed(site)
    worker = site.start("worker", "--interval", "0.1", KAM_SQLITE_BUSY_TIMEOUT="0.2")
    site.wait_for(lambda: site.value("SELECT count(*) FROM core_workerprocess") == 1)
    locker = sqlite3.connect(site.path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    time.sleep(3)  # heartbeats and claims meet "database is locked" many times meanwhile
    locker.execute("COMMIT")
    locker.close()
    assert worker.poll() is None
    job = upload(site, sales_file(tmp_path / "s.csv", 1_000))
    site.wait_for(lambda: status(site, job)[0] == "succeeded")
    assert worker.poll() is None


@POSTGRES_ONLY
def test_two_workers_run_each_job_once_and_recover_a_killed_ones_job(site, tmp_path):
    """Two workers on one PostgreSQL: every job runs exactly once; when one worker is killed
    mid-import, the other's sweeper ends its job and runs it when its author asks again."""
    seed(site)
    files = [sales_file(tmp_path / f"s{n}.csv", 2_000, start=n * 2_000) for n in range(6)]
    small = [upload(site, path, confirm=False) for path in files]
    site.worker()
    site.worker()
    confirm(site, small)  # six tasks ready at once, two workers taking them
    for job in small:
        site.wait_for(lambda job=job: status(site, job)[0] == "succeeded")
    ran = site.query(
        "SELECT j.id, j.created_count, t.worker_ids FROM imports_importjob j "
        "JOIN django_tasks_database_dbtaskresult t ON t.id::text = j.task_id ORDER BY j.id"
    )
    assert [(job, created) for job, created, _ in ran] == [(job, 2_000) for job in small]
    assert all(len(workers) == 1 for _job, _created, workers in ran)  # claimed once each
    print("jobs per worker:", sorted(workers[0] for _job, _created, workers in ran))

    big = upload(site, sales_file(tmp_path / "big.csv", 400_000, start=20_000))
    site.wait_for(lambda: writing(site, big))
    victim = status(site, big)[3]
    os.kill(pid_of(victim), signal.SIGKILL)
    site.wait_for(lambda: status(site, big)[0] == "interrupted")
    site.wait_for(lambda: site.value("SELECT count(*) FROM sales_salesbatch") == 0)
    assert visible_lines(site) == site.value("SELECT count(*) FROM sales_salesline") == 12_000

    retry(site, big)
    site.wait_for(lambda: status(site, big)[0] == "succeeded")
    assert status(site, big)[3] != victim
    assert visible_lines(site) == 412_000
