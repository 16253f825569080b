from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kam.core.access import client_access_q

from .inn import inn_problem, kpp_problem


class DecimalSize(TypedDict):
    """Keyword arguments for DecimalField; a TypedDict so `**MONEY` type-checks."""

    max_digits: int
    decimal_places: int


MONEY: DecimalSize = {"max_digits": 16, "decimal_places": 2}


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    LOST = "lost", _("Lost")


class ClientType(models.TextChoices):
    NONE = "", _("No type")
    BREADWINNER = "breadwinner", _("Breadwinner")
    PROSPECTIVE = "prospective", _("Prospective")
    IMAGE_MAKER = "image_maker", _("Image-maker")
    EXPERT = "expert", _("Expert")


class ClientQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(client_access_q(user))

    def matching(self, text: str):
        """The clients whose name, legal name or ERP code contains ``text``, or whose ИНН
        starts with it (the client list's search and the client pickers')."""
        text = text.strip()
        return self.filter(
            models.Q(name__icontains=text)
            | models.Q(legal_name__icontains=text)
            | models.Q(erp_code__icontains=text)
            | models.Q(inn__startswith=text)
        )


class Client(models.Model):
    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    erp_code = models.CharField(
        _("ERP code"),
        max_length=64,
        unique=True,
        help_text=_("The client's code in your ERP; imports match clients by it."),
    )
    inn = models.CharField(
        _("INN"),
        max_length=12,
        blank=True,
        help_text=_(
            "Taxpayer number (ИНН): 10 digits for a company, 12 for a sole trader; imports match "
            "clients by it too."
        ),
    )
    kpp = models.CharField(
        _("KPP"),
        max_length=9,
        blank=True,
        help_text=_("Tax registration reason code (КПП) of a company: 9 characters."),
    )
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    region = models.CharField(_("region"), max_length=120, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.DecimalField(_("annual revenue"), null=True, blank=True, **MONEY)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    history = models.TextField(_("history"), blank=True)
    org_structure = models.TextField(_("organisational structure"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    client_type = models.CharField(
        _("client type"),
        max_length=16,
        choices=ClientType.choices,
        blank=True,
        default=ClientType.NONE,
    )
    is_key = models.BooleanField(_("key client"), default=False)
    # Strategic flags and payment discipline (R1, R5): the analytics suggest a flagged industry
    # leader as an image-maker and a flagged expert as an expert client.
    is_industry_leader = models.BooleanField(
        _("industry leader"),
        default=False,
        help_text=_(
            "A recognised leader of its industry; such clients are suggested as image-makers."
        ),
    )
    is_reference_customer = models.BooleanField(
        _("reference customer"),
        default=False,
        help_text=_("Agrees to be named as a reference."),
    )
    is_expert = models.BooleanField(
        _("demanding, knowledgeable client"),
        default=False,
        help_text=_("Such clients are suggested as expert clients."),
    )
    payment_on_time_pct = models.DecimalField(
        _("paid on time, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "Share of invoices paid by their due date over the last 12 months, from the ERP."
        ),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_clients",
        verbose_name=_("owner KAM"),
    )
    assistant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assisted_clients",
        verbose_name=_("assistant"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subsidiaries",
        verbose_name=_("parent company"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["owner", "name"]),
            models.Index(fields=["status"]),
            models.Index(fields=["region"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payment_on_time_pct__isnull=True)
                | models.Q(payment_on_time_pct__gte=0, payment_on_time_pct__lte=100),
                name="client_payment_on_time_0_100",
            ),
            # The services name the client already holding an ИНН (as far as the user may know
            # it); the constraint makes it hold whatever writes.
            models.UniqueConstraint(
                fields=["inn"],
                condition=~models.Q(inn=""),
                name="client_unique_inn",
                violation_error_message=_("A client with this INN already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("clients:detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.inn and (problem := inn_problem(self.inn)):
            errors["inn"] = problem
        if self.kpp and (problem := kpp_problem(self.kpp, self.inn)):
            errors["kpp"] = problem
        if problem := self._parent_problem():
            errors["parent"] = problem
        if errors:
            raise ValidationError(errors)

    def _parent_problem(self):
        if self.parent_id and self.parent_id == self.pk:
            return _("A company cannot be its own parent.")
        ancestor, seen = self.parent, set()
        while ancestor is not None and self.pk:
            if ancestor.pk == self.pk or ancestor.pk in seen:
                return _("This parent would make a loop of companies.")
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        return None


class TeamFunction(models.TextChoices):
    SALES = "sales", _("Sales")
    TRADE_MARKETING = "trade_marketing", _("Trade marketing")
    CATEGORY_MANAGEMENT = "category_management", _("Category management")
    LOGISTICS = "logistics", _("Logistics")
    FINANCE = "finance", _("Finance")
    ACCOUNTING = "accounting", _("Accounting")
    PRODUCTION = "production", _("Production")
    LEGAL = "legal", _("Legal")


class ClientOwnedQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(client_access_q(user, "client__"))

    def for_client_named(self, text: str):
        """Rows of clients whose name or ERP code contains ``text`` (any case)."""
        return self.filter(
            models.Q(client__name__icontains=text) | models.Q(client__erp_code__icontains=text)
        )


class TeamMembership(models.Model):
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="team", verbose_name=_("client")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="team_memberships",
        verbose_name=_("person"),
    )
    function = models.CharField(_("function"), max_length=32, choices=TeamFunction.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    audit = HistoricalRecords()
    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="team_unique_member")
        ]
        ordering = ["function", "user__last_name"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_function_display()}"


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    CHAMPION = "champion", _("Champion / sponsor")


class Attitude(models.IntegerChoices):
    OPPONENT = -2, _("Opponent")
    SCEPTIC = -1, _("Sceptic")
    NEUTRAL = 0, _("Neutral")
    FAVOURABLE = 1, _("Favourable")
    SUPPORTER = 2, _("Supporter")


class Contact(models.Model):
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("client")
    )
    external_id = models.CharField(
        _("ERP/CRM id"),
        max_length=64,
        blank=True,
        help_text=_("Optional; imports match contacts by it within the client."),
    )
    full_name = models.CharField(_("full name"), max_length=200)
    position = models.CharField(_("position"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    decision_role = models.CharField(
        _("role in decisions"), max_length=20, choices=DecisionRole.choices, blank=True
    )
    influence = models.PositiveSmallIntegerField(
        _("influence"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 = little, 5 = decisive."),
    )
    attitude = models.SmallIntegerField(
        _("attitude to us"), choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    reports_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("reports to"),
    )
    motivation = models.TextField(_("personal motivation"), blank=True)
    bonus_drivers = models.TextField(_("what their bonus depends on"), blank=True)
    relationship_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_relationships",
        verbose_name=_("our relationship owner"),
    )
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    has_left = models.BooleanField(_("left the company"), default=False)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["has_left", "-influence", "full_name"]
        # A page of contacts in this order walks the index instead of sorting every contact.
        indexes = [
            models.Index(fields=["has_left", "-influence", "full_name", "id"], name="contact_order")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_id"],
                condition=~models.Q(external_id=""),
                name="contact_unique_external_id",
            ),
            models.CheckConstraint(
                condition=models.Q(influence__gte=1, influence__lte=5), name="contact_influence_1_5"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def clean(self):
        errors = {}
        if self.reports_to_id:
            if self.reports_to_id == self.pk:
                errors["reports_to"] = _("A person cannot report to themselves.")
            elif self.reports_to.client_id != self.client_id:
                errors["reports_to"] = _("The manager must work at the same client.")
            else:
                boss, seen = self.reports_to, set()
                while boss is not None and self.pk:
                    if boss.pk == self.pk or boss.pk in seen:
                        errors["reports_to"] = _("This would make a reporting loop.")
                        break
                    seen.add(boss.pk)
                    boss = boss.reports_to
        if self.left_on and not self.has_left:
            errors["left_on"] = _("Set “left the company” too, or clear the date.")
        if errors:
            raise ValidationError(errors)


class Competitor(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    audit = HistoricalRecords()

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Strength(models.IntegerChoices):
    WEAK = 1, _("Weak")
    MODERATE = 2, _("Moderate")
    STRONG = 3, _("Strong")
    DOMINANT = 4, _("Dominant")


class CompetitorPresence(models.Model):
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="competitor_presence",
        verbose_name=_("client"),
    )
    competitor = models.ForeignKey(
        Competitor, on_delete=models.PROTECT, related_name="presence", verbose_name=_("competitor")
    )
    supplies = models.CharField(_("what it supplies"), max_length=300, blank=True)
    strength = models.PositiveSmallIntegerField(
        _("relationship strength"), choices=Strength.choices, default=Strength.MODERATE
    )
    notes = models.TextField(_("notes"), blank=True)

    audit = HistoricalRecords()
    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("competitor at client")
        verbose_name_plural = _("competitors at client")
        ordering = ["-strength", "competitor__name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "competitor"], name="presence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.competitor} @ {self.client}"


class TenderResult(models.TextChoices):
    PENDING = "pending", pgettext_lazy("tender result", "Pending")
    WON = "won", pgettext_lazy("tender result", "Won")
    LOST = "lost", pgettext_lazy("tender result", "Lost")
    CANCELLED = "cancelled", pgettext_lazy("tender result", "Cancelled")


class Tender(models.Model):
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="tenders", verbose_name=_("client")
    )
    date = models.DateField(_("date"))
    subject = models.CharField(_("subject"), max_length=300)
    value = models.DecimalField(pgettext_lazy("money", "value"), null=True, blank=True, **MONEY)
    competitors = models.ManyToManyField(
        Competitor, blank=True, related_name="tenders", verbose_name=_("competitors")
    )
    result = models.CharField(
        _("result"), max_length=16, choices=TenderResult.choices, default=TenderResult.PENDING
    )
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("Why we won or lost: price, terms, relationship…")
    )

    audit = HistoricalRecords(m2m_fields=[competitors])
    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.subject}"
