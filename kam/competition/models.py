"""Competitive analysis from the client's side (R17): the criteria the client weighs suppliers
by, its weight for each, scores for us and for each competitor present at the client, kept as
dated assessments; and per product category who holds the client's spend.

An assessment's grid is one document (``grid``, see :mod:`.grid`): it is edited, audited and read
as a whole, and it never changes when the company's default criteria do.
"""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.models import HistoricalRecords

from kam.clients.models import Client, ClientOwnedQuerySet, Competitor

from . import grid as G

#: The company's starting criteria (R17): code → label, and their default weights (summing to
#: 100). A criterion the director renames keeps the new name instead.
BUILT_IN = {
    "price": _("Price"),
    "quality": _("Product quality"),
    "reliability": _("Delivery reliability"),
    "lead_time": _("Lead time"),
    "range": _("Range of products"),
    "service": _("Service"),
    "payment_terms": _("Payment terms"),
    "support": _("Technical support"),
    "brand": _("Brand and reputation"),
    "relationship": _("Relationship"),
}
DEFAULT_WEIGHTS = {
    "price": 20,
    "quality": 15,
    "reliability": 15,
    "lead_time": 8,
    "range": 7,
    "service": 8,
    "payment_terms": 10,
    "support": 5,
    "brand": 5,
    "relationship": 7,
}


def criterion_label(code: str, name: str) -> str:
    """A built-in criterion in the reader's language; any other by its name."""
    return str(BUILT_IN[code]) if code in BUILT_IN else name


class CriterionQuerySet(models.QuerySet["Criterion"]):
    def company(self) -> list[Criterion]:
        """The company's criteria in order; the built-in ones, not yet saved (no id), until the
        director first saves the list — so nothing is written on a read, and a fresh or emptied
        database still starts every assessment from ten criteria."""
        saved = cast(list[Criterion], list(self.all()))
        if saved:
            return saved
        with translation.override("en"):
            return [
                Criterion(
                    code=code, name=str(label), weight=Decimal(DEFAULT_WEIGHTS[code]), position=n
                )
                for n, (code, label) in enumerate(BUILT_IN.items(), 1)
            ]


class Criterion(models.Model):
    """One of the company's default criteria: every new assessment starts from the active ones."""

    code = models.CharField(_("built-in code"), max_length=32, blank=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    weight = models.DecimalField(
        _("default weight"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    audit = HistoricalRecords()
    objects = CriterionQuerySet.as_manager()

    class Meta:
        verbose_name = _("competitive criterion")
        verbose_name_plural = _("competitive criteria")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return criterion_label(self.code, self.name)


class WeightSource(models.TextChoices):
    CLIENT = "client", _("the client said so")
    TENDER = "tender", _("a tender document")
    ESTIMATE = "estimate", _("our estimate")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINAL = "final", _("Final")


class AssessmentQuerySet(ClientOwnedQuerySet):
    def final(self):
        return self.filter(status=AssessmentStatus.FINAL)


class Assessment(models.Model):
    """The client's view of us and our competitors on one date."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("client")
    )
    assessed_on = models.DateField(_("assessed on"))
    status = models.CharField(
        _("status"), max_length=8, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    competitors = models.ManyToManyField(
        Competitor, blank=True, related_name="assessments", verbose_name=_("competitors compared")
    )
    grid = models.JSONField(_("criteria and scores"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The grid's weighted totals, kept beside it so that lists across key clients filter and sort
    # on them in SQL; written with the grid (services._write), never edited.
    our_total = models.DecimalField(
        _("our weighted total"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    best_total = models.DecimalField(
        _("the best competitor's weighted total"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
    )
    best_competitor = models.ForeignKey(
        Competitor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("best competitor"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,  # the user may be deleted since
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,  # the user may be deleted since
        related_name="+",
        verbose_name=_("updated by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit = HistoricalRecords(
        excluded_fields=["updated_at", "version", "our_total", "best_total", "best_competitor"],
        m2m_fields=[competitors],
    )
    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("competitive assessment")
        verbose_name_plural = _("competitive assessments")
        ordering = ["-assessed_on", "-pk"]
        indexes = [
            models.Index(fields=["client", "status", "assessed_on"], name="assessment_by_client")
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.assessed_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("competition:assessment", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.status == AssessmentStatus.FINAL

    @property
    def lead(self) -> Decimal | None:
        """Our weighted total minus the best competitor's: negative when the client rates a
        competitor above us."""
        if self.our_total is None or self.best_total is None:
            return None
        return self.our_total - self.best_total

    def keep_totals(self, analysis: G.Analysis) -> None:
        """Store the grid's totals (``analysis`` of this grid) beside it."""
        ours = analysis.totals[G.US]
        rivals = [(t, c) for c, t in analysis.totals.items() if c != G.US and t is not None]
        best = max(rivals, key=lambda tc: tc[0], default=None)
        places = Decimal("0.0001")
        self.our_total = None if ours is None else ours.quantize(places)
        self.best_total = None if best is None else best[0].quantize(places)
        self.best_competitor_id = None if best is None else best[1]

    @staticmethod
    def describe_grid(grid) -> str:
        """The grid in the history of changes: how many criteria and our weighted total, not
        the whole document."""
        rows = [G.Row.from_json(r) for r in grid or []]
        text = ngettext("%(n)d criterion", "%(n)d criteria", len(rows)) % {"n": len(rows)}
        total = G.analyse(rows, ()).totals[G.US]
        if total is None:
            return text
        return _("%(criteria)s, our total %(total)s") % {
            "criteria": text,
            "total": formats.number_format(total, 2),
        }


class Holder(models.TextChoices):
    US = "us", _("Us")
    COMPETITOR = "competitor", _("A competitor")
    OWN_STAFF = "own", _("The client's own staff")
    NOBODY = "nobody", _("Nobody: not bought")


class SpendHolder(models.Model):
    """Who holds the client's spend on one product category (several may share it)."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="spend_holders", verbose_name=_("client")
    )
    category = models.CharField(_("category"), max_length=120)
    holder = models.CharField(_("held by"), max_length=12, choices=Holder.choices)
    competitor = models.ForeignKey(
        Competitor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spend_held",
        verbose_name=_("competitor"),
    )
    share = models.DecimalField(
        _("share of the category, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    audit = HistoricalRecords()
    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("holder of the client's spend")
        verbose_name_plural = _("holders of the client's spend")
        ordering = ["category", "pk"]
        indexes = [models.Index(fields=["client", "category"], name="spend_by_client")]

    def __str__(self) -> str:
        who = self.competitor if self.competitor_id else self.get_holder_display()
        return f"{self.category}: {who}"
