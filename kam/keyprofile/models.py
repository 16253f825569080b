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


class Normalisation(models.TextChoices):
    MINMAX = "minmax", _("Min–max")
    BANDS = "bands", _("Bands")


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
        max_length=8,
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
