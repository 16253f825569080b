"""Issue 10: the parent-company picker searches instead of listing every client.

At 15,000 clients a select of them all is a megabyte of HTML; the picker (SearchSelect) holds
only the current value and asks clients:search for at most SEARCH_LIMIT matches the reader may
see.
"""

from django.urls import reverse

from kam.clients.models import Client
from kam.clients.views import SEARCH_LIMIT

from ..browser_form import changed, load, options
from ..factories import make_client


def search(client, **params):
    response = client.get(reverse("clients:search"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_edit_form_offers_only_the_current_parent_not_every_client(world, login):
    others = [make_client(world.kam, name=f"Sister {n}") for n in range(5)]
    Client.objects.filter(pk=world.own.pk).update(parent=others[0])

    html = login(world.kam).get(reverse("clients:edit", args=[world.own.pk])).content.decode()

    assert options(html, "parent") == [("", "---------"), (str(others[0].pk), "Sister 0")]
    assert "Sister 1" not in html
    assert f'hx-get="{reverse("clients:search")}?exclude={world.own.pk}"' in html


def test_the_new_client_form_lists_no_client(world, login):
    html = login(world.kam).get(reverse("clients:create")).content.decode()

    assert options(html, "parent") == [("", "---------")]
    assert world.own.name not in html


def test_a_parent_found_by_search_is_saved(world, login):
    sister = make_client(world.kam, name="Sister")
    page = login(world.kam)
    assert f'data-pick="{sister.pk}"' in search(page, q="sist")

    url = reverse("clients:edit", args=[world.own.pk])

    response = page.post(url, changed(load(page, url), parent=str(sister.pk)))

    assert response.status_code == 302
    world.own.refresh_from_db()
    assert world.own.parent == sister


def test_search_finds_only_visible_clients_by_name_code_or_inn(world, login):
    make_client(world.kam, name="Alpha Steel", erp_code="ZX-1", inn="7701234567")
    page = login(world.kam)

    assert "Alpha Steel" in search(page, q="alpha")
    assert "Alpha Steel" in search(page, q="zx-1")
    assert "Alpha Steel" in search(page, q="770123")
    assert world.foreign.name not in search(page, q=world.foreign.name)
    assert world.foreign.name in search(login(world.director), q=world.foreign.name)


def test_search_leaves_out_the_excluded_client_and_stops_at_the_limit(world, login):
    for n in range(SEARCH_LIMIT + 5):
        make_client(world.kam, name=f"Many {n:02d}")
    page = login(world.kam)

    html = search(page, q="Many")
    assert html.count("data-pick=") == SEARCH_LIMIT
    assert "type more to narrow the search" in html
    assert world.own.name not in search(page, q=world.own.name, exclude=world.own.pk)
    assert world.own.name in search(page, q=world.own.name)


def test_an_empty_search_lists_nothing(world, login):
    assert "data-pick" not in search(login(world.director), q="  ")


def test_search_runs_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    for n in range(30):
        make_client(world.kam, name=f"Many {n:02d}")
    page = login(world.kam)
    with django_assert_max_num_queries(4):
        search(page, q="Many")
