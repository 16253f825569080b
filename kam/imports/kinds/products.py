from decimal import Decimal

import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.access import can_manage_company_data
from kam.sales.models import Product

from .. import values
from ..columns import Column
from ..models import ImportKind
from .base import CODE_HINT, NUMBER_HINT, TEXT_HINT, Changes, Context, Kind, blank, fetch
from .base import row_values as values_of


class Products(Kind):
    name = ImportKind.PRODUCTS
    columns = [
        Column(
            "sku",
            gettext_lazy("SKU"),
            ("sku", "артикул", "code", "код", "product code", "код товара", "sku / erp code"),
            values.text(64),
            CODE_HINT,
            "P-1001",
            required=True,
        ),
        Column(
            "name",
            gettext_lazy("name"),
            (
                "name",
                "наименование",
                "название",
                "product",
                "product name",
                "товар",
                "номенклатура",
            ),
            values.text(300),
            TEXT_HINT,
            "Цемент М500, 50 кг",
            required=True,
        ),
        Column(
            "category",
            gettext_lazy("category"),
            ("category", "категория", "группа", "товарная группа"),
            values.text(120),
            TEXT_HINT,
            "Цемент",
        ),
        Column(
            "unit",
            gettext_lazy("unit"),
            ("unit", "ед. изм.", "ед.", "единица", "единица измерения", "unit of measure", "uom"),
            values.text(20),
            TEXT_HINT,
            "меш",
            keep_when_empty=True,
        ),
        Column(
            "list_price",
            gettext_lazy("list price"),
            ("list price", "price", "цена", "прайс", "цена по прайсу"),
            values.decimal(16, 2, negative=False),
            NUMBER_HINT,
            Decimal("450.00"),
        ),
        Column(
            "unit_cost",
            gettext_lazy("unit cost"),
            ("unit cost", "cost", "себестоимость", "себестоимость единицы"),
            values.decimal(16, 2, negative=False),
            NUMBER_HINT,
            Decimal("312.40"),
        ),
    ]

    def may_import(self, user) -> bool:
        return can_manage_company_data(user)

    def plan(self, rows: pl.DataFrame, ctx: Context):
        errors = ctx.duplicates(rows, ["sku"], _("SKU"))
        existing = {p.sku: p for p in fetch(Product.objects, "sku", rows["sku"].drop_nulls())}
        return (rows, existing), errors

    def changes(self, plan, ctx: Context) -> tuple[Changes, dict]:
        rows, existing = plan
        changes = Changes(Product)
        for row in rows.iter_rows(named=True):
            fields = blank(Product, values_of(row, self.columns, ctx.mapping.present))
            product = existing.get(row["sku"])
            if product is None:
                changes.create(fields)
            else:
                changes.update(product, fields)
        return changes, {}
