""".env.example lists every setting the code reads from the environment."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: os.environ.get("X"), os.environ["X"], os.getenv("X"), and settings.py's env_bool("X", …) kin.
READ = re.compile(
    r"""(?:environ\.get\(|environ\[|getenv\(|\benv_[a-z]+\()\s*["']([A-Z][A-Z0-9_]*)["']"""
)
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE"}


def read_by_the_code() -> set[str]:
    names = set()
    for path in (ROOT / "kam").rglob("*.py"):
        names |= set(READ.findall(path.read_text()))
    return names - NOT_SETTINGS


def listed() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, re.M))


def test_every_setting_the_code_reads_is_in_env_example():
    names = read_by_the_code()
    assert {"DATABASE_URL", "KAM_SECRET_KEY", "KAM_WEB_WORKERS", "KAM_JOB_BEAT"} <= names
    assert sorted(names - listed()) == []


def test_env_example_lists_nothing_the_code_does_not_read():
    assert sorted(listed() - read_by_the_code()) == []
