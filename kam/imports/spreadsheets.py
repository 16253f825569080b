"""Workbooks we hand out: the error report of a failed import and an example file per kind."""

import datetime as dt
from decimal import Decimal
from typing import BinaryIO

import polars as pl
import xlsxwriter
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kam.core.exports import neutralise

from .kinds.base import Kind

EXCEL_MAX_ROWS = 1_048_576
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_errors(errors: pl.DataFrame, target: str | BinaryIO) -> None:
    """Row, column, value, reason — one line per bad cell, as many as a sheet holds."""
    # The values come from the user's file: never let one run as a formula (CSV injection).
    options = {
        "constant_memory": True,
        "in_memory": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    with xlsxwriter.Workbook(target, options) as book:
        sheet = book.add_worksheet(_("Errors"))
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, [_("Row"), _("Column"), _("Value"), _("Reason")], bold)
        sheet.set_column(0, 0, 8)
        sheet.set_column(1, 2, 24)
        sheet.set_column(3, 3, 70)
        sheet.freeze_panes(1, 0)
        room = EXCEL_MAX_ROWS - 2  # the header, and a line saying what did not fit
        for line, row in enumerate(errors.head(room).iter_rows(), start=1):
            sheet.write_number(line, 0, row[0])
            for column, cell in enumerate(row[1:], start=1):
                sheet.write_string(line, column, neutralise("" if cell is None else str(cell)))
        if errors.height > room:
            more = _("… and %(count)d more errors.") % {"count": errors.height - room}
            sheet.write(room + 1, 0, more)


def write_template(kind: Kind, target: str | BinaryIO) -> None:
    """The columns of ``kind`` in the reader's language, an example row, and a guide sheet."""
    with xlsxwriter.Workbook(target, {"in_memory": True}) as book:
        bold = book.add_format({"bold": True})
        day = book.add_format({"num_format": "dd.mm.yyyy"})
        sheet = book.add_worksheet(capfirst(str(kind.name.label)))
        for number, column in enumerate(kind.columns):
            sheet.write(0, number, capfirst(str(column.label)), bold)
            sheet.set_column(number, number, max(14, len(str(column.label)) + 4))
            example = column.example
            if isinstance(example, dt.date):
                sheet.write_datetime(1, number, example, day)
            elif isinstance(example, int | Decimal):
                sheet.write_number(1, number, example)  # an example, not data: float is fine
            else:
                sheet.write_string(1, number, str(example or ""))
        sheet.freeze_panes(1, 0)
        guide = book.add_worksheet(_("Columns"))
        titles = [_("Column"), _("Required"), _("Also recognised as"), _("Format")]
        guide.write_row(0, 0, titles, bold)
        guide.set_column(0, 0, 24)
        guide.set_column(2, 3, 60)
        for number, column in enumerate(kind.columns, start=1):
            guide.write_row(
                number,
                0,
                [
                    capfirst(str(column.label)),
                    _("yes") if column.required and not column.alternatives else "",
                    ", ".join(column.synonyms),
                    str(column.hint),
                ],
            )
