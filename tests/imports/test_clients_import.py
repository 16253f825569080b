from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kam.clients.models import Client, ClientStatus, ClientType
from kam.imports.models import ImportStatus

from .files import csv_bytes, import_file

HEADER = [
    "Код",
    "Наименование",
    "Отрасль",
    "Выручка",
    "Статус",
    "Тип",
    "Ключевой",
    "Менеджер",
    "Головная компания",
]


def test_clients_are_created_with_russian_values_and_an_owner_by_username(world):
    rows = [
        HEADER,
        [
            "K-1",
            "СтройИнвест",
            "Строительство",
            "125 000 000,00",
            "Под угрозой",
            "Кормилец",
            "да",
            "kam",
            "",
        ],
    ]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.message
    client = Client.objects.get(erp_code="K-1")
    assert (client.status, client.client_type, client.is_key, client.owner) == (
        ClientStatus.AT_RISK,
        ClientType.BREADWINNER,
        True,
        world.kam,
    )
    assert client.annual_revenue == Decimal("125000000.00")
    assert client.audit.get().history_user == world.director


def test_a_new_client_without_an_owner_belongs_to_the_importing_director(world):
    job = import_file(world.director, "clients", csv_bytes([["Code", "Name"], ["K-2", "Alpha"]]))
    assert job.status == ImportStatus.SUCCEEDED
    client = Client.objects.get(erp_code="K-2")
    assert (client.owner, client.status, client.is_key) == (
        world.director,
        ClientStatus.ACTIVE,
        False,
    )


def test_updating_a_client_changes_only_the_given_columns(world):
    world.own.region = "Урал"
    world.own.save()
    rows = [["Code", "Name", "Industry"], [world.own.erp_code, "Renamed", "Retail"]]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert (job.created_count, job.updated_count) == (0, 1)
    client = Client.objects.get(pk=world.own.pk)
    assert (client.name, client.industry, client.region, client.owner) == (
        "Renamed",
        "Retail",
        "Урал",
        world.kam,
    )
    assert client.audit.order_by("-history_id").first().history_user == world.director


def test_a_parent_may_be_another_row_of_the_same_file(world):
    rows = [["Code", "Name", "Parent code"], ["SUB", "Daughter", "HQ"], ["HQ", "Holding", ""]]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert Client.objects.get(erp_code="SUB").parent == Client.objects.get(erp_code="HQ")
    assert Client.audit.filter(erp_code="SUB").count() == 1  # created once, parent included


def test_parents_that_loop_or_do_not_exist_are_errors(world):
    rows = [
        ["Code", "Name", "Parent code"],
        ["A", "A", "B"],
        ["B", "B", "A"],
        ["C", "C", "C"],
        ["D", "D", "NOWHERE"],
    ]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert [(e["row"], e["reason"]) for e in job.errors] == [
        (2, "This parent would make a loop of companies."),
        (3, "This parent would make a loop of companies."),
        (4, "A company cannot be its own parent."),
        (5, "No client with this code in the database or in this file."),
    ]


def test_an_owner_must_be_an_active_key_account_manager(world):
    rows = [["Code", "Name", "KAM"], ["K-3", "Beta", "member"], ["K-4", "Gamma", "ghost"]]
    job = import_file(world.director, "clients", csv_bytes(rows))
    reason = "No active key account manager with this username."
    assert [(e["row"], e["value"], e["reason"]) for e in job.errors] == [
        (2, "member", reason),
        (3, "ghost", reason),
    ]


def test_only_directors_import_clients(world):
    with pytest.raises(PermissionDenied):
        import_file(world.kam, "clients", csv_bytes([["Code", "Name"], ["K-5", "Delta"]]))


FLAG_HEADER = [
    "Код",
    "Наименование",
    "Лидер отрасли",
    "Референтный клиент",
    "Требовательный эксперт",
    "Оплата в срок, %",
]


def test_strategic_flags_and_payment_share_import_with_russian_headers(world):
    rows = [
        FLAG_HEADER,
        ["F-1", "Лидер", "да", "нет", "", "97,5"],
        ["F-2", "Референт", "Нет", "ДА", "1", "100 %"],
        ["F-3", "Без данных", "", "", "", ""],
    ]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    found = {
        c.erp_code: (
            c.is_industry_leader,
            c.is_reference_customer,
            c.is_expert,
            c.payment_on_time_pct,
        )
        for c in Client.objects.filter(erp_code__startswith="F-")
    }
    assert found == {
        "F-1": (True, False, False, Decimal("97.50")),
        "F-2": (False, True, True, Decimal("100.00")),
        "F-3": (False, False, False, None),
    }
    assert Client.audit.get(erp_code="F-1").is_industry_leader is True


def test_english_headers_and_yes_no_true_false_words_are_accepted(world):
    rows = [
        ["Code", "Name", "Industry leader", "Reference customer", "Expert", "Paid on time, %"],
        ["E-1", "Alpha", "yes", "false", "TRUE", "0"],
        ["E-2", "Beta", "No", "true", "0", "64.25"],
    ]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    alpha, beta = Client.objects.filter(erp_code__in=["E-1", "E-2"]).order_by("erp_code")
    assert (alpha.is_industry_leader, alpha.is_reference_customer, alpha.is_expert) == (
        True,
        False,
        True,
    )
    assert (alpha.payment_on_time_pct, beta.payment_on_time_pct) == (
        Decimal("0.00"),
        Decimal("64.25"),
    )
    assert (beta.is_industry_leader, beta.is_reference_customer, beta.is_expert) == (
        False,
        True,
        False,
    )


def test_an_empty_flag_keeps_the_stored_one_and_an_empty_share_clears_it(world):
    Client.objects.filter(pk=world.own.pk).update(
        is_industry_leader=True, is_expert=True, payment_on_time_pct=Decimal("90")
    )
    rows = [FLAG_HEADER, [world.own.erp_code, world.own.name, "", "да", "нет", ""]]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert (job.status, job.updated_count) == (ImportStatus.SUCCEEDED, 1)
    client = Client.objects.get(pk=world.own.pk)
    assert (client.is_industry_leader, client.is_reference_customer, client.is_expert) == (
        True,
        True,
        False,
    )
    assert client.payment_on_time_pct is None


def test_reimporting_the_same_flags_and_share_changes_nothing(world):
    rows = [FLAG_HEADER, ["F-9", "Same", "да", "да", "нет", "88,00"]]
    import_file(world.director, "clients", csv_bytes(rows))
    again = import_file(world.director, "clients", csv_bytes(rows))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 1)
    assert Client.audit.filter(erp_code="F-9").count() == 1


def test_bad_flags_and_shares_are_reported_by_row_column_and_reason(world):
    rows = [
        FLAG_HEADER,
        ["B-1", "Bad flag", "может быть", "нет", "нет", "50"],
        ["B-2", "Too much", "да", "нет", "нет", "100,01"],
        ["B-3", "Negative", "нет", "нет", "нет", "-5"],
        ["B-4", "Not a number", "нет", "нет", "maybe", "много"],
        ["B-5", "Too precise", "нет", "нет", "нет", "97,555"],
    ]
    job = import_file(world.director, "clients", csv_bytes(rows))
    assert job.status == ImportStatus.FAILED
    assert not Client.objects.filter(erp_code__startswith="B-").exists()
    yes_no = "Unknown value; use one of: yes, no."
    share = "Must be a percentage between 0 and 100."
    found = [(e["row"], e["column"], e["value"], e["reason"]) for e in job.errors]
    assert sorted(found, key=lambda e: (e[0], e[1])) == [
        (2, "Лидер отрасли", "может быть", yes_no),
        (3, "Оплата в срок, %", "100,01", share),
        (4, "Оплата в срок, %", "-5", share),
        (5, "Оплата в срок, %", "много", "Not a number; write 1 234,50 or 1234.50."),
        (5, "Требовательный эксперт", "maybe", yes_no),
        (6, "Оплата в срок, %", "97,555", "More than 2 digits after the decimal point."),
    ]
