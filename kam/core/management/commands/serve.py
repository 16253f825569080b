"""Start the web server and one background-task worker together (what `make run` does)."""

import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from kam.core.models import Role, User

DEMO_PASSWORD = "demo"  # the demo company's published password


class Command(BaseCommand):
    help = "Run the development web server and a django-tasks database worker side by side."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nKAM is starting at {url}"))
        self.print_logins()
        worker = subprocess.Popen([sys.executable, "-m", "kam.cli", "db_worker"])
        try:
            # --insecure: serve static files without DEBUG, so users never see debug pages.
            call_command("runserver", f"{host}:{port}", use_reloader=False, insecure_serving=True)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)

    def print_logins(self):
        users = User.objects.filter(is_active=True).order_by("role", "username")
        director = users.filter(username="director").first()
        if director is None or not director.check_password(DEMO_PASSWORD):
            return
        self.stdout.write(f"Demo users, password “{DEMO_PASSWORD}”:")
        labels = dict(Role.choices)
        for user in users:
            role = str(labels.get(user.role, user.role))
            self.stdout.write(f"  {user.username:<12} {role:<30} {user}")
        self.stdout.write("")
