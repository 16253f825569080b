"""Cell parsers: whole columns at a time with Polars, no per-row Python.

A parser takes a column of raw text (stripped; empty cells are null) and returns a
:class:`Parsed`: the typed values (null when the cell is empty or bad) and a reason per cell
(null when the cell is fine). Each works in explicit stages on a small frame: one big nested
expression would recompute its shared parts many times over. Reasons are translated when a
parser runs, so in the importing user's language.
"""

import calendar
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import polars as pl
from django.conf import settings
from django.utils.dates import MONTHS_ALT
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

RAW, TEXT, VALUE, ERROR = "raw", "text", "value", "error"


@dataclass(frozen=True)
class Parsed:
    value: pl.Series
    error: pl.Series


Parser = Callable[[pl.Series], Parsed]


def normalise_word(text: str) -> str:
    """Case, ё/е, spaces and punctuation do not matter in headers and enum values."""
    return re.sub(r"[\W_]+", "", text.casefold().replace("ё", "е"))


def _result(frame: pl.DataFrame) -> Parsed:
    return Parsed(frame[VALUE], frame[ERROR])


def _message(text: str | None) -> pl.Expr:
    return pl.lit(text, dtype=pl.String)


def by_distinct(parse: Parser) -> Parser:
    """``parse`` run once per distinct cell, the results joined back to the rows.

    For columns that repeat: a million sales lines hold a few hundred dates and some thousands
    of amounts, and parsing them cell by cell was most of the time `kam analyze` spent reading
    its file. A column of distinct values costs one hash join more.
    """

    def parse_distinct(raw: pl.Series) -> Parsed:
        distinct = raw.unique()
        parsed = parse(distinct)
        table = pl.DataFrame({RAW: distinct, VALUE: parsed.value, ERROR: parsed.error})
        rows = raw.to_frame(RAW).join(
            table, on=RAW, how="left", maintain_order="left", nulls_equal=True
        )
        return _result(rows)

    return parse_distinct


def text(max_length: int) -> Parser:
    def parse(raw: pl.Series) -> Parsed:
        too_long = _("Longer than %(max)d characters.") % {"max": max_length}
        frame = raw.to_frame(RAW).with_columns(
            pl.col(RAW).alias(VALUE),
            pl.when(pl.col(RAW).str.len_chars() > max_length).then(_message(too_long)).alias(ERROR),
        )
        return _result(frame)

    return parse


def decimal(digits: int, places: int, *, negative: bool = True) -> Parser:
    """Russian (``1 234,50``, any Unicode space between thousands) or plain (``1234.50``).

    The value is a Polars Decimal parsed from the text, never through float; a cell with more
    decimal places than the column holds is an error, not silently rounded.
    """
    whole_digits = digits - places

    def parse(raw: pl.Series) -> Parsed:
        too_precise = (
            _("More than %(places)d digits after the decimal point.") % {"places": places}
            if places
            else _("Must be a whole number.")
        )
        frame = (
            raw.to_frame(RAW)
            .with_columns(
                pl.col(RAW)
                .str.replace_all(r"\s", "")
                .str.replace(",", ".", literal=True)
                .alias(TEXT)
            )
            .with_columns(
                (
                    pl.col(TEXT).str.contains(r"^[+-]?[0-9]*\.?[0-9]*$")
                    & pl.col(TEXT).str.contains("[0-9]")
                ).alias("ok"),
                pl.col(TEXT).str.starts_with("-").alias("minus"),
                pl.col(TEXT).str.strip_chars_start("+-").str.split_exact(".", 1).alias("parts"),
            )
            .unnest("parts")
            .with_columns(
                pl.col("field_0").str.strip_chars_start("0").str.len_bytes().alias("whole"),
                pl.col("field_1")
                .fill_null("")
                .str.strip_chars_end("0")
                .str.len_bytes()
                .alias("fraction"),
                pl.col("field_0").str.contains("[1-9]").alias("nonzero_whole"),
                pl.col("field_1").str.contains("[1-9]").fill_null(False).alias("nonzero_fraction"),
            )
        )
        error = (
            pl.when(pl.col(RAW).is_null())
            .then(_message(None))
            .when(~pl.col("ok"))
            .then(_message(_("Not a number; write 1 234,50 or 1234.50.")))
            .when(pl.col("fraction") > places)
            .then(_message(too_precise))
            .when(pl.col("whole") > whole_digits)
            .then(_message(_("Too large: at most %(digits)d digits.") % {"digits": whole_digits}))
        )
        if not negative:
            below_zero = pl.col("minus") & (pl.col("nonzero_whole") | pl.col("nonzero_fraction"))
            error = error.when(below_zero).then(_message(_("Must not be negative.")))
        frame = frame.with_columns(error.alias(ERROR)).with_columns(
            pl.when(pl.col(ERROR).is_null())
            .then(pl.col(TEXT))
            .str.to_decimal(scale=places)
            .cast(pl.Decimal(digits, places))
            .alias(VALUE)
        )
        return _result(frame)

    # Amounts and prices repeat (1.1 M sales lines held 15,541 distinct amounts).
    return by_distinct(parse)


def integer(minimum: int, maximum: int) -> Parser:
    as_decimal = decimal(len(str(max(abs(minimum), abs(maximum)))), 0)

    def parse(raw: pl.Series) -> Parsed:
        message = _("Must be between %(min)d and %(max)d.") % {"min": minimum, "max": maximum}
        number = as_decimal(raw)
        frame = pl.DataFrame({VALUE: number.value.cast(pl.Int64), ERROR: number.error})
        out_of_range = (pl.col(VALUE) < minimum) | (pl.col(VALUE) > maximum)
        frame = frame.with_columns(
            pl.coalesce(pl.col(ERROR), pl.when(out_of_range).then(_message(message))).alias(ERROR)
        ).with_columns(pl.when(pl.col(ERROR).is_null()).then(pl.col(VALUE)).alias(VALUE))
        return _result(frame)

    return parse


def percent() -> Parser:
    """A percentage from 0 to 100 with up to two decimals: ``97,5``, ``97.50`` or ``97,5 %``.

    Parsed as a wide decimal first, so that anything outside 0–100 gets the range message rather
    than a message about the number of digits.
    """
    as_decimal = decimal(16, 2)

    def parse(raw: pl.Series) -> Parsed:
        message = _("Must be a percentage between 0 and 100.")
        number = as_decimal(raw.str.replace(r"\s*%$", ""))
        frame = pl.DataFrame({VALUE: number.value, ERROR: number.error})
        out_of_range = (pl.col(VALUE) < 0) | (pl.col(VALUE) > 100)
        frame = frame.with_columns(
            pl.coalesce(pl.col(ERROR), pl.when(out_of_range).then(_message(message))).alias(ERROR)
        ).with_columns(
            pl.when(pl.col(ERROR).is_null()).then(pl.col(VALUE)).cast(pl.Decimal(5, 2)).alias(VALUE)
        )
        return _result(frame)

    return parse


DAY_MONTH_YEAR = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
YEAR_MONTH_DAY = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def date() -> Parser:
    """31.12.2024 or 2024-12-31; an XLSX date cell arrives as ISO text, maybe with a time.

    Parsed per distinct cell (:func:`by_distinct`): dates repeat on every line of a day.
    """
    return by_distinct(_date_cells)


def _date_cells(raw: pl.Series) -> Parsed:
    # The time cut off where the whole cell is an ISO date and a time: a test and a plain
    # replace, as a replace with a capture group takes ten times as long on a million cells.
    with_time = pl.col(RAW).str.contains(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[ T][0-9:.]+$")
    iso = (
        pl.when(with_time)
        .then(pl.col(RAW).str.replace(r"[ T][0-9:.]+$", ""))
        .otherwise(pl.col(RAW))
    )
    frame = raw.to_frame(RAW).with_columns(
        pl.coalesce(
            pl.col(RAW).str.strptime(pl.Date, "%d.%m.%Y", strict=False),
            iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        ).alias(VALUE),
        iso.alias(TEXT),
    )
    bad = frame.filter(pl.col(RAW).is_not_null() & pl.col(VALUE).is_null())
    # Few cells are bad: each distinct one is explained in Python.
    reasons = {text: _date_problem(text) for text in bad[TEXT].unique()}
    error = pl.when(pl.col(VALUE).is_null()).then(
        pl.col(TEXT).replace_strict(reasons, default=None, return_dtype=pl.String)
    )
    return _result(frame.with_columns(error.alias(ERROR)))


def _date_problem(text: str) -> str:
    """Why ``text`` is not a date: a day its month does not have, or not a date at all."""
    if found := DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = map(int, found.groups())
    elif found := YEAR_MONTH_DAY.fullmatch(text):
        year, month, day = map(int, found.groups())
    else:
        return _("Not a date; write 31.12.2024 or 2024-12-31.")
    if 1 <= month <= 12 and year >= 1:
        days = calendar.monthrange(year, month)[1]
        if days < day <= 31:
            return _("%(text)s: %(month)s %(year)d has no day %(day)d (it has %(days)d days).") % {
                "text": text,
                "month": MONTHS_ALT[month],
                "year": year,
                "day": day,
                "days": days,
            }
    if not 1 <= month <= 12:
        return _("%(text)s: there is no month %(month)d; write 31.12.2024 or 2024-12-31.") % {
            "text": text,
            "month": month,
        }
    return _("Not a date; write 31.12.2024 or 2024-12-31.")


def _choice_key(word: str) -> str:
    # Integer codes keep their sign (attitude -2…2); words lose case, spaces and punctuation.
    word = word.strip()
    return str(int(word)) if re.fullmatch(r"[+-]?[0-9]+", word) else normalise_word(word)


def choice(
    words: Mapping[str, object], shown: Iterable, dtype: pl.DataType | type[pl.DataType]
) -> Parser:
    """An enum given as a code or a label in either language (see :func:`choice_words`).

    ``shown`` are the (lazy) labels the error message lists.
    """
    words = {_choice_key(word): value for word, value in words.items()}

    def parse(raw: pl.Series) -> Parsed:
        listed = ", ".join(str(label) for label in shown)
        message = _("Unknown value; use one of: %(values)s.") % {"values": listed}
        as_integer = pl.col(RAW).cast(pl.Int64, strict=False).cast(pl.String)
        as_word = (
            pl.col(RAW)
            .str.to_lowercase()
            .str.replace_all("ё", "е", literal=True)
            .str.replace_all(r"[\W_]+", "")
        )
        is_integer = pl.col(RAW).str.contains(r"^[+-]?[0-9]+$")
        frame = (
            raw.to_frame(RAW)
            .with_columns(pl.when(is_integer).then(as_integer).otherwise(as_word).alias(TEXT))
            .with_columns(
                pl.col(TEXT).replace_strict(words, default=None, return_dtype=dtype).alias(VALUE)
            )
            .with_columns(
                pl.when(pl.col(RAW).is_not_null() & pl.col(VALUE).is_null())
                .then(_message(message))
                .alias(ERROR)
            )
        )
        return _result(frame)

    return parse


def choice_words(choices, extra: Mapping[str, object]) -> dict[str, object]:
    """Codes, the labels in every interface language, and ``extra`` synonyms of a choices class.

    The labels the "One of: …" hint shows a user are thus always accepted back.
    """
    words = {str(value): value for value in choices.values}
    for language, _name in settings.LANGUAGES:
        with override(language):
            words |= {str(label): value for value, label in choices.choices}
    return {**words, **extra}


def boolean() -> Parser:
    words = dict.fromkeys(["yes", "y", "true", "1", "да", "д", "истина"], True) | dict.fromkeys(
        ["no", "n", "false", "0", "нет", "н", "ложь"], False
    )
    return choice(words, [gettext_lazy("yes"), gettext_lazy("no")], pl.Boolean)


def _pattern(pattern: str, message: Callable[[], str], value: pl.Expr) -> Parser:
    """Text that must match ``pattern`` after ``value`` (an expression of the raw cell)."""

    def parse(raw: pl.Series) -> Parsed:
        frame = (
            raw.to_frame(RAW)
            .with_columns(value.alias(VALUE))
            .with_columns(
                pl.when(~pl.col(VALUE).str.contains(pattern)).then(_message(message())).alias(ERROR)
            )
        )
        return _result(frame)

    return parse


def email() -> Parser:
    return _pattern(
        r"^[^@\s]+@[^@\s]+\.[^@\s.]+$", lambda: _("Not an e-mail address."), pl.col(RAW)
    )


def url(max_length: int) -> Parser:
    """A web address of at most ``max_length``; ``example.com`` is taken as https://example.com."""
    with_scheme = (
        pl.when(pl.col(RAW).str.contains("(?i)^https?://"))
        .then(pl.col(RAW))
        .otherwise(pl.lit("https://") + pl.col(RAW))
    )
    pattern = r"(?i)^https?://[^\s/?#.]+\.[^\s/?#]+[^\s]*$"
    shape = _pattern(pattern, lambda: _("Not a web address."), with_scheme)
    length = text(max_length)

    def parse(raw: pl.Series) -> Parsed:
        parsed = shape(raw)
        errors = pl.DataFrame({ERROR: parsed.error, "length": length(parsed.value).error})
        return Parsed(parsed.value, errors.select(pl.coalesce(ERROR, "length")).to_series())

    return parse


def checked(problem: Callable[[str], str | None], *, squeeze: bool = False) -> Parser:
    """Text that ``problem`` accepts (it says why not, or None), asked once per distinct value;
    ``squeeze`` drops the spaces inside (a number grouped as 77 42 186531)."""

    def parse(raw: pl.Series) -> Parsed:
        value = raw.str.replace_all(r"\s", "") if squeeze else raw
        reasons = {text: problem(text) for text in value.drop_nulls().unique()}
        error = value.replace_strict(reasons, default=None, return_dtype=pl.String)
        return Parsed(value, error)

    return parse
