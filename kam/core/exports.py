"""Spreadsheet exports that are safe to open: no cell may be read as a formula (CSV injection)."""

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation

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


class _Echo:
    """A file whose write hands the text back: csv.writer then formats one row at a time."""

    def write(self, text: str) -> str:
        return text


CSV_CHUNK = 500  # rows per piece sent: few enough writes, little held at once


def _csv_pieces(header: Sequence[str], rows: Iterable[Sequence], language: str) -> Iterator[str]:
    # The rows are read after the view returned: in the request's language all the same.
    with translation.override(language):
        yield from _csv_lines(header, rows)


def _csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    # Semicolons and a BOM: what Excel in a Russian locale opens correctly by double-click.
    piece = ["\ufeff" + writer.writerow([neutralise(str(h)) for h in header])]
    for row in rows:
        piece.append(writer.writerow([_plain(v) for v in row]))
        if len(piece) >= CSV_CHUNK:
            yield "".join(piece)
            piece = []
    yield "".join(piece)


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """The table as CSV, sent while the rows are read: the whole file is never held, and the
    first bytes leave before the last row is fetched (a 15,000-client export included)."""
    response = StreamingHttpResponse(
        _csv_pieces(header, rows, translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
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
    (name, header, rows).

    Written in xlsxwriter's constant_memory mode: each row goes to a temporary file as it is
    written, so memory does not grow with the rows. An XLSX is a zip completed only when it is
    closed, so it cannot be streamed as it is written; the finished file is sent in one piece
    (compressed, it is a small fraction of the sheet: about 2 MB for 15,000 clients)."""
    with tempfile.TemporaryFile() as handle:
        workbook = xlsxwriter.Workbook(
            handle,
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        for name, names, lines in ((sheet, header, rows), *more_sheets):
            _write_sheet(workbook, name, names, lines)
        workbook.close()
        handle.seek(0)
        content = handle.read()
    response = HttpResponse(
        content,
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
            if value is None or value == "":  # an empty cell needs no write
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
