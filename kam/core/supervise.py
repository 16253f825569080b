"""Keep a few processes running: what `kam serve` does with the web server and the worker.

A child that exits is started again after a pause that doubles on each quick exit (a child that
crashes at start must not spin) and starts over once the child has stayed up a while. Each child
runs in its own process group, so stopping it reaches everything it started (the development
server's reloader, gunicorn's workers); SIGTERM, SIGINT or SIGHUP to the supervisor stops them all.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Seconds to wait before starting a child again, given how long it ran."""

    first: float = 1.0
    most: float = 60.0
    #: A child that ran at least this long is healthy: its next restart waits ``first`` again.
    settle: float = 60.0
    _next: float = field(default=0.0, init=False)

    def after_exit(self, uptime: float) -> float:
        if uptime >= self.settle or not self._next:
            self._next = self.first
        delay = self._next
        self._next = min(self._next * 2, self.most)
        return delay


@dataclass
class Child:
    name: str
    argv: list[str]
    backoff: Backoff = field(default_factory=Backoff)
    process: subprocess.Popen | None = None
    started: float = 0.0
    due: float = 0.0  # when to start it (again)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if the supervisor is killed (kill -9): never an orphan."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(
        self,
        children: list[Child],
        *,
        say: Callable[[str], None],
        grace: float = 30.0,
        poll: float = 0.2,
    ):
        self.children = children
        self.say = say
        self.grace = grace  # seconds a child gets to stop before it is killed
        self.poll = poll
        self.stopping = threading.Event()

    def run(self) -> None:
        """Start every child and keep them running until SIGTERM/SIGINT (or ``stopping`` is set)."""
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(signum, lambda *_: self.stopping.set())
        try:
            while not self.stopping.is_set():
                self.tend(time.monotonic())
                self.stopping.wait(self.poll)
        finally:
            self.stop()

    def tend(self, now: float) -> None:
        for child in self.children:
            if child.process is not None and (code := child.process.poll()) is not None:
                uptime = now - child.started
                delay = child.backoff.after_exit(uptime)
                self.say(
                    f"{child.name} (pid {child.process.pid}) exited with {describe(code)} after "
                    f"{uptime:.1f} s; starting it again in {delay:g} s"
                )
                _signal_group(child.process, signal.SIGKILL)  # what it left: gunicorn's workers
                child.process, child.due = None, now + delay
            if child.process is None and now >= child.due and not self.stopping.is_set():
                self.start(child, now)

    def start(self, child: Child, now: float) -> None:
        child.process = subprocess.Popen(
            child.argv, start_new_session=True, preexec_fn=_die_with_parent
        )
        child.started = now
        self.say(f"{child.name} started (pid {child.process.pid})")

    def stop(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        # Whatever a child left behind in its group (a reloader's child) goes too.
        for child in self.children:
            if child.process is not None:
                _signal_group(child.process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def describe(returncode: int) -> str:
    if returncode < 0:
        return f"signal {signal.Signals(-returncode).name}"
    return f"code {returncode}"
