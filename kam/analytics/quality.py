"""How far the fitted models can be trusted: a verdict per model and what the numbers fall back to.

A maximum-likelihood fit always returns numbers; on data that cannot pin the model down they are
meaningless (the demo company's Gamma-Gamma ``p`` sits at the optimiser's bound, its BG/NBD ``b``
is known only within a factor of a hundred). Each model gets one of three verdicts:

``ok``
    The fit is usable.
``unstable``
    Usable with caution: a parameter is loosely determined on its own (a ridge of the
    likelihood: ``a`` and ``b`` of BG/NBD large together while ``a / (a + b)`` is well
    determined), what the model implies is only loosely determined, few repeat buyers, or the
    backtest missed by a wide margin. The model's numbers are kept.
``degenerate``
    The fit says nothing reliable: it did not converge, a parameter stopped at the optimiser's
    bound, what the model implies (the mean purchase rate, the chance of dropping out, the mean
    spend) has a huge or infinite standard error, or the model could not be fitted at all. The
    numbers **fall back** to a simpler rule (see :mod:`kam.analytics.clv`): purchases to the
    client's own pace since its first purchase (:data:`RULE`), spend to the client's own average
    purchase (:data:`OWN_AVERAGE`).

Reasons are codes (``code`` or ``code:name`` of a parameter or an implied quantity), worded by
the application.

Standard errors come from the observed information (the Hessian of the log-likelihood at the
optimum, :func:`kam.analytics.bgnbd.log_standard_errors`), on the log scale: an SE ``s`` of
``ln b`` means ``b`` is known within a factor of about ``exp(2 s)`` either way (95 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from kam.analytics.bgnbd import BGNBDFit
from kam.analytics.gamma_gamma import GammaGammaFit

Verdict = Literal["ok", "unstable", "degenerate"]
OK: Verdict = "ok"
UNSTABLE: Verdict = "unstable"
DEGENERATE: Verdict = "degenerate"
_ORDER = {OK: 0, UNSTABLE: 1, DEGENERATE: 2}

#: Where the numbers come from: the fitted model or the fallback.
MODEL = "model"
RULE = "rule"  # purchases: the client's own rate, discounted by its silence
OWN_AVERAGE = "own_average"  # spend: the client's own average purchase

#: SE of a log-parameter above which the fit is unstable (known within a factor of ~7) ...
SE_UNSTABLE = 1.0
#: ... and degenerate (known within a factor of ~50 or worse).
SE_DEGENERATE = 2.0
# Implied quantities, judged by their (delta-method) standard errors.
PURCHASE_RATE = "purchase_rate"
DROPOUT = "dropout"
AVERAGE_SPEND = "average_spend"

#: Fewer repeat buyers than this: the fit rests on too few histories to be trusted.
MIN_REPEAT_BUYERS = 30

# Reason codes.
NOT_FITTED = "not_fitted"
NOT_CONVERGED = "not_converged"
AT_BOUND = "at_bound"
HUGE_SE = "huge_se"  # what the model implies is not determined by the data
LARGE_SE = "large_se"  # ... only loosely
LOOSE_PARAMETER = "loose_parameter"  # a parameter is not, though what the model implies is
FEW_REPEAT_BUYERS = "few_repeat_buyers"
BACKTEST_POOR = "backtest_poor"

#: Backtest ratings: predicted total within 25 % of the actual and per-client correlation at least
#: 0.5 is good; off by more than a factor of 2, or correlation below 0.2, is poor.
GOOD, FAIR, POOR = "good", "fair", "poor"
GOOD_RATIO, POOR_RATIO = 1.25, 2.0
GOOD_CORRELATION, POOR_CORRELATION = 0.5, 0.2


@dataclass(frozen=True)
class ModelCheck:
    """The verdict on one model.

    Attributes
    ----------
    verdict
        ``ok``, ``unstable`` or ``degenerate``.
    reasons
        Codes, e.g. ``("at_bound:p",)`` or ``("huge_se:a", "huge_se:b")``.
    source
        Where the model's figures come from: :data:`MODEL`, or the fallback (:data:`RULE` for
        purchases, :data:`OWN_AVERAGE` for spend) when the verdict is degenerate.
    standard_errors
        SE of each log-parameter by name (``inf`` where the likelihood is flat).
    """

    verdict: Verdict
    reasons: tuple[str, ...]
    source: str
    standard_errors: dict[str, float]

    @property
    def fallback(self) -> bool:
        return self.source != MODEL


@dataclass(frozen=True)
class FitQuality:
    """The verdict on both models; ``verdict`` is the worse of the two."""

    bgnbd: ModelCheck
    gamma_gamma: ModelCheck

    @property
    def verdict(self) -> Verdict:
        worse = max(self.bgnbd.verdict, self.gamma_gamma.verdict, key=_ORDER.__getitem__)
        return worse

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON (infinite SEs become ``None``)."""

        def check(c: ModelCheck) -> dict[str, object]:
            return {
                "verdict": c.verdict,
                "reasons": list(c.reasons),
                "source": c.source,
                "standard_errors": {
                    k: (round(v, 4) if math.isfinite(v) else None)
                    for k, v in c.standard_errors.items()
                },
            }

        return {
            "verdict": self.verdict,
            "bgnbd": check(self.bgnbd),
            "gamma_gamma": check(self.gamma_gamma),
        }


def _derived_se(covariance: tuple[tuple[float, ...], ...], gradient: list[float]) -> float:
    """Delta-method SE of a function of the log-parameters with the given gradient."""
    cov = np.asarray(covariance, dtype=np.float64)
    g = np.asarray(gradient, dtype=np.float64)
    if cov.shape != (g.size, g.size) or not np.all(np.isfinite(g)):
        return float("inf")
    if not np.all(np.isfinite(cov)):
        return float("inf")
    variance = float(np.einsum("i,ij,j->", g, cov, g))
    return math.sqrt(variance) if variance >= 0 else float("inf")


def _check(
    names: tuple[str, ...],
    fit: BGNBDFit | GammaGammaFit,
    implied: dict[str, list[float]],
    fallback: str,
    extra: tuple[tuple[Verdict, str], ...] = (),
) -> ModelCheck:
    """Judge a fit. What matters to a KAM are the quantities the parameters imply (``implied``:
    name → gradient of its logarithm in the log-parameters): on a ridge of the likelihood the
    parameters may be loose one by one while what they imply is well determined — then the fit
    is only unstable. A parameter at the bound, no convergence, or an implied quantity the data
    do not determine is degenerate."""
    found: list[tuple[Verdict, str]] = []
    if not fit.converged:
        found.append((DEGENERATE, NOT_CONVERGED))
    found += [(DEGENERATE, f"{AT_BOUND}:{name}") for name in fit.at_bound]
    raw = dict(zip(names, fit.log_se, strict=False))
    derived = {name: _derived_se(fit.log_cov, g) for name, g in implied.items()}
    # At the bound the curvature says nothing; a fit made without it (by hand) is not judged on it.
    if not fit.at_bound and fit.log_cov:
        for name, se in derived.items():
            if not math.isfinite(se) or se > SE_DEGENERATE:
                found.append((DEGENERATE, f"{HUGE_SE}:{name}"))
            elif se > SE_UNSTABLE:
                found.append((UNSTABLE, f"{LARGE_SE}:{name}"))
        for name, se in raw.items():
            if not math.isfinite(se) or se > SE_DEGENERATE:
                found.append((UNSTABLE, f"{LOOSE_PARAMETER}:{name}"))
    found += extra
    verdict = max((v for v, _ in found), key=_ORDER.__getitem__, default=OK)
    return ModelCheck(
        verdict=verdict,
        reasons=tuple(code for _, code in found),
        source=fallback if verdict == DEGENERATE else MODEL,
        standard_errors=raw | derived,
    )


def _not_fitted(fallback: str) -> ModelCheck:
    return ModelCheck(DEGENERATE, (NOT_FITTED,), fallback, {})


def check_bgnbd(fit: BGNBDFit | None) -> ModelCheck:
    """The verdict on a BG/NBD fit (``None``: it could not be fitted).

    Implied quantities: the mean purchase rate ``r / alpha`` and the mean chance of dropping out
    after a purchase ``a / (a + b)``.
    """
    if fit is None:
        return _not_fitted(RULE)
    few = ((UNSTABLE, FEW_REPEAT_BUYERS),) if fit.repeat_buyers < MIN_REPEAT_BUYERS else ()
    share_b = fit.b / (fit.a + fit.b)
    implied = {
        PURCHASE_RATE: [1.0, -1.0, 0.0, 0.0],
        DROPOUT: [0.0, 0.0, share_b, -share_b],
    }
    return _check(("r", "alpha", "a", "b"), fit, implied, RULE, few)


def check_gamma_gamma(fit: GammaGammaFit | None) -> ModelCheck:
    """The verdict on a Gamma-Gamma fit (``None``: it could not be fitted).

    Implied quantity: the mean spend per purchase ``p gamma / (q - 1)`` (infinite for
    ``q <= 1``, which the data then do not determine).
    """
    if fit is None:
        return _not_fitted(OWN_AVERAGE)
    few = ((UNSTABLE, FEW_REPEAT_BUYERS),) if fit.n_clients < MIN_REPEAT_BUYERS else ()
    slope = -fit.q / (fit.q - 1.0) if fit.q > 1.0 else float("inf")
    implied = {AVERAGE_SPEND: [1.0, slope, 1.0]}
    return _check(("p", "q", "gamma"), fit, implied, OWN_AVERAGE, few)


def rate(ratio: float | None, correlation: float | None) -> str | None:
    """Rate one backtest measure: ``good``, ``fair`` or ``poor``; ``None`` if nothing to rate.

    ``ratio`` is predicted / actual total, ``correlation`` the per-client Pearson correlation.
    """
    if ratio is None or not math.isfinite(ratio) or ratio <= 0:
        return None
    miss = max(ratio, 1.0 / ratio)
    if miss > POOR_RATIO or correlation is None or correlation < POOR_CORRELATION:
        return POOR
    if miss <= GOOD_RATIO and correlation >= GOOD_CORRELATION:
        return GOOD
    return FAIR


def with_backtest(check: ModelCheck, rating: str | None) -> ModelCheck:
    """``check`` with a poor backtest rating added: a model that missed its own history is at
    best unstable. A model already degenerate stays so (the backtest then rated its fallback)."""
    if rating != POOR:
        return check
    verdict = check.verdict if check.verdict == DEGENERATE else UNSTABLE
    return replace(check, verdict=verdict, reasons=(*check.reasons, BACKTEST_POOR))
