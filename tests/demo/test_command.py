"""`kam demo`: determinism, --if-empty, --reset, and what it prints."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from kam.clients.models import Client, Contact, Tender
from kam.core.models import User
from kam.demo import DemoError, build_demo, default_as_of, wipe_demo
from kam.demo.generator import _gender, _plural
from kam.sales.models import SalesLine
from tests.factories import make_client, make_user

from .conftest import AS_OF

pytestmark = pytest.mark.django_db
TINY = ["--clients", "20", "--months", "6", "--as-of", AS_OF.isoformat()]


def snapshot():
    return {
        "clients": list(
            Client.objects.order_by("erp_code").values_list(
                "erp_code",
                "name",
                "legal_name",
                "status",
                "is_key",
                "owner__username",
                "is_industry_leader",
                "is_reference_customer",
                "is_expert",
                "payment_on_time_pct",
            )
        ),
        "sales": SalesLine.objects.aggregate(n=Count("id"), amount=Sum("amount"), cost=Sum("cost")),
        "by_client": list(
            Client.objects.order_by("erp_code")
            .annotate(t=Sum("sales_lines__amount"))
            .values_list("erp_code", "t")
        ),
        "contacts": list(
            Contact.objects.order_by("client__erp_code", "full_name").values_list(
                "client__erp_code", "full_name", "reports_to__full_name", "attitude"
            )
        ),
        "tenders": list(
            Tender.objects.order_by("date", "subject").values_list("subject", "result")
        ),
    }


def test_the_same_seed_builds_the_same_company():
    build_demo(seed=7, clients=20, months=6, as_of=AS_OF)
    first = snapshot()
    wipe_demo()
    build_demo(seed=7, clients=20, months=6, as_of=AS_OF)
    assert snapshot() == first
    assert first["sales"]["n"] > 0


def test_another_seed_builds_another_company():
    build_demo(seed=1, clients=20, months=6, as_of=AS_OF)
    first = snapshot()
    wipe_demo()
    build_demo(seed=2, clients=20, months=6, as_of=AS_OF)
    assert snapshot()["clients"] != first["clients"]


def test_the_command_prints_counts_and_the_logins():
    out = StringIO()
    call_command("demo", *TINY, stdout=out)
    text = out.getvalue()
    assert "Sales lines" in text and "Key clients" in text and "Tenders" in text
    for username in ("director", "kam1", "assistant3", "member5"):
        assert username in text
    assert "password for every demo user: demo" in text
    assert Client.objects.count() == 20


def test_if_empty_does_nothing_when_clients_exist():
    kam = make_user("somebody")
    make_client(kam, name="A real client")
    out = StringIO()
    call_command("demo", "--if-empty", *TINY, stdout=out)
    assert "not built" in out.getvalue()
    assert list(Client.objects.values_list("name", flat=True)) == ["A real client"]
    assert not User.objects.filter(username="director").exists()


def test_if_empty_does_nothing_when_only_a_demo_username_is_taken():
    make_user("director")
    out = StringIO()
    call_command("demo", "--if-empty", *TINY, stdout=out)
    assert "demo users" in out.getvalue()
    assert not Client.objects.exists()


def test_if_empty_builds_the_company_on_an_empty_database():
    call_command("demo", "--if-empty", *TINY, stdout=StringIO())
    assert Client.objects.count() == 20


def test_the_command_refuses_to_build_over_existing_clients():
    make_client(make_user("somebody"))
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo", *TINY, stdout=StringIO())


def test_build_demo_refuses_when_demo_users_exist():
    make_user("kam1")
    with pytest.raises(DemoError):
        build_demo(clients=20, months=6, as_of=AS_OF)


def test_reset_replaces_the_company_and_keeps_other_users():
    call_command("demo", *TINY, stdout=StringIO())
    other = make_user("somebody")
    call_command("demo", "--reset", "--seed", "5", *TINY, stdout=StringIO())
    assert Client.objects.count() == 20
    assert User.objects.filter(username="director").count() == 1
    assert User.objects.filter(pk=other.pk).exists()
    # the audit history of the old company went with it: one creation entry per client
    assert Client.audit.filter(history_type="+").count() == 20


def test_a_bad_as_of_date_is_a_command_error():
    with pytest.raises(CommandError, match="as-of"):
        call_command("demo", "--as-of", "31.12.2025", stdout=StringIO())


def test_as_of_defaults_to_the_end_of_the_previous_month():
    assert default_as_of(dt.date(2026, 3, 15)) == dt.date(2026, 2, 28)
    assert default_as_of(dt.date(2026, 1, 1)) == dt.date(2025, 12, 31)


def test_russian_texts_agree_in_number_and_gender():
    forms = ("магазин", "магазина", "магазинов")
    assert [_plural(n, forms) for n in (1, 3, 5, 11, 21, 22, 112)] == [
        "магазин",
        "магазина",
        "магазинов",
        "магазинов",
        "магазин",
        "магазина",
        "магазинов",
    ]
    assert _gender("{Уволился|Уволилась}.", female=True) == "Уволилась."
    assert _gender("{Уволился|Уволилась}.", female=False) == "Уволился."


@pytest.mark.slow  # two builds of 150 and 300 clients: ~10 s
def test_a_bigger_company_has_about_the_same_sales_lines_per_client():
    """`--clients 300` is two default companies' worth of buyers of every size, not 150 more
    small ones (before: 10× the clients gave 2.4× the lines)."""
    per_client = []
    for clients in (150, 300):
        summary = build_demo(seed=7, clients=clients, months=3, as_of=AS_OF)
        per_client.append(summary.sales_lines / clients)
        wipe_demo()
    assert 0.85 <= per_client[1] / per_client[0] <= 1.15
