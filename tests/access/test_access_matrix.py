import importlib
import json
import pkgutil
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client as HttpClient
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from kam.api import api
from kam.core.models import ApiToken, User

from ..dbstate import changed_tables, db_state
from . import __path__ as package_path
from .matrix import PERSONAS, PUBLIC, SIGNED_OUT, Route


def all_routes() -> list[Route]:
    routes = []
    for module in pkgutil.iter_modules(package_path):
        if module.name.startswith("routes_"):
            routes += importlib.import_module(f"{__package__}.{module.name}").ROUTES
    return routes


ROUTES = all_routes()
SIGNED_IN = [p for p in PERSONAS if p not in SIGNED_OUT]


# --- the guards: nothing reachable escapes the matrix -------------------------------------------


def url_patterns(resolver=None, prefix: str = "", namespace: str = ""):
    """Every URL pattern as (route, view, namespace), whether it has a name, shares one or not.

    ``route`` is spelled as Django's ResolverMatch.route spells it. The Django admin (its own
    resolver) is left out: it is the directors' site, tested in tests/core/test_admin_and_language.
    """
    for entry in (resolver or get_resolver()).url_patterns:
        route = URLResolver._join_route(prefix, str(entry.pattern))
        if isinstance(entry, URLResolver):
            if entry.app_name != "admin":
                yield from url_patterns(entry, route, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield route, entry.callback, namespace


def view_name(view) -> str:
    return f"{view.__module__}.{view.__qualname__}"


def _url(route: Route, world) -> str:
    return reverse(route.name, kwargs=route.own(world))


def _as_director(world):
    world.persona = "director"
    world.tokens = {p: ApiToken.issue(user=getattr(world, p), name="t")[0] for p in SIGNED_IN}


def unreached_patterns(world) -> list[str]:
    """The URL patterns that no Route's URL resolves to."""
    _as_director(world)
    reached = set()
    for route in ROUTES:
        match = resolve(urlsplit(_url(route, world)).path)
        reached.add((match.route, match.func))
    endpoints, api_routes = set(), set()
    for route, view, namespace in url_patterns():
        # Ninja adds one pattern per operation name of a path, for reverse(); requests reach the
        # first. (Anywhere else a repeated route is a dead page, and reported.)
        if namespace == api.urls_namespace:
            if route in api_routes:
                continue
            api_routes.add(route)
        endpoints.add((route, view))
    return sorted(f"{r} → {view_name(v)}" for r, v in endpoints - reached)


def test_every_url_pattern_is_in_the_matrix(world):
    """A new page or endpoint must declare who may use it before it can land. Patterns, not
    names: an unnamed pattern cannot be reached by any Route, and of two patterns sharing a name
    only the one a Route's URL actually resolves to counts."""
    missing = unreached_patterns(world)
    assert not missing, f"URL patterns no Route of the access matrix reaches: {missing}"


@override_settings(ROOT_URLCONF="tests.access.stray_urls")
def test_the_guard_sees_unnamed_name_sharing_and_shadowed_patterns(world):
    assert unreached_patterns(world) == [
        "accounts/login/ → kam.core.views.home",  # never reached: the real login page is first
        # reverse("tokens") now finds the stray, so the real page is the one no Route reaches
        "accounts/tokens/ → kam.core.views.token_list",
        "stray/unnamed/ → kam.core.views.token_list",
    ]


def _template(django_route: str) -> str:
    """``api/clients/<int:client_id>`` → ``/api/clients/{client_id}`` (the OpenAPI spelling)."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", django_route)


def test_every_api_operation_is_in_the_matrix(world):
    """Every method of every API path, as the published schema lists them."""
    _as_director(world)
    schema = api.get_openapi_schema()
    operations = {
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in ("get", "post", "put", "patch", "delete")
    }
    declared = {
        (route.method.upper(), _template(resolve(urlsplit(_url(route, world)).path).route))
        for route in ROUTES
        if route.api
    }
    missing = sorted(operations - declared)
    assert not missing, f"API operations missing from the access matrix: {missing}"
    unknown = sorted(declared - operations - {("GET", "/api/")})  # the root: a 404 by design
    assert not unknown, f"the matrix declares API operations the schema lacks: {unknown}"


def test_every_write_says_how_to_check_its_effect():
    missing = [str(r) for r in ROUTES if r.method != "get" and r.done is None]
    assert not missing, f"writes without a `done` check: {missing}"
    for route in ROUTES:
        assert route.allowed <= set(PERSONAS), f"{route}: unknown persona"


def test_the_public_routes_are_exactly_these():
    """Anything else needs a login; making a route public is a decision made here."""
    public = {str(r) for r in ROUTES if "anonymous" in r.allowed}
    assert public == {
        "GET home",
        "GET favicon",  # a redirect to a static file
        "GET login",
        "POST logout",
        "POST set_language",
        "GET api:api-root",
        "GET api:openapi-json",
        "GET api:openapi-view",
    }
    assert all(r.allowed == PUBLIC for r in ROUTES if "anonymous" in r.allowed)


# --- the cells --------------------------------------------------------------------------------


def _request(client, route: Route, kwargs, data, token=None):
    url = reverse(route.name, kwargs=kwargs)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if route.method == "get":
        return client.get(url, data, **headers)
    if route.content_type == "application/json":
        return getattr(client, route.method)(
            url, json.dumps(data), content_type="application/json", **headers
        )
    return getattr(client, route.method)(url, data, **headers)


def _prepare(world, persona, login, route: Route):
    """A client for ``persona``: logged in (pages) or with a bearer token (API)."""
    world.persona = persona
    users = {p: getattr(world, p) for p in SIGNED_IN + ["inactive"]}
    world.tokens = {p: ApiToken.issue(user=u, name="t")[0] for p, u in users.items()}
    world.keys = {p: ApiToken.issue(user=u, name="api")[1] for p, u in users.items()}
    user = users.get(persona)
    client = login(user) if user and not route.api else HttpClient()
    if persona == "inactive":
        # Deactivated after logging in and making tokens: neither may keep working.
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.refresh_from_db()
    world.http = client
    return client, world.keys.get(persona) if route.api else None


def _assert_sent_to_login(route: Route, response):
    if route.api:
        assert response.status_code == 401, response.content[:300]
        return
    assert response.status_code == 302, response.content[:300]
    request = response.request
    asked = request["PATH_INFO"] + (
        f"?{request['QUERY_STRING']}" if request["QUERY_STRING"] else ""
    )
    location = urlsplit(response["Location"])
    assert location.path == reverse("login")
    assert parse_qs(location.query) == {"next": [asked]}


def _explain(response) -> str:
    """Why a request failed: a form's errors when the page has a form, else the body's start."""
    for context in response.context or []:
        form = context.get("form")
        if form is not None and form.errors:
            return f"form errors: {form.errors.as_data()}"
    return str(response.content[:500])


def _check(route: Route, world, persona, response, kwargs, before, done_before):
    allowed = persona in route.allowed
    if allowed:
        assert response.status_code in route.ok_status, _explain(response)
    elif persona in SIGNED_OUT:
        _assert_sent_to_login(route, response)
    else:
        assert response.status_code == route.denied_status(persona), response.content[:300]
    done_after = route.done(world, kwargs) if route.done and allowed else None
    if done_after is None or route.method == "get":
        changes = changed_tables(before, db_state())
        assert not changes, f"{persona} changed the database: {changes}"
    else:
        assert (done_before, done_after) == (False, True), "the write did not take effect"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_own_object(route, persona, world, login):
    client, token = _prepare(world, persona, login, route)
    kwargs, data = route.own(world), route.data(world)
    done_before = route.done(world, kwargs) if route.done and persona in route.allowed else None
    before = db_state()
    response = _request(client, route, kwargs, data, token)
    _check(route, world, persona, response, kwargs, before, done_before)
    if persona in route.allowed and route.hidden_from_list and persona != "director":
        assert route.hidden_from_list(world) not in response.getvalue().decode()


# The outsider owns ``foreign``; their view of someone else's object is the own-object test.
@pytest.mark.parametrize("persona", [p for p in SIGNED_IN if p != "outsider"])
@pytest.mark.parametrize("route", [r for r in ROUTES if r.foreign], ids=str)
def test_foreign_object_is_404(route, persona, world, login):
    client, token = _prepare(world, persona, login, route)
    kwargs, data = route.foreign(world), route.data(world)
    done_before = route.done(world, kwargs) if route.done and persona == "director" else None
    before = db_state()
    response = _request(client, route, kwargs, data, token)
    if persona == "director" and not route.extra.get("foreign_for_director"):
        if response.status_code in (400, 422):  # the director's data may not suit this object
            assert not changed_tables(before, db_state())
        else:
            _check(route, world, persona, response, kwargs, before, done_before)
    else:
        assert response.status_code == 404, response.content[:300]
        assert not changed_tables(before, db_state())
