"""`recompute`: run the analytics core over all sales lines and store the per-client snapshot.

Classes are company-wide: the engine sees every sales line of every client. The snapshot is
replaced as a whole (delete + bulk insert in one transaction), so readers always see one run.
"""

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from decimal import Decimal

import polars as pl
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from kam.analytics import schema as s
from kam.analytics import scoring
from kam.analytics.config import AnalysisConfig
from kam.analytics.engine import AnalysisResult, analyze
from kam.clients.models import Client
from kam.core.bulk import insert_instances
from kam.core.figures import as_of_date
from kam.core.jobs import current_worker
from kam.core.locking import Base
from kam.core.services import locked_edit
from kam.potential.selectors import potential_frame
from kam.sales.models import SalesLine

from .models import AnalyticsRun, AnalyticsSettings, ClientAnalytics, RunStatus

logger = logging.getLogger(__name__)

FETCH_CHUNK = 100_000
PARETO_POINTS = 200

Progress = Callable[[str], None]

_TX_SCHEMA = {s.CLIENT: pl.Int64, s.DATE: pl.Date, s.AMOUNT: pl.Float64, s.COST: pl.Float64}


def read_sales() -> pl.DataFrame:
    """Every sales line as ``client_id, date, amount, cost``, fetched in chunks of plain tuples.

    A raw cursor over the ORM's query (so the lines are exactly those readers see), not model
    instances: one row costs a tuple, and memory stays bounded by the chunk until Polars holds
    the columns. Amounts are cast to floats in SQL (no ``Decimal``s).
    """
    lines = SalesLine.objects.order_by().values_list(
        "client_id", "date", Cast("amount", FloatField()), Cast("cost", FloatField())
    )
    sql, params = lines.query.sql_with_params()
    frames = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_CHUNK):
            date_type = pl.String if isinstance(rows[0][1], str) else pl.Date
            chunk = pl.DataFrame(rows, schema={**_TX_SCHEMA, s.DATE: date_type}, orient="row")
            if chunk.schema[s.DATE] == pl.String:  # SQLite without date converters: text
                chunk = chunk.with_columns(pl.col(s.DATE).str.to_date("%Y-%m-%d"))
            frames.append(chunk)
    if not frames:
        return pl.DataFrame(schema=_TX_SCHEMA)
    return pl.concat(frames, rechunk=True)


def read_attributes(year: int) -> pl.DataFrame:
    """The client attributes the engine reads besides the sales lines, in two queries:
    ``is_leader`` (the industry-leader flag → image-maker), ``is_expert`` (→ expert), and the
    ``potential`` and ``share_of_wallet`` of ``year`` (high potential, low share → prospective;
    potential is also a criterion of the engine's default score)."""
    rows = Client.objects.order_by("pk").values_list("pk", "is_industry_leader", "is_expert")
    flags = pl.DataFrame(
        list(rows),
        schema={s.CLIENT: pl.Int64, scoring.IS_LEADER: pl.Boolean, scoring.IS_EXPERT: pl.Boolean},
        orient="row",
    )
    return flags.join(potential_frame(year), on=s.CLIENT, how="left")


def recompute(
    *,
    by=None,
    progress: Progress | None = None,
    follow_up: Callable[[pl.DataFrame], object] | None = None,
) -> AnalyticsRun:
    """Analyse all sales and replace every client's snapshot; return the run row.

    With no sales lines the run is stored with status ``empty`` and the snapshot is cleared.
    A failure of the engine is stored on the run (status ``failed``) and re-raised.
    ``follow_up`` (the key-client scoring) runs after the snapshot is stored, with the sales
    lines already read, so they are read once; its time is ``timings["follow_up"]``.
    """
    say = progress or (lambda message: None)
    run = AnalyticsRun.objects.create(
        started_at=timezone.now(), triggered_by=by, worker=current_worker()
    )
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        say("read sales lines")
        sales = read_sales()
        timings["read"] = time.perf_counter() - started
        run.lines = sales.height
        if not sales.height:
            with transaction.atomic():
                ClientAnalytics.objects.all().delete()
            _finish(run, RunStatus.EMPTY, timings)
        else:
            _analyse_and_store(run, sales, timings, say)
    except Exception as error:
        logger.exception("analytics recompute %s failed", run.pk)
        run.error = f"{type(error).__name__}: {error}"
        _finish(run, RunStatus.FAILED, timings)
        raise
    if follow_up is not None:  # outside the try: the snapshot stands whatever happens here
        started = time.perf_counter()
        follow_up(sales)
        run.timings["follow_up"] = round(time.perf_counter() - started, 4)
        run.save(update_fields=["timings"])
    return run


def engine_input(sales: pl.DataFrame, today: dt.date | None = None) -> tuple[pl.DataFrame, dt.date]:
    """Non-empty :func:`read_sales` lines as the engine takes them, and their as-of day: the last
    sale, never after ``today``. The core refuses empty costs; without a cost on every line the
    margins are unknown, so the cost column is left out and scoring falls back to revenue."""
    if sales[s.COST].null_count():
        sales = sales.drop(s.COST)
    last = sales[s.DATE].max()
    assert isinstance(last, dt.date)
    return sales, as_of_date(last, today)


def _analyse_and_store(
    run: AnalyticsRun, sales: pl.DataFrame, timings: dict[str, float], say: Progress
) -> None:
    """Run the engine over the sales lines and replace the snapshot with its result."""
    started = time.perf_counter()
    sales, as_of = engine_input(sales)
    costs_complete = s.COST in sales.columns  # the run records it
    config = AnalysisConfig(
        as_of=as_of, backtest_months=AnalyticsSettings.current().backtest_months
    )
    say("read client attributes")
    attributes = read_attributes(as_of.year)
    timings["read"] += time.perf_counter() - started  # the sales lines and the attributes
    result = analyze(
        sales,
        config,
        attributes=attributes,
        progress=lambda step: say(f"analyse: {step}"),
    )
    timings |= {f"engine.{k}": v for k, v in result.timings.items()}
    timings["engine"] = sum(result.timings.values())
    say("write snapshots")
    started = time.perf_counter()
    computed_at = timezone.now()
    rows = _snapshots(result, computed_at)
    with transaction.atomic():
        ClientAnalytics.objects.all().delete()
        insert_instances(ClientAnalytics, rows)
        _store(run, result, config.backtest_months)
        run.models_json["costs_complete"] = costs_complete
        timings["write"] = time.perf_counter() - started
        _finish(run, RunStatus.SUCCEEDED, timings)


def _finish(run: AnalyticsRun, status: str, timings: dict[str, float]) -> AnalyticsRun:
    run.status = status
    run.finished_at = timezone.now()
    run.timings = {k: round(v, 4) for k, v in timings.items()}
    run.save()
    return run


def _store(run: AnalyticsRun, result: AnalysisResult, backtest_months: int) -> None:
    """The company-wide figures: no client names and no client ids are kept on the run."""
    run.as_of = result.config.as_of
    run.window_start, run.window_end = result.window
    run.clients = result.clients.height
    run.models_json = {
        "bgnbd": _fit_dict(
            result.bgnbd, ("r", "alpha", "a", "b", "log_likelihood", "n_clients", "repeat_buyers")
        ),
        "gamma_gamma": _fit_dict(
            result.gamma_gamma, ("p", "q", "gamma", "log_likelihood", "n_clients")
        ),
        "model_error": result.model_error,
        "quality": result.quality.as_dict(),
        "time_unit": result.config.time_unit,
        "horizon_periods": result.config.horizon_periods,
    }
    run.matrix = [
        {k: _plain(v) for k, v in row.items()}
        for row in result.matrix.select(
            s.ABC, s.XYZ, "clients", "client_share", "value_share"
        ).to_dicts()
    ]
    run.pareto = pareto_points(result.pareto["client_share"], result.pareto["cum_value_share"])
    run.top20_share = _plain(result.top20_share)
    run.backtest = _backtest_dict(result, backtest_months)


def _backtest_dict(result: AnalysisResult, months: int) -> dict:
    """The backtest summary, its holdout, rating and deciles (empty: no backtest)."""
    checked = result.backtest
    if checked is None:
        return {}
    return {
        **{k: _plain(v) for k, v in checked.summary.items()},
        "months": months,
        "as_of": checked.as_of.isoformat() if checked.as_of else None,
        "holdout_end": checked.holdout_end.isoformat() if checked.holdout_end else None,
        "rating": checked.rating or {},
        "deciles": [
            {k: _plain(v) for k, v in row.items()}
            for row in (checked.deciles.to_dicts() if checked.deciles is not None else [])
        ],
    }


def analytics_settings_update(
    *, by, base: Base | None = None, backtest_months: int
) -> AnalyticsSettings:
    """Change the recompute's settings (directors only); they apply from the next recompute."""
    if not by.is_director:
        raise PermissionDenied
    with transaction.atomic():
        row, _created = AnalyticsSettings.objects.get_or_create(pk=1)
        row, fields = locked_edit(row, base, {"backtest_months": backtest_months})
        for name, value in fields.items():
            setattr(row, name, value)
        row.full_clean()
        row.save()
    return row


def pareto_points(client_share, value_share, limit: int = PARETO_POINTS) -> list[list[float]]:
    """The curve from (0, 0), downsampled to at most ``limit`` points (the last one kept)."""
    xs, ys = list(client_share), list(value_share)
    if len(xs) > limit - 1:
        step = len(xs) / (limit - 1)
        picks = sorted(
            {min(len(xs) - 1, int(math.ceil((i + 1) * step)) - 1) for i in range(limit - 1)}
        )
        xs, ys = [xs[i] for i in picks], [ys[i] for i in picks]
    return [[0.0, 0.0]] + [[round(x, 6), round(y, 6)] for x, y in zip(xs, ys, strict=True)]


def _fit_dict(fit, names) -> dict | None:
    if fit is None:
        return None
    return {name: _plain(getattr(fit, name)) for name in names}


def _plain(value):
    """JSON-safe: NaN and infinities become None, numpy scalars Python numbers."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return number if math.isfinite(number) else None


def _money(value) -> Decimal | None:
    if value is None or not math.isfinite(value):
        return None
    return Decimal(f"{value:.2f}")


def _snapshots(result: AnalysisResult, computed_at):
    frame = result.clients
    as_of = result.config.as_of
    assert as_of is not None  # analyze() resolves it
    wanted = [
        s.CLIENT, s.ABC, s.XYZ, s.VALUE, s.SHARE, s.CV, s.R_SCORE, s.F_SCORE, s.M_SCORE,
        s.RFM_SEGMENT, s.TYPICAL_GAP_DAYS, s.SILENCE_DAYS, s.RHYTHM_FLAG, s.P_ALIVE,
        s.EXPECTED_PURCHASES, s.EXPECTED_SPEND, s.CLV, s.RISK, s.REASON, s.SCORE, s.SCORE_RANK,
        s.SUGGESTED_TYPE,
    ]  # fmt: skip
    present = [c for c in wanted if c in frame.columns]
    purchases_source = result.quality.bgnbd.source
    spend_source = result.quality.gamma_gamma.source
    for row in frame.select(present).iter_rows(named=True):
        get = row.get
        yield ClientAnalytics(
            client_id=row[s.CLIENT],
            computed_at=computed_at,
            as_of=as_of,
            abc=get(s.ABC) or "",
            xyz=get(s.XYZ) or "",
            value=_money(get(s.VALUE)) or Decimal("0"),
            share=_finite(get(s.SHARE)),
            cv=_finite(get(s.CV)),
            r_score=get(s.R_SCORE),
            f_score=get(s.F_SCORE),
            m_score=get(s.M_SCORE),
            rfm_segment=get(s.RFM_SEGMENT) or "",
            typical_gap_days=_finite(get(s.TYPICAL_GAP_DAYS)),
            silence_days=_int(get(s.SILENCE_DAYS)),
            p_alive=_finite(get(s.P_ALIVE)),
            expected_purchases=_finite(get(s.EXPECTED_PURCHASES)),
            expected_spend=_money(get(s.EXPECTED_SPEND)),
            clv=_money(get(s.CLV)),
            purchases_source=purchases_source,
            spend_source=spend_source,
            risk=get(s.RISK) or "",
            rhythm_flag=get(s.RHYTHM_FLAG) or "",
            reason=get(s.REASON) or "",
            score=_finite(get(s.SCORE)),
            score_rank=get(s.SCORE_RANK),
            suggested_type=get(s.SUGGESTED_TYPE) or "",
        )


def _finite(value) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _int(value) -> int | None:
    number = _finite(value)
    return None if number is None else int(number)
