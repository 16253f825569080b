"""Optimistic locking: two editors never overwrite each other silently.

An edit starts from a *base*: what the record held when the editor loaded it. Pages carry it as a
hidden field (a :class:`Base` token: one fingerprint per editable field), the API as an ETag
(:class:`IfMatch`). A service takes the base as its optional ``base`` argument and, inside its
transaction with the row locked (:func:`lock`), calls :func:`check` before writing:

- a field only the editor changed is written;
- a field only someone else changed keeps their value (the editor is told who changed what);
- a field both changed, to different values, is a conflict: :class:`EditConflict`, nothing is
  written, and the page shows both values with who changed it and when (409);
- for a decision (``strict``: key or not, the client type, a reassignment) any change by someone
  else since the base is a conflict: the decision was taken on a state that no longer holds.

An ETag that no longer matches is :class:`PreconditionFailed` (the API's 412).

Fingerprints are keyed hashes (HMAC with the secret key), so the hidden field reveals nothing of
the values, not even the id of a parent company the editor may not see.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.core import signing
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

_SALT = "kam.core.locking"
M = TypeVar("M", bound=models.Model)


# --- fingerprints -------------------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """``value`` as JSON-able data that is equal for equal stored values.

    A related object counts as its id, a set of them as the sorted ids; decimals lose trailing
    zeros (10.00 == 10); text is compared without the line endings a browser adds and without
    surrounding blanks, which every form strips anyway.
    """
    if isinstance(value, models.Model):
        return value.pk if value.pk is not None else ["new", str(value)]
    if isinstance(value, (list, tuple, set, frozenset, models.QuerySet)):
        return sorted((canonical(v) for v in value), key=json.dumps)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return str(value)


def fingerprint(name: str, value: Any) -> str:
    message = json.dumps([name, canonical(value)], ensure_ascii=False, sort_keys=True)
    return salted_hmac(_SALT, message).hexdigest()[:20]


def same(a: Any, b: Any) -> bool:
    return canonical(a) == canonical(b)


# --- the editor's base ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One change someone made since the editor's base: who, when, which fields (name, label)."""

    who: Any  # a User, or None when the record keeps no author
    when: dt.datetime | None
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FieldConflict:
    name: str
    theirs: Any  # the stored value now
    yours: Any  # what the editor sent


@dataclass
class Outcome:
    """What a successful check found: fields others changed (their values kept) and by whom."""

    theirs: dict[str, Any] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)


class EditConflict(Exception):
    """Someone changed what the editor changed too; nothing was written."""

    def __init__(
        self,
        *,
        conflicts: list[FieldConflict],
        theirs: dict[str, Any],
        current: dict[str, Any],
        changes: list[Change],
        base: Base,
    ):
        super().__init__("edit conflict")
        self.conflicts = conflicts
        self.theirs = theirs  # fields only the others changed: name -> value now
        self.current = current  # every base field as stored now
        self.changes = changes
        self.base = base  # a fresh base: the record as it is now

    def changed_by(self, name: str) -> Change | None:
        """The latest change that touched field ``name``."""
        for change in reversed(self.changes):
            if any(n == name for n, _label in change.fields):
                return change
        return None


class PreconditionFailed(Exception):
    """An ``If-Match`` ETag that is not the current one (HTTP 412)."""

    def __init__(self, etag: str, last: Change | None = None):
        super().__init__("precondition failed")
        self.etag = etag
        self.last = last


class StaleBase(ValueError):
    """A base token that is damaged or belongs to another record."""


@dataclass
class Base:
    """The record as the editor loaded it: a fingerprint per editable field.

    ``key`` names the record (``clients.client:12``); ``watermark`` is the newest audit entry
    then, so the changes made since can be listed with who and when; ``strict`` makes any change
    by someone else a conflict (decisions).
    """

    key: str
    fingerprints: dict[str, str]
    watermark: int | None = None
    strict: bool = False
    outcome: Outcome | None = None

    @classmethod
    def of(
        cls,
        key: str,
        values: Mapping[str, Any],
        *,
        watermark: int | None = None,
        strict: bool = False,
    ) -> Base:
        return cls(
            key=key,
            fingerprints={name: fingerprint(name, value) for name, value in values.items()},
            watermark=watermark,
            strict=strict,
        )

    def token(self) -> str:
        data = {"k": self.key, "f": self.fingerprints, "w": self.watermark, "s": self.strict}
        return signing.dumps(data, salt=_SALT, compress=True)

    @classmethod
    def parse(cls, token: str) -> Base:
        try:
            data = signing.loads(token, salt=_SALT)
            return cls(
                key=str(data["k"]),
                fingerprints={str(k): str(v) for k, v in dict(data["f"]).items()},
                watermark=None if data["w"] is None else int(data["w"]),
                strict=bool(data.get("s")),
            )
        except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
            raise StaleBase(str(error)) from error

    def merge(
        self, current: Mapping[str, Any], submitted: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], list[FieldConflict]]:
        """Three-way merge of base, ``current`` (stored now) and ``submitted`` (the editor's).

        Returns the fields to write, the fields only others changed (with their values now) and
        the conflicts. A submitted field absent from the base is written as sent.
        """
        theirs = {
            name: current[name]
            for name, fp in self.fingerprints.items()
            if name in current and fingerprint(name, current[name]) != fp
        }
        write: dict[str, Any] = {}
        conflicts = []
        for name, value in submitted.items():
            base = self.fingerprints.get(name)
            if name not in current or base is None:
                write[name] = value
                continue
            mine = fingerprint(name, value)
            now = fingerprint(name, current[name])
            if mine == now:
                continue  # nothing to write: already so
            if base == now:
                write[name] = value  # only the editor changed it
            elif mine == base:
                continue  # only the others changed it: theirs stays
            else:
                conflicts.append(FieldConflict(name, current[name], value))
        if self.strict and theirs:
            # A decision taken on a state that no longer holds: show every field changed since.
            conflicts = [
                FieldConflict(name, current[name], submitted.get(name, current[name]))
                for name in theirs
            ]
        return write, theirs, conflicts


# --- records -------------------------------------------------------------------------------------


def record_key(instance: models.Model) -> str:
    return f"{instance._meta.label_lower}:{instance.pk or ''}"


def record_values(instance: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """The stored values of ``names``: ids for relations, sorted ids for many-to-many fields."""
    values: dict[str, Any] = {}
    for name in names:
        model_field = instance._meta.get_field(name)
        if model_field.many_to_many:
            related = getattr(instance, name)
            values[name] = sorted(related.values_list("pk", flat=True)) if instance.pk else []
        elif model_field.is_relation:
            values[name] = getattr(instance, model_field.attname)  # type: ignore[union-attr]
        else:
            values[name] = getattr(instance, name)
    return values


def _audit(model) -> Any:
    """The model's django-simple-history manager (named ``audit`` in KAM), if it keeps one."""
    return getattr(model, "audit", None)


def watermark(instance: models.Model) -> int | None:
    """The id of the record's newest audit entry (None without any)."""
    audit = _audit(type(instance))
    if audit is None or instance.pk is None:
        return None
    return (
        audit.filter(id=instance.pk)
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )


def base_for(
    instance: models.Model, names: Iterable[str], *, strict: bool = False, key: str | None = None
) -> Base:
    """The base of an edit of ``instance`` (saved, or a blank one about to be created)."""
    names = list(names)
    return Base.of(
        key or record_key(instance),
        record_values(instance, names),
        watermark=watermark(instance),
        strict=strict,
    )


def changes_since(
    instance: models.Model, since: int | None, names: Iterable[str]
) -> tuple[list[Change], int | None]:
    """The audited changes to ``names`` after the entry ``since``, oldest first, and the id of
    the newest entry. Models without an audit history answer no changes."""
    audit = _audit(type(instance))
    if audit is None or instance.pk is None:
        return [], since
    names = list(names)
    records = list(
        audit.filter(id=instance.pk, history_id__gte=since or 0)
        .select_related("history_user")
        .order_by("history_id")
    )
    changes = []
    previous = None
    for record in records:
        if previous is None and since is not None and record.history_id == since:
            previous = record
            continue
        changed = [
            name
            for name in names
            if previous is None
            or _recorded(previous, instance, name) != _recorded(record, instance, name)
        ]
        if changed:
            changes.append(
                Change(
                    who=record.history_user,
                    when=record.history_date,
                    fields=tuple((n, _label(instance, n)) for n in changed),
                )
            )
        previous = record
    return changes, records[-1].history_id if records else since


def _recorded(record, instance: models.Model, name: str) -> Any:
    """Field ``name`` of ``instance`` as the audit entry ``record`` keeps it (ids for
    relations; for a many-to-many field, simple-history's rows of the entry)."""
    field = instance._meta.get_field(name)
    if field.many_to_many:
        target = f"{field.related_model._meta.model_name}_id"  # type: ignore[union-attr]
        return sorted(getattr(record, name).values_list(target, flat=True))
    return getattr(record, field.attname)  # type: ignore[union-attr]


def _label(instance: models.Model, name: str) -> str:
    return str(getattr(instance._meta.get_field(name), "verbose_name", name))


def lock(instance: M) -> M:
    """Read ``instance`` afresh from the database and lock its row until the transaction ends.

    PostgreSQL locks the row (SELECT … FOR UPDATE); SQLite's IMMEDIATE transaction already holds
    the database's write lock. The instance is refreshed in place, so what the caller set for the
    audit entry (its date, user, reason) stays. Call it inside ``transaction.atomic``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock() outside a transaction: the lock would end at once")
    model = type(instance)
    try:
        instance.refresh_from_db(from_queryset=model._base_manager.select_for_update())
    except ObjectDoesNotExist:
        raise ValidationError(_("This record was deleted while you were editing it.")) from None
    return instance


# --- the check every service runs -----------------------------------------------------------------


class IfMatch:
    """The API's precondition: the ETag the client last read must still be the current one."""

    def __init__(self, etag: str, current: Callable[[models.Model], str]):
        self.etag = etag.strip()
        self.current = current  # the current ETag of the locked record
        self.outcome: Outcome | None = None

    def matches(self, current: str) -> bool:
        tags = [t.strip() for t in self.etag.split(",")]
        return "*" in tags or current in tags

    def check(self, locked: models.Model, submitted: dict[str, Any]) -> dict[str, Any]:
        current = self.current(locked)
        if not self.matches(current):
            raise PreconditionFailed(current, last_change(locked))
        return submitted


def last_change(instance: models.Model) -> Change | None:
    """Who last changed the record and when (None when it keeps no audit history)."""
    audit = _audit(type(instance))
    if audit is None or instance.pk is None:
        return None
    record = (
        audit.filter(id=instance.pk).select_related("history_user").order_by("-history_id").first()
    )
    return None if record is None else Change(record.history_user, record.history_date, ())


def check(
    base: Base | IfMatch | None, locked: models.Model, submitted: dict[str, Any]
) -> dict[str, Any]:
    """The fields of ``submitted`` to write on ``locked`` (read under lock) given the editor's
    ``base``; raises :class:`EditConflict` or :class:`PreconditionFailed`. Without a base every
    submitted field is written (imports, scripts, a PATCH without If-Match)."""
    if base is None:
        return dict(submitted)
    if isinstance(base, IfMatch):
        return base.check(locked, submitted)
    names = [n for n in dict.fromkeys([*base.fingerprints, *submitted]) if _has_field(locked, n)]
    return check_values(
        base,
        key=record_key(locked),
        current=record_values(locked, names),
        submitted=submitted,
        changes=lambda since: changes_since(locked, since, list(base.fingerprints)),
    )


def check_values(
    base: Base,
    *,
    key: str,
    current: Mapping[str, Any],
    submitted: dict[str, Any],
    changes: Callable[[int | None], tuple[list[Change], int | None]],
) -> dict[str, Any]:
    """:func:`check` for any record given as values: ``current`` is what is stored now (read
    under lock), ``changes(since)`` lists the changes after the base's watermark."""
    if base.key != key and base.key != key.rsplit(":", 1)[0] + ":":
        # The base of another record (a blank record's base is good for the one created since).
        raise StaleBase(base.key)
    write, theirs, conflicts = base.merge(current, submitted)
    if not theirs:
        base.outcome = Outcome()
        return write
    made, newest = changes(base.watermark)
    if conflicts:
        fresh = Base.of(
            key,
            {n: current[n] for n in base.fingerprints if n in current},
            watermark=newest,
            strict=base.strict,
        )
        raise EditConflict(
            conflicts=conflicts, theirs=theirs, current=dict(current), changes=made, base=fresh
        )
    base.outcome = Outcome(theirs=theirs, changes=made)
    return write


def _has_field(instance: models.Model, name: str) -> bool:
    try:
        instance._meta.get_field(name)
    except Exception:
        return False
    return True
