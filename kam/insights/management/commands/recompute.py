"""`kam recompute`: analyse all sales lines and replace every client's analytics snapshot."""

import time

from django.core.management.base import BaseCommand

from kam.core.jobs import Heartbeat
from kam.keyprofile.services import recompute_and_rescore


class Command(BaseCommand):
    help = (
        "Recompute ABC-XYZ, RFM, risk and lifetime value of every client from all sales lines, "
        "then score every client against the key-client profile."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()

        def progress(step: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:7.2f} s] {step}")

        with Heartbeat(sweep=False):  # killed midway, the run is swept as failed
            run = recompute_and_rescore(progress=progress)
        self.stdout.write(
            f"status: {run.status}; as of: {run.as_of or '—'}; "
            f"clients: {run.clients:,}; sales lines: {run.lines:,}"
        )
        if run.model_error:
            self.stdout.write(self.style.WARNING(f"models: {run.model_error}"))
        for step, seconds in run.timings.items():
            self.stdout.write(f"  {step:<24}{seconds:>9.3f} s")
        self.stdout.write(
            self.style.SUCCESS(f"done in {time.perf_counter() - started:.2f} s (run {run.pk})")
        )
