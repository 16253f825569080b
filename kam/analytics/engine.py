"""One analysis run: every step of the core over one transactions frame.

The CLI (`kam analyze`), `kam recompute` and the API all call :func:`analyze`; it is the single
place that decides how the steps fit together.
"""

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import polars as pl

from . import abc_xyz, bgnbd, clv, gamma_gamma, pareto, quality, rfm, rhythm, scoring, summary
from . import schema as s
from .backtest import BacktestResult, backtest, holdout_periods, holdout_start, predict_holdout
from .config import AnalysisConfig
from .frames import validate_transactions
from .windows import analysis_window, resolve_as_of, split

Progress = Callable[[str], None]


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one run produces.

    Attributes
    ----------
    config
        The configuration used, with ``as_of`` resolved.
    window
        First and last day of the ABC/XYZ analysis window.
    clients
        One row per client with a transaction up to as-of: the columns of
        :mod:`kam.analytics.schema` (classes, RFM, rhythm and risk, model predictions, score).
    matrix
        The ABC-XYZ matrix (see :func:`kam.analytics.abc_xyz.abc_xyz_matrix`).
    pareto
        The concentration curve; ``top20_share`` is the share of value of the top 20 %.
    bgnbd, gamma_gamma
        The fitted models, or ``None`` with the reason in ``model_error``.
    quality
        The verdict on each fit and where its figures come from (the model or its fallback;
        :mod:`kam.analytics.quality`), the backtest's rating included.
    backtest
        The holdout comparison: over the transactions after as-of when there are any, else over
        the last ``config.backtest_months`` months before as-of; ``None`` when neither is
        possible.
    timings
        Seconds spent in each step.
    """

    config: AnalysisConfig
    window: tuple[dt.date, dt.date]
    clients: pl.DataFrame
    matrix: pl.DataFrame
    pareto: pl.DataFrame
    top20_share: float
    bgnbd: bgnbd.BGNBDFit | None
    gamma_gamma: gamma_gamma.GammaGammaFit | None
    model_error: str | None
    quality: quality.FitQuality
    backtest: BacktestResult | None
    timings: dict[str, float] = field(default_factory=dict)


def analyze(
    transactions: pl.DataFrame,
    config: AnalysisConfig | None = None,
    *,
    attributes: pl.DataFrame | None = None,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Run the whole engine.

    Parameters
    ----------
    transactions
        ``client_id``, ``date``, ``amount`` and optionally ``cost`` or ``margin``.
    config
        Parameters; ``as_of=None`` means the last transaction date.
    attributes
        Optional per-client attributes for scoring (``client_id`` plus e.g. ``potential``,
        ``is_leader``, ``is_expert``).
    progress
        Called with the name of each step as it starts (for progress bars).

    Raises
    ------
    kam.analytics.frames.AnalyticsInputError
        When a required column is missing or malformed.
    """
    config = config or AnalysisConfig()
    timings: dict[str, float] = {}

    def step(name: str):
        if progress:
            progress(name)
        timings[name] = time.perf_counter()

    def done(name: str) -> None:
        timings[name] = time.perf_counter() - timings[name]

    step("validate")
    tx = validate_transactions(transactions, need_margin=config.abc_by == "margin")
    tx, ids = _coded(tx)
    if ids is not None and attributes is not None and s.CLIENT in attributes.columns:
        attributes = _code_attributes(attributes, ids)
    config = dataclasses.replace(config, as_of=resolve_as_of(tx, config.as_of))
    assert config.as_of is not None  # resolved just above
    calibration, holdout = split(tx, config.as_of)
    done("validate")

    step("summary")
    # The lines grouped once, per client and day: every step but the backtest reads these.
    daily = summary.daily_lines(calibration)
    totals = daily.select(s.CLIENT, s.DATE, pl.col(s.AMOUNT).alias(summary.DAY_TOTAL))
    days = summary.purchases(totals)
    per_client = summary.summary_from_purchase_days(days, config.as_of, config.days_per_unit)
    done("summary")

    # The model fits and the backtest are numpy on one thread; the other steps are Polars. Run
    # side by side they take the longer of the two on a two-core machine instead of the sum.
    with ThreadPoolExecutor(max_workers=1) as pool:
        fitted = pool.submit(_timed, timings, "models", _models, per_client, config)

        step("abc_xyz")
        classes = abc_xyz.abc_xyz(daily, config)
        matrix = abc_xyz.abc_xyz_matrix(classes)
        curve = pareto.pareto_curve(classes.select(s.CLIENT, s.VALUE))
        top20 = pareto.top_share(classes.select(s.CLIENT, s.VALUE))
        done("abc_xyz")

        step("rfm")
        segments = rfm.rfm(daily, config, totals=totals)
        done("rfm")

        step("scoring")
        # The scoring ranks by revenue: the classes above are those when ABC is by revenue.
        revenue_classes = classes if config.abc_by == "revenue" else None
        scores = scoring.score_clients(daily, config, attributes, classes=revenue_classes)
        done("scoring")

        if progress:
            progress("models")
        fit_bg, fit_gg, model_error, verdicts, predictions = fitted.result()
        checking = pool.submit(
            _timed,
            timings,
            "backtest",
            _backtest,
            calibration,
            days,
            holdout,
            per_client,
            fit_bg,
            fit_gg,
            verdicts,
            config,
        )

        step("rhythm")
        # A rule's P(alive) would only repeat the rhythm's own silence test: confirm with the
        # model's.
        alive = None if verdicts.bgnbd.fallback else predictions.select(s.CLIENT, s.P_ALIVE)
        risks = rhythm.rhythm(daily, config, p_alive=alive, days=days)
        done("rhythm")

        step("combine")
        clients = _combine(daily, predictions, classes, segments, risks, scores)
        done("combine")

        if progress:
            progress("backtest")
        checked = checking.result()
    if checked is not None and checked.rating:
        verdicts = quality.FitQuality(
            bgnbd=quality.with_backtest(verdicts.bgnbd, checked.rating.get("purchases")),
            gamma_gamma=quality.with_backtest(verdicts.gamma_gamma, checked.rating.get("amount")),
        )
    if ids is not None:
        clients, curve = _decoded(clients, ids), _decoded(curve, ids)
        if checked is not None:
            checked = dataclasses.replace(checked, clients=_decoded(checked.clients, ids))
    return AnalysisResult(
        config=config,
        window=analysis_window(config.as_of, config.window_months),
        clients=clients,
        matrix=matrix,
        pareto=curve,
        top20_share=top20,
        bgnbd=fit_bg,
        gamma_gamma=fit_gg,
        model_error=model_error,
        quality=verdicts,
        backtest=checked,
        timings=timings,
    )


T = TypeVar("T")


def _timed(timings: dict[str, float], name: str, work: Callable[..., T], *args) -> T:
    """``work(*args)``, its seconds recorded under ``name`` (for a step run on the pool)."""
    started = time.perf_counter()
    try:
        return work(*args)
    finally:
        timings[name] = time.perf_counter() - started


def _models(per_client: pl.DataFrame, config: AnalysisConfig):
    """Both fits, their verdicts and the per-client predictions."""
    fit_bg, fit_gg, model_error = _fit_models(per_client)
    verdicts = clv.assess(fit_bg, fit_gg)
    predictions = clv.predict(per_client, fit_bg, fit_gg, config, quality=verdicts)
    return fit_bg, fit_gg, model_error, verdicts, predictions


def _coded(tx: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series | None]:
    """Text ids (a file's) replaced by their position among the sorted distinct ids, and those
    ids; other ids (the database's integers) as they are, with ``None``.

    Every step groups and joins by client: on integers Polars does that several times faster
    (`kam analyze` spent a quarter of its time hashing text ids). Positions keep the ids' order,
    so every tie broken by client id falls as before.
    """
    if tx.schema[s.CLIENT] != pl.String:
        return tx, None
    ids = tx.get_column(s.CLIENT).unique().sort()
    codes = (
        ids.to_frame().with_row_index("_code").cast({"_code": pl.UInt32})
    )  # a join: faster than an Enum cast
    coded = tx.join(codes, on=s.CLIENT, how="left", maintain_order="left")
    return coded.drop(s.CLIENT).rename({"_code": s.CLIENT}).select(tx.columns), ids


def _code_attributes(attributes: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """The attributes of the clients in the transactions, keyed by their codes (others have
    no row to join to)."""
    known = pl.col(s.CLIENT).cast(pl.String).cast(pl.Enum(ids), strict=False)
    return (
        attributes.with_columns(known.to_physical().alias(s.CLIENT))
        .filter(pl.col(s.CLIENT).is_not_null())
        .cast({s.CLIENT: pl.UInt32})
    )


def _decoded(frame: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """``frame`` with its client codes back to the given ids."""
    return frame.with_columns(ids.gather(frame.get_column(s.CLIENT)).alias(s.CLIENT))


def _backtest(
    calibration: pl.DataFrame,
    days: pl.DataFrame,
    holdout: pl.DataFrame,
    per_client: pl.DataFrame,
    fit_bg: bgnbd.BGNBDFit | None,
    fit_gg: gamma_gamma.GammaGammaFit | None,
    verdicts: quality.FitQuality,
    config: AnalysisConfig,
) -> BacktestResult | None:
    """The run's own fits against the transactions after as-of; without any, fits on the history
    before the last ``backtest_months`` months against those months. Forecasts fall back as the
    run's would, so the backtest judges the figures the pages show."""
    as_of = config.as_of
    assert as_of is not None
    if holdout.height:
        end = holdout[s.DATE].max()
        assert isinstance(end, dt.date)
        periods = holdout_periods(as_of, end, config)
        predicted = predict_holdout(per_client, fit_bg, fit_gg, periods, verdicts)
        return backtest(predicted, holdout, as_of=as_of, holdout_end=end, periods=periods)
    if config.backtest_months < 1:
        return None
    start = holdout_start(as_of, config.backtest_months)
    later = calibration.filter(pl.col(s.DATE) > start)
    earlier_days = days.filter(pl.col(s.DATE) <= start)
    if not earlier_days.height or not later.height:
        return None
    history = summary.summary_from_purchase_days(earlier_days, start, config.days_per_unit)
    if not history.height:
        return None
    # The run's own fits start the optimiser next to the optimum: the history differs by months.
    bg, gg, _error = _fit_models(history, fit_bg, fit_gg)
    periods = holdout_periods(start, as_of, config)
    predicted = predict_holdout(history, bg, gg, periods, clv.assess(bg, gg))
    return backtest(predicted, later, as_of=start, holdout_end=as_of, periods=periods)


def _fit_models(
    per_client: pl.DataFrame,
    near_bg: bgnbd.BGNBDFit | None = None,
    near_gg: gamma_gamma.GammaGammaFit | None = None,
) -> tuple[bgnbd.BGNBDFit | None, gamma_gamma.GammaGammaFit | None, str | None]:
    """Fit both models (starting from ``near_*`` first when given); a fit the data cannot support
    is reported, not raised."""
    try:
        fit_bg = bgnbd.fit_frame(per_client, start=near_bg.params if near_bg else None)
    except bgnbd.ModelFitError as error:
        return None, None, f"BG/NBD: {error}"
    try:
        fit_gg = gamma_gamma.fit_frame(
            per_client,
            drop_nonpositive=True,
            start=(near_gg.p, near_gg.q, near_gg.gamma) if near_gg else None,
        )
    except bgnbd.ModelFitError as error:
        return fit_bg, None, f"Gamma-Gamma: {error}"
    return fit_bg, fit_gg, None


def _combine(
    daily: pl.DataFrame,
    predictions: pl.DataFrame,
    classes: pl.DataFrame,
    segments: pl.DataFrame,
    risks: pl.DataFrame,
    scores: pl.DataFrame,
) -> pl.DataFrame:
    """One row per client seen up to as-of; each step contributes only the columns it owns."""
    ids = daily.lazy().select(pl.col(s.CLIENT).unique())
    owned = [
        predictions,
        classes.select(
            s.CLIENT,
            s.VALUE,
            s.RANK,
            s.SHARE,
            s.CUM_SHARE_ABOVE,
            s.ABC,
            s.MONTHS_OBSERVED,
            s.CV,
            s.XYZ,
        ),
        segments.select(s.CLIENT, s.R_SCORE, s.F_SCORE, s.M_SCORE, s.RFM_SEGMENT),
        risks.select(s.CLIENT, s.TYPICAL_GAP_DAYS, s.SILENCE_DAYS, s.RHYTHM_FLAG, s.RISK, s.REASON),
        scores.select(
            s.CLIENT,
            s.SCORE,
            s.SCORE_RANK,
            s.SUGGESTED_TYPE,
            pl.col(f"^{s.CONTRIBUTION_PREFIX}.*$"),
        ),
    ]
    combined = ids
    for frame in owned:
        combined = combined.join(frame.lazy(), on=s.CLIENT, how="left")
    return combined.sort(s.RANK, s.CLIENT, nulls_last=True).collect()
