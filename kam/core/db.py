"""Small database helpers that depend on the engine."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, connection

logger = logging.getLogger(__name__)
T = TypeVar("T")


def unless_busy(write: Callable[[], T]) -> T | None:
    """Run a bookkeeping ``write`` only if the database takes it at once; else skip it.

    For writes on a read's path (a token's last use): on SQLite, a write waits for the one
    write lock, so a read would wait behind a long transaction for bookkeeping nobody is waiting
    for. The busy timeout is lifted for this one statement; a busy database means "not now".
    PostgreSQL locks rows, not the database: the write goes through as usual.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return write()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 0")
        try:
            return write()
        except OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            logger.info("skipped a bookkeeping write: the database is busy")
            return None
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {_busy_timeout_ms()}")


# SQLite's busy handler polls at most every 100 ms once a writer has waited a while.
WAITER_POLL = 0.1


def let_waiting_writers_in() -> None:
    """Pause between two transactions of a long loop of them, on SQLite.

    SQLite's write lock has no queue: a waiting writer polls for it, and a loop that starts its
    next transaction the instant it commits takes the lock back first every time (measured:
    another user's write waited 4.7 s behind an import whose every transaction was under 0.5 s).
    Pausing a little longer than the poll lets every waiter in. PostgreSQL queues row locks.
    """
    if connection.vendor == "sqlite":
        time.sleep(WAITER_POLL * 1.2)


def _busy_timeout_ms() -> int:
    options = settings.DATABASES["default"].get("OPTIONS", {})
    return int(float(options.get("timeout", 5)) * 1000)
