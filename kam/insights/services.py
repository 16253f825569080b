"""`recompute`: run the analytics core over all sales lines and store the per-client snapshot.

Classes are company-wide: the engine sees every sales line of every client. The snapshot is
replaced as a whole (delete + bulk insert in one transaction), so readers always see one run.
"""

import datetime as dt
import logging
import math
import time
from collections.abc import Callable

import polars as pl
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Field, FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from kam.analytics import schema as s
from kam.analytics import scoring
from kam.analytics.config import AnalysisConfig
from kam.analytics.engine import AnalysisResult, analyze
from kam.clients.models import Client
from kam.core.bulk import insert_frame
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
    started = time.perf_counter()
    result = analyze(
        sales,
        config,
        attributes=attributes,
        progress=lambda step: say(f"analyse: {step}"),
    )
    timings |= {f"engine.{k}": v for k, v in result.timings.items()}
    timings["engine"] = time.perf_counter() - started  # its steps overlap: not their sum
    say("write snapshots")
    started = time.perf_counter()
    with transaction.atomic():
        ClientAnalytics.objects.all().delete()
        write_snapshots(
            result.clients,
            computed_at=timezone.now(),
            as_of=as_of,
            sources=(result.quality.bgnbd.source, result.quality.gamma_gamma.source),
        )
        timings["write.snapshots"] = time.perf_counter() - started
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


# The snapshot's columns, named as the engine names them (ClientAnalytics' fields by the same
# names), by how each is stored: text ("" when missing), a finite float, a whole number, money.
_TEXTS = (s.ABC, s.XYZ, s.RFM_SEGMENT, s.RHYTHM_FLAG, s.RISK, s.REASON, s.SUGGESTED_TYPE)
_FLOATS = (s.SHARE, s.CV, s.TYPICAL_GAP_DAYS, s.P_ALIVE, s.EXPECTED_PURCHASES, s.SCORE)
_COUNTS = (s.R_SCORE, s.F_SCORE, s.M_SCORE, s.SILENCE_DAYS, s.SCORE_RANK)
_MONEY = (s.VALUE, s.EXPECTED_SPEND, s.CLV)


def write_snapshots(
    clients: pl.DataFrame, *, computed_at: dt.datetime, as_of: dt.date, sources: tuple[str, str]
) -> int:
    """Insert one ``ClientAnalytics`` row per row of the engine's client frame; return the count.

    Built by Polars and written by :func:`insert_frame` (COPY on PostgreSQL), not as a model
    instance per client (13 s at 100,000 clients), and stored as saving those instances would
    store them. A column the run did not produce is stored empty, NaN and infinities as unknown.
    """
    absent = [c for c in (*_TEXTS, *_FLOATS, *_COUNTS, *_MONEY) if c not in clients.columns]
    frame = clients.with_columns(
        pl.lit(None, pl.String if c in _TEXTS else pl.Float64).alias(c) for c in absent
    )
    purchases_source, spend_source = sources
    constants = {
        "computed_at": computed_at,
        "as_of": as_of,
        "purchases_source": purchases_source,
        "spend_source": spend_source,
    }
    rows = frame.select(
        pl.col(s.CLIENT).cast(pl.Int64),
        *(pl.lit(_prepared(name, value)).alias(name) for name, value in constants.items()),
        *(pl.col(c).cast(pl.String).fill_null("") for c in _TEXTS),
        *(_finite(c) for c in _FLOATS),
        *(_finite(c).cast(pl.Int64) for c in _COUNTS),
        _money(s.VALUE).fill_null("0"),  # not null in the table: no value is nothing bought
        *(_money(c) for c in _MONEY if c != s.VALUE),
    )
    insert_frame(ClientAnalytics, rows)
    return rows.height


def _prepared(name: str, value):
    """``value`` as ``ClientAnalytics.<name>`` hands it to the database on save (on SQLite a
    datetime goes as naive UTC text, which the column's readers compare)."""
    field = ClientAnalytics._meta.get_field(name)
    assert isinstance(field, Field)
    return field.get_db_prep_save(value, connection)


def _finite(column: str) -> pl.Expr:
    """The column as floats, NaN and infinities as null (unknown)."""
    x = pl.col(column).cast(pl.Float64)
    return pl.when(x.is_finite()).then(x).alias(column)


def _money(column: str) -> pl.Expr:
    """The column rounded to kopecks as decimal text ("-12.30"; null when not finite), rounded as
    ``f"{x:.2f}"`` rounds: the nearest cent to the float's exact value, ties to even.

    Polars' ``round(2)`` and its Decimal cast round ``x * 100`` after that product was itself
    rounded, so they miss by a kopeck on values like 513991.735; the product's exact error
    (Dekker's split; 100 needs no split) tells which side of the half-way point ``x`` is on.
    """
    x = _finite(column)
    scaled = x * 100.0
    big = x * 134_217_729.0  # 2**27 + 1
    high = big - (big - x)
    error = (high * 100.0 - scaled) + (x - high) * 100.0  # x * 100 - scaled, exactly
    whole = scaled.floor()
    half = scaled - whole
    up = (half > 0.5) | ((half == 0.5) & ((error > 0) | ((error == 0) & (whole % 2 != 0))))
    cents = (whole + up.cast(pl.Float64)).cast(pl.Int64)
    units = cents.abs()
    return pl.concat_str(
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (units // 100).cast(pl.String),
        pl.lit("."),
        (units % 100).cast(pl.String).str.zfill(2),
    ).alias(column)
