"""Cell parsers as Polars expressions: one pass over a column, no per-row Python.

Each parser takes the raw text column (already stripped, empty cells null) and returns a
:class:`Parsed`: the typed value (null when the cell is empty or bad) and a reason (null when the
cell is fine). Reasons are translated when the expression is built, i.e. in the importing user's
language.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

NULL_TEXT = pl.lit(None, dtype=pl.String)


@dataclass(frozen=True)
class Parsed:
    value: pl.Expr
    error: pl.Expr


Parser = Callable[[pl.Expr], Parsed]


def normalise_word(text: str) -> str:
    """Case, ё/е, spaces and punctuation do not matter in headers and enum values."""
    return re.sub(r"[\W_]+", "", text.casefold().replace("ё", "е"))


def normalise_word_expr(raw: pl.Expr) -> pl.Expr:
    return (
        raw.str.to_lowercase()
        .str.replace_all("ё", "е", literal=True)
        .str.replace_all(r"[\W_]+", "")
    )


def with_row(template: str, row: pl.Expr) -> pl.Expr:
    """A per-row message from a translated template holding ``%(row)s``."""
    before, _sep, after = template.partition("%(row)s")
    return pl.concat_str([pl.lit(before), row.cast(pl.String), pl.lit(after)])


def text(max_length: int) -> Parser:
    def parse(raw: pl.Expr) -> Parsed:
        too_long = _("Longer than %(max)d characters.") % {"max": max_length}
        return Parsed(raw, pl.when(raw.str.len_chars() > max_length).then(pl.lit(too_long)))

    return parse


def decimal(digits: int, places: int, *, negative: bool = True) -> Parser:
    """Russian (``1 234,50``, any Unicode space as thousands separator) or plain (``1234.50``).

    The value is a Polars Decimal built from canonical text, never through float, and a cell
    with more decimal places than the column holds is an error rather than silently rounded.
    """
    whole = digits - places

    def parse(raw: pl.Expr) -> Parsed:
        s = raw.str.replace_all(r"\s", "")
        # Both marks present: the last one is the decimal mark, the other groups thousands.
        s = (
            pl.when(s.str.contains(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+\.[0-9]*$"))
            .then(s.str.replace_all(",", "", literal=True))
            .when(s.str.contains(r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+,[0-9]*$"))
            .then(s.str.replace_all(".", "", literal=True))
            .otherwise(s)
            .str.replace(",", ".", literal=True)
        )
        parts = s.str.extract_groups(r"^([+-]?)0*([0-9]*?)(?:\.([0-9]*?)0*)?$")
        sign, integer, fraction = (parts.struct.field(str(i)) for i in (1, 2, 3))
        fraction = fraction.fill_null("")
        well_formed = parts.struct.field("1").is_not_null() & s.str.contains("[0-9]")
        canonical = pl.concat_str(
            [
                pl.when(sign == "-").then(pl.lit("-")).otherwise(pl.lit("")),
                pl.when(integer == "").then(pl.lit("0")).otherwise(integer),
                pl.lit("."),
                fraction.str.pad_end(places, "0"),
            ]
        )
        too_precise = (
            _("More than %(places)d digits after the decimal point.") % {"places": places}
            if places
            else _("Must be a whole number.")
        )
        error = (
            pl.when(raw.is_null())
            .then(NULL_TEXT)
            .when(~well_formed)
            .then(pl.lit(_("Not a number; write 1 234,50 or 1234.50.")))
            .when(fraction.str.len_chars() > places)
            .then(pl.lit(too_precise))
            .when(integer.str.len_chars() > whole)
            .then(pl.lit(_("Too large: at most %(digits)d digits.") % {"digits": whole}))
        )
        if not negative:
            is_negative = (sign == "-") & canonical.str.contains("[1-9]")
            error = error.when(is_negative).then(pl.lit(_("Must not be negative.")))
        value = pl.when(error.is_null() & well_formed).then(canonical)
        return Parsed(value.str.to_decimal(scale=places).cast(pl.Decimal(digits, places)), error)

    return parse


def integer(minimum: int, maximum: int) -> Parser:
    digits = len(str(max(abs(minimum), abs(maximum))))
    as_decimal = decimal(digits, 0)

    def parse(raw: pl.Expr) -> Parsed:
        parsed = as_decimal(raw)
        value = parsed.value.cast(pl.Int64)
        out_of_range = (value < minimum) | (value > maximum)
        message = _("Must be between %(min)d and %(max)d.") % {"min": minimum, "max": maximum}
        error = pl.coalesce(parsed.error, pl.when(out_of_range).then(pl.lit(message)))
        return Parsed(pl.when(error.is_null()).then(value), error)

    return parse


def date() -> Parser:
    """31.12.2024 or 2024-12-31; an XLSX date cell arrives as ISO text, maybe with a time."""

    def parse(raw: pl.Expr) -> Parsed:
        iso = raw.str.replace(r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})[ T][0-9:.]+$", "${1}")
        value = pl.coalesce(
            raw.str.strptime(pl.Date, "%d.%m.%Y", strict=False),
            iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        )
        bad = raw.is_not_null() & value.is_null()
        return Parsed(
            value, pl.when(bad).then(pl.lit(_("Not a date; write 31.12.2024 or 2024-12-31.")))
        )

    return parse


def _choice_key(word: str) -> str:
    # Integer codes keep their sign (attitude -2…2); words lose case, spaces and punctuation.
    word = word.strip()
    return str(int(word)) if re.fullmatch(r"[+-]?[0-9]+", word) else normalise_word(word)


def choice(words: dict[str, object], shown: Iterable[str], dtype: pl.DataType) -> Parser:
    """An enum accepted as a code or a label in either language (see :func:`choice_words`).

    ``shown`` are the (lazy) labels named in the error message.
    """
    words = {_choice_key(word): value for word, value in words.items()}

    def parse(raw: pl.Expr) -> Parsed:
        listed = ", ".join(str(label) for label in shown)
        message = _("Unknown value; use one of: %(values)s.") % {"values": listed}
        as_integer = raw.cast(pl.Int64, strict=False).cast(pl.String)
        key = pl.when(raw.str.contains(r"^[+-]?[0-9]+$")).then(as_integer)
        key = key.otherwise(normalise_word_expr(raw))
        value = key.replace_strict(words, default=None, return_dtype=dtype)
        bad = raw.is_not_null() & value.is_null()
        return Parsed(value, pl.when(bad).then(pl.lit(message)))

    return parse


def choice_words(choices, extra: dict[str, object]) -> dict[str, object]:
    """Codes, English labels and the Russian words of a Django choices class."""
    words = {str(value): value for value in choices.values}
    with override("en"):
        words |= {str(label): value for value, label in choices.choices}
    return words | extra


def boolean() -> Parser:
    words = dict.fromkeys(["yes", "y", "true", "1", "да", "д", "истина"], True) | dict.fromkeys(
        ["no", "n", "false", "0", "нет", "н", "ложь"], False
    )
    return choice(words, [gettext_lazy("yes"), gettext_lazy("no")], pl.Boolean)


def email() -> Parser:
    def parse(raw: pl.Expr) -> Parsed:
        bad = ~raw.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
        return Parsed(raw, pl.when(bad).then(pl.lit(_("Not an e-mail address."))))

    return parse


def url(max_length: int) -> Parser:
    """A web address; ``example.com`` is taken as ``https://example.com``."""
    within = text(max_length)

    def parse(raw: pl.Expr) -> Parsed:
        value = (
            pl.when(raw.str.contains("(?i)^https?://"))
            .then(raw)
            .otherwise(pl.lit("https://") + raw)
        )
        bad = ~value.str.contains(r"(?i)^https?://[^\s/?#.]+\.[^\s/?#]+[^\s]*$")
        error = pl.coalesce(pl.when(bad).then(pl.lit(_("Not a web address."))), within(value).error)
        return Parsed(value, error)

    return parse
