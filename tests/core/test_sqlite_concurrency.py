"""Several processes writing to one SQLite file at once must queue, never fail (WAL + IMMEDIATE)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import os, sys, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "kam.settings"
    django.setup()
    from django.db import connection, transaction
    from kam.clients import services
    from kam.core.models import User

    worker = int(sys.argv[1])
    director = User.objects.get(username="boss")
    for n in range(40):
        with transaction.atomic():
            # read-then-write inside one transaction: the classic upgrade deadlock without IMMEDIATE
            count = director.owned_clients.count()
            services.client_create(by=director, name=f"W{worker}-{n}", erp_code=f"W{worker}-{n}")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        print(cursor.fetchone()[0])
    """
)


CREATE_DIRECTOR = (
    "from kam.core.models import User\nUser.objects.create(username='boss', role='director')"
)


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite-specific locking behaviour",
)
def test_four_processes_writing_at_once_never_see_database_is_locked(tmp_path):
    env = {**os.environ, "KAM_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [
            *manage,
            "shell",
            "--no-imports",
            "-c",
            CREATE_DIRECTOR,
        ],
        env=env,
        check=True,
        cwd=ROOT,
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(i)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    results = [w.communicate(timeout=240) for w in workers]
    for worker, (out, err) in zip(workers, results, strict=True):
        assert "locked" not in err
        assert worker.returncode == 0, err[-2000:]
        assert out.strip() == "wal"
    counted = subprocess.run(
        [
            *manage,
            "shell",
            "--no-imports",
            "-c",
            "from kam.clients.models import Client; print(Client.objects.count())",
        ],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert counted.stdout.strip() == "160"
