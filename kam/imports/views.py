import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.core.jobs import worker_state

from . import services
from .engine import error_report
from .forms import UploadForm
from .kinds import KINDS, kinds_for
from .models import ImportJob, ImportStatus, MappingPreset
from .spreadsheets import write_errors, write_template

SHOWN_ERRORS = 200


def _visible_job(request, pk: int) -> ImportJob:
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by")
    return get_object_or_404(jobs, pk=pk)


def _workbook(write, name: str) -> FileResponse:
    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=name)


@login_required
def import_list(request):
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by")
    page = Paginator(jobs, 50).get_page(request.GET.get("page"))
    context = {"page": page, "can_import": bool(kinds_for(request.user)), "nav": "imports"}
    return render(request, "imports/list.html", context)


@login_required
def import_new(request):
    kinds = kinds_for(request.user)
    if not kinds:
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        job = services.import_job_create(
            by=request.user, kind=form.cleaned_data["kind"], uploaded_file=form.cleaned_data["file"]
        )
        return redirect(job)
    return render(request, "imports/new.html", {"form": form, "kinds": kinds, "nav": "imports"})


@login_required
def import_template(request, kind: str):
    if kind not in KINDS:
        raise Http404
    if not services.can_import(request.user, kind):
        raise PermissionDenied
    return _workbook(lambda out: write_template(KINDS[kind], out), f"{kind}.xlsx")


@login_required
def import_detail(request, pk: int):
    job = _visible_job(request, pk)
    context = _preview_context(request, job) | {"nav": "imports"}
    return render(request, "imports/detail.html", context | _progress_context(request, job))


def _preview_context(request, job: ImportJob) -> dict:
    kind = KINDS[job.kind]
    return {
        "job": job,
        "columns": services.job_columns(job),
        "missing": services.job_missing(job),
        "fields": kind.columns,
        "is_author": job.created_by_id == request.user.pk,
        "can_confirm": job.created_by_id == request.user.pk and services.confirmable(job),
    }


def _progress_context(request, job: ImportJob) -> dict:
    return {
        "job": job,
        "errors": job.errors[:SHOWN_ERRORS],
        "shown_errors": SHOWN_ERRORS,
        "worker": worker_state(job.worker) if not job.is_finished else None,
        "changes": services.job_changes(job, request.user),
        "analytics_url": reverse("insights:overview"),
    }


@login_required
def import_progress(request, pk: int):
    job = _visible_job(request, pk)
    # Polled by HTMX: the status badge in the page header is refreshed out of band.
    context = _progress_context(request, job) | {"refresh_status": True}
    return render(request, "imports/_progress.html", context)


@login_required
@require_POST
def import_remap(request, pk: int):
    """The author's column mapping: the preview is checked again with it (HTMX swaps it in)."""
    job = get_object_or_404(ImportJob.objects.filter(created_by=request.user), pk=pk)
    count = len((job.mapping or {}).get("header", []))
    fields = [request.POST.get(f"column-{position}") or None for position in range(count)]
    htmx = bool(request.headers.get("HX-Request"))
    try:
        services.import_job_remap(by=request.user, job=job, fields=fields)
    except ValidationError as error:  # started in another tab: the whole page shows its state
        messages.error(request, " ".join(error.messages))
        return (
            HttpResponse(headers={"HX-Redirect": job.get_absolute_url()}) if htmx else redirect(job)
        )
    if htmx:
        return render(request, "imports/_preview.html", _preview_context(request, job))
    return redirect(job)


@login_required
@require_POST
def import_preset_save(request, pk: int):
    job = get_object_or_404(ImportJob.objects.filter(created_by=request.user), pk=pk)
    try:
        preset = services.preset_save(by=request.user, job=job, name=request.POST.get("name", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Mapping “%(name)s” saved: files with the same columns are mapped like this.")
            % {"name": preset.name},
        )
    return redirect(job)


@login_required
@require_POST
def import_delete(request, pk: int):
    job = _visible_job(request, pk)
    try:
        services.import_job_delete(by=request.user, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(job)
    messages.success(request, _("Import “%(name)s” deleted.") % {"name": job.original_name})
    return redirect("imports:list")


@login_required
def preset_list(request):
    if not kinds_for(request.user):
        raise PermissionDenied
    presets = MappingPreset.objects.visible_to(request.user).select_related("created_by")
    return render(request, "imports/presets.html", {"presets": presets, "nav": "imports"})


@login_required
@require_POST
def preset_delete(request, pk: int):
    preset = get_object_or_404(MappingPreset.objects.visible_to(request.user), pk=pk)
    services.preset_delete(by=request.user, preset=preset)
    messages.success(request, _("Mapping “%(name)s” deleted.") % {"name": preset.name})
    return redirect("imports:presets")


@login_required
@require_POST
def import_confirm(request, pk: int):
    return _start(request, pk, services.import_job_confirm)


@login_required
@require_POST
def import_retry(request, pk: int):
    return _start(request, pk, services.import_job_retry)


def _start(request, pk: int, service):
    # Only the author starts an import: their rights apply and the audit names them.
    job = get_object_or_404(ImportJob.objects.filter(created_by=request.user), pk=pk)
    try:
        service(by=request.user, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(job)


@login_required
def import_errors_xlsx(request, pk: int):
    job = _visible_job(request, pk)
    if job.status != ImportStatus.FAILED or not job.errors:
        raise Http404
    report = error_report(job)
    return _workbook(lambda out: write_errors(report, out), f"errors-{job.pk}.xlsx")
