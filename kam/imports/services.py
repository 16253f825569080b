"""Every state change of an import job goes through these functions: views and the CLI call them."""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from . import engine
from .columns import Mapping, needed, signature
from .kinds import KINDS
from .models import ImportJob, ImportKind, ImportStatus, MappingPreset
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
        path = Path(job.file.path)
        job.mapping = engine.preview(KINDS[kind], path, by)
        preset = MappingPreset.objects.filter(
            kind=kind, signature=signature(job.mapping["header"])
        ).first()
        if preset is not None:  # this file's shape has been mapped before: map it the same way
            job.mapping = engine.preview(KINDS[kind], path, by, preset.fields)
            job.mapping["preset"] = preset.name
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


def import_job_remap(*, by, job: ImportJob, fields: list[str | None]) -> ImportJob:
    """The author's own mapping (one field or None per file column); the first rows are checked
    again with it."""
    _own_pending(by, job)
    job.mapping = engine.preview(KINDS[job.kind], Path(job.file.path), by, fields)
    job.message = mapping_problem(job)
    _save_pending(job, "mapping", "message")
    return job


def _own_pending(by, job: ImportJob) -> None:
    if job.created_by_id != by.pk or not can_import(by, job.kind):
        raise PermissionDenied(_("You may not import this kind of data."))
    if job.status != ImportStatus.UPLOADED:
        raise ValidationError(_("This import has already been started."))


def _save_pending(job: ImportJob, *names: str) -> None:
    """Save while the job still awaits confirmation: a job confirmed meanwhile (another tab)
    runs with the mapping it was confirmed with."""
    values = {name: getattr(job, name) for name in names}
    if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.UPLOADED).update(**values):
        raise ValidationError(_("This import has already been started."))


def preset_save(*, by, job: ImportJob, name: str) -> MappingPreset:
    """Save the job's mapping under ``name`` for files with the same headers; one preset per
    header shape, so saving again replaces it."""
    _own_pending(by, job)
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the mapping a name."))
    header = job.mapping["header"]
    preset, _created = MappingPreset.objects.update_or_create(
        kind=job.kind,
        signature=signature(header),
        defaults={
            "name": name[:100],
            "header": header,
            "fields": job.mapping["fields"],
            "created_by": by,
        },
    )
    job.mapping["preset"] = preset.name
    _save_pending(job, "mapping")
    return preset


def preset_delete(*, by, preset: MappingPreset) -> None:
    """Its author or a director removes a preset; files already mapped keep their mapping."""
    if preset.created_by_id != by.pk and not by.is_director:
        raise PermissionDenied(_("Only its author or a director may delete a saved mapping."))
    preset.delete()


def import_job_delete(*, by, job: ImportJob) -> None:
    """Cancel an import awaiting confirmation, or remove one that saved nothing, with its file.
    Its author or a director may."""
    if job.created_by_id != by.pk and not by.is_director:
        raise PermissionDenied(_("Only its author or a director may delete an import."))
    # The status guard: a job confirmed in another tab meanwhile is not deleted under its worker.
    deleted, _rows = ImportJob.objects.filter(
        pk=job.pk,
        status__in=[
            ImportStatus.UPLOADED,
            ImportStatus.FAILED,
            ImportStatus.REFUSED,
            ImportStatus.INTERRUPTED,
        ],
        sales_batch__isnull=True,
    ).delete()
    if not deleted:
        raise ValidationError(_("This import has started and can no longer be deleted."))
    if job.file:
        job.file.delete(save=False)


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
    """Each header of the file, its position and the field it is taken for (None: ignored)."""
    if not job.mapping:
        return []
    mapping = Mapping.from_json(job.mapping)
    labels = _labels(job)
    return [
        {
            "position": position,
            "header": header,
            "field": name,
            "label": labels.get(name),
            "repeated": name in mapping.repeated,
        }
        for position, (header, name) in enumerate(zip(mapping.header, mapping.fields, strict=True))
    ]


def job_missing(job: ImportJob) -> list[str]:
    """Labels of the required columns the file lacks."""
    return needed(KINDS[job.kind].columns, (job.mapping or {}).get("missing", []), quote=False)


def _labels(job: ImportJob) -> dict[str | None, Promise]:
    """Column labels of the job's kind by field name; an ignored header (None) has none."""
    return {c.field: c.label for c in KINDS[job.kind].columns}


SHOWN_CHANGES = 50


def job_changes(job: ImportJob, user) -> dict:
    """What a finished import changed, as ``user`` may see it: the objects to link to (at most
    SHOWN_CHANGES of them) and how many there are."""
    from kam.clients.models import Client, Contact  # the result page links to other apps
    from kam.sales.models import Product

    if job.status != ImportStatus.SUCCEEDED:
        return {}
    if job.kind == ImportKind.SALES:
        clients = Client.objects.filter(pk__in=job.touched.get("clients", []))
    else:
        model = {
            ImportKind.CLIENTS: Client,
            ImportKind.CONTACTS: Contact,
            ImportKind.PRODUCTS: Product,
        }[ImportKind(job.kind)]
        # The history records the import wrote: its reason, its author, its time (engine._run).
        ids = model.audit.filter(  # type: ignore[attr-defined]
            history_change_reason=f"import {job.original_name}",
            history_user=job.created_by,
            history_date__range=(job.started_at, job.finished_at),
        ).values("id")
        if model is Product:
            return _shown("products", Product.objects.filter(pk__in=ids).order_by("name"))
        if model is Contact:  # a contact is shown on its client's page
            clients = Client.objects.filter(contacts__in=ids).distinct()
        else:
            clients = Client.objects.filter(pk__in=ids)
    return _shown("clients", clients.visible_to(user).order_by("name"))


def _shown(what: str, objects) -> dict:
    return {"what": what, "objects": list(objects[:SHOWN_CHANGES]), "count": objects.count()}
