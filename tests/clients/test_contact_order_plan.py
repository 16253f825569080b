"""Issue 10: a page of contacts in their order (those still there first, the most influential
first, by name) walks the contact_order index instead of sorting every contact."""

import pytest
from django.db import connection

from kam.clients.models import Contact
from kam.core.models import Role
from tests.factories import make_client, make_user

pytestmark = pytest.mark.django_db


def test_the_directors_first_page_of_contacts_reads_the_order_index(world):
    clients = [make_client(world.kam) for _ in range(40)]
    Contact.objects.bulk_create(
        Contact(client=client, full_name=f"Person {client.pk}-{n}", influence=1 + n % 5)
        for client in clients
        for n in range(25)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    director = make_user("boss", Role.DIRECTOR)

    first_page = Contact.objects.visible_to(director).order_by(*Contact._meta.ordering, "pk")[:101]
    plan = first_page.explain()

    assert "contact_order" in plan, plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan and "Sort Key" not in plan, plan
    influences = [c.influence for c in first_page]
    assert influences == sorted(influences, reverse=True) and len(influences) == 101
