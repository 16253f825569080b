"""Background jobs that outlive their worker: heartbeats, and the sweeper that ends orphans.

A process that runs jobs (``kam worker``, or ``kam import`` on the command line) registers itself
as a :class:`~kam.core.models.WorkerProcess` and beats every ``KAM_JOB_BEAT`` seconds from a
thread of its own. Each kind of job (an import, an analytics recompute, …) records the name of
the worker running it. Liveness comes from the process, not from the job's own code, so a job
busy in one long call (reading a big file) is not mistaken for a dead one.

The sweeper runs in every worker every few beats. It gives each registered kind of job the set
of live workers; the kind marks its running jobs whose worker is gone as interrupted, with the
reason, and undoes what they half did. It also fails the django-tasks rows those workers held,
so the task list does not show them running forever.
"""

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from .models import WorkerProcess

logger = logging.getLogger(__name__)

SWEEP_EVERY_BEATS = 6
PRUNE_AFTER = dt.timedelta(days=7)


@dataclass(frozen=True)
class Sweep:
    """What one sweep knows: the time, and which workers are alive or known to be gone."""

    now: dt.datetime
    alive: frozenset[str]
    dead: dict[str, dt.datetime] = field(default_factory=dict)  # name → last sign of life

    def is_orphan(self, worker: str) -> bool:
        """A job of ``worker`` lost its process. Jobs run outside any worker ("") never are:
        the process running them is the request or test that started them."""
        return bool(worker) and worker not in self.alive

    def last_seen(self, worker: str) -> dt.datetime | None:
        return self.dead.get(worker)


Sweeper = Callable[[Sweep], int]
_sweepers: list[Sweeper] = []
_process_worker: str | None = None  # the name this process runs jobs under, if a worker


def register(sweeper: Sweeper) -> Sweeper:
    """Add a kind of job's sweeper (called from its app's ``ready``); returns it unchanged."""
    if sweeper not in _sweepers:
        _sweepers.append(sweeper)
    return sweeper


def current_worker() -> str:
    """The name of the worker this process runs as, or "" outside a worker."""
    return _process_worker or ""


def new_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class WorkerState:
    """What a page says about the workers behind a job that has not finished."""

    in_process: bool  # tasks run inside the request (no worker needed): nothing to say
    any_alive: bool
    job_worker_alive: bool
    last_seen: dt.datetime | None
    stale_after_minutes: int


def worker_state(job_worker: str) -> WorkerState:
    in_process = "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]
    alive = WorkerProcess.objects.alive()
    own = WorkerProcess.objects.filter(name=job_worker).values_list("beat_at", flat=True).first()
    return WorkerState(
        in_process=in_process,
        any_alive=in_process or alive.exists(),
        job_worker_alive=not job_worker or alive.filter(name=job_worker).exists(),
        last_seen=own,
        stale_after_minutes=max(1, round(settings.KAM_JOB_STALE_AFTER / 60)),
    )


def sweep(now: dt.datetime | None = None) -> int:
    """End the jobs whose worker is gone; returns how many jobs were interrupted."""
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=settings.KAM_JOB_STALE_AFTER)
    workers = WorkerProcess.objects.values_list("name", "beat_at")
    alive = frozenset(name for name, beat in workers if beat >= limit)
    dead = {name: beat for name, beat in workers if beat < limit}
    state = Sweep(now=now, alive=alive, dead=dead)
    interrupted = 0
    for sweeper in list(_sweepers):
        interrupted += sweeper(state)
    _fail_orphaned_tasks(state)
    WorkerProcess.objects.filter(beat_at__lt=now - PRUNE_AFTER).delete()
    return interrupted


def _fail_orphaned_tasks(state: Sweep) -> None:
    """django-tasks rows claimed by a worker that is gone: failed, not running forever."""
    if not state.dead:
        return
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    for task in running.only("pk", "worker_ids"):
        if task.worker_ids and task.worker_ids[-1] in state.dead:
            DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=state.now,
                exception_class_path=f"{__name__}.WorkerLost",
                traceback="The worker running this task stopped (no heartbeat).",
            )


class WorkerLost(Exception):
    """The worker running a job stopped: the job was ended by the sweeper."""


class Heartbeat:
    """Register this process as a worker and keep it alive; sweep orphans now and then.

    Two daemon threads, each with its own database connection: one only beats (a one-row
    update), the other sweeps (which may undo a large half-written import) — so a long sweep
    never makes this worker look dead. Use as a context manager around the work.
    """

    def __init__(self, name: str | None = None, *, sweep: bool = True):
        self.name = name or new_worker_name()
        self.sweeps = sweep
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> "Heartbeat":
        global _process_worker
        host, pid = socket.gethostname(), os.getpid()
        WorkerProcess.objects.update_or_create(
            name=self.name, defaults={"host": host, "pid": pid, "beat_at": timezone.now()}
        )
        _process_worker = self.name
        self.threads = [threading.Thread(target=self._beat, daemon=True, name="kam-heartbeat")]
        if self.sweeps:
            self.threads.append(threading.Thread(target=self._sweep, daemon=True, name="kam-sweep"))
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        global _process_worker
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=settings.KAM_JOB_BEAT * 2)
        _process_worker = None
        try:
            WorkerProcess.objects.filter(name=self.name).delete()
        except DatabaseError:  # a clean exit is a courtesy; a stale row is swept later anyway
            logger.warning("could not unregister worker %s", self.name, exc_info=True)

    def _beat(self) -> None:
        self._loop(settings.KAM_JOB_BEAT, self.beat_once)

    def _sweep(self) -> None:
        self._loop(settings.KAM_JOB_BEAT * SWEEP_EVERY_BEATS, sweep, first=True)

    def beat_once(self) -> None:
        updated = WorkerProcess.objects.filter(name=self.name).update(beat_at=timezone.now())
        if not updated:  # swept as dead after a long stall: come back under the same name
            WorkerProcess.objects.create(name=self.name, host=socket.gethostname(), pid=os.getpid())

    def _loop(self, every: float, work: Callable[[], object], *, first: bool = False) -> None:
        try:
            if first:
                self._guarded(work)
            while not self.stopping.wait(every):
                self._guarded(work)
        finally:
            connection.close()

    @staticmethod
    def _guarded(work: Callable[[], object]) -> None:
        # A locked or briefly unreachable database must not stop the heartbeat for good.
        try:
            close_old_connections()
            work()
        except DatabaseError:
            logger.warning("background job upkeep failed; retrying", exc_info=True)
            connection.close()
