"""`kam worker`: django-tasks' database worker, made to outlive a busy or locked database.

Over ``db_worker`` it adds the heartbeat and sweeper of kam.core.jobs (so a job whose worker
died is ended and can be retried), and it survives database errors — "database is locked" on
SQLite, a dropped connection on PostgreSQL — by waiting with back-off instead of exiting.
"""

import logging
import time

from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections
from django.utils.translation import gettext_lazy
from django_tasks_db.management.commands import db_worker

from kam.core.commands import KamCommand
from kam.core.jobs import Heartbeat, new_worker_name

logger = logging.getLogger("kam.worker")

BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0


def retrying(call, what: str, attempts: int | None = None):
    """Call ``call()`` until the database lets it through, waiting longer each time."""
    delay, attempt = BACKOFF_FIRST, 0
    while True:
        try:
            return call()
        except DatabaseError:
            attempt += 1
            if attempts is not None and attempt >= attempts:
                raise
            logger.warning("database error %s; retrying in %.1f s", what, delay, exc_info=True)
            close_old_connections()
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)


class Worker(db_worker.Worker):
    def run(self) -> None:
        # The parent's loop ends on the first error it does not expect; enter it again.
        retrying(super().run, "in the worker's loop")

    def run_task(self, db_task_result) -> None:
        # Recording a task's outcome may meet a locked database too: retry it, never die on it.
        for name in ("set_successful", "set_failed"):
            method = getattr(db_task_result, name)
            setattr(
                db_task_result,
                name,
                lambda *a, _m=method, **k: retrying(lambda: _m(*a, **k), "recording a task", 8),
            )
        super().run_task(db_task_result)


class Command(KamCommand, db_worker.Command):
    help = gettext_lazy(  # type: ignore[assignment]  # KamCommand translates it
        "Run the background worker: django-tasks' database worker with heartbeats, the sweeper "
        "of orphaned jobs, and retries on a locked or unreachable database."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=new_worker_name())

    def handle(self, *args, verbosity, queue_name, exclude_queues, worker_id, **options) -> None:
        self.configure_logging(verbosity)
        excluded = exclude_queues.split(",") if exclude_queues else []
        queues = queue_name.split(",")
        if excluded and "*" not in queues:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queues,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
        )
        with Heartbeat(worker_id):
            worker.configure_signals()
            worker.run()
