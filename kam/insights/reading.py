"""Read the files of `kam analyze`: transactions and optional client attributes.

The importer's machinery does the work: :func:`kam.imports.reading.read_table` reads CSV or XLSX
(encoding and delimiter sniffing, refusal of hostile files), :class:`kam.imports.columns.Mapping`
recognises the headers in English or Russian, and the parsers of :mod:`kam.imports.values` read
Russian (31.12.2024, 1 234,50) and ISO (2024-12-31, 1234.50) dates and numbers. All or nothing:
any bad cell stops the run with the first bad cells listed (row, column, value, reason).

Nothing here touches the database.
"""

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.analytics import schema as s
from kam.analytics.scoring import IS_EXPERT, IS_LEADER, POTENTIAL, SHARE_OF_WALLET, STRATEGIC
from kam.imports import values
from kam.imports.columns import Column, Mapping
from kam.imports.reading import EXTRA, ROW, RefusedFile, read_table

#: How many bad cells the error message lists.
SHOWN_ERRORS = 20
NAME = "name"

_ID_TEXT = values.text(200)
_MONEY = values.decimal(28, 6)

TRANSACTION_COLUMNS = [
    Column(
        s.CLIENT,
        gettext_lazy("client id"),
        (
            "client",
            "client id",
            "client code",
            "customer",
            "customer id",
            "customer code",
            "код клиента",
            "клиент",
            "контрагент",
            "код контрагента",
            "покупатель",
        ),
        _ID_TEXT,
        required=True,
    ),
    Column(
        s.DATE,
        gettext_lazy("date"),
        ("date", "дата", "document date", "дата документа", "дата продажи", "период"),
        values.date(),
        required=True,
    ),
    Column(
        s.AMOUNT,
        gettext_lazy("amount"),
        ("amount", "sum", "revenue", "sales", "сумма", "выручка", "сумма продажи", "продажи"),
        _MONEY,
        required=True,
    ),
    Column(s.COST, gettext_lazy("cost"), ("cost", "себестоимость", "cost of sales"), _MONEY),
    Column(
        s.MARGIN,
        gettext_lazy("margin"),
        ("margin", "gross profit", "маржа", "валовая прибыль", "наценка"),
        _MONEY,
    ),
    Column(
        s.PRODUCT,
        gettext_lazy("product"),
        ("product", "sku", "артикул", "товар", "код товара", "номенклатура", "product code"),
        values.text(200),
    ),
    Column(
        s.QUANTITY,
        gettext_lazy("quantity"),
        ("quantity", "qty", "количество", "кол-во"),
        values.decimal(28, 6),
    ),
    Column(
        s.DOCUMENT,
        gettext_lazy("document"),
        ("document", "документ", "номер документа", "document number", "doc", "накладная"),
        values.text(200),
    ),
]

CLIENT_COLUMNS = [
    Column(
        s.CLIENT,
        gettext_lazy("client id"),
        ("client id", "client code", "customer id", "code", "id", "код клиента", "код"),
        _ID_TEXT,
        required=True,
    ),
    Column(
        NAME,
        gettext_lazy("name"),
        ("name", "client", "client name", "наименование", "клиент", "название", "контрагент"),
        values.text(500),
    ),
    Column(IS_LEADER, gettext_lazy("leader"), ("is leader", "leader", "лидер"), values.boolean()),
    Column(IS_EXPERT, gettext_lazy("expert"), ("is expert", "expert", "эксперт"), values.boolean()),
    Column(
        STRATEGIC,
        gettext_lazy("strategic"),
        ("strategic", "стратегический"),
        values.boolean(),
    ),
    Column(POTENTIAL, gettext_lazy("potential"), ("potential", "потенциал"), values.decimal(28, 6)),
    Column(
        SHARE_OF_WALLET,
        gettext_lazy("share of wallet"),
        ("share of wallet", "доля кошелька", "доля в закупках"),
        values.decimal(28, 6),
    ),
]

_FLOATS = {s.AMOUNT, s.COST, s.MARGIN, s.QUANTITY, POTENTIAL, SHARE_OF_WALLET}
_FLAGS = {IS_LEADER, IS_EXPERT, STRATEGIC}


class BadInput(Exception):
    """The file cannot be analysed; the message says why, for the user."""


@dataclass(frozen=True)
class Loaded:
    """A parsed file: its frame (columns named as in :mod:`kam.analytics.schema`)."""

    path: Path
    frame: pl.DataFrame

    @property
    def rows(self) -> int:
        return self.frame.height


def read_transactions(path: Path) -> Loaded:
    """``client_id`` (text, as given), ``date``, ``amount`` and whichever optional columns."""
    return Loaded(path, _read(path, TRANSACTION_COLUMNS))


def read_clients(path: Path) -> Loaded:
    """``client_id`` (text) plus ``name`` and the scoring attributes found in the file."""
    frame = _read(path, CLIENT_COLUMNS, unique=True)
    flags = [pl.col(c).fill_null(False) for c in _FLAGS if c in frame.columns]
    return Loaded(path, frame.with_columns(flags) if flags else frame)


def attributes(clients: Loaded | None) -> pl.DataFrame | None:
    """The scoring attributes of a clients file (``None`` when it has none)."""
    if clients is None:
        return None
    wanted = (POTENTIAL, SHARE_OF_WALLET, STRATEGIC, IS_LEADER, IS_EXPERT)
    present = [c for c in wanted if c in clients.frame.columns]
    return clients.frame.select(s.CLIENT, *present) if present else None


def names(clients: Loaded | None) -> dict[str, str]:
    """Client id → name, from a clients file with a name column."""
    if clients is None or NAME not in clients.frame.columns:
        return {}
    pairs = clients.frame.select(s.CLIENT, NAME).drop_nulls(NAME).iter_rows()
    return {str(client): str(name) for client, name in pairs}


def _read(path: Path, columns: list[Column], *, unique: bool = False) -> pl.DataFrame:
    if not path.is_file():
        raise BadInput(_("No such file: %(file)s") % {"file": path})
    try:
        table = read_table(path)
    except RefusedFile as refused:
        raise BadInput(f"{path.name}: {refused}") from refused
    mapping = Mapping.build(columns, table.header)
    problem = mapping.problem(columns)
    if problem:
        raise BadInput(f"{path.name}: {problem}")
    required = _("A value is required.")
    parsed: list[pl.Series] = []
    errors: list[pl.DataFrame] = []
    for column in columns:
        if column.field not in mapping.present:
            continue
        position = mapping.position(column.field)
        cell = table.rows[f"c{position}"]
        result = column.parse(cell)
        reason = result.error
        if column.required:
            reason = pl.select(
                pl.when(cell.is_null()).then(pl.lit(required)).otherwise(reason)
            ).to_series()
        found = pl.DataFrame(
            {ROW: table.rows[ROW], "value": cell, "reason": reason.cast(pl.String)}
        ).filter(pl.col("reason").is_not_null())
        errors.append(
            found.select(
                pl.col(ROW).alias("row"),
                pl.lit(position, dtype=pl.Int64).alias("pos"),
                pl.lit(mapping.title(column.field)).alias("column"),
                "value",
                "reason",
            )
        )
        parsed.append(result.value.alias(column.field))
    if EXTRA in table.rows.columns:
        errors.append(
            table.rows.filter(pl.col(EXTRA).is_not_null()).select(
                pl.col(ROW).alias("row"),
                pl.lit(len(mapping.header), dtype=pl.Int64).alias("pos"),
                pl.lit(_("(after the last column)")).alias("column"),
                pl.col(EXTRA).alias("value"),
                pl.lit(_("More values than there are column headers.")).alias("reason"),
            )
        )
    frame = pl.DataFrame(parsed).with_columns(table.rows[ROW])
    if unique:
        errors.append(_repeated(frame, mapping))
    bad = pl.concat(errors).sort("row", "pos") if errors else pl.DataFrame()
    if bad.height:
        raise BadInput(_error_message(path, bad))
    typed = [
        pl.col(c).cast(pl.Float64) if c in _FLOATS else pl.col(c) for c in frame.columns if c != ROW
    ]
    return frame.select(typed)


def _repeated(frame: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    first = pl.col(ROW).min().over(s.CLIENT)
    twins = frame.with_columns(first.alias("_first")).filter(
        pl.col(s.CLIENT).is_not_null() & (pl.col(ROW) != pl.col("_first"))
    )
    message = _("Same client id as row %(row)s.")
    return pl.DataFrame(
        {
            "row": twins[ROW],
            "pos": [mapping.position(s.CLIENT)] * twins.height,
            "column": [mapping.title(s.CLIENT)] * twins.height,
            "value": twins[s.CLIENT],
            "reason": [message % {"row": row} for row in twins["_first"]],
        },
        schema={
            "row": pl.Int64,
            "pos": pl.Int64,
            "column": pl.String,
            "value": pl.String,
            "reason": pl.String,
        },
    )


def _error_message(path: Path, bad: pl.DataFrame) -> str:
    lines = [
        _("%(file)s: %(count)d bad cells; nothing was analysed.")
        % {"file": path.name, "count": bad.height}
    ]
    for row, _pos, column, value, reason in bad.head(SHOWN_ERRORS).iter_rows():
        shown = "" if value is None else str(value)
        lines.append(
            _("Row %(row)d, column “%(column)s”, value “%(value)s”: %(reason)s")
            % {"row": row, "column": column, "value": shown[:60], "reason": reason}
        )
    if bad.height > SHOWN_ERRORS:
        lines.append(_("… and %(count)d more.") % {"count": bad.height - SHOWN_ERRORS})
    return "\n".join(lines)
