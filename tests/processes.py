"""Real processes on a real database, for what only processes show: a worker killed with SIGKILL,
two workers sharing a queue, other users writing while an import runs.

A :class:`Site` is a fresh SQLite file, or a fresh PostgreSQL database on the server the suite
runs against, migrated by a child process; `kam` commands and snippets run as children with
short heartbeat settings; the test reads the database directly.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
PRELUDE = "import django; django.setup()\n"


class Site:
    def __init__(self, tmp_path: Path, **env: str):
        self.tmp = tmp_path
        self.vendor = connection.vendor
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kam.settings",
            "KAM_VAR_DIR": str(tmp_path / "var"),
            "KAM_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
            "KAM_JOB_BEAT": "0.3",
            "KAM_JOB_STALE_AFTER": "3",
            "KAM_IMPORT_MAX_BYTES": str(2 * 1024**3),
            "PYTHONPATH": str(ROOT),
            **env,
        }
        if self.vendor == "sqlite":
            self.path = tmp_path / "site.sqlite3"
            self.env["DATABASE_URL"] = f"sqlite:///{self.path}"
        else:
            settings = connection.settings_dict
            self.server = {
                "host": settings["HOST"] or "127.0.0.1",
                "port": settings["PORT"] or 5432,
                "user": settings["USER"],
                "password": settings["PASSWORD"],
            }
            self.name = f"kam_proc_{os.getpid()}_{time.monotonic_ns() % 10**9}"
            self._admin(f'CREATE DATABASE "{self.name}"')
            auth = self.server["user"] + (
                f":{self.server['password']}" if self.server["password"] else ""
            )
            host = f"{self.server['host']}:{self.server['port']}"
            self.env["DATABASE_URL"] = f"postgres://{auth}@{host}/{self.name}"
        self.children: list[subprocess.Popen] = []
        self.run("migrate", "-v0")

    # --- children -----------------------------------------------------------------------------

    def run(self, *args: str) -> str:
        """Run a `kam` command to its end; its standard output."""
        return self._child("-m", "kam.cli", *args)

    def python(self, code: str) -> str:
        """Run a snippet with Django set up; its standard output."""
        return self._child("-c", PRELUDE + textwrap.dedent(code)).strip()

    def _child(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-m", "kam.cli", *args],
            env={**self.env, **env},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.children.append(child)
        return child

    def worker(self) -> subprocess.Popen:
        return self.start("worker", "--interval", "0.2", "--no-startup-delay")

    # --- the database -------------------------------------------------------------------------

    def connect(self):
        if self.vendor == "sqlite":
            return sqlite3.connect(self.path, timeout=30, isolation_level=None)
        import psycopg

        return psycopg.connect(dbname=self.name, autocommit=True, **self.server)

    def query(self, sql: str, *params) -> list[tuple]:
        marker = "?" if self.vendor == "sqlite" else "%s"
        with _closing(self.connect()) as db:
            return list(db.execute(sql.replace("%s", marker), params).fetchall())

    def value(self, sql: str, *params):
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None

    def wait_for(self, what, *, timeout: float = 180, every: float = 0.05):
        """Poll ``what()`` until it is truthy; fail after ``timeout`` (a guard against a hang)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = what()
            if result:
                return result
            time.sleep(every)
        raise AssertionError(f"still waiting after {timeout} s: {what.__doc__ or what}")

    def close(self) -> str:
        """Stop every child; their output, for a failing test's report."""
        output = []
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
            if child.stdout and not child.stdout.closed:  # communicate() closes it
                output.append(child.stdout.read())
        if self.vendor != "sqlite":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        return "\n".join(output)

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, **self.server) as db:
            db.execute(sql)


class _closing:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        return self.db

    def __exit__(self, *exc):
        self.db.close()


SEED = """
from kam.clients.models import Client
from kam.core.models import Role, User
from kam.sales.models import Product

boss = User.objects.create_user("boss", role=Role.DIRECTOR, password="x", language="en")
User.objects.create_user("other", role=Role.KAM, password="x")
Client.objects.bulk_create(
    Client(erp_code=f"C{i:05d}", name=f"Клиент {i}", owner=boss) for i in range(CLIENTS)
)
Product.objects.bulk_create(Product(sku=f"P{i:05d}", name=f"Товар {i}") for i in range(PRODUCTS))
"""


def seed(site: Site, *, clients: int = 500, products: int = 200) -> None:
    site.python(f"CLIENTS, PRODUCTS = {clients}, {products}\n" + SEED)


def sales_file(path: Path, rows: int, *, clients: int = 500, products: int = 200, start: int = 0):
    """A Russian-format sales export of ``rows`` lines (the import benchmark's generator)."""
    from bench.import_sales import _sales, _write_csv

    frame = _sales(rows + start, clients, products).slice(start, rows)
    _write_csv(frame, path)
    return path


def upload(site: Site, path: Path, *, confirm: bool = True) -> int:
    """Upload ``path`` as the director's sales import (and queue it); the job's id."""
    return int(
        site.python(
            f"""
            from django.core.files import File
            from kam.core.models import User
            from kam.imports.services import import_job_confirm, import_job_create
            boss = User.objects.get(username="boss")
            with open({str(path)!r}, "rb") as handle:
                job = import_job_create(by=boss, kind="sales", uploaded_file=File(handle, "s.csv"))
            if {confirm!r}:
                import_job_confirm(by=boss, job=job)
            print(job.pk)
            """
        )
    )


def retry(site: Site, job: int) -> None:
    site.python(
        f"""
        from kam.core.models import User
        from kam.imports.models import ImportJob
        from kam.imports.services import import_job_retry
        import_job_retry(by=User.objects.get(username="boss"), job=ImportJob.objects.get(pk={job}))
        """
    )


def confirm(site: Site, jobs: list[int]) -> None:
    site.python(
        f"""
        from kam.core.models import User
        from kam.imports.models import ImportJob
        from kam.imports.services import import_job_confirm
        boss = User.objects.get(username="boss")
        for job in ImportJob.objects.filter(pk__in={jobs!r}).order_by("pk"):
            import_job_confirm(by=boss, job=job)
        """
    )
