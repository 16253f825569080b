"""Set-based upsert of a Polars frame into a model's table, for volumes the ORM cannot carry.

Rows whose values did not change are not touched (``DO UPDATE … WHERE`` a value differs), so a
re-import writes nothing. PostgreSQL gets the rows by COPY into a temporary table; SQLite by
batched ``executemany`` — both inside the caller's transaction.
"""

import polars as pl
from django.db import connection, models

from .kinds.base import Counts, Progress

BATCH = 100_000


def upsert(
    model: type[models.Model],
    frame: pl.DataFrame,
    *,
    key: list[str],
    progress: Progress,
) -> Counts:
    """Insert or update ``frame`` (columns named by attname) keyed by a unique constraint."""
    meta, quote = model._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [meta.get_field(name).column for name in frame.columns]
    key_columns = [meta.get_field(name).column for name in key]
    values = [c for c in columns if c not in key_columns]
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    upsert_tail = (
        f" ON CONFLICT ({', '.join(map(quote, key_columns))}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in values)
        + " WHERE "
        + " OR ".join(f"{table}.{quote(c)} {differs} excluded.{quote(c)}" for c in values)
    )
    # Dates and decimals travel as canonical text: exact, and what Django itself sends.
    frame = frame.with_columns(pl.col(pl.Date, pl.Decimal).cast(pl.String))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        before = cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            changed = _copy_upsert(cursor, model, frame, columns, upsert_tail, progress)
        else:
            changed = _executemany_upsert(cursor, table, frame, columns, upsert_tail, progress)
        cursor.execute(f"SELECT count(*) FROM {table}")
        created = cursor.fetchone()[0] - before
    # rowcount counts inserted and updated rows, never the ones the WHERE left alone.
    return Counts(created=created, updated=changed - created, unchanged=frame.height - changed)


def _executemany_upsert(cursor, table, frame, columns, upsert_tail, progress) -> int:
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {table} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})" + upsert_tail
    )
    changed = 0
    for offset in range(0, frame.height, BATCH):
        part = frame.slice(offset, BATCH)
        cursor.executemany(sql, part.iter_rows())
        changed += cursor.rowcount
        progress(offset + part.height, frame.height)
    return changed


def _copy_upsert(cursor, model, frame, columns, upsert_tail, progress) -> int:
    quote = connection.ops.quote_name
    meta = model._meta
    types = {f.column: f.db_type(connection) for f in meta.concrete_fields}
    names = ", ".join(map(quote, columns))
    staging = quote(f"import_{meta.db_table}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {staging} ("
        + ", ".join(f"{quote(c)} {types[c]}" for c in columns)
        + ")"
    )
    with cursor.copy(f"COPY {staging} ({names}) FROM STDIN (FORMAT csv)") as copy:
        for offset in range(0, frame.height, BATCH):
            part = frame.slice(offset, BATCH)
            # Polars writes "" for an empty string and nothing for NULL, as COPY csv reads them.
            copy.write(part.write_csv(include_header=False))
            progress(offset + part.height, frame.height)
    table = quote(meta.db_table)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}" + upsert_tail)
    changed = cursor.rowcount
    cursor.execute(f"DROP TABLE {staging}")
    return changed
