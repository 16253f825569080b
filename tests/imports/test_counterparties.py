"""Counterparties by ИНН/КПП in imports: the client import validates them and refuses an ИНН
another client holds; sales lines and contacts find their client by ERP code, else ИНН, else
exact name, and say which of them failed."""

import csv
import io
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam.clients.models import Client, Contact
from kam.imports.engine import check
from kam.imports.kinds import KINDS
from kam.imports.models import ImportStatus
from kam.sales.models import SalesLine
from tests.factories import make_client, make_product

from .files import csv_bytes, import_file, upload

SAMPLE = Path("/work/shared/samples/1c-ut-sales.csv")
COMPANY, TRADER = "7742186531", "502918473696"  # the sample's counterparties
OTHER = "7707329152"
SALES = ["Дата", "Код клиента", "ИНН", "Контрагент", "Артикул", "Количество", "Сумма", "Документ"]


def reasons(job) -> list[tuple]:
    return [(e["row"], e["column"], e["value"], e["reason"]) for e in job.errors]


# --- the client import ---------------------------------------------------------------------


def test_clients_import_inn_and_kpp(world):
    rows = [
        ["Код", "Наименование", "ИНН", "КПП"],
        ["K-1", "Пример-Строй", COMPANY, "774301001"],
        ["K-2", "Иванов", f" {TRADER[:6]} {TRADER[6:]}", ""],
    ]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    stored = dict(Client.objects.filter(erp_code__startswith="K-").values_list("inn", "kpp"))
    assert stored == {COMPANY: "774301001", TRADER: ""}


def test_bad_inns_and_kpps_are_reported_per_row(world):
    rows = [
        ["Код", "Наименование", "ИНН", "КПП"],
        ["K-1", "Опечатка", "7742186532", ""],
        ["K-2", "ИП с КПП", TRADER, "774301001"],
        ["K-3", "Кривой КПП", COMPANY, "7743-01"],
        ["K-4", "Потерян ноль", "274062111", ""],
    ]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert job.status == ImportStatus.FAILED
    assert reasons(job) == [
        (2, "ИНН", "7742186532", "The control digits do not match: the INN has a typo."),
        (3, "КПП", "774301001", "Only a company (a 10-digit INN) has a KPP."),
        (
            4,
            "КПП",
            "7743-01",
            "A KPP has 9 characters: 4 digits, 2 digits or capital Latin letters, 3 digits "
            "(e.g. 774301001).",
        ),
        (
            5,
            "ИНН",
            "274062111",
            "An INN has 10 digits (a company) or 12 (a sole trader); this one has 9. "
            "If the file passed through Excel, it may have lost a leading zero.",
        ),
    ]
    assert not Client.objects.filter(erp_code__startswith="K-").exists()


def test_an_inn_twice_in_the_file_or_held_by_another_client_is_refused_naming_it(world):
    Client.objects.filter(pk=world.own.pk).update(inn=OTHER)
    rows = [
        ["Код", "Наименование", "ИНН"],
        ["K-1", "Первый", COMPANY],
        ["K-2", "Второй", COMPANY],
        ["K-3", "Третий", OTHER],
    ]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert reasons(job) == [
        (3, "ИНН", COMPANY, "Same INN as row 2."),
        (
            4,
            "ИНН",
            OTHER,
            f"The client “Own Client” (ERP code {world.own.erp_code}) already has this INN.",
        ),
    ]


def test_an_inn_passes_to_another_client_only_once_freed(world):
    Client.objects.filter(pk=world.own.pk).update(inn=OTHER)
    Client.objects.filter(pk=world.foreign.pk).update(inn=COMPANY)
    header = ["Код", "Наименование", "ИНН"]
    swap = [
        header,
        [world.own.erp_code, "Own Client", COMPANY],
        [world.foreign.erp_code, "Foreign Client", OTHER],
    ]
    job = import_file(world.director, "clients", csv_bytes(swap))
    assert [(e["row"], e["reason"]) for e in job.errors] == [
        (
            2,
            f"The client “Foreign Client” (ERP code {world.foreign.erp_code}) "
            "already has this INN.",
        ),
        (3, f"The client “Own Client” (ERP code {world.own.erp_code}) already has this INN."),
    ]
    freed = [header, [world.foreign.erp_code, "Foreign Client", ""]]
    assert import_file(world.director, "clients", csv_bytes(freed)).status == "succeeded"
    taken = [header, [world.own.erp_code, "Own Client", COMPANY]]
    assert import_file(world.director, "clients", csv_bytes(taken)).status == "succeeded"
    assert Client.objects.get(pk=world.own.pk).inn == COMPANY


# --- sales lines and contacts --------------------------------------------------------------


@pytest.fixture
def counterparties(world):
    """Three clients of the director's company: one by each key."""
    by_code = make_client(world.kam, name="По коду", inn=OTHER)
    by_inn = make_client(world.kam, name="По ИНН", inn=COMPANY)
    by_name = make_client(world.kam, name="Пример", legal_name="ООО «Пример-Строй»")
    return by_code, by_inn, by_name


def sale(code, inn, name, document, product):
    return ["31.12.2024", code, inn, name, product.sku, "1", "10,00", document]


def test_sales_find_their_client_by_code_then_inn_then_name(world, counterparties):
    by_code, by_inn, by_name = counterparties
    p = world.product
    rows = [
        SALES,
        sale(by_code.erp_code, COMPANY, "ООО «Пример-Строй»", "D1", p),  # the code wins
        sale("", COMPANY, "ООО «Пример-Строй»", "D2", p),  # then the ИНН
        sale("NOPE", "77 42 186531", "", "D3", p),  # an unknown code: the ИНН, spaces or not
        sale("", "", "ООО «Пример-Строй»", "D4", p),  # the legal name
        sale("", "", "Пример", "D5", p),  # or the name
    ]
    job = import_file(world.director, "sales", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    found = dict(SalesLine.objects.values_list("document_number", "client_id"))
    assert found == {
        "D1": by_code.pk,
        "D2": by_inn.pk,
        "D3": by_inn.pk,
        "D4": by_name.pk,
        "D5": by_name.pk,
    }


def test_a_sale_without_a_client_says_which_keys_failed(world, counterparties):
    p = world.product
    rows = [
        SALES,
        sale("X", "7742186539", "ООО «Нет такого»", "D1", p),
        sale("", "7742186539", "ООО «Нет такого»", "D2", p),
        sale("", "", "ООО «Нет такого»", "D3", p),
        sale("", "", "", "D4", p),
    ]
    job = import_file(world.director, "sales", csv_bytes(rows))
    assert job.status == ImportStatus.FAILED
    assert reasons(job) == [
        (
            2,
            "Код клиента",
            "X",
            "No client with ERP code “X”, INN 7742186539 or name “ООО «Нет такого»” among the "
            "clients you can see.",
        ),
        (
            3,
            "ИНН",
            "7742186539",
            "No client with INN 7742186539 or name “ООО «Нет такого»” among the clients you "
            "can see.",
        ),
        (
            4,
            "Контрагент",
            "ООО «Нет такого»",
            "No client with name “ООО «Нет такого»” among the clients you can see.",
        ),
        (5, "Код клиента", None, "The row names no client: give its ERP code, INN or name."),
    ]
    assert SalesLine.objects.count() == 0


def test_the_report_speaks_russian_with_russian_quotes(world, counterparties):
    world.director.language = "ru"
    world.director.save()
    rows = [SALES, sale("X", "7742186539", "ООО «Нет такого»", "D1", world.product)]
    job = import_file(world.director, "sales", csv_bytes(rows))
    assert job.errors[0]["reason"] == (
        "Среди доступных вам клиентов нет клиента с кодом в ERP «X», ИНН 7742186539 или "
        "наименованием «ООО «Нет такого»»."
    )


def test_a_name_several_clients_share_tells_none_of_them(world):
    make_client(world.kam, name="Двойник")
    make_client(world.kam, name="Другой", legal_name="Двойник")
    rows = [SALES, sale("", "", "Двойник", "D1", world.product)]
    job = import_file(world.director, "sales", csv_bytes(rows))
    assert reasons(job) == [
        (
            2,
            "Контрагент",
            "Двойник",
            "Several of your clients are named “Двойник”; give the ERP code or the INN.",
        )
    ]


def test_a_file_with_only_the_counterparty_and_its_inn_needs_no_code_column(world, counterparties):
    _by_code, by_inn, _by_name = counterparties
    header = ["Дата", "Контрагент", "ИНН контрагента", "Артикул", "Количество", "Сумма"]
    rows = [header, ["31.12.2024", "Кто-то", COMPANY, world.product.sku, "1", "5"]]
    job = import_file(world.director, "sales", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, (job.message, job.errors)
    assert SalesLine.objects.get().client_id == by_inn.pk


def test_a_sales_file_without_any_client_column_is_refused_naming_the_three(world):
    rows = [["Дата", "Артикул", "Количество", "Сумма"], ["31.12.2024", "P", "1", "5"]]
    job = upload(world.director, "sales", csv_bytes(rows))
    assert job.status == ImportStatus.UPLOADED  # the preview says why; it cannot be confirmed
    assert job.message.startswith(
        "Required columns are missing: “client code”, “client INN” or “client name”."
    )


def test_the_1c_sample_finds_its_counterparties_by_inn(world):
    """The shared 1C:УТ sample (cp1251, «;», no-break spaces), its own cells and headers;
    columns this part does not map are left out."""
    company = make_client(world.kam, name="Пример-Строй", inn=COMPANY)
    trader = make_client(world.kam, name="ИП Иванов", inn=TRADER)
    for sku in ("ARM-12", "ANK-10", "CEM-500"):
        make_product(sku=sku)
    table = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="cp1251")), delimiter=";"))
    keep = ["Период", "Контрагент", "ИНН контрагента", "Артикул", "Количество", "Выручка"]
    at = [table[0].index(name) for name in keep]
    rename = {"Период": "Дата", "Выручка": "Сумма"}  # synonyms another part adds
    rows = [[rename.get(name, name) for name in keep]] + [[r[i] for i in at] for r in table[1:]]
    job = import_file(world.director, "sales", csv_bytes(rows, encoding="cp1251"))
    assert job.status == ImportStatus.SUCCEEDED, (job.message, job.errors)
    clients = set(SalesLine.objects.values_list("client_id", flat=True))
    assert clients == {company.pk, trader.pk}


def test_contacts_find_their_client_by_inn_or_name_but_never_a_foreign_one(world):
    Client.objects.filter(pk=world.own.pk).update(inn=COMPANY, legal_name="ООО «Своё»")
    Client.objects.filter(pk=world.foreign.pk).update(inn=OTHER)
    rows = [
        ["ИНН клиента", "Клиент", "ФИО"],
        [COMPANY, "", "По ИНН"],
        ["", "ООО «Своё»", "По названию"],
        [OTHER, "", "Чужой"],
        ["", "Foreign Client", "Чужой по названию"],
    ]
    job = import_file(world.kam, "contacts", csv_bytes(rows))
    assert reasons(job) == [
        (4, "ИНН клиента", OTHER, f"No client with INN {OTHER} among the clients you can see."),
        (
            5,
            "Клиент",
            "Foreign Client",
            "No client with name “Foreign Client” among the clients you can see.",
        ),
    ]
    rows = rows[:3]
    job = import_file(world.kam, "contacts", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert set(Contact.objects.filter(client=world.own).values_list("full_name", flat=True)) >= {
        "По ИНН",
        "По названию",
    }


def test_matching_costs_the_same_queries_for_few_rows_as_for_many(world, counterparties, tmp_path):
    by_code, _by_inn, _by_name = counterparties
    keys = [(by_code.erp_code, "", ""), ("", COMPANY, ""), ("", "", "Пример"), ("", "", "Нет")]

    def queries(count: int) -> int:
        rows = [SALES] + [sale(*keys[n % len(keys)], f"D{n}", world.product) for n in range(count)]
        path = tmp_path / f"{count}.csv"
        path.write_bytes(csv_bytes(rows))
        with CaptureQueriesContext(connection) as queried:
            checked = check(KINDS["sales"], path, world.director, reason="", progress=noop)
        assert checked.errors.height == count // len(keys)  # every "Нет" row
        return len(queried.captured_queries)

    assert queries(8) == queries(200)


def noop(*args) -> None:
    pass
