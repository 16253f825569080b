"""Fast inserts of many plain rows: COPY on PostgreSQL, executemany on SQLite.

For derived tables written whole (scorings, snapshots) where ``bulk_create`` spends its time
building model instances and adapting values one by one. Values must be database-ready: JSON as
text, dates and numbers as Python values; no signals, no defaults are applied.
"""

import itertools
from collections.abc import Iterable, Sequence

import polars as pl
from django.db import connection, models

BATCH = 2_000
CSV_ROWS = 50_000  # rows of a frame per CSV piece sent to COPY


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(_column(model, name)) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"
        iterator = iter(rows)
        while chunk := list(itertools.islice(iterator, BATCH)):
            cursor.executemany(sql, chunk)


def insert_frame(model: type[models.Model], frame: pl.DataFrame) -> None:
    """Insert the rows of ``frame``, whose columns are named by ``model``'s fields.

    On PostgreSQL Polars writes the rows as CSV for ``COPY … (FORMAT csv)``, so no value passes
    through Python (tuples written row by row: 12 of 17 s at 100,000 snapshot rows).
    Values as for :func:`insert_rows`; a datetime column must carry its time zone.
    """
    if connection.vendor != "postgresql":
        insert_rows(model, frame.columns, frame.iter_rows())
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(_column(model, name)) for name in frame.columns)
    with connection.cursor() as cursor:
        sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN (FORMAT csv)"
        with cursor.cursor.copy(sql) as copy:
            for part in frame.iter_slices(CSV_ROWS):
                # "" for an empty string and nothing for NULL, as COPY csv reads them.
                copy.write(part.write_csv(include_header=False))


RETURNING_BATCH = 500  # rows a multi-row INSERT … RETURNING carries


def db_values(model: type[models.Model], names: Sequence[str], obj: models.Model) -> tuple:
    """``obj``'s values of the fields ``names`` (names or attnames), as the database takes them:
    each through its field's ``pre_save`` and ``get_db_prep_save``, exactly as ``save()`` would."""
    values = []
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)
        values.append(field.get_db_prep_save(field.pre_save(obj, obj.pk is None), connection))
    return tuple(values)


def insert_returning(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence]
) -> list[int]:
    """Insert ``rows`` (database-ready tuples in the order of ``fields``); their new keys in order.

    Multi-row ``INSERT … RETURNING``, the statement ``bulk_create`` ends in, without its
    per-object work: callers prepare the values (:func:`db_values`) before their transaction.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table, pk = quote(model._meta.db_table), quote(_column(model, "pk"))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), RETURNING_BATCH):
            part = rows[start : start + RETURNING_BATCH]
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(part))}"
            cursor.execute(f"{sql} RETURNING {pk}", [v for row in part for v in row])
            ids += [row[0] for row in cursor.fetchall()]
    return ids


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """``UPDATE … SET fields WHERE pk`` for each row ``(*values, pk)``; returns rows changed."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(_column(model, name))} = %s" for name in fields)
    table, pk = quote(model._meta.db_table), quote(_column(model, "pk"))
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", list(rows))
        return cursor.rowcount


def record_history(
    model: type[models.Model], ids: Sequence[int], *, kind: str, user, reason: str, when
) -> None:
    """Add one django-simple-history record per row of ``ids``, copied from the rows as stored.

    What ``bulk_history_create`` writes, made by the database from the rows themselves: the
    record shows what was saved, whoever else changed the row before, and costs no Python
    object per row. ``kind`` is "+" (created) or "~" (changed).
    """
    history = model.audit.model  # type: ignore[attr-defined]  # set by HistoricalRecords
    quote = connection.ops.quote_name
    tracked = [quote(f.column) for f in history.tracked_fields]
    meta = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    columns = ", ".join([*tracked, *(quote(c) for c in meta)])
    table, pk = quote(model._meta.db_table), quote(_column(model, "pk"))
    head = (
        f"INSERT INTO {quote(history._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(tracked)}, %s, %s, %s, %s FROM {table} WHERE {pk} IN "
    )
    stamp = [connection.ops.adapt_datetimefield_value(when), reason or None, kind, user.pk]
    with connection.cursor() as cursor:
        for start in range(0, len(ids), RETURNING_BATCH):
            part = list(ids[start : start + RETURNING_BATCH])
            cursor.execute(head + "(" + ", ".join(["%s"] * len(part)) + ")", stamp + part)


def _column(model: type[models.Model], name: str) -> str:
    """The table column of a concrete field, given its name or attname ("pk": the key's)."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column is not None
    return field.column
