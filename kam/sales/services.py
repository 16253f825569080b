"""Every write to products and sales lines goes through these functions.

Products and sales are company-wide data (they normally arrive from the ERP): only the director
changes them by hand. Each function takes the acting user as ``by``, validates with full_clean
before anything is written, and records ``by`` in the audit history where the model keeps one
(R39: prices are attributable).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kam.core.access import can_manage_company_data
from kam.core.models import User

from .models import Product, SalesLine

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


def _assign(instance, fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(instance, name, value)


def _save(instance, *, by: User, reason: str = "") -> None:
    instance.full_clean()
    instance._history_user = by
    if reason:
        instance._change_reason = reason
    instance.save()


@transaction.atomic
def product_create(*, by: User, reason: str = "", **fields) -> Product:
    _check_manage(by)
    product = Product()
    _assign(product, fields, PRODUCT_FIELDS)
    _save(product, by=by, reason=reason)
    return product


@transaction.atomic
def product_update(*, by: User, product: Product, reason: str = "", **fields) -> Product:
    _check_manage(by)
    _assign(product, fields, PRODUCT_FIELDS)
    _save(product, by=by, reason=reason)
    return product


@transaction.atomic
def sales_line_create(*, by: User, **fields) -> SalesLine:
    _check_manage(by)
    line = SalesLine()
    _assign(line, fields, SALES_LINE_FIELDS)
    _save(line, by=by)
    return line


@transaction.atomic
def sales_line_update(*, by: User, line: SalesLine, **fields) -> SalesLine:
    _check_manage(by)
    _assign(line, fields, SALES_LINE_FIELDS)
    _save(line, by=by)
    return line
