from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CLIENTS = "clients", _("Clients")
    CONTACTS = "contacts", _("Contacts")
    PRODUCTS = "products", _("Products")
    SALES = "sales", _("Sales lines")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Awaiting confirmation")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Imported")
    FAILED = "failed", _("Rejected: errors in rows")
    REFUSED = "refused", _("Refused: unreadable file")
    INTERRUPTED = "interrupted", _("Interrupted: nothing saved")


FINISHED = {
    ImportStatus.SUCCEEDED,
    ImportStatus.FAILED,
    ImportStatus.REFUSED,
    ImportStatus.INTERRUPTED,
}


class ImportPhase(models.TextChoices):
    READING = "reading", _("Reading the file")
    CHECKING = "checking", _("Checking rows")
    WAITING = "waiting", _("Waiting for another sales import to finish")
    WRITING = "writing", _("Saving")


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        # An import file may hold any client's data: only its author and directors see it.
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self if user.is_director else self.filter(created_by=user)


class ImportJob(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    phase = models.CharField(_("phase"), max_length=100, choices=ImportPhase.choices, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(
        _("errors"),
        default=list,
        blank=True,
        help_text=_("The first bad rows: row, column, value, reason."),
    )
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # Ids of the objects a finished import touched that history records do not name (the
    # clients of sales lines), by kind of object: for the links on the result page.
    touched = models.JSONField(_("touched objects"), default=dict, blank=True, editable=False)
    message = models.TextField(_("message"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # The process running the job (kam.core.jobs): if it stops beating, the job is swept.
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    # The sales lines being written, while a sales import writes them (kam.imports.staging).
    sales_batch = models.OneToOneField(
        "sales.SalesBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="job",
    )

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def can_retry(self) -> bool:
        """Interrupted, or stopped on an unexpected error, with nothing left half-written: the
        same file can run again (its rows are checked again, with the author's rights then)."""
        stopped = self.status == ImportStatus.INTERRUPTED or (
            self.status == ImportStatus.FAILED and not self.error_count
        )
        return stopped and bool(self.file) and self.sales_batch_id is None

    @property
    def can_delete(self) -> bool:
        """Awaiting confirmation, or ended without saving anything: the job may go."""
        ended = self.status in {
            ImportStatus.FAILED,
            ImportStatus.REFUSED,
            ImportStatus.INTERRUPTED,
        }
        return (self.status == ImportStatus.UPLOADED or ended) and self.sales_batch_id is None

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class MappingPresetQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Presets of the kinds ``user`` may import: the company's, whoever saved them."""
        from .kinds import kinds_for  # the kinds know who may import; they import this module

        return self.filter(kind__in=[kind.name for kind in kinds_for(user)])


class MappingPreset(models.Model):
    """A named column mapping for files of one shape ("1C:УТ sales"): applied by itself when a
    file with the same headers is uploaded again."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    name = models.CharField(_("name"), max_length=100)
    # kam.imports.columns.signature of the header: the presets' key.
    signature = models.CharField(max_length=64, editable=False)
    header = models.JSONField(_("headers"), default=list)
    fields = models.JSONField(_("fields"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_presets",
        verbose_name=_("by"),
    )
    updated_at = models.DateTimeField(_("saved"), auto_now=True)

    objects = MappingPresetQuerySet.as_manager()

    class Meta:
        verbose_name = _("column mapping preset")
        verbose_name_plural = _("column mapping presets")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "signature"], name="one_preset_per_header")
        ]

    def __str__(self) -> str:
        return self.name
