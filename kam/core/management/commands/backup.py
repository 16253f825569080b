"""`kam backup [--output FILE]`: the database and the uploaded files in one archive."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.backup import BackupError, backup
from kam.core.commands import KamCommand


class Command(KamCommand):
    help = gettext_lazy(  # type: ignore[assignment]  # KamCommand translates it
        "Back up the database and the uploaded files into one archive (safe while KAM runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help=_("The archive to write (default: var/backups/kam-<time>.tar.gz)."),
        )

    def handle(self, *args, output, **options):
        try:
            result = backup(output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            _("Backup written to %(path)s: %(tables)d tables, %(rows)d rows, %(files)d files.")
            % {
                "path": result.path,
                "tables": len(manifest["tables"]),
                "rows": rows,
                "files": len(manifest["files"]) - 1,
            }
        )
