"""The latest analytics snapshot of every client, and one row per recompute.

Classes are computed over the whole company (all sales lines) by :mod:`kam.analytics`; pages and
the API read these rows through the access rule (``ClientAnalytics.objects.visible_to(user)``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.analytics import schema as s
from kam.analytics.quality import OWN_AVERAGE, RULE
from kam.analytics.rfm import SEGMENT_LABELS
from kam.clients.models import MONEY, Client, ClientOwnedQuerySet

from .labels import READINGS, reason_text, segment_label


class Risk(models.TextChoices):
    OK = "ok", _("OK")
    AT_RISK = "at_risk", _("At risk")
    LOST = "lost", _("Lost")
    NEW = "new", _("New")


ABC_CHOICES = [("A", "A"), ("B", "B"), ("C", "C")]
XYZ_CHOICES = [("X", "X"), ("Y", "Y"), ("Z", "Z"), ("new", _("new"))]

SUGGESTED_TYPES = {
    "breadwinner": _("Breadwinner"),
    "prospective": _("Prospective"),
    "image_maker": _("Image-maker"),
    "expert": _("Expert"),
}


def segment_choices() -> list[tuple[str, str]]:
    return [(key, segment_label(key)) for key in SEGMENT_LABELS]


class ClientAnalytics(models.Model):
    """The latest analytics of one client (replaced on every recompute)."""

    client = models.OneToOneField(
        Client,
        on_delete=models.CASCADE,
        related_name="analytics",
        primary_key=True,
        verbose_name=_("client"),
    )
    computed_at = models.DateTimeField(_("computed"))
    as_of = models.DateField(_("as of"))
    abc = models.CharField(_("ABC"), max_length=1, blank=True, choices=ABC_CHOICES)
    xyz = models.CharField(_("XYZ"), max_length=3, blank=True, choices=XYZ_CHOICES)
    value = models.DecimalField(_("value"), default=0, **MONEY)
    share = models.FloatField(_("share"), null=True, blank=True)
    cv = models.FloatField(_("coefficient of variation"), null=True, blank=True)
    r_score = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=32, blank=True)
    typical_gap_days = models.FloatField(_("typical gap, days"), null=True, blank=True)
    silence_days = models.IntegerField(_("silence, days"), null=True, blank=True)
    p_alive = models.FloatField(_("probability alive"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    expected_spend = models.DecimalField(_("expected spend"), null=True, blank=True, **MONEY)
    clv = models.DecimalField(_("lifetime value"), null=True, blank=True, **MONEY)
    # Where P(alive), expected purchases and spend come from: "model", or the fallback of an
    # unusable fit ("rule": the client's own pace; "own_average": its own average purchase).
    purchases_source = models.CharField(_("purchases estimated by"), max_length=12, blank=True)
    spend_source = models.CharField(_("spend estimated by"), max_length=12, blank=True)
    risk = models.CharField(_("risk"), max_length=8, blank=True, choices=Risk.choices)
    rhythm_flag = models.CharField(
        _("rhythm flag"),
        max_length=8,
        blank=True,
        help_text=_("The flag from the purchase rhythm alone, before the model's P(alive)."),
    )
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("As the core wrote it, in English.")
    )
    score = models.FloatField(_("score"), null=True, blank=True)
    score_rank = models.PositiveIntegerField(_("score rank"), null=True, blank=True)
    suggested_type = models.CharField(_("suggested type"), max_length=16, blank=True)

    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client analytics")
        verbose_name_plural = _("client analytics")
        indexes = [
            models.Index(fields=["abc", "xyz"], name="insights_cell"),
            models.Index(fields=["risk"], name="insights_risk"),
            models.Index(fields=["rfm_segment"], name="insights_segment"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.cell or '—'} {self.risk}"

    @property
    def cell(self) -> str:
        return f"{self.abc}{self.xyz}" if self.abc and self.xyz else ""

    @property
    def reason_display(self) -> str:
        """The risk reason in the reader's language, worded from the stored flags and numbers."""
        return reason_text(
            {
                s.SILENCE_DAYS: self.silence_days,
                s.TYPICAL_GAP_DAYS: self.typical_gap_days,
                s.RISK: self.risk or None,
                s.P_ALIVE: None if self.purchases_by_rule else self.p_alive,
                s.RHYTHM_FLAG: self.rhythm_flag or None,
            }
        )

    @property
    def purchases_by_rule(self) -> bool:
        """P(alive) and expected purchases come from the client's own pace, not the model."""
        return self.purchases_source == RULE

    @property
    def spend_by_own_average(self) -> bool:
        return self.spend_source == OWN_AVERAGE

    @property
    def cell_reading(self) -> str:
        return str(READINGS.get(self.cell, ""))

    @property
    def segment_label(self) -> str:
        return segment_label(self.rfm_segment) if self.rfm_segment else ""

    @property
    def typical_gap_rounded(self) -> int | None:
        return None if self.typical_gap_days is None else round(self.typical_gap_days)

    @property
    def share_percent(self) -> float | None:
        return None if self.share is None else self.share * 100

    @property
    def cv_percent(self) -> float | None:
        return None if self.cv is None else self.cv * 100

    @property
    def p_alive_percent(self) -> float | None:
        return None if self.p_alive is None else self.p_alive * 100

    @property
    def suggested_type_label(self) -> str:
        return str(SUGGESTED_TYPES.get(self.suggested_type, self.suggested_type))


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    EMPTY = "empty", _("No sales yet")
    FAILED = "failed", _("Failed")


class AnalyticsRun(models.Model):
    """One recompute: when, over what, the company-wide figures and the model parameters.

    Holds no client names or ids: everyone who sees the Analytics page may see it.
    """

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    as_of = models.DateField(_("as of"), null=True, blank=True)
    window_start = models.DateField(_("window start"), null=True, blank=True)
    window_end = models.DateField(_("window end"), null=True, blank=True)
    clients = models.PositiveIntegerField(_("clients"), default=0)
    lines = models.PositiveIntegerField(_("sales lines"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    error = models.TextField(_("error"), blank=True)
    models_json = models.JSONField(_("model parameters"), default=dict, blank=True)
    matrix = models.JSONField(_("ABC-XYZ matrix"), default=list, blank=True)
    pareto = models.JSONField(_("Pareto curve"), default=list, blank=True)
    top20_share = models.FloatField(_("share of the top 20 %"), null=True, blank=True)
    backtest = models.JSONField(_("backtest"), default=dict, blank=True)
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("triggered by"),
    )
    # The process running it (kam.core.jobs): if it stops beating, the run is swept as failed.
    worker = models.CharField(_("worker"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("analytics run")
        verbose_name_plural = _("analytics runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def model_error(self) -> str:
        return (self.models_json or {}).get("model_error") or ""


class AnalyticsSettings(models.Model):
    """The director's settings of the analytics recompute: one row (see :meth:`current`)."""

    backtest_months = models.PositiveSmallIntegerField(
        _("months held out for the backtest"),
        default=6,
        validators=[MaxValueValidator(24)],
        help_text=_(
            "Each recompute fits the forecast models again without the last months of sales and "
            "compares their forecasts with what clients then bought. 0 turns the backtest off."
        ),
    )

    class Meta:
        verbose_name = _("analytics settings")
        verbose_name_plural = _("analytics settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "AnalyticsSettings":
        """The stored settings, or the defaults before the director first saves them."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)
