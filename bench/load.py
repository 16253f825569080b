"""Load benchmark: a working day for Locust against the server `make run` starts, on a 10× demo.

    .venv/bin/python bench/load.py [--clients 1500] [--users 50] [--minutes 3] [--think 1,4]
                                   [--database-url postgres://…] [--during-import 1000000]

Builds (once, cached under var/bench/) the demo company with ``--clients`` clients, copies it
for the run, starts ``kam serve`` on it (the production server and the supervised worker, as
``make run`` does), and runs bench/load/locustfile.py headless: KAMs browsing portfolios and
client pages and editing, assistants importing contacts, a director on the analytics, scripts on
the API. With ``--during-import N`` a sales import of N new lines runs through the worker
meanwhile. Prints requests/s, p50/p95/p99 and failures, overall and per page. The target: no
failure, p95 ≤ 500 ms.
"""

import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1500, help="demo size (150 = 1×)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument(
        "--think", default="1,4", help="seconds a person reads between clicks: low,high"
    )
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--database-url", help="postgres://… (default: a SQLite file)")
    parser.add_argument("--during-import", type=int, default=0, metavar="LINES")
    args = parser.parse_args()

    work = CACHE / f"load-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    env = child_env(work, KAM_IMPORT_MAX_BYTES=str(2 * 1024**3))
    try:
        env["DATABASE_URL"] = _database(args, work)
        token = _python(env, TOKEN)
        _port_is_free(args.port)
        with open(work / "server.log", "w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "kam.cli", "serve", "--port", str(args.port)],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Whatever fails from here on, the server goes too (a server left running would answer
        # the next run from a database already deleted).
        try:
            url = f"http://127.0.0.1:{args.port}"
            _wait_until_up(url)
            importer = _start_import(args, env, work) if args.during_import else None
            try:
                _locust(args, url, token, work)
            finally:
                if importer:
                    importer.wait()
                    print(f"import during the run: {_python(env, LAST_IMPORT)}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    finally:
        if args.database_url:
            _drop(args.database_url, f"kam_load_run_{os.getpid()}")
        shutil.rmtree(work, ignore_errors=True)


def child_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment of a benchmark's `kam` processes: this checkout, files under ``work``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kam.settings",
        "KAM_VAR_DIR": str(work / "var"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def _database(args, work: Path) -> str:
    """A fresh copy of the cached demo company; the URL to it."""
    if args.database_url:
        name = f"kam_load_{args.clients}"
        copy = f"kam_load_run_{os.getpid()}"
        server = args.database_url.rsplit("/", 1)[0]
        if not _exists(args.database_url, name):
            _admin(args.database_url, f'CREATE DATABASE "{name}"')
            _build({"DATABASE_URL": f"{server}/{name}"}, args.clients, work)
        _admin(args.database_url, f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
        return f"{server}/{copy}"
    cached = CACHE / f"demo-{args.clients}.sqlite3"
    if not cached.exists():
        _build({"DATABASE_URL": f"sqlite:///{cached}"}, args.clients, work)
    target = work / "kam.sqlite3"
    # The cache is written with WAL off (VACUUM INTO): one file holds the whole database.
    shutil.copyfile(cached, target)
    return f"sqlite:///{target}"


def _build(extra: dict, clients: int, work: Path) -> None:
    env = {**os.environ, "KAM_VAR_DIR": str(work / "build"), "PYTHONPATH": str(ROOT), **extra}
    print(f"building the demo company with {clients} clients (cached for the next runs)…")
    for command in (["migrate", "-v0"], ["demo", "--clients", str(clients)]):
        subprocess.run([sys.executable, "-m", "kam.cli", *command], env=env, cwd=ROOT, check=True)
    if extra["DATABASE_URL"].startswith("sqlite"):
        path = Path(urlparse(extra["DATABASE_URL"]).path)
        packed = path.with_suffix(".packed")
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute(f"VACUUM INTO '{packed}'")
        packed.replace(path)


TOKEN = """
from kam.core.models import ApiToken, User
print(ApiToken.issue(user=User.objects.get(username="director"), name="load")[1])
"""

LAST_IMPORT = """
from kam.imports.models import ImportJob
job = ImportJob.objects.filter(kind="sales").latest("pk")
seconds = (job.finished_at - job.started_at).total_seconds() if job.finished_at else None
print(f"{job.status}, {job.total_rows:,} lines, {seconds} s")
"""

SALES_FILE = """
import polars as pl
from datetime import date
from kam.clients.models import Client
from kam.sales.models import Product
codes = list(Client.objects.values_list("erp_code", flat=True))
skus = list(Product.objects.values_list("sku", flat=True))
n = {lines}
i = pl.col("i")
frame = pl.DataFrame({{"i": pl.int_range(n, dtype=pl.Int64, eager=True)}}).select(
    (pl.lit(date(2026, 1, 1)) + pl.duration(days=i % 300)).dt.strftime("%d.%m.%Y").alias("Дата"),
    pl.lit(pl.Series(codes)).gather(i % len(codes)).alias("Код клиента"),
    pl.lit(pl.Series(skus)).gather((i * 7) % len(skus)).alias("Артикул"),
    ((i % 9) + 1).cast(pl.String).alias("Количество"),
    ((i * 7919) % 5_000_000 + 100).cast(pl.String).alias("Сумма"),
    pl.format("LOAD-{{}}", (i // 4).cast(pl.String)).alias("Документ"),
)
frame.write_csv({path!r}, separator=";")
"""

UPLOAD = """
from django.core.files import File
from kam.core.models import User
from kam.imports.services import import_job_confirm, import_job_create
boss = User.objects.get(username="director")
with open({path!r}, "rb") as handle:
    job = import_job_create(by=boss, kind="sales", uploaded_file=File(handle, "load.csv"))
import_job_confirm(by=boss, job=job)
print(job.pk)
"""


def _start_import(args, env, work: Path) -> subprocess.Popen:
    """Queue a sales import of new lines for the server's worker; returns a waiter."""
    path = work / "sales.csv"
    _python(env, SALES_FILE.format(lines=args.during_import, path=str(path)))
    job = _python(env, UPLOAD.format(path=str(path)))
    waiter = (
        "import time\nfrom kam.imports.models import ImportJob\n"
        f"while not ImportJob.objects.get(pk={job}).is_finished: time.sleep(1)\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", "import django; django.setup()\n" + waiter], env=env, cwd=ROOT
    )


def _locust(args, url: str, token: str, work: Path) -> None:
    prefix = work / "stats"
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(ROOT / "bench" / "load" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        # The locustfile measures --minutes from the moment every user has signed in and then
        # stops; this is only a bound in case some never do.
        "--run-time",
        f"{int(args.minutes * 60) + 600}s",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {
        **os.environ,
        "KAM_LOAD_TOKEN": token,
        "KAM_LOAD_SECONDS": str(args.minutes * 60),
        "KAM_LOAD_THINK": args.think,
    }
    subprocess.run(command, env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    _report(prefix, args)


def _report(prefix: Path, args) -> None:
    rows = _csv(Path(f"{prefix}_stats.csv"))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    vendor = "postgresql" if args.database_url else "sqlite"
    print(
        f"\n{vendor}, {args.clients} clients, {args.users} users, {args.minutes} min, "
        f"{args.think} s between clicks"
        + (f", during a {args.during_import:,}-line import" if args.during_import else "")
    )
    print(f"{'request':<40}{'n':>7}{'fail':>6}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>8}")
    for row in sorted(rows, key=lambda r: -float(r["95%"].replace("N/A", "0") or 0)):
        print(
            f"{row['Name'][:39]:<40}{row['Request Count']:>7}{row['Failure Count']:>6}"
            f"{row['50%']:>7}{row['95%']:>7}{row['99%']:>7}{float(row['Max Response Time']):>8.0f}"
        )
    print(
        f"\nrequests/s {float(total['Requests/s']):.1f}; p50 {total['50%']} ms, "
        f"p95 {total['95%']} ms, p99 {total['99%']} ms; failures {total['Failure Count']} "
        f"of {total['Request Count']}"
    )
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        for row in _csv(failures)[:10]:
            print(f"  failure: {row['Method']} {row['Name']}: {row['Error']} ×{row['Occurrences']}")


def _csv(path: Path) -> list[dict]:
    with path.open() as rows:
        return list(csv.DictReader(rows))


def _python(env, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _port_is_free(port: int) -> None:
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(f"port {port} is taken (a server left running?); use --port")


def _wait_until_up(url: str) -> None:
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/accounts/login/", timeout=5)
            return
        except OSError:
            time.sleep(1)
    sys.exit("the server did not start")


def _admin(url: str, sql: str) -> None:
    import psycopg

    server = urlparse(url)._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(sql)


def _exists(url: str, name: str) -> bool:
    import psycopg

    server = urlparse(url)._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as db:
        return bool(db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def _drop(url: str, name: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
