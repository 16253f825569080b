"""The competitive grid's figures (R17), pure Python over Decimals: no database, no Django.

A grid is a list of rows, each a criterion as the client weighs it::

    {"key": "price",          # a built-in criterion's code, or "" for one named by a person
     "name": "Price",         # the name as written (a built-in's label comes from its code)
     "weight": "25",          # the client's weight, any non-negative number; shares are computed
     "source": "client",      # where the weight comes from (models.WeightSource)
     "us": 4,                 # our score 1–5, or None while not yet scored (a draft)
     "them": {"7": 5}}        # each compared competitor's score, by competitor id

Weights are normalised to shares of their sum. A supplier's total is the share-weighted mean of
its scores (1–5); it is None while any weighted criterion lacks its score. Against each
criterion our gap is our score minus the best competitor's; ``share × |gap|`` orders where to act
first (gaps) and what to lean on (advantages).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

SCORES = range(1, 6)
US = "us"
ZERO = Decimal(0)


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    weight: Decimal
    source: str
    us: int | None
    them: Mapping[int, int | None] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Row:
        return cls(
            key=data.get("key") or "",
            name=data.get("name") or "",
            weight=Decimal(str(data.get("weight") or 0)),
            source=data.get("source") or "",
            us=data.get("us"),
            them={int(k): v for k, v in (data.get("them") or {}).items()},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "weight": format(self.weight.normalize(), "f"),
            "source": self.source,
            "us": self.us,
            "them": {str(k): v for k, v in sorted(self.them.items())},
        }

    @property
    def ident(self) -> str:
        """What matches this criterion in another assessment: its code, else its name."""
        return self.key or " ".join(self.name.split()).casefold()

    def score(self, supplier: str | int) -> int | None:
        return self.us if supplier == US else self.them.get(int(supplier))


@dataclass(frozen=True)
class Standing:
    """Us against the best competitor on one criterion."""

    row: Row
    share: Decimal
    best: int | None  # the best competitor's score
    leaders: tuple[int, ...]  # the competitors holding it
    gap: int | None  # our score minus the best competitor's: negative is behind

    @property
    def priority(self) -> Decimal:
        """share × |gap|: how much of the client's decision the difference moves."""
        return self.share * abs(self.gap or 0)


@dataclass(frozen=True)
class Analysis:
    rows: tuple[Row, ...]
    competitors: tuple[int, ...]
    standings: tuple[Standing, ...]
    totals: Mapping[str | int, Decimal | None]  # US and each competitor id

    @property
    def gaps(self) -> list[Standing]:
        """Where we are behind, the weightiest difference first."""
        behind = [s for s in self.standings if s.gap is not None and s.gap < 0]
        return sorted(behind, key=lambda s: (-s.priority, s.row.name))

    @property
    def advantages(self) -> list[Standing]:
        ahead = [s for s in self.standings if s.gap is not None and s.gap > 0]
        return sorted(ahead, key=lambda s: (-s.priority, s.row.name))

    @property
    def weight_total(self) -> Decimal:
        return sum((r.weight for r in self.rows), ZERO)

    def missing_scores(self) -> int:
        """Scores not yet given (ours and each compared competitor's) on the rows."""
        return sum(
            (r.us is None) + sum(r.them.get(c) is None for c in self.competitors) for r in self.rows
        )


def shares(rows: Sequence[Row]) -> list[Decimal]:
    """Each weight as a share of their sum (all zero when the weights are)."""
    total = sum((r.weight for r in rows), ZERO)
    return [r.weight / total if total else ZERO for r in rows]


def weighted_total(rows: Sequence[Row], weights: Sequence[Decimal], supplier) -> Decimal | None:
    """The share-weighted mean of ``supplier``'s scores; None when a weighted row is unscored or
    no weight is given."""
    if not any(weights):
        return None
    total = ZERO
    for row, share in zip(rows, weights, strict=True):
        score = row.score(supplier)
        if score is None:
            if share:
                return None
            continue
        total += share * score
    return total


def analyse(rows: Iterable[Row], competitors: Iterable[int]) -> Analysis:
    rows = tuple(rows)
    competitors = tuple(competitors)
    weights = shares(rows)
    standings = []
    for row, share in zip(rows, weights, strict=True):
        scored: dict[int, int] = {
            c: score for c in competitors if (score := row.them.get(c)) is not None
        }
        best = max(scored.values(), default=None)
        leaders = tuple(c for c, s in scored.items() if s == best) if best is not None else ()
        gap = row.us - best if row.us is not None and best is not None else None
        standings.append(Standing(row=row, share=share, best=best, leaders=leaders, gap=gap))
    suppliers: tuple[str | int, ...] = (US, *competitors)
    totals = {s: weighted_total(rows, weights, s) for s in suppliers}
    return Analysis(rows=rows, competitors=competitors, standings=tuple(standings), totals=totals)


@dataclass(frozen=True)
class RowChange:
    row: Row  # as it is now
    share: tuple[Decimal, Decimal]
    scores: Mapping[str | int, tuple[int | None, int | None]]  # supplier → (before, after)

    @property
    def share_moved(self) -> bool:
        return self.share[0] != self.share[1]


@dataclass(frozen=True)
class Changes:
    """What moved between two assessments of one client."""

    rows: tuple[RowChange, ...]
    added: tuple[Row, ...]
    removed: tuple[Row, ...]
    totals: Mapping[str | int, tuple[Decimal | None, Decimal | None]]

    def __bool__(self) -> bool:
        moved = any(a != b for a, b in self.totals.values())
        return bool(self.rows or self.added or self.removed or moved)


def changes(before: Analysis, after: Analysis) -> Changes:
    """Criteria matched by code or name; suppliers compared where both assessments have them."""
    old = {s.row.ident: s for s in before.standings}
    new_idents = {s.row.ident for s in after.standings}
    suppliers: list[str | int] = [US, *(c for c in after.competitors if c in before.competitors)]
    rows = []
    for standing in after.standings:
        previous = old.get(standing.row.ident)
        if previous is None:
            continue
        scores = {
            s: (previous.row.score(s), standing.row.score(s))
            for s in suppliers
            if previous.row.score(s) != standing.row.score(s)
        }
        if scores or previous.share != standing.share:
            rows.append(RowChange(standing.row, (previous.share, standing.share), scores))
    return Changes(
        rows=tuple(rows),
        added=tuple(s.row for s in after.standings if s.row.ident not in old),
        removed=tuple(s.row for s in before.standings if s.row.ident not in new_idents),
        totals={s: (before.totals.get(s), after.totals.get(s)) for s in suppliers},
    )
