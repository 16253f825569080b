"""/api/clients: the ИНН and КПП read and written, a duplicate ИНН refused (issue 9)."""

import pytest

from kam.clients.models import Client

from .conftest import fields

pytestmark = pytest.mark.django_db

INN, KPP = "7742186531", "774301001"
OTHER_INN = "502918473696"


def client_data(**extra):
    return {"name": "New Co", "erp_code": "N-1"} | extra


def test_the_api_reads_and_writes_inn_and_kpp(world, api):
    response = api(world.kam).post("/api/clients", {**client_data(), "inn": INN, "kpp": KPP})
    assert response.status_code == 201, response.content
    assert (response.json()["inn"], response.json()["kpp"]) == (INN, KPP)
    pk = response.json()["id"]
    assert api(world.kam).get(f"/api/clients/{pk}").json()["inn"] == INN
    response = api(world.kam).patch(f"/api/clients/{pk}", {"kpp": "77430100"})
    assert fields(response)["kpp"][0].startswith("A KPP has 9 characters")


def test_the_api_refuses_a_duplicate_inn_naming_only_a_client_the_user_sees(world, api):
    Client.objects.filter(pk=world.own.pk).update(inn=INN)
    Client.objects.filter(pk=world.foreign.pk).update(inn=OTHER_INN)
    own = api(world.kam).post("/api/clients", {**client_data(), "inn": INN})
    foreign = api(world.kam).post("/api/clients", {**client_data(), "inn": OTHER_INN})
    assert fields(own) == {
        "inn": [f"The client “Own Client” (ERP code {world.own.erp_code}) already has this INN."]
    }
    assert fields(foreign) == {
        "inn": ["A client outside your clients already has this INN; ask the director."]
    }


def test_an_outsider_cannot_read_or_change_a_client_by_the_api(world, api):
    Client.objects.filter(pk=world.own.pk).update(inn=INN)
    assert api(world.outsider).get(f"/api/clients/{world.own.pk}").status_code == 404
    response = api(world.outsider).patch(f"/api/clients/{world.own.pk}", {"inn": OTHER_INN})
    assert response.status_code == 404
    assert Client.objects.get(pk=world.own.pk).inn == INN


def test_the_api_finds_a_client_by_its_inn(world, api):
    Client.objects.filter(pk=world.own.pk).update(inn=INN)
    found = api(world.director).get("/api/clients", {"q": INN}).json()["items"]
    assert [c["name"] for c in found] == ["Own Client"]
