"""The supervisor of `kam serve`: back-off between restarts, and stopping whole process groups."""

import os
import sys
import time

from kam.core.supervise import Backoff, Child, Supervisor


def test_the_pause_doubles_on_quick_exits_up_to_a_ceiling_and_starts_over_after_a_good_run():
    backoff = Backoff(first=1, most=8, settle=60)
    assert [backoff.after_exit(0.5) for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    assert backoff.after_exit(60) == 1  # it stayed up: healthy again
    assert backoff.after_exit(59) == 2


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not reaped yet) counts as gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_child_that_exits_is_started_again_after_its_pause():
    said = []
    child = Child("crasher", [sys.executable, "-c", "raise SystemExit(3)"], Backoff(first=5))
    supervisor = Supervisor([child], say=said.append)
    supervisor.tend(now=100)
    first = child.process
    first.wait()
    supervisor.tend(now=101)
    assert child.process is None
    assert (
        said[-1]
        == f"crasher (pid {first.pid}) exited with code 3 after 1.0 s; starting it again in 5 s"
    )
    supervisor.tend(now=105.9)
    assert child.process is None  # still pausing
    supervisor.tend(now=106)
    assert child.process is not None and child.process.pid != first.pid
    child.process.wait()


def test_stopping_ends_each_child_and_what_it_started(tmp_path):
    """A development server's reloader runs the server as its own child: it must go too."""
    record = tmp_path / "grandchild"
    script = f"sleep 60 & echo $! > {record}; wait"
    child = Child("parent", ["sh", "-c", script])
    supervisor = Supervisor([child], say=lambda _: None, grace=10)
    supervisor.tend(now=0)
    deadline = time.monotonic() + 30
    while not (record.exists() and record.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.02)
    grandchild = int(record.read_text())
    assert alive(grandchild)
    supervisor.stop()
    assert child.process.poll() is not None
    deadline = time.monotonic() + 10
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not alive(grandchild)


STUBBORN = """
import pathlib, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path(sys.argv[1]).touch()
time.sleep(60)
"""


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(tmp_path):
    ready = tmp_path / "ready"
    child = Child("stubborn", [sys.executable, "-c", STUBBORN, str(ready)])
    supervisor = Supervisor([child], say=lambda _: None, grace=0.5)
    supervisor.tend(now=0)
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    supervisor.stop()
    assert child.process.returncode == -9
