"""Small database helpers that depend on the engine."""

import logging
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


def _busy_timeout_ms() -> int:
    options = settings.DATABASES["default"].get("OPTIONS", {})
    return int(float(options.get("timeout", 5)) * 1000)
