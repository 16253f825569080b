"""Fast inserts of many plain rows: COPY on PostgreSQL, executemany on SQLite.

For derived tables written whole (scorings, snapshots) where ``bulk_create`` spends its time
building model instances and adapting values one by one. Values must be database-ready: JSON as
text, dates and numbers as Python values; no signals, no defaults are applied.
"""

import itertools
from collections.abc import Iterable, Sequence

from django.db import connection, models

BATCH = 2_000


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


def insert_instances(model: type[models.Model], objs: Iterable[models.Model]) -> None:
    """Insert unsaved ``objs`` (the database assigns the keys) through :func:`insert_rows`.

    Each value goes through its field's ``pre_save`` and ``get_db_prep_save``, exactly as a
    ``save()`` would prepare it; only the per-object machinery of ``bulk_create`` is skipped.
    """
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField))
    ]
    rows = (
        tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objs
    )
    insert_rows(model, [f.name for f in fields], rows)


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
