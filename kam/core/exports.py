"""Spreadsheet exports that are safe to open: no cell may be read as a formula (CSV injection).

An export is a function from the request (who asks, which filters) to a :class:`Table`;
:func:`exporter` makes it a view. Small tables are written during the request; a table of more
than KAM_EXPORT_INLINE_ROWS rows is written by a worker (:class:`~kam.core.models.ExportJob`),
its page showing the progress and then a download link.
"""

import csv
import datetime as dt
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from types import SimpleNamespace
from typing import IO, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import xlsxwriter
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files import File
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .jobs import Sweep, current_worker
from .models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value if isinstance(value, (int, float, Decimal)) else str(value))


class _Echo:
    """A file whose write hands the text back: csv.writer then formats one row at a time."""

    def write(self, text: str) -> str:
        return text


CSV_CHUNK = 500  # rows per piece sent: few enough writes, little held at once


def _csv_pieces(header: Sequence[str], rows: Iterable[Sequence], language: str) -> Iterator[str]:
    # The rows are read after the view returned: in the request's language all the same.
    with translation.override(language):
        yield from _csv_lines(header, rows)


def _csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    # Semicolons and a BOM: what Excel in a Russian locale opens correctly by double-click.
    piece = ["\ufeff" + writer.writerow([neutralise(str(h)) for h in header])]
    for row in rows:
        piece.append(writer.writerow([_plain(v) for v in row]))
        if len(piece) >= CSV_CHUNK:
            yield "".join(piece)
            piece = []
    yield "".join(piece)


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """The table as CSV, sent while the rows are read: the whole file is never held, and the
    first bytes leave before the last row is fetched (a 15,000-client export included)."""
    response = StreamingHttpResponse(
        _csv_pieces(header, rows, translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename: str, sheets: Sequence["Sheet"]) -> HttpResponse:
    """A workbook of one table per sheet. An XLSX is a zip completed only when it is closed,
    so it cannot be streamed as it is written; the finished file is sent in one piece
    (compressed, a small fraction of the sheet). Exports too big to write during a request go
    to a worker (:func:`export_response`)."""
    with tempfile.TemporaryFile() as handle:
        write_xlsx(handle, sheets)
        handle.seek(0)
        content = handle.read()
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_EVERY = 1000  # rows between two progress reports


@dataclass
class Sheet:
    name: str
    header: Sequence[str]
    rows: Iterable[Sequence]


Progress = Callable[[int], None]  # rows of the first sheet written so far


def write_xlsx(handle: IO[bytes], sheets: Sequence[Sheet], progress: Progress | None = None):
    """Write the sheets into ``handle`` as one workbook.

    xlsxwriter's constant_memory mode sends each row to a temporary file as it is written, so
    memory does not grow with the rows. ``progress`` hears how many rows of the first sheet are
    written, every PROGRESS_EVERY rows."""
    workbook = xlsxwriter.Workbook(
        handle,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    for number, sheet in enumerate(sheets):
        _write_sheet(workbook, sheet, progress if number == 0 else None)
    workbook.close()


def _write_sheet(workbook, sheet: Sheet, progress: Progress | None) -> None:
    header = sheet.header
    worksheet = workbook.add_worksheet(str(sheet.name)[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#E9ECEF", "border": 1})
    money = workbook.add_format({"num_format": "#,##0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    widths = [len(str(h)) + 2 for h in header]
    worksheet.write_row(0, 0, [str(h) for h in header], bold)
    row_no = 0
    for row_no, row in enumerate(sheet.rows, start=1):
        if progress is not None and row_no % PROGRESS_EVERY == 0:
            progress(row_no)
        for col, value in enumerate(row):
            if value is None or value == "":  # an empty cell needs no write
                continue
            if isinstance(value, Decimal):
                worksheet.write_number(row_no, col, float(value), money)
            elif isinstance(value, bool):
                worksheet.write_boolean(row_no, col, value)
            elif isinstance(value, (int, float)):
                worksheet.write_number(row_no, col, value)
            elif isinstance(value, datetime):
                worksheet.write_string(row_no, col, _plain(value))
            elif isinstance(value, date):
                worksheet.write_datetime(
                    row_no, col, datetime(value.year, value.month, value.day), day
                )
            else:
                text = str(value)
                # write_string never evaluates; the apostrophe keeps the text visibly inert too.
                worksheet.write_string(row_no, col, neutralise(text))
                widths[col] = min(max(widths[col], len(text) + 2), 60)
    for col, width in enumerate(widths):
        worksheet.set_column(col, col, width)
    worksheet.freeze_panes(1, 0)
    if row_no:
        worksheet.autofilter(0, 0, row_no, len(header) - 1)


def dated(stem: str) -> str:
    """A file name stem with today's date: ``clients-2026-12-03``."""
    return f"{stem}-{timezone.localdate().isoformat()}"


class ExportRefused(Exception):
    """A filter an export cannot apply: told to the user as it is (a 400), nothing written."""


@dataclass
class Table:
    """What an export writes: the file's name without its extension, the sheets (the first is
    the page's table) and how many rows the first holds, counted before any is read."""

    filename: str
    sheets: list[Sheet]
    rows: int
    csv: bool = False  # ``?format=csv`` gives the first sheet as CSV


class Asked(Protocol):
    """What an export reads from the request: who asks, and the page's filters. A worker
    writing the export later asks again with the same user and query string."""

    user: Any
    GET: QueryDict


Build = Callable[[Asked], Table]


def exporter(build: Build):
    """The export view of ``build``: XLSX written during the request when the table is small,
    otherwise by a worker (an ExportJob: a page with its progress, then a download link);
    CSV, where offered, is always streamed (:func:`csv_response`)."""

    @login_required
    @wraps(build)
    def view(request):
        return export_response(request, build)

    view.build = build  # type: ignore[attr-defined]
    return view


def export_response(request, build: Build):
    try:
        table = build(request)
    except ExportRefused as refusal:
        return HttpResponseBadRequest(str(refusal), content_type="text/plain; charset=utf-8")
    if table.csv and request.GET.get("format") == "csv":
        first = table.sheets[0]
        return csv_response(f"{table.filename}.csv", first.header, first.rows)
    if table.rows > settings.KAM_EXPORT_INLINE_ROWS:
        job = export_job_create(
            by=request.user,
            build=build,
            query=request.GET.urlencode(),
            table=table,
            back_url=_referer(request),
        )
        return redirect(job)
    return xlsx_response(f"{table.filename}.xlsx", table.sheets)


def _build_path(build: Build) -> str:
    return f"{build.__module__}.{build.__qualname__}"


def _referer(request) -> str:
    """The page the export was asked from, if it is one of ours: the job page links back."""
    referer = request.headers.get("Referer", "")
    parts = urlsplit(referer)
    if not referer or not url_has_allowed_host_and_scheme(
        referer, {request.get_host()}, request.is_secure()
    ):
        return ""
    return urlunsplit(("", "", parts.path, parts.query, ""))[:500]


def export_job_create(
    *, by, build: Build, query: str, table: Table, back_url: str = ""
) -> ExportJob:
    """Queue the export for a worker; the same export with the same filters already waiting
    or being written is that job, not a second one (a double click, a reload)."""
    from .tasks import export_task

    language = translation.get_language() or settings.LANGUAGE_CODE
    name = _build_path(build)
    pending = ExportJob.objects.filter(
        created_by=by,
        name=name,
        query=query,
        language=language,
        status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING],
    ).first()
    if pending is not None:
        return pending
    job = ExportJob.objects.create(
        created_by=by,
        name=name,
        query=query,
        language=language,
        title=str(table.sheets[0].name)[:200],
        back_url=back_url,
        filename=f"{table.filename}.xlsx",
        total_rows=table.rows,
    )
    result = export_task.enqueue(job.pk)
    ExportJob.objects.filter(pk=job.pk).update(task_id=result.id)
    job.refresh_from_db()
    return job


class ExportLost(Exception):
    """The job is no longer this process's: the sweeper ended it (its worker was taken for dead)."""


def run_export(job_id: int) -> None:
    """The task body: write the job's file as its author, with the filters of the page."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), worker=current_worker()
    )
    if not claimed:  # run already, or swept: nothing to do
        return
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    mine = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING, worker=job.worker)
    with translation.override(job.language):
        try:
            _write_job(job, mine)
        except ExportLost:
            return
        except Exception as error:
            logger.exception("export %s failed", job_id)
            mine.update(
                status=ExportStatus.FAILED,
                finished_at=timezone.now(),
                message=_("The export failed: %(error)s") % {"error": error},
            )


def _write_job(job: ExportJob, mine) -> None:
    build = getattr(import_string(job.name), "build", None)
    if build is None:  # only what @exporter made may run: the name is not any callable
        raise ExportRefused(job.name)
    user = job.created_by
    if not user.is_active:
        raise ExportRefused(_("The account that asked for this export is no longer active."))
    table = build(SimpleNamespace(user=user, GET=QueryDict(job.query)))
    mine.update(total_rows=table.rows)
    reported = time.monotonic()

    def progress(done: int) -> None:
        nonlocal reported
        if time.monotonic() - reported >= 1:  # a short write at most once a second
            reported = time.monotonic()
            if not mine.update(processed_rows=min(done, table.rows)):
                raise ExportLost(job.pk)

    filename = f"{table.filename}.xlsx"
    with tempfile.TemporaryFile() as handle:
        write_xlsx(handle, table.sheets, progress)
        handle.seek(0)
        job.file.save(filename, File(handle), save=False)
    done = mine.update(
        status=ExportStatus.SUCCEEDED,
        finished_at=timezone.now(),
        processed_rows=table.rows,
        file=job.file.name,
        filename=filename,
    )
    if not done:  # swept meanwhile: its file is nobody's
        job.file.delete(save=False)


def sweep(state: Sweep) -> int:
    """Exports whose worker is gone are interrupted; files older than KAM_EXPORT_KEEP_DAYS
    go with their jobs (an export is a snapshot to download, not an archive)."""
    interrupted = 0
    running = ExportJob.objects.filter(status=ExportStatus.RUNNING).exclude(worker="")
    for job in running.select_related("created_by"):
        if state.is_orphan(job.worker):
            with translation.override(job.language):
                message = _("The export was interrupted: the process writing it stopped.")
            interrupted += ExportJob.objects.filter(
                pk=job.pk, status=ExportStatus.RUNNING, worker=job.worker
            ).update(status=ExportStatus.INTERRUPTED, finished_at=state.now, message=message)
    cutoff = state.now - dt.timedelta(days=settings.KAM_EXPORT_KEEP_DAYS)
    for job in ExportJob.objects.filter(created_at__lt=cutoff).exclude(
        status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ):
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return interrupted
