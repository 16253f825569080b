"""What every kind of import shares: the checking context, error frames and audited writes."""

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar, cast

import polars as pl
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.bulk import db_values, insert_returning, record_history, update_rows

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
    # Called first in every write transaction: progress, and a check that the job is still this
    # process's to write (it raises when the sweeper has ended the job).
    fence: Progress = field(default=lambda done, total: None)
    # Called in the last write transaction with the counts: the outcome commits with the data.
    finish: Callable[[Counts], None] = field(default=lambda counts: None)
    job_id: int | None = None  # the job being run, for a kind that records state on it
    progress: Callable[[str, int, int], None] = field(default=lambda phase, done, total: None)

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

    def duplicates(
        self, frame: pl.DataFrame, key: list[str], what: str, shown: list[str] | None = None
    ) -> pl.DataFrame:
        """Rows repeating the key of an earlier row; the message names that row. ``shown`` are
        the columns the error shows as the value (default the key: not when it holds ids)."""
        shown = shown or key
        keyed = frame.select(ROW, *dict.fromkeys([*key, *shown])).filter(
            pl.all_horizontal(pl.col(key).is_not_null())
        )
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
        value = pl.concat_str([pl.col(n).cast(pl.String) for n in shown], separator=" / ")
        blamed = next(name for name in shown if name in self.mapping.present)
        return self.flag(twins, pl.col(ROW) != first, blamed, with_row(message, first), value)

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
    return fill(template, row=row)


def fill(template: str, **values: pl.Expr) -> pl.Expr:
    """A per-row message from a translated template holding ``%(name)s`` for each of
    ``values`` (a null value makes the message null)."""
    # re.split alternates text and placeholder names: text, name, text, name, …, text
    pieces = re.split(r"%\((\w+)\)s", template)
    return pl.concat_str(
        [values[p].cast(pl.String) if n % 2 else pl.lit(p) for n, p in enumerate(pieces)]
    )


def _text(value) -> str:
    return "" if value is None else str(value)


def no_errors() -> pl.DataFrame:
    return pl.DataFrame(schema=ERROR_SCHEMA)


class Kind(ABC):
    """One kind of import: its columns, who may run it, how rows are checked and written.

    ``plan`` checks the parsed rows against the database and returns what ``write`` needs plus
    an error frame; ``write`` runs only when there are no errors at all, and makes its changes
    visible to others at once, in its last transaction.
    """

    name: ImportKind
    columns: list[Column]

    @abstractmethod
    def may_import(self, user) -> bool: ...

    @abstractmethod
    def plan(self, rows: pl.DataFrame, ctx: Context) -> tuple[object, pl.DataFrame]: ...

    def touched(self, plan) -> dict[str, list[int]]:
        """Ids of the stored objects the plan touches that history records do not name."""
        return {}

    def changes(self, plan, ctx: Context) -> tuple["Changes", dict]:
        """What ``write`` writes, and the ids of stored objects by key (for links)."""
        raise NotImplementedError

    def write(self, plan, ctx: Context) -> Counts:
        """Compare and prepare outside any transaction; then one short transaction writes it,
        records the outcome (``ctx.finish``) and commits."""
        changes, ids = self.changes(plan, ctx)
        prepared = changes.prepare(ctx, ids)
        with transaction.atomic():
            ctx.fence(0, prepared.size)
            counts = prepared.apply()
            ctx.finish(counts)
        return counts

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


class Same:
    """For :meth:`Changes.update`: the row does not set the object's link."""


SAME = Same()


@dataclass
class Changes:
    """What an import writes to ``model``: objects to create, changes to stored objects, and how
    many rows asked for no change.

    ``link`` names a field pointing at another object of the same model (a parent company, a
    boss), given as the *key* of that object, which may be created by the same file. Objects are
    compared and their values prepared for the database by :meth:`prepare`, before the write
    transaction; :meth:`Prepared.apply` then runs a few set-based statements, so the transaction
    holding the database's write lock stays short however large the file.
    """

    model: type[models.Model]
    link: str | None = None  # attname, e.g. "parent_id"
    new: list[tuple[Hashable, models.Model, Hashable | None]] = field(default_factory=list)
    changed: list[tuple[models.Model, set[str], Hashable | None | Same]] = field(
        default_factory=list
    )
    unchanged: int = 0

    def create(self, values: dict, key: Hashable = None, target: Hashable | None = None) -> None:
        """A new object of ``values``; ``target`` is the key of the object ``link`` points at."""
        self.new.append((key, self.model(**values), target))

    def update(
        self, obj: models.Model, values: dict, target: Hashable | None | Same = SAME, ids=None
    ) -> None:
        """Set ``values`` on stored ``obj`` where they differ; ``target`` as in :meth:`create`,
        resolved through ``ids`` (keys of stored objects → their ids) when it is stored."""
        different = {name for name, value in values.items() if getattr(obj, name) != value}
        for name in different:
            setattr(obj, name, values[name])
        if not isinstance(target, Same) and self.link:
            stored = None if target is None else (ids or {}).get(target)
            if target is None or stored is not None:
                if getattr(obj, self.link) != stored:
                    setattr(obj, self.link, stored)
                    different.add(self.link)
                target = SAME
            else:
                different.add(self.link)  # a new object: its id is known once it is written
        if different:
            self.changed.append((obj, different, target))
        else:
            self.unchanged += 1

    def prepare(self, ctx: Context, ids: dict | None = None) -> "Prepared":
        """Everything but the writing; ``ids`` maps the keys of stored objects to their ids."""
        ids = ids or {}
        meta = self.model._meta
        inserted = [
            f.attname
            for f in meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField))
        ]
        rows: list[tuple] = []
        links: list[tuple[Hashable, int | None, Hashable]] = []
        for key, obj, target in self.new:
            if self.link:
                setattr(obj, self.link, ids.get(target))
                if target is not None and target not in ids:
                    links.append((key, None, target))
            rows.append(db_values(self.model, inserted, obj))
        stamped = {f.attname for f in meta.concrete_fields if getattr(f, "auto_now", False)}
        groups: dict[tuple[str, ...], list[tuple]] = {}
        for obj, names, target in self.changed:
            if not isinstance(target, Same):
                links.append((None, obj.pk, target))
                names = names - {self.link}
            if not names:
                continue
            written = tuple(sorted(names | stamped))
            groups.setdefault(written, []).append((*db_values(self.model, written, obj), obj.pk))
        return Prepared(self, ctx, inserted, rows, links, groups, ids)


@dataclass
class Prepared:
    """A :class:`Changes` ready to write: :meth:`apply` inside the import's transaction."""

    changes: Changes
    ctx: Context
    inserted: list[str]
    rows: list[tuple]
    links: list[tuple[Hashable, int | None, Hashable]]  # (new key | None, stored id, target key)
    groups: dict[tuple[str, ...], list[tuple]]
    ids: dict

    @property
    def size(self) -> int:
        return len(self.rows) + len(self.changes.changed)

    def apply(self) -> Counts:
        model, link = self.changes.model, self.changes.link
        created = insert_returning(model, self.inserted, self.rows)
        new = zip(self.changes.new, created, strict=True)
        ids = self.ids | {key: pk for (key, _obj, _target), pk in new}
        for names, rows in self.groups.items():
            update_rows(model, names, rows)
        if self.links:
            assert link is not None  # links are recorded only for a Changes with a link
            # Links to objects the file creates: their ids exist only now.
            rows = [(ids[target], ids[key] if pk is None else pk) for key, pk, target in self.links]
            update_rows(model, [link], rows)
        changed = [obj.pk for obj, _names, _target in self.changes.changed]
        # One history record per object, by the importing user, naming the file (R39).
        user, reason, when = self.ctx.user, self.ctx.reason, timezone.now()
        record_history(model, created, kind="+", user=user, reason=reason, when=when)
        record_history(model, changed, kind="~", user=user, reason=reason, when=when)
        return Counts(len(created), len(changed), self.changes.unchanged)


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
