"""The Gamma-Gamma model of spend per transaction: maximum-likelihood fit and expected spend.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430 (section "Adding
monetary value", after Colombo & Jiang 1999).

Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value. Note,
http://brucehardie.com/notes/025/.

The model: the spend of one transaction of a customer is ``Gamma(p, rate=nu)``; across
customers ``nu ~ Gamma(q, rate=gamma)``. The mean ``m`` of a customer's ``x`` spends is then
``Gamma(p x, rate=x nu)`` and, integrating ``nu`` out, its density is

``f(m | p, q, gamma, x) = Gamma(p x + q) / (Gamma(p x) Gamma(q))
* gamma^q m^(p x - 1) x^(p x) / (gamma + x m)^(p x + q)``,

whose logarithm is the individual log-likelihood maximised here. It is fitted on repeat buyers
(``x > 0`` repeat purchase days, ``m`` = mean amount per repeat purchase day). The posterior mean
spend is ``E[M | x, m] = p (gamma + x m) / (p x + q - 1)``; for ``x = 0`` it is the population mean
``p gamma / (q - 1)``. Both require the denominator to be positive (``q > 1`` for the population
mean): otherwise the expectation is infinite and NaN is returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln

from kam.analytics import schema as s
from kam.analytics.bgnbd import (
    MIN_CLIENTS,
    ModelFitError,
    _dot,
    aggregate_rows,
    log_covariance,
    maximise_in_log_space,
    params_at_bound,
    standard_errors,
)
from kam.analytics.frames import require_columns

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model (Fader, Hardie & Lee 2005, JMR).

    Attributes
    ----------
    p
        Shape of the per-transaction spend distribution.
    q, gamma
        Shape and rate (in currency units) of the gamma distribution of the spend rates ``nu``.
    log_likelihood
        Maximised log-likelihood, in the original currency units.
    n_clients
        Number of repeat buyers the model was fitted on.
    converged
        Whether the optimiser reached a stationary point.
    log_cov
        Covariance of ``ln p, ln q, ln gamma`` (see :func:`kam.analytics.bgnbd.log_covariance`);
        :attr:`log_se` are the standard errors.
    at_bound
        Names of the parameters the optimiser left at (or next to) its bounds.
    """

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_clients: int
    converged: bool
    log_cov: tuple[tuple[float, ...], ...] = ()
    at_bound: tuple[str, ...] = ()

    @property
    def log_se(self) -> tuple[float, ...]:
        return standard_errors(self.log_cov)

    @property
    def population_mean_spend(self) -> float:
        """``E[M] = p gamma / (q - 1)``, the mean spend of a customer without repeat purchases.

        NaN when ``q <= 1`` (the mixing distribution then has an infinite mean).
        """
        if self.q <= 1.0:
            return float("nan")
        return self.p * self.gamma / (self.q - 1.0)

    def expected_average_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> FloatArray:
        """Posterior mean spend per transaction ``E[M | x, m] = p (gamma + x m) / (p x + q - 1)``.

        A weighted average of the population mean ``p gamma / (q - 1)`` and the customer's own
        mean ``m``, with weight ``p x / (p x + q - 1)`` on the latter. ``x = 0`` gives the
        population mean (``m`` is then ignored). NaN where ``p x + q <= 1``.

        Parameters
        ----------
        frequency
            Repeat purchases ``x`` (non-negative).
        monetary_value
            Mean spend per repeat purchase ``m`` (ignored where ``x = 0``).
        """
        x, m = (
            np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(frequency, monetary_value)
        )
        m = np.where(x > 0, m, 0.0)
        denom = self.p * x + self.q - 1.0
        safe = np.where(denom > 0, denom, 1.0)
        result: FloatArray = np.where(
            denom > 0, self.p * (self.gamma + x * m) / safe, np.nan
        ).astype(np.float64)
        return result


def _loglik_rows(
    p: float, q: float, gamma: float, x: FloatArray, m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per-row log density of the mean spend and ``ln(gamma + x m)`` (direct, for reporting)."""
    px = p * x
    log_gxm = np.log(gamma + x * m)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_gxm
    )
    return ll, log_gxm


def _loglik_and_grad(
    params: FloatArray, x: FloatArray, m: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """Weighted log-likelihood and its analytic gradient in ``(p, q, gamma)``.

    - d/dp     = x [psi(p x + q) - psi(p x) + ln(x m) - ln(gamma + x m)]
    - d/dq     = psi(p x + q) - psi(q) + ln(gamma) - ln(gamma + x m)
    - d/dgamma = q / gamma - (p x + q) / (gamma + x m)

    Special functions of ``x`` alone are evaluated once per distinct ``x`` and summed with the
    weights aggregated by ``x`` (``bincount``), so a call costs two logarithms per row.
    """
    p, q, gamma = (float(v) for v in params)
    ux, idx = np.unique(x, return_inverse=True)
    idx = idx.ravel()
    sw = np.bincount(idx, weights=weights, minlength=ux.size)
    upx = p * ux
    log_x = np.log(ux)
    log_xm = np.log(x * m)
    log_gxm = np.log(gamma + x * m)
    total_w = float(sw.sum())
    # ll = sum_x sw [lnG(px+q) - lnG(px) + px ln x] - W lnG(q) + W q ln(gamma)
    #      + sum_rows w [(px - 1) ln m - (px + q) ln(gamma + x m)]
    per_x = gammaln(upx + q) - gammaln(upx) + upx * log_x
    pxq_rows = p * x + q
    ll = (
        _dot(sw, per_x)
        + total_w * (q * np.log(gamma) - float(gammaln(q)))
        + _dot(weights, ((p * x - 1.0) * (log_xm - np.log(x)) - pxq_rows * log_gxm))
    )
    psi_pxq = digamma(upx + q)
    d_p = _dot(sw, (ux * (psi_pxq - digamma(upx)))) + _dot(weights, (x * (log_xm - log_gxm)))
    d_q = _dot(sw, psi_pxq) + total_w * (np.log(gamma) - float(digamma(q))) - _dot(weights, log_gxm)
    d_g = total_w * q / gamma - _dot(weights, (pxq_rows / (gamma + x * m)))
    return ll, np.array([d_p, d_q, d_g], dtype=np.float64)


def log_likelihood(
    params: tuple[float, float, float] | ArrayLike,
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total Gamma-Gamma log-likelihood over repeat buyers (rows with ``x > 0`` required)."""
    pr = np.asarray(params, dtype=np.float64)
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    return float(np.sum(w * _loglik_rows(float(pr[0]), float(pr[1]), float(pr[2]), x, m)[0]))


def fit(
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    *,
    penalty: float = 0.0,
    drop_nonpositive: bool = False,
    max_iter: int = 2000,
    raise_on_failure: bool = True,
    start: tuple[float, float, float] | None = None,
) -> GammaGammaFit:
    """Fit the Gamma-Gamma model by maximum likelihood on the repeat buyers.

    Clients with ``frequency == 0`` are ignored (their spend carries no repeat-purchase
    information). Amounts are divided by their mean internally (so ``gamma`` is of order 1 in
    any currency), identical rows are merged with weights, and the log-likelihood is maximised
    over ``(ln p, ln q, ln gamma)`` with L-BFGS-B and the analytic gradient.

    Parameters
    ----------
    frequency
        Repeat purchases ``x`` per client.
    monetary_value
        Mean spend per repeat purchase per client.
    penalty
        Optional L2 penalty on the rescaled log-parameters (0: plain maximum likelihood).
    drop_nonpositive
        Leave out repeat buyers with a non-positive mean spend (net returns) instead of raising.
    max_iter
        Iteration limit of the optimiser.
    raise_on_failure
        Raise :class:`ModelFitError` when the optimiser does not converge (default) or return the
        result with ``converged=False``.
    start
        ``(p, q, gamma)`` tried first, e.g. a fit on a longer history of the same clients.

    Raises
    ------
    ModelFitError
        Too few repeat buyers, non-finite or non-positive spend, or an optimiser failure.
    """
    x_all = np.asarray(frequency, dtype=np.float64).ravel()
    m_all = np.asarray(monetary_value, dtype=np.float64).ravel()
    if x_all.shape != m_all.shape:
        raise ModelFitError("frequency and monetary_value must have the same length")
    if not np.all(np.isfinite(x_all)) or np.any(x_all < 0):
        raise ModelFitError("frequency must be finite and non-negative")
    repeat = x_all > 0
    x = x_all[repeat]
    m = m_all[repeat]
    if not np.all(np.isfinite(m)):
        raise ModelFitError(
            f"monetary_value has {int((~np.isfinite(m)).sum())} non-finite value(s) "
            "among repeat buyers"
        )
    nonpositive = m <= 0
    if nonpositive.any():
        if not drop_nonpositive:
            raise ModelFitError(
                f"{int(nonpositive.sum())} repeat buyer(s) have a non-positive mean spend; the "
                "Gamma-Gamma model needs positive amounts "
                "(use drop_nonpositive=True to ignore them)"
            )
        x, m = x[~nonpositive], m[~nonpositive]
    n = x.size
    if n == 0:
        raise ModelFitError("no repeat buyers: the Gamma-Gamma model is fitted on frequency > 0")
    if n < MIN_CLIENTS:
        raise ModelFitError(
            f"the Gamma-Gamma model needs at least {MIN_CLIENTS} repeat buyers, got {n}"
        )
    scale = float(m.mean())
    (ux, um), weights = aggregate_rows(x, m / scale)
    mean_weights = weights / n

    def loglik(params: FloatArray) -> tuple[float, FloatArray]:
        return _loglik_and_grad(params, ux, um, mean_weights)

    starts: tuple[tuple[float, ...], ...] = ((1.0, 2.0, 1.0), (5.0, 4.0, 3.0), (0.5, 1.5, 0.5))
    if start is not None:
        starts = ((start[0], start[1], start[2] / scale), *starts)
    res, ok = maximise_in_log_space(loglik, starts, penalty=penalty, max_iter=max_iter)
    if not ok and raise_on_failure:
        raise ModelFitError(f"Gamma-Gamma maximum-likelihood fit did not converge: {res.message}")
    p, q, gamma = (float(v) for v in np.exp(res.x))
    gamma *= scale
    return GammaGammaFit(
        p=p,
        q=q,
        gamma=gamma,
        log_likelihood=log_likelihood((p, q, gamma), x, m),
        n_clients=n,
        converged=ok,
        log_cov=log_covariance(loglik, res.x, n),
        at_bound=params_at_bound(res.x, ("p", "q", "gamma")),
    )


def fit_frame(
    summary: pl.DataFrame,
    *,
    drop_nonpositive: bool = False,
    start: tuple[float, float, float] | None = None,
) -> GammaGammaFit:
    """Fit on a calibration summary frame with columns FREQUENCY and MONETARY (see schema)."""
    require_columns(summary, (s.FREQUENCY, s.MONETARY), "calibration summary")
    return fit(
        summary[s.FREQUENCY].cast(pl.Float64).to_numpy(),
        summary[s.MONETARY].cast(pl.Float64).fill_null(0.0).to_numpy(),
        drop_nonpositive=drop_nonpositive,
        start=start,
    )


def simulate_spend(
    frequency: ArrayLike,
    p: float,
    q: float,
    gamma: float,
    *,
    rng: np.random.Generator | None = None,
) -> FloatArray:
    """Draw the mean spend of ``x`` transactions per customer from the Gamma-Gamma model.

    ``nu ~ Gamma(q, rate=gamma)``; the mean of ``x`` independent ``Gamma(p, rate=nu)`` spends is
    ``Gamma(p x, rate=x nu)``. Customers with ``x = 0`` get 0.
    """
    rng = np.random.default_rng() if rng is None else rng
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(q, 1.0 / gamma, size=x.shape)
    pos = x > 0
    out = np.zeros(x.shape)
    out[pos] = rng.gamma(p * x[pos], 1.0 / (x[pos] * nu[pos]))
    return out
