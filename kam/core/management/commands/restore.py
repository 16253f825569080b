"""`kam restore FILE [--force]`: a `kam backup` archive back into the database and media."""

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.backup import BackupError, restore
from kam.core.commands import KamCommand


class Command(KamCommand):
    help = gettext_lazy(  # type: ignore[assignment]  # KamCommand translates it
        "Restore a backup archive, checking it first; then apply newer migrations. Stop the web "
        "server and the workers before."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The archive `kam backup` wrote."))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Replace a database that already holds data."),
        )

    def handle(self, *args, file, force, **options):
        try:
            manifest = restore(file, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Restored the backup of %(created)s (KAM %(version)s); applying migrations…")
            % {"created": manifest["created"], "version": manifest["kam_version"]}
        )
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        self.stdout.write(_("Restore complete."))
