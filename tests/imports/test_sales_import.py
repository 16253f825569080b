import datetime as dt
from decimal import Decimal

from kam.imports.models import ImportStatus
from kam.sales.models import SalesLine

from .files import csv_bytes, import_file, upload, xlsx_bytes

RUSSIAN = ["Дата", "Код клиента", "Артикул", "Кол-во", "Сумма", "Себестоимость", "Номер документа"]
ENGLISH = ["Date", "Client code", "SKU", "Quantity", "Amount", "Cost", "Document"]


def lines(world, *amounts: str) -> list[list[str]]:
    return [
        ["31.12.2024", world.own.erp_code, world.product.sku, "2", amount, "1 000,00", f"D{n}"]
        for n, amount in enumerate(amounts, start=1)
    ]


def stored() -> list[tuple]:
    return list(
        SalesLine.objects.order_by("document_number").values_list(
            "document_number", "date", "quantity", "amount", "cost"
        )
    )


def test_russian_headers_and_formats_import_exact_values(world):
    job = import_file(world.director, "sales", csv_bytes([RUSSIAN, *lines(world, "1 234 567,89")]))
    assert job.status == ImportStatus.SUCCEEDED, job.message
    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 0, 0)
    assert stored() == [
        ("D1", dt.date(2024, 12, 31), Decimal("2.000"), Decimal("1234567.89"), Decimal("1000.00"))
    ]


def test_english_headers_and_iso_dates_import_the_same(world):
    row = ["2024-12-31", world.own.erp_code, world.product.sku, "2", "1234567.89", "1000", "D1"]
    job = import_file(world.director, "sales", csv_bytes([ENGLISH, row], sep=","))
    assert job.status == ImportStatus.SUCCEEDED, job.message
    assert stored()[0][3] == Decimal("1234567.89")


def test_an_xlsx_with_native_dates_and_numbers_imports(world):
    row = [dt.date(2024, 12, 31), world.own.erp_code, world.product.sku, 2, 1234.5, 1000, "D1"]
    job = import_file(world.director, "sales", xlsx_bytes([ENGLISH, row]), "sales.xlsx")
    assert job.status == ImportStatus.SUCCEEDED, job.message
    assert stored() == [
        ("D1", dt.date(2024, 12, 31), Decimal("2.000"), Decimal("1234.50"), Decimal("1000.00"))
    ]


def test_a_cp1251_file_from_a_russian_erp_imports(world):
    content = csv_bytes([RUSSIAN, *lines(world, "10,00")], encoding="cp1251")
    assert import_file(world.director, "sales", content).status == ImportStatus.SUCCEEDED


def test_one_bad_row_and_nothing_is_written_while_every_bad_row_is_reported(world):
    good = lines(world, "10,00", "20,00")
    bad_date = ["31.13.2024", world.own.erp_code, world.product.sku, "1", "5", "", "D3"]
    bad_amount = ["01.12.2024", world.own.erp_code, world.product.sku, "1", "пять", "", "D4"]
    unknown = ["01.12.2024", "NOPE", "NO-SKU", "", "5", "", "D5"]
    job = import_file(
        world.director,
        "sales",
        csv_bytes([RUSSIAN, good[0], bad_date, good[1], bad_amount, unknown]),
    )
    assert job.status == ImportStatus.FAILED
    assert job.message == "3 rows have errors; nothing was imported."
    assert SalesLine.objects.count() == 0
    assert job.error_count == 5
    assert [(e["row"], e["column"], e["value"]) for e in job.errors] == [
        (3, "Дата", "31.13.2024"),
        (5, "Сумма", "пять"),
        (6, "Код клиента", "NOPE"),
        (6, "Артикул", "NO-SKU"),
        (6, "Кол-во", None),
    ]
    reasons = [e["reason"] for e in job.errors]
    assert reasons[0] == "31.13.2024: there is no month 13; write 31.12.2024 or 2024-12-31."
    assert reasons[1].startswith("Not a number")
    assert reasons[2] == "No client with ERP code “NOPE” among the clients you can see."
    assert reasons[3] == "No product with this SKU."
    assert reasons[4] == "A value is required."


def test_reimporting_the_same_file_changes_nothing(world):
    content = csv_bytes([RUSSIAN, *lines(world, "10,00", "20,50", "1 234,56")])
    import_file(world.director, "sales", content)
    before = stored()
    again = import_file(world.director, "sales", content)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert stored() == before


def test_changed_values_update_the_existing_line(world):
    import_file(world.director, "sales", csv_bytes([RUSSIAN, *lines(world, "10,00", "20,00")]))
    job = import_file(world.director, "sales", csv_bytes([RUSSIAN, *lines(world, "10,00", "25")]))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 1)
    assert [row[3] for row in stored()] == [Decimal("10.00"), Decimal("25.00")]


def test_a_missing_cost_column_leaves_stored_costs_alone(world):
    import_file(world.director, "sales", csv_bytes([RUSSIAN, *lines(world, "10,00")]))
    without_cost = [
        [cell for n, cell in enumerate(row) if n != 5] for row in [RUSSIAN, *lines(world, "10,00")]
    ]
    job = import_file(world.director, "sales", csv_bytes(without_cost))
    assert job.unchanged_count == 1
    assert stored()[0][4] == Decimal("1000.00")


def test_a_key_repeated_within_the_file_names_both_rows(world):
    twice = lines(world, "10,00") * 2
    job = import_file(world.director, "sales", csv_bytes([RUSSIAN, *twice]))
    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        {
            "row": 3,
            "column": "Номер документа",
            "value": f"D1 / {world.own.erp_code} / {world.product.sku} / 2024-12-31",
            "reason": "Same document, client, product and date as row 2.",
        }
    ]


def test_missing_required_columns_are_refused_naming_them_and_the_found_headers(world):
    content = csv_bytes([["Дата", "Код клиента", "Сумма"], ["31.12.2024", "C1", "1"]])
    job = upload(world.director, "sales", content)
    assert job.status == ImportStatus.UPLOADED  # shown in the preview, cannot be confirmed
    expected = (
        "Required columns are missing: “SKU”, “quantity”. "
        "Columns found: “Дата”, “Код клиента”, “Сумма”."
    )
    assert job.message == expected
    job = import_file(world.director, "sales", content)
    assert (job.status, job.message) == (ImportStatus.REFUSED, expected)


def test_a_row_with_more_values_than_headers_is_an_error(world):
    row = [*lines(world, "10")[0], "surplus"]
    job = import_file(world.director, "sales", csv_bytes([RUSSIAN, row]))
    assert job.errors == [
        {
            "row": 2,
            "column": "(after the last column)",
            "value": "surplus",
            "reason": "More values than there are column headers.",
        }
    ]
