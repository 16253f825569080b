"""The imports' part of the sweeper (kam.core.jobs): jobs whose worker is gone, and half-written
batches of sales lines nobody is writing any more."""

import datetime as dt

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from kam.core.jobs import Sweep
from kam.sales.models import SalesBatch

from .models import ImportJob, ImportStatus


def sweep(state: Sweep) -> int:
    interrupted = _interrupt_orphans(state) + _interrupt_lost_tasks(state)
    _settle_batches(state)
    _expire_previews(state)
    return interrupted


def _expire_previews(state: Sweep) -> None:
    """Uploads left awaiting confirmation for KAM_IMPORT_PREVIEW_DAYS go, with their files."""
    cutoff = state.now - dt.timedelta(days=settings.KAM_IMPORT_PREVIEW_DAYS)
    for job in ImportJob.objects.filter(status=ImportStatus.UPLOADED, created_at__lt=cutoff):
        # Only if still unconfirmed: a confirmation meanwhile wins.
        deleted, _rows = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.UPLOADED).delete()
        if deleted and job.file:
            job.file.delete(save=False)


def _interrupt_orphans(state: Sweep) -> int:
    interrupted = 0
    running = ImportJob.objects.filter(status=ImportStatus.RUNNING).exclude(worker="")
    for job in running.select_related("created_by"):
        if not state.is_orphan(job.worker):
            continue
        seen = state.last_seen(job.worker)
        with translation.override(job.created_by.language or settings.LANGUAGE_CODE):
            if seen is None:
                message = _(
                    "The import was interrupted: the process running it stopped. "
                    "Nothing was saved; you can run it again."
                )
            else:
                message = _(
                    "The import was interrupted: the process running it stopped "
                    "(last sign of life at %(time)s). Nothing was saved; you can run it again."
                ) % {"time": formats.date_format(timezone.localtime(seen), "DATETIME_FORMAT")}
        # Only if it is still that worker's: a second sweeper, or the job finishing, wins.
        interrupted += ImportJob.objects.filter(
            pk=job.pk, status=ImportStatus.RUNNING, worker=job.worker
        ).update(status=ImportStatus.INTERRUPTED, phase="", finished_at=state.now, message=message)
    return interrupted


def _interrupt_lost_tasks(state: Sweep) -> int:
    """Queued jobs whose task ended without running them (its worker died before claiming)."""
    queued = dict(
        ImportJob.objects.filter(status=ImportStatus.QUEUED)
        .exclude(task_id="")
        .values_list("task_id", "pk")
    )
    if not queued or "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]:
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    ended = DBTaskResult.objects.filter(
        id__in=list(queued),
        status__in=[TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL],
    ).values_list("id", flat=True)
    lost = [queued[str(task)] for task in ended]
    message = _("The import was interrupted before it started. Nothing was saved; run it again.")
    return ImportJob.objects.filter(pk__in=lost, status=ImportStatus.QUEUED).update(
        status=ImportStatus.INTERRUPTED, finished_at=state.now, message=message
    )


def _settle_batches(state: Sweep) -> None:
    """Published batches are folded (harmless beside their own worker folding them too);
    unpublished ones are discarded once no live process writes them."""
    for batch in SalesBatch.objects.select_related("job"):
        if batch.published:
            batch.fold()
            continue
        job = getattr(batch, "job", None)
        if (
            job is not None
            and job.status == ImportStatus.RUNNING
            and not state.is_orphan(job.worker)
        ):
            continue  # still being written
        batch.discard()
