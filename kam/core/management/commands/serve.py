"""`kam serve`: the web server and one background worker, both kept running (what `make run` does).

The web server is gunicorn (kam/gunicorn_conf.py) with static files by WhiteNoise; with --dev it
is Django's auto-reloading development server instead. The worker is `kam worker`. Either one that
exits is started again with back-off (kam.core.supervise); SIGTERM or Ctrl+C stops both.
"""

import sys

from django.core.management import call_command
from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.commands import KamCommand
from kam.core.models import Role, User
from kam.core.supervise import Child, Supervisor

DEMO_PASSWORD = "demo"  # the demo company's published password


def children(host: str, port: str, *, dev: bool) -> list[Child]:
    kam = [sys.executable, "-m", "kam.cli"]
    if dev:
        # --insecure: static files without DEBUG, so users never see debug pages.
        web = [*kam, "runserver", f"{host}:{port}", "--insecure"]
    else:
        config = ["--config", "python:kam.gunicorn_conf", "--bind", f"{host}:{port}"]
        web = [sys.executable, "-m", "gunicorn", *config]
    return [Child("web", web), Child("worker", [*kam, "worker"])]


class Command(KamCommand):
    help = gettext_lazy(  # type: ignore[assignment]  # KamCommand translates it
        "Run the web server (gunicorn) and a background worker, restarting either if it exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument(
            "--dev",
            action="store_true",
            help=_("Django's development server, reloading on code changes."),
        )

    def handle(self, *args, host, port, dev, **options):
        if not dev:
            call_command("collectstatic", interactive=False, verbosity=0)
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS("\n" + _("KAM is starting at %(url)s") % {"url": url}))
        self.print_logins()
        connections.close_all()  # the children open their own
        Supervisor(children(host, port, dev=dev), say=self.say).run()
        self.stdout.write(_("KAM has stopped."))

    def say(self, message: str) -> None:
        self.stderr.write(f"[kam serve] {message}")
        self.stderr.flush()

    def print_logins(self):
        users = User.objects.filter(is_active=True).order_by("role", "username")
        director = users.filter(username="director").first()
        if director is None or not director.check_password(DEMO_PASSWORD):
            return
        self.stdout.write(_("Demo users, password “%(password)s”:") % {"password": DEMO_PASSWORD})
        labels = dict(Role.choices)
        for user in users:
            role = str(labels.get(user.role, user.role))
            self.stdout.write(f"  {user.username:<12} {role:<30} {user}")
        self.stdout.write("", ending="\n")
        self.stdout.flush()
