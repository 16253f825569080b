from pathlib import Path

import pytest

from kam.imports.models import MappingPreset
from kam.sales.models import SalesLine

from ..factories import make_client, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_import_with_a_bad_row_writes_nothing_and_shows_the_row(world, log_in, tmp_path):
    sku, code = world.product.sku, world.own.erp_code
    content = "\n".join(
        [
            "Дата;Код клиента;Артикул;Количество;Сумма;Документ",
            f"31.01.2025;{code};{sku};2;1 234,50;D-1",
            f"31.02.2025;{code};{sku};1;100,00;D-2",
            f"01.02.2025;NO-SUCH;{sku};1;100,00;D-3",
        ]
    )
    path = Path(tmp_path) / "sales.csv"
    path.write_text(content, encoding="utf-8")
    page = log_in("director")
    page.goto("/imports/new/")
    page.select_option("select[name=kind]", "sales")
    page.set_input_files("input[type=file]", str(path))
    page.click("main button[type=submit]")
    page.wait_for_selector("text=First rows")
    assert "1 234,50" in page.content()  # the preview shows the file as it is
    page.click("form[action$='/confirm/'] button")
    errors = page.locator("#import-progress table")
    errors.wait_for()
    text = errors.inner_text()
    assert "31.02.2025" in text and "NO-SUCH" in text
    rows = [line.split("\t")[0].strip() for line in text.splitlines()[1:]]
    assert rows == ["3", "4"]  # Excel row numbers: the header is row 1
    assert page.locator("a:has-text('Download all errors')").is_visible()
    assert SalesLine.objects.count() == 0
    Path("var/screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path="var/screenshots/import-errors.png", full_page=True)


def test_a_1c_export_is_mapped_in_the_preview_saved_and_imported(world, log_in):
    for sku in ("ARM-12", "ANK-10", "CEM-500"):
        make_product(sku=sku)
    own = make_client(world.kam, name="ООО «Пример-Строй»", erp_code="C-1", inn="7742186531")
    make_client(world.kam, name="ИП Иванов Иван Иванович", erp_code="C-2", inn="502918473696")
    page = log_in("director")
    page.goto("/imports/new/")
    page.select_option("select[name=kind]", "sales")
    page.set_input_files("input[type=file]", "tests/imports/1c-ut-sales.csv")
    page.click("main button[type=submit]")
    assert page.locator("#column-6").input_value() == "product_name"  # «Номенклатура»
    assert page.locator("#column-4").input_value() == "client_inn"  # the client by its ИНН
    # The user matches by ИНН only: HTMX checks the first rows again at once.
    with page.expect_response(lambda r: "/mapping/" in r.url):
        page.select_option("#column-3", "")
    page.wait_for_selector("text=The first rows are correct as mapped.")
    page.fill("#preset-name", "1C:УТ sales")
    page.click("#preset-name ~ button")
    page.wait_for_selector("text=Mapping “1C:УТ sales” saved")
    assert MappingPreset.objects.get().fields[3:5] == [None, "client_inn"]
    page.click("form[action$='/confirm/'] button")
    page.wait_for_selector("text=4 rows imported.")
    assert SalesLine.objects.count() == 4
    page.click(f"a[href='{own.get_absolute_url()}']")  # the result links to the clients
    page.wait_for_url(f"**{own.get_absolute_url()}")
