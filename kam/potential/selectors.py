"""Reads for the Potential tab: the multi-year table and the whitespace per product category."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl
from django.db.models import Sum
from django.utils import timezone

from kam.analytics import schema as s
from kam.analytics import scoring
from kam.clients.models import Client, CompetitorPresence
from kam.core.figures import Window, current_window
from kam.sales.models import Product, SalesLine

from .models import ClientPotential, ClientStrategy

#: How many years from this one the tab offers to estimate.
YEARS_AHEAD = 3


def potential_rows(client: Client) -> list[ClientPotential]:
    """The client's estimates by year, each with its actual purchases (one query)."""
    return list(ClientPotential.objects.filter(client=client).with_actual().order_by("year"))


def strategy(client: Client) -> ClientStrategy | None:
    """The client's strategy and needs, with who last changed them; None before the first."""
    return ClientStrategy.objects.filter(client=client).select_related("updated_by").first()


def missing_years(rows: list[ClientPotential], today: dt.date | None = None) -> list[int]:
    """This year and the next ones that have no estimate yet."""
    year = (today or timezone.localdate()).year
    have = {row.year for row in rows}
    return [y for y in range(year, year + YEARS_AHEAD) if y not in have]


@dataclass
class CategoryRow:
    category: str
    amount: Decimal  # the client's purchases from us in the 12-month window (core/figures.py)
    competitors: list[CompetitorPresence] = field(default_factory=list)

    @property
    def buys_from_us(self) -> bool:
        return self.amount > 0


@dataclass
class Whitespace:
    window: Window
    rows: list[CategoryRow]
    other_competitors: list[CompetitorPresence]  # present, but their supplies name no category

    @property
    def since(self) -> dt.date:
        return self.window.start

    @property
    def until(self) -> dt.date:
        return self.window.end

    @property
    def gaps(self) -> list[CategoryRow]:
        """The whitespace: categories the client buys from no one we know of, or from
        competitors, but not from us."""
        return [row for row in self.rows if not row.buys_from_us]

    @property
    def bought(self) -> list[CategoryRow]:
        return [row for row in self.rows if row.buys_from_us]


def _mentions(presence: CompetitorPresence, category: str) -> bool:
    return category.casefold() in presence.supplies.casefold()


def whitespace(client: Client, window: Window | None = None) -> Whitespace:
    """The client's purchases per product category in the 12-month window (the current one by
    default) against the company's categories, with the competitors present at the client whose
    supplies name each category.

    A category the client does not buy from us, with competitors beside it, is what the client
    buys from competitors. Three queries (categories, grouped purchases, competitor presence),
    and one for the current window when none is given.
    """
    window = window or current_window()
    categories = (
        Product.objects.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
    bought = {
        row["product__category"]: row["total"]
        for row in SalesLine.objects.filter(
            client=client, date__gte=window.start, date__lte=window.end
        )
        .order_by()
        .values("product__category")
        .annotate(total=Sum("amount"))
    }
    presence = list(client.competitor_presence.select_related("competitor"))
    rows = []
    names = list(dict.fromkeys([*categories, *(c for c in bought if c)]))
    for name in sorted(names, key=str.casefold):
        rows.append(
            CategoryRow(
                category=name,
                amount=bought.get(name) or Decimal("0"),
                competitors=[p for p in presence if _mentions(p, name)],
            )
        )
    matched = {p.pk for row in rows for p in row.competitors}
    return Whitespace(
        window=window, rows=rows, other_competitors=[p for p in presence if p.pk not in matched]
    )


def potential_frame(year: int) -> pl.DataFrame:
    """Every client's potential revenue and share of wallet (%) in ``year``, for the analytics:
    ``client_id``, ``potential``, ``share_of_wallet``; clients without an estimate are absent."""
    rows = [
        (
            p.client_id,
            float(p.potential_revenue),
            None if p.share_of_wallet is None else float(p.share_of_wallet),
        )
        for p in ClientPotential.objects.filter(year=year).with_actual()
    ]
    return pl.DataFrame(
        rows,
        schema={
            s.CLIENT: pl.Int64,
            scoring.POTENTIAL: pl.Float64,
            scoring.SHARE_OF_WALLET: pl.Float64,
        },
        orient="row",
    )
