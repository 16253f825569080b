from django.urls import reverse

from kam.clients.models import Client, CompetitorPresence, Contact, Tender

from ..factories import make_competitor, make_contact


def client_data(**extra):
    return {"name": "New Co", "erp_code": "N-1", "status": "active", "client_type": ""} | extra


def test_a_kam_creates_a_client_and_owns_it(world, login):
    response = login(world.kam).post(reverse("clients:create"), client_data())
    client = Client.objects.get(erp_code="N-1")
    assert response.status_code == 302
    assert client.owner == world.kam
    assert client.audit.get().history_user == world.kam


def test_a_kam_cannot_slip_in_another_owner(world, login):
    login(world.kam).post(reverse("clients:create"), client_data(owner=world.outsider.pk))
    assert Client.objects.get(erp_code="N-1").owner == world.kam


def test_a_duplicate_erp_code_is_a_field_error_and_nothing_is_written(world, login):
    response = login(world.kam).post(
        reverse("clients:create"), client_data(erp_code=world.own.erp_code)
    )
    assert response.status_code == 400
    assert "erp_code" in response.context["form"].errors
    assert b"is-invalid" in response.content
    assert Client.objects.count() == 2


def test_nonsense_in_number_fields_is_reported_per_field(world, login):
    response = login(world.kam).post(
        reverse("clients:create"), client_data(employees="many", annual_revenue="1,2,3")
    )
    errors = response.context["form"].errors
    assert response.status_code == 400
    assert set(errors) >= {"employees", "annual_revenue"}


def test_the_director_reassigns_a_client(world, login):
    url = reverse("clients:edit", args=[world.own.pk])
    data = client_data(name=world.own.name, erp_code=world.own.erp_code, owner=world.outsider.pk)
    assert login(world.director).post(url, data).status_code == 302
    world.own.refresh_from_db()
    assert world.own.owner == world.outsider


def test_a_company_cannot_be_its_own_grandparent(world, login):
    child = Client.objects.create(name="Child", erp_code="CH", owner=world.kam, parent=world.own)
    url = reverse("clients:edit", args=[world.own.pk])
    data = client_data(name=world.own.name, erp_code=world.own.erp_code, parent=child.pk)
    response = login(world.kam).post(url, data)
    assert response.status_code == 400
    assert "parent" in response.context["form"].errors


def test_a_contact_cannot_report_to_someone_at_another_client(world, login):
    url = reverse("clients:contact_create", args=[world.own.pk])
    data = {"full_name": "X", "influence": 3, "attitude": 0, "reports_to": world.foreign_contact.pk}
    response = login(world.kam).post(url, data)
    assert response.status_code == 400
    assert "reports_to" in response.context["form"].errors
    assert not Contact.objects.filter(full_name="X").exists()


def test_a_reporting_loop_is_refused(world, login):
    boss = make_contact(world.own, full_name="Boss")
    deputy = make_contact(world.own, full_name="Deputy", reports_to=boss)
    url = reverse("clients:contact_edit", args=[boss.pk])
    data = {"full_name": "Boss", "influence": 5, "attitude": 0, "reports_to": deputy.pk}
    response = login(world.kam).post(url, data)
    assert response.status_code == 400
    assert "loop" in str(response.context["form"].errors["reports_to"])


def test_influence_outside_one_to_five_is_a_field_error(world, login):
    url = reverse("clients:contact_create", args=[world.own.pk])
    response = login(world.kam).post(url, {"full_name": "X", "influence": 9, "attitude": 0})
    assert "influence" in response.context["form"].errors


def test_a_new_competitor_can_be_typed_in_while_adding_it_to_a_client(world, login):
    url = reverse("clients:presence_create", args=[world.own.pk])
    data = {"new_competitor": "TechnoNIKOL", "strength": 3, "supplies": "Roofing"}
    assert login(world.kam).post(url, data).status_code == 302
    presence = CompetitorPresence.objects.get(client=world.own)
    assert presence.competitor.name == "TechnoNIKOL"
    assert presence.audit.get().history_user == world.kam


def test_the_same_competitor_twice_is_a_clear_error(world, login):
    rival = make_competitor(name="Knauf")
    CompetitorPresence.objects.create(client=world.own, competitor=rival)
    url = reverse("clients:presence_create", args=[world.own.pk])
    response = login(world.kam).post(url, {"competitor": rival.pk, "strength": 2})
    assert response.status_code == 400
    assert "already listed" in str(response.context["form"].errors["competitor"])


def test_a_tender_records_competitors_and_result(world, login):
    rival = make_competitor(name="Knauf")
    url = reverse("clients:tender_create", args=[world.own.pk])
    data = {
        "date": "2025-04-01",
        "subject": "Dry mixes 2025",
        "value": "1500000.00",
        "competitors": [rival.pk],
        "result": "lost",
        "reason": "Price",
    }
    assert login(world.assistant).post(url, data).status_code == 302
    tender = Tender.objects.get(client=world.own)
    assert list(tender.competitors.all()) == [rival]
    assert tender.result == "lost"


def test_a_bad_date_in_a_tender_is_a_field_error(world, login):
    url = reverse("clients:tender_create", args=[world.own.pk])
    response = login(world.kam).post(url, {"date": "31.02.2025", "subject": "X", "result": "won"})
    assert response.status_code == 400
    assert "date" in response.context["form"].errors


def test_a_team_member_is_added_with_a_function(world, login):
    url = reverse("clients:team_add", args=[world.own.pk])
    response = login(world.kam).post(url, {"user": world.outsider.pk, "function": "legal"})
    assert response.status_code == 302
    assert world.own.team.get(user=world.outsider).function == "legal"
    # ...and the newcomer now sees the client
    assert (
        login(world.outsider).get(reverse("clients:detail", args=[world.own.pk])).status_code == 200
    )


def test_the_reason_typed_with_an_edit_is_kept_in_the_history(world, login):
    url = reverse("clients:edit", args=[world.own.pk])
    data = client_data(
        name=world.own.name,
        erp_code=world.own.erp_code,
        status="at_risk",
        change_reason="Stopped ordering in May",
    )
    assert login(world.kam).post(url, data).status_code == 302
    record = world.own.audit.latest("history_date")
    assert record.history_change_reason == "Stopped ordering in May"
    assert record.history_user == world.kam
