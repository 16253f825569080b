import importlib
import json
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kam.core.models import ApiToken

from . import __path__ as package_path
from .matrix import PERSONAS, Route


def all_routes() -> list[Route]:
    routes = []
    for module in pkgutil.iter_modules(package_path):
        if module.name.startswith("routes_"):
            routes += importlib.import_module(f"{__package__}.{module.name}").ROUTES
    return routes


ROUTES = all_routes()


def url_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            prefix = f"{namespace}{ns}:" if ns else namespace
            names |= url_names(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(namespace + entry.name)
    return names


def test_every_route_is_in_the_matrix():
    """A new page or endpoint must declare who may use it before it can land."""
    declared = {route.name for route in ROUTES}
    # Django admin is tested separately (director-only site); Ninja's docs are public by design.
    existing = {n for n in url_names() if not n.startswith("admin:")}
    existing -= {"api:openapi-json", "api:openapi-view"}
    missing = existing - declared
    assert not missing, f"routes missing from the access matrix: {sorted(missing)}"
    stale = declared - existing
    assert not stale, f"matrix names routes that no longer exist: {sorted(stale)}"


def _request(client, route: Route, world, kwargs, token=None):
    url = reverse(route.name, kwargs=kwargs)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = route.data(world)
    if route.method == "get":
        return client.get(url, data, **headers)
    if route.content_type == "application/json":
        return getattr(client, route.method)(
            url, json.dumps(data), content_type="application/json", **headers
        )
    return getattr(client, route.method)(url, data, **headers)


def _prepare(world, persona, login):
    world.persona = persona
    world.tokens = {p: ApiToken.issue(user=getattr(world, p), name="t")[0] for p in PERSONAS}
    keys = {}
    for p in PERSONAS:
        _, keys[p] = ApiToken.issue(user=getattr(world, p), name="api")
    world.keys = keys
    return login(getattr(world, persona))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_own_object(route, persona, world, login):
    client = _prepare(world, persona, login)
    token = world.keys[persona] if route.api else None
    if route.api:
        client.logout()
    response = _request(client, route, world, route.own(world), token)
    if persona in route.allowed:
        assert response.status_code in route.ok_status, response.content[:500]
        if route.hidden_from_list and persona != "director":
            assert route.hidden_from_list(world) not in response.content.decode()
    else:
        assert response.status_code == route.denied_status(persona), response.content[:300]


# The outsider owns ``foreign``; their view of someone else's object is the own-object test.
@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "outsider"])
@pytest.mark.parametrize("route", [r for r in ROUTES if r.foreign], ids=lambda r: r.name)
def test_foreign_object_is_404(route, persona, world, login):
    client = _prepare(world, persona, login)
    token = world.keys[persona] if route.api else None
    if route.api:
        client.logout()
    response = _request(client, route, world, route.foreign(world), token)
    if persona == "director" and not route.extra.get("foreign_for_director"):
        assert response.status_code in route.ok_status or response.status_code in (400, 422)
    else:
        assert response.status_code == 404, response.content[:300]
