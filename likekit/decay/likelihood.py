"""The statistical model of a decline: observations, their covariance, the likelihood.

The model works on the increments between snapshots, not on the level (whose residuals are
a random walk, so least squares on it gives far too small standard errors). With ``s`` the
hours since the start of the decline and ``mu(s) = P + A g(s)``, the observed level at
snapshot ``i`` (the middle of what its display can mean) is::

    Y_i = mu(s_i) + U(s_i) + e_i

``U`` is the accumulated noise of new likes and un-likes since the start: independent
increments with variance ``sigma2 * dt + phi * |d mu|``, which does not shrink with the
mean since new likes and un-likes both go on. ``e_i`` is the display rounding: uniform on the
display step ``r`` (variance ``(r^2 - 1) / 12``, known), and alike for two counts that the
display did not tell apart: a sawtooth of the count, so two levels' errors are as alike as
the sawtooth is over the likes between them (:func:`rounding_correlation`), which a few likes
of noise already spread apart. The first level anchors ``P + A``; exact counts give the
increments a diagonal covariance, rounded ones a dense covariance of the chained levels.

:class:`Design` holds the observations, :func:`variance_moments` estimates ``(sigma2, phi)``,
:func:`whitener` builds the whitening for them, and :class:`DecayLikelihood` is the
statsmodels model (analytic score and information) used for the inference.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize, special
from statsmodels.base.model import GenericLikelihoodModel, GenericLikelihoodModelResults

from likekit.decay.families import Family

#: least variance of the net count per unit of expected change (Poisson un-likes)
MIN_PHI = 1.0
#: variance floor of every row: counts are integers, so a flat exact series is not
#: infinitely precise (and the covariance stays positive definite)
_FLOOR = 1.0 / 12.0


def natural(family: Family, x: np.ndarray) -> tuple[float, float, float, float | None]:
    """(P, A, tau, shape) from the optimiser's (P, A, log tau[, log shape])."""
    shape = float(np.exp(x[3])) if family.n_shape else None
    return float(x[0]), float(x[1]), float(np.exp(x[2])), shape


class Design:
    """Observations of the net count from the start of the decline on.

    Row 0 is the level at the start (mean ``P + A``); each later row is the increment between
    two consecutive usable snapshots (mean ``A (g(s) - g(s_prev))``). An increment that
    crosses an excluded window is left out, so the level after it is only tied to the model
    through its own increments: a purge step or a glitch there cannot pull the fit.

    Parameters
    ----------
    t : ndarray
        Hours since the start (``t[0] == 0``).
    y : ndarray
        Levels.
    r : ndarray
        Display step of each level.
    keep : ndarray of bool
        Whether the increment from snapshot ``i-1`` to ``i`` is usable (``keep[0]`` stands
        for the anchor).
    offset : float
        Hours from the peak of the mean path to the first snapshot. The peak lies between two
        snapshots: the anchor is then the level ``offset`` hours into the decline, its mean
        ``P + A g(offset)``, and the likes and un-likes since the peak (a random walk of
        ``offset`` hours and ``A (1 - g(offset))`` expected un-likes) add to its variance.
        ``P + A`` is the count at the peak.
    free_anchor : bool
        The peak may follow the snapshot before the anchor (the count rising until then):
        the increment to the anchor is not used, and the anchor's level is free
        (:func:`~likekit.decay.estimation.given_anchor`).
    reference : float
        Hours from the peak of the mean path to the snapshot the half-life is counted from
        (:attr:`~likekit.decay.results.DecayFit.reference`).
    prior : float
        Hours of the gap between two snapshots that this place of the peak stands for (the
        peak is equally likely anywhere in the gap): its prior weight among the places.
    """

    def __init__(
        self,
        t: np.ndarray,
        y: np.ndarray,
        r: np.ndarray,
        keep: np.ndarray,
        offset: float = 0.0,
        free_anchor: bool = False,
        reference: float = 0.0,
        prior: float = 1.0,
    ):
        v = (r**2 - 1) / 12  # variance of a uniform rounding error on r integers
        idx = np.flatnonzero(keep)
        self.anchor = idx == 0
        self.offset = float(offset)
        self.free_anchor = free_anchor
        self.reference = float(reference)
        self.prior = float(prior)
        # the anchor's "increment" runs from the peak
        self.dt = t[idx] - np.where(self.anchor, -self.offset, t[np.maximum(idx - 1, 0)])
        y_prev = np.where(self.anchor, 0.0, y[np.maximum(idx - 1, 0)])
        self.endog = y[idx] - y_prev
        v_prev = np.where(self.anchor, 0.0, v[np.maximum(idx - 1, 0)])
        self.rounding = v[idx] + v_prev
        self.level_rounding = v[idx]
        # rows j-1 and j share the level of snapshot idx[j]-1 when they are adjacent
        adjacent = np.r_[False, np.diff(idx) == 1]
        self.offdiag = np.where(adjacent, -v_prev, 0.0)
        # a left-out increment leaves the rounding errors of its two ends in every later
        # (chained) level: a persistent offset
        v_before = np.r_[0.0, v[idx[:-1]]]
        self.break_var = np.where(adjacent | self.anchor, 0.0, v_prev + v_before)
        #: rounding makes the errors of nearby levels alike: a dense covariance is needed
        self.dense = bool(np.any(v > 0))
        self.resolution = float(r.max())
        self.span = float(t[-1])
        self.n = len(idx)
        # the family is evaluated once per snapshot time (hours since the peak); rows pick
        # their two ends
        self.t, self.cur, self.prev = t + self.offset, idx, np.maximum(idx - 1, 0)
        self.keep_prev = (~self.anchor).astype(float)

    def mean(self, family: Family, x: np.ndarray) -> np.ndarray:
        p, a, tau, shape = natural(family, x)
        g = family.g(self.t, tau, shape)
        return p * self.anchor + a * (g[self.cur] - self.keep_prev * g[self.prev])

    def moved(self, family: Family, x: np.ndarray) -> np.ndarray:
        """Expected change of each row's level: since the previous level, the anchor's since
        the peak (what the variance of the un-likes follows)."""
        _, a, tau, shape = natural(family, x)
        g = family.g(self.t, tau, shape)
        return a * (g[self.cur] - self.keep_prev * g[self.prev] - self.anchor)

    def mean_jac(self, family: Family, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean rows and d mean / d x, shape (n, k), with x = (P, A, log tau[, log shape])."""
        p, a, tau, shape = natural(family, x)
        g, dg = family.g_dg(self.t, tau, shape)
        g = g[self.cur] - self.keep_prev * g[self.prev]
        dg = dg[:, self.cur] - self.keep_prev * dg[:, self.prev]
        jac = np.empty((self.n, len(x)))
        jac[:, 0], jac[:, 1], jac[:, 2:] = self.anchor, g, a * dg.T
        return p * self.anchor + a * g, jac

    def jac(self, family: Family, x: np.ndarray) -> np.ndarray:
        return self.mean_jac(family, x)[1]


class Whitener:
    """Whitening by the Cholesky factor of a tridiagonal covariance (diag d, sub-diag e)."""

    def __init__(self, d: np.ndarray, e: np.ndarray):
        self.banded = not np.all(e == 0)
        if self.banded:
            ab = np.vstack([d, np.r_[e[1:], 0.0]])
            self.chol = linalg.cholesky_banded(ab, lower=True, check_finite=False)
            self.diag = self.chol[0]
        else:
            self.diag = np.sqrt(d)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not self.banded:
            return x / (self.diag if x.ndim == 1 else self.diag[:, None])
        return linalg.solve_banded((1, 0), self.chol, x, check_finite=False)

    def loglike(self, resid: np.ndarray) -> np.ndarray:
        """Gaussian log-likelihood of each innovation (prediction-error decomposition)."""
        w = self(resid)
        return -0.5 * (np.log(2 * np.pi) + w**2) - np.log(self.diag)


_TRTRS = linalg.get_lapack_funcs("trtrs", (np.empty(1),))


class DenseWhitener(Whitener):
    """Whitening of the chained levels (cumulated rows) by a dense covariance."""

    def __init__(self, cov: np.ndarray):
        self.chol = linalg.cholesky(cov, lower=True, check_finite=False)
        self.diag = np.diag(self.chol)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        # LAPACK directly: solve_triangular's checks cost more than the solve at this size
        solved, info = _TRTRS(self.chol, np.cumsum(x, axis=0), lower=1)
        if info:
            raise np.linalg.LinAlgError("singular covariance factor")
        return solved


_HARMONICS = np.arange(1, 7)
#: share of the rounding variance in each of the first harmonics
_HARMONIC_WEIGHTS = 6 / (np.pi**2 * _HARMONICS**2)
#: most rounds of the variance moments with rounded counts (their rounding term depends on
#: the noise they estimate)
_MOMENT_ROUNDS = 10
#: display steps either side of the mean's own that the exact sum spans (8 sd of the noise)
_STEPS = np.arange(-1, 2)


def rounding_correlation(dmu: np.ndarray, dist2: np.ndarray, r: float) -> np.ndarray:
    """Correlation of the rounding errors of two counts ``D ~ N(dmu, dist2)`` apart.

    The rounding error is a sawtooth of the count with period ``r`` (the display step); two
    counts ``D`` apart (whole likes, uniform phase) differ in their errors by ``D`` when the
    display did not move between them and by ``D - r`` when it did, so the squared
    difference of the errors is ``u (r - u)`` with ``u = D mod r``: about ``r |D|`` for
    counts close together, not ``D^2``. Nearby levels are far less alike than a smooth
    kernel says, the more so the larger the step: a few likes of noise between two hourly
    snapshots give their increment a rounding variance of hundreds of likes^2 with steps of
    100. The correlation is one minus the expectation of ``u (r - u)`` over ``D`` on its
    mean ``r^2 / 6``: summed exactly over the display steps near ``dmu`` where the noise
    is narrow (sd under ``r / 8``), by the Fourier series ``sum_k 6 / (pi k)^2
    cos(2 pi k dmu / r) exp(-2 (pi k)^2 dist2 / r^2)`` where it is wide (to its sixth
    harmonic: the seventh is then damped below ``e^-15``).
    """
    dmu, dist2 = np.broadcast_arrays(np.asarray(dmu, float), np.asarray(dist2, float))
    out = np.empty(dmu.shape)
    wide = dist2 >= r**2 / 64
    phase = 2 * np.pi * np.multiply.outer(dmu[wide], _HARMONICS) / r
    damp = np.exp(-2 * np.pi**2 * np.multiply.outer(dist2[wide], _HARMONICS**2) / r**2)
    out[wide] = (np.cos(phase) * damp) @ _HARMONIC_WEIGHTS
    # narrow: D - j r ~ N(c, sd^2) on [0, r) for the steps j near dmu, partial moments
    m, sd = dmu[~wide], np.sqrt(np.maximum(dist2[~wide], 1e-18 * r**2))[:, None]
    c = (m - r * np.floor(m / r))[:, None] - r * _STEPS
    z0, z1 = -c / sd, (r - c) / sd
    mass = special.ndtr(z1) - special.ndtr(z0)
    pdf0, pdf1 = np.exp(-(z0**2) / 2), np.exp(-(z1**2) / 2)
    pdf0, pdf1 = pdf0 / np.sqrt(2 * np.pi), pdf1 / np.sqrt(2 * np.pi)
    first = c * mass + sd * (pdf0 - pdf1)
    second = c**2 * mass + 2 * c * sd * (pdf0 - pdf1) + sd**2 * (mass + z0 * pdf0 - z1 * pdf1)
    out[~wide] = 1.0 - (r * first - second).sum(axis=1) / (r**2 / 6)
    return out


def variance_moments(design: Design, resid: np.ndarray, change: np.ndarray) -> tuple[float, float]:
    """Moment estimates of (sigma2, phi) in Var = sigma2 dt + phi |m| + rounding.

    ``change`` holds the expected change of each row (:meth:`Design.moved`). Differences of
    the residual level over several lags (1, 2, 4, ... rows) are used, not only single
    increments: when the display step dominates one increment, the random walk still shows
    over longer spans, and it is what limits the precision of the plateau.
    """
    absm = np.abs(change)
    path = np.cumsum(resid)  # residual level (chained over the usable increments)
    time = np.cumsum(design.dt)
    moved = np.cumsum(absm)
    mu = np.cumsum(change)  # only differences of it are used: the anchor's part cancels
    breaks = np.cumsum(design.break_var)
    targets, xs, pairs = [], [], []
    lag = 1
    while lag < design.n:
        targets.append((path[lag:] - path[:-lag]) ** 2)
        xs.append(np.column_stack([time[lag:] - time[:-lag], moved[lag:] - moved[:-lag]]))
        va, vb = design.level_rounding[lag:], design.level_rounding[:-lag]
        pairs.append(np.column_stack([va + vb + breaks[lag:] - breaks[:-lag],
                                      2 * np.sqrt(va * vb), mu[lag:] - mu[:-lag]]))  # fmt: skip
        lag *= 2 if design.dense else design.n  # exact counts: single increments suffice
    target, x = np.concatenate(targets), np.vstack(xs)
    apart, shared, dmu = np.vstack(pairs).T
    # when the mean does not move, phi is not identified: keep the random-walk part only
    if not np.any(absm > 0):
        x = x[:, :1]

    def rounding(noise: np.ndarray) -> np.ndarray:
        if not design.dense:
            return apart
        # the noise between two counts spreads their rounding errors apart
        return apart - shared * rounding_correlation(dmu, noise, design.resolution)

    coef = np.zeros(2)
    noise = x[:, 0]  # a first guess: a walk of a like^2 an hour
    rnd = rounding(noise)
    weight = 1.0 / (rnd + _FLOOR + noise)
    for _ in range(_MOMENT_ROUNDS if design.dense else 2):
        sol, _ = optimize.nnls(x * weight[:, None], (target - rnd) * weight)
        settled = np.allclose(sol, coef[: len(sol)], rtol=1e-2, atol=1e-6)
        coef[: len(sol)] = sol
        if settled and design.dense:
            break
        if design.dense:
            # halfway: more noise spreads the rounding errors apart, which leaves less
            # to the noise; the plain round overshoots (its walk swings to and fro)
            noise = (noise + x @ sol) / 2
            rnd = rounding(noise)
        else:
            noise = x @ sol
        # weighted by 1 / predicted variance: close to the Gaussian score
        weight = 1.0 / (noise + rnd + _FLOOR)
    # un-likes are counted: their variance is at least their mean (Poisson), never below.
    # A random walk that adds less than one rounding variance over the whole window is
    # hidden by the display: the data cannot tell it from none, and taking it as none would
    # make the levels the display did not tell apart perfectly correlated (an
    # ill-conditioned, overconfident likelihood). Its floor errs on the wide side.
    hidden = float(design.level_rounding.mean()) / max(design.span, 1.0)
    return max(float(coef[0]), hidden), max(float(coef[1]), MIN_PHI)


def whitener(design: Design, sigma2: float, phi: float, change: np.ndarray) -> Whitener:
    """Whitening for given variance parameters and expected changes (:meth:`Design.moved`)."""
    absm = np.abs(change)
    if not design.dense:
        d = sigma2 * design.dt + phi * absm
        return Whitener(d + design.rounding + _FLOOR, design.offdiag)
    time = np.cumsum(design.dt)
    moved = np.cumsum(absm)
    breaks = np.cumsum(design.break_var)
    walk = sigma2 * np.minimum.outer(time, time) + phi * np.minimum.outer(moved, moved)
    mu = np.cumsum(change)
    dist2 = sigma2 * np.abs(np.subtract.outer(time, time)) + phi * np.abs(
        np.subtract.outer(moved, moved)
    )
    sd = np.sqrt(design.level_rounding)
    # the likelihood takes the expected distance as spread, not as a phase of the sawtooth:
    # the fitted mean is not known well enough over long spans to trust the phase (that
    # would be overconfident)
    upper = np.triu_indices(design.n)  # symmetric: each pair once
    spread = (mu[upper[0]] - mu[upper[1]]) ** 2 + dist2[upper]
    corr = np.empty((design.n, design.n))
    corr[upper] = rounding_correlation(0.0, spread, design.resolution)
    corr.T[upper] = corr[upper]
    shared = np.outer(sd, sd) * corr
    rows = np.arange(1, design.n + 1)
    cov = walk + np.minimum.outer(breaks, breaks) + shared
    cov += _FLOOR * np.minimum.outer(rows, rows)  # the floor of every increment, chained
    return DenseWhitener(cov)


# ---------------------------------------------------------------------------------------
# statsmodels: polish and inference for a chosen family


class DecayResults(GenericLikelihoodModelResults):
    """statsmodels results with the leverage-corrected sandwiches HC2 and HC3.

    statsmodels computes them for linear models only; other models get HC0 unless their
    results define ``cov_HC2`` / ``cov_HC3``. All three are :func:`sandwich`'s.
    """

    def __init__(self, model, mlefit):
        super().__init__(model, mlefit)
        power = LEVERAGE_POWER.get(self.cov_type)
        # every sandwich ours: statsmodels' HC0 would leave a row of leverage 1 out too
        cov = self.cov_params() if power is None else self._leveraged(power)
        self.cov_params_default = display_floor(model.design, cov)

    @property
    def cov_HC2(self) -> np.ndarray:
        """Sandwich with each score scaled by ``1 / sqrt(1 - h_i)`` (unbiased when the
        variance model is right)."""
        return self._leveraged(0.5)

    @property
    def cov_HC3(self) -> np.ndarray:
        """Sandwich with each score inflated by ``1 / (1 - h_i)`` (MacKinnon & White)."""
        return self._leveraged(1.0)

    def _leveraged(self, power: float) -> np.ndarray:
        """Sandwich with the scores divided by ``(1 - h_i) ** power``.

        ``h_i`` is the leverage of innovation ``i`` in the Gauss-Newton regression: the first
        increments of a steep decline carry most of what is known about the shape, and HC0
        underestimates the variance when a few points weigh that much (daily snapshots).
        """
        return sandwich(self.model.wjac(self.params), self.model.wresid(self.params), power)


def sandwich(wjac: np.ndarray, wresid: np.ndarray, power: float) -> np.ndarray:
    """Sandwich covariance with each squared residual divided by ``(1 - h_i) ** (2 power)``.

    ``wjac`` is the whitened Jacobian of the mean rows (the Gauss-Newton regression, whose
    cross-product is the expected information), ``wresid`` the whitened residuals (unit
    variance under the model); ``power`` 0 is HC0. A row of leverage 1 is fitted exactly
    whatever its noise (the anchor, the only row that holds the plateau): its residual is
    nil and says nothing of its variance, so its model variance stands in for it. Left at
    nil, the noise of the count between the peak and the first snapshot (the un-likes of a
    steep decline's first day) would be missing from the plateau's variance.
    """
    bread = np.linalg.inv(wjac.T @ wjac)
    leverage = np.einsum("ij,jk,ik->i", wjac, bread, wjac)
    exact = leverage > 1.0 - _EXACT_FIT
    spare = np.clip(1.0 - leverage, 1.0 - _MAX_LEVERAGE, 1.0)
    scale = np.where(exact, 1.0, wresid / spare**power)
    scores = wjac * scale[:, None]
    return bread @ (scores.T @ scores) @ bread


#: leverage within this of 1: a row fitted exactly by construction (a parameter of its own)
_EXACT_FIT = 1e-6
#: leverage above this is taken as this: the residual is then scaled by at most 10 (HC2)
_MAX_LEVERAGE = 0.99


def display_floor(design: Design, cov: np.ndarray) -> np.ndarray:
    """``cov`` with the plateau's variance at least the display rounding of the last level.

    The count at the end is known to within its display step at best: where every late level
    shows one value, the fitted path goes through them all, and a sandwich made of those
    near-zero residuals would say the plateau is known to a fraction of a like.
    """
    floor = float(design.level_rounding[-1])
    if np.isnan(cov[0, 0]) or cov[0, 0] >= floor:  # NaN (not identified) stays NaN
        return cov
    cov = cov.copy()
    cov[0, 0] = floor
    return cov


#: the leverage power of each sandwich (None: the inverse information alone)
LEVERAGE_POWER = {"HC0": 0.0, "HC2": 0.5, "HC3": 1.0, "nonrobust": None}


def covariance(family: Family, design: Design, x: np.ndarray, whiten: Whitener, cov_type: str):
    """The covariance of ``cov_type`` at ``x`` directly, without a statsmodels fit.

    What :class:`DecayResults` gives at the same point: for the many rival fits whose
    intervals enter a model-averaged one, where statsmodels' polish and bookkeeping would
    cost more than the fits.
    """
    wj = whiten(design.jac(family, x))
    power = LEVERAGE_POWER[cov_type]
    if power is None:
        return display_floor(design, np.linalg.inv(wj.T @ wj))
    resid = whiten(design.endog - design.mean(family, x))
    return display_floor(design, sandwich(wj, resid, power))


class DecayLikelihood(GenericLikelihoodModel):
    """Gaussian quasi-likelihood of the anchor and increments, covariance held fixed."""

    results_class = DecayResults

    def __init__(self, design: Design, family: Family, whiten: Whitener, names: list[str]):
        self.design, self.family, self.whiten = design, family, whiten
        super().__init__(design.endog, extra_params_names=list(names))

    def loglikeobs(self, params):
        return self.whiten.loglike(self.endog - self.design.mean(self.family, params))

    def wjac(self, params):
        """Whitened Jacobian of the mean rows."""
        return self.whiten(self.design.jac(self.family, params))

    def wresid(self, params):
        """Whitened residuals of the mean rows (unit variance under the model)."""
        return self.whiten(self.endog - self.design.mean(self.family, params))

    def score_obs(self, params, **kwds):
        return self.wresid(params)[:, None] * self.wjac(params)

    def score(self, params):
        return self.score_obs(params).sum(axis=0)

    def hessian(self, params):
        # expected information (Gauss-Newton): what the sandwich's bread should be
        wj = self.wjac(params)
        return -wj.T @ wj
