"""The CSV every export page returns, as Excel in a Russian locale opens it."""

from decimal import Decimal

from kam.core.exports import csv_response


def test_csv_starts_with_a_bom_and_separates_with_semicolons():
    response = csv_response("x.csv", ["Клиент", "Сумма"], [["Цемент, ООО", Decimal("1234.50")]])
    body = response.content.decode("utf-8")
    # Without the BOM Excel reads UTF-8 as cp1251 and shows «Р¦РµРјРµРЅС‚»; the comma in the name
    # needs no quoting because the separator is a semicolon.
    assert body == "\ufeffКлиент;Сумма\r\nЦемент, ООО;1234.50\r\n"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
