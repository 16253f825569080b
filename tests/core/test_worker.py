"""`kam worker` outlives database errors, and its heartbeat keeps its row fresh."""

import pytest
from django.db import OperationalError
from django_tasks_db.management.commands import db_worker

from kam.core import jobs
from kam.core.management.commands import worker as command
from kam.core.models import WorkerProcess

pytestmark = pytest.mark.django_db


def make_worker() -> command.Worker:
    return command.Worker(
        queue_names=["default"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w-test",
    )


def test_the_worker_loop_comes_back_after_a_locked_database(monkeypatch):
    calls, sleeps = [], []

    def parent_run(self):
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")

    monkeypatch.setattr(db_worker.Worker, "run", parent_run)
    monkeypatch.setattr(command.time, "sleep", sleeps.append)
    make_worker().run()
    assert len(calls) == 3
    assert sleeps == [command.BACKOFF_FIRST, command.BACKOFF_FIRST * 2]


def test_recording_a_tasks_outcome_is_retried(monkeypatch):
    recorded, sleeps = [], []

    class Result:
        def set_successful(self, value):
            if len(recorded) < 2:
                recorded.append("locked")
                raise OperationalError("database is locked")
            recorded.append(value)

        def set_failed(self, error):
            recorded.append(error)

    def parent_run_task(self, result):
        result.set_successful("done")

    monkeypatch.setattr(db_worker.Worker, "run_task", parent_run_task)
    monkeypatch.setattr(command.time, "sleep", sleeps.append)
    make_worker().run_task(Result())
    assert recorded == ["locked", "locked", "done"]
    assert len(sleeps) == 2


def test_recording_gives_up_after_a_while(monkeypatch):
    class Result:
        def set_successful(self, value):
            raise OperationalError("database is locked")

        set_failed = set_successful

    monkeypatch.setattr(db_worker.Worker, "run_task", lambda self, r: r.set_successful(1))
    monkeypatch.setattr(command.time, "sleep", lambda s: None)
    with pytest.raises(OperationalError):
        make_worker().run_task(Result())


def test_a_heartbeat_registers_beats_and_leaves(settings):
    settings.KAM_JOB_BEAT = 60  # no beat of the thread's own during the test
    with jobs.Heartbeat("w-beat", sweep=False) as beat:
        assert jobs.current_worker() == "w-beat"
        first = WorkerProcess.objects.get(name="w-beat").beat_at
        beat.beat_once()
        assert WorkerProcess.objects.get(name="w-beat").beat_at > first
        WorkerProcess.objects.all().delete()  # taken for dead meanwhile: it comes back
        beat.beat_once()
        assert WorkerProcess.objects.filter(name="w-beat").exists()
    assert jobs.current_worker() == ""
    assert not WorkerProcess.objects.exists()
