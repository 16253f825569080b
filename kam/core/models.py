import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DIRECTOR = "director", _("Director")
    KAM = "kam", _("Key account manager")
    ASSISTANT = "assistant", _("KAM assistant")
    MEMBER = "member", _("Team member")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Interface language; remembered when you switch it."),
    )
    assisted_kams = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="assistants",
        verbose_name=_("assists KAMs"),
        limit_choices_to={"role": Role.KAM},
        help_text=_("For assistants: the KAMs whose clients they work on."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_director(self) -> bool:
        return self.is_active and (self.role == Role.DIRECTOR or self.is_superuser)


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the secret is shown once at creation."""

    PREFIX = "kam_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("hint"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str) -> tuple["ApiToken", str]:
        key = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash_key(key), hint=key[:8])
        return token, key

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginUnlock(models.Model):
    """A director lifted a login lock: who, whose, when, and how many failures were forgotten."""

    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("unlocked by"),
    )
    unlocked_at = models.DateTimeField(_("unlocked at"), default=timezone.now)
    username = models.CharField(
        _("username"), max_length=255, blank=True, help_text=_("Empty: every account.")
    )
    ip_address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("failed logins forgotten"))

    class Meta:
        verbose_name = _("login unlock")
        verbose_name_plural = _("login unlocks")
        ordering = ["-unlocked_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.username or '*'}@{self.ip_address or '?'} {self.unlocked_at:%Y-%m-%d %H:%M}"


class WorkerProcessQuerySet(models.QuerySet):
    def alive(self, now=None):
        """Workers that gave a sign of life within the staleness limit."""
        limit = (now or timezone.now()) - dt.timedelta(seconds=settings.KAM_JOB_STALE_AFTER)
        return self.filter(beat_at__gte=limit)


class WorkerProcess(models.Model):
    """A process running background jobs (a `kam worker`, or `kam import` on the command line).

    It writes a heartbeat every few seconds; a job whose worker stopped beating is known to be
    orphaned and is swept (kam.core.jobs). Rows of long-gone workers are pruned.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    beat_at = models.DateTimeField(_("last sign of life"), default=timezone.now)

    objects = WorkerProcessQuerySet.as_manager()

    class Meta:
        verbose_name = _("worker process")
        verbose_name_plural = _("worker processes")
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return self.name


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being written")
    SUCCEEDED = "succeeded", _("Ready")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted")


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        # A file holds what its author could see when it was written: nobody else's to open.
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(created_by=user)


class ExportJob(models.Model):
    """A spreadsheet too large to write during the request: written by a worker, downloaded
    from its page by the user who asked for it (kam.core.exports). The rows are chosen again
    in the worker, as that user and with the page's filters, so the file holds only what the
    user may see at the time it is written."""

    # The dotted path of the export view (made by kam.core.exports.exporter).
    name = models.CharField(_("export"), max_length=200)
    query = models.TextField(_("filters"), blank=True)  # the page's query string
    title = models.CharField(_("title"), max_length=200)  # the first sheet's, when asked
    back_url = models.CharField(max_length=500, blank=True)  # the page it was asked from
    language = models.CharField(_("language"), max_length=10)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    message = models.TextField(_("message"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # The process writing the file (kam.core.jobs): if it stops beating, the job is swept.
    worker = models.CharField(_("worker"), max_length=100, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="export_by_user")]

    def __str__(self) -> str:
        return f"{self.name} {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("exports:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in {
            ExportStatus.SUCCEEDED,
            ExportStatus.FAILED,
            ExportStatus.INTERRUPTED,
        }

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
