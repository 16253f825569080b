"""Three-P qualification of prospects (R8) and key / not-key decisions (R5, R8)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.clients.models import Client, ClientOwnedQuerySet, ClientStatus


class PStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    CONFIRMED = "confirmed", _("Confirmed")
    NOT_MET = "not_met", _("Not met")


#: The three P's in display order, with their names.
THREE_P = {
    "need": _("need"),
    "solvency": _("solvency"),
    "authority": _("authority to decide"),
}


def _status(label):
    return models.CharField(label, max_length=16, choices=PStatus.choices, default=PStatus.UNKNOWN)


def _by(label, related_name):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=label,
    )


class Qualification(models.Model):
    """The three-P check of one client: need, solvency, authority — each with its evidence."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="qualification", verbose_name=_("client")
    )
    need_status = _status(_("need"))
    need_evidence = models.TextField(_("evidence of need"), blank=True)
    need_by = _by(_("need assessed by"), "+")
    need_at = models.DateTimeField(_("need assessed at"), null=True, blank=True)
    solvency_status = _status(_("solvency"))
    solvency_evidence = models.TextField(_("evidence of solvency"), blank=True)
    solvency_by = _by(_("solvency assessed by"), "+")
    solvency_at = models.DateTimeField(_("solvency assessed at"), null=True, blank=True)
    authority_status = _status(_("authority to decide"))
    authority_evidence = models.TextField(_("evidence of authority"), blank=True)
    authority_by = _by(_("authority assessed by"), "+")
    authority_at = models.DateTimeField(_("authority assessed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("three-P qualification")
        verbose_name_plural = _("three-P qualifications")

    def __str__(self) -> str:
        return f"{self.client}: {self.confirmed_count}/3"

    def clean(self):
        errors = {}
        for p in THREE_P:
            if (
                getattr(self, f"{p}_status") != PStatus.UNKNOWN
                and not (getattr(self, f"{p}_evidence") or "").strip()
            ):
                errors[f"{p}_evidence"] = _(
                    "Give the evidence: what shows it is confirmed or not met."
                )
        if errors:
            raise ValidationError(errors)

    def rows(self) -> list[dict]:
        """The three P's for display: name, status, evidence, who and when."""
        return [
            {
                "key": p,
                "name": name,
                "status": getattr(self, f"{p}_status"),
                "status_label": PStatus(getattr(self, f"{p}_status")).label,
                "evidence": getattr(self, f"{p}_evidence"),
                "by": getattr(self, f"{p}_by"),
                "at": getattr(self, f"{p}_at"),
            }
            for p, name in THREE_P.items()
        ]

    @property
    def missing(self) -> list[str]:
        """The P's not yet confirmed."""
        return [p for p in THREE_P if getattr(self, f"{p}_status") != PStatus.CONFIRMED]

    @property
    def confirmed_count(self) -> int:
        return 3 - len(self.missing)

    @property
    def is_fully_qualified(self) -> bool:
        return not self.missing


class KeyDecision(models.Model):
    """One decision to make a client key or to remove it from key clients; never edited."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="key_decisions", verbose_name=_("client")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="key_decisions",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    is_key = models.BooleanField(_("key client"))
    reason = models.TextField(_("reason"))
    score = models.FloatField(_("score at the time"), null=True, blank=True)
    suggested_type = models.CharField(_("suggested type at the time"), max_length=16, blank=True)
    client_status = models.CharField(
        _("client status at the time"), max_length=16, choices=ClientStatus.choices, blank=True
    )

    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("key decision")
        verbose_name_plural = _("key decisions")
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["client", "-decided_at"], name="keydecision_client")]

    def __str__(self) -> str:
        return f"{self.client}: {'key' if self.is_key else 'not key'} ({self.decided_at:%Y-%m-%d})"

    @property
    def suggested_type_label(self) -> str:
        from kam.insights.models import SUGGESTED_TYPES

        return str(SUGGESTED_TYPES.get(self.suggested_type, self.suggested_type))
