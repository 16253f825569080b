import pytest
from django.core.exceptions import PermissionDenied

from kam.clients.models import Attitude, Contact, DecisionRole
from kam.imports.models import ImportStatus
from tests.factories import add_member

from .files import csv_bytes, import_file

HEADER = [
    "Код клиента",
    "Внешний ID",
    "ФИО",
    "Должность",
    "Роль",
    "Влияние",
    "Отношение",
    "Подчиняется",
]


def test_a_kam_imports_contacts_of_their_client_with_history(world):
    rows = [
        HEADER,
        [world.own.erp_code, "P1", "Иванов Иван", "Директор", "ЛПР", "5", "сторонник", ""],
        [world.own.erp_code, "P2", "Петров Пётр", "Закупщик", "влияющий", "3", "-1", "P1"],
    ]
    job = import_file(world.kam, "contacts", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    boss, buyer = Contact.objects.get(external_id="P1"), Contact.objects.get(external_id="P2")
    assert (boss.decision_role, boss.influence, boss.attitude) == (
        DecisionRole.DECISION_MAKER,
        5,
        2,
    )
    assert (buyer.reports_to, buyer.attitude) == (boss, -1)
    assert buyer.audit.get().history_user == world.kam


def test_an_invisible_client_looks_exactly_like_a_missing_one(world):
    rows = [
        HEADER,
        [world.foreign.erp_code, "", "Spy", "", "", "", "", ""],
        ["NO-SUCH", "", "Ghost", "", "", "", "", ""],
    ]
    job = import_file(world.kam, "contacts", csv_bytes(rows))
    assert job.status == ImportStatus.FAILED
    assert [e["reason"] for e in job.errors] == [
        f"No client with ERP code “{code}” among the clients you can see."
        for code in (world.foreign.erp_code, "NO-SUCH")
    ]
    assert not Contact.objects.filter(full_name__in=["Spy", "Ghost"]).exists()


def test_an_assistant_imports_contacts_of_the_kams_clients(world):
    rows = [HEADER, [world.own.erp_code, "", "Сидоров", "", "", "", "", ""]]
    assert (
        import_file(world.assistant, "contacts", csv_bytes(rows)).status == ImportStatus.SUCCEEDED
    )


def test_a_team_member_may_not_import_contacts(world):
    rows = [HEADER, [world.own.erp_code, "", "Сидоров", "", "", "", "", ""]]
    with pytest.raises(PermissionDenied):
        import_file(world.member, "contacts", csv_bytes(rows))


def test_contacts_without_an_external_id_match_by_name(world):
    rows = [["Client code", "Full name", "Position"], [world.own.erp_code, "Own Person", "CFO"]]
    job = import_file(world.kam, "contacts", csv_bytes(rows))
    assert (job.created_count, job.updated_count) == (0, 1)
    assert Contact.objects.get(pk=world.own_contact.pk).position == "CFO"


def test_reimporting_contacts_changes_nothing(world):
    content = csv_bytes([HEADER, [world.own.erp_code, "P1", "Иванов", "", "", "4", "", ""]])
    import_file(world.kam, "contacts", content)
    job = import_file(world.kam, "contacts", content)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 1)


def test_repeated_people_and_unknown_bosses_are_errors(world):
    code = world.own.erp_code
    rows = [
        HEADER,
        [code, "P1", "A", "", "", "", "", ""],
        [code, "P1", "B", "", "", "", "", ""],
        [code, "", "C", "", "", "", "", ""],
        [code, "", "C", "", "", "", "", "P9"],
        [code, "P3", "D", "", "", "", "", "P3"],
    ]
    job = import_file(world.kam, "contacts", csv_bytes(rows))
    assert [(e["row"], e["column"], e["reason"]) for e in job.errors] == [
        (3, "Внешний ID", "Same external id as row 2."),
        (5, "ФИО", "Same full name as row 4."),
        (5, "Подчиняется", "No contact with this external id at this client."),
        (6, "Подчиняется", "A person cannot report to themselves."),
    ]


def test_a_reporting_loop_is_an_error(world):
    code = world.own.erp_code
    rows = [
        HEADER,
        [code, "P1", "A", "", "", "", "", "P2"],
        [code, "P2", "B", "", "", "", "", "P1"],
    ]
    job = import_file(world.kam, "contacts", csv_bytes(rows))
    assert {e["reason"] for e in job.errors} == {"This would make a reporting loop."}


def test_a_kam_who_only_sits_on_the_team_may_not_change_its_contacts(world):
    add_member(world.own, world.outsider)
    rows = [HEADER, [world.own.erp_code, "", "Новый", "", "", "", "", ""]]
    job = import_file(world.outsider, "contacts", csv_bytes(rows))
    assert [e["reason"] for e in job.errors] == ["You may not change this client's contacts."]


def test_the_labels_the_hint_shows_are_accepted_in_both_languages(world):
    """Whatever the interface calls a role or an attitude, in Russian or English, imports back."""
    from django.utils import translation

    rows = [["код клиента", "ФИО", "роль", "отношение"]]
    for language in ("ru", "en"):
        with translation.override(language):
            rows += [
                [
                    world.own.erp_code,
                    f"{language} {role.label}",
                    str(role.label),
                    str(attitude.label),
                ]
                for role, attitude in zip(DecisionRole, Attitude, strict=False)
            ]
    job = import_file(world.kam, "contacts", csv_bytes(rows))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    # zip pairs the fourth role (user) with the fourth attitude (favourable)
    for language in ("ru", "en"):
        person = Contact.objects.get(full_name__startswith=language, decision_role="user")
        assert person.attitude == Attitude.FAVOURABLE
    assert Contact.objects.filter(decision_role="influencer").count() == 2
