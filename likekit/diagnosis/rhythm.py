"""The panel's shared rhythm: what every video does at once is not a loss.

Attention has a daily and weekly rhythm (fewer likes at night, on weekends), panel-wide
slowdowns (a holiday evening), and a tracker reads every video at nearly the same moments
(a snapshot taken early makes one interval short on every video at once). All of them move
the videos together; a scan for synchronized drops whose null is videos moving
independently reads them as purge waves. Two defences, both used by
:func:`likekit.diagnosis.scan.bin_pvalues`:

* :func:`shared_share`: the slowdown the whole panel shares in a bin (the upper quartile of
  its videos' relative shortfall, when that leaves the counts rising) is taken out of every
  video's z-score before the scan: the common factor. It is read from per-bin histograms of
  :func:`rel_bucket`, which add up over disjoint sets of videos (a panel split into
  partitions gives the same answer), and re-read in each of the null's shifted panels;
* :func:`period_bins`: the scan's null shifts each video's series by whole periods (days
  for sub-daily snapshots, weeks for daily ones), so that the rhythm left over stays
  aligned in the null as in the data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

#: shifts by whole periods need at least this many periods in the table
MIN_PERIODS = 3
#: a bin's shared move is read over at least this many videos (fewer: no estimate)
MIN_VIDEOS = 5
#: bucket edges of the relative excess whose per-bin histogram gives the shared slowdown
#: (its upper quartile, interpolated within a bucket of 1/16 of the expected increment)
REL_EDGES = np.linspace(-1.5, 1.0, 41)


def period_bins(step: pd.Timedelta | None, n_bins: int) -> int:
    """Bins in the panel's rhythm period: a day for sub-daily snapshots, a week for daily
    ones, 0 when the table spans fewer than MIN_PERIODS periods or the step divides none."""
    if step is None or step <= pd.Timedelta(0):
        return 0
    for period in (pd.Timedelta(days=1), pd.Timedelta(days=7)):
        k = period / step
        if k >= 2 and abs(k - round(k)) < 1e-6 and n_bins >= MIN_PERIODS * round(k):
            return int(round(k))
    return 0


def rel_bucket(grid) -> np.ndarray:
    """Per video and bin: the bucket of REL_EDGES its relative excess (excess over the
    expected increment) falls in (0: below the first edge, len(REL_EDGES): at or above the
    last), or -1 where the video was not seen or expected nothing."""
    ok = grid.seen & (grid.expected > 0)
    with np.errstate(all="ignore"):
        rel = grid.excess / np.where(ok, grid.expected, 1.0)
    return np.where(ok, np.searchsorted(REL_EDGES, rel, side="right"), -1)


def shared_share(counts: np.ndarray) -> np.ndarray:
    """Per bin: the share of its expected likes that the whole panel fell short by (between
    -1 and 0), or 0, from the histograms ``counts[..., bin, bucket]`` of the videos'
    relative excess (:func:`rel_bucket`; any leading axes are panels read apart).

    A slowdown moves every video (each by its expected increment times a share); a purge
    moves those it hits. The panel's shared move in a bin is read from the upper quartile
    of the videos' relative excess (excess / expected, over at least MIN_VIDEOS videos with
    a positive expected increment), against its usual value over the bins: it moves with a
    slowdown, and stays put while a wave hits fewer than three quarters of the videos.
    Between -1 and 0 it is a slowdown (a holiday evening, a tracker reading early, a night
    when counts stand still): each video's expected increment times it is no loss. Where
    the quartile fell below -1 the counts fell, which no slowdown does: nothing is
    explained away. The quartile is interpolated within its bucket; one in the under- or
    overflow bucket explains nothing.
    """
    n = counts.sum(axis=-1)
    # the value of rank (3 (n - 1)) // 4 in ascending order
    rank = (3 * np.maximum(n - 1, 0)) // 4
    cum = np.cumsum(counts, axis=-1)
    bucket = np.minimum((cum <= rank[..., None]).sum(axis=-1), len(REL_EDGES))
    before = np.take_along_axis(cum - counts, bucket[..., None], axis=-1)[..., 0]
    inside = np.take_along_axis(counts, bucket[..., None], axis=-1)[..., 0]
    inner = (bucket > 0) & (bucket < len(REL_EDGES))
    j = np.clip(bucket - 1, 0, len(REL_EDGES) - 2)
    width = REL_EDGES[j + 1] - REL_EDGES[j]
    with np.errstate(all="ignore"):
        value = REL_EDGES[j] + width * (rank - before + 0.5) / inside
    upper = np.where(inner & (n >= MIN_VIDEOS), value, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a panel too small in every bin
        usual = np.nanmedian(upper, axis=-1, keepdims=True)
    share = np.nan_to_num(upper - usual, nan=0.0)
    # counts that stood still are a slowdown; counts that fell are not
    return np.where(upper >= -1, np.clip(share, -1.0, 0.0), 0.0)


def slowdown_ratio(grid) -> np.ndarray:
    """Per video and bin: its expected increment in units of its noise, the factor that
    turns a shared share into the video's z-score (0 where it expected nothing)."""
    ok = grid.seen & (grid.expected > 0) & (grid.noise > 0)
    with np.errstate(all="ignore"):
        return np.where(ok, grid.expected / np.where(ok, grid.noise, 1.0), 0.0)
