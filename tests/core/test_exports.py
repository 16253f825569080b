"""The CSV every export page returns, as Excel in a Russian locale opens it."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl

from kam.core.exports import CSV_CHUNK, Sheet, csv_response, xlsx_response


def test_csv_starts_with_a_bom_and_separates_with_semicolons():
    response = csv_response("x.csv", ["Клиент", "Сумма"], [["Цемент, ООО", Decimal("1234.50")]])
    body = response.getvalue().decode("utf-8")
    # Without the BOM Excel reads UTF-8 as cp1251 and shows «Р¦РµРјРµРЅС‚»; the comma in the name
    # needs no quoting because the separator is a semicolon.
    assert body == "\ufeffКлиент;Сумма\r\nЦемент, ООО;1234.50\r\n"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'


def test_csv_is_sent_in_pieces_while_the_rows_are_read():
    read = []

    def rows():
        for n in range(2 * CSV_CHUNK + 1):
            read.append(n)
            yield [n]

    response = csv_response("x.csv", ["N"], rows())

    assert response.streaming
    assert read == []  # nothing is read before the response is sent
    pieces = iter(response.streaming_content)
    next(pieces)
    assert len(read) <= CSV_CHUNK  # the first piece left before the rest was read
    assert len(list(pieces)) == 2


def test_xlsx_in_constant_memory_mode_opens_with_its_values():
    rows = [["=1+1", Decimal("2.50"), date(2025, 1, 2)]]
    response = xlsx_response("x.xlsx", [Sheet("Sheet", ["Client", "Sum", "Day"], rows)])

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]] == ["'=1+1", 2.5, datetime(2025, 1, 2)]
    assert sheet.auto_filter.ref == "A1:C2"
