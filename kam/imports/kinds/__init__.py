"""The kinds of data an import can carry, by ImportKind value."""

from .base import Kind
from .clients import Clients
from .contacts import Contacts
from .products import Products
from .sales import Sales

KINDS: dict[str, Kind] = {kind.name: kind for kind in (Clients(), Contacts(), Products(), Sales())}


def kinds_for(user) -> list[Kind]:
    """The kinds ``user`` may import, in menu order."""
    return [kind for kind in KINDS.values() if kind.may_import(user)]
