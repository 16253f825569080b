"""`kam backup` / `kam restore`: a round trip gives back every row and file; a damaged archive
is refused before the target is touched; the SQLite copy finishes while others write."""

import gzip
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import tarfile
import threading
from contextlib import closing
from pathlib import Path

import pytest
from django.utils import translation

from kam import settings as site_settings  # the children's, not the tests' "en"
from kam.core.backup import BackupError, _allowed, _check, _digest, _unpack, sqlite_snapshot
from tests.processes import ROOT, Site, sales_file, seed, upload

# --- the SQLite copy under continuous writes (no Django database needed) --------------------


def make_database(path: Path, rows: int) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        db.execute("BEGIN")
        db.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 200,)] * rows)
        db.execute("COMMIT")


WRITER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("PRAGMA synchronous=OFF")  # commits as fast as they come: writes never pause
db.execute("INSERT INTO t (v) VALUES ('w')")
print("writing", flush=True)
while True:
    db.execute("INSERT INTO t (v) VALUES ('w')")
"""


def count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT count(*) FROM t").fetchone()[0]


def test_the_sqlite_copy_finishes_while_another_process_writes_throughout(tmp_path):
    """The admin guide's old `sqlite3 .backup` copies in steps and starts over whenever another
    process writes: under continuous writes to a 45 MB database it never finished. Here a
    writer process commits without pause from before the copy starts until after it ends."""
    source, target = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    make_database(source, 200_000)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(source)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline() == "writing\n"
        before = count(source)
        copier = threading.Thread(
            target=sqlite_snapshot,
            args=(source, target),
            kwargs={"pages_per_step": 100, "busy": 30},
            daemon=True,
        )
        copier.start()
        copier.join(timeout=60)  # a guard against the old endless restarts (0.5 s here now)
        finished = not copier.is_alive()
        after = count(source)
    finally:
        writer.kill()
        writer.wait()
    assert finished, "the copy did not finish while the writer wrote"
    assert after > before  # the writer wrote during the copy
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert before <= count(target) <= after  # one moment's snapshot


def test_table_checksums_ignore_row_order_and_see_any_change():
    rows = [(1, "a", b"x"), (2, "b", None), (2, "b", None)]
    assert _digest(rows) == _digest(list(reversed(rows)))
    assert _digest(rows)["rows"] == 3
    assert _digest(rows) != _digest(rows[:2])  # a duplicate row counts
    assert _digest(rows) != _digest([(1, "a", b"y"), *rows[1:]])
    assert _digest([(memoryview(b"x"),)]) == _digest([(b"x",)])


@pytest.mark.parametrize(
    "name, allowed",
    [
        ("manifest.json", True),
        ("database.sqlite3", True),
        ("media/imports/2026/12/sales.csv", True),
        ("media", False),
        ("media/../../etc/passwd", False),
        ("/media/x", False),
        ("other.txt", False),
    ],
)
def test_archive_entries_never_leave_the_unpacking_folder(name, allowed):
    assert _allowed(name) is allowed


# --- round trip through the commands, on the suite's engine --------------------------------


def kam(site: Site, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kam.cli", *args],
        env=site.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def said(message: str, **values) -> str:
    """``message`` as the commands print it, in the site's language."""
    with translation.override(site_settings.LANGUAGE_CODE):
        text = translation.gettext(message)
    return text % values if values else text


def tables(site: Site) -> list[str]:
    if site.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    return sorted(row[0] for row in site.query(sql))


def contents(site: Site) -> dict[str, list]:
    """Every table's rows, sorted: equal databases give equal dictionaries."""
    return {t: sorted(site.query(f'SELECT * FROM "{t}"'), key=repr) for t in tables(site)}


def media(site: Site) -> dict[str, bytes]:
    root = Path(site.env["KAM_VAR_DIR"]) / "media"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def sites(tmp_path):
    made = []

    def make(name: str) -> Site:
        made.append(Site(tmp_path / name))
        (tmp_path / name).mkdir(exist_ok=True)
        return made[-1]

    yield make
    for site in made:
        site.close()


@pytest.mark.slow
@pytest.mark.django_db
def test_backup_then_restore_into_a_fresh_database_gives_back_every_row_and_file(sites, tmp_path):
    source = sites("source")
    seed(source, clients=40, products=20)
    csv = sales_file(tmp_path / "sales.csv", 50, clients=40, products=20)
    upload(source, csv, confirm=False)  # an upload: a file under media/
    # An older KAM's database: the newest migration of sales not applied yet.
    source.run("migrate", "sales", "0002_sales_batches", "-v0")
    archive = tmp_path / "kam.tar.gz"
    made = kam(source, "backup", "--output", str(archive))
    assert made.returncode == 0, made.stderr
    assert archive.is_file()

    target = sites("target")  # migrated: as after `make migrate` on a new machine
    expected, files = contents(source), media(source)
    assert files and expected["clients_client"]

    restored = kam(target, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    after = contents(target)
    # Restored as it was, then migrated forward by the newer code.
    assert ["sales", "0003_salesline_recent_index"] not in map(
        list, (r[1:3] for r in expected["django_migrations"])
    )
    assert target.value(
        "SELECT count(*) FROM django_migrations WHERE app = 'sales' AND name = %s",
        "0003_salesline_recent_index",
    )
    for table in expected:
        if table != "django_migrations":
            assert after[table] == expected[table], table
    assert media(target) == files

    # Now it holds data: a second restore needs --force.
    again = kam(target, "restore", str(archive))
    assert again.returncode != 0
    holds_data = (
        "The database already holds data. Restoring replaces all of it: run again with --force "
        "if that is what you want."
    )
    assert said(holds_data) in again.stderr

    # A damaged archive is refused with a clear message and the target is left as it was.
    data = archive.read_bytes()
    truncated, flipped = tmp_path / "truncated.tar.gz", tmp_path / "flipped.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    raw = bytearray(gzip.decompress(data))
    raw[len(raw) // 3] ^= 0xFF  # a byte inside the database file
    flipped.write_bytes(gzip.compress(bytes(raw)))
    damaged = "%(file)s is not a KAM backup, or it is damaged: %(reason)s"
    mismatch = "The backup is damaged: %(name)s does not match its checksum (or is missing)."
    for bad, says in (
        (truncated, said(damaged, file=truncated, reason="")),
        (
            flipped,
            said(mismatch, name=f"database.{'sqlite3' if source.vendor == 'sqlite' else 'pgdump'}"),
        ),
    ):
        refused = kam(target, "restore", str(bad), "--force")
        assert refused.returncode != 0
        assert says in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert contents(target) == after


# --- archives refused before anything is touched (no database needed) ----------------------


def archive_of(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def manifest(**changes) -> dict:
    data = b"SQLite format 3\0"
    return {
        "format": 1,
        "kam_version": "0.1.0",
        "created": "2026-12-01T00:00:00+00:00",
        "engine": "sqlite",
        "migrations": [["core", "0001_initial"]],
        "tables": {},
        "files": {"database.sqlite3": hashlib.sha256(data).hexdigest()},
        **changes,
    }


def test_an_entry_outside_the_archives_folders_is_refused(tmp_path):
    archive = archive_of(tmp_path / "evil.tar.gz", {"media/../../escape.txt": b"x"})
    with pytest.raises(BackupError, match="escape.txt"):
        _unpack(archive, tmp_path / "work")
    assert not (tmp_path / "escape.txt").exists()


def test_an_archive_without_a_whole_manifest_is_refused(tmp_path):
    bare = archive_of(tmp_path / "bare.tar.gz", {"database.sqlite3": b"SQLite format 3\0"})
    with pytest.raises(BackupError, match="bare.tar.gz"):
        _unpack(bare, tmp_path / "work")
    partial = {"manifest.json": json.dumps({"format": 1}).encode()}
    with pytest.raises(BackupError, match="partial.tar.gz"):
        _unpack(archive_of(tmp_path / "partial.tar.gz", partial), tmp_path / "work2")


@pytest.mark.parametrize(
    "changes, says",
    [
        ({"engine": "postgresql"}, "postgresql"),
        ({"format": 2}, "(2)"),
        ({"files": {"database.sqlite3": "0" * 64}}, "database.sqlite3"),
        ({"migrations": [["core", "0099_from_the_future"]]}, "core.0099_from_the_future"),
    ],
)
def test_a_manifest_that_does_not_fit_is_refused(changes, says):
    hashes = {"database.sqlite3": hashlib.sha256(b"SQLite format 3\0").hexdigest()}
    _check(manifest(), hashes, "sqlite")  # the unchanged one fits
    with pytest.raises(BackupError) as refused:
        _check(manifest(**changes), hashes, "sqlite")
    assert says in str(refused.value)
