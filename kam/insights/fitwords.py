"""The models and the backtest of a recompute in words a KAM reads: what the fit verdict means,
what the numbers fall back to, what the parameters say about a typical client, and how the
forecasts would have done on the company's own history. The raw parameters stay in the export
and the API (``AnalyticsRun.models_json``)."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.dateparse import parse_date
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.analytics import quality as q
from kam.analytics.clv import DAYS_PER_YEAR

VERDICTS = {
    q.OK: gettext_lazy("reliable"),
    q.UNSTABLE: gettext_lazy("unstable"),
    q.DEGENERATE: gettext_lazy("not usable"),
}
REASONS = {
    q.NOT_FITTED: gettext_lazy("the data are not enough to fit it"),
    q.NOT_CONVERGED: gettext_lazy("the fit did not settle on a solution"),
    q.AT_BOUND: gettext_lazy("a parameter ran off to the limit of what can be fitted"),
    q.HUGE_SE: gettext_lazy("the data do not determine what it says about clients"),
    q.LARGE_SE: gettext_lazy("what it says about clients is only loosely determined"),
    q.LOOSE_PARAMETER: gettext_lazy(
        "some of its parameters are loosely determined one by one, although what they say "
        "together is well determined"
    ),
    q.FEW_REPEAT_BUYERS: gettext_lazy("too few clients have bought more than once"),
    q.BACKTEST_POOR: gettext_lazy("its forecasts missed the held-out months by a wide margin"),
}
RATINGS = {
    q.GOOD: gettext_lazy("The forecasts would have done well: use them for planning."),
    q.FAIR: gettext_lazy("The forecasts would have been roughly right: use them as a guide."),
    q.POOR: gettext_lazy(
        "The forecasts would have missed by a wide margin: do not plan on them alone."
    ),
}


@dataclass
class ModelWords:
    name: str
    verdict: str
    verdict_label: str
    reasons: list[str]
    meaning: list[str] = field(default_factory=list)
    fallback: str = ""


def _reasons(codes: list[str]) -> list[str]:
    seen: list[str] = []
    for code in codes:
        text = str(REASONS.get(code.split(":", 1)[0], code))
        if text not in seen:
            seen.append(text)
    return seen


def _percent(value: float, places: int = 1) -> str:
    return _number(value * 100, places)


def _number(value: float, places: int = 0) -> str:
    # number_format cuts a float's digits off; round first.
    return number_format(round(value, places), places, force_grouping=True)


def purchase_model(models: dict) -> ModelWords:
    """BG/NBD in words: a typical client's purchases a year and its chance of stopping."""
    check = (models.get("quality") or {}).get("bgnbd") or {}
    verdict = check.get("verdict") or (q.OK if models.get("bgnbd") else q.DEGENERATE)
    words = ModelWords(
        name=_("Purchase model (BG/NBD)"),
        verdict=verdict,
        verdict_label=str(VERDICTS[verdict]),
        reasons=_reasons(check.get("reasons") or ([] if models.get("bgnbd") else [q.NOT_FITTED])),
    )
    fit = models.get("bgnbd")
    if verdict == q.DEGENERATE:
        words.fallback = _(
            "So the probability that a client still buys and its expected purchases are "
            "estimated from the client's own pace since its first purchase, not from the model."
        )
    elif fit and fit.get("alpha") and fit.get("a") is not None and fit.get("b") is not None:
        days = 7 if models.get("time_unit", "week") == "week" else 1
        per_year = fit["r"] / fit["alpha"] * DAYS_PER_YEAR / days
        stop = fit["a"] / (fit["a"] + fit["b"])
        words.meaning = [
            _("While a client keeps buying, a typical one buys about %(n)s times a year.")
            % {"n": _number(per_year, 1)},
            _("After each purchase, the chance that a client stops buying is about %(p)s %%.")
            % {"p": _percent(stop)},
        ]
    return words


def spend_model(models: dict) -> ModelWords:
    """Gamma-Gamma in words: the average purchase of a typical client."""
    check = (models.get("quality") or {}).get("gamma_gamma") or {}
    fit = models.get("gamma_gamma")
    verdict = check.get("verdict") or (q.OK if fit else q.DEGENERATE)
    words = ModelWords(
        name=_("Spend model (Gamma-Gamma)"),
        verdict=verdict,
        verdict_label=str(VERDICTS[verdict]),
        reasons=_reasons(check.get("reasons") or ([] if fit else [q.NOT_FITTED])),
    )
    if verdict == q.DEGENERATE:
        words.fallback = _(
            "So the expected spend per purchase is the client's own average purchase, "
            "not the model's estimate."
        )
    elif fit and fit.get("q") and fit["q"] > 1:
        words.meaning = [
            _(
                "A typical client's purchase is about %(amount)s; a client's own history weighs in "
                "the more, the more often it has bought."
            )
            % {"amount": _number(fit["p"] * fit["gamma"] / (fit["q"] - 1))}
        ]
    return words


@dataclass
class BacktestWords:
    summary: str
    rating: str
    rows: list[dict]
    deciles: list[dict]


def backtest(data: dict) -> BacktestWords | None:
    """The backtest in words and tables (``None`` when there was none)."""
    if not data or data.get("purchases_actual") is None:
        return None
    start, end = parse_date(data.get("as_of") or ""), parse_date(data.get("holdout_end") or "")
    summary = ""
    if start and end:
        summary = _(
            "From the sales up to %(as_of)s alone, the forecasts for %(start)s – %(end)s were "
            "compared with what the %(clients)s clients then bought."
        ) % {
            "as_of": date_format(start, "SHORT_DATE_FORMAT"),
            "start": date_format(start + dt.timedelta(days=1), "SHORT_DATE_FORMAT"),
            "end": date_format(end, "SHORT_DATE_FORMAT"),
            "clients": _number(data.get("n_clients") or 0),
        }
    ratings = data.get("rating") or {}
    worst = max(
        (r for r in ratings.values() if r), key=[q.GOOD, q.FAIR, q.POOR].index, default=None
    )
    rows = []
    for key, label, places in (
        ("purchases", _("Purchases (purchase days)"), 0),
        ("amount", _("Amount"), 0),
    ):
        predicted, actual = data.get(f"{key}_predicted"), data.get(f"{key}_actual")
        if predicted is None or actual is None:
            continue
        ratio = data.get(f"{key}_ratio")
        rows.append(
            {
                "label": label,
                "predicted": _number(predicted, places),
                "actual": _number(actual, places),
                "ratio": "—" if ratio is None else f"{_percent(ratio, 0)} %",
                "rating": str(RATINGS.get(ratings.get(key) or "", "")),
            }
        )
    deciles = [
        {
            "decile": row.get("decile"),
            "clients": row.get("clients"),
            "predicted": _number(row.get("expected_purchases") or 0, 0),
            "actual": _number(row.get("actual_purchases") or 0, 0),
            "predicted_amount": _number(row.get("predicted_amount") or 0)
            if row.get("predicted_amount") is not None
            else "—",
            "actual_amount": _number(row.get("actual_amount") or 0)
            if row.get("actual_amount") is not None
            else "—",
        }
        for row in data.get("deciles") or []
    ]
    return BacktestWords(
        summary=summary,
        rating=str(RATINGS.get(worst or "", "")),
        rows=rows,
        deciles=deciles,
    )


def headline(models: dict) -> tuple[str, str]:
    """The status line's verdict: ``(level, words)``, level ``ok``, ``unstable`` or
    ``degenerate``."""
    checks = models.get("quality") or {}
    verdicts = [
        (checks.get(key) or {}).get("verdict") or (q.OK if models.get(key) else q.DEGENERATE)
        for key in ("bgnbd", "gamma_gamma")
    ]
    degenerate = verdicts.count(q.DEGENERATE)
    if degenerate == 2:
        return q.DEGENERATE, _("not usable: simpler estimates shown")
    if degenerate == 1:
        return q.DEGENERATE, _("one model not usable: simpler estimates shown for it")
    if q.UNSTABLE in verdicts:
        return q.UNSTABLE, _("fitted, but unstable: use as a rough guide")
    return q.OK, _("fitted and reliable")
