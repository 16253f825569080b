"""`kam backup` and `kam restore`: the database and the uploaded files in one checked archive.

The archive is a gzipped tar: ``database.sqlite3`` (SQLite) or ``database.pgdump`` (PostgreSQL,
``pg_dump -Fc``), ``media/…`` (uploaded import files) and, last, ``manifest.json``: KAM's
version, the engine, the applied migrations, each table's row count and checksum, and each
file's SHA-256. Restore checks all of it before it touches the target, then checks the restored
tables against the manifest, then migrates forward (a backup of an older KAM into newer code).

SQLite is copied with the online backup API inside one read transaction: every step reads the
same snapshot, so writers carry on (WAL) and the copy finishes. Without it, each write by another
process restarts the copy, and under continuous writes it ends only by luck (a 45 MB database
here: after 100 s in one trial, not within 20 s in another; in one snapshot, 0.5 s).
PostgreSQL is dumped inside an exported snapshot, the checksums are read in the same one.
"""

import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
#: Tables `migrate` itself fills: a database holding only these is empty.
MIGRATE_FILLS = {"django_migrations", "django_content_type", "auth_permission"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Why a backup or a restore cannot go on, in words for the person who ran it."""


@dataclass
class Result:
    path: Path
    manifest: dict


# --- backup --------------------------------------------------------------------------------


def backup(output: Path | None = None, *, pages_per_step: int = 4096) -> Result:
    """Write a backup archive to ``output`` (default: $KAM_VAR_DIR/backups/kam-<time>.tar.gz)."""
    engine = _engine()
    if output is None:
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        output = Path(settings.VAR_DIR) / "backups" / f"kam-{stamp}.tar.gz"
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".kam-backup-") as work:
        database = Path(work) / DATABASE[engine]
        if engine == "sqlite":
            tables, migrations = _sqlite_backup(database, pages_per_step)
        else:
            tables, migrations = _postgres_backup(database)
        partial = Path(work) / "archive.tar.gz"
        files = {}
        with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
            files[database.name] = _add(tar, database, database.name)
            # After the database's snapshot: a file an import row of the snapshot names is whole.
            media = Path(settings.MEDIA_ROOT)
            for path in sorted(media.rglob("*")) if media.is_dir() else []:
                if path.is_file() and not path.is_symlink():
                    name = "media/" + path.relative_to(media).as_posix()
                    files[name] = _add(tar, path, name)
            manifest = {
                "format": FORMAT,
                "kam_version": importlib.metadata.version("kam"),
                "created": timezone.now().isoformat(),
                "engine": engine,
                "migrations": migrations,
                "tables": tables,
                "files": files,
            }
            data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, output)  # never a half-written archive under the final name
    return Result(output, manifest)


def _sqlite_backup(target: Path, pages_per_step: int) -> tuple[dict, list]:
    database = settings.DATABASES["default"]
    busy = database["OPTIONS"].get("timeout", 30)
    sqlite_snapshot(database["NAME"], target, pages_per_step=pages_per_step, busy=busy)
    with closing(sqlite3.connect(target, isolation_level=None)) as copy:
        return _sqlite_contents(copy)


def sqlite_snapshot(source: Path | str, target: Path, *, pages_per_step: int, busy: float) -> None:
    """Copy the SQLite database ``source`` to ``target`` while others write to it."""
    with closing(sqlite3.connect(source, timeout=busy, isolation_level=None)) as db:
        # One read transaction over every step: they all copy this snapshot (see the module).
        db.execute("BEGIN")
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        with closing(sqlite3.connect(target)) as copy:
            db.backup(copy, pages=pages_per_step)
        db.execute("COMMIT")
    with closing(sqlite3.connect(target, isolation_level=None)) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


def _sqlite_contents(db: sqlite3.Connection) -> tuple[dict, list]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    tables = {name: _digest(db.execute(f'SELECT * FROM "{name}"')) for name in names}
    return tables, _migrations(db.execute, names)


def _postgres_backup(target: Path) -> tuple[dict, list]:
    pg_dump = _tool("pg_dump")
    with _postgres() as db:
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = db.execute("SELECT pg_export_snapshot()").fetchone()[0]
        _run([pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(target)])
        contents = _postgres_contents(db)
        db.execute("COMMIT")
    return contents


def _postgres_contents(db) -> tuple[dict, list]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    ]
    tables = {}
    for name in names:
        with db.cursor(name="kam_backup_rows") as rows:  # streamed from the server
            rows.itersize = 5000
            rows.execute(f'SELECT * FROM "{name}"')
            tables[name] = _digest(rows)
    return tables, _migrations(db.execute, names)


def _migrations(execute, tables: list[str]) -> list[list[str]]:
    if "django_migrations" not in tables:
        return []
    return [list(row) for row in execute("SELECT app, name FROM django_migrations ORDER BY id")]


def _digest(rows: Iterable[tuple]) -> dict:
    """Row count and a checksum that does not depend on the rows' order: the sum of the rows'
    hashes (equal tables give equal sums; no sort of a million sales lines needed)."""
    count, total = 0, 0
    for row in rows:
        values = tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
        total += int.from_bytes(hashlib.sha256(repr(values).encode()).digest()[:16], "big")
        count += 1
    return {"rows": count, "checksum": f"{total % 2**128:032x}"}


# --- restore -------------------------------------------------------------------------------


def restore(archive: Path, *, force: bool = False) -> dict:
    """Restore ``archive`` into the configured database and media folder; its manifest."""
    engine = _engine()
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(_("No such file: %(file)s") % {"file": archive})
    with tempfile.TemporaryDirectory(prefix=".kam-restore-", dir=_scratch()) as work:
        manifest, hashes = _unpack(archive, Path(work))
        _check(manifest, hashes, engine)
        if not force and _holds_data():
            raise BackupError(
                _(
                    "The database already holds data. Restoring replaces all of it: run again "
                    "with --force if that is what you want."
                )
            )
        database = Path(work) / DATABASE[engine]
        if engine == "sqlite":
            _sqlite_restore(database, manifest)
        else:
            _postgres_restore(database, manifest)
        _replace_media(Path(work) / "media")
    return manifest


def _scratch() -> Path:
    """Unpack beside the var folder (room for the database), not in a small /tmp."""
    path = Path(settings.VAR_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _unpack(archive: Path, work: Path) -> tuple[dict, dict[str, str]]:
    """Every member into ``work`` (names checked: no path leaves it); the manifest and the
    SHA-256 of each file as read."""
    damaged = _("%(file)s is not a KAM backup, or it is damaged: %(reason)s")
    manifest, hashes = None, {}
    try:
        with tarfile.open(archive, "r|*") as tar:
            for member in tar:
                stream = tar.extractfile(member) if member.isfile() else None
                if stream is None or not _allowed(member.name):
                    raise BackupError(
                        damaged
                        % {
                            "file": archive,
                            "reason": _("unexpected entry %(name)s") % {"name": member.name},
                        }
                    )
                if member.name == MANIFEST:
                    manifest = json.loads(stream.read())
                    continue
                target = work / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with open(target, "wb") as out:
                    while chunk := stream.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                hashes[member.name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as error:
        raise BackupError(damaged % {"file": archive, "reason": error}) from error
    shape = {"created": str, "kam_version": str, "migrations": list, "tables": dict, "files": dict}
    if not isinstance(manifest, dict) or any(
        not isinstance(manifest.get(key), kind) for key, kind in shape.items()
    ):
        raise BackupError(
            damaged % {"file": archive, "reason": _("its manifest is missing or incomplete")}
        )
    return manifest, hashes


def _allowed(name: str) -> bool:
    path = PurePosixPath(name)
    if name in (MANIFEST, *DATABASE.values()):
        return True
    return (
        path.parts[:1] == ("media",)
        and len(path.parts) > 1
        and not path.is_absolute()
        and ".." not in path.parts
    )


def _check(manifest: dict, hashes: dict[str, str], engine: str) -> None:
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("This backup's format (%(format)s) is not one this KAM reads.")
            % {"format": manifest.get("format")}
        )
    if manifest.get("engine") != engine:
        raise BackupError(
            _(
                "This backup is of a %(theirs)s database, and KAM is set up with %(ours)s; restore "
                "it into the same kind of database."
            )
            % {"theirs": manifest.get("engine"), "ours": engine}
        )
    expected = manifest.get("files", {})
    for name in sorted(set(expected) | set(hashes)):
        if expected.get(name) != hashes.get(name):
            raise BackupError(
                _("The backup is damaged: %(name)s does not match its checksum (or is missing).")
                % {"name": name}
            )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    newer = [
        f"{app}.{name}" for app, name in manifest.get("migrations", []) if (app, name) not in known
    ]
    if newer:
        raise BackupError(
            _(
                "This backup was made by a newer KAM (%(version)s): it has migrations this code "
                "does not know (%(names)s). Install that version or a later one first."
            )
            % {"version": manifest.get("kam_version"), "names": ", ".join(newer[:5])}
        )


def _holds_data() -> bool:
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in MIGRATE_FILLS:
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
            if cursor.fetchone():
                return True
    return False


def _compare(manifest: dict, tables: dict) -> None:
    for name in sorted(set(manifest["tables"]) | set(tables)):
        if manifest["tables"].get(name) != tables.get(name):
            raise BackupError(
                _("The restored table %(table)s differs from the backup's.") % {"table": name}
            )


def _sqlite_restore(database: Path, manifest: dict) -> None:
    with closing(sqlite3.connect(database, isolation_level=None)) as source:
        # Checked before the target is touched: a bad archive leaves it as it was.
        _compare(manifest, _sqlite_contents(source)[0])
        connections.close_all()
        target = settings.DATABASES["default"]["NAME"]
        busy = settings.DATABASES["default"]["OPTIONS"].get("timeout", 30)
        with closing(sqlite3.connect(target, timeout=busy)) as destination:
            source.backup(destination)  # page by page, under the target's own lock and WAL


def _postgres_restore(database: Path, manifest: dict) -> None:
    pg_restore = _tool("pg_restore")
    with _postgres() as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        if tables:
            db.execute("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    connections.close_all()
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            str(database),
        ]
    )
    with _postgres() as db:
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        _compare(manifest, _postgres_contents(db)[0])


def _replace_media(unpacked: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    # The folder's contents, not the folder: it may be a mount of shared storage.
    for entry in media.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if unpacked.is_dir():
        for entry in unpacked.iterdir():
            shutil.move(entry, media / entry.name)


# --- helpers -------------------------------------------------------------------------------


def _engine() -> str:
    if connection.vendor not in DATABASE:
        raise BackupError(_("Backups support SQLite and PostgreSQL only."))
    return connection.vendor


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _(
                "%(tool)s was not found. Install the PostgreSQL client tools of your server's "
                "version (on Debian: apt-get install postgresql-client)."
            )
            % {"tool": name}
        )
    return path


def _postgres_params() -> dict:
    """libpq's parameters of the configured database, its OPTIONS (sslmode, …) included."""
    db = settings.DATABASES["default"]
    params = {
        "dbname": db["NAME"],
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        **db.get("OPTIONS", {}),
    }
    return {key: str(value) for key, value in params.items() if value}


@contextmanager
def _postgres() -> Iterator:
    import psycopg

    with psycopg.connect(**_postgres_params(), autocommit=True) as db:
        db.execute("SET TIME ZONE 'UTC'")
        yield db


def _run(command: list[str]) -> None:
    """Run pg_dump/pg_restore on the configured database; the password goes in the environment,
    never in the command line (which every user of the machine can read)."""
    from psycopg.conninfo import make_conninfo

    params = _postgres_params()
    password = params.pop("password", None)
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    done = subprocess.run(
        [*command, f"--dbname={make_conninfo(**params)}"], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(command[0]).name, "error": done.stderr.strip()[-2000:]}
        )


def _add(tar: tarfile.TarFile, path: Path, name: str) -> str:
    """Add ``path`` as ``name``; the SHA-256 of what was written."""
    info = tar.gettarinfo(str(path), arcname=name)
    with open(path, "rb") as handle:
        reader = _Hashing(handle)
        tar.addfile(info, reader)
    return reader.digest.hexdigest()


class _Hashing:
    def __init__(self, stream):
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data
