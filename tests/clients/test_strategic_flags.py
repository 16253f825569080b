"""Strategic flags and payment discipline of a client (R1, R5): stored and audited, the form, the
overview, the list filters, the exports and the API."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from kam.clients import selectors, services
from kam.clients.forms import ClientForm
from kam.clients.models import Client
from tests.api.conftest import ApiClient, fields

from ..factories import make_client

FLAGS = ("is_industry_leader", "is_reference_customer", "is_expert")


def client_data(client: Client, **extra) -> dict:
    return {
        "name": client.name,
        "erp_code": client.erp_code,
        "status": client.status,
        "client_type": client.client_type,
    } | extra


# --- model and service ---------------------------------------------------------------------


def test_a_new_client_has_no_flags_and_no_payment_figure(world):
    assert [getattr(world.own, f) for f in FLAGS] == [False, False, False]
    assert world.own.payment_on_time_pct is None


def test_the_service_saves_the_flags_and_the_history_records_who_changed_them(world):
    services.client_update(
        by=world.kam,
        client=world.own,
        reason="Named in the industry rating",
        is_industry_leader=True,
        is_reference_customer=True,
        payment_on_time_pct=Decimal("92.50"),
    )
    client = Client.objects.get(pk=world.own.pk)
    assert (client.is_industry_leader, client.is_reference_customer, client.is_expert) == (
        True,
        True,
        False,
    )
    assert client.payment_on_time_pct == Decimal("92.50")
    latest = client.audit.order_by("-history_id").first()
    assert latest.history_user == world.kam
    assert latest.history_change_reason == "Named in the industry rating"
    assert (latest.is_industry_leader, latest.payment_on_time_pct) == (True, Decimal("92.50"))


def test_the_history_tab_lists_the_changed_flags_with_old_and_new_values(world):
    services.client_update(
        by=world.kam, client=world.own, is_expert=True, payment_on_time_pct=Decimal("71")
    )
    changes = selectors.change_history(world.own, world.director)[0]["changes"]
    assert {str(c["field"]): (c["old"], c["new"]) for c in changes} == {
        "demanding, knowledgeable client": ("✗", "✓"),
        "paid on time, %": ("—", "71.00"),
    }


def test_a_client_creates_with_flags_through_the_service(world):
    client = services.client_create(
        by=world.kam, name="Leader Co", erp_code="L-1", is_industry_leader=True, is_expert=True
    )
    assert (client.is_industry_leader, client.is_expert, client.owner) == (True, True, world.kam)
    assert client.audit.get().is_industry_leader is True


@pytest.mark.parametrize("value", [Decimal("-0.01"), Decimal("100.01"), Decimal("250")])
def test_the_service_refuses_a_payment_share_outside_0_to_100(world, value):
    with pytest.raises(ValidationError) as error:
        services.client_update(by=world.kam, client=world.own, payment_on_time_pct=value)
    assert "payment_on_time_pct" in error.value.message_dict
    world.own.refresh_from_db()
    assert world.own.payment_on_time_pct is None


def test_the_database_refuses_a_payment_share_outside_0_to_100_too(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=world.own.pk).update(payment_on_time_pct=Decimal("101"))


def test_a_team_member_cannot_set_the_flags(world):
    with pytest.raises(PermissionDenied):
        services.client_update(by=world.member, client=world.own, is_industry_leader=True)


# --- form and pages ------------------------------------------------------------------------


def test_the_form_groups_the_flags_and_payment_discipline_together(world):
    form = ClientForm(instance=world.own, by=world.kam)
    groups = {str(legend): [f.name for f in group] for legend, group in form.fieldsets}
    assert groups["Strategic flags and payment discipline"] == [
        "is_industry_leader",
        "is_reference_customer",
        "is_expert",
        "payment_on_time_pct",
    ]
    shown = [name for group in groups.values() for name in group]
    assert sorted(shown) == sorted(f.name for f in form.visible_fields())


def test_the_edit_page_saves_the_flags_and_the_payment_share(world, login):
    url = reverse("clients:edit", args=[world.own.pk])
    page = login(world.kam).get(url)
    assert b"Strategic flags and payment discipline" in page.content
    data = client_data(
        world.own, is_industry_leader="on", is_expert="on", payment_on_time_pct="88.5"
    )
    assert login(world.kam).post(url, data).status_code == 302
    world.own.refresh_from_db()
    assert (world.own.is_industry_leader, world.own.is_reference_customer) == (True, False)
    assert (world.own.is_expert, world.own.payment_on_time_pct) == (True, Decimal("88.50"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("100.5", "less than or equal to 100"),
        ("-1", "greater than or equal to 0"),
        ("97.555", "no more than 2 decimal places"),
        ("lots", "Enter a number"),
    ],
)
def test_a_bad_payment_share_is_a_field_error_and_nothing_is_saved(world, login, value, message):
    url = reverse("clients:edit", args=[world.own.pk])
    data = client_data(world.own, is_industry_leader="on", payment_on_time_pct=value)
    response = login(world.kam).post(url, data)
    assert response.status_code == 400
    assert message in str(response.context["form"].errors["payment_on_time_pct"])
    world.own.refresh_from_db()
    assert (world.own.is_industry_leader, world.own.payment_on_time_pct) == (False, None)


def test_the_overview_shows_the_flags_as_badges_and_the_payment_discipline(world, login):
    Client.objects.filter(pk=world.own.pk).update(
        is_industry_leader=True, is_reference_customer=True, payment_on_time_pct=Decimal("97.50")
    )
    text = login(world.member).get(reverse("clients:detail", args=[world.own.pk])).content.decode()
    flags = text.split('id="strategic-flags"')[1].split("</dd>")[0]
    assert "Industry leader" in flags and "Reference customer" in flags
    assert "Demanding expert" not in flags
    assert "97.5 %" in text.split('id="payment-discipline"')[1].split("</dd>")[0]


def test_the_overview_says_none_and_a_dash_without_flags_or_figure(world, login):
    text = login(world.kam).get(reverse("clients:detail", args=[world.own.pk])).content.decode()
    assert "none" in text.split('id="strategic-flags"')[1].split("</dd>")[0]
    assert "—" in text.split('id="payment-discipline"')[1].split("</dd>")[0]


# --- list and exports ----------------------------------------------------------------------


@pytest.fixture
def flagged(world):
    leader = make_client(world.kam, name="Leader", is_industry_leader=True)
    reference = make_client(world.kam, name="Reference", is_reference_customer=True)
    expert = make_client(
        world.kam, name="Expert", is_expert=True, payment_on_time_pct=Decimal("64.00")
    )
    both = make_client(world.kam, name="Both", is_industry_leader=True, is_expert=True)
    make_client(world.outsider, name="Foreign Leader", is_industry_leader=True)
    return leader, reference, expert, both


def names(response):
    return [c.name for c in response.context["page"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"leader": "yes"}, ["Both", "Leader"]),
        ({"leader": "no"}, ["Expert", "Own Client", "Reference"]),
        ({"reference": "yes"}, ["Reference"]),
        ({"expert": "yes"}, ["Both", "Expert"]),
        ({"expert": "no", "leader": "no"}, ["Own Client", "Reference"]),
        ({"leader": "yes", "expert": "yes"}, ["Both"]),
        ({"leader": "maybe"}, ["Both", "Expert", "Leader", "Own Client", "Reference"]),
    ],
)
def test_the_list_filters_by_each_flag_within_the_visible_clients(
    flagged, world, login, params, expected
):
    response = login(world.kam).get(reverse("clients:list"), params)
    assert response.status_code == 200
    assert names(response) == expected


def test_the_list_marks_flagged_clients(flagged, world, login):
    response = login(world.kam).get(reverse("clients:list"), {"leader": "yes"})
    rows = response.content.decode().split("<tbody>")[1]
    assert rows.count("bi-trophy") == 2 and rows.count("bi-mortarboard") == 1
    assert "bi-patch-check" not in rows
    for name in ('name="leader"', 'name="reference"', 'name="expert"'):
        assert name in response.content.decode()


def test_the_exports_have_the_flags_and_the_payment_share(flagged, world, login):
    client = login(world.kam)
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("clients:export"), {"format": "xlsx"}).content)
    )
    rows = list(book.active.iter_rows(values_only=True))
    header = list(rows[0])
    columns = ["Industry leader", "Reference customer", "Demanding expert", "Paid on time, %"]
    assert header[-4:] == columns
    by_name = {row[1]: row[-4:] for row in rows[1:]}
    assert by_name["Expert"] == ("no", "no", "yes", 64.0)
    assert by_name["Both"] == ("yes", "no", "yes", None)
    text = client.get(reverse("clients:export"), {"format": "csv", "reference": "yes"})
    lines = list(csv.reader(io.StringIO(text.getvalue().decode("utf-8-sig")), delimiter=";"))
    assert lines[0][-4:] == columns
    assert [line[1] for line in lines[1:]] == ["Reference"]
    assert lines[1][-4:] == ["no", "yes", "no", ""]


# --- API -----------------------------------------------------------------------------------


def test_the_api_reads_the_flags_and_the_payment_share_as_a_string(flagged, world):
    expert = flagged[2]
    body = ApiClient(world.kam).get(f"/api/clients/{expert.pk}").json()
    assert {name: body[name] for name in (*FLAGS, "payment_on_time_pct")} == {
        "is_industry_leader": False,
        "is_reference_customer": False,
        "is_expert": True,
        "payment_on_time_pct": "64.00",
    }
    assert (
        ApiClient(world.kam).get(f"/api/clients/{world.own.pk}").json()["payment_on_time_pct"]
        is None
    )


def test_the_api_filters_by_the_flags(flagged, world):
    response = ApiClient(world.director).get("/api/clients", {"is_industry_leader": "true"})
    assert [item["name"] for item in response.json()["items"]] == [
        "Both",
        "Foreign Leader",
        "Leader",
    ]


def test_the_api_creates_a_client_with_flags_and_a_payment_share(world):
    response = ApiClient(world.kam).post(
        "/api/clients",
        {
            "name": "Api Leader",
            "erp_code": "API-L",
            "is_industry_leader": True,
            "is_reference_customer": True,
            "payment_on_time_pct": "99.5",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["is_industry_leader"], body["is_expert"]) == (True, False)
    assert body["payment_on_time_pct"] == "99.50"
    client = Client.objects.get(erp_code="API-L")
    assert (client.is_reference_customer, client.payment_on_time_pct) == (True, Decimal("99.50"))


def test_the_api_patch_changes_only_the_sent_fields_and_null_clears_the_share(world):
    Client.objects.filter(pk=world.own.pk).update(
        is_reference_customer=True, payment_on_time_pct=Decimal("80")
    )
    api = ApiClient(world.kam)
    body = api.patch(f"/api/clients/{world.own.pk}", {"is_expert": True}).json()
    assert (body["is_expert"], body["is_reference_customer"]) == (True, True)
    assert body["payment_on_time_pct"] == "80.00"
    body = api.patch(f"/api/clients/{world.own.pk}", {"payment_on_time_pct": None}).json()
    assert body["payment_on_time_pct"] is None
    assert world.own.audit.order_by("-history_id").first().history_user == world.kam


@pytest.mark.parametrize("value", ["100.01", -1, 150, "97.555", "lots"])
def test_the_api_answers_422_for_a_payment_share_outside_0_to_100(world, value):
    response = ApiClient(world.kam).patch(
        f"/api/clients/{world.own.pk}", {"payment_on_time_pct": value, "is_expert": True}
    )
    assert list(fields(response)) == ["payment_on_time_pct"]
    world.own.refresh_from_db()
    assert (world.own.is_expert, world.own.payment_on_time_pct) == (False, None)


def test_the_api_refuses_null_for_a_flag(world):
    response = ApiClient(world.kam).patch(
        f"/api/clients/{world.own.pk}", {"is_industry_leader": None}
    )
    assert "is_industry_leader" in fields(response)
