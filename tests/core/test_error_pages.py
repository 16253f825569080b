"""403, 404 and 500 pages with DEBUG off: the app's layout and language, the menu when signed in,
a way back; the 500 page renders without the database. And the favicon at /favicon.ico."""

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import include, path, reverse
from django.utils import translation
from django.views.defaults import server_error


def fails(request):
    raise RuntimeError("boom")


def denied(request):
    raise PermissionDenied


urlpatterns = [
    path("boom/", fails),
    path("denied/", denied),
    path("ok/", lambda request: HttpResponse("ok")),
    path("", include("kam.urls")),
]


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title", "menu"),
    [("en", "Page not found", "Clients"), ("ru", "Страница не найдена", "Клиенты")],
)
def test_404_has_the_menu_a_way_back_and_speaks_the_users_language(
    world, login_in, language, title, menu
):
    client = login_in(world.kam, language)
    response = client.get("/clients/999999/", HTTP_REFERER="http://testserver/clients/")
    assert response.status_code == 404
    html = response.content.decode()
    assert title in html
    assert f'href="{reverse("clients:list")}">{menu}</a>' in html
    assert 'href="http://testserver/clients/"' in html  # back where the user came from
    assert f'href="{reverse("home")}"' in html


@pytest.mark.django_db
def test_404_for_a_visitor_who_is_not_signed_in(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title"), [("en", "Access denied"), ("ru", "Доступ запрещён")]
)
def test_403_is_in_the_layout_and_language(world, login_in, language, title):
    response = login_in(world.kam, language).get("/denied/")
    assert response.status_code == 403
    html = response.content.decode()
    assert title in html and 'class="navbar-nav' in html


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "title"), [("en", "Server error"), ("ru", "Ошибка сервера")])
def test_500_page_in_the_users_language(world, login_in, language, title):
    client = login_in(world.kam, language)
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert title in html and 'href="/"' in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_500_page_renders_without_the_database(language):
    # no django_db mark: any query would fail the test
    with translation.override(language):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "/static/kam/kam.css" in response.content.decode()


@pytest.mark.django_db
def test_the_favicon_is_linked_and_answers_at_favicon_ico(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("kam/favicon.ico")
    assert finders.find("kam/favicon.ico")
    assert 'rel="icon"' in client.get(reverse("login")).content.decode()
