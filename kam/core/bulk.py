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
    columns = []
    for name in fields:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column  # a concrete column, not a relation
        columns.append(field.column)
    names = ", ".join(quote(c) for c in columns)
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
