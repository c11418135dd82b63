"""Panel synchrony for :func:`likekit.diagnose`: the scan statistics for creator-wide waves
(how a significant bin is read as a wave is in :mod:`likekit.diagnosis.waves`).

The increments of every video are put on one time grid (the panel's typical snapshot
step). In each bin four statistics test "the videos dropped together" against "they moved
independently":

* Stouffer: the sum of the videos' z-scores, each clipped to the single-video alarm level
  (so that one huge drop cannot pass for a wave) and standardized by the video's own mean
  and SD of clipped z-scores, over the square root of the number of videos;
* counts: how many videos fell past the one-sided 5% and 0.5% levels and the single-video
  alarm level, against a Poisson law whose mean is the sum of the videos' own rates of
  passing that level (never below the normal tail).

A bin's statistic is the smallest p-value of the four tests. Its maximum over all bins is
calibrated by shifting each video's series in time at random (which keeps every video's own
behaviour and breaks their alignment: the null of videos moving independently), so that a
bin's p-value is the chance that a panel without any wave shows a bin as extreme somewhere:
it is corrected for every bin and every test scanned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from likekit.diagnosis.rhythm import period_bins, shared_slowdown

#: random time shifts that calibrate the scan's maximum
N_PERM = 100
EULER_GAMMA = 0.5772156649015329
#: one-sided 5% and 0.5% normal levels: the counts of videos past them are tested in each bin
COUNT_LEVELS = (float(stats.norm.isf(0.05)), float(stats.norm.isf(0.005)))


@dataclass(frozen=True, kw_only=True)
class Grid:
    """Dense video x bin matrices of excess increments, noise and z (0 where unobserved)."""

    videos: np.ndarray  # video ids, row order
    times: pd.DatetimeIndex  # bin times
    excess: np.ndarray
    noise2: np.ndarray
    z: np.ndarray
    seen: np.ndarray  # bool: the video has an increment ending in that bin
    stalled: np.ndarray  # bool: ... and its count did not move
    fell: np.ndarray  # bool: ... and its shown count fell beyond noise (see _removal)
    expected: np.ndarray  # the increment the video's local trend expects
    noise: np.ndarray  # the detector's noise of the increment (the z-score's unit)
    row: np.ndarray  # per increment: its video row
    col: np.ndarray  # per increment: the bin it ends in
    start: np.ndarray  # per increment: the bin of the snapshot it starts from
    inc_excess: np.ndarray
    inc_noise2: np.ndarray
    inc_delta: np.ndarray
    inc_gap: np.ndarray
    inc_step: np.ndarray  # display step beyond exact counts: max(r, r_prev) - 1

    def step(self, b0: int, b1: int) -> np.ndarray:
        """Per video: the largest display step (0 for exact counts) over bins b0..b1."""
        hit = (self.col >= b0) & (self.col <= b1)
        out = np.zeros(len(self.videos))
        np.maximum.at(out, self.row[hit], self.inc_step[hit])
        return out

    def rate(self, b0: int, b1: int) -> np.ndarray:
        """Per video: mean shown increment per snapshot step over the increments that end
        in bins b0..b1 (NaN where none)."""
        n = len(self.videos)
        if b1 < b0:
            return np.full(n, np.nan)
        hit = (self.col >= b0) & (self.col <= b1)
        total = np.bincount(self.row[hit], weights=self.inc_delta[hit], minlength=n)
        steps = np.bincount(self.row[hit], weights=self.inc_gap[hit], minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(steps > 0, total / steps, np.nan)

    def window(self, b0: int, b1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per video: excess and noise variance summed over the increments that overlap
        bins b0..b1 (an increment across missing snapshots counts where it spans), and
        whether there is any."""
        hit = (self.col >= b0) & (self.start < b1)
        n = len(self.videos)
        ex = np.bincount(self.row[hit], weights=self.inc_excess[hit], minlength=n)
        n2 = np.bincount(self.row[hit], weights=self.inc_noise2[hit], minlength=n)
        return ex, n2, np.bincount(self.row[hit], minlength=n) > 0

    @classmethod
    def build(cls, inc: pd.DataFrame) -> Grid:
        videos, row = np.unique(inc["video_id"].to_numpy(dtype=object), return_inverse=True)
        step = pd.Timedelta(hours=float(np.nanmedian(inc["step_h"]))) if len(inc) else None
        t0 = inc["timestamp"].min() if len(inc) else None

        def to_bin(times: pd.Series) -> np.ndarray:
            if not len(inc):
                return np.zeros(0, dtype=int)
            return np.rint(((times - t0) / step).to_numpy(dtype=float)).astype(int)

        col, start = to_bin(inc["timestamp"]), to_bin(inc["prev_timestamp"])
        n_bins = int(col.max()) + 1 if len(col) else 0
        shape = (len(videos), n_bins)
        excess, noise2, zsum, seen = (np.zeros(shape) for _ in range(4))
        inc_excess = inc["excess"].to_numpy(dtype=float)
        # a video tested at a known time: its counting noise (see increments.increments)
        inc_noise2 = inc["count_var"].to_numpy(dtype=float)
        np.add.at(excess, (row, col), inc_excess)
        np.add.at(noise2, (row, col), inc_noise2)
        np.add.at(seen, (row, col), 1.0)
        np.add.at(zsum, (row, col), inc["z_scan"].to_numpy(dtype=float))
        moved = np.zeros(shape)
        np.add.at(moved, (row, col), np.abs(inc["delta"].to_numpy(dtype=float)))
        times = pd.DatetimeIndex([t0 + k * step for k in range(n_bins)]) if n_bins else None
        expected, noise = np.zeros(shape), np.zeros(shape)
        np.add.at(expected, (row, col), (inc["delta"] - inc["excess"]).to_numpy(dtype=float))
        np.add.at(noise, (row, col), inc["noise_det"].to_numpy(dtype=float))
        fell = np.zeros(shape, dtype=bool)
        if "fell" in inc:
            fell[row, col] = inc["fell"].to_numpy(dtype=bool)
        return cls(
            videos=videos,
            times=times,
            excess=excess,
            noise2=noise2,
            z=zsum,
            seen=seen > 0,
            stalled=(seen > 0) & (moved == 0),
            fell=fell,
            expected=expected,
            noise=noise,
            row=row,
            col=col,
            start=start,
            inc_excess=inc_excess,
            inc_noise2=inc_noise2,
            inc_delta=inc["delta"].to_numpy(dtype=float),
            inc_gap=inc["gap"].to_numpy(dtype=float),
            inc_step=np.maximum(inc["resolution"], inc["prev_resolution"]).to_numpy(float) - 1,
        )


def _bin_stat(
    std: np.ndarray, passes: list[np.ndarray], rates: list[np.ndarray], seen: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per bin: -log of the smallest p-value of the tests (uncorrected), and Stouffer's z."""
    n = seen.sum(axis=0)
    stouffer = std.sum(axis=0) / np.sqrt(np.maximum(n, 1))
    p = stats.norm.sf(stouffer)
    for past, rate in zip(passes, rates, strict=True):
        expected = (rate * seen).sum(axis=0)
        p = np.minimum(p, stats.poisson.sf(past.sum(axis=0) - 1, expected))
    p = np.where(n >= 2, p, 1.0)
    return -np.log(np.maximum(p, 1e-300)), stouffer


def bin_pvalues(
    grid: Grid,
    z_alarm: float,
    sign: int,
    n_perm: int = N_PERM,
    seed: int = 0,
    max_shift: int = 48,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin (p-value corrected for every bin scanned, Stouffer z) for synchronized moves
    of ``sign`` (-1 drops, +1 rises); see the module docstring.

    Videos differ (a count shown as "1.2K" moves in steps of 100, a small exact count by
    ones): each video's clipped z-scores are standardized by its own mean and SD, and each
    video passes a level at its own rate. The statistic of a bin is the smallest p-value of
    the tests; its maximum over the bins is calibrated by circularly shifting each video's
    series in time by a random amount (``n_perm`` times: the videos' own behaviour is kept,
    their alignment broken, which is the null of independent videos), with a Gumbel law
    fitted to the shifted maxima for p-values beyond their range.

    ``max_shift`` is the largest shift in bins (grid steps, not hours); shifts never exceed
    half the grid.
    """
    seen = grid.seen
    n_videos, n_bins = grid.z.shape
    step = grid.times[1] - grid.times[0] if n_bins > 1 else None
    period = period_bins(step, n_bins)

    def moves(z, excess, expected, noise, seen):
        """Signed z-scores net of the slowdown the (possibly shifted) panel shares."""
        return sign * (z - shared_slowdown(excess, expected, noise, seen))

    z = moves(grid.z, grid.excess, grid.expected, grid.noise, seen)
    n_seen = np.maximum(seen.sum(axis=1, keepdims=True), 1)
    clipped = np.clip(z, -z_alarm, z_alarm) * seen
    mean = clipped.sum(axis=1, keepdims=True) / n_seen
    sd = np.sqrt(((clipped - mean) ** 2 * seen).sum(axis=1, keepdims=True) / n_seen)
    levels = (*COUNT_LEVELS, z_alarm)

    def tests(z, seen):
        """Each video's clipped z standardized by its own mean and SD; who passed each
        level."""
        clipped = np.clip(z, -z_alarm, z_alarm)
        std = np.where(sd > 0, (clipped - mean) / np.maximum(sd, 1e-6), 0.0) * seen
        return std, [(z >= level) & seen for level in levels]

    std, passes = tests(z, seen)
    rates = [
        np.maximum((past.sum(axis=1, keepdims=True) + 1) / (n_seen + 1), stats.norm.sf(level))
        for past, level in zip(passes, levels, strict=True)
    ]
    observed, stouffer = _bin_stat(std, passes, rates, seen)
    rng = np.random.default_rng(seed)
    maxima = np.empty(n_perm)
    cols = np.arange(n_bins)[None, :]
    for b in range(n_perm):
        # shifts of 1 to max_shift bins (two days of hourly snapshots): alignment is broken,
        # while each video keeps its active and quiet periods (busier early in its life)
        span = max(min(max_shift, n_bins // 2), 2)
        if period:
            # whole periods: the rhythm left stays aligned in the null as in the data; any
            # number of them, so that few videos share a lag (and stay aligned)
            lag = period * rng.integers(1, max(n_bins // period, 2), size=(n_videos, 1))
        else:
            lag = rng.integers(1, span + 1, size=(n_videos, 1))
        lag *= rng.choice([-1, 1], (n_videos, 1))
        idx = (cols + lag) % n_bins

        def shift(x: np.ndarray, idx: np.ndarray = idx) -> np.ndarray:
            return np.take_along_axis(x, idx, axis=1)

        # the shifted panel's own shared slowdown is taken out, as the data's was
        moved = shift(seen)
        z_null = moves(
            shift(grid.z), shift(grid.excess), shift(grid.expected), shift(grid.noise), moved
        )
        stat, _ = _bin_stat(*tests(z_null, moved), rates, moved)
        maxima[b] = stat.max()
    scale = max(float(np.std(maxima)) * math.sqrt(6) / math.pi, 1e-9)
    loc = float(np.mean(maxima)) - EULER_GAMMA * scale
    with np.errstate(over="ignore"):  # far below the null's maxima: exp -> inf, p -> 1
        p = -np.expm1(-np.exp(-(observed - loc) / scale))
    return np.where(seen.sum(axis=0) >= 2, np.clip(p, 0.0, 1.0), 1.0), sign * stouffer


def significant_runs(p: np.ndarray, alpha: float) -> list[tuple[int, int]]:
    """Runs of consecutive bins with p <= alpha, as (first, last) bin."""
    hits = np.flatnonzero(p <= alpha)
    if not len(hits):
        return []
    breaks = np.flatnonzero(np.diff(hits) > 1)
    starts = np.r_[hits[0], hits[breaks + 1]]
    ends = np.r_[hits[breaks], hits[-1]]
    return list(zip(starts.tolist(), ends.tolist(), strict=True))
