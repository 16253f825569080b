"""Every money and volume figure the pages, exports and the API show, defined once (issue 9).

A figure is a key with its label, its window in words and its source. The 12-month window has
one rule for every surface: the last 12 *complete* calendar months on or before the as-of date,
and the as-of date is the day of the last sale, never after today (:func:`as_of_date`). The
analytics recompute (kam.insights), the key-client scoring (kam.keyprofile) and the live client
pages all take their window from here, so "Sales, 12 months" is one number wherever it appears.

docs/glossary.md lists the same figures; the ``figure_label`` template tag (core/templatetags)
renders a label with its window as a tooltip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kam.analytics.config import AnalysisConfig
from kam.analytics.windows import analysis_window

#: Complete calendar months in the 12-month window (the analytics engine's default).
WINDOW_MONTHS = AnalysisConfig().window_months


@dataclass(frozen=True)
class Window:
    """The as-of date and the first and last day (inclusive) of the 12-month window."""

    as_of: dt.date
    start: dt.date
    end: dt.date

    @classmethod
    def ending(cls, as_of: dt.date) -> Window:
        start, end = analysis_window(as_of, WINDOW_MONTHS)
        return cls(as_of=as_of, start=start, end=end)

    def __str__(self) -> str:
        return f"{_day(self.start)}–{_day(self.end)}"


def _day(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def as_of_date(last_sale: dt.date | None, today: dt.date | None = None) -> dt.date:
    """The as-of date of every figure: the last sale, never after today; today without sales."""
    today = today or timezone.localdate()
    return min(last_sale, today) if last_sale is not None else today


def current_window(today: dt.date | None = None) -> Window:
    """The 12-month window as of now (one query: the date of the last sale)."""
    from kam.sales.models import SalesLine  # core sits below the apps it serves

    last = SalesLine.objects.aggregate(last=Max("date"))["last"]
    return Window.ending(as_of_date(last, today))


def with_sales_12m(clients, window: Window):
    """Annotate each client with ``sales_12m``: its sales in ``window`` (one subquery, no N+1)."""
    from kam.sales.models import SalesLine

    sales = (
        SalesLine.objects.filter(
            client=OuterRef("pk"), date__gte=window.start, date__lte=window.end
        )
        .order_by()
        .values("client")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=18, decimal_places=2)
    return clients.annotate(
        sales_12m=Coalesce(
            Subquery(sales, output_field=money), Value(Decimal("0")), output_field=money
        )
    )


@dataclass(frozen=True)
class Figure:
    key: str
    label: Promise  # may name the year: "%(year)s"
    window: Promise  # the window in words; may name the year
    source: Promise

    def text(self, *, year: int | None = None) -> str:
        return str(self.label) % {"year": year} if year is not None else str(self.label)

    def tooltip(self, *, window: Window | None = None, year: int | None = None) -> str:
        """The window in words, with its dates when they are known."""
        words = str(self.window) % {"year": year} if year is not None else str(self.window)
        if window is not None and self.key in WINDOWED:
            return gettext("%(words)s: %(dates)s (as of %(as_of)s).") % {
                "words": words,
                "dates": window,
                "as_of": _day(window.as_of),
            }
        return words + "."

    def column(self) -> str:
        """The label without its year, for a table whose rows are years."""
        marker = "\0"
        text = str(self.label) % {"year": marker}
        return text.replace(", " + marker, "").replace(marker, "").strip()

    def heading(self, *, window: Window | None = None, year: int | None = None) -> str:
        """The label as a column title of an export, where no tooltip can explain it."""
        if window is not None and self.key in WINDOWED:
            return f"{self.text(year=year)} ({window})"
        return self.text(year=year)


_12M = _("the last 12 complete calendar months up to the as-of date (the day of the last sale)")
_YEAR = _("calendar year %(year)s, from the client's potential estimate for that year")
# A past year is whole; the current one runs to today.
_YTD = _("calendar year %(year)s; the current year up to today (year to date)")

FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure(
            "sales_12m",
            _("Sales, 12 months"),
            _12M,
            _("sum of the imported sales lines of the client (amount)"),
        ),
        Figure(
            "sales_share",
            _("Share of company sales, 12 months"),
            _12M,
            _("the client's sales, 12 months, over the sales of all clients in the same window"),
        ),
        Figure(
            "key_sales_share",
            _("Key clients' share of sales, 12 months"),
            _12M,
            _("the sales of a KAM's key clients over the sales of all their clients"),
        ),
        Figure(
            "expected_purchases",
            _("Expected purchases, next 52 weeks"),
            _("the 52 weeks after the as-of date of the last analytics recompute"),
            _("BG/NBD model fitted to the purchase history"),
        ),
        Figure(
            "clv",
            _("Lifetime value, next 52 weeks"),
            _("the 52 weeks after the as-of date of the last analytics recompute"),
            _("expected purchases × expected spend per purchase (Gamma-Gamma model)"),
        ),
        Figure(
            "total_demand",
            _("Total demand, %(year)s"),
            _YEAR,
            _("the KAM's estimate of everything the client buys of our kind of products"),
        ),
        Figure(
            "potential",
            _("Potential, %(year)s"),
            _YEAR,
            _("total demand × the achievable share estimated by the KAM"),
        ),
        Figure(
            "actual",
            _("Actual, %(year)s"),
            _YTD,
            _("sum of the imported sales lines of the client dated in that year"),
        ),
        Figure(
            "share_of_wallet",
            _("Share of wallet, %(year)s"),
            _YTD,
            _("actual purchases in the year / total demand in the year"),
        ),
        Figure(
            "gap",
            _("Gap, %(year)s"),
            _YEAR,
            _("potential revenue not yet won: potential − actual purchases"),
        ),
    )
}

#: Figures over the 12-month window (their tooltips and export titles carry its dates).
WINDOWED = frozenset({"sales_12m", "sales_share", "key_sales_share"})


def figure(key: str) -> Figure:
    return FIGURES[key]
