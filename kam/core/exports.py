"""Spreadsheet exports that are safe to open: no cell may be read as a formula (CSV injection)."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value if isinstance(value, (int, float, Decimal)) else str(value))


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    buffer = io.StringIO()
    # Semicolons and a BOM: what Excel in a Russian locale opens correctly by double-click.
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([neutralise(str(h)) for h in header])
    for row in rows:
        writer.writerow([_plain(v) for v in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(
    filename: str,
    sheet: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    more_sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]] = (),
) -> HttpResponse:
    """A workbook of one table per sheet: ``sheet`` first, then ``more_sheets``
    (name, header, rows)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    for name, names, lines in ((sheet, header, rows), *more_sheets):
        _write_sheet(workbook, name, names, lines)
    workbook.close()
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _write_sheet(workbook, sheet: str, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#E9ECEF", "border": 1})
    money = workbook.add_format({"num_format": "#,##0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    widths = [len(str(h)) + 2 for h in header]
    worksheet.write_row(0, 0, [str(h) for h in header], bold)
    row_no = 0
    for row_no, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, Decimal):
                worksheet.write_number(row_no, col, float(value), money)
            elif isinstance(value, bool):
                worksheet.write_boolean(row_no, col, value)
            elif isinstance(value, (int, float)):
                worksheet.write_number(row_no, col, value)
            elif isinstance(value, datetime):
                worksheet.write_string(row_no, col, _plain(value))
            elif isinstance(value, date):
                worksheet.write_datetime(
                    row_no, col, datetime(value.year, value.month, value.day), day
                )
            else:
                text = str(value)
                # write_string never evaluates; the apostrophe keeps the text visibly inert too.
                worksheet.write_string(row_no, col, neutralise(text))
                widths[col] = min(max(widths[col], len(text) + 2), 60)
    for col, width in enumerate(widths):
        worksheet.set_column(col, col, width)
    worksheet.freeze_panes(1, 0)
    if row_no:
        worksheet.autofilter(0, 0, row_no, len(header) - 1)


def table_response(request, stem: str, sheet: str, header: Sequence[str], rows: Iterable[Sequence]):
    """A page's table as XLSX, or as CSV with ``?format=csv``; named ``<stem>-<today>``."""
    stamp = timezone.localdate().isoformat()
    if request.GET.get("format") == "csv":
        return csv_response(f"{stem}-{stamp}.csv", header, rows)
    return xlsx_response(f"{stem}-{stamp}.xlsx", sheet, header, rows)
