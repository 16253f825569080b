"""What a user may know of a client's group of companies (docs/decisions.md, "Groups").

A group is every company linked to the client through parent companies: the topmost parent and
all companies below it. Anyone who sees a client may know that it belongs to a group, how many
companies the group has and how many of them are theirs (the clients they see), and the names of
those; of the others nothing — no name, no id, no link, not even which one is the parent beyond
"a company outside your clients". The director sees every company, so every name.

Pages, exports and the API all read the group through :func:`groups`: one query for any number
of clients (a recursive query up to each topmost parent and down again), whatever the depth.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery

from .models import Client


@dataclass(frozen=True)
class Group:
    """A client's group of companies as a user may know it."""

    size: int  # companies in the group, the client included
    yours: int  # of them the clients the user sees

    @property
    def others(self) -> int:
        return self.size - self.yours


def groups(user, ids: Iterable[int]) -> dict[int, Group]:
    """The group of each client in ``ids`` that belongs to one (two companies or more)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    table = connection.ops.quote_name(Client._meta.db_table)
    visible, visible_params = (
        Client.objects.visible_to(user).order_by().values("pk").query.sql_with_params()
    )
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
        WITH RECURSIVE
        up(client_id, id, parent_id) AS (
            SELECT id, id, parent_id FROM {table} WHERE id IN ({marks})
            UNION
            SELECT up.client_id, c.id, c.parent_id FROM {table} c JOIN up ON c.id = up.parent_id
        ),
        heads(client_id, head) AS (SELECT client_id, id FROM up WHERE parent_id IS NULL),
        members(head, id) AS (
            SELECT head, head FROM (SELECT DISTINCT head FROM heads) h
            UNION ALL
            SELECT members.head, c.id FROM {table} c JOIN members ON c.parent_id = members.id
        )
        SELECT heads.client_id, COUNT(*),
               SUM(CASE WHEN members.id IN ({visible}) THEN 1 ELSE 0 END)
        FROM heads JOIN members ON members.head = heads.head
        GROUP BY heads.client_id
    """
    # A loop of parents (which validation forbids) has no topmost company: no group, no hang.
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *visible_params])
        rows = cursor.fetchall()
    return {pk: Group(int(size), int(yours)) for pk, size, yours in rows if size > 1}


def attach_groups(user, clients: list[Client]) -> list[Client]:
    """Set ``group`` (a :class:`Group` or None) on each client; one query for them all."""
    found = groups(user, (c.pk for c in clients))
    for client in clients:
        client.group = found.get(client.pk)  # type: ignore[attr-defined]
    return clients


def iter_with_groups(user, clients: QuerySet, chunk: int = 2000) -> Iterator[Client]:
    """``clients`` one by one with their groups attached, a chunk at a time (exports)."""
    batch: list[Client] = []
    for client in clients.iterator(chunk_size=chunk):
        batch.append(client)
        if len(batch) == chunk:
            yield from attach_groups(user, batch)
            batch = []
    yield from attach_groups(user, batch)


def with_parent_name(clients: QuerySet, user) -> QuerySet:
    """Annotate ``parent_name``: the parent company's name when ``user`` may see it, else None
    (also when there is no parent: ``parent_id`` tells the two apart)."""
    visible = Client.objects.visible_to(user)
    return clients.annotate(
        parent_name=Subquery(visible.filter(pk=OuterRef("parent_id")).values("name")[:1])
    )
