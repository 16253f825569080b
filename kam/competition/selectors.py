"""Reads for the competitive analysis pages: one client's assessments, each turned into the
figures of :mod:`.grid` with names to show. A client holds a handful of assessments, read in two
queries (assessments, their competitors)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from kam.clients.models import Client, Competitor
from kam.potential.selectors import whitespace
from kam.sales.models import Product

from . import grid as G
from .models import (
    Assessment,
    AssessmentStatus,
    Holder,
    SpendHolder,
    WeightSource,
    criterion_label,
)

SOURCES = dict(WeightSource.choices)


@dataclass
class Supplier:
    key: str | int
    name: str
    total: Decimal | None
    us: bool = False

    @property
    def percent(self) -> Decimal | None:
        """The total as a share of the best possible (5 on every criterion)."""
        return None if self.total is None else self.total / 5 * 100


@dataclass
class Shown:
    """One assessment with its figures, named for the page."""

    assessment: Assessment
    analysis: G.Analysis
    competitors: list[Competitor]

    @property
    def names(self) -> dict:
        return {G.US: None, **{c.pk: c.name for c in self.competitors}}

    def label(self, row: G.Row) -> str:
        return criterion_label(row.key, row.name)

    @property
    def suppliers(self) -> list[Supplier]:
        """Us and each competitor with the weighted total, best first (unscored last)."""
        rows = [Supplier(G.US, "", self.analysis.totals[G.US], us=True)]
        rows += [Supplier(c.pk, c.name, self.analysis.totals[c.pk]) for c in self.competitors]
        return sorted(rows, key=lambda s: (s.total is None, -(s.total or 0), not s.us, s.name))

    @property
    def best_competitor(self) -> Supplier | None:
        return next((s for s in self.suppliers if not s.us and s.total is not None), None)

    @property
    def rows(self) -> list[dict]:
        names = self.names
        return [
            {
                "label": self.label(s.row),
                "share": s.share * 100,
                "source": SOURCES.get(s.row.source, s.row.source),
                "us": s.row.us,
                "them": [s.row.them.get(c.pk) for c in self.competitors],
                "gap": s.gap,
                "leaders": [names[c] for c in s.leaders],
            }
            for s in self.analysis.standings
        ]

    def _ranked(self, standings) -> list[dict]:
        names = self.names
        return [
            {
                "label": self.label(s.row),
                "share": s.share * 100,
                "us": s.row.us,
                "best": s.best,
                "leaders": [names[c] for c in s.leaders],
                "gap": s.gap,
                "priority": s.priority,
            }
            for s in standings
        ]

    @property
    def gaps(self) -> list[dict]:
        return self._ranked(self.analysis.gaps)

    @property
    def advantages(self) -> list[dict]:
        return self._ranked(self.analysis.advantages)

    def chart(self, us_label: str) -> dict:
        """The radar's data: criteria as axes (1–5), one series per supplier."""
        standings = self.analysis.standings
        series = [{"name": us_label, "value": [s.row.us for s in standings]}]
        series += [
            {"name": c.name, "value": [s.row.them.get(c.pk) for s in standings]}
            for c in self.competitors
        ]
        return {"axes": [self.label(s.row) for s in standings], "series": series}

    def changes_from(self, previous: Shown | None) -> dict | None:
        if previous is None:
            return None
        moved = G.changes(previous.analysis, self.analysis)
        names = self.names
        return {
            "since": previous.assessment,
            "any": bool(moved),
            "added": [self.label(r) for r in moved.added],
            "removed": [previous.label(r) for r in moved.removed],
            "rows": [
                {
                    "label": self.label(c.row),
                    "share": (c.share[0] * 100, c.share[1] * 100) if c.share_moved else None,
                    "scores": [(names[k], a, b) for k, (a, b) in c.scores.items()],
                }
                for c in moved.rows
            ],
            "totals": [(names[k], a, b) for k, (a, b) in moved.totals.items() if a != b],
        }


def show(assessment: Assessment) -> Shown:
    competitors = list(assessment.competitors.all())  # prefetched by the callers
    rows = [G.Row.from_json(r) for r in assessment.grid]
    return Shown(assessment, G.analyse(rows, [c.pk for c in competitors]), competitors)


def assessments(client: Client) -> list[Assessment]:
    return list(
        client.assessments.select_related("updated_by").prefetch_related(
            Prefetch("competitors", queryset=Competitor.objects.order_by("name"))
        )
    )


def previous_final(items: list[Assessment], assessment: Assessment) -> Assessment | None:
    """The latest final assessment before ``assessment`` (newest first in ``items``)."""
    later = True
    for item in items:
        if item.pk == assessment.pk:
            later = False
            continue
        if not later and item.is_final:
            return item
    return None


def spend(client: Client):
    """Per product category: our purchases in the 12-month window, the competitors whose
    supplies name it, and who holds the spend as recorded; a category held by no one recorded
    as us is where to attack."""
    known = whitespace(client)
    holders: dict[str, list] = {}
    for h in client.spend_holders.select_related("competitor"):
        holders.setdefault(h.category.casefold(), []).append(h)
    rows, seen = [], set()
    for row in known.rows:
        key = row.category.casefold()
        seen.add(key)
        rows.append(_spend_row(row.category, row.amount, holders.get(key, [])))
    for key, held in sorted(holders.items()):
        if key not in seen:
            rows.append(_spend_row(held[0].category, Decimal(0), held))
    return {"window": known.window, "rows": rows}


def categories(held: list[SpendHolder]) -> list[str]:
    """The names to offer when typing a category: the company's product categories and those
    already recorded (one query: no sales are read)."""
    names = set(Product.objects.exclude(category="").values_list("category", flat=True).distinct())
    return sorted(names | {h.category for h in held}, key=str.casefold)


def _spend_row(category: str, amount: Decimal, held: list) -> dict:
    ours = any(h.holder == Holder.US for h in held)
    return {
        "category": category,
        "amount": amount,
        "holders": held,
        "attack": not ours,
        "unknown": not held,
    }


# --- every key client's competitive position (the director's and each KAM's overview) ---------

#: An assessment older than this many days is stale: the client's view has likely moved.
STALE_DAYS = 365


def key_clients(user, *, kam=None, state: str = "", today: dt.date | None = None):
    """The key clients ``user`` may see, each annotated with its latest final assessment: its
    id, date, our and the best competitor's weighted totals and ``lead`` (ours − best). Most
    behind first; clients never assessed last. ``state``: "behind", "ahead", "missing" (no
    final assessment) or "stale" (the latest older than STALE_DAYS)."""
    latest = Assessment.objects.filter(client=OuterRef("pk"), status=AssessmentStatus.FINAL)
    latest = latest.order_by("-assessed_on", "-pk")
    rows = (
        Client.objects.visible_to(user)
        .filter(is_key=True)
        .select_related("owner")
        .annotate(
            assessment_id=Subquery(latest.values("pk")[:1]),
            assessed_on=Subquery(latest.values("assessed_on")[:1]),
            our_total=Subquery(latest.values("our_total")[:1]),
            best_total=Subquery(latest.values("best_total")[:1]),
        )
        .annotate(lead=F("our_total") - F("best_total"))
    )
    if kam is not None:
        rows = rows.filter(owner=kam)
    stale_before = (today or timezone.localdate()) - dt.timedelta(days=STALE_DAYS)
    rows = {
        "behind": rows.filter(lead__lt=0),
        "ahead": rows.filter(lead__gte=0),
        "missing": rows.filter(assessment_id=None),
        "stale": rows.filter(assessed_on__lt=stale_before),
    }.get(state, rows)
    return rows.order_by(F("lead").asc(nulls_last=True), "name", "pk")


def key_client_counts(rows) -> dict:
    """How many key clients, assessed, behind the best competitor, never assessed: one query."""
    return rows.order_by().aggregate(
        total=Count("pk"),
        assessed=Count("pk", filter=Q(assessment_id__isnull=False)),
        behind=Count("pk", filter=Q(lead__lt=0)),
        missing=Count("pk", filter=Q(assessment_id__isnull=True)),
    )


@dataclass
class Position:
    """One key client's row: its latest final assessment and where to act first there."""

    client: Client
    assessment: Assessment | None
    first_gap: G.Standing | None
    stale: bool = False

    @property
    def gap_label(self) -> str:
        return (
            criterion_label(self.first_gap.row.key, self.first_gap.row.name)
            if self.first_gap
            else ""
        )


def positions(page_rows, today: dt.date | None = None) -> list[Position]:
    """The rows of one page with their assessments (one query) and each one's weightiest gap."""
    clients = list(page_rows)
    stale_before = (today or timezone.localdate()) - dt.timedelta(days=STALE_DAYS)
    found = Assessment.objects.select_related("best_competitor").in_bulk(
        [c.assessment_id for c in clients if c.assessment_id]
    )
    result = []
    for client in clients:
        assessment = found.get(client.assessment_id)
        gaps = None
        if assessment is not None:
            rows = [G.Row.from_json(r) for r in assessment.grid]
            compared = sorted({int(k) for r in assessment.grid for k in (r.get("them") or {})})
            gaps = G.analyse(rows, compared).gaps
        stale = assessment is not None and assessment.assessed_on < stale_before
        result.append(Position(client, assessment, gaps[0] if gaps else None, stale))
    return result
