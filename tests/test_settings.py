"""kam/settings.py: the secret key (never a published one), how production is recognised, and the
security settings read from the environment."""

import os
import runpy
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kam.settings import is_production, local_secret_key

SETTINGS = Path(__file__).resolve().parent.parent / "kam" / "settings.py"
ROOT = SETTINGS.parent.parent
#: The key the project once fell back to in silence; it is public, in the history.
PUBLISHED_KEY = "insecure-development-key-change-me"


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A clean environment of the KAM_ settings, the var directory in a temporary folder."""
    for name in list(os.environ):
        if name.startswith("KAM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KAM_VAR_DIR", str(tmp_path))
    return monkeypatch


def load_settings() -> dict:
    return runpy.run_path(str(SETTINGS))


def test_a_local_run_makes_a_random_key_once_and_keeps_it_private(environment, tmp_path):
    key = load_settings()["SECRET_KEY"]
    stored = tmp_path / "secret_key"
    assert stored.read_text().strip() == key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert len(key) >= 50 and key != PUBLISHED_KEY
    assert load_settings()["SECRET_KEY"] == key  # kept, so sessions survive a restart
    assert not [p for p in tmp_path.iterdir() if p.name != "secret_key" and "secret" in p.name]


def test_two_local_keys_are_different(tmp_path):
    assert local_secret_key(tmp_path / "a" / "key") != local_secret_key(tmp_path / "b" / "key")


def test_processes_starting_together_agree_on_one_key(tmp_path):
    path = tmp_path / "secret_key"
    code = (
        "from pathlib import Path; from kam.settings import local_secret_key; "
        f"print(local_secret_key(Path({str(path)!r})))"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(4)
    ]
    keys = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert keys == {path.read_text().strip()}


def test_an_empty_key_file_is_an_error_not_an_empty_key(tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        local_secret_key(tmp_path / "secret_key")


def test_a_given_key_is_used_and_no_file_is_made(environment, tmp_path):
    environment.setenv("KAM_SECRET_KEY", "k" * 30 + "from-the-environment")
    assert load_settings()["SECRET_KEY"] == "k" * 30 + "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    "variables",
    [
        {"KAM_ENV": "production"},
        {"KAM_ALLOWED_HOSTS": "kam.example.com"},
        {"KAM_ALLOWED_HOSTS": "localhost,kam.example.com", "KAM_DEBUG": "0"},
        {"KAM_ALLOWED_HOSTS": "*"},
    ],
    ids=["KAM_ENV", "public host", "public among local", "any host"],
)
def test_a_production_run_without_a_key_refuses_to_start(environment, tmp_path, variables):
    for name, value in variables.items():
        environment.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match="KAM_SECRET_KEY is not set"):
        load_settings()
    assert not (tmp_path / "secret_key").exists()


def test_the_refusal_is_a_clear_message_from_manage_py(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAM_")}
    env |= {"KAM_VAR_DIR": str(tmp_path), "KAM_ENV": "production"}
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    last_line = run.stderr.strip().splitlines()[-1]
    assert "KAM_SECRET_KEY is not set" in last_line and "token_urlsafe" in last_line


@pytest.mark.parametrize(
    ("env", "debug", "hosts", "expected"),
    [
        ("", False, ["localhost", "127.0.0.1", "[::1]", "testserver"], False),
        ("", False, ["kam.example.com"], True),
        ("", True, ["kam.example.com"], False),  # debug pages: someone is developing
        ("production", True, ["localhost"], True),
        ("development", False, ["kam.example.com"], False),
    ],
)
def test_how_a_production_run_is_recognised(env, debug, hosts, expected):
    assert is_production(env, debug, hosts) is expected


def test_an_unknown_kam_env_is_an_error():
    with pytest.raises(ImproperlyConfigured, match="KAM_ENV"):
        is_production("prod", False, [])


def test_production_turns_https_on_by_default(environment):
    environment.setenv("KAM_SECRET_KEY", "x" * 60)
    local = load_settings()
    assert not local["SECURE_SSL_REDIRECT"] and not local["SESSION_COOKIE_SECURE"]
    environment.setenv("KAM_ENV", "production")
    production = load_settings()
    assert production["SECURE_SSL_REDIRECT"] and production["SESSION_COOKIE_SECURE"]
    assert production["CSRF_COOKIE_SECURE"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("X-Forwarded-Proto: https", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("x-forwarded-ssl:on", ("HTTP_X_FORWARDED_SSL", "on")),
        ("", None),
    ],
)
def test_the_proxy_ssl_header(environment, value, expected):
    environment.setenv("KAM_PROXY_SSL_HEADER", value)
    assert load_settings()["SECURE_PROXY_SSL_HEADER"] == expected


@pytest.mark.parametrize("value", ["X-Forwarded-Proto", "https", ": https"])
def test_a_malformed_proxy_ssl_header_is_an_error(environment, value):
    environment.setenv("KAM_PROXY_SSL_HEADER", value)
    with pytest.raises(ImproperlyConfigured, match="KAM_PROXY_SSL_HEADER"):
        load_settings()


def test_the_address_limit_cannot_be_below_the_account_limit(environment):
    environment.setenv("KAM_LOGIN_FAILURES_PER_ACCOUNT", "10")
    environment.setenv("KAM_LOGIN_FAILURES_PER_ADDRESS", "5")
    with pytest.raises(ImproperlyConfigured, match="KAM_LOGIN_FAILURES_PER_ADDRESS"):
        load_settings()
