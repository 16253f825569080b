"""A client's ИНН and КПП on the form, the API, the card, the list search and the export; an ИНН
held by another client is refused naming it, unless the user may not know that client."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from kam.clients.models import Client

from ..factories import make_client

pytestmark = pytest.mark.django_db

INN, KPP = "7742186531", "774301001"
OTHER_INN = "502918473696"


def client_data(**extra):
    return {"name": "New Co", "erp_code": "N-1", "status": "active", "client_type": ""} | extra


def test_a_client_is_created_with_inn_and_kpp_and_the_card_shows_them(world, login):
    web = login(world.kam)
    response = web.post(reverse("clients:create"), client_data(inn=INN, kpp=KPP))
    assert response.status_code == 302
    client = Client.objects.get(erp_code="N-1")
    assert (client.inn, client.kpp) == (INN, KPP)
    html = web.get(client.get_absolute_url()).content.decode()
    assert f'id="client-inn"><span class="font-monospace">{INN}</span>' in html
    assert f'id="client-kpp">{KPP}</dd>' in html


def test_a_wrong_control_digit_and_a_kpp_of_a_sole_trader_are_field_errors(world, login):
    response = login(world.kam).post(
        reverse("clients:create"), client_data(inn="502918473697", kpp=KPP)
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["inn"] == ["The control digits do not match: the INN has a typo."]
    assert errors["kpp"] == ["Only a company (a 10-digit INN) has a KPP."]
    assert not Client.objects.filter(erp_code="N-1").exists()


def test_an_inn_of_a_client_the_user_sees_is_refused_naming_it(world, login):
    Client.objects.filter(pk=world.own.pk).update(inn=INN)
    response = login(world.kam).post(reverse("clients:create"), client_data(inn=INN))
    assert response.status_code == 400
    assert response.context["form"].errors["inn"] == [
        f"The client “Own Client” (ERP code {world.own.erp_code}) already has this INN."
    ]


def test_an_inn_of_a_foreign_client_is_refused_without_its_name(world, login):
    Client.objects.filter(pk=world.foreign.pk).update(inn=INN)
    response = login(world.kam).post(reverse("clients:create"), client_data(inn=INN))
    assert response.status_code == 400
    assert response.context["form"].errors["inn"] == [
        "A client outside your clients already has this INN; ask the director."
    ]
    assert "Foreign Client" not in response.content.decode()
    assert world.foreign.erp_code not in response.content.decode()


def test_saving_a_client_with_its_own_inn_again_is_no_duplicate(world, login):
    Client.objects.filter(pk=world.own.pk).update(inn=INN)
    url = reverse("clients:edit", args=[world.own.pk])
    data = client_data(name="Renamed", erp_code=world.own.erp_code, inn=INN)
    assert login(world.kam).post(url, data).status_code == 302
    assert Client.objects.get(pk=world.own.pk).name == "Renamed"


def test_the_database_holds_one_client_per_inn_and_any_number_without(world):
    make_client(world.kam, inn="")
    make_client(world.kam, inn="")
    make_client(world.kam, inn=INN)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_client(world.outsider, inn=INN)


def test_the_list_finds_a_client_by_the_start_of_its_inn(world, login):
    Client.objects.filter(pk=world.own.pk).update(inn=INN)
    html = login(world.kam).get(reverse("clients:list"), {"q": INN[:6]}).content.decode()
    assert "Own Client" in html


def test_an_outsider_does_not_find_a_foreign_client_by_its_inn(world, login):
    Client.objects.filter(pk=world.own.pk).update(inn=INN)
    html = login(world.outsider).get(reverse("clients:list"), {"q": INN}).content.decode()
    assert "Own Client" not in html


def test_the_client_export_has_inn_and_kpp(world, login):
    Client.objects.filter(pk=world.own.pk).update(inn=INN, kpp=KPP)
    response = login(world.kam).get(reverse("clients:export"), {"format": "csv"})
    header, row = (line.split(";") for line in response.getvalue().decode("utf-8-sig").splitlines())
    at = header.index("INN")
    assert header[at : at + 2] == ["INN", "KPP"]
    assert row[at : at + 2] == [INN, KPP]
