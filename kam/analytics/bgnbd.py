"""The BG/NBD model of repeat-purchase counts: maximum-likelihood fit, P(alive), expectations.

Reference
---------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.

The model (section 3 of the paper): while active, a customer buys as a Poisson process with rate
``lambda ~ Gamma(r, alpha)`` (shape ``r``, rate ``alpha``); after every *repeat* purchase the
customer becomes inactive with probability ``p ~ Beta(a, b)``. For one customer we observe
``x`` repeat purchases (here: repeat purchase *days*), the time ``t_x`` of the last one and the
length ``T`` of the observation period, both measured from the first purchase in the model's time
unit.

Equation numbers below refer to the paper:

- eq. (6): the individual likelihood ``L(r, alpha, a, b | x, t_x, T)``;
- eq. (9): the unconditional expectation ``E[X(t)]`` for a new customer;
- eq. (10): the conditional expectation ``E[Y(t) | x, t_x, T]`` of purchases in ``(T, T + t]``;
- the probability of being alive at ``T`` (appendix of the paper; the denominator of eq. 10).

Everything is vectorised over customers; fitting aggregates identical ``(x, t_x, T)`` rows first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeResult, minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from kam.analytics import schema as s
from kam.analytics.frames import require_columns

FloatArray = NDArray[np.float64]

#: The fewest customers a fit is attempted on.
MIN_CLIENTS = 10
#: Bounds of the (internally rescaled) log-parameters: values within about [6e-6, 1.6e5].
LOG_BOUND = 12.0
#: Gradient size (per customer, in log-parameter space) accepted as a stationary point when the
#: optimiser stops on a line-search failure at the limit of floating-point precision.
STATIONARY_GTOL = 1e-4
#: A log-parameter closer than this to :data:`LOG_BOUND` counts as stopped at the bound.
BOUND_MARGIN = 0.5
#: Step of the central differences of the gradient that give the Hessian (log-parameter space).
HESSIAN_STEP = 1e-4
#: Half-width of the interpolation window around the removable singularity ``a = 1`` of eq. (10).
A_ONE_WINDOW = 1e-3


class ModelFitError(ValueError):
    """The data cannot support a fit of a probability model; the message says why."""


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005).

    Attributes
    ----------
    r, alpha
        Shape and rate of the gamma mixing distribution of purchase rates ``lambda``. ``alpha``
        is in the time unit of the data the model was fitted on.
    a, b
        Parameters of the beta mixing distribution of dropout probabilities ``p``.
    log_likelihood
        Maximised log-likelihood (sum of the log of eq. 6 over customers, original time unit).
    n_clients
        Number of customers the model was fitted on.
    converged
        Whether the optimiser reached a stationary point.
    iterations
        Optimiser iterations.
    log_cov
        Covariance of ``ln r, ln alpha, ln a, ln b`` from the observed information (see
        :func:`log_covariance`); ``inf`` where the likelihood is flat. :attr:`log_se` are the
        standard errors: an SE of ``s`` means the parameter is known within a factor of about
        ``exp(2 s)`` either way.
    at_bound
        Names of the parameters the optimiser left at (or next to) its bounds.
    repeat_buyers
        Clients with at least one repeat purchase among those fitted.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_clients: int
    converged: bool
    iterations: int
    log_cov: tuple[tuple[float, ...], ...] = ()
    at_bound: tuple[str, ...] = ()
    repeat_buyers: int = 0

    @property
    def log_se(self) -> tuple[float, ...]:
        return standard_errors(self.log_cov)

    @property
    def params(self) -> tuple[float, float, float, float]:
        """``(r, alpha, a, b)``."""
        return (self.r, self.alpha, self.a, self.b)

    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
        """Probability that a customer with history ``(x, t_x, T)`` is still active at ``T``.

        ``P(alive) = 1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))``
        (Fader, Hardie & Lee 2005, appendix / denominator of eq. 10), evaluated in log space.
        Customers without repeat purchases are alive with probability 1 in the BG/NBD model.

        Parameters
        ----------
        x, t_x, T
            Repeat purchases, time of the last one and length of observation (broadcastable).

        Returns
        -------
        numpy.ndarray
            Probabilities in ``[0, 1]``.
        """
        xa, txa, Ta = _as_float_arrays(x, t_x, T)
        return _p_alive(self.r, self.alpha, self.a, self.b, xa, txa, Ta)

    def expected_purchases(
        self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """Expected purchases in ``(T, T + t]`` given the history (eq. 10 of the paper).

        ``E[Y(t) | x, t_x, T] = P(alive) * (a + b + x - 1) / (a - 1)
        * [1 - ((alpha + T) / (alpha + T + t))^(r + x)
        * 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]``.

        The Gauss hypergeometric function is evaluated after Euler's transformation
        ``2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z)``, which turns the
        bracket into ``1 - (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z)``: the
        series then has a small second parameter and a large ``C`` for frequent buyers, so it
        converges fast and does not overflow where the untransformed form (huge ``2F1`` times a
        tiny power) loses all precision. At ``a = 1`` the expression is a removable 0/0; within
        ``1e-4`` of it the value is the average of the two sides (error ``O(1e-8)``).

        Parameters
        ----------
        t
            Length of the prediction period, in the model's time unit.
        x, t_x, T
            Customer histories (broadcastable with ``t``).

        Returns
        -------
        numpy.ndarray
            Expected numbers of (repeat) purchase days.
        """
        ta, xa, txa, Ta = _as_float_arrays(t, x, t_x, T)
        if np.any(ta < 0):
            raise ValueError("prediction period t must be non-negative")
        pa = _p_alive(self.r, self.alpha, self.a, self.b, xa, txa, Ta)
        return pa * _conditional_bracket(self.r, self.alpha, self.a, self.b, ta, xa, Ta)

    def expected_purchases_new(self, t: ArrayLike) -> FloatArray:
        """Expected repeat purchases of a new customer in ``(0, t]``: ``E[X(t)]`` (eq. 9).

        ``E[X(t)] = (a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t))^r
        * 2F1(r, b; a + b - 1; t / (alpha + t))]``, i.e. eq. 10 with ``x = 0`` and ``T = 0``.
        """
        (ta,) = _as_float_arrays(t)
        if np.any(ta < 0):
            raise ValueError("prediction period t must be non-negative")
        zeros = np.zeros_like(ta)
        return _conditional_bracket(self.r, self.alpha, self.a, self.b, ta, zeros, zeros)

    def expected_purchases_curve(
        self, ts: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """Cumulative conditional expectations at several horizons, one row per customer.

        Equivalent to ``expected_purchases(ts[j], x, t_x, T)`` for each ``j``, but the
        hypergeometric part, which depends on ``(x, T)`` only, is computed once per distinct
        ``(x, T)`` pair — with times in whole days that is far fewer than the customers.

        Parameters
        ----------
        ts
            1-d array of horizons (model time unit).
        x, t_x, T
            1-d arrays of customer histories, all of the same length ``n``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, len(ts))``.
        """
        pa, bracket, inverse = self._by_pair(ts, x, t_x, T)
        result: FloatArray = pa[:, None] * bracket[inverse]
        return result

    def discounted_purchases(
        self, ts: ArrayLike, discount: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """``(E[Y(ts[-1])], sum_j (E[Y(ts[j])] - E[Y(ts[j - 1])]) * discount[j])`` per customer
        (``E[Y(ts[-1])]`` taken as 0 before the first horizon), from the
        :meth:`expected_purchases_curve` without building it: P(alive) is a factor of every
        horizon, so the increments are discounted once per distinct ``(x, T)`` pair."""
        pa, bracket, inverse = self._by_pair(ts, x, t_x, T)
        increments = np.diff(bracket, axis=1, prepend=0.0)
        weights = np.asarray(discount, dtype=np.float64)
        discounted = np.einsum("ij,j->i", increments, weights)  # no BLAS threads
        return pa * bracket[inverse, -1], pa * discounted[inverse]

    def _by_pair(
        self, ts: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
    ) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
        """P(alive) per customer, the bracket of eq. (10) at each horizon per distinct
        ``(x, T)`` pair, and the pair of each customer."""
        tsa = np.atleast_1d(np.asarray(ts, dtype=np.float64))
        xa, txa, Ta = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (x, t_x, T))
        if np.any(tsa < 0):
            raise ValueError("prediction periods must be non-negative")
        pa = _p_alive(self.r, self.alpha, self.a, self.b, xa, txa, Ta)
        (px, pT), inverse, _counts = unique_rows(xa, Ta)
        bracket = _conditional_bracket(
            self.r, self.alpha, self.a, self.b, tsa[None, :], px[:, None], pT[:, None]
        )
        return pa, bracket, inverse


# --------------------------------------------------------------------------------------------
# Likelihood


def _dot(u: NDArray[Any], v: NDArray[Any]) -> float:
    """Inner product of two vectors without BLAS.

    ``u @ v`` goes to a multi-threaded BLAS ``ddot`` whose threads, on a small machine that
    also runs Polars' thread pool, contend badly (fits measured 5-10x slower); einsum's own
    loop is single-threaded and as fast here.
    """
    return float(np.einsum("i,i->", u, v))


def _by_x(x: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """Distinct values of ``x`` and the index of each row into them."""
    ux, inverse = np.unique(x, return_inverse=True)
    return ux, inverse.ravel()


def _lse_terms(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    x_groups: tuple[FloatArray, NDArray[np.intp]] | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-row log-likelihood of eq. (6) and the mixture weights of its two terms.

    Special functions of ``x`` alone are evaluated once per distinct ``x`` (``x_groups``).
    Returns ``(ll, w1, w2, ln(alpha + T), ln(alpha + t_x))``.
    """
    ux, idx = _by_x(x) if x_groups is None else x_groups
    upos = ux > 0
    lbeta_ab = betaln(a, b)
    u_common = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
    u_beta1 = betaln(a, b + ux) - lbeta_ab
    u_beta2 = np.where(upos, betaln(a + 1.0, np.where(upos, b + ux - 1.0, b)) - lbeta_ab, -np.inf)
    log_a_T = np.log(alpha + T)
    log_a_tx = np.log(alpha + t_x)
    term1 = u_beta1[idx] - (r + x) * log_a_T
    term2 = u_beta2[idx] - (r + x) * log_a_tx  # -inf where x == 0
    top = np.maximum(term1, term2)  # term1 is always finite
    lse = top + np.log1p(np.exp(-np.abs(term1 - term2)))
    w1 = np.exp(term1 - lse)
    w2 = np.exp(term2 - lse)
    return u_common[idx] + lse, w1, w2, log_a_T, log_a_tx


def _loglik_and_grad(
    params: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    weights: FloatArray,
    x_groups: tuple[FloatArray, NDArray[np.intp]] | None = None,
) -> tuple[float, FloatArray]:
    """Weighted log-likelihood (eq. 6) and its analytic gradient in ``(r, alpha, a, b)``.

    With ``w1, w2`` the shares of the two terms of eq. (6) in the customer's likelihood
    (``w2 = 0`` when ``x = 0``) and ``psi`` the digamma function:

    - d/dr     = psi(r + x) - psi(r) + ln(alpha) - w1 ln(alpha + T) - w2 ln(alpha + t_x)
    - d/dalpha = r / alpha - (r + x) [w1 / (alpha + T) + w2 / (alpha + t_x)]
    - d/da     = psi(a + b) - psi(a + b + x) + w2 / a
    - d/db     = psi(a + b) - psi(a + b + x) - psi(b) + w1 psi(b + x) + w2 psi(b + x - 1)
    """
    r, alpha, a, b = (float(v) for v in params)
    groups = _by_x(x) if x_groups is None else x_groups
    ux, idx = groups
    ll_rows, w1, w2, log_a_T, log_a_tx = _lse_terms(r, alpha, a, b, x, t_x, T, groups)
    u_ab = digamma(a + b) - digamma(a + b + ux)
    u_r = digamma(r + ux) - digamma(r) + np.log(alpha)
    u_b1 = digamma(b + ux) - digamma(b)
    u_b2 = digamma(np.where(ux > 0, b + ux - 1.0, b)) - digamma(b)
    ww1 = weights * w1
    ww2 = weights * w2
    # Sums of per-x factors: aggregate the weights by x group first (bincount), then dot.
    m = ux.size
    sw = np.bincount(idx, weights=weights, minlength=m)
    sw1 = np.bincount(idx, weights=ww1, minlength=m)
    sw2 = np.bincount(idx, weights=ww2, minlength=m)
    d_r = _dot(sw, u_r) - _dot(ww1, log_a_T) - _dot(ww2, log_a_tx)
    d_alpha = r / alpha * sw.sum() - _dot(r + x, ww1 / (alpha + T) + ww2 / (alpha + t_x))
    d_a = _dot(sw, u_ab) + sw2.sum() / a
    d_b = _dot(sw, u_ab) + _dot(sw1, u_b1) + _dot(sw2, u_b2)
    grad = np.array([d_r, d_alpha, d_a, d_b], dtype=np.float64)
    return _dot(weights, ll_rows), grad


def log_likelihood(
    params: tuple[float, float, float, float] | ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total BG/NBD log-likelihood: the sum over customers of ``ln L`` of eq. (6).

    ``L = B(a, b + x) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
    + [x > 0] B(a + 1, b + x - 1) / B(a, b) * Gamma(r + x) alpha^r
    / (Gamma(r) (alpha + t_x)^(r + x))``, computed with ``gammaln``/``betaln`` and a
    log-sum-exp of the two terms.

    Parameters
    ----------
    params
        ``(r, alpha, a, b)``, all positive.
    frequency, recency, T
        ``x``, ``t_x`` and ``T`` per customer (or per distinct row with ``weights``).
    weights
        Optional multiplicity of each row.
    """
    p = np.asarray(params, dtype=np.float64)
    x, t_x, Ta = _as_float_arrays(frequency, recency, T)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    ll_rows = _lse_terms(float(p[0]), float(p[1]), float(p[2]), float(p[3]), x, t_x, Ta)[0]
    return float(np.sum(w * ll_rows))


# --------------------------------------------------------------------------------------------
# Fitting


def unique_rows(*columns: FloatArray) -> tuple[list[FloatArray], NDArray[np.intp], FloatArray]:
    """The distinct rows of the given 1-d columns in lexicographic order (as ``np.unique(...,
    axis=0)`` gives them), the index of each input row into them, and their counts.

    One ``lexsort`` over the columns: ``np.unique`` with ``axis=0`` sorts the rows as opaque byte
    strings, several times slower on hundreds of thousands of clients.
    """
    order = np.lexsort(columns[::-1])
    ordered = [np.asarray(c)[order] for c in columns]
    starts = np.ones(order.size, dtype=bool)
    for c in ordered:
        starts[1:] &= c[1:] == c[:-1]
    starts[1:] = ~starts[1:]
    group = np.cumsum(starts) - 1
    inverse = np.empty(order.size, dtype=np.intp)
    inverse[order] = group
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, order.size)).astype(np.float64)
    return [c[first] for c in ordered], inverse, counts


def aggregate_rows(*columns: FloatArray) -> tuple[list[FloatArray], FloatArray]:
    """Collapse identical rows of the given columns; return the distinct rows and their counts."""
    unique, _inverse, counts = unique_rows(*columns)
    return unique, counts


def _validate_history(x: FloatArray, t_x: FloatArray, T: FloatArray) -> None:
    n = x.size
    if not (x.shape == t_x.shape == T.shape) or x.ndim != 1:
        raise ModelFitError("frequency, recency and T must be 1-d arrays of the same length")
    if n < MIN_CLIENTS:
        raise ModelFitError(f"BG/NBD needs at least {MIN_CLIENTS} clients to fit, got {n}")
    for name, v in (("frequency", x), ("recency", t_x), ("T", T)):
        bad = ~np.isfinite(v)
        if bad.any():
            raise ModelFitError(f"{name} has {int(bad.sum())} non-finite value(s) (NaN or inf)")
        if (v < 0).any():
            raise ModelFitError(f"{name} has {int((v < 0).sum())} negative value(s)")
    if np.any(x != np.round(x)):
        raise ModelFitError("frequency must count whole repeat purchases")
    tol = 1e-9 * max(1.0, float(T.max()))
    over = t_x > T + tol
    if over.any():
        raise ModelFitError(
            f"recency exceeds T for {int(over.sum())} client(s): the last purchase cannot be "
            "later than the end of the observation period"
        )
    stray = (x == 0) & (t_x > tol)
    if stray.any():
        raise ModelFitError(
            f"{int(stray.sum())} client(s) have recency > 0 but no repeat purchase "
            "(recency must be 0 when frequency is 0)"
        )
    if not (x > 0).any():
        raise ModelFitError(
            "no client has a repeat purchase: the BG/NBD model cannot separate purchase rate "
            "from dropout without repeat purchases"
        )
    if not (T > 0).any():
        raise ModelFitError("all observation periods T are zero")


def fit(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    penalty: float = 0.0,
    max_iter: int = 2000,
    raise_on_failure: bool = True,
    start: tuple[float, float, float, float] | None = None,
) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood (Fader, Hardie & Lee 2005, section 4).

    The log-likelihood of eq. (6) is maximised over the log-parameters with L-BFGS-B and its
    analytic, vectorised gradient. Times are first divided by their mean (so ``alpha`` is of
    order 1 internally, whatever the unit) and identical ``(x, t_x, T)`` rows are merged with
    weights. Several starting points are tried in turn if the first does not converge.

    Parameters
    ----------
    frequency, recency, T
        Repeat purchases ``x``, last-purchase time ``t_x`` and observation length ``T`` of each
        customer (the calibration summary), in the model's time unit.
    penalty
        Optional L2 penalty ``penalty * sum(log(theta)^2)`` on the (rescaled) log-parameters,
        added to the mean negative log-likelihood. 0 (the default) is plain maximum likelihood.
    max_iter
        Iteration limit of the optimiser.
    raise_on_failure
        Raise :class:`ModelFitError` when no start converges (the default); otherwise return the
        best attempt with ``converged=False``.
    start
        ``(r, alpha, a, b)`` tried first, e.g. a fit on a longer history of the same clients: near
        the optimum the optimiser needs far fewer steps.

    Returns
    -------
    BGNBDFit

    Raises
    ------
    ModelFitError
        Too few clients, no repeat purchases, negative/non-finite values, recency > T, or an
        optimiser failure; the message says which.
    """
    x, t_x, Ta = (np.asarray(v, dtype=np.float64).ravel() for v in (frequency, recency, T))
    _validate_history(x, t_x, Ta)
    t_x = np.minimum(t_x, Ta)
    n = x.size
    scale = float(Ta.mean())
    (ux, utx, uT), weights = aggregate_rows(x, t_x / scale, Ta / scale)
    mean_weights = weights / n
    groups = _by_x(ux)

    def loglik(params: FloatArray) -> tuple[float, FloatArray]:
        return _loglik_and_grad(params, ux, utx, uT, mean_weights, groups)

    starts: tuple[tuple[float, ...], ...] = (
        (1.0, 1.0, 1.0, 1.0),
        (0.5, 0.5, 0.8, 2.5),
        (2.0, 2.0, 0.5, 5.0),
    )
    if start is not None:
        starts = ((start[0], start[1] / scale, start[2], start[3]), *starts)
    res, ok = maximise_in_log_space(loglik, starts, penalty=penalty, max_iter=max_iter)
    if not ok and raise_on_failure:
        raise ModelFitError(f"BG/NBD maximum-likelihood fit did not converge: {res.message}")
    r, alpha, a, b = (float(v) for v in np.exp(res.x))
    alpha *= scale
    ll = log_likelihood((r, alpha, a, b), x, t_x, Ta)
    return BGNBDFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=ll,
        n_clients=n,
        converged=ok,
        iterations=int(res.nit),
        log_cov=log_covariance(loglik, res.x, n),
        at_bound=params_at_bound(res.x, ("r", "alpha", "a", "b")),
        repeat_buyers=int((x > 0).sum()),
    )


def maximise_in_log_space(
    loglik: Callable[[FloatArray], tuple[float, FloatArray]],
    starts: Sequence[Sequence[float]],
    *,
    penalty: float = 0.0,
    max_iter: int = 500,
) -> tuple[OptimizeResult, bool]:
    """Maximise a (mean) log-likelihood of positive parameters, optimising their logarithms.

    ``loglik(params)`` returns the log-likelihood and its gradient with respect to ``params``.
    L-BFGS-B runs from each start in turn until one converges (projected-gradient test), with
    the log-parameters bounded by :data:`LOG_BOUND` and an optional L2 ``penalty`` on them.
    Shared by the BG/NBD and Gamma-Gamma fits.

    Returns
    -------
    tuple
        The best scipy result (``x`` holds the log-parameters) and whether it converged.
    """
    size = len(starts[0])

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(theta)
        ll, grad = loglik(params)
        value = -ll + penalty * _dot(theta, theta)
        gradient = -grad * params + 2.0 * penalty * theta
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return 1e300, np.zeros(size)
        return value, gradient

    bounds = [(-LOG_BOUND, LOG_BOUND)] * size
    best: tuple[OptimizeResult, bool] | None = None
    for start in starts:
        res = minimize(
            objective,
            np.log(np.asarray(start, dtype=np.float64)),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-8},
        )
        ok = bool(res.success) or _stationary(res.x, res.jac, bounds)
        ok = ok and bool(np.isfinite(res.fun)) and res.fun < 1e299
        if best is None or (ok and not best[1]) or (ok == best[1] and res.fun < best[0].fun):
            best = (res, ok)
        if ok:
            break
    assert best is not None  # starts is never empty
    return best


def log_covariance(
    loglik: Callable[[FloatArray], tuple[float, FloatArray]], theta: FloatArray, n: int
) -> tuple[tuple[float, ...], ...]:
    """Asymptotic covariance of the log-parameters at the optimum ``theta``: the inverse of the
    observed information.

    ``loglik`` is the *mean* log-likelihood over ``n`` customers and its gradient in the
    parameters (as given to :func:`maximise_in_log_space`). The Hessian of the total
    log-likelihood in log-parameter space is taken by central differences of the analytic
    gradient (``2 k`` gradient calls for ``k`` parameters); the covariance is the inverse of its
    negative. Where the likelihood is flat or curved the wrong way along some direction (the
    negative Hessian is not positive definite, or not finite) the data do not determine the
    parameters: every entry is then ``inf``.
    """
    size = theta.size

    def gradient(point: FloatArray) -> FloatArray:
        params = np.exp(point)
        return np.asarray(loglik(params)[1], dtype=np.float64) * params

    columns = []
    for j in range(size):
        step = np.zeros(size)
        step[j] = HESSIAN_STEP
        columns.append((gradient(theta + step) - gradient(theta - step)) / (2.0 * HESSIAN_STEP))
    hessian = np.column_stack(columns) * n
    information = -(hessian + hessian.T) / 2.0
    flat = tuple((float("inf"),) * size for _ in range(size))
    if not np.all(np.isfinite(information)):
        return flat
    try:
        np.linalg.cholesky(information)  # positive definite, or the data leave a direction open
    except np.linalg.LinAlgError:
        return flat
    covariance = np.linalg.inv(information)
    return tuple(tuple(float(v) for v in row) for row in covariance)


def standard_errors(covariance: tuple[tuple[float, ...], ...]) -> tuple[float, ...]:
    """Square roots of the diagonal (``inf`` where not finite or negative)."""
    out = []
    for i, row in enumerate(covariance):
        v = row[i]
        out.append(float(np.sqrt(v)) if np.isfinite(v) and v >= 0 else float("inf"))
    return tuple(out)


def params_at_bound(theta: FloatArray, names: Sequence[str]) -> tuple[str, ...]:
    """The names of the (rescaled) log-parameters that stopped within :data:`BOUND_MARGIN` of
    :data:`LOG_BOUND`: the optimum lies beyond what the optimiser may reach, so the data push the
    parameter towards 0 or infinity."""
    near = np.abs(np.asarray(theta, dtype=np.float64)) >= LOG_BOUND - BOUND_MARGIN
    return tuple(name for name, flag in zip(names, near, strict=True) if flag)


def _stationary(theta: FloatArray, jac: FloatArray, bounds: list[tuple[float, float]]) -> bool:
    """Projected-gradient test: interior components small, components at a bound point outward."""
    lo = np.array([bd[0] for bd in bounds])
    hi = np.array([bd[1] for bd in bounds])
    g = np.asarray(jac, dtype=np.float64).copy()
    g[(theta <= lo + 1e-9) & (g > 0)] = 0.0
    g[(theta >= hi - 1e-9) & (g < 0)] = 0.0
    return bool(np.all(np.isfinite(g)) and np.max(np.abs(g)) < STATIONARY_GTOL)


def fit_frame(
    summary: pl.DataFrame,
    *,
    penalty: float = 0.0,
    start: tuple[float, float, float, float] | None = None,
) -> BGNBDFit:
    """Fit on a calibration summary frame with columns FREQUENCY, RECENCY and T (see schema)."""
    require_columns(summary, (s.FREQUENCY, s.RECENCY, s.T), "calibration summary")
    return fit(
        summary[s.FREQUENCY].cast(pl.Float64).to_numpy(),
        summary[s.RECENCY].cast(pl.Float64).to_numpy(),
        summary[s.T].cast(pl.Float64).to_numpy(),
        penalty=penalty,
        start=start,
    )


# --------------------------------------------------------------------------------------------
# Predictions


def _as_float_arrays(*values: ArrayLike) -> list[FloatArray]:
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    return [np.array(v, dtype=np.float64) for v in np.broadcast_arrays(*arrays)]


def _p_alive(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    pos = x > 0
    b_minus = np.where(pos, b + x - 1.0, 1.0)
    log_ratio = np.log(a) - np.log(b_minus) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    result: FloatArray = np.where(pos, expit(-log_ratio), 1.0)
    return result


def _bracket_exact(
    r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray, T: FloatArray
) -> FloatArray:
    """``(a + b + x - 1) / (a - 1) * [1 - (...)^(r + x) 2F1(...)]`` of eq. (10), a != 1."""
    z = t / (alpha + T + t)
    c = a + b + x - 1.0
    log1mz = np.log1p(-z)
    g = np.exp((a - 1.0) * log1mz) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    bad = ~np.isfinite(g)
    if bad.any():  # fall back on the untransformed form where scipy's series failed
        zb, xb, cb = np.broadcast_arrays(z, x, c)
        g = np.array(g, dtype=np.float64)
        g[bad] = np.exp((r + xb[bad]) * np.log1p(-zb[bad])) * hyp2f1(
            r + xb[bad], b + xb[bad], cb[bad], zb[bad]
        )
        bad = ~np.isfinite(g)
    if bad.any():
        # Both scipy forms fail for degenerate fits (a -> 0 with huge r and alpha: nobody seems
        # to drop out). The transformed series still converges there; sum it directly.
        zb, cb = np.broadcast_arrays(z, c)
        g[bad] = np.exp((a - 1.0) * np.log1p(-zb[bad])) * _hyp2f1_series(
            a + b - 1.0 - r, a - 1.0, cb[bad], zb[bad]
        )
    result: FloatArray = c / (a - 1.0) * (1.0 - g) + 0.0  # + 0.0 turns -0.0 into 0.0
    return result


def _hyp2f1_series(
    A: float, B: float, C: FloatArray, z: FloatArray, max_terms: int = 20_000
) -> FloatArray:
    """``2F1(A, B; C; z)`` by its defining series, for ``0 <= z < 1``, summed until terms vanish.

    Used only where scipy returns a non-finite value: degenerate fits, where ``B`` is close to -1
    (``a`` close to 0), ``C`` (``b + x``) is large and ``z`` small, so the terms fall off after
    the first few. It is not a general 2F1: with large ``|A| z / C`` the alternating terms cancel.
    """
    term = np.ones_like(z)
    total = np.ones_like(z)
    active = np.ones(z.shape, dtype=bool)
    for k in range(max_terms):
        term = np.where(active, term * (A + k) * (B + k) / ((C + k) * (k + 1.0)) * z, 0.0)
        total = total + term
        active = np.abs(term) > 1e-16 * np.abs(total)
        if not active.any():
            break
    return total


def _conditional_bracket(
    r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray, T: FloatArray
) -> FloatArray:
    """The bracket of eq. (10), with the removable singularity at ``a = 1`` interpolated.

    Within ``A_ONE_WINDOW`` of ``a = 1`` the value is the cubic Lagrange interpolant through
    ``a = 1 -+ h, 1 -+ 2h`` (``h = A_ONE_WINDOW``): the function is smooth in ``a``, so the
    interpolation error is ``O(h^4)`` (~1e-12) while the cancellation in ``1 - G`` costs ~1e-13.
    """
    h = A_ONE_WINDOW
    if abs(a - 1.0) >= h:
        return _bracket_exact(r, alpha, a, b, t, x, T)
    nodes = (1.0 - 2 * h, 1.0 - h, 1.0 + h, 1.0 + 2 * h)
    result = np.zeros(np.broadcast_shapes(np.shape(t), np.shape(x), np.shape(T)))
    for i, node in enumerate(nodes):
        weight = 1.0
        for j, other in enumerate(nodes):
            if j != i:
                weight *= (a - other) / (node - other)
        result = result + weight * _bracket_exact(r, alpha, node, b, t, x, T)
    return result + 0.0


# --------------------------------------------------------------------------------------------
# Simulation


@dataclass(frozen=True)
class SimulatedCustomers:
    """Output of :func:`simulate`: calibration summaries and holdout counts of each customer."""

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    holdout_purchases: FloatArray
    rate: FloatArray
    dropout: FloatArray


def simulate(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: ArrayLike,
    *,
    holdout: float = 0.0,
    rng: np.random.Generator | None = None,
) -> SimulatedCustomers:
    """Draw customers from the BG/NBD generative process (section 3 of the paper), vectorised.

    Each customer has ``lambda ~ Gamma(r, rate=alpha)`` and ``p ~ Beta(a, b)``; it makes a first
    purchase at time 0, then buys as a Poisson(``lambda``) process and drops out right after each
    repeat purchase with probability ``p`` — i.e. it makes ``J ~ Geometric(p)`` repeat purchases
    at most. With ``N ~ Poisson(lambda T)`` Poisson events in ``(0, T]``, ``x = min(N, J)`` and,
    given ``N``, the ``x``-th event time is ``T * Beta(x, N - x + 1)`` (uniform order statistic).
    Purchases in the holdout ``(T, T + holdout]`` are ``min(Poisson(lambda * holdout), J - x)``
    for customers still alive at ``T`` (``N < J``) and 0 otherwise.

    Parameters
    ----------
    n
        Number of customers.
    r, alpha, a, b
        Model parameters.
    T
        Observation length of each customer (scalar or array of length ``n``).
    holdout
        Length of the holdout period after ``T``.
    rng
        Random generator (a fresh default one if omitted).
    """
    rng = np.random.default_rng() if rng is None else rng
    Ta = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    p = np.clip(p, 1e-300, 1.0)
    max_repeat = rng.geometric(p).astype(np.float64)
    events = rng.poisson(lam * Ta).astype(np.float64)
    x = np.minimum(events, max_repeat)
    pos = x > 0
    t_x = np.zeros(n)
    t_x[pos] = Ta[pos] * rng.beta(x[pos], events[pos] - x[pos] + 1.0)
    alive = events < max_repeat
    future = rng.poisson(lam * holdout).astype(np.float64) if holdout > 0 else np.zeros(n)
    holdout_purchases = np.where(alive, np.minimum(future, max_repeat - x), 0.0)
    return SimulatedCustomers(
        frequency=x,
        recency=t_x,
        T=Ta,
        holdout_purchases=holdout_purchases,
        rate=lam,
        dropout=p,
    )
