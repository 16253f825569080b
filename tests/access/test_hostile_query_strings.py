"""Whatever a user types into the address bar, no page answers with a server error."""

import pytest
from django.urls import reverse

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
