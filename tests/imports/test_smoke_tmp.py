from tests.factories import make_client, make_product
from tests.imports.files import csv_bytes, import_file


def test_smoke(world):
    c, p = world.own, world.product
    rows = [["Дата", "Код клиента", "Артикул", "Кол-во", "Сумма", "Себестоимость", "Документ"],
            ["31.12.2024", c.erp_code, p.sku, "2", "1 234,50", "1000", "D1"],
            ["2024-12-30", c.erp_code, p.sku, "1,5", "10", "", "D2"]]
    job = import_file(world.director, "sales", csv_bytes(rows))
    print(job.status, job.message, job.errors, job.created_count, job.updated_count, job.unchanged_count)
    job = import_file(world.director, "sales", csv_bytes(rows))
    print(job.status, job.message, job.errors, job.created_count, job.updated_count, job.unchanged_count)
    rows[1][4] = "99"; rows.append(["bad", "X", p.sku, "x", "1", "", "D1"]); rows.append(["31.12.2024", c.erp_code, p.sku, "2", "1 234,50", "1000", "D1"])
    job = import_file(world.director, "sales", csv_bytes(rows))
    print(job.status, job.message, job.errors, job.created_count, job.updated_count, job.unchanged_count)
    assert 0
