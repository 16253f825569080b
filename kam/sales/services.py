"""Every write to products and sales lines goes through these functions.

Products and sales are company-wide data (they normally arrive from the ERP): only the director
changes them by hand. Each function takes the acting user as ``by``, validates with full_clean
before anything is written, and records ``by`` in the audit history where the model keeps one
(R39: prices are attributable). A change takes the editor's optional ``base`` and is checked
against it under lock (kam.core.locking).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.core.access import can_manage_company_data
from kam.core.locking import Base, IfMatch
from kam.core.models import User
from kam.core.services import assign_fields, locked_edit, save_audited

from .models import Product, SalesBatch, SalesLine

PRODUCT_FIELDS = {"sku", "name", "category", "unit", "list_price", "unit_cost", "is_active"}
SALES_LINE_FIELDS = {
    "date",
    "client",
    "product",
    "quantity",
    "amount",
    "cost",
    "document_number",
}


def _check_manage(by: User) -> None:
    if not can_manage_company_data(by):
        raise PermissionDenied(_("Only the director changes products and sales."))


@transaction.atomic
def product_create(*, by: User, reason: str = "", **fields) -> Product:
    _check_manage(by)
    product = Product()
    assign_fields(product, fields, PRODUCT_FIELDS)
    save_audited(product, by=by, reason=reason)
    return product


@transaction.atomic
def product_update(
    *,
    by: User,
    product: Product,
    reason: str = "",
    base: Base | IfMatch | None = None,
    **fields,
) -> Product:
    _check_manage(by)
    product, fields = locked_edit(product, base, fields)
    assign_fields(product, fields, PRODUCT_FIELDS)
    save_audited(product, by=by, reason=reason)
    return product


def _check_no_import() -> None:
    # An import's unpublished lines hold natural keys readers cannot see, and may replace the
    # line being edited: a hand-made change waits until the import is published.
    if SalesBatch.objects.filter(published=False).exists():
        raise ValidationError(
            _("Sales lines are being imported right now; try again when the import has finished.")
        )


@transaction.atomic
def sales_line_create(*, by: User, **fields) -> SalesLine:
    _check_manage(by)
    _check_no_import()
    line = SalesLine()
    assign_fields(line, fields, SALES_LINE_FIELDS)
    save_audited(line, by=by)
    return line


@transaction.atomic
def sales_line_update(
    *, by: User, line: SalesLine, base: Base | IfMatch | None = None, **fields
) -> SalesLine:
    _check_manage(by)
    _check_no_import()
    line, fields = locked_edit(line, base, fields)
    assign_fields(line, fields, SALES_LINE_FIELDS)
    save_audited(line, by=by)
    return line
