import io
import os

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kam import cli
from kam.imports.models import ImportJob, ImportStatus
from kam.sales.models import SalesLine

from .files import csv_bytes

HEADER = ["Дата", "Код клиента", "Артикул", "Кол-во", "Сумма"]


@pytest.fixture
def sales_file(tmp_path, world):
    def write(*rows, name="sales.csv"):
        path = tmp_path / name
        path.write_bytes(csv_bytes([HEADER, *rows]))
        return str(path)

    return write


@pytest.fixture
def kam_cli(monkeypatch, capsys):
    """Run ``kam …`` in-process; returns (exit code, stdout, stderr)."""
    # The command closes connections on exit; the test's transaction must survive it.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)

    def run(*args):
        try:
            cli.main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_kam_import_sales_imports_and_reports(kam_cli, sales_file, world):
    path = sales_file(["31.12.2024", world.own.erp_code, world.product.sku, "1", "10,50"])
    code, out, err = kam_cli("import", "sales", path, "--as", "director")
    assert code == 0, err
    assert "Imported 1 rows" in out
    assert "created 1, updated 0, unchanged 0" in out
    assert "Checking rows" in err and "100%" in err  # the progress bar goes to stderr
    assert SalesLine.objects.count() == 1
    assert ImportJob.objects.get().created_by == world.director


def test_bad_rows_exit_non_zero_with_the_report_and_an_xlsx(kam_cli, sales_file, world, tmp_path):
    path = sales_file(
        ["31.12.2024", world.own.erp_code, world.product.sku, "1", "10"],
        ["32.12.2024", "NOPE", world.product.sku, "1", "x"],
    )
    report = tmp_path / "errors.xlsx"
    code, out, err = kam_cli("import", "sales", path, "--errors-xlsx", str(report))
    assert code == 1
    assert "1 row has errors; nothing was imported." in err
    lines = out.splitlines()
    assert lines[0].split() == ["Row", "Column", "Value", "Reason"]
    assert lines[1].split()[:3] == ["3", "Дата", "32.12.2024"]
    assert "Not a date" in lines[1]
    assert "NOPE" in lines[2] and "No client with ERP code “NOPE”" in lines[2]
    sheet = openpyxl.load_workbook(report, read_only=True).active
    assert [row[:3] for row in sheet.iter_rows(values_only=True)] == [
        ("Row", "Column", "Value"),
        (3, "Дата", "32.12.2024"),
        (3, "Код клиента", "NOPE"),
        (3, "Сумма", "x"),
    ]
    assert SalesLine.objects.count() == 0


def test_a_refused_file_exits_with_its_own_code_and_the_reason(kam_cli, tmp_path, world):
    path = tmp_path / "garbage.csv"
    path.write_bytes(os.urandom(4096))
    code, _out, err = kam_cli("import", "sales", str(path))
    assert code == 2
    assert "Refused: This is a binary file" in err


def test_the_command_runs_as_the_first_director_by_default(sales_file, world):
    path = sales_file(["31.12.2024", world.own.erp_code, world.product.sku, "1", "1"])
    call_command("import_data", "sales", path, stdout=io.StringIO(), stderr=io.StringIO())
    assert ImportJob.objects.get().created_by == world.director


def test_a_user_without_the_right_cannot_import_from_the_command_line(sales_file, world):
    path = sales_file(["31.12.2024", world.own.erp_code, world.product.sku, "1", "1"])
    with pytest.raises(CommandError, match="You may not import this kind of data."):
        call_command("import_data", "sales", path, "--as", "kam", stderr=io.StringIO())


def test_a_missing_file_is_a_clear_error(world):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_data", "sales", "/nonexistent.csv")


def test_every_import_is_recorded_as_a_job(sales_file, world):
    path = sales_file(["31.12.2024", world.own.erp_code, world.product.sku, "1", "1"])
    call_command("import_data", "sales", path, stdout=io.StringIO(), stderr=io.StringIO())
    job = ImportJob.objects.get()
    assert (job.status, job.original_name, job.total_rows) == (
        ImportStatus.SUCCEEDED,
        "sales.csv",
        1,
    )
