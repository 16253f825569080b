"""A client's potential per year (R2) and its own strategy and needs (R13)."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import (
    CharField,
    DateField,
    DecimalField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.clients.models import MONEY, Client, ClientOwnedQuerySet
from kam.sales.models import QUANTITY, SalesLine

MIN_YEAR, MAX_YEAR = 2000, 2100
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
_MONEY_SUM = DecimalField(max_digits=18, decimal_places=2)


def derived_demand(driver_quantity: Decimal, rate: Decimal) -> Decimal:
    """Total demand from a driver quantity × a rate, in money rounded to cents."""
    return (driver_quantity * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _new_year(year) -> Cast:
    """1 January of ``year`` (an integer expression) as a date, computed in the database.

    A range between two such dates lets the (client, date) index find the year's lines;
    ``date__year=OuterRef(...)`` extracts the year of every line of the client instead.
    """
    return Cast(Concat(Cast(year, CharField()), Value("-01-01")), DateField())


class ClientPotentialQuerySet(ClientOwnedQuerySet):
    def with_actual(self):
        """Annotate ``actual_amount``: the client's purchases in each row's year (one subquery)."""
        sales = (
            SalesLine.objects.filter(
                client=OuterRef("client"),
                date__gte=_new_year(OuterRef("year")),
                date__lt=_new_year(OuterRef("year") + 1),
            )
            .order_by()
            .values("client")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return self.annotate(
            actual_amount=Coalesce(
                Subquery(sales, output_field=_MONEY_SUM),
                Value(Decimal("0")),
                output_field=_MONEY_SUM,
            )
        )


class ClientPotential(models.Model):
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="potentials", verbose_name=_("client")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    total_demand = models.DecimalField(
        _("total demand"),
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "The client's estimated total demand for our kind of products in the year, in money. "
            "Leave empty to derive it from the driver quantity × rate."
        ),
        **MONEY,
    )
    basis = models.TextField(
        _("basis of the estimate"),
        help_text=_("E.g. “builds 120,000 m² in 2026 → 9,000 t of mix”."),
    )
    driver = models.CharField(
        _("driver"),
        max_length=200,
        blank=True,
        help_text=_("What the demand follows, e.g. “m² built” or “machines in the park”."),
    )
    driver_quantity = models.DecimalField(
        _("driver quantity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        **QUANTITY,
    )
    rate = models.DecimalField(
        _("rate per driver unit"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Money of our kind of products per unit of the driver."),
    )
    achievable_share = models.DecimalField(
        _("achievable share, %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(HUNDRED)],
        help_text=_("The share of the client's demand we can realistically win, 0–100 %."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ClientPotentialQuerySet.as_manager()

    class Meta:
        verbose_name = _("client potential")
        verbose_name_plural = _("client potentials")
        ordering = ["client", "year"]
        constraints = [
            models.UniqueConstraint(fields=["client", "year"], name="potential_unique_year"),
            models.CheckConstraint(
                condition=models.Q(year__gte=MIN_YEAR, year__lte=MAX_YEAR),
                name="potential_year_range",
            ),
            models.CheckConstraint(
                condition=models.Q(achievable_share__gte=0, achievable_share__lte=100),
                name="potential_share_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(total_demand__gte=0), name="potential_demand_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.year}"

    def clean(self):
        errors: dict[str, object] = {}
        quantity, rate = self.driver_quantity, self.rate
        if (quantity is None) != (rate is None):
            missing = "rate" if rate is None else "driver_quantity"
            errors[missing] = _("Give both the driver quantity and the rate, or neither.")
        elif quantity is not None and rate is not None:
            if not self.driver.strip():
                errors["driver"] = _("Name the driver the quantity counts.")
            derived = derived_demand(quantity, rate)
            if self.total_demand is None:
                self.total_demand = derived
            elif self.total_demand != derived:
                errors["total_demand"] = _(
                    "The total demand must equal driver quantity × rate (%(derived)s); "
                    "leave it empty to derive it."
                ) % {"derived": derived}
        if self.total_demand is None and not errors:
            errors["total_demand"] = _(
                "Enter the total demand, or a driver quantity and a rate to derive it."
            )
        if errors:
            raise ValidationError(errors)

    # --- arithmetic --------------------------------------------------------------------------

    @property
    def potential_revenue(self) -> Decimal:
        """What we can realistically sell: total demand × achievable share."""
        demand = self.total_demand or Decimal("0")
        return (demand * self.achievable_share / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def actual(self) -> Decimal:
        """The client's purchases from us in this year (annotated by ``with_actual`` if used)."""
        annotated = getattr(self, "actual_amount", None)
        if annotated is not None:
            return annotated
        total = SalesLine.objects.filter(client_id=self.client_id, date__year=self.year).aggregate(
            total=Sum("amount")
        )["total"]
        return total or Decimal("0")

    @property
    def share_of_wallet(self) -> Decimal | None:
        """Our actual sales as a percentage of the client's total demand; None without demand."""
        if not self.total_demand:
            return None
        return (self.actual * HUNDRED / self.total_demand).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def gap(self) -> Decimal:
        """Potential revenue not yet won (negative when we sell more than the estimate)."""
        return self.potential_revenue - self.actual


class ClientStrategy(models.Model):
    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="strategy", verbose_name=_("client")
    )
    strategy = models.TextField(
        _("the client's strategy"),
        blank=True,
        help_text=_("Where the client's business is going: markets, growth, projects."),
    )
    needs = models.TextField(
        _("needs"), blank=True, help_text=_("What the client needs from suppliers like us.")
    )
    how_we_help = models.TextField(
        _("how we help"),
        blank=True,
        help_text=_(
            "How we can help the client earn more, beat its competitors and gain market share."
        ),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client strategy and needs")
        verbose_name_plural = _("client strategies and needs")

    def __str__(self) -> str:
        return f"{self.client}"
