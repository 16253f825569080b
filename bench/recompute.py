"""Benchmark: `kam recompute` over a 1,000,000-line sales history.

    .venv/bin/python bench/recompute.py [--rows 1000000] [--database-url postgres://…]

Builds a fresh database (a temporary SQLite file, or a new schema in the given PostgreSQL
database, dropped afterwards), creates the clients and products of bench/import_sales.py and the
same synthetic lines (client = i mod 5,000, day = 2024-01-01 + i mod 366, the same amounts and
costs), written straight into the table (executemany on SQLite, COPY on PostgreSQL) — none of
that is timed. Then it runs `kam recompute` as a child process twice (the first run, and a second
one replacing the snapshot) and prints wall seconds, the child's peak RSS (wait4's ru_maxrss),
the run's own step timings (write: the snapshot and the run row; write.snapshots: the snapshot
rows alone) and the key-client scoring that follows it (included in wall seconds).
"""

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_sales import _create_schema, _drop_schema, _seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--database-url", help="postgres://… (default: a temporary SQLite file)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kam-bench-recompute-"))
    schema = f"kam_bench_recompute_{os.getpid()}"
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    postgres = url.startswith(("postgres:", "postgresql:"))
    if postgres:
        _create_schema(url, schema)
        url += ("&" if "?" in url else "?") + "options=" + quote(f"-c search_path={schema}")
    os.environ.update(
        DATABASE_URL=url, KAM_VAR_DIR=str(work / "var"), DJANGO_SETTINGS_MODULE="kam.settings"
    )
    try:
        _bench(args, work, postgres)
    finally:
        if postgres:
            _drop_schema(args.database_url, schema)
        subprocess.run(["rm", "-rf", str(work)], check=False)


def _bench(args, work: Path, postgres: bool) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from kam.insights.models import AnalyticsRun
    from kam.keyprofile.models import ScoringRun

    call_command("migrate", verbosity=0)
    _seed(args.clients, args.products)
    started = time.perf_counter()
    _insert_sales(connection, args.rows, args.clients, args.products, postgres)
    loaded = time.perf_counter() - started
    vendor = connection.vendor
    connections.close_all()
    print(f"database: {vendor}; sales lines: {args.rows:,}; clients: {args.clients:,}")
    print(f"(loading the lines, not timed below: {loaded:.1f} s)")
    print(f"{'run':<22}{'wall s':>8}{'peak RSS MB':>13}  steps (s)")
    for label in ("first recompute", "second recompute"):
        seconds, rss = _run_cli(work)
        run = AnalyticsRun.objects.latest("pk")
        steps = ", ".join(
            f"{k} {v:.2f}" for k, v in run.timings.items() if not k.startswith("engine.")
        )
        scoring = ScoringRun.objects.latest("pk")
        print(
            f"{label:<22}{seconds:>8.1f}{rss:>13,.0f}  {steps}; status {run.status}; "
            f"key-client scoring {scoring.seconds:.2f} ({scoring.clients:,} clients)"
        )
        connections.close_all()
    engine = {k[7:]: v for k, v in run.timings.items() if k.startswith("engine.")}
    print("engine steps (last run): " + ", ".join(f"{k} {v:.2f}" for k, v in engine.items()))


def _lines(rows: int, clients: int, products: int) -> pl.DataFrame:
    """bench/import_sales.py's lines, as typed values instead of Russian-format text."""
    from kam.clients.models import Client
    from kam.sales.models import Product

    first_client = Client.objects.order_by("pk").values_list("pk", flat=True)[0]
    first_product = Product.objects.order_by("pk").values_list("pk", flat=True)[0]
    i = pl.int_range(rows, dtype=pl.Int64)
    kopecks = (i * 7919) % 50_000_000 + 100
    return pl.select(
        date=pl.lit(dt.date(2024, 1, 1)) + pl.duration(days=i % 366),
        client_id=i % clients + first_client,
        product_id=(i * 7) % products + first_product,
        quantity=((i % 9) + 1).cast(pl.Float64),
        amount=kopecks / 100,
        cost=((i * 7919) % 50_000_000 * 7 // 10 + 50) / 100,
        document_number=pl.format("РН-{}", (i // 4).cast(pl.String).str.zfill(7)),
    )


def _insert_sales(connection, rows: int, clients: int, products: int, postgres: bool) -> None:
    from kam.sales.models import SalesLine

    frame = _lines(rows, clients, products)
    table = SalesLine._meta.db_table
    columns = ", ".join(frame.columns)
    with connection.cursor() as cursor:
        if postgres:
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in frame.iter_rows():
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * frame.width)
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
            for chunk in frame.iter_slices(100_000):
                cursor.executemany(sql, chunk.rows())


def _run_cli(work: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "kam.cli", "recompute"]
    with open(work / "output.txt", "w") as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=output)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        sys.exit("recompute failed:\n" + (work / "output.txt").read_text())
    return seconds, usage.ru_maxrss / 1024


if __name__ == "__main__":
    main()
