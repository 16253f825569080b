"""Who may call the API: bearer tokens, the session for /api/docs, and the token endpoints."""

import datetime as dt
import json

import pytest
from django.test import Client as HttpClient
from django.utils import timezone, translation

from kam.core.models import ApiToken

from .conftest import fields

pytestmark = pytest.mark.django_db


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.parametrize(
    "path", ["/api/clients", "/api/contacts", "/api/products", "/api/sales-lines", "/api/tokens"]
)
def test_a_request_without_credentials_is_401(path, world):
    response = HttpClient().get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


def test_an_unknown_token_is_401(world):
    response = HttpClient().get("/api/clients", **bearer("kam_not-a-real-token"))

    assert response.status_code == 401


def test_another_authorization_scheme_is_401(world):
    response = HttpClient().get("/api/clients", HTTP_AUTHORIZATION="Basic a2FtOnB3")

    assert response.status_code == 401


def test_a_valid_token_reads_as_its_user(world):
    _token, key = ApiToken.issue(user=world.kam, name="script")

    response = HttpClient().get("/api/clients", **bearer(key))

    assert response.status_code == 200
    assert [c["name"] for c in response.json()["items"]] == ["Own Client"]


def test_a_revoked_token_stops_working_at_once(world, api):
    client = api(world.kam)
    assert client.get("/api/clients").status_code == 200

    assert client.post(f"/api/tokens/{client.token.pk}/revoke").status_code == 200

    assert client.get("/api/clients").status_code == 401


def test_a_token_revoked_on_the_tokens_page_stops_working(world, api, login):
    client = api(world.kam)

    login(world.kam).post(f"/accounts/tokens/{client.token.pk}/revoke/")

    assert client.get("/api/clients").status_code == 401


def test_the_token_of_a_deactivated_user_stops_working(world, api):
    client = api(world.kam)
    world.kam.is_active = False
    world.kam.save()

    assert client.get("/api/clients").status_code == 401


def test_a_bad_token_is_401_even_with_a_logged_in_session(world, login):
    session = login(world.kam)

    response = session.get("/api/clients", **bearer("kam_wrong"))

    assert response.status_code == 401


def test_the_session_of_a_logged_in_user_reads_the_api(world, login):
    response = login(world.kam).get("/api/clients")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_session_writes_need_the_csrf_token(world):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(world.kam)

    refused = browser.post(
        "/api/tokens", json.dumps({"name": "docs"}), content_type="application/json"
    )
    browser.get("/accounts/tokens/")  # sets the CSRF cookie, as any page does
    accepted = browser.post(
        "/api/tokens",
        json.dumps({"name": "docs"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201


def test_bearer_writes_need_no_csrf_token(world):
    _token, key = ApiToken.issue(user=world.kam, name="script")
    browser = HttpClient(enforce_csrf_checks=True)

    response = browser.post(
        "/api/tokens", json.dumps({"name": "more"}), content_type="application/json", **bearer(key)
    )

    assert response.status_code == 201


def test_using_a_token_records_when_it_was_last_used(world, api):
    client = api(world.kam)
    assert client.token.last_used_at is None

    client.get("/api/clients")

    client.token.refresh_from_db()
    assert client.token.last_used_at is not None
    assert timezone.now() - client.token.last_used_at < dt.timedelta(seconds=10)


def test_last_used_is_written_at_most_once_a_minute(world, api, django_assert_num_queries):
    client = api(world.kam)
    client.get("/api/tokens")  # first use: writes last_used_at
    client.token.refresh_from_db()
    first_use = client.token.last_used_at

    # token lookup + the list; no UPDATE of the token
    with django_assert_num_queries(2):
        client.get("/api/tokens")

    client.token.refresh_from_db()
    assert client.token.last_used_at == first_use

    ApiToken.objects.filter(pk=client.token.pk).update(
        last_used_at=first_use - dt.timedelta(minutes=2)
    )
    client.get("/api/tokens")
    client.token.refresh_from_db()
    assert client.token.last_used_at > first_use - dt.timedelta(seconds=1)


def test_the_token_list_shows_only_your_tokens_and_never_a_key(world, api):
    ApiToken.issue(user=world.outsider, name="outsider's")
    client = api(world.kam)
    ApiToken.issue(user=world.kam, name="erp sync")

    response = client.get("/api/tokens")

    assert response.status_code == 200
    tokens = response.json()
    assert {t["name"] for t in tokens} == {"tests", "erp sync"}
    assert all("key" not in t for t in tokens)
    assert tokens[0]["name"] == "erp sync"  # newest first
    assert tokens[0]["hint"].startswith("kam_")


def test_a_new_token_is_shown_once_and_works(world, api):
    response = api(world.assistant).post("/api/tokens", {"name": "ERP sync"})

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "ERP sync"
    assert body["is_active"] is True
    assert body["key"].startswith("kam_")
    assert body["hint"] == body["key"][:8]
    assert ApiToken.objects.get(pk=body["id"]).user == world.assistant
    assert HttpClient().get("/api/clients", **bearer(body["key"])).status_code == 200


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_sensible_name(name, world, api):
    response = api(world.kam).post("/api/tokens", {"name": name})

    assert "name" in fields(response)


def test_revoking_marks_the_token_revoked(world, api):
    client = api(world.kam)
    other, _key = ApiToken.issue(user=world.kam, name="old")

    response = client.post(f"/api/tokens/{other.pk}/revoke")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["revoked_at"] is not None
    other.refresh_from_db()
    assert other.revoked_at is not None


def test_revoking_a_token_twice_is_404(world, api):
    client = api(world.kam)
    other, _key = ApiToken.issue(user=world.kam, name="old")
    client.post(f"/api/tokens/{other.pk}/revoke")

    assert client.post(f"/api/tokens/{other.pk}/revoke").status_code == 404


@pytest.mark.parametrize("persona", ["director", "kam", "assistant", "member"])
def test_someone_elses_token_cannot_be_revoked_and_keeps_working(persona, world, api):
    victim, key = ApiToken.issue(user=world.outsider, name="victim")

    response = api(getattr(world, persona)).post(f"/api/tokens/{victim.pk}/revoke")

    assert response.status_code == 404
    assert HttpClient().get("/api/clients", **bearer(key)).status_code == 200


def test_the_docs_and_the_schema_are_served(world):
    assert HttpClient().get("/api/docs").status_code == 200
    schema = HttpClient().get("/api/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "KAM API"


def test_a_body_that_is_not_json_is_400(world, api):
    client = api(world.kam)

    response = client.http.post(
        "/api/clients", "{oops", content_type="application/json", **client.headers
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."


def test_a_token_answers_in_its_users_language(world, api):
    world.kam.language = "ru"
    world.kam.save()

    with translation.override("en"):
        response = api(world.kam).get("/api/clients")

    assert response["Content-Language"] == "ru"
