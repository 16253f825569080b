import time
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.commands import KamCommand
from kam.core.jobs import Heartbeat
from kam.core.models import Role, User
from kam.imports.engine import error_report, run_import
from kam.imports.kinds import KINDS
from kam.imports.models import ImportPhase, ImportStatus
from kam.imports.services import import_job_create
from kam.imports.spreadsheets import write_errors

EXIT_BAD_ROWS = 1
EXIT_REFUSED = 2


class ProgressBar:
    """A bar redrawn in place on a terminal; one line per phase when stderr is a file."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream  # a command's OutputWrapper
        self.tty = stream.isatty()
        self.phase, self.drawn_at = None, 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        changed = phase != self.phase
        if not (changed or done == total or (self.tty and now - self.drawn_at >= 0.1)):
            return
        if changed and self.phase and self.tty:
            self.stream.write("")
        self.phase, self.drawn_at = phase, now
        share = done / total if total else 1
        filled = int(self.WIDTH * share)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = f"{ImportPhase(phase).label:<18} [{bar}] {share:4.0%} {done:,}/{total:,}"
        if self.tty:
            self.stream.write("\r" + line, ending="")
        elif changed or done == total:
            self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.phase:
            self.stream.write("")


class Command(KamCommand):
    help = gettext_lazy(  # type: ignore[assignment]  # KamCommand translates it
        "Import a CSV or XLSX file of clients, contacts, products or sales lines. "
        "All or nothing: any bad row and nothing is written; the bad rows are listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as",
            dest="username",
            help=_("Import as this user (default: the first director or superuser)."),
        )
        parser.add_argument(
            "--errors-xlsx",
            type=Path,
            help=_("On failure, write every error to this XLSX file."),
        )

    def handle(self, *args, kind, file, username, errors_xlsx, **options):
        user = self._user(username)
        if not file.is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": file})
        started = time.monotonic()
        with file.open("rb") as handle:
            try:
                job = import_job_create(by=user, kind=kind, uploaded_file=File(handle, file.name))
            except PermissionDenied as denied:
                raise CommandError(str(denied)) from denied
        bar = ProgressBar(self.stderr)
        if job.status == ImportStatus.UPLOADED:
            # A worker of its own: if this process is killed, the sweeper ends the job.
            with Heartbeat(sweep=False):
                job = run_import(job.pk, progress=bar)
        bar.close()
        seconds = time.monotonic() - started
        if job.status == ImportStatus.SUCCEEDED:
            done = _(
                "Imported %(rows)d rows in %(seconds).1f s: created %(created)d, "
                "updated %(updated)d, unchanged %(unchanged)d. Job %(job)d."
            )
            self.stdout.write(
                done
                % {
                    "rows": job.total_rows,
                    "seconds": seconds,
                    "created": job.created_count,
                    "updated": job.updated_count,
                    "unchanged": job.unchanged_count,
                    "job": job.pk,
                }
            )
            return
        if job.status == ImportStatus.REFUSED:
            refused = _("Refused: %(reason)s") % {"reason": job.message}
            raise CommandError(refused, returncode=EXIT_REFUSED)
        if job.status == ImportStatus.FAILED and job.errors:
            self._print_errors(job)
            if errors_xlsx:
                write_errors(error_report(job), str(errors_xlsx))
                self.stdout.write(_("Error report: %(path)s") % {"path": errors_xlsx})
        raise CommandError(job.message, returncode=EXIT_BAD_ROWS)

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(_("No active user “%(name)s”.") % {"name": username})
            return user
        directors = User.objects.filter(Q(role=Role.DIRECTOR) | Q(is_superuser=True))
        user = directors.filter(is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError(_("No director or superuser to import as; use --as USERNAME."))
        return user

    def _print_errors(self, job) -> None:
        self.stdout.write(f"{_('Row'):>8}  {_('Column'):<24}  {_('Value'):<24}  {_('Reason')}")
        for error in job.errors:
            value = "" if error["value"] is None else str(error["value"])
            self.stdout.write(
                f"{error['row']:>8}  {error['column'][:24]:<24}  {value[:24]:<24}  "
                f"{error['reason']}"
            )
        hidden = job.error_count - len(job.errors)
        if hidden > 0:
            more = _("… and %(count)d more errors; use --errors-xlsx for all of them.")
            self.stdout.write(more % {"count": hidden})
