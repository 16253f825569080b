from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.clients.models import MONEY, Client, ClientOwnedQuerySet, DecimalSize

QUANTITY: DecimalSize = {"max_digits": 16, "decimal_places": 3}


class Product(models.Model):
    sku = models.CharField(_("SKU / ERP code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=300)
    category = models.CharField(_("category"), max_length=120, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True, default="pcs")
    list_price = models.DecimalField(_("list price"), null=True, blank=True, **MONEY)
    unit_cost = models.DecimalField(_("unit cost"), null=True, blank=True, **MONEY)
    is_active = models.BooleanField(_("active"), default=True)

    audit = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        indexes = [models.Index(fields=["category"])]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class SalesLine(models.Model):
    """One line of an ERP sales document; import key: (document, client, product, date)."""

    date = models.DateField(_("date"))
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="sales_lines", verbose_name=_("client")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="sales_lines", verbose_name=_("product")
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    amount = models.DecimalField(_("amount"), **MONEY)
    cost = models.DecimalField(_("cost"), null=True, blank=True, **MONEY)
    document_number = models.CharField(_("document number"), max_length=64, blank=True, default="")

    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales line")
        verbose_name_plural = _("sales lines")
        ordering = ["-date", "document_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_number", "client", "product", "date"],
                name="salesline_natural_key",
            ),
        ]
        indexes = [models.Index(fields=["client", "date"], name="salesline_client_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.document_number} {self.product_id} {self.amount}"

    @property
    def margin(self):
        return None if self.cost is None else self.amount - self.cost
