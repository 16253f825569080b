import datetime as dt
import logging
from decimal import Decimal

import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.clients.models import Client
from kam.core.access import can_manage_company_data
from kam.sales.models import Product, SalesBatch

from .. import staging, values
from ..columns import Column
from ..models import ImportJob, ImportKind, ImportPhase
from . import counterparties
from .base import (
    DATE_HINT,
    NUMBER_HINT,
    TEXT_HINT,
    Context,
    Counts,
    Kind,
)

logger = logging.getLogger(__name__)


class Sales(Kind):
    """Sales lines: no history (volume); written set-based, see :mod:`kam.imports.staging`."""

    name = ImportKind.SALES
    columns = [
        Column(
            "date",
            gettext_lazy("date"),
            ("date", "дата", "период", "period", "document date", "дата документа", "дата продажи"),
            values.date(),
            DATE_HINT,
            dt.date(2024, 12, 31),
            required=True,
        ),
        *counterparties.columns(("client code", "код клиента", "customer code", "код контрагента")),
        Column(
            "product",
            gettext_lazy("SKU"),
            ("product", "sku", "артикул", "код товара", "product code", "код номенклатуры"),
            values.text(64),
            gettext_lazy("The product's SKU."),
            "P-1001",
            required=True,
        ),
        # A product is found by its SKU; its name in the file is recognised, not a second SKU.
        Column(
            "product_name",
            gettext_lazy("product name"),
            ("номенклатура", "товар", "наименование", "product name", "item"),
            values.text(300),
            TEXT_HINT,
            "Цемент М500, 50 кг",
        ),
        Column(
            "quantity",
            gettext_lazy("quantity"),
            ("quantity", "qty", "количество", "кол-во"),
            values.decimal(16, 3),
            NUMBER_HINT,
            Decimal("40"),
            required=True,
        ),
        Column(
            "amount",
            gettext_lazy("amount"),
            ("amount", "sum", "сумма", "сумма продажи", "выручка", "revenue", "сумма с ндс"),
            values.decimal(16, 2),
            NUMBER_HINT,
            Decimal("18000.00"),
            required=True,
        ),
        Column(
            "cost",
            gettext_lazy("cost"),
            ("cost", "себестоимость", "cost of sales"),
            values.decimal(16, 2),
            NUMBER_HINT,
            Decimal("12496.00"),
        ),
        Column(
            "document_number",
            gettext_lazy("document"),
            (
                "document",
                "документ",
                "номер документа",
                "document number",
                "doc",
                "накладная",
                "регистратор",
            ),
            values.text(64),
            TEXT_HINT,
            "РН-000123",
        ),
    ]

    def may_import(self, user) -> bool:
        return can_manage_company_data(user)

    def plan(self, rows: pl.DataFrame, ctx: Context):
        rows, unknown_clients = counterparties.match(ctx, rows, Client.objects.visible_to(ctx.user))
        products = dict(Product.objects.values_list("sku", "pk"))
        rows, unknown_products = ctx.lookup(
            rows, "product", products, "product_id", _("No product with this SKU.")
        )
        if "document_number" not in rows.columns:
            rows = rows.with_columns(document_number=pl.lit(""))
        rows = rows.with_columns(pl.col("document_number").fill_null(""))
        twins = ctx.duplicates(
            rows,
            ["document_number", "client_id", "product", "date"],
            _("document, client, product and date"),
            shown=["document_number", counterparties.SHOWN, "product", "date"],
        )
        return rows, pl.concat([unknown_clients, unknown_products, twins])

    def touched(self, rows: pl.DataFrame) -> dict[str, list[int]]:
        return {"clients": rows["client_id"].unique().sort().to_list()}

    def write(self, rows: pl.DataFrame, ctx: Context) -> Counts:
        """In short transactions invisible until the last one (kam.imports.staging)."""
        present = ctx.mapping.present
        measures = [name for name in staging.MEASURES if name in present]

        def link(batch: SalesBatch) -> None:
            assert ctx.job_id is not None  # the engine runs every import as a job
            ImportJob.objects.filter(pk=ctx.job_id).update(sales_batch=batch)

        batch = staging.open_batch(
            link=link, wait=lambda: ctx.progress(ImportPhase.WAITING, 0, rows.height)
        )
        try:
            counts = staging.write(
                batch, rows.select(*staging.KEY, *measures), fence=ctx.fence, finish=ctx.finish
            )
        except BaseException:
            try:
                batch.discard()
            except Exception:  # the sweeper finishes it (kam.imports.sweep)
                logger.exception("could not discard sales batch %s", batch.pk)
            raise
        batch.fold()
        return counts
