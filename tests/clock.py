"""The test clock: a fixed "today" for tests about the current year (see the ``clock`` fixture),
and ``KAM_TEST_NOW`` to start a whole run at another instant (see tests/conftest.py)."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

#: The day that tests about "this year" run on.
TODAY = dt.date(2026, 6, 15)


def run_start() -> dt.datetime | None:
    """Where ``KAM_TEST_NOW`` puts the clock for the whole run; None to leave it alone.

    ``new-year`` is 31 December 23:59:30 in Moscow of the current year: 30 seconds into the run it
    is New Year, which catches a test that read the clock once (at import) and again later. An
    ISO datetime with its offset picks any other instant.
    """
    now = os.environ.get("KAM_TEST_NOW")
    if not now:
        return None
    if now == "new-year":
        moscow = ZoneInfo("Europe/Moscow")
        return dt.datetime(dt.datetime.now(moscow).year, 12, 31, 23, 59, 30, tzinfo=moscow)
    return dt.datetime.fromisoformat(now)
