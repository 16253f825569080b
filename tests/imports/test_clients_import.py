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
