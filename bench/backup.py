"""Backup benchmark: `kam backup` and `kam restore` of a 10× demo company, timed.

    .venv/bin/python bench/backup.py [--clients 1500] [--database-url postgres://…]

Takes the demo company with ``--clients`` clients (built once and cached under var/bench/, shared
with bench/load.py), backs it up — once quietly, once while another process writes without
pause — and restores the archive into a fresh database. Prints the database's and the archive's
sizes and the seconds of each step.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import CACHE, ROOT, _admin, _database, _drop, child_env

WRITER = """
import django; django.setup()
from kam.core.models import User
i = 0
while True:
    i += 1
    User.objects.filter(username="kam1").update(first_name=f"writer {i}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1500, help="demo size (150 = 1×)")
    parser.add_argument("--database-url", help="postgres://… (default: a SQLite file)")
    args = parser.parse_args()

    work = CACHE / f"backup-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    env = child_env(work)
    restored = f"kam_backup_restore_{os.getpid()}"
    try:
        env["DATABASE_URL"] = _database(args, work)
        archive = work / "kam.tar.gz"
        quiet = _timed(env, "backup", "--output", str(archive))
        writer = subprocess.Popen([sys.executable, "-c", WRITER], env=env, cwd=ROOT)
        try:
            time.sleep(2)  # writing before the backup starts
            busy = _timed(env, "backup", "--output", str(work / "busy.tar.gz"))
        finally:
            writer.kill()
            writer.wait()
        target = {**env, "KAM_VAR_DIR": str(work / "restored")}
        if args.database_url:
            _admin(args.database_url, f'CREATE DATABASE "{restored}"')
            target["DATABASE_URL"] = f"{args.database_url.rsplit('/', 1)[0]}/{restored}"
        else:
            target["DATABASE_URL"] = f"sqlite:///{work / 'restored.sqlite3'}"
        restore = _timed(target, "restore", str(archive), "--verbosity", "0")
        vendor = "postgresql" if args.database_url else "sqlite"
        print(f"\n{vendor}, demo with {args.clients} clients")
        print(f"database size      {_size(env['DATABASE_URL']) / 2**20:9.1f} MiB")
        print(f"archive size       {archive.stat().st_size / 2**20:9.1f} MiB")
        print(f"backup             {quiet:9.1f} s")
        print(f"backup, writes on  {busy:9.1f} s")
        print(f"restore (checked)  {restore:9.1f} s")
    finally:
        if args.database_url:
            _drop(args.database_url, f"kam_load_run_{os.getpid()}")
            _drop(args.database_url, restored)
        shutil.rmtree(work, ignore_errors=True)


def _timed(env: dict, *command: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kam.cli", *command], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started


def _size(url: str) -> int:
    if url.startswith("sqlite"):
        return Path(urlparse(url).path).stat().st_size
    import psycopg

    with psycopg.connect(urlparse(url)._replace(scheme="postgresql").geturl()) as db:
        return db.execute("SELECT pg_database_size(current_database())").fetchone()[0]


if __name__ == "__main__":
    main()
