"""Every state change of an import job goes through these functions: views and the CLI call them."""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from . import engine
from .columns import Mapping, needed
from .kinds import KINDS
from .models import ImportJob, ImportStatus
from .reading import RefusedFile, check_size
from .tasks import import_task


def can_import(user, kind: str) -> bool:
    return kind in KINDS and KINDS[kind].may_import(user)


def import_job_create(*, by, kind: str, uploaded_file: File) -> ImportJob:
    """Store the file and read its head: a job awaiting confirmation, or a refused one.

    A refused file is not kept; the job keeps the reason.
    """
    if not can_import(by, kind):
        raise PermissionDenied(_("You may not import this kind of data."))
    assert uploaded_file.name is not None  # an upload always has a name
    name = Path(uploaded_file.name).name[:255]
    job = ImportJob(kind=kind, created_by=by, original_name=name)
    try:
        check_size(uploaded_file.size)
        job.file.save(name, uploaded_file, save=False)
        job.mapping = engine.preview(KINDS[kind], Path(job.file.path))
    except RefusedFile as refusal:
        if job.file:
            job.file.delete(save=False)
        job.status, job.message = ImportStatus.REFUSED, str(refusal)
        job.finished_at = timezone.now()
    else:
        job.message = mapping_problem(job)
    job.save()
    return job


def mapping_problem(job: ImportJob) -> str:
    """What keeps the job's columns from being imported, or ""."""
    if not job.mapping:
        return ""
    return Mapping.from_json(job.mapping).problem(KINDS[job.kind].columns)


def confirmable(job: ImportJob) -> bool:
    return job.status == ImportStatus.UPLOADED and not mapping_problem(job)


def import_job_confirm(*, by, job: ImportJob) -> ImportJob:
    """Queue the import; the author confirms, with their rights of the moment."""
    if job.created_by_id != by.pk or not can_import(by, job.kind):
        raise PermissionDenied(_("You may not import this kind of data."))
    if not confirmable(job):
        raise ValidationError(_("This import cannot be started."))
    # The status guard makes a double click or a second tab start the import once.
    if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.UPLOADED).update(
        status=ImportStatus.QUEUED
    ):
        raise ValidationError(_("This import has already been started."))
    _enqueue(job)
    job.refresh_from_db()
    return job


def import_job_retry(*, by, job: ImportJob) -> ImportJob:
    """Queue an interrupted (or unexpectedly failed) import again; only its author may."""
    if job.created_by_id != by.pk or not can_import(by, job.kind):
        raise PermissionDenied(_("You may not import this kind of data."))
    if not job.can_retry:
        raise ValidationError(_("This import cannot be run again."))
    again = ImportJob.objects.filter(
        pk=job.pk,
        status__in=[ImportStatus.INTERRUPTED, ImportStatus.FAILED],
        error_count=0,
        sales_batch__isnull=True,
    ).update(
        status=ImportStatus.QUEUED,
        phase="",
        message="",
        worker="",
        started_at=None,
        finished_at=None,
        processed_rows=0,
        created_count=0,
        updated_count=0,
        unchanged_count=0,
    )
    if not again:  # a second click, or the job changed meanwhile
        raise ValidationError(_("This import has already been started."))
    _enqueue(job)
    job.refresh_from_db()
    return job


def _enqueue(job: ImportJob) -> None:
    result = import_task.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=result.id)


def job_columns(job: ImportJob) -> list[dict]:
    """Each header of the file and the field it was taken for (None: ignored)."""
    if not job.mapping:
        return []
    mapping = Mapping.from_json(job.mapping)
    labels = _labels(job)
    return [
        {"header": header, "label": labels.get(name), "repeated": header in mapping.repeated}
        for header, name in zip(mapping.header, mapping.fields, strict=True)
    ]


def job_missing(job: ImportJob) -> list[str]:
    """Labels of the required columns the file lacks."""
    return needed(KINDS[job.kind].columns, (job.mapping or {}).get("missing", []), quote=False)


def _labels(job: ImportJob) -> dict[str | None, Promise]:
    """Column labels of the job's kind by field name; an ignored header (None) has none."""
    return {c.field: c.label for c in KINDS[job.kind].columns}
