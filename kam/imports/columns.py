"""Which file header means which field: synonyms in Russian and English, matched loosely, or
the user's own choice from the preview (kam.imports.services)."""

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import override

from .values import Parser, normalise_word


@dataclass(frozen=True)
class Column:
    """One importable field of a kind.

    ``required`` columns must be present and every row must fill them. ``keep_when_empty``: an
    empty cell leaves the stored value alone (new rows get the model default) instead of
    clearing it — for fields that cannot be blank.
    """

    field: str
    label: Promise
    synonyms: tuple[str, ...]
    parse: Parser
    hint: Promise | str = ""
    example: object = None
    required: bool = False
    keep_when_empty: bool = False
    # Fields that can stand in for a required one (a client by code, INN or name): the file
    # needs one of them, and the kind checks that each row fills one.
    alternatives: tuple[str, ...] = ()

    @cached_property
    def names(self) -> frozenset[str]:
        """The field's own names, normalised: its key and its label in both languages."""
        labels = {self.field}
        for language in ("en", "ru"):
            with override(language):
                labels.add(str(self.label))
        return frozenset(normalise_word(s) for s in labels)

    @cached_property
    def words(self) -> frozenset[str]:
        """Every accepted header spelling, normalised."""
        return self.names | {normalise_word(s) for s in self.synonyms}


def quoted(text) -> str:
    """``text`` in the quotation marks of the reader's language: “…” or «…»."""
    # Translators: quotation marks around a header or a label; Russian uses «…».
    return _("“%(text)s”") % {"text": text}


def listed(texts) -> str:
    return ", ".join(quoted(text) for text in texts)


def signature(header: list[str]) -> str:
    """The shape of a file's header, as presets recognise it: spelling variants count as one."""
    words = [normalise_word(title or "") for title in header]
    return hashlib.sha256(json.dumps(words).encode()).hexdigest()


@dataclass(frozen=True)
class Mapping:
    """The file's headers, the field each one is imported as (or None), and what is wrong.

    ``repeated`` lists the fields the user chose for more than one column; a guessed mapping
    never repeats a field (see :meth:`build`).
    """

    header: list[str]
    fields: list[str | None]
    missing: list[str]
    repeated: list[str]

    @classmethod
    def build(cls, columns: list[Column], header: list[str]) -> "Mapping":
        """The guess: a header equal to a field's name beats a synonym of it, an earlier column
        beats a later one, and a column no field wants is not imported."""
        fields: list[str | None] = [None] * len(header)
        taken: set[str] = set()
        words = [normalise_word(title) if title else "" for title in header]
        for exact in (True, False):
            for column in columns:
                spellings = column.names if exact else column.words
                if column.field in taken:
                    continue
                for position, word in enumerate(words):
                    if fields[position] is None and word in spellings:
                        fields[position] = column.field
                        taken.add(column.field)
                        break
        return cls.chosen(columns, header, fields)

    @classmethod
    def chosen(cls, columns: list[Column], header: list[str], fields: list) -> "Mapping":
        """The mapping as chosen (by the user or a preset); unknown fields are not imported."""
        known = {c.field for c in columns}
        fields = [name if name in known else None for name in fields]
        fields += [None] * (len(header) - len(fields))
        fields = fields[: len(header)]
        seen: list[str] = [name for name in fields if name]
        repeated = sorted({name for name in seen if seen.count(name) > 1}, key=seen.index)
        missing = [
            c.field for c in columns if c.required and not set(seen) & {c.field, *c.alternatives}
        ]
        return cls(header=header, fields=fields, missing=missing, repeated=repeated)

    @classmethod
    def from_json(cls, data: dict) -> "Mapping":
        return cls(
            header=data["header"],
            fields=data["fields"],
            missing=data["missing"],
            repeated=data["repeated"],
        )

    def as_json(self) -> dict:
        return {
            "header": self.header,
            "fields": self.fields,
            "missing": self.missing,
            "repeated": self.repeated,
        }

    def problem(self, columns: list[Column]) -> str:
        """Why the file cannot be imported as mapped, or "" when it can."""
        labels = {c.field: str(c.label) for c in columns}
        if self.missing:
            return _("Required columns are missing: %(missing)s. Columns found: %(found)s.") % {
                "missing": ", ".join(needed(columns, self.missing)),
                "found": listed(h for h in self.header if h) or "—",
            }
        if self.repeated:
            return _("Each field can be imported from one column only: %(repeated)s.") % {
                "repeated": "; ".join(
                    _("%(field)s from %(columns)s")
                    % {
                        "field": quoted(labels[name]),
                        "columns": listed(
                            h for h, f in zip(self.header, self.fields, strict=True) if f == name
                        ),
                    }
                    for name in self.repeated
                )
            }
        return ""

    def position(self, name: str) -> int:
        return self.fields.index(name)

    def title(self, name: str) -> str:
        return self.header[self.position(name)]

    @property
    def present(self) -> set[str]:
        return {name for name in self.fields if name}


def needed(columns: list[Column], missing: list[str], *, quote: bool = True) -> list[str]:
    """The missing required columns as the user reads them: “client code”, or “client code”,
    “client INN” or “client name” when others can stand in for it."""
    labels = {c.field: quoted(c.label) if quote else str(c.label) for c in columns}
    shown = []
    for column in columns:
        if column.field in missing:
            *others, last = [labels[name] for name in (column.field, *column.alternatives)]
            shown.append(
                _("%(first)s or %(last)s") % {"first": ", ".join(others), "last": last}
                if others
                else last
            )
    return shown
