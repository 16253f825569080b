"""A page or API read never writes: on SQLite a write waits for the database's one write lock,
so a read that writes queues behind another user's long transaction. Every GET route of the
access matrix is opened by every persona with a hook that records INSERT, UPDATE and DELETE.

Allowed: the first scoring of a fresh installation (done here beforehand, as the worker's
recompute does after every import), and a token's last-use bookkeeping, which never waits
(kam.core.db.unless_busy) and is written at most once a minute.
"""

import re

import pytest
from django.db import connection

from kam.core.models import ApiToken
from kam.keyprofile.services import ensure_scored
from tests.access.matrix import PERSONAS
from tests.access.test_access_matrix import ROUTES, _request

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
TOKEN_BOOKKEEPING = re.compile(r'UPDATE "core_apitoken" SET "last_used_at"')

READS = [route for route in ROUTES if route.method == "get"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", READS, ids=lambda r: r.name)
def test_a_read_writes_nothing(route, persona, world, login):
    ensure_scored()
    world.persona = persona
    client = login(getattr(world, persona))
    token = None
    if route.api:
        client.logout()
        _api_token, token = ApiToken.issue(user=getattr(world, persona), name="reads")
    kwargs = route.own(world)  # builds the route's objects: writes before the hook are setup
    writes = []

    def record(execute, sql, params, many, context):
        if WRITE.match(sql) and not TOKEN_BOOKKEEPING.match(sql):
            writes.append(sql[:160])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = _request(client, route, world, kwargs, token)
    assert response.status_code < 500
    assert writes == [], f"{route.name} as {persona} wrote: {writes}"


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
