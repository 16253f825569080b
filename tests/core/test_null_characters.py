import json

import pytest

from kam.clients.models import Client
from kam.core.models import ApiToken


@pytest.fixture
def api(world, client):
    _token, key = ApiToken.issue(user=world.director, name="t")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def test_a_null_character_in_json_is_a_clear_400_and_writes_nothing(api):
    body = json.dumps({"name": "A\x00B", "erp_code": "Z-1"})
    response = api.post("/api/clients", body, content_type="application/json")
    assert response.status_code == 400
    assert "Null characters" in response.json()["detail"]
    assert not Client.objects.filter(erp_code="Z-1").exists()


@pytest.mark.parametrize("path", ["/api/clients", "/api/products", "/api/sales-lines"])
def test_a_null_character_in_an_api_filter_is_a_clear_400(api, path):
    assert api.get(path, {"q": "a\x00"}).status_code == 400


def test_a_null_character_in_a_page_query_is_a_clear_400(world, login):
    response = login(world.kam).get("/products/", {"q": "\x00"})
    assert response.status_code == 400
    assert b"Null characters" in response.content


def test_a_null_character_in_a_form_is_a_field_error(world, login):
    data = {"name": "Bad\x00Name", "erp_code": "N-9", "status": "active"}
    response = login(world.kam).post("/clients/new/", data)
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
