"""Set-based upsert of a Polars frame into a model's table, for volumes the ORM cannot carry.

Rows whose values did not change are not touched (``DO UPDATE … WHERE`` a value differs), so a
re-import writes nothing. PostgreSQL gets the rows by COPY into a temporary table; SQLite by
batched ``executemany`` — both inside the caller's transaction.
"""

from dataclasses import dataclass

import polars as pl
from django.db import connection, models

from .kinds.base import Counts, Progress

BATCH = 100_000


def _column(model: type[models.Model], name: str) -> str:
    """The table column of a concrete field, given its name or attname."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column is not None
    return field.column


@dataclass(frozen=True)
class Statement:
    """The pieces of one upsert, named and quoted for the current database."""

    table: str
    columns: list[str]
    conflict: str  # "ON CONFLICT … DO UPDATE … WHERE a value differs"

    @property
    def names(self) -> str:
        return ", ".join(self.columns)


def upsert(
    model: type[models.Model], frame: pl.DataFrame, *, key: list[str], progress: Progress
) -> Counts:
    """Insert or update ``frame`` (columns named by attname) keyed by a unique constraint."""
    meta, quote = model._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [quote(_column(model, name)) for name in frame.columns]
    keys = [quote(_column(model, name)) for name in key]
    values = [c for c in columns if c not in keys]
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    conflict = (
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in values)
        + " WHERE "
        + " OR ".join(f"{table}.{c} {differs} excluded.{c}" for c in values)
    )
    statement = Statement(table, columns, conflict)
    # Dates and decimals travel as canonical text: exact, and what Django itself sends.
    frame = frame.with_columns(pl.col(pl.Date, pl.Decimal).cast(pl.String))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            created, changed = _copy_upsert(cursor, model, statement, frame, progress)
        else:
            created, changed = _executemany_upsert(cursor, statement, frame, progress)
    return Counts(created=created, updated=changed - created, unchanged=frame.height - changed)


def _executemany_upsert(cursor, statement: Statement, frame, progress) -> tuple[int, int]:
    """(rows created, rows created or updated); the WHERE leaves unchanged rows out of both."""
    placeholders = ", ".join(["%s"] * len(statement.columns))
    sql = (
        f"INSERT INTO {statement.table} ({statement.names}) VALUES ({placeholders}) "
        + statement.conflict
    )
    # The transaction holds SQLite's only write lock: counting before and after is exact.
    cursor.execute(f"SELECT count(*) FROM {statement.table}")
    before = cursor.fetchone()[0]
    changed = 0
    for offset in range(0, frame.height, BATCH):
        part = frame.slice(offset, BATCH)
        cursor.executemany(sql, part.iter_rows())
        changed += cursor.rowcount
        progress(offset + part.height, frame.height)
    cursor.execute(f"SELECT count(*) FROM {statement.table}")
    return cursor.fetchone()[0] - before, changed


def _copy_upsert(cursor, model, statement: Statement, frame, progress) -> tuple[int, int]:
    """(rows created, rows created or updated), told apart by xmax as PostgreSQL writes them."""
    quote = connection.ops.quote_name
    types = {quote(f.column): f.db_type(connection) for f in model._meta.concrete_fields}
    staging = quote(f"import_{model._meta.db_table}")
    columns = ", ".join(f"{c} {types[c]}" for c in statement.columns)
    cursor.execute(f"CREATE TEMPORARY TABLE {staging} ({columns})")
    with cursor.copy(f"COPY {staging} ({statement.names}) FROM STDIN (FORMAT csv)") as copy:
        for offset in range(0, frame.height, BATCH):
            part = frame.slice(offset, BATCH)
            # Polars writes "" for an empty string and nothing for NULL, as COPY csv reads them.
            copy.write(part.write_csv(include_header=False))
            progress(offset + part.height, frame.height)
    cursor.execute(
        f"WITH written AS (INSERT INTO {statement.table} ({statement.names}) "
        f"SELECT {statement.names} FROM {staging} {statement.conflict} "
        "RETURNING xmax = 0 AS created) "
        "SELECT count(*) FILTER (WHERE created), count(*) FROM written"
    )
    created, changed = cursor.fetchone()
    cursor.execute(f"DROP TABLE {staging}")
    return created, changed
