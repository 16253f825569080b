"""Which file header means which field: synonyms in Russian and English, matched loosely."""

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
    def words(self) -> frozenset[str]:
        """Every accepted header spelling, normalised; the label counts in both languages."""
        labels = set()
        for language in ("en", "ru"):
            with override(language):
                labels.add(str(self.label))
        return frozenset(normalise_word(s) for s in {self.field, *self.synonyms, *labels})


@dataclass(frozen=True)
class Mapping:
    """The file's headers, the field each one means (or None), and what is wrong."""

    header: list[str]
    fields: list[str | None]
    missing: list[str]
    repeated: list[str]

    @classmethod
    def build(cls, columns: list[Column], header: list[str]) -> "Mapping":
        by_word = {word: column.field for column in columns for word in column.words}
        fields, seen, repeated = [], set(), []
        for title in header:
            name = by_word.get(normalise_word(title)) if title else None
            if name in seen:
                repeated.append(title)
                name = None
            if name:
                seen.add(name)
            fields.append(name)
        missing = [c.field for c in columns if c.required and not seen & {c.field, *c.alternatives}]
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
        found = ", ".join(quoted(h) for h in self.header if h) or "—"
        if self.missing:
            return _("Required columns are missing: %(missing)s. Columns found: %(found)s.") % {
                "missing": ", ".join(needed(columns, self.missing)),
                "found": found,
            }
        if self.repeated:
            return _("These columns repeat a column already found: %(repeated)s.") % {
                "repeated": ", ".join(quoted(h) for h in self.repeated)
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


def quoted(text) -> str:
    """``text`` in the quotation marks of the reader's language: “…” or «…»."""
    # Translators: quotation marks around a header or a label; Russian uses «…».
    return _("“%(text)s”") % {"text": text}
