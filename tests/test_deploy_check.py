"""`manage.py check --deploy` is clean with the production settings docs/admin-guide.md gives."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "admin-guide.md"


def guide_settings() -> dict[str, str]:
    """The env-file block after the guide's "security-settings" marker; a ``<…>`` placeholder
    (the secret key) gets a fresh random value, as the guide tells the reader to make one."""
    text = GUIDE.read_text()
    block = re.search(r"<!-- security-settings:.*?-->\s*```sh\n(.*?)```", text, re.S)
    assert block, "the security settings block is missing from docs/admin-guide.md"
    values = {}
    for line in block.group(1).splitlines():
        name, _, value = line.partition("=")
        values[name] = secrets.token_urlsafe(50) if value.startswith("<") else value
    return values


def run_check(tmp_path, settings: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAM_")}
    env |= settings | {"KAM_VAR_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_the_guides_production_settings(tmp_path):
    settings = guide_settings()
    assert settings["KAM_ENV"] == "production"
    run = run_check(tmp_path, settings)
    assert run.returncode == 0, run.stderr + run.stdout
    assert "System check identified no issues" in run.stdout


def test_check_deploy_still_warns_without_them(tmp_path):
    """The check can fail: a local run's settings are not fit to deploy."""
    run = run_check(tmp_path, {})
    assert run.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in run.stderr


def test_collectstatic_succeeds_with_the_production_storage(tmp_path):
    """Production stores hashed names (cached for good by WhiteNoise); the vendored libraries'
    source-map comments name files we do not ship, which once failed `collectstatic`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAM_")}
    env |= guide_settings() | {"KAM_VAR_DIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["vendor/htmx/htmx.min.js"]
    assert re.fullmatch(r"vendor/htmx/htmx\.min\.[0-9a-f]{12}\.js", hashed)
    assert (tmp_path / "static" / (hashed + ".gz")).is_file()
