"""What every kind of import shares: the checking context, error frames and audited writes."""

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

import polars as pl
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..columns import Column, Mapping
from ..models import ImportKind
from ..reading import ROW

ERROR_SCHEMA = {
    "row": pl.Int64,
    "pos": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "reason": pl.String,
}
BATCH = 1000
# One message for "no such code" and "a client you may not see": the difference must not leak.
UNKNOWN_CLIENT = gettext_lazy("No client with this code among the clients you can see.")

Progress = Callable[[int, int], None]  # rows written so far, rows to write


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Context:
    """Who imports, how the file's columns map, and where errors and progress go."""

    user: models.Model
    mapping: Mapping
    reason: str
    progress: Progress = field(default=lambda done, total: None)

    def flag(
        self,
        frame: pl.DataFrame,
        where: pl.Expr,
        name: str,
        reason: str | pl.Expr,
        value: pl.Expr | None = None,
    ) -> pl.DataFrame:
        """Errors for the rows of ``frame`` matching ``where``, blamed on column ``name``."""
        return frame.filter(where).select(
            row=pl.col(ROW),
            pos=pl.lit(self.mapping.position(name), dtype=pl.Int64),
            column=pl.lit(self.mapping.title(name)),
            value=(pl.col(name) if value is None else value).cast(pl.String),
            reason=pl.lit(reason) if isinstance(reason, str) else reason,
        )

    def flag_rows(self, items: Iterable[tuple[int, str, object, str]]) -> pl.DataFrame:
        """Errors found by Python checks: (row, column name, value, reason)."""
        rows = [
            (row, self.mapping.position(name), self.mapping.title(name), _text(value), reason)
            for row, name, value, reason in items
        ]
        return pl.DataFrame(rows, schema=ERROR_SCHEMA, orient="row")

    def duplicates(self, frame: pl.DataFrame, key: list[str], what: str) -> pl.DataFrame:
        """Rows repeating the key of an earlier row; the message names that row."""
        keyed = frame.select(ROW, *key).filter(pl.all_horizontal(pl.col(key).is_not_null()))
        # Sorted 64-bit hashes reveal repeats in a few MB, where a hash table over a million
        # composite keys takes hundreds; the few candidates are then compared exactly.
        hashes = keyed.select(pl.struct(key).hash()).to_series()
        ordered = hashes.sort()
        repeated = ordered.filter(ordered == ordered.shift(1))
        twins = keyed.filter(hashes.is_in(repeated.implode())).with_columns(
            pl.col(ROW).min().over(key).alias("__first")
        )
        first = pl.col("__first")
        message = _("Same %(what)s as row %(row)s.") % {"what": what, "row": "%(row)s"}
        shown = pl.concat_str([pl.col(n).cast(pl.String) for n in key], separator=" / ")
        blamed = next(name for name in key if name in self.mapping.present)
        return self.flag(twins, pl.col(ROW) != first, blamed, with_row(message, first), shown)

    def lookup(
        self, frame: pl.DataFrame, name: str, known: dict[str, int], target: str, reason: str
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Ids for the codes in column ``name``, as column ``target``; unknown codes are errors."""
        ids = pl.col(name).replace_strict(known, default=None, return_dtype=pl.Int64)
        frame = frame.with_columns(ids.alias(target))
        unknown = pl.col(name).is_not_null() & pl.col(target).is_null()
        return frame, self.flag(frame, unknown, name, reason)


def with_row(template: str, row: pl.Expr) -> pl.Expr:
    """A per-row message from a translated template holding ``%(row)s``."""
    before, _sep, after = template.partition("%(row)s")
    return pl.concat_str([pl.lit(before), row.cast(pl.String), pl.lit(after)])


def _text(value) -> str:
    return "" if value is None else str(value)


def no_errors() -> pl.DataFrame:
    return pl.DataFrame(schema=ERROR_SCHEMA)


class Kind(ABC):
    """One kind of import: its columns, who may run it, how rows are checked and written.

    ``plan`` checks the parsed rows against the database and returns what ``write`` needs plus
    an error frame; ``write`` runs inside the import's transaction and only when there are no
    errors at all.
    """

    name: ImportKind
    columns: list[Column]

    @abstractmethod
    def may_import(self, user) -> bool: ...

    @abstractmethod
    def plan(self, rows: pl.DataFrame, ctx: Context) -> tuple[object, pl.DataFrame]: ...

    @abstractmethod
    def write(self, plan, ctx: Context) -> Counts: ...

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


def row_values(row: dict, columns: list[Column], present: set[str]) -> dict:
    """The model values a row sets: absent columns and empty keep-when-empty cells set nothing."""
    values = {}
    for column in columns:
        if column.field not in present:
            continue
        value = row[column.field]
        if value is None and column.keep_when_empty:
            continue
        values[column.field] = value
    return values


def blank(model: type[models.Model], values: dict) -> dict:
    """Empty cells become what the model stores for "nothing": NULL or an empty string."""
    return {
        name: ("" if value is None and not model._meta.get_field(name).null else value)
        for name, value in values.items()
    }


@dataclass
class Changes:
    """Objects to create and to update, and how many rows asked for no change."""

    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    fields: set = field(default_factory=set)
    unchanged: int = 0

    def apply(self, obj: models.Model | None, model, values: dict) -> models.Model:
        if obj is None:
            obj = model(**values)
            self.new.append(obj)
            return obj
        different = {name for name, value in values.items() if getattr(obj, name) != value}
        if different:
            for name in different:
                setattr(obj, name, values[name])
            self.changed.append(obj)
            self.fields |= different
        else:
            self.unchanged += 1
        return obj

    def save(self, model: type[models.Model], ctx: Context, *, create: bool = True) -> Counts:
        """Write the changes; ``create=False`` when the caller created the new objects itself."""
        if create and self.new:
            audited_create(model, self.new, ctx)
        if self.changed:
            fields = set(self.fields)
            if any(f.name == "updated_at" for f in model._meta.fields):
                now = timezone.now()  # bulk_update skips auto_now
                for obj in self.changed:
                    obj.updated_at = now
                fields.add("updated_at")
            bulk_update_with_history(
                self.changed, model, sorted(fields), batch_size=BATCH, **_audit(ctx)
            )
        return Counts(len(self.new), len(self.changed), self.unchanged)


def _audit(ctx: Context) -> dict:
    # One history record per object, by the importing user, naming the file (R39).
    return {"default_user": ctx.user, "default_change_reason": ctx.reason}


def audited_create(model: type[models.Model], objs: list[models.Model], ctx: Context) -> None:
    bulk_create_with_history(objs, model, batch_size=BATCH, **_audit(ctx))


_K = TypeVar("_K", bound=Hashable)


def loops(links: dict[_K, _K | None], starts: Iterable[_K]) -> set[_K]:
    """The nodes among ``starts`` that lead back to themselves following ``links``."""
    looping = set()
    for start in starts:
        seen, node = set(), links.get(start)
        while node is not None and node not in seen:
            if node == start:
                looping.add(start)
                break
            seen.add(node)
            node = links.get(node)
    return looping


def create_in_order(
    items: Sequence[tuple[_K, models.Model, _K | None]],
    ids: dict[_K, int],
    attname: str,
    save: Callable[[list[models.Model]], None],
) -> None:
    """Create objects that point at each other (a parent company, a boss) parents first.

    ``items`` are (key, unsaved object, key of the object it points at); ``ids`` holds the keys
    already in the database and receives the new ones. Loops were refused while checking.
    """
    pending = items
    while pending:
        ready = [item for item in pending if item[2] is None or item[2] in ids]
        if not ready:
            raise RuntimeError("a reference loop slipped through the checks")
        for _key, obj, target in ready:
            setattr(obj, attname, None if target is None else ids.get(target))
        save([obj for _key, obj, _target in ready])
        ids.update((key, obj.pk) for key, obj, _target in ready)
        done = {id(obj) for _key, obj, _target in ready}
        pending = [item for item in pending if id(item[1]) not in done]


def fetch(queryset: models.QuerySet | models.Manager, name: str, keys: Iterable) -> list:
    """``queryset.filter(<name>__in=keys)`` in slices, below every database's parameter limit."""
    keys = list(keys)
    found: list = []
    for start in range(0, len(keys), 10_000):
        found += queryset.filter(**{f"{name}__in": keys[start : start + 10_000]})
    return found


def one_of(choices) -> Promise:
    """A hint listing a choices class's labels in the reader's language."""
    # The stubs type lazy() as returning the function itself; at runtime this is a Promise.
    return cast(
        Promise,
        lazy(
            lambda: _("One of: %(labels)s.") % {"labels": ", ".join(map(str, choices.labels))}, str
        )(),
    )


TEXT_HINT = gettext_lazy("Text.")
CODE_HINT = gettext_lazy("A code as in your ERP.")
NUMBER_HINT = gettext_lazy("A number: 1 234,50 or 1234.50.")
DATE_HINT = gettext_lazy("A date: 31.12.2024 or 2024-12-31.")
YES_NO_HINT = gettext_lazy("Yes or no (да / нет).")
