"""The login throttle (django-axes, kam.core.throttle): an account from an address, and an address
for any accounts; the director's Locked logins page and its recorded unlock."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse
from django.utils import dateformat, timezone

from kam.core.models import ApiToken, LoginUnlock
from kam.core.throttle import client_ip

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
HOME = "/accounts/tokens/"  # any page that needs a login


def attempt(client, username, password, url=LOGIN, address="127.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times, url=LOGIN, address="127.0.0.1"):
    for _ in range(times):
        attempt(client, username, "wrong", url, address)


def cool_off_passes():
    """Move every recorded failure back past the cool-off, as if the time had passed."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))


@pytest.fixture
def browser():
    return HttpClient()


def test_thirty_wrong_passwords_then_the_right_one_is_refused_with_the_message(world, browser):
    fail(browser, "kam", 30)
    response = attempt(browser, "kam", "pw")
    assert response.status_code == 429
    assert not logged_in(browser)
    page = response.content.decode()
    assert "Too many failed attempts to log in as “kam” from your network address" in page
    assert "A director can lift the lock sooner" in page
    assert "Please enter a correct username and password" not in page
    assert 'id="id_password"' in page  # still the login page, in the site's layout


def test_the_lock_comes_at_the_fifth_failure_and_names_the_time_it_lifts(world, browser):
    fail(browser, "kam", 4)
    assert attempt(browser, "kam", "wrong").status_code == 429
    until = timezone.localtime(AccessAttempt.objects.get().attempt_time + dt.timedelta(minutes=15))
    # English TIME_FORMAT "P": "2:35 p.m.", "noon"…
    assert f"Until {dateformat.format(until, 'P')}, logging in" in (
        attempt(browser, "kam", "pw").content.decode()
    )


def test_refused_attempts_during_a_lock_do_not_extend_it(world, browser):
    fail(browser, "kam", 5)
    fail(browser, "kam", 20)
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_after_the_cool_off_the_right_password_logs_in(world, browser):
    fail(browser, "kam", 30)
    cool_off_passes()
    response = attempt(browser, "kam", "pw")
    assert response.status_code == 302 and logged_in(browser)


def test_the_admin_login_is_throttled_too(world, browser):
    world.director.is_staff = True  # the admin's own login admits staff only
    world.director.save()
    fail(browser, "director", 30, url=ADMIN_LOGIN)
    response = attempt(browser, "director", "pw", url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert not logged_in(browser)
    page = response.content.decode()
    assert "Too many failed attempts to log in as “director”" in page
    assert "errornote" in page  # shown where the admin shows login errors
    cool_off_passes()
    assert attempt(browser, "director", "pw", url=ADMIN_LOGIN).status_code == 302
    assert logged_in(browser)


def test_the_message_is_translated(world, browser):
    fail(browser, "kam", 5)
    response = browser.post(LOGIN, {"username": "kam", "password": "pw"}, HTTP_ACCEPT_LANGUAGE="ru")
    page = response.content.decode()
    assert "Слишком много неудачных попыток войти как «kam»" in page
    assert "Too many" not in page


def test_a_lock_is_per_address_so_the_real_user_still_logs_in_elsewhere(world, browser):
    fail(browser, "kam", 30, address="203.0.113.9")  # someone guessing at kam's password
    assert attempt(browser, "kam", "pw", address="203.0.113.9").status_code == 429
    own = HttpClient()
    assert attempt(own, "kam", "pw", address="198.51.100.7").status_code == 302
    assert logged_in(own)


def test_failures_from_one_address_count_across_usernames(world, browser):
    # One password sprayed over many accounts: never 5 on one account, 30 from the address.
    for n in range(10):
        fail(browser, f"user{n}", 3)
    response = attempt(browser, "member", "pw")
    assert response.status_code == 429
    assert "Too many failed logins from your network address" in response.content.decode()
    assert not logged_in(browser)
    elsewhere = HttpClient()
    assert attempt(elsewhere, "member", "pw", address="198.51.100.7").status_code == 302


def test_below_the_address_limit_other_accounts_still_log_in(world, browser):
    for n in range(9):
        fail(browser, f"user{n}", 3)  # 27 failures from the address
    assert attempt(browser, "member", "pw").status_code == 302


def test_a_successful_login_forgets_its_own_failures_not_the_addresss(world, browser):
    fail(browser, "kam", 4)
    fail(browser, "nobody", 4)
    assert attempt(browser, "kam", "pw").status_code == 302
    assert not AccessAttempt.objects.filter(username="kam").exists()
    assert AccessAttempt.objects.get(username="nobody").failures_since_start == 4


def test_api_tokens_are_not_throttled(world, browser):
    fail(browser, "kam", 30)
    for n in range(10):
        fail(browser, f"user{n}", 3)  # the address is locked as well
    _token, key = ApiToken.issue(user=world.kam, name="script")
    response = HttpClient().get("/api/clients", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200


# --- the director's Locked logins page ---------------------------------------------------------


def test_the_director_sees_the_locks_and_unlocks_one_which_is_recorded(world, browser, login):
    fail(browser, "kam", 5)
    director = login(world.director)
    page = director.get(reverse("lockouts")).content.decode()
    assert "kam" in page and "127.0.0.1" in page and "locked until" in page
    response = director.post(
        reverse("lockout_unlock"), {"username": "kam", "ip_address": "127.0.0.1"}, follow=True
    )
    assert "“kam” can log in from 127.0.0.1 again (5 failed logins forgotten)." in (
        response.content.decode()
    )
    unlock = LoginUnlock.objects.get()
    assert (unlock.unlocked_by, unlock.username, unlock.ip_address, unlock.failures) == (
        world.director,
        "kam",
        "127.0.0.1",
        5,
    )
    assert attempt(browser, "kam", "pw").status_code == 302 and logged_in(browser)
    assert "No failed logins recently." in director.get(reverse("lockouts")).content.decode()


def test_the_director_unlocks_an_address_for_every_account(world, browser, login):
    for n in range(10):
        fail(browser, f"user{n}", 3)
    director = login(world.director)
    page = director.get(reverse("lockouts")).content.decode()
    assert "any account" in page
    director.post(reverse("lockout_unlock"), {"username": "", "ip_address": "127.0.0.1"})
    assert not AccessAttempt.objects.exists()
    assert LoginUnlock.objects.get().username == ""
    assert attempt(browser, "member", "pw").status_code == 302


def test_unlocking_a_lock_that_already_lifted_records_nothing(world, login):
    response = login(world.director).post(
        reverse("lockout_unlock"), {"username": "kam", "ip_address": "127.0.0.1"}, follow=True
    )
    assert "Nothing to unlock" in response.content.decode()
    assert not LoginUnlock.objects.exists()


@pytest.mark.parametrize("persona", ["kam", "assistant", "member"])
def test_only_the_director_sees_the_page_and_unlocks(world, browser, login, persona):
    fail(browser, "kam", 5)
    client = login(getattr(world, persona))
    assert client.get(reverse("lockouts")).status_code == 403
    unlock = {"username": "kam", "ip_address": "127.0.0.1"}
    response = client.post(reverse("lockout_unlock"), unlock)
    assert response.status_code == 403
    assert AccessAttempt.objects.exists() and not LoginUnlock.objects.exists()
    assert "Locked logins" not in client.get(HOME).content.decode()


def test_the_page_is_in_the_directors_menu(world, login):
    assert reverse("lockouts") in login(world.director).get(HOME).content.decode()


# --- the client's address ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "127.0.0.1"),  # no proxy: the header is the client's own words
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "10.9.9.9, 198.51.100.7", "198.51.100.7"),  # a forged entry on the left is ignored
        (2, "10.9.9.9, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (1, "", "127.0.0.1"),
        (1, "not-an-address", "127.0.0.1"),
    ],
)
def test_the_client_address_behind_proxies(settings, proxies, forwarded, expected):
    settings.KAM_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == expected
