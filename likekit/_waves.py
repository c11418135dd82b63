"""Panel synchrony for :func:`likekit.diagnose`: the scan for creator-wide waves.

The increments of every video are put on one time grid (the panel's typical snapshot
step). In each bin two statistics test "the videos dropped together" against "they moved
independently":

* Stouffer: the sum of the videos' z-scores, each clipped to the single-video alarm level
  so that one huge drop cannot pass for a wave, over its null standard deviation;
* a count: how many videos fell past the single-video alarm level, against a binomial null
  whose rate is the panel's own (never below the normal tail).

A bin's p-value is the smaller of the two doubled (Bonferroni over the two tests) and then
multiplied by the number of bins scanned (Bonferroni over windows), so that ``alpha`` is the
chance that a panel without any wave shows one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass
class Grid:
    """Dense video x bin matrices of excess increments, noise and z (0 where unobserved)."""

    videos: np.ndarray  # video ids, row order
    times: pd.DatetimeIndex  # bin times
    excess: np.ndarray
    noise2: np.ndarray
    z: np.ndarray
    seen: np.ndarray  # bool: the video has an increment ending in that bin
    row: np.ndarray  # per increment: its video row
    col: np.ndarray  # per increment: the bin it ends in
    start: np.ndarray  # per increment: the bin of the snapshot it starts from
    inc_excess: np.ndarray
    inc_noise2: np.ndarray

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
        inc_noise2 = inc["noise_det"].to_numpy(dtype=float) ** 2
        np.add.at(excess, (row, col), inc_excess)
        np.add.at(noise2, (row, col), inc_noise2)
        np.add.at(seen, (row, col), 1.0)
        np.add.at(zsum, (row, col), inc["z"].to_numpy(dtype=float))
        times = pd.DatetimeIndex([t0 + k * step for k in range(n_bins)]) if n_bins else None
        return cls(
            videos, times, excess, noise2, zsum, seen > 0, row, col, start, inc_excess, inc_noise2
        )


def bin_pvalues(grid: Grid, z_alarm: float, sign: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin (corrected p-value, Stouffer z) for synchronized moves of ``sign`` (-1 drops,
    +1 rises); see the module docstring."""
    z = sign * grid.z
    seen = grid.seen
    n = seen.sum(axis=0)
    clipped = np.clip(z, -z_alarm, z_alarm) * seen
    # null variance of a clipped z from the panel itself (heavy tails count), at most 1
    var = float((clipped**2).sum() / max(seen.sum(), 1))
    var = min(max(var, 1e-12), 1.0) if seen.any() else 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        stouffer = np.where(n > 0, clipped.sum(axis=0) / np.sqrt(n * var), 0.0)
    alarms = ((z >= z_alarm) & seen).sum(axis=0)
    rate = max(float(stats.norm.sf(z_alarm)), (alarms.sum() + 1) / max(seen.sum(), 1))
    p_count = stats.binom.sf(alarms - 1, n, rate)
    p = np.minimum(1.0, 2 * np.minimum(stats.norm.sf(stouffer), p_count))
    scanned = max(int((n >= 2).sum()), 1)
    p = np.where(n >= 2, np.minimum(1.0, p * scanned), 1.0)
    return p, sign * stouffer


def significant_runs(p: np.ndarray, alpha: float) -> list[tuple[int, int]]:
    """Runs of consecutive bins with p <= alpha, as (first, last) bin."""
    hits = np.flatnonzero(p <= alpha)
    if not len(hits):
        return []
    breaks = np.flatnonzero(np.diff(hits) > 1)
    starts = np.r_[hits[0], hits[breaks + 1]]
    ends = np.r_[hits[breaks], hits[-1]]
    return list(zip(starts.tolist(), ends.tolist(), strict=True))
