"""Decay models of trend-driven declines, fitted with statsmodels, with honest intervals.

When a trend passes, new likes dry up while real users keep un-liking: the net count peaks
and relaxes toward a plateau. :func:`fit_decay` fits the candidate families of
:mod:`likekit._decay_models` to the net count after its peak and reports half-life, plateau
and the share of the peak expected to be lost, each with an interval.

The statistical model works on the increments between snapshots, not on the level (whose
residuals are a random walk, so least squares on it gives far too small standard errors).
With ``s`` the hours since the start of the decline and ``mu(s) = P + A g(s)``, the observed
level at snapshot ``i`` (the middle of what its display can mean) is::

    Y_i = mu(s_i) + U(s_i) + e_i

``U`` is the accumulated noise of new likes and un-likes since the start: independent
increments with variance ``sigma2 * dt + phi * |d mu|``, which does not shrink with the
mean since new likes and un-likes both go on. ``e_i`` is the display rounding: uniform on the
display step ``r`` (variance ``(r^2 - 1) / 12``, known), and alike for two counts that the
display did not tell apart. The first level anchors ``P + A``; exact counts give the
increments a diagonal covariance, rounded ones a dense covariance of the chained levels.

Estimation: Gaussian quasi-likelihood of the anchor and increments (feasible GLS: variance
moments over several lags, then the mean by Levenberg-Marquardt); every candidate is then
refitted under the variance of the best one, so that AIC/BIC compare fits of the mean.
Inference: statsmodels' ``GenericLikelihoodModel`` (analytic score and information) polishes
the chosen fit and gives a sandwich covariance, robust to a wrong variance function.
Half-life, plateau and loss share get delta-method intervals on the log, raw and logit scales,
widened for the uncertainty of the model choice (Buckland et al. 1997). Coverage is checked by
simulation in ``tests/test_decay.py`` and ``benchmarks/bench_decay.py``.

Physical bounds: the plateau and amplitude are never below zero (a fit that wants a negative
plateau is redone on the bound), and the loss share is in [0, 1]. A decline that has not
levelled off within the data (a straight line fits as well by the model-choice criterion,
the best decay would end below zero, or its half-life is beyond the hours observed) has no
identified plateau: the fit says so (``identified`` False, a plain ``message``) and reports
what the data bound instead of point estimates.
"""

from __future__ import annotations

import html
import inspect
import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, optimize, special, stats

from likekit._decay_models import FAMILIES, Family
from likekit.data import LikekitInputError

__all__ = [
    "MODELS",
    "DecayFit",
    "fit_decay",
    "fit_decay_many",
]

#: the candidate models, in the order of the comparison table
MODELS = ("exponential", "power_law", "stretched_exponential", "none")
#: fewest usable snapshots after the peak for a decay fit
MIN_SNAPSHOTS = 8
#: most snapshots used with display-rounded counts (their covariance is dense)
MAX_DENSE = 150
#: least variance of the net count per unit of expected change (Poisson un-likes)
MIN_PHI = 1.0
#: variance floor of every row: counts are integers, so a flat exact series is not
#: infinitely precise (and the covariance stays positive definite)
_FLOOR = 1.0 / 12.0
_HOUR = pd.Timedelta(hours=1)
_DERIVED = ("half_life", "plateau", "loss_share")

Criterion = Literal["bic", "aic"]


# ---------------------------------------------------------------------------------------
# input


def _as_frame(counts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """The one-video table as a frame with timestamp, likes and resolution."""
    if isinstance(counts, pd.Series):
        if not isinstance(counts.index, pd.DatetimeIndex):
            raise LikekitInputError("a Series of likes must be indexed by timestamp")
        return pd.DataFrame({"timestamp": counts.index, "likes": counts.to_numpy()})
    if not isinstance(counts, pd.DataFrame):
        raise LikekitInputError(
            f"counts must be a DataFrame or a Series, got {type(counts).__name__}"
        )
    missing = [c for c in ("timestamp", "likes") if c not in counts.columns]
    if missing:
        raise LikekitInputError(f"counts has no column {', '.join(map(repr, missing))}")
    return counts


def _prepare(
    counts: pd.DataFrame | pd.Series,
) -> tuple[str | None, pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Validate one video's table; return its id, sorted times, lower bounds and steps.

    Snapshots with missing likes are dropped (a missing snapshot); the input is never
    modified.
    """
    frame = _as_frame(counts)
    video = None
    if "video_id" in frame.columns:
        ids = pd.unique(frame["video_id"].dropna())
        if len(ids) > 1:
            raise LikekitInputError(
                f"fit_decay takes one video, got {len(ids)} ({', '.join(map(str, ids[:3]))}, "
                "...): use fit_decay_many"
            )
        video = str(ids[0]) if len(ids) else None
    stamps, lower, res, _ = _columns(frame)
    return (video, *_sorted(stamps, lower, res))


def _columns(frame: pd.DataFrame) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray, np.ndarray]:
    """Times, lower bounds and steps of the shown snapshots, and which rows were shown."""
    try:
        stamps = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"], utc=True))
    except (ValueError, TypeError) as err:
        raise LikekitInputError(f"column 'timestamp' is not a time: {err}") from None
    if stamps.hasnans:
        raise LikekitInputError("column 'timestamp' has missing values")
    lower = _numbers(frame, "likes")
    res = _numbers(frame, "resolution") if "resolution" in frame.columns else np.ones(len(frame))
    shown = ~np.isnan(lower)
    stamps, lower, res = stamps[shown], lower[shown], res[shown]
    if (lower < 0).any():
        raise LikekitInputError("column 'likes' has negative counts")
    if np.isnan(res).any() or (res < 1).any():
        raise LikekitInputError("column 'resolution' must be an integer >= 1")
    return stamps, lower, res, shown


def _sorted(
    stamps: pd.DatetimeIndex, lower: np.ndarray, res: np.ndarray
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """One video's snapshots in time order; a repeated time is an error."""
    order = np.argsort(stamps.asi8, kind="stable")
    stamps, lower, res = stamps[order], lower[order], res[order]
    same = np.flatnonzero(np.diff(stamps.asi8) == 0)
    if len(same):
        raise LikekitInputError(
            f"duplicated snapshot at {stamps[same[0]]}: one value per timestamp"
        )
    return stamps, lower, res


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A count column as floats (NaN where missing), or a clear error naming the row."""
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(float, na_value=np.nan)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        raise LikekitInputError(
            f"column {column!r} is not a count at row {int(np.flatnonzero(bad)[0])}: "
            f"{values[bad].iloc[0]!r} (load_counts reads display strings)"
        )
    return numbers.to_numpy(float, na_value=np.nan)


def _windows(exclude: pd.DataFrame | None, video: str | None) -> list[tuple[Any, Any]]:
    """Excluded (start, end) windows of this video (an end of NaT means start).

    Events whose cause is "trend_decline" are what is being fitted, not excluded: the events
    of :func:`likekit.diagnose` can be passed as they are.
    """
    if exclude is None or len(exclude) == 0:
        return []
    if not isinstance(exclude, pd.DataFrame) or "start" not in exclude.columns:
        raise LikekitInputError("exclude must be a DataFrame with a 'start' (and 'end') column")
    if "video_id" in exclude.columns and video is not None:
        exclude = exclude[exclude["video_id"].astype(str) == video]
    if "cause" in exclude.columns:
        exclude = exclude[exclude["cause"] != "trend_decline"]
    start = pd.to_datetime(exclude["start"], utc=True)
    end = pd.to_datetime(exclude["end"], utc=True) if "end" in exclude.columns else start
    end = end.fillna(start)
    return list(zip(start, end, strict=True))


# ---------------------------------------------------------------------------------------
# design: the anchor level and the increments after the start


class _Design:
    """Observations of the net count from the start of the decline on.

    Row 0 is the level at the start (mean ``P + A``); each later row is the increment between
    two consecutive usable snapshots (mean ``A (g(s) - g(s_prev))``). An increment that
    crosses an excluded window is left out, so the level after it is only tied to the model
    through its own increments: a purge step or a glitch there cannot pull the fit.
    """

    def __init__(self, t: np.ndarray, y: np.ndarray, r: np.ndarray, keep: np.ndarray):
        # t: hours since the start (t[0] == 0); y: levels; r: display step of each level;
        # keep[i]: whether the increment from snapshot i-1 to i is usable (keep[0] stands
        # for the anchor)
        v = (r**2 - 1) / 12  # variance of a uniform rounding error on r integers
        idx = np.flatnonzero(keep)
        self.anchor = idx == 0
        self.dt = t[idx] - np.where(self.anchor, 0.0, t[np.maximum(idx - 1, 0)])
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
        # the family is evaluated once per snapshot time; rows pick their two ends
        self.t, self.cur, self.prev = t, idx, np.maximum(idx - 1, 0)
        self.keep_prev = (~self.anchor).astype(float)

    def mean(self, family: Family, x: np.ndarray) -> np.ndarray:
        p, a, tau, shape = _natural(family, x)
        g = family.g(self.t, tau, shape)
        return p * self.anchor + a * (g[self.cur] - self.keep_prev * g[self.prev])

    def mean_jac(self, family: Family, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean rows and d mean / d x, shape (n, k), with x = (P, A, log tau[, log shape])."""
        p, a, tau, shape = _natural(family, x)
        g, dg = family.g_dg(self.t, tau, shape)
        g = g[self.cur] - self.keep_prev * g[self.prev]
        dg = dg[:, self.cur] - self.keep_prev * dg[:, self.prev]
        jac = np.empty((self.n, len(x)))
        jac[:, 0], jac[:, 1], jac[:, 2:] = self.anchor, g, a * dg.T
        return p * self.anchor + a * g, jac

    def jac(self, family: Family, x: np.ndarray) -> np.ndarray:
        return self.mean_jac(family, x)[1]


def _natural(family: Family, x: np.ndarray) -> tuple[float, float, float, float | None]:
    shape = float(np.exp(x[3])) if family.n_shape else None
    return float(x[0]), float(x[1]), float(np.exp(x[2])), shape


class _Whitener:
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


class _DenseWhitener(_Whitener):
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


_HARMONICS = np.arange(1, 5)
#: share of the rounding variance in each of the first harmonics
_HARMONIC_WEIGHTS = 6 / (np.pi**2 * _HARMONICS**2)


def _rounding_kernel(design: _Design, dmu: np.ndarray, dist2: np.ndarray | float) -> np.ndarray:
    """Correlation of two levels' rounding errors (off the diagonal).

    The rounding error is a sawtooth of the count with period ``r`` (the display step):
    ``sum_k 6 / (pi k)^2 cos(2 pi k x / r)`` in correlation, for two counts ``x`` apart.
    Counts much closer than ``r`` share their error (the display did not move), counts a
    whole step apart too. The expected distance ``dmu`` enters the cosines; the noise between
    the two (variance ``dist2``) damps harmonic ``k`` by ``exp(-2 (pi k)^2 dist2 / r^2)``.
    The harmonics above the fourth are left out (they are nearly white).
    """
    r = design.resolution
    phase = 2 * np.pi * np.multiply.outer(dmu, _HARMONICS) / r
    damp = np.exp(-2 * np.pi**2 * np.multiply.outer(dist2, _HARMONICS**2) / r**2)
    return (np.cos(phase) * damp) @ _HARMONIC_WEIGHTS


def _variance(design: _Design, resid: np.ndarray, mean: np.ndarray) -> tuple[float, float]:
    """Moment estimates of (sigma2, phi) in Var = sigma2 dt + phi |m| + rounding.

    Differences of the residual level over several lags (1, 2, 4, ... rows) are used, not
    only single increments: when the display step dominates one increment, the random walk
    still shows over longer spans, and it is what limits the precision of the plateau.
    """
    absm = np.where(design.anchor, 0.0, np.abs(mean))
    path = np.cumsum(resid)  # residual level (chained over the usable increments)
    time = np.cumsum(np.where(design.anchor, 0.0, design.dt))
    moved = np.cumsum(np.where(design.anchor, 0.0, absm))
    mu = np.cumsum(mean)
    breaks = np.cumsum(design.break_var)
    targets, xs, rounding = [], [], []
    lag = 1
    while lag < design.n:
        targets.append((path[lag:] - path[:-lag]) ** 2)
        xs.append(np.column_stack([time[lag:] - time[:-lag], moved[lag:] - moved[:-lag]]))
        va, vb = design.level_rounding[lag:], design.level_rounding[:-lag]
        shared = np.sqrt(va * vb) * _rounding_kernel(design, mu[lag:] - mu[:-lag], 0.0)
        rounding.append(va + vb - 2 * shared + breaks[lag:] - breaks[:-lag])
        lag *= 2 if design.dense else design.n  # exact counts: single increments suffice
    target, x, rnd = np.concatenate(targets), np.vstack(xs), np.concatenate(rounding)
    # when the mean does not move, phi is not identified: keep the random-walk part only
    if not np.any(absm > 0):
        x = x[:, :1]
    coef = np.zeros(2)
    weight = 1.0 / (rnd + _FLOOR + x[:, 0])
    for _ in range(2):  # weighted by 1 / predicted variance: close to the Gaussian score
        sol, _ = optimize.nnls(x * weight[:, None], (target - rnd) * weight)
        coef[: len(sol)] = sol
        weight = 1.0 / (x @ sol + rnd + _FLOOR)
    # un-likes are counted: their variance is at least their mean (Poisson), never below.
    # A random walk that adds less than one rounding variance over the whole window is
    # hidden by the display: the data cannot tell it from none, and taking it as none would
    # make the levels the display did not tell apart perfectly correlated (an
    # ill-conditioned, overconfident likelihood). Its floor errs on the wide side.
    hidden = float(design.level_rounding.mean()) / max(design.span, 1.0)
    return max(float(coef[0]), hidden), max(float(coef[1]), MIN_PHI)


def _whitener(design: _Design, sigma2: float, phi: float, mean: np.ndarray) -> _Whitener:
    """Whitening for given variance parameters and current mean rows."""
    absm = np.where(design.anchor, 0.0, np.abs(mean))
    if not design.dense:
        d = np.where(design.anchor, 0.0, sigma2 * design.dt + phi * absm)
        return _Whitener(d + design.rounding + _FLOOR, design.offdiag)
    time = np.cumsum(np.where(design.anchor, 0.0, design.dt))
    moved = np.cumsum(absm)
    breaks = np.cumsum(design.break_var)
    walk = sigma2 * np.minimum.outer(time, time) + phi * np.minimum.outer(moved, moved)
    mu = np.cumsum(mean)
    dist2 = sigma2 * np.abs(np.subtract.outer(time, time)) + phi * np.abs(
        np.subtract.outer(moved, moved)
    )
    sd = np.sqrt(design.level_rounding)
    # the likelihood uses the first harmonic's envelope only: the fitted mean is not known
    # well enough over long spans to trust the phase of the sawtooth (that would be
    # overconfident)
    dmu = np.subtract.outer(mu, mu)
    shared = np.outer(sd, sd) * np.exp(-2 * np.pi**2 * (dmu**2 + dist2) / design.resolution**2)
    rows = np.arange(1, design.n + 1)
    cov = walk + np.minimum.outer(breaks, breaks) + shared
    cov += _FLOOR * np.minimum.outer(rows, rows)  # the floor of every increment, chained
    return _DenseWhitener(cov)


# ---------------------------------------------------------------------------------------
# fitting one candidate


@dataclass
class _Candidate:
    """A fitted candidate: estimate on the optimiser's scale, likelihood, variance."""

    name: str
    x: np.ndarray
    llf: float
    k: int  # parameters counted by the criteria, the two of the variance included
    converged: bool
    message: str
    whiten: _Whitener
    sigma2: float
    phi: float
    levelled: bool = True  # False: plateau on zero or tau on its upper bound
    cov: np.ndarray | None = None  # only the null's (closed form); families use statsmodels

    def criterion(self, n: int, kind: Criterion) -> float:
        penalty = 2.0 if kind == "aic" else math.log(n)
        return -2.0 * self.llf + penalty * self.k


_SHAPE_GRID = {"power_law": (0.5, 1.0, 2.0, 4.0), "stretched_exponential": (0.4, 0.6, 0.8, 1.2)}


def _start_values(family: Family, design: _Design, level: np.ndarray, s: np.ndarray):
    """Grid over (tau, shape) with (P, A) by least squares on the level: start values."""
    taus = np.geomspace(max(design.span, 1.0) / 100, max(design.span, 1.0) * 5, 16)
    shapes = _SHAPE_GRID.get(family.name, (None,))
    grid = [(tau, shape) for tau in taus for shape in shapes]
    g = np.array([family.g(s, tau, shape) for tau, shape in grid])
    gm = g.mean(axis=1, keepdims=True)
    ym = level.mean()
    sxx = ((g - gm) ** 2).sum(axis=1)
    amp = ((g - gm) * (level - ym)).sum(axis=1) / np.where(sxx > 0, sxx, np.inf)
    amp = np.maximum(amp, 0.0)
    plateau = ym - amp * gm[:, 0]
    sse = ((level - plateau[:, None] - amp[:, None] * g) ** 2).sum(axis=1)
    best = int(np.argmin(sse))
    tau, shape = grid[best]
    x = [plateau[best], amp[best], np.log(tau)]
    return np.array(x + ([np.log(shape)] if shape is not None else [])), float(sse[best])


def _bounds(family: Family, design: _Design) -> tuple[np.ndarray, np.ndarray]:
    """The admissible box: likes are never negative (plateau >= 0, amplitude >= 0)."""
    span = max(design.span, 1.0)
    lo = [0.0, 0.0, np.log(span / 1000)]
    hi = [np.inf, np.inf, np.log(span * 100)]
    if family.log_shape_bounds is not None:
        lo.append(family.log_shape_bounds[0])
        hi.append(family.log_shape_bounds[1])
    return np.array(lo), np.array(hi)


def _solve(
    family: Family, design: _Design, x: np.ndarray, whiten: _Whitener
) -> tuple[np.ndarray, bool]:
    """Quasi-likelihood estimate of the mean parameters for a fixed covariance.

    MINPACK's Levenberg-Marquardt (fast) on a scale where the box of log tau and log shape
    is built in (a logistic map onto it); the amplitude is clipped at zero afterwards (a
    negative one is no decline, and leaves the candidate at the edge of its range). A
    plateau below zero likes is not admissible: the fit is then redone with the plateau on
    its bound (the constrained optimum). Returns the estimate and whether MINPACK converged.
    """
    x, ok = _lm(family, design, x, whiten, np.ones(len(x), bool))
    if x[0] < 0:
        free = np.ones(len(x), bool)
        free[0] = False
        # start from the same level at the start and the same initial slope (A / tau)
        amp = x[0] + x[1]
        start = np.r_[0.0, amp, x[2] + np.log(max(amp, 1e-9) / max(x[1], 1e-9)), x[3:]]
        x, ok = _lm(family, design, start, whiten, free)
    return x, ok


def _lm(family: Family, design: _Design, x: np.ndarray, whiten: _Whitener, free: np.ndarray):
    lo, hi = _bounds(family, design)
    lo[0] = -np.inf  # the plateau's bound is enforced by fixing it (see _solve)
    box = (np.isfinite(lo) & np.isfinite(hi))[free]
    lo_f, width = lo[free], np.where(box, (hi - lo)[free], 1.0)
    y = design.endog
    full = x.astype(float)
    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def to_x(u):
        full[free] = np.where(box, lo_f + width * special.expit(u), u)
        return full

    def mean_jac(u):
        key = u.tobytes()
        if key not in cache:  # MINPACK asks for the Jacobian where it has the residuals
            cache.clear()
            cache[key] = design.mean_jac(family, to_x(u))
        return cache[key]

    def resid(u):
        return whiten(y - mean_jac(u)[0])

    def jac(u):
        e = special.expit(u)
        scale = np.where(box, width * e * (1 - e), 1.0)
        return -whiten(mean_jac(u)[1][:, free]) * scale

    share = np.clip((x[free] - lo_f) / width, 1e-6, 1 - 1e-6)
    u0 = np.where(box, special.logit(share), x[free])
    # leastsq scales by the Jacobian's column norms (least_squares' x_scale="jac") with less
    # overhead per call
    with np.errstate(all="ignore"), warnings.catch_warnings():  # absurd trial steps
        warnings.simplefilter("ignore")  # a capped run is reported by info, not a warning
        u, info = optimize.leastsq(resid, u0, Dfun=jac, ftol=1e-6, xtol=1e-6, maxfev=60)
    out = np.maximum(to_x(u).copy(), np.r_[-np.inf, lo[1:]])
    return out, info in (1, 2, 3, 4)


def _candidate(
    family: Family,
    design: _Design,
    x: np.ndarray,
    ok: bool,
    whiten: _Whitener,
    sigma2: float,
    phi: float,
) -> _Candidate:
    lo, hi = _bounds(family, design)
    llf = float(whiten.loglike(design.endog - design.mean(family, x)).sum())
    # within 1e-4 of the width of its range: the logistic scale never reaches the bound
    near = 1e-4 * np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    low, high = x <= lo + near, x >= hi - near
    # a plateau on zero or a tau on its upper bound: a decline that has not levelled off
    # within the data (see _levelled); the rest of the edges are failures of the fit
    levelled = not (low[0] or high[2])
    low[0] = high[2] = False
    at_bound = np.flatnonzero(low | high)
    names = ["plateau", "amplitude", "tau", family.shape_name]
    converged = ok and len(at_bound) == 0
    if converged:
        message = ""
    elif len(at_bound):
        message = f"{', '.join(names[i] for i in at_bound)} at the edge of its range"
    else:
        message = "the optimiser did not converge"
    k = 2 + 1 + family.n_shape + 2  # P, A, tau, shape, sigma2, phi
    return _Candidate(family.name, x, llf, k, converged, message, whiten, sigma2, phi, levelled)


def _fit_families(
    names: list[str], design: _Design, level: np.ndarray, s: np.ndarray
) -> dict[str, _Candidate]:
    """A first feasible-GLS round of each family from grid start values.

    The variance moments are taken once, at the start values of the family that fits the
    level best: the first round only has to rank the families and bring each near its
    optimum (:func:`_common_variance` does the rest).
    """
    starts = {name: _start_values(FAMILIES[name], design, level, s) for name in names}
    best = min(names, key=lambda name: starts[name][1])
    m = design.mean(FAMILIES[best], starts[best][0])
    sigma2, phi = _variance(design, design.endog - m, m)
    whiten = _whitener(design, sigma2, phi, m)
    cands = {}
    for name in names:
        family = FAMILIES[name]
        x, ok = _solve(family, design, starts[name][0], whiten)
        cands[name] = _candidate(family, design, x, ok, whiten, sigma2, phi)
    return cands


def _round(family: Family, design: _Design, x: np.ndarray) -> _Candidate:
    """Variance moments at ``x``, then the quasi-likelihood estimate under them."""
    m = design.mean(family, x)
    sigma2, phi = _variance(design, design.endog - m, m)
    whiten = _whitener(design, sigma2, phi, m)
    return _candidate(family, design, *_solve(family, design, x, whiten), whiten, sigma2, phi)


def _common_variance(design: _Design, cands: dict[str, _Candidate]) -> None:
    """Refit every candidate under one covariance, that of the best-fitting family.

    The variance moments of a family that misses the shape absorb the misfit, and a
    covariance that follows each candidate's own mean (through ``phi |m|`` and the rounding)
    adds terms of its own to the likelihood: neither would leave the likelihoods comparable.
    Under one covariance the criteria compare the fits of the mean only, as an F test with
    the fullest model's variance does. The covariance is that of a second feasible-GLS
    round of the best family (variance moments and mean at its first estimate).
    """
    fams = [c for c in cands.values() if c.name != "none"]
    if not fams:
        return
    best = max(fams, key=lambda c: c.llf)
    ref = cands[best.name] = _round(FAMILIES[best.name], design, best.x)
    for c in fams:
        if c.name != ref.name:
            family = FAMILIES[c.name]
            x, ok = _solve(family, design, c.x, ref.whiten)
            cands[c.name] = _candidate(family, design, x, ok, ref.whiten, ref.sigma2, ref.phi)
    cands["none"] = _fit_none(design, ref.whiten, ref.sigma2)


def _fit_none(
    design: _Design, whiten: _Whitener | None = None, sigma2: float | None = None
) -> _Candidate:
    """The null: no decline, the level stays where it was at the start."""
    y = design.endog
    if whiten is None:
        mean = np.where(design.anchor, y, 0.0)
        sigma2, _ = _variance(design, y - mean, mean)
        whiten = _whitener(design, sigma2, 0.0, mean)
    w = whiten(design.anchor.astype(float))
    p = float(w @ whiten(y) / (w @ w))
    llf = float(whiten.loglike(y - p * design.anchor).sum())
    cov = np.array([[1.0 / float(w @ w)]])
    return _Candidate("none", np.array([p]), llf, 2, True, "", whiten, sigma2, 0.0, cov=cov)


def _straight_line(
    design: _Design, cand: _Candidate, criterion: Criterion, z: float
) -> tuple[bool, dict[str, tuple[float, float, float]]]:
    """Whether a straight decline fits as well as ``cand``; and what the data bound then.

    A straight line is the limit of every family when the curvature is not seen (tau far
    beyond the window, the plateau sent toward minus infinity): under the candidate's
    covariance, it is the null of a test of the curvature, judged by the same criterion as
    the model choice. When the decline has not levelled off, the plateau is only known to be
    in [0, L] with L the upper ``1 - alpha`` bound of the level at the last snapshot (it is
    still falling); the loss share in [1 - L / peak, 1]; and the half-life at least the time
    the line takes to fall half-way from the start to L (for any plateau below L, the excess
    halves no sooner).
    """
    x = np.column_stack([design.anchor, -np.where(design.anchor, 0.0, design.dt)])
    wx, wy = cand.whiten(x), cand.whiten(design.endog)
    coef, *_ = np.linalg.lstsq(wx, wy, rcond=None)
    llf = float(cand.whiten.loglike(design.endog - x @ coef).sum())
    penalty = 2.0 if criterion == "aic" else math.log(design.n)
    line = -2.0 * llf + penalty * 4  # level, slope and the two of the variance
    straight = line <= cand.criterion(design.n, criterion)
    cov = np.linalg.pinv(wx.T @ wx)
    end = np.array([1.0, -design.span])  # level at the last snapshot: c - b * span
    level, slope = float(coef[0]), float(coef[1])
    high = min(max(float(end @ coef) + z * math.sqrt(max(end @ cov @ end, 0.0)), 0.0), level)
    half = (level - high) / (2 * slope) if slope > 0 else 0.0
    share = 1.0 - high / level if level > 0 else 0.0
    bounds = {
        "half_life": (math.nan, half, math.inf),
        "plateau": (math.nan, 0.0, high),
        "loss_share": (math.nan, share, 1.0),
    }
    return straight, bounds


#: half-lives tried beyond the span, in spans, by :func:`_halving_unseen`
_BEYOND = (1.0, 3.0, 10.0, 100.0)


def _halving_unseen(family: Family, design: _Design, cand: _Candidate, z: float) -> bool:
    """Whether a half-life beyond the hours observed fits about as well as the best.

    The profile likelihood of the half-life at a few values from the span on (the excess
    not halved within the data): when one is within ``z^2 / 2`` of the maximum, the
    ``1 - alpha`` profile interval of the half-life reaches beyond the data and the plateau
    is an extrapolation. A Wald interval misses this when the likelihood is a long ridge (a
    stretched exponential with a small beta seen early: a steep start that crawls on).
    """
    y, whiten = design.endog, cand.whiten
    x = cand.x.copy()
    free = np.ones(len(x), bool)
    free[2] = False

    def at(u, log_half):
        x[free] = u
        shape = None
        if family.n_shape:
            x[3] = np.clip(x[3], *family.log_shape_bounds)
            shape = float(np.exp(x[3]))
        x[2] = log_half - math.log(family.half_life(1.0, shape))
        return x

    def resid(u, log_half):
        return whiten(y - design.mean(family, at(u, log_half)))

    def jac(u, log_half):
        xs = at(u, log_half)
        j = design.jac(family, xs)
        if family.n_shape:  # log tau moves with log shape at a fixed half-life
            j[:, 3] -= family.log_half_life_grad(float(np.exp(xs[3])))[1] * j[:, 2]
        return -whiten(j[:, free])

    u = x[free].copy()
    for times in _BEYOND:
        log_half = math.log(times * max(design.span, 1.0))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            u, _ = optimize.leastsq(
                resid, u, args=(log_half,), Dfun=jac, ftol=1e-6, xtol=1e-6, maxfev=60
            )
        xs = at(u, log_half)
        if xs[0] >= 0 and xs[1] >= 0:  # only admissible declines count
            llf = float(whiten.loglike(y - design.mean(family, xs)).sum())
            if llf >= cand.llf - z**2 / 2:
                return True
    return False


# ---------------------------------------------------------------------------------------
# statsmodels: polish and inference for the selected family


def _likelihood_class():
    # statsmodels is imported on first use: `import likekit` stays light
    from statsmodels.base.model import GenericLikelihoodModel, GenericLikelihoodModelResults

    class DecayResults(GenericLikelihoodModelResults):
        """statsmodels results with an HC3 sandwich for this nonlinear model."""

        def __init__(self, model, mlefit):
            super().__init__(model, mlefit)
            if self.cov_type == "HC3":
                # statsmodels computes HC3 for linear models only; others get HC0 unless
                # their results define cov_HC3
                self.cov_params_default = self.cov_HC3

        @property
        def cov_HC3(self) -> np.ndarray:
            """Sandwich with each score inflated by ``1 / (1 - h_i)`` (MacKinnon & White).

            ``h_i`` is the leverage of innovation ``i`` in the Gauss-Newton regression: the
            first increments of a steep decline carry most of what is known about the shape,
            and HC0 underestimates the variance when a few points weigh that much.
            """
            wj = self.model._wjac(self.params)
            bread = np.linalg.inv(wj.T @ wj)
            leverage = np.clip(np.einsum("ij,jk,ik->i", wj, bread, wj), 0.0, 0.99)
            scores = self.model.score_obs(self.params) / (1.0 - leverage)[:, None]
            return bread @ (scores.T @ scores) @ bread

    class DecayLikelihood(GenericLikelihoodModel):
        """Gaussian quasi-likelihood of the anchor and increments, covariance held fixed."""

        results_class = DecayResults

        def __init__(self, design: _Design, family: Family, whiten: _Whitener, names):
            self.design, self.family, self.whiten = design, family, whiten
            super().__init__(design.endog, extra_params_names=list(names))

        def loglikeobs(self, params):
            return self.whiten.loglike(self.endog - self.design.mean(self.family, params))

        def _wjac(self, params):
            return self.whiten(self.design.jac(self.family, params))

        def score_obs(self, params, **kwds):
            w = self.whiten(self.endog - self.design.mean(self.family, params))
            return w[:, None] * self._wjac(params)

        def score(self, params):
            return self.score_obs(params).sum(axis=0)

        def hessian(self, params):
            # expected information (Gauss-Newton): what the sandwich's bread should be
            wj = self._wjac(params)
            return -wj.T @ wj

    return DecayLikelihood


_LIKELIHOOD: list[type] = []


def _infer(family: Family, design: _Design, cand: _Candidate, cov_type: str):
    if not _LIKELIHOOD:
        _LIKELIHOOD.append(_likelihood_class())
    names = ["plateau", "amplitude", "log_tau"] + (
        [f"log_{family.shape_name}"] if family.n_shape else []
    )
    model = _LIKELIHOOD[0](design, family, cand.whiten, names)
    try:
        # a Newton step may try absurd values (tau overflowing): caught by the box check
        with np.errstate(all="ignore"):
            return _newton(model, family, design, cand, cov_type)
    except np.linalg.LinAlgError:  # singular information: some parameter is not identified
        return None


def _newton(model, family: Family, design: _Design, cand: _Candidate, cov_type: str):
    res = model.fit(
        start_params=cand.x,
        method="newton",
        maxiter=20,
        tol=1e-6,  # from the least-squares optimum: one or two steps, not to 1e-8
        disp=0,
        cov_type=cov_type,
        warn_convergence=False,
    )
    lo, hi = _bounds(family, design)
    if not np.all((res.params >= lo) & (res.params <= hi)) or res.llf < cand.llf - 1e-6:
        # Newton left the admissible box (or got worse): inference at the bounded optimum
        res = model.fit(
            start_params=cand.x,
            method="newton",
            maxiter=0,
            disp=0,
            cov_type=cov_type,
            warn_convergence=False,
        )
        # zero Newton steps read as "not converged"; the estimate is the bounded optimum,
        # which converged as far as the least-squares solver says
        res.mle_retvals["converged"] = cand.converged
    return res


# ---------------------------------------------------------------------------------------
# results


def _exp(v: float) -> float:
    return math.inf if v > 709.0 else math.exp(v)  # an unbounded interval, not an error


_INVERSE_LINK = {"log": _exp, "raw": float, "logit": lambda v: float(special.expit(v))}


def _link_scale(family: Family, x: np.ndarray, cov: np.ndarray) -> dict:
    """Derived quantities on the scale where their Wald interval is built, with std errors.

    Half-life on the log scale (it is positive and skewed), plateau as is (a parameter),
    loss share ``A / (P + A)`` on the logit scale ``log(A / P)`` when it is in (0, 1).
    """
    p, a, tau, shape = _natural(family, x)
    k = len(x)

    def se(grad: np.ndarray) -> float:
        return math.sqrt(max(float(grad @ cov @ grad), 0.0))

    g_half = np.zeros(k)
    g_half[2:] = family.log_half_life_grad(shape)
    g_plateau = np.eye(k)[0]
    g_share = np.zeros(k)
    if p > 0 and a > 0:
        g_share[:2] = [-1.0 / p, 1.0 / a]
        share = (math.log(a / p), se(g_share), "logit")
    else:
        g_share[:2] = [-a / (p + a) ** 2, p / (p + a) ** 2]
        share = (a / (p + a), se(g_share), "raw")
    rows = {
        "half_life": (math.log(family.half_life(tau, shape)), se(g_half), "log"),
        "plateau": (p, se(g_plateau), "raw"),
        "loss_share": share,
    }
    return rows


Link = dict[str, tuple[float, float, str]]


def _averaged_link(chosen: Link, others: list[tuple[float, Link]]) -> Link:
    """Widen the chosen model's standard errors for the uncertainty of the choice.

    Buckland, Burnham & Augustin (1997): ``se = sum_i w_i sqrt(se_i^2 + (t_i - t)^2)`` over
    the candidates with their criterion weights ``w_i`` (the chosen one included), around
    the chosen estimate ``t``. A clear choice (weight near 1) leaves the interval as it is;
    a choice never narrows it (a more precise rival says nothing of the chosen estimate).
    """
    out = dict(chosen)
    for name, (est, se, scale) in chosen.items():
        total, weights = 0.0, 0.0
        for w, link in others:
            e, s, sc = link[name]
            if sc == scale and np.isfinite(s):
                total += w * math.sqrt(s**2 + (e - est) ** 2)
                weights += w
        if weights > 0:
            out[name] = (est, max(total / weights, se), scale)
    return out


class DecayFit:
    """A decay model fitted to one video's net like count after its peak.

    Made by :func:`fit_decay`; mirrors statsmodels results (``params``, ``bse``,
    ``conf_int()``, ``aic``, ``bic``, ``summary()``, ``predict()``) and lifelines' ``plot``.

    Attributes
    ----------
    model : str
        "exponential", "power_law", "stretched_exponential" or "none".
    params : pandas.Series
        Estimates on the natural scale: plateau, amplitude (excess over the plateau at the
        start), tau (hours) and the shape (alpha or beta) when the family has one.
    comparison : pandas.DataFrame
        Every candidate fitted, indexed by model: k (parameters, the two of the variance
        included), llf, aic, bic, converged, delta (criterion minus the best), selected. All
        were fitted under one covariance, so that the criteria compare their means.
    half_life, plateau, loss_share : float
        Hours from the start of the decline until the excess over the plateau has halved;
        eventual likes; share of the peak expected to be lost. Always in their physical
        range (plateau >= 0, loss share in [0, 1]); NaN when not ``identified``.
    derived : pandas.DataFrame
        Those three, indexed by name, with columns estimate, low, high (level ``1 - alpha``).
        When the decline is not ``identified``, estimate is NaN and low, high are what the
        data bound (e.g. plateau in [0, the upper bound of the last level]).
    identified : bool
        False when the decline has not levelled off within the data: a straight line fits
        as well as any decay to a plateau (by the model-choice criterion), or the best decay
        would end below zero likes. The fitted path (``predict``) still describes the data,
        but where it ends is unknown; ``converged`` is then False and ``message`` says so.
    start : pandas.Timestamp
        Start of the decline (the peak of the net count, or the ``start`` asked for).
    peak : float
        The count at the start.
    converged : bool
        The fit reached an interior optimum that statsmodels confirmed.
    message : str
        Why the model is "none", or what went wrong; empty for a clean fit.
    result : statsmodels results or None
        The ``GenericLikelihoodModel`` results on the optimiser's scale (log tau, log shape).
    """

    def __init__(
        self,
        *,
        video_id,
        model,
        family,
        candidate,
        result,
        comparison,
        start,
        peak,
        data,
        alpha,
        converged,
        message,
        criterion,
        link=None,
        bounds=None,
    ):
        self.video_id = video_id
        self.model: str = model
        self.family: Family | None = family
        self.result = result
        self._comparison = comparison  # (names, columns): a frame is built when asked for
        self.start: pd.Timestamp = start
        self.peak: float = peak
        self.alpha = alpha
        self.converged: bool = converged
        self.message: str = message
        self.criterion = criterion
        self.identified: bool = bounds is None
        self._bounds = bounds
        self._cand = candidate
        self._series = data  # times, levels and steps of the whole series (for plots)
        if result is not None:
            self._x = np.asarray(result.params, float)
            self._cov = np.asarray(result.cov_params(), float)
        elif family is not None:  # inference failed: estimates without intervals
            self._x = candidate.x
            self._cov = np.full((len(candidate.x), len(candidate.x)), np.nan)
        elif candidate is not None:
            self._x, self._cov = candidate.x, candidate.cov
        else:
            self._x, self._cov = np.array([peak]), np.array([[np.nan]])
        self._link = (
            link
            if link is not None
            else (_link_scale(family, self._x, self._cov) if family is not None else None)
        )
        self._values = self._derived(alpha)

    @property
    def _data(self) -> pd.DataFrame:
        stamps, level, res = self._series
        return pd.DataFrame({"timestamp": stamps, "level": level, "res": res})

    # -- parameters ----------------------------------------------------------------------
    @property
    def _names(self) -> list[str]:
        if self.family is None:
            return ["plateau"]
        return ["plateau", "amplitude", "tau"] + (
            [self.family.shape_name] if self.family.n_shape else []
        )

    def _to_natural(self, x: np.ndarray) -> np.ndarray:
        return np.r_[x[:2], np.exp(x[2:])] if self.family is not None else x

    @property
    def params(self) -> pd.Series:
        return pd.Series(self._to_natural(self._x), index=self._names, name="estimate")

    @property
    def bse(self) -> pd.Series:
        """Standard errors on the natural scale (delta method for tau and the shape)."""
        se = np.sqrt(np.clip(np.diag(self._cov), 0, None))
        if self.family is not None:
            se = np.r_[se[:2], se[2:] * np.exp(self._x[2:])]
        return pd.Series(se, index=self._names, name="std_err")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """``1 - alpha`` Wald intervals; tau and the shape on the log scale (so positive).

        Plateau and amplitude are cut at zero (likes are never negative).
        """
        z = stats.norm.ppf(1 - alpha / 2)
        se = np.sqrt(np.clip(np.diag(self._cov), 0, None))
        low, high = self._x - z * se, self._x + z * se
        low[:2] = np.maximum(low[:2], 0.0)
        return pd.DataFrame(
            {"low": self._to_natural(low), "high": self._to_natural(high)}, index=self._names
        )

    @property
    def nobs(self) -> int:
        return int(self._cand.whiten.diag.size) if self._cand is not None else 0

    @property
    def llf(self) -> float:
        return self._row("llf")

    @property
    def aic(self) -> float:
        return self._row("aic")

    @property
    def bic(self) -> float:
        return self._row("bic")

    def _row(self, col: str) -> float:
        names, columns = self._comparison
        if self.model not in names:
            return math.nan
        return float(columns[col][names.index(self.model)])

    @property
    def comparison(self) -> pd.DataFrame:
        names, columns = self._comparison
        return pd.DataFrame(columns, index=pd.Index(names, name="model"))

    # -- derived quantities --------------------------------------------------------------
    def _derived(self, alpha: float) -> np.ndarray:
        z = stats.norm.ppf(1 - alpha / 2)
        if self._bounds is not None:
            rows = {name: list(self._bounds[name]) for name in _DERIVED}
        elif self.family is None:
            p = float(self._x[0])
            se = math.sqrt(self._cov[0, 0]) if np.isfinite(self._cov[0, 0]) else math.nan
            rows = {
                "half_life": [math.inf, math.nan, math.nan],
                "plateau": [p, p - z * se, p + z * se],
                "loss_share": [0.0, math.nan, math.nan],
            }
        else:
            rows = {}
            for name, (est, se, scale) in self._link.items():
                back = _INVERSE_LINK[scale]
                rows[name] = [back(est), back(est - z * se), back(est + z * se)]
        # the physical range (a Wald interval near a bound may cross it)
        return np.clip([rows[name] for name in _DERIVED], 0.0, [[np.inf], [np.inf], [1.0]])

    @property
    def derived(self) -> pd.DataFrame:
        return pd.DataFrame(self._values, index=list(_DERIVED), columns=["estimate", "low", "high"])

    @property
    def half_life(self) -> float:
        return float(self._values[0, 0])

    @property
    def plateau(self) -> float:
        return float(self._values[1, 0])

    @property
    def loss_share(self) -> float:
        return float(self._values[2, 0])

    # -- prediction ----------------------------------------------------------------------
    def _hours(self, times) -> tuple[pd.DatetimeIndex, np.ndarray]:
        idx = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
        return idx, np.asarray((idx - self.start) / _HOUR, float)

    def predict(
        self, times=None, interval: bool = True, alpha: float | None = None
    ) -> pd.DataFrame:
        """Expected net count at ``times`` (default: the snapshots), with a confidence band.

        Parameters
        ----------
        times : array-like of datetimes, optional
            Where to predict. Before the start of the decline the model says nothing (NaN).
        interval : bool
            Add ``low`` and ``high``: pointwise ``1 - alpha`` interval of the expected count
            (delta method).
        alpha : float, optional
            Default: the fit's ``alpha``.

        Returns
        -------
        pandas.DataFrame
            Indexed by time, with ``mean`` (and ``low``, ``high``).
        """
        alpha = self.alpha if alpha is None else alpha
        idx, s = self._hours(self._series[0] if times is None else times)
        after = s >= 0
        if self.family is None:
            mean = np.full(len(s), float(self._x[0]))
            grads = np.ones((len(s), 1))
        else:
            p, a, tau, shape = _natural(self.family, self._x)
            sp = np.where(after, s, 0.0)
            mean = p + a * self.family.g(sp, tau, shape)
            grads = np.column_stack(
                [
                    np.ones(len(s)),
                    self.family.g(sp, tau, shape),
                    a * self.family.dg(sp, tau, shape).T,
                ]
            )
        mean = np.where(after, mean, np.nan)
        out = pd.DataFrame({"mean": mean}, index=idx)
        if interval:
            z = stats.norm.ppf(1 - alpha / 2)
            se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", grads, self._cov, grads), 0, None))
            out["low"], out["high"] = mean - z * se, mean + z * se
        return out

    # -- display -------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Parameters and derived quantities: estimate, std_err, low, high.

        Indexed by (kind, name), kind "parameter" or "derived". The derived intervals also
        carry the uncertainty of the model choice, so the derived plateau's may be wider than
        the parameter's.
        """
        params = pd.concat([self.params, self.bse, self.conf_int(self.alpha)], axis=1)
        derived = self.derived.assign(std_err=np.nan)[params.columns]
        return pd.concat({"parameter": params, "derived": derived}, names=["kind", "name"])

    def _header(self) -> list[str]:
        who = f"video {self.video_id}: " if self.video_id is not None else ""
        formula = f" ({self.family.formula})" if self.family is not None else ""
        lines = [
            f"{who}decay model {self.model}{formula}, chosen by {self.criterion.upper()}",
            f"start of the decline {self.start}, peak {self.peak:,.0f} likes, "
            f"{self.nobs} observations",
        ]
        if self.message:
            lines.append(f"note: {self.message}")
        return lines

    def __str__(self) -> str:
        level = f"{1 - self.alpha:.0%}"
        body = self.summary().to_string(float_format=lambda v: f"{v:,.4g}")
        comp = self.comparison[["k", "llf", "aic", "bic", "converged"]].to_string(
            float_format=lambda v: f"{v:,.1f}"
        )
        return "\n".join(
            [*self._header(), f"estimates with {level} intervals:", body, "candidates:", comp]
        )

    def __repr__(self) -> str:
        d = self.derived
        return (
            f"<DecayFit {self.model}: half_life={d.loc['half_life', 'estimate']:.4g} h, "
            f"plateau={d.loc['plateau', 'estimate']:,.0f}, "
            f"loss_share={d.loc['loss_share', 'estimate']:.3g}>"
        )

    def _repr_html_(self) -> str:
        # the header holds the video id and the message, which come from the input
        head = "".join(f"<p>{html.escape(line)}</p>" for line in self._header())
        return (
            head
            + self.summary().to_html(float_format=lambda v: f"{v:,.4g}")
            + "<p>candidates</p>"
            + self.comparison.to_html(float_format=lambda v: f"{v:,.1f}")
        )

    def plot(self, ax=None):
        """Data, fitted decay with its band, plateau and start. Returns the Axes."""
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt

        from likekit.plots import CAUSE_COLORS

        color = CAUSE_COLORS["trend_decline"]
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        data = self._data
        ax.plot(data["timestamp"], data["level"], ".", color="0.35", ms=3, label="likes")
        times = pd.date_range(self.start, data["timestamp"].iloc[-1], periods=200)
        pred = self.predict(times)
        ax.plot(pred.index, pred["mean"], color=color, lw=2, label=f"fit: {self.model}")
        ax.fill_between(
            pred.index,
            pred["low"],
            pred["high"],
            color=color,
            alpha=0.25,
            lw=0,
            label=f"{1 - self.alpha:.0%} band",
        )
        d = self.derived.loc["plateau"]
        ax.axhline(d["estimate"], color=color, ls="--", lw=1, label="plateau")
        if np.isfinite(d["low"]):
            ax.axhspan(d["low"], d["high"], color=color, alpha=0.08, lw=0)
        ax.axvline(self.start, color="0.5", ls=":", lw=1)
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_ylabel("likes")
        title = f"{self.video_id}: " if self.video_id is not None else ""
        ending = f"half-life {self.half_life:.3g} h" if self.identified else "not levelled off"
        ax.set_title(f"{title}{self.model}, {ending}")
        ax.legend(loc="best", fontsize="small")
        return ax


# ---------------------------------------------------------------------------------------
# public entry points


def _choose_start(stamps: pd.DatetimeIndex, level: np.ndarray, start) -> int:
    if start is None:
        # the highest (corrected) level; a display-rounded count may show it for hours
        # around the peak: take the middle of that run
        first = int(np.argmax(level))
        run = np.flatnonzero(level[first:] != level[first])
        length = int(run[0]) if len(run) else len(level) - first
        return first + (length - 1) // 2
    ts = pd.Timestamp(start)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    after = np.flatnonzero(stamps >= ts)
    if len(after) == 0:
        raise LikekitInputError(f"start {ts} is after the last snapshot")
    return int(after[0])


def fit_decay(
    counts: pd.DataFrame | pd.Series,
    *,
    model: str = "auto",
    start=None,
    criterion: Criterion = "bic",
    exclude: pd.DataFrame | None = None,
    alpha: float = 0.05,
    cov_type: str = "HC0",
) -> DecayFit:
    """Fit decay models to one video's net like count after its peak.

    Parameters
    ----------
    counts : DataFrame or Series
        One video in the data contract (timestamp, likes, resolution; likes may be missing;
        any sampling), or a Series of likes indexed by timestamp (taken as exact).
    model : {"auto", "exponential", "power_law", "stretched_exponential", "none"}
        "auto" fits every candidate and keeps the best by ``criterion``.
    start : datetime-like, optional
        Start of the decline; default the peak of the net count (after ``exclude``).
    criterion : {"bic", "aic"}
        BIC by default: the exponential is nested in the stretched exponential, which AIC
        picks too often.
    exclude : DataFrame, optional
        Events to leave out (columns start, end, optionally video_id), as
        :func:`likekit.diagnose` reports them: snapshots inside a window are dropped and the
        increment across it is not used, so a purge step or a glitch cannot pull the fit.
    alpha : float
        Intervals are ``1 - alpha``.
    cov_type : {"HC0", "HC3", "nonrobust"}
        statsmodels covariance of the estimates. The sandwiches are robust to a wrong
        variance function; "HC3" also corrects for leverage (the first increments of a
        steep decline weigh most), and is wider.

    Returns
    -------
    DecayFit
        With model "none" and a message when there is too little data after the peak or no
        decline worth a model; with ``identified`` False, NaN estimates, bounds and a message
        when the decline has not levelled off within the data.

    Notes
    -----
    With ``exclude``, the plateau is where the trend alone takes the count: a jump inside an
    excluded window (the likes a purge removed) is not in it; :func:`likekit.diagnose`
    reports those apart.

    Examples
    --------
    >>> from likekit.simulation import simulate_decline
    >>> counts, truth = simulate_decline("exponential", half_life=48, seed=1)
    >>> fit = fit_decay(counts)
    >>> fit.model, round(fit.half_life), truth["half_life"]
    ('exponential', 47, 48.0)
    """
    _check_options(model, criterion, alpha, cov_type)
    video, stamps, lower, r = _prepare(counts)
    return _fit(video, stamps, lower, r, model, start, criterion, exclude, alpha, cov_type)


def _check_options(model: str, criterion: str, alpha: float, cov_type: str) -> None:
    if model != "auto" and model not in MODELS:
        raise ValueError(f"model must be 'auto' or one of {MODELS}, got {model!r}")
    if criterion not in ("bic", "aic"):
        raise ValueError(f"criterion must be 'bic' or 'aic', got {criterion!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if cov_type not in ("HC0", "HC3", "nonrobust"):
        raise ValueError(f"cov_type must be 'HC0', 'HC3' or 'nonrobust', got {cov_type!r}")


def _fit(
    video: str | None,
    stamps: pd.DatetimeIndex,
    lower: np.ndarray,
    r: np.ndarray,
    model: str,
    start,
    criterion: Criterion,
    exclude: pd.DataFrame | None,
    alpha: float,
    cov_type: str,
) -> DecayFit:
    """:func:`fit_decay` on one video's validated, sorted snapshots."""
    if len(stamps) == 0:
        raise LikekitInputError("no snapshot with a like count")
    y = lower + (r - 1) / 2  # middle of what is shown
    windows = _windows(exclude, video)
    if windows:
        inside = np.zeros(len(stamps), bool)
        for ws, we in windows:
            inside |= (stamps >= ws) & (stamps <= we)
        stamps, y, r = stamps[~inside], y[~inside], r[~inside]
    keep = np.ones(len(stamps), bool)
    for ws, we in windows:  # increments that cross a window
        keep[1:] &= ~((stamps[:-1] <= we) & (stamps[1:] >= ws))
    # hours from the first snapshot (integer time units: DatetimeIndex arithmetic is slow)
    per_hour = _HOUR / pd.Timedelta(1, unit=stamps.unit)
    hours = (stamps.asi8 - stamps.asi8[0]) / per_hour
    # level with the excluded steps taken out: where the peak is found and the start values
    corrected = y[0] + np.r_[0.0, np.cumsum(np.where(keep[1:], np.diff(y), 0.0))]
    data = (stamps, y, r)
    i0 = _choose_start(stamps, corrected, start)
    t0 = stamps[i0]
    peak = float(y[i0])

    def give_up(message: str) -> DecayFit:
        comp = ([], {c: [] for c in ("k", "llf", "aic", "bic", "delta", "converged")})
        return DecayFit(
            video_id=video,
            model="none",
            family=None,
            candidate=None,
            result=None,
            comparison=comp,
            start=t0,
            peak=peak,
            data=data,
            alpha=alpha,
            converged=True,
            message=message,
            criterion=criterion,
        )

    n_after = len(y) - i0
    if n_after < MIN_SNAPSHOTS:
        return give_up(
            f"too little data after the peak: the count is highest {n_after - 1} snapshot(s) "
            f"before the end, a decline needs {MIN_SNAPSHOTS}"
        )
    sel = np.arange(i0, len(y))
    if np.any(r[i0:] > 1) and len(sel) > MAX_DENSE:
        # display-rounded counts need a dense covariance (cubic cost); there, neighbouring
        # snapshots mostly repeat one display value, so every k-th loses little
        sel = np.unique(np.r_[sel[:: math.ceil(len(sel) / MAX_DENSE)], sel[-1]])
    # an increment between two selected snapshots is usable when all it spans is
    broken = np.cumsum(~keep)[sel]
    usable = np.r_[True, np.diff(broken) == 0]
    s_after = hours[sel] - hours[i0]
    level_after = corrected[sel]
    design = _Design(s_after, y[sel], r[sel], usable)
    names = [m for m in MODELS if m != "none"] if model == "auto" else [model]
    # the null alone is fitted under its own variance; with families, under theirs
    if names == ["none"]:
        cands = {"none": _fit_none(design)}
    else:
        cands = _fit_families(names, design, level_after, s_after)
    _common_variance(design, cands)
    # the comparison as arrays (pandas per video costs as much as a fit): DecayFit makes the
    # frame when asked
    n, names = design.n, list(cands)
    crit = {
        kind: np.array([c.criterion(n, kind) for c in cands.values()]) for kind in ("aic", "bic")
    }
    ok = np.array([c.converged for c in cands.values()])
    if model == "auto":
        # a fit that failed to converge is not chosen over one that did
        chosen = names[int(np.argmin(np.where(ok, crit[criterion], np.inf)))]
        message = ""
        if chosen == "none":
            message = f"no decline: no decay model beats a constant level by {criterion.upper()}"
            if design.dense:  # say why a visible fall may not be evidence enough
                message += f" (the display shows steps of {design.resolution:,.0f} likes)"
    else:
        chosen, message = model, ""
    comp = (
        names,
        {
            "k": np.array([c.k for c in cands.values()]),
            "llf": np.array([c.llf for c in cands.values()]),
            "aic": crit["aic"],
            "bic": crit["bic"],
            "converged": ok,
            "delta": crit[criterion] - crit[criterion].min(),
            "selected": np.array([name == chosen for name in names]),
        },
    )
    cand = cands[chosen]
    common = dict(
        video_id=video, candidate=cand, comparison=comp, start=t0, peak=peak, data=data,
        alpha=alpha, criterion=criterion,
    )  # fmt: skip
    if chosen == "none":
        return DecayFit(model="none", family=None, result=None, converged=True,
                        message=message, **common)  # fmt: skip
    family = FAMILIES[chosen]
    z = stats.norm.ppf(1 - alpha / 2)
    straight, bounds = _straight_line(design, cand, criterion, z)
    result = _infer(family, design, cand, cov_type)
    link = None
    if result is not None and not straight and cand.levelled:
        link = _link_scale(family, result.params, result.cov_params())
        if model == "auto":
            link = _averaged_link(link, _rivals(design, cands, chosen, criterion, cov_type, link))
    log_half, se_half, _ = link["half_life"] if link is not None else (math.nan, 0.0, "")
    # the excess over the plateau must be seen to halve: a half-life beyond the hours
    # observed (estimated, or within the profile interval) makes the plateau an
    # extrapolation of the model's shape
    unseen = log_half > math.log(design.span)
    if not unseen and log_half + z * se_half > math.log(design.span):
        # the Wald interval reaches beyond the data: the profile likelihood decides (it
        # follows a ridge that the Wald interval misses; where the Wald interval stays well
        # inside the span, the curvature is plain and the profile is not needed)
        unseen = _halving_unseen(family, design, cand, z)
    if straight or not cand.levelled or unseen:
        # the curvature is not identified: no point estimate of where it ends, only bounds
        if straight:
            why = f"a straight line fits as well by {criterion.upper()}"
        elif not cand.levelled:
            why = "the best decay would end below zero likes"
        elif log_half > math.log(design.span):
            why = (
                f"the excess over the plateau would halve in {math.exp(log_half):,.0f} h, "
                f"beyond the {design.span:,.0f} h observed"
            )
        else:
            why = (
                f"a half-life beyond the {design.span:,.0f} h observed fits about as well "
                f"(profile likelihood at {1 - alpha:.0%})"
            )
        message = (
            f"the decline has not levelled off within the data ({why}): the plateau, "
            f"half-life and loss share are not identified; their intervals are what the data "
            f"bound (plateau at most {bounds['plateau'][2]:,.0f} likes, half-life at least "
            f"{bounds['half_life'][1]:,.0f} h)"
        )
        return DecayFit(model=chosen, family=family, result=result, converged=False,
                        message=message, bounds=bounds, **common)  # fmt: skip
    if result is None:
        message = "the information matrix is singular: the parameters are not identified"
        return DecayFit(model=chosen, family=family, result=None, converged=False,
                        message=message, **common)  # fmt: skip
    converged = cand.converged and bool(result.mle_retvals.get("converged", True))
    message = cand.message or ("" if converged else "statsmodels did not converge")
    return DecayFit(model=chosen, family=family, result=result, converged=converged,
                    message=message, link=link, **common)  # fmt: skip


def _rivals(design, cands, chosen, criterion, cov_type, chosen_link):
    """Criterion weights and link-scale estimates of the decay families worth a look."""
    fams = [c for c in cands.values() if c.converged and c.name != "none"]
    crit = np.array([c.criterion(design.n, criterion) for c in fams])
    weights = np.exp(-0.5 * (crit - crit.min()))
    weights = weights / weights.sum()
    out = []
    for c, w in zip(fams, weights, strict=True):
        if c.name == chosen:
            out.append((float(w), chosen_link))
        elif w >= 0.01:  # a negligible rival does not move the interval: skip its inference
            family = FAMILIES[c.name]
            res = _infer(family, design, c, cov_type)
            if res is not None:
                out.append((float(w), _link_scale(family, res.params, res.cov_params())))
    return out


def _fits(counts: pd.DataFrame, options: dict[str, Any]):
    """(video, DecayFit or the exception) for each video, in video order.

    The columns are read and checked once for the whole table and split by video (pandas
    per video costs more than a fit); a table with a bad value anywhere goes video by video,
    so that only the videos at fault fail.
    """
    try:
        stamps, lower, res, shown = _columns(counts)
    except LikekitInputError:
        for video, frame in counts.groupby("video_id", sort=True, observed=True):
            try:
                yield video, fit_decay(frame, **options)
            except Exception as err:  # one video's failure goes in its row, never raised
                yield video, err
        return
    codes, videos = pd.factorize(counts["video_id"], sort=True)
    codes = codes[shown]
    order = np.lexsort((stamps.asi8, codes))
    bounds = np.searchsorted(codes[order], np.arange(len(videos) + 1))
    for i, video in enumerate(videos):
        sl = order[bounds[i] : bounds[i + 1]]
        try:
            one = _sorted(stamps[sl], lower[sl], res[sl])
            yield video, _fit(str(video), *one, **options)
        except Exception as err:  # one video's failure goes in its row, never raised
            yield video, err


def _row(video: str, fit: DecayFit | Exception) -> dict[str, Any]:
    row: dict[str, Any] = {"video_id": video}
    if isinstance(fit, Exception):
        row.update(model=None, converged=False, message=f"{type(fit).__name__}: {fit}")
        return row
    row.update(
        model=fit.model,
        converged=fit.converged,
        identified=fit.identified,
        message=fit.message,
        start=fit.start,
        peak=fit.peak,
        params=dict(zip(fit._names, fit._to_natural(fit._x).tolist(), strict=True)),
    )
    for name, (est, low, high) in zip(_DERIVED, fit._values, strict=True):
        row.update({name: est, f"{name}_low": low, f"{name}_high": high})
    row.update(aic=fit.aic, bic=fit.bic)
    return row


def fit_decay_many(
    counts: pd.DataFrame,
    *,
    progress: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """Fit :func:`fit_decay` to every video of a table; one row per video.

    Parameters
    ----------
    counts : DataFrame
        Several videos in the data contract (column ``video_id``).
    progress : bool
        Show a progress bar (tqdm; notebook or console).
    **kwargs
        Passed to :func:`fit_decay` (model, criterion, exclude, alpha, ...). ``exclude`` may
        hold events of every video: each fit keeps its own (by ``video_id``). A bad option
        raises ``ValueError`` (``TypeError`` for an unknown one) once, before any fit.

    Returns
    -------
    pandas.DataFrame
        video_id, model, converged, identified (see :class:`DecayFit`), message, start,
        peak, params (dict, natural scale),
        half_life, half_life_low, half_life_high, plateau, plateau_low, plateau_high,
        loss_share, loss_share_low, loss_share_high, aic, bic. A video whose fit fails has
        its error in ``message`` and NaN elsewhere; nothing is raised for one video.
    """
    from tqdm.auto import tqdm

    if not isinstance(counts, pd.DataFrame) or "video_id" not in counts.columns:
        raise LikekitInputError("fit_decay_many needs a DataFrame with a 'video_id' column")
    _as_frame(counts)
    options = {
        name: p.default
        for name, p in inspect.signature(fit_decay).parameters.items()
        if p.kind is p.KEYWORD_ONLY
    }
    unknown = set(kwargs) - set(options)
    if unknown:
        raise TypeError(f"fit_decay_many got unexpected options {sorted(unknown)}")
    options.update(kwargs)
    _check_options(options["model"], options["criterion"], options["alpha"], options["cov_type"])
    rows = [
        _row(str(video), fit)
        for video, fit in tqdm(
            _fits(counts, options),
            total=counts["video_id"].nunique(),
            disable=not progress,
            desc="fit_decay",
            unit="video",
        )
    ]
    columns = ["video_id", "model", "converged", "identified", "message", "start", "peak"]
    columns += ["params"]
    columns += [f"{n}{suffix}" for n in _DERIVED for suffix in ("", "_low", "_high")]
    columns += ["aic", "bic"]
    return pd.DataFrame(rows).reindex(columns=columns)
