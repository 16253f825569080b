"""The analytics' part of the sweeper (kam.core.jobs): a recompute whose worker died is failed,
so the page stops saying it is running and the director can start another."""

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kam.core.jobs import Sweep

from .models import AnalyticsRun, RunStatus


def sweep(state: Sweep) -> int:
    failed = 0
    running = AnalyticsRun.objects.filter(status=RunStatus.RUNNING).exclude(worker="")
    for run in running:
        if not state.is_orphan(run.worker):
            continue
        seen = state.last_seen(run.worker)
        # The run row holds no user language; the error is stored in the site's language.
        error = _("The recompute was interrupted: the process running it stopped.")
        if seen is not None:
            error += " " + _("Last sign of life at %(time)s.") % {
                "time": formats.date_format(timezone.localtime(seen), "DATETIME_FORMAT")
            }
        failed += AnalyticsRun.objects.filter(
            pk=run.pk, status=RunStatus.RUNNING, worker=run.worker
        ).update(status=RunStatus.FAILED, finished_at=state.now, error=error)
    return failed
