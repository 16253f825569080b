"""Score clients against the key-client profile (R1, R3, R4) with the engine's scoring.

The engine (:mod:`kam.analytics.scoring`) computes each client's raw metrics and normalises
min–max; the profile chooses the criteria, their weights, bands instead of min–max where wanted,
and hard thresholds. As in the engine, criteria without any data are dropped and the remaining
weights rescaled, ``contribution = 100 × weight × normalised`` and the score is their sum (0–100).

Scoring is company-wide (every client, prospect and lead); pages filter rows by the access rule.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.analytics import schema as s
from kam.analytics import scoring
from kam.analytics.config import AnalysisConfig
from kam.clients.models import Client
from kam.insights.services import read_sales
from kam.potential.models import ClientPotential

from .models import KeyProfile, Metric, Normalisation, ProfileCriterion

#: The default profile (R4): profit, reliability, long-term cooperation, growth.
DEFAULT_METRICS = ("revenue", "margin", "growth", "regularity", "tenure", "frequency")

#: Profile metric → column of the engine's metrics frame.
COLUMN = {m: scoring.CRITERION_COLUMN[m] for m in Metric.values}


@dataclass(frozen=True)
class CriterionSpec:
    metric: str
    weight: float
    normalisation: str = Normalisation.MINMAX
    bands: tuple[float, ...] = ()
    min_value: float | None = None


@dataclass
class ScoredClient:
    client_id: int
    score: float
    rank: int
    contributions: dict[str, float] = field(default_factory=dict)
    values: dict[str, float | None] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def candidate(self) -> bool:
        """Passes every hard threshold, so it may be a key candidate."""
        return not self.failures


@dataclass
class Scoring:
    rows: list[ScoredClient]
    used: list[str]
    dropped: list[str]


# --- profile versions ---------------------------------------------------------------------------


def specs(profile: KeyProfile) -> list[CriterionSpec]:
    return [
        CriterionSpec(
            metric=c.metric,
            weight=float(c.weight),
            normalisation=c.normalisation,
            bands=tuple(c.band_edges()),
            min_value=None if c.min_value is None else float(c.min_value),
        )
        for c in profile.criteria.all()
    ]


def active_profile() -> KeyProfile:
    """The active version; the default profile (R4) is created on first use."""
    profile = KeyProfile.objects.filter(is_active=True).first()
    if profile is not None:
        return profile
    try:
        with transaction.atomic():
            profile = KeyProfile.objects.create(
                version=(KeyProfile.objects.aggregate(v=Max("version"))["v"] or 0) + 1,
                is_active=True,
                note=_("Default profile (R4)."),
            )
            ProfileCriterion.objects.bulk_create(
                ProfileCriterion(
                    profile=profile,
                    metric=metric,
                    weight=Decimal(str(scoring.DEFAULT_WEIGHTS[metric])),
                )
                for metric in DEFAULT_METRICS
            )
            return profile
    except IntegrityError:  # created concurrently
        return KeyProfile.objects.get(is_active=True)


def save_version(*, by, criteria: list[CriterionSpec], note: str = "") -> KeyProfile:
    """Save the criteria as a new active version; the previous versions are kept unchanged."""
    if not by.is_director:
        raise PermissionDenied
    if not any(c.weight > 0 for c in criteria):
        raise ValidationError(_("Give at least one criterion a weight above zero."))
    with transaction.atomic():
        list(KeyProfile.objects.select_for_update().filter(is_active=True))
        version = (KeyProfile.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        KeyProfile.objects.filter(is_active=True).update(is_active=False)
        profile = KeyProfile.objects.create(
            version=version, is_active=True, created_by=by, note=note
        )
        ProfileCriterion.objects.bulk_create(
            ProfileCriterion(
                profile=profile,
                metric=c.metric,
                weight=Decimal(str(c.weight)),
                normalisation=c.normalisation,
                bands=", ".join(f"{e:g}" for e in c.bands),
                min_value=None if c.min_value is None else Decimal(str(c.min_value)),
            )
            for c in criteria
        )
    return profile


# --- metrics and scoring ------------------------------------------------------------------------


def metrics_frame(today: dt.date | None = None) -> pl.DataFrame:
    """One row per client (company-wide): the engine's metrics plus potential of this year."""
    today = today or timezone.localdate()
    base = pl.DataFrame(
        {s.CLIENT: list(Client.objects.order_by("pk").values_list("pk", flat=True))},
        schema={s.CLIENT: pl.Int64},
    )
    sales = read_sales()
    as_of = today
    if sales.height:
        if sales[s.COST].null_count():  # as recompute: margins unknown without every cost
            sales = sales.drop(s.COST)
        last = sales[s.DATE].max()
        assert isinstance(last, dt.date)
        as_of = min(last, today)
        metrics = scoring.client_metrics(sales, AnalysisConfig(as_of=as_of))
        base = base.join(metrics, on=s.CLIENT, how="left")
    potentials = ClientPotential.objects.filter(year=as_of.year).with_actual()
    attributes = [
        {
            s.CLIENT: p.client_id,
            scoring.POTENTIAL: float(p.potential_revenue),
            scoring.SHARE_OF_WALLET: (
                None if p.share_of_wallet is None else float(p.share_of_wallet)
            ),
        }
        for p in potentials
    ]
    if attributes:
        frame = pl.DataFrame(
            attributes,
            schema={
                s.CLIENT: pl.Int64,
                scoring.POTENTIAL: pl.Float64,
                scoring.SHARE_OF_WALLET: pl.Float64,
            },
        )
        base = base.join(frame, on=s.CLIENT, how="left")
    return base


def _banded(column: str, edges: tuple[float, ...]) -> pl.Expr:
    """Share of the band edges the value reaches: 0 below the first, 1 from the last."""
    x = pl.col(column).cast(pl.Float64)
    reached = pl.sum_horizontal([(x >= e).cast(pl.Float64).fill_null(0.0) for e in edges])
    return (reached / len(edges)).fill_null(0.0)


def score(frame: pl.DataFrame, criteria: list[CriterionSpec]) -> Scoring:
    """Score every row of ``frame`` (see the module docstring); sorted by rank."""
    has_data = {
        c.metric: COLUMN[c.metric] in frame.columns
        and frame[COLUMN[c.metric]].null_count() < frame.height
        for c in criteria
    }
    used = [c for c in criteria if c.weight > 0 and has_data[c.metric]]
    dropped = [c.metric for c in criteria if c.weight > 0 and not has_data[c.metric]]
    total = sum(c.weight for c in used) or 1.0
    for c in criteria:
        if COLUMN[c.metric] not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Float64).alias(COLUMN[c.metric]))
    contributions = [
        (
            100.0
            * c.weight
            / total
            * (
                _banded(COLUMN[c.metric], c.bands)
                if c.normalisation == Normalisation.BANDS and c.bands
                else scoring.normalised(COLUMN[c.metric])
            )
        ).alias(s.CONTRIBUTION_PREFIX + c.metric)
        for c in used
    ]
    names = [s.CONTRIBUTION_PREFIX + c.metric for c in used]
    scored = (
        frame.with_columns(contributions)
        .with_columns(
            pl.sum_horizontal(names).alias(s.SCORE) if used else pl.lit(0.0).alias(s.SCORE)
        )
        .sort([s.SCORE, s.CLIENT], descending=[True, False])
    )
    rows = []
    for rank, record in enumerate(scored.iter_rows(named=True), start=1):
        values = {c.metric: record[COLUMN[c.metric]] for c in criteria}
        failures = [
            c.metric
            for c in criteria
            if c.min_value is not None
            and (values[c.metric] is None or values[c.metric] < c.min_value)
        ]
        rows.append(
            ScoredClient(
                client_id=record[s.CLIENT],
                score=record[s.SCORE],
                rank=rank,
                contributions={c.metric: record[s.CONTRIBUTION_PREFIX + c.metric] for c in used},
                values=values,
                failures=failures,
            )
        )
    return Scoring(rows=rows, used=[c.metric for c in used], dropped=dropped)


def key_count() -> int:
    """N of the top-N key candidate list: the number of current key clients."""
    return Client.objects.filter(is_key=True).count()


def top_candidates(result: Scoring, n: int) -> list[int]:
    return [row.client_id for row in result.rows if row.candidate][:n]


@dataclass
class Preview:
    n: int
    entering: list[Client]
    leaving: list[Client]
    new: Scoring


def preview(criteria: list[CriterionSpec], frame: pl.DataFrame | None = None) -> Preview:
    """Which clients would enter and leave the top-N key candidates under ``criteria``."""
    frame = metrics_frame() if frame is None else frame
    n = key_count()
    old = set(top_candidates(score(frame, specs(active_profile())), n))
    new_result = score(frame, criteria)
    new = set(top_candidates(new_result, n))
    clients = Client.objects.in_bulk(old ^ new)
    return Preview(
        n=n,
        entering=sorted((clients[i] for i in new - old), key=lambda c: c.name),
        leaving=sorted((clients[i] for i in old - new), key=lambda c: c.name),
        new=new_result,
    )
