import datetime as dt

import pytest
from django.test import override_settings

from kam.demo import build_demo, wipe_demo

# Hashing "demo" with the production hasher costs most of a small build; tests do not need it.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AS_OF = dt.date(2025, 12, 31)
SMALL = {"clients": 30, "months": 12, "as_of": AS_OF}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="module")
def small_company(django_db_setup, django_db_blocker):
    """One small demo company (30 clients, 12 months up to AS_OF) shared by a module's tests.

    Only for tests that read: it lives outside the per-test transactions and is wiped at the end.
    """
    from kam.keyprofile.models import KeyProfile

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        profiles = set(KeyProfile.objects.values_list("pk", flat=True))
        summary = build_demo(seed=42, **SMALL)
    yield summary
    with django_db_blocker.unblock():
        wipe_demo()
        # The build scores its clients, creating the default key-client profile: not demo data,
        # so the wipe keeps it; the next tests expect none.
        KeyProfile.objects.exclude(pk__in=profiles).delete()
