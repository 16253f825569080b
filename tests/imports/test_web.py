import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kam.imports.models import ImportJob, ImportPhase, ImportStatus
from kam.sales.models import Product, SalesLine

from .files import csv_bytes, import_file, upload, xlsx_bytes

HEADER = ["Date", "Client code", "SKU", "Quantity", "Amount", "Comment"]


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_upload_preview_confirm_and_result(world, login):
    web = login(world.director)
    row = [dt.date(2024, 12, 31), world.own.erp_code, world.product.sku, 3, 99.5, "first order"]
    file = SimpleUploadedFile("December.xlsx", xlsx_bytes([HEADER, row]))
    response = web.post(reverse("imports:new"), {"kind": "sales", "file": file})
    job = ImportJob.objects.get()
    assert response.url == job.get_absolute_url()

    preview = page(web.get(response.url))
    assert "Awaiting confirmation" in preview
    assert "first order" in preview  # the first rows
    assert '<select class="form-select form-select-sm" id="column-5" name="column-5">\n' in preview
    assert "— do not import —" in preview  # "Comment" is ignored: no field is selected for it
    assert reverse("imports:confirm", args=[job.pk]) in preview
    assert SalesLine.objects.count() == 0  # nothing before confirmation

    response = web.post(reverse("imports:confirm", args=[job.pk]))
    result = page(web.get(response.url))
    assert "1 row imported." in result
    assert "hx-trigger" not in result  # finished: no more polling
    assert SalesLine.objects.get().quantity == 3


def test_missing_columns_are_shown_in_red_and_cannot_be_confirmed(world, login):
    web = login(world.director)
    job = upload(world.director, "sales", csv_bytes([["Date", "Amount"], ["1.1.2025", "1"]]))
    html = page(web.get(job.get_absolute_url()))
    assert "table-danger" in html and "Client code" in html
    assert "disabled" in html
    assert reverse("imports:confirm", args=[job.pk]) not in html
    web.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_the_progress_partial_polls_until_the_job_ends(world, login):
    job = upload(world.director, "products", csv_bytes([["SKU", "Name"], ["A", "B"]]))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, phase=ImportPhase.CHECKING, processed_rows=50, total_rows=200
    )
    html = page(login(world.director).get(reverse("imports:progress", args=[job.pk])))
    assert 'hx-trigger="every 1s"' in html
    assert "Checking rows" in html and "25 %" in html and "50 of 200 rows checked" in html
    assert '<span id="job-status" hx-swap-oob="true">' in html  # the header badge follows


def test_a_failed_import_shows_its_errors_and_offers_them_as_xlsx(world, login):
    rows = [HEADER, ["31.12.2024", "NOPE", world.product.sku, "1", "1", ""]]
    job = import_file(world.director, "sales", csv_bytes(rows))
    web = login(world.director)
    html = page(web.get(job.get_absolute_url()))
    assert "No client with ERP code “NOPE” among the clients you can see." in html
    response = web.get(reverse("imports:errors_xlsx", args=[job.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("Row", "Column", "Value", "Reason"),
        (2, "Client code", "NOPE", "No client with ERP code “NOPE” among the clients you can see."),
    ]


def test_a_member_may_not_open_the_upload_page(world, login):
    assert login(world.member).get(reverse("imports:new")).status_code == 403


def test_a_kam_may_choose_only_contacts(world, login):
    html = page(login(world.kam).get(reverse("imports:new")))
    assert 'value="contacts"' in html
    assert 'value="sales"' not in html


def test_the_upload_form_reports_field_errors(world, login):
    response = login(world.director).post(reverse("imports:new"), {"kind": "sales"})
    html = page(response)
    assert "is-invalid" in html and "This field is required." in html
    assert not ImportJob.objects.exists()


def test_a_kam_sees_only_their_own_jobs(world, login):
    upload(world.director, "products", csv_bytes([["SKU", "Name"], ["A", "B"]]), "secret.csv")
    mine = upload(
        world.kam, "contacts", csv_bytes([["Client code", "Name"], ["X", "Y"]]), "mine.csv"
    )
    html = page(login(world.kam).get(reverse("imports:list")))
    assert "mine.csv" in html and "secret.csv" not in html
    assert login(world.outsider).get(mine.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("kind", ["clients", "contacts", "products", "sales"])
def test_each_kind_has_an_example_workbook(world, login, kind):
    response = login(world.director).get(reverse("imports:template", args=[kind]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header = [cell.value for cell in book.worksheets[0][1]]
    assert header[0] and len(header) >= 2
    assert book.worksheets[1].title == "Columns"


def test_the_example_workbook_imports_as_it_is(world, login):
    response = login(world.director).get(reverse("imports:template", args=["products"]))
    job = import_file(world.director, "products", b"".join(response.streaming_content), "ex.xlsx")
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert Product.objects.filter(sku="P-1001").exists()
