"""Issue 8, defect 2: a foreign client's name never leaks through a group of companies.

``world.own`` (the KAM's) sits in a group headed by another KAM's client and has another KAM's
subsidiary; both carry a marker name. On every path the KAM, the assistant and the team member
read — list, its HTMX partial, CSV and XLSX exports, the client page, the history tab, the
search, the edit form, the API — the marker never appears, while the group's size does; the
director reads the names. On the old code the list, exports, page and history showed the name.
"""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kam.clients import services
from kam.clients.models import Client

from ..api.conftest import ApiClient
from ..browser_form import options
from ..factories import make_client

MARKER = "ZZQX"
READERS = ["kam", "assistant", "member"]


@pytest.fixture
def api():
    return ApiClient


def body(response) -> str:
    content = response.streaming_content if response.streaming else [response.content]
    return b"".join(content).decode("utf-8-sig")


@pytest.fixture
def group(world):
    """Head (foreign) → own → sub (foreign); and a history of the parent changing between two
    foreign companies."""
    head = make_client(world.outsider, name=f"{MARKER} Holding")
    earlier = make_client(world.outsider, name=f"{MARKER} Former Parent")
    services.client_update(by=world.director, client=world.own, parent=earlier)
    services.client_update(by=world.director, client=world.own, parent=head)
    make_client(world.outsider, name=f"{MARKER} Subsidiary", parent=world.own)
    return head


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.parametrize("persona", READERS)
def test_the_client_list_shows_the_group_not_the_foreign_parent(persona, world, login, group):
    html = text(login(getattr(world, persona)).get(reverse("clients:list")))

    assert MARKER not in html
    assert "parent: a company outside your clients" in html
    assert "group of 3 companies, 1 of them yours" in html


@pytest.mark.parametrize("persona", READERS)
def test_the_list_partial_hides_the_foreign_parent(persona, world, login, group):
    html = text(
        login(getattr(world, persona)).get(
            reverse("clients:list"), {"q": "Own"}, headers={"HX-Target": "client-table"}
        )
    )

    assert "<html" not in html  # the partial, not the page
    assert MARKER not in html
    assert "group of 3 companies, 1 of them yours" in html


@pytest.mark.parametrize("persona", READERS)
def test_searching_the_foreign_name_finds_nothing(persona, world, login, group):
    html = text(login(getattr(world, persona)).get(reverse("clients:list"), {"q": MARKER}))

    echoes = html.replace(f'value="{MARKER}"', "").replace(f"q={MARKER}", "")  # the query itself
    assert MARKER not in echoes
    assert "No clients match these filters." in html


@pytest.mark.parametrize("persona", READERS)
def test_the_csv_export_hides_the_foreign_parent(persona, world, login, group):
    response = login(getattr(world, persona)).get(reverse("clients:export"), {"format": "csv"})
    csv = body(response)

    assert MARKER not in csv
    row = next(line for line in csv.splitlines() if "Own Client" in line)
    assert "a company outside your clients" in row
    assert ";3;1;" in row  # companies in the group, of them yours


@pytest.mark.parametrize("persona", READERS)
def test_the_xlsx_export_hides_the_foreign_parent(persona, world, login, group):
    response = login(getattr(world, persona)).get(reverse("clients:export"))
    content = response.streaming_content if response.streaming else [response.content]
    sheet = load_workbook(io.BytesIO(b"".join(content))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows[0]
    own = next(r for r in rows if "Own Client" in r)

    assert not any(MARKER in str(cell) for row in rows for cell in row)
    assert own[header.index("Parent company")] == "a company outside your clients"
    assert own[header.index("Companies in the group")] == 3
    assert own[header.index("Of them yours")] == 1


@pytest.mark.parametrize("persona", READERS)
def test_the_client_page_names_neither_parent_nor_subsidiary(persona, world, login, group):
    html = text(login(getattr(world, persona)).get(reverse("clients:detail", args=[world.own.pk])))

    assert MARKER not in html
    assert f"/clients/{group.pk}/" not in html
    assert "a company outside your clients" in html
    assert "1 outside your clients" in html  # the subsidiary
    assert "group of 3 companies, 1 of them yours" in html


@pytest.mark.parametrize("persona", READERS)
def test_the_history_of_a_parent_change_names_no_foreign_company(persona, world, login, group):
    html = text(login(getattr(world, persona)).get(reverse("clients:history", args=[world.own.pk])))

    assert MARKER not in html
    assert html.count("a company outside your clients") >= 2  # former → new parent


@pytest.mark.parametrize("persona", ["kam", "assistant"])
def test_the_edit_form_names_no_foreign_company(persona, world, login, group):
    html = text(login(getattr(world, persona)).get(reverse("clients:edit", args=[world.own.pk])))

    assert MARKER not in html
    assert str(group.pk) not in dict(options(html, "parent"))


@pytest.mark.parametrize("persona", READERS)
def test_the_api_hides_the_foreign_parent_and_counts_the_group(persona, world, api, group):
    caller = api(getattr(world, persona))
    detail = caller.get(f"/api/clients/{world.own.pk}")
    listed = caller.get("/api/clients", {"limit": 500})
    searched = caller.get("/api/clients", {"q": MARKER})
    by_parent = caller.get("/api/clients", {"parent": group.pk})

    for response in (detail, listed, searched, by_parent):
        assert MARKER not in response.content.decode()
        assert str(group.pk) not in str(response.json().get("parent"))
    assert detail.json()["parent"] is None and detail.json()["parent_hidden"] is True
    assert detail.json()["group"] == {"size": 3, "yours": 1}
    assert searched.json()["count"] == 0
    assert by_parent.json()["count"] == 0


def test_the_director_reads_every_name_on_every_path(world, login, api, group):
    client = login(world.director)
    pages = [
        text(client.get(reverse("clients:list"), {"q": "Own"})),
        text(client.get(reverse("clients:detail", args=[world.own.pk]))),
        text(client.get(reverse("clients:history", args=[world.own.pk]))),
        body(client.get(reverse("clients:export"), {"format": "csv"})),
    ]
    for page in pages:
        assert f"{MARKER} Holding" in page
    assert f"{MARKER} Former Parent" in pages[2]
    assert f"{MARKER} Subsidiary" in pages[1]
    assert "group of 3 companies" in pages[0] and "of them yours" not in pages[0]
    read = api(world.director).get(f"/api/clients/{world.own.pk}").json()
    assert read["parent"] == {"id": group.pk, "name": f"{MARKER} Holding"}
    assert read["group"] == {"size": 3, "yours": 3}


def test_a_group_is_read_in_one_query_whatever_its_depth(world, django_assert_num_queries):
    from kam.clients.groups import groups

    top = make_client(world.outsider, name="Top")
    parent = top
    chain = []
    for n in range(6):
        parent = make_client(world.kam if n % 2 else world.outsider, name=f"L{n}", parent=parent)
        chain.append(parent)
    with django_assert_num_queries(1):
        found = groups(world.kam, [top.pk, *(c.pk for c in chain), world.own.pk])

    assert found[top.pk].size == 7 and found[top.pk].yours == 3
    assert all(found[c.pk] == found[top.pk] for c in chain)
    assert world.own.pk not in found  # a company alone is no group


def test_a_loop_of_parents_is_no_group_and_no_hang(world):
    from kam.clients.groups import groups

    a = make_client(world.kam, name="A")
    b = make_client(world.kam, name="B", parent=a)
    Client.objects.filter(pk=a.pk).update(parent=b)  # what validation forbids

    assert groups(world.kam, [a.pk, b.pk]) == {}


def test_the_list_and_export_cost_the_same_queries_however_many_groups(world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def grow(n):
        for i in range(n):
            head = make_client(world.outsider, name=f"Head {i}")
            make_client(world.kam, name=f"Member {i}", parent=head)

    client = login(world.kam)
    grow(5)
    with CaptureQueriesContext(connection) as few_list:
        client.get(reverse("clients:list"))
    with CaptureQueriesContext(connection) as few_export:
        body(client.get(reverse("clients:export"), {"format": "csv"}))
    grow(15)
    with CaptureQueriesContext(connection) as many_list:
        client.get(reverse("clients:list"))
    with CaptureQueriesContext(connection) as many_export:
        body(client.get(reverse("clients:export"), {"format": "csv"}))

    assert len(many_list) == len(few_list)
    assert len(many_export) == len(few_export)
