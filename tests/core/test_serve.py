"""`kam serve` as `make run` starts it: gunicorn with WhiteNoise and a worker, both kept running
(slow: real processes; CI runs them on SQLite and PostgreSQL)."""

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.utils import translation

from kam import settings as site_settings  # the children's, not the tests' "en"
from tests.processes import ROOT, Site, sales_file, seed, upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> dict[str, int]:
    """The supervisor's children by role: "web" (gunicorn) and "worker" (`kam worker`)."""
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        role = "web" if b"gunicorn" in argv else "worker" if b"worker" in argv else "other"
        found[role] = int(child)
    return found


def descendants(pid: int) -> set[int]:
    found = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found |= {int(child), *descendants(int(child))}
    return found


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False


@pytest.fixture
def site(tmp_path):
    site = Site(tmp_path)
    yield site
    print(site.close()[-5000:])


def test_serve_answers_restarts_a_killed_worker_and_web_server_and_stops_cleanly(site, tmp_path):
    seed(site, clients=20, products=10)
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "kam.cli", "serve", "--port", str(port)],
        env=site.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # as bench/load.py starts it
    )
    site.children.append(serve)
    url = f"http://127.0.0.1:{port}"
    site.wait_for(lambda: answers(f"{url}/accounts/login/"), timeout=120)

    # A page and a static file, through gunicorn, the file by WhiteNoise (compressed, cached).
    status, headers, _ = get(f"{url}/accounts/login/")
    assert (status, headers["Server"]) == (200, "gunicorn")
    status, headers, body = get(
        f"{url}/static/vendor/htmx/htmx.min.js", **{"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "max-age" in headers["Cache-Control"]
    assert headers["Access-Control-Allow-Origin"] == "*"  # WhiteNoise's, not Django's

    # kill -9 the worker: a new one starts, and an import still runs.
    first = site.wait_for(lambda: (c := children(serve.pid)).keys() >= {"web", "worker"} and c)
    os.kill(first["worker"], signal.SIGKILL)
    site.wait_for(lambda: children(serve.pid).get("worker") not in (None, first["worker"]))
    job = upload(site, sales_file(tmp_path / "sales.csv", 200, clients=20, products=10))
    site.wait_for(
        lambda: site.value("SELECT status FROM imports_importjob WHERE id = %s", job) == "succeeded"
    )

    # kill -9 the web server: a new gunicorn starts and answers.
    os.kill(first["web"], signal.SIGKILL)
    site.wait_for(lambda: children(serve.pid).get("web") not in (None, first["web"]))
    site.wait_for(lambda: answers(f"{url}/accounts/login/"), timeout=120)

    # SIGTERM to serve: every process it started is gone, and it exits cleanly.
    everything = descendants(serve.pid)
    assert len(everything) >= 4  # gunicorn, its two workers, the worker
    serve.send_signal(signal.SIGTERM)
    output, _ = serve.communicate(timeout=60)
    assert serve.returncode == 0, output
    for pid in everything:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), pid
    assert "worker (pid" in output and "exited with signal SIGKILL" in output
    with translation.override(site_settings.LANGUAGE_CODE):
        assert translation.gettext("KAM has stopped.") in output


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


STOPS = {
    # kill PID, systemd's stop, docker stop: SIGTERM to make alone, which passes it on.
    "SIGTERM to make": (signal.SIGTERM, os.kill),
    # Ctrl+C and a closed terminal signal the whole foreground process group.
    "Ctrl+C": (signal.SIGINT, os.killpg),
    "hang-up": (signal.SIGHUP, os.killpg),
}


@pytest.mark.parametrize("stop", STOPS)
def test_make_run_stops_the_web_server_and_the_worker(site, stop):
    """`make run` itself, on a free port: stopped, it leaves no process behind."""
    seed(site, clients=3, products=2)  # `demo --if-empty` then leaves the database alone
    port = free_port()
    make = subprocess.Popen(
        # -o: never reinstall the virtualenv; the suite's own Python runs the recipes.
        ["make", "-o", ".venv/.installed", "run", f"PY={sys.executable}", f"PORT={port}"],
        env=site.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )
    site.children.append(make)
    site.wait_for(lambda: answers(f"http://127.0.0.1:{port}/accounts/login/"), timeout=180)
    serve = site.wait_for(lambda: _serve(make.pid))[0]
    site.wait_for(lambda: children(serve).keys() >= {"web", "worker"})
    everything = descendants(make.pid)

    signum, send = STOPS[stop]
    send(make.pid, signum)
    output, _ = make.communicate(timeout=90)
    left = [pid for pid in everything if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
    assert not left, output
    with translation.override(site_settings.LANGUAGE_CODE):
        assert translation.gettext("KAM has stopped.") in output


def _serve(pid: int) -> list[int]:
    """The `kam serve` process among make's children."""
    return [
        int(child)
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if b"serve" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
    ]
