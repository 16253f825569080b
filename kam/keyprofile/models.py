"""The key-client profile (R1, R4): versioned criteria that configure the engine's scoring.

A version is never changed once saved: the director's edit creates the next version and makes it
the active one; older versions stay for the record.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.analytics import scoring
from kam.clients.models import ClientOwnedQuerySet


class Metric(models.TextChoices):
    """The engine's scoring criteria (kam.analytics.scoring) the profile can use."""

    REVENUE = "revenue", _("Revenue, last 12 months")
    MARGIN = "margin", _("Margin, last 12 months")
    GROWTH = "growth", _("Growth year on year")
    TENURE = "tenure", _("Tenure, years")
    REGULARITY = "regularity", _("Purchase regularity")
    FREQUENCY = "frequency", _("Purchase days, last 12 months")
    POTENTIAL = "potential", _("Potential revenue (this year)")
    SHARE_OF_WALLET = "share_of_wallet", _("Share of wallet (this year)")
    CATEGORIES = "categories", _("Product categories bought, last 12 months")
    PAYMENT_DISCIPLINE = "payment_discipline", _("Paid on time, %")
    INDUSTRY_LEADER = "industry_leader", _("Industry leader (flag)")
    REFERENCE_CUSTOMER = "reference_customer", _("Reference customer (flag)")
    EXPERT = "expert", _("Demanding, knowledgeable client (flag)")


class Normalisation(models.TextChoices):
    """How a criterion's raw values become 0–1 (kam.analytics.scoring.METHODS)."""

    PERCENTILE = "percentile", _("Percentile rank")
    LOG = "log", _("Log scale")
    MINMAX = "minmax", _("Min–max")
    BANDS = "bands", _("Bands")


def default_normalisation(metric: str) -> str:
    """Percentile rank for money measures (the engine's default), else min–max; the profile's own
    metrics the engine lacks (categories, flags, payment discipline) get min–max."""
    return scoring.DEFAULT_NORMALISATION.get(metric, Normalisation.MINMAX)


def parse_bands(text: str) -> list[Decimal]:
    """Band edges ``"10, 100, 1000"`` → ascending decimals; raises ValidationError if bad."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        edges = [Decimal(p.replace(" ", "")) for p in parts]
    except ArithmeticError:
        raise ValidationError(_("Band edges must be numbers separated by commas.")) from None
    if not edges:
        raise ValidationError(_("Give at least one band edge."))
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValidationError(_("Band edges must be strictly ascending."))
    return edges


class KeyProfile(models.Model):
    version = models.PositiveIntegerField(_("version"), unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    is_active = models.BooleanField(_("active"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("key-client profile")
        verbose_name_plural = _("key-client profiles")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="keyprofile_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class ProfileCriterion(models.Model):
    profile = models.ForeignKey(
        KeyProfile, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("profile")
    )
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    normalisation = models.CharField(
        _("normalisation"),
        max_length=16,
        choices=Normalisation.choices,
        default=Normalisation.MINMAX,
    )
    bands = models.CharField(
        _("band edges"),
        max_length=300,
        blank=True,
        help_text=_("Ascending values separated by commas; each edge reached adds one band."),
    )
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    min_value = models.DecimalField(
        _("threshold (minimum)"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("A client below it (or without a value) cannot be a key candidate."),
    )

    class Meta:
        verbose_name = _("profile criterion")
        verbose_name_plural = _("profile criteria")
        ordering = ["profile", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "metric"], name="keyprofile_one_metric"),
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="keyprofile_weight_ge0"),
        ]

    def __str__(self) -> str:
        return f"{self.profile} {self.metric}"

    def band_edges(self) -> list[float]:
        return [float(e) for e in parse_bands(self.bands)] if self.bands else []


class ScoringTrigger(models.TextChoices):
    RECOMPUTE = "recompute", _("after the analytics recompute")
    PROFILE = "profile", _("new profile version")
    MANUAL = "manual", _("rescored by hand")


class ScoringRun(models.Model):
    """One scoring of every client against a profile version; kept to show movement."""

    profile = models.ForeignKey(
        KeyProfile, on_delete=models.PROTECT, related_name="runs", verbose_name=_("profile")
    )
    as_of = models.DateField(_("as of"))
    created_at = models.DateTimeField(_("scored at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scored by"),
    )
    trigger = models.CharField(_("reason"), max_length=16, choices=ScoringTrigger.choices)
    used = models.JSONField(_("criteria used"), default=list)
    dropped = models.JSONField(_("criteria without data"), default=list)
    clients = models.PositiveIntegerField(_("clients scored"), default=0)
    seconds = models.FloatField(_("duration, s"), default=0.0)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.profile} {self.created_at:%Y-%m-%d %H:%M}"


class ClientScoreQuerySet(ClientOwnedQuerySet):
    def of_latest_run(self):
        """Scores of the newest run (none before the first scoring)."""
        return self.filter(run_id=ScoringRun.objects.order_by("-pk").values("pk")[:1])

    def moved(self, movement: str):
        """``up`` / ``down`` since the previous scoring, or ``new`` in the list; else all."""
        if movement == "new":
            return self.filter(previous_rank__isnull=True)
        if movement == "up":
            return self.filter(previous_rank__gt=models.F("rank"))
        if movement == "down":
            return self.filter(previous_rank__lt=models.F("rank"))
        return self

    def matching(self, *, key: bool | None = None, candidates: bool = False, owner=None):
        """The filters of the prioritised list (page and API): key flag, threshold candidates,
        owner KAM (a user or an id); ``None`` / ``False`` leave a filter out."""
        scores = self
        if key is not None:
            scores = scores.filter(client__is_key=key)
        if candidates:
            scores = scores.filter(candidate=True)
        if owner is not None:
            scores = scores.filter(client__owner=owner)
        return scores


class ClientScore(models.Model):
    """A client's score in one run, with the previous run's score and rank for movement."""

    run = models.ForeignKey(
        ScoringRun, on_delete=models.CASCADE, related_name="scores", verbose_name=_("run")
    )
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        related_name="scores",
        verbose_name=_("client"),
    )
    score = models.FloatField(_("score"))
    rank = models.PositiveIntegerField(_("rank"))
    previous_score = models.FloatField(_("previous score"), null=True, blank=True)
    previous_rank = models.PositiveIntegerField(_("previous rank"), null=True, blank=True)
    candidate = models.BooleanField(_("passes every threshold"), default=True)
    contributions = models.JSONField(_("contributions"), default=dict)
    values = models.JSONField(_("values"), default=dict)
    failures = models.JSONField(_("thresholds failed"), default=list)

    objects = ClientScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("client score")
        verbose_name_plural = _("client scores")
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "client"], name="keyprofile_score_once_per_run")
        ]
        indexes = [models.Index(fields=["client", "run"]), models.Index(fields=["run", "rank"])]

    def __str__(self) -> str:
        return f"{self.client_id} #{self.rank} {self.score:.1f}"

    @property
    def rank_change(self) -> int | None:
        """Places gained (positive) or lost (negative) since the previous run; None if new."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    @property
    def score_change(self) -> float | None:
        return None if self.previous_score is None else self.score - self.previous_score
