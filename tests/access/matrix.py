"""The access matrix: every route × every persona × own/foreign object (R38).

Each area declares its routes in ``routes_<area>.py`` as a list ``ROUTES`` of :class:`Route`.
``test_access_matrix.py`` runs them all; its guards fail when a URL pattern or an API operation
exists that no Route reaches, and when a write does not say how to check its effect.

The personas (``tests/access/conftest.py`` builds them) cover each branch of the access rule
(``kam.core.access``) on the client ``own``:

- ``director``: sees and edits everything;
- ``kam``: owns ``own``;
- ``assistant``: assists ``kam`` (an assistant of the owning KAM);
- ``client_assistant``: named as ``own``'s assistant, assisting no KAM (the client's direct
  assistant);
- ``member``: on ``own``'s cross-functional team;
- ``outsider``: another KAM, owner of ``foreign``, unrelated to ``own``;
- ``inactive``: a deactivated director on ``own``'s team, with a session and a token made while
  still active;
- ``anonymous``: no session, no token.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

PERSONAS = (
    "director",
    "kam",
    "assistant",
    "client_assistant",
    "member",
    "outsider",
    "inactive",
    "anonymous",
)
#: Personas without a working login: pages send them to the login page, the API answers 401.
SIGNED_OUT = frozenset({"inactive", "anonymous"})
EVERYONE = frozenset(PERSONAS) - SIGNED_OUT
#: Routes anyone may use, signed in or not (login, language switch, API docs).
PUBLIC = frozenset(PERSONAS)
DOSSIER_READERS = frozenset({"director", "kam", "assistant", "client_assistant", "member"})
DOSSIER_EDITORS = frozenset({"director", "kam", "assistant", "client_assistant"})
DIRECTOR_ONLY = frozenset({"director"})


def _no_kwargs(w) -> dict:
    return {}


def _forbidden_unless_outsider(persona: str) -> int:
    return 404 if persona == "outsider" else 403


@dataclass(frozen=True)
class Route:
    """One route and who may use it.

    name: URL name (``namespace:name``).
    own: builds URL kwargs for an object of ``world.own`` (or {} for routes without an object).
    foreign: builds URL kwargs for an object of ``world.foreign``; None when the route has none.
    allowed: personas that succeed on the own object; signed-in others get ``denied_status``
      (404 when they cannot see the object, 403 when they see it but may not act); signed-out
      ones are sent to the login page (pages) or get 401 (API) unless the route is PUBLIC.
    method: "get", "post", "patch", "put"; data: builds the POST body / query.
    ok_status: the statuses that mean success.
    done: for writes, ``done(world, kwargs) -> bool`` reads the database (or the session) and
      tells whether the write took effect: false before an allowed request, true after it. It
      may answer None for a persona the route has nothing to do for (logging out when signed out).
      ``READ_ONLY`` declares a POST that writes nothing (a preview). Every request not allowed, and
      every GET, must leave the database as it was.
    hidden_from_list: for list routes, a text that must not appear for anyone but the director
      (a foreign object's name), proving lists are filtered too.
    api: send a bearer token instead of a session.
    """

    name: str
    own: Callable = _no_kwargs
    foreign: Callable | None = None
    allowed: frozenset = EVERYONE
    method: str = "get"
    data: Callable = _no_kwargs
    ok_status: tuple = (200,)
    denied_status: Callable = _forbidden_unless_outsider
    done: Callable | None = None
    hidden_from_list: Callable | None = None
    api: bool = False
    content_type: str | None = None
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}"


def READ_ONLY(w, kwargs) -> None:
    """``done`` of a POST that must write nothing (a preview): the database stays as it was."""
    return None


def exists(model, **lookup):
    """``done``: a row like this exists (a lookup value may be a callable of the world)."""

    def done(w, kwargs):
        values = {k: v(w) if callable(v) else v for k, v in lookup.items()}
        return model.objects.filter(**values).exists()

    return done


def gone(model, kwarg="pk"):
    """``done``: the object named by the URL's ``kwarg`` no longer exists."""

    def done(w, kwargs):
        return not model.objects.filter(pk=kwargs[kwarg]).exists()

    return done


def field_is(model, kwarg, field, value):
    """``done``: the object named by the URL's ``kwarg`` now has ``field == value``."""

    def done(w, kwargs):
        return getattr(model.objects.get(pk=kwargs[kwarg]), field) == value

    return done


def client_api_route(name, allowed, method="get", **extra):
    """A JSON API route (bearer token) under ``/clients/{client_id}/…`` of ``own`` (``foreign``
    for the outsider's side): the member sees but may not write (403), the outsider does not
    see the client at all (404). ``extra`` overrides the kwargs builders and the rest."""
    return Route(
        name,
        api=True,
        allowed=allowed,
        method=method,
        content_type=None if method == "get" else "application/json",
        **(
            {
                "own": lambda w: {"client_id": w.own.pk},
                "foreign": lambda w: {"client_id": w.foreign.pk},
            }
            | extra
        ),
    )


def own_client(w) -> dict:
    """URL kwargs of a page of ``own``: ``clients/<pk>/…``."""
    return {"pk": w.own.pk}


def foreign_client(w) -> dict:
    return {"pk": w.foreign.pk}


def dossier_editor_route(name, own_kwargs, foreign_kwargs, method="get", **extra):
    """A page of the dossier the client's editors use (a form's GET, its POST redirecting on
    success): the member sees the client but gets 403, the outsider 404."""
    return Route(
        name,
        own=own_kwargs,
        foreign=foreign_kwargs,
        allowed=DOSSIER_EDITORS,
        method=method,
        ok_status=(200,) if method == "get" else (302,),
        **extra,
    )
