"""The portfolio export writes money exactly: CSV as plain decimals, XLSX as numbers with a money
format — never float noise such as -1845886.32000001."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
from django.urls import reverse
from django.utils import timezone

from ..factories import make_potential, make_sale


def noisy_year(world):
    """87 purchases of 0.07 this year: 6.09, which a float sum makes 6.090000000000005."""
    year = timezone.localdate().year
    make_potential(world.own, "10000", "40", year)
    for _ in range(87):
        make_sale(world.own, world.product, amount=Decimal("0.07"), date=dt.date(year, 1, 10))
    return year


def test_the_csv_writes_exact_decimals(world, login):
    year = noisy_year(world)
    response = login(world.kam).get(reverse("portfolio:export"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig")), delimiter=";"))
    row = rows[0]
    assert row[f"Actual, {year}"] == "6.09"
    assert row[f"Gap, {year}"] == "3993.91"
    assert row[f"Potential, {year}"] == "4000.00"
    assert row["Share of wallet, %"] == "0.06"
    for value in row.values():
        assert not re.fullmatch(r"-?\d+\.\d{3,}", value), value


def test_the_xlsx_writes_numbers_with_a_money_format(world, login):
    year = noisy_year(world)
    response = login(world.kam).get(reverse("portfolio:export"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    for title, expected in ((f"Actual, {year}", 6.09), (f"Gap, {year}", 3993.91)):
        cell = sheet.cell(row=2, column=header.index(title) + 1)
        assert cell.data_type == "n" and cell.value == expected
        assert cell.number_format == "#,##0.00"
