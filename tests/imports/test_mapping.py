"""The column mapping in the preview, saved mappings, cancelling and the result's links."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.core.jobs import sweep
from kam.imports.models import ImportJob, ImportStatus, MappingPreset
from kam.imports.services import import_job_delete, import_job_remap, preset_save
from kam.sales.models import Product, SalesLine

from ..factories import make_client, make_product
from .files import csv_bytes, import_file, upload

SAMPLE = Path("/work/shared/samples/1c-ut-sales.csv")
ONE_C = Path(__file__).parent / "1c-ut-sales.csv"
# The sample's columns, as the preview guesses them; «ИНН контрагента» is position 4.
GUESSED = [
    "date", "document_number", None, "client_name", "client_inn", "product",
    "product_name", "quantity", "amount", "cost", None, None,
]  # fmt: skip


def one_c_file() -> bytes:
    return ONE_C.read_bytes()


@pytest.fixture
def one_c_world(world):
    """The sample's products and counterparties; the clients are found by their ИНН (the file
    has no client code)."""
    for sku in ("ARM-12", "ANK-10", "CEM-500"):
        make_product(sku=sku)
    make_client(world.kam, name="ООО «Пример-Строй»", erp_code="C-1", inn="7742186531")
    make_client(world.kam, name="ИП Иванов Иван Иванович", erp_code="C-2", inn="502918473696")
    return world


def post_upload(web, content: bytes, name: str = "Продажи.csv") -> ImportJob:
    file = SimpleUploadedFile(name, content)
    response = web.post(reverse("imports:new"), {"kind": "sales", "file": file})
    assert response.status_code == 302
    return ImportJob.objects.get(pk=response.url.rstrip("/").split("/")[-1])


def choose(fields: list) -> dict:
    return {f"column-{n}": name or "" for n, name in enumerate(fields)}


def test_the_sample_is_the_shared_one():
    if SAMPLE.exists():  # the copy beside the tests must not drift from the sample
        assert SAMPLE.read_bytes() == ONE_C.read_bytes()


def test_a_1c_export_imports_with_a_saved_mapping_and_again_without_touching_it(one_c_world, login):
    web = login(one_c_world.director)
    job = post_upload(web, one_c_file())
    assert job.status == ImportStatus.UPLOADED
    assert job.mapping["fields"] == GUESSED  # «Номенклатура» is the name, not a second SKU
    assert job.message == ""  # the client is found by «ИНН контрагента»: nothing is missing
    html = web.get(job.get_absolute_url()).content.decode()
    assert reverse("imports:confirm", args=[job.pk]) in html

    # The user matches by ИНН only (a name spelt differently in the ERP must not match another).
    fields = [*GUESSED[:3], None, *GUESSED[4:]]
    response = web.post(
        reverse("imports:remap", args=[job.pk]), choose(fields), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    partial = response.content.decode()
    assert partial.startswith('<div id="import-preview">')  # HTMX swaps the preview in
    assert reverse("imports:confirm", args=[job.pk]) in partial
    assert "The first rows are correct as mapped." in partial
    job.refresh_from_db()
    assert (job.mapping["fields"], job.message) == (fields, "")

    web.post(reverse("imports:preset_save", args=[job.pk]), {"name": " 1C:УТ sales "})
    preset = MappingPreset.objects.get()
    assert (preset.name, preset.kind, preset.fields) == ("1C:УТ sales", "sales", fields)
    assert preset.created_by == one_c_world.director

    web.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert (job.created_count, SalesLine.objects.count()) == (4, 4)
    line = SalesLine.objects.get(product__sku="ARM-12")
    assert (line.client.erp_code, str(line.quantity), str(line.amount)) == (
        "C-1",
        "2.500",
        "187500.00",
    )

    # The same export next month: mapped by the preset at once, nothing to touch.
    again = post_upload(web, one_c_file(), "Продажи, март.csv")
    assert (again.mapping["fields"], again.mapping["preset"], again.message) == (
        fields,
        "1C:УТ sales",
        "",
    )
    html = web.get(again.get_absolute_url()).content.decode()
    assert "Columns mapped with the saved mapping “1C:УТ sales”." in html
    web.post(reverse("imports:confirm", args=[again.pk]))
    again.refresh_from_db()
    assert (again.status, again.unchanged_count) == (ImportStatus.SUCCEEDED, 4)


def test_a_changed_mapping_checks_the_first_rows_again_naming_row_column_and_reason(
    one_c_world, login
):
    web = login(one_c_world.director)
    job = post_upload(web, one_c_file())
    # «Партнер» (a group name) taken for the client code, the ИНН and name not imported.
    fields = [*GUESSED[:2], "client", None, None, *GUESSED[5:]]
    html = web.post(reverse("imports:remap", args=[job.pk]), choose(fields)).url
    job.refresh_from_db()
    assert html == job.get_absolute_url()  # without HTMX: back to the page
    assert job.mapping["preview_errors"][0] == {
        "row": 2,
        "column": "Партнер",
        "value": "ГК «Пример»",
        "reason": "No client with ERP code “ГК «Пример»” among the clients you can see.",
    }
    page = web.get(job.get_absolute_url()).content.decode()
    assert "Errors in the first rows" in page and "ГК «Пример»" in page


def test_one_field_chosen_for_two_columns_cannot_be_imported(one_c_world, login):
    web = login(one_c_world.director)
    job = post_upload(web, one_c_file())
    fields = [*GUESSED[:4], "client", "product", "product", *GUESSED[7:]]
    web.post(reverse("imports:remap", args=[job.pk]), choose(fields))
    job.refresh_from_db()
    assert job.message == (
        "Each field can be imported from one column only: “SKU” from “Артикул”, “Номенклатура”."
    )
    web.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


@pytest.mark.parametrize(
    ("kind", "rows", "fields"),
    [
        ("clients", [["Код", "Клиент"], ["X-1", "Икс"]], ["erp_code", "name"]),
        ("products", [["Артикул", "Товар"], ["A-1", "Гвозди"]], ["sku", "name"]),
        ("contacts", [["Код клиента", "ФИО"], ["C", "Иванов"]], ["client", "full_name"]),
    ],
)
def test_every_kind_offers_its_fields_in_the_preview(world, login, kind, rows, fields):
    job = upload(world.director, kind, csv_bytes(rows))
    assert job.mapping["fields"] == fields
    html = login(world.director).get(job.get_absolute_url()).content.decode()
    for name in fields:
        assert f'<option value="{name}" selected>' in html


def test_a_preset_is_seen_by_those_who_may_import_its_kind_and_deleted_by_its_author(world, login):
    job = upload(world.director, "products", csv_bytes([["Артикул", "Товар"], ["A", "B"]]))
    web = login(world.director)
    web.post(reverse("imports:preset_save", args=[job.pk]), {"name": "Прайс"})
    preset = MappingPreset.objects.get()
    assert "Прайс" in web.get(reverse("imports:presets")).content.decode()
    # A KAM imports contacts only: the products preset is not theirs to see or delete.
    kam = login(world.kam)
    assert "Прайс" not in kam.get(reverse("imports:presets")).content.decode()
    assert kam.post(reverse("imports:preset_delete", args=[preset.pk])).status_code == 404
    assert login(world.member).get(reverse("imports:presets")).status_code == 403
    web.post(reverse("imports:preset_delete", args=[preset.pk]))
    assert not MappingPreset.objects.exists()


def test_saving_a_preset_needs_a_name(world, login):
    job = upload(world.director, "products", csv_bytes([["Артикул", "Товар"], ["A", "B"]]))
    response = login(world.director).post(
        reverse("imports:preset_save", args=[job.pk]), {"name": " "}, follow=True
    )
    assert "Give the mapping a name." in response.content.decode()
    assert not MappingPreset.objects.exists()


def test_a_pending_import_is_cancelled_with_its_file(world, login):
    job = upload(world.director, "products", csv_bytes([["SKU", "Name"], ["A", "B"]]))
    path = Path(job.file.path)
    web = login(world.director)
    html = web.get(job.get_absolute_url()).content.decode()
    assert "Cancel this import" in html
    response = web.post(reverse("imports:delete", args=[job.pk]))
    assert response.url == reverse("imports:list")
    assert not ImportJob.objects.exists() and not path.exists()


def test_a_failed_import_is_deleted(world):
    job = import_file(world.director, "products", csv_bytes([["SKU", "Name"], ["A", ""]]))
    assert job.status == ImportStatus.FAILED
    import_job_delete(by=world.director, job=job)
    assert not ImportJob.objects.exists()


def test_an_imported_job_is_not_deleted(world, login):
    job = import_file(world.director, "products", csv_bytes([["SKU", "Name"], ["A", "B"]]))
    assert job.status == ImportStatus.SUCCEEDED
    response = login(world.director).post(reverse("imports:delete", args=[job.pk]), follow=True)
    assert "This import has started and can no longer be deleted." in response.content.decode()
    assert ImportJob.objects.filter(pk=job.pk).exists()


@pytest.mark.parametrize("name", ["remap", "preset_save", "delete", "confirm"])
def test_an_outsider_gets_404_on_anothers_import(world, login, name):
    job = upload(world.director, "products", csv_bytes([["SKU", "Name"], ["A", "B"]]))
    response = login(world.outsider).post(reverse(f"imports:{name}", args=[job.pk]))
    assert response.status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED and not MappingPreset.objects.exists()


def test_only_the_author_changes_the_mapping_a_director_sees_it(world, login):
    job = upload(world.kam, "contacts", csv_bytes([["Клиент", "ФИО"], ["C", "Иванов"]]))
    web = login(world.director)
    assert web.post(reverse("imports:remap", args=[job.pk])).status_code == 404
    html = web.get(job.get_absolute_url()).content.decode()
    assert "column-0" not in html and "Waiting for Anna Kamova to confirm." in html


def test_previews_nobody_confirms_expire(world, settings):
    settings.KAM_IMPORT_PREVIEW_DAYS = 7
    old = upload(world.director, "products", csv_bytes([["SKU", "Name"], ["A", "B"]]))
    fresh = upload(world.director, "products", csv_bytes([["SKU", "Name"], ["A", "B"]]))
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    sweep()
    assert list(ImportJob.objects.all()) == [fresh]
    assert not Path(old.file.path).exists()


def test_the_result_links_to_the_clients_of_a_sales_import_and_the_analytics(world, login):
    rows = [
        ["Дата", "Код клиента", "Артикул", "Количество", "Сумма"],
        ["31.12.2024", world.own.erp_code, world.product.sku, "1", "10"],
        ["31.12.2024", world.foreign.erp_code, world.product.sku, "1", "10"],
    ]
    job = import_file(world.director, "sales", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    html = login(world.director).get(job.get_absolute_url()).content.decode()
    assert reverse("insights:overview") in html
    assert world.own.get_absolute_url() in html and world.foreign.get_absolute_url() in html


def test_the_result_links_to_the_clients_created_or_updated(
    world, login, django_assert_max_num_queries
):
    rows = [["Код", "Наименование"], [world.own.erp_code, "Renamed"], ["NEW-1", "Новый"]]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert (job.created_count, job.updated_count) == (1, 1)
    web = login(world.director)
    with django_assert_max_num_queries(12):
        html = web.get(reverse("imports:progress", args=[job.pk])).content.decode()
    assert "Clients created or updated" in html
    assert world.own.get_absolute_url() in html and "Новый" in html
    assert world.foreign.get_absolute_url() not in html


def test_a_mapping_sent_after_the_import_was_confirmed_elsewhere_changes_nothing(world, login):
    job = upload(world.director, "products", csv_bytes([["SKU", "Name"], ["A", "B"]]))
    stale = ImportJob.objects.get(pk=job.pk)  # the page as the first tab loaded it
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)  # the second tab
    with pytest.raises(ValidationError, match="already been started"):
        import_job_remap(by=world.director, job=stale, fields=["sku", None])
    job.refresh_from_db()
    assert job.mapping["fields"] == ["sku", "name"]


def test_the_result_links_to_the_products_and_to_the_clients_whose_contacts_changed(world, login):
    job = import_file(world.director, "products", csv_bytes([["SKU", "Name"], ["NEW", "Новинка"]]))
    product = Product.objects.get(sku="NEW")
    web = login(world.director)
    html = web.get(job.get_absolute_url()).content.decode()
    assert "Products created or updated" in html
    assert reverse("products:detail", args=[product.pk]) in html
    rows = [["Код клиента", "ФИО"], [world.own.erp_code, "Петров"]]
    job = import_file(world.kam, "contacts", csv_bytes(rows))
    html = login(world.kam).get(job.get_absolute_url()).content.decode()
    assert reverse("clients:contacts", args=[world.own.pk]) in html


def test_the_saved_mappings_page_costs_the_same_for_many_presets(world, login):
    web = login(world.director)

    def save(n: int) -> None:
        job = upload(
            world.director, "products", csv_bytes([["SKU", "Name", f"x{n}"], ["A", "B", ""]])
        )
        web.post(reverse("imports:preset_save", args=[job.pk]), {"name": f"Preset {n}"})

    save(0)
    with CaptureQueriesContext(connection) as one:
        web.get(reverse("imports:presets"))
    for n in range(1, 5):
        save(n)
    with CaptureQueriesContext(connection) as five:
        html = web.get(reverse("imports:presets")).content.decode()
    assert "Preset 4" in html
    assert len(five) == len(one)


def test_a_saved_mapping_applies_to_the_command_line_too(world):
    rows = [["Артикул", "Код", "Товар"], ["OLD-1", "NEW-1", "Гвозди"]]
    job = upload(world.director, "products", csv_bytes(rows))
    assert job.mapping["fields"] == ["sku", None, "name"]  # «Артикул» is the SKU's own name
    import_job_remap(by=world.director, job=job, fields=[None, "sku", "name"])
    preset_save(by=world.director, job=job, name="Новый код")
    # As `kam import` runs a file: upload, then run at once.
    job = import_file(world.director, "products", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert list(Product.objects.filter(name="Гвозди").values_list("sku", flat=True)) == ["NEW-1"]


def test_a_mapping_sent_by_htmx_for_a_started_import_reloads_the_page(world, login):
    job = upload(world.director, "products", csv_bytes([["SKU", "Name"], ["A", "B"]]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    response = login(world.director).post(
        reverse("imports:remap", args=[job.pk]), choose(["sku", None]), headers={"HX-Request": "1"}
    )
    assert response["HX-Redirect"] == job.get_absolute_url()
