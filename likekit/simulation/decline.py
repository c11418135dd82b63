"""A generator of single declines with known truth: the decay fits' test and benchmark bench.

One video's net like count rises to a peak and relaxes to a plateau along one of the decay
families of :mod:`likekit.decay.families`, with Poisson (or clustered) new likes and un-likes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from likekit.data import LikekitInputError, display_bounds, format_count
from likekit.decay.families import FAMILIES, MODELS

__all__ = ["MODELS", "draw_decline", "half_life_from", "simulate_decline"]


def simulate_decline(
    model: str = "exponential",
    *,
    peak: float = 20_000,
    loss_share: float = 0.3,
    half_life: float = 48.0,
    shape: float | None = None,
    trickle: float | None = None,
    dispersion: float = 1.0,
    hours_before_peak: float = 48.0,
    hours_after_peak: float = 336.0,
    step: float = 1.0,
    missing: float = 0.0,
    jitter: float = 0.0,
    display: bool = False,
    video_id: str = "v00",
    start: str | pd.Timestamp = "2026-01-05",
    seed: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Draw one video's like counts rising to a peak and decaying, with the truth.

    New likes and un-likes are Poisson over each interval between snapshots: before the peak
    new likes carry the rise; after it un-likes carry the decline of the mean path
    ``P + A g(s)`` of ``model``, and both go on at a ``trickle`` rate. The net count is a
    signed process whose variance does not shrink with its mean.

    Parameters
    ----------
    model : {"exponential", "power_law", "stretched_exponential", "none"}
        "none" keeps the level flat after the peak (only the trickle both ways).
    peak : float
        Expected count at the peak.
    loss_share : float
        Share of the peak the decline removes in the long run (``A / peak``).
    half_life : float
        Hours from the peak until half the excess is gone.
    shape : float, optional
        alpha of the power law (default 1.5) or beta of the stretched exponential (0.6).
    trickle : float, optional
        New likes (and as many un-likes) per hour besides the trend; default ``peak / 1e4``.
    dispersion : float
        Variance over mean of the new likes and un-likes in an interval: 1 is Poisson, more
        is clustered (negative binomial), e.g. likes and un-likes coming in bursts.
    hours_before_peak, hours_after_peak, step : float
        Length of the rise and of the decline, and hours between snapshots. The snapshots
        start ``hours_before_peak`` before the peak: one falls on the peak only when that is
        a whole number of steps (:func:`draw_decline` puts the peak between two).
    missing : float
        Probability that a snapshot's count is missing (NA).
    jitter : float
        Irregular sampling: each snapshot moves by up to ``jitter * step / 2`` hours.
    display : bool
        Show counts the way the app does ("12.3K"): likes is the lower bound of the display
        and resolution its step (:func:`likekit.data.display_bounds`, the vectorised
        ``parse_count(format_count(n))``).
    seed : int or Generator, optional

    Returns
    -------
    counts : DataFrame
        video_id, timestamp, likes (Int64), resolution (int64) (and display when asked).
    truth : dict
        model, tau, shape, half_life, plateau (the count at the peak minus ``A``: where the
        count is expected to settle given its peak), amplitude, loss_share, peak (the count
        at the peak), peak_time.
    """
    if model not in MODELS:
        raise LikekitInputError(f"model must be one of {MODELS}, got {model!r}")
    rng = np.random.default_rng(seed)
    fam = FAMILIES.get(model)
    if fam is not None and fam.n_shape and shape is None:
        shape = 1.5 if model == "power_law" else 0.6
    trickle = peak / 1e4 if trickle is None else trickle
    amp = 0.0 if fam is None else loss_share * peak
    tau = fam.tau_for(half_life, shape) if fam is not None else math.nan
    grid = np.arange(-hours_before_peak, hours_after_peak + step / 2, step)
    if jitter:
        grid = grid + rng.uniform(-jitter / 2, jitter / 2, len(grid)) * step
    times = np.unique(np.r_[grid, 0.0])  # the peak is always on the simulation grid
    mean = _expected(times, fam, peak, amp, tau, shape, hours_before_peak)
    dmean = np.diff(mean)
    base = trickle * np.diff(times)
    net = _counts(rng, base + np.maximum(dmean, 0), dispersion) - _counts(
        rng, base + np.maximum(-dmean, 0), dispersion
    )
    level = np.maximum(np.round(mean[0]) + np.r_[0, np.cumsum(net)], 0).astype(np.int64)
    at_peak = int(level[np.flatnonzero(times == 0.0)[0]])
    keep = np.isin(times, grid)
    t_obs, n_obs = times[keep], level[keep]
    stamps = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(
        np.round((t_obs + hours_before_peak) * 3600e6).astype(np.int64), unit="us"
    )
    counts = pd.DataFrame({"video_id": video_id, "timestamp": stamps.as_unit("us")})
    if display:
        lower, resolution = display_bounds(n_obs)
        # a display is its lower bound formatted: one string per distinct value
        floor, inverse = np.unique(lower, return_inverse=True)
        shown = np.array([format_count(int(n)) for n in floor], dtype=object)
        counts["likes"] = pd.array(lower, dtype="Int64")
        counts["resolution"] = resolution
        counts["display"] = pd.array(shown[inverse], dtype="str")
    else:
        counts["likes"] = pd.array(n_obs, dtype="Int64")
        counts["resolution"] = np.ones(len(n_obs), np.int64)
    if missing:
        counts.loc[rng.random(len(counts)) < missing, "likes"] = pd.NA
    truth = {
        "model": model,
        "tau": tau,
        "shape": shape,
        "half_life": float(half_life) if fam is not None else math.inf,
        "amplitude": amp,
        "plateau": at_peak - amp,
        "loss_share": amp / at_peak if at_peak else math.nan,
        "peak": at_peak,
        "peak_time": pd.Timestamp(start, tz="UTC") + pd.Timedelta(hours=hours_before_peak),
        "expected_peak": peak,
        "hours_before_peak": hours_before_peak,
    }
    return counts, truth


def _expected(
    times: np.ndarray,
    fam,
    peak: float,
    amp: float,
    tau: float,
    shape: float | None,
    hours_before_peak: float,
) -> np.ndarray:
    """Expected level ``times`` hours after the peak: a concave rise from 30% of the peak,
    then the decay of ``fam`` (flat without one)."""
    rise_scale = hours_before_peak / 2
    before = peak - 0.7 * peak * -np.expm1(np.minimum(times, 0) / rise_scale) / -np.expm1(
        -hours_before_peak / rise_scale
    )
    after = peak - amp + amp * (fam.g(np.maximum(times, 0), tau, shape) if fam else 1.0)
    return np.where(times <= 0, before, after)


def half_life_from(truth: dict[str, Any], when: pd.Timestamp) -> float:
    """The true half-life counted from ``when``, as a fit counts it from its reference.

    Hours from ``when`` until the expected excess over the plateau (of the expected path)
    is half what it was at ``when``: :attr:`likekit.DecayFit.half_life` estimates it with
    ``when`` the fit's ``reference`` snapshot. ``when`` may precede the peak (the excess
    then grows before it shrinks); NaN when the expected level there is not above the
    plateau. ``truth`` is what :func:`simulate_decline` returns.
    """
    fam = FAMILIES.get(truth["model"])
    if fam is None:
        return math.inf
    since = (pd.Timestamp(when) - truth["peak_time"]) / pd.Timedelta(hours=1)
    tau, shape, amp = truth["tau"], truth["shape"], truth["amplitude"]
    if since >= 0:
        return float(fam.half_life(tau, shape, since))
    # before the peak: the halving comes after it, where g falls to half the excess seen
    args = (fam, truth["expected_peak"], amp, tau, shape, truth["hours_before_peak"])
    target = (_expected(np.array([since]), *args)[0] - (truth["expected_peak"] - amp)) / 2
    if target <= 0:
        return math.nan
    low, high = 0.0, tau
    while amp * fam.g(np.array([high]), tau, shape)[0] > target:
        high *= 2
    for _ in range(60):  # bisection: g falls monotonically after the peak
        mid = (low + high) / 2
        above = amp * fam.g(np.array([mid]), tau, shape)[0] > target
        low, high = (mid, high) if above else (low, mid)
    return float(high - since)


def _counts(rng: np.random.Generator, mean: np.ndarray, dispersion: float) -> np.ndarray:
    """Poisson counts, or negative binomial ones with variance ``dispersion * mean``."""
    if dispersion == 1.0:
        return rng.poisson(mean)
    if dispersion < 1.0:
        raise LikekitInputError(f"dispersion must be >= 1, got {dispersion}")
    # gamma-Poisson: shape mean / (d - 1), scale d - 1 gives variance d * mean
    return rng.poisson(rng.gamma(np.maximum(mean, 1e-12) / (dispersion - 1), dispersion - 1))


def draw_decline(
    model: str, seed: int | np.random.Generator | None = None, **overrides: Any
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`simulate_decline` with parameters drawn at random: the accuracy benchmark's bench.

    Peak log-uniform in [3,000, 300,000] (so the app shows "12.3K": rounding matters),
    loss share uniform in [0.1, 0.5] (declines of at least 10% of the peak), half-life
    log-uniform in [12, 96] hours, power-law alpha uniform in [0.8, 3], stretched-exponential
    beta uniform in [0.4, 0.75] (beta near 1 is an exponential, alpha large nearly one too),
    new likes and un-likes besides the trend at ``peak * U(2e-5, 2e-4)`` per hour.
    The peak falls between two snapshots, uniformly (``hours_before_peak`` is 48 plus a
    uniform share of ``step``), as a real peak does: nothing ties it to the moment a
    snapshot is taken. ``overrides`` (display, missing, jitter, step, hours_after_peak, ...)
    go to :func:`simulate_decline` and win over the draws.
    """
    rng = np.random.default_rng(seed)
    peak = float(np.exp(rng.uniform(np.log(3e3), np.log(3e5))))
    params: dict[str, Any] = {
        "peak": peak,
        "loss_share": rng.uniform(0.1, 0.5),
        "half_life": float(np.exp(rng.uniform(np.log(12), np.log(96)))),
        "trickle": peak * rng.uniform(2e-5, 2e-4),
    }
    if model == "power_law":
        params["shape"] = rng.uniform(0.8, 3.0)
    elif model == "stretched_exponential":
        params["shape"] = rng.uniform(0.4, 0.75)
    params["hours_before_peak"] = 48.0 + rng.uniform(0.0, 1.0) * overrides.get("step", 1.0)
    params.update(overrides)
    return simulate_decline(model, seed=rng, **params)
