import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from hypothesis import settings as hypothesis_settings
from time_machine import travel

from kam.core.models import Role

from .clock import TODAY, run_start
from .factories import add_member, make_client, make_contact, make_product, make_user

# No time limit per example: a timing threshold fails on a loaded CI machine (an example took
# 382 ms against Hypothesis' default 200 ms), and it measures nothing the tests are about.
hypothesis_settings.register_profile("kam", deadline=None)
hypothesis_settings.load_profile("kam")


def pytest_configure(config):
    start = run_start()
    if start is not None:  # before collection, so that imports see it too
        travel(start, tick=True).start()


@pytest.fixture
def clock(time_machine) -> dt.date:
    """Move the clock to noon of :data:`TODAY` in the company's time zone (it keeps ticking).

    For tests whose dates must agree with the code's "today" (this year's potential, the last
    24 months): without it they would fail when run across New Year or years later.
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    time_machine.move_to(dt.datetime.combine(TODAY, dt.time(12), tzinfo=zone))
    return TODAY


@pytest.fixture(autouse=True)
def _english(settings):
    # Tests assert English texts unless they switch language on purpose.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world(db):
    """The shared personas of the access rule (R38).

    kam owns ``own``; assistant assists kam; member is on own's team; outsider is another KAM
    who owns ``foreign``; director sees everything.
    """
    director = make_user("director", Role.DIRECTOR)
    kam = make_user("kam", Role.KAM, first_name="Anna", last_name="Kamova")
    assistant = make_user("assistant", Role.ASSISTANT)
    assistant.assisted_kams.add(kam)
    member = make_user("member", Role.MEMBER)
    outsider = make_user("outsider", Role.KAM)
    own = make_client(kam, name="Own Client", is_key=True)
    foreign = make_client(outsider, name="Foreign Client")
    add_member(own, member)
    return SimpleNamespace(
        director=director,
        kam=kam,
        assistant=assistant,
        member=member,
        outsider=outsider,
        own=own,
        foreign=foreign,
        own_contact=make_contact(own, full_name="Own Person"),
        foreign_contact=make_contact(foreign, full_name="Foreign Person"),
        product=make_product(),
    )


@pytest.fixture
def login():
    """``login(user)`` returns a test client logged in as that user."""

    def _login(user):
        client = HttpClient()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def login_in(login):
    """``login_in(user, language)``: a test client of ``user``, who chose ``language``."""

    def _login_in(user, language):
        user.language = language
        user.save(update_fields=["language"])
        return login(user)

    return _login_in
