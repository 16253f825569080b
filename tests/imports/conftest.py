import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The personas are created per test; real password hashing would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
