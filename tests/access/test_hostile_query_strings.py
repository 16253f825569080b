"""Whatever a user types into the address bar, no page answers with a server error."""

import json
import re
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import URLResolver, get_resolver, reverse

from kam.api import api as kam_api
from kam.core.ids import MAX_ID
from kam.core.models import ApiToken

from .test_access_matrix import ROUTES

HOSTILE = {
    "q": "\x00'; DROP TABLE x; --",
    "page": "-1",
    "sort": "password",
    "ordering": "password",
    "status": "nonsense",
    "owner": "abc",
    "client": "1e9",
    "category": "\x00",
    "format": "exe",
    "left": "maybe",
    "date_from": "31.02.2025",
    "date_to": "tomorrow",
    "limit": "-5",
    "offset": "x",
    "is_key": "perhaps",
    "kind": "../../etc/passwd",
}


@pytest.mark.parametrize("route", [r for r in ROUTES if r.method == "get"], ids=lambda r: r.name)
def test_hostile_query_strings_never_cause_a_server_error(route, world, login):
    world.persona = "director"
    world.tokens = {p: ApiToken.issue(user=getattr(world, p), name="t")[0] for p in ("director",)}
    client = login(world.director)
    headers = {}
    if route.api:
        _token, key = ApiToken.issue(user=world.director, name="api")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    response = client.get(reverse(route.name, kwargs=route.own(world)), HOSTILE, **headers)
    assert response.status_code < 500


# --- numbers the database cannot hold -------------------------------------------------------
#
# Every key is a signed 64-bit integer (BigAutoField), so 2^63 is the first id no table can
# hold; on PostgreSQL 2^31 is the first a 32-bit column (integer) could not. Both must be refused
# (4xx) or not found, never reach the query as an overflow. The operations and pages come from
# the OpenAPI schema and the URL conf, so a new one is covered without being listed here.

HUGE = [2**63] + ([2**31] if "postgresql" in settings.DATABASES["default"]["ENGINE"] else [])
ID_QUERY_NAMES = ("owner", "client", "product", "parent", "decided_by", "kam", "offset", "year")


def _all_api_operations():
    schema = kam_api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield pytest.param(path, method, operation, id=f"{method} {path}")


def _api_operations():
    """The operations with an id or a number in their path or query."""
    for param in _all_api_operations():
        _path, _method, operation = param.values
        if any(p["in"] in ("path", "query") for p in operation.get("parameters", [])):
            yield param


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(("path", "method", "operation"), list(_api_operations()))
def test_api_operations_refuse_numbers_the_database_cannot_hold(
    path, method, operation, number, world
):
    _token, key = ApiToken.issue(user=world.director, name="api")
    params = operation.get("parameters", [])
    url = path
    for param in params:
        if param["in"] == "path":
            url = url.replace("{" + param["name"] + "}", str(number))
    integers = [
        p["name"]
        for p in params
        if p["in"] == "query" and "integer" in json.dumps(p["schema"]) and p["name"] != "limit"
    ]
    query = {name: str(number) for name in integers}
    response = HttpClient().generic(
        method.upper(),
        f"{url}?{urlencode(query)}",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code < 500, (response.status_code, response.content[:300])
    assert str(response.status_code) in operation["responses"], "not in the published schema"
    if number > MAX_ID:
        # Refused by the schema, naming the parameter: not looked up at all.
        assert response.status_code == 422, response.content[:300]
        fields = {error["field"] for error in response.json()["detail"]}
        assert fields & ({p["name"] for p in params if p["in"] == "path"} | set(query))


@pytest.mark.parametrize(("path", "method", "operation"), list(_all_api_operations()))
def test_every_operation_publishes_the_errors_it_answers(path, method, operation, world):
    """Without credentials, with a malformed body, or an id in the path that names nothing: the
    answer is one the published schema lists for that operation."""
    url = re.sub(r"{\w+}", "1", path) + "?x=%00"
    answers = [
        HttpClient().generic(method.upper(), url, "{}", content_type="application/json"),
    ]
    _token, key = ApiToken.issue(user=world.member, name="api")
    member = HttpClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    answers.append(member.generic(method.upper(), re.sub(r"{\w+}", str(MAX_ID), path)))
    if "requestBody" in operation:
        answers.append(member.generic(method.upper(), url, "{", content_type="application/json"))
    for response in answers:
        assert str(response.status_code) in operation["responses"], (
            response.status_code,
            response.content[:200],
        )


def _page_urls():
    """(name, route) of every page whose URL carries an id, from the URL conf."""

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith("api/") or route.startswith("admin/"):
                    continue
                yield from walk(entry.url_patterns, route, entry.namespace or namespace)
            elif entry.pattern.converters:
                yield pytest.param(route, id=f"{namespace}:{entry.name}")

    return list(walk(get_resolver().url_patterns, "", None))


PAGES_WITH_IDS = _page_urls()


def test_the_pages_with_ids_are_found():
    assert len(PAGES_WITH_IDS) > 30


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize("route", PAGES_WITH_IDS)
def test_pages_answer_404_to_ids_they_cannot_find(route, number, world, login):
    url = "/" + re.sub(r"<\w+:\w+>", str(number), route)
    response = login(world.director).get(url)
    # In range, a page that only takes POST may answer 405 before looking anything up.
    expected = {404} if number > MAX_ID else {404, 405}
    assert response.status_code in expected, (url, response.status_code)


@pytest.mark.parametrize("number", [2**63, "²", "-1", "1e3"])
@pytest.mark.parametrize("route", [r for r in ROUTES if r.method == "get"], ids=lambda r: r.name)
def test_id_like_query_parameters_never_cause_a_server_error(route, number, world, login):
    headers = {}
    if route.api:
        _token, key = ApiToken.issue(user=world.director, name="api")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    query = {name: str(number) for name in ID_QUERY_NAMES}
    response = login(world.director).get(
        reverse(route.name, kwargs=route.own(world)), query, **headers
    )
    assert response.status_code < 500


def test_the_portfolio_export_says_which_owner_is_not_an_id(world, login):
    response = login(world.director).get(reverse("portfolio:export"), {"owner": str(2**63)})
    assert response.status_code == 400
    assert "owner" in response.content.decode()


def test_a_date_is_written_as_a_date(world):
    """pydantic alone reads a number as seconds since 1970: ``date_to=0`` was 1 January 1970."""
    _token, key = ApiToken.issue(user=world.director, name="api")
    client = HttpClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    for value in ("0", "1700000000", "2025-13-01", "01.02.2025"):
        response = client.get("/api/sales-lines", {"date_to": value})
        assert response.status_code == 422, (value, response.content[:300])
        assert [e["field"] for e in response.json()["detail"]] == ["date_to"]
    assert client.get("/api/sales-lines", {"date_to": "2025-02-01"}).status_code == 200
