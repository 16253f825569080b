"""The import engine: read the file, check every row, then write everything or nothing (R40).

``run_import`` is the task body and what the ``import_data`` command calls directly.

Reading and checking write nothing. Writing holds the database's write lock only briefly: a
kind prepares its changes first and writes them in one short transaction, or, for sales lines,
in many short ones that readers cannot see until the last (kam.imports.staging). Every write
transaction starts with the job's *fence*: the job must still be running under this process,
or the sweeper has ended it (its worker was taken for dead) and this process stops writing.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.core.jobs import current_worker

from .columns import Mapping
from .kinds import KINDS
from .kinds.base import ERROR_SCHEMA, Context, Counts, Kind, no_errors
from .models import ImportJob, ImportKind, ImportPhase, ImportStatus
from .reading import EXTRA, ROW, RefusedFile, Table, read_table

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 10
ERRORS_KEPT = 1000
CHUNK_ROWS = 200_000  # rows parsed between two progress reports

Callback = Callable[[str, int, int], None]  # phase, rows done, rows in all


@dataclass
class Checked:
    ctx: Context
    plan: object
    errors: pl.DataFrame
    total: int


class JobLost(Exception):
    """The job is no longer this process's to run: the sweeper marked it interrupted."""


class Tracker:
    """Progress to the command's callback, and to the job row in short writes of its own, at
    most once a second while reading and checking; while writing, the fence records it."""

    def __init__(self, job_id: int, worker: str, callback: Callback | None = None):
        self.job_id, self.worker, self.callback = job_id, worker, callback
        self.phase: str | None = None
        self.saved_at = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.callback:
            self.callback(phase, done, total)
        now = time.monotonic()
        if phase == self.phase and now - self.saved_at < 1:
            return
        self.phase, self.saved_at = phase, now
        self._mine().update(phase=phase, processed_rows=done, total_rows=total)

    def fence(self, done: int, total: int) -> None:
        """First statement of each write transaction: progress, and proof the job is ours."""
        if self.callback:
            self.callback(ImportPhase.WRITING, done, total)
        if not self._mine().update(
            phase=ImportPhase.WRITING, processed_rows=done, total_rows=total
        ):
            raise JobLost(self.job_id)

    def _mine(self):
        return ImportJob.objects.filter(
            pk=self.job_id, status=ImportStatus.RUNNING, worker=self.worker
        )


def preview(kind: Kind, path: Path, user, fields: list | None = None) -> dict:
    """The mapping (guessed, or ``fields`` as chosen), the first rows and their errors, for the
    page that asks for confirmation; the first rows are checked as the import will check them."""
    table = read_table(path, limit=PREVIEW_ROWS)
    mapping = _mapping(kind, table.header, fields)
    rows = table.rows.select(ROW, *table.cells).rows()
    errors: list[dict] = []
    if not mapping.problem(kind.columns):
        checked = _check_table(kind, table, mapping.fields, user, reason="", progress=_quiet)
        errors = checked.errors.select("row", "column", "value", "reason").to_dicts()
    return mapping.as_json() | {"preview": [list(row) for row in rows], "preview_errors": errors}


def _mapping(kind: Kind, header: list[str], fields: list | None) -> Mapping:
    if fields is None:
        return Mapping.build(kind.columns, header)
    return Mapping.chosen(kind.columns, header, fields)


def _quiet(phase: str, done: int, total: int) -> None:
    pass


def check(
    kind: Kind, path: Path, user, *, reason: str, progress: Callback, fields: list | None = None
) -> Checked:
    """Read and check the whole file without writing anything, mapped as ``fields`` say (the
    mapping confirmed in the preview) or as guessed."""
    return _check_table(kind, read_table(path), fields, user, reason=reason, progress=progress)


def _check_table(
    kind: Kind, table: Table, fields: list | None, user, *, reason: str, progress: Callback
) -> Checked:
    mapping = _mapping(kind, table.header, fields)
    problem = mapping.problem(kind.columns)
    if problem:
        raise RefusedFile(problem)
    ctx = Context(user=user, mapping=mapping, reason=reason)
    rows, errors = _parse(kind, table, ctx, progress)
    total = table.rows.height
    del table  # the raw cells are not needed any more: free them before planning
    plan, found = kind.plan(rows, ctx)
    errors = pl.concat([errors, found]).sort(["row", "pos"], maintain_order=True)
    return Checked(ctx=ctx, plan=plan, errors=errors, total=total)


def _parse(kind: Kind, table: Table, ctx: Context, progress: Callback):
    """Every cell through its column's parser, in chunks so the page can show progress."""
    mapping, total = ctx.mapping, table.rows.height
    present = [c for c in kind.columns if c.field in mapping.present]
    required = _("A value is required.")
    values, errors = [], [no_errors()]
    for offset in range(0, total, CHUNK_ROWS):
        chunk = table.rows.slice(offset, CHUNK_ROWS)
        parsed = [chunk[ROW]]
        for column in present:
            cell = chunk[f"c{mapping.position(column.field)}"]
            result = column.parse(cell)
            found = pl.DataFrame({ROW: chunk[ROW], "raw": cell, "reason": result.error})
            if column.required and not column.alternatives:  # the kind checks alternatives
                missing = pl.when(pl.col("raw").is_null()).then(pl.lit(required))
                found = found.with_columns(reason=missing.otherwise(pl.col("reason")))
            bad = pl.col("reason").is_not_null()
            errors.append(ctx.flag(found, bad, column.field, pl.col("reason"), pl.col("raw")))
            parsed.append(result.value.alias(column.field))
        if EXTRA in chunk.columns:
            errors.append(
                chunk.filter(pl.col(EXTRA).is_not_null()).select(
                    row=pl.col(ROW),
                    pos=pl.lit(len(mapping.header), dtype=pl.Int64),
                    column=pl.lit(_("(after the last column)")),
                    value=pl.col(EXTRA),
                    reason=pl.lit(_("More values than there are column headers.")),
                )
            )
        values.append(pl.DataFrame(parsed))
        progress(ImportPhase.CHECKING, offset + chunk.height, total)
    return pl.concat(values), pl.concat(errors)


def run_import(job_id: int, progress: Callback | None = None) -> ImportJob:
    """Run an uploaded or queued import to its end; a job already taken is left alone."""
    worker = current_worker()
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportStatus.UPLOADED, ImportStatus.QUEUED]
    ).update(
        status=ImportStatus.RUNNING,
        started_at=timezone.now(),
        phase=ImportPhase.READING,
        worker=worker,
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job  # a retried or duplicated task must not import twice
    author = job.created_by
    tracker = Tracker(job.pk, worker, progress)
    with translation.override(author.language or settings.LANGUAGE_CODE):
        try:
            _run(job, tracker)
        except JobLost:
            logger.warning("import %s was ended by the sweeper; stopped writing", job.pk)
        except RefusedFile as refusal:
            _finish(tracker, ImportStatus.REFUSED, message=str(refusal))
        except Exception:
            logger.exception("import %s failed", job.pk)
            message = _("The import stopped on an unexpected error; nothing was saved.")
            _finish(tracker, ImportStatus.FAILED, message=message)
    job.refresh_from_db()
    return job


def _run(job: ImportJob, tracker: Tracker) -> None:
    kind = KINDS[job.kind]
    if not kind.may_import(job.created_by):
        raise RefusedFile(_("You may not import this kind of data."))
    checked = check(
        kind,
        Path(job.file.path),
        job.created_by,
        reason=f"import {job.original_name}",
        progress=tracker,
        fields=job.mapping.get("fields"),
    )
    summary = {
        "mapping": job.mapping | checked.ctx.mapping.as_json(),
        "total_rows": checked.total,
        "processed_rows": checked.total,
    }
    if checked.errors.height:
        bad_rows = checked.errors["row"].n_unique()
        message = ngettext(
            "%(count)d row has errors; nothing was imported.",
            "%(count)d rows have errors; nothing was imported.",
            bad_rows,
        ) % {"count": bad_rows}
        kept = checked.errors.head(ERRORS_KEPT).select("row", "column", "value", "reason")
        _finish(
            tracker,
            ImportStatus.FAILED,
            message=message,
            error_count=checked.errors.height,
            errors=kept.to_dicts(),
            **summary,
        )
        return
    tracker(ImportPhase.WRITING, 0, checked.total)

    def finish(counts: Counts) -> None:
        # Inside the last write transaction: a job never says "imported" for rolled-back rows.
        _finish(
            tracker,
            ImportStatus.SUCCEEDED,
            created_count=counts.created,
            updated_count=counts.updated,
            unchanged_count=counts.unchanged,
            touched=kind.touched(checked.plan),
            **summary,
        )

    ctx = checked.ctx
    ctx.fence, ctx.finish, ctx.job_id, ctx.progress = tracker.fence, finish, job.pk, tracker
    kind.write(checked.plan, ctx)
    if job.kind == ImportKind.SALES:
        _enqueue_recompute(job)


def _enqueue_recompute(job: ImportJob) -> None:
    """New sales change every client's classes: queue an analytics recompute (kam.insights)."""
    from kam.insights.tasks import recompute_task  # insights reads sales; imports only nudges it

    try:
        recompute_task.enqueue(job.created_by_id)
    except Exception:  # the import has committed; a failed recompute must not undo its status
        logger.exception("could not recompute analytics after import %s", job.pk)


def _finish(tracker: Tracker, status: str, **fields) -> None:
    """The job's outcome, if the job is still this process's (else the sweeper's word stands)."""
    tracker._mine().update(status=status, phase="", finished_at=timezone.now(), **fields)


def error_report(job: ImportJob) -> pl.DataFrame:
    """Every error of a failed job: the stored ones, or all of them checked again."""
    if job.error_count <= len(job.errors) or not job.file:
        schema = {name: ERROR_SCHEMA[name] for name in ("row", "column", "value", "reason")}
        return pl.DataFrame(job.errors, schema=schema)
    with translation.override(job.created_by.language or settings.LANGUAGE_CODE):
        checked = check(
            KINDS[job.kind],
            Path(job.file.path),
            job.created_by,
            reason="",
            progress=_quiet,
            fields=job.mapping.get("fields"),
        )
    return checked.errors.select("row", "column", "value", "reason")
