"""Benchmark: how long other users wait while a big import runs (SQLite's one write lock).

    .venv/bin/python bench/import_lock.py [--rows 1000000] [--products 100000] [--clients 20000]
                                          [--contacts 50000] [--database-url postgres://…]

Builds a fresh database (a temporary SQLite file, or a new schema in the given PostgreSQL
database) and files — none of that timed — then runs `kam import` in a child process for each
scenario while this process plays another user: every 50 ms it makes one small write (the kind a
page makes: an update of one row, in its own transaction) and one read, each on its own
connection. Prints, per scenario: the import's wall seconds, and the other user's writes and
reads: count, median, p99 and the longest wait in ms, and how many failed (e.g. "database is
locked"). The target: no wait over about a second, no failure.
"""

import argparse
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_sales import _sales, _write_csv, bench_database  # noqa: E402

PROBE_EVERY = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="sales lines")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--database-url", help="postgres://… (default: a temporary SQLite file)")
    parser.add_argument("--only", help="comma-separated scenario names to run")
    args = parser.parse_args()

    with bench_database(args.database_url, "kam-lock-") as work:
        _bench(args, work)


def _bench(args, work: Path) -> None:
    import django

    django.setup()
    import polars as pl
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    _seed_users()
    files = {
        "clients": _clients_file(work, args.clients),
        "products": _products_file(work, args.products),
    }
    print(f"database: {connection.vendor}")
    print(
        f"{'scenario':<28}{'wall s':>8}  {'other user':<7}{'n':>6}{'median':>8}{'p99':>8}"
        f"{'max ms':>9}{'failed':>8}"
    )
    scenarios = [
        ("clients", "clients", files["clients"]),
        ("products", "products", files["products"]),
        ("contacts", "contacts", lambda: _contacts_file(work, args.contacts)),
        ("sales, first import", "sales", lambda: _sales_file(work, args.rows, pl)),
        ("sales, same file again", "sales", lambda: work / "sales.csv"),
        ("sales, 1 % changed", "sales", lambda: _changed_file(work, pl)),
    ]
    only = set(args.only.split(",")) if args.only else None
    for label, kind, path in scenarios:
        if only and kind not in only and label not in only:
            continue
        if callable(path):
            path = path()
        connections.close_all()
        wall, probes = _run_with_probes(kind, path, work)
        for name, waits, failed in probes:
            ms = sorted(w * 1000 for w in waits)
            p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else 0
            print(
                f"{label if name == 'write' else '':<28}{wall if name == 'write' else '':>8}  "
                f"{name:<7}{len(ms):>6}{statistics.median(ms) if ms else 0:>8.1f}{p99:>8.1f}"
                f"{max(ms, default=0):>9.1f}{failed:>8}"
            )


def _seed_users() -> None:
    from kam.core.models import Role, User

    User.objects.create_user("bench", role=Role.DIRECTOR)
    User.objects.create_user("other", role=Role.KAM)


def _file(path: Path, header: str, rows) -> Path:
    with path.open("w") as out:
        out.write(header + "\n")
        out.writelines(row + "\n" for row in rows)
    return path


def _clients_file(work: Path, n: int) -> Path:
    rows = (f"C{i:05d};Клиент {i};Строительство;Регион {i % 80}" for i in range(n))
    return _file(work / "clients.csv", "Код;Наименование;Отрасль;Регион", rows)


def _products_file(work: Path, n: int) -> Path:
    rows = (f"P{i:05d};Товар {i};Категория {i % 40};{100 + i % 900},50" for i in range(n))
    return _file(work / "products.csv", "Артикул;Наименование;Категория;Цена", rows)


def _contacts_file(work: Path, n: int) -> Path:
    from kam.clients.models import Client

    codes = list(Client.objects.values_list("erp_code", flat=True)[:20_000])
    rows = (f"{codes[i % len(codes)]};Сотрудник {i};Менеджер;p{i}@example.ru" for i in range(n))
    return _file(work / "contacts.csv", "Код клиента;ФИО;Должность;Email", rows)


def _sales_file(work: Path, rows: int, pl) -> Path:
    from kam.clients.models import Client
    from kam.sales.models import Product

    clients, products = Client.objects.count(), Product.objects.count()
    path = work / "sales.csv"
    frame = _sales(rows, clients, products)
    _write_csv(frame, path)
    return path


def _changed_file(work: Path, pl) -> Path:
    from bench.import_sales import _changed_amounts

    frame = pl.read_csv(work / "sales.csv", separator=";", infer_schema=False)
    path = work / "sales-changed.csv"
    _write_csv(frame.with_columns(_changed_amounts()), path)
    return path


def _run_with_probes(kind: str, path: Path, work: Path):
    """Run the import in a child; meanwhile write and read as another user; return the waits."""
    stop = threading.Event()
    results = {"write": ([], [0]), "read": ([], [0])}

    def probe(name: str) -> None:
        from django.db import connection, transaction

        from kam.core.models import User

        waits, failed = results[name]
        while not stop.is_set():
            started = time.perf_counter()
            try:
                if name == "write":
                    with transaction.atomic():
                        User.objects.filter(username="other").update(first_name=str(started))
                else:
                    User.objects.filter(username="other").values_list("first_name").first()
                waits.append(time.perf_counter() - started)
            except Exception:  # the failures are the measurement
                failed[0] += 1
            time.sleep(PROBE_EVERY)
        connection.close()

    threads = [threading.Thread(target=probe, args=(name,)) for name in results]
    command = [sys.executable, "-m", "kam.cli", "import", kind, str(path), "--as", "bench"]
    with open(work / "output.txt", "w") as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=output)
        for thread in threads:
            thread.start()
        code = child.wait()
        wall = round(time.perf_counter() - started, 1)
    stop.set()
    for thread in threads:
        thread.join()
    if code:
        sys.exit(f"import failed:\n{(work / 'output.txt').read_text()[-3000:]}")
    return wall, [(name, waits, failed[0]) for name, (waits, failed) in results.items()]


if __name__ == "__main__":
    main()
