"""The access matrix: every route × every persona × own/foreign object (R38).

Each area declares its routes in ``routes_<area>.py`` as a list ``ROUTES`` of :class:`Route`.
``test_access_matrix.py`` runs them all; ``test_every_route_is_in_the_matrix`` fails when a URL
pattern exists that no Route names.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

PERSONAS = ("director", "kam", "assistant", "member", "outsider")
EVERYONE = frozenset(PERSONAS)
DOSSIER_READERS = frozenset({"director", "kam", "assistant", "member"})
DOSSIER_EDITORS = frozenset({"director", "kam", "assistant"})
DIRECTOR_ONLY = frozenset({"director"})


@dataclass(frozen=True)
class Route:
    """One route and who may use it.

    name: URL name (``namespace:name``).
    own: builds URL kwargs for an object of ``world.own`` (or {} for routes without an object).
    foreign: builds URL kwargs for an object of ``world.foreign``; None when the route has none.
    allowed: personas that succeed on the own object; the others get ``denied_status``
      (404 when they cannot see the object, 403 when they see it but may not act).
    method: "get" or "post"; data: builds the POST body / query.
    ok_status: the statuses that mean success.
    hidden_from_list: for list routes, a text that must not appear for anyone but the director
      (a foreign object's name), proving lists are filtered too.
    api: send a bearer token instead of a session.
    """

    name: str
    own: Callable = lambda w: {}
    foreign: Callable | None = None
    allowed: frozenset = EVERYONE
    method: str = "get"
    data: Callable = lambda w: {}
    ok_status: tuple = (200,)
    denied_status: Callable = lambda persona: 404 if persona == "outsider" else 403
    hidden_from_list: Callable | None = None
    api: bool = False
    content_type: str | None = None
    extra: dict = field(default_factory=dict)
