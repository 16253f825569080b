"""A read never waits behind another user's write. The access matrix checks that no GET route
writes (tests/dbstate.py); the one write a read may make, a token's last use (once a minute),
is skipped rather than waited for when SQLite's write lock is taken (kam.core.db.unless_busy).
"""

import pytest
from django.db import connection


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
def test_an_api_read_does_not_wait_behind_another_users_long_write(tmp_path):
    """The probe's defect: a token's last-use update made API reads wait for the write lock.
    Another connection holds the lock for 8 s; the read answers at once, skipping the update
    (had it waited, the update would have gone through when the lock was released)."""
    import sqlite3
    import threading

    from tests.processes import Site

    site = Site(tmp_path, KAM_SQLITE_BUSY_TIMEOUT="20")
    try:
        key = site.python(
            """
            from kam.core.models import ApiToken, User
            user = User.objects.create_user("reader", role="director")
            print(ApiToken.issue(user=user, name="script")[1])
            """
        )
        holder = sqlite3.connect(site.path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(8, lambda: holder.execute("COMMIT"))
        release.start()
        answer = site.python(
            f"""
            from django.test import Client
            from kam.core.models import ApiToken
            response = Client().get("/api/clients", HTTP_AUTHORIZATION="Bearer {key}")
            print(response.status_code, ApiToken.objects.get().last_used_at)
            """
        )
        release.join()
        holder.close()
    finally:
        site.close()
    assert answer == "200 None"
