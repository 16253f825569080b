"""`kam recompute`: analyse all sales lines and replace every client's analytics snapshot."""

import time

from django.utils.translation import gettext_lazy

from kam.core.commands import KamCommand
from kam.core.jobs import Heartbeat
from kam.keyprofile.services import recompute_and_rescore


class Command(KamCommand):
    help = gettext_lazy(  # type: ignore[assignment]  # KamCommand translates it
        "Recompute every client's analytics and key-client score from all sales lines: ABC-XYZ, "
        "RFM, risk and lifetime value, then the score against the key-client profile."
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
