from pathlib import Path

import pytest

from kam.sales.models import SalesLine

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
    page.click("main form button[type=submit]:has-text('Import')")
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
