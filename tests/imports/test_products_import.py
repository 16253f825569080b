from decimal import Decimal

from kam.imports.models import ImportStatus
from kam.sales.models import Product

from .files import csv_bytes, import_file

HEADER = ["Артикул", "Наименование", "Категория", "Ед. изм.", "Цена", "Себестоимость"]


def test_products_are_created_with_history_by_the_importing_user(world):
    rows = [HEADER, ["A-1", "Цемент", "Вяжущие", "меш", "450,00", "312,40"]]
    job = import_file(world.director, "products", csv_bytes(rows), "price-list.csv")
    assert job.status == ImportStatus.SUCCEEDED, job.message
    product = Product.objects.get(sku="A-1")
    assert (product.name, product.unit, product.list_price) == ("Цемент", "меш", Decimal("450.00"))
    record = product.audit.get()
    assert (record.history_type, record.history_user) == ("+", world.director)
    assert record.history_change_reason == "import price-list.csv"


def test_a_changed_price_updates_the_product_and_its_history_names_the_importer(world):
    import_file(
        world.director, "products", csv_bytes([HEADER, ["A-1", "Цемент", "", "", "450", ""]])
    )
    job = import_file(
        world.director, "products", csv_bytes([HEADER, ["A-1", "Цемент", "", "", "475", ""]])
    )
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 0)
    product = Product.objects.get(sku="A-1")
    assert product.list_price == Decimal("475.00")
    latest = product.audit.order_by("-history_id").first()
    assert (latest.history_type, latest.history_user, latest.list_price) == (
        "~",
        world.director,
        Decimal("475.00"),
    )


def test_reimporting_products_adds_no_history(world):
    content = csv_bytes([HEADER, ["A-1", "Цемент", "Вяжущие", "меш", "450", "300"]])
    import_file(world.director, "products", content)
    job = import_file(world.director, "products", content)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 1)
    assert Product.audit.filter(sku="A-1").count() == 1


def test_an_empty_unit_keeps_the_stored_one_and_new_products_get_the_default(world):
    world.product.unit = "kg"
    world.product.save()
    rows = [
        HEADER,
        [world.product.sku, world.product.name, "", "", "10", ""],
        ["N-1", "New", "", "", "", ""],
    ]
    import_file(world.director, "products", csv_bytes(rows))
    assert Product.objects.get(pk=world.product.pk).unit == "kg"
    assert Product.objects.get(sku="N-1").unit == "pcs"


def test_a_repeated_sku_names_both_rows(world):
    rows = [
        HEADER,
        ["A-1", "X", "", "", "", ""],
        ["A-2", "Y", "", "", "", ""],
        ["A-1", "Z", "", "", "", ""],
    ]
    job = import_file(world.director, "products", csv_bytes(rows))
    assert [(e["row"], e["reason"]) for e in job.errors] == [(4, "Same SKU as row 2.")]
    assert not Product.objects.filter(sku__startswith="A-").exists()
