"""Sales lines written in short transactions that stay invisible until the last one.

A file of millions of lines cannot be written in one transaction: on SQLite that transaction
holds the database's only write lock, and every other user's write waits for it (and fails at
the busy timeout). So the lines are written chunk by chunk into a :class:`SalesBatch`:

1. **open** — take the one batch slot (one sales import writes at a time);
2. **stage** — each chunk in its own short transaction: the chunk goes to a temporary table,
   its new and changed lines are inserted as lines of the batch, and the lines they replace are
   marked superseded by it. Readers see none of it (``SalesLine.objects`` hides both);
3. **publish** — one tiny transaction flips the batch to published, with the job's outcome:
   from that instant readers see the whole import, never a part of it;
4. **fold** — superseded lines are deleted and the batch mark cleared, in short transactions;
   readers see the same lines before and after.

A failure before publishing discards the batch (its lines deleted, the superseded marks
cleared); if the process dies, the sweeper does it (kam.imports.sweep). Each chunk's size is
adjusted so that one transaction takes about ``TARGET_SECONDS``.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.db.models import Field

from kam.core.db import let_waiting_writers_in
from kam.sales.models import SalesBatch, SalesLine

from .kinds.base import Counts

KEY = ["document_number", "client_id", "product_id", "date"]
MEASURES = ["quantity", "amount", "cost"]
# Seconds one chunk's transaction should take. SQLite has one write lock for the database:
# every other writer waits for it, so chunks stay short. PostgreSQL locks only the rows a
# transaction touches (none another user edits), so longer chunks only save commits.
TARGET_SECONDS = {"sqlite": 0.5, "postgresql": 2.0}
FIRST_CHUNK, MIN_CHUNK, MAX_CHUNK = 10_000, 1_000, 200_000
SLOT_WAIT = 2.0  # seconds between two looks at a slot another import holds

Fence = Callable[[int, int], None]
"""Called first in every transaction with (rows written, rows in all): records progress and
raises if the job is no longer this process's to write (the sweeper ended it)."""


@dataclass(frozen=True)
class Statements:
    stage: str
    fill: list[str]
    insert: str
    supersede: str


def open_batch(link: Callable[[SalesBatch], None], wait: Callable[[], None]) -> SalesBatch:
    """Take the batch slot (waiting while another import holds it); ``link`` records it on the
    job in the same transaction, so a batch never exists without its owner knowing."""
    while True:
        try:
            with transaction.atomic():
                batch = SalesBatch.objects.create()
                link(batch)
                return batch
        except IntegrityError:
            wait()
            time.sleep(SLOT_WAIT)


def write(
    batch: SalesBatch, frame: pl.DataFrame, *, fence: Fence, finish: Callable[[Counts], None]
) -> Counts:
    """Stage ``frame`` (the key columns and the measures present) into ``batch`` and publish it;
    ``finish(counts)`` runs in the publishing transaction. The caller folds the batch after."""
    measures = [c for c in frame.columns if c not in KEY]
    sql = _statements(measures)
    # In the order of the client-and-date index, so each chunk touches few of its pages; dates
    # and decimals travel as canonical text: exact, and what Django itself sends.
    frame = (
        frame.select(*KEY, *measures)
        .sort("client_id", "date")
        .with_columns(pl.col(pl.Date, pl.Decimal).cast(pl.String))
    )
    counts, offset, size, total = Counts(), 0, FIRST_CHUNK, frame.height
    while offset < total:
        part = frame.slice(offset, size)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            fence(offset, total)
            _stage(cursor, sql, part)
            for statement in sql.fill:
                cursor.execute(statement)
            # Replaced lines first: they leave the natural-key index their replacements enter.
            cursor.execute(sql.supersede, [batch.pk])
            replaced = cursor.rowcount
            cursor.execute(sql.insert, [batch.pk])
            inserted = cursor.rowcount
        counts.created += inserted - replaced
        counts.updated += replaced
        counts.unchanged += part.height - inserted
        offset += part.height
        size = _next_size(size, time.perf_counter() - started)
        if offset < total:
            let_waiting_writers_in()
    with transaction.atomic():
        fence(total, total)
        SalesBatch.objects.filter(pk=batch.pk).update(published=True)
        finish(counts)
    return counts


def _next_size(size: int, seconds: float) -> int:
    """The next chunk's rows, aiming at TARGET_SECONDS a transaction; growing at most by half,
    as a bigger chunk can cost more than its share (index pages falling out of the cache)."""
    scaled = int(size * TARGET_SECONDS[connection.vendor] / max(seconds, 1e-3))
    return max(MIN_CHUNK, min(MAX_CHUNK, scaled, size * 3 // 2))


STAGE_TABLE = "kam_import_stage"


def _statements(measures: list[str]) -> Statements:
    quote = connection.ops.quote_name
    meta = SalesLine._meta
    table = quote(meta.db_table)
    column = {name: quote(_column(name)) for name in (*KEY, *measures)}
    cost, batch, superseded = (quote(_column(name)) for name in ("cost", "batch", "superseded_by"))
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    # The current line of each key: not replaced (at most one, the natural key's index says).
    on = (
        " AND ".join(f"t.{column[k]} = s.{column[k]}" for k in KEY) + f" AND t.{superseded} IS NULL"
    )
    changed = " OR ".join(f"t.{column[m]} {differs} s.{column[m]}" for m in measures)
    names = [column[n] for n in (*KEY, *measures)]
    # A file without costs keeps the stored ones: the staged lines take them before comparing.
    kept = [] if "cost" in measures else [cost]
    targets = ", ".join([*names, *kept, batch])
    values = ", ".join([*(f"s.{c}" for c in (*names, *kept)), "%s"])
    current = " AND ".join(f"t.{column[k]} = {quote(STAGE_TABLE)}.{column[k]}" for k in KEY)
    fill = [
        f"UPDATE {quote(STAGE_TABLE)} SET {c} = (SELECT t.{c} FROM {table} t "
        f"WHERE {current} AND t.{superseded} IS NULL)"
        for c in kept
    ]
    # Every key and measure column, whichever the file has: the table lives as long as the
    # connection and serves every import on it; it is emptied before each chunk.
    staged = [meta.get_field(name) for name in (*KEY, *MEASURES)]
    columns = ", ".join(f"{quote(_column(f.name))} {f.db_type(connection)}" for f in staged)
    stage = quote(STAGE_TABLE)
    return Statements(
        stage=f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({columns})",
        fill=fill,
        # Keys with no current line: new ones, and those whose line was just marked replaced.
        insert=(
            f"INSERT INTO {table} ({targets}) SELECT {values} FROM {stage} s "
            f"LEFT JOIN {table} t ON {on} WHERE t.id IS NULL"
        ),
        supersede=(
            f"UPDATE {table} SET {superseded} = %s WHERE id IN "
            f"(SELECT t.id FROM {stage} s JOIN {table} t ON {on} WHERE {changed})"
        ),
    )


def _stage(cursor, sql: Statements, part: pl.DataFrame) -> None:
    cursor.execute(sql.stage)
    names = ", ".join(connection.ops.quote_name(_column(c)) for c in part.columns)
    stage = connection.ops.quote_name(STAGE_TABLE)
    cursor.execute(f"DELETE FROM {stage}")
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {stage} ({names}) FROM STDIN (FORMAT csv)") as copy:
            # Polars writes "" for an empty string and nothing for NULL, as COPY csv reads them.
            copy.write(part.write_csv(include_header=False))
        # A chunk is a few thousand keys, each looked up by the natural-key index. The planner,
        # with statistics from before the import began (and none for a temporary table), would
        # hash the whole sales table for every chunk instead.
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
    else:
        marks = ", ".join(["%s"] * part.width)
        cursor.executemany(f"INSERT INTO {stage} ({names}) VALUES ({marks})", part.iter_rows())


def _column(name: str) -> str:
    """A sales line's column, given a field's name or attname."""
    field = SalesLine._meta.get_field(name)
    assert isinstance(field, Field) and field.column is not None
    return field.column
