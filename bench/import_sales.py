"""Benchmark: import a large Russian-format sales CSV through the `kam import` command.

    .venv/bin/python bench/import_sales.py [--rows 1000000] [--database-url postgres://…]

Builds a fresh database (a temporary SQLite file, or a new schema in the given PostgreSQL
database), creates the clients and products, writes the CSV — none of that is timed — then runs
the command as a child process three times: a first import, the same file again (nothing
changes), and the file with 1 % of amounts changed. For each run it prints wall seconds, rows/s
and the child's peak RSS (wait4's ru_maxrss), and the job's own seconds and counts.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlparse

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
NBSP = "\u00a0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--database-url", help="postgres://… (default: a temporary SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    args = parser.parse_args()

    with bench_database(args.database_url, "kam-bench-", keep=args.keep) as work:
        _bench(args, work)


@contextmanager
def bench_database(database_url: str | None, prefix: str, *, keep: bool = False):
    """A fresh database for a benchmark: a temporary SQLite file, or a new schema in the given
    PostgreSQL database (dropped afterwards); this process's settings point at it. Yields the
    working directory."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    schema = f"{prefix.strip('-').replace('-', '_')}_{os.getpid()}"
    url = database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    if url.startswith(("postgres:", "postgresql:")):
        _create_schema(url, schema)
        url += ("&" if "?" in url else "?") + "options=" + quote(f"-c search_path={schema}")
    os.environ.update(
        DATABASE_URL=url,
        KAM_VAR_DIR=str(work / "var"),
        DJANGO_SETTINGS_MODULE="kam.settings",
        KAM_IMPORT_MAX_BYTES=str(2 * 1024**3),
    )
    sys.path.insert(0, str(ROOT))
    try:
        yield work
    finally:
        if not keep:
            if database_url and url.startswith(("postgres:", "postgresql:")):
                _drop_schema(database_url, schema)
            subprocess.run(["rm", "-rf", str(work)], check=False)


def _bench(args, work: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from kam.imports.models import ImportJob

    call_command("migrate", verbosity=0)
    _seed(args.clients, args.products)
    frame = _sales(args.rows, args.clients, args.products)
    same = work / "sales.csv"
    changed = work / "sales-changed.csv"
    _write_csv(frame, same)
    _write_csv(frame.with_columns(_changed_amounts()), changed)
    vendor = connection.vendor
    connections.close_all()  # the children get the database to themselves

    print(f"database: {vendor}; rows: {args.rows:,}; file: {same.stat().st_size / 1e6:.1f} MB")
    print(
        f"{'run':<24}{'wall s':>8}{'rows/s':>10}{'peak RSS MB':>13}{'job s':>7}"
        f"{'created':>10}{'updated':>10}{'unchanged':>11}"
    )
    for label, path in (
        ("first import", same),
        ("re-import, no change", same),
        ("re-import, 1 % changed", changed),
    ):
        seconds, rss = _run_cli(path, work)
        job = ImportJob.objects.latest("pk")
        busy = (job.finished_at - job.started_at).total_seconds()
        print(
            f"{label:<24}{seconds:>8.1f}{args.rows / seconds:>10,.0f}{rss:>13,.0f}{busy:>7.1f}"
            f"{job.created_count:>10,}{job.updated_count:>10,}{job.unchanged_count:>11,}"
        )
        connections.close_all()


def _seed(clients: int, products: int) -> None:
    from kam.clients.models import Client
    from kam.core.models import Role, User
    from kam.sales.models import Product

    director = User.objects.create_user("bench", role=Role.DIRECTOR)
    Client.objects.bulk_create(
        Client(erp_code=f"C{i:05d}", name=f"Клиент {i}", owner=director) for i in range(clients)
    )
    Product.objects.bulk_create(
        Product(sku=f"P{i:05d}", name=f"Товар {i}") for i in range(products)
    )


def _sales(rows: int, clients: int, products: int) -> pl.DataFrame:
    """Lines in the Russian format ERPs export: 31.12.2024, 12 345,67 with no-break spaces."""
    i = pl.int_range(rows, dtype=pl.Int64)
    day = pl.date(2024, 1, 1) + pl.duration(days=i % 366)
    return pl.select(
        Дата=day.dt.strftime("%d.%m.%Y"),
        **{"Код клиента": pl.format("C{}", (i % clients).cast(pl.String).str.zfill(5))},
        Артикул=pl.format("P{}", ((i * 7) % products).cast(pl.String).str.zfill(5)),
        Количество=((i % 9) + 1).cast(pl.String),
        Сумма=_russian((i * 7919) % 50_000_000 + 100),
        Себестоимость=_russian((i * 7919) % 50_000_000 * 7 // 10 + 50),
        **{"Номер документа": pl.format("РН-{}", (i // 4).cast(pl.String).str.zfill(7))},
    )


def _changed_amounts() -> pl.Expr:
    i = pl.int_range(pl.len(), dtype=pl.Int64)
    return pl.when(i % 100 == 0).then(_russian(i + 1)).otherwise(pl.col("Сумма")).alias("Сумма")


def _russian(kopecks: pl.Expr) -> pl.Expr:
    """12345678 kopecks → "123 456,78" with no-break spaces between thousands."""
    whole, cents = kopecks // 100, (kopecks % 100).cast(pl.String).str.zfill(2)

    def group(n):
        return n.cast(pl.String).str.zfill(3)

    millions, thousands, units = whole // 1_000_000, whole // 1000 % 1000, whole % 1000
    text = (
        pl.when(whole >= 1_000_000)
        .then(
            pl.concat_str(
                [millions.cast(pl.String), group(thousands), group(units)], separator=NBSP
            )
        )
        .when(whole >= 1000)
        .then(pl.concat_str([thousands.cast(pl.String), group(units)], separator=NBSP))
        .otherwise(units.cast(pl.String))
    )
    return pl.concat_str([text, pl.lit(","), cents])


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path, separator=";")


def _run_cli(path: Path, work: Path) -> tuple[float, float]:
    """Run `kam import sales` in a child: wall seconds, and its peak RSS in MB from wait4."""
    command = [sys.executable, "-m", "kam.cli", "import", "sales", str(path), "--as", "bench"]
    with open(work / "output.txt", "w") as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=output)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        sys.exit("import failed:\n" + (work / "output.txt").read_text())
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in kilobytes on Linux


def _create_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')


def _drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as db:
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _libpq(url: str) -> str:
    parsed = urlparse(url)
    return parsed._replace(scheme="postgresql").geturl()


if __name__ == "__main__":
    main()
