"""Score clients against the key-client profile (R1, R3, R4) with the engine's scoring.

The engine (:mod:`kam.analytics.scoring`) computes each client's raw metrics and normalises them;
the profile chooses the criteria, their weights, each one's normalisation (percentile rank, log
scale, min–max or bands) and hard thresholds. As in the engine, criteria without any data are
dropped and the remaining weights rescaled, ``contribution = 100 × weight × normalised`` and the
score is their sum (0–100): each criterion's weight share (:func:`weight_percents`) is the most
points it can give.

Scoring is company-wide (every client, prospect and lead); pages filter rows by the access rule.
"""

import datetime as dt
import statistics
import time
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kam.analytics import schema as s
from kam.analytics import scoring
from kam.analytics.config import AnalysisConfig
from kam.analytics.windows import analysis_window
from kam.clients.models import Client
from kam.core.bulk import insert_frame
from kam.core.locking import Base, Change, IfMatch, check_values, same
from kam.core.models import Role
from kam.insights.models import AnalyticsRun
from kam.insights.services import Progress, engine_input, read_sales, recompute
from kam.potential.selectors import potential_frame
from kam.sales.models import SalesLine

from .models import (
    ClientScore,
    KeyProfile,
    Metric,
    Normalisation,
    ProfileCriterion,
    ScoringRun,
    ScoringTrigger,
    default_normalisation,
)

#: The default profile (R1, R4): weights of the engine's defaults where it has the criterion.
#: High profit → revenue, margin; reliable partner → regularity, payment discipline; long-term
#: cooperation → tenure, frequency; drives growth → growth; potential over the years (R1) →
#: potential; reputation → industry leader. Criteria without data drop out until there is some.
DEFAULT_PROFILE: dict[str, float] = {
    Metric.REVENUE: scoring.DEFAULT_WEIGHTS["revenue"],
    Metric.MARGIN: scoring.DEFAULT_WEIGHTS["margin"],
    Metric.GROWTH: scoring.DEFAULT_WEIGHTS["growth"],
    Metric.REGULARITY: scoring.DEFAULT_WEIGHTS["regularity"],
    Metric.TENURE: scoring.DEFAULT_WEIGHTS["tenure"],
    Metric.FREQUENCY: 0.05,
    Metric.POTENTIAL: scoring.DEFAULT_WEIGHTS["potential"],
    Metric.PAYMENT_DISCIPLINE: 0.05,
    Metric.INDUSTRY_LEADER: scoring.DEFAULT_WEIGHTS["strategic"],
}

#: Profile metric → column of the metrics frame: the engine's criteria keep the engine's column;
#: the others (client flags, payment discipline, categories) are added by :func:`metrics_frame`.
COLUMN = {m: scoring.CRITERION_COLUMN.get(m, m) for m in Metric.values}

#: Client fields read as metrics: boolean flags become 0/1, the percentage a float.
CLIENT_FIELD_METRICS = {
    Metric.PAYMENT_DISCIPLINE: "payment_on_time_pct",
    Metric.INDUSTRY_LEADER: "is_industry_leader",
    Metric.REFERENCE_CUSTOMER: "is_reference_customer",
    Metric.EXPERT: "is_expert",
}

#: Scoring runs kept for movement and history; older ones are deleted with their scores.
KEEP_RUNS = 12
SCORE_FIELDS = (
    "run",
    "client",
    "score",
    "rank",
    "previous_score",
    "previous_rank",
    "candidate",
    "contributions",
    "values",
    "failures",
)


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
                note=_("Default profile."),
            )
            ProfileCriterion.objects.bulk_create(
                ProfileCriterion(
                    profile=profile,
                    metric=metric,
                    weight=Decimal(str(weight)),
                    normalisation=default_normalisation(metric),
                )
                for metric, weight in DEFAULT_PROFILE.items()
            )
            return profile
    except IntegrityError:  # created concurrently
        return KeyProfile.objects.get(is_active=True)


# --- the profile as an edited record (kam.core.locking) ------------------------------------------

#: The record every profile edit changes: the active version, whichever it is.
PROFILE_KEY = "keyprofile.keyprofile:active"
#: Each metric's settings are fields of that record: ``revenue.weight``, ``revenue.bands``…
PARTS = {
    "weight": _lazy("weight"),
    "normalisation": _lazy("normalisation"),
    "bands": _lazy("band edges"),
    "min_value": _lazy("threshold (minimum)"),
}


def profile_values(criteria: list[CriterionSpec]) -> dict[str, object]:
    """The criteria as fields, every metric included (unused: weight 0, the metric's default
    normalisation, no threshold)."""
    by_metric = {c.metric: c for c in criteria}
    values: dict[str, object] = {}
    for metric in Metric.values:
        c = by_metric.get(metric) or CriterionSpec(
            metric=metric, weight=0.0, normalisation=default_normalisation(metric)
        )
        values |= {
            f"{metric}.weight": c.weight,
            f"{metric}.normalisation": c.normalisation,
            f"{metric}.bands": list(c.bands),
            f"{metric}.min_value": c.min_value,
        }
    return values


def criteria_of(values: dict) -> list[CriterionSpec]:
    """:func:`profile_values` back to criteria (metrics without weight or threshold left out)."""
    criteria = []
    for metric in Metric.values:
        weight, minimum = values[f"{metric}.weight"], values[f"{metric}.min_value"]
        if not weight and minimum is None:
            continue
        criteria.append(
            CriterionSpec(
                metric=metric,
                weight=float(weight),
                normalisation=values[f"{metric}.normalisation"],
                bands=tuple(float(e) for e in values[f"{metric}.bands"]),
                min_value=None if minimum is None else float(minimum),
            )
        )
    return criteria


def field_label(name: str) -> str:
    """``revenue.weight`` → "Revenue, last 12 months: weight"."""
    metric, part = name.split(".", 1)
    return f"{Metric(metric).label}: {PARTS[part]}"


def profile_base(profile: KeyProfile) -> Base:
    """The base of an edit of the profile: version ``profile`` as the director loaded it."""
    return Base.of(PROFILE_KEY, profile_values(specs(profile)), watermark=profile.version)


def versions_since(version: int | None) -> tuple[list[Change], int | None]:
    """The versions saved after ``version``: who, when and which settings each changed."""
    older = KeyProfile.objects.filter(version=version).first() if version else None
    before = profile_values(specs(older)) if older else None
    changes, newest = [], version
    for profile in (
        KeyProfile.objects.filter(version__gt=version or 0)
        .select_related("created_by")
        .order_by("version")
    ):
        values = profile_values(specs(profile))
        changed = [n for n in values if before is None or not same(values[n], before[n])]
        changes.append(
            Change(
                profile.created_by, profile.created_at, tuple((n, field_label(n)) for n in changed)
            )
        )
        before, newest = values, profile.version
    return changes, newest


def save_version(
    *, by, criteria: list[CriterionSpec], note: str = "", base: Base | IfMatch | None = None
) -> KeyProfile:
    """Save the criteria as a new active version; the previous versions are kept unchanged.

    ``base`` is the version the director started from: settings changed meanwhile by a newer
    version are kept, settings both changed are an EditConflict (kam.core.locking)."""
    if not by.is_director:
        raise PermissionDenied
    if not any(c.weight > 0 for c in criteria):
        raise ValidationError(_("Give at least one criterion a weight above zero."))
    with transaction.atomic():
        list(KeyProfile.objects.select_for_update().filter(is_active=True))
        if isinstance(base, IfMatch):
            base.check(active_profile(), {})
        elif base is not None:
            current = profile_values(specs(active_profile()))
            write = check_values(
                base,
                key=PROFILE_KEY,
                current=current,
                submitted=profile_values(criteria),
                changes=versions_since,
            )
            criteria = criteria_of(current | write)
            if not any(c.weight > 0 for c in criteria):
                raise ValidationError(_("Give at least one criterion a weight above zero."))
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
    rescore(by=by, trigger=ScoringTrigger.PROFILE)
    return profile


# --- metrics and scoring ------------------------------------------------------------------------


def metrics_frame(
    today: dt.date | None = None, sales: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, dt.date]:
    """One row per client (company-wide) — the engine's metrics, the number of product categories
    bought in the same 12-month window, this year's potential, and the client's own flags and
    payment discipline — and the as-of day of those figures. ``sales`` is :func:`read_sales`
    output when the caller already has it."""
    today = today or timezone.localdate()
    fields = list(CLIENT_FIELD_METRICS.values())
    clients = [
        (pk, *(None if v is None else float(v) for v in values))
        for pk, *values in Client.objects.order_by("pk").values_list("pk", *fields)
    ]
    base = pl.DataFrame(
        clients,
        schema={s.CLIENT: pl.Int64, **dict.fromkeys(fields, pl.Float64)},
        orient="row",
    ).rename({field: COLUMN[metric] for metric, field in CLIENT_FIELD_METRICS.items()})
    sales = read_sales() if sales is None else sales
    as_of = today
    if sales.height:
        sales, as_of = engine_input(sales, today)
        metrics = scoring.client_metrics(sales, AnalysisConfig(as_of=as_of))
        base = base.join(metrics, on=s.CLIENT, how="left")
        base = base.join(_categories(as_of), on=s.CLIENT, how="left")
    return base.join(potential_frame(as_of.year), on=s.CLIENT, how="left"), as_of


def _categories(as_of: dt.date) -> pl.DataFrame:
    """Distinct product categories each client bought in the analysis window ending at as-of."""
    start, end = analysis_window(as_of, AnalysisConfig().window_months)
    counts = (
        SalesLine.objects.filter(date__range=(start, end))
        .exclude(product__category="")
        .values("client_id")
        .annotate(n=Count("product__category", distinct=True))
        .values_list("client_id", "n")
    )
    return pl.DataFrame(
        list(counts),
        schema={s.CLIENT: pl.Int64, COLUMN[Metric.CATEGORIES]: pl.Float64},
        orient="row",
    )


RANK, FAILURES = "rank", "failures"


def scored_frame(
    frame: pl.DataFrame, criteria: list[CriterionSpec]
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Score every row of ``frame`` (see the module docstring), all in Polars.

    Returns the frame sorted by rank with ``score``, ``rank``, ``contribution_<metric>`` for each
    criterion used and ``failures`` (the metrics whose threshold the row fails), and the metrics
    used and dropped (no data).
    """
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
            * scoring.normalised(COLUMN[c.metric], c.normalisation, c.bands)
        ).alias(s.CONTRIBUTION_PREFIX + c.metric)
        for c in used
    ]
    names = [s.CONTRIBUTION_PREFIX + c.metric for c in used]
    # A row without a value fails a threshold, as one below it.
    failures = [
        pl.when(pl.col(COLUMN[c.metric]).is_null() | (pl.col(COLUMN[c.metric]) < c.min_value))
        .then(pl.lit(c.metric))
        .otherwise(pl.lit(None, pl.String))
        for c in criteria
        if c.min_value is not None
    ]
    scored = (
        frame.with_columns(contributions)
        .with_columns(
            pl.sum_horizontal(names).alias(s.SCORE) if used else pl.lit(0.0).alias(s.SCORE),
            (
                pl.concat_list(failures).list.drop_nulls()
                if failures
                else pl.lit([], pl.List(pl.String))
            ).alias(FAILURES),
        )
        .sort([s.SCORE, s.CLIENT], descending=[True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(RANK))
    )
    return scored, [c.metric for c in used], dropped


def score(frame: pl.DataFrame, criteria: list[CriterionSpec]) -> Scoring:
    """:func:`scored_frame` as one :class:`ScoredClient` per row, sorted by rank."""
    scored, used, dropped = scored_frame(frame, criteria)
    rows = [
        ScoredClient(
            client_id=record[s.CLIENT],
            score=record[s.SCORE],
            rank=record[RANK],
            contributions={m: record[s.CONTRIBUTION_PREFIX + m] for m in used},
            values={c.metric: record[COLUMN[c.metric]] for c in criteria},
            failures=record[FAILURES],
        )
        for record in scored.iter_rows(named=True)
    ]
    return Scoring(rows=rows, used=used, dropped=dropped)


def _json_columns(criteria: list[CriterionSpec], used: list[str]) -> list[pl.Expr]:
    """The three JSON columns of a stored score, encoded by Polars (no per-row Python)."""

    def finite(column: str) -> pl.Expr:
        x = pl.col(column).cast(pl.Float64)
        return pl.when(x.is_finite()).then(x)  # JSON has no NaN or infinity: unknown

    def as_object(parts: list[pl.Expr]) -> pl.Expr:
        return pl.struct(parts).struct.json_encode() if parts else pl.lit("{}")

    return [
        as_object([pl.col(s.CONTRIBUTION_PREFIX + m).alias(m) for m in used]).alias(
            "contributions"
        ),
        as_object([finite(COLUMN[c.metric]).alias(c.metric) for c in criteria]).alias("values"),
        # metric names are plain identifiers: quoting them is all the encoding they need
        pl.format(
            "[{}]", pl.col(FAILURES).list.eval(pl.format('"{}"', pl.element())).list.join(",")
        ).alias("failures"),
    ]


def key_count() -> int:
    """N of the top-N key candidate list: the number of current key clients."""
    return Client.objects.filter(is_key=True).count()


def top_candidates(result: Scoring, n: int) -> list[int]:
    return [row.client_id for row in result.rows if row.candidate][:n]


def weight_percents(weights: dict[str, float]) -> dict[str, float]:
    """Each weighted criterion's share of the score in per cent (they add up to 100).

    Weights are stored as the director typed them and only their ratios count: a criterion
    with weight 2 beside one with weight 1 gives two thirds of the points."""
    total = sum(w for w in weights.values() if w > 0)
    return {m: 100.0 * w / total for m, w in weights.items() if w > 0} if total else {}


@dataclass
class PreviewRow:
    client: Client
    score_before: float | None
    rank_before: int | None
    score_after: float
    rank_after: int


@dataclass
class Preview:
    n: int
    entering: list[Client]
    leaving: list[Client]
    median_before: float | None = None
    median_after: float | None = None
    #: The top clients under the new criteria with their score and rank now.
    rows: list[PreviewRow] = field(default_factory=list)


#: Rows of the preview's before/after table: the top N key candidates, at least this many.
PREVIEW_ROWS = 10


def preview(criteria: list[CriterionSpec]) -> Preview:
    """Which clients would enter and leave the top-N key candidates under ``criteria``, how the
    median score moves and the new top clients' scores and ranks before and after."""
    frame, _as_of = metrics_frame()
    n = key_count()
    before, after = score(frame, specs(active_profile())), score(frame, criteria)
    old, new = set(top_candidates(before, n)), set(top_candidates(after, n))
    top = after.rows[: max(n, PREVIEW_ROWS)]
    was = {row.client_id: row for row in before.rows}
    clients = Client.objects.in_bulk(old ^ new | {row.client_id for row in top})
    return Preview(
        n=n,
        entering=sorted((clients[i] for i in new - old), key=lambda c: c.name),
        leaving=sorted((clients[i] for i in old - new), key=lambda c: c.name),
        median_before=_median(before),
        median_after=_median(after),
        rows=[
            PreviewRow(
                client=clients[row.client_id],
                score_before=was[row.client_id].score if row.client_id in was else None,
                rank_before=was[row.client_id].rank if row.client_id in was else None,
                score_after=row.score,
                rank_after=row.rank,
            )
            for row in top
        ],
    )


def _median(result: Scoring) -> float | None:
    return statistics.median(row.score for row in result.rows) if result.rows else None


# --- stored scorings (movement since the last one) ----------------------------------------------


def latest_run() -> ScoringRun | None:
    return ScoringRun.objects.select_related("profile", "created_by").order_by("-pk").first()


def can_rescore(user) -> bool:
    return user.is_director or user.role == Role.KAM


def rescore(
    *,
    by=None,
    trigger: str = ScoringTrigger.MANUAL,
    sales: pl.DataFrame | None = None,
    today: dt.date | None = None,
) -> ScoringRun:
    """Score every client against the active profile and store the run.

    ``by`` is who asked for it; asking by hand is for the director and KAMs, while a recompute
    (after anybody's sales import) or a new profile version rescore on their own. ``today``
    scores as of an earlier day (sales after it are ignored), as the demo does for its history.

    Each client's row keeps its score and rank of the previous run, so the list shows movement
    without joining runs. Only the newest :data:`KEEP_RUNS` runs are kept.
    """
    if trigger == ScoringTrigger.MANUAL and by is not None and not can_rescore(by):
        raise PermissionDenied
    started = time.perf_counter()
    profile = active_profile()
    criteria = specs(profile)
    frame, as_of = metrics_frame(today=today, sales=sales)
    scored, used, dropped = scored_frame(frame, criteria)
    with transaction.atomic():
        previous = latest_run()
        before = pl.DataFrame(
            list(previous.scores.values_list("client_id", "score", "rank")) if previous else [],
            schema={s.CLIENT: pl.Int64, "previous_score": pl.Float64, "previous_rank": pl.Int64},
            orient="row",
        )
        run = ScoringRun.objects.create(
            profile=profile,
            as_of=as_of,
            created_by=by,
            trigger=trigger,
            used=used,
            dropped=dropped,
            clients=scored.height,
        )
        rows = (
            scored.join(before, on=s.CLIENT, how="left")
            .sort(RANK)
            .select(
                pl.lit(run.pk).alias("run"),
                s.CLIENT,
                s.SCORE,
                RANK,
                "previous_score",
                "previous_rank",
                (pl.col(FAILURES).list.len() == 0).alias("candidate"),
                *_json_columns(criteria, used),
            )
        )
        insert_frame(ClientScore, rows.rename(dict(zip(rows.columns, SCORE_FIELDS, strict=True))))
        stale = ScoringRun.objects.order_by("-pk").values_list("pk", flat=True)[KEEP_RUNS:]
        ScoringRun.objects.filter(pk__in=list(stale)).delete()
        run.seconds = time.perf_counter() - started
        run.save(update_fields=["seconds"])
    return run


def ensure_scored() -> ScoringRun:
    """The newest run; the first reader of a fresh installation triggers the first scoring."""
    return latest_run() or rescore(trigger=ScoringTrigger.MANUAL)


def recompute_and_rescore(*, by=None, progress: Progress | None = None) -> AnalyticsRun:
    """The analytics recompute, then a scoring of every client on the fresh figures."""

    def score_all(sales: pl.DataFrame) -> None:
        if progress:
            progress("score against the key-client profile")
        rescore(by=by, trigger=ScoringTrigger.RECOMPUTE, sales=sales)

    return recompute(by=by, progress=progress, follow_up=score_all)
